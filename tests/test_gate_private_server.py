"""The embedded server is private: another local user can reach it neither through its socket nor over TCP (its
``trust`` login would make them a superuser able to run programs as the server's account)."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from schema_guard.gate.db import server
from schema_guard.gate.db.scratch_db import server_engine
from schema_guard.gate.tooling import ToolingProblem

pytestmark = pytest.mark.skipif(server.find_postgres_bindir() is None or shutil.which("runuser") is None
                                or shutil.which("psql") is None or os.geteuid() != 0,
                                reason="needs PostgreSQL binaries, psql, runuser and root (to act as another user)")
INTRUDER = "sg-intruder"


@pytest.fixture(scope="module")
def intruder() -> str:
    """A local account that is neither us nor the server's: created once if it does not exist."""
    try:
        pwd.getpwnam(INTRUDER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", INTRUDER],
                       check=True, capture_output=True)
    return INTRUDER


def _psql_as(user: str, *conninfo: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["runuser", "-u", user, "--", "psql", "-X", "-w", *conninfo, "-c", "SELECT 1"],
                          capture_output=True, text=True, timeout=30, check=False, cwd="/")


def test_another_local_user_is_refused_by_the_embedded_server(intruder: str) -> None:
    with server.EmbeddedPostgres.started() as embedded:
        folder = embedded.folder
        assert folder is not None
        with server_engine(embedded.url).connect() as connection:  # the gate itself gets in, through the socket
            assert connection.exec_driver_sql("SHOW listen_addresses").scalar() == "", "no TCP at all"
            port = connection.exec_driver_sql("SHOW port").scalar()
        assert oct(folder.stat().st_mode & 0o777) == "0o700"
        through_socket = _psql_as(intruder, "-h", str(folder), "-p", str(port), "-U", "postgres", "postgres")
    assert through_socket.returncode != 0 and "Permission denied" in through_socket.stderr, through_socket


def test_the_server_log_is_never_written_through_a_planted_symlink(tmp_path: Path) -> None:
    bindir = server.find_postgres_bindir()
    assert bindir is not None
    embedded = server.EmbeddedPostgres(bindir)
    embedded.folder = tmp_path
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    (tmp_path / "server.log").symlink_to(victim)
    with pytest.raises(ToolingProblem) as raised:
        embedded._launch(tmp_path / "data")
    assert raised.value.finding.code == "SG010" and "server.log" in raised.value.finding.message
    assert victim.read_text() == "precious\n" and embedded.process is None


def test_the_socket_url_reaches_the_server_with_sqlalchemy() -> None:
    with server.EmbeddedPostgres.started() as embedded:
        url = embedded.url
        assert url.host is None and url.port is None and url.query["host"] == str(embedded.folder)
        engine = server_engine(url)
        try:
            with engine.connect() as connection:
                assert connection.execute(sa.text("SELECT current_user")).scalar() == "postgres"
        finally:
            engine.dispose()
