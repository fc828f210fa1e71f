"""The tenancy model: which tables must carry the tenant column, decided deny-by-default.

A table is tenant-scoped unless it is the anchor itself, is declared shared (in configuration or on the model),
or is a pure association table whose every primary-key column is a foreign key to a shared table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from schema_guard.facts import TableFact

INFO_KEY = "schema_guard"
"""The key of schema-guard's settings in a SQLAlchemy table's ``info`` dictionary."""


def declared_shared(info: Mapping[str, Any] | None) -> bool:
    """The table declares itself shared on the model: ``info={"schema_guard": {"shared": True}}`` (a table's
    ``info``, given through ``__table_args__``). The one reading of that marker for every reader and the runtime."""
    settings = info.get(INFO_KEY) if info else None
    return isinstance(settings, Mapping) and settings.get("shared") is True


class Tables(Protocol):
    """Where tables are looked up by name: :class:`~schema_guard.facts.SchemaFacts`, or the indexed
    :class:`~schema_guard.schema_view.SchemaView` rules read."""

    def table(self, name: str) -> TableFact | None: ...


class TableScope(Enum):
    ANCHOR = "anchor"
    SHARED = "shared"
    SHARED_ASSOCIATION = "shared association"
    TENANT = "tenant-scoped"


@dataclass(frozen=True)
class TenantPolicy:
    anchor_table: str = "students"
    anchor_key: str = "id"
    tenant_column: str = "student_id"
    shared_tables: frozenset[str] = frozenset()

    def is_shared(self, table: TableFact) -> bool:
        return table.name in self.shared_tables or table.declared_shared

    def scope(self, table: TableFact, facts: Tables) -> TableScope:
        if table.name == self.anchor_table:
            return TableScope.ANCHOR
        if self.is_shared(table):
            return TableScope.SHARED
        if self._is_shared_association(table, facts):
            return TableScope.SHARED_ASSOCIATION
        return TableScope.TENANT

    def _is_shared_association(self, table: TableFact, facts: Tables) -> bool:
        if not table.primary_key:
            return False
        for column in table.primary_key:
            targets = [fk.target_table for fk in table.foreign_keys_of(column)]
            if not targets or not all(self._target_is_shared(name, facts) for name in targets):
                return False
        return True

    def _target_is_shared(self, name: str, facts: Tables) -> bool:
        if name in self.shared_tables:
            return True
        target = facts.table(name)
        return target is not None and target.declared_shared

    def anchor_key_type(self, facts: Tables) -> str:
        """The anchor key's type where the anchor is among the facts, else ``UUID`` (the design's default)."""
        anchor = facts.table(self.anchor_table)
        column = anchor.column(self.anchor_key) if anchor else None
        return column.type if column and column.type != "UNKNOWN" else "UUID"
