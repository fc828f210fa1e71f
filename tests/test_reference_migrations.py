"""The reference models and their Alembic migrations agree, against a real PostgreSQL.

Each test module run creates one scratch database with a random name on the server at
``SCHEMA_GUARD_TEST_DATABASE_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``, used only to
CREATE and DROP that scratch database) and drops it afterwards. Nothing is skipped: an unreachable server fails the
tests with a message saying how to start it.

What is checked:
* the mappers configure (relationships, ``back_populates``, ``link_model``);
* ``upgrade head`` produces exactly the models' schema: ``alembic.autogenerate.compare_metadata`` finds no
  difference, plus the two things autogenerate does not compare (CHECK constraints and a VARCHAR losing its length);
* ``upgrade head`` and ``SQLModel.metadata.create_all`` reflect identically (constraint and index names included);
* ``downgrade base`` leaves only ``alembic_version``; upgrade -> downgrade -> upgrade gives the same schema;
* ``alembic check`` and ``alembic upgrade head --sql`` work from the command line (``DATABASE_URL``);
* the comparison is not vacuous: a JSONB column changed to JSON, and a dropped index, are reported;
* the ORM works on the migrated schema: link rows, many-to-many reads, the difficulty CHECK, the tenant-pinned
  foreign keys (children inherit ``student_id``; a cross-student reference is refused), cascading deletes.

``reference_models`` is imported by a fixture, not at collection time: other tests clear SQLModel's global registry.
"""

from __future__ import annotations

import importlib
import os
import secrets
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
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
from sqlalchemy.orm import clear_mappers, configure_mappers
from sqlalchemy.pool import NullPool
from sqlmodel import Session, SQLModel, select

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "reference_models"  # a top-level package of the repository, not installed: imported from ROOT

SERVER_URL_ENV = "SCHEMA_GUARD_TEST_DATABASE_URL"
SERVER_URL = os.environ.get(SERVER_URL_ENV, "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
ALEMBIC_INI = ROOT / "alembic.ini"
HEAD = "0002_exams_attempts_feedback"
FIRST = "0001_students_curriculum"
FIRST_TABLES = {"students", "subjects", "syllabus_points", "questions"}


# --------------------------------------------------------------------------------------------------- fixtures


def _unload_reference_models() -> None:
    """Forget every mapped class and table, and the reference modules, like tests/conftest.py's isolation does."""
    clear_mappers()
    SQLModel.metadata.clear()
    for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
        del sys.modules[name]


@pytest.fixture(scope="module")
def models() -> Iterator[ModuleType]:
    """``reference_models`` imported into a clean SQLModel registry, and unloaded after this module.

    ``SQLModel.metadata`` and the mapper registry are process-global, and other tests clear them between tests, so
    the package is imported here (not at collection time) and unloaded afterwards, leaving the registry as clean as
    it was found.
    """
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    _unload_reference_models()
    module = importlib.import_module(PACKAGE)
    configure_mappers()
    yield module
    _unload_reference_models()


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """A scratch database with a random name, created for this module and dropped after it (never any other)."""
    admin = sa.create_engine(SERVER_URL, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    name = f"sg_refmig_{secrets.token_hex(6)}"
    unreachable: str | None = None
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except OperationalError as error:
        unreachable = " ".join(str(error.orig).split())
    if unreachable is not None:
        admin.dispose()
        shown = sa.engine.make_url(SERVER_URL).render_as_string(hide_password=True)
        pytest.fail(
            f"PostgreSQL is not reachable at {shown} (set {SERVER_URL_ENV} to change it): {unreachable} -- start it "
            "(e.g. `pg_ctlcluster --skip-systemctl-redirect 15 main start`) or point the variable at a server where "
            "this user may CREATE DATABASE.",
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
def engine(database_url: str, models: ModuleType) -> Iterator[Engine]:
    """An engine on the scratch database; the models are loaded, since env.py and the comparisons read them."""
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
    """Compare the reference tables only, should another table be registered in the process-global
    ``SQLModel.metadata``. Tables that exist only in the database are still compared (reported as extra)."""
    if type_ == "table" and not reflected:
        return name in sys.modules[PACKAGE].TABLES
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


def snapshot(connection: Connection, schema: str | None = None) -> dict[str, Any]:
    """Everything reflection can tell about a schema's tables, constraint names included, for comparing two ways
    of building the same schema."""
    inspector = sa.inspect(connection)
    result: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names(schema=schema)):
        columns = inspector.get_columns(table, schema=schema)
        pk = inspector.get_pk_constraint(table, schema=schema)
        fks = inspector.get_foreign_keys(table, schema=schema)
        indexes = inspector.get_indexes(table, schema=schema)
        checks = inspector.get_check_constraints(table, schema=schema)
        uniques = inspector.get_unique_constraints(table, schema=schema)
        result[table] = {
            "columns": [(c["name"], str(c["type"]), c["nullable"], c.get("default")) for c in columns],
            "pk": (pk["name"], tuple(pk["constrained_columns"])),
            "fks": sorted(
                (
                    fk["name"],
                    tuple(fk["constrained_columns"]),
                    fk["referred_table"],
                    tuple(fk["referred_columns"]),
                    fk.get("options", {}).get("ondelete"),
                )
                for fk in fks
            ),
            "indexes": sorted((ix["name"], tuple(ix["column_names"]), bool(ix["unique"])) for ix in indexes),
            "checks": sorted((ck["name"], ck["sqltext"]) for ck in checks),
            "uniques": sorted((uq["name"], tuple(uq["column_names"])) for uq in uniques),
        }
    return result


def reference_tables(models: ModuleType) -> list[sa.Table]:
    return [SQLModel.metadata.tables[name] for name in sorted(models.TABLES)]


# --------------------------------------------------------------------------------------------------- tests


def test_mappers_configure(models: ModuleType) -> None:
    configure_mappers()
    assert {t.name for t in reference_tables(models)} == set(models.TABLES)
    link = models.ExamQuestion.__table__
    assert models.Exam.__mapper__.relationships["questions"].secondary is link
    assert models.Question.__mapper__.relationships["exams"].secondary is link


def test_tenancy_declarations_match_the_project_configuration(models: ModuleType) -> None:
    """Shared tables are declared in pyproject.toml and on the model; every other non-anchor table carries
    ``student_id`` UUID NOT NULL, FK to students.id, as the leading column of an index."""
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["schema_guard"]
    assert settings.get("tenant-table", "students") == models.ANCHOR_TABLE
    assert set(settings["shared-tables"]) == models.SHARED_TABLES
    for table in reference_tables(models):
        declared_shared = table.info.get("schema_guard", {}).get("shared", False)
        assert declared_shared == (table.name in models.SHARED_TABLES), table.name
        if table.name not in models.TENANT_SCOPED_TABLES:
            continue
        column = table.c.student_id
        assert isinstance(column.type, sa.Uuid) and not column.nullable, table.name
        assert "students.id" in {fk.target_fullname for fk in column.foreign_keys}, table.name
        leading = {ix.columns[0].name for ix in table.indexes} | {table.primary_key.columns[0].name}
        leading |= {u.columns[0].name for u in table.constraints if isinstance(u, sa.UniqueConstraint)}
        assert "student_id" in leading, table.name


def test_single_head_with_readable_revision_ids() -> None:
    script = ScriptDirectory.from_config(Config(str(ALEMBIC_INI)))
    assert script.get_heads() == [HEAD]
    revisions = [r.revision for r in script.walk_revisions("base", "heads")]
    assert revisions == [HEAD, FIRST]
    for revision in script.walk_revisions("base", "heads"):
        assert revision.module.downgrade.__doc__, f"{revision.revision} has no documented downgrade()"


def test_upgrade_head_matches_the_models(engine: Engine, models: ModuleType) -> None:
    alembic(engine, "upgrade", "head")
    with engine.connect() as connection:
        assert table_names(connection) == set(models.TABLES) | {"alembic_version"}
        assert schema_diff(connection) == []


def test_upgrade_head_has_what_autogenerate_does_not_compare(engine: Engine, models: ModuleType) -> None:
    """Alembic ignores CHECK constraints, and a VARCHAR(n) reflected without its length is not reported."""
    alembic(engine, "upgrade", "head")
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        for table in reference_tables(models):
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


def test_migrations_build_the_same_schema_as_create_all(engine: Engine, models: ModuleType) -> None:
    """Stricter than autogenerate: ``SQLModel.metadata.create_all`` into a side schema and ``upgrade head`` must
    reflect identically, CHECK constraints, index names and PostgreSQL's generated constraint names included."""
    alembic(engine, "upgrade", "head")
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            connection.exec_driver_sql("CREATE SCHEMA create_all")
            side = connection.execution_options(schema_translate_map={None: "create_all"})
            SQLModel.metadata.create_all(side, tables=reference_tables(models))
            built = snapshot(connection, schema="create_all")
            migrated = snapshot(connection)
        finally:
            transaction.rollback()
    migrated.pop("alembic_version")
    assert set(built) == set(models.TABLES)
    assert built == migrated


def test_comparison_detects_drift(engine: Engine) -> None:
    """Negative control: the comparison above would catch a JSONB column migrated as JSON."""
    alembic(engine, "upgrade", "head")
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            connection.exec_driver_sql("ALTER TABLE students ALTER COLUMN target_grades TYPE json")
            connection.exec_driver_sql("DROP INDEX ix_attempts_exam_id")
            diff = repr(schema_diff(connection))
        finally:
            transaction.rollback()
    assert "target_grades" in diff and "JSONB" in diff
    assert "ix_attempts_exam_id" in diff


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
    """``alembic check`` in a fresh process, through DATABASE_URL, and offline ``--sql`` mode."""
    alembic(engine, "upgrade", "head")
    environment = {**os.environ, "DATABASE_URL": database_url}

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
    assert "CREATE INDEX ix_feedback_student_id ON feedback (student_id)" in offline.stdout


def test_orm_round_trip_on_the_migrated_schema(engine: Engine, models: ModuleType) -> None:
    """Relationships, link rows, the CHECK, tenant-pinned keys and cascading deletes work on the migrated schema."""
    Student, Subject, Question = models.Student, models.Subject, models.Question  # noqa: N806
    Exam, ExamQuestion, Attempt = models.Exam, models.ExamQuestion, models.Attempt  # noqa: N806
    AttemptedQuestion, Feedback = models.AttemptedQuestion, models.Feedback  # noqa: N806
    alembic(engine, "upgrade", "head")
    with engine.connect() as connection, Session(bind=connection) as session:
        transaction = connection.begin()
        try:
            ada = Student(email="ada@example.com", password_hash="x" * 60, full_name="Ada", target_grades={"M": "A"})
            bob = Student(email="bob@example.com", password_hash="x" * 60, full_name="Bob")
            subject = Subject(code="MATH", name="Mathematics")
            question = Question(
                subject=subject,
                prompt="2 + 2?",
                difficulty=1,
                max_marks=1,
                marking_scheme={"answer": "4"},
                topics=["arithmetic"],
            )
            session.add_all([ada, bob, subject, question])
            session.flush()

            # Children inherit student_id from their parent through the tenant-pinned relationships.
            exam = Exam(student=ada, subject_id=subject.id, title="Mock 1")
            exam.exam_questions.append(ExamQuestion(question_id=question.id, position=1))
            attempt = Attempt(exam=exam)
            answered = AttemptedQuestion(attempt=attempt, question_id=question.id, answer="4", weaknesses=["speed"])
            feedback = Feedback(attempt=attempt, author="marker", summary="Good.")
            session.add_all([exam, attempt, answered, feedback])
            session.flush()
            assert {exam.exam_questions[0].student_id, attempt.student_id, answered.student_id} == {ada.id}
            assert feedback.student_id == ada.id
            session.expire_all()

            loaded_exam = session.get(Exam, exam.id)
            loaded_question = session.get(Question, question.id)
            assert loaded_exam is not None and loaded_question is not None
            assert [q.id for q in loaded_exam.questions] == [question.id]
            assert [e.id for e in loaded_question.exams] == [exam.id]
            stored = session.get(Student, ada.id)
            assert stored is not None and stored.is_active and stored.created_at.tzinfo is not None
            assert [a.id for a in stored.attempts] == [attempt.id]
            loaded_answer = session.get(AttemptedQuestion, answered.id)
            assert loaded_answer is not None and loaded_answer.weaknesses == ["speed"]

            with pytest.raises(IntegrityError, match="ck_questions_difficulty_range"), session.begin_nested():
                session.add(Question(subject_id=subject.id, prompt="?", difficulty=6, max_marks=1))
                session.flush()
            # Bob cannot sit Ada's exam: the composite foreign key (student_id, exam_id) has no match.
            with pytest.raises(IntegrityError, match="attempts_student_id_exam_id_fkey"), session.begin_nested():
                session.add(Attempt(student_id=bob.id, exam_id=exam.id))
                session.flush()

            session.delete(stored)
            session.flush()
            for model in (Exam, ExamQuestion, Attempt, AttemptedQuestion, Feedback):
                assert session.exec(select(model)).all() == [], model.__name__
            assert session.get(Question, question.id) is not None  # shared reference data survives
            assert session.get(Student, bob.id) is not None
        finally:
            transaction.rollback()
