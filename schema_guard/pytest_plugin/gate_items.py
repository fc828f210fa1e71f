"""``--schema-guard-migrations``: one item per check of the migration gate (the named checks of
:mod:`schema_guard.gate.checks.catalogue`) on the project's ``alembic.ini``. The gate runs once per test session,
shared by pytest-xdist workers."""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from schema_guard.config import ConfigError
from schema_guard.facts import Location
from schema_guard.findings import Finding
from schema_guard.gate.checks.catalogue import GATE_CHECKS, GateCheck, check_of
from schema_guard.pytest_plugin.items import CheckFailed, CheckItem
from schema_guard.pytest_plugin.settings import project_config
from schema_guard.run_owner import Owner
from schema_guard.url_secrets import mask_secrets

GATE_KEY = pytest.StashKey[list[Finding]]()

class MigrationChecks(pytest.File):
    """The migration gate's checks, one item each, on the project's ``alembic.ini``."""

    def collect(self) -> Iterator[pytest.Item]:
        for check in GATE_CHECKS:
            yield GateCheckItem.from_parent(self, name=check.name, check=check)


class GateCheckItem(CheckItem):
    """One gate check: fails with the gate's findings that belong to it (fatal ones belong to every check)."""

    def __init__(self, *, check: GateCheck, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check

    def runtest(self) -> None:
        findings = gate_findings(self.config)
        mine = [f for f in findings if f.severity == "fatal" or check_of(f.code) == self.check]
        self.fail_with(mine, heading=f"{self.check.name}: {self.check.proves}")


def gate_findings(config: pytest.Config) -> list[Finding]:
    """The gate's findings, computed once per test run."""
    if GATE_KEY not in config.stash:
        try:
            config.stash[GATE_KEY] = once_per_run(config, "migration-gate", lambda: _run_gate(config))
        except ConfigError as error:
            config.stash[GATE_KEY] = error  # type: ignore[assignment]
    result = config.stash[GATE_KEY]
    if isinstance(result, ConfigError):
        raise CheckFailed(f"schema-guard: error: {mask_secrets(str(result))}")
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
    if not _take(lock):
        return _wait_for(result, lock)
    try:
        findings = compute()
    except BaseException as error:
        _write_atomically(result, {"error": mask_secrets(str(error)), "config_error": isinstance(error, ConfigError)})
        raise
    _write_atomically(result, {"findings": [dataclasses.asdict(f) for f in findings]})
    return findings


def _take(lock: Path) -> bool:
    """Create ``lock`` holding this process's owner label (host, pid, start time), all at once: the file appears
    complete or not at all (``os.link`` fails if it exists), so a waiter never reads a half-written owner."""
    partial = lock.with_suffix(f".{os.getpid()}.partial")
    partial.write_text(Owner.current().label(), encoding="utf-8")
    try:
        os.link(partial, lock)
        return True
    except FileExistsError:
        return False
    finally:
        partial.unlink()


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


def _wait_for(path: Path, lock: Path, timeout: float = 3600.0) -> list[Finding]:
    """The result another worker computes; fails within a second if that worker died (killed, crashed, or
    restarted by pytest-xdist) before writing it, instead of waiting out ``timeout``."""
    deadline = time.monotonic() + timeout
    owner = Owner.parse(lock.read_text(encoding="utf-8"))
    while not path.exists():
        if owner is not None and owner.is_gone() and not path.exists():
            raise RuntimeError(f"schema-guard: the pytest-xdist worker that ran the migration gate (pid {owner.pid}) "
                               f"died before finishing it; see that worker's crash above")
        if time.monotonic() > deadline:
            raise TimeoutError(f"schema-guard: another pytest-xdist worker did not finish the gate ({path})")
        time.sleep(0.1)
    document = json.loads(path.read_text(encoding="utf-8"))
    if "error" in document:
        if document.get("config_error"):
            raise ConfigError(document["error"])
        raise RuntimeError(f"schema-guard: the gate failed in another pytest-xdist worker: {document['error']}")
    return [Finding(**{**row, "location": Location(**row["location"])}) for row in document["findings"]]
