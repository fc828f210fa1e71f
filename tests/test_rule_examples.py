"""Every rule's examples, run through every reader that can read Python: invalid examples fire on exactly the
marked lines (``# expect: SGxxx``), valid ones stay silent. A rule cannot exist without this proof."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from schema_guard.config import parse_config
from schema_guard.decide import Decider
from schema_guard.engine import run_check
from schema_guard.rules.base import Example, FactRule, Rule, catalogue
from schema_guard.selection import Selection

PYTHON_READERS = ("source", "metadata")
_counter = itertools.count()


def _cases() -> list[object]:
    cases = []
    for code, rule in catalogue().items():
        for number, example in enumerate(rule.examples):
            readers = example.readers if example.readers is not None else rule.readers
            for reader in (r for r in PYTHON_READERS if r in readers):
                kind = "valid" if example.valid else "invalid"
                title = f"-{example.title}" if example.title else ""
                cases.append(pytest.param(rule, example, reader, id=f"{code}-{kind}{number}{title}-{reader}"))
    return cases


def _everything() -> Selection:
    opt_in = tuple(code for code, rule in catalogue().items() if rule.opt_in)
    return Selection(select=("SG",), extend_select=opt_in)


def run_example(example: Example, reader: str, folder: Path) -> list[tuple[int | None, str]]:
    """Write the example as a module in ``folder``, check it with one reader, return (line, code) pairs."""
    module = f"sg_example_{next(_counter)}"
    path = folder / f"{module}.py"
    path.write_text(example.code, encoding="utf-8")
    settings: dict[str, object] = {"src": [path.name], "models": [module] if reader == "metadata" else []}
    settings.update(dict(example.config))
    config = parse_config(settings, root=folder)
    result = run_check(
        config,
        decider=Decider(config, _everything(), use_baseline=False),
        use_source=reader == "source",
        use_metadata=reader == "metadata",
    )
    return [(f.line, f.code) for f in result.findings]


@pytest.mark.parametrize(("rule", "example", "reader"), _cases())
def test_rule_example(
    rule: type[Rule], example: Example, reader: str, tmp_path: Path, isolated_models: None
) -> None:
    reported = run_example(example, reader, tmp_path)
    fired = sorted(line or 0 for line, code in reported if code == rule.code)
    if example.valid:
        assert fired == [], f"{rule.code} fired on a valid example at lines {fired}:\n{example.code}"
    else:
        expected = sorted(example.expected_lines(rule.code))
        assert expected, "an invalid example must mark its lines with '# expect: CODE'"
        assert fired == expected, f"{rule.code} fired at {fired}, expected {expected}; all: {reported}"


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
