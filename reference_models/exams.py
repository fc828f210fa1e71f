"""Student-scoped exams and the exam <-> question link table.

An exam is a student's selection of questions from the shared bank. Both tables here are tenant-scoped: each row
carries ``student_id`` (UUID, NOT NULL, ``ON DELETE CASCADE`` to ``students.id``, leading an index), including the
link table. A link table between a tenant-scoped table and a shared one is *not* exempt from tenancy (only a link
between shared tables is), so ``exam_questions`` keeps its own ``student_id``: "every row this student owns" stays
one indexed predicate on every table, with no join needed.

References between tenant-scoped tables are *tenant-pinned* (schema-guard's opt-in SG206): ``exam_questions`` and
``attempts`` point at ``exams(student_id, id)`` with a composite foreign key ``(student_id, exam_id)``, so the
database itself refuses a row of student A that references an exam of student B. ``exams`` carries the unique
constraint ``(student_id, id)`` those keys need.
"""

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Optional

from sqlalchemy import DateTime, ForeignKeyConstraint, UniqueConstraint, func
from sqlmodel import Field, Relationship, SQLModel

from reference_models.common import utc_now

if TYPE_CHECKING:
    from reference_models.attempts import Attempt
    from reference_models.curriculum import Question
    from reference_models.students import Student

__all__ = ["Exam", "ExamQuestion"]


class ExamQuestion(SQLModel, table=True):
    """The link between an exam and a question, with the question's position in the exam.

    The primary key is the pair of foreign keys ``(exam_id, question_id)`` rather than a surrogate UUID: the pair
    *is* the row's identity, the key forbids linking a question twice, and its index (leading ``exam_id``) serves
    "the questions of an exam". schema-guard exempts such association keys from SG101.

    Link rows are written as objects, never through the ``Exam.questions`` collection:
    ``exam.exam_questions.append(ExamQuestion(question_id=q.id, position=1))``; the tenant-pinned
    ``Exam.exam_questions`` relationship fills both ``exam_id`` and ``student_id`` from the exam. SQLAlchemy's
    many-to-many writer inserts only key columns and cannot fill the NOT NULL ``position``, so ``Exam.questions``
    and ``Question.exams`` are read-only (``viewonly=True``).
    """

    __tablename__ = "exam_questions"
    __table_args__ = (
        # Tenant-pinned: the link's exam must belong to the link's student (schema-guard SG206).
        ForeignKeyConstraint(["student_id", "exam_id"], ["exams.student_id", "exams.id"], ondelete="CASCADE"),
    )

    student_id: uuid.UUID = Field(foreign_key="students.id", index=True, nullable=False, ondelete="CASCADE")
    exam_id: uuid.UUID = Field(primary_key=True)  # foreign key: the composite one in __table_args__
    question_id: uuid.UUID = Field(foreign_key="questions.id", primary_key=True, index=True)
    position: int = Field(ge=1)

    exam: Optional["Exam"] = Relationship(back_populates="exam_questions")


class Exam(SQLModel, table=True):
    """A student's exam paper for one subject."""

    __tablename__ = "exams"
    __table_args__ = (
        # The target of the tenant-pinned foreign keys (student_id, exam_id) -> exams(student_id, id). It is also
        # the tenant index (student_id leads it), so student_id needs no index=True of its own.
        UniqueConstraint("student_id", "id", name="uq_exams_student_id_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", nullable=False, ondelete="CASCADE")
    subject_id: uuid.UUID = Field(foreign_key="subjects.id", index=True, nullable=False)
    title: str = Field(max_length=200)
    time_limit_minutes: Optional[int] = Field(default=None, ge=1, nullable=True)
    scheduled_for: Optional[datetime] = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)
    created_at: datetime = Field(
        default_factory=utc_now,
        sa_type=DateTime(timezone=True),
        nullable=False,
        sa_column_kwargs={"server_default": func.now()},
    )
    updated_at: datetime = Field(
        default_factory=utc_now,
        sa_type=DateTime(timezone=True),
        nullable=False,
        sa_column_kwargs={"server_default": func.now(), "onupdate": utc_now},
    )

    student: Optional["Student"] = Relationship(back_populates="exams")
    exam_questions: list[ExamQuestion] = Relationship(back_populates="exam", cascade_delete=True, passive_deletes=True)
    questions: list["Question"] = Relationship(
        back_populates="exams", link_model=ExamQuestion, sa_relationship_kwargs={"viewonly": True}
    )
    # overlaps: see Attempt.exam (both write attempts.student_id, by design).
    attempts: list["Attempt"] = Relationship(
        back_populates="exam",
        cascade_delete=True,
        passive_deletes=True,
        sa_relationship_kwargs={"overlaps": "attempts,student"},
    )
