"""The reference models and their Alembic migrations agree, against a real PostgreSQL.

Each test module run creates one scratch database with a random name on the server at
``SCHEMA_GUARD_TEST_POSTGRES_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``, used only to
CREATE and DROP that scratch database) and drops it afterwards. Nothing is skipped: an unreachable server fails the
tests with a message saying how to start it.

What is checked:
* the mappers configure (relationships, ``back_populates``, ``link_model``);
* ``upgrade head`` produces exactly the models' schema: ``alembic.autogenerate.compare_metadata`` finds no
  difference, plus the two things autogenerate does not compare (CHECK constraints and a VARCHAR losing its length);
* ``downgrade base`` leaves only ``alembic_version``; upgrade -> downgrade -> upgrade gives the same schema;
* ``alembic check`` and ``alembic upgrade head --sql`` work from the command line (``SCHEMA_GUARD_DATABASE_URL``);
* the comparison is not vacuous: a JSONB column changed to JSON is reported;
* the ORM works on the migrated schema: link rows, many-to-many reads, the difficulty CHECK, cascading deletes.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import configure_mappers
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # reference_models is a top-level package of the repository, not installed
    sys.path.insert(0, str(ROOT))

import reference_models  # noqa: E402
from reference_models import (  # noqa: E402
    Attempt,
    AttemptedQuestion,
    Exam,
    ExamQuestion,
    Feedback,
    Question,
    Student,
    Subject,
)
from sqlmodel import Session, SQLModel, select  # noqa: E402

SERVER_URL_ENV = "SCHEMA_GUARD_TEST_POSTGRES_URL"
SERVER_URL = os.environ.get(SERVER_URL_ENV, "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
ALEMBIC_INI = ROOT / "alembic.ini"
HEAD = "0002_exams_attempts_feedback"
FIRST = "0001_students_curriculum"
FIRST_TABLES = {"students", "subjects", "syllabus_points", "questions"}


# --------------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """A scratch database with a random name, created for this module and dropped after it (never any other)."""
    admin = sa.create_engine(SERVER_URL, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    name = f"sg_refmig_{secrets.token_hex(6)}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except OperationalError as error:
        admin.dispose()
        pytest.fail(
            f"PostgreSQL is not reachable at {SERVER_URL} ({SERVER_URL_ENV}): {error.orig}. Start it, e.g. "
            "`pg_ctlcluster --skip-systemctl-redirect 15 main start`, or point "
            f"{SERVER_URL_ENV} at a server where this user may CREATE DATABASE.",
            pytrace=False,
        )
    url = sa.engine.make_url(SERVER_URL).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="module")
def engine(database_url: str) -> Iterator[Engine]:
    engine = sa.create_engine(database_url, poolclass=NullPool)
    yield engine
    engine.dispose()


# --------------------------------------------------------------------------------------------------- helpers


def alembic(engine: Engine, action: str, target: str) -> None:
    """Run ``alembic upgrade|downgrade target`` through env.py's programmatic-connection path."""
    config = Config(str(ALEMBIC_INI))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, target)


def include_reference_tables(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Compare the reference tables only: ``SQLModel.metadata`` is process-global and other tests may register
    their own tables in it. Tables that exist only in the database are still compared (reported as extra)."""
    if type_ == "table" and not reflected:
        return name in reference_models.TABLES
    return True


def schema_diff(connection: Connection) -> list[Any]:
    """What ``alembic check`` would report (same options as migrations/env.py)."""
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "compare_server_default": True,
            "include_object": include_reference_tables,
        },
    )
    return compare_metadata(context, SQLModel.metadata)


def table_names(connection: Connection) -> set[str]:
    return set(sa.inspect(connection).get_table_names())


def snapshot(connection: Connection) -> dict[str, Any]:
    """Everything reflection can tell about the reference schema, for upgrade/downgrade/upgrade comparisons."""
    inspector = sa.inspect(connection)
    result: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        result[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], c.get("default")) for c in inspector.get_columns(table)
            ],
            "pk": inspector.get_pk_constraint(table)["constrained_columns"],
            "fks": sorted(
                (tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]),
                 fk.get("options", {}).get("ondelete"))
                for fk in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (ix["name"], tuple(ix["column_names"]), bool(ix["unique"])) for ix in inspector.get_indexes(table)
            ),
            "checks": sorted((ck["name"], ck["sqltext"]) for ck in inspector.get_check_constraints(table)),
            "uniques": sorted(
                (uq["name"], tuple(uq["column_names"])) for uq in inspector.get_unique_constraints(table)
            ),
        }
    return result


def reference_tables() -> list[sa.Table]:
    return [SQLModel.metadata.tables[name] for name in sorted(reference_models.TABLES)]


# --------------------------------------------------------------------------------------------------- tests


def test_mappers_configure() -> None:
    configure_mappers()
    assert {t.name for t in reference_tables()} == set(reference_models.TABLES)
    assert Exam.__mapper__.relationships["questions"].secondary is ExamQuestion.__table__
    assert Question.__mapper__.relationships["exams"].secondary is ExamQuestion.__table__


def test_tenancy_declarations_match_the_project_configuration() -> None:
    """Shared tables are declared in pyproject.toml and on the model; every other non-anchor table carries
    ``student_id`` UUID NOT NULL, FK to students.id, as the leading column of an index."""
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["schema_guard"]
    assert settings.get("tenant-table", "students") == reference_models.ANCHOR_TABLE
    assert set(settings["shared-tables"]) == reference_models.SHARED_TABLES
    for table in reference_tables():
        declared_shared = table.info.get("schema_guard", {}).get("shared", False)
        assert declared_shared == (table.name in reference_models.SHARED_TABLES), table.name
        if table.name not in reference_models.TENANT_SCOPED_TABLES:
            continue
        column = table.c.student_id
        assert isinstance(column.type, sa.Uuid) and not column.nullable, table.name
        assert {fk.target_fullname for fk in column.foreign_keys} == {"students.id"}, table.name
        leading = {ix.columns[0].name for ix in table.indexes} | {table.primary_key.columns[0].name}
        assert "student_id" in leading, table.name


def test_single_head_with_readable_revision_ids() -> None:
    script = ScriptDirectory.from_config(Config(str(ALEMBIC_INI)))
    assert script.get_heads() == [HEAD]
    revisions = [r.revision for r in script.walk_revisions("base", "heads")]
    assert revisions == [HEAD, FIRST]
    for revision in script.walk_revisions("base", "heads"):
        assert revision.module.downgrade.__doc__, f"{revision.revision} has no documented downgrade()"


def test_upgrade_head_matches_the_models(engine: Engine) -> None:
    alembic(engine, "upgrade", "head")
    with engine.connect() as connection:
        assert table_names(connection) == set(reference_models.TABLES) | {"alembic_version"}
        assert schema_diff(connection) == []


def test_upgrade_head_has_what_autogenerate_does_not_compare(engine: Engine) -> None:
    """Alembic ignores CHECK constraints, and a VARCHAR(n) reflected without its length is not reported."""
    alembic(engine, "upgrade", "head")
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        for table in reference_tables():
            expected_checks = {
                c.name for c in table.constraints if isinstance(c, sa.CheckConstraint) and isinstance(c.name, str)
            }
            actual_checks = {ck["name"] for ck in inspector.get_check_constraints(table.name)}
            assert expected_checks <= actual_checks, table.name
            reflected = {c["name"]: c["type"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                length = getattr(column.type, "length", None)
                if isinstance(column.type, sa.String) and length is not None:
                    assert getattr(reflected[column.name], "length", None) == length, f"{table.name}.{column.name}"


def test_comparison_detects_drift(engine: Engine) -> None:
    """Negative control: the comparison above would catch a JSONB column migrated as JSON."""
    alembic(engine, "upgrade", "head")
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            connection.exec_driver_sql("ALTER TABLE students ALTER COLUMN target_grades TYPE json")
            connection.exec_driver_sql("DROP INDEX ix_exams_student_id")
            diff = repr(schema_diff(connection))
        finally:
            transaction.rollback()
    assert "target_grades" in diff and "JSONB" in diff
    assert "ix_exams_student_id" in diff


def test_downgrade_base_leaves_only_the_version_table(engine: Engine) -> None:
    alembic(engine, "upgrade", "head")
    alembic(engine, "downgrade", "base")
    with engine.connect() as connection:
        assert table_names(connection) == {"alembic_version"}
        assert connection.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar_one() == 0


def test_upgrade_downgrade_upgrade_round_trip(engine: Engine) -> None:
    alembic(engine, "upgrade", "head")
    with engine.connect() as connection:
        first = snapshot(connection)

    alembic(engine, "downgrade", FIRST)
    with engine.connect() as connection:
        assert table_names(connection) == FIRST_TABLES | {"alembic_version"}
        assert snapshot(connection) == {t: v for t, v in first.items() if t in FIRST_TABLES | {"alembic_version"}}

    alembic(engine, "downgrade", "base")
    alembic(engine, "upgrade", FIRST)
    alembic(engine, "upgrade", "head")
    with engine.connect() as connection:
        assert snapshot(connection) == first
        assert schema_diff(connection) == []


def test_alembic_command_line(engine: Engine, database_url: str) -> None:
    """``alembic check`` in a fresh process, through SCHEMA_GUARD_DATABASE_URL, and offline ``--sql`` mode."""
    alembic(engine, "upgrade", "head")
    environment = {**os.environ, "SCHEMA_GUARD_DATABASE_URL": database_url}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "alembic", "-c", str(ALEMBIC_INI), *args],
            cwd=ROOT.parent,  # not the repository root: alembic.ini must not depend on the working directory
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )

    check = run("check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr

    offline = run("upgrade", f"base:{HEAD}", "--sql")
    assert offline.returncode == 0, offline.stderr
    assert "CREATE TABLE students" in offline.stdout
    assert "CONSTRAINT ck_questions_difficulty_range CHECK (difficulty BETWEEN 1 AND 5)" in offline.stdout
    assert "CREATE INDEX ix_exams_student_id ON exams (student_id)" in offline.stdout


def test_orm_round_trip_on_the_migrated_schema(engine: Engine) -> None:
    alembic(engine, "upgrade", "head")
    with engine.connect() as connection, Session(bind=connection) as session:
        transaction = connection.begin()
        try:
            student = Student(email="ada@example.com", password_hash="x" * 60, full_name="Ada", target_grades={"MATH": "A*"})
            subject = Subject(code="MATH", name="Mathematics")
            question = Question(
                subject=subject, prompt="2 + 2?", difficulty=1, max_marks=1, marking_scheme={"answer": "4"},
                topics=["arithmetic"],
            )
            session.add_all([student, subject, question])
            session.flush()

            exam = Exam(student=student, subject_id=subject.id, title="Mock 1")
            exam.exam_questions.append(ExamQuestion(student_id=student.id, question_id=question.id, position=1))
            attempt = Attempt(student=student, exam=exam)
            answered = AttemptedQuestion(
                student_id=student.id, attempt=attempt, question_id=question.id, answer="4", weaknesses=["speed"]
            )
            feedback = Feedback(student_id=student.id, attempt=attempt, author="marker", summary="Good.")
            session.add_all([exam, attempt, answered, feedback])
            session.flush()
            session.expire_all()

            assert [q.id for q in session.get(Exam, exam.id).questions] == [question.id]  # type: ignore[union-attr]
            assert [e.id for e in session.get(Question, question.id).exams] == [exam.id]  # type: ignore[union-attr]
            stored = session.get(Student, student.id)
            assert stored is not None and stored.is_active and stored.created_at.tzinfo is not None
            assert session.get(AttemptedQuestion, answered.id).weaknesses == ["speed"]  # type: ignore[union-attr]

            with pytest.raises(IntegrityError, match="ck_questions_difficulty_range"), session.begin_nested():
                session.add(Question(subject_id=subject.id, prompt="?", difficulty=6, max_marks=1))
                session.flush()

            session.delete(stored)
            session.flush()
            for model in (Exam, ExamQuestion, Attempt, AttemptedQuestion, Feedback):
                assert session.exec(select(model)).all() == [], model.__name__
            assert session.get(Question, question.id) is not None  # shared reference data survives
        finally:
            transaction.rollback()
