"""Every rule's examples, run through every reader that can read Python by the public example runner
(:mod:`schema_guard.testing`): invalid examples fire on exactly the marked lines (``# expect: SGxxx``), valid ones
stay silent. A rule cannot exist without this proof."""

from __future__ import annotations

from pathlib import Path

import pytest

from schema_guard.rules.base import FactRule
from schema_guard.rules.registry import catalogue
from schema_guard.testing import ExampleCase, check_example, example_cases


@pytest.mark.parametrize("case", example_cases(), ids=str)
def test_rule_example(case: ExampleCase, tmp_path: Path) -> None:
    check_example(case, tmp_path)


@pytest.mark.parametrize("code", [c for c, r in catalogue().items() if issubclass(r, FactRule)])
def test_every_fact_rule_has_valid_and_invalid_examples(code: str) -> None:
    rule = catalogue()[code]
    assert any(e.valid for e in rule.examples), f"{code} has no valid example"
    assert any(not e.valid for e in rule.examples), f"{code} has no invalid example"


@pytest.mark.parametrize("code", list(catalogue()))
def test_every_rule_is_documented(code: str) -> None:
    rule = catalogue()[code]
    assert rule.code == code and rule.name and rule.summary and rule.rationale and rule.how_to_fix
    assert rule.name == rule.name.lower() and " " not in rule.name, "rule names are kebab-case"
    assert rule.readers, "a rule says which readers run it"
