"""Application code, read by the source reader next to the models: the statements it executes (SG702) and the
classes its web routes take and return (SG703, SG704).

Runs after the models are read, over the same parsed modules, so it knows which class names are tables and
resolves a request schema's bases through the same class index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from schema_guard.facts import SchemaFacts
from schema_guard.readers.source.context import ContextIndex
from schema_guard.readers.source.module import ParsedModule, parse_module
from schema_guard.readers.source.queries import LISTENER_EVENT, read_queries
from schema_guard.readers.source.queries import TEXT_MARKERS as QUERY_MARKERS
from schema_guard.readers.source.routes import TEXT_MARKERS as ROUTE_MARKERS
from schema_guard.readers.source.routes import read_routes

MARKERS = (*QUERY_MARKERS, *ROUTE_MARKERS, LISTENER_EVENT)
"""A file with none of these holds no application code this reader looks at."""

if TYPE_CHECKING:
    from schema_guard.readers.source.reader import ClassIndex


def read_application(modules: Sequence[ParsedModule], index: ClassIndex, facts: SchemaFacts) -> None:
    """Add the query and web-route facts of ``modules`` to ``facts`` (whose tables are already read)."""
    read_queries(modules, facts)
    facts.api_models.extend(read_routes(modules, index))


def read_application_files(
    paths: Sequence[Path], classes: Iterable[tuple[Path, Sequence[str]]], facts: SchemaFacts
) -> None:
    """The same facts for a read whose models came from :mod:`schema_guard.cache`: application code depends on
    every model of the project, so it is never cached; the files that hold some are parsed again, and ``classes``
    (each file's class names) lets a request schema's bases be found and parsed on demand."""
    from schema_guard.readers.source.reader import _class_index

    modules = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if any(marker in text for marker in MARKERS):
            parsed = parse_module(path, str(path))
            if isinstance(parsed, ParsedModule):
                modules.append(parsed)
    if not modules:
        return
    context = ContextIndex()
    for path, names in classes:
        for name in names:
            context.files_by_class.setdefault(name, []).append(path)
    index = _class_index(modules, context, paths)
    read_application(modules, index, facts)
    index.release()
