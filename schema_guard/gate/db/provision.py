"""The throwaway database, prepared in the background and torn down in the foreground.

``CREATE DATABASE`` (and, for the embedded default, ``initdb`` + server start) takes most of a second or more; the
gate starts it first, in a worker thread, while it loads the Alembic project and imports the models. Teardown runs
in the calling (main) thread, after waiting for the preparation to finish, shielded from Ctrl-C and SIGTERM: the
database is dropped and the embedded server stopped whatever happened, including a failure half-way through
preparing.
"""

from __future__ import annotations

from concurrent.futures import Executor, Future
from contextlib import ExitStack
from dataclasses import dataclass

from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import SQLAlchemyError

from schema_guard.config import Config
from schema_guard.gate.db.interrupts import shielded
from schema_guard.gate.db.scratch_db import connection_failure, scratch_database, server_engine
from schema_guard.gate.db.server import postgres_server
from schema_guard.gate.db.snapshot import warm_up
from schema_guard.gate.tooling import DATABASE_UNAVAILABLE, ToolingProblem


@dataclass(frozen=True)
class Scratch:
    """The throwaway database and the one connection the gate migrates it through."""

    url: URL
    connection: Connection


class Provision:
    def __init__(self, config: Config, database_url: str | None, pool: Executor) -> None:
        self._config = config
        self._database_url = database_url
        self._stack = ExitStack()
        self._future: Future[Scratch] = pool.submit(self._prepare)

    def _prepare(self) -> Scratch:
        server_url = self._stack.enter_context(postgres_server(self._config, self._database_url))
        url = self._stack.enter_context(scratch_database(server_url))
        engine = server_engine(url)
        self._stack.callback(engine.dispose)
        try:
            connection = engine.connect()
        except SQLAlchemyError as error:
            raise ToolingProblem(DATABASE_UNAVAILABLE, connection_failure(url, error)) from None
        self._stack.callback(connection.close)
        warm_up(connection)
        return Scratch(url, connection)

    def scratch(self) -> Scratch:
        """Wait for the database (raises the :class:`ToolingProblem` that stopped its preparation)."""
        return self._future.result()

    def close(self) -> None:
        """Wait for the preparation to end, then drop the database and stop the server (never interrupted)."""
        with shielded():
            try:
                self._future.result()
            except BaseException:  # the failure was reported (or never asked for); cleanup is all that is left
                pass
            self._stack.close()
