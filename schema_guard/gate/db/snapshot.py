"""A comparable picture of the migrated schema: reflected once, compared after a downgrade/upgrade round trip.

The snapshot holds the database reader's facts (reused for SG606) plus what facts do not carry but a downgrade
commonly leaves behind: enum types and sequences.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import inspect, text
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
    objects: frozenset[tuple[str, str, str, str]] = field(default=frozenset(), compare=False, repr=False)
    """Every object of the database and the cluster's roles, by kind and name (see :func:`catalog_objects`)."""


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
    objects = catalog_objects(connection, version_table)
    if connection.in_transaction():
        connection.commit()
    return Snapshot({t.name: TableShape.of(t) for t in facts.tables}, enums, sequences, facts, objects)


_VERSION_TABLE_OBJECTS = "{0}|{0}_pkc|_{0}|{0}_pkey"
_OBJECTS = text("""
SELECT 'relation', n.nspname, c.relname, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
UNION ALL SELECT 'type', n.nspname, t.typname, t.typtype::text FROM pg_type t
  JOIN pg_namespace n ON n.oid = t.typnamespace
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
UNION ALL SELECT 'function', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid) FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
UNION ALL SELECT 'constraint', n.nspname, c.conname, c.conrelid::regclass::text FROM pg_constraint c
  JOIN pg_namespace n ON n.oid = c.connamespace
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
UNION ALL SELECT 'schema', nspname, '', '' FROM pg_namespace
  WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%'
UNION ALL SELECT 'extension', extname, extversion, '' FROM pg_extension
UNION ALL SELECT 'trigger', tgname, tgrelid::regclass::text, '' FROM pg_trigger WHERE NOT tgisinternal
UNION ALL SELECT 'policy', polname, polrelid::regclass::text, '' FROM pg_policy
UNION ALL SELECT 'event trigger', evtname, '', '' FROM pg_event_trigger
UNION ALL SELECT 'role', rolname, '', '' FROM pg_roles
UNION ALL SELECT 'setting', coalesce(array_to_string(setconfig, ','), ''), '', '' FROM pg_db_role_setting
  WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
UNION ALL SELECT 'large object', oid::text, '', '' FROM pg_largeobject_metadata
""")


def catalog_objects(connection: Connection, version_table: str) -> frozenset[tuple[str, str, str, str]]:
    """Every object of the database outside the system schemas (relations, types, functions, constraints,
    schemas, extensions, triggers, policies, settings, large objects) and the cluster's roles, without Alembic's
    version table and what belongs to it. Equal before the first upgrade and after the downgrade to base, the
    database is back where it started, so upgrading it again could only repeat the first upgrade."""
    own = set(_VERSION_TABLE_OBJECTS.format(version_table).split("|"))
    rows = connection.execute(_OBJECTS).all()
    return frozenset(
        (kind, schema, name, detail) for kind, schema, name, detail in rows
        if name not in own and detail.split(".")[-1] not in own
    )


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
