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


def test_noqa_with_our_codes_is_a_suppression_and_other_tools_codes_are_not_ours() -> None:
    text = (
        "a = 1  # noqa: SG203\n"
        "b = 2  # noqa:E501,sg204 SG101\n"
        "c = 3  # noqa: E501\n"
        "d = 4  # noqa\n"
        "e = 5  # noqa: SG101  # schema-guard: ignore[SG203]\n"
    )
    found = read_suppressions("m.py", text)
    assert [(s.line, s.column, sorted(s.codes)) for s in found] == [
        (1, 8, ["SG203"]), (2, 8, ["SG101", "SG204"]), (5, 8, ["SG101", "SG203"]),
    ]


def test_unknown_codes_are_reported_in_either_form_with_a_hint() -> None:
    known = {"SG101", "SG203", "SG204"}
    for text in ("x = 1  # schema-guard: ignore[SG2O3]\n", "x = 1  # noqa: SG2O3\n"):
        (suppression,) = read_suppressions("m.py", text)
        assert suppression.problems(known, known) == [
            ("SG2O3", "suppression names unknown code SG2O3 (did you mean SG203?): no rule has this code"),
        ]
