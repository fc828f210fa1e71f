"""The example runner, for a team's own test suite: every ``Valid``/``Invalid`` example of a rule, run through the
source reader and the metadata reader (a per-revision rule's, as a revision file, through the migration gate's
revision reader), exactly as schema-guard proves its own rules.

An invalid example must fire on exactly the lines marked ``# expect: CODE`` (and nowhere else); a valid one must
stay silent. Running an example through both readers is what keeps a rule honest: what the source text says and
what SQLAlchemy builds on import must agree. In a pytest suite::

    import pytest
    from schema_guard.testing import example_cases, check_example

    @pytest.mark.parametrize("case", example_cases(["team_rules"]), ids=str)
    def test_team_rule_examples(case, tmp_path):
        check_example(case, tmp_path)
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from schema_guard.config import Config, parse_config
from schema_guard.decide import Decider
from schema_guard.engine import run_check
from schema_guard.result import CheckResult
from schema_guard.rules.base import Example, Rule, RuleContext
from schema_guard.rules.registry import catalogue, declared_in, is_core, kept_active, load_plugins, revision_rules
from schema_guard.rules.revision import RevisionRule
from schema_guard.selection import DEFAULT_SELECT, Selection

PYTHON_READERS = ("source", "metadata")
"""The readers an example (a model module) is run through."""
REVISION_READER = "migrations"
"""The reader a per-revision rule's example (a revision file) is run through."""

__all__ = [
    "PYTHON_READERS", "REVISION_READER", "ExampleCase", "check_example", "example_cases", "isolated_models",
    "reset_sqlmodel", "run_example",
]

_counter = itertools.count()


@dataclass(frozen=True)
class ExampleCase:
    """One example of one rule, to be run through one reader."""

    rule: type[Rule]
    example: Example
    reader: str
    number: int
    plugins: tuple[str, ...] = ()
    """The plugin modules that declare the rule (none for schema-guard's own rules)."""

    def __str__(self) -> str:
        kind = "valid" if self.example.valid else "invalid"
        title = f"-{self.example.title}" if self.example.title else ""
        return f"{self.rule.code}-{kind}{self.number}{title}-{self.reader}"


def example_cases(plugins: Iterable[str] = ()) -> list[ExampleCase]:
    """Every example of every rule the ``plugins`` modules declare (none: schema-guard's own rules), once per
    Python reader the example (or else its rule) names; a per-revision rule's once, through the revision reader."""
    chosen = tuple(plugins)
    with kept_active():
        if chosen:
            load_plugins(parse_config({"plugins": list(chosen)}, root=Path.cwd()))
        rules = [rule for rule in catalogue().values()
                 if (any(declared_in(rule, name) for name in chosen) if chosen else is_core(rule))]
    cases = []
    for rule in rules:
        for number, example in enumerate(rule.examples):
            readers = example.readers if example.readers is not None else rule.readers
            possible = (REVISION_READER,) if issubclass(rule, RevisionRule) else PYTHON_READERS
            cases += [ExampleCase(rule, example, reader, number, chosen) for reader in possible if reader in readers]
    return cases


def run_example(case: ExampleCase, folder: Path) -> list[tuple[int | None, str]]:
    """Write the example as a module (a revision file, for the revision reader) in ``folder``, check it with the
    case's reader (every rule on, opt-in ones too; no baseline), and return the (line, code) of every finding."""
    module = f"sg_example_{next(_counter)}"
    path = folder / f"{module}.py"
    path.write_text(case.example.code, encoding="utf-8")
    settings: dict[str, object] = {"src": [path.name], "models": [module] if case.reader == "metadata" else []}
    settings["plugins"] = list(case.plugins)
    settings.update(dict(case.example.config))
    config = parse_config(settings, root=folder)
    with kept_active(), isolated_models():
        load_plugins(config)
        opt_in = tuple(code for code, rule in catalogue().items() if rule.opt_in)
        decider = Decider(config, Selection(select=DEFAULT_SELECT, extend_select=opt_in), use_baseline=False)
        if case.reader == REVISION_READER:
            result = _judge_revision(path, config, decider)
        else:
            result = run_check(config, decider=decider, use_source=case.reader == "source",
                               use_metadata=case.reader == "metadata")
    return [(f.line, f.code) for f in result.findings]


def _judge_revision(path: Path, config: Config, decider: Decider) -> CheckResult:
    """The per-revision rules on one revision file, judged alone (no earlier revision, no database), as the
    migration gate runs them."""
    from schema_guard.gate.alembic.revisions import Revision
    from schema_guard.gate.analysis.operations import RevisionSource
    from schema_guard.gate.checks.revision_safety import check_revisions

    revision = Revision(path.stem, path, path.name, (), script=None)  # type: ignore[arg-type]  # no Alembic project
    found = check_revisions([(revision, RevisionSource(path))], rules=revision_rules(), in_scope=None,
                            context=RuleContext(config.tenancy, config.rule_options))
    return decider.decide(found)


def check_example(case: ExampleCase, folder: Path) -> None:
    """Assert that the example's rule fires on exactly the marked lines (an invalid example) or not at all."""
    reported = run_example(case, folder)
    code = case.rule.code
    fired = sorted(line or 0 for line, found in reported if found == code)
    if case.example.valid:
        assert fired == [], f"{code} fired on a valid example at lines {fired}:\n{case.example.code}"
        return
    expected = sorted(case.example.expected_lines(code))
    assert expected, f"an invalid example of {code} must mark its lines with '# expect: {code}'"
    assert fired == expected, f"{code} fired at {fired}, expected {expected}; all findings: {reported}"


@contextmanager
def isolated_models() -> Iterator[None]:
    """SQLModel's global registry emptied around the block, and the modules imported in it from outside
    installed packages unloaded, so the next example can reuse table and class names."""
    before = set(sys.modules)
    reset_sqlmodel()
    try:
        yield
    finally:
        for name in set(sys.modules) - before:
            if _imported_from_examples(name):
                del sys.modules[name]
        reset_sqlmodel()


def reset_sqlmodel() -> None:
    """Forget every table and mapped class SQLModel knows."""
    from sqlalchemy.orm import clear_mappers
    from sqlmodel import SQLModel

    clear_mappers()
    SQLModel.metadata.clear()


def _imported_from_examples(name: str) -> bool:
    """Modules an example brought in from its folder — not schema-guard itself (re-importing it would declare its
    rules again), the standard library or installed packages."""
    path = getattr(sys.modules.get(name), "__file__", None) or ""
    return not name.startswith("schema_guard") and "site-packages" not in path and not path.startswith(sys.base_prefix)
