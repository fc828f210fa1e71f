"""The SQL a revision runs itself (``op.execute("...")``, ``conn.execute(sa.text("..."))``), read as SQL.

Parsed with pglast, which wraps libpg_query: PostgreSQL's own parser, so every statement PostgreSQL accepts is read
exactly as the server will read it — ``CREATE INDEX CONCURRENTLY``, ``ADD CONSTRAINT ... NOT VALID``, ``VALIDATE
CONSTRAINT``, dollar-quoted ``DO`` blocks, several statements in one string. (sqlglot, the other candidate, is a
multi-dialect approximation: it turns much PostgreSQL DDL it does not model into an opaque ``Command`` and accepts
text PostgreSQL would refuse, which is how a rule ends up guessing.) SQL that does not parse — a template with
placeholders, another dialect — is ``None``: the rules then make no guess about it, and nothing crashes. What is read
is given to the rules as :class:`~schema_guard.revision_facts.SqlStatement` facts.
"""

from __future__ import annotations

import re
from functools import lru_cache

from schema_guard.revision_facts import Sql, SqlStatement

_PARAMETERS = re.compile(r"(?<![:\w]):\w+|%\(\w+\)s|%s")
_DATA = {"SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt", "CopyStmt"}
_SESSION = {"VariableSetStmt", "VariableShowStmt", "TransactionStmt", "LockStmt", "NotifyStmt", "ListenStmt",
            "CheckPointStmt", "DiscardStmt", "ExplainStmt"}
_CONSTRAINT_KINDS = {"CONSTR_FOREIGN": "foreign key", "CONSTR_CHECK": "check", "CONSTR_UNIQUE": "unique",
                     "CONSTR_PRIMARY": "primary key", "CONSTR_EXCLUSION": "exclusion", "CONSTR_NOTNULL": "not null"}


@lru_cache(maxsize=1024)
def statements(sql: str) -> tuple[SqlStatement, ...] | None:
    """Every statement of ``sql`` (several may be separated by ``;``), or ``None`` when PostgreSQL's parser refuses
    the text."""
    try:
        from pglast import parse_sql
        from pglast.parser import ParseError
    except ImportError:  # pragma: no cover - pglast is a dependency; without it nothing is guessed
        return None
    try:
        parsed = parse_sql(sql)
    except (ParseError, ValueError, RecursionError):
        try:  # bound parameters (``:name``, ``%(name)s``, ``%s``) are not SQL yet: read them as PostgreSQL's ``$1``
            parsed = parse_sql(_PARAMETERS.sub("$1", sql))
        except (ParseError, ValueError, RecursionError):
            return None
    found: list[SqlStatement] = []
    for raw in parsed:
        found.extend(_read(raw.stmt))
    return tuple(found)


def is_data_only(sql: str) -> bool:
    """``sql`` parses and changes rows only (or nothing): no statement alters the schema."""
    return Sql(sql, statements).data_only


def _read(node: object) -> list[SqlStatement]:
    kind = type(node).__name__
    if kind in _DATA:
        return [SqlStatement("data", _relation(node))]
    if kind in _SESSION:
        return [SqlStatement("session")]
    if kind == "IndexStmt":
        return [SqlStatement("create_index", _relation(node), getattr(node, "idxname", None),
                          concurrently=bool(getattr(node, "concurrent", False)))]
    if kind == "DropStmt":
        return _drop(node)
    if kind == "AlterTableStmt" and _enum_name(getattr(node, "objtype", None)) in {None, "OBJECT_TABLE"}:
        return _alter_table(node)
    if kind == "RenameStmt":
        return _rename(node)
    return [SqlStatement("schema", _relation(node))]


def _drop(node: object) -> list[SqlStatement]:
    what = _enum_name(getattr(node, "removeType", None))
    names = [_dotted(item) for item in getattr(node, "objects", None) or ()]
    concurrently = bool(getattr(node, "concurrent", False))
    if what == "OBJECT_INDEX":
        return [SqlStatement("drop_index", None, name, concurrently=concurrently) for name in names]
    if what == "OBJECT_TABLE":
        return [SqlStatement("drop_table", name) for name in names]
    return [SqlStatement("schema")]


def _alter_table(node: object) -> list[SqlStatement]:
    table = _relation(node)
    found: list[SqlStatement] = []
    for command in getattr(node, "cmds", None) or ():
        subtype = _enum_name(getattr(command, "subtype", None))
        if subtype == "AT_AddConstraint":
            definition = getattr(command, "def_", None)
            found.append(SqlStatement(
                "add_constraint", table, getattr(definition, "conname", None),
                not_valid=bool(getattr(definition, "skip_validation", False)),
                constraint=_CONSTRAINT_KINDS.get(_enum_name(getattr(definition, "contype", None)) or "", "constraint"),
            ))
        elif subtype == "AT_ValidateConstraint":
            found.append(SqlStatement("validate_constraint", table, getattr(command, "name", None)))
        elif subtype == "AT_DropColumn":
            found.append(SqlStatement("drop_column", table, getattr(command, "name", None)))
        else:
            found.append(SqlStatement("schema", table))
    return found or [SqlStatement("schema", table)]


def _rename(node: object) -> list[SqlStatement]:
    what = _enum_name(getattr(node, "renameType", None))
    table = _relation(node)
    if what == "OBJECT_TABLE":
        return [SqlStatement("rename_table", table, getattr(node, "newname", None))]
    if what == "OBJECT_COLUMN":
        return [SqlStatement("rename_column", table, getattr(node, "subname", None))]
    return [SqlStatement("schema", table)]


def _relation(node: object) -> str | None:
    relation = getattr(node, "relation", None)
    name = getattr(relation, "relname", None)
    return name if isinstance(name, str) else None


def _dotted(item: object) -> str | None:
    """The last part of a possibly schema-qualified name (``public.ix_a`` → ``ix_a``)."""
    parts = item if isinstance(item, (list, tuple)) else (item,)
    values = [getattr(part, "sval", None) for part in parts]
    names = [value for value in values if isinstance(value, str)]
    return names[-1] if names else None


def _enum_name(value: object) -> str | None:
    name = getattr(value, "name", None)
    return name if isinstance(name, str) else None
