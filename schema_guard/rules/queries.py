"""SG702: application code builds a query on a tenant-scoped model without a tenant predicate (static).

The source reader follows each statement through its function (:mod:`schema_guard.readers.source.queries`) and
records, per path to its execution, which attributes of each mapped class are pinned to one value; this rule asks
the tenancy policy which classes are tenant-scoped and reports each statement that reaches an execution on some path
without a predicate on the tenant column.

Examples marked ``readers=("source", "runtime")`` are also run through the run-time guard (SG701) on PostgreSQL
against ``reference_models`` (``tests/test_query_views.py``): the two views of the same code must agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from schema_guard.facts import QueryFact, RelationshipFact, RowLink, SchemaFacts, TableFact
from schema_guard.findings import Finding
from schema_guard.rules.base import FactRule, Invalid, RuleContext, Valid, register
from schema_guard.rules.query_examples import app
from schema_guard.schema_view import SchemaView

BOTH = ("source", "runtime")
"""Examples the run-time guard can execute too."""


@register
class UnscopedQuery(FactRule):
    code = "SG702"
    name = "unscoped-query"
    summary = "Application code builds a query on a tenant-scoped model with no tenant predicate"
    rationale = (
        "The schema can be perfect and one `select(Exam)` without a `student_id` predicate still returns every "
        "student's exams. The run-time guard (SG701) sees only the queries a test happens to run; this rule reads "
        "every statement in the code: `select()`, `update()`, `delete()`, `session.query()` and `session.get()`, "
        "followed through the function (reassignments, branches) to where it is executed. A statement is scoped only "
        "if every path to its execution adds an equality on the tenant column (`or_` branches, `!=` and `IN` lists "
        "of several tenants do not count); a statement returned from a helper is judged where it is built; "
        "`session.get()` (or a row loaded by `select`) is scoped by an ownership test on the loaded object, a list by "
        "a test that refuses or skips each row; a statement reached through a row (or the keys) a scoped statement "
        "loaded, over a foreign key, is scoped transitively; a join to the anchor pinned by its key or a unique "
        "column scopes the statement; subqueries are judged on their own. Shared tables and the anchor are "
        "exempt; a statement filtered by a condition the reader cannot follow (a helper's result) is not judged, nor "
        "are the statements a session-wide `do_orm_execute` listener filters by the tenant column (only SELECTs when "
        "the listener tests `is_select`)."
    )
    how_to_fix = (
        "Filter by the tenant on every path: `select(Exam).where(Exam.student_id == current.id)`; after "
        "`session.get(Exam, exam_id)` check `exam.student_id != current.id` and refuse. An intentional "
        "cross-tenant query (an admin report) is acknowledged on its line: `# schema-guard: ignore[SG702]`."
    )
    readers = ("source",)
    examples = (
        # -- statements without a predicate ------------------------------------------------------------------
        Invalid(app("""
def exams(session: Session) -> list[Exam]:
    return session.exec(select(Exam)).all()  # expect: SG702
"""), readers=BOTH, title="select without a predicate"),
        Invalid(app("""
def titles(session: Session) -> list[str]:
    return session.exec(select(Exam.title)).all()  # expect: SG702
"""), readers=BOTH, title="select of a column"),
        Invalid(app("""
def count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Exam)).one()  # expect: SG702
"""), readers=BOTH, title="count through select_from"),
        Invalid(app("""
def exams(session: Session) -> list[Exam]:
    return session.query(Exam).all()  # expect: SG702
"""), readers=BOTH, title="legacy Query"),
        Invalid(app("""
def exams(session: Session) -> list[Exam]:
    return list(session.scalars(select(Exam)))  # expect: SG702
"""), readers=BOTH, title="Session.scalars"),
        Invalid(app("""
def rename(session: Session) -> None:
    session.exec(update(Exam).values(title="renamed"))  # expect: SG702
"""), readers=BOTH, title="update without a predicate"),
        Invalid(app("""
def remove(session: Session, exam_id: uuid.UUID) -> None:
    session.exec(delete(Attempt).where(Attempt.exam_id == exam_id))  # expect: SG702
"""), readers=BOTH, title="delete by another key alone"),
        Invalid(app("""
async def exams(session) -> list[Exam]:
    result = await session.execute(select(Exam))  # expect: SG702
    return list(result.scalars())
"""), title="async session"),
        # -- predicates that do not scope ------------------------------------------------------------------
        Invalid(app("""
def exams(session: Session, student_id: uuid.UUID) -> list[Exam]:
    statement = select(Exam).where(or_(Exam.student_id == student_id, Exam.title == "shared"))  # expect: SG702
    return session.exec(statement).all()
"""), readers=BOTH, title="tenant only inside or_"),
        Invalid(app("""
def others(session: Session, student_id: uuid.UUID) -> list[Exam]:
    return session.exec(select(Exam).where(Exam.student_id != student_id)).all()  # expect: SG702
"""), readers=BOTH, title="not equal"),
        Invalid(app("""
def exams(session: Session, student_id: uuid.UUID, other: uuid.UUID) -> list[Exam]:
    return session.exec(select(Exam).where(Exam.student_id.in_([student_id, other]))).all()  # expect: SG702
"""), readers=BOTH, title="IN a list of several tenants"),
        Invalid(app("""
def orphans(session: Session) -> list[Exam]:
    return session.exec(select(Exam).where(Exam.student_id == None)).all()  # noqa: E711  # expect: SG702
"""), readers=BOTH, title="compared with None"),
        Invalid(app("""
def exams(session: Session) -> list[Exam]:
    return session.exec(select(Exam).where(Exam.student_id == Exam.student_id)).all()  # expect: SG702
"""), readers=BOTH, title="column compared with itself"),
        Invalid(app("""
def exams(session: Session) -> list[Exam]:
    return session.query(Exam).filter_by(title="algebra").all()  # expect: SG702
"""), readers=BOTH, title="filter_by another column"),
        Invalid(app("""
def attempts(session: Session, student_id: uuid.UUID) -> list[Attempt]:
    statement = select(Attempt).join(Exam, Attempt.exam_id == Exam.id)  # expect: SG702
    return session.exec(statement.where(Exam.student_id == student_id)).all()
"""), readers=BOTH, title="join on a foreign key alone"),
        Invalid(app("""
def exams(session: Session, student_id: uuid.UUID) -> list[Exam]:
    statement = select(Exam).join(Attempt, Attempt.exam_id == Exam.id).where(Exam.student_id == student_id)  # expect: SG702
    return session.exec(statement).all()
"""), readers=BOTH, title="joined table reached by its foreign key alone"),
        Invalid(app("""
def exams(session: Session, student_id: uuid.UUID, flag: bool) -> list[Exam]:
    condition = Exam.student_id == student_id if flag else Exam.title == "algebra"
    return session.exec(select(Exam).where(condition)).all()  # expect: SG702
"""), readers=BOTH, title="a conditional expression that pins the tenant on one branch only"),
        Valid(app("""
def exams(session: Session, student_id: uuid.UUID, flag: bool) -> list[Exam]:
    condition = (Exam.student_id == student_id) if flag else and_(Exam.student_id == student_id, Exam.title != "")
    return session.exec(select(Exam).where(condition)).all()
"""), readers=BOTH, title="a conditional expression that pins the tenant on both branches"),
        # -- following the statement through the function -------------------------------------------------
        Invalid(app("""
def exams(session: Session, student_id: uuid.UUID, flag: bool) -> list[Exam]:
    statement = select(Exam)  # expect: SG702
    if flag:
        statement = statement.where(Exam.student_id == student_id)
    return session.exec(statement).all()
"""), readers=BOTH, title="predicate on one branch only"),
        Invalid(app("""
def exams(session: Session, student_id: uuid.UUID) -> list[Exam]:
    statement = select(Exam)  # expect: SG702
    scoped = statement.where(Exam.student_id == student_id)
    return session.exec(statement.limit(10)).all()
"""), readers=BOTH, title="the filtered copy is not the one executed"),
        Invalid(app("""
def exams(session: Session, student_id: uuid.UUID, flag: bool) -> list[Exam]:
    query = session.query(Exam)  # expect: SG702
    if flag:
        query = query.filter(Exam.title == "algebra")
    else:
        query = query.filter(Exam.student_id == student_id)
    return query.all()
"""), readers=BOTH, title="legacy Query, one branch filters another column"),
        Invalid(app("""
def exams_query():
    return select(Exam).order_by(Exam.title)  # expect: SG702
"""), title="a helper's statement is judged where it is built"),
        # -- session.get ------------------------------------------------------------------------------------
        Invalid(app("""
def exam(session: Session, exam_id: uuid.UUID) -> Exam | None:
    return session.get(Exam, exam_id)  # expect: SG702
"""), readers=BOTH, title="session.get returned unchecked"),
        Invalid(app("""
def exam(session: Session, exam_id: uuid.UUID) -> Exam:
    exam = session.get(Exam, exam_id)  # expect: SG702
    if exam is None or exam.title == "":
        raise LookupError(exam_id)
    return exam
"""), readers=BOTH, title="session.get checked on another attribute"),
        # -- scoped statements --------------------------------------------------------------------------------
        Valid(app("""
def exams(session: Session, student_id: uuid.UUID) -> list[Exam]:
    return session.exec(select(Exam).where(Exam.student_id == student_id)).all()
"""), readers=BOTH, title="where on the tenant column"),
        Valid(app("""
def exams(session: Session, student_id: uuid.UUID) -> list[Exam]:
    statement = select(Exam).where(Exam.title == "algebra", Exam.student_id == student_id)
    return session.exec(statement).all()
"""), readers=BOTH, title="one of several where arguments"),
        Valid(app("""
def exams(session: Session, student_id: uuid.UUID) -> list[Exam]:
    statement = select(Exam).where(and_(Exam.title != "", Exam.student_id == student_id))
    return session.exec(statement).all()
"""), readers=BOTH, title="inside and_"),
        Valid(app("""
def exams(session: Session, student_id: uuid.UUID) -> list[Exam]:
    statement = select(Exam).where((Exam.student_id == student_id) & (Exam.title != ""))
    return session.exec(statement).all()
"""), readers=BOTH, title="inside &"),
        Valid(app("""
def exams(session: Session, student_id: uuid.UUID) -> list[Exam]:
    return session.query(Exam).filter_by(student_id=student_id).all()
"""), readers=BOTH, title="filter_by the tenant"),
        Valid(app("""
def exams(session: Session, student_id: uuid.UUID) -> list[Exam]:
    return session.exec(select(Exam).where(Exam.student_id.in_([student_id]))).all()
"""), readers=BOTH, title="IN a one-element list"),
        Valid(app("""
def count(session: Session, student_id: uuid.UUID) -> int:
    return session.exec(select(func.count()).select_from(Exam).where(Exam.student_id == student_id)).one()
"""), readers=BOTH, title="count with the tenant"),
        Valid(app("""
def rename(session: Session, student_id: uuid.UUID) -> None:
    session.exec(update(Exam).where(Exam.student_id == student_id).values(title="renamed"))
    session.exec(delete(Attempt).where(Attempt.student_id == student_id, Attempt.score == 0))
"""), readers=BOTH, title="update and delete filtered"),
        Valid(app("""
async def exams(session, student_id: uuid.UUID) -> list[Exam]:
    result = await session.execute(select(Exam).where(Exam.student_id == student_id))
    return list(result.scalars())
"""), title="async session"),
        Valid(app("""
def exams(session: Session, student_id: uuid.UUID) -> list[Exam]:
    statement = select(Exam)
    statement = statement.where(Exam.student_id == student_id)
    statement = statement.order_by(Exam.title)
    return session.exec(statement.limit(10)).all()
"""), readers=BOTH, title="reassignment chain, then limit() passed to exec"),
        Valid(app("""
def exams(session: Session, student_id: uuid.UUID, flag: bool) -> list[Exam]:
    statement = select(Exam).where(Exam.student_id == student_id)
    if flag:
        statement = statement.where(Exam.title == "algebra")
    return session.exec(statement).all()
"""), readers=BOTH, title="scoped before the branch"),
        Valid(app("""
def exams(session: Session, student_id: uuid.UUID, flag: bool) -> list[Exam]:
    if flag:
        statement = select(Exam).where(Exam.student_id == student_id, Exam.title == "algebra")
    else:
        statement = select(Exam).where(Exam.student_id == student_id)
    return session.exec(statement).all()
"""), readers=BOTH, title="every branch adds the predicate"),
        Valid(app("""
def exams(session: Session, student_id: uuid.UUID, flag: bool) -> list[Exam]:
    statement = select(Exam)
    if not flag:
        return []
    return session.exec(statement.where(Exam.student_id == student_id)).all()
"""), readers=BOTH, title="the unfiltered path returns early"),
        Valid(app("""
def exams(session: Session, student_id: uuid.UUID) -> list[Exam]:
    mine = Exam.student_id == student_id
    return session.exec(select(Exam).where(mine)).all()
"""), readers=BOTH, title="condition in a local variable"),
        Valid(app("""
def _owned_by(student_id: uuid.UUID):
    return Exam.student_id == student_id


def exams(session: Session, student_id: uuid.UUID) -> list[Exam]:
    return session.exec(select(Exam).where(_owned_by(student_id))).all()
"""), readers=BOTH, title="condition from a helper: not judged"),
        Valid(app("""
def _scoped(statement, student_id: uuid.UUID):
    return statement.where(Exam.student_id == student_id)


def exams(session: Session, student_id: uuid.UUID) -> list[Exam]:
    return session.exec(_scoped(select(Exam), student_id)).all()
"""), readers=BOTH, title="statement handed to a helper: not judged"),
        Valid(app("""
def exams_query(student_id: uuid.UUID):
    return select(Exam).where(Exam.student_id == student_id)
"""), title="a helper returns a scoped statement"),
        Valid(app("""
def attempts(session: Session, student_id: uuid.UUID) -> list[Attempt]:
    statement = (
        select(Attempt)
        .join(Exam, and_(Attempt.exam_id == Exam.id, Attempt.student_id == Exam.student_id))
        .where(Exam.student_id == student_id)
    )
    return session.exec(statement).all()
"""), readers=BOTH, title="join equating the tenant columns"),
        Valid(app("""
def exams(session: Session, student_id: uuid.UUID) -> list[Exam]:
    statement = select(Exam).join(Exam.attempts).where(Exam.student_id == student_id)
    return session.exec(statement).all()
"""), readers=BOTH, title="relationship join through a tenant-pinned foreign key"),
        Valid(app("""
def exam(session: Session, student_id: uuid.UUID, exam_id: uuid.UUID) -> Exam | None:
    statement = select(Exam).where(tuple_(Exam.student_id, Exam.id) == tuple_(student_id, exam_id))
    return session.exec(statement).first()
"""), readers=BOTH, title="tuple_ comparison"),
        Valid(app("""
def exams(session: Session, student_id: uuid.UUID) -> list[Exam]:
    statement = select(Exam).options(with_loader_criteria(Exam, Exam.student_id == student_id))
    return session.exec(statement).all()
"""), readers=BOTH, title="with_loader_criteria"),
        # -- rows loaded earlier in the function: ownership checks and keys taken from them ------------------
        Valid(app("""
def attempts(session: Session, student_id: uuid.UUID, exam_id: uuid.UUID) -> list[Attempt]:
    exam = session.exec(select(Exam).where(Exam.student_id == student_id, Exam.id == exam_id)).one()
    return session.exec(select(Attempt).where(Attempt.exam_id == exam.id)).all()
"""), title="a foreign key equal to the key of a row a scoped statement loaded"),
        Valid(app("""
def attempts(session: Session, exam_id: uuid.UUID, current: Student) -> list[Attempt]:
    exam = session.get(Exam, exam_id)
    if exam is None or exam.student_id != current.id:
        raise LookupError(exam_id)
    return session.exec(select(Attempt).where(Attempt.exam_id == exam.id)).all()
"""), title="a foreign key equal to the key of a row session.get loaded and checked"),
        Valid(app("""
async def exam_of(session, student_id: uuid.UUID, attempt_id: uuid.UUID) -> Exam:
    result = await session.execute(select(Attempt).where(Attempt.id == attempt_id, Attempt.student_id == student_id))
    attempt = result.scalar_one()
    return (await session.execute(select(Exam).where(Exam.id == attempt.exam_id))).scalar_one()
"""), title="a key equal to the foreign key of a scoped row that references it (async, through a result)"),
        Valid(app("""
def attempts(session: Session, student_id: uuid.UUID) -> list[Attempt]:
    found = []
    exams = session.exec(select(Exam).where(Exam.student_id == student_id)).all()
    for exam in exams:
        found += session.exec(select(Attempt).where(Attempt.exam_id == exam.id)).all()
    return found
"""), title="a foreign key equal to the key of each row of a scoped list"),
        Valid(app("""
def exam(session: Session, exam_id: uuid.UUID, current: Student) -> Exam:
    exam = session.exec(select(Exam).where(Exam.id == exam_id)).first()
    if exam is None or exam.student_id != current.id:
        raise LookupError(exam_id)
    return exam
"""), title="a row loaded by key, then checked for ownership"),
        Valid(app("""
def exams(session: Session, current: Student, ids: list[uuid.UUID]) -> list[Exam]:
    rows = session.exec(select(Exam).where(Exam.id.in_(ids))).all()
    if any(row.student_id != current.id for row in rows):
        raise PermissionError("not yours")
    return rows
"""), title="a list checked row by row, refusing another tenant's"),
        Valid(app("""
def exams(session: Session, current: Student, ids: list[uuid.UUID]) -> list[Exam]:
    rows = session.scalars(select(Exam).where(Exam.id.in_(ids))).all()
    mine = []
    for row in rows:
        if row.student_id != current.id:
            continue
        mine.append(row)
    return mine
"""), title="a list filtered row by row, skipping another tenant's"),
        Invalid(app("""
def attempts(session: Session, exam_id: uuid.UUID) -> list[Attempt]:
    exam = session.exec(select(Exam).where(Exam.id == exam_id)).one()  # expect: SG702
    return session.exec(select(Attempt).where(Attempt.exam_id == exam.id)).all()  # expect: SG702
"""), readers=BOTH, title="a key taken from a row an unscoped statement loaded scopes nothing"),
        Invalid(app("""
def exams(session: Session, subject_id: uuid.UUID) -> list[Exam]:
    subject = session.get(Subject, subject_id)
    return session.exec(select(Exam).where(Exam.subject_id == subject.id)).all()  # expect: SG702
"""), title="a key taken from a row of a shared table scopes nothing"),
        Invalid(app("""
def attempts(session: Session, student_id: uuid.UUID, exam_id: uuid.UUID) -> list[Attempt]:
    exam = session.exec(select(Exam).where(Exam.student_id == student_id, Exam.id == exam_id)).one()
    return session.exec(select(Attempt).where(Attempt.id == exam.id)).all()  # expect: SG702
"""), readers=BOTH, title="a scoped row's key compared with a column that is not its foreign key"),
        Invalid(app("""
def attempts(session: Session, student_id: uuid.UUID, exam_id: uuid.UUID, flag: bool) -> list[Attempt]:
    exam = session.exec(select(Exam).where(Exam.student_id == student_id, Exam.id == exam_id)).one()
    if flag:
        exam = session.exec(select(Exam).where(Exam.id == exam_id)).one()  # expect: SG702
    return session.exec(select(Attempt).where(Attempt.exam_id == exam.id)).all()  # expect: SG702
"""), readers=BOTH, title="a row name bound twice: either load may reach the use"),
        Invalid(app("""
def exams(session: Session, current: Student, ids: list[uuid.UUID]) -> list[Exam]:
    rows = session.exec(select(Exam).where(Exam.id.in_(ids))).all()  # expect: SG702
    for row in rows:
        if row.student_id != current.id:
            print("another student's exam", row.id)
    return rows
"""), title="a list check that neither refuses nor skips the row"),
        Invalid(app("""
def exams(session: Session, current: Student, ids: list[uuid.UUID]) -> list[Exam]:
    rows = session.exec(select(Exam).where(Exam.id.in_(ids))).all()  # expect: SG702
    if all(row.student_id != current.id for row in rows):
        raise PermissionError("none is yours")
    return rows
"""), title="a list check that refuses only when no row is the tenant's"),
        Valid(app("""
def attempts(session: Session, student_id: uuid.UUID) -> list[Attempt]:
    exam_ids = session.exec(select(Exam.id).where(Exam.student_id == student_id)).all()
    return session.exec(select(Attempt).where(Attempt.exam_id.in_(exam_ids))).all()
"""), title="a foreign key IN the keys a scoped statement selected"),
        Valid(app("""
def attempts(session: Session, student_id: uuid.UUID) -> list[Attempt]:
    exam_ids = session.exec(select(Exam.id).where(Exam.student_id == student_id)).all()
    pending = set(exam_ids)
    return session.exec(select(Attempt).where(Attempt.exam_id.in_(pending))).all()
"""), title="the same keys copied into a set"),
        Valid(app("""
def exams(session: Session, student_id: uuid.UUID) -> list[Exam]:
    attempts = session.exec(select(Attempt).where(Attempt.student_id == student_id, Attempt.score > 0)).all()
    exam_ids = {attempt.exam_id for attempt in attempts}
    return session.exec(select(Exam).where(Exam.id.in_(exam_ids))).all()
"""), title="a key IN the foreign keys collected from a scoped list"),
        Valid(app("""
def attempts(session: Session, student_id: uuid.UUID) -> list[Attempt]:
    exams = session.exec(select(Exam).where(Exam.student_id == student_id)).all()
    exam_ids = sorted(exam.id for exam in exams)
    return session.exec(select(Attempt).where(Attempt.exam_id.in_(exam_ids))).all()
"""), title="keys collected from a scoped list, sorted"),
        Valid(app("""
def attempts(session: Session, student_id: uuid.UUID) -> list[Attempt]:
    exams = session.exec(select(Exam).where(Exam.student_id == student_id)).all()
    exam_ids = [exam.id for exam in exams]
    exams = session.exec(select(Exam).where(Exam.student_id == student_id, Exam.title == "algebra")).all()
    return session.exec(select(Attempt).where(Attempt.exam_id.in_(exam_ids))).all()
"""), title="keys collected from a list whose name is rebound afterwards"),
        Invalid(app("""
def attempts(session: Session, student_id: uuid.UUID) -> list[Attempt]:
    exams = session.exec(select(Exam).where(Exam.student_id == student_id)).all()
    exams = session.exec(select(Exam).where(Exam.title == "algebra")).all()  # expect: SG702
    exam_ids = [exam.id for exam in exams]
    return session.exec(select(Attempt).where(Attempt.exam_id.in_(exam_ids))).all()  # expect: SG702
"""), title="keys collected from the unscoped list a name was rebound to"),
        Invalid(app("""
def attempts(session: Session) -> list[Attempt]:
    exam_ids = session.exec(select(Exam.id).where(Exam.title == "algebra")).all()  # expect: SG702
    return session.exec(select(Attempt).where(Attempt.exam_id.in_(exam_ids))).all()  # expect: SG702
"""), readers=BOTH, title="a foreign key IN the keys an unscoped statement selected"),
        Valid(app("""
def exam(session: Session, exam_id: uuid.UUID, current: Student) -> Exam:
    exam = session.get(Exam, exam_id)
    if exam is None or exam.student is not current:
        raise LookupError(exam_id)
    return exam
"""), title="session.get checked through the relationship to the anchor"),
        Valid(app("""
async def attempts(session, student_id: uuid.UUID) -> list[Attempt]:
    result = await session.execute(select(Exam.id).where(Exam.student_id == student_id))
    exam_ids = list(result.scalars().all())
    result = await session.execute(select(Attempt).where(Attempt.exam_id.in_(exam_ids)))
    return list(result.scalars())
"""), title="a result name rebound: each use reads the execution just before it"),
        Invalid(app("""
async def attempts(session, student_id: uuid.UUID, flag: bool) -> list[Attempt]:
    result = await session.execute(select(Exam.id).where(Exam.student_id == student_id))
    if flag:
        result = await session.execute(select(Exam.id))  # expect: SG702
    exam_ids = list(result.scalars().all())
    result = await session.execute(select(Attempt).where(Attempt.exam_id.in_(exam_ids)))  # expect: SG702
    return list(result.scalars())
"""), title="a result name rebound on one path: the keys may come from the unscoped one"),
        Invalid(app("""
def subject_of(session: Session, exam_id: uuid.UUID) -> Subject | None:
    exam = session.exec(select(Exam).where(Exam.id == exam_id)).first()  # expect: SG702
    return session.exec(select(Subject).where(Subject.id == exam.subject_id)).first()
"""), readers=BOTH, title="a loaded row's attribute used in the next query is no ownership check"),
        Valid(app("""
def owns(session: Session, exam_id: uuid.UUID, current: Student) -> bool:
    exam = session.get(Exam, exam_id)
    return exam is not None and exam.student_id == current.id
"""), title="session.get whose only use is a returned ownership test"),
        Valid(app("""
def create(session: Session, student_id: uuid.UUID, subject_id: uuid.UUID) -> Exam:
    exam = Exam(student_id=student_id, subject_id=subject_id, title="algebra")
    session.add(exam)
    session.commit()
    return session.exec(select(Exam).where(Exam.id == exam.id)).one()
"""), title="the key of a row the function created with the tenant set"),
        Invalid(app("""
def create(session: Session, subject_id: uuid.UUID, payload: dict) -> Exam:
    exam = Exam(subject_id=subject_id, **payload)
    session.add(exam)
    session.commit()
    return session.exec(select(Exam).where(Exam.id == exam.id)).one()  # expect: SG702
"""), title="the key of a row created without the tenant in sight"),
        Valid(app("""
def _own_exam(session: Session, student_id: uuid.UUID, exam_id: uuid.UUID) -> Exam:
    exam = session.exec(select(Exam).where(Exam.student_id == student_id, Exam.id == exam_id)).first()
    if exam is None:
        raise LookupError(exam_id)
    return exam


def attempts(session: Session, student_id: uuid.UUID, exam_id: uuid.UUID) -> list[Attempt]:
    exam = _own_exam(session, student_id, exam_id)
    return session.exec(select(Attempt).where(Attempt.exam_id == exam.id)).all()
"""), title="a key taken from the row a helper of the module loads scoped"),
        Invalid(app("""
def _exam(session: Session, exam_id: uuid.UUID) -> Exam:
    return session.exec(select(Exam).where(Exam.id == exam_id)).one()  # expect: SG702


def attempts(session: Session, exam_id: uuid.UUID) -> list[Attempt]:
    exam = _exam(session, exam_id)
    return session.exec(select(Attempt).where(Attempt.exam_id == exam.id)).all()  # expect: SG702
"""), readers=BOTH, title="a key taken from the row a helper loads unscoped"),
        # -- the tenant reached through a join or a relationship to the anchor --------------------------------
        Valid(app("""
def exams(session: Session, student_id: uuid.UUID) -> list[Exam]:
    return session.exec(select(Exam).join(Student).where(Student.id == student_id)).all()
"""), readers=BOTH, title="a join to the anchor (foreign key inferred) filtered by its key"),
        Valid(app("""
def exams(session: Session, student_id: uuid.UUID) -> list[Exam]:
    return session.exec(select(Exam).join(Exam.student).where(Student.id == student_id)).all()
"""), readers=BOTH, title="a relationship join to the anchor filtered by its key"),
        Valid(app("""
def attempts(session: Session, student_id: uuid.UUID) -> list[Attempt]:
    return session.exec(select(Attempt).join(Exam).where(Exam.student_id == student_id)).all()
"""), readers=BOTH, title="a join inferred over a tenant-pinned foreign key"),
        Valid(app("""
def exams(session: Session, current: Student) -> list[Exam]:
    return session.exec(select(Exam).where(Exam.student == current)).all()
"""), readers=BOTH, title="the relationship to the anchor compared with the current tenant"),
        Invalid(app("""
def exams(session: Session) -> list[Exam]:
    return session.exec(select(Exam).join(Student).where(Student.email.like("%@example.org"))).all()  # expect: SG702
"""), readers=BOTH, title="a join to the anchor that does not pin one student"),
        Valid(app("""
def exams(session: Session, email: str) -> list[Exam]:
    return session.exec(select(Exam).join(Exam.student).where(Student.email == email)).all()
"""), readers=BOTH, title="a join to the anchor pinned by a unique column"),
        Invalid(app("""
def attempts(session: Session, exam_id: uuid.UUID) -> list[Attempt]:
    statement = select(Attempt).join(Exam, Attempt.exam_id == Exam.id).where(Exam.id == exam_id)  # expect: SG702
    return session.exec(statement).all()
"""), title="a tenant-scoped row pinned by its key pins its key, not its tenant"),
        Valid(app("""
from sqlalchemy import exists


def has_exams(session: Session, student_id: uuid.UUID) -> bool:
    return session.exec(select(exists().where(Exam.student_id == student_id, Exam.title == "algebra"))).one()
"""), readers=BOTH, title="select(exists().where(...)) filtered by the tenant"),
        Invalid(app("""
from sqlalchemy import exists


def anyone_has_exams(session: Session) -> bool:
    return session.exec(select(exists().where(Exam.title == "algebra"))).one()  # expect: SG702
"""), readers=BOTH, title="select(exists().where(...)) without the tenant"),
        # -- subqueries: judged on their own, leaning on the enclosing statement --------------------------------
        Invalid(app("""
def exams(session: Session, student_id: uuid.UUID) -> list[Exam]:
    statement = select(Exam).where(
        Exam.student_id == student_id,
        Exam.id.in_(select(Attempt.exam_id).where(Attempt.score > 0)),  # expect: SG702
    )
    return session.exec(statement).all()
"""), readers=BOTH, title="a subquery IN on another tenant-scoped table, unscoped"),
        Invalid(app("""
def exams(session: Session, student_id: uuid.UUID) -> list[Exam]:
    statement = select(Exam).where(
        Exam.student_id == student_id,
        select(Attempt.id).where(Attempt.exam_id == Exam.id).exists(),  # expect: SG702
    )
    return session.exec(statement).all()
"""), readers=BOTH, title="a correlated EXISTS on a foreign key alone"),
        Valid(app("""
def exams(session: Session, student_id: uuid.UUID) -> list[Exam]:
    statement = select(Exam).where(
        Exam.student_id == student_id,
        select(Attempt.id).where(Attempt.exam_id == Exam.id, Attempt.student_id == Exam.student_id).exists(),
    )
    return session.exec(statement).all()
"""), readers=BOTH, title="a correlated EXISTS equating the tenant columns"),
        Valid(app("""
def exams(session: Session, student_id: uuid.UUID) -> list[Exam]:
    statement = select(Exam).where(
        Exam.student_id == student_id,
        Exam.id.in_(select(Attempt.exam_id).where(Attempt.student_id == student_id)),
    )
    return session.exec(statement).all()
"""), readers=BOTH, title="a subquery IN scoped on its own"),
        Valid(app("""
def exams(session: Session, student_id: uuid.UUID) -> list[Exam]:
    latest = select(func.max(Exam.title)).where(Exam.student_id == student_id).scalar_subquery()
    return session.exec(select(Exam).where(Exam.student_id == student_id, Exam.title == latest)).all()
"""), readers=BOTH, title="a scalar subquery built before, scoped"),
        Valid(app("""
def exams(session: Session, student_id: uuid.UUID) -> list[Exam]:
    statement = select(Exam).where(
        Exam.student_id == student_id,
        Exam.id.in_(select(Exam.id).where(Exam.title == "algebra")),
    )
    return session.exec(statement).all()
"""), title="a scoped outer statement with a subquery on the same class"),
        Valid(app("""
def exams(session: Session, filters: list) -> list[Exam]:
    statement = select(Exam)
    for condition in filters:
        statement = statement.where(condition)
    return session.exec(statement).all()
"""), title="filters applied in a loop over a list the reader cannot read: not judged"),
        # -- session.get with an ownership check; exempt tables; acknowledged queries -------------------------
        Valid(app("""
def exam(session: Session, exam_id: uuid.UUID, current: Student) -> Exam:
    exam = session.get(Exam, exam_id)
    if exam is None or exam.student_id != current.id:
        raise LookupError(exam_id)
    return exam
"""), title="session.get with an ownership check"),
        Valid(app("""
def student(session: Session, student_id: uuid.UUID) -> Student | None:
    return session.exec(select(Student).where(Student.id == student_id)).first()


def subjects(session: Session) -> list[Subject]:
    return session.exec(select(Subject)).all()
"""), readers=BOTH, title="the anchor's key lookup and a shared table"),
        Valid(app("""
from sqlalchemy import event


@event.listens_for(Session, "do_orm_execute")
def _only_the_current_student(state) -> None:
    if state.is_select:
        state.statement = state.statement.options(
            with_loader_criteria(Exam, lambda cls: cls.student_id == current_student_id(), include_aliases=True))


def exams(session: Session) -> list[Exam]:
    return session.exec(select(Exam)).all()
"""), title="a session-wide do_orm_execute filter on the tenant column scopes SELECTs"),
        Invalid(app("""
from sqlalchemy import event


@event.listens_for(Session, "do_orm_execute")
def _only_the_current_student(state) -> None:
    if state.is_select:
        state.statement = state.statement.where(Exam.student_id == current_student_id())


def rename(session: Session) -> None:
    session.exec(update(Exam).values(title="renamed"))  # expect: SG702
"""), title="a SELECT-only session filter does not scope an UPDATE"),
        Valid(app("""
def every_exam(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Exam)).one()  # schema-guard: ignore[SG702]
"""), title="intentional cross-tenant query, acknowledged inline"),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        if not facts.queries:
            return
        # a partial check (one staged application file) judges against the whole project's models
        view = SchemaView(facts.application_models, context.tenancy) if facts.application_models else context.view
        models = view.facts
        scoped = {id(table) for table in view.tenant_tables}
        classes = view.tables_by_class
        covered = _covered_kinds(facts, context.tenancy.tenant_column)
        through = _Scope(classes, scoped, covered, context.tenancy.tenant_column, models, context)
        reported: set[tuple[str | None, int | None, str]] = set()
        seen: dict[tuple[str | None, str, str], int] = {}
        for query in facts.queries:
            table = classes.get(query.model)
            if table is None or id(table) not in scoped or query.opaque or query.kind in covered:
                continue
            column = table.column(context.tenancy.tenant_column)
            if column is None:
                continue  # SG201 reports the missing column
            attribute = column.attribute or column.name
            key = (query.location.path, query.location.line, query.model)
            if not query.pinned.isdisjoint(through.tenant_attributes(table)) or key in reported:
                continue
            if query.subquery_column == attribute:
                continue  # a subquery of tenant keys (the memberships of a user): it computes the scope itself
            if any(_through_scoped_row(link, table, through) for link in query.links):
                continue
            reported.add(key)
            ordinal = seen[(query.location.path, query.function, query.model)] = seen.get(
                (query.location.path, query.function, query.model), 0) + 1
            yield self.finding(_message(query, table, attribute), query.location, reader=facts.reader,
                               table=table.name, column=column.name,
                               detail=f"{query.function or '<module>'}: {query.kind} #{ordinal}")


def _tenant_attributes(table: TableFact, column: str, attribute: str, anchor: TableFact | None,
                       relationships: list[RelationshipFact]) -> frozenset[str]:
    """The attributes whose equality with a value pins the tenant: the tenant column's, and a many-to-one
    relationship to the anchor over it (``Exam.student == current`` compares ``student_id``). ``relationships``:
    the table's own (its class owns them)."""
    if anchor is None:  # a mapped class: a migration's ``sa.table("projects", ...)`` has none
        return frozenset({attribute})
    to_anchor = [fk for fk in table.foreign_keys if fk.target_table == anchor.name]
    found = {attribute}
    for relationship in relationships:
        if relationship.target_class != anchor.class_name or relationship.link_model:
            continue
        columns = relationship.join_columns or (to_anchor[0].columns if len(to_anchor) == 1 else ())
        if tuple(columns) == (column,):
            found.add(relationship.attribute)
    return frozenset(found)


@dataclass(frozen=True)
class _Scope:
    classes: dict[str, TableFact]
    scoped: set[int]
    covered: frozenset[str]
    tenant_column: str
    facts: SchemaFacts
    context: RuleContext
    known: dict[int, frozenset[str]] = field(default_factory=dict)

    @cached_property
    def anchor(self) -> TableFact | None:
        """The anchor's mapped class (looked up once: asking per table made the rule quadratic in tables)."""
        name = self.context.tenancy.anchor_table
        return next((t for t in self.facts.tables if t.name == name and t.class_name), None)

    @cached_property
    def relationships_by_owner(self) -> dict[str | None, list[RelationshipFact]]:
        by_owner: dict[str | None, list[RelationshipFact]] = {}
        for relationship in self.facts.relationships:
            by_owner.setdefault(relationship.owner_class, []).append(relationship)
        return by_owner

    def tenant_attributes(self, table: TableFact) -> frozenset[str]:
        """:func:`_tenant_attributes` of a table with a tenant column, once per table."""
        if id(table) not in self.known:
            column = table.column(self.tenant_column)
            self.known[id(table)] = frozenset() if column is None else _tenant_attributes(
                table, column.name, column.attribute or column.name, self.anchor,
                self.relationships_by_owner.get(table.class_name, []))
        return self.known[id(table)]


def _through_scoped_row(link: RowLink, table: TableFact, scope: _Scope, depth: int = 0) -> bool:
    """``table.attribute == row.attribute`` scopes the statement when the two are the ends of a foreign key between
    ``table`` and the row's table (either way), or the same primary key of one table, and the row's own load is
    scoped: it is tenant-scoped and pinned its tenant column (or was checked on it), or reached through such a row.
    A row of a shared table or the anchor scopes nothing, nor does a row loaded by an unscoped statement."""
    row_table = scope.classes.get(link.row_model)
    if row_table is None or id(row_table) not in scope.scoped or depth > 8:
        return False
    if not _keyed(table, link.attribute, row_table, link.row_attribute):
        return False
    if link.row_opaque or link.row_kind in scope.covered:
        return True
    if not link.row_pinned.isdisjoint(scope.tenant_attributes(row_table)):
        return True
    return any(_through_scoped_row(inner, row_table, scope, depth + 1) for inner in link.row_links)


def _keyed(table: TableFact, attribute: str, row_table: TableFact, row_attribute: str) -> bool:
    """The two attributes are a foreign key and the column it references (in either direction), or the same
    single-column primary key."""
    column, row_column = _column_name(table, attribute), _column_name(row_table, row_attribute)
    if column is None or row_column is None:
        return False
    if table is row_table:
        return column == row_column and table.primary_key == (column,)
    for source, source_column, target, target_column in ((table, column, row_table, row_column),
                                                         (row_table, row_column, table, column)):
        for fk in source.foreign_keys:
            if fk.target_table == target.name and (source_column, target_column) in zip(fk.columns, fk.target_columns):
                return True
    return False


def _column_name(table: TableFact, attribute: str) -> str | None:
    for column in table.columns:
        if (column.attribute or column.name) == attribute:
            return column.name
    return None


def _covered_kinds(facts: SchemaFacts, tenant_column: str) -> frozenset[str]:
    """The statement kinds a session-wide ``do_orm_execute`` filter on the tenant column already scopes."""
    kinds: set[str] = set()
    for listener in facts.session_filters:
        if tenant_column in listener.names:
            kinds |= {"select", "query", "get"} if listener.selects_only else {"select", "query", "get", "update",
                                                                               "delete"}
    return frozenset(kinds)


def _message(query: QueryFact, table: TableFact, attribute: str) -> str:
    tenant = f"{query.model}.{attribute}"
    if query.kind == "get":
        return (f"session.get({query.model}, ...) loads a row of tenant-scoped table '{table.name}' by primary key, "
                f"and the function never checks its {attribute} against the current tenant")
    verb = {"update": "updates", "delete": "deletes from"}.get(query.kind, "reads")
    return (f"{query.kind}() {verb} tenant-scoped table '{table.name}' without a predicate on {tenant} on every "
            "path to its execution")
