"""What a per-revision rule is: one check over a revision's facts, in the context of that revision.

A :class:`RevisionRule` sees each :class:`~schema_guard.revision_facts.Operation` of ``upgrade()`` whose kind it
lists, and the whole :class:`~schema_guard.revision_facts.RevisionFacts` once. Its :class:`RevisionContext` says
what the revision is judged against: a table created earlier in the same ``upgrade()`` is *new* (empty, unseen by
running code), every other table is *existing*, possibly large and live; the indexes and constraints earlier
revisions created are known by name, so a later ``drop_index("ix_exams_student_id")`` is known to drop the tenant
index. The migration gate reads the revisions and runs these rules; nothing here knows how revisions are read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar

from schema_guard.findings import Finding
from schema_guard.location import Location
from schema_guard.revision_facts import Operation, RevisionFacts
from schema_guard.rules.base import Rule, RuleContext

__all__ = ["Definition", "RevisionContext", "RevisionRule", "Violation"]

Definition = tuple[str, tuple[str, ...]]
"""(table, columns) of an index or constraint."""


@dataclass(frozen=True)
class Violation:
    """What a per-revision rule found."""

    message: str
    table: str | None = None
    column: str | None = None
    detail: str = ""
    fix: str | None = None
    location: Location | None = None
    """Where to report it when not at the operation that was judged (or, for a whole revision, its first line)."""


@dataclass(frozen=True)
class RevisionContext(RuleContext):
    """What a per-revision rule may know about the revision under judgement, besides the tenancy policy and its
    own options."""

    revision: RevisionFacts = field(default_factory=lambda: RevisionFacts(id="", path=""))
    indexes: Mapping[str, Definition] = field(default_factory=lambda: MappingProxyType({}))
    """Indexes that earlier revisions created and that still exist, by name."""
    constraints: Mapping[str, Definition] = field(default_factory=lambda: MappingProxyType({}))
    """Foreign keys, unique constraints and primary keys likewise (check and exclusion constraints have no column
    list and are not kept)."""
    new_tables: set[str] = field(default_factory=set)
    """Tables created so far in this ``upgrade()``."""

    @property
    def operations(self) -> tuple[Operation, ...]:
        """Every operation of this revision's ``upgrade()``, in order."""
        return self.revision.upgrade

    @property
    def tenant_column(self) -> str:
        return self.tenancy.tenant_column

    def is_new(self, table: str | None) -> bool:
        return table is not None and table in self.new_tables

    def is_tenant_table(self, table: str | None) -> bool:
        return bool(table) and table != self.tenancy.anchor_table and table not in self.tenancy.shared_tables

    def index(self, name: str | None) -> Definition | None:
        return self.indexes.get(name or "")

    def constraint(self, name: str | None) -> Definition | None:
        return self.constraints.get(name or "")

    def creates_tenant_index(self, table: str) -> bool:
        """This revision also creates an index (or PK/unique) on ``table`` that leads with the tenant column."""
        return any(
            operation.table == table
            and operation.kind in {"create_index", "create_unique_constraint", "create_primary_key"}
            and (operation.strings("columns") or ())[:1] == (self.tenant_column,)
            for operation in self.operations
        )

    def drops_table(self, table: str | None) -> bool:
        """This revision drops ``table`` (with ``op.drop_table`` or ``DROP TABLE`` in ``op.execute``): what it drops
        on the table first (indexes, keys, columns) goes with it and weakens nothing."""
        if not table:
            return False
        for operation in self.operations:
            if operation.kind == "drop_table" and operation.table == table:
                return True
            if any(s.kind == "drop_table" and s.table == table for s in operation.statements):
                return True
        return False

    def keeps_tenant_index(self, table: str, dropped: str | None) -> bool:
        """After this revision ``table`` still has an index (or primary key/unique constraint) other than ``dropped``
        that leads with the tenant column: one an earlier revision created and this one does not drop, or one this
        revision creates."""
        if self.creates_tenant_index(table):
            return True
        dropped_here = {op.text("index_name") for op in self.operations if op.kind == "drop_index"}
        dropped_here |= {op.text("constraint_name") for op in self.operations if op.kind == "drop_constraint"}
        existing = list(self.indexes.items()) + [
            (name, definition) for name, definition in self.constraints.items() if not name.endswith("_fkey")
        ]
        return any(
            name != dropped and name not in dropped_here and owner == table and columns[:1] == (self.tenant_column,)
            for name, (owner, columns) in existing
        )

    def creates_tenant_foreign_key(self, table: str) -> bool:
        return any(
            operation.kind == "create_foreign_key" and operation.table == table
            and self.tenant_column in (operation.strings("local_cols") or ())
            and operation.text("referent_table") == self.tenancy.anchor_table
            for operation in self.operations
        )


class RevisionRule(Rule):
    """A per-revision rule: :meth:`check_operation` sees each operation of ``upgrade()`` whose kind is in
    ``operations``; :meth:`check_revision` sees the whole revision once."""

    operations: ClassVar[frozenset[str]] = frozenset()

    def check_operation(self, operation: Operation, context: RevisionContext) -> Iterator[Violation]:
        return iter(())

    def check_revision(self, revision: RevisionFacts, context: RevisionContext) -> Iterator[Violation]:
        return iter(())

    def violation_finding(self, violation: Violation, location: Location, revision_id: str) -> Finding:
        """The finding for ``violation``, at ``location`` unless the violation names its own."""
        return self.finding(
            violation.message,
            violation.location or location,
            reader="migrations",
            table=violation.table,
            column=violation.column,
            detail=f"{revision_id}:{violation.detail}",
            fix=violation.fix,
        )
