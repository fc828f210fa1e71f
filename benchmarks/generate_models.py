"""Generate a tree of realistic SQLModel model files for the source-reader benchmark.

``python benchmarks/generate_models.py OUT [--files 500]`` writes ``OUT/pyproject.toml`` (a ``[tool.schema_guard]``
section), ``OUT/models/students.py`` (the tenant anchor) and ``OUT/models/module_NNNN.py`` files, each ~25 lines
with two tenant-scoped tables (a parent and a child with a relationship pair, an index, a foreign key, a JSONB
column and a timestamp). One file in twenty carries a violation (an ``int`` primary key, a nullable tenant column
or a ``datetime.utcnow`` default), so the run reports findings like a real project's would. With ``--services``
every model module gets an application module beside it (``OUT/models/services/service_NNNN.py``: three query
functions in the FastAPI style, scoped by the tenant through a predicate, an ownership check after
``session.get`` and a statement built over two lines; one module in twenty has an unscoped ``select``), so the
query rules (SG702) run over as many application files as model files.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

ANCHOR = '''\
import uuid

from sqlmodel import Field, SQLModel


class Student(SQLModel, table=True):
    __tablename__ = "students"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(unique=True, index=True, max_length=320)
'''

MODULE = '''\
"""Course {n} and its lessons."""
import uuid
from datetime import datetime, timezone
from typing import Optional

from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, Index, Relationship, SQLModel


class Course{n}(SQLModel, table=True):
    __tablename__ = "courses_{n}"

    id: {id_type} = Field({id_default}primary_key=True)
    student_id: {tenant_type} = Field(foreign_key="students.id", index=True)
    title: str = Field(max_length=200)
    settings: dict = Field(default_factory=dict, sa_type=JSONB)
    lessons: list["Lesson{n}"] = Relationship(back_populates="course")


class Lesson{n}(SQLModel, table=True):
    __tablename__ = "lessons_{n}"
    __table_args__ = (Index("ix_lessons_{n}_student_course", "student_id", "course_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id")
    course_id: uuid.UUID = Field(foreign_key="courses_{n}.id")
    position: int = 0
    created_at: datetime = Field(default_factory={clock})
    course: Optional[Course{n}] = Relationship(back_populates="lessons")
'''

SERVICE = '''\
"""Queries over course {n}, for the signed-in student."""
import uuid

from sqlmodel import Session, select

from models.module_{n} import Course{n}, Lesson{n}


def courses(session: Session, student_id: uuid.UUID) -> list[Course{n}]:
    return list(session.exec({courses_statement}))


def lesson(session: Session, student_id: uuid.UUID, lesson_id: uuid.UUID) -> Lesson{n} | None:
    found = session.get(Lesson{n}, lesson_id)
    if found is None or found.student_id != student_id:
        return None
    return found


def lessons_of(session: Session, student_id: uuid.UUID, course_id: uuid.UUID) -> list[Lesson{n}]:
    statement = select(Lesson{n}).where(Lesson{n}.course_id == course_id)
    statement = statement.where(Lesson{n}.student_id == student_id)
    return list(session.exec(statement.order_by(Lesson{n}.position)))
'''


def service_text(number: int) -> str:
    """The application module of model module ``number`` (one in twenty reads every student's courses)."""
    n = f"{number:04d}"
    scoped = f"select(Course{n}).where(Course{n}.student_id == student_id)"
    return SERVICE.format(n=n, courses_statement=f"select(Course{n})" if number % 20 == 4 else scoped)


PYPROJECT = """\
[tool.schema_guard]
src = ["models"]
tenant-table = "students"
tenant-column = "student_id"
"""


def module_text(number: int, *, fixable: bool = False) -> str:
    """One module; with ``fixable`` every module has two violations ``--fix`` rewrites (a nullable tenant column
    and a ``datetime.utcnow`` default) instead of one module in twenty having one."""
    n = f"{number:04d}"
    violation = number % 20
    return MODULE.format(
        n=n,
        id_type="int" if violation == 1 and not fixable else "uuid.UUID",
        id_default="" if violation == 1 and not fixable else "default_factory=uuid.uuid4, ",
        tenant_type="Optional[uuid.UUID]" if violation == 2 or fixable else "uuid.UUID",
        clock="datetime.utcnow" if violation == 3 or fixable else "lambda: datetime.now(timezone.utc)",
    )


def generate(out: Path, files: int = 500, *, anchor: bool = True, fixable: bool = False,
             services: bool = False) -> Path:
    """Write the tree (replacing an old one) and return the models folder. Without ``anchor`` the tenant table is
    defined outside ``src`` (another package, a shared library): every tenant foreign key then names a table that
    no checked model defines. ``fixable``: see :func:`module_text`; ``services``: an application module per model
    module (:func:`service_text`)."""
    if out.exists():
        shutil.rmtree(out)
    models = out / "models"
    models.mkdir(parents=True)
    (out / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (models / "__init__.py").write_text("", encoding="utf-8")
    if anchor:
        (models / "students.py").write_text(ANCHOR, encoding="utf-8")
    for number in range(1, files + 1):
        (models / f"module_{number:04d}.py").write_text(module_text(number, fixable=fixable), encoding="utf-8")
    if services:
        folder = models / "services"
        folder.mkdir()
        (folder / "__init__.py").write_text("", encoding="utf-8")
        for number in range(1, files + 1):
            (folder / f"service_{number:04d}.py").write_text(service_text(number), encoding="utf-8")
    return models


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--no-anchor", action="store_true", help="leave the tenant table out of the tree")
    parser.add_argument("--fixable", action="store_true", help="every module has violations --fix rewrites")
    parser.add_argument("--services", action="store_true", help="an application module per model module")
    args = parser.parse_args()
    models = generate(args.out, args.files, anchor=not args.no_anchor, fixable=args.fixable, services=args.services)
    print(f"wrote {args.files} model files{' and as many application files' if args.services else ''} to {models}")


if __name__ == "__main__":
    main()
