"""A comparable picture of the migrated schema: reflected once, compared after a downgrade/upgrade round trip.

The snapshot holds the database reader's facts (reused for SG606) plus what facts do not carry but a downgrade
commonly leaves behind: enum types and sequences.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from schema_guard.facts import SchemaFacts, TableFact
from schema_guard.readers.database import Locator, read_database

ColumnShape = tuple[str, str, bool | None, str | None, bool | None]


@dataclass(frozen=True)
class TableShape:
    columns: tuple[ColumnShape, ...]
    primary_key: tuple[str, ...]
    indexes: frozenset[tuple[str | None, tuple[str, ...], bool]]
    uniques: frozenset[tuple[str | None, tuple[str, ...]]]
    foreign_keys: frozenset[tuple[str | None, tuple[str, ...], str, tuple[str, ...]]]

    @classmethod
    def of(cls, table: TableFact) -> TableShape:
        return cls(
            columns=tuple((c.name, c.type, c.nullable, c.server_default, c.timezone) for c in table.columns),
            primary_key=table.primary_key,
            indexes=frozenset((i.name, i.columns, i.unique) for i in table.indexes),
            uniques=frozenset((u.name, u.columns) for u in table.uniques),
            foreign_keys=frozenset((f.name, f.columns, f.target_table, f.target_columns) for f in table.foreign_keys),
        )


@dataclass(frozen=True)
class Snapshot:
    tables: dict[str, TableShape]
    enums: dict[str, tuple[str, ...]]
    sequences: frozenset[str]
    facts: SchemaFacts = field(compare=False, repr=False)


@dataclass(frozen=True)
class Difference:
    """One way two snapshots differ: ``kind`` is ``table``, ``column``, ``index``, ``unique``, ``foreign key``,
    ``primary key``, ``type`` (enum) or ``sequence``."""

    kind: str
    name: str
    table: str | None
    description: str


def take_snapshot(connection: Connection, *, version_table: str, locator: Locator | None = None) -> Snapshot:
    facts = read_database(connection, exclude=(version_table,), locator=locator)
    inspector = inspect(connection)
    enums = {e["name"]: tuple(e.get("labels") or ()) for e in inspector.get_enums()}  # type: ignore[attr-defined]
    sequences = frozenset(inspector.get_sequence_names())
    if connection.in_transaction():
        connection.commit()
    return Snapshot({t.name: TableShape.of(t) for t in facts.tables}, enums, sequences, facts)


def warm_up(connection: Connection, *, version_table: str = "alembic_version") -> None:
    """Take a snapshot of a table that does not exist: SQLAlchemy compiles and caches the catalog queries (and the
    server loads its catalog caches) while the gate is still busy elsewhere, instead of at head."""
    read_database(connection, exclude=(version_table,), only=("schema_guard_warm_up",))
    inspector = inspect(connection)
    inspector.get_enums()  # type: ignore[attr-defined]
    inspector.get_sequence_names()
    if connection.in_transaction():
        connection.commit()


def compare_snapshots(before: Snapshot, after: Snapshot) -> list[Difference]:
    """What ``after`` lacks, adds or changes relative to ``before``."""
    differences: list[Difference] = []
    for name in sorted(before.tables.keys() - after.tables.keys()):
        differences.append(Difference("table", name, name, f"table {name} is missing"))
    for name in sorted(after.tables.keys() - before.tables.keys()):
        differences.append(Difference("table", name, name, f"table {name} is left over"))
    for name in sorted(before.tables.keys() & after.tables.keys()):
        differences += _table_differences(name, before.tables[name], after.tables[name])
    for name in sorted(before.enums.keys() ^ after.enums.keys()):
        state = "missing" if name in before.enums else "left over"
        differences.append(Difference("type", name, None, f"enum type {name} is {state}"))
    for name in sorted(before.enums.keys() & after.enums.keys()):
        if before.enums[name] != after.enums[name]:
            differences.append(Difference("type", name, None, f"enum type {name} has labels {after.enums[name]}, "
                                                               f"was {before.enums[name]}"))
    for name in sorted(before.sequences ^ after.sequences):
        state = "missing" if name in before.sequences else "left over"
        differences.append(Difference("sequence", name, None, f"sequence {name} is {state}"))
    return differences


def _table_differences(table: str, before: TableShape, after: TableShape) -> list[Difference]:
    found: list[Difference] = []
    old_columns = {c[0]: c for c in before.columns}
    new_columns = {c[0]: c for c in after.columns}
    for name in sorted(old_columns.keys() | new_columns.keys()):
        old, new = old_columns.get(name), new_columns.get(name)
        if old == new:
            continue
        if new is None:
            found.append(Difference("column", name, table, f"column {table}.{name} is missing"))
        elif old is None:
            found.append(Difference("column", name, table, f"column {table}.{name} is left over"))
        else:
            found.append(Difference("column", name, table,
                                    f"column {table}.{name} is {_describe_column(new)}, was {_describe_column(old)}"))
    if before.primary_key != after.primary_key:
        found.append(Difference("primary key", table, table,
                                f"primary key of {table} is {after.primary_key}, was {before.primary_key}"))
    for kind, old_set, new_set in (("index", before.indexes, after.indexes), ("unique", before.uniques, after.uniques),
                                   ("foreign key", before.foreign_keys, after.foreign_keys)):
        for item in sorted(old_set - new_set, key=repr):
            found.append(Difference(kind, str(item[0]), table,
                                    f"{kind} {item[0]} on {table} ({', '.join(item[1])}) is missing"))
        for item in sorted(new_set - old_set, key=repr):
            found.append(Difference(kind, str(item[0]), table,
                                    f"{kind} {item[0]} on {table} ({', '.join(item[1])}) is left over"))
    return found


def _describe_column(shape: ColumnShape) -> str:
    _, type_name, nullable, default, timezone = shape
    parts = [type_name + (" WITH TIME ZONE" if timezone else "")]
    parts.append("NULL" if nullable else "NOT NULL")
    if default is not None:
        parts.append(f"DEFAULT {default}")
    return " ".join(parts)
