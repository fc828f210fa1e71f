"""The finding: one violation (or one problem that stopped a check), as every reporter prints it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from schema_guard.location import Location

Severity = Literal["error", "fatal"]
"""``error``: a rule is violated (exit 1). ``fatal``: the tool could not check something it was asked to check —
a file that does not parse, a module that fails to import, an unreachable database (exit 2)."""


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    location: Location = field(default_factory=Location)
    table: str | None = None
    column_name: str | None = None
    reader: str = "source"
    severity: Severity = "error"
    fix: str | None = None
    """One sentence: what to do instead."""
    detail: str = ""
    """Distinguishes two findings of one code on one table/column (an index name, a relationship attribute)."""
    origin_code: str | None = None
    """The rule this finding applied, for a rule that runs others (SG606 runs SG203 on the migrated schema); the
    decider judges the finding under both codes."""

    @property
    def path(self) -> str | None:
        return self.location.path

    @property
    def line(self) -> int | None:
        return self.location.line

    @property
    def column(self) -> int | None:
        return self.location.column

    def identity(self) -> tuple[str, str | None, str | None, str, str | None]:
        """What makes two readers' findings "the same finding" (reported once)."""
        return (self.code, self.table, self.column_name, self.detail, self.origin_code)

    def at(self, location: Location) -> Finding:
        return replace(self, location=location)

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path or "", self.line or 0, self.column or 0, self.code)

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "table": self.table,
            "column_name": self.column_name,
            "reader": self.reader,
            "severity": self.severity,
            "fix": self.fix,
            "origin_code": self.origin_code,
        }


def problem(code: str, message: str, location: Location, reader: str) -> Finding:
    """A fatal finding: the reader could not read part of its input (the rest is still checked)."""
    return Finding(code=code, message=message, location=location, reader=reader, severity="fatal")
