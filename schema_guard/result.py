"""The result of a run: the findings to report and what was held back, as every reporter and exit code reads it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from schema_guard.facts import SchemaFacts
from schema_guard.findings import Finding


@dataclass
class CheckResult:
    findings: list[Finding]
    """What to report: enabled, not suppressed, not in the baseline; sorted by location."""
    suppressed: int = 0
    baselined: int = 0
    files: list[Path] = field(default_factory=list)
    facts: list[SchemaFacts] = field(default_factory=list)

    @property
    def fatal(self) -> bool:
        return any(f.severity == "fatal" for f in self.findings)

    @property
    def exit_code(self) -> int:
        if self.fatal:
            return 2
        return 1 if self.findings else 0
