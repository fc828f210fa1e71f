"""The throwaway database: created on the server under a random name, always dropped, whatever happens.

The database named in the server URL is only connected to (to run ``CREATE DATABASE`` / ``DROP DATABASE``); no
migration ever runs in it. The drop uses ``WITH (FORCE)`` (PostgreSQL 13+) so a connection that ``env.py`` forgot to
close cannot keep the database alive, and it runs shielded from Ctrl-C and SIGTERM. Each database carries its
owner in a comment, so the next run can drop what a killed run left behind (:mod:`.orphans`).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from schema_guard.gate.db.interrupts import shielded, signals_unwind
from schema_guard.gate.db.orphans import drop_orphaned_databases, label_database
from schema_guard.gate.db.server import safe_url
from schema_guard.gate.tooling import (
    DATABASE_UNAVAILABLE,
    HOW_TO_PROVIDE_DATABASE,
    ToolingProblem,
    database_error_text,
)

log = logging.getLogger("schema_guard.gate")
SCRATCH_PREFIX = "sg_gate_"
CONNECT_TIMEOUT_SECONDS = 10


def scratch_name() -> str:
    return f"{SCRATCH_PREFIX}{secrets.token_hex(6)}"


def server_engine(url: URL, **kwargs: object) -> Engine:
    """An engine without a pool (every connection is closed for real), with a connect timeout."""
    connect_args = {"connect_timeout": CONNECT_TIMEOUT_SECONDS} if url.get_driver_name().startswith("psycopg") else {}
    return create_engine(url, poolclass=NullPool, connect_args=connect_args, **kwargs)  # type: ignore[arg-type]


def connect_admin(url: URL) -> tuple[Engine, Connection]:
    """Connect to the server's own database in autocommit mode, or explain in one line why not."""
    engine = server_engine(url, isolation_level="AUTOCOMMIT")
    try:
        return engine, engine.connect()
    except SQLAlchemyError as error:
        engine.dispose()
        raise ToolingProblem(DATABASE_UNAVAILABLE, connection_failure(url, error)) from None


def connection_failure(url: URL, error: BaseException) -> str:
    """One line: what went wrong connecting to ``url`` and how to provide a working server."""
    text = database_error_text(error)
    lowered = text.lower()
    if "password authentication failed" in lowered or ("role" in lowered and "does not exist" in lowered) \
            or "no pg_hba.conf entry" in lowered or "authentication" in lowered:
        cause = f"PostgreSQL at {safe_url(url)} rejected the login: {text}"
    elif "database" in lowered and "does not exist" in lowered:
        cause = f"PostgreSQL at {safe_url(url)}: {text} (the URL must name an existing database to connect to)"
    else:
        cause = f"cannot reach PostgreSQL at {safe_url(url)}: {text}"
    return f"{cause}; {HOW_TO_PROVIDE_DATABASE}"


@contextmanager
def scratch_database(server_url: URL) -> Iterator[URL]:
    """Create a randomly named database on the server, yield its URL, and drop it at the end (also on Ctrl-C)."""
    with signals_unwind():
        engine, admin = connect_admin(server_url)
        name = scratch_name()
        try:
            _drop_orphans(admin)
            _create(admin, server_url, name)
            try:
                label_database(admin, name)
                log.info("created throwaway database %s on %s", name, safe_url(server_url))
                yield server_url.set(database=name)
            finally:
                with shielded():
                    admin = drop_database(engine, admin, name)
                    log.info("dropped throwaway database %s", name)
        finally:
            admin.close()
            engine.dispose()


def _drop_orphans(admin: Connection) -> None:
    """Best effort: a server where we may not look or drop is not a reason to stop the gate."""
    try:
        drop_orphaned_databases(admin, SCRATCH_PREFIX)
    except SQLAlchemyError as error:
        log.info("could not look for throwaway databases left by killed runs: %s", database_error_text(error))


def _create(admin: Connection, url: URL, name: str) -> None:
    try:
        admin.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except DBAPIError as error:
        text = database_error_text(error)
        if "permission denied" in text.lower():
            raise ToolingProblem(
                DATABASE_UNAVAILABLE,
                f"the role '{url.username}' at {safe_url(url)} may not create databases ({text}): grant it with "
                f"ALTER ROLE \"{url.username}\" CREATEDB, or {HOW_TO_PROVIDE_DATABASE}",
            ) from None
        raise ToolingProblem(
            DATABASE_UNAVAILABLE, f"cannot create a throwaway database on {safe_url(url)}: {text}"
        ) from None


def drop_database(engine: Engine, admin: Connection, name: str) -> Connection:
    """Drop ``name``, reconnecting once if the admin connection was lost; returns the connection in use."""
    for attempt in range(2):
        try:
            if admin.closed or admin.invalidated:
                admin = engine.connect()  # the server may have closed the idle admin connection
            if admin.dialect.server_version_info and admin.dialect.server_version_info >= (13,):
                admin.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            else:
                admin.exec_driver_sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %(name)s "
                    "AND pid <> pg_backend_pid()",
                    {"name": name},
                )
                admin.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            return admin
        except SQLAlchemyError as error:
            if attempt == 1:
                raise ToolingProblem(
                    DATABASE_UNAVAILABLE,
                    f"could not drop the throwaway database {name}: {database_error_text(error)}; drop it by hand",
                ) from None
            admin.close()
    return admin
