"""A team's own schema-guard rules: every table has a ``created_at`` column (TEAM001), and every tenant-scoped
table can be soft-deleted (TEAM002).

Loaded by schema-guard from the entry point in this package's pyproject.toml, or from ``plugins = ["team_rules"]``
in a project's ``[tool.schema_guard]``. The column each asks for is an option:
``[tool.schema_guard.rules.TEAM001] column = "inserted_at"``.
"""

from __future__ import annotations

from collections.abc import Iterator

from schema_guard.api import FactRule, Finding, Invalid, RuleContext, SchemaFacts, Valid, register

_HEADER = """
from datetime import datetime, timezone
from typing import Optional
import uuid

from sqlmodel import Field, SQLModel


def now() -> datetime:
    return datetime.now(timezone.utc)
"""

_STUDENTS = """

class Student(SQLModel, table=True):
    __tablename__ = "students"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    created_at: datetime = Field(default_factory=now, nullable=False)
    deleted_at: Optional[datetime] = None
"""


@register
class RequireCreatedAt(FactRule):
    code = "TEAM001"
    name = "require-created-at"
    summary = "Every table has a created_at column"
    rationale = "Audits need to know when a row was made."
    how_to_fix = "Add `created_at: datetime = Field(default_factory=now, nullable=False)`."
    readers = ("source", "metadata", "database")
    examples = (
        Invalid(_HEADER + """
class Invoice(SQLModel, table=True):  # expect: TEAM001
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    total: int
"""),
        Valid(_HEADER + """
class Invoice(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    total: int
    created_at: datetime = Field(default_factory=now, nullable=False)
"""),
        Invalid(_HEADER + """
class Invoice(SQLModel, table=True):  # expect: TEAM001
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    created_at: datetime = Field(default_factory=now, nullable=False)
""", config=(("rules", {"TEAM001": {"column": "inserted_at"}}),), title="the column named by the option"),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        column = str(context.options.get("column", "created_at"))
        for table in facts.tables:
            if table.column(column) is None:
                yield self.finding(f"table '{table.name}' has no {column}", table.location,
                                   reader=facts.reader, table=table.name)


@register
class SoftDeleteTenantRows(FactRule):
    code = "TEAM002"
    name = "soft-delete-tenant-rows"
    summary = "Every tenant-scoped table has a deleted_at column"
    rationale = "A student's rows are soft-deleted, so that a deletion can be audited and undone."
    how_to_fix = "Add `deleted_at: Optional[datetime] = None`."
    readers = ("source", "metadata", "database")
    examples = (
        Invalid(_HEADER + _STUDENTS + """
class Essay(SQLModel, table=True):  # expect: TEAM002
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
"""),
        Valid(_HEADER + _STUDENTS + """
class Essay(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    deleted_at: Optional[datetime] = None
"""),
        Valid(_HEADER + _STUDENTS + """
class Subject(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
""", config=(("shared-tables", ["subject"]),), title="shared reference data is not a student's"),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        column = str(context.options.get("column", "deleted_at"))
        for table in context.view.tenant_tables:  # the anchor and shared tables are not tenant-scoped
            if table.column(column) is None and not table.incomplete:
                yield self.finding(f"tenant-scoped table '{table.name}' has no {column}", table.location,
                                   reader=facts.reader, table=table.name)
