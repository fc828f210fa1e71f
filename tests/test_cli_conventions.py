"""The command-line conventions a ruff or flake8 user types without reading the docs: ``--version``,
``--exit-zero``, ``--quiet``, ``--statistics``, the fixable marker and ``--show-fixes``, ``--output-format``,
colour, ``# noqa: SGxxx``, ``--fix --diff``, an empty path, the baseline's total, ``explain`` and ``--help``."""

from __future__ import annotations

import argparse
import json
import os
import re
from importlib.metadata import version
from pathlib import Path

import pytest

from schema_guard import __version__
from schema_guard.cli import build_parser
from schema_guard.rules.registry import catalogue
from tests.helpers import STUDENTS_MODULE, run_cli, write_project

# Two unindexed tenant columns (SG203, fixable) and an int primary key (SG101, not fixable).
EXAMS = """
import uuid
from typing import Optional

from sqlmodel import Field, SQLModel


class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id")


class Attempt(SQLModel, table=True):
    __tablename__ = "attempts"
    id: Optional[int] = Field(default=None, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id")
"""
ANSI = re.compile(r"\033\[[0-9;]*m")


def no_color_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"NO_COLOR", "FORCE_COLOR", "GITHUB_ACTIONS"}}
    return env | extra


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path, {"app/__init__.py": "", "app/students.py": STUDENTS_MODULE, "app/exams.py": EXAMS},
                         settings='src = ["app"]\n')


def test_version_is_printed_shown_in_help_and_matches_the_package_metadata(project: Path) -> None:
    run = run_cli(project, "--version")
    assert run.exit_code == 0 and run.stdout == f"schema-guard {__version__}\n"
    assert __version__ == version("schema-guard"), "one version: the package's own"
    assert f"schema-guard {__version__}" in run_cli(project, "--help").stdout


def test_sarif_and_json_reports_name_the_version(project: Path) -> None:
    sarif = json.loads(run_cli(project, "check", "--format", "sarif").stdout)
    assert sarif["runs"][0]["tool"]["driver"]["version"] == __version__
    findings = run_cli(project, "check", "--output-format", "json").findings()
    assert findings and {f["tool_version"] for f in findings} == {__version__}


def test_output_format_is_the_same_option_as_format(project: Path) -> None:
    assert run_cli(project, "check", "--output-format", "json").stdout == run_cli(project, "check", "--format", "json").stdout


def test_exit_zero_keeps_findings_but_not_errors_from_failing(project: Path) -> None:
    run = run_cli(project, "check", "--exit-zero", env=no_color_env())
    assert run.exit_code == 0 and "SG203" in run.stdout
    (project / "app" / "broken.py").write_text("from sqlmodel import SQLModel\n\nclass Exam(SQLModel, table=True\n",
                                               encoding="utf-8")
    assert run_cli(project, "check", "--exit-zero").exit_code == 2, "a file that does not parse still stops CI"


def test_quiet_prints_the_findings_only(project: Path) -> None:
    lines = run_cli(project, "check", "--quiet", env=no_color_env()).stdout.splitlines()
    assert lines == [
        "app/exams.py:10:5: SG203 [*] tenant column 'exams.student_id' is not the leading column of any index",
        "app/exams.py:15:5: SG101 primary key 'attempts.id' is INTEGER, not UUID",
        "app/exams.py:16:5: SG203 [*] tenant column 'attempts.student_id' is not the leading column of any index",
    ]
    (project / "app" / "exams.py").unlink()
    assert run_cli(project, "check", "-q").stdout == "", "nothing at all when clean"


def test_statistics_count_each_code_most_frequent_first(project: Path) -> None:
    run = run_cli(project, "check", "--statistics")
    assert run.exit_code == 1
    assert run.stdout.splitlines() == [
        "2  SG203  [*] unindexed-tenant-column",
        "1  SG101      primary-key-not-uuid",
    ]
    as_json = json.loads(run_cli(project, "check", "--statistics", "--format", "json").stdout)
    assert [(item["code"], item["count"], item["fixable"]) for item in as_json] == [("SG203", 2, True), ("SG101", 1, False)]


def test_fixable_findings_are_marked_and_show_fixes_lists_them(project: Path) -> None:
    run = run_cli(project, "check", env=no_color_env())
    assert "[*] 2 fixable with `schema-guard check --fix`." in run.stdout.splitlines()
    shown = run_cli(project, "check", "--show-fixes", env=no_color_env())
    assert shown.stdout.splitlines()[0] == "Would fix app/exams.py: 2 × SG203"
    assert "index=True" not in (project / "app" / "exams.py").read_text(encoding="utf-8"), "listing writes nothing"
    fixed = run_cli(project, "check", "--fix", "--show-fixes", env=no_color_env())
    assert fixed.stdout.splitlines()[:2] == ["Fixed app/exams.py: 2 × SG203", "Fixed 2 finding(s) in 1 file(s)."]
    assert fixed.exit_code == 1, "SG101 is left"


def test_fix_with_diff_writes_nothing(project: Path) -> None:
    before = (project / "app" / "exams.py").read_text(encoding="utf-8")
    run = run_cli(project, "check", "--fix", "--diff")
    assert '+    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)' in run.stdout
    assert (project / "app" / "exams.py").read_text(encoding="utf-8") == before


@pytest.mark.parametrize(
    ("env", "option", "coloured"),
    [
        ({}, [], False),
        ({"FORCE_COLOR": "1"}, [], True),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, [], False),
        ({"NO_COLOR": "1"}, ["--color", "always"], True),
        ({"FORCE_COLOR": "1"}, ["--color", "never"], False),
    ],
    ids=["pipe", "force-color", "no-color-wins", "always-option-wins", "never-option-wins"],
)
def test_colour_follows_the_terminal_the_environment_and_the_option(
    project: Path, env: dict[str, str], option: list[str], coloured: bool
) -> None:
    out = run_cli(project, "check", *option, env=no_color_env(**env)).stdout
    assert bool(ANSI.search(out)) is coloured
    assert ANSI.sub("", out) == run_cli(project, "check", env=no_color_env()).stdout, "colour changes nothing else"


def test_colour_never_reaches_a_report_file(project: Path) -> None:
    run_cli(project, "check", "--output", "report.txt", env=no_color_env(FORCE_COLOR="1"))
    assert "SG203" in (project / "report.txt").read_text(encoding="utf-8")
    assert not ANSI.search((project / "report.txt").read_text(encoding="utf-8"))


def test_noqa_is_honoured_and_unknown_codes_are_reported_in_either_form(project: Path) -> None:
    path = project / "app" / "exams.py"
    text = path.read_text(encoding="utf-8").splitlines()
    text[9] += "  # noqa: SG203"
    text[14] += "  # noqa: SG1O1"
    text[15] += "  # schema-guard: ignore[SG2033]"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    run = run_cli(project, "check", "--format", "json")
    assert run.codes_at() == {("SG101", 15), ("SG003", 15), ("SG203", 16), ("SG003", 16)}
    messages = sorted(f["message"] for f in run.findings() if f["code"] == "SG003")
    assert messages == [
        "suppression names unknown code SG1O1 (did you mean SG101?): no rule has this code",
        "suppression names unknown code SG2033 (did you mean SG203?): no rule has this code",
    ]


def test_a_path_without_python_files_says_so(project: Path) -> None:
    (project / "docs").mkdir()
    (project / "docs" / "notes.txt").write_text("not python\n", encoding="utf-8")
    run = run_cli(project, "check", "docs")
    assert run.exit_code == 0 and run.stdout == ""
    assert run.stderr == "schema-guard: warning: no Python file in docs: nothing was checked\n"


def test_baseline_reports_how_many_entries_the_file_holds(project: Path) -> None:
    gate_entry = {"fingerprint": "0" * 20, "code": "SG655", "path": "migrations/versions/a.py", "table": "exams",
                  "column_name": None, "message": "column dropped"}
    baseline = project / ".schema-guard-baseline.json"
    baseline.write_text(json.dumps({"version": 1, "tool": "schema-guard", "findings": [gate_entry]}), encoding="utf-8")
    run = run_cli(project, "baseline")
    assert run.stdout == (f"Wrote 3 finding(s) to {baseline}: it holds 4 entries "
                          "(1 kept from an earlier `schema-guard baseline --migrations`)\n")


@pytest.mark.parametrize("code", list(catalogue()))
def test_explain_fits_a_terminal(code: str) -> None:
    from schema_guard.rule_docs import explain

    page = explain(code)
    assert page.count("\nInvalid") <= 1 and page.count("\nValid") <= 1
    assert all(len(line) <= 120 for line in page.splitlines())
    assert "## Why" in page and "## How to fix" in page


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _parsers(sub)
    return found


def test_every_argument_of_every_command_has_help_text_without_restructured_text() -> None:
    for parser in _parsers(build_parser()):
        undocumented = [a.dest for a in parser._actions if not a.help or a.help == argparse.SUPPRESS]
        assert not undocumented, f"{parser.prog}: {undocumented}"
        help_text = parser.format_help()
        assert "``" not in help_text and ":func:" not in help_text and ":class:" not in help_text, parser.prog
