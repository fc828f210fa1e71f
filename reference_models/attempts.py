"""Student-scoped answers: an ``attempts`` row is one sitting of an exam, ``attempted_questions`` its answers.

Both tables are tenant-scoped (``student_id`` UUID, NOT NULL, indexed, ``ON DELETE CASCADE`` to ``students.id``).
``attempted_questions.student_id`` repeats what could be reached through ``attempts``: the repetition is the
point, so that row-level security policies, tenant query guards (schema-guard SG701) and per-student exports
filter every table by one indexed column.

``weaknesses`` is a PostgreSQL ``text[]``-style ``ARRAY(VARCHAR)``: a flat list of tags queried with ``@>`` /
``&&``, where JSONB would add nothing.
"""

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Optional

from sqlalchemy import DateTime, String, Text, func
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

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True, nullable=False, ondelete="CASCADE")
    exam_id: uuid.UUID = Field(foreign_key="exams.id", index=True, nullable=False, ondelete="CASCADE")
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
    exam: Optional["Exam"] = Relationship(back_populates="attempts")
    attempted_questions: list["AttemptedQuestion"] = Relationship(
        back_populates="attempt", cascade_delete=True, passive_deletes=True
    )
    feedback: list["Feedback"] = Relationship(back_populates="attempt", cascade_delete=True, passive_deletes=True)


class AttemptedQuestion(SQLModel, table=True):
    """A student's answer to one question within an attempt, with the marks and weaknesses found when marking."""

    __tablename__ = "attempted_questions"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True, nullable=False, ondelete="CASCADE")
    attempt_id: uuid.UUID = Field(foreign_key="attempts.id", index=True, nullable=False, ondelete="CASCADE")
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
