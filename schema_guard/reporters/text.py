"""Human output: ``path:line:col: CODE message`` and an indented ``help:`` line per finding, then a summary."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from schema_guard.findings import Finding
from schema_guard.reporters import display_path

if TYPE_CHECKING:
    from schema_guard.result import CheckResult


def format_finding(finding: Finding, cwd: Path) -> str:
    where = display_path(finding.path, cwd)
    if finding.line is not None:
        where += f":{finding.line}:{finding.column or 1}"
    text = f"{where}: {finding.code} {finding.message}"
    if finding.fix:
        text += f"\n    help: {finding.fix}"
    return text


def summary(result: CheckResult) -> str:
    extras = []
    if result.suppressed:
        extras.append(f"{result.suppressed} suppressed")
    if result.baselined:
        extras.append(f"{result.baselined} baselined")
    tail = f" ({', '.join(extras)})" if extras else ""
    fatal = sum(1 for f in result.findings if f.severity == "fatal")
    if fatal:
        return f"Found {len(result.findings)} finding(s), {fatal} of them error(s) that stopped a check{tail}."
    if result.findings:
        return f"Found {len(result.findings)} finding(s){tail}."
    return f"All checks passed!{tail}"


def render(result: CheckResult, cwd: Path) -> str:
    lines = [format_finding(finding, cwd) for finding in result.findings]
    lines.append(summary(result))
    return "\n".join(lines) + "\n"
