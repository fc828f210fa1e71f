"""Output formats: stable JSON for tools, GitHub workflow annotations (automatic inside GitHub Actions), text for
people, and ``--output FILE`` for all of them. SARIF has its own tests (test_sarif.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from schema_guard import __version__
from tests.helpers import STUDENTS_MODULE, run_cli, write_project

EXAMS = """\
import uuid

from sqlalchemy.orm import declarative_base
from sqlmodel import Field, SQLModel

Base = declarative_base()


class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id")
"""
SG203_LINE, SG302_LINE = 12, 6

JSON_KEYS = {"code", "message", "path", "line", "column", "table", "column_name", "reader", "severity", "fix",
             "origin_code", "tool_version"}
"""DESIGN.md's stable keys, plus ``fix``, ``origin_code`` (the rule an SG606 finding applied) and the version of
schema-guard that wrote it."""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path, {"app/__init__.py": "", "app/students.py": STUDENTS_MODULE, "app/exams.py": EXAMS})


def environment(**changes: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"GITHUB_ACTIONS", "SCHEMA_GUARD_DATABASE_URL"}}
    env.update({k: v for k, v in changes.items() if v is not None})
    return env


def annotation(line: str) -> tuple[dict[str, str], str]:
    """``::error k=v,k=v::message`` as its properties and message."""
    assert line.startswith("::error ")
    head, message = line[len("::error "):].split("::", 1)
    return dict(item.split("=", 1) for item in head.split(",")), message


def test_json_is_a_list_of_findings_with_the_stable_keys(project: Path) -> None:
    run = run_cli(project, "check", "--format", "json", env=environment())
    assert run.exit_code == 1, run.stderr
    findings = json.loads(run.stdout)
    assert isinstance(findings, list) and findings
    for finding in findings:
        assert set(finding) == JSON_KEYS
        assert finding["severity"] in {"error", "fatal"}
        assert isinstance(finding["line"], int) and finding["line"] >= 1
        assert isinstance(finding["column"], int) and finding["column"] >= 1
        assert isinstance(finding["fix"], str) and finding["fix"]
    by_code = {f["code"]: f for f in findings}
    assert by_code["SG203"] | {"message": None, "fix": None} == {
        "code": "SG203", "message": None, "path": "app/exams.py", "line": SG203_LINE, "column": 5,
        "table": "exams", "column_name": "student_id", "reader": by_code["SG203"]["reader"], "severity": "error",
        "fix": None, "origin_code": None, "tool_version": __version__,
    }
    assert by_code["SG302"]["table"] is None and by_code["SG302"]["column_name"] is None, "null where not applicable"
    assert by_code["SG302"]["line"] == SG302_LINE


def test_json_of_a_clean_project_is_an_empty_list(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"app/__init__.py": "", "app/students.py": STUDENTS_MODULE})
    run = run_cli(project, "check", "--format", "json", env=environment())
    assert run.exit_code == 0 and json.loads(run.stdout) == []


def test_json_paths_are_relative_to_the_working_directory(project: Path) -> None:
    run = run_cli(project / "app", "check", "--format", "json", env=environment())
    assert {f["path"] for f in json.loads(run.stdout)} == {"exams.py"}


def test_github_annotations(project: Path) -> None:
    run = run_cli(project, "check", "--format", "github", env=environment())
    assert run.exit_code == 1
    lines = run.stdout.splitlines()
    sg203 = next(line for line in lines if "title=SG203" in line)
    properties, message = annotation(sg203)
    assert properties == {"file": "app/exams.py", "line": str(SG203_LINE), "col": "5", "title": "SG203"}
    assert message.startswith("SG203 tenant column 'exams.student_id' is not the leading column of any index — ")
    assert "index=True" in message, "the annotation says how to fix it"
    assert all(line.startswith("::error ") for line in lines[:-1])
    assert lines[-1] == "Found 2 finding(s)."


def test_github_annotations_escape_newlines_and_percent(project: Path) -> None:
    from schema_guard.engine import CheckResult
    from schema_guard.facts import Location
    from schema_guard.findings import Finding
    from schema_guard.reporters import github

    finding = Finding("SG012", "revision failed: 100% broken\nsecond line", Location(str(project / "a,b:c.py"), 2, 1))
    (line, _) = github.render(CheckResult(findings=[finding]), project).splitlines()
    properties, message = annotation(line)
    assert properties["file"] == "a%2Cb%3Ac.py"
    assert message.startswith("SG012 revision failed: 100%25 broken%0Asecond line")


def test_github_format_is_the_default_inside_github_actions(project: Path) -> None:
    inside = run_cli(project, "check", env=environment(GITHUB_ACTIONS="true"))
    assert inside.stdout.startswith("::error "), inside.stdout
    outside = run_cli(project, "check", env=environment())
    assert outside.stdout.startswith("app/exams.py:"), outside.stdout
    explicit = run_cli(project, "check", "--format", "text", env=environment(GITHUB_ACTIONS="true"))
    assert explicit.stdout.startswith("app/exams.py:"), "an explicit --format wins"
    other_value = run_cli(project, "check", env=environment(GITHUB_ACTIONS="false"))
    assert other_value.stdout.startswith("app/exams.py:")


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_output_writes_the_report_to_a_file(project: Path, fmt: str) -> None:
    to_stdout = run_cli(project, "check", "--format", fmt, env=environment())
    to_file = run_cli(project, "check", "--format", fmt, "--output", f"schema-guard.{fmt}", env=environment())
    assert to_file.exit_code == to_stdout.exit_code == 1, "--output does not change the exit code"
    assert to_file.stdout == ""
    assert (project / f"schema-guard.{fmt}").read_text(encoding="utf-8") == to_stdout.stdout




def test_output_creates_missing_folders(project: Path) -> None:
    """Like ruff's --output-file: CI writes reports into a fresh folder (``results/schema-guard.sarif``)."""
    run = run_cli(project, "check", "--format", "sarif", "--output", "results/schema-guard.sarif", env=environment())
    assert run.exit_code == 1, run.stderr
    assert json.loads((project / "results" / "schema-guard.sarif").read_text(encoding="utf-8"))["version"] == "2.1.0"


def test_unwritable_output_is_exit_2_with_a_one_line_cause(project: Path) -> None:
    run = run_cli(project, "check", "--output", "pyproject.toml/out.txt", env=environment())
    assert run.exit_code == 2, run.stdout + run.stderr
    assert "pyproject.toml/out.txt" in run.stderr and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_text_is_path_line_col_code_message_then_help_then_summary(project: Path) -> None:
    run = run_cli(project, "check", "--format", "text", env=environment())
    lines = run.stdout.splitlines()
    assert lines[0].startswith(f"app/exams.py:{SG302_LINE}:")
    assert any(line.startswith(f"app/exams.py:{SG203_LINE}:5: SG203 ") for line in lines)
    assert all(line.startswith("    help: ") for line in lines[1:-1:2])
    assert lines[-1] == "Found 2 finding(s)."
