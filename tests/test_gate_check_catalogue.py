"""The migration gate's checks are named objects, and the one list of them is what the pytest items, ``baseline``
and the README use: every code the gate can report belongs to exactly one check."""

from __future__ import annotations

from schema_guard.gate.checks.catalogue import GATE_CHECKS, check_of, reported_by_the_gate
from schema_guard.gate.tooling import BROKEN_ALEMBIC, DATABASE_UNAVAILABLE
from schema_guard.rules.registry import catalogue
from tests.helpers import REPO_ROOT

FATAL = {DATABASE_UNAVAILABLE, BROKEN_ALEMBIC}
"""Tooling problems: fatal, so they belong to every check rather than one."""


def test_every_code_the_gate_reports_belongs_to_exactly_one_check() -> None:
    gate_codes = {code for code, rule in catalogue().items() if "migrations" in rule.readers} - FATAL
    for code in gate_codes:
        owners = [check.name for check in GATE_CHECKS if check.reports(code)]
        assert len(owners) == 1, f"{code} is claimed by {owners}"
        assert check_of(code).name == owners[0]
    assert {code for code in catalogue() if reported_by_the_gate(code)} == gate_codes
    assert check_of("SG999").name == "upgrade", "a code no check claims is reported by upgrade"


def test_checks_have_unique_names_and_say_what_they_prove_and_how_they_run() -> None:
    names = [check.name for check in GATE_CHECKS]
    assert len(set(names)) == len(names) == 6
    for check in GATE_CHECKS:
        assert check.name == check.name.lower() and " " not in check.name
        assert check.proves and check.runs and check.codes


def test_the_readme_names_every_check() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    listed = ", ".join(f"`{check.name}`" for check in GATE_CHECKS[:-1]) + f" and `{GATE_CHECKS[-1].name}`"
    assert listed in " ".join(readme.split())
