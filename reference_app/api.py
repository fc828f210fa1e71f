"""The HTTP surface: FastAPI routes over :mod:`reference_app.service`.

``create_app(engine, authenticate)`` builds the application; ``authenticate`` turns a bearer token into the id of
the student it was issued to (your identity provider's job; the tests pass a dictionary lookup). Every route
depends on :func:`current_student`, and the student is the only source of the tenant: request bodies are
``ExamCreate``/``ExamUpdate`` (no ``student_id``), responses are ``ExamRead`` (no table model crosses the API).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from reference_app import service
from reference_models import Exam, ExamCreate, ExamRead, ExamUpdate, Student

__all__ = ["create_app", "current_student", "router"]

Authenticate = Callable[[str], "uuid.UUID | None"]
"""A bearer token → the id of the student it belongs to, or ``None`` when it is not valid."""

router = APIRouter(prefix="/exams", tags=["exams"])


def session(request: Request) -> Iterator[Session]:
    """One session per request, on the application's engine."""
    with Session(request.app.state.engine) as db:
        yield db


SessionDep = Annotated[Session, Depends(session)]
_bearer = HTTPBearer()


def current_student(
    request: Request, db: SessionDep, credentials: Annotated[HTTPAuthorizationCredentials, Depends(_bearer)]
) -> Student:
    """The authenticated student (the tenant of every statement the request runs)."""
    student_id = request.app.state.authenticate(credentials.credentials)
    student = db.get(Student, student_id) if student_id is not None else None  # the anchor: its own key
    if student is None or not student.is_active:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "not authenticated")
    return student


CurrentStudent = Annotated[Student, Depends(current_student)]


def _not_found(error: service.ExamNotFound) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"exam {error.args[0]} not found")


@router.post("", response_model=ExamRead, status_code=status.HTTP_201_CREATED)
def create_exam(body: ExamCreate, db: SessionDep, current: CurrentStudent) -> Exam:
    return service.create_exam(db, current, body)


@router.get("", response_model=list[ExamRead])
def list_exams(
    db: SessionDep,
    current: CurrentStudent,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> Sequence[Exam]:
    return service.list_exams(db, current, offset=offset, limit=limit)


@router.get("/{exam_id}", response_model=ExamRead)
def read_exam(exam_id: uuid.UUID, db: SessionDep, current: CurrentStudent) -> Exam:
    try:
        return service.read_exam(db, current, exam_id)
    except service.ExamNotFound as error:
        raise _not_found(error) from None


@router.patch("/{exam_id}", response_model=ExamRead)
def update_exam(exam_id: uuid.UUID, body: ExamUpdate, db: SessionDep, current: CurrentStudent) -> Exam:
    try:
        return service.update_exam(db, current, exam_id, body)
    except service.ExamNotFound as error:
        raise _not_found(error) from None


def create_app(engine: Engine, authenticate: Authenticate) -> FastAPI:
    """The application, serving the exam routes on ``engine``; ``authenticate`` resolves bearer tokens."""
    app = FastAPI(title="schema-guard reference app")
    app.state.engine = engine
    app.state.authenticate = authenticate
    app.include_router(router)
    return app
