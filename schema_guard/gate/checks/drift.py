"""SG601: the migrated database compared with the models by Alembic's autogenerate, one finding per difference.

Types are compared (``compare_type``) and server defaults too, after normalising the spellings PostgreSQL gives
back (``'draft'::character varying`` is ``'draft'``, ``CURRENT_TIMESTAMP`` is ``now()``), so only real drift is
reported. Each finding names the table/column and what differs, and is located where the differing object comes
from: the revision that created the index or constraint, the column, or the table (or, for a table no revision
creates, the model class).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from schema_guard.facts import Location
from schema_guard.findings import Finding
from schema_guard.gate.checks.models import ModelLocations
from schema_guard.gate.analysis.provenance import Provenance

CODE = "SG601"
_CAST = re.compile(r"::[\w ]+(?:\[\])?(?:\(\d+(?:,\s*\d+)?\))?")
_SYNONYMS = {"current_timestamp": "now()", "transaction_timestamp()": "now()", "true": "true", "false": "false"}


def normalise_default(text: str | None) -> str | None:
    """One spelling per server default: casts, outer parentheses, quotes and case removed."""
    if text is None:
        return None
    value = text.strip()
    previous = None
    while previous != value:
        previous = value
        value = _CAST.sub("", value).strip()
        if value.startswith("(") and value.endswith(")") and value.count("(") == 1:
            value = value[1:-1].strip()
    if len(value) >= 2 and value[0] == value[-1] == "'":
        value = value[1:-1]
    value = value.lower()
    return _SYNONYMS.get(value, value)


def compare_server_default(
    context: MigrationContext,
    inspected_column: Any,
    metadata_column: Any,
    inspected_default: str | None,
    metadata_default: Any,
    rendered_metadata_default: str | None,
) -> bool | None:
    """Alembic hook: ``None`` lets Alembic decide when either side has no default (serials, identities)."""
    if inspected_default is None or rendered_metadata_default is None:
        return None
    return normalise_default(inspected_default) != normalise_default(rendered_metadata_default)


def compare_with_models(connection: Connection, metadata: MetaData, *, version_table: str) -> list[tuple[Any, ...]]:
    """Alembic's autogenerate differences between the database behind ``connection`` and ``metadata``, flattened."""
    context = MigrationContext.configure(
        connection=connection,
        opts={
            "compare_type": True,
            "compare_server_default": compare_server_default,
            "version_table": version_table,
            "target_metadata": metadata,
        },
    )
    diffs = compare_metadata(context, metadata)
    if connection.in_transaction():
        connection.commit()
    flat: list[tuple[Any, ...]] = []
    for diff in diffs:
        flat.extend(diff if isinstance(diff, list) else [diff])
    return flat


@dataclass(frozen=True)
class Drift:
    """One autogenerate difference, described."""

    message: str
    table: str | None
    column: str | None = None
    kind: Literal["table", "column", "index", "constraint", "other"] = "other"
    """What differs (an ``index`` or ``constraint`` is named by ``name``)."""
    name: str | None = None
    in_database: bool = True
    """The object exists in the migrated database (a revision created it); else only the models declare it."""


def drift_findings(
    connection: Connection,
    metadata: MetaData,
    *,
    version_table: str,
    provenance: Provenance,
    models: ModelLocations,
) -> list[Finding]:
    findings = []
    for diff in compare_with_models(connection, metadata, version_table=version_table):
        drift = describe(diff)
        if drift is None:
            continue
        findings.append(
            Finding(
                code=CODE,
                message=drift.message,
                location=_locate(drift, provenance, models),
                table=drift.table,
                column_name=drift.column,
                reader="migrations",
                fix=("Generate a revision for it: `alembic revision --autogenerate`, review, commit "
                     "(or change the models if the database is right)."),
                detail=f"{diff[0]}:{drift.message}",
            )
        )
    return findings


def _locate(drift: Drift, provenance: Provenance, models: ModelLocations) -> Location:
    """The revision that made the differing object (an index or constraint only in the models: the table's)."""
    table = drift.table
    if table is None:
        return Location()
    if drift.kind == "table" and not drift.in_database:
        location = models.table(table)
        return location if location.path is not None else provenance.table(table)
    if drift.column:
        return provenance.column(table, drift.column)
    if drift.kind == "index" and drift.in_database:
        return provenance.index(table, drift.name)
    if drift.kind == "constraint" and drift.in_database:
        return provenance.constraint(table, drift.name)
    return provenance.table(table)


def describe(diff: tuple[Any, ...]) -> Drift | None:
    """One autogenerate difference as a :class:`Drift` (``None`` for a difference not worth reporting)."""
    kind = diff[0]
    if kind == "add_table":
        table = diff[1]
        return Drift(f"table {table.name} is in the models but no migration creates it", table.name, kind="table",
                     in_database=False)
    if kind == "remove_table":
        table = diff[1]
        return Drift(f"table {table.name} exists in the migrated database but not in the models", table.name,
                     kind="table")
    if kind in {"add_column", "remove_column"}:
        table, column = diff[2], diff[3]
        if kind == "add_column":
            return Drift(f"column {table}.{column.name} ({column.type}) is in the models but no migration creates it",
                         table, column.name, "column", column.name, in_database=False)
        return Drift(f"column {table}.{column.name} exists in the migrated database but not in the models",
                     table, column.name, "column", column.name)
    if kind in {"add_index", "remove_index"}:
        index = diff[1]
        table = index.table.name if index.table is not None else None
        columns = ", ".join(str(getattr(c, "name", c)) for c in index.expressions)
        unique = "unique " if index.unique else ""
        if kind == "add_index":
            return Drift(f"{unique}index {index.name} on {table} ({columns}) is declared in the models but no "
                         "migration creates it", table, kind="index", name=index.name, in_database=False)
        return Drift(f"{unique}index {index.name} on {table} ({columns}) exists in the migrated database but not in "
                     "the models", table, kind="index", name=index.name)
    if kind in {"add_constraint", "remove_constraint", "add_fk", "remove_fk"}:
        constraint = diff[1]
        table = constraint.table.name if constraint.table is not None else None
        columns = ", ".join(c.name for c in constraint.columns)
        what = "foreign key" if kind.endswith("_fk") else type(constraint).__name__
        added = kind.startswith("add")
        where = ("is declared in the models but no migration creates it" if added
                 else "exists in the migrated database but not in the models")
        return Drift(f"{what} {constraint.name or ''} on {table} ({columns}) {where}".replace("  ", " "), table,
                     kind="constraint", name=constraint.name, in_database=not added)
    if kind.startswith("modify_"):
        return _describe_modification(diff)
    return Drift(f"autogenerate reports {kind}: {diff[1:]!r}", None)


def _describe_modification(diff: tuple[Any, ...]) -> Drift | None:
    kind, _, table, column, _, database_value, model_value = diff[:7]
    if kind == "modify_nullable":
        def state(nullable: bool) -> str:
            return "nullable" if nullable else "NOT NULL"

        message = (f"column {table}.{column} is {state(database_value)} in the migrated database but "
                   f"{state(model_value)} in the models")
    elif kind == "modify_type":
        message = (f"column {table}.{column} has type {database_value} in the migrated database but {model_value} in "
                   "the models")
    elif kind == "modify_default":
        database_text = getattr(database_value, "arg", database_value)
        model_text = getattr(getattr(model_value, "arg", model_value), "text", getattr(model_value, "arg", model_value))
        message = (f"column {table}.{column} has server default {database_text or 'none'} in the migrated database "
                   f"but {model_text or 'none'} in the models")
    elif kind == "modify_comment":
        message = (f"column {table}.{column} has comment {database_value!r} in the migrated database but "
                   f"{model_value!r} in the models")
    else:
        return None
    return Drift(message, table, column, "column", column)
