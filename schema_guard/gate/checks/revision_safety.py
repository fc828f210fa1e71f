"""The ``revision-safety`` check: the per-revision rules (SG605, SG607, SG651-SG656) over every revision in scope.

Each revision is read without a database (:mod:`schema_guard.gate.analysis.operations`) and judged in its own
context: the tables its ``upgrade()`` created so far are new, and the indexes and constraints earlier revisions
created are known by name (:class:`~schema_guard.gate.analysis.history.SchemaHistory`, shared with provenance). The
rules themselves (:mod:`schema_guard.rules.revision`) see only revision facts; this module only runs them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from types import MappingProxyType

from schema_guard.findings import Finding
from schema_guard.gate.alembic.revisions import Revision
from schema_guard.gate.analysis.history import SchemaHistory
from schema_guard.gate.analysis.operations import RevisionSource
from schema_guard.rules.base import RuleContext
from schema_guard.rules.revision import RevisionContext, RevisionRule


def check_revisions(
    sources: Iterable[tuple[Revision, RevisionSource]],
    *,
    rules: Sequence[RevisionRule],
    in_scope: set[str] | None,
    context: RuleContext,
) -> list[Finding]:
    """Run the per-revision ``rules`` over the revisions in scope (all when ``in_scope`` is ``None``), with the
    tenancy policy and rule options of ``context``."""
    history = SchemaHistory()
    findings: list[Finding] = []
    for revision, source in sources:
        if in_scope is None or revision.id in in_scope:
            facts = source.facts(revision.id, revision.down_revisions)
            judged = RevisionContext(
                tenancy=context.tenancy, rule_options=context.rule_options, revision=facts,
                indexes=MappingProxyType(history.indexes), constraints=MappingProxyType(history.constraints),
            )
            findings += _judge(judged, rules)
        history.record(revision, source)
    return findings


def _judge(context: RevisionContext, rules: Sequence[RevisionRule]) -> list[Finding]:
    revision = context.revision
    contexts = {rule.code: context.for_rule(rule.code) for rule in rules}
    findings: list[Finding] = []
    for rule in rules:
        for violation in rule.check_revision(revision, contexts[rule.code]):
            findings.append(rule.violation_finding(violation, revision.location, revision.id))
    for operation in revision.upgrade:
        for rule in rules:
            if operation.kind in rule.operations:
                for violation in rule.check_operation(operation, contexts[rule.code]):
                    findings.append(rule.violation_finding(violation, operation.location, revision.id))
        if operation.kind == "create_table" and operation.table:
            context.new_tables.add(operation.table)
    return findings
