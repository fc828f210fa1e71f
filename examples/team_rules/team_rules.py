"""A team's own schema-guard rules: every table has a ``created_at`` column (TEAM001), every tenant-scoped table
can be soft-deleted (TEAM002), and every revision names its indexes after what they cover (TEAM003).

Loaded by schema-guard from the entry point in this package's pyproject.toml, or from ``plugins = ["team_rules"]``
in a project's ``[tool.schema_guard]``. The column each asks for is an option:
``[tool.schema_guard.rules.TEAM001] column = "inserted_at"``.
"""

from __future__ import annotations

from collections.abc import Iterator

from schema_guard.api import (
    FactRule,
    Finding,
    Invalid,
    Operation,
    RevisionContext,
    RevisionRule,
    RuleContext,
    SchemaFacts,
    Valid,
    Violation,
    register,
)

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


def _revision(upgrade: str, downgrade: str) -> str:
    """An example revision file with the given ``upgrade()`` and ``downgrade()`` bodies."""
    return ('"""An example revision."""\nfrom alembic import op\n\nrevision = "0002_example"\n'
            f'down_revision = "0001_base"\n\n\ndef upgrade() -> None:\n{upgrade}\n\ndef downgrade() -> None:\n{downgrade}')


@register
class IndexNamedAfterColumns(RevisionRule):
    code = "TEAM003"
    name = "index-named-after-columns"
    summary = "A revision names every index it creates ix_<table>_<columns>"
    rationale = "An index is found by its name in a query plan or a lock report: the name should say what it covers."
    how_to_fix = "Name the index `ix_<table>_<column>[_<column>...]`."
    readers = ("migrations",)
    operations = frozenset({"create_index"})
    examples = (
        Valid(_revision('    op.create_index("ix_invoices_student_id", "invoices", ["student_id"])\n',
                        '    op.drop_index("ix_invoices_student_id", table_name="invoices")\n')),
        Invalid(_revision('    op.create_index("invoices_by_student", "invoices", ["student_id"])  # expect: TEAM003\n',
                          '    op.drop_index("invoices_by_student", table_name="invoices")\n')),
    )

    def check_operation(self, operation: Operation, context: RevisionContext) -> Iterator[Violation]:
        if operation.name is None or operation.table is None or not operation.columns:
            return  # named or listed at run time: nothing to judge
        expected = f"ix_{operation.table}_{'_'.join(operation.columns)}"
        if operation.name != expected:
            yield Violation(f"index {operation.name} on {operation.table} is not named {expected}",
                            table=operation.table, fix=f"Name it {expected}.")
