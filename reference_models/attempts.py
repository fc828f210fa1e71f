"""Student-scoped answers: an ``attempts`` row is one sitting of an exam, ``attempted_questions`` its answers.

Both tables are tenant-scoped (``student_id`` UUID, NOT NULL, ``ON DELETE CASCADE`` to ``students.id``, leading an
index). ``attempted_questions.student_id`` repeats what could be reached through ``attempts``: the repetition is
the point, so that row-level security policies, tenant query guards (schema-guard SG701) and per-student exports
filter every table by one indexed column. The composite, tenant-pinned foreign keys ``(student_id, exam_id)`` and
``(student_id, attempt_id)`` keep the repeated column honest: the database refuses a row whose parent belongs to
another student.

``weaknesses`` is a PostgreSQL ``ARRAY(VARCHAR)``: a flat list of tags queried with ``@>`` / ``&&``, where JSONB
would add nothing.
"""

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Optional

from sqlalchemy import DateTime, ForeignKeyConstraint, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, Relationship, SQLModel

from reference_models.common import utc_now

if TYPE_CHECKING:
    from reference_models.exams import Exam
    from reference_models.feedback import Feedback
    from reference_models.students import Student

__all__ = ["Attempt", "AttemptedQuestion"]


class Attempt(SQLModel, table=True):
    """One sitting of an exam by its student; ``submitted_at`` and ``score`` stay NULL until it is handed in."""

    __tablename__ = "attempts"
    __table_args__ = (
        # Tenant-pinned: an attempt's exam belongs to the attempt's student (schema-guard SG206).
        ForeignKeyConstraint(["student_id", "exam_id"], ["exams.student_id", "exams.id"], ondelete="CASCADE"),
        # The target of the pinned foreign keys from attempted_questions and feedback, and the tenant index.
        UniqueConstraint("student_id", "id", name="uq_attempts_student_id_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", nullable=False, ondelete="CASCADE")
    exam_id: uuid.UUID = Field(index=True, nullable=False)  # foreign key: the composite one in __table_args__
    submitted_at: Optional[datetime] = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)
    score: Optional[int] = Field(default=None, ge=0, nullable=True)
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

    student: Optional["Student"] = Relationship(back_populates="attempts")
    # Attempt.exam also writes attempts.student_id (through the tenant-pinned foreign key), so `Attempt(exam=exam)`
    # inherits the exam's student. `overlaps` records that sharing student_id with Attempt.student is intended; the
    # composite foreign key rejects an attempt whose student differs from its exam's.
    exam: Optional["Exam"] = Relationship(
        back_populates="attempts", sa_relationship_kwargs={"overlaps": "student,attempts"}
    )
    attempted_questions: list["AttemptedQuestion"] = Relationship(
        back_populates="attempt", cascade_delete=True, passive_deletes=True
    )
    feedback: list["Feedback"] = Relationship(back_populates="attempt", cascade_delete=True, passive_deletes=True)


class AttemptedQuestion(SQLModel, table=True):
    """A student's answer to one question within an attempt, with the marks and weaknesses found when marking."""

    __tablename__ = "attempted_questions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["student_id", "attempt_id"], ["attempts.student_id", "attempts.id"], ondelete="CASCADE"
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True, nullable=False, ondelete="CASCADE")
    attempt_id: uuid.UUID = Field(index=True, nullable=False)  # foreign key: the composite one in __table_args__
    question_id: uuid.UUID = Field(foreign_key="questions.id", index=True, nullable=False)
    answer: str = Field(sa_type=Text, nullable=False)
    marks_awarded: Optional[int] = Field(default=None, ge=0, nullable=True)
    weaknesses: list[str] = Field(default_factory=list, sa_type=ARRAY(String), nullable=False)
    created_at: datetime = Field(
        default_factory=utc_now,
        sa_type=DateTime(timezone=True),
        nullable=False,
        sa_column_kwargs={"server_default": func.now()},
    )

    attempt: Optional[Attempt] = Relationship(back_populates="attempted_questions")
