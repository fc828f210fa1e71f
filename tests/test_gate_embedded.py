"""The embedded default: with no URL the gate starts its own PostgreSQL from the machine's binaries (as the
``postgres`` user when run as root), and nothing of it — process or folder — outlives the run."""

from __future__ import annotations

from pathlib import Path

import pytest

from schema_guard.config import DATABASE_URL_ENV, load_config
from schema_guard.gate import run_gate
from schema_guard.gate.db import server
from tests.gate.support import expected_findings, materialise, process_alive, project_path

pytestmark = pytest.mark.skipif(server.find_postgres_bindir() is None, reason="no PostgreSQL server binaries")


@pytest.fixture
def embedded_servers(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """No URL anywhere; record every embedded server the gate starts (its folder and pid)."""
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    started: list[tuple[Path, int]] = []
    original = server.EmbeddedPostgres._launch

    def recording_launch(self, data):  # type: ignore[no-untyped-def]
        ok = original(self, data)
        if ok:
            started.append((self.folder, self.process.pid))
        return ok

    monkeypatch.setattr(server.EmbeddedPostgres, "_launch", recording_launch)
    yield started
    for folder, pid in started:
        assert not folder.exists(), f"embedded server folder {folder} left behind"
        assert not process_alive(pid), f"embedded server pid {pid} still running"


@pytest.mark.parametrize("name", ["good", "index_not_concurrent", "missing_tenant_index"])
def test_embedded_default_runs_the_gate(name: str, tmp_path: Path, embedded_servers: list[tuple[Path, int]],
                                        isolated_models: None) -> None:
    root = materialise(name, tmp_path)
    config = load_config(cwd=root)
    assert config.database_url() is None
    findings = run_gate(config)
    assert {(f.code, project_path(f.path, root), f.line) for f in findings} == expected_findings(root)
    assert len(embedded_servers) == 1


def test_no_url_and_no_binaries_says_how_to_provide_a_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  isolated_models: None) -> None:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    monkeypatch.setattr(server, "find_postgres_bindir", lambda: None)
    findings = run_gate(load_config(cwd=materialise("good", tmp_path)))
    assert [(f.code, f.severity) for f in findings] == [("SG010", "fatal")]
    message = findings[0].message
    assert "--database-url" in message and DATABASE_URL_ENV in message and "initdb" in message


def test_binaries_are_found_the_documented_ways() -> None:
    folder = server.find_postgres_bindir()
    assert folder is not None and (folder / "initdb").is_file() and (folder / "postgres").is_file()


def test_the_embedded_server_stops_and_is_removed_when_the_gate_is_interrupted(
    tmp_path: Path, embedded_servers: list[tuple[Path, int]], isolated_models: None
) -> None:
    """Ctrl-C (a real SIGINT to this process) while a revision runs, in-process."""
    import logging
    import os
    import signal
    import threading

    class InterruptOnceCreated(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "created throwaway database" in record.getMessage():
                threading.Timer(2.0, os.kill, (os.getpid(), signal.SIGINT)).start()

    slow = materialise("slow_revision", tmp_path)
    logger = logging.getLogger("schema_guard.gate")
    handler, level = InterruptOnceCreated(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with pytest.raises(KeyboardInterrupt):
            run_gate(load_config(cwd=slow))
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert len(embedded_servers) == 1  # the fixture asserts its folder is gone and its process has exited
