"""Rule selection by prefix (most specific wins, opt-in rules by full code) and suppression comments."""

from __future__ import annotations

from schema_guard.selection import Selection
from schema_guard.suppressions import read_suppressions


def test_most_specific_prefix_wins() -> None:
    selection = Selection(select=("SG",), ignore=("SG2",), extend_select=("SG203",))
    assert selection.enabled("SG101")
    assert not selection.enabled("SG202")
    assert selection.enabled("SG203")


def test_opt_in_rules_need_their_full_code() -> None:
    assert not Selection(select=("SG",)).enabled("SG206")
    assert not Selection(select=("SG2",)).enabled("SG206")
    assert Selection(select=("SG",), extend_select=("SG206",)).enabled("SG206")
    assert not Selection(select=("SG206",), ignore=("SG206",)).enabled("SG206")


def test_suppression_comments_are_read_with_their_codes() -> None:
    text = (
        "x = 1  # schema-guard: ignore[SG203, sg204]\n"
        "y = '# schema-guard: ignore'\n"
        "z = 2  # noqa  # schema-guard: ignore\n"
    )
    found = read_suppressions("m.py", text)
    assert [(s.line, sorted(s.codes)) for s in found] == [(1, ["SG203", "SG204"]), (3, ["*"])]
    assert found[0].covers("SG204") and not found[0].covers("SG101") and found[1].covers("SG101")


def test_unused_codes_are_only_those_enabled_and_unused() -> None:
    (suppression,) = read_suppressions("m.py", "x = 1  # schema-guard: ignore[SG203, SG206]\n")
    suppression.used.add("SG203")
    assert suppression.unused_codes({"SG203"}) == []
    assert suppression.unused_codes({"SG203", "SG206"}) == ["SG206"]
