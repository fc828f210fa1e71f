"""A scratch PostgreSQL database holding the reference tables, and a fresh import of ``reference_models`` (other
tests clear SQLModel's registry between tests, which unmaps classes imported earlier)."""

from __future__ import annotations

import importlib
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from schema_guard.testing import reset_sqlmodel
from tests.gate.support import SERVER_URL


def fresh_reference_models() -> ModuleType:
    """``reference_models`` (and ``reference_app``) imported anew into an emptied SQLModel registry."""
    forget_reference_models()
    return importlib.import_module("reference_models")


def forget_reference_models() -> None:
    """Unload the reference packages and empty the registry, so the next importer maps them afresh."""
    reset_sqlmodel()
    for name in [n for n in sys.modules if n.split(".")[0] in ("reference_models", "reference_app")]:
        del sys.modules[name]


@contextmanager
def reference_database() -> Iterator[Engine]:
    """A database with a random name and the reference tables, dropped on exit."""
    name = f"sg_reference_{secrets.token_hex(5)}"
    admin = sa.create_engine(SERVER_URL, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = sa.create_engine(sa.make_url(SERVER_URL).set(database=name), poolclass=NullPool)
    try:
        models = fresh_reference_models()
        models.metadata.create_all(engine, tables=[models.metadata.tables[t] for t in models.TABLES])
        forget_reference_models()  # tests that import the models later must not find this registry's leftovers
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
