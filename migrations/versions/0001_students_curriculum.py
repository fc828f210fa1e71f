"""Students (the tenant anchor) and the shared curriculum: subjects, syllabus points, questions.

Revision ID: 0001_students_curriculum
Revises:
Create Date: 2025-01-06 09:00:00

Reviewed, not raw autogenerate output:
* SQLModel's ``AutoString(length=n)`` is written as ``sa.String(length=n)`` (both are ``VARCHAR(n)``), so this
  file does not depend on sqlmodel internals;
* JSONB (not JSON) and ``timestamp with time zone`` are spelled out to match the models exactly;
* the CHECK on ``questions.difficulty`` is written by hand: ``alembic check`` never compares CHECK constraints;
* every table is new in this revision, so its indexes need no ``CONCURRENTLY``.
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0001_students_curriculum"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SHARED = {"schema_guard": {"shared": True}}
"""Mirrors the models' ``__table_args__`` info; only informative here (Alembic does not store it in the database)."""


def upgrade() -> None:
    """Create students, subjects, syllabus_points and questions."""
    op.create_table(
        "students",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("target_grades", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_students_email", "students", ["email"], unique=True)

    op.create_table(
        "subjects",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("exam_board", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        info=SHARED,
    )
    op.create_index("ix_subjects_code", "subjects", ["code"], unique=True)

    op.create_table(
        "syllabus_points",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"]),
        sa.PrimaryKeyConstraint("id"),
        info=SHARED,
    )
    op.create_index(
        "ix_syllabus_points_subject_id_code", "syllabus_points", ["subject_id", "code"], unique=True
    )

    op.create_table(
        "questions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("marking_scheme", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("topics", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("syllabus_point_ids", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("difficulty", sa.Integer(), nullable=False),
        sa.Column("max_marks", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("difficulty BETWEEN 1 AND 5", name="ck_questions_difficulty_range"),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"]),
        sa.PrimaryKeyConstraint("id"),
        info=SHARED,
    )
    op.create_index("ix_questions_subject_id", "questions", ["subject_id"], unique=False)


def downgrade() -> None:
    """Drop the four tables, dependants first (dropping a table drops its indexes and constraints)."""
    op.drop_table("questions")
    op.drop_table("syllabus_points")
    op.drop_table("subjects")
    op.drop_table("students")
