"""Shared test setup: the PostgreSQL server the database tests use (and the gate tests' fixtures on it), and an
isolated SQLModel registry per test.

The server: ``SCHEMA_GUARD_TEST_DATABASE_URL`` (default: the machine's ``postgres`` on 127.0.0.1:5432) when a server
answers there; otherwise a throwaway server started with schema-guard's own embedded-server code (the PostgreSQL
binaries are enough), stopped when the run ends. Either way the URL is exported in that variable before any test
module is imported, and xdist workers inherit it from the controller, so one run starts at most one server.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest

from schema_guard.testing import isolated_models as isolated

TEST_DATABASE_URL_ENV = "SCHEMA_GUARD_TEST_DATABASE_URL"
DEFAULT_TEST_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
_STARTED = pytest.StashKey[contextlib.ExitStack]()
_ORIGIN = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):  # an xdist worker: the controller chose the server and exported its URL
        return
    wanted = os.environ.get(TEST_DATABASE_URL_ENV) or DEFAULT_TEST_SERVER
    if _answers(wanted):
        os.environ[TEST_DATABASE_URL_ENV] = wanted
        config.stash[_ORIGIN] = "running server"
        return
    from schema_guard.gate.db.server import EmbeddedPostgres
    from schema_guard.gate.tooling import ToolingProblem

    stack = contextlib.ExitStack()
    try:
        server = stack.enter_context(EmbeddedPostgres.started())
    except ToolingProblem as problem:
        raise pytest.UsageError(f"no PostgreSQL answers at {_safe(wanted)} and none could be started: {problem}")
    config.stash[_STARTED] = stack
    config.stash[_ORIGIN] = f"started for this run, nothing answered at {_safe(wanted)}"
    os.environ[TEST_DATABASE_URL_ENV] = server.url.render_as_string(hide_password=False)


def pytest_unconfigure(config: pytest.Config) -> None:
    stack = config.stash.get(_STARTED, None)
    if stack is not None:
        stack.close()


def pytest_report_header(config: pytest.Config) -> str:
    origin = config.stash.get(_ORIGIN, "chosen by the xdist controller")
    return f"schema-guard test database: {_safe(os.environ.get(TEST_DATABASE_URL_ENV, ''))} ({origin})"


def _answers(url: str) -> bool:
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    try:
        engine = sa.create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 3})
        with engine.connect():
            return True
    except Exception:  # noqa: BLE001 - refused, unknown host, bad URL: all mean "nothing usable answers here"
        return False


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<not a URL>"


@pytest.fixture
def isolated_models() -> Iterator[None]:
    """Reset SQLModel's global registry around a test and unload the modules it imported from tmp folders."""
    with isolated():
        yield


# --- the migration gate's tests (helpers in tests/gate/support.py) ------------------------------------------------


@pytest.fixture
def server_url() -> str:
    """The test server's URL (started if it is down)."""
    from tests.gate.support import ensure_server

    return ensure_server()


@pytest.fixture
def scratch_names(monkeypatch: pytest.MonkeyPatch, server_url: str) -> Iterator[list[str]]:
    """Give this test's throwaway databases a unique prefix, record the ones created, and assert afterwards that
    none of them is left on the server (the server's database list before and after, for this prefix)."""
    import secrets

    from schema_guard.gate.db import scratch_db
    from tests.gate.support import databases

    prefix = f"sg_gate_t{secrets.token_hex(4)}_"
    created: list[str] = []
    original = scratch_db._create

    def recording_create(admin, url, name):  # type: ignore[no-untyped-def]
        original(admin, url, name)
        created.append(name)

    monkeypatch.setattr(scratch_db, "SCRATCH_PREFIX", prefix)
    monkeypatch.setattr(scratch_db, "_create", recording_create)
    assert databases(prefix) == set()
    yield created
    assert databases(prefix) == set(), f"throwaway databases left on the server: {databases(prefix)}"
