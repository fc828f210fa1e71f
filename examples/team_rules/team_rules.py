"""A team's own schema-guard rule: every table has a ``created_at`` column (TEAM001).

Loaded by schema-guard from the entry point in this package's pyproject.toml, or from ``plugins = ["team_rules"]``
in a project's ``[tool.schema_guard]``. The column it asks for is an option:
``[tool.schema_guard.rules.TEAM001] column = "inserted_at"``.
"""

from __future__ import annotations

from collections.abc import Iterator

from schema_guard.api import FactRule, Finding, Invalid, RuleContext, SchemaFacts, Valid, register

_HEADER = """
from datetime import datetime, timezone
import uuid

from sqlmodel import Field, SQLModel


def now() -> datetime:
    return datetime.now(timezone.utc)
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
