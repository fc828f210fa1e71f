"""The tenant query guard (SG701) against a real PostgreSQL: which queries it reports and which it accepts.

Each test imports a fresh copy of a small model set (students = the anchor, ``subjects`` declared shared on the
model, ``topics`` shared by configuration and linked to ``exams`` through ``exam_topics``, ``exams``/``attempts``
tenant-scoped, ``papers``/``answers`` joined by a tenant-pinned composite foreign key, ``notes`` with a nullable
tenant column, ``drafts`` without one), seeds two students' rows in a transaction on a scratch database (rolled back at the
end) with the guard inactive, then runs one query with the guard active.

The two tables below are the guard's decisions, one row per kind of query; the tests after them cover what a row
cannot show: where a violation is reported, counting, opting out, and the targets the guard installs on.
"""

from __future__ import annotations

import importlib
import itertools
import os
import secrets
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import and_, any_, delete, exists, func, insert, or_, text, union_all, update
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import aliased, joinedload, selectinload, sessionmaker, with_loader_criteria
from sqlalchemy.pool import NullPool
from sqlmodel import Session, select

from schema_guard.runtime import TenantGuard, TenantGuardError
from schema_guard.tenancy import TenantPolicy
from schema_guard.testing import reset_sqlmodel

SERVER_URL = os.environ.get("SCHEMA_GUARD_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")

MODELS = '''
import uuid
from typing import Optional

from sqlalchemy import ForeignKeyConstraint, UniqueConstraint
from sqlmodel import Field, Relationship, SQLModel


class Student(SQLModel, table=True):
    __tablename__ = "students"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = ""
    exams: list["Exam"] = Relationship(back_populates="student")


class Subject(SQLModel, table=True):
    __tablename__ = "subjects"
    __table_args__ = {"info": {"schema_guard": {"shared": True}}}
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = ""


class ExamTopic(SQLModel, table=True):
    __tablename__ = "exam_topics"
    topic_id: uuid.UUID = Field(foreign_key="topics.id", primary_key=True)
    exam_id: uuid.UUID = Field(foreign_key="exams.id", primary_key=True)


class Topic(SQLModel, table=True):
    __tablename__ = "topics"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = ""
    exams: list["Exam"] = Relationship(back_populates="topics", link_model=ExamTopic)


class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    title: str = ""
    student: Optional[Student] = Relationship(back_populates="exams")
    attempts: list["Attempt"] = Relationship(back_populates="exam")
    topics: list[Topic] = Relationship(back_populates="exams", link_model=ExamTopic)


class Attempt(SQLModel, table=True):
    __tablename__ = "attempts"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    exam_id: uuid.UUID = Field(foreign_key="exams.id", index=True)
    score: int = 0
    exam: Optional[Exam] = Relationship(back_populates="attempts")


class Note(SQLModel, table=True):
    __tablename__ = "notes"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: Optional[uuid.UUID] = Field(default=None, foreign_key="students.id", index=True)
    body: str = ""


class Paper(SQLModel, table=True):
    __tablename__ = "papers"
    __table_args__ = (UniqueConstraint("student_id", "id"),)
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    answers: list["Answer"] = Relationship(back_populates="paper")


class Answer(SQLModel, table=True):
    __tablename__ = "answers"
    __table_args__ = (ForeignKeyConstraint(["student_id", "paper_id"], ["papers.student_id", "papers.id"]),)
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    paper_id: uuid.UUID = Field(index=True)
    paper: Optional[Paper] = Relationship(back_populates="answers")


class Draft(SQLModel, table=True):
    __tablename__ = "drafts"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    body: str = ""
'''

pytestmark = pytest.mark.filterwarnings(
    r"ignore:(?s).*You probably want to use `session.exec\(\)`:DeprecationWarning",  # legacy Query, on purpose
    "ignore:SELECT statement has a cartesian product",  # the mis-filtered alias case, on purpose
)

POLICY = TenantPolicy(shared_tables=frozenset({"topics"}))
_modules = itertools.count()


@dataclass
class World:
    """One test's models, session, seeded ids and the active guard."""

    models: ModuleType
    session: Session
    connection: Connection
    guard: TenantGuard
    sid: uuid.UUID
    other: uuid.UUID
    exam_id: uuid.UUID

    def __getattr__(self, name: str) -> Any:
        return getattr(self.models, name)

    def reported(self) -> list[str]:
        """The tables reported so far."""
        return [finding.table or "" for finding in self.guard.findings]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A scratch database with a random name and the models' tables, created for this module and dropped after it."""
    name = f"sg_guard_{secrets.token_hex(5)}"
    admin = sa.create_engine(SERVER_URL, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as error:
        pytest.fail(f"PostgreSQL is not reachable at {SERVER_URL} ({error.orig}); start it with "
                    "`pg_ctlcluster --skip-systemctl-redirect 15 main start`", pytrace=False)
    engine = sa.create_engine(sa.make_url(SERVER_URL).set(database=name), poolclass=NullPool)
    try:
        reset_sqlmodel()  # whatever an earlier test module (an in-process pytester run) left registered
        import_models(tmp_path_factory.mktemp("schema")).SQLModel.metadata.create_all(engine)
        reset_sqlmodel()
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def import_models(folder: Path) -> ModuleType:
    name = f"sg_guard_models_{next(_modules)}"
    (folder / f"{name}.py").write_text(MODELS, encoding="utf-8")
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(folder))


@pytest.fixture
def world(engine: Engine, tmp_path: Path, isolated_models: None) -> Iterator[World]:
    models = import_models(tmp_path)
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    guard = TenantGuard(POLICY, active=False)
    guard.install(session)
    mine, theirs = models.Student(name="mine"), models.Student(name="theirs")
    session.add_all([mine, theirs])
    session.flush()
    exam = models.Exam(student_id=mine.id, title="algebra")
    session.add_all([exam, models.Exam(student_id=theirs.id, title="theirs")])
    session.flush()
    session.add_all([models.Attempt(student_id=mine.id, exam_id=exam.id, score=3), models.Subject(name="maths"),
                     models.Topic(name="algebra"), models.Paper(student_id=mine.id)])
    session.commit()
    world = World(models, session, connection, guard, mine.id, theirs.id, exam.id)
    session.expunge_all()
    guard.active = True
    try:
        yield world
    finally:
        guard.uninstall()
        session.close()
        transaction.rollback()
        connection.close()


def _subquery_pushed_down(w: World) -> Any:
    mine = select(w.Exam).subquery()
    return w.session.exec(select(mine).where(mine.c.student_id == w.sid)).all()


def _cte_filtered_inside(w: World) -> Any:
    recent = select(w.Exam.id, w.Exam.title).where(w.Exam.student_id == w.sid).cte("recent")
    return w.session.exec(select(recent)).all()


def _lazy_load(w: World) -> Any:
    exam = w.session.exec(select(w.Exam).where(w.Exam.student_id == w.sid)).first()
    return exam.attempts


def _pinned_lazy_load(w: World) -> Any:
    paper = w.session.exec(select(w.Paper).where(w.Paper.student_id == w.sid)).first()
    return paper.answers


def _link_table_lazy_load(w: World) -> Any:
    topic = w.session.exec(select(w.Topic)).first()
    return topic.exams


def _refresh_after_commit(w: World) -> Any:
    exam = w.session.exec(select(w.Exam).where(w.Exam.student_id == w.sid)).first()
    w.session.commit()
    return exam.title


def _flush_update_and_delete(w: World) -> None:
    attempt = w.session.exec(select(w.Attempt).where(w.Attempt.student_id == w.sid)).first()
    attempt.score = 5
    w.session.flush()
    w.session.delete(attempt)
    w.session.flush()


ACCEPTED: dict[str, Callable[[World], Any]] = {
    "select filtered by the tenant": lambda w: w.session.exec(select(w.Exam).where(w.Exam.student_id == w.sid)).all(),
    "tenant among other AND terms": lambda w: w.session.exec(
        select(w.Exam).where(w.Exam.title == "algebra", w.Exam.student_id == w.sid)).all(),
    "legacy Query filtered": lambda w: w.session.query(w.Exam).filter(w.Exam.student_id == w.sid).all(),
    "core select on the table": lambda w: w.connection.execute(
        sa.select(w.Exam.__table__).where(w.Exam.__table__.c.student_id == w.sid)).all(),
    "count with the tenant": lambda w: w.session.exec(
        select(func.count()).select_from(w.Exam).where(w.Exam.student_id == w.sid)).one(),
    "join equating tenant columns": lambda w: w.session.exec(
        select(w.Attempt).join(w.Exam, and_(w.Attempt.exam_id == w.Exam.id, w.Attempt.student_id == w.Exam.student_id))
        .where(w.Exam.student_id == w.sid)).all(),
    "relationship join, both filtered": lambda w: w.session.exec(
        select(w.Exam).join(w.Exam.attempts).where(w.Exam.student_id == w.sid, w.Attempt.student_id == w.sid)).all(),
    "join to the anchor filtered by its key": lambda w: w.session.exec(
        select(w.Exam).join(w.Student).where(w.Student.id == w.sid)).all(),
    "outer join pinned in its ON clause": lambda w: w.session.exec(
        select(w.Exam, w.Attempt).outerjoin(
            w.Attempt, and_(w.Attempt.exam_id == w.Exam.id, w.Attempt.student_id == w.Exam.student_id))
        .where(w.Exam.student_id == w.sid)).all(),
    "aliased entity filtered through the alias": lambda w: w.session.exec(
        select(a := aliased(w.Exam)).where(a.student_id == w.sid)).all(),
    "IN subquery filtered inside": lambda w: w.session.exec(
        select(w.Exam).where(w.Exam.student_id == w.sid,
                             w.Exam.id.in_(select(w.Attempt.exam_id).where(w.Attempt.student_id == w.sid)))).all(),
    "correlated EXISTS through the outer tenant": lambda w: w.session.exec(
        select(w.Exam).where(w.Exam.student_id == w.sid, exists().where(
            w.Attempt.exam_id == w.Exam.id, w.Attempt.student_id == w.Exam.student_id))).all(),
    "FROM subquery filtered outside": _subquery_pushed_down,
    "CTE filtered inside": _cte_filtered_inside,
    "tenant from a scalar subquery on the anchor": lambda w: w.session.exec(
        select(w.Exam).where(w.Exam.student_id == select(w.Student.id).where(w.Student.name == "mine")
                             .scalar_subquery())).all(),
    "with_loader_criteria": lambda w: w.session.exec(
        select(w.Exam).options(with_loader_criteria(w.Exam, w.Exam.student_id == w.sid))).all(),
    "lazy load through a tenant-pinned foreign key": _pinned_lazy_load,
    "joinedload": lambda w: w.session.exec(
        select(w.Exam).where(w.Exam.student_id == w.sid).options(joinedload(w.Exam.attempts))).unique().all(),
    "expired attribute refresh": _refresh_after_commit,
    "anchor table": lambda w: w.session.exec(select(w.Student)).all(),
    "shared by declaration on the model": lambda w: w.session.exec(select(w.Subject)).all(),
    "shared by configuration": lambda w: w.session.exec(select(w.Topic)).all(),
    "update filtered": lambda w: w.session.exec(
        update(w.Exam).where(w.Exam.student_id == w.sid).values(title="geometry")),
    "delete filtered": lambda w: w.session.exec(
        delete(w.Attempt).where(w.Attempt.student_id == w.sid, w.Attempt.score > 10)),
    "unit-of-work update and delete of loaded rows": _flush_update_and_delete,
    "insert through the session": lambda w: (w.session.add(w.Exam(student_id=w.sid, title="new")),
                                              w.session.flush()),
    "bulk insert setting the tenant": lambda w: w.session.execute(
        insert(w.Exam), [{"student_id": w.sid, "title": "a"}, {"student_id": w.sid, "title": "b"}]),
    "insert from a filtered select": lambda w: w.connection.execute(
        insert(w.Note.__table__).from_select(["id", "student_id", "body"], sa.select(
            w.Exam.id, w.Exam.student_id, w.Exam.title).where(w.Exam.student_id == w.sid))),
    "text() naming no tenant table": lambda w: w.session.execute(text("SELECT 1")).all(),
    "text() naming a tenant table only in a string and an alias": lambda w: w.session.execute(
        text("SELECT 'exams' AS attempts, count(*) AS exams FROM students WHERE id = :s"), {"s": w.sid}).all(),
    "tenant IN a one-element list": lambda w: w.session.exec(
        select(w.Exam).where(w.Exam.student_id.in_([w.sid]))).all(),
    "tuple_ comparison": lambda w: w.session.exec(select(w.Exam).where(
        sa.tuple_(w.Exam.student_id, w.Exam.id) == sa.tuple_(w.sid, w.exam_id))).all(),
    "compared with current_setting() (row-level security)": lambda w: w.session.exec(select(w.Exam).where(
        w.Exam.student_id == func.current_setting("app.student_id", True).cast(sa.Uuid))).all(),
}


def _get_by_primary_key(w: World) -> Any:
    return w.session.get(w.Exam, w.exam_id)


REPORTED: dict[str, tuple[Callable[[World], Any], list[str]]] = {
    "session.exec(select(Exam))": (lambda w: w.session.exec(select(w.Exam)).all(), ["exams"]),
    "tenant only inside an OR": (lambda w: w.session.exec(
        select(w.Exam).where(or_(w.Exam.student_id == w.sid, w.Exam.title == "algebra"))).all(), ["exams"]),
    "legacy Query": (lambda w: w.session.query(w.Exam).all(), ["exams"]),
    "core select": (lambda w: w.connection.execute(sa.select(w.Exam.__table__)).all(), ["exams"]),
    "count": (lambda w: w.session.exec(select(func.count()).select_from(w.Exam)).one(), ["exams"]),
    "tenant compared with NULL": (lambda w: w.session.exec(
        select(w.Exam).where(w.Exam.student_id == None)).all(), ["exams"]),  # noqa: E711
    "tenant IN a list": (lambda w: w.session.exec(
        select(w.Exam).where(w.Exam.student_id.in_([w.sid, w.other]))).all(), ["exams"]),
    "tenant = ANY(array)": (lambda w: w.session.exec(
        select(w.Exam).where(w.Exam.student_id == any_(array([w.sid, w.other])))).all(), ["exams"]),
    "session.get()": (_get_by_primary_key, ["exams"]),
    "join on a foreign key alone": (lambda w: w.session.exec(
        select(w.Attempt).join(w.Exam, w.Attempt.exam_id == w.Exam.id).where(w.Exam.student_id == w.sid)).all(),
        ["attempts"]),
    "relationship join, one side filtered": (lambda w: w.session.exec(
        select(w.Exam).join(w.Exam.attempts).where(w.Exam.student_id == w.sid)).all(), ["attempts"]),
    "outer join ON cannot filter its left side": (lambda w: w.session.exec(
        select(w.Exam).outerjoin(w.Attempt, and_(w.Attempt.exam_id == w.Exam.id, w.Exam.student_id == w.sid,
                                                 w.Attempt.student_id == w.sid))).all(), ["exams"]),
    "alias filtered through another alias": (lambda w: w.session.exec(
        select(aliased(w.Exam)).where(w.Exam.student_id == w.sid)).all(), ["exams"]),
    "IN subquery unfiltered": (lambda w: w.session.exec(
        select(w.Exam).where(w.Exam.student_id == w.sid, w.Exam.id.in_(select(w.Attempt.exam_id)))).all(),
        ["attempts"]),
    "outer query relying on a filtered IN subquery": (lambda w: w.session.exec(
        select(w.Exam).where(w.Exam.id.in_(select(w.Attempt.exam_id).where(w.Attempt.student_id == w.sid)))).all(),
        ["exams"]),
    "correlated EXISTS on a foreign key alone": (lambda w: w.session.exec(
        select(w.Exam).where(w.Exam.student_id == w.sid, exists().where(w.Attempt.exam_id == w.Exam.id))).all(),
        ["attempts"]),
    "FROM subquery unfiltered": (lambda w: w.session.exec(select(select(w.Exam).subquery())).all(), ["exams"]),
    "UNION member unfiltered": (lambda w: w.session.exec(union_all(
        select(w.Exam.id).where(w.Exam.student_id == w.sid), select(w.Attempt.id))).all(), ["attempts"]),
    "update unfiltered": (lambda w: w.session.exec(update(w.Exam).values(title="x")), ["exams"]),
    "delete by id alone": (lambda w: w.session.exec(delete(w.Exam).where(w.Exam.id == uuid.uuid4())), ["exams"]),
    "update reading another unfiltered table": (lambda w: w.session.exec(
        update(w.Exam).where(w.Exam.student_id == w.sid, w.Exam.id == w.Attempt.exam_id).values(title="x")),
        ["attempts"]),
    "insert leaving the tenant NULL": (lambda w: (w.session.add(w.Note(body="orphan")), w.session.flush()),
                                       ["notes"]),
    "core insert without the tenant column": (lambda w: w.connection.execute(
        insert(w.Note.__table__).values(id=uuid.uuid4(), body="x")), ["notes"]),
    "multi-row insert with one NULL tenant": (lambda w: w.connection.execute(insert(w.Note.__table__).values(
        [{"id": uuid.uuid4(), "student_id": w.sid}, {"id": uuid.uuid4(), "student_id": None}])), ["notes"]),
    "tenant-scoped table without a tenant column": (lambda w: w.session.exec(select(w.Draft)).all(), ["drafts"]),
    "column compared with itself through literal_column": (lambda w: w.session.exec(select(w.Exam).where(
        w.Exam.student_id == sa.literal_column("exams.student_id"))).all(), ["exams"]),
    "lazy load on a foreign key alone": (_lazy_load, ["attempts"]),
    "selectinload on a foreign key alone": (lambda w: w.session.exec(
        select(w.Exam).where(w.Exam.student_id == w.sid).options(selectinload(w.Exam.attempts))).all(),
        ["attempts"]),
    "lazy load from shared data through a link table": (_link_table_lazy_load, ["exams", "exam_topics"]),
    "text() SQL": (lambda w: w.session.execute(
        text("SELECT * FROM exams WHERE student_id = :s"), {"s": w.sid}).all(), ["exams"]),
    "exec_driver_sql": (lambda w: w.connection.exec_driver_sql("SELECT count(*) FROM attempts").all(), ["attempts"]),
}


@pytest.mark.parametrize("query", list(ACCEPTED.values()), ids=list(ACCEPTED))
def test_accepted(world: World, query: Callable[[World], Any]) -> None:
    query(world)
    assert world.guard.violations == [], world.guard.report()


@pytest.mark.parametrize(("query", "tables"), list(REPORTED.values()), ids=list(REPORTED))
def test_reported(world: World, query: Callable[[World], Any], tables: list[str]) -> None:
    query(world)
    assert world.reported() == tables, world.guard.report()
    assert {finding.code for finding in world.guard.findings} == {"SG701"}


def test_violation_points_at_the_line_that_ran_the_query(world: World) -> None:
    world.session.exec(select(world.Exam)).all()  # the reported line
    [finding] = world.guard.findings
    assert finding.path == __file__
    assert finding.message == "SELECT reads tenant-scoped table 'exams' without a predicate on exams.student_id"
    source = Path(__file__).read_text(encoding="utf-8").splitlines()
    assert source[(finding.line or 0) - 1].endswith("# the reported line")
    assert finding.reader == "runtime" and finding.column_name == "student_id" and finding.fix


def test_report_reads_like_the_cli_with_the_sql(world: World) -> None:
    for _ in range(3):
        world.session.exec(select(world.Exam)).all()
    report = world.guard.report(Path(__file__).parent.parent)
    assert report.splitlines()[0].startswith("schema-guard tenant guard: 3 queries touched tenant-scoped tables")
    assert "tests/test_tenant_guard.py:" in report and ": SG701 SELECT reads tenant-scoped table 'exams'" in report
    assert "    sql: SELECT exams.id, exams.student_id, exams.title FROM exams" in report
    assert "(run 3 times)" in report
    with pytest.raises(TenantGuardError, match="SG701"):
        world.guard.assert_clean()


def test_session_get_is_reported_as_a_primary_key_lookup(world: World) -> None:
    exam = world.session.get(world.Exam, world.exam_id)
    assert "by primary key alone" in world.guard.findings[0].message
    world.guard.clear()
    assert world.session.get(world.Exam, world.exam_id) is exam  # an identity-map hit emits no SQL
    assert world.guard.violations == []


def test_text_sql_is_reported_as_unverifiable(world: World) -> None:
    world.session.execute(text("SELECT * FROM exams WHERE student_id = :s"), {"s": world.sid}).all()
    [finding] = world.guard.findings
    assert finding.message.startswith("text() SQL reads or writes tenant-scoped table 'exams'")
    assert "cannot verify" in finding.message


def test_allow_and_inactive_guard_judge_nothing(world: World) -> None:
    with world.guard.allow("seeding another tenant"):
        world.session.exec(select(world.Exam)).all()
    world.guard.active = False
    world.session.exec(select(world.Exam)).all()
    assert world.guard.violations == []


def test_uninstall_stops_watching(world: World) -> None:
    world.guard.uninstall()
    world.session.exec(select(world.Exam)).all()
    assert world.guard.violations == []


@pytest.mark.parametrize("target", ["engine", "connection", "session", "sessionmaker", "every engine"])
def test_install_targets(world: World, target: str) -> None:
    world.guard.uninstall()
    guard = TenantGuard(POLICY)
    engine = world.connection.engine
    chosen = {"engine": engine, "connection": world.connection, "session": Session(engine),
              "sessionmaker": sessionmaker(bind=engine), "every engine": None}[target]
    assert guard.install(chosen) is chosen
    try:
        world.session.exec(select(world.Exam)).all()
    finally:
        guard.uninstall()
    assert [finding.table for finding in guard.findings] == ["exams"]


def test_custom_tenant_column_and_anchor(world: World) -> None:
    world.guard.uninstall()
    guard = TenantGuard(TenantPolicy(anchor_table="exams", tenant_column="exam_id"))
    guard.install(world.connection)
    try:
        world.session.exec(select(world.Attempt).where(world.Attempt.exam_id == world.exam_id)).all()
        world.session.exec(select(world.Attempt).where(world.Attempt.student_id == world.sid)).all()
    finally:
        guard.uninstall()
    assert [finding.message for finding in guard.findings] == [
        "SELECT reads tenant-scoped table 'attempts' without a predicate on attempts.exam_id"
    ]


def test_a_query_through_an_async_engine_is_located_at_the_awaiting_line(world: World) -> None:
    import asyncio

    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    world.guard.uninstall()
    guard = TenantGuard(POLICY)
    async_engine = create_async_engine(world.connection.engine.url, poolclass=NullPool)

    async def list_exams() -> None:
        async with AsyncSession(async_engine) as session:
            await session.execute(select(world.Exam))  # the line SG701 must point at

    guard.install(async_engine)
    try:
        asyncio.run(list_exams())
    finally:
        guard.uninstall()
        asyncio.run(async_engine.dispose())
    (finding,) = guard.findings
    line = next(n for n, text in enumerate(Path(__file__).read_text().splitlines(), 1) if "SG701 must point" in text)
    assert (finding.path, finding.line) == (__file__, line)
