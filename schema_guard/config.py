"""Configuration: ``[tool.schema_guard]`` in ``pyproject.toml``, found by walking up from the working directory.

Keys are kebab-case like ruff's. An unknown key or a value of the wrong type is a :class:`ConfigError` that names
the key and the file, so a typo never silently turns a rule off.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from schema_guard.facts import Location
from schema_guard.tenancy import TenantPolicy

DATABASE_URL_ENV = "SCHEMA_GUARD_DATABASE_URL"


class ConfigError(Exception):
    """A configuration problem; the message is one line naming the file and key."""


@dataclass(frozen=True)
class MigrationsConfig:
    alembic_config: str = "alembic.ini"
    database_url: str | None = None
    since: str | None = None


@dataclass(frozen=True)
class Config:
    root: Path
    """The folder of the ``pyproject.toml`` (or the working directory when there is none); paths are relative to it."""
    source: Path | None = None
    src: tuple[str, ...] = (".",)
    models: tuple[str, ...] = ()
    tenant_table: str = "students"
    tenant_key: str = "id"
    tenant_column: str = "student_id"
    shared_tables: tuple[str, ...] = ()
    select: tuple[str, ...] = ("SG",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    baseline: str | None = None
    cache_dir: str | None = ".schema-guard-cache"
    """The source reader's cache folder (relative to ``root``); ``None`` when caching is off (``--no-cache``)."""
    migrations: MigrationsConfig = field(default_factory=MigrationsConfig)
    plugins: tuple[str, ...] = ()
    """Importable modules (from ``root``) that declare a team's own rules."""
    rule_options: dict[str, dict[str, object]] = field(default_factory=dict)
    """``[tool.schema_guard.rules.<CODE>]``: each rule's own options, by code (handed to it as ``context.options``)."""

    @property
    def tenancy(self) -> TenantPolicy:
        return TenantPolicy(
            anchor_table=self.tenant_table,
            anchor_key=self.tenant_key,
            tenant_column=self.tenant_column,
            shared_tables=frozenset(self.shared_tables),
        )

    def src_paths(self) -> list[Path]:
        return [self.root / p for p in self.src]

    def baseline_path(self) -> Path:
        return self.root / (self.baseline or ".schema-guard-baseline.json")

    def database_url(self, override: str | None = None) -> str | None:
        """``--database-url``, else ``SCHEMA_GUARD_DATABASE_URL``, else the configured URL, else ``None`` (embedded)."""
        return override or os.environ.get(DATABASE_URL_ENV) or self.migrations.database_url


_STR = "a string"
_STR_LIST = "a list of strings"

_TOP_KEYS: dict[str, tuple[str, str]] = {
    "src": ("src", _STR_LIST),
    "models": ("models", _STR_LIST),
    "tenant-table": ("tenant_table", _STR),
    "tenant-key": ("tenant_key", _STR),
    "tenant-column": ("tenant_column", _STR),
    "shared-tables": ("shared_tables", _STR_LIST),
    "select": ("select", _STR_LIST),
    "ignore": ("ignore", _STR_LIST),
    "extend-select": ("extend_select", _STR_LIST),
    "exclude": ("exclude", _STR_LIST),
    "baseline": ("baseline", _STR),
    "plugins": ("plugins", _STR_LIST),
    "cache-dir": ("cache_dir", _STR),
}
_NOT_EMPTY = {
    "src": "gives the source reader nothing to read: name the folders with your models, or remove the key for \".\"",
    "select": "selects no rule, so every check would pass: remove the key for the default [\"SG\"]",
}
"""Keys where an empty list is a mistake that would make every run pass silently."""
_MIGRATION_KEYS: dict[str, tuple[str, str]] = {
    "alembic-config": ("alembic_config", _STR),
    "database-url": ("database_url", _STR),
    "since": ("since", _STR),
}


def entry_location(config: Config, key: str, value: str) -> Location:
    """Where ``value`` is written as an entry of ``key`` in the configuration file (1-based line and column), so a
    finding about a configured name (a model module that does not import) points at the line to edit."""
    if config.source is None:
        return Location()
    try:
        lines = config.source.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return Location(str(config.source))
    in_section, in_key = False, False
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_section = stripped.replace(" ", "") in ("[tool.schema_guard]", "[schema_guard]") or (
                config.source.name != "pyproject.toml" and not stripped.startswith("[tool.")
            )
            in_key = False
            continue
        if in_section and re.match(rf"{re.escape(key)}\s*=", stripped):
            in_key = True
        if in_section and in_key:
            for quote in ('"', "'"):
                column = line.find(f"{quote}{value}{quote}")
                if column >= 0:
                    return Location(str(config.source), number, column + 1)
            if "]" in line.split("#", 1)[0]:
                in_key = False
    return Location(str(config.source))


def model_entries(config: Config) -> dict[str, Location]:
    """Each configured ``models`` module with the place it is written in the configuration file."""
    return {module: entry_location(config, "models", module) for module in config.models}


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start`` that has a ``[tool.schema_guard]`` table."""
    for folder in [start, *start.parents]:
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and _has_section(candidate):
            return candidate
    return None


def _has_section(path: Path) -> bool:
    try:
        return "schema_guard" in tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {})
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError):
        return "[tool.schema_guard" in path.read_text(encoding="utf-8", errors="replace")


def load_config(explicit: Path | None = None, cwd: Path | None = None) -> Config:
    """Load the configuration: ``explicit`` (``--config``) or the nearest pyproject.toml with our section."""
    start = (cwd or Path.cwd()).resolve()
    path = explicit.resolve() if explicit else find_pyproject(start)
    if path is None:
        return Config(root=start)
    if not path.is_file():
        raise ConfigError(f"{path}: configuration file not found")
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    section = document.get("tool", {}).get("schema_guard")
    if section is None and path.name != "pyproject.toml":
        section = document.get("schema_guard", document)
    return parse_config(section or {}, root=path.parent, source=path)


def parse_config(section: dict[str, object], *, root: Path, source: Path | None = None) -> Config:
    """Validate a ``[tool.schema_guard]`` table into a :class:`Config`; every error names the key."""
    where = f"{source}: " if source else ""
    values: dict[str, object] = {}
    for key, value in section.items():
        if key == "migrations":
            values["migrations"] = _parse_migrations(value, where)
        elif key == "per-file-ignores":
            values["per_file_ignores"] = _parse_per_file_ignores(value, where)
        elif key == "rules":
            values["rule_options"] = _parse_rule_options(value, where)
        elif key in _TOP_KEYS:
            attribute, expected = _TOP_KEYS[key]
            values[attribute] = _typed(value, expected, f"{where}[tool.schema_guard] {key}")
            if key in _NOT_EMPTY and not value:
                raise ConfigError(f"{where}[tool.schema_guard] {key} = [] {_NOT_EMPTY[key]}")
        else:
            raise ConfigError(f"{where}unknown key '{key}' in [tool.schema_guard]{_suggest(key, _TOP_KEYS)}")
    return Config(root=root, source=source, **values)  # type: ignore[arg-type]


def _parse_migrations(value: object, where: str) -> MigrationsConfig:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}[tool.schema_guard] migrations must be a table")
    values: dict[str, object] = {}
    for key, item in value.items():
        if key not in _MIGRATION_KEYS:
            suggestion = _suggest(key, _MIGRATION_KEYS)
            raise ConfigError(f"{where}unknown key '{key}' in [tool.schema_guard.migrations]{suggestion}")
        attribute, expected = _MIGRATION_KEYS[key]
        values[attribute] = _typed(item, expected, f"{where}[tool.schema_guard.migrations] {key}")
    return MigrationsConfig(**values)  # type: ignore[arg-type]


def _parse_per_file_ignores(value: object, where: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}[tool.schema_guard] per-file-ignores must be a table of glob = [codes]")
    return {
        str(glob): _typed(codes, _STR_LIST, f"{where}[tool.schema_guard] per-file-ignores '{glob}'")  # type: ignore[misc]
        for glob, codes in value.items()
    }


def _parse_rule_options(value: object, where: str) -> dict[str, dict[str, object]]:
    """``[tool.schema_guard.rules.TEAM001]`` tables; whether the code names a rule is checked once the plugins are
    loaded (:func:`schema_guard.rules.registry.load_plugins`)."""
    if not isinstance(value, dict) or not all(isinstance(options, dict) for options in value.values()):
        raise ConfigError(f"{where}[tool.schema_guard] rules must hold one table per rule code, "
                          "like [tool.schema_guard.rules.TEAM001]")
    return {str(code).upper(): dict(options) for code, options in value.items()}


def _typed(value: object, expected: str, key: str) -> object:
    if expected == _STR and isinstance(value, str):
        return value
    if expected == _STR_LIST and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"{key} must be {expected}, not {type(value).__name__} {value!r}")


def _suggest(key: str, known: dict[str, object]) -> str:
    import difflib

    close = difflib.get_close_matches(key, list(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
