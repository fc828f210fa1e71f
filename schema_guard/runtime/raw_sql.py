"""The tables raw SQL (``text()``, ``exec_driver_sql``) reads or writes, found by PostgreSQL's own parser.

Searching the text for a table's name reports a string literal (``SELECT 'exams'``) or a column alias
(``count(*) AS exams``) as a use of the table. pglast wraps libpg_query, the parser of PostgreSQL itself, so
what counts as a table reference is exactly what the server would resolve as one: every ``RangeVar`` (FROM,
JOIN, INSERT/UPDATE/DELETE targets, subqueries and CTE bodies at any depth).
"""

from __future__ import annotations

import re
from typing import Any

from pglast import parse_sql
from pglast.parser import ParseError
from pglast.visitors import Visitor

_PYFORMAT = re.compile(r"%\((\w+)\)s|%s")
"""The driver's parameter markers (psycopg's ``%(name)s``/``%s``), which PostgreSQL's grammar does not know."""


class _Tables(Visitor):  # type: ignore[misc]
    """Collects the relation name of every ``RangeVar`` in a parse tree."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_RangeVar(self, ancestors: Any, node: Any) -> None:  # noqa: N802 - pglast's visitor naming
        self.names.add(node.relname)


def referenced_tables(sql: str) -> set[str] | None:
    """Names of the tables ``sql`` references (lower-cased unless quoted, as PostgreSQL folds them); ``None`` when
    the text does not parse as PostgreSQL."""
    text = _PYFORMAT.sub("$1", sql).replace("%%", "%")
    try:
        tree = parse_sql(text)
    except ParseError:
        return None
    visitor = _Tables()
    visitor(tree)
    return visitor.names
