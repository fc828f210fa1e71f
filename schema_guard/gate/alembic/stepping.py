"""Run the migrations in-process on the throwaway database, one revision at a time, through the project's own env.py.

``env.py`` runs once per phase (upgrade to head, downgrade, upgrade again) with the gate's open connection in
``config.attributes["connection"]``; ``sqlalchemy.url``, ``SCHEMA_GUARD_DATABASE_URL`` and ``DATABASE_URL`` name the
throwaway database too, for an env.py that ignores the connection. The gate never reads (or interpolates) an option
env.py owns: ``sqlalchemy.url = %(DATABASE_URL)s`` is env.py's business, exactly as under ``alembic upgrade``.

When env.py calls ``context.configure(connection=...)``, the gate looks at that connection before Alembic uses it:
a connection to the throwaway database is kept; any other (env.py built its own engine from application settings)
is replaced by the gate's, so Alembic never touches a database the gate did not create. Alembic asks the gate which
steps to run; the gate hands them over one by one and remembers the step in flight, so a failure (any exception,
``sys.exit()`` included) is attributed to its revision, with env.py's own transaction settings kept.
"""

from __future__ import annotations

import inspect
import logging
import logging.config
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import URL, Connection

from schema_guard.config import DATABASE_URL_ENV
from schema_guard.facts import Location
from schema_guard.gate.alembic.revisions import MigrationProject, Revision
from schema_guard.gate.tooling import BROKEN_ALEMBIC, ToolingProblem, error_text

log = logging.getLogger("schema_guard.gate")

HOW_TO_PASS_SETTINGS = (
    "the gate runs env.py with your own environment, so set the variables your application's settings read, as for "
    "`alembic upgrade` (Alembic still gets only the throwaway database)"
)


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
        return deepest_line(self.error, self.revision.path)


def deepest_line(error: BaseException, path: Path) -> int | None:
    """The line of ``path`` in ``error``'s traceback closest to where it was raised (``None``: not in it)."""
    target = os.path.realpath(path)
    if isinstance(error, SyntaxError) and error.filename and os.path.realpath(error.filename) == target:
        return error.lineno
    found = None
    trace = error.__traceback__
    while trace is not None:
        if os.path.realpath(trace.tb_frame.f_code.co_filename) == target:
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
        self.version_table_schema: str | None = None
        self.comparison_options: dict[str, Any] = {}
        """env.py's own :data:`COMPARISON_OPTIONS` (only the ones its ``configure()`` call received)."""
        self.env_ran = False
        self.on_step: Any = None
        """Called with (direction, index, total, revision id) before each step (progress display)."""
        self.steps_planned: int | None = None
        """How many revision steps Alembic planned in the last run (``None``: env.py never called
        ``context.run_migrations()``); tells a gate that applied nothing from one that found nothing to apply."""

    def upgrade(self, destination: str = "heads") -> StepFailure | None:
        return self._run("upgrade", destination)

    def downgrade(self, destination: str = "base") -> StepFailure | None:
        return self._run("downgrade", destination)

    def current_heads(self) -> tuple[str, ...]:
        context = MigrationContext.configure(self.connection, opts={"version_table": self.version_table,
                                                                    "version_table_schema": self.version_table_schema})
        heads = context.get_current_heads()
        if self.connection.in_transaction():
            self.connection.commit()
        return heads

    def _run(self, direction: str, destination: str) -> StepFailure | None:
        script = self.project.script
        in_flight: list[Any] = [None]
        ran: list[Any] = []
        self.steps_planned = None

        def steps(heads: tuple[str, ...], context: MigrationContext) -> Iterator[Any]:
            self._inspect(context)
            planned = list(script._upgrade_revs(destination, heads) if direction == "upgrade"
                           else script._downgrade_revs(destination, heads))
            self.steps_planned = len(planned)
            for index, step in enumerate(planned, start=1):
                in_flight[0] = step
                if self.on_step is not None:
                    self.on_step(direction, index, len(planned), getattr(step.revision, "revision", "?"))
                yield step
                ran.append(step)
            in_flight[0] = None

        if self.connection.in_transaction():
            self.connection.commit()
        try:
            with _env_settings(self.project, self.connection, self.url), _gate_environment(
                self, self.project.alembic_config, script, fn=steps, as_sql=False, starting_rev=None,
                destination_rev=destination, tag=None,
            ):
                script.run_env()
        except (ToolingProblem, KeyboardInterrupt):
            raise
        except BaseException as error:  # noqa: B036  sys.exit() in a revision is that revision's failure, not ours
            self._reset_connection()
            step = in_flight[0] or (ran[-1] if ran else None)
            revision = self.project.find(getattr(getattr(step, "revision", None), "revision", None))
            if revision is None and not self.env_ran:
                raise self._env_failed(error) from None
            return StepFailure(revision, direction, error)
        self._reset_connection()
        return None

    def _env_failed(self, error: BaseException) -> ToolingProblem:
        """env.py raised before Alembic ran anything: its own error, at its own line, and how to pass settings."""
        env = self.project.env_path
        line = deepest_line(error, env)
        return ToolingProblem(
            BROKEN_ALEMBIC,
            f"{self.project.relpath(env)} fails before running any revision: {error_text(error)}; "
            f"{HOW_TO_PASS_SETTINGS}",
            Location(str(env.resolve()), line, 1 if line else None),
        )

    def _reset_connection(self) -> None:
        try:
            if self.connection.in_transaction():
                self.connection.commit()
        except Exception:
            self.connection.rollback()

    def connection_for_alembic(self, given: Any) -> Connection:
        """The connection Alembic may use: env.py's when it is in the throwaway database, else the gate's own."""
        if given is None or given is self.connection or isinstance(given, _EngineLike):
            return self.connection
        try:
            began = not given.in_transaction()
            database = given.exec_driver_sql("SELECT current_database()").scalar()
            if began:  # leave env.py's connection as it was: Alembic decides about transactions from its state
                given.rollback()
        except Exception:  # not a usable SQLAlchemy connection: Alembic gets the gate's
            database = None
        if database == self.url.database:
            return given  # type: ignore[no-any-return]
        log.info("env.py connected to database %r; Alembic gets the throwaway database's connection instead",
                 database)
        return self.connection

    def _inspect(self, context: MigrationContext) -> None:
        """Remember what env.py configured (the last ``configure()`` call counts)."""
        self.env_ran = True
        self.target_metadata = context.opts.get("target_metadata")
        self.version_table = context.version_table
        self.version_table_schema = context.version_table_schema
        self.comparison_options = {name: context.opts[name] for name in COMPARISON_OPTIONS if name in context.opts}


COMPARISON_OPTIONS = ("compare_type", "compare_server_default", "include_object", "include_name", "include_schemas")
"""The ``configure()`` options that decide what ``alembic check`` reports as drift: the gate compares with them."""


_CONFIGURE = inspect.signature(EnvironmentContext.configure)


def _gate_environment(runner: MigrationRunner, *args: Any, **kwargs: Any) -> EnvironmentContext:
    """Alembic's environment, but its ``configure()`` checks the connection env.py hands over before Alembic uses it
    (Alembic writes its version table before the first step, so checking any later would be too late). Set on the
    instance: ``alembic.context.configure`` calls the instance's attribute."""
    environment = EnvironmentContext(*args, **kwargs)
    configure = environment.configure

    def checked_configure(*positional: Any, **keywords: Any) -> None:
        arguments = _CONFIGURE.bind(environment, *positional, **keywords).arguments
        arguments.pop("self")
        extra = arguments.pop("kw", {})
        arguments["connection"] = runner.connection_for_alembic(arguments.get("connection"))
        arguments.pop("url", None)  # a URL only matters without a connection (offline mode)
        configure(**arguments, **extra)

    environment.configure = checked_configure  # type: ignore[method-assign]
    return environment


URL_VARIABLES = (DATABASE_URL_ENV, "DATABASE_URL")
"""Environment variables an env.py commonly reads its URL from; they name the throwaway database while it runs."""
URL_OPTION = "sqlalchemy.url"


@contextmanager
def _env_settings(project: MigrationProject, connection: Connection, url: URL) -> Iterator[None]:
    """Point every way env.py may find its database at the throwaway one; keep env.py from reconfiguring logging.

    The option is saved and restored raw (never interpolated): ``%(DATABASE_URL)s`` may only resolve once env.py has
    set ``DATABASE_URL``, and in the URL the gate sets, ``%`` is escaped for ConfigParser."""
    config = project.alembic_config
    parser, section = config.file_config, config.config_ini_section
    rendered = url.render_as_string(hide_password=False)
    previous_url = parser.get(section, URL_OPTION, raw=True) if parser.has_option(section, URL_OPTION) else None
    previous_env = {name: os.environ.get(name) for name in URL_VARIABLES}
    previous_file_config = logging.config.fileConfig
    config.attributes["connection"] = _EngineLike(connection)
    config.set_main_option(URL_OPTION, rendered.replace("%", "%%"))
    os.environ.update({name: rendered for name in URL_VARIABLES})
    logging.config.fileConfig = _no_logging_config  # type: ignore[assignment]
    try:
        yield
    finally:
        logging.config.fileConfig = previous_file_config  # type: ignore[assignment]
        config.attributes.pop("connection", None)
        if previous_url is not None:
            parser.set(section, URL_OPTION, previous_url)
        elif parser.has_section(section):
            parser.remove_option(section, URL_OPTION)
        for name, value in previous_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class _EngineLike:
    """The gate's connection as handed to env.py: a :class:`Connection` for the Alembic cookbook's
    ``context.configure(connection=config.attributes["connection"])``, and, for an env.py that treats the attribute
    as an Engine (``with connectable.connect() as connection:``, or ``connection = connectable.connect()`` then
    ``connection.commit()`` and ``connection.close()``), a ``connect()``/``begin()`` that lend the same connection.
    Closing or disposing of what env.py was handed leaves the gate's connection open: the gate closes it itself,
    after the round trip. Every other attribute is the connection's own."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def connect(self) -> _Lent:
        return _Lent(self._connection)

    begin = connect

    def close(self) -> None:
        """Not env.py's to close."""

    def dispose(self, *args: object, **kwargs: object) -> None:
        """Not env.py's to dispose of."""

    def __enter__(self) -> Connection:
        return self._connection

    def __exit__(self, *exc: object) -> None:
        """The gate closes its connection itself, after the round trip."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


class _Lent(_EngineLike):
    """What ``connect()`` on the handed-over "engine" returns: the same connection, as a context manager too."""


def _no_logging_config(*args: Any, **kwargs: Any) -> None:
    """env.py's ``fileConfig(config.config_file_name)`` would print every step and disable other loggers."""
