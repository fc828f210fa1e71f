"""Configuration mistakes that used to pass silently or flood the report: each is one line naming the key (exit 2),
or a finding located at the line of pyproject.toml to edit."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli, write_project

MODELS = """
import uuid

from sqlmodel import Field, SQLModel


class Student(SQLModel, table=True):
    __tablename__ = "students"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)


class Subject(SQLModel, table=True):
    __tablename__ = "subjects"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)


class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
"""


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ('tenant-table = "student"\n', "tenant-table: 'student' names no table the readers found (did you mean 'students'?)"),
        ('shared-tables = ["subject"]\n', "shared-tables: 'subject' names no table the readers found (did you mean 'subjects'?)"),
    ],
    ids=["tenant-table", "shared-tables"],
)
def test_a_table_name_no_reader_found_is_an_error_with_a_hint(tmp_path: Path, settings: str, message: str) -> None:
    project = write_project(tmp_path, {"app/__init__.py": "", "app/models.py": MODELS},
                            settings='src = ["app"]\nmodels = ["app"]\n' + settings)
    for command in (["check"], ["check", "--source-only"], ["baseline"]):
        run = run_cli(project, *command)
        assert run.exit_code == 2 and run.stdout == ""
        assert run.stderr == f"schema-guard: error: {project / 'pyproject.toml'}: [tool.schema_guard] {message}\n"
    fixed = write_project(tmp_path / "fixed", {"app/__init__.py": "", "app/models.py": MODELS},
                          settings='src = ["app"]\nmodels = ["app"]\nshared-tables = ["subjects"]\n')
    assert run_cli(fixed, "check").exit_code == 0


def test_an_anchor_defined_outside_src_that_foreign_keys_point_at_is_no_mistake(tmp_path: Path) -> None:
    """The tenant table may live in another package or a shared library: the checked tables' foreign keys to it
    show it exists, so the check runs (and judges the tenant columns) instead of refusing."""
    outside = MODELS.split("class Subject")[0].replace("class Student", "class _Unused").rstrip() + "\n"
    project = write_project(tmp_path, {"app/models.py": "import uuid\n\nfrom sqlmodel import Field, SQLModel\n\n\n"
                                       + "class Exam" + MODELS.split("class Exam")[1],
                                       "shared_lib/students.py": outside},
                            settings='src = ["app"]\n')
    run = run_cli(project, "check", "--source-only")
    assert run.exit_code == 1 and run.stderr == ""  # a finding, never a configuration error
    assert [line.split()[1] for line in run.stdout.splitlines()[:-1] if not line.startswith(" ")] == ["SG404"]


def test_an_anchor_named_by_a_prefixing_base_is_no_mistake_for_the_source_reader(tmp_path: Path) -> None:
    """A base whose ``__init_subclass__`` prefixes every ``__tablename__`` hides the real names from the source
    reader: the configured (prefixed) anchor may well exist, so ``--source-only`` checks instead of refusing."""
    models = """
import uuid

from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    def __init_subclass__(cls) -> None:
        cls.__tablename__ = "app_" + cls.__tablename__
        super().__init_subclass__()


class Student(Base):
    __tablename__ = "students"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
"""
    project = write_project(tmp_path, {"app/__init__.py": "", "app/models.py": models},
                            settings='src = ["app"]\ntenant-table = "app_students"\n')
    run = run_cli(project, "check", "--source-only")
    assert run.stderr == "" and [line.split()[1] for line in run.stdout.splitlines()[:-1] if not line.startswith(" ")] == ["SG301"]


def test_a_project_without_tenancy_rules_may_keep_the_default_anchor_name(tmp_path: Path) -> None:
    """With every tenancy rule ignored, `tenant-table` judges nothing: its default `students` is no mistake."""
    models = MODELS.replace('"students"', '"people"').replace("students.id", "people.id")
    project = write_project(tmp_path, {"app/__init__.py": "", "app/models.py": models},
                            settings='src = ["app"]\nignore = ["SG2", "SG70"]\n')
    run = run_cli(project, "check", "--source-only")
    assert (run.exit_code, run.stderr) == (0, "")


@pytest.mark.parametrize("key", ["select", "src"])
def test_an_empty_select_or_src_is_an_error_not_a_silent_pass(tmp_path: Path, key: str) -> None:
    project = write_project(tmp_path, {"app/models.py": MODELS}, settings=f"{key} = []\n")
    run = run_cli(project, "check")
    assert run.exit_code == 2 and run.stdout == ""
    assert run.stderr.startswith(f"schema-guard: error: {project / 'pyproject.toml'}: [tool.schema_guard] {key} = [] ")
    assert len(run.stderr.splitlines()) == 1


def test_a_models_entry_that_is_not_a_module_is_located_at_its_line_in_pyproject(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"app/__init__.py": "", "app/models.py": MODELS},
                            settings='src = ["app"]\nshared-tables = ["subjects"]\nmodels = [\n    "app",\n    "app.modles",\n]\n')
    run = run_cli(project, "check", "--format", "json")
    assert run.exit_code == 2
    (finding,) = run.findings()
    assert (finding["code"], finding["path"], finding["line"], finding["column"]) == ("SG002", "pyproject.toml", 6, 5)
    assert finding["message"] == (
        "cannot import model module 'app.modles': ModuleNotFoundError: No module named 'app.modles'"
    )


def test_a_models_module_that_raises_is_located_at_the_line_that_raised(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"app/__init__.py": "", "app/models.py": MODELS + "\nimport not_installed_lib\n"},
                            settings='src = ["app"]\nmodels = ["app"]\n')
    (finding,) = [f for f in run_cli(project, "check", "--format", "json").findings() if f["code"] == "SG002"]
    assert (finding["path"], finding["line"]) == ("app/models.py", 21)
