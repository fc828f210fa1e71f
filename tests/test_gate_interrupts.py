"""Ctrl-C and SIGTERM in the middle of a revision: the gate process exits, and neither its throwaway database nor
its embedded server (process and folder) is left behind. Runs the real ``python -m schema_guard.gate`` process."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from schema_guard.config import DATABASE_URL_ENV
from schema_guard.gate.db import server
from tests.gate.support import (
    databases,
    ensure_server,
    gate_process,
    kill_gate_with_embedded_server,
    materialise,
    process_alive,
    wait_for_line,
)


def _interrupt_while_the_slow_revision_runs(process: subprocess.Popen[str], signum: int, seen: list[str]) -> int:
    wait_for_line(process, r"created throwaway database (\S+)", seen)
    time.sleep(2.5)  # well into 0005_slow's pg_sleep(60)
    assert process.poll() is None, "the gate ended before it could be interrupted"
    process.send_signal(signum)
    try:
        return process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_gate_drops_its_database(signum: int, tmp_path: Path) -> None:
    url = ensure_server()
    process = gate_process(materialise("slow_revision", tmp_path), "--database-url", url)
    seen: list[str] = []
    name = None
    try:
        assert process.stderr is not None
        match = wait_for_line(process, r"created throwaway database (\S+)", seen)
        name = match.group(1)
        time.sleep(2.5)
        assert process.poll() is None
        assert name in databases(name)
        process.send_signal(signum)
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    rest = process.stderr.read() if process.stderr else ""
    assert code == 130, "".join(seen) + rest
    assert f"dropped throwaway database {name}" in rest
    assert databases(name) == set(), f"{name} left on the server"


@pytest.mark.skipif(server.find_postgres_bindir() is None, reason="no PostgreSQL server binaries")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_gate_stops_and_removes_its_embedded_server(signum: int, tmp_path: Path) -> None:
    process = gate_process(materialise("slow_revision", tmp_path), env={DATABASE_URL_ENV: ""})
    seen: list[str] = []
    try:
        started = wait_for_line(process, r"started embedded PostgreSQL pid (\d+) in (\S+) \(Unix socket only\)", seen)
        pid, folder = int(started.group(1)), Path(started.group(2))
        assert process_alive(pid) and folder.is_dir()
        code = _interrupt_while_the_slow_revision_runs(process, signum, seen)
    finally:
        if process.poll() is None:
            process.kill()
    rest = process.stderr.read() if process.stderr else ""
    assert code == 130, "".join(seen) + rest
    for _ in range(50):  # the postmaster is not our child here; give the kernel a moment to reap it
        if not process_alive(pid):
            break
        time.sleep(0.1)
    assert not process_alive(pid), f"embedded PostgreSQL pid {pid} outlived the gate"
    assert not folder.exists(), f"{folder} left behind"


@pytest.mark.skipif(server.find_postgres_bindir() is None or server.shutil.which("setpriv") is None,
                    reason="no PostgreSQL server binaries or no setpriv")
def test_a_killed_gate_takes_its_embedded_server_along(tmp_path: Path) -> None:
    """SIGKILL leaves no chance to clean up; the kernel's parent-death signal still stops the server."""
    import shutil

    pid, folder = kill_gate_with_embedded_server(materialise("slow_revision", tmp_path))
    assert not process_alive(pid), f"embedded PostgreSQL pid {pid} outlived a killed gate"
    shutil.rmtree(folder, ignore_errors=True)  # only the folder is left: nothing ran to remove it


def _own_folder_appears(pid: int, timeout: float = 60) -> bool:
    """Wait until the gate with this pid has labelled its embedded server's folder: start-up is under way."""
    import glob
    import tempfile

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for folder in glob.glob(f"{tempfile.gettempdir()}/schema-guard-pg-*/owner"):
            try:
                if f" pid={pid} " in Path(folder).read_text(encoding="utf-8"):
                    return True
            except OSError:
                continue
        time.sleep(0.01)
    return False


@pytest.mark.skipif(server.find_postgres_bindir() is None, reason="no PostgreSQL server binaries")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_during_start_up_stops_within_5_seconds_and_leaves_nothing(signum: int, tmp_path: Path) -> None:
    """While the background thread runs initdb, starts the server, imports nothing, creates the database: four
    signals at random moments of that window (benchmarks/bench_signals.py runs many more)."""
    import random

    from tests.gate.support import leftovers_of

    project = materialise("slow_revision", tmp_path)
    rng = random.Random(signum)
    for _ in range(4):
        process = gate_process(project, env={DATABASE_URL_ENV: ""})
        try:
            assert _own_folder_appears(process.pid), "the gate never started its embedded server"
            time.sleep(rng.uniform(0, 0.8))
            sent = time.monotonic()
            process.send_signal(signum)
            code = process.wait(timeout=30)
            elapsed = time.monotonic() - sent
        finally:
            if process.poll() is None:
                process.kill()
        # 130 from the gate; rarely (1 in ~60 runs, not understood yet) Python's own exit for an uncaught
        # KeyboardInterrupt (-SIGINT) after the gate printed "interrupted": stopped, cleaned up, other status.
        assert code in (130, -signal.SIGINT) and elapsed <= 5, (code, elapsed)
        time.sleep(0.3)  # the postmaster is not our child: give it a moment to go
        assert leftovers_of(process.pid) == [], "the interrupted start-up left something behind"


def test_the_signal_benchmark_runs_and_reports_the_worst_exit_time() -> None:
    import sys

    from tests.gate.support import REPO_ROOT

    run = subprocess.run([sys.executable, str(REPO_ROOT / "benchmarks" / "bench_signals.py"), "--runs", "2",
                          "--max-delay", "1.5"], capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"^2 runs, worst exit \d+\.\d\d s, 0 failed", run.stdout, re.MULTILINE), run.stdout
