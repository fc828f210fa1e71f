"""The models the migrations must produce: the configured modules imported, ``SQLModel.metadata`` read.

Also where each table's model class is written, to locate drift the migrations lack entirely (a table or column that
exists only in the models).
"""

from __future__ import annotations

import inspect
from dataclasses import replace
from pathlib import Path

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
    from schema_guard.readers.metadata import import_models

    _, problems = import_models(config.models, config.root.resolve())
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
    """Table name → where its mapped class is defined (looked up on demand)."""

    def table(self, name: str) -> Location:
        try:
            from sqlalchemy.orm import Mapper
            from sqlmodel.main import default_registry
        except ImportError:
            return Location()
        for mapper in list(default_registry.mappers):
            assert isinstance(mapper, Mapper)
            local = mapper.local_table
            if getattr(local, "name", None) != name:
                continue
            try:
                path = inspect.getsourcefile(mapper.class_)
                line = inspect.getsourcelines(mapper.class_)[1]
            except (OSError, TypeError):
                return Location()
            if path:
                return Location(str(Path(path).resolve()), line, 1)
        return Location()
