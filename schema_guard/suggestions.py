""""Did you mean" suggestions that stay cheap however many names are unknown.

``difflib.get_close_matches(name, choices)`` compares ``name`` with every choice. Called once per unknown name
against every table of a project, it made a check quadratic: 2,000 model files whose tenant foreign keys all name a
table defined outside ``src`` took 40 s instead of 2 s. :class:`Suggestions` indexes the choices once and answers
the same question (the same best match, by the same measure and cutoff) by looking only at choices whose length
can reach the cutoff, remembers its answer per name, and gives up suggesting after a fixed number of distinct
names, so the cost is linear in the number of findings.
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import SequenceMatcher

CUTOFF = 0.6
"""``difflib.get_close_matches``'s default: the least similarity ratio worth suggesting."""

DISTINCT_NAMES = 256
"""How many distinct unknown names get a suggestion; past that a project has a systematic problem (a missing
model, a wrong prefix) that one suggestion per name does not help with, and comparing more would cost
``names × choices``."""


class Suggestions:
    """The closest choice to a name, from a fixed set of choices."""

    def __init__(self, choices: Iterable[str], *, budget: int = DISTINCT_NAMES) -> None:
        self._choices = choices
        self._by_length: dict[int, list[str]] | None = None
        """Built at the first question: most checks have no unknown name to suggest for."""
        self._answers: dict[str, str | None] = {}
        self._budget = budget

    def closest(self, name: str) -> str | None:
        """What ``difflib.get_close_matches(name, choices, n=1)`` returns first, or ``None``."""
        if name in self._answers:
            return self._answers[name]
        if len(self._answers) >= self._budget:
            return None
        answer = self._answers[name] = self._search(name)
        return answer

    def hint(self, name: str) -> str:
        """`` (did you mean 'x'?)``, or nothing."""
        close = self.closest(name)
        return f" (did you mean '{close}'?)" if close else ""

    def _search(self, name: str) -> str | None:
        if self._by_length is None:
            self._by_length = {}
            for choice in sorted(set(self._choices)):
                self._by_length.setdefault(len(choice), []).append(choice)
        matcher = SequenceMatcher()
        matcher.set_seq2(name)
        best: tuple[float, str] | None = None
        for length in self._lengths(self._by_length, len(name)):
            for choice in self._by_length[length]:
                matcher.set_seq1(choice)
                if matcher.real_quick_ratio() < CUTOFF or matcher.quick_ratio() < CUTOFF:
                    continue
                score = matcher.ratio()
                if score >= CUTOFF and (best is None or (score, choice) > best):
                    best = (score, choice)
        return best[1] if best else None

    @staticmethod
    def _lengths(by_length: dict[int, list[str]], size: int) -> list[int]:
        """Choice lengths whose ratio with a name of ``size`` characters can reach the cutoff: the ratio is at
        most ``2 * min / (size + length)``."""
        return [length for length in by_length if 2 * min(size, length) >= CUTOFF * (size + length)]
