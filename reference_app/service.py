"""Exam use cases as plain functions over a ``Session``: every statement is scoped to the current student.

Kept free of FastAPI so the same functions serve a web route, a worker or a test. Each takes the authenticated
``Student`` and filters by ``Exam.student_id == current.id`` in the statement itself; a read of an exam that is
not the student's looks exactly like a read of one that does not exist (:class:`ExamNotFound`), so ids of other
students' exams cannot be probed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlmodel import Session, select

from reference_models import Exam, ExamCreate, ExamQuestion, ExamUpdate, Student

__all__ = ["ExamNotFound", "create_exam", "list_exams", "read_exam", "update_exam"]


class ExamNotFound(LookupError):
    """No exam with this id belongs to the current student."""


def create_exam(session: Session, current: Student, body: ExamCreate) -> Exam:
    """A new exam owned by ``current``: the tenant comes from the authenticated student, not from ``body``."""
    exam = Exam.model_validate(body, update={"student_id": current.id})
    # The tenant-pinned relationship fills each link row's exam_id and student_id from the exam.
    exam.exam_questions = [
        ExamQuestion(question_id=question_id, position=position)
        for position, question_id in enumerate(body.question_ids, start=1)
    ]
    session.add(exam)
    session.commit()
    session.refresh(exam)
    return exam


def read_exam(session: Session, current: Student, exam_id: uuid.UUID) -> Exam:
    """One of the student's exams, by id."""
    statement = select(Exam).where(Exam.id == exam_id, Exam.student_id == current.id)
    exam = session.exec(statement).first()
    if exam is None:
        raise ExamNotFound(exam_id)
    return exam


def update_exam(session: Session, current: Student, exam_id: uuid.UUID, body: ExamUpdate) -> Exam:
    """Change the fields ``body`` sets (PATCH semantics); owner and subject cannot change."""
    exam = read_exam(session, current, exam_id)
    exam.sqlmodel_update(body.model_dump(exclude_unset=True))
    session.add(exam)
    session.commit()
    session.refresh(exam)
    return exam


def list_exams(session: Session, current: Student, *, offset: int = 0, limit: int = 50) -> Sequence[Exam]:
    """The student's exams, oldest first, one page at a time."""
    statement = (
        select(Exam)
        .where(Exam.student_id == current.id)
        .order_by(Exam.created_at, Exam.id)
        .offset(offset)
        .limit(limit)
    )
    return session.exec(statement).all()
