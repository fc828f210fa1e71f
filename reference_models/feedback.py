"""Student-scoped feedback on an attempt (from a teacher or the automatic marker).

Tenant-scoped like every table that is neither the anchor nor declared shared: ``student_id`` UUID, NOT NULL,
indexed, ``ON DELETE CASCADE`` to ``students.id``; the attempt is referenced through the tenant-pinned composite
key ``(student_id, attempt_id) -> attempts(student_id, id)``. ``details`` is JSONB because its shape varies by author
(per-question comments, rubric scores) and it is queried with JSONB operators.
"""

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any, Optional

from sqlalchemy import Column, DateTime, ForeignKeyConstraint, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, Relationship, SQLModel

from reference_models.common import utc_now

if TYPE_CHECKING:
    from reference_models.attempts import Attempt

__all__ = ["Feedback"]


class Feedback(SQLModel, table=True):
    """Written feedback on one attempt, with structured details."""

    __tablename__ = "feedback"
    __table_args__ = (
        # Tenant-pinned: feedback on an attempt belongs to the attempt's student (schema-guard SG206).
        ForeignKeyConstraint(
            ["student_id", "attempt_id"], ["attempts.student_id", "attempts.id"], ondelete="CASCADE"
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True, nullable=False, ondelete="CASCADE")
    attempt_id: uuid.UUID = Field(index=True, nullable=False)  # foreign key: the composite one in __table_args__
    author: str = Field(max_length=100)
    summary: str = Field(sa_type=Text, nullable=False)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    created_at: datetime = Field(
        default_factory=utc_now,
        sa_type=DateTime(timezone=True),
        nullable=False,
        sa_column_kwargs={"server_default": func.now()},
    )

    attempt: Optional["Attempt"] = Relationship(back_populates="feedback")
