"""One finding per written line: a field defined once in a mixin or base class is reported once, at that line.

Every table that inherits the field carries its own copy of the column, so a rule about the column fires once per
table — 14 findings for 2 lines of a mixin inherited by 7 tables. The findings of one rule at one location about
one column are one violation: the copy for the first table (by name, so every reader keeps the same one) is kept,
and its message names the other tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from schema_guard.findings import Finding


Definition = tuple[str, str, int, "int | None", "str | None", str]


def once_per_definition(findings: Iterable[Finding]) -> list[Finding]:
    order: list[Finding | Definition] = []
    groups: dict[Definition, list[Finding]] = {}
    for finding in findings:
        key = _definition(finding)
        if key is None:
            order.append(finding)
            continue
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(finding)
    return [item if isinstance(item, Finding) else _merged(groups[item]) for item in order]


def _definition(finding: Finding) -> Definition | None:
    """What identifies the written line a finding is about; ``None`` for findings about no table or place."""
    if finding.table is None or finding.path is None or finding.line is None:
        return None
    return (finding.code, finding.path, finding.line, finding.column, finding.column_name, finding.detail)


def _merged(group: list[Finding]) -> Finding:
    first = min(group, key=lambda finding: finding.table or "")
    others = sorted({finding.table for finding in group if finding.table and finding.table != first.table})
    if not others:
        return first
    tables = ", ".join(f"'{name}'" for name in others)
    return replace(first, message=f"{first.message} (the same definition is inherited by {tables})")
