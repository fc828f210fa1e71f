"""Building blocks for the SG702 examples: a model module that mirrors ``reference_models``.

The examples are application code over ``students`` (the anchor), ``subjects`` (shared), ``exams`` and
``attempts`` (tenant-scoped, joined by the same tenant-pinned composite foreign key) with the reference models'
class, table and column names. The static examples run with
:data:`MODELS` in front of them; the test that makes both views agree (``tests/test_query_views.py``) runs the same
functions with :data:`REFERENCE_IMPORTS` in its place, against the real ``reference_models`` on PostgreSQL.
"""

IMPORTS = """\
import uuid
from typing import Optional

from sqlalchemy import ForeignKeyConstraint, UniqueConstraint, and_, delete, func, or_, tuple_, update
from sqlalchemy.orm import with_loader_criteria
from sqlmodel import Field, Relationship, Session, SQLModel, select
"""

MODELS = IMPORTS + '''

class Student(SQLModel, table=True):
    __tablename__ = "students"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(unique=True, index=True)
    exams: list["Exam"] = Relationship(back_populates="student")


class Subject(SQLModel, table=True):
    __tablename__ = "subjects"
    __table_args__ = {"info": {"schema_guard": {"shared": True}}}
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str


class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    __table_args__ = (UniqueConstraint("student_id", "id"),)
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    subject_id: uuid.UUID = Field(foreign_key="subjects.id", index=True)
    title: str
    student: Optional[Student] = Relationship(back_populates="exams")
    attempts: list["Attempt"] = Relationship(back_populates="exam")


class Attempt(SQLModel, table=True):
    __tablename__ = "attempts"
    __table_args__ = (ForeignKeyConstraint(["student_id", "exam_id"], ["exams.student_id", "exams.id"]),)
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    exam_id: uuid.UUID = Field(index=True)
    score: int = 0
    exam: Optional[Exam] = Relationship(back_populates="attempts")
'''

REFERENCE_IMPORTS = IMPORTS + """
from reference_models import Attempt, Exam, Student, Subject
"""


def app(body: str) -> str:
    """An example: the models, then ``body`` (application code)."""
    return MODELS + body
