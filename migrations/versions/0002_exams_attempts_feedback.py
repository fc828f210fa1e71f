"""Student-scoped tables: exams, the exam <-> question link, attempts, attempted questions, feedback.

Revision ID: 0002_exams_attempts_feedback
Revises: 0001_students_curriculum
Create Date: 2025-01-06 09:30:00

Every table here is tenant-scoped: ``student_id`` is UUID, NOT NULL, a foreign key to ``students.id`` with
``ON DELETE CASCADE``, and the leading column of an index (of the unique constraint ``(student_id, id)`` on
``exams`` and ``attempts``). ``exam_questions`` keeps ``student_id`` although its primary key is
``(exam_id, question_id)``: a link between a tenant-scoped and a shared table is tenant data.

References between these tables are tenant-pinned: composite foreign keys ``(student_id, exam_id) ->
exams(student_id, id)`` and ``(student_id, attempt_id) -> attempts(student_id, id)``, so a row can never point at
another student's exam or attempt. Each referenced table is created with its ``(student_id, id)`` unique constraint
before the tables that reference it.

All five tables are new in this revision, so their indexes are built without ``CONCURRENTLY``.
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0002_exams_attempts_feedback"
down_revision: Union[str, Sequence[str], None] = "0001_students_curriculum"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Create exams, exam_questions, attempts, attempted_questions and feedback."""
    op.create_table(
        "exams",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("time_limit_minutes", sa.Integer(), nullable=True),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["student_id"], ["students.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("student_id", "id", name="uq_exams_student_id_id"),
    )
    op.create_index("ix_exams_subject_id", "exams", ["subject_id"], unique=False)

    op.create_table(
        "exam_questions",
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("exam_id", sa.Uuid(), nullable=False),
        sa.Column("question_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id", "exam_id"], ["exams.student_id", "exams.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"]),
        sa.ForeignKeyConstraint(["student_id"], ["students.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("exam_id", "question_id"),
    )
    op.create_index("ix_exam_questions_student_id", "exam_questions", ["student_id"], unique=False)
    op.create_index("ix_exam_questions_question_id", "exam_questions", ["question_id"], unique=False)

    op.create_table(
        "attempts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("exam_id", sa.Uuid(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["student_id"], ["students.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["student_id", "exam_id"], ["exams.student_id", "exams.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("student_id", "id", name="uq_attempts_student_id_id"),
    )
    op.create_index("ix_attempts_exam_id", "attempts", ["exam_id"], unique=False)

    op.create_table(
        "attempted_questions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("attempt_id", sa.Uuid(), nullable=False),
        sa.Column("question_id", sa.Uuid(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("marks_awarded", sa.Integer(), nullable=True),
        sa.Column("weaknesses", postgresql.ARRAY(sa.String()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["student_id"], ["students.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["student_id", "attempt_id"], ["attempts.student_id", "attempts.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_attempted_questions_student_id", "attempted_questions", ["student_id"], unique=False)
    op.create_index("ix_attempted_questions_attempt_id", "attempted_questions", ["attempt_id"], unique=False)
    op.create_index("ix_attempted_questions_question_id", "attempted_questions", ["question_id"], unique=False)

    op.create_table(
        "feedback",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("attempt_id", sa.Uuid(), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["student_id"], ["students.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["student_id", "attempt_id"], ["attempts.student_id", "attempts.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_feedback_student_id", "feedback", ["student_id"], unique=False)
    op.create_index("ix_feedback_attempt_id", "feedback", ["attempt_id"], unique=False)


def downgrade() -> None:
    """Drop the five tables, dependants first (dropping a table drops its indexes and constraints)."""
    op.drop_table("feedback")
    op.drop_table("attempted_questions")
    op.drop_table("attempts")
    op.drop_table("exam_questions")
    op.drop_table("exams")
