"""Application code, read by the source reader next to the models: the statements it executes (SG702) and the
classes its web routes take and return (SG703, SG704).

Runs after the models are read, over the same parsed modules, so it knows which class names are tables and
resolves a request schema's bases through the same class index.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from schema_guard.facts import SchemaFacts
from schema_guard.readers.source.module import ParsedModule
from schema_guard.readers.source.queries import LISTENER_EVENT, read_queries
from schema_guard.readers.source.queries import TEXT_MARKERS as QUERY_MARKERS
from schema_guard.readers.source.routes import TEXT_MARKERS as ROUTE_MARKERS
from schema_guard.readers.source.routes import ClassLookup, read_routes

MARKERS = (*QUERY_MARKERS, *ROUTE_MARKERS, LISTENER_EVENT)
"""A file with none of these holds no application code this reader looks at."""


def read_application(modules: Sequence[ParsedModule], index: ClassLookup, facts: SchemaFacts) -> None:
    """Add the query and web-route facts of ``modules`` to ``facts`` (whose tables are already read). Alembic
    revision scripts are not application code: a data migration reads every tenant's rows by design."""
    modules = [module for module in modules if not is_revision_script(module)]
    read_queries(modules, facts)
    facts.api_models.extend(read_routes(modules, index))


def is_revision_script(module: ParsedModule) -> bool:
    """An Alembic revision script: module-level ``revision`` and ``down_revision`` and a ``def upgrade``."""
    return "revision" in module.constants and "down_revision" in module.constants and any(
        isinstance(statement, ast.FunctionDef) and statement.name == "upgrade" for statement in module.tree.body
    )
