"""The throwaway database, prepared in the background and torn down in the foreground.

``CREATE DATABASE`` (and, for the embedded default, ``initdb`` + server start) takes most of a second or more; the
gate starts it first, in a worker thread, while it loads the Alembic project and imports the models. Teardown runs
in the calling (main) thread, after waiting for the preparation to finish, shielded from Ctrl-C and SIGTERM: the
database is dropped and the embedded server stopped whatever happened, including a failure half-way through
preparing.

Stopping is prompt (SIGTERM or Ctrl-C during start-up included): :meth:`Provision.close` *cancels* the
preparation, which checks for that between steps and while ``initdb`` runs or the server starts, and releases the
thread, which then undoes what it made. The thread lives until then because it is the embedded server's parent (the
server is started to die with the thread that started it, see ``server._die_with_parent``). It is a daemon and
imports nothing (the driver is imported here, in the calling thread, first): an interrupt raised in the main thread
in the middle of an import can leave an import lock held, and a thread that then imported the same module would wait
forever. Should it still be stuck after :data:`STOP_WAIT_SECONDS`, the calling thread cleans up what it made itself,
and the stuck thread cannot keep the process alive.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from contextlib import ExitStack
from dataclasses import dataclass

from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import SQLAlchemyError

from schema_guard.config import Config
from schema_guard.gate.db.interrupts import check_cancelled, shielded
from schema_guard.gate.db.scratch_db import connection_failure, scratch_database, server_engine
from schema_guard.gate.db.server import postgres_server
from schema_guard.gate.db.snapshot import warm_up
from schema_guard.gate.tooling import DATABASE_UNAVAILABLE, ToolingProblem

log = logging.getLogger("schema_guard.gate")
STOP_WAIT_SECONDS = 8.0


@dataclass(frozen=True)
class Scratch:
    """The throwaway database and the one connection the gate migrates it through."""

    url: URL
    connection: Connection


class Provision:
    def __init__(self, config: Config, database_url: str | None) -> None:
        self._config = config
        self._database_url = database_url
        self._stack = ExitStack()
        self._cancelled = threading.Event()
        self._released = threading.Event()
        self._future: Future[Scratch] = Future()
        self._teardown_error: BaseException | None = None
        import_driver()
        self._thread = threading.Thread(target=self._run, name="schema-guard-provision", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._future.set_result(self._prepare())
        except BaseException as error:  # noqa: BLE001 - handed to the waiting thread
            self._future.set_exception(error)
        self._released.wait()
        try:
            self._stack.close()
        except BaseException as error:  # noqa: BLE001 - re-raised by close() in the calling thread
            self._teardown_error = error

    def _prepare(self) -> Scratch:
        server_url = self._stack.enter_context(postgres_server(self._config, self._database_url, self._cancelled))
        check_cancelled(self._cancelled)
        url = self._stack.enter_context(scratch_database(server_url))
        check_cancelled(self._cancelled)
        engine = server_engine(url)
        self._stack.callback(engine.dispose)
        try:
            connection = engine.connect()
        except SQLAlchemyError as error:
            raise ToolingProblem(DATABASE_UNAVAILABLE, connection_failure(url, error)) from None
        self._stack.callback(connection.close)
        check_cancelled(self._cancelled)
        warm_up(connection)
        return Scratch(url, connection)

    def scratch(self) -> Scratch:
        """Wait for the database (raises the :class:`ToolingProblem` that stopped its preparation)."""
        return self._future.result()

    def close(self) -> None:
        """Cancel the preparation if it is still going, then drop the database and stop the server (never
        interrupted)."""
        with shielded():
            self._cancelled.set()
            self._released.set()
            self._thread.join(timeout=STOP_WAIT_SECONDS)
            if self._thread.is_alive():
                log.info("the throwaway database's preparation did not stop; cleaning up what it made")
                self._stack.close()
            if self._teardown_error is not None:
                raise self._teardown_error


def import_driver() -> None:
    """Import the PostgreSQL driver (and the parts it loads on first connect) in the calling thread."""
    import psycopg
    import psycopg.pq  # noqa: F401
    from sqlalchemy.dialects.postgresql import psycopg as dialect  # noqa: F401

    psycopg.pq.version()
