"""Bad input gets a clear one-line error and exit code 2, and what was checked is not lost; output stays clean."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import STUDENTS_MODULE, run_cli, write_project

TENANT_FIELD_HELPER = """
import uuid

from sqlmodel import Field, SQLModel


def tenant_field():
    return Field(foreign_key="students.id", index=True)


class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = tenant_field()
"""


def test_imported_models_overrule_what_the_source_reader_cannot_see(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"app/__init__.py": "", "app/students.py": STUDENTS_MODULE, "app/exams.py": TENANT_FIELD_HELPER})
    run = run_cli(project, "check", "--format", "json")
    assert run.exit_code == 0, run.stdout


def test_suppressions_of_metadata_only_rules_are_not_unused_in_a_source_only_run(tmp_path: Path) -> None:
    model = STUDENTS_MODULE + '    nickname: str = Field(index=True)  # schema-guard: ignore[SG104]\n'
    project = write_project(tmp_path, {"app/__init__.py": "", "app/students.py": model})
    assert run_cli(project, "check", "--source-only").exit_code == 0
    full = run_cli(project, "check", "--format", "json")
    assert [(f["code"], f["line"]) for f in full.findings()] == [("SG003", 9)], "the full run can judge SG104"


def test_a_model_module_that_prints_keeps_json_on_stdout_clean(tmp_path: Path) -> None:
    noisy = 'print("connecting to settings...")\n' + STUDENTS_MODULE
    project = write_project(tmp_path, {"app/__init__.py": "", "app/students.py": noisy})
    run = run_cli(project, "check", "--format", "json")
    assert json.loads(run.stdout) == [] and "connecting" in run.stderr


def test_tables_of_classes_outside_the_configured_models_are_not_checked(tmp_path: Path) -> None:
    outside = """
    from sqlmodel import Field, SQLModel


    class Scratch(SQLModel, table=True):
        id: int = Field(primary_key=True)
    """
    importer = STUDENTS_MODULE + "\nimport helpers_outside  # noqa: F401  (a test helper imported by the models)\n"
    project = write_project(
        tmp_path,
        {"app/__init__.py": "", "app/students.py": importer, "helpers_outside.py": outside},
        settings='src = ["app"]\nmodels = ["app"]\n',
    )
    run = run_cli(project, "check", "--metadata-only", "--format", "json")
    assert run.findings() == []


def _one_line_error(run_stderr: str, *needles: str) -> None:
    lines = run_stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run_stderr, run_stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_a_configured_src_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"app/__init__.py": ""}, settings='src = ["nope"]\n')
    run = run_cli(project, "check")
    assert run.exit_code == 2
    _one_line_error(run.stderr, "pyproject.toml", "nope", "does not exist")


def test_metadata_only_without_models_is_an_error_not_a_pass(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"app/__init__.py": ""}, settings='src = ["app"]\n')
    run = run_cli(project, "check", "--metadata-only")
    assert run.exit_code == 2
    _one_line_error(run.stderr, "no `models` configured")


def test_per_file_ignores_with_an_unknown_code_is_an_error(tmp_path: Path) -> None:
    settings = 'src = ["app"]\n[tool.schema_guard.per-file-ignores]\n"app/*" = ["SG2O3"]\n'
    project = write_project(tmp_path, {"app/__init__.py": ""}, settings=settings)
    run = run_cli(project, "check")
    assert run.exit_code == 2
    _one_line_error(run.stderr, "per-file-ignores 'app/*'", "SG2O3")


def test_a_pyproject_that_is_not_utf8_is_an_error(tmp_path: Path) -> None:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "pyproject.toml").write_bytes(b'[tool.schema_guard]\nsrc = ["\xff"]\n')
    run = run_cli(tmp_path, "check")
    assert run.exit_code == 2
    _one_line_error(run.stderr, "pyproject.toml")


def test_baseline_into_a_folder_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"app/__init__.py": "", "app/students.py": STUDENTS_MODULE})
    run = run_cli(project, "baseline", "--output", str(tmp_path / "missing" / "baseline.json"))
    assert run.exit_code == 2
    _one_line_error(run.stderr, "missing")


def test_a_file_that_does_not_parse_is_exit_2_and_the_other_files_are_still_checked(tmp_path: Path) -> None:
    broken = "import uuid\n\n\nclass Exam(SQLModel, table=True)\n    id: uuid.UUID\n"
    violating = STUDENTS_MODULE.replace("class Student", "class Legacy").replace('"students"', '"legacy"')
    project = write_project(
        tmp_path,
        {"app/__init__.py": "", "app/students.py": STUDENTS_MODULE, "app/broken.py": broken, "app/legacy.py": violating},
        settings='src = ["app"]\n',
    )
    run = run_cli(project, "check", "--format", "json")
    assert run.exit_code == 2
    by_code = {f["code"]: f for f in run.findings()}
    assert by_code["SG001"]["path"] == "app/broken.py" and by_code["SG001"]["line"] == 4
    assert by_code["SG001"]["severity"] == "fatal"
    assert by_code["SG201"]["path"] == "app/legacy.py", "the other files are still checked"
