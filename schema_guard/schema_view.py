"""The schema view: what rules derive from one reader's facts, computed once and handed to every rule.

Several rules ask the same questions of the facts — which tables are tenant-scoped, the tenant column of each, every
column with its table, "the other side" of a relationship, the mapped class of a name. Each answer is a property of
:class:`SchemaView`, computed on first use and kept for the evaluation (the facts do not change while rules run), so
no rule recomputes it and no rule module imports another's helpers. A rule reads it as ``context.view``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

from schema_guard.facts import ColumnFact, RelationshipFact, SchemaFacts, TableFact
from schema_guard.tenancy import TableScope, TenantPolicy

__all__ = ["ClassKey", "RelationshipIndex", "SchemaView"]

ClassKey = tuple[str | None, str]
"""A mapped class: (its dotted module where the reader knows it, its name)."""


class SchemaView:
    """Derived views of one reader's facts under one tenancy policy."""

    def __init__(self, facts: SchemaFacts, tenancy: TenantPolicy) -> None:
        self.facts = facts
        self.tenancy = tenancy

    @cached_property
    def _tables(self) -> dict[str, TableFact]:
        return {table.name: table for table in reversed(self.facts.tables)}  # the first of a name wins

    def table(self, name: str) -> TableFact | None:
        """The first table named ``name`` (as :meth:`SchemaFacts.table`, from an index built once: rules ask once
        per foreign key, and a scan per question made checks quadratic in the number of tables)."""
        return self._tables.get(name)

    @cached_property
    def tenant_tables(self) -> tuple[TableFact, ...]:
        """The tenant-scoped tables (:class:`~schema_guard.tenancy.TenantPolicy`, deny by default). A table whose name
        the reader does not know may be the anchor or a shared table: it counts only when it carries the tenant
        column (the anchor does not) and the configuration names no shared table it could be."""
        return tuple(table for table in self.facts.tables
                     if (table.name_known or self._surely_scoped(table))
                     and self.tenancy.scope(table, self) is TableScope.TENANT)

    def _surely_scoped(self, table: TableFact) -> bool:
        return not self.tenancy.shared_tables and table.column(self.tenancy.tenant_column) is not None

    @cached_property
    def tenant_columns(self) -> tuple[tuple[TableFact, ColumnFact], ...]:
        """The tenant column of every tenant-scoped table that has one, except an opaque one (``tenant_field()``):
        its nullability, index, foreign key and type may be decided where the source reader cannot see."""
        pairs = []
        for table in self.tenant_tables:
            column = table.column(self.tenancy.tenant_column)
            if column is not None and not column.opaque:
                pairs.append((table, column))
        return tuple(pairs)

    @cached_property
    def columns(self) -> tuple[tuple[TableFact, ColumnFact], ...]:
        """Every column with its table."""
        return tuple((table, column) for table in self.facts.tables for column in table.columns)

    @cached_property
    def tables_by_class(self) -> Mapping[str, TableFact]:
        """Mapped classes by name; a name two tables share is left out (the reader cannot tell which is meant)."""
        found: dict[str, TableFact | None] = {}
        for table in self.facts.tables:
            if table.class_name:
                found[table.class_name] = None if table.class_name in found else table
        return {name: table for name, table in found.items() if table is not None}

    @cached_property
    def relationships(self) -> RelationshipIndex:
        """Relationships and table classes by class, for looking up "the other side"."""
        return RelationshipIndex(self.facts)


class RelationshipIndex:
    """Relationships and table classes by class, for looking up "the other side".

    Classes are told apart by module where the reader knows it, so two ``User`` classes of two files (or two
    tables of one name) never answer for each other; a target known only by name is the one class of that name,
    or the one in the owner's module, and unknown (silence) when that is still ambiguous."""

    def __init__(self, facts: SchemaFacts) -> None:
        self.by_owner: dict[ClassKey, dict[str, RelationshipFact]] = {}
        self.backrefs: dict[ClassKey, dict[str, RelationshipFact]] = {}
        """``Target.x`` attributes that SQLAlchemy creates from another side's ``backref="x"``."""
        modules: dict[str, set[str | None]] = {}
        for relationship in facts.relationships:
            key = (relationship.owner_module, relationship.owner_class)
            self.by_owner.setdefault(key, {})[relationship.attribute] = relationship
            modules.setdefault(relationship.owner_class, set()).add(relationship.owner_module)
        self.tables: dict[ClassKey, TableFact] = {}
        for table in facts.tables:
            if table.class_name:
                self.tables.setdefault((table.module, table.class_name), table)
                modules.setdefault(table.class_name, set()).add(table.module)
        self._modules = modules
        self.known_classes = {c.name for c in facts.classes} | set(modules)
        for relationship in facts.relationships:
            target = self.target_key(relationship)
            if relationship.backref and target is not None:
                self.backrefs.setdefault(target, {})[relationship.backref] = relationship

    def key(self, class_name: str | None, module: str | None, near: str | None) -> ClassKey | None:
        """The one class ``class_name`` means: in ``module`` when known, else the only one of that name, else the
        one in the module ``near`` (the owner's); ``None`` when that is ambiguous or unknown."""
        if class_name is None:
            return None
        candidates = self._modules.get(class_name, set())
        if module is not None and module in candidates:
            return (module, class_name)
        if len(candidates) == 1:
            return (next(iter(candidates)), class_name)
        if near in candidates:
            return (near, class_name)
        return None

    def target_key(self, relationship: RelationshipFact) -> ClassKey | None:
        return self.key(relationship.target_class, relationship.target_module, relationship.owner_module)

    def owner_key(self, relationship: RelationshipFact) -> ClassKey:
        return (relationship.owner_module, relationship.owner_class)

    def table_of(self, class_name: str | None, module: str | None, near: str | None) -> TableFact | None:
        key = self.key(class_name, module, near)
        return self.tables.get(key) if key is not None else None

    def ambiguous(self, relationship: RelationshipFact) -> bool:
        """The target's name is shared by several classes the reader cannot tell apart."""
        return relationship.target_class in self._modules and self.target_key(relationship) is None

    def other_side(self, relationship: RelationshipFact) -> RelationshipFact | None:
        if relationship.target_class is None or relationship.back_populates is None:
            return None
        target = self.target_key(relationship)
        return self.by_owner.get(target, {}).get(relationship.back_populates) if target else None

    def created_by_backref(self, relationship: RelationshipFact) -> bool:
        """``back_populates`` names an attribute a ``backref=`` on the target's side creates."""
        target = self.target_key(relationship)
        return target is not None and relationship.back_populates in self.backrefs.get(target, {})

    def maybe_hidden(self, relationship: RelationshipFact, attribute: str) -> bool:
        """The target has attributes the source reader cannot see (``essays = essays_relationship()``, a
        ``@declared_attr``, a base class from another package): ``Target.attribute`` may be one of them."""
        table = self.table_of(relationship.target_class, relationship.target_module, relationship.owner_module)
        return table is not None and table.incomplete

    def pointing_back(self, relationship: RelationshipFact) -> list[RelationshipFact]:
        """Relationships on the target class whose target is the owner: candidates for ``back_populates``."""
        target = self.target_key(relationship)
        candidates = self.by_owner.get(target, {}).values() if target else ()
        owner = self.owner_key(relationship)
        return [r for r in candidates if self.target_key(r) == owner and r is not relationship]
