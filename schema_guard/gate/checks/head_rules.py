"""SG606: the key and tenancy rules (every fact rule that reads the database) on the schema reflected at head.

Each violation is reported as SG606 with the applied rule as its ``origin_code`` (and in its message: "SG203 at head:
..."), located where the database reader's locator put the object: the revision that created (or last changed) it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from schema_guard.facts import Location, SchemaFacts
from schema_guard.findings import Finding
from schema_guard.rules.base import RuleContext
from schema_guard.rules.registry import fact_rules
from schema_guard.tenancy import TenantPolicy

CODE = "SG606"


def head_rule_findings(
    facts: SchemaFacts,
    tenancy: TenantPolicy,
    enabled: Callable[[str], bool] | None = None,
    refine: Callable[[Location, str | None, str | None], Location] | None = None,
    rule_options: Mapping[str, Mapping[str, object]] | None = None,
) -> list[Finding]:
    """Run the database fact rules that ``enabled`` selects (default: all but the opt-in ones); ``refine`` turns a
    finding's coarse location (the revision file) into the line that created the table or column."""
    context = RuleContext(tenancy=tenancy, rule_options=rule_options or {}).for_facts(facts)
    findings: list[Finding] = []
    for rule in fact_rules():
        selected = enabled(rule.code) if enabled is not None else not rule.opt_in
        if "database" not in rule.readers or not selected:
            continue
        for found in rule.check(facts, context.for_rule(rule.code)):
            findings.append(
                replace(
                    found,
                    location=refine(found.location, found.table, found.column_name) if refine else found.location,
                    code=CODE,
                    message=f"{found.code} at head: {found.message}",
                    reader="migrations",
                    severity="error",
                    origin_code=found.code,
                )
            )
    return findings


TENANCY_CODES = frozenset({"SG201", "SG202", "SG203", "SG204", "SG205"})


def without_repeats(findings: list[Finding]) -> list[Finding]:
    """Drop an SG606 tenancy finding already explained by an SG605 finding on the same column (the revision that
    weakened tenancy is the more precise report of the same problem)."""
    weakened = {(f.table, f.column_name) for f in findings if f.code == "SG605"}
    return [
        f for f in findings
        if not (f.origin_code in TENANCY_CODES and (f.table, f.column_name) in weakened)
    ]
