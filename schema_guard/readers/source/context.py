"""Context files: the rest of the project, scanned cheaply so that a partial check (pre-commit's staged files)
still knows every table name and can resolve a mixin defined elsewhere.

A context file is not parsed up front: a regular-expression pass over its text finds its class names, which of
them are table models (and their ``__tablename__``) and which are enums — about 20 µs a file against ~0.6 ms for
``ast.parse``. A context file is parsed only when a checked class inherits from a class it defines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from schema_guard.readers.source.module import MODEL_MARKERS
from schema_guard.readers.source.parsing import SourceError, decode

LISTENER_EVENT = "do_orm_execute"
"""The session event a tenant filter is registered on (``@event.listens_for(Session, "do_orm_execute")``)."""

_CLASS = re.compile(r"^[ \t]*class[ \t]+(\w+)[ \t]*(?:\(([^)]*)\))?[ \t]*:", re.MULTILINE)
_TABLE_KEYWORD = re.compile(r"\btable\s*=\s*True\b")
_TABLENAME = re.compile(r"""^[ \t]+__tablename__\s*(?::[^=\n]*)?=\s*["']([^"']+)["']""", re.MULTILINE)
_TABLE_CALL = re.compile(r"""\bTable\(\s*["']([^"']+)["']""")
_ENUM_BASE = re.compile(r"\b(?:Enum|StrEnum|IntEnum|Flag|IntFlag)\b")
_LITERAL_TABLENAME = re.compile(r"""[ \t]*__tablename__[ \t]*(?::[^=\n]*)?=[ \t]*(["'])[^"'\n]*\1[ \t]*(?:#.*)?$""")
"""A ``__tablename__`` line that assigns a string literal; any other line defining one computes it."""


@dataclass
class ContextIndex:
    """What the context files define, by class name, without parsing them."""

    files_by_class: dict[str, list[Path | str]] = field(default_factory=dict)
    table_names: set[str] = field(default_factory=set)
    files_by_table: dict[str, list[Path | str]] = field(default_factory=dict)
    """The files naming each literal table name (what a staged application file's models reach by foreign key)."""
    enum_names: set[str] = field(default_factory=set)
    listener_paths: list[Path] = field(default_factory=list)
    """Context files that register a session-wide ``do_orm_execute`` listener: a partial check reads them, since
    such a listener scopes the checked files' statements as it scopes every other file's."""
    computed_paths: list[Path] = field(default_factory=list)
    """Context files that compute a ``__tablename__`` (a constant, an f-string, ``@declared_attr``): the reader
    parses them to resolve the names; ``table_names`` holds only the literal ones."""

    def files_defining(self, name: str) -> list[Path]:
        """The files defining ``name`` (:mod:`schema_guard.project_index` lends their names as strings)."""
        return [Path(path) for path in self.files_by_class.get(name, [])]


def scan_context(paths: Iterable[Path]) -> ContextIndex:
    index = ContextIndex()
    for path in paths:
        try:
            text = decode(path.read_bytes())
        except (OSError, SourceError):
            continue  # a context file is only lent from; a broken one is reported when it is checked itself
        if LISTENER_EVENT in text:
            index.listener_paths.append(path)
        if "class" in text and any(marker in text for marker in MODEL_MARKERS):
            _scan(text, path, index)
    return index


def _computes_tablename(text: str) -> bool:
    """A line that defines ``__tablename__`` other than as a string literal (``@declared_attr def __tablename__``,
    ``__tablename__ = PREFIX + "x"``); looked at line by line where the name occurs (a whole-text regular
    expression costs ~20 µs a file)."""
    start = text.find("__tablename__")
    while start != -1:
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", start)
        line = text[line_start : line_end if line_end != -1 else len(text)]
        head = line[: start - line_start].strip()
        if head in ("def", "async def") or (not head and not _LITERAL_TABLENAME.match(line)):
            return True
        if line_end == -1:
            return False
        start = text.find("__tablename__", line_end)
    return False


def _scan(text: str, path: Path, index: ContextIndex) -> None:
    if _computes_tablename(text):
        index.computed_paths.append(path)
    # Any literal ``__tablename__`` names a table (a plain SQLAlchemy model has no ``table=True``), and so does a
    # ``Table("name", ...)`` object.
    tables = {match.group(1) for match in _TABLENAME.finditer(text)}
    if "Table(" in text:
        tables.update(match.group(1) for match in _TABLE_CALL.finditer(text))
    headers = list(_CLASS.finditer(text))
    for position, header in enumerate(headers):
        name, bases = header.group(1), header.group(2) or ""
        index.files_by_class.setdefault(name, []).append(path)
        if _ENUM_BASE.search(bases):
            index.enum_names.add(name)
        if _TABLE_KEYWORD.search(bases):
            end = headers[position + 1].start() if position + 1 < len(headers) else len(text)
            explicit = _TABLENAME.search(text, header.end(), end)
            tables.add(explicit.group(1) if explicit else name.lower())
    index.table_names.update(tables)
    for table in tables:
        index.files_by_table.setdefault(table, []).append(path)
