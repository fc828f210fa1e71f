"""SG601: the migrated database compared with the models by Alembic's autogenerate, one finding per difference.

Types are compared (``compare_type``) and server defaults too, after normalising the spellings PostgreSQL gives
back (``'draft'::character varying`` is ``'draft'``, ``CURRENT_TIMESTAMP`` is ``now()``), so only real drift is
reported. Each finding names the table/column and what differs, and is located at the revision that created the
table (or, for a table no revision creates, at the model class).
"""

from __future__ import annotations

import re
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from schema_guard.facts import Location
from schema_guard.findings import Finding
from schema_guard.gate.models import ModelLocations
from schema_guard.gate.provenance import Provenance

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
        described = describe(diff)
        if described is None:
            continue
        message, table, column, in_database = described
        if in_database and table:
            location = provenance.column(table, column) if column else provenance.table(table)
        else:
            location = models.table(table) if table else Location()
            if location.path is None and table:
                location = provenance.table(table)
        findings.append(
            Finding(
                code=CODE,
                message=message,
                location=location,
                table=table,
                column_name=column,
                reader="migrations",
                fix=("Generate a revision for it: `alembic revision --autogenerate`, review, commit "
                     "(or change the models if the database is right)."),
                detail=f"{diff[0]}:{message}",
            )
        )
    return findings


def describe(diff: tuple[Any, ...]) -> tuple[str, str | None, str | None, bool] | None:
    """(message, table, column, whether the table exists in the database) for one autogenerate difference."""
    kind = diff[0]
    if kind == "add_table":
        table = diff[1]
        return (f"table {table.name} is in the models but no migration creates it", table.name, None, False)
    if kind == "remove_table":
        table = diff[1]
        return (f"table {table.name} exists in the migrated database but not in the models", table.name, None, True)
    if kind in {"add_column", "remove_column"}:
        table, column = diff[2], diff[3]
        if kind == "add_column":
            return (f"column {table}.{column.name} ({column.type}) is in the models but no migration creates it",
                    table, column.name, True)
        return (f"column {table}.{column.name} exists in the migrated database but not in the models",
                table, column.name, True)
    if kind in {"add_index", "remove_index"}:
        index = diff[1]
        table = index.table.name if index.table is not None else None
        columns = ", ".join(str(getattr(c, "name", c)) for c in index.expressions)
        unique = "unique " if index.unique else ""
        if kind == "add_index":
            return (f"{unique}index {index.name} on {table} ({columns}) is declared in the models but no migration "
                    "creates it", table, None, True)
        return (f"{unique}index {index.name} on {table} ({columns}) exists in the migrated database but not in the "
                "models", table, None, True)
    if kind in {"add_constraint", "remove_constraint", "add_fk", "remove_fk"}:
        constraint = diff[1]
        table = constraint.table.name if constraint.table is not None else None
        columns = ", ".join(c.name for c in constraint.columns)
        what = "foreign key" if kind.endswith("_fk") else type(constraint).__name__
        where = ("is declared in the models but no migration creates it" if kind.startswith("add")
                 else "exists in the migrated database but not in the models")
        return (f"{what} {constraint.name or ''} on {table} ({columns}) {where}".replace("  ", " "), table, None, True)
    if kind.startswith("modify_"):
        return _describe_modification(diff)
    return (f"autogenerate reports {kind}: {diff[1:]!r}", None, None, True)


def _describe_modification(diff: tuple[Any, ...]) -> tuple[str, str | None, str | None, bool] | None:
    kind, _, table, column, _, database_value, model_value = diff[:7]
    if kind == "modify_nullable":
        def state(nullable: bool) -> str:
            return "nullable" if nullable else "NOT NULL"

        return (f"column {table}.{column} is {state(database_value)} in the migrated database but "
                f"{state(model_value)} in the models", table, column, True)
    if kind == "modify_type":
        return (f"column {table}.{column} has type {database_value} in the migrated database but {model_value} in "
                "the models", table, column, True)
    if kind == "modify_default":
        database_text = getattr(database_value, "arg", database_value)
        model_text = getattr(getattr(model_value, "arg", model_value), "text", getattr(model_value, "arg", model_value))
        return (f"column {table}.{column} has server default {database_text or 'none'} in the migrated database but "
                f"{model_text or 'none'} in the models", table, column, True)
    if kind == "modify_comment":
        return (f"column {table}.{column} has comment {database_value!r} in the migrated database but "
                f"{model_value!r} in the models", table, column, True)
    return None
