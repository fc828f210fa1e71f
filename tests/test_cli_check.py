"""End to end: ``schema-guard check`` on projects written to disk, through the real CLI in a subprocess."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT, STUDENTS_MODULE, run_cli, write_project

PITFALLS = """
import uuid
from typing import Optional

from sqlalchemy.orm import DeclarativeBase
from sqlmodel import Field, SQLModel


class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    id: Optional[int] = Field(default=None, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id")


class Attempt(SQLModel, table=True):
    __tablename__ = "attempts"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: Optional[uuid.UUID] = Field(default=None, foreign_key="students.id", index=True)


class Base(DeclarativeBase):
    pass
"""

# The seed's "Common Pitfalls", each at its line: int key, missing tenant index, nullable tenant column, raw base.
EXPECTED_PITFALLS = {("SG101", 10), ("SG203", 11), ("SG202", 17), ("SG301", 20)}


def pitfall_project(root: Path) -> Path:
    return write_project(root, {"app/__init__.py": "", "app/students.py": STUDENTS_MODULE, "app/pitfalls.py": PITFALLS})


@pytest.mark.parametrize("readers", [[], ["--metadata-only"], ["--source-only"]], ids=["both", "metadata", "source"])
def test_common_pitfalls_are_reported_at_their_lines(tmp_path: Path, readers: list[str]) -> None:
    project = pitfall_project(tmp_path)
    run = run_cli(project, "check", "--format", "json", *readers)
    assert run.exit_code == 1, run.stderr
    reported = {(code, line) for code, line in run.codes_at() if code != "SG507"}
    assert reported == EXPECTED_PITFALLS
    assert all(f["path"] == "app/pitfalls.py" for f in run.findings() if f["code"] != "SG507")


def test_text_output_is_path_line_col_code_message_and_a_summary(tmp_path: Path) -> None:
    run = run_cli(pitfall_project(tmp_path), "check", "--metadata-only")
    lines = run.stdout.splitlines()
    assert "app/pitfalls.py:11:5: SG203 [*] tenant column 'exams.student_id' is not the leading column of any index" in lines
    assert any(line.startswith("    help: ") for line in lines)
    assert lines[-1].startswith("Found 4 finding(s)")


def test_violation_seen_by_both_readers_is_reported_once(tmp_path: Path) -> None:
    run = run_cli(pitfall_project(tmp_path), "check", "--format", "json")
    sg203 = [f for f in run.findings() if f["code"] == "SG203"]
    assert len(sg203) == 1 and sg203[0]["line"] == 11


def test_select_and_ignore(tmp_path: Path) -> None:
    project = pitfall_project(tmp_path)
    only_tenancy = run_cli(project, "check", "--metadata-only", "--format", "json", "--select", "SG2")
    assert {code for code, _ in only_tenancy.codes_at()} == {"SG202", "SG203"}
    without = run_cli(project, "check", "--metadata-only", "--format", "json", "--ignore", "SG2,SG301")
    assert {code for code, _ in without.codes_at()} == {"SG101"}


def test_clean_project_exits_zero(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"app/__init__.py": "", "app/students.py": STUDENTS_MODULE})
    run = run_cli(project, "check")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert run.stdout.strip().endswith("All checks passed!")


def test_module_that_fails_to_import_is_exit_2_with_a_one_line_cause(tmp_path: Path) -> None:
    broken = """
    import uuid

    from sqlalchemy import Column
    from sqlalchemy.dialects.postgresql import JSONB
    from sqlmodel import Field, SQLModel


    class Question(SQLModel, table=True):
        id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
        marking_scheme: dict = Field(sa_column=Column(JSONB), nullable=False)
    """
    project = write_project(
        tmp_path,
        {"app/__init__.py": "", "app/students.py": STUDENTS_MODULE, "app/broken.py": broken, "app/other.py": PITFALLS},
        settings='src = ["app"]\nmodels = ["app.students", "app.broken", "app.other"]\n',
    )
    run = run_cli(project, "check", "--metadata-only", "--format", "json")
    assert run.exit_code == 2
    errors = [f for f in run.findings() if f["severity"] == "fatal"]
    assert len(errors) == 1 and errors[0]["code"] == "SG002"
    assert "'app.broken'" in str(errors[0]["message"]) and errors[0]["path"] == "app/broken.py"
    assert "Traceback" not in run.stdout + run.stderr
    assert {"SG101", "SG203"} <= {code for code, _ in run.codes_at()}, "the other modules are still checked"
    assert len(run.stderr.strip().splitlines()) == 1 and "app.broken" in run.stderr


def test_unknown_config_key_is_exit_2_naming_key_and_file(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"app/__init__.py": ""}, settings='src = ["app"]\ntenant-colum = "x"\n')
    run = run_cli(project, "check")
    assert run.exit_code == 2
    assert "tenant-colum" in run.stderr and "pyproject.toml" in run.stderr and "tenant-column" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_wrong_type_config_value_is_exit_2(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"app/__init__.py": ""}, settings='src = "app"\n')
    run = run_cli(project, "check")
    assert run.exit_code == 2 and "src must be a list of strings" in run.stderr


def test_unknown_rule_code_in_select_is_exit_2(tmp_path: Path) -> None:
    run = run_cli(pitfall_project(tmp_path), "check", "--select", "SG9")
    assert run.exit_code == 2 and "'SG9' matches no rule code" in run.stderr


def test_inline_suppressions_and_per_file_ignores(tmp_path: Path) -> None:
    suppressed = PITFALLS.replace(
        'Field(foreign_key="students.id")', 'Field(foreign_key="students.id")  # schema-guard: ignore[SG203]'
    ).replace("class Attempt(SQLModel, table=True):", "class Attempt(SQLModel, table=True):  # schema-guard: ignore")
    project = write_project(
        tmp_path,
        {"app/__init__.py": "", "app/students.py": STUDENTS_MODULE, "app/pitfalls.py": suppressed},
        settings='src = ["app"]\nmodels = ["app"]\n[tool.schema_guard.per-file-ignores]\n"app/pit*.py" = ["SG3"]\n',
    )
    run = run_cli(project, "check", "--metadata-only", "--format", "json")
    assert {code for code, _ in run.codes_at()} == {"SG101"}
    text = run_cli(project, "check", "--metadata-only")
    assert "suppressed" in text.stdout.splitlines()[-1]


def test_reference_models_pass(tmp_path: Path) -> None:
    if not (REPO_ROOT / "reference_models").is_dir():
        pytest.fail("reference_models/ is missing")
    run = run_cli(REPO_ROOT, "check")
    assert run.exit_code == 0, run.stdout + run.stderr


def test_reference_models_with_injected_violations(tmp_path: Path) -> None:
    for package in ("reference_models", "reference_app"):
        shutil.copytree(REPO_ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    feedback = tmp_path / "reference_models" / "feedback.py"
    good = 'student_id: uuid.UUID = Field(foreign_key="students.id", index=True, nullable=False, ondelete="CASCADE")'
    bad = 'student_id: uuid.UUID | None = Field(foreign_key="students.id", nullable=True, ondelete="CASCADE")'
    text = feedback.read_text(encoding="utf-8")
    assert good in text, "the reference feedback model declares its tenant column this way"
    feedback.write_text(text.replace(good, bad), encoding="utf-8")
    tenant_line = next(n for n, line in enumerate(feedback.read_text().splitlines(), 1) if bad in line)
    students = tmp_path / "reference_models" / "students.py"
    students.write_text(
        students.read_text(encoding="utf-8")
        + "\n\nfrom sqlalchemy.orm import DeclarativeBase\n\n\nclass LegacyBase(DeclarativeBase):\n    pass\n",
        encoding="utf-8",
    )
    base_line = len(students.read_text(encoding="utf-8").splitlines()) - 1
    run = run_cli(tmp_path, "check", "--format", "json")
    assert run.exit_code == 1, run.stderr
    assert run.codes_at() == {("SG202", tenant_line), ("SG203", tenant_line), ("SG301", base_line)}


FIXABLE = """
import uuid
from typing import Optional

from sqlmodel import Field, SQLModel


class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: Optional[uuid.UUID] = Field(default=None, foreign_key="students.id")  # owner
    tags: list[str] = Field(default=[], sa_type=JSONB)
""".replace("from sqlmodel", "from sqlalchemy.dialects.postgresql import JSONB\nfrom sqlmodel")


def test_fix_repairs_the_pitfalls_before_importing_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"app/__init__.py": "", "app/students.py": STUDENTS_MODULE, "app/exams.py": FIXABLE})
    before = run_cli(project, "check", "--format", "json")
    assert {code for code, _ in before.codes_at()} == {"SG202", "SG203", "SG503"}
    diff = run_cli(project, "check", "--diff")
    assert "+    student_id: uuid.UUID = Field(" in diff.stdout and diff.exit_code == 1
    assert (project / "app" / "exams.py").read_text() == FIXABLE.lstrip("\n"), "--diff writes nothing"
    fixed = run_cli(project, "check", "--fix")
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert fixed.stdout.splitlines()[-1] == "All checks passed!", "the metadata reader sees the fixed file"
    text = (project / "app" / "exams.py").read_text()
    assert "# owner" in text and "default_factory=list" in text
    again = run_cli(project, "check", "--fix")
    assert again.exit_code == 0 and "Fixed" not in again.stdout
    assert (project / "app" / "exams.py").read_text() == text
