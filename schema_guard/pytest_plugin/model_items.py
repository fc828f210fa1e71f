"""``--schema-guard``: one item per checked model file, plus one on the configuration file for findings tied to no
checked file; and the ``schema_guard_findings`` fixture. The check runs once per test process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from schema_guard.config import ConfigError
from schema_guard.findings import Finding
from schema_guard.pytest_plugin.items import CheckFailed, CheckItem
from schema_guard.pytest_plugin.settings import checked_files, project_config, resolved

if TYPE_CHECKING:
    from schema_guard.result import CheckResult

ITEM_NAME = "schema-guard"
CHECK_KEY = pytest.StashKey[Any]()


def project_anchor(config: pytest.Config) -> Path:
    settings = project_config(config)
    return settings.source.resolve() if settings.source else config.rootpath / "pyproject.toml"


class ModelFile(pytest.File):
    """One model file checked by ``--schema-guard``."""

    def collect(self) -> Iterator[pytest.Item]:
        yield ModelFileCheck.from_parent(self, name=ITEM_NAME)


class ModelFileCheck(CheckItem):
    """The file's findings, with its suppressions, the selection and the baseline applied."""

    def runtest(self) -> None:
        result = check_result(self.config)
        self.fail_with([f for f in result.findings if resolved(f.path) == self.path.resolve()])


class ProjectFile(pytest.File):
    """The configuration file: the home of findings tied to no checked file."""

    def collect(self) -> Iterator[pytest.Item]:
        yield ProjectCheck.from_parent(self, name=ITEM_NAME)


class ProjectCheck(CheckItem):
    """Model modules that fail to import, tables defined outside ``src``: every finding of the check that no
    model-file item reports."""

    def runtest(self) -> None:
        result = check_result(self.config)
        files = set(checked_files(self.config))
        self.fail_with([f for f in result.findings if resolved(f.path) not in files])


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


@pytest.fixture(scope="session")
def schema_guard_findings(pytestconfig: pytest.Config) -> list[Finding]:
    """The findings of ``schema-guard check`` for the configured models (suppressions and baseline applied)."""
    try:
        return list(check_result(pytestconfig).findings)
    except (CheckFailed, ConfigError) as error:
        pytest.fail(str(error), pytrace=False)



def print_summary(terminalreporter: Any, config: pytest.Config) -> None:
    result = config.stash.get(CHECK_KEY, None)
    if result is not None and not isinstance(result, ConfigError):
        from schema_guard.reporters.text import summary

        terminalreporter.write_line(f"schema-guard: {summary(result)}")
