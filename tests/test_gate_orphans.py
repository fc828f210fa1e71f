"""After a SIGKILL nothing ran to clean up; the next run removes what it can prove the dead run left — its
throwaway database (owner recorded in a database comment) and its embedded server's folder — and nothing else."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from schema_guard.gate.db import orphans, server
from schema_guard.gate.db.scratch_db import SCRATCH_PREFIX, scratch_database
from schema_guard.gate.db.server import parse_server_url
from schema_guard.run_owner import Owner, process_start_time
from tests.gate.support import (
    databases,
    ensure_server,
    gate_process,
    kill_gate_with_embedded_server,
    materialise,
    wait_for_line,
)


def _dead_owner() -> Owner:
    """The label of a process that has exited (its pid is free, or belongs to a later process)."""
    child = subprocess.Popen(["true"])
    start = process_start_time(child.pid) or "0"
    child.wait()
    return Owner(Owner.current().host, child.pid, start)


def _admin() -> sa.Engine:
    return sa.create_engine(ensure_server(), poolclass=NullPool, isolation_level="AUTOCOMMIT")


def _make_database(name: str, label: str) -> None:
    engine = _admin()
    with engine.connect() as admin:
        admin.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.exec_driver_sql(f"COMMENT ON DATABASE \"{name}\" IS '{label}'")
    engine.dispose()


def _drop(*names: str) -> None:
    engine = _admin()
    with engine.connect() as admin:
        for name in names:
            admin.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


def test_a_killed_gates_database_is_dropped_by_the_next_run(tmp_path: Path) -> None:
    url = ensure_server()
    process = gate_process(materialise("slow_revision", tmp_path), "--database-url", url)
    seen: list[str] = []
    try:
        name = wait_for_line(process, r"created throwaway database (\S+)", seen).group(1)
        time.sleep(1.0)
        process.kill()
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert name in databases(name), "SIGKILL left the database behind (nothing ran to drop it)"
    # The dead client's backend is still inside pg_sleep(60); the server notices the closed socket only when the
    # statement ends. Until then the database has a connection and is rightly kept; end that statement now.
    _end_backends(name)
    with scratch_database(parse_server_url(url)):
        pass
    assert databases(name) == set(), f"{name}, left by a killed run, was not dropped by the next one"


def _end_backends(name: str) -> None:
    engine = _admin()
    with engine.connect() as admin:
        admin.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %(n)s",
                              {"n": name})
        for _ in range(50):
            if not admin.exec_driver_sql("SELECT count(*) FROM pg_stat_activity WHERE datname = %(n)s",
                                         {"n": name}).scalar():
                break
            time.sleep(0.1)
    engine.dispose()


def test_only_provable_orphans_are_dropped() -> None:
    """Dropped: owner gone, no one connected. Kept: owner alive, someone connected, another host, no label."""
    base = f"{SCRATCH_PREFIX}o{os.getpid()}_"
    dead, alive, connected, elsewhere, unlabelled = (f"{base}{kind}" for kind in
                                                      ("dead", "alive", "connected", "elsewhere", "unlabelled"))
    gone = _dead_owner()
    _make_database(dead, gone.label())
    _make_database(alive, Owner.current().label())
    _make_database(connected, gone.label())
    _make_database(elsewhere, Owner("another-host", gone.pid, gone.start).label())
    _make_database(unlabelled, "made by hand")
    holder = sa.create_engine(sa.engine.make_url(ensure_server()).set(database=connected), poolclass=NullPool)
    try:
        with holder.connect():
            engine = _admin()
            with engine.connect() as admin:
                dropped = orphans.drop_orphaned_databases(admin, base)
            engine.dispose()
        assert dropped == [dead]
        assert databases(base) == {alive, connected, elsewhere, unlabelled}
    finally:
        holder.dispose()
        _drop(dead, alive, connected, elsewhere, unlabelled)


@pytest.mark.skipif(server.find_postgres_bindir() is None or shutil.which("setpriv") is None,
                    reason="no PostgreSQL server binaries or no setpriv")
def test_a_killed_gates_embedded_server_folder_is_removed_by_the_next_run(tmp_path: Path) -> None:
    _, folder = kill_gate_with_embedded_server(materialise("slow_revision", tmp_path))
    assert folder.is_dir(), "SIGKILL left the folder behind (nothing ran to remove it)"
    try:
        with server.EmbeddedPostgres.started() as next_run:
            assert next_run.folder != folder
            assert not folder.exists(), f"{folder}, left by a killed run, was not removed by the next one"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_folders_of_live_owners_or_running_servers_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(orphans.tempfile, "gettempdir", lambda: str(tmp_path))
    prefix = "schema-guard-pg-"
    gone = _dead_owner()
    for kind, owner in (("dead", gone), ("alive", Owner.current()), ("serving", gone)):
        folder = tmp_path / f"{prefix}{kind}"
        (folder / "data").mkdir(parents=True)
        (folder / orphans.OWNER_FILE).write_text(owner.label())
    (tmp_path / f"{prefix}serving" / "data" / "postmaster.pid").write_text(f"{os.getpid()}\n")
    (tmp_path / f"{prefix}unlabelled").mkdir()
    assert orphans.remove_orphaned_folders(prefix) == [tmp_path / f"{prefix}dead"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{prefix}{k}" for k in ("alive", "serving", "unlabelled")]
