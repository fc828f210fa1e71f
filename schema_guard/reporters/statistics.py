"""``--statistics``: one line per code with how often it was found, most frequent first (ties by code)."""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING

from schema_guard.reporters.text import FIXABLE_MARK, is_fixable

if TYPE_CHECKING:
    from schema_guard.result import CheckResult


def counts(result: CheckResult) -> list[tuple[str, int, bool, str]]:
    """``(code, count, fixable, rule name)`` per code found, most frequent first."""
    from schema_guard.rules.registry import catalogue

    rules = catalogue()
    tally = Counter(f.code for f in result.findings)
    fixable = {f.code for f in result.findings if is_fixable(f)}
    ordered = sorted(tally.items(), key=lambda item: (-item[1], item[0]))
    return [(code, n, code in fixable, rules[code].name if code in rules else "") for code, n in ordered]


def render(result: CheckResult, as_json: bool = False) -> str:
    rows = counts(result)
    if as_json:
        items = [{"code": c, "name": name, "count": n, "fixable": fix} for c, n, fix, name in rows]
        return json.dumps(items, indent=2) + "\n"
    if not rows:
        return ""
    width = max(len(str(n)) for _, n, _, _ in rows)
    return "".join(
        f"{n:>{width}}  {code}  {FIXABLE_MARK if fix else ' ' * len(FIXABLE_MARK)} {name}\n"
        for code, n, fix, name in rows
    )
