"""Revision facts: what a per-revision rule sees of one Alembic revision, as plain data.

The migration gate reads each revision file without importing it (``schema_guard.gate.analysis``) and translates
what it read into these dataclasses, the way the model readers translate models into
:mod:`schema_guard.facts`: per-revision rules never see libcst nodes or the gate's modules, so they live with the
other rules and a team can write its own.

An :class:`Operation` is one ``op.<kind>(...)`` (or ``batch_op.<kind>(...)``) call, its arguments bound to
Alembic's parameter names (``op.create_index("ix", "t", ["c"])`` → ``index_name``, ``table_name``, ``columns``).
SQL a revision runs itself (``op.execute("...")``, ``conn.execute(sa.text("..."))``) is given as the statements
PostgreSQL's parser reads in it (:class:`SqlStatement`), never as text to match. Locations are resolved on first
use: computing line numbers costs a pass over the file, and only operations that end up in a finding need one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from schema_guard.location import Location

__all__ = ["Argument", "BodyKind", "NewColumn", "Operation", "RevisionFacts", "Sql", "SqlKind", "SqlStatement"]

BodyKind = Literal["missing", "empty", "raises", "ok"]
"""A revision function: ``missing``; ``empty`` (only ``pass``, ``...`` or a docstring); ``raises`` (nothing but a
``raise``); ``ok`` (it does something)."""

SqlKind = Literal[
    "data",  # SELECT / INSERT / UPDATE / DELETE / MERGE / COPY: rows, not schema
    "create_index",
    "drop_index",
    "add_constraint",
    "validate_constraint",
    "drop_table",
    "drop_column",
    "rename_table",
    "rename_column",
    "schema",  # any other DDL (CREATE TABLE, ALTER TYPE, CREATE EXTENSION, DO blocks, ...)
    "session",  # SET, transaction control, comments on nothing: neither rows nor schema
]


@dataclass(frozen=True)
class SqlStatement:
    """One SQL statement, as much of it as the rules ask about."""

    kind: SqlKind
    table: str | None = None
    name: str | None = None
    """The index, constraint or column the statement is about (a renamed column's old name, a renamed table's new
    one)."""
    concurrently: bool = False
    not_valid: bool = False
    constraint: str | None = None
    """``foreign key``, ``check``, ``unique``, ``primary key``... for ``add_constraint``."""


def _unread(text: str) -> tuple[SqlStatement, ...] | None:
    return None


@dataclass(frozen=True, eq=False)
class Sql:
    """SQL a revision runs: its text when it is a literal, and the statements PostgreSQL's parser reads in it."""

    text: str | None
    """``None`` when the SQL is built at run time (a variable, a format call)."""
    read: Callable[[str], tuple[SqlStatement, ...] | None] = field(default=_unread, repr=False)
    """The parser (given by the reader that made the fact); run on first use of :attr:`statements`."""

    @cached_property
    def statements(self) -> tuple[SqlStatement, ...] | None:
        """Every statement, or ``None`` when there is no literal or PostgreSQL's parser refuses it (a template,
        another dialect): rules make no guess about such SQL."""
        return self.read(self.text) if self.text is not None else None

    @property
    def data_only(self) -> bool:
        """The SQL is read and changes rows only (or nothing): no statement alters the schema."""
        return self.statements is not None and all(s.kind in {"data", "session"} for s in self.statements)


@dataclass(frozen=True)
class Argument:
    """One argument of an operation, as written and as a value where it is a literal."""

    code: str
    """The argument's source text (``sa.String(length=200)``)."""
    text: str | None = None
    """A string literal's value (a name wrapped in ``op.f("...")`` included)."""
    flag: bool | None = None
    """``True``/``False`` written as such."""
    strings: tuple[str, ...] | None = None
    """A list or tuple of string literals (``["student_id", "created_at"]``)."""


@dataclass(frozen=True)
class NewColumn:
    """A column a revision writes as ``sa.Column(...)`` (in ``add_column`` or ``create_table``)."""

    name: str | None
    type_code: str | None
    """The type as written (``sa.String(length=200)``)."""
    nullable: bool | None
    """``None`` when ``nullable=`` is not a literal; defaults to True (False for a primary key), like Column."""
    primary_key: bool = False
    server_default: str | None = None
    """SQL text of the server default (``sa.text("now()")`` → ``now()``, ``"x"`` → ``'x'``), else its code."""
    has_foreign_key: bool = False
    index: bool = False
    unique: bool = False


@dataclass(frozen=True, eq=False)
class Operation:
    """One ``op.*`` call of a revision function, in the order the function makes it."""

    kind: str
    """Alembic's operation name: ``create_index``, ``add_column``, ``execute``..."""
    table: str | None
    """The table it acts on (a batch's table for ``batch_op.*``); ``None`` when not a literal."""
    arguments: Mapping[str, Argument] = field(default_factory=dict)
    """Every argument by Alembic's parameter name (positional ones bound like Alembic binds them)."""
    in_autocommit_block: bool = False
    """Inside ``with op.get_context().autocommit_block():``: outside the migration's transaction."""
    column: NewColumn | None = None
    """``add_column``'s column."""
    table_columns: tuple[NewColumn, ...] = ()
    """``create_table``'s columns."""
    sql: Sql | None = None
    """``execute``'s SQL."""
    resolve_location: Callable[[], Location] = field(default=Location, repr=False, compare=False)
    """How :attr:`location` is found (by the reader that made the fact)."""

    @cached_property
    def location(self) -> Location:
        """Where the call is written (resolved on first use)."""
        return self.resolve_location()

    def text(self, parameter: str) -> str | None:
        """A string argument, ``None`` when it is missing or not a literal."""
        argument = self.arguments.get(parameter)
        return argument.text if argument is not None else None

    def flag(self, parameter: str) -> bool | None:
        """A ``True``/``False`` argument, ``None`` when it is missing or not a literal."""
        argument = self.arguments.get(parameter)
        return argument.flag if argument is not None else None

    def strings(self, parameter: str) -> tuple[str, ...] | None:
        """A list of string literals, ``None`` when it is missing or not one."""
        argument = self.arguments.get(parameter)
        return argument.strings if argument is not None else None

    def code(self, parameter: str) -> str | None:
        """An argument's source text, ``None`` when it is missing."""
        argument = self.arguments.get(parameter)
        return argument.code if argument is not None else None

    @property
    def name(self) -> str | None:
        """The index or constraint it creates or drops (``index_name`` / ``constraint_name``)."""
        return self.text("index_name") or self.text("constraint_name")

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns it lists (``columns``, or a foreign key's ``local_cols``); empty when not literals."""
        return self.strings("columns") or self.strings("local_cols") or ()

    @property
    def statements(self) -> tuple[SqlStatement, ...]:
        """The statements of ``op.execute("...")``; none when the SQL is not a literal or does not parse."""
        return (self.sql.statements or ()) if self.sql is not None else ()


DATA_OPERATIONS = frozenset({"execute", "bulk_insert"})


@dataclass(frozen=True, eq=False)
class RevisionFacts:
    """One revision file: its identity, and what its ``upgrade()`` and ``downgrade()`` do."""

    id: str
    path: str
    """Absolute: where findings in this revision are located."""
    down_revisions: tuple[str, ...] = ()
    upgrade: tuple[Operation, ...] = ()
    downgrade: tuple[Operation, ...] = ()
    upgrade_body: BodyKind = "missing"
    downgrade_body: BodyKind = "missing"
    connection_sql: tuple[Sql, ...] = ()
    """SQL ``upgrade()`` runs through a connection (``op.get_bind().execute(...)``) rather than ``op.execute``."""
    resolve_downgrade_location: Callable[[], Location] = field(default=Location, repr=False, compare=False)

    @property
    def location(self) -> Location:
        """The revision file (its first line): where a finding about the whole revision is reported."""
        return Location(self.path, 1, 1)

    @cached_property
    def downgrade_location(self) -> Location:
        """Where ``downgrade()`` is defined (the file when it is missing)."""
        return self.resolve_downgrade_location()

    @property
    def changes_schema(self) -> bool:
        """``False`` only for a revision that provably changes rows alone: its operations are ``op.execute`` and
        ``op.bulk_insert``, and every SQL it runs (through ``op.execute`` or a connection) is read as data
        statements (UPDATE, INSERT, DELETE, SELECT...). Anything that cannot be read counts as a schema change."""
        if any(operation.kind not in DATA_OPERATIONS for operation in self.upgrade):
            return True
        executed = [op.sql or Sql(None) for op in self.upgrade if op.kind == "execute"]
        executed += self.connection_sql
        if not executed and not self.upgrade:
            return True  # upgrade() does its work some other way (a helper, the ORM): nothing says it is data only
        return not all(sql.data_only for sql in executed)

    @property
    def irreversible(self) -> bool:
        """The downgrade cannot undo the upgrade: missing, empty or only raising, while the upgrade changes the
        schema."""
        return self.downgrade_body != "ok" and self.upgrade_body == "ok" and self.changes_schema
