"""The baseline: ``schema-guard baseline`` records today's findings so ``check`` fails only on new ones.

Fingerprints key on code, file, table, column and the finding's line text, never on the line number, so edits
elsewhere in a file do not bring baselined findings back; rewriting the baseline drops the ones that were fixed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schema_guard.baseline import fingerprint
from schema_guard.facts import Location
from schema_guard.rules.registry import catalogue
from tests.helpers import STUDENTS_MODULE, run_cli, write_project

EXAMS = """\
import uuid
from typing import Optional

from sqlmodel import Field, SQLModel


class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id")


class Attempt(SQLModel, table=True):
    __tablename__ = "attempts"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: Optional[uuid.UUID] = Field(default=None, foreign_key="students.id", index=True)
"""
# exams.student_id has no index (SG203), attempts.student_id is nullable (SG202).
EXISTING = {"SG202", "SG203"}

NEW_TABLE = """


class Review(SQLModel, table=True):
    __tablename__ = "reviews"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id")
"""

BASELINE = ".schema-guard-baseline.json"
UNINDEXED = 'Field(foreign_key="students.id")'
INDEXED = 'Field(foreign_key="students.id", index=True)'


def project_with_violations(root: Path, settings: str = 'src = ["app"]\nmodels = ["app"]\n') -> Path:
    return write_project(
        root, {"app/__init__.py": "", "app/students.py": STUDENTS_MODULE, "app/exams.py": EXAMS}, settings=settings
    )


def codes(run_stdout: str) -> list[tuple[str, str | None]]:
    return sorted((str(f["code"]), f["table"]) for f in json.loads(run_stdout))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def sg203_at(path: Path, line: int) -> object:
    return catalogue()["SG203"]().finding(
        "tenant column 'exams.student_id' is not the leading column of any index",
        Location(str(path), line, 5), reader="source", table="exams", column="student_id",
    )


def test_fingerprint_ignores_the_line_number_and_whitespace(tmp_path: Path) -> None:
    original, shifted = tmp_path / "original", tmp_path / "shifted"
    for root in (original, shifted):
        (root / "app").mkdir(parents=True)
    (original / "app" / "exams.py").write_text(EXAMS, encoding="utf-8")
    reformatted = EXAMS.replace('Field(foreign_key="students.id")', 'Field( foreign_key = "students.id" )')
    (shifted / "app" / "exams.py").write_text('"""Exams."""\n\nimport datetime\n' + reformatted, encoding="utf-8")
    before = fingerprint(sg203_at(original / "app" / "exams.py", 10), original)  # type: ignore[arg-type]
    after = fingerprint(sg203_at(shifted / "app" / "exams.py", 13), shifted)  # type: ignore[arg-type]
    assert before == after


def test_fingerprint_tells_findings_apart(tmp_path: Path) -> None:
    (tmp_path / "exams.py").write_text(EXAMS, encoding="utf-8")
    (tmp_path / "other.py").write_text(EXAMS, encoding="utf-8")
    base = sg203_at(tmp_path / "exams.py", 10)
    variants = [
        base,
        sg203_at(tmp_path / "other.py", 10),  # another file
        sg203_at(tmp_path / "exams.py", 16),  # another line's text
        catalogue()["SG202"]().finding("x", Location(str(tmp_path / "exams.py"), 10, 5), reader="source",
                                       table="exams", column="student_id"),  # another rule
        catalogue()["SG203"]().finding("x", Location(str(tmp_path / "exams.py"), 10, 5), reader="source",
                                       table="attempts", column="student_id"),  # another table
    ]
    assert len({fingerprint(f, tmp_path) for f in variants}) == len(variants)  # type: ignore[arg-type]


def test_adopt_then_only_new_findings_fail(tmp_path: Path) -> None:
    project = project_with_violations(tmp_path)
    before = run_cli(project, "check", "--format", "json")
    assert before.exit_code == 1 and {code for code, _ in codes(before.stdout)} == EXISTING

    adopted = run_cli(project, "baseline")
    assert adopted.exit_code == 0, adopted.stderr
    assert f"Wrote 2 finding(s) to {project / BASELINE}" in adopted.stdout
    document = json.loads((project / BASELINE).read_text(encoding="utf-8"))
    assert {entry["code"] for entry in document["findings"]} == EXISTING
    assert all(entry["path"] == "app/exams.py" for entry in document["findings"]), "paths are portable"

    clean = run_cli(project, "check")
    assert clean.exit_code == 0, clean.stdout + clean.stderr
    assert clean.stdout.splitlines()[-1] == "All checks passed! (2 baselined)"

    edit(project / "app" / "exams.py", "import uuid\n", '"""Exams and attempts."""\n\nimport datetime\nimport uuid\n')
    shifted = run_cli(project, "check")
    assert shifted.exit_code == 0, "lines moved, nothing new: " + shifted.stdout

    (project / "app" / "exams.py").write_text((project / "app" / "exams.py").read_text() + NEW_TABLE)
    new = run_cli(project, "check", "--format", "json")
    assert new.exit_code == 1
    assert codes(new.stdout) == [("SG203", "reviews")]
    text = run_cli(project, "check")
    assert text.stdout.splitlines()[-1] == "Found 1 finding(s) (2 baselined)."


def test_rewriting_the_baseline_drops_fixed_findings(tmp_path: Path) -> None:
    project = project_with_violations(tmp_path)
    assert run_cli(project, "baseline").exit_code == 0
    edit(project / "app" / "exams.py", UNINDEXED, INDEXED)
    fixed = run_cli(project, "check")
    assert fixed.exit_code == 0 and fixed.stdout.splitlines()[-1] == "All checks passed! (1 baselined)"

    rewritten = run_cli(project, "baseline")
    assert "Wrote 1 finding(s)" in rewritten.stdout
    document = json.loads((project / BASELINE).read_text(encoding="utf-8"))
    assert [entry["code"] for entry in document["findings"]] == ["SG202"]

    edit(project / "app" / "exams.py", INDEXED, UNINDEXED)
    regressed = run_cli(project, "check", "--format", "json")
    assert regressed.exit_code == 1, "a fixed finding that comes back is new again"
    assert codes(regressed.stdout) == [("SG203", "exams")]


def test_no_baseline_reports_everything(tmp_path: Path) -> None:
    project = project_with_violations(tmp_path)
    assert run_cli(project, "baseline").exit_code == 0
    run = run_cli(project, "check", "--no-baseline", "--format", "json")
    assert run.exit_code == 1
    assert {code for code, _ in codes(run.stdout)} == EXISTING


def test_baseline_path_from_configuration_and_options(tmp_path: Path) -> None:
    project = project_with_violations(
        tmp_path, settings='src = ["app"]\nmodels = ["app"]\nbaseline = "ci/schema-guard-baseline.json"\n'
    )
    (project / "ci").mkdir()
    assert run_cli(project, "baseline").exit_code == 0
    assert (project / "ci" / "schema-guard-baseline.json").is_file() and not (project / BASELINE).exists()
    assert run_cli(project, "check").exit_code == 0

    assert run_cli(project, "baseline", "--output", "elsewhere.json").exit_code == 0
    (project / "ci" / "schema-guard-baseline.json").unlink()
    assert run_cli(project, "check").exit_code == 1, "the configured baseline is gone"
    assert run_cli(project, "check", "--baseline", "elsewhere.json").exit_code == 0


def test_baseline_of_a_clean_project_is_empty(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"app/__init__.py": "", "app/students.py": STUDENTS_MODULE})
    run = run_cli(project, "baseline")
    assert run.exit_code == 0 and "Wrote 0 finding(s)" in run.stdout
    assert json.loads((project / BASELINE).read_text(encoding="utf-8"))["findings"] == []
    assert run_cli(project, "check").stdout.splitlines()[-1] == "All checks passed!"


def test_corrupt_baseline_is_exit_2_naming_the_file(tmp_path: Path) -> None:
    project = project_with_violations(tmp_path)
    for broken in ("{not json", '{"version": 1}', '["a list"]', '{"findings": [{"code": "SG203"}]}'):
        (project / BASELINE).write_text(broken, encoding="utf-8")
        run = run_cli(project, "check")
        assert run.exit_code == 2, (broken, run.stdout, run.stderr)
        assert BASELINE in run.stderr and "not a schema-guard baseline" in run.stderr
        assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr


def test_findings_that_stop_a_check_are_never_baselined(tmp_path: Path) -> None:
    project = project_with_violations(tmp_path)
    (project / "app" / "broken.py").write_text("import does_not_exist_anywhere\n", encoding="utf-8")
    run = run_cli(project, "baseline")
    assert run.exit_code == 2
    assert "app.broken" in run.stderr
    assert not (project / BASELINE).exists()


LEGACY = """\
from sqlalchemy.orm import declarative_base

Base = declarative_base()
LIMIT = 10  # schema-guard: ignore[SG203]
"""


def test_findings_without_a_table_also_survive_a_line_shift(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"app/__init__.py": "", "app/legacy.py": LEGACY}, settings='src = ["app"]\n')
    assert run_cli(project, "baseline").exit_code == 0
    assert run_cli(project, "check").exit_code == 0
    edit(project / "app" / "legacy.py", "from sqlalchemy", '"""Legacy models."""\n\nfrom sqlalchemy')
    run = run_cli(project, "check")
    assert run.exit_code == 0, run.stdout
