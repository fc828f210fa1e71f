"""The tenant guard: watches the SQL an engine runs and records every query that is not pinned to one tenant (SG701).

It listens to ``before_cursor_execute`` on the engines it is installed on: that hook sees every statement that
reaches the database — ORM ``select()``/``Query``/``session.get()``, Core statements, the unit of work's INSERTs,
``text()`` — together with the compiled statement (so the ORM's joins and loader criteria are resolved) and the
bound parameters (so an INSERT's tenant value can be read). While any guard is installed, a ``do_orm_execute``
listener on :class:`~sqlalchemy.orm.Session` tags refreshes of expired attributes so they are not judged: they
reload columns of an object the test already loaded through a judged query. Relationship loads (lazy, selectin)
are judged like any SELECT: ``question.exams`` from a shared question through a link table returns every
student's exams unless the relationship's join pins the tenant (a composite ``(student_id, exam_id)`` foreign key
does). The unit of work's UPDATE/DELETE of loaded objects are not judged.

Identity-map hits (``session.get()`` of an object already in the session) emit no SQL and are not seen.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import Delete, Update

from schema_guard.facts import Location
from schema_guard.findings import Finding
from schema_guard.runtime.scoping import TableScopes
from schema_guard.runtime.statements import Problem, StatementChecker
from schema_guard.tenancy import TenantPolicy

LOAD_TAG = "schema_guard_follow_up_load"
"""Execution option set on the ORM's refreshes of expired columns (not judged)."""

_LIBRARY_PACKAGES = frozenset({"sqlalchemy", "sqlmodel", "schema_guard", "psycopg", "psycopg2", "asyncpg", "contextlib",
                               "_pytest", "pytest", "pluggy", "threading", "asyncio", "greenlet", "concurrent"})


@dataclass
class Violation:
    """One query (at one place in the code) that touched a tenant-scoped table without a tenant predicate."""

    finding: Finding
    sql: str
    count: int = 1


class TenantGuardError(AssertionError):
    """Raised by :meth:`TenantGuard.assert_clean`; the message lists every violation."""


class TenantGuard:
    """Install on an engine, connection or session; run code; read :attr:`violations`.

    ``policy`` is the project's tenancy (``Config.tenancy``); ``metadata`` lists the MetaData whose tables raw SQL
    is searched for (default: ``SQLModel.metadata``). The guard judges statements only while :attr:`active`.
    """

    def __init__(self, policy: TenantPolicy | None = None, *, metadata: Iterable[MetaData] | None = None,
                 active: bool = True) -> None:
        self.policy = policy or TenantPolicy()
        self.active = active
        self.violations: list[Violation] = []
        self._metadata = list(metadata) if metadata is not None else None
        self._scopes = TableScopes(self.policy)
        self._checker = StatementChecker(self._scopes, self._known_tables)
        self._installed: list[Any] = []
        self._tagging = False
        self._allowed = 0
        self._lock = threading.Lock()
        self._index: dict[tuple[str, str, str | None, int | None], Violation] = {}

    # installing ---------------------------------------------------------------------------------------------

    def install(self, target: Any = None) -> Any:
        """Watch ``target`` — an Engine, Connection, Session, sessionmaker or scoped_session (their engines), or
        ``None`` for every engine — and return it, so ``session = guard.install(Session(engine))`` reads well."""
        for engine in _engines_of(target):
            self._listen(engine)
        return target

    def _listen(self, engine: Any) -> None:
        if Engine in self._installed or engine in self._installed:
            return
        if engine is Engine:  # every engine: the per-engine listeners would report twice
            self.uninstall()
        event.listen(engine, "before_cursor_execute", self._before_cursor_execute)
        self._installed.append(engine)
        if not self._tagging:
            _tag_follow_up_loads(+1)
            self._tagging = True

    def uninstall(self) -> None:
        for engine in self._installed:
            event.remove(engine, "before_cursor_execute", self._before_cursor_execute)
        self._installed = []
        if self._tagging:
            _tag_follow_up_loads(-1)
            self._tagging = False

    @contextmanager
    def allow(self, reason: str = "") -> Iterator[None]:
        """Statements run inside this block are not judged (seeding another tenant's rows, an admin path)."""
        self._allowed += 1
        try:
            yield
        finally:
            self._allowed -= 1

    # results ------------------------------------------------------------------------------------------------

    @property
    def findings(self) -> list[Finding]:
        return [violation.finding for violation in self.violations]

    def report(self, cwd: Path | None = None) -> str:
        """The violations as the CLI prints findings, each with the SQL that was run."""
        from schema_guard.reporters.text import format_finding

        total = sum(v.count for v in self.violations)
        lines = [f"schema-guard tenant guard: {total} quer{'y' if total == 1 else 'ies'} touched tenant-scoped "
                 f"tables without a {self.policy.tenant_column} predicate (SG701)"]
        for violation in self.violations:
            lines.append(format_finding(violation.finding, cwd or Path.cwd()))
            lines.append(f"    sql: {_one_line(violation.sql)}")
            if violation.count > 1:
                lines.append(f"    (run {violation.count} times)")
        return "\n".join(lines)

    def assert_clean(self) -> None:
        if self.violations:
            raise TenantGuardError(self.report())

    def clear(self) -> None:
        with self._lock:
            self.violations.clear()
            self._index.clear()

    # the hook -----------------------------------------------------------------------------------------------

    def _before_cursor_execute(self, conn: Connection, cursor: Any, statement: str, parameters: Any,
                               context: Any, executemany: bool) -> None:
        if not self.active or self._allowed:
            return
        try:
            problems = self.problems(statement, context)
        except Exception as error:  # noqa: BLE001 - never break the application's query; fail the test instead
            problems = [Problem("<unknown>", f"the tenant guard could not analyse this statement "
                                             f"({type(error).__name__}: {error}), so it cannot vouch for it",
                                "Report this to schema-guard with the SQL below; meanwhile use allow() here.")]
        if problems:
            self._record(problems, statement)

    def problems(self, sql: str, context: Any) -> list[Problem]:
        """What is wrong with one execution (``context`` is SQLAlchemy's execution context)."""
        options = context.execution_options
        if options.get(LOAD_TAG):
            return []
        compiled = context.compiled
        if compiled is None:
            return self._checker.check_raw(sql, "driver-level SQL (exec_driver_sql)")
        if not isinstance(compiled, SQLCompiler):
            return []
        if _unit_of_work_write(compiled.statement, options):
            return []
        return self._checker.check_compiled(compiled, context.compiled_parameters or [{}])

    def _record(self, problems: list[Problem], sql: str) -> None:
        from schema_guard.rules.runtime import UnfilteredTenantQuery

        location = caller_location()
        rule = UnfilteredTenantQuery()
        with self._lock:
            for problem in problems:
                key = (problem.table, problem.message, location.path, location.line)
                if key in self._index:
                    self._index[key].count += 1
                    continue
                finding = rule.finding(problem.message, location, reader="runtime", table=problem.table,
                                       column=self.policy.tenant_column, fix=problem.fix)
                self._index[key] = Violation(finding, sql)
                self.violations.append(self._index[key])

    def _known_tables(self) -> list[Table]:
        metadata = self._metadata
        if metadata is None:
            from sqlmodel import SQLModel

            metadata = [SQLModel.metadata]
        metadata = list(dict.fromkeys([*metadata, *self._scopes.seen_metadata()]))
        return [table for md in metadata for table in md.tables.values()]


def _unit_of_work_write(statement: Any, options: Any) -> bool:
    """An UPDATE/DELETE the ORM's flush emits for objects already loaded (it passes the mapper's statement cache
    as ``compiled_cache``, which application code does not)."""
    cache = options.get("compiled_cache")
    if not isinstance(statement, (Update, Delete)) or cache is None:
        return False
    return type(cache).__name__ == "LRUCache" and not any(str(key).startswith("_sa_orm") for key in options)


def _engines_of(target: Any) -> list[Any]:
    """The engines behind a target; ``Engine`` (the class) means every engine."""
    if target is None:
        return [Engine]
    for sync in ("sync_engine", "sync_session"):  # asyncio wrappers
        if getattr(target, sync, None) is not None:
            target = getattr(target, sync)
    if isinstance(target, Engine):
        return [target]
    if isinstance(target, Connection):
        return [target.engine]
    if isinstance(getattr(target, "session_factory", None), sessionmaker):  # scoped_session
        target = target.session_factory
    if isinstance(target, sessionmaker):
        bind = target.kw.get("bind")
        return _engines_of(bind) if bind is not None else [Engine]
    if isinstance(target, Session):
        binds = [target.bind, *getattr(target, "_Session__binds", {}).values()]
        engines = [engine for bind in binds if bind is not None for engine in _engines_of(bind)]
        return list(dict.fromkeys(engines)) or [Engine]
    raise TypeError(f"tenant guard: cannot install on {type(target).__name__}; pass an Engine, Connection, "
                    "Session, sessionmaker or scoped_session")


_tag_users = 0


def _tag_follow_up_loads(delta: int) -> None:
    """Listen (once, while any guard is installed) for the ORM's relationship and column loads, and tag them."""
    global _tag_users
    before = _tag_users
    _tag_users = max(0, _tag_users + delta)
    if before == 0 and _tag_users > 0:
        event.listen(Session, "do_orm_execute", _tag_orm_load)
    elif before > 0 and _tag_users == 0:
        event.remove(Session, "do_orm_execute", _tag_orm_load)


def _tag_orm_load(state: Any) -> None:
    if state.is_select and state.is_column_load and not state.is_relationship_load:
        state.update_execution_options(**{LOAD_TAG: True})


def caller_location() -> Location:
    """The innermost frame outside SQLAlchemy, SQLModel, the driver and schema-guard: the code that ran the query.

    Under an async engine SQLAlchemy runs the statement in a greenlet whose stack holds only library frames; the
    user's ``await`` is on the stack of the greenlet that switched into it, so the parents are searched too."""
    for start in _stacks(sys._getframe(1)):
        frame = start
        while frame is not None:
            module = frame.f_globals.get("__name__", "") or ""
            if module.split(".")[0] not in _LIBRARY_PACKAGES:
                return Location(frame.f_code.co_filename, frame.f_lineno, None)
            frame = frame.f_back  # type: ignore[assignment]
    return Location()


def _stacks(current: Any) -> Iterator[Any]:
    """The current frame, then the suspended frame of each parent greenlet (none when greenlet is not in use)."""
    yield current
    greenlet = sys.modules.get("greenlet")
    if greenlet is None:
        return
    parent = greenlet.getcurrent().parent
    while parent is not None:
        if parent.gr_frame is not None:
            yield parent.gr_frame
        parent = parent.parent


def _one_line(sql: str, limit: int = 300) -> str:
    text = re.sub(r"\s+", " ", sql).strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."
