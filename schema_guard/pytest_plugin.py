"""pytest plugin (entry point ``pytest11``): schema checks and the migration gate as test items, and fixtures for
users' own tests. Settings come from ``[tool.schema_guard]`` exactly as for the CLI.

* ``--schema-guard`` (ini ``schema_guard = true``): one item per checked model file, ``models/exams.py::schema-guard``,
  failing with the findings in the CLI's text; plus ``pyproject.toml::schema-guard`` for findings tied to no checked
  file (a model module that fails to import, a table defined outside ``src``). Items are per *file*, not per table:
  every finding has a file (``declarative_base()``, an unused suppression or a syntax error have no table), a file
  item is what ``path:line:col`` in the report points at, and suppressions and ``per-file-ignores`` are per file.
* ``--schema-guard-migrations`` (ini ``schema_guard_migrations = true``): one item per check of the migration gate,
  ``alembic.ini::single-head`` ... ``alembic.ini::revision-safety``. The gate runs once per test session (shared by
  pytest-xdist workers) on a throwaway database it creates and drops.
* Fixtures ``schema_guard_findings`` (the check's findings) and ``tenant_guard`` (the SG701 query guard), and the
  marker ``@pytest.mark.cross_tenant(reason=...)`` for tests of admin code paths.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from schema_guard.config import Config, ConfigError, load_config
from schema_guard.facts import Location
from schema_guard.findings import Finding

if TYPE_CHECKING:
    from schema_guard.engine import CheckResult
    from schema_guard.runtime import TenantGuard

ITEM_NAME = "schema-guard"
CONFIG_KEY = pytest.StashKey[Config]()
FILES_KEY = pytest.StashKey[list[Path]]()
CHECK_KEY = pytest.StashKey[Any]()
GATE_KEY = pytest.StashKey[list[Finding]]()
GUARD_KEY = pytest.StashKey["TenantGuard"]()

GATE_CHECKS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("single-head", "the revision graph has a single head", ("SG602",)),
    ("upgrade", "every revision upgrades an empty database, one at a time, to head", ("SG012",)),
    ("model-matches-database", "the migrated database matches the models, and env.py hands Alembic their metadata",
     ("SG601", "SG604")),
    ("head-schema-rules", "the migrated schema follows the key and tenancy rules", ("SG606",)),
    ("round-trip", "downgrade to base and upgrade again gives the same schema", ("SG603", "SG607")),
    ("revision-safety", "each revision is safe on a live database and keeps tenancy", ("SG605", "SG65")),
)
"""(item name, what it proves, the finding codes or code prefixes it reports). Fatal findings (no database, a
broken alembic.ini) fail every item; a code no check claims is reported by ``upgrade``."""


# options and configuration ------------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "schema_guard: a check item added by --schema-guard/--schema-guard-migrations")
    config.addinivalue_line(
        "markers",
        "cross_tenant(reason): the tenant_guard fixture does not judge this test's queries (an admin code path "
        "that reads across tenants)",
    )
    if checks_enabled(config) or gate_enabled(config):
        from schema_guard.selection import Selection

        try:
            Selection.from_config(project_config(config))
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


def pytest_report_header(config: pytest.Config) -> str | None:
    if not (checks_enabled(config) or gate_enabled(config)):
        return None
    settings = project_config(config)
    parts = [f"{len(checked_files(config))} model file(s)"] if checks_enabled(config) else []
    if gate_enabled(config):
        parts.append(f"migration gate ({_shown(alembic_path(config), config)})")
    source = _shown(settings.source, config) if settings.source else "defaults (no [tool.schema_guard] found)"
    return f"schema-guard: {', '.join(parts)}; settings from {source}"


# collection ---------------------------------------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Any:
    """Add the check collectors next to the session's own (the model files need not be under ``testpaths``)."""
    report = yield
    if isinstance(collector, pytest.Session) and report.passed:
        report.result.extend(_session_collectors(collector))
    return report


def _session_collectors(session: pytest.Session) -> list[pytest.Collector]:
    config = session.config
    collectors: list[pytest.Collector] = []
    if checks_enabled(config) and not any(session.isinitpath(path) for path in checked_files(config)):
        collectors += [ModelFile.from_parent(session, path=path) for path in checked_files(config)]
        collectors.append(ProjectFile.from_parent(session, path=_project_anchor(config)))
    if gate_enabled(config) and not session.isinitpath(alembic_path(config)):
        collectors.append(MigrationChecks.from_parent(session, path=alembic_path(config)))
    return collectors


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """A model file or alembic.ini named on the command line (``pytest models/exams.py --schema-guard``)."""
    config = parent.config
    if not parent.session.isinitpath(file_path):
        return None
    if checks_enabled(config) and file_path.resolve() in checked_files(config):
        return ModelFile.from_parent(parent, path=file_path)  # type: ignore[no-any-return]
    if gate_enabled(config) and file_path.resolve() == alembic_path(config):
        return MigrationChecks.from_parent(parent, path=file_path)  # type: ignore[no-any-return]
    return None


def _project_anchor(config: pytest.Config) -> Path:
    settings = project_config(config)
    return settings.source.resolve() if settings.source else config.rootpath / "pyproject.toml"


class CheckFailed(Exception):
    """A schema-guard item failed; the message is the report, printed without a traceback."""


class _CheckItem(pytest.Item):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_marker("schema_guard")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, CheckFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"schema-guard: {self.nodeid}"

    def fail_with(self, findings: list[Finding], heading: str = "") -> None:
        if not findings:
            return
        from schema_guard.reporters.text import format_finding

        cwd = self.config.invocation_params.dir
        lines = [heading] if heading else []
        lines += [format_finding(finding, cwd) for finding in findings]
        fatal = sum(1 for finding in findings if finding.severity == "fatal")
        stopped = f", {fatal} of them error(s) that stopped a check" if fatal else ""
        lines.append(f"Found {len(findings)} finding(s){stopped}.")
        raise CheckFailed("\n".join(lines))


class ModelFile(pytest.File):
    """One model file checked by ``--schema-guard``."""

    def collect(self) -> Iterator[pytest.Item]:
        yield ModelFileCheck.from_parent(self, name=ITEM_NAME)


class ModelFileCheck(_CheckItem):
    """The file's findings, with its suppressions, the selection and the baseline applied."""

    def runtest(self) -> None:
        result = check_result(self.config)
        self.fail_with([f for f in result.findings if _resolved(f.path) == self.path.resolve()])


class ProjectFile(pytest.File):
    """The configuration file: the home of findings tied to no checked file."""

    def collect(self) -> Iterator[pytest.Item]:
        yield ProjectCheck.from_parent(self, name=ITEM_NAME)


class ProjectCheck(_CheckItem):
    """Model modules that fail to import, tables defined outside ``src``: every finding of the check that no
    model-file item reports."""

    def runtest(self) -> None:
        result = check_result(self.config)
        files = set(checked_files(self.config))
        self.fail_with([f for f in result.findings if _resolved(f.path) not in files])


def check_result(config: pytest.Config) -> CheckResult:
    """``schema-guard check`` once per test process (the readers, rules, suppressions and baseline)."""
    if CHECK_KEY not in config.stash:
        from schema_guard.engine import run_check

        try:
            config.stash[CHECK_KEY] = run_check(project_config(config))
        except ConfigError as error:
            config.stash[CHECK_KEY] = error
    result = config.stash[CHECK_KEY]
    if isinstance(result, ConfigError):
        raise CheckFailed(f"schema-guard: error: {result}")
    return result  # type: ignore[no-any-return]


def _resolved(path: str | None) -> Path | None:
    return Path(path).resolve() if path else None


def _shown(path: Path | None, config: pytest.Config) -> str:
    from schema_guard.reporters import display_path

    return display_path(str(path), config.invocation_params.dir) if path else "<none>"


# the migration gate -------------------------------------------------------------------------------------------


class MigrationChecks(pytest.File):
    """The migration gate's checks, one item each, on the project's ``alembic.ini``."""

    def collect(self) -> Iterator[pytest.Item]:
        for name, proves, _codes in GATE_CHECKS:
            yield GateCheck.from_parent(self, name=name, proves=proves)


class GateCheck(_CheckItem):
    """One gate check: fails with the gate's findings that belong to it."""

    def __init__(self, *, proves: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.proves = proves

    def runtest(self) -> None:
        findings = gate_findings(self.config)
        mine = [f for f in findings if f.severity == "fatal" or gate_check_of(f.code) == self.name]
        self.fail_with(mine, heading=f"{self.name}: {self.proves}")


def gate_check_of(code: str) -> str:
    for name, _proves, codes in GATE_CHECKS:
        if any(code.startswith(prefix) for prefix in codes):
            return name
    return "upgrade"


def gate_findings(config: pytest.Config) -> list[Finding]:
    """The gate's findings, computed once per test run."""
    if GATE_KEY not in config.stash:
        try:
            config.stash[GATE_KEY] = once_per_run(config, "migration-gate", lambda: _run_gate(config))
        except ConfigError as error:
            config.stash[GATE_KEY] = error  # type: ignore[assignment]
    result = config.stash[GATE_KEY]
    if isinstance(result, ConfigError):
        raise CheckFailed(f"schema-guard: error: {result}")
    return result


def _run_gate(config: pytest.Config) -> list[Finding]:
    """The gate as ``schema-guard migrations`` runs it: selection, suppressions and baseline applied."""
    from schema_guard.migration_check import run_migrations_check

    result = run_migrations_check(project_config(config), since=config.getoption("schema_guard_since"),
                                  database_url=config.getoption("schema_guard_database_url"))
    return result.findings


def once_per_run(config: pytest.Config, name: str, compute: Callable[[], list[Finding]]) -> list[Finding]:
    """``compute()`` once per test run: under pytest-xdist the first worker computes, the others read its result."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None:
        return compute()
    folder = _run_folder(config, str(workerinput.get("testrunuid", "run")))
    result, lock = folder / f"{name}.json", folder / f"{name}.lock"
    try:
        os.close(os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return _wait_for(result)
    try:
        findings = compute()
    except BaseException as error:
        _write_atomically(result, {"error": str(error), "config_error": isinstance(error, ConfigError)})
        raise
    _write_atomically(result, {"findings": [dataclasses.asdict(f) for f in findings]})
    return findings


def _run_folder(config: pytest.Config, uid: str) -> Path:
    factory = getattr(config, "_tmp_path_factory", None)
    base = factory.getbasetemp().parent if factory is not None else Path(tempfile.gettempdir())
    folder = base / f"schema-guard-{uid}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write_atomically(path: Path, document: dict[str, object]) -> None:
    partial = path.with_suffix(f".{os.getpid()}.partial")
    partial.write_text(json.dumps(document), encoding="utf-8")
    os.replace(partial, path)


def _wait_for(path: Path, timeout: float = 3600.0) -> list[Finding]:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"schema-guard: another pytest-xdist worker did not finish the gate ({path})")
        time.sleep(0.1)
    document = json.loads(path.read_text(encoding="utf-8"))
    if "error" in document:
        if document.get("config_error"):
            raise ConfigError(document["error"])
        raise RuntimeError(f"schema-guard: the gate failed in another pytest-xdist worker: {document['error']}")
    return [Finding(**{**row, "location": Location(**row["location"])}) for row in document["findings"]]


# fixtures for users' tests ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def schema_guard_findings(pytestconfig: pytest.Config) -> list[Finding]:
    """The findings of ``schema-guard check`` for the configured models (suppressions and baseline applied)."""
    try:
        return list(check_result(pytestconfig).findings)
    except (CheckFailed, ConfigError) as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture
def tenant_guard(request: pytest.FixtureRequest) -> Iterator[TenantGuard]:
    """The SG701 query guard: ``tenant_guard.install(engine_or_session)``; the test fails if, while it runs, a query
    reads a tenant-scoped table without a tenant predicate or an INSERT leaves the tenant column unset. Fixture
    setup and teardown are not judged; ``with tenant_guard.allow("why"):`` and ``@pytest.mark.cross_tenant`` opt
    out."""
    from schema_guard.runtime import TenantGuard
    from schema_guard.selection import Selection

    try:
        settings = project_config(request.config)
        enabled = Selection.from_config(settings).enabled("SG701")  # `ignore = ["SG701"]` turns the guard off
    except ConfigError as error:
        pytest.fail(f"schema-guard: error: {error}", pytrace=False)
    guard = TenantGuard(settings.tenancy, active=False)
    if enabled:
        request.node.stash[GUARD_KEY] = guard
    try:
        yield guard
    finally:
        guard.uninstall()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """Judge queries only while the test function runs; fail it with the guard's report."""
    guard = item.stash.get(GUARD_KEY, None)
    if guard is None or item.get_closest_marker("cross_tenant") is not None:
        return (yield)
    cwd = item.config.invocation_params.dir
    guard.active = True
    try:
        outcome = yield
    except BaseException:
        guard.active = False
        if guard.violations:  # the test failed anyway: show the guard's report next to its error
            item.add_report_section("call", "schema-guard tenant guard", guard.report(cwd))
        raise
    guard.active = False
    if guard.violations:
        pytest.fail(guard.report(cwd), pytrace=False)
    return outcome


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    result = config.stash.get(CHECK_KEY, None)
    if result is not None and not isinstance(result, ConfigError):
        from schema_guard.reporters.text import summary

        terminalreporter.write_line(f"schema-guard: {summary(result)}")
