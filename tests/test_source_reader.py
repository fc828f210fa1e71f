"""The source reader: the facts it produces for representative models, read without importing them — and, for
the models that SQLModel can import, the same columns, keys, types and nullability that SQLAlchemy builds."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from schema_guard.facts import Location, SchemaFacts
from schema_guard.readers.source import read_source
from schema_guard.column_keywords import COLUMN_KEYWORDS
from schema_guard.tenancy import TableScope, TenantPolicy

REPO_ROOT = Path(__file__).resolve().parent.parent


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def read(folder: Path, text: str, name: str = "models.py") -> SchemaFacts:
    return read_source([write(folder, name, text)])


STUDENTS = '''
import uuid
from datetime import datetime
from typing import Optional

from sqlmodel import Field, Relationship, SQLModel


class Student(SQLModel, table=True):
    __tablename__ = "students"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(unique=True, index=True, max_length=200)
    nickname: Optional[str] = None
    joined: datetime = Field(default_factory=datetime.utcnow)
    essays: list["Essay"] = Relationship(back_populates="student")


class Essay(SQLModel, table=True):
    id: Optional[uuid.UUID] = Field(default=None, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    title: str | None = Field(default=None, nullable=False)
    student: Optional[Student] = Relationship(back_populates="essays")
'''


def test_columns_keys_and_types_of_a_plain_model(tmp_path: Path) -> None:
    facts = read(tmp_path, STUDENTS)
    students, essays = facts.tables
    assert (students.name, students.class_name, students.primary_key) == ("students", "Student", ("id",))
    assert students.location == Location(str(tmp_path / "models.py"), 8, 1)
    assert [(c.name, c.type, c.nullable) for c in students.columns] == [
        ("id", "UUID", False), ("email", "VARCHAR", False), ("nickname", "VARCHAR", True), ("joined", "TIMESTAMP", False),
    ]  # fmt: skip
    id_column = students.column("id")
    assert id_column is not None and id_column.python_default == "uuid.uuid4"
    assert id_column.location == Location(str(tmp_path / "models.py"), 11, 5)
    joined = students.column("joined")
    assert joined is not None and joined.python_default == "datetime.datetime.utcnow" and joined.timezone is True
    # column-level index=True + unique=True is one unique index, named the way SQLAlchemy names it
    assert [(i.name, i.columns, i.unique) for i in students.indexes] == [("ix_students_email", ("email",), True)]
    assert students.uniques == []

    assert essays.name == "essay", "SQLModel's default table name is the class name lower-cased"
    assert essays.column("id").nullable is False, "a primary key is NOT NULL even when annotated Optional"  # type: ignore[union-attr]
    title = essays.column("title")
    assert title is not None and title.nullable is False
    assert title.syntax is not None and title.syntax.annotation == "str | None" and title.syntax.annotation_optional
    assert title.syntax.explicit_nullable is False
    [fk] = essays.foreign_keys
    assert (fk.columns, fk.target_table, fk.target_columns, fk.location.line) == (("student_id",), "students", ("id",), 20)
    assert essays.leading_index_columns() == {"id", "student_id"}


def test_relationships_read_their_target_side_and_list_ness(tmp_path: Path) -> None:
    facts = read(tmp_path, STUDENTS)
    by_attribute = {r.attribute: r for r in facts.relationships}
    essays, student = by_attribute["essays"], by_attribute["student"]
    assert (essays.owner_class, essays.target_class, essays.back_populates, essays.is_list) == (
        "Student", "Essay", "student", True,
    )  # fmt: skip
    assert (student.target_class, student.is_list, student.owner_table) == ("Student", False, "essay")
    assert student.location.line == 22
    assert not any(c.name in {"essays", "student"} for t in facts.tables for c in t.columns)


def test_link_model_and_forward_references(tmp_path: Path) -> None:
    facts = read(
        tmp_path,
        '''
        import uuid
        from typing import List, Optional
        from sqlmodel import Field, Relationship, SQLModel

        class Membership(SQLModel, table=True):
            student_id: uuid.UUID = Field(foreign_key="students.id", primary_key=True)
            club_id: uuid.UUID = Field(foreign_key="club.id", primary_key=True)

        class Club(SQLModel, table=True):
            id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
            members: List["Student"] = Relationship(back_populates="clubs", link_model=Membership)
            owner: "Optional[Student]" = Relationship()
        ''',
    )
    members, owner = facts.relationships
    assert (members.link_model, members.is_list, members.target_class) == ("Membership", True, "Student")
    assert (owner.target_class, owner.is_list, owner.back_populates) == ("Student", False, None)
    assert facts.table("membership").primary_key == ("student_id", "club_id")  # type: ignore[union-attr]


def test_mixins_and_bases_from_context_files_lend_their_fields(tmp_path: Path) -> None:
    write(tmp_path, "app/__init__.py", "")
    mixins = write(
        tmp_path,
        "app/mixins.py",
        '''
        import uuid
        from sqlmodel import Field, SQLModel


        class TenantMixin(SQLModel):
            student_id: uuid.UUID = Field(foreign_key="students.id", index=True)


        class Student(SQLModel, table=True):
            __tablename__ = "students"
            id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
        ''',
    )
    models = write(
        tmp_path,
        "app/exams.py",
        '''
        import uuid
        from sqlmodel import Field

        from .mixins import TenantMixin


        class Exam(TenantMixin, table=True):
            __tablename__ = "exams"
            id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
        ''',
    )
    facts = read_source([models], context_files=[mixins, models])
    assert [t.name for t in facts.tables] == ["exams"], "context files are not reported on"
    assert facts.known_tables == {"students"}
    exam = facts.tables[0]
    assert [c.name for c in exam.columns] == ["student_id", "id"], "inherited fields come first, as in pydantic"
    tenant = exam.column("student_id")
    assert tenant is not None and tenant.location == Location(str(mixins), 6, 5), "located at the mixin's field"
    assert [fk.target_table for fk in exam.foreign_keys] == ["students"]
    assert exam.indexes[0].columns == ("student_id",)
    [exam_class] = facts.classes
    assert exam_class.bases == ("app.mixins.TenantMixin",)

    alone = read_source([models])
    assert [c.name for c in alone.tables[0].columns] == ["id"], "without context the mixin is unknown, not guessed"


def test_import_aliases_are_resolved_once_for_every_spelling(tmp_path: Path) -> None:
    facts = read(
        tmp_path,
        '''
        import uuid as u
        import sqlmodel as sm
        import sqlalchemy as sa
        from sqlmodel import Field as F, Relationship as R
        from sqlalchemy.dialects.postgresql import JSONB
        from sqlalchemy.dialects import postgresql as pg

        class Doc(sm.SQLModel, table=True):
            id: u.UUID = F(default_factory=u.uuid4, primary_key=True)
            body: dict = sm.Field(default_factory=dict, sa_type=JSONB)
            raw: dict = F(default_factory=dict, sa_type=sa.JSON)
            tags: list[str] = F(default_factory=list, sa_type=pg.ARRAY(sa.Text))
            when: str = F(sa_column=sa.Column(sa.DateTime(timezone=True)))
            parent: "Doc" = R()
        ''',
    )
    doc = facts.tables[0]
    assert [(c.name, c.type) for c in doc.columns] == [
        ("id", "UUID"), ("body", "JSONB"), ("raw", "JSON"), ("tags", "ARRAY"), ("when", "TIMESTAMP"),
    ]  # fmt: skip
    assert doc.column("id").python_default == "uuid.uuid4"  # type: ignore[union-attr]
    assert doc.column("when").timezone is True  # type: ignore[union-attr]
    assert [r.attribute for r in facts.relationships] == ["parent"]


def test_sa_column_forms_and_the_spellings_sqlmodel_refuses(tmp_path: Path) -> None:
    facts = read(
        tmp_path,
        '''
        import uuid
        from typing import Optional
        from sqlalchemy import Column, DateTime, ForeignKey, String, func, text
        from sqlalchemy.dialects.postgresql import UUID
        from sqlmodel import Field, SQLModel

        class Essay(SQLModel, table=True):
            id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")))
            author_id: Optional[uuid.UUID] = Field(sa_column=Column("author", ForeignKey("students.id"), index=True))
            title: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
            created: Optional[str] = Field(sa_column=Column(DateTime, server_default=func.now()))
            bad: str = Field(sa_column=Column(String), nullable=False, index=True)
            score: int = Field(default=0, sa_column_kwargs={"check": "score > 0", "type_": None, "comment": "ok"})
            grade: int = Field(default=0, sa_column_kwargs={"nullable": True, "server_default": "0"})
            mood: Optional[str] = Field(default=None, sa_column=Column(String, nullable=False, bogus=1))
        ''',
    )
    essay = facts.tables[0]
    assert essay.primary_key == ("id",)
    assert essay.column("id").server_default == "gen_random_uuid()"  # type: ignore[union-attr]
    author = essay.column("author")
    assert author is not None and author.attribute == "author_id" and author.nullable is True
    assert author.type == "UNKNOWN", "the type of Column(ForeignKey(...)) comes from a table outside this file"
    assert [(fk.columns, fk.target_table) for fk in essay.foreign_keys] == [(("author",), "students")]
    assert [i.name for i in essay.indexes] == ["ix_essay_author"]
    assert [u.columns for u in essay.uniques] == [("title",)]
    created = essay.column("created")
    assert created is not None and created.timezone is False and created.server_default == "now()"
    bad = essay.column("bad")
    assert bad is not None and bad.syntax is not None and bad.syntax.sa_column_conflicts == ("nullable", "index")
    score = essay.column("score")
    assert score is not None and score.syntax is not None and score.syntax.unknown_column_kwargs == ("check", "type_")
    grade = essay.column("grade")
    assert grade is not None and grade.nullable is True and grade.syntax.explicit_nullable is True  # type: ignore[union-attr]
    mood = essay.column("mood")
    assert mood is not None and mood.nullable is False and mood.syntax.unknown_column_kwargs == ("bogus",)  # type: ignore[union-attr]
    assert mood.syntax.explicit_nullable is False and mood.syntax.uses_sa_column  # type: ignore[union-attr]


def test_sa_column_foreign_key_takes_the_referenced_type(tmp_path: Path) -> None:
    facts = read(
        tmp_path,
        '''
        import uuid
        from sqlalchemy import Column, ForeignKey
        from sqlmodel import Field, SQLModel

        class Student(SQLModel, table=True):
            __tablename__ = "students"
            id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)

        class Exam(SQLModel, table=True):
            id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
            student_id: uuid.UUID = Field(sa_column=Column(ForeignKey("students.id"), nullable=False, index=True))
        ''',
    )
    assert facts.table("exam").column("student_id").type == "UUID"  # type: ignore[union-attr]


def test_table_args_forms(tmp_path: Path) -> None:
    facts = read(
        tmp_path,
        '''
        import uuid
        import sqlalchemy as sa
        from sqlalchemy import Index, UniqueConstraint, CheckConstraint, ForeignKeyConstraint, PrimaryKeyConstraint
        from sqlmodel import Field, SQLModel

        SHARED = {"info": {"schema_guard": {"shared": True}}}

        class Subject(SQLModel, table=True):
            __tablename__ = "subjects"
            __table_args__ = SHARED
            id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
            code: str

        class Question(SQLModel, table=True):
            __tablename__ = "questions"
            __table_args__ = {"comment": "reference data", "info": {"schema_guard": {"shared": True}}}
            id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)

        class Attempt(SQLModel, table=True):
            __tablename__ = "attempts"
            __table_args__ = (
                Index("ix_attempts_student_exam", "student_id", "exam_id"),
                sa.Index("ix_attempts_lower", sa.text("lower(note)"), unique=True),
                UniqueConstraint("student_id", "number", name="uq_attempts_number"),
                CheckConstraint("number > 0"),
                ForeignKeyConstraint(["student_id", "exam_id"], ["exams.student_id", "exams.id"], name="fk_exam"),
                PrimaryKeyConstraint("student_id", "number"),
                {"info": {"owner": "grading"}},
            )
            student_id: uuid.UUID
            exam_id: uuid.UUID
            number: int
            note: str
        ''',
    )
    assert facts.table("subjects").declared_shared and facts.table("questions").declared_shared  # type: ignore[union-attr]
    attempts = facts.table("attempts")
    assert attempts is not None and not attempts.declared_shared
    assert [(i.name, i.columns, i.unique, i.location.line) for i in attempts.indexes] == [
        ("ix_attempts_student_exam", ("student_id", "exam_id"), False, 22),
        ("ix_attempts_lower", ("lower(note)",), True, 23),
    ]
    assert attempts.indexes[0].location.column == 9, "an index is located at its Index( call"
    assert [(u.name, u.columns) for u in attempts.uniques] == [("uq_attempts_number", ("student_id", "number"))]
    [fk] = attempts.foreign_keys
    assert (fk.name, fk.columns, fk.target_table, fk.target_columns) == (
        "fk_exam", ("student_id", "exam_id"), "exams", ("student_id", "id"),
    )  # fmt: skip
    assert attempts.primary_key == ("student_id", "number")


def test_non_table_models_are_classes_not_tables(tmp_path: Path) -> None:
    facts = read(
        tmp_path,
        '''
        import enum
        from sqlmodel import SQLModel

        class Level(str, enum.Enum):
            low = "low"

        class StudentRead(SQLModel):
            name: str
            level: Level
        ''',
    )
    assert facts.tables == []
    assert [(c.name, c.is_table) for c in facts.classes] == [("Level", False), ("StudentRead", False)]
    assert facts.classes[1].bases == ("sqlmodel.SQLModel",)


def test_unannotated_field_is_still_a_column(tmp_path: Path) -> None:
    facts = read(
        tmp_path,
        '''
        from sqlmodel import Field, SQLModel

        class Note(SQLModel, table=True):
            id: int = Field(primary_key=True)
            body = Field(default="")
            LIMIT = 10
            _cache: dict = {}
        ''',
    )
    note = facts.tables[0]
    assert [c.name for c in note.columns] == ["id", "body"]
    body = note.column("body")
    assert body is not None and body.syntax is not None and body.syntax.annotation is None and body.nullable is None


def test_a_file_that_does_not_parse_is_a_problem_and_the_others_are_still_read(tmp_path: Path) -> None:
    broken = write(tmp_path, "broken.py", "from sqlmodel import SQLModel\nclass X(SQLModel, table=True:\n    pass\n")
    good = write(tmp_path, "good.py", STUDENTS)
    facts = read_source([broken, good])
    [problem] = facts.problems
    assert problem.code == "SG001" and problem.severity == "fatal" and problem.reader == "source"
    assert problem.message.startswith("cannot parse: ") and problem.location.path == str(broken)
    assert problem.location.line == 2
    assert [t.name for t in facts.tables] == ["students", "essay"]


def test_files_without_models_are_not_parsed(tmp_path: Path) -> None:
    plain = write(tmp_path, "plain.py", "def f(:\n")  # would not parse, but cannot hold a model
    assert read_source([plain]).problems == []


def test_custom_tenant_column_and_anchor(tmp_path: Path) -> None:
    facts = read(
        tmp_path,
        '''
        import uuid
        from sqlmodel import Field, SQLModel

        class Organization(SQLModel, table=True):
            __tablename__ = "organizations"
            id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)

        class Invoice(SQLModel, table=True):
            __tablename__ = "invoices"
            id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
            organization_id: uuid.UUID = Field(foreign_key="organizations.id", index=True)
        ''',
    )
    policy = TenantPolicy(anchor_table="organizations", tenant_column="organization_id")
    invoices = facts.table("invoices")
    assert invoices is not None
    assert policy.scope(facts.table("organizations"), facts) is TableScope.ANCHOR  # type: ignore[arg-type]
    assert policy.scope(invoices, facts) is TableScope.TENANT
    assert invoices.foreign_keys_of("organization_id")[0].target_table == "organizations"
    assert "organization_id" in invoices.leading_index_columns()
    assert policy.anchor_key_type(facts) == "UUID"


def test_class_facts_resolve_declarative_bases_through_every_import_style(tmp_path: Path) -> None:
    facts = read(
        tmp_path,
        '''
        import sqlalchemy.orm as sao
        from sqlalchemy import orm
        from sqlalchemy.orm import DeclarativeBase as DB, registry, declarative_base
        from sqlalchemy.ext.declarative import declarative_base as legacy_base

        class A(sao.DeclarativeBase): pass
        class B(orm.DeclarativeBase): pass
        class C(DB): pass
        class D(C): pass

        Base = declarative_base()
        Legacy = legacy_base()
        reg = registry()
        Generated = registry().generate_base()

        @reg.mapped
        class E:
            __tablename__ = "e"

        @orm.as_declarative()
        class F: pass

        def configure(cls, table):
            reg.map_imperatively(cls, table)
        ''',
    )
    bases = {c.name: c.bases for c in facts.classes}
    assert bases["A"] == bases["B"] == bases["C"] == ("sqlalchemy.orm.DeclarativeBase",)
    assert bases["D"] == ("models.C",)
    calls = [(m.qualified_name, m.location.line, m.target) for m in facts.mapping_calls]
    assert calls == [
        ("sqlalchemy.orm.declarative_base", 11, None),
        ("sqlalchemy.ext.declarative.declarative_base", 12, None),
        ("sqlalchemy.orm.registry.generate_base", 14, None),
        ("sqlalchemy.orm.registry.mapped", 16, "E"),
        ("sqlalchemy.orm.as_declarative", 20, "F"),
        ("sqlalchemy.orm.registry.map_imperatively", 24, None),  # ``cls`` is a parameter, not a class
    ]


def test_columns_are_counted_in_characters_not_bytes(tmp_path: Path) -> None:
    facts = read(
        tmp_path,
        '''
        from sqlmodel import Field, SQLModel

        class Élève(SQLModel, table=True):
            id: int = Field(primary_key=True); prénom: str = "é"
        ''',
    )
    column = facts.tables[0].column("prénom")
    assert column is not None and column.location.column == 40


def test_column_keywords_match_sqlalchemy_column_signature() -> None:
    """The hard-coded list (the source path never imports SQLAlchemy) is exactly what ``Column`` accepts."""
    import sqlalchemy

    parameters = inspect.signature(sqlalchemy.Column.__init__).parameters.values()
    accepted = {p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert set(COLUMN_KEYWORDS) == accepted


def test_the_source_path_imports_neither_sqlalchemy_nor_sqlmodel_nor_libcst(tmp_path: Path) -> None:
    path = write(tmp_path, "models.py", STUDENTS)
    code = (
        "import sys, json\n"
        "from pathlib import Path\n"
        "from schema_guard.readers.source import read_source\n"
        "from schema_guard.rules.registry import fact_rules\n"
        f"read_source([Path({str(path)!r})]); fact_rules()\n"
        "print(json.dumps([m for m in ('sqlalchemy', 'sqlmodel', 'libcst', 'pydantic') if m in sys.modules]))\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert json.loads(completed.stdout) == []


# --- what the reader cannot see, it does not guess ----------------------------------------------------------


def findings(
    folder: Path, text: str, *, reader: str = "source", name: str = "models_under_test.py"
) -> list[tuple[str, int | None, str | None]]:
    """(code, line, table) of every finding of one reader over one module, through the real pipeline."""
    from schema_guard.config import parse_config
    from schema_guard.decide import Decider
    from schema_guard.engine import run_check

    path = write(folder, name, text)
    settings: dict[str, object] = {"src": [path.name], "models": [path.stem] if reader == "metadata" else []}
    config = parse_config(settings, root=folder)
    result = run_check(
        config, decider=Decider.from_config(config, use_baseline=False),
        use_source=reader == "source", use_metadata=reader == "metadata",
    )
    return sorted((f.code, f.line, f.table) for f in result.findings)


TENANT_HEADER = """
import uuid
from typing import Any, Optional

from sqlalchemy import Index
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, Relationship, SQLModel


class Student(SQLModel, table=True):
    __tablename__ = "students"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
"""


@pytest.mark.parametrize("reader", ["source", "metadata"])
def test_index_first_argument_is_its_name_even_when_none(tmp_path: Path, reader: str, isolated_models: None) -> None:
    """``Index(None, "student_id")`` indexes student_id (SQLAlchemy names it); it is no column called "None"."""
    text = TENANT_HEADER + """

class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    __table_args__ = (Index(None, "student_id"), Index(f"ix_{'exams'}_taken", "taken", "student_id"))
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    taken: int
    student_id: uuid.UUID = Field(foreign_key="students.id")
"""
    assert findings(tmp_path, text, reader=reader) == []
    if reader == "source":
        exams = read_source([tmp_path / "models_under_test.py"]).table("exams")
        assert exams is not None
        indexes = [(i.name, i.columns) for i in exams.indexes]
        assert indexes == [(None, ("student_id",)), ("ix_exams_taken", ("taken", "student_id"))]


HELPERS = TENANT_HEADER.replace("\n\nclass Student", """

def tenant_field() -> Any:
    return Field(foreign_key="students.id", index=True)


def essays_relationship() -> Any:
    return Relationship(back_populates="student")


TENANT = Field(foreign_key="students.id", index=True)


class Student""") + """

class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = tenant_field()


class Essay(SQLModel, table=True):
    __tablename__ = "essays"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = TENANT
    student: Optional[Student] = Relationship(back_populates="essays")
"""


@pytest.mark.parametrize("reader", ["source", "metadata"])
def test_a_helper_that_returns_field_is_opaque_not_a_plain_column(
    tmp_path: Path, reader: str, isolated_models: None
) -> None:
    """``student_id: uuid.UUID = tenant_field()``: no SG202-SG205 guessed from source; the metadata reader agrees.
    ``essays = essays_relationship()`` on the other side: no SG402/SG403 guessed either."""
    text = HELPERS.replace(
        "    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)\n",
        "    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)\n"
        '    essays: list["Essay"] = essays_relationship()\n',
        1,
    )
    assert findings(tmp_path, text, reader=reader) == []
    if reader == "source":
        facts = read_source([tmp_path / "models_under_test.py"])
        column = facts.table("exams").column("student_id")  # type: ignore[union-attr]
        assert column is not None and column.syntax is not None and column.syntax.opaque
        assert (column.type, column.nullable, column.python_default, column.timezone) == ("UUID", None, None, None)
        assert column.syntax.annotation == "uuid.UUID"
        essays = facts.table("essays")
        assert essays is not None and not essays.column("student_id").syntax.opaque  # type: ignore[union-attr]
        assert essays.foreign_keys[0].target_table == "students", "a module-level Field() is read where it is used"
        assert essays.indexes[0].columns == ("student_id",)
        student = facts.table("students")
        assert student is not None and student.column("essays").syntax.opaque  # type: ignore[union-attr]


def test_calls_that_build_a_value_are_defaults_not_opaque(tmp_path: Path) -> None:
    facts = read(
        tmp_path,
        """
        import enum
        import uuid
        from datetime import datetime, timezone
        from decimal import Decimal
        from sqlmodel import *


        class Colour(str, enum.Enum):
            red = "red"


        def shout(text):
            return text.upper()


        class Exam(SQLModel, table=True):
            id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
            due: datetime = datetime.now(timezone.utc)
            fee: Decimal = Decimal("0")
            colour: Colour = Colour("red")
            tags: list = list()
            title: str = shout("x")
        """,
    )
    exam = facts.tables[0]
    opaque = {c.name: c.syntax.opaque for c in exam.columns}  # type: ignore[union-attr]
    assert opaque == {"id": False, "due": False, "fee": False, "colour": False, "tags": False, "title": True}
    assert exam.column("tags").syntax.mutable_default == "list()"  # type: ignore[union-attr]


def test_opaque_fields_keep_the_other_rules_of_their_table(tmp_path: Path) -> None:
    """Only conclusions that need the helper's arguments go silent: a missing tenant column still is SG201 unless
    the table's keys may hide a shared association, and the annotation-only rules still read the other fields."""
    text = HELPERS + """

class Grade(SQLModel, table=True):
    __tablename__ = "grades"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: Optional[uuid.UUID] = Field(default=None, foreign_key="students.id", index=True)


class Course(SQLModel, table=True):
    __tablename__ = "courses"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    title: str


class CourseTopic(SQLModel, table=True):
    __tablename__ = "course_topics"
    course_id: uuid.UUID = key_to("courses")
    topic_id: uuid.UUID = key_to("topics")
"""
    reported = [finding for finding in findings(tmp_path, text) if finding[0].startswith(("SG2", "SG4", "SG5"))]
    assert reported == [
        ("SG201", 44, "courses"),
        ("SG202", 41, "grades"),
        ("SG402", 35, "essays"),  # Student has no 'essays' here
    ], "no SG201 on course_topics: its helper-made keys may make it an association of shared tables"


NAMED_BY_BASE = """
import re
import uuid
from typing import Any

from sqlalchemy import Index
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower() + "s"


class Base(SQLModel):
    @declared_attr  # type: ignore[misc]
    def __tablename__(cls) -> str:
        return snake(cls.__name__)


class Student(Base, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)


class ExamResult(Base, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id")
    previous_id: uuid.UUID | None = Field(default=None, foreign_key="exam_results.id")
"""


@pytest.mark.parametrize("reader", ["source", "metadata"])
def test_a_computed_tablename_is_not_guessed(tmp_path: Path, reader: str, isolated_models: None) -> None:
    """``@declared_attr __tablename__`` the reader cannot evaluate: no SG201 (is "student" the anchor?), SG203/SG204
    or SG404 ("students" exists) on a guessed name; the metadata reader, which knows the names, reports SG203."""
    reported = findings(tmp_path, NAMED_BY_BASE, reader=reader)
    if reader == "source":
        assert reported == []
        facts = read_source([tmp_path / "models_under_test.py"])
        assert all(c.syntax.opaque for t in facts.tables for c in t.columns)  # type: ignore[union-attr]
        assert {"students", "exam_results"} <= facts.known_tables
    else:
        assert reported == [("SG203", 26, "exam_results")]


def test_a_declared_attr_the_reader_can_follow_is_read(tmp_path: Path) -> None:
    facts = read(
        tmp_path,
        """
        import uuid
        from sqlalchemy import Index
        from sqlalchemy.orm import declared_attr
        from sqlmodel import Field, SQLModel

        PREFIX = "app_"


        class Plural(SQLModel):
            @declared_attr
            def __tablename__(cls) -> str:
                "Plural table names."
                return PREFIX + cls.__name__.lower() + "s"

            @declared_attr
            def __table_args__(cls):
                return (Index(f"ix_{cls.__tablename__}_student", "student_id"),)


        class Tagged(SQLModel):
            @declared_attr
            def __tablename__(cls) -> str:
                return f"tag_{cls.__name__.upper()}"


        class Exam(Plural, table=True):
            id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
            student_id: uuid.UUID = Field(foreign_key="students.id")


        class Note(Tagged, table=True):
            id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
        """,
    )
    exam, note = facts.tables
    assert (exam.name, note.name) == ("app_exams", "tag_NOTE")
    assert [(i.name, i.columns) for i in exam.indexes] == [(None, ("student_id",))]
    assert not any(c.syntax.opaque for t in facts.tables for c in t.columns)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "table_args",
    [
        "__table_args__ = tenant_args()",
        "__table_args__ = (*BASE_ARGS, Index('ix_exams_taken', 'taken'))",
        "__table_args__ = (tenant_index(), {'comment': 'exams'})",
        "__table_args__ = {'info': shared_info()}",
        "@declared_attr\n    def __table_args__(cls):\n        args = tenant_args()\n        return args",
    ],
)
def test_table_args_the_reader_cannot_read_make_the_table_opaque(tmp_path: Path, table_args: str) -> None:
    """Indexes, keys or the shared marker may be in what is computed: no SG201/SG203/SG204 concluded from it."""
    text = f"""
import uuid
from sqlalchemy import Index
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel

from app.tenancy import BASE_ARGS, shared_info, tenant_args, tenant_index


class Student(SQLModel, table=True):
    __tablename__ = "students"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)


class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    {table_args}
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    taken: int
    student_id: uuid.UUID


class Topic(SQLModel, table=True):
    __tablename__ = "topics"
    {table_args}
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
"""
    assert findings(tmp_path, text) == []
    exams = read_source([tmp_path / "models_under_test.py"]).table("exams")
    assert exams is not None and all(c.syntax.opaque for c in exams.columns)  # type: ignore[union-attr]


def test_literal_table_args_still_make_their_conclusions(tmp_path: Path) -> None:
    text = """
import uuid
from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

INFO = {"owner": "grading"}
TAKEN = Index("ix_exams_taken", "taken", "student_id")


class Student(SQLModel, table=True):
    __tablename__ = "students"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)


class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    __table_args__ = (TAKEN, CheckConstraint("taken > 0"), {"info": INFO})
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    taken: int
    student_id: uuid.UUID = Field(foreign_key="students.id")
"""
    assert findings(tmp_path, text) == [("SG203", 19, "exams")]


def test_a_computed_tablename_in_a_context_file_trusts_foreign_keys(tmp_path: Path) -> None:
    """Pre-commit reads one file; another computes table names, so an unknown target may be one of them."""
    base = write(
        tmp_path,
        "base.py",
        """
        from sqlalchemy.orm import declared_attr
        from sqlmodel import SQLModel


        class Base(SQLModel):
            @declared_attr
            def __tablename__(cls) -> str:
                return cls.__name__.lower() + "_table"
        """,
    )
    exams = write(
        tmp_path,
        "exams.py",
        """
        import uuid
        from sqlmodel import Field, SQLModel


        class Exam(SQLModel, table=True):
            __tablename__ = "exams"
            id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
            course_id: uuid.UUID = Field(foreign_key="course_table.id")
        """,
    )
    assert "course_table" in read_source([exams], context_files=[base, exams]).known_tables
    assert "course_table" not in read_source([exams]).known_tables


@pytest.mark.parametrize(
    ("line", "computed"),
    [
        ('    __tablename__ = "exams"', False),
        ("    __tablename__: str = 'exams'  # plural", False),
        ("    x = Exam.__tablename__", False),
        ("    def __tablename__(cls) -> str:", True),
        ('    __tablename__ = PREFIX + "exams"', True),
        ('    __tablename__ = f"{PREFIX}exams"', True),
    ],
)
def test_context_scan_tells_computed_tablenames_from_literals(line: str, computed: bool) -> None:
    from schema_guard.readers.source.context import _computes_tablename

    assert _computes_tablename(f"from sqlmodel import SQLModel\n\nclass Exam(SQLModel):\n{line}\n") is computed


def test_mapping_facts_name_the_class_they_map(tmp_path: Path) -> None:
    """SG302/SG303 carry the mapped class as their detail, the same from every reader (reported once)."""
    text = """
from sqlalchemy import Column, Integer, MetaData, Table
from sqlalchemy.orm import registry

mapper_registry = registry()
legacy = Table("legacy", MetaData(), Column("id", Integer, primary_key=True))


class Legacy:
    pass


@mapper_registry.mapped
class Report:
    __tablename__ = "reports"
    id = Column(Integer, primary_key=True)


mapper_registry.map_imperatively(Legacy, legacy)
"""
    from schema_guard.engine import evaluate
    from schema_guard.rules.base import RuleContext

    facts = read(tmp_path, text)
    assert [(m.location.line, m.target) for m in facts.mapping_calls] == [(12, "Report"), (18, "Legacy")]
    reported = [f for f in evaluate(facts, RuleContext(TenantPolicy())) if f.code.startswith("SG3")]
    assert sorted((f.code, f.line, f.detail) for f in reported) == [("SG303", 12, "Report"), ("SG303", 18, "Legacy")]


def test_folders_are_walked_like_check_walks_them(tmp_path: Path) -> None:
    from schema_guard.files import discover

    write(tmp_path, "app/models.py", STUDENTS)
    write(tmp_path, "app/sub/more.py", STUDENTS.replace("Student", "Pupil").replace('"students"', '"pupils"'))
    for skipped in (".venv/lib/models.py", "build/models.py", "app/__pycache__/models.py"):
        write(tmp_path, skipped, STUDENTS.replace('"students"', '"skipped"'))
    facts = read_source([tmp_path])
    assert sorted(t.name for t in facts.tables) == ["essay", "essay", "pupils", "students"]
    assert {t.location.path for t in facts.tables} == {str(p) for p in discover([tmp_path], tmp_path)}


# --- agreement with what SQLModel really builds --------------------------------------------------------------

AGREEMENT_MODELS = '''
import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Optional, Union

import sqlalchemy as sa
from pydantic import NaiveDatetime
from sqlalchemy import Column, ForeignKey, ForeignKeyConstraint, Index, UniqueConstraint, func, text
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, Relationship, SQLModel


class Colour(str, enum.Enum):
    red = "red"


class Stamped(SQLModel):
    created_at: datetime = Field(default_factory=datetime.utcnow)
    updated_at: Optional[datetime] = None


class Plain:
    note: str = Field(default="")


class Student(Stamped, table=True):
    __tablename__ = "students"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=100, unique=True, index=True)
    email: Optional[str] = Field(default=None, unique=True)
    colour: Colour = Colour.red
    balance: Decimal = Field(default=0, max_digits=10, decimal_places=2)
    born: Union[date, None] = None
    tags: list[str] = Field(default_factory=list, sa_type=pg.ARRAY(sa.String))
    meta: dict = Field(default_factory=dict, sa_column=Column("meta_", JSONB, nullable=False, server_default=text("'{}'")))
    naive: NaiveDatetime | None = None
    seen: datetime = Field(sa_column=Column(sa.DateTime(timezone=True), server_default=func.now(), index=True))
    score: Annotated[int, "points"] = Field(default=0, sa_column_kwargs={"server_default": "0", "nullable": True})
    essays: list["Essay"] = Relationship(back_populates="student")


class Subject(SQLModel, table=True):
    __tablename__ = "subjects"
    id: int = Field(primary_key=True)
    code: str = Field(sa_column=Column(sa.String(10), unique=True, nullable=False))


class Essay(Plain, SQLModel, table=True):
    __table_args__ = (
        Index("ix_essay_student_subject", "student_id", "subject_id"),
        UniqueConstraint("student_id", "title", name="uq_essay_title"),
        ForeignKeyConstraint(["subject_id", "subject_code"], ["subjects.id", "subjects.code"]),
        {"comment": "essays"},
    )
    id: Optional[uuid.UUID] = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    title: str
    subject_id: int
    subject_code: str
    reviewer_id: Optional[uuid.UUID] = Field(default=None, sa_column=Column(pg.UUID(as_uuid=True), ForeignKey("students.id")))
    grader_id: uuid.UUID | None = Field(default=None, foreign_key="students.id", nullable=True, ondelete="CASCADE")
    student: Optional[Student] = Relationship(back_populates="essays")
'''

_DESCRIBE = '''
import importlib.util, json, sys
from sqlalchemy import UniqueConstraint
from sqlmodel import SQLModel
from schema_guard.facts import normalise_type_name

spec = importlib.util.spec_from_file_location("agreement_models", sys.argv[1])
spec.loader.exec_module(importlib.util.module_from_spec(spec))

def column(c):
    kind = type(c.type).__name__
    name = "TIMESTAMP" if kind == "UTCDateTime" else normalise_type_name(kind)
    return [c.name, name, c.nullable, getattr(c.type, "timezone", None) if name == "TIMESTAMP" else None,
            c.server_default is not None]

print(json.dumps({
    t.name: {
        "columns": sorted(column(c) for c in t.columns),
        "primary_key": [c.name for c in t.primary_key.columns],
        "indexes": sorted([i.name, [c.name for c in i.columns], bool(i.unique)] for i in t.indexes),
        "uniques": sorted([c.name for c in u.columns] for u in t.constraints if isinstance(u, UniqueConstraint)),
        "foreign_keys": sorted([[e.parent.name for e in fk.elements], fk.elements[0].target_fullname.rsplit(".", 1)[0]]
                               for fk in t.foreign_key_constraints),
    }
    for t in SQLModel.metadata.tables.values()
}))
'''


def test_facts_agree_with_the_tables_sqlmodel_builds(tmp_path: Path) -> None:
    """Import the models in a fresh interpreter and compare SQLAlchemy's tables with the facts read from source."""
    path = write(tmp_path, "agreement_models.py", AGREEMENT_MODELS)
    completed = subprocess.run(
        [sys.executable, "-c", _DESCRIBE, str(path)], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    built = json.loads(completed.stdout)
    facts = read_source([path])
    read = {
        t.name: {
            "columns": sorted(
                [c.name, c.type, c.nullable, c.timezone if c.type == "TIMESTAMP" else None, c.server_default is not None]
                for c in t.columns
            ),
            "primary_key": list(t.primary_key),
            "indexes": sorted([i.name, list(i.columns), i.unique] for i in t.indexes),
            "uniques": sorted(list(u.columns) for u in t.uniques),
            "foreign_keys": sorted([list(fk.columns), fk.target_table] for fk in t.foreign_keys),
        }
        for t in facts.tables
    }
    assert read == built


@pytest.mark.parametrize(
    ("version", "aware"), [("0.0.50", True), ("0.0.45", True), ("0.0.44", False), ("0.0.22", False)]
)
def test_plain_datetime_follows_the_installed_sqlmodel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str, aware: bool
) -> None:
    """SQLModel 0.0.45 made plain ``datetime`` fields ``timestamp with time zone``; the version is read, not imported."""
    from schema_guard.readers.source import column_types as source_types

    package = write(tmp_path, "site/sqlmodel/__init__.py", f'__version__ = "{version}"\n')
    monkeypatch.syspath_prepend(str(package.parent.parent))
    monkeypatch.delitem(sys.modules, "sqlmodel", raising=False)
    source_types.sqlmodel_datetime_is_aware.cache_clear()
    try:
        assert source_types.sqlmodel_datetime_is_aware() is aware
    finally:
        source_types.sqlmodel_datetime_is_aware.cache_clear()
