"""SG601: the migrated database compared with the models by Alembic's autogenerate, one finding per difference.

What is compared follows the project's ``env.py`` (:class:`Comparison`), as ``alembic check`` does: types unless
it turns ``compare_type`` off; server defaults only when it turns ``compare_server_default`` on, after normalising
the spellings PostgreSQL gives back (``'draft'::character varying`` is ``'draft'``, ``CURRENT_TIMESTAMP`` is
``now()``); and only what its ``include_object`` / ``include_name`` hooks include. Each finding names the
table/column and what differs, and is located where the differing object comes from: the revision that created
the index or constraint, the column, or the table (or, for a table no revision creates, the model class).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
import sqlalchemy as sa
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.engine.reflection import ObjectKind

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


@dataclass(frozen=True)
class Comparison:
    """What counts as drift: the comparison options of the project's ``env.py`` (``alembic check`` reports with
    them), so the gate does not call drift what the project's own check deliberately leaves out. The defaults
    compare everything; :meth:`from_env` starts from Alembic's defaults (server defaults not compared)."""

    compare_type: Any = True
    compare_server_default: Any = True
    """Server defaults, identity and generated columns (compared by the gate itself, see :func:`default_differences`);
    a comparison function from env.py counts as on."""
    include_object: Any = None
    include_name: Any = None
    include_schemas: bool = False

    @classmethod
    def from_env(cls, options: dict[str, Any]) -> Comparison:
        return cls(compare_type=options.get("compare_type", True),
                   compare_server_default=bool(options.get("compare_server_default", False)),
                   include_object=options.get("include_object"), include_name=options.get("include_name"),
                   include_schemas=bool(options.get("include_schemas", False)))

    def includes(self, item: Any, name: str | None, kind: str) -> bool:
        """env.py's ``include_object`` verdict on a model table or column (included when there is no hook)."""
        return self.include_object is None or bool(self.include_object(item, name, kind, False, None))


EVERYTHING = Comparison()


def compare_with_models(connection: Connection, metadata: MetaData, *, version_table: str,
                        version_table_schema: str | None = None,
                        comparison: Comparison = EVERYTHING) -> list[tuple[Any, ...]]:
    """Alembic's autogenerate differences between the database behind ``connection`` and ``metadata``, flattened,
    plus the server default, identity and generated-column differences the gate compares itself.

    Alembic's own server default comparison is off: with a comparison function it crashes on every identity or
    generated column (it reads ``.arg`` of an ``Identity``), and without one it evaluates both defaults on the server
    (two ``gen_random_uuid()`` never compare equal). :func:`default_differences` compares spellings instead.

    Tables in named schemas (``__table_args__ = {"schema": "catalog"}``) are compared in those schemas, and only
    there: other schemas of the database (an extension's, say) are not the models' business, unless env.py
    compares every schema itself (``include_schemas=True``)."""
    named = {table.schema for table in metadata.tables.values() if table.schema}
    default_schema = connection.dialect.default_schema_name
    own_name_filter = comparison.include_name

    def include_name(name: str | None, kind: str, parent: Any) -> bool:
        if kind == "schema" and not comparison.include_schemas and not (
                name is None or name == default_schema or name in named):
            return False
        return own_name_filter is None or bool(own_name_filter(name, kind, parent))

    context = MigrationContext.configure(
        connection=connection,
        opts={
            "compare_type": comparison.compare_type,
            "compare_server_default": False,
            "version_table": version_table,
            "version_table_schema": version_table_schema,
            "target_metadata": metadata,
            "include_schemas": comparison.include_schemas or bool(named),
            "include_name": include_name,
            "include_object": comparison.include_object,
        },
    )
    diffs = compare_metadata(context, metadata)
    found = list(_flattened(diffs))
    if comparison.compare_server_default:
        found += default_differences(connection, metadata, comparison)
    if connection.in_transaction():
        connection.commit()
    return found


def default_differences(connection: Connection, metadata: MetaData,
                        comparison: Comparison = EVERYTHING) -> Iterator[tuple[Any, ...]]:
    """``modify_default`` tuples (Alembic's shape) for columns of tables both sides have whose server default,
    identity or generated expression differ (tables and columns env.py's ``include_object`` leaves out skipped)."""
    reflected_tables = _reflected_columns(connection, {table.schema for table in metadata.tables.values()})
    for table in metadata.tables.values():
        reflected = reflected_tables.get((table.schema, table.name))
        if reflected is None or not comparison.includes(table, table.name, "table"):
            continue
        for column in table.columns:
            found = reflected.get(column.name)
            if found is None or not comparison.includes(column, column.name, "column"):
                continue
            database_value, model_value = _database_default(found), _model_default(column)
            if _default_key(database_value, column) != _default_key(model_value, column):
                yield ("modify_default", table.schema, table.name, column.name, {}, database_value, model_value)


def _reflected_columns(connection: Connection, schemas: set[str | None]) -> dict[tuple[str | None, str],
                                                                               dict[str, dict[str, Any]]]:
    """The columns of every table, view and foreign table of ``schemas``, by schema, table and column name: one
    catalog query per schema (asking table by table costs two round trips per table of the history)."""
    inspector = sa.inspect(connection)
    found: dict[tuple[str | None, str], dict[str, dict[str, Any]]] = {}
    for schema in schemas:
        reflected = inspector.get_multi_columns(schema=schema, kind=ObjectKind.ANY)
        for (_, name), columns in reflected.items():
            found[(schema, name)] = {column["name"]: column for column in columns}
    return found


def _database_default(reflected: dict[str, Any]) -> Any:
    if reflected.get("computed"):
        return sa.Computed(reflected["computed"].get("sqltext", ""))
    if reflected.get("identity"):
        return sa.Identity(always=bool(reflected["identity"].get("always")))
    return reflected.get("default")


def _model_default(column: sa.Column[Any]) -> Any:
    if column.computed is not None:
        return column.computed
    if column.identity is not None:
        return column.identity
    argument = getattr(column.server_default, "arg", None)
    if isinstance(argument, str):  # server_default="draft" is the SQL literal 'draft'
        return sa.text("'" + argument.replace("'", "''") + "'")
    return argument


def _default_key(value: Any, column: sa.Column[Any]) -> tuple[str, str | None]:
    """What two defaults must share to be equal: their kind and normalised SQL."""
    if value is None:
        return ("none", None)
    kind = type(value).__name__
    if kind == "Computed":
        return ("computed", normalise_default(render_sql(value.sqltext)))
    if kind == "Identity":
        return ("identity", "always" if value.always else "by default")
    if isinstance(value, str) and value.startswith("nextval(") and column.primary_key:
        return ("none", None)  # a serial's sequence: the models say autoincrement, not a server default
    return ("default", normalise_default(render_sql(value)))


def _flattened(diffs: list[Any]) -> Iterator[tuple[Any, ...]]:
    """Alembic nests the modifications of one column in a list; the gate reports each on its own."""
    for diff in diffs:
        if isinstance(diff, list):
            yield from _flattened(diff)
        elif isinstance(diff, tuple):
            yield diff


def drifts(connection: Connection, metadata: MetaData, *, version_table: str,
           version_table_schema: str | None = None, comparison: Comparison = EVERYTHING) -> list[tuple[str, Drift]]:
    """Every difference described, with its kind."""
    with warnings.catch_warnings():  # Alembic's notes on what it cannot reflect (expression indexes): not drift
        warnings.simplefilter("ignore")
        diffs = compare_with_models(connection, metadata, version_table=version_table,
                                    version_table_schema=version_table_schema, comparison=comparison)
    return [(str(diff[0]), drift) for diff in diffs if (drift := describe(diff)) is not None]


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
    version_table_schema: str | None = None,
    comparison: Comparison = EVERYTHING,
) -> list[Finding]:
    findings = []
    for kind, drift in drifts(connection, metadata, version_table=version_table,
                              version_table_schema=version_table_schema, comparison=comparison):
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
                detail=f"{kind}:{drift.message}",
            )
        )
    return findings


def _locate(drift: Drift, provenance: Provenance, models: ModelLocations) -> Location:
    """Something only the models declare: the model line (its column's, else its class's). Something the database
    has: the revision that made it (an index or constraint, else its column, else its table)."""
    table = drift.table
    if table is None:
        return provenance.mentioning(drift.name) if drift.name else Location()
    if not drift.in_database:
        location = models.column(table, drift.column) if drift.column else models.table(table)
        if location.path is not None:
            return location
    elif drift.kind == "index":
        return provenance.index(table, drift.name)
    elif drift.kind == "constraint":
        return provenance.constraint(table, drift.name)
    if drift.column:
        return provenance.column(table, drift.column)
    return provenance.table(table)


_IN_DATABASE = "exists in the migrated database but not in the models"
_IN_MODELS = "is declared in the models but no migration creates it"


def describe(diff: tuple[Any, ...]) -> Drift | None:
    """One autogenerate difference as a :class:`Drift` in one sentence (``None`` for a difference not worth
    reporting). Every shape Alembic's comparison produces is handled; values are rendered as SQL, never tested for
    truth (a server default is a SQL clause, and a clause has no truth value)."""
    kind = str(diff[0]) if diff else "?"
    describer = _DESCRIBERS.get(kind)
    if describer is not None:
        return describer(diff)
    if kind.startswith("modify_") and len(diff) >= 7:
        return _describe_modification(diff)
    return _other(kind, diff)


def _other(kind: str, diff: tuple[Any, ...]) -> Drift:
    """A difference from a comparator the gate does not know (an autogenerate plugin env.py loads, such as
    alembic-postgresql-enum's ``("drop_enum", name, schema, values)``): its kind, names and values as given."""
    table = next((_table_name(part) for part in diff[1:] if _table_name(part)), None)
    names = [part for part in diff[1:] if isinstance(part, str)]
    values = next((part for part in diff[1:] if isinstance(part, (tuple, list)) and part
                   and all(isinstance(value, str) for value in part)), None)
    text = f"autogenerate reports {kind.replace('_', ' ')}"
    text += f" {names[0]}" if names else ""
    text += f" on table {table}" if table else ""
    if values:
        shown = ", ".join(values[:6]) + (", ..." if len(values) > 6 else "")
        text += f" ({shown})"
    return Drift(text, table, name=names[0] if names else None)


def _table(diff: tuple[Any, ...]) -> Drift:
    table = diff[1]
    shown = f"{table.schema}.{table.name}" if table.schema else table.name  # the schema, where one is named
    if diff[0] == "add_table":
        return Drift(f"table {shown} {_IN_MODELS}", table.name, kind="table", in_database=False)
    return Drift(f"table {shown} {_IN_DATABASE}", table.name, kind="table")


def _column(diff: tuple[Any, ...]) -> Drift:
    table, column = diff[2], diff[3]
    if diff[0] == "add_column":
        return Drift(f"column {table}.{column.name} ({render_type(column.type)}) {_IN_MODELS}", table, column.name,
                     "column", column.name, in_database=False)
    return Drift(f"column {table}.{column.name} {_IN_DATABASE}", table, column.name, "column", column.name)


def _index(diff: tuple[Any, ...]) -> Drift:
    index = diff[1]
    table = _table_name(index.table)
    columns = [_expression_name(expression) for expression in index.expressions]
    what = f"{'unique ' if index.unique else ''}index {index.name} on {table} ({', '.join(columns)})"
    added = diff[0] == "add_index"
    return Drift(f"{what} {_IN_MODELS if added else _IN_DATABASE}", table, columns[0] if len(columns) == 1 else None,
                 kind="index", name=index.name, in_database=not added)


def _constraint(diff: tuple[Any, ...]) -> Drift:
    constraint = diff[1]
    table = _table_name(constraint.table)
    columns = [str(getattr(column, "name", column)) for column in getattr(constraint, "columns", ())]
    kind = str(diff[0])
    what = "foreign key" if kind.endswith("_fk") else _constraint_kind(constraint)
    name = f" {constraint.name}" if isinstance(constraint.name, str) and constraint.name else ""
    target = ""
    if kind.endswith("_fk") and _table_name(getattr(constraint, "referred_table", None)):
        target = f" to {constraint.referred_table.name}"
    added = kind.startswith("add")
    return Drift(f"{what}{name} on {table} ({', '.join(columns)}){target} {_IN_MODELS if added else _IN_DATABASE}",
                 table,
                 columns[0] if len(columns) == 1 else None, kind="constraint",
                 name=constraint.name if isinstance(constraint.name, str) else None, in_database=not added)


def _table_comment(diff: tuple[Any, ...]) -> Drift:
    table = diff[1]
    if diff[0] == "remove_table_comment":
        return Drift(f"table {table.name} has a comment in the migrated database but none in the models", table.name,
                     kind="table")
    return Drift(f"table {table.name} has comment {table.comment!r} in the models but "
                 f"{_quoted(diff[2] if len(diff) > 2 else None)} in the migrated database", table.name, kind="table")


_DESCRIBERS = {
    "add_table": _table, "remove_table": _table,
    "add_column": _column, "remove_column": _column,
    "add_index": _index, "remove_index": _index,
    "add_constraint": _constraint, "remove_constraint": _constraint, "add_fk": _constraint, "remove_fk": _constraint,
    "add_table_comment": _table_comment, "remove_table_comment": _table_comment,
}


def _describe_modification(diff: tuple[Any, ...]) -> Drift | None:
    kind, _, table, column, _, database_value, model_value = diff[:7]
    where = f"column {table}.{column}"
    if kind == "modify_nullable":
        def state(nullable: object) -> str:
            return "nullable" if nullable is True else "NOT NULL" if nullable is False else "of unknown nullability"

        message = f"{where} is {state(database_value)} in the migrated database but {state(model_value)} in the models"
    elif kind == "modify_type":
        message = f"{where} has type {render_type(database_value)} in the migrated database but " \
                  f"{render_type(model_value)} in the models"
    elif kind == "modify_default":
        message = f"{where} has {render_default(database_value)} in the migrated database but " \
                  f"{render_default(model_value)} in the models"
    elif kind == "modify_comment":
        message = f"{where} has comment {_quoted(database_value)} in the migrated database but " \
                  f"{_quoted(model_value)} in the models"
    else:
        message = f"{where} differs in the migrated database and in the models ({str(kind).replace('_', ' ')})"
    return Drift(message, table, column, "column", column)


# --- rendering: SQL text for types, defaults and names, whatever object Alembic hands over ------------------------


def render_type(value: object) -> str:
    """A type as PostgreSQL spells it (``VARCHAR(20)``); an enum with its values."""
    if value is None:
        return "none"
    enums = getattr(value, "enums", None)
    try:
        text = str(value.compile(dialect=_dialect())) if hasattr(value, "compile") else str(value)
    except Exception:  # a type the dialect cannot render: its Python spelling still names it
        text = repr(value)
    if isinstance(enums, (list, tuple)) and enums:
        return f"{text} ({', '.join(map(str, enums))})"
    return text


def render_default(value: object) -> str:
    """``server default now()``, ``identity (always)``, ``generated always as (a + b)``, or ``no server default``."""
    if value is None or value is False:
        return "no server default"
    kind = type(value).__name__
    if kind == "Identity":
        return f"an identity ({'always' if getattr(value, 'always', False) else 'by default'})"
    if kind == "Sequence":
        return f"sequence {getattr(value, 'name', '?')}"
    if kind == "Computed":
        return f"generated always as ({render_sql(getattr(value, 'sqltext', None))})"
    argument = getattr(value, "arg", value)  # DefaultClause → its text, clause or string
    return f"server default {render_sql(argument)}"


def render_sql(value: object) -> str:
    """A SQL clause, text clause or plain string as SQL text."""
    if value is None:
        return "none"
    if isinstance(value, str):
        return value
    text = getattr(value, "text", None)  # TextClause
    if isinstance(text, str):
        return text
    try:
        return str(value.compile(dialect=_dialect(), compile_kwargs={"literal_binds": True}))  # type: ignore[attr-defined]
    except Exception:  # not compilable: its own spelling
        return str(value)


def _quoted(value: object) -> str:
    return "none" if value is None else repr(str(value))


def _table_name(value: object) -> str | None:
    name = getattr(value, "name", None)
    return name if isinstance(name, str) else None


def _expression_name(expression: object) -> str:
    name = getattr(expression, "name", None)
    return name if isinstance(name, str) else render_sql(expression)


def _constraint_kind(constraint: object) -> str:
    return {"UniqueConstraint": "unique constraint", "CheckConstraint": "check constraint",
            "PrimaryKeyConstraint": "primary key", "ForeignKeyConstraint": "foreign key",
            "ExcludeConstraint": "exclusion constraint"}.get(type(constraint).__name__, "constraint")


def _dialect() -> Any:
    from sqlalchemy.dialects import postgresql

    return postgresql.dialect()
