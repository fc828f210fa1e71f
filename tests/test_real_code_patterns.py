"""How real projects write models, read right by both readers: each test is a small model written for it (no
project's code), for a pattern that made schema-guard cry wolf on public SQLModel and SQLAlchemy applications."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from schema_guard.config import Config, parse_config
from schema_guard.decide import Decider
from schema_guard.engine import run_check
from schema_guard.readers.source import read_source

BOTH = pytest.mark.parametrize("reader", ["source", "metadata"])


def _decider(config: Config) -> Decider:
    return Decider.from_config(config, use_baseline=False)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def check(folder: Path, src: list[str], models: list[str], reader: str, **settings: object) -> list[tuple[str, str, int]]:
    """(code, file name, line) of every finding of one reader."""
    values: dict[str, object] = {"src": src, "models": models if reader == "metadata" else [], **settings}
    config = parse_config(values, root=folder)
    result = run_check(config, use_source=reader == "source", use_metadata=reader == "metadata", decider=_decider(config))
    return sorted((f.code, Path(f.path).name if f.path else "", f.line or 0) for f in result.findings)


STUDENTS = """
import uuid
from typing import Optional

from sqlalchemy.orm import relationship
from sqlmodel import Field, Relationship, SQLModel


class Student(SQLModel, table=True):
    __tablename__ = "students"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
"""


# --- 1. relationships declared through SQLAlchemy ------------------------------------------------------------------
@BOTH
def test_back_populates_inside_sa_relationship_and_its_kwargs(tmp_path: Path, reader: str, isolated_models: None) -> None:
    write(tmp_path, "rel_models.py", STUDENTS + '''
    notes: list["Note"] = Relationship(sa_relationship=relationship("Note", back_populates="student", lazy="selectin"))
    essays: list["Essay"] = Relationship(sa_relationship_kwargs={"back_populates": "student"})
    tags: list["Tag"] = Relationship(sa_relationship_kwargs={"backref": "student"})


class Note(SQLModel, table=True):
    __tablename__ = "notes"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    student: Optional[Student] = Relationship(back_populates="notes")


class Essay(SQLModel, table=True):
    __tablename__ = "essays"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    student: Optional[Student] = Relationship(
        sa_relationship=relationship("Student", back_populates="essays", viewonly=False)
    )


class Tag(SQLModel, table=True):
    __tablename__ = "tags"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
''')
    assert check(tmp_path, ["rel_models.py"], ["rel_models"], reader) == []


@BOTH
def test_a_wrong_back_populates_inside_sa_relationship_is_still_sg402(
    tmp_path: Path, reader: str, isolated_models: None
) -> None:
    write(tmp_path, "wrong_rel.py", STUDENTS + '''
    notes: list["Note"] = Relationship(sa_relationship=relationship("Note", back_populates="author"))


class Note(SQLModel, table=True):
    __tablename__ = "notes"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    student: Optional[Student] = Relationship(back_populates="notes")
''')
    config = parse_config({"src": ["wrong_rel.py"], "models": ["wrong_rel"] if reader == "metadata" else []}, root=tmp_path)
    result = run_check(config, use_source=reader == "source", use_metadata=reader == "metadata", decider=_decider(config))
    messages = [f.message for f in result.findings if f.code == "SG402"]
    assert messages and messages[0].startswith('Student.notes: back_populates="author" but Note has no relationship')
    if reader == "metadata":
        return
    # the message names real classes, never a repr: the target read from a string, a class or an annotation
    assert all(">" not in message and "'<" not in message for message in messages)


# --- 2. names built from constants ---------------------------------------------------------------------------------
CONSTANTS = {
    "school/__init__.py": "",
    "school/names.py": '''
        STUDENTS = "students"
        EXAMS_TABLE: str = "exams"


        class Tables:
            GRADES = "grades"
            LINKS = "exam_" + "links"
        ''',
    "school/models.py": '''
        import uuid

        from sqlalchemy import Column, ForeignKey, Uuid
        from sqlmodel import Field, SQLModel

        from school import names
        from school.names import EXAMS_TABLE, STUDENTS, Tables

        KEY = "id"


        class Student(SQLModel, table=True):
            __tablename__ = STUDENTS
            id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)


        class Exam(SQLModel, table=True):
            __tablename__ = EXAMS_TABLE
            id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
            student_id: uuid.UUID = Field(foreign_key=f"{STUDENTS}.{KEY}", index=True)


        class Grade(SQLModel, table=True):
            __tablename__ = Tables.GRADES
            id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
            student_id: uuid.UUID = Field(foreign_key=names.STUDENTS + ".id", index=True)
            exam_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey(f"{EXAMS_TABLE}.id"), nullable=False))


        class ExamLink(SQLModel, table=True):
            __tablename__ = Tables.LINKS
            student_id: uuid.UUID = Field(foreign_key=f"{STUDENTS}.id", primary_key=True)
            exam_id: uuid.UUID = Field(foreign_key=f"{EXAMS_TABLE}.id", primary_key=True)
        ''',
}


@BOTH
def test_table_names_and_foreign_keys_built_from_constants(tmp_path: Path, reader: str, isolated_models: None) -> None:
    for name, text in CONSTANTS.items():
        write(tmp_path, name, text)
    assert check(tmp_path, ["school"], ["school"], reader) == []
    if reader == "source":
        facts = read_source([tmp_path / "school"])
        assert sorted(t.name for t in facts.tables) == ["exam_links", "exams", "grades", "students"]
        grades = facts.table("grades")
        assert grades is not None and sorted(fk.target_table for fk in grades.foreign_keys) == ["exams", "students"]


def test_a_foreign_key_the_reader_cannot_follow_is_opaque_not_absent(tmp_path: Path) -> None:
    """``foreign_key=target()`` may name the anchor: no SG204 guessed, and the table keeps its other checks."""
    write(tmp_path, "opaque_fk.py", STUDENTS + '''

def target() -> str:
    return "students.id"


class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key=target(), index=True)
''')
    assert check(tmp_path, ["opaque_fk.py"], [], "source") == []


# --- 3. a key that is a foreign key: see SG102's and SG201's rule examples ------------------------------------------
# --- 4. mixins: one finding per written line -----------------------------------------------------------------------
@BOTH
def test_a_mixin_field_is_reported_once_at_its_line(tmp_path: Path, reader: str, isolated_models: None) -> None:
    write(tmp_path, "mixin_models.py", STUDENTS + '''

class TenantMixin(SQLModel):
    student_id: uuid.UUID = Field(foreign_key="students.id")


class Exam(TenantMixin, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)


class Essay(TenantMixin, table=True):
    __tablename__ = "essays"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)


class Quiz(TenantMixin, table=True):
    __tablename__ = "quizzes"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
''')
    assert check(tmp_path, ["mixin_models.py"], ["mixin_models"], reader) == [("SG203", "mixin_models.py", 14)]
    config = parse_config({"src": ["mixin_models.py"]}, root=tmp_path)
    (finding,) = run_check(config, use_metadata=False, decider=_decider(config)).findings
    assert finding.message.endswith("(the same definition is inherited by 'exams', 'quizzes')")


# --- 5. plain SQLAlchemy tables ------------------------------------------------------------------------------------
LEGACY = """
import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Student(Base):
    __tablename__ = "students"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    exams: Mapped[list["Exam"]] = relationship(back_populates="student")


class Exam(Base):
    __tablename__ = "exams"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("students.id"))
    student: Mapped[Student] = relationship(back_populates="exams")


class Note(Base):
    __tablename__ = "notes"
    id = Column(Uuid, primary_key=True, default=uuid.uuid4)
    body = Column(String(200))


exam_tags = Table(
    "exam_tags",
    Base.metadata,
    Column("exam_id", ForeignKey("exams.id"), primary_key=True),
    Column("tag", String(20), primary_key=True),
)
"""


@BOTH
def test_plain_sqlalchemy_tables_get_the_key_and_tenancy_rules(tmp_path: Path, reader: str, isolated_models: None) -> None:
    write(tmp_path, "legacy_models.py", LEGACY)
    reported = check(tmp_path, ["legacy_models.py"], ["legacy_models"], reader)
    assert reported == [
        ("SG101", "legacy_models.py", 21),  # Exam.id is an INTEGER key
        ("SG101", "legacy_models.py", 32),  # exam_tags: a composite key of plain columns
        ("SG201", "legacy_models.py", 26),  # notes has no student_id
        ("SG201", "legacy_models.py", 32),  # exam_tags neither
        ("SG202", "legacy_models.py", 22),  # Mapped[Optional[...]] is nullable
        ("SG203", "legacy_models.py", 22),
        ("SG301", "legacy_models.py", 9),
    ]


@BOTH
def test_declarative_base_factory_is_sg302_not_sg303_in_both_readers(
    tmp_path: Path, reader: str, isolated_models: None
) -> None:
    write(tmp_path, "factory_models.py", """
        import uuid

        from sqlalchemy import Column, Uuid
        from sqlalchemy.orm import declarative_base

        Base = declarative_base()


        class Subject(Base):
            __tablename__ = "subjects"
            __table_args__ = {"info": {"schema_guard": {"shared": True}}}
            id = Column(Uuid, primary_key=True, default=uuid.uuid4)
        """)
    assert check(tmp_path, ["factory_models.py"], ["factory_models"], reader) == [("SG302", "factory_models.py", 6)]


def test_flask_sqlalchemy_models_are_tables_named_after_their_class(tmp_path: Path) -> None:
    write(tmp_path, "app/__init__.py", """
        from flask_sqlalchemy import SQLAlchemy

        db = SQLAlchemy()
        """)
    write(tmp_path, "app/models.py", """
        from app import db


        class Students(db.Model):
            __tablename__ = "students"
            id = db.Column(db.Uuid, primary_key=True)


        class ExamResult(db.Model):
            id = db.Column(db.Integer, primary_key=True)
            student_id = db.Column(db.Uuid, db.ForeignKey("students.id"), nullable=False, index=True)
            student = db.relationship("Students", backref="results")
        """)
    facts = read_source([tmp_path / "app"])
    assert sorted(t.name for t in facts.tables) == ["exam_result", "students"]
    assert check(tmp_path, ["app"], [], "source") == [("SG101", "models.py", 10), ("SG102", "models.py", 6)]


def test_a_base_class_from_another_package_hides_columns(tmp_path: Path) -> None:
    """``class User(SomeLibraryUserTable, Base)``: the library adds ``id`` and more; no SG103/SG404 guessed."""
    write(tmp_path, "users.py", """
        import uuid

        from library_users import BaseUserTable
        from sqlalchemy import ForeignKey
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


        class Base(DeclarativeBase):
            pass


        class User(BaseUserTable, Base):
            __tablename__ = "users"
            __table_args__ = {"info": {"schema_guard": {"shared": True}}}
            nickname: Mapped[str]


        class Session(Base):
            __tablename__ = "sessions"
            __table_args__ = {"info": {"schema_guard": {"shared": True}}}
            id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
            user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
        """)
    assert check(tmp_path, ["users.py"], [], "source") == [("SG301", "users.py", 8)]


# --- 6. the metadata reader imports what the source reader sees ----------------------------------------------------
def test_namespace_sub_packages_are_imported_and_a_skipped_model_file_is_a_finding(
    tmp_path: Path, isolated_models: None
) -> None:
    write(tmp_path, "campus/__init__.py", "")
    write(tmp_path, "campus/core.py", STUDENTS)
    write(tmp_path, "campus/exams/models.py", """
        import uuid

        from sqlmodel import Field, SQLModel


        class Exam(SQLModel, table=True):
            __tablename__ = "exams"
            id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
            student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
        """)
    write(tmp_path, "campus/grading/grades.py", """
        import uuid

        from sqlmodel import Field, SQLModel


        class Grade(SQLModel, table=True):
            __tablename__ = "grades"
            id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
            student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
            exam_id: uuid.UUID = Field(foreign_key="exams.id")
        """)
    write(tmp_path, "campus/grading/run-report.py", "from sqlmodel import SQLModel\n")
    write(tmp_path, "campus/scripts/cli.py", "raise SystemExit('a script, not a model module')\n")
    assert check(tmp_path, ["campus"], ["campus"], "metadata") == [("SG002", "run-report.py", 1)]


# --- 7. JSON that is JSONB on PostgreSQL ---------------------------------------------------------------------------
@BOTH
def test_json_types_that_are_jsonb_on_postgresql(tmp_path: Path, reader: str, isolated_models: None) -> None:
    write(tmp_path, "json_models.py", STUDENTS + '''

from typing import Any

from sqlalchemy import JSON, Column
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeDecorator

PORTABLE_JSON = JSON().with_variant(postgresql.JSONB(), "postgresql")


class JSONDocument(TypeDecorator):
    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.JSONB())
        return dialect.type_descriptor(JSON())


class PlainJSON(TypeDecorator):
    impl = JSON
    cache_ok = True


class Profile(SQLModel, table=True):
    __tablename__ = "profiles"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    settings: dict = Field(default_factory=dict, sa_column=Column(JSONDocument, nullable=False))
    extra: dict = Field(default_factory=dict, sa_type=PORTABLE_JSON)
    inline: dict = Field(default_factory=dict, sa_type=JSON().with_variant(postgresql.JSONB(), "postgresql"))
    raw: dict = Field(default_factory=dict, sa_column=Column(PlainJSON, nullable=False))
''')
    assert check(tmp_path, ["json_models.py"], ["json_models"], reader) == [("SG505", "json_models.py", 44)]


# --- 8. duplicate table names --------------------------------------------------------------------------------------
def test_duplicate_table_names_are_reported_and_each_file_keeps_its_classes(tmp_path: Path) -> None:
    for package, other in (("billing", "Invoice"), ("crm", "Contact")):
        write(tmp_path, f"{package}/__init__.py", "")
        write(tmp_path, f"{package}/models.py", STUDENTS.replace("import relationship", "import relationship  # noqa") + f'''
    items: list["{other}"] = Relationship(back_populates="student")


class {other}(SQLModel, table=True):
    __tablename__ = "{other.lower()}s"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    student: Optional[Student] = Relationship(back_populates="items")
''')
    config = parse_config({"src": ["billing", "crm"]}, root=tmp_path)
    findings = run_check(config, use_metadata=False, decider=_decider(config)).findings
    assert [(f.code, Path(f.path or "").parent.name, f.line) for f in findings] == [("SG406", "crm", 8)]
    assert "class Student defines table 'students', which class Student at" in findings[0].message


# --- 9. files written for a newer Python, BOM and coding cookies ---------------------------------------------------
def test_files_in_newer_syntax_or_other_encodings_are_read(tmp_path: Path) -> None:
    write(tmp_path, "modern.py", '''
        import uuid

        from sqlmodel import Field, SQLModel

        type Key = uuid.UUID


        class Repository[T]:
            def label(self, row: dict[str, str]) -> str:
                return f"{row["name"]!r}"


        def first[T](items: list[T]) -> T:
            try:
                return items[0]
            except IndexError, KeyError:
                raise


        class Student(SQLModel, table=True):
            __tablename__ = "students"
            id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
            nickname: str = Field(default=f"{"anonymous"}")
        ''')
    (tmp_path / "bom.py").write_bytes(
        "\ufeffimport uuid\nfrom sqlmodel import Field, SQLModel\n\n\nclass Subject(SQLModel, table=True):\n"
        '    __tablename__ = "subjects"\n    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)\n'
        .encode("utf-8")
    )
    (tmp_path / "latin.py").write_bytes(
        "# -*- coding: latin-1 -*-\nimport uuid\nfrom sqlmodel import Field, SQLModel\n\n\n"
        "class Caf\xe9(SQLModel, table=True):\n    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)\n"
        .encode("latin-1")
    )
    facts = read_source([tmp_path / "modern.py", tmp_path / "bom.py", tmp_path / "latin.py"])
    assert facts.problems == []
    assert [(t.name, t.location.line) for t in facts.tables] == [("students", 20), ("subjects", 5), ("café", 6)]
    nickname = facts.table("students").column("nickname")  # type: ignore[union-attr]
    assert nickname is not None and nickname.python_default == "<literal>"


def test_a_file_that_is_not_python_on_any_version_is_still_sg001(tmp_path: Path) -> None:
    write(tmp_path, "broken.py", "from sqlmodel import SQLModel\nclass Exam(SQLModel, table=True)\n    id: int\n")
    facts = read_source([tmp_path / "broken.py"])
    assert [(p.code, p.line) for p in facts.problems] == [("SG001", 2)]


# --- 10. messages name real classes --------------------------------------------------------------------------------
@BOTH
def test_sg402_names_the_class_the_other_side_points_at(tmp_path: Path, reader: str, isolated_models: None) -> None:
    """The metadata reader once printed ``Note.student points at Course>`` (a class's repr, cut at a dot)."""
    write(tmp_path, "pointing_models.py", STUDENTS + '''
    notes: list["Note"] = Relationship(back_populates="student")


class Course(SQLModel, table=True):
    __tablename__ = "courses"
    __table_args__ = {"info": {"schema_guard": {"shared": True}}}
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    notes: list["Note"] = Relationship(back_populates="student")


class Note(SQLModel, table=True):
    __tablename__ = "notes"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    course_id: uuid.UUID = Field(foreign_key="courses.id")
    student: Optional[Course] = Relationship(back_populates="notes")
''')
    models = ["pointing_models"] if reader == "metadata" else []
    config = parse_config({"src": ["pointing_models.py"], "models": models}, root=tmp_path)
    result = run_check(config, use_source=reader == "source", use_metadata=reader == "metadata", decider=_decider(config))
    messages = sorted(f.message for f in result.findings if f.code == "SG402")
    assert messages[0].startswith('Student.notes: back_populates="student" but Note.student points at Course; ')


def test_relationship_options_the_reader_cannot_see_are_not_judged(tmp_path: Path) -> None:
    """``relationship("X", **common)`` may carry ``back_populates``/``viewonly``: no SG401 guessed; a one-way
    relationship, or one whose other side is paired with another attribute, has nothing to keep in sync."""
    write(tmp_path, "options_models.py", STUDENTS + '''
    essays: list["Essay"] = Relationship(sa_relationship=relationship("Essay", **COMMON))
    drafts: list["Essay"] = Relationship(back_populates="author")
    reviewed: list["Essay"] = Relationship()


COMMON = {"back_populates": "student", "cascade": "all, delete-orphan"}


class Essay(SQLModel, table=True):
    __tablename__ = "essays"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    author_id: uuid.UUID = Field(foreign_key="students.id")
    student: Optional[Student] = Relationship(sa_relationship=relationship("Student", **{"back_populates": "essays"}))
    author: Optional[Student] = Relationship(
        back_populates="drafts", sa_relationship_kwargs={"foreign_keys": "Essay.author_id"}
    )
''')
    assert [code for code, _, _ in check(tmp_path, ["options_models.py"], [], "source")] == []


@BOTH
def test_relationships_over_different_foreign_keys_are_not_two_sides_of_one(
    tmp_path: Path, reader: str, isolated_models: None
) -> None:
    write(tmp_path, "join_models.py", '''
import uuid
from typing import Optional

from sqlalchemy import ForeignKey
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Run(Base):
    __tablename__ = "runs"
    __table_args__ = {"info": {"schema_guard": {"shared": True}}}
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    state_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("run_states.id", use_alter=True))
    state: Mapped[Optional["RunState"]] = relationship(foreign_keys=[state_id])


class RunState(Base):
    __tablename__ = "run_states"
    __table_args__ = {"info": {"schema_guard": {"shared": True}}}
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("runs.id"))
    run: Mapped[Run] = relationship(foreign_keys=[run_id])
''')
    assert [code for code, _, _ in check(tmp_path, ["join_models.py"], ["join_models"], reader)] == ["SG301"]


@BOTH
def test_a_declared_attr_that_returns_a_column_or_synonym_is_read(
    tmp_path: Path, reader: str, isolated_models: None
) -> None:
    """A base's ``@declared_attr`` that returns one expression is read as what it declares, so the tables keep
    their checks; only a declared attribute the reader cannot follow hides the table's columns."""
    write(tmp_path, "declared_models.py", '''
import uuid

from sqlalchemy import ForeignKey
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, synonym


class Base(DeclarativeBase):
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    created: Mapped[int] = mapped_column(default=0)

    @declared_attr
    def created_at(cls) -> Mapped[int]:
        return synonym("created")


class Student(Base):
    __tablename__ = "students"


class TenantMixin:
    @declared_attr
    def student_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(ForeignKey("students.id"))


class Exam(TenantMixin, Base):
    __tablename__ = "exams"


class Note(Base):
    __tablename__ = "notes"
''')
    reported = check(tmp_path, ["declared_models.py"], ["declared_models"], reader)
    assert reported == [
        ("SG201", "declared_models.py", 30),
        ("SG203", "declared_models.py", 22),
        ("SG301", "declared_models.py", 7),
    ]


def test_a_computed_back_populates_is_not_judged(tmp_path: Path) -> None:
    write(tmp_path, "computed_rel.py", STUDENTS + '''
    essays: list["Essay"] = Relationship(back_populates="student")


class Essay(SQLModel, table=True):
    __tablename__ = "essays"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    student: Optional[Student] = Relationship(sa_relationship=relationship("Student", back_populates=plural("essay")))


def plural(name: str) -> str:
    return name + "s"
''')
    assert check(tmp_path, ["computed_rel.py"], [], "source") == []


@BOTH
def test_a_base_that_prefixes_table_names_in_init_subclass(
    tmp_path: Path, reader: str, isolated_models: None
) -> None:
    """A base whose ``__init_subclass__`` rewrites ``cls.__tablename__`` (a configurable prefix) names every table
    at import time: the source reader does not know the names, so it reports nothing that depends on them (the
    tenant anchor, shared tables, foreign-key targets: SG201, SG702 on a table that may be declared shared), while
    the metadata reader judges the real, prefixed tables."""
    write(tmp_path, "prefixed_models.py", '''
import uuid

from sqlalchemy import JSON, ForeignKey
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

PREFIX = "app_"


class Base(DeclarativeBase):
    def __init_subclass__(cls) -> None:
        cls.__tablename__ = PREFIX + cls.__tablename__
        super().__init_subclass__()


class Student(Base):
    __tablename__ = "students"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class Exam(Base):
    __tablename__ = "exams"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(Student.id), index=True)


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(Student.id), index=True)
    body: Mapped[dict] = mapped_column(JSON)
''')
    write(tmp_path, "prefixed_app.py", '''
from sqlalchemy import select
from sqlalchemy.orm import Session

from prefixed_models import Note


def notes(session: Session) -> list[Note]:
    return list(session.scalars(select(Note)))
''')
    reported = check(tmp_path, ["prefixed_models.py", "prefixed_app.py"], ["prefixed_models"], reader,
                     **{"tenant-table": "app_students", "tenant-column": "student_id", "shared-tables": ["app_notes"]})
    assert reported == [("SG301", "prefixed_models.py", 9), ("SG505", "prefixed_models.py", 30)]
    # both readers together: each finding once, on the real table
    config = parse_config({"src": ["prefixed_models.py"], "models": ["prefixed_models"], "tenant-table": "app_students",
                           "tenant-column": "student_id", "shared-tables": ["app_notes"]}, root=tmp_path)
    both = run_check(config, use_source=True, use_metadata=True, decider=_decider(config)).findings
    assert sorted((f.code, f.table) for f in both) == [("SG301", None), ("SG505", "app_notes")]


def test_a_response_schema_named_like_its_table_model_is_not_the_table_model(tmp_path: Path) -> None:
    """``response_model=schemas.exam.Exam`` (a pydantic schema that shares the table model's class name, in its
    own module) is the schema FastAPI uses, whatever the route's return annotation says; only the table model
    itself as body or response model is SG704."""
    write(tmp_path, "app/__init__.py", "")
    write(tmp_path, "app/models.py", STUDENTS + '''

class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
''')
    write(tmp_path, "app/schemas/__init__.py", "from app.schemas import exam\n")
    write(tmp_path, "app/schemas/exam.py", '''
import uuid

from pydantic import BaseModel


class Exam(BaseModel):
    id: uuid.UUID
''')
    write(tmp_path, "app/routes.py", '''
from fastapi import APIRouter

from app import schemas
from app.models import Exam

router = APIRouter()


@router.get("/exams/{exam_id}", response_model=schemas.exam.Exam)
def read_exam(exam_id: str) -> Exam:
    ...


@router.get("/exams")
def list_exams() -> list[schemas.exam.Exam]:
    ...


@router.get("/raw/{exam_id}", response_model=Exam)
def read_raw(exam_id: str) -> None:
    ...
''')
    assert check(tmp_path, ["app"], [], "source") == [("SG704", "routes.py", 19)]


@BOTH
def test_type_decorators_judged_by_what_postgresql_gets(tmp_path: Path, reader: str, isolated_models: None) -> None:
    """A portable key type (``impl`` a CHAR, ``load_dialect_impl`` UUID on PostgreSQL) is no SG101, and a timestamp
    decorator built with ``timezone=True`` passes it to its ``impl``: no SG504. Without those arguments it is naive."""
    write(tmp_path, "typed_models.py", STUDENTS + '''

from datetime import datetime
from typing import Any

from sqlalchemy import CHAR, TIMESTAMP, Column
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeDecorator


class PortableKey(TypeDecorator):
    class KeyChars(CHAR):
        pass

    impl = KeyChars
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.UUID())
        return dialect.type_descriptor(CHAR(36))


class Stamp(TypeDecorator):
    impl = TIMESTAMP
    cache_ok = True


class Visit(SQLModel, table=True):
    __tablename__ = "visits"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_column=Column(PortableKey, primary_key=True))
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    seen_at: datetime = Field(sa_column=Column(Stamp(timezone=True), nullable=False))
    left_at: datetime = Field(sa_column=Column(Stamp(), nullable=False))
''')
    assert check(tmp_path, ["typed_models.py"], ["typed_models"], reader) == [("SG504", "typed_models.py", 44)]


@BOTH
def test_a_non_native_enum_is_a_varchar_for_foreign_keys(tmp_path: Path, reader: str, isolated_models: None) -> None:
    """``Enum(..., native_enum=False)`` (and SQLAlchemy's mapping of ``Mapped[Literal[...]]``) is a VARCHAR on
    PostgreSQL: a composite foreign key from it to a VARCHAR discriminator is no SG104."""
    write(tmp_path, "kind_models.py", '''
import uuid
from typing import Literal

from sqlalchemy import Enum, ForeignKeyConstraint, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (UniqueConstraint("id", "kind"), {"info": {"schema_guard": {"shared": True}}})
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String)


class PromptJob(Base):
    __tablename__ = "prompt_jobs"
    __table_args__ = (
        ForeignKeyConstraint(["id", "kind"], ["jobs.id", "jobs.kind"]),
        ForeignKeyConstraint(["id", "label"], ["jobs.id", "jobs.kind"]),
        {"info": {"schema_guard": {"shared": True}}},
    )
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[Literal["PROMPT"]] = mapped_column(default="PROMPT")
    label: Mapped[str] = mapped_column(Enum("PROMPT", "EVAL", native_enum=False))
''')
    assert check(tmp_path, ["kind_models.py"], ["kind_models"], reader) == [("SG301", "kind_models.py", 8)]


DECLARATIVE_STUDENTS = '''

class Base(DeclarativeBase):
    pass


class Student(Base):
    __tablename__ = "students"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
'''
"""A plain SQLAlchemy declarative base and the tenant anchor (needs ``uuid``, ``DeclarativeBase``, ``Mapped`` and
``mapped_column`` imported before it)."""


@BOTH
@pytest.mark.parametrize("future", ["", "from __future__ import annotations\n"], ids=["objects", "strings"])
def test_a_plain_sqlalchemy_annotation_that_hides_a_nullable_column(
    tmp_path: Path, reader: str, future: str, isolated_models: None
) -> None:
    """``Mapped[str]`` over ``nullable=True`` is SG507 for plain SQLAlchemy classes too: the metadata reader reads
    the ``Mapped[...]`` annotation (evaluated or, under postponed annotations, as text), so a full check keeps the
    finding instead of discarding the source reader's as unconfirmed."""
    write(tmp_path, "mapped_models.py", future + '''
import uuid
from typing import Optional, Union

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
''' + DECLARATIVE_STUDENTS + '''

class Essay(Base):
    __tablename__ = "essays"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id"), index=True)
    title: Mapped[str] = mapped_column(Text, nullable=True)
    summary: Mapped[Optional[str]] = mapped_column(Text, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    remark: Mapped[Union[str, None]] = mapped_column(Text, nullable=True)
    quoted: Mapped["str | None"] = mapped_column(Text, nullable=True)
''')
    shift = 2 if future else 0  # the future import and the blank line after it
    reported = check(tmp_path, ["mapped_models.py"], ["mapped_models"], reader)
    assert reported == [("SG301", "mapped_models.py", 8 + shift), ("SG507", "mapped_models.py", 21 + shift)]


@BOTH
def test_a_lambda_that_calls_a_naive_clock(tmp_path: Path, reader: str, isolated_models: None) -> None:
    """``default=lambda: datetime.now()`` fills a timestamptz column with a naive datetime in both readers (the
    metadata reader reads the lambda's code); a lambda that passes a time zone is fine."""
    write(tmp_path, "clock_models.py", '''
import datetime as dt
import uuid
from datetime import datetime, timezone

from sqlalchemy import TIMESTAMP, ForeignKey
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
''' + DECLARATIVE_STUDENTS + '''

class Review(Base):
    __tablename__ = "reviews"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id"), index=True)
    seen_at: Mapped[datetime] = mapped_column(TIMESTAMP(timezone=True), default=lambda: datetime.now())
    read_at: Mapped[datetime] = mapped_column(TIMESTAMP(timezone=True), default=lambda: dt.datetime.now())
    done_at: Mapped[datetime] = mapped_column(TIMESTAMP(timezone=True), default=lambda: datetime.now(timezone.utc))
''')
    reported = check(tmp_path, ["clock_models.py"], ["clock_models"], reader)
    assert reported == [("SG301", "clock_models.py", 9), ("SG504", "clock_models.py", 22), ("SG504", "clock_models.py", 23)]


def test_a_model_copied_into_a_revision_script_is_not_an_application_table(tmp_path: Path) -> None:
    """A data migration often declares its own ``Base`` and a frozen copy of a model; with the migrations folder
    inside ``src`` that copy is no second definition of the table (SG406) and no declarative model (SG301), and its
    queries are not application code (SG702): a data migration reads every tenant's rows by design."""
    write(tmp_path, "app/__init__.py", "")
    write(tmp_path, "app/models.py", STUDENTS + '''


class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
''')
    write(tmp_path, "app/migrations/versions/0002_backfill.py", '''
import uuid

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

revision = "0002"
down_revision = "0001"


class Base(DeclarativeBase):
    pass


class Exam(Base):
    __tablename__ = "exams"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    student_id: Mapped[uuid.UUID] = mapped_column()


def upgrade() -> None:
    session = Session(bind=op.get_bind())
    for exam in session.scalars(sa.select(Exam)):
        exam.student_id = exam.student_id


def downgrade() -> None:
    pass
''')
    assert check(tmp_path, ["app"], [], "source") == []


def test_a_computed_table_name_with_the_tenant_column_is_still_judged_by_sg702(tmp_path: Path) -> None:
    """Names computed by a helper (``@declared_attr`` returning ``snake(cls.__name__)``) are unknown to the source
    reader, but a table that carries the tenant column is neither the anchor nor, with no shared table named in the
    configuration, a shared one: an unfiltered query on it is still SG702. A configured shared table could be any
    such table, so then the reader stays silent."""
    write(tmp_path, "computed_models.py", '''
import re
import uuid

from sqlalchemy import ForeignKey, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, declared_attr, mapped_column


def snake(name: str) -> str:
    return "_".join(part.lower() for part in re.split("(?=[A-Z])", name) if part)


class Base(DeclarativeBase):
    @declared_attr.directive
    def __tablename__(cls) -> str:
        return snake(cls.__name__)


class Student(Base):
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class ExamScore(Base):
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("student.id"), index=True)


def scores(session: Session) -> list[ExamScore]:
    return list(session.scalars(select(ExamScore)))
''')
    anchored = {"tenant-table": "student"}
    assert ("SG702", "computed_models.py", 28) in check(tmp_path, ["computed_models.py"], [], "source", **anchored)
    shared = check(tmp_path, ["computed_models.py"], [], "source", **anchored, **{"shared-tables": ["exam_score"]})
    assert "SG702" not in [code for code, _, _ in shared]


def test_a_membership_subquery_that_selects_only_the_tenant_column(tmp_path: Path) -> None:
    """``Exam.student_id.in_(select(Enrolment.student_id).where(Enrolment.user_id == user_id))``: the subquery
    computes the tenants a user may see, so it is the scope, not an unscoped read (SG702); a subquery that selects
    another column of a tenant-scoped table is still judged."""
    write(tmp_path, "member_app.py", STUDENTS + '''


class Enrolment(SQLModel, table=True):
    __tablename__ = "enrolments"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    user_id: uuid.UUID = Field(index=True)


class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)


def visible_exams(session, user_id: uuid.UUID, student_id: uuid.UUID) -> list[Exam]:
    return session.exec(select(Exam).where(
        Exam.student_id == student_id,
        Exam.student_id.in_(select(Enrolment.student_id).where(Enrolment.user_id == user_id)),
    )).all()


def leaky_exams(session, user_id: uuid.UUID, student_id: uuid.UUID) -> list[Exam]:
    return session.exec(select(Exam).where(
        Exam.student_id == student_id,
        Exam.id.in_(select(Enrolment.id).where(Enrolment.user_id == user_id)),
    )).all()
''')
    write(tmp_path, "member_app.py", (tmp_path / "member_app.py").read_text().replace(
        "from sqlmodel import Field, Relationship, SQLModel", "from sqlmodel import Field, Relationship, SQLModel, select"))
    assert [(code, line) for code, _, line in check(tmp_path, ["member_app.py"], [], "source")] == [("SG702", 37)]


def test_a_key_in_the_narrowed_columns_of_a_helper_statement_is_not_judged(tmp_path: Path) -> None:
    """``Attempt.exam_id.in_(readable.with_only_columns(Exam.id))`` where ``readable`` comes from a helper: the
    helper's filter is out of the reader's sight, so the statement is not reported (SG702); a plain list of keys
    from the caller still is."""
    write(tmp_path, "narrow_app.py", STUDENTS.replace(
        "from sqlmodel import Field, Relationship, SQLModel", "from sqlmodel import Field, Relationship, SQLModel, select"
    ) + '''


class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)


class Attempt(SQLModel, table=True):
    __tablename__ = "attempts"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    exam_id: uuid.UUID = Field(foreign_key="exams.id", index=True)


def readable_exams(student_id: uuid.UUID):
    return select(Exam).where(Exam.student_id == student_id)


def attempts(session, student_id: uuid.UUID) -> list[Attempt]:
    readable = readable_exams(student_id)
    return session.exec(select(Attempt).where(Attempt.exam_id.in_(readable.with_only_columns(Exam.id)))).all()


def chosen(session, ids: list[uuid.UUID]) -> list[Attempt]:
    return session.exec(select(Attempt).where(Attempt.exam_id.in_(ids))).all()
''')
    assert [(code, line) for code, _, line in check(tmp_path, ["narrow_app.py"], [], "source")] == [("SG702", 37)]
