"""SG701: the run-time tenant query guard, documented like every other rule.

The guard itself lives in :mod:`schema_guard.runtime` and runs inside the user's tests (the ``tenant_guard``
fixture); this class is its catalogue entry, so ``schema-guard rules``/``explain SG701`` and ``--select`` know it.
The examples are query code, not models: they document what the guard decides, and ``tests/test_tenant_guard.py``
proves each decision against a real PostgreSQL.
"""

from __future__ import annotations

from schema_guard.rules.base import Invalid, Rule, Valid, register

_SETUP = """
from sqlalchemy import text
from sqlmodel import Session, select

from app.models import Attempt, Exam
"""


@register
class UnfilteredTenantQuery(Rule):
    code = "SG701"
    name = "unfiltered-tenant-query"
    summary = "A query touches a tenant-scoped table without a tenant predicate (pytest tenant guard, at run time)"
    rationale = (
        "Every query on tenant data must filter by the tenant column, or one student sees another's rows. No static "
        "check can see the queries an application builds, so the guard watches the SQL run during tests: a SELECT, "
        "UPDATE or DELETE must pin each tenant-scoped table it reads to one tenant (a join counts only through an "
        "equality of tenant columns with a filtered table), an INSERT must set the tenant column, and text() SQL "
        "that references a tenant-scoped table (as PostgreSQL parses it) is reported as unverifiable. A predicate "
        "counts only when the other side is a bound value (or a function of bound values, such as "
        "current_setting()) or a tenant column of another, filtered table; tuple_() comparisons count position by "
        "position. session.get() loads by primary key alone and is reported; relationship loads (lazy, selectin) "
        "are judged like any SELECT, so a load through a link table from shared data is reported unless the "
        "relationship's join pins the tenant; refreshes of objects already loaded are not judged."
    )
    how_to_fix = (
        "Filter by the tenant in the query itself: `select(Exam).where(Exam.student_id == student_id)`; join "
        "through the tenant column (`Attempt.student_id == Exam.student_id`); replace `session.get(Exam, id)` by a "
        "select that also filters the tenant. An admin code path that must read across tenants is tested with "
        "`@pytest.mark.cross_tenant(reason=...)` or inside `with tenant_guard.allow(...)`."
    )
    readers = ("runtime",)
    examples = (
        Invalid(_SETUP + """
def exams(session: Session) -> list[Exam]:
    return session.exec(select(Exam)).all()  # expect: SG701
""", title="no tenant predicate"),
        Invalid(_SETUP + """
def exam(session: Session, exam_id) -> Exam | None:
    return session.get(Exam, exam_id)  # expect: SG701
""", title="session.get() loads by primary key alone"),
        Invalid(_SETUP + """
def attempts(session: Session, student_id) -> list[Attempt]:
    statement = (
        select(Attempt)
        .join(Exam, Attempt.exam_id == Exam.id)  # the join does not carry the tenant over
        .where(Exam.student_id == student_id)
    )
    return session.exec(statement).all()  # expect: SG701
""", title="join on a foreign key alone"),
        Invalid(_SETUP + """
def count(session: Session, student_id) -> int:
    sql = text("SELECT count(*) FROM exams WHERE student_id = :s")
    return session.execute(sql, {"s": student_id}).scalar_one()  # expect: SG701
""", title="text() SQL cannot be verified"),
        Valid(_SETUP + """
def exams(session: Session, student_id) -> list[Exam]:
    return session.exec(select(Exam).where(Exam.student_id == student_id)).all()
"""),
        Valid(_SETUP + """
def attempts(session: Session, student_id) -> list[Attempt]:
    statement = (
        select(Attempt)
        .join(Exam, (Attempt.exam_id == Exam.id) & (Attempt.student_id == Exam.student_id))
        .where(Exam.student_id == student_id)
    )
    return session.exec(statement).all()
""", title="join through the tenant column of a filtered table"),
        Valid(_SETUP + """
def recent(session: Session, student_id) -> list[Exam]:
    mine = select(Exam).where(Exam.student_id == student_id).subquery()
    return session.exec(select(mine)).all()
""", title="subquery filtered inside"),
    )
