"""The pytest plugin end to end, through ``pytester``, in sample projects that only have a ``[tool.schema_guard]``
section (the plugin comes from the installed package's ``pytest11`` entry point; no conftest.py registers it).

Runs whose process imports the sample's models (the metadata reader, the tenant guard) use ``runpytest_subprocess``,
so their SQLModel state never meets this process's. Runs whose process imports nothing from the sample run
in-process, which keeps the suite fast: a source-only configuration (``models = []``), or a pytest-xdist controller
(its workers, which do import, are separate processes).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from schema_guard.cli import main as cli_main
from tests.gate.support import materialise

pytest_plugins = ["pytester"]

SERVER_URL = os.environ.get("SCHEMA_GUARD_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")

STUDENTS = """
import uuid

from sqlmodel import Field, SQLModel


class Student(SQLModel, table=True):
    __tablename__ = "students"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = ""
"""

EXAMS = """
import uuid

from sqlmodel import Field, SQLModel


class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    title: str = ""
"""

ATTEMPTS = """
import uuid

from sqlmodel import Field, SQLModel


class Attempt(SQLModel, table=True):
    __tablename__ = "attempts"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    exam_id: uuid.UUID = Field(foreign_key="exams.id", index=True)
"""

UNINDEXED_EXAMS = EXAMS.replace(', index=True)', ')')
"""SG203 at line 9: the tenant column leads no index."""

SOURCE_ONLY = 'src = ["models"]\nmodels = []\n'
WITH_METADATA = 'src = ["models"]\nmodels = ["models"]\n'


def write_project(pytester: pytest.Pytester, models: dict[str, str], settings: str = SOURCE_ONLY,
                  pytest_ini: str = "") -> Path:
    """A fresh project: pyproject.toml ([tool.schema_guard] + optional pytest ini options), a models package, and
    one ordinary test."""
    ini = f"\n[tool.pytest.ini_options]\n{pytest_ini}" if pytest_ini else ""
    pytester.makepyprojecttoml(f"[tool.schema_guard]\n{settings}{ini}")
    files = {"models/__init__.py": "", **{f"models/{name}.py": text for name, text in models.items()},
             "tests/test_app.py": "def test_app():\n    assert True\n"}
    for name, text in files.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return pytester.path


# --schema-guard ------------------------------------------------------------------------------------------------


def test_clean_project_passes_with_one_item_per_model_file(pytester: pytest.Pytester) -> None:
    write_project(pytester, {"students": STUDENTS, "exams": EXAMS}, settings=WITH_METADATA)
    result = pytester.runpytest_subprocess("--schema-guard", "-v")
    result.stdout.fnmatch_lines([
        "schema-guard: 3 model file(s); settings from pyproject.toml",
        "models/__init__.py::schema-guard PASSED*",
        "models/exams.py::schema-guard PASSED*",
        "models/students.py::schema-guard PASSED*",
        "pyproject.toml::schema-guard PASSED*",
        "schema-guard: All checks passed!",
    ])
    result.assert_outcomes(passed=5)
    assert result.ret == 0


def test_violating_model_fails_its_item_with_the_cli_text_under_xdist(pytester: pytest.Pytester) -> None:
    write_project(pytester, {"students": STUDENTS, "exams": UNINDEXED_EXAMS}, settings=WITH_METADATA)
    result = pytester.runpytest_inprocess("-p", "xdist", "-n", "2", "--schema-guard")
    result.stdout.fnmatch_lines([
        "*_ schema-guard: models/exams.py::schema-guard _*",
        "models/exams.py:9:5: SG203 [*] tenant column 'exams.student_id' is not the leading column of any index",
        "    help: *",
        "Found 1 finding(s).",
        "FAILED models/exams.py::schema-guard*",
    ])
    result.assert_outcomes(passed=4, failed=1)
    assert result.ret == 1


def test_ini_option_enables_the_checks_and_the_text_is_the_clis(pytester: pytest.Pytester,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    write_project(pytester, {"students": STUDENTS, "exams": UNINDEXED_EXAMS}, pytest_ini="schema_guard = true\n")
    result = pytester.runpytest_inprocess()
    assert result.ret == 1
    assert cli_main(["check", "--format", "text"]) == 1
    # the findings, without the summary line and the count of fixable ones
    cli_lines = [line for line in capsys.readouterr().out.splitlines()[:-1] if not line.startswith("[*] ")]
    assert cli_lines and all(line in result.outlines for line in cli_lines), (cli_lines, result.outlines)


def test_suppressions_selection_and_baseline_are_respected(pytester: pytest.Pytester) -> None:
    suppressed = UNINDEXED_EXAMS.replace('Field(foreign_key="students.id")',
                                         'Field(foreign_key="students.id")  # schema-guard: ignore[SG203]')
    baselined = UNINDEXED_EXAMS.replace('"exams"', '"grades"').replace("class Exam", "class Grade")
    ignored = ATTEMPTS.replace('student_id: uuid.UUID = Field(', 'student_id: uuid.UUID | None = Field(default=None, ')
    write_project(pytester, {"students": STUDENTS, "exams": suppressed, "grades": baselined, "attempts": ignored},
                  settings=SOURCE_ONLY + 'ignore = ["SG2", "SG5"]\nextend-select = ["SG203"]\n')
    assert cli_main(["baseline"]) == 0
    (pytester.path / "models" / "lessons.py").write_text(
        UNINDEXED_EXAMS.replace('"exams"', '"lessons"').replace("class Exam", "class Lesson").lstrip("\n"),
        encoding="utf-8",
    )
    result = pytester.runpytest_inprocess("--schema-guard", "-v")
    result.stdout.fnmatch_lines([
        "models/attempts.py::schema-guard PASSED*",
        "models/exams.py::schema-guard PASSED*",
        "models/grades.py::schema-guard PASSED*",
        "models/lessons.py::schema-guard FAILED*",
        "schema-guard: Found 1 finding(s) (1 suppressed, 1 baselined).",
    ])
    assert "models/lessons.py:9:5: SG203" in result.stdout.str() and "SG202" not in result.stdout.str()


def test_k_selects_a_file_and_lf_reruns_only_the_failure(pytester: pytest.Pytester) -> None:
    write_project(pytester, {"students": STUDENTS, "exams": UNINDEXED_EXAMS, "attempts": ATTEMPTS})
    first = pytester.runpytest_inprocess("--schema-guard")
    first.assert_outcomes(passed=5, failed=1)
    by_name = pytester.runpytest_inprocess("--schema-guard", "-k", "exams", "-v")
    by_name.stdout.fnmatch_lines(["models/exams.py::schema-guard FAILED*"])
    by_name.assert_outcomes(failed=1, deselected=5)
    rerun = pytester.runpytest_inprocess("--schema-guard", "--lf", "-v")
    rerun.stdout.fnmatch_lines(["run-last-failure: rerun previous 1 failure*", "models/exams.py::schema-guard FAILED*"])
    assert rerun.parseoutcomes().get("passed", 0) == 0 and rerun.parseoutcomes()["failed"] == 1


def test_a_model_file_named_on_the_command_line_runs_alone(pytester: pytest.Pytester) -> None:
    write_project(pytester, {"students": STUDENTS, "exams": UNINDEXED_EXAMS})
    result = pytester.runpytest_inprocess("--schema-guard", "models/students.py", "-v")
    result.stdout.fnmatch_lines(["models/students.py::schema-guard PASSED*"])
    result.assert_outcomes(passed=1)


def test_configuration_error_is_a_usage_error_naming_the_key(pytester: pytest.Pytester) -> None:
    write_project(pytester, {"students": STUDENTS}, settings=SOURCE_ONLY + 'tenant-colum = "x"\n')
    result = pytester.runpytest_inprocess("--schema-guard")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*schema-guard: *unknown key 'tenant-colum'*did you mean 'tenant-column'*"])


def test_without_the_option_nothing_is_added(pytester: pytest.Pytester) -> None:
    write_project(pytester, {"students": STUDENTS, "exams": UNINDEXED_EXAMS})
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=1)


# --schema-guard-migrations ------------------------------------------------------------------------------------


def test_migration_checks_pass_and_fail_by_name_with_one_gate_run(pytester: pytest.Pytester, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(materialise("index_not_concurrent", tmp_path), pytester.path, dirs_exist_ok=True)
    monkeypatch.setenv("SCHEMA_GUARD_DATABASE_URL", SERVER_URL)
    basetemp = pytester.path / "basetemp"
    result = pytester.runpytest_inprocess(f"--basetemp={basetemp}", "--schema-guard-migrations", "-p", "xdist",
                                          "-n", "2", "-v")
    result.stdout.fnmatch_lines_random([
        "*PASSED alembic.ini::single-head*",
        "*PASSED alembic.ini::upgrade*",
        "*PASSED alembic.ini::model-matches-database*",
        "*PASSED alembic.ini::head-schema-rules*",
        "*PASSED alembic.ini::round-trip*",
        "*FAILED alembic.ini::revision-safety*",
        "revision-safety: each revision is safe on a live database and keeps tenancy",
        "migrations/versions/0003_lesson_title_index.py:18:5: SG651 creates index ix_lessons_title on existing table "
        "lessons without CONCURRENTLY*",
    ])
    result.assert_outcomes(passed=5, failed=1)
    shared = list(basetemp.glob("schema-guard-*/migration-gate.json"))
    assert len(shared) == 1, "the gate runs once per test run, its result shared by the xdist workers"
    assert [f["code"] for f in json.loads(shared[0].read_text())["findings"]] == ["SG651"]


# fixtures: schema_guard_findings and tenant_guard --------------------------------------------------------------

GUARD_CONFTEST = """
import os

import pytest
from sqlmodel import Session, SQLModel, create_engine, select

from models.attempts import Attempt
from models.exams import Exam
from models.students import Student


@pytest.fixture(scope="session")
def engine():
    engine = create_engine(os.environ["SAMPLE_DATABASE_URL"])
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine, tenant_guard):
    connection = engine.connect()
    transaction = connection.begin()
    session = tenant_guard.install(Session(bind=connection, join_transaction_mode="create_savepoint"))
    student = Student(name="mine")
    session.add(student)
    session.flush()
    exam = Exam(student_id=student.id, title="algebra")
    session.add(exam)
    session.flush()
    session.add(Attempt(student_id=student.id, exam_id=exam.id))
    session.commit()
    session.info.update(student_id=student.id, exam_id=exam.id)
    session.exec(select(Exam)).all()  # fixture setup is not judged
    yield session
    session.close()
    transaction.rollback()
    connection.close()
"""

GUARD_TESTS = """
import pytest
from sqlmodel import select

from models.attempts import Attempt
from models.exams import Exam


def test_unfiltered_select(session):
    session.exec(select(Exam)).all()


def test_filtered_select(session):
    assert session.exec(select(Exam).where(Exam.student_id == session.info["student_id"])).all()


def test_join_on_foreign_key_alone(session):
    session.exec(select(Attempt).join(Exam, Attempt.exam_id == Exam.id)
                 .where(Exam.student_id == session.info["student_id"])).all()


def test_join_through_the_tenant_column(session):
    session.exec(select(Attempt).join(Exam, (Attempt.exam_id == Exam.id) & (Attempt.student_id == Exam.student_id))
                 .where(Exam.student_id == session.info["student_id"])).all()


def test_subquery_filtered_inside(session):
    mine = select(Exam).where(Exam.student_id == session.info["student_id"]).subquery()
    session.exec(select(mine)).all()


def test_session_get(session):
    session.expunge_all()
    session.get(Exam, session.info["exam_id"])


@pytest.mark.cross_tenant(reason="admin report over every student")
def test_admin_report(session):
    session.exec(select(Exam)).all()


def test_seeding_inside_allow(session, tenant_guard):
    with tenant_guard.allow("count every exam"):
        session.exec(select(Exam)).all()


def test_models_are_clean(schema_guard_findings):
    assert schema_guard_findings == []
"""


@pytest.fixture
def sample_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A scratch database with a random name for the sample project's tests (its URL in SAMPLE_DATABASE_URL)."""
    name = f"sg_plugin_{secrets.token_hex(5)}"
    admin = sa.create_engine(SERVER_URL, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
    monkeypatch.setenv("SAMPLE_DATABASE_URL", url)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_tenant_guard_fixture_fails_unfiltered_queries(pytester: pytest.Pytester, sample_database: str) -> None:
    write_project(pytester, {"students": STUDENTS, "exams": EXAMS, "attempts": ATTEMPTS}, settings=WITH_METADATA)
    pytester.makeconftest(GUARD_CONFTEST)
    (pytester.path / "tests" / "test_queries.py").write_text(GUARD_TESTS, encoding="utf-8")
    result = pytester.runpytest_subprocess("-v", "tests/test_queries.py")
    result.stdout.fnmatch_lines_random([
        "*::test_unfiltered_select FAILED*",
        "*::test_filtered_select PASSED*",
        "*::test_join_on_foreign_key_alone FAILED*",
        "*::test_join_through_the_tenant_column PASSED*",
        "*::test_subquery_filtered_inside PASSED*",
        "*::test_session_get FAILED*",
        "*::test_admin_report PASSED*",
        "*::test_seeding_inside_allow PASSED*",
        "*::test_models_are_clean PASSED*",
        "tests/test_queries.py:10:1: SG701 SELECT reads tenant-scoped table 'exams' without a predicate on "
        "exams.student_id",
        "    sql: SELECT exams.id, exams.student_id, exams.title FROM exams",
        "*SG701 SELECT joins tenant-scoped table 'attempts' without a predicate on attempts.student_id, and the "
        "join does not equate it with a filtered tenant column",
        "*SG701 SELECT reads tenant-scoped table 'exams' by primary key alone*",
    ])
    result.assert_outcomes(passed=6, failed=3)
    assert result.ret == 1
