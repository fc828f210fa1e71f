"""The plugin's settings: command-line options and ini keys, the project's ``[tool.schema_guard]``, and which
parts are on. Each is computed once per test process and kept in pytest's stash."""

from __future__ import annotations

from pathlib import Path

import pytest

from schema_guard.config import Config, ConfigError, load_config

CONFIG_KEY = pytest.StashKey[Config]()
FILES_KEY = pytest.StashKey[list[Path]]()


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("schema-guard", "schema-guard: schema governance for SQLModel + Alembic + PostgreSQL")
    group.addoption("--schema-guard", action="store_true", default=False,
                    help="check the models configured in [tool.schema_guard]: one test item per model file")
    group.addoption("--schema-guard-migrations", action="store_true", default=False,
                    help="run the migration gate: one test item per check (single-head, upgrade, ...)")
    group.addoption("--schema-guard-config", metavar="PATH",
                    help="TOML file with the schema-guard settings (default: nearest pyproject.toml with them)")
    group.addoption("--schema-guard-database-url", metavar="URL",
                    help="PostgreSQL server for the gate's throwaway database (default: SCHEMA_GUARD_DATABASE_URL, "
                         "then [tool.schema_guard.migrations] database-url, then an embedded server)")
    group.addoption("--schema-guard-since", metavar="REV",
                    help="judge only the revisions after REV (a revision or git ref) with the per-revision rules")
    parser.addini("schema_guard", type="bool", default=False, help="run the schema checks (as --schema-guard)")
    parser.addini("schema_guard_migrations", type="bool", default=False,
                  help="run the migration gate (as --schema-guard-migrations)")


def checks_enabled(config: pytest.Config) -> bool:
    return bool(config.getoption("schema_guard")) or bool(config.getini("schema_guard"))


def gate_enabled(config: pytest.Config) -> bool:
    return bool(config.getoption("schema_guard_migrations")) or bool(config.getini("schema_guard_migrations"))


def configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "schema_guard: a check item added by --schema-guard/--schema-guard-migrations")
    config.addinivalue_line(
        "markers",
        "cross_tenant(reason): the tenant_guard fixture does not judge this test's queries (an admin code path "
        "that reads across tenants)",
    )
    if checks_enabled(config) or gate_enabled(config):
        from schema_guard.decide import Decider

        try:
            Decider.from_config(project_config(config))
        except ConfigError as error:
            raise pytest.UsageError(f"schema-guard: {error}") from None


def project_config(config: pytest.Config) -> Config:
    """``[tool.schema_guard]``: from ``--schema-guard-config``, else the nearest pyproject.toml above the invocation
    folder (as the CLI finds it), else above pytest's rootdir."""
    if CONFIG_KEY not in config.stash:
        explicit = config.getoption("schema_guard_config")
        start = config.invocation_params.dir
        settings = load_config(start / explicit if explicit else None, cwd=start)
        if settings.source is None and not explicit and start != config.rootpath:
            settings = load_config(cwd=config.rootpath)
        config.stash[CONFIG_KEY] = settings
    return config.stash[CONFIG_KEY]


def checked_files(config: pytest.Config) -> list[Path]:
    """The files ``schema-guard check`` reads: the configured ``src`` minus ``exclude``."""
    if FILES_KEY not in config.stash:
        from schema_guard.files import discover

        settings = project_config(config)
        config.stash[FILES_KEY] = [p.resolve() for p in discover(settings.src_paths(), settings.root,
                                                                settings.exclude)]
    return config.stash[FILES_KEY]


def alembic_path(config: pytest.Config) -> Path:
    settings = project_config(config)
    return (settings.root / settings.migrations.alembic_config).resolve()


def resolved(path: str | None) -> Path | None:
    return Path(path).resolve() if path else None


def shown(path: Path | None, config: pytest.Config) -> str:
    from schema_guard.reporters import display_path

    return display_path(str(path), config.invocation_params.dir) if path else "<none>"
