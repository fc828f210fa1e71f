"""SG5xx — how a field is written: spellings that SQLModel refuses at import, or that quietly store the wrong thing.

Most of these read :class:`~schema_guard.facts.FieldSyntax`, which only the source reader can see (a model that
SQLModel refuses cannot be imported, so the metadata reader never sees it); SG504, SG505 and SG507 also hold for
the imported models and the database.
"""

from __future__ import annotations

import re

from collections.abc import Iterator

from schema_guard.column_keywords import COLUMN_KEYWORDS
from schema_guard.facts import ColumnFact, SchemaFacts, TableFact
from schema_guard.findings import Finding
from schema_guard.rules.base import FactRule, Invalid, RuleContext, Valid, register
from schema_guard.rules.example_models import students_before_first_class

NAIVE_CLOCKS = frozenset(
    {
        "datetime.datetime.utcnow",
        "datetime.datetime.now",
        "datetime.datetime.today",
        "datetime.datetime.utcfromtimestamp",
    }
)
"""Default callables that return a naive ``datetime`` when called without arguments."""

_COLUMN_EQUIVALENT = {
    "primary_key": "Column(..., primary_key=True)",
    "nullable": "Column(..., nullable=...)",
    "index": "Column(..., index=True)",
    "unique": "Column(..., unique=True)",
    "foreign_key": 'Column(..., ForeignKey("table.column"))',
    "ondelete": 'ForeignKey("table.column", ondelete=...)',
    "sa_type": "the type as Column's first argument",
    "sa_column_args": "Column's positional arguments",
    "sa_column_kwargs": "Column's keyword arguments",
}


_ANY = re.compile(r"^(?:\w+\.)*Mapped\[\s*(?:typing\.)?(?:Any|object)\s*\]$|^(?:typing\.)?(?:Any|object)$")


def _admits_none(annotation: str | None) -> bool:
    """``Any`` (or ``object``, or ``Mapped[Any]``) already admits ``None``: no ``Optional`` is missing."""
    return bool(annotation) and _ANY.match(annotation.strip()) is not None


def _optional(annotation: str) -> str:
    """``X`` → ``Optional[X]``; ``Mapped[X]`` → ``Mapped[Optional[X]]`` (SQLAlchemy reads ``Optional`` inside)."""
    if annotation.startswith("Mapped[") and annotation.endswith("]"):
        return f"Mapped[Optional[{annotation[len('Mapped['):-1]}]]"
    return f"Optional[{annotation}]"


def _where(table: TableFact, column: ColumnFact) -> str:
    """``Class.attribute`` as written: the mixin or base class for an inherited field."""
    return f"{column.defined_in or table.class_name or table.name}.{column.attribute or column.name}"


@register
class SaColumnWithFieldOptions(FactRule):
    """``Field(sa_column=Column(...))`` hands SQLModel a finished column; any column option also given to ``Field()``
    would be silently lost, so SQLModel raises ``RuntimeError`` when the class is defined."""

    code = "SG501"
    name = "sa-column-with-field-options"
    summary = "`Field(sa_column=...)` combined with nullable/index/unique/primary_key/foreign_key/sa_column_kwargs"
    rationale = (
        "SQLModel uses an `sa_column=` Column as it is and refuses every other column option next to it "
        "(`RuntimeError: Passing index is not supported when also passing a sa_column`), so the module fails to "
        "import: the application, Alembic autogenerate and every test that imports it break at once."
    )
    how_to_fix = "Move the options into the `Column(...)` itself, or drop `sa_column=` and keep them on `Field()`."
    readers = ("source",)
    examples = (
        Valid(
            students_before_first_class("""
import uuid

from sqlalchemy import Column, ForeignKey, Index
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlmodel import Field, SQLModel


class Essay(SQLModel, table=True):
    __tablename__ = "essays"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(
        sa_column=Column(UUID(as_uuid=True), ForeignKey("students.id"), nullable=False, index=True)
    )
    feedback: dict = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
"""),
            title="options inside the Column",
        ),
        Invalid(
            students_before_first_class("""
import uuid

from sqlalchemy import Column
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


class Essay(SQLModel, table=True):
    __tablename__ = "essays"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    feedback: dict = Field(sa_column=Column(JSONB), nullable=False)  # expect: SG501
    rubric: dict = Field(sa_column=Column(JSONB), index=True, sa_column_kwargs={"comment": "x"})  # expect: SG501
"""),
        ),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        for table, column in context.view.columns:
            conflicts = column.syntax.sa_column_conflicts if column.syntax else ()
            if not conflicts:
                continue
            given = ", ".join(f"{name}=" for name in conflicts)
            moves = "; ".join(f"{name}= → {_COLUMN_EQUIVALENT[name]}" for name in conflicts)
            yield self.column_finding(
                f"{_where(table, column)}: Field(sa_column=...) together with {given} makes SQLModel raise "
                f"RuntimeError at import; move them into the Column ({moves})",
                facts, table, column,
            )


@register
class UnknownColumnKeyword(FactRule):
    """``sa_column_kwargs`` is passed straight to ``sqlalchemy.Column(**kwargs)``; a key that ``Column`` does not
    take fails the import (``TypeError: Additional arguments should be named <dialectname>_<argument>``)."""

    code = "SG502"
    name = "unknown-column-keyword"
    summary = "`sa_column_kwargs` key that `Column` does not accept (e.g. `\"check\"`)"
    rationale = (
        "SQLModel builds `Column(**sa_column_kwargs)`; SQLAlchemy accepts its own keywords and "
        "`<dialect>_<option>` keys only, so a key such as `check` (a constraint, not a column option) or a typo "
        "such as `server_defualt` raises at import or is silently ignored. `type_` is refused by SQLModel itself."
    )
    how_to_fix = (
        "Use a real Column keyword (`server_default`, `comment`, `onupdate`...), `sa_type=` for the type, and a "
        "`CheckConstraint` in `__table_args__` for checks."
    )
    readers = ("source",)
    examples = (
        Valid(
            students_before_first_class("""
import uuid

from sqlalchemy import CheckConstraint, text
from sqlmodel import Field, SQLModel


class Grade(SQLModel, table=True):
    __tablename__ = "grades"
    __table_args__ = (CheckConstraint("score BETWEEN 0 AND 100", name="ck_grades_score"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    score: int = Field(sa_column_kwargs={"server_default": text("0"), "comment": "percent"})
"""),
        ),
        Invalid(
            students_before_first_class("""
import uuid

from sqlmodel import Field, SQLModel


class Grade(SQLModel, table=True):
    __tablename__ = "grades"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    score: int = Field(sa_column_kwargs={"check": "score BETWEEN 0 AND 100"})  # expect: SG502
    note: str = Field(default="", sa_column_kwargs={"server_defualt": "''"})  # expect: SG502
"""),
        ),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        for table, column in context.view.columns:
            for key in column.syntax.unknown_column_kwargs if column.syntax else ():
                yield self.column_finding(
                    f"{_where(table, column)}: Column() does not accept {key!r} (from sa_column_kwargs): "
                    f"{_consequence(key)}; {_keyword_advice(key)}",
                    facts, table, column,
                    detail=key,
                )


def _consequence(key: str) -> str:
    if key == "type_":
        return "SQLModel raises RuntimeError at import"
    if "_" in key.strip("_"):
        return "SQLAlchemy reads it as an option of an unknown dialect and ignores it"
    return "SQLAlchemy raises TypeError at import"


def _keyword_advice(key: str) -> str:
    if key == "type_":
        return "SQLModel refuses it: use sa_type= instead"
    if key in {"check", "constraint", "checks"}:
        return 'use a CheckConstraint("...", name="ck_...") in __table_args__ instead'
    if key in {"foreign_key", "references"}:
        return 'use foreign_key="table.column" on Field() instead'
    import difflib


    close = difflib.get_close_matches(key, sorted(COLUMN_KEYWORDS), n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    return "use a Column keyword or a '<dialect>_<option>' key"


@register
class MutableDefault(FactRule):
    """A list or dict literal as a default is one object created when the class is defined."""

    code = "SG503"
    name = "mutable-default"
    summary = "mutable default (`default=[]`, `default={}`) instead of `default_factory`"
    rationale = (
        "`default=[]` is evaluated once, when the class is defined: SQLAlchemy uses that one object as the column "
        "default of every insert, and code that mutates it mutates the default of every later row. "
        "`default_factory` builds a fresh value each time, and makes the intent explicit."
    )
    how_to_fix = "Use `default_factory=list` / `default_factory=dict` (or `default_factory=lambda: [...]`)."
    readers = ("source",)
    rewrite = "schema_guard.fixes:default_factory"
    examples = (
        Valid(
            students_before_first_class("""
import uuid

from sqlalchemy import Column
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel, String


class Profile(SQLModel, table=True):
    __tablename__ = "profiles"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    settings: dict = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    tags: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(String), nullable=False))
    nickname: str = Field(default="")
"""),
        ),
        Invalid(
            students_before_first_class("""
import uuid

from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel, String


class Profile(SQLModel, table=True):
    __tablename__ = "profiles"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    settings: dict = Field(default={}, sa_type=JSONB)  # expect: SG503
    tags: list[str] = Field(default=[], sa_type=ARRAY(String))  # expect: SG503
"""),
        ),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        for table, column in context.view.columns:
            literal = column.syntax.mutable_default if column.syntax else None
            if literal is None:
                continue
            yield self.column_finding(
                f"{_where(table, column)}: default={literal} is one object shared by every row; "
                f"use default_factory={factory_for(literal)}",
                facts, table, column,
            )


def factory_for(literal: str) -> str:
    """The ``default_factory`` that builds ``literal`` afresh: ``[]`` → ``list``, ``{"a": 1}`` → a lambda."""
    compact = literal.replace(" ", "")
    simple = {"[]": "list", "list()": "list", "{}": "dict", "dict()": "dict", "set()": "set"}
    return simple.get(compact, f"lambda: {literal}")


@register
class NaiveTimestamp(FactRule):
    """Timestamps must be timezone-aware: ``timestamp with time zone`` columns filled with aware datetimes."""

    code = "SG504"
    name = "naive-timestamp"
    summary = "`datetime.utcnow` default / naive timestamp column"
    rationale = (
        "`datetime.utcnow()` returns a naive datetime (deprecated since Python 3.12); stored in `timestamp without "
        "time zone` it silently depends on the server's time zone, and since SQLModel 0.0.45 plain `datetime` "
        "fields are `timestamp with time zone` columns that reject naive values at insert time."
    )
    how_to_fix = (
        "Use `default_factory=lambda: datetime.now(timezone.utc)` and a timezone-aware column (plain `datetime` "
        "on SQLModel ≥ 0.0.45, or `sa_type=DateTime(timezone=True)`)."
    )
    readers = ("source", "metadata")
    rewrite = "schema_guard.fixes:aware_default"
    examples = (
        Valid(
            students_before_first_class("""
import uuid
from datetime import datetime, timezone

from sqlalchemy import Column, DateTime, func
from sqlmodel import Field, SQLModel


class Submission(SQLModel, table=True):
    __tablename__ = "submissions"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    created_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    graded_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), server_default=func.now(), nullable=False))
"""),
        ),
        Invalid(
            students_before_first_class("""
import uuid
from datetime import datetime

from sqlalchemy import DateTime
from sqlmodel import Field, SQLModel


class Submission(SQLModel, table=True):
    __tablename__ = "submissions"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    created_at: datetime = Field(default_factory=datetime.utcnow)  # expect: SG504
    graded_at: datetime | None = Field(default=None, sa_type=DateTime)  # expect: SG504
"""),
        ),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        for table, column in context.view.columns:
            problems, advice = [], []
            if column.python_default in NAIVE_CLOCKS:
                clock = column.python_default.removeprefix("datetime.")
                problems.append(f"its default {clock} produces naive datetimes")
                advice.append("default_factory=lambda: datetime.now(timezone.utc)")
            if column.type == "TIMESTAMP" and column.timezone is False:
                problems.append("it is a timestamp WITHOUT time zone")
                advice.append("a timezone-aware column (sa_type=DateTime(timezone=True), or plain datetime on "
                              "SQLModel >= 0.0.45)")  # fmt: skip
            if not problems:
                continue
            yield self.column_finding(
                f"{_where(table, column)}: {' and '.join(problems)}; use {' and '.join(advice)}",
                facts, table, column,
            )


@register
class JsonInsteadOfJsonb(FactRule):
    """On PostgreSQL, ``JSONB`` is the JSON type to use; ``JSON`` stores the text verbatim."""

    code = "SG505"
    name = "json-instead-of-jsonb"
    summary = "`JSON` column on PostgreSQL where `JSONB` is meant"
    rationale = (
        "PostgreSQL's `json` keeps the raw text: every read re-parses it, it cannot be indexed with GIN, has no "
        "equality operator (so `DISTINCT`/`GROUP BY` fail) and keeps duplicate keys. `jsonb` is the binary form "
        "that supports containment queries and indexes."
    )
    how_to_fix = "Use `sqlalchemy.dialects.postgresql.JSONB` (`sa_type=JSONB` or `Column(JSONB)`)."
    readers = ("source", "metadata", "database")
    examples = (
        Valid(
            students_before_first_class("""
import uuid

from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


class Attempt(SQLModel, table=True):
    __tablename__ = "attempts"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    answers: dict = Field(default_factory=dict, sa_type=JSONB)
"""),
        ),
        Invalid(
            students_before_first_class("""
import uuid

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel


class Attempt(SQLModel, table=True):
    __tablename__ = "attempts"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    answers: dict = Field(default_factory=dict, sa_type=JSON)  # expect: SG505
    raw: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))  # expect: SG505
"""),
        ),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        for table, column in context.view.columns:
            if column.type == "JSON":
                yield self.column_finding(
                    f"{_where(table, column)} is a JSON column; on PostgreSQL use JSONB "
                    "(sqlalchemy.dialects.postgresql.JSONB): indexable, compact, comparable",
                    facts, table, column,
                )


@register
class MissingAnnotation(FactRule):
    """Every field of a table model needs a type annotation: it is where SQLModel takes the column type from."""

    code = "SG506"
    name = "missing-annotation"
    summary = "table-model attribute without a type annotation"
    rationale = (
        "Pydantic refuses a non-annotated `name = Field(...)` in a model (`PydanticUserError: A non-annotated "
        "attribute was detected`), so the module does not import; and without the annotation SQLModel cannot "
        "derive the column type or its nullability."
    )
    how_to_fix = "Annotate the attribute: `name: str = Field(...)` (`Optional[...]` only if the column is nullable)."
    readers = ("source",)
    examples = (
        Valid(
            students_before_first_class("""
import uuid

from sqlmodel import Field, SQLModel


class Course(SQLModel, table=True):
    __tablename__ = "courses"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    title: str = Field(max_length=200)
"""),
        ),
        Invalid(
            students_before_first_class("""
import uuid

from sqlmodel import Field, SQLModel


class Course(SQLModel, table=True):
    __tablename__ = "courses"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    title = Field(max_length=200)  # expect: SG506
"""),
        ),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        for table, column in context.view.columns:
            if column.syntax is None or column.syntax.annotation is not None or column.syntax.sqlalchemy:
                continue
            attribute = column.attribute or column.name
            yield self.column_finding(
                f"{_where(table, column)} has no type annotation, so the model fails at import and the column type "
                f"is unknown; write `{attribute}: <type> = Field(...)`",
                facts, table, column,
            )


@register
class AnnotationNullabilityMismatch(FactRule):
    """The annotation is the contract application code reads; the column is what the database enforces."""

    code = "SG507"
    name = "annotation-nullability-mismatch"
    summary = "annotation and nullability disagree (`Optional[X]` but NOT NULL, or plain `X` but nullable)"
    rationale = (
        "With `Optional[X]` on a NOT NULL column, code and type checkers believe `None` is a valid value and the "
        "database rejects it at flush; with a plain `X` on a nullable column, rows with NULL come back as `None` "
        "where every caller assumes a value. Primary keys are exempt: `id: Optional[int] = Field(default=None, "
        "primary_key=True)` is SQLModel's idiom for a key the database fills in."
    )
    how_to_fix = "Make them agree: `Optional[X]` for a nullable column, plain `X` (and no `nullable=True`) otherwise."
    readers = ("source", "metadata")
    examples = (
        Valid(
            students_before_first_class("""
import uuid
from typing import Optional

from sqlmodel import Field, SQLModel


class Guardian(SQLModel, table=True):
    __tablename__ = "guardians"

    id: Optional[uuid.UUID] = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    email: str
    phone: Optional[str] = None
    notes: str | None = Field(default=None, nullable=True)
"""),
        ),
        Valid(
            students_before_first_class("""
import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import Column, DateTime, func
from sqlmodel import Field, SQLModel


class Guardian(SQLModel, table=True):
    __tablename__ = "guardians"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    created: Optional[datetime] = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now())
    )
"""),
            title="Optional until the database fills in its server default",
        ),
        Valid(
            students_before_first_class("""
import uuid
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


class Guardian(SQLModel, table=True):
    __tablename__ = "guardians"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    legacy: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
"""),
            title="Any already admits None",
        ),
        Invalid(
            students_before_first_class("""
import uuid
from typing import Optional

from sqlmodel import Field, SQLModel


class Guardian(SQLModel, table=True):
    __tablename__ = "guardians"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    email: Optional[str] = Field(default=None, nullable=False)  # expect: SG507
    phone: str = Field(default="", nullable=True)  # expect: SG507
"""),
        ),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        for table, column in context.view.columns:
            optional = column.syntax.annotation_optional if column.syntax else None
            if optional is None or column.nullable is None or column.name in table.primary_key:
                continue
            annotation = column.syntax.annotation if column.syntax else None
            if optional and not column.nullable and column.server_default is not None:
                continue  # ``None`` until the database fills in its server default: SQLModel's idiom for it
            if optional and not column.nullable:
                problem = f"is annotated {annotation} but the column is NOT NULL"
                advice = "drop Optional (or make the column nullable)"
            elif not optional and column.nullable and not _admits_none(annotation):
                problem = f"is annotated {annotation} (not Optional) but the column is nullable"
                advice = f"annotate it {_optional(annotation or '')} or make the column NOT NULL"
            else:
                continue
            yield self.column_finding(
                f"{_where(table, column)} {problem}; {advice}",
                facts, table, column,
            )
