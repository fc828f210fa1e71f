"""Rule documentation: ``schema-guard rules``, ``schema-guard explain CODE`` and docs/rules.md, all generated from
the rules' own data, so the docs cannot drift from the catalogue."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from schema_guard.cli import main
from schema_guard.rule_docs import explain, rules_markdown
from schema_guard.rules.registry import catalogue
from tests.helpers import REPO_ROOT, run_cli

RULES_MD = REPO_ROOT / "docs" / "rules.md"
REGENERATE = "python -m schema_guard.rule_docs > docs/rules.md"


def test_docs_rules_md_is_up_to_date() -> None:
    assert RULES_MD.is_file(), f"docs/rules.md is missing; generate it with `{REGENERATE}`"
    assert RULES_MD.read_text(encoding="utf-8") == rules_markdown(), (
        f"docs/rules.md is stale (a rule was added or its documentation changed); regenerate it with `{REGENERATE}`"
    )


def test_docs_rules_md_has_a_table_row_and_a_section_per_rule() -> None:
    page = rules_markdown()
    rows = [line for line in page.splitlines() if line.startswith("| [SG")]
    listed = [re.match(r"\| \[(SG\d{3})\]", row).group(1) for row in rows]  # type: ignore[union-attr]
    assert listed == list(catalogue())
    for row in rows:
        assert row.count(" | ") == 5, f"a '|' in a rule's text breaks the table: {row}"
    headings = [line[3:] for line in page.splitlines() if line.startswith("## ")]
    assert headings == [f"{code} {rule.name}" for code, rule in catalogue().items()]
    for row in rows:
        anchor = re.search(r"\]\(#([^)]+)\)", row).group(1)  # type: ignore[union-attr]
        assert anchor in {h.lower().replace(" ", "-") for h in headings}, f"dead link #{anchor}"


def test_rules_lists_every_code_with_readers_default_and_fixable() -> None:
    run = run_cli(REPO_ROOT, "rules")
    assert run.exit_code == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].split()[:5] == ["CODE", "NAME", "READERS", "DEFAULT", "FIX"]
    listed = {line.split()[0]: line for line in lines[1:]}
    assert list(listed) == list(catalogue())
    for code, rule in catalogue().items():
        cells = listed[code].split()
        assert cells[1] == rule.name and cells[2] == ",".join(rule.readers)
        assert cells[3] == ("opt-in" if rule.opt_in else "on")
        assert (cells[4] == "yes") is rule.fixable


@pytest.mark.parametrize("code", list(catalogue()))
def test_explain_covers_every_rule(code: str, capsys: pytest.CaptureFixture[str]) -> None:
    rule = catalogue()[code]
    assert main(["explain", code.lower()]) == 0
    page = capsys.readouterr().out
    assert page == explain(code)
    assert page.startswith(f"# {code} {rule.name}\n")
    for section in ("## Why", "## How to fix"):
        assert section in page
    assert rule.rationale.split()[0] in page and rule.how_to_fix.split()[0] in page
    assert rule.summary.strip() and rule.rationale.strip() and rule.how_to_fix.strip(), f"{code} is undocumented"
    if any(not example.valid for example in rule.examples):
        assert "Invalid" in page and "```python" in page
    if any(example.valid for example in rule.examples):
        assert "Valid" in page


def test_every_rule_that_readers_can_show_has_invalid_and_valid_examples() -> None:
    """A rule the source or metadata reader checks comes with proof: an invalid and a valid example."""
    missing = [
        code for code, rule in catalogue().items()
        if {"source", "metadata"} & set(rule.readers) and not rule.code.startswith("SG0")
        and not ({e.valid for e in rule.examples} >= {True, False})
    ]
    assert not missing, f"rules without both an invalid and a valid example: {missing}"


def test_explain_unknown_code_is_exit_2_with_a_hint(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "explain", "SG2O3")
    assert run.exit_code == 2
    assert run.stdout == ""
    assert "no rule SG2O3" in run.stderr and "schema-guard rules" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
