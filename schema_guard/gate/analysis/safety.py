"""Per-revision rules (SG605, SG607, SG651-SG656): every revision judged in its own context.

A table created earlier in the same ``upgrade()`` is *new* (empty, unseen by running code); every other table is
*existing*, possibly large and live. What earlier revisions created (index and constraint names → columns) is
remembered (:class:`~schema_guard.gate.analysis.history.SchemaHistory`, shared with provenance) so that a later
``drop_index("ix_exams_student_id")`` is known to drop the tenant index.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from schema_guard.facts import Location
from schema_guard.findings import Finding
from schema_guard.gate.analysis.history import Definition, SchemaHistory
from schema_guard.gate.analysis.operations import OpCall, RevisionSource
from schema_guard.gate.analysis.sql import Statement, is_data_only, statements
from schema_guard.gate.alembic.revisions import Revision
from schema_guard.tenancy import TenantPolicy

__all__ = ["Definition", "RevisionChecker", "RevisionContext", "SchemaHistory", "changes_schema", "check_revisions",
           "is_irreversible", "sql_statements"]


@dataclass
class RevisionContext:
    """What a per-revision rule may know about the revision under judgement."""

    tenancy: TenantPolicy
    shared_tables: frozenset[str]
    calls: list[OpCall]
    """Every op call of this revision's ``upgrade()``, in order."""
    history: SchemaHistory
    new_tables: set[str] = field(default_factory=set)
    """Tables created so far in this ``upgrade()``."""

    @property
    def tenant_column(self) -> str:
        return self.tenancy.tenant_column

    def is_new(self, table: str | None) -> bool:
        return table is not None and table in self.new_tables

    def is_tenant_table(self, table: str | None) -> bool:
        return bool(table) and table != self.tenancy.anchor_table and table not in self.shared_tables

    def index(self, name: str | None) -> Definition | None:
        return self.history.indexes.get(name or "")

    def constraint(self, name: str | None) -> Definition | None:
        return self.history.constraints.get(name or "")

    def creates_tenant_index(self, table: str) -> bool:
        """This revision also creates an index (or PK/unique) on ``table`` that leads with the tenant column."""
        for call in self.calls:
            if call.table != table:
                continue
            columns = call.strings("columns") or ()
            if call.name in {"create_index", "create_unique_constraint", "create_primary_key"} and columns[:1] == (
                self.tenant_column,
            ):
                return True
        return False

    def drops_table(self, table: str | None) -> bool:
        """This revision drops ``table`` (with ``op.drop_table`` or ``DROP TABLE`` in ``op.execute``): what it drops
        on the table first (indexes, keys, columns) goes with it and weakens nothing."""
        if not table:
            return False
        for call in self.calls:
            if call.name == "drop_table" and call.table == table:
                return True
            if call.name == "execute" and any(s.kind == "drop_table" and s.table == table
                                              for s in sql_statements(call)):
                return True
        return False

    def keeps_tenant_index(self, table: str, dropped: str | None) -> bool:
        """After this revision ``table`` still has an index (or primary key/unique constraint) other than ``dropped``
        that leads with the tenant column: one an earlier revision created and this one does not drop, or one this
        revision creates."""
        if self.creates_tenant_index(table):
            return True
        dropped_here = {call.text("index_name") for call in self.calls if call.name == "drop_index"}
        dropped_here |= {call.text("constraint_name") for call in self.calls if call.name == "drop_constraint"}
        existing = list(self.history.indexes.items()) + [
            (name, definition) for name, definition in self.history.constraints.items()
            if not name.endswith("_fkey")
        ]
        return any(
            name != dropped and name not in dropped_here and owner == table and columns[:1] == (self.tenant_column,)
            for name, (owner, columns) in existing
        )

    def creates_tenant_foreign_key(self, table: str) -> bool:
        return any(
            call.name == "create_foreign_key" and call.table == table
            and self.tenant_column in (call.strings("local_cols") or ())
            and call.text("referent_table") == self.tenancy.anchor_table
            for call in self.calls
        )


class RevisionChecker(Protocol):
    """A per-revision rule as the gate runs it (:class:`schema_guard.rules.migrations.RevisionRule`); the rules are
    handed to :func:`check_revisions`, so the gate depends on no rule module."""

    operations: frozenset[str]

    def check_op(self, call: OpCall, context: RevisionContext) -> Iterator[Any]: ...

    def check_source(self, source: RevisionSource, context: RevisionContext) -> Iterator[tuple[Any, Any]]: ...

    def violation_finding(self, violation: Any, location: Location, revision_id: str) -> Finding: ...


def check_revisions(
    sources: Iterable[tuple[Revision, RevisionSource]],
    *,
    rules: Sequence[RevisionChecker],
    in_scope: set[str] | None,
    tenancy: TenantPolicy,
    shared_tables: frozenset[str],
) -> list[Finding]:
    """Run the per-revision ``rules`` over the revisions in scope (all when ``in_scope`` is ``None``)."""
    history = SchemaHistory()
    findings: list[Finding] = []
    for revision, source in sources:
        if in_scope is None or revision.id in in_scope:
            context = RevisionContext(tenancy, shared_tables, source.upgrade, history)
            findings += _judge(revision, source, context, rules)
        history.record(revision, source)
    return findings


def _judge(revision: Revision, source: RevisionSource, context: RevisionContext,
           rules: Sequence[RevisionChecker]) -> list[Finding]:
    findings: list[Finding] = []
    for rule in rules:
        for violation, node in rule.check_source(source, context):
            line, column = source.position(node) if node is not None else (1, 1)
            findings.append(rule.violation_finding(violation, revision.location(line, column), revision.id))
    for call in source.upgrade:
        for rule in rules:
            if call.name in rule.operations:
                for violation in rule.check_op(call, context):
                    line, column = call.position
                    findings.append(rule.violation_finding(violation, revision.location(line, column), revision.id))
        if call.name == "create_table" and call.table:
            context.new_tables.add(call.table)
    return findings


def is_irreversible(source: RevisionSource) -> bool:
    """The downgrade cannot undo the upgrade: missing, empty or only raising, while the upgrade changes the schema."""
    return source.downgrade_kind != "ok" and source.upgrade_kind == "ok" and changes_schema(source)


DATA_OPERATIONS = frozenset({"execute", "bulk_insert"})


def changes_schema(source: RevisionSource) -> bool:
    """``False`` only for a revision that provably changes rows alone: its ``op`` calls are ``op.execute`` and
    ``op.bulk_insert``, and every SQL it runs (through ``op.execute`` or a connection) parses as data statements
    (UPDATE, INSERT, DELETE, SELECT...). Anything the gate cannot read counts as a schema change."""
    if any(call.name not in DATA_OPERATIONS for call in source.upgrade):
        return True
    executed = [call.sql() for call in source.upgrade if call.name == "execute"] + source.upgrade_connection_sql
    if not executed and not source.upgrade:
        return True  # upgrade() does its work some other way (a helper, the ORM): nothing says it is data only
    return not all(sql is not None and is_data_only(sql) for sql in executed)


def sql_statements(call: OpCall) -> tuple[Statement, ...]:
    """The statements of ``op.execute("...")``; none when the SQL is not a literal or does not parse (no guess)."""
    sql = call.sql() if call.name == "execute" else None
    return (statements(sql) or ()) if sql is not None else ()
