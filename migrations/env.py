"""Alembic environment for schema-guard's reference models.

Where the database comes from, first match wins:

1. ``config.attributes["connection"]``: an open :class:`sqlalchemy.engine.Connection` passed in programmatically
   (``cfg.attributes["connection"] = conn; command.upgrade(cfg, "head")``). schema-guard's migration gate uses this
   to migrate the throwaway database it created; the caller owns the connection and its transaction.
2. the ``DATABASE_URL`` environment variable (deliberately not ``SCHEMA_GUARD_DATABASE_URL``: that one names the
   *server* on which schema-guard creates throwaway databases, and must never be the database migrated here);
3. ``sqlalchemy.url`` in ``alembic.ini``.

``target_metadata`` is ``SQLModel.metadata`` after importing :mod:`reference_models` (which imports every model
module), so ``alembic revision --autogenerate`` and ``alembic check`` see every table.
"""

import os
import sys
from logging.config import fileConfig
from pathlib import Path

from alembic import context
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

# The repository root, so that `reference_models` imports however Alembic was started (alembic.ini also sets
# prepend_sys_path, but a programmatic Config may not have been built from it).
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import reference_models  # noqa: E402, F401  (registers every table in SQLModel.metadata)

DATABASE_URL_ENV = "DATABASE_URL"

config = context.config

# Configure logging from alembic.ini for command-line runs only; a program that passes its own connection (or sets
# attributes["configure_logger"] = False) keeps its logging untouched.
if (
    config.config_file_name is not None
    and config.attributes.get("configure_logger", True)
    and config.attributes.get("connection") is None
):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata

# Shared by online and offline runs, so that `alembic check` compares the same things `--autogenerate` writes.
COMPARE_OPTIONS = {
    "compare_type": True,
    "compare_server_default": True,
}


def database_url() -> str:
    """``DATABASE_URL`` if set, else ``sqlalchemy.url`` from alembic.ini."""
    url = os.environ.get(DATABASE_URL_ENV) or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError(f"no database URL: set {DATABASE_URL_ENV} or sqlalchemy.url in alembic.ini")
    return url


def run_migrations_offline() -> None:
    """Emit SQL to stdout (``alembic upgrade head --sql``) without connecting to a database."""
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **COMPARE_OPTIONS,
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, **COMPARE_OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate through the caller's connection if one was passed in, else through a new engine."""
    connection = config.attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
        return
    engine = create_engine(database_url(), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            do_run_migrations(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
