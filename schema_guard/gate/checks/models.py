"""The models the migrations must produce: the configured modules imported, ``SQLModel.metadata`` read.

Also where each table's model class is written, to locate drift the migrations lack entirely (a table or column that
exists only in the models).
"""

from __future__ import annotations

import inspect
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData

from schema_guard.config import Config
from schema_guard.facts import Location
from schema_guard.findings import Finding
from schema_guard.tenancy import TenantPolicy, declared_shared


def load_models(config: Config) -> tuple[MetaData | None, list[Finding]]:
    """Import ``config.models`` (packages with every submodule, as the metadata reader does) and return
    ``SQLModel.metadata``, or ``None`` when no model modules are configured; plus one fatal SG002 finding per module
    that fails to import, located at the project line that raised."""
    if not config.models:
        return None, []
    from schema_guard.config import model_entries
    from schema_guard.readers.metadata import import_models

    _, problems = import_models(config.models, config.root.resolve(), model_entries(config))
    if problems:
        return None, [replace(problem, reader="migrations") for problem in problems]
    from sqlmodel import SQLModel

    return SQLModel.metadata, []


def shared_tables_declared(metadata: MetaData | None) -> set[str]:
    """Tables whose model declares itself shared: ``__table_args__ = {"info": {"schema_guard": {"shared": True}}}``."""
    if metadata is None:
        return set()
    return {name for name, table in metadata.tables.items() if declared_shared(table.info)}


def with_declared_shared(tenancy: TenantPolicy, metadata: MetaData | None) -> TenantPolicy:
    """``tenancy`` with the tables the models declare shared added to ``shared-tables``: the database reflected at
    head carries no ``info``, so the models' declarations have to be handed to the rules this way."""
    declared = shared_tables_declared(metadata)
    if not declared:
        return tenancy
    return replace(tenancy, shared_tables=tenancy.shared_tables | declared)


class ModelLocations:
    """Where each table's mapped class (and each of its columns) is written, looked up on demand in every ORM
    registry: SQLModel's and any ``DeclarativeBase``'s or ``registry()``'s the project made."""

    def table(self, name: str) -> Location:
        found = self._class_of(name)
        if found is None:
            return Location()
        path, lines, first = found
        return Location(path, first, 1)

    def column(self, table: str, column: str) -> Location:
        """The line that declares ``column`` in the class body (``column: type`` or ``column = ...``), else the
        class line."""
        found = self._class_of(table)
        if found is None:
            return Location()
        path, lines, first = found
        declaration = re.compile(rf"^\s+{re.escape(column)}\s*[:=]")
        for offset, text in enumerate(lines):
            if declaration.match(text):
                return Location(path, first + offset, text.index(column) + 1)
        return Location(path, first, 1)

    def _class_of(self, name: str) -> tuple[str, list[str], int] | None:
        for mapper in _mappers():
            if getattr(mapper.local_table, "name", None) != name:
                continue
            try:
                path = inspect.getsourcefile(mapper.class_)
                lines, first = inspect.getsourcelines(mapper.class_)
            except (OSError, TypeError):
                return None
            return (str(Path(path).resolve()), lines, first) if path else None
        return None


def _mappers() -> list[Any]:
    """Every mapper of every ORM registry alive in this process."""
    try:
        from sqlalchemy.orm import mapperlib
    except ImportError:
        return []
    registries = getattr(mapperlib, "_all_registries", None)  # SQLAlchemy 2.x; no public listing exists
    found: list[Any] = []
    for registry in list(registries()) if callable(registries) else []:
        found.extend(list(registry.mappers))
    return found
