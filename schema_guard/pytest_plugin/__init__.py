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

from pathlib import Path
from typing import Any

import pytest

from schema_guard.pytest_plugin.gate_items import MigrationChecks
from schema_guard.pytest_plugin.model_items import (
    ModelFile,
    ProjectFile,
    print_summary,
    project_anchor,
    schema_guard_findings,
)
from schema_guard.pytest_plugin.settings import (
    add_options,
    alembic_path,
    checked_files,
    checks_enabled,
    configure,
    gate_enabled,
    project_config,
    shown,
)
from schema_guard.pytest_plugin.tenant_guard import pytest_runtest_call, tenant_guard

__all__ = ["pytest_runtest_call", "schema_guard_findings", "tenant_guard"]


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    configure(config)


def pytest_report_header(config: pytest.Config) -> str | None:
    if not (checks_enabled(config) or gate_enabled(config)):
        return None
    settings = project_config(config)
    parts = [f"{len(checked_files(config))} model file(s)"] if checks_enabled(config) else []
    if gate_enabled(config):
        parts.append(f"migration gate ({shown(alembic_path(config), config)})")
    source = shown(settings.source, config) if settings.source else "defaults (no [tool.schema_guard] found)"
    return f"schema-guard: {', '.join(parts)}; settings from {source}"


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
        collectors.append(ProjectFile.from_parent(session, path=project_anchor(config)))
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


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    print_summary(terminalreporter, config)
