"""Inline suppressions: ``# schema-guard: ignore[SG203, SG204]``, a bare ``# schema-guard: ignore``, or
``# noqa: SG203`` (teams paste noqa comments from habit; only its SG codes are ours, a bare ``# noqa`` is not).

A suppression on a finding's line silences it; one on a model's ``class`` line silences that code for the whole
model. Each suppression remembers what it silenced, so the unused ones can be reported (SG003), and a code that no
rule has is reported too: a typo would otherwise silently suppress nothing.
"""

from __future__ import annotations

import difflib
import io
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from schema_guard.files import absolute

_DIRECTIVE = re.compile(r"#\s*schema-guard:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)
_NOQA = re.compile(r"#\s*noqa\s*:\s*(?P<codes>[A-Z]+[0-9][A-Z0-9]*(?:[\s,]+[A-Z]+[0-9][A-Z0-9]*)*)", re.IGNORECASE)
OUR_PREFIX = "SG"
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

    def problems(self, enabled: set[str], known: set[str]) -> list[tuple[str, str]]:
        """``(code, message)`` for each code named that no rule has, then each enabled code that silenced
        nothing (``*`` for a bare ignore that silenced nothing)."""
        found = []
        for code in sorted(self.codes - known - {ALL_CODES}):
            close = difflib.get_close_matches(code, sorted(known), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            found.append((code, f"suppression names unknown code {code}{hint}: no rule has this code"))
        for code in self.unused_codes(enabled):
            what = "bare `schema-guard: ignore`" if code == ALL_CODES else f"suppression of {code}"
            found.append((code, f"unused {what}: nothing is reported here"))
        return found


def read_suppressions(path: str, text: str) -> list[Suppression]:
    """Every suppression comment in ``text``; comments are found with ``tokenize``, so strings never match."""
    lowered = text.lower()
    if "schema-guard" not in lowered and "noqa" not in lowered:
        return []
    found = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                suppression = _parse_comment(path, token.start, token.string)
                if suppression is not None:
                    found.append(suppression)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return found
    return found


def _parse_comment(path: str, start: tuple[int, int], comment: str) -> Suppression | None:
    """The suppression a comment holds: the union of its ``schema-guard: ignore`` and ``noqa: SG...`` parts,
    located at the first of them; ``None`` when it holds neither (or a noqa naming only other tools' codes)."""
    codes: set[str] = set()
    columns: list[int] = []
    for match in _DIRECTIVE.finditer(comment):
        named = match.group("codes")
        listed = {c.strip().upper() for c in named.split(",") if c.strip()} if named else set()
        codes |= listed or {ALL_CODES}
        columns.append(match.start())
    for match in _NOQA.finditer(comment):
        ours = {c.upper() for c in re.split(r"[\s,]+", match.group("codes")) if c.upper().startswith(OUR_PREFIX)}
        if ours:
            codes |= ours
            columns.append(match.start())
    if not codes:
        return None
    return Suppression(path, start[0], start[1] + 1 + min(columns), frozenset(codes))


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
