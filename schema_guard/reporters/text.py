"""Human output: ``path:line:col: CODE [*] message`` and an indented ``help:`` line per finding, then a summary.

``[*]`` marks a finding that ``schema-guard check --fix`` rewrites. ``quiet`` keeps the finding lines only (no help,
no summary); ``color`` paints the path, the code and the help (see :mod:`schema_guard.reporters.color`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from schema_guard.findings import Finding
from schema_guard.reporters import display_path
from schema_guard.reporters.color import paint

if TYPE_CHECKING:
    from schema_guard.result import CheckResult

FIXABLE_MARK = "[*]"


@dataclass(frozen=True)
class TextStyle:
    color: bool = False
    quiet: bool = False


def is_fixable(finding: Finding) -> bool:
    """Whether ``--fix`` has a rewrite for this finding's rule (the rule's own ``fixable`` flag)."""
    from schema_guard.rules.registry import catalogue

    rule = catalogue().get(finding.code)
    return rule is not None and rule.fixable and finding.severity != "fatal"


def format_finding(finding: Finding, cwd: Path, style: TextStyle = TextStyle()) -> str:
    where = display_path(finding.path, cwd)
    if finding.line is not None:
        where += f":{finding.line}:{finding.column or 1}"
    mark = f" {paint(FIXABLE_MARK, 'fixable', style.color)}" if is_fixable(finding) else ""
    text = f"{paint(where, 'path', style.color)}: {paint(finding.code, 'code', style.color)}{mark} {finding.message}"
    if finding.fix and not style.quiet:
        text += f"\n    {paint('help:', 'help', style.color)} {finding.fix}"
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


def render(result: CheckResult, cwd: Path, style: TextStyle = TextStyle()) -> str:
    lines = [format_finding(finding, cwd, style) for finding in result.findings]
    if not style.quiet:
        fixable = sum(1 for f in result.findings if is_fixable(f))
        if fixable:
            lines.append(f"{paint(FIXABLE_MARK, 'fixable', style.color)} {fixable} fixable with `schema-guard check --fix`.")
        lines.append(paint(summary(result), "summary", style.color) if result.findings else summary(result))
    return "\n".join(lines) + "\n" if lines else ""
