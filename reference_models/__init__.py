"""schema-guard's reference model set: a small exam-practice schema written to pass every rule, the opt-in
tenant-pinning rules SG206/SG207 included.

Importing this package imports every model module, so ``SQLModel.metadata`` holds all reference tables (which is
what ``[tool.schema_guard] models = ["reference_models"]`` and ``migrations/env.py`` rely on).

Tenancy (see DESIGN.md): ``students`` is the tenant anchor; ``subjects``, ``syllabus_points`` and ``questions`` are
shared reference data; every other table is tenant-scoped and carries ``student_id``.
"""

from sqlmodel import SQLModel

from reference_models.students import Student  # noqa: I001  (anchor first: reads top-down like the schema)
from reference_models.exams import Exam, ExamQuestion
from reference_models.curriculum import Question, Subject, SyllabusPoint
from reference_models.attempts import Attempt, AttemptedQuestion
from reference_models.feedback import Feedback
from reference_models.schemas import (
    ExamCreate,
    ExamRead,
    ExamUpdate,
    StudentCreate,
    StudentRead,
    StudentUpdate,
)

__all__ = [
    "ANCHOR_TABLE",
    "SHARED_TABLES",
    "TABLES",
    "TENANT_SCOPED_TABLES",
    "Attempt",
    "AttemptedQuestion",
    "Exam",
    "ExamCreate",
    "ExamQuestion",
    "ExamRead",
    "ExamUpdate",
    "Feedback",
    "Question",
    "Student",
    "StudentCreate",
    "StudentRead",
    "StudentUpdate",
    "Subject",
    "SyllabusPoint",
    "metadata",
]

metadata = SQLModel.metadata
"""The metadata every reference table is registered in (SQLModel's shared one)."""

ANCHOR_TABLE = "students"
SHARED_TABLES: frozenset[str] = frozenset({"subjects", "syllabus_points", "questions"})
TENANT_SCOPED_TABLES: frozenset[str] = frozenset(
    {"exams", "exam_questions", "attempts", "attempted_questions", "feedback"}
)
TABLES: frozenset[str] = frozenset({ANCHOR_TABLE}) | SHARED_TABLES | TENANT_SCOPED_TABLES
"""Every table this package defines (``SQLModel.metadata`` may also hold other projects' tables in one process)."""
