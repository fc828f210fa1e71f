"""SG703, SG704: API schemas of web routes — a request body must not let the client choose the tenant, and a table
model is not an API schema.

The source reader records every class a FastAPI route takes as its body or returns as its response model, with the
class's fields through its bases (:mod:`schema_guard.readers.source.routes`); these rules judge those uses.
"""

from __future__ import annotations

from collections.abc import Iterator

from schema_guard.facts import SchemaFacts
from schema_guard.findings import Finding
from schema_guard.rules.base import FactRule, Invalid, RuleContext, Valid, register
from schema_guard.rules.example_models import with_students

_API = """
from fastapi import APIRouter

router = APIRouter()
"""

_EXAM = '''

class ExamBase(SQLModel):
    title: str


class Exam(ExamBase, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
'''


def _module(body: str) -> str:
    return with_students(_EXAM) + _API + body


@register
class ClientSetsTenant(FactRule):
    code = "SG703"
    name = "client-sets-tenant"
    summary = "A request schema (FastAPI body) includes the tenant column: the client picks the tenant"
    rationale = (
        "A request body whose fields include `student_id` lets the caller write into any student's data by sending "
        "another id; the tenant of a new or changed row is a fact of the authenticated session, never of the "
        "payload. The field is reported wherever the body class gets it, its bases included."
    )
    how_to_fix = (
        "Drop the tenant field from the request schema and take the tenant from the authenticated user: "
        "`Exam.model_validate(body, update={\"student_id\": current.id})`."
    )
    readers = ("source",)
    examples = (
        Invalid(_module('''

class ExamCreate(ExamBase):
    student_id: uuid.UUID  # expect: SG703


@router.post("/exams")
def create_exam(body: ExamCreate) -> None:
    ...
''')),
        Invalid(_module('''

class OwnedBase(SQLModel):
    student_id: uuid.UUID  # expect: SG703


class ExamUpdate(OwnedBase):
    title: Optional[str] = None


@router.patch("/exams/{exam_id}")
async def update_exam(exam_id: uuid.UUID, body: "ExamUpdate") -> None:
    ...
'''), title="through a base class"),
        Valid(_module('''

class ExamCreate(ExamBase):
    pass


@router.post("/exams")
def create_exam(body: ExamCreate) -> None:
    ...
'''), title="tenant taken from the authenticated user"),
        Valid(_module('''

class ExamRead(ExamBase):
    id: uuid.UUID
    student_id: uuid.UUID


@router.get("/exams/{exam_id}", response_model=ExamRead)
def read_exam(exam_id: uuid.UUID) -> None:
    ...
'''), title="a response schema may show the tenant"),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        column = context.tenancy.tenant_column
        reported: set[tuple[str | None, int | None]] = set()
        for use in facts.api_models:
            if use.use != "body":
                continue
            for name, location in use.fields:
                if name == column and (location.path, location.line) not in reported:
                    reported.add((location.path, location.line))
                    yield self.finding(
                        f"request schema {use.model} takes '{column}' from the client (field '{name}'): the caller "
                        "chooses the tenant", location, reader=facts.reader, column=column,
                    )


@register
class TableModelInApi(FactRule):
    code = "SG704"
    name = "table-model-in-api"
    summary = "A `table=True` model used directly as a route's body or `response_model`"
    rationale = (
        "A table model as an API schema exposes every column in responses (a password hash, another tenant's key) "
        "and lets a request write every column, the keys and the tenant included. Separate create, read and update "
        "schemas say what the API accepts and returns."
    )
    how_to_fix = (
        "Declare non-table schemas (`ExamCreate`, `ExamRead`, `ExamUpdate`, sharing a base without `table=True`) and "
        "use them as the body and `response_model`; build the table row with `Exam.model_validate(body, update=...)`."
    )
    readers = ("source",)
    examples = (
        Invalid(_module('''

@router.post("/exams")
def create_exam(body: Exam) -> None:  # expect: SG704
    ...


@router.get("/exams", response_model=list[Exam])  # expect: SG704
def list_exams() -> None:
    ...
''')),
        Invalid(_module('''

@router.get("/exams/{exam_id}")
def read_exam(exam_id: uuid.UUID) -> Exam:  # expect: SG704
    ...
'''), title="return annotation as the response model"),
        Valid(_module('''

class ExamCreate(ExamBase):
    pass


class ExamRead(ExamBase):
    id: uuid.UUID


@router.post("/exams", response_model=ExamRead)
def create_exam(body: ExamCreate) -> Exam:
    ...
'''), title="separate schemas"),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        if not facts.api_models:
            return
        classes = context.view.tables_by_class
        for use in facts.api_models:
            table = classes.get(use.model) if use.table_model else None
            if table is None:  # a schema class, even one named like a table model
                continue
            role = "request body" if use.use == "body" else "response model"
            yield self.finding(
                f"table model {use.model} is used as a route's {role}: it exposes and accepts every column of "
                f"'{table.name}'", use.location, reader=facts.reader, table=table.name,
                detail=f"{use.function}: {use.use}",
            )
