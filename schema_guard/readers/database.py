"""The database reader: a live PostgreSQL schema, reflected into neutral schema facts (``reader="database"``).

One batched catalog query per kind (SQLAlchemy's ``get_multi_*`` inspector methods): columns (normalised type,
nullable, server default, time zone), primary keys, indexes (column order; expressions as their SQL text), unique
constraints and foreign keys. Following the facts' conventions, an index that only backs a unique constraint is not
repeated as an index. Locations come from a :class:`Locator` (the migration gate points at the revision that created
the table); without one, ``Location(path=None)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.types import TypeEngine

from schema_guard.facts import (
    ColumnFact,
    ForeignKeyFact,
    IndexFact,
    Location,
    SchemaFacts,
    TableFact,
    UniqueFact,
    normalise_type_name,
)

DEFAULT_EXCLUDED = ("alembic_version",)


class Locator(Protocol):
    """Where a database object was defined (e.g. the revision that created it)."""

    def table(self, table: str) -> Location: ...

    def column(self, table: str, column: str) -> Location: ...

    def index(self, table: str, name: str | None) -> Location: ...

    def constraint(self, table: str, name: str | None) -> Location: ...


class Nowhere:
    """The default locator: the database reader alone does not know where anything was defined."""

    def table(self, table: str) -> Location:
        return Location()

    def column(self, table: str, column: str) -> Location:
        return Location()

    def index(self, table: str, name: str | None) -> Location:
        return Location()

    def constraint(self, table: str, name: str | None) -> Location:
        return Location()


def read_database(
    bind: Connection | Engine | str,
    *,
    schema: str | None = None,
    exclude: Iterable[str] = DEFAULT_EXCLUDED,
    locator: Locator | None = None,
    only: Iterable[str] | None = None,
) -> SchemaFacts:
    """Reflect every table of ``schema`` (default: the connection's default schema) except ``exclude`` (or only the
    tables named in ``only``, whether or not they exist)."""
    if isinstance(bind, str):
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        engine = create_engine(bind, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                return read_database(connection, schema=schema, exclude=exclude, locator=locator, only=only)
        finally:
            engine.dispose()
    return _reflect(bind, schema, set(exclude), locator or Nowhere(), only)


def _reflect(bind: Connection | Engine, schema: str | None, exclude: set[str], locator: Locator,
             only: Iterable[str] | None) -> SchemaFacts:
    inspector = inspect(bind)
    candidates = list(only) if only is not None else inspector.get_table_names(schema=schema)
    names = [n for n in candidates if n not in exclude]
    facts = SchemaFacts(reader="database")
    if not names:
        return facts
    columns = inspector.get_multi_columns(schema=schema, filter_names=names)
    primary_keys = inspector.get_multi_pk_constraint(schema=schema, filter_names=names)
    indexes = inspector.get_multi_indexes(schema=schema, filter_names=names)
    uniques = inspector.get_multi_unique_constraints(schema=schema, filter_names=names)
    foreign_keys = inspector.get_multi_foreign_keys(schema=schema, filter_names=names)
    dialect = inspector.dialect
    for name in sorted(names):
        key = (schema, name)
        if key not in columns:  # named in ``only`` but not in the database
            continue
        table = TableFact(name=name, location=locator.table(name))
        table.columns = [_column(name, c, dialect, locator) for c in columns.get(key, [])]
        table.primary_key = tuple(primary_keys.get(key, {}).get("constrained_columns") or ())
        table.uniques = [
            UniqueFact(u.get("name"), tuple(u.get("column_names") or ()), locator.constraint(name, u.get("name")))
            for u in uniques.get(key, [])
        ]
        table.indexes = [_index(name, ix, locator) for ix in indexes.get(key, []) if not ix.get("duplicates_constraint")]
        table.foreign_keys = [
            ForeignKeyFact(
                columns=tuple(fk.get("constrained_columns") or ()),
                target_table=fk.get("referred_table") or "",
                target_columns=tuple(fk.get("referred_columns") or ()),
                name=fk.get("name"),
                location=locator.constraint(name, fk.get("name")),
            )
            for fk in foreign_keys.get(key, [])
        ]
        facts.tables.append(table)
    return facts


def _column(table: str, reflected: dict[str, Any], dialect: Any, locator: Locator) -> ColumnFact:
    type_ = reflected["type"]
    return ColumnFact(
        name=reflected["name"],
        type=database_type_name(type_, dialect),
        nullable=bool(reflected.get("nullable", True)),
        location=locator.column(table, reflected["name"]),
        server_default=reflected.get("default"),
        timezone=bool(getattr(type_, "timezone", False)) if _is_timestamp(type_) else None,
    )


def _index(table: str, reflected: dict[str, Any], locator: Locator) -> IndexFact:
    names = list(reflected.get("column_names") or ())
    expressions = list(reflected.get("expressions") or ())
    columns = tuple(
        column if column is not None else (expressions[i] if i < len(expressions) else "<expression>")
        for i, column in enumerate(names)
    )
    return IndexFact(
        name=reflected.get("name"),
        columns=columns,
        unique=bool(reflected.get("unique")),
        location=locator.index(table, reflected.get("name")),
    )


def _is_timestamp(type_: TypeEngine[Any]) -> bool:
    return type_.__class__.__name__.upper() in {"TIMESTAMP", "DATETIME"}


def database_type_name(type_: TypeEngine[Any], dialect: Any) -> str:
    """``UUID``, ``VARCHAR``, ``TIMESTAMP``, ``JSONB``, ``ARRAY``, ``ENUM``, ``FLOAT``..., as the facts spell them."""
    from sqlalchemy import ARRAY, Enum
    from sqlalchemy.types import NullType

    if isinstance(type_, NullType):
        return "UNKNOWN"
    if isinstance(type_, Enum):
        return "ENUM"
    if isinstance(type_, ARRAY):
        return "ARRAY"
    try:
        return normalise_type_name(type_.compile(dialect=dialect))
    except Exception:
        return normalise_type_name(type_.__class__.__name__)
