"""SG2xx: tenancy — every tenant-scoped table carries a NOT NULL, indexed, UUID foreign key to the tenant anchor.

Which tables are tenant-scoped is decided by :class:`~schema_guard.tenancy.TenantPolicy` (deny by default).
SG202-SG205 judge the tenant column only where it exists; a missing column is SG201 alone.
"""

from __future__ import annotations

from collections.abc import Iterator

from schema_guard.facts import SchemaFacts, TableFact
from schema_guard.findings import Finding
from schema_guard.rules.base import FactRule, Invalid, RuleContext, Valid, register
from schema_guard.rules.example_models import IMPORTS, with_students
from schema_guard.tenancy import TableScope, TenantPolicy

GOOD_EXAM = """
class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
"""


def _anchor_references(table: TableFact, policy: TenantPolicy) -> list[str]:
    """Single columns of ``table`` with a foreign key to the anchor's key."""
    return [
        fk.columns[0]
        for fk in table.foreign_keys
        if len(fk.columns) == 1 and fk.target_table.rsplit(".", 1)[-1] == policy.anchor_table
        and fk.target_columns == (policy.anchor_key,)
    ]


def keyed_by_anchor(table: TableFact, policy: TenantPolicy) -> bool:
    """The table's primary key is one column that is a foreign key to the anchor's key: a one-to-one extension of
    the anchor (one row per tenant), tenant-scoped by construction whatever the column is called."""
    return len(table.primary_key) == 1 and table.primary_key[0] in _anchor_references(table, policy)


@register
class MissingTenantColumn(FactRule):
    code = "SG201"
    name = "missing-tenant-column"
    summary = "Tenant-scoped table lacks the tenant column"
    rationale = (
        "Tables are tenant-scoped unless declared shared: a table without the tenant column cannot be filtered by "
        "tenant, so one student's rows are one missing join away from another student's screen."
    )
    how_to_fix = (
        "Add `student_id: uuid.UUID = Field(foreign_key=\"students.id\", index=True)`, or declare the table shared "
        "(`shared-tables` in configuration or `__table_args__ = {\"info\": {\"schema_guard\": {\"shared\": True}}}`)."
    )
    readers = ("source", "metadata", "database")
    examples = (
        Valid(with_students(GOOD_EXAM)),
        Invalid(with_students("""
class Exam(SQLModel, table=True):  # expect: SG201
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    title: str
""")),
        Valid(with_students("""
class Subject(SQLModel, table=True):
    __tablename__ = "subjects"
    __table_args__ = {"info": {"schema_guard": {"shared": True}}}
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
"""), title="shared table declared on the model"),
        Valid(with_students("""
class StudentSettings(SQLModel, table=True):
    __tablename__ = "student_settings"
    student_id: uuid.UUID = Field(primary_key=True, foreign_key="students.id")
    theme: str = "light"


class StudentProfile(SQLModel, table=True):
    __tablename__ = "student_profiles"
    id: uuid.UUID = Field(primary_key=True, foreign_key="students.id")
    bio: str = ""
"""), title="one-to-one extension tables keyed by the anchor's key"),
        Valid(with_students("""
class Subject(SQLModel, table=True):
    __tablename__ = "subjects"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
"""), config=(("shared-tables", ["subjects"]),), title="shared table declared in configuration"),
        Valid(with_students("""
class Subject(SQLModel, table=True):
    __tablename__ = "subjects"
    __table_args__ = {"info": {"schema_guard": {"shared": True}}}
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)


class Topic(SQLModel, table=True):
    __tablename__ = "topics"
    __table_args__ = {"info": {"schema_guard": {"shared": True}}}
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)


class SubjectTopic(SQLModel, table=True):
    __tablename__ = "subject_topics"
    subject_id: uuid.UUID = Field(foreign_key="subjects.id", primary_key=True)
    topic_id: uuid.UUID = Field(foreign_key="topics.id", primary_key=True)
"""), title="association table between shared tables"),
        Invalid(with_students(GOOD_EXAM + """

class Question(SQLModel, table=True):
    __tablename__ = "questions"
    __table_args__ = {"info": {"schema_guard": {"shared": True}}}
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)


class ExamQuestion(SQLModel, table=True):  # expect: SG201
    __tablename__ = "exam_questions"
    exam_id: uuid.UUID = Field(foreign_key="exams.id", primary_key=True)
    question_id: uuid.UUID = Field(foreign_key="questions.id", primary_key=True)
"""), title="association table touching a tenant table"),
        Valid(IMPORTS + """
class Organization(SQLModel, table=True):
    __tablename__ = "organizations"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)


class Invoice(SQLModel, table=True):
    __tablename__ = "invoices"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organization_id: uuid.UUID = Field(foreign_key="organizations.id", index=True)
""", config=(("tenant-table", "organizations"), ("tenant-column", "organization_id")), title="custom tenant"),
        Invalid(IMPORTS + """
class Organization(SQLModel, table=True):
    __tablename__ = "organizations"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)


class Invoice(SQLModel, table=True):  # expect: SG201
    __tablename__ = "invoices"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(index=True)
""", config=(("tenant-table", "organizations"), ("tenant-column", "organization_id")), title="custom tenant"),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        policy = context.tenancy
        column = policy.tenant_column
        fix = (
            f"Add `{column}: uuid.UUID = Field(foreign_key=\"{policy.anchor_table}.{policy.anchor_key}\", index=True)`, "
            "or declare the table shared (`shared-tables` in configuration or "
            "`__table_args__ = {\"info\": {\"schema_guard\": {\"shared\": True}}}`)."
        )
        for table in context.view.tenant_tables:
            # With an opaque column the table's keys (a shared association?) or its name and shared marker
            # (``@declared_attr``) may be unseen: its scope is not known, so a missing column is not concluded.
            if table.column(column) is not None or table.incomplete or keyed_by_anchor(table, policy):
                continue
            pointing = [c for c in _anchor_references(table, policy) if c != column]
            hint = (
                f" ('{pointing[0]}' references {policy.anchor_table}.{policy.anchor_key}: name it '{column}')"
                if pointing else ""
            )
            yield self.finding(
                f"tenant-scoped table '{table.name}' has no '{column}' column{hint}",
                table.location, reader=facts.reader, table=table.name, fix=fix,
            )


@register
class NullableTenantColumn(FactRule):
    code = "SG202"
    name = "nullable-tenant-column"
    summary = "Tenant column is nullable"
    rationale = (
        "A row with a NULL tenant belongs to nobody, and `WHERE student_id = :sid` never returns it — or, "
        "with `IS NULL` handling, returns it to everybody. Either way it is a data leak or silent data loss."
    )
    how_to_fix = "Annotate the tenant column `uuid.UUID` (not `Optional`) and pass `nullable=False`."
    readers = ("source", "metadata", "database")
    rewrite = "schema_guard.fixes:not_null"
    examples = (
        Valid(with_students(GOOD_EXAM)),
        Invalid(with_students("""
class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: Optional[uuid.UUID] = Field(default=None, foreign_key="students.id", index=True)  # expect: SG202
"""), title="Optional[UUID]"),
        Invalid(with_students("""
class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID | None = Field(default=None, foreign_key="students.id", index=True)  # expect: SG202
"""), title="UUID | None"),
        Invalid(with_students("""
class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True, nullable=True)  # expect: SG202
"""), title="nullable=True"),
        Invalid(with_students("""
class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(  # expect: SG202
        sa_column=Column(ForeignKey("students.id"), index=True, nullable=True)
    )
"""), title="sa_column with nullable=True"),
        Valid(with_students("""
class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: Optional[uuid.UUID] = Field(default=None, foreign_key="students.id", index=True, nullable=False)
"""), title="Optional but nullable=False (SG507 reports the annotation)"),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        for table, column in context.view.tenant_columns:
            if column.nullable:
                yield self.column_finding(
                    f"tenant column '{table.name}.{column.name}' is nullable",
                    facts, table, column,
                )


@register
class UnindexedTenantColumn(FactRule):
    code = "SG203"
    name = "unindexed-tenant-column"
    summary = "Tenant column is not the leading column of any index"
    rationale = (
        "Every query filters by tenant; without an index that starts with the tenant column each of them scans "
        "the table. An index where the tenant column is second cannot serve `WHERE student_id = ...`. A primary "
        "key or unique constraint that starts with it counts (PostgreSQL backs both with an index)."
    )
    how_to_fix = "Add `index=True` to the tenant column, or put it first in a composite index."
    readers = ("source", "metadata", "database")
    rewrite = "schema_guard.fixes:tenant_index"
    examples = (
        Valid(with_students(GOOD_EXAM)),
        Invalid(with_students("""
class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id")  # expect: SG203
"""), title="no index"),
        Invalid(with_students("""
class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    __table_args__ = (Index("ix_exams_taken_student", "taken_at", "student_id"),)
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    taken_at: datetime
    student_id: uuid.UUID = Field(foreign_key="students.id")  # expect: SG203
"""), title="tenant column second in a composite index"),
        Valid(with_students("""
class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    __table_args__ = (Index("ix_exams_student_taken", "student_id", "taken_at"),)
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    taken_at: datetime
    student_id: uuid.UUID = Field(foreign_key="students.id")
"""), title="tenant column first in a composite index"),
        Valid(with_students("""
class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    __table_args__ = (UniqueConstraint("student_id", "title"),)
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    title: str
    student_id: uuid.UUID = Field(foreign_key="students.id")
"""), title="unique constraint leading with the tenant column"),
        Valid(with_students("""
class TenantMixin(SQLModel):
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)


class Exam(TenantMixin, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
"""), title="tenant column from a mixin"),
        Invalid(with_students("""
class TenantMixin(SQLModel):
    student_id: uuid.UUID = Field(foreign_key="students.id")  # expect: SG203


class Exam(TenantMixin, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
"""), title="unindexed tenant column from a mixin, reported at the mixin's field"),
        Valid(with_students("""
class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(sa_column=Column(ForeignKey("students.id"), index=True, nullable=False))
"""), title="sa_column form"),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        for table, column in context.view.tenant_columns:
            if column.name not in table.leading_index_columns():
                second = [ix.name or ", ".join(ix.columns) for ix in table.indexes if column.name in ix.columns[1:]]
                hint = f" (it is not first in {', '.join(second)})" if second else ""
                yield self.column_finding(
                    f"tenant column '{table.name}.{column.name}' is not the leading column of any index{hint}",
                    facts, table, column,
                )


@register
class TenantColumnWithoutForeignKey(FactRule):
    code = "SG204"
    name = "tenant-column-without-foreign-key"
    summary = "Tenant column has no foreign key to the tenant anchor"
    rationale = (
        "Without the foreign key a typo or a deleted student leaves orphan rows that no tenant owns and no "
        "cascade removes."
    )
    how_to_fix = "Add `foreign_key=\"students.id\"` to the tenant column's `Field()`."
    readers = ("source", "metadata", "database")
    examples = (
        Valid(with_students(GOOD_EXAM)),
        Invalid(with_students("""
class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(index=True)  # expect: SG204
""")),
        Invalid(with_students("""
class Teacher(SQLModel, table=True):
    __tablename__ = "teachers"
    __table_args__ = {"info": {"schema_guard": {"shared": True}}}
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)


class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="teachers.id", index=True)  # expect: SG204
"""), title="foreign key to the wrong table"),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        policy = context.tenancy
        for table, column in context.view.tenant_columns:
            pins_anchor = any(
                fk.target_table == policy.anchor_table
                and fk.target_columns[fk.columns.index(column.name)] == policy.anchor_key
                for fk in table.foreign_keys_of(column.name)
            )
            if not pins_anchor:
                yield self.column_finding(
                    f"tenant column '{table.name}.{column.name}' has no foreign key to "
                    f"'{policy.anchor_table}.{policy.anchor_key}'",
                    facts, table, column,
                    fix=f"Add `foreign_key=\"{policy.anchor_table}.{policy.anchor_key}\"` to the tenant column's `Field()`.",
                )


@register
class TenantColumnWrongType(FactRule):
    code = "SG205"
    name = "tenant-column-wrong-type"
    summary = "Tenant column is not a UUID / not the anchor key's type"
    rationale = (
        "The tenant column must have the anchor key's type; anything else forces casts in every tenant filter "
        "and makes the foreign key impossible."
    )
    how_to_fix = "Annotate the tenant column `uuid.UUID`."
    readers = ("source", "metadata", "database")
    examples = (
        Valid(with_students(GOOD_EXAM)),
        Invalid(with_students("""
class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: int = Field(index=True)  # expect: SG205
""")),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        expected = context.tenancy.anchor_key_type(facts)
        for table, column in context.view.tenant_columns:
            if column.type not in {expected, "UNKNOWN"}:
                yield self.column_finding(
                    f"tenant column '{table.name}.{column.name}' is {column.type}, not {expected}",
                    facts, table, column,
                )


@register
class ForeignKeyDoesNotPinTenant(FactRule):
    code = "SG206"
    name = "foreign-key-does-not-pin-tenant"
    summary = "Foreign key between tenant-scoped tables does not include the tenant column"
    rationale = (
        "`attempts.exam_id → exams.id` lets an attempt of student A point at an exam of student B. A composite "
        "foreign key `(student_id, exam_id) → exams(student_id, id)` makes cross-tenant references impossible. "
        "Opt-in: it needs a unique constraint `(student_id, id)` on every referenced table."
    )
    how_to_fix = (
        "Add `UniqueConstraint(\"student_id\", \"id\")` to the referenced table and use "
        "`ForeignKeyConstraint([\"student_id\", \"x_id\"], [\"x.student_id\", \"x.id\"])`."
    )
    readers = ("metadata", "database")
    opt_in = True
    examples = (
        Invalid(with_students(GOOD_EXAM + """

class Attempt(SQLModel, table=True):
    __tablename__ = "attempts"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    exam_id: uuid.UUID = Field(foreign_key="exams.id")  # expect: SG206
""")),
        Valid(with_students("""
from sqlalchemy import ForeignKeyConstraint


class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    __table_args__ = (UniqueConstraint("student_id", "id"),)
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)


class Attempt(SQLModel, table=True):
    __tablename__ = "attempts"
    __table_args__ = (ForeignKeyConstraint(["student_id", "exam_id"], ["exams.student_id", "exams.id"]),)
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    exam_id: uuid.UUID
""")),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        tenant = context.tenancy.tenant_column
        scoped = {table.name for table in context.view.tenant_tables}
        for table in context.view.tenant_tables:
            for fk in table.foreign_keys:
                if fk.target_table not in scoped or tenant in fk.columns:
                    continue
                yield self.finding(
                    f"foreign key {table.name}({', '.join(fk.columns)}) → {fk.target_table} does not include "
                    f"'{tenant}', so a row can reference another tenant's {fk.target_table}",
                    fk.location, reader=facts.reader, table=table.name, column=fk.columns[0],
                    detail=fk.target_table,
                )


@register
class UniqueWithoutTenant(FactRule):
    code = "SG207"
    name = "unique-without-tenant"
    summary = "Unique constraint on a tenant-scoped table without the tenant column"
    rationale = (
        "A unique constraint on `(title)` in a tenant table means two students cannot both have an exam called "
        "'Mock 1' — and the error tells one student that another's row exists. Opt-in."
    )
    how_to_fix = "Include the tenant column: `UniqueConstraint(\"student_id\", \"title\")`."
    readers = ("metadata", "database")
    opt_in = True
    examples = (
        Invalid(with_students("""
class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    title: str = Field(unique=True)  # expect: SG207
""")),
        Valid(with_students("""
class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    __table_args__ = (UniqueConstraint("student_id", "title"),)
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    title: str
""")),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        tenant = context.tenancy.tenant_column
        for table in context.view.tenant_tables:
            constraints = [(u.name, u.columns, u.location) for u in table.uniques]
            constraints += [(ix.name, ix.columns, ix.location) for ix in table.indexes if ix.unique]
            for name, columns, location in constraints:
                if tenant in columns or columns == table.primary_key:
                    continue
                yield self.finding(
                    f"unique constraint on {table.name}({', '.join(columns)}) does not include '{tenant}'",
                    location, reader=facts.reader, table=table.name, column=columns[0] if columns else None,
                    detail=name or ",".join(columns),
                )
