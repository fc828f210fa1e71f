"""Shared reference data: the curriculum (``subjects``, ``syllabus_points``) and the question bank (``questions``).

These tables hold no student data, so they are exempt from schema-guard's deny-by-default tenancy rule. They are
declared shared twice, on purpose: in ``[tool.schema_guard] shared-tables`` (the project's policy) and on each
model via ``__table_args__`` ``info={"schema_guard": {"shared": True}}`` (so the declaration travels with the
model and both the source reader and the metadata reader see it). A table that is in neither place is treated as
tenant-scoped and must carry ``student_id``.

Reference rows are deleted rarely and deliberately: their foreign keys keep PostgreSQL's default ``NO ACTION``, so
deleting a subject that still has questions, or a question that students have answered, fails instead of
silently erasing history.
"""

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any, Optional

from sqlalchemy import CheckConstraint, Column, DateTime, Index, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, Relationship, SQLModel

from reference_models.common import utc_now
from reference_models.exams import ExamQuestion

if TYPE_CHECKING:
    from reference_models.exams import Exam

__all__ = ["Question", "Subject", "SyllabusPoint"]


class Subject(SQLModel, table=True):
    """A subject of study (e.g. A-level Mathematics), identified by a short code."""

    __tablename__ = "subjects"
    __table_args__ = {"info": {"schema_guard": {"shared": True}}}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=200)
    exam_board: Optional[str] = Field(default=None, max_length=100, nullable=True)
    created_at: datetime = Field(
        default_factory=utc_now,
        sa_type=DateTime(timezone=True),
        nullable=False,
        sa_column_kwargs={"server_default": func.now()},
    )

    syllabus_points: list["SyllabusPoint"] = Relationship(back_populates="subject")
    questions: list["Question"] = Relationship(back_populates="subject")


class SyllabusPoint(SQLModel, table=True):
    """One numbered point of a subject's syllabus; ``code`` is unique within its subject."""

    __tablename__ = "syllabus_points"
    __table_args__ = (
        # Leading subject_id serves "all points of a subject" as well as the (subject_id, code) lookup, so
        # subject_id needs no index of its own.
        Index("ix_syllabus_points_subject_id_code", "subject_id", "code", unique=True),
        {"info": {"schema_guard": {"shared": True}}},
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    subject_id: uuid.UUID = Field(foreign_key="subjects.id", nullable=False)
    code: str = Field(max_length=32)
    description: str = Field(sa_type=Text, nullable=False)

    subject: Optional[Subject] = Relationship(back_populates="syllabus_points")


class Question(SQLModel, table=True):
    """A question in the shared bank, with its marking scheme and a difficulty from 1 (easy) to 5 (hard)."""

    __tablename__ = "questions"
    __table_args__ = (
        # A CHECK must be a table-level CheckConstraint: sa_column_kwargs={"check": ...} is not a Column argument
        # (schema-guard SG502). Alembic's autogenerate does not compare CHECK constraints, so the migration that
        # creates this table spells it out and tests/test_reference_migrations.py checks it exists.
        CheckConstraint("difficulty BETWEEN 1 AND 5", name="ck_questions_difficulty_range"),
        {"info": {"schema_guard": {"shared": True}}},
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    subject_id: uuid.UUID = Field(foreign_key="subjects.id", index=True, nullable=False)
    prompt: str = Field(sa_type=Text, nullable=False)
    # Criteria, accepted answers and mark allocation; the shape is owned by the marking service.
    marking_scheme: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    topics: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    # Denormalised list of syllabus_points.id (as strings) for fast "which points does this test" reads.
    syllabus_point_ids: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    difficulty: int = Field(ge=1, le=5)
    max_marks: int = Field(ge=0)
    created_at: datetime = Field(
        default_factory=utc_now,
        sa_type=DateTime(timezone=True),
        nullable=False,
        sa_column_kwargs={"server_default": func.now()},
    )

    subject: Optional[Subject] = Relationship(back_populates="questions")
    # Read-only many-to-many: see ExamQuestion for why link rows are written explicitly.
    exams: list["Exam"] = Relationship(
        back_populates="questions", link_model=ExamQuestion, sa_relationship_kwargs={"viewonly": True}
    )
