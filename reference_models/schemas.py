"""API schemas: non-table SQLModel classes for creating, reading and updating students and exams.

They are kept apart from the table models on purpose:
* a ``*Create`` schema never accepts server-owned fields (``id``, timestamps) nor the tenant key: ``student_id`` of
  a new exam comes from the authenticated student, never from the request body, so one student cannot write into
  another's data;
* a ``*Read`` schema never exposes secrets (``password_hash``);
* an ``*Update`` schema makes every field optional, for ``PATCH`` semantics with ``model_dump(exclude_unset=True)``.

None of these classes is a table (no ``table=True``), so they add nothing to ``SQLModel.metadata``.
"""

import uuid
from datetime import datetime
from typing import Optional

from sqlmodel import Field, SQLModel

__all__ = ["ExamCreate", "ExamRead", "ExamUpdate", "StudentCreate", "StudentRead", "StudentUpdate"]


class StudentCreate(SQLModel):
    """Sign-up payload: the password arrives in clear and is hashed into ``Student.password_hash``."""

    email: str = Field(max_length=320)
    full_name: str = Field(max_length=200)
    password: str = Field(min_length=12, max_length=128)
    target_grades: dict[str, str] = Field(default_factory=dict)


class StudentRead(SQLModel):
    """What the API returns for a student."""

    id: uuid.UUID
    email: str
    full_name: str
    target_grades: dict[str, str]
    is_active: bool
    created_at: datetime
    updated_at: datetime


class StudentUpdate(SQLModel):
    """Partial update of a student; fields left unset are not changed."""

    email: Optional[str] = Field(default=None, max_length=320)
    full_name: Optional[str] = Field(default=None, max_length=200)
    password: Optional[str] = Field(default=None, min_length=12, max_length=128)
    target_grades: Optional[dict[str, str]] = None


class ExamCreate(SQLModel):
    """New exam for the authenticated student; ``question_ids`` become ``exam_questions`` rows in this order."""

    subject_id: uuid.UUID
    title: str = Field(max_length=200)
    time_limit_minutes: Optional[int] = Field(default=None, ge=1)
    scheduled_for: Optional[datetime] = None
    question_ids: list[uuid.UUID] = Field(default_factory=list)


class ExamRead(SQLModel):
    """What the API returns for an exam."""

    id: uuid.UUID
    student_id: uuid.UUID
    subject_id: uuid.UUID
    title: str
    time_limit_minutes: Optional[int]
    scheduled_for: Optional[datetime]
    created_at: datetime
    updated_at: datetime


class ExamUpdate(SQLModel):
    """Partial update of an exam; its owner and subject cannot change."""

    title: Optional[str] = Field(default=None, max_length=200)
    time_limit_minutes: Optional[int] = Field(default=None, ge=1)
    scheduled_for: Optional[datetime] = None
