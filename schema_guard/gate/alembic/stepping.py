"""Run the migrations in-process on the throwaway database, one revision at a time, through the project's own env.py.

``env.py`` runs once per phase (upgrade to head, downgrade, upgrade again) with the gate's open connection in
``config.attributes["connection"]``; ``sqlalchemy.url``, ``SCHEMA_GUARD_DATABASE_URL`` and ``DATABASE_URL`` name the
throwaway database too, for an env.py that ignores the connection. Alembic asks the gate which steps to run; the gate
hands them over one by one and remembers the step in flight, so a failure is attributed to its revision, with env.py's
own transaction settings kept. Before the first step it checks that env.py really connected to the throwaway
database; otherwise nothing runs.
"""

from __future__ import annotations

import logging.config
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import URL, Connection

from schema_guard.config import DATABASE_URL_ENV
from schema_guard.gate.alembic.revisions import MigrationProject, Revision
from schema_guard.gate.tooling import BROKEN_ALEMBIC, ToolingProblem, first_line


@dataclass(frozen=True)
class StepFailure:
    """A revision (``None``: env.py itself) raised while upgrading or downgrading."""

    revision: Revision | None
    direction: str
    error: BaseException

    def line(self) -> int | None:
        """The line of the revision file the error came from (deepest frame in that file)."""
        if self.revision is None:
            return None
        found = None
        trace = self.error.__traceback__
        while trace is not None:
            if os.path.realpath(trace.tb_frame.f_code.co_filename) == str(self.revision.path):
                found = trace.tb_lineno
            trace = trace.tb_next
        return found


class MigrationRunner:
    """Upgrades and downgrades the throwaway database through one connection."""

    def __init__(self, project: MigrationProject, connection: Connection, url: URL) -> None:
        self.project = project
        self.connection = connection
        self.url = url
        self.target_metadata: Any = None
        self.version_table = "alembic_version"
        self.env_ran = False

    def upgrade(self, destination: str = "heads") -> StepFailure | None:
        return self._run("upgrade", destination)

    def downgrade(self, destination: str = "base") -> StepFailure | None:
        return self._run("downgrade", destination)

    def current_heads(self) -> tuple[str, ...]:
        context = MigrationContext.configure(self.connection, opts={"version_table": self.version_table})
        heads = context.get_current_heads()
        if self.connection.in_transaction():
            self.connection.commit()
        return heads

    def _run(self, direction: str, destination: str) -> StepFailure | None:
        script = self.project.script
        in_flight: list[Any] = [None]
        ran: list[Any] = []

        def steps(heads: tuple[str, ...], context: MigrationContext) -> Iterator[Any]:
            self._inspect(context)
            planned = (script._upgrade_revs(destination, heads) if direction == "upgrade"
                       else script._downgrade_revs(destination, heads))
            for step in planned:
                in_flight[0] = step
                yield step
                ran.append(step)
            in_flight[0] = None

        if self.connection.in_transaction():
            self.connection.commit()
        try:
            with _env_settings(self.project, self.connection, self.url), EnvironmentContext(
                self.project.alembic_config, script, fn=steps, as_sql=False, starting_rev=None,
                destination_rev=destination, tag=None,
            ):
                script.run_env()
        except ToolingProblem:
            raise
        except Exception as error:
            self._reset_connection()
            step = in_flight[0] or (ran[-1] if ran else None)
            revision = self.project.find(getattr(getattr(step, "revision", None), "revision", None))
            if revision is None and not self.env_ran:
                raise ToolingProblem(
                    BROKEN_ALEMBIC,
                    f"{self.project.relpath(self.project.env_path)} fails before running any revision: "
                    f"{type(error).__name__}: {first_line(getattr(error, 'orig', None) or error)}",
                ) from None
            return StepFailure(revision, direction, error)
        self._reset_connection()
        return None

    def _reset_connection(self) -> None:
        try:
            if self.connection.in_transaction():
                self.connection.commit()
        except Exception:
            self.connection.rollback()

    def _inspect(self, context: MigrationContext) -> None:
        """Remember what env.py configured, and refuse to run anywhere but in the throwaway database."""
        self.env_ran = True
        self.target_metadata = context.opts.get("target_metadata")
        self.version_table = context.version_table
        connection = context.connection
        if connection is None:
            raise ToolingProblem(BROKEN_ALEMBIC, "env.py ran in offline (--sql) mode; the gate needs a connection")
        if connection is not self.connection:
            database = connection.exec_driver_sql("SELECT current_database()").scalar()
            if database != self.url.database:
                raise ToolingProblem(
                    BROKEN_ALEMBIC,
                    f"{self.project.relpath(self.project.env_path)} connects to database '{database}', not to the "
                    f"throwaway database; make it use config.attributes['connection'] or sqlalchemy.url",
                )


URL_VARIABLES = (DATABASE_URL_ENV, "DATABASE_URL")
"""Environment variables an env.py commonly reads its URL from; they name the throwaway database while it runs."""


@contextmanager
def _env_settings(project: MigrationProject, connection: Connection, url: URL) -> Iterator[None]:
    """Point every way env.py may find its database at the throwaway one; keep env.py from reconfiguring logging."""
    config = project.alembic_config
    rendered = url.render_as_string(hide_password=False)
    previous_url = config.get_main_option("sqlalchemy.url")
    previous_env = {name: os.environ.get(name) for name in URL_VARIABLES}
    previous_file_config = logging.config.fileConfig
    config.attributes["connection"] = connection
    config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    os.environ.update({name: rendered for name in URL_VARIABLES})
    logging.config.fileConfig = _no_logging_config  # type: ignore[assignment]
    try:
        yield
    finally:
        logging.config.fileConfig = previous_file_config  # type: ignore[assignment]
        config.attributes.pop("connection", None)
        if previous_url is not None:
            config.set_main_option("sqlalchemy.url", previous_url.replace("%", "%%"))
        else:
            config.remove_main_option("sqlalchemy.url")
        for name, value in previous_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _no_logging_config(*args: Any, **kwargs: Any) -> None:
    """env.py's ``fileConfig(config.config_file_name)`` would print every step and disable other loggers."""
