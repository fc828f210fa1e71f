"""The models the migrations must produce: the configured modules imported, ``SQLModel.metadata`` read.

Also where each table's model class is written, to locate drift the migrations lack entirely (a table or column that
exists only in the models).
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

from sqlalchemy import MetaData

from schema_guard.config import Config
from schema_guard.facts import Location
from schema_guard.gate.revisions import relative_to_root
from schema_guard.gate.tooling import BROKEN_ALEMBIC, ToolingProblem, first_line


def load_models(config: Config) -> MetaData | None:
    """Import ``config.models`` (``config.root`` is on ``sys.path``) and return ``SQLModel.metadata``; ``None`` when no
    model modules are configured."""
    if not config.models:
        return None
    for module in config.models:
        try:
            importlib.import_module(module)
        except Exception as error:
            raise ToolingProblem(
                BROKEN_ALEMBIC, f"cannot import model module '{module}': {type(error).__name__}: {first_line(error)}"
            ) from None
    from sqlmodel import SQLModel

    return SQLModel.metadata


def shared_tables_declared(metadata: MetaData | None) -> set[str]:
    """Tables whose model declares itself shared: ``__table_args__ = {"info": {"schema_guard": {"shared": True}}}``."""
    if metadata is None:
        return set()
    return {
        name for name, table in metadata.tables.items()
        if isinstance(table.info.get("schema_guard"), dict) and table.info["schema_guard"].get("shared") is True
    }


class ModelLocations:
    """Table name → where its mapped class is defined (looked up on demand)."""

    def __init__(self, root: Path) -> None:
        self.root = root

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
                return Location(relative_to_root(Path(path), self.root), line, 1)
        return Location()
