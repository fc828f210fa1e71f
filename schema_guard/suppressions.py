"""Inline suppressions: ``# schema-guard: ignore[SG203, SG204]`` or a bare ``# schema-guard: ignore``.

A suppression on a finding's line silences it; one on a model's ``class`` line silences that code for the whole
model. Each suppression remembers what it silenced, so the unused ones can be reported (SG003).
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from schema_guard.files import absolute

_DIRECTIVE = re.compile(r"#\s*schema-guard:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)
ALL_CODES = "*"


@dataclass
class Suppression:
    path: str
    line: int
    column: int
    codes: frozenset[str]
    """The codes named, or ``{"*"}`` for a bare ignore."""
    used: set[str] = field(default_factory=set)

    def covers(self, code: str) -> bool:
        return ALL_CODES in self.codes or code in self.codes

    def unused_codes(self, enabled: set[str]) -> list[str]:
        if ALL_CODES in self.codes:
            return [] if self.used else [ALL_CODES]
        return sorted(c for c in self.codes if c in enabled and c not in self.used)


def read_suppressions(path: str, text: str) -> list[Suppression]:
    """Every suppression comment in ``text``; comments are found with ``tokenize``, so strings never match."""
    if "schema-guard" not in text:
        return []
    found = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type != tokenize.COMMENT:
                continue
            match = _DIRECTIVE.search(token.string)
            if match is None:
                continue
            codes = match.group("codes")
            named = frozenset(c.strip().upper() for c in codes.split(",") if c.strip()) if codes else None
            found.append(
                Suppression(path, token.start[0], token.start[1] + 1 + match.start(), named or frozenset({ALL_CODES}))
            )
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return found
    return found


class SuppressionIndex:
    """The suppressions of the checked files, looked up by (path, line)."""

    def __init__(self) -> None:
        self._by_line: dict[tuple[str, int], Suppression] = {}
        self.all: list[Suppression] = []

    def add_file(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return
        for suppression in read_suppressions(str(path), text):
            key = (absolute(path), suppression.line)
            if key not in self._by_line:
                self._by_line[key] = suppression
                self.all.append(suppression)

    def match(self, code: str, path: str | None, lines: list[int | None]) -> Suppression | None:
        """The suppression that silences ``code`` on any of ``lines`` of ``path``, marking it used."""
        if path is None:
            return None
        resolved = absolute(path)
        for line in lines:
            suppression = self._by_line.get((resolved, line)) if line is not None else None
            if suppression is not None and suppression.covers(code):
                suppression.used.add(code)
                return suppression
        return None
