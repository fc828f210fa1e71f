"""The team's rule gets the same proof as schema-guard's own: each example through the source and the metadata
reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from schema_guard.testing import ExampleCase, check_example, example_cases


@pytest.mark.parametrize("case", example_cases(["team_rules"]), ids=str)
def test_team_rule_examples(case: ExampleCase, tmp_path: Path) -> None:
    check_example(case, tmp_path)
