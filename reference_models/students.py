"""The tenant anchor: ``students``.

Every tenant-scoped table in the reference schema carries ``student_id`` (UUID, NOT NULL, indexed, FK to
``students.id``), so a student's data can always be selected, exported or erased by one key. This table is the one
exception to schema-guard's deny-by-default tenancy rule (it *is* the tenant), which is why it is named in
``[tool.schema_guard] tenant-table``.

Students are soft-deleted (``deleted_at`` + ``is_active``) so that exam history survives an account closure; the
foreign keys that point here still use ``ON DELETE CASCADE`` so that a hard delete (a GDPR erasure) removes every
row the student owns in one statement.
"""

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Optional

from sqlalchemy import Column, DateTime, func, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, Relationship, SQLModel

from reference_models.common import utc_now

if TYPE_CHECKING:
    from reference_models.attempts import Attempt
    from reference_models.exams import Exam

__all__ = ["Student"]


class Student(SQLModel, table=True):
    """A learner: the owner (tenant) of exams, attempts and feedback."""

    __tablename__ = "students"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    full_name: str = Field(max_length=200)
    # Subject code -> target grade, e.g. {"MATH": "A*"}. JSONB (not JSON): indexable, comparable, deduplicated keys.
    # With sa_column= the Column owns nullability; Field(sa_column=..., nullable=...) makes SQLModel raise.
    target_grades: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    is_active: bool = Field(default=True, sa_column_kwargs={"server_default": true()})
    deleted_at: Optional[datetime] = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)
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

    # The database cascades the delete (ondelete="CASCADE" on every student_id); passive_deletes lets it, instead
    # of the ORM loading each child first.
    exams: list["Exam"] = Relationship(back_populates="student", cascade_delete=True, passive_deletes=True)
    attempts: list["Attempt"] = Relationship(back_populates="student", cascade_delete=True, passive_deletes=True)
