"""SG1xx: primary and foreign keys — every key a UUID with a default, every foreign key typed like its target."""

from __future__ import annotations

from collections.abc import Iterator

from schema_guard.facts import SchemaFacts, TableFact
from schema_guard.findings import Finding
from schema_guard.rules.base import FactRule, Invalid, RuleContext, Valid, register
from schema_guard.rules.example_models import IMPORTS, with_students


def is_association(table: TableFact) -> bool:
    """A composite primary key made only of foreign-key columns: a link table, exempt from the UUID-key rule."""
    return len(table.primary_key) > 1 and all(table.foreign_keys_of(column) for column in table.primary_key)


@register
class PrimaryKeyNotUuid(FactRule):
    code = "SG101"
    name = "primary-key-not-uuid"
    summary = "Primary key is not a single UUID column"
    rationale = (
        "Integer keys leak row counts, collide when data from two environments is merged, and can be guessed; "
        "composite keys make every foreign key to the table composite. The project's constitution is one UUID key "
        "per table. Link tables whose key is made only of foreign keys are exempt."
    )
    how_to_fix = "Use `id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)`."
    readers = ("source", "metadata", "database")
    examples = (
        Valid(IMPORTS + """
class Subject(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
"""),
        Invalid(IMPORTS + """
class Subject(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)  # expect: SG101
""", title="integer key"),
        Invalid(IMPORTS + """
class Subject(SQLModel, table=True):
    code: str = Field(primary_key=True)  # expect: SG101
""", title="string key"),
        Invalid(IMPORTS + """
class Grade(SQLModel, table=True):  # expect: SG101
    year: int = Field(primary_key=True)
    band: str = Field(primary_key=True)
""", title="composite key of plain columns"),
        Invalid(IMPORTS + """
from sqlalchemy import Integer


class Subject(SQLModel, table=True):
    id: int = Field(sa_column=Column(Integer, primary_key=True))  # expect: SG101
""", title="sa_column integer key"),
        Valid(with_students("""
class Tag(SQLModel, table=True):
    __table_args__ = {"info": {"schema_guard": {"shared": True}}}
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)


class StudentTag(SQLModel, table=True):
    student_id: uuid.UUID = Field(foreign_key="students.id", primary_key=True)
    tag_id: uuid.UUID = Field(foreign_key="tag.id", primary_key=True)
"""), title="association table of foreign keys"),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        for table in facts.tables:
            key = table.primary_key
            if not key or is_association(table):
                continue
            if len(key) > 1:
                yield self.finding(
                    f"table '{table.name}' has a composite primary key ({', '.join(key)}); "
                    "use a single UUID `id` key and a unique constraint on these columns",
                    table.location, reader=facts.reader, table=table.name,
                )
                continue
            column = table.column(key[0])
            if table.foreign_keys_of(key[0]):
                continue  # a key copied from its parent (one-to-one extension): the parent's key is judged
            if column is not None and column.type not in {"UUID", "UNKNOWN"}:
                yield self.column_finding(
                    f"primary key '{table.name}.{column.name}' is {column.type}, not UUID",
                    facts, table, column,
                )


@register
class UuidKeyWithoutDefault(FactRule):
    code = "SG102"
    name = "uuid-key-without-default"
    summary = "UUID primary key has no default"
    rationale = (
        "A UUID key without `default_factory=uuid4` (or a server default such as `gen_random_uuid()`) must be set "
        "by every caller; one that forgets gets an IntegrityError at flush time instead of a key. "
        "The database reader does not report this rule: PostgreSQL cannot see a Python-side `default_factory`."
    )
    how_to_fix = "Add `default_factory=uuid.uuid4` to the key's `Field()` (or a `server_default`)."
    readers = ("source", "metadata")
    examples = (
        Valid(IMPORTS + """
class Subject(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
"""),
        Invalid(IMPORTS + """
class Subject(SQLModel, table=True):
    id: uuid.UUID = Field(primary_key=True)  # expect: SG102
"""),
        Valid(IMPORTS + """
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import UUID as PG_UUID


class Subject(SQLModel, table=True):
    id: uuid.UUID = Field(
        sa_column=Column(PG_UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()"))
    )
""", title="server default in sa_column"),
        Valid(with_students("""
class StudentSettings(SQLModel, table=True):
    __tablename__ = "student_settings"
    student_id: uuid.UUID = Field(primary_key=True, foreign_key="students.id")
    theme: str = "light"
"""), title="a key copied from its parent row (one-to-one extension)"),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        for table in facts.tables:
            if len(table.primary_key) != 1:
                continue
            column = table.column(table.primary_key[0])
            if table.foreign_keys_of(column.name if column else ""):
                continue  # a key copied from its parent row needs no default of its own
            if column is not None and column.type == "UUID" and not column.has_default:
                yield self.column_finding(
                    f"UUID primary key '{table.name}.{column.name}' has no default",
                    facts, table, column,
                )


@register
class TableWithoutPrimaryKey(FactRule):
    code = "SG103"
    name = "table-without-primary-key"
    summary = "Table model has no primary key"
    rationale = (
        "SQLAlchemy cannot map a class without a primary key: SQLModel raises at import, taking every model "
        "module that imports this one down with it. The source reader explains it without importing."
    )
    how_to_fix = "Add `id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)`."
    readers = ("source", "metadata")
    examples = (
        Valid(IMPORTS + """
class Subject(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str
"""),
        Invalid(IMPORTS + """
class Subject(SQLModel, table=True):  # expect: SG103
    name: str
""", readers=("source",)),
        Valid(IMPORTS + """
class SubjectCreate(SQLModel):
    name: str
""", title="non-table models are ignored"),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        for table in facts.tables:
            # A ``Table(...)`` object mapped by no class (an association table) may have no key.
            if not table.primary_key and table.class_name and not table.incomplete:
                yield self.finding(
                    f"table '{table.name}' has no primary key", table.location, reader=facts.reader, table=table.name
                )


@register
class ForeignKeyTypeMismatch(FactRule):
    code = "SG104"
    name = "foreign-key-type-mismatch"
    summary = "Foreign-key column type differs from the referenced key's type"
    rationale = (
        "PostgreSQL refuses a foreign key between incompatible types, and between compatible ones (INTEGER → "
        "BIGINT, VARCHAR → UUID via casts) every join pays for a conversion and cannot use the index."
    )
    how_to_fix = "Declare the foreign-key column with the same type as the key it references (`uuid.UUID`)."
    readers = ("metadata", "database")
    examples = (
        Valid(with_students("""
class Exam(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
""")),
        Invalid(with_students("""
class Exam(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: str = Field(foreign_key="students.id", index=True)  # expect: SG104
""")),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        for table in facts.tables:
            for fk in table.foreign_keys:
                target = context.view.table(fk.target_table)
                if target is None:
                    continue
                for column_name, target_name in zip(fk.columns, fk.target_columns):
                    column, referenced = table.column(column_name), target.column(target_name)
                    if column is None or referenced is None or "UNKNOWN" in (column.type, referenced.type):
                        continue
                    if column.type != referenced.type:
                        yield self.column_finding(
                            f"foreign key '{table.name}.{column.name}' is {column.type} but references "
                            f"'{target.name}.{referenced.name}', which is {referenced.type}",
                            facts, table, column,
                            detail=f"{target.name}.{referenced.name}",
                        )
