"""The reference application (``reference_app``) does what it shows: every request is scoped to the authenticated
student, and both views of tenant scoping agree — the static rules (SG702-SG704) find nothing in its code, and the
run-time guard (SG701, the ``tenant_guard`` fixture) finds nothing in the SQL its requests run on PostgreSQL."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from schema_guard.config import load_config
from schema_guard.decide import Decider
from schema_guard.engine import run_check
from schema_guard.runtime import TenantGuard
from schema_guard.selection import Selection
from tests.helpers import REPO_ROOT
from tests.reference_db import fresh_reference_models, reference_database


@dataclass
class Service:
    client: TestClient
    mine: str
    theirs: str
    subject_id: uuid.UUID
    question_id: uuid.UUID

    def as_student(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with reference_database() as engine:
        yield engine


@pytest.fixture
def service(engine: Engine, tenant_guard: TenantGuard, isolated_models: None) -> Service:
    """Two students with tokens, a subject and a question; the guard watches every request's SQL."""
    models = fresh_reference_models()
    from reference_app import create_app

    Question, Student, Subject = models.Question, models.Student, models.Subject
    with Session(engine) as session:
        mine = Student(email=f"{uuid.uuid4()}@example.org", password_hash="x", full_name="Mine")
        theirs = Student(email=f"{uuid.uuid4()}@example.org", password_hash="x", full_name="Theirs")
        subject = Subject(code=secrets.token_hex(4), name="Mathematics")
        session.add_all([mine, theirs, subject])
        session.flush()
        question = Question(subject_id=subject.id, prompt="2 + 2?", difficulty=1, max_marks=1)
        session.add(question)
        session.commit()
        tokens = {"mine-token": mine.id, "their-token": theirs.id}
        ids = (subject.id, question.id)
    tenant_guard.install(engine)
    client = TestClient(create_app(engine, tokens.get))
    return Service(client, "mine-token", "their-token", *ids)


def _create(service: Service, token: str, title: str) -> dict[str, object]:
    body = {"subject_id": str(service.subject_id), "title": title, "question_ids": [str(service.question_id)]}
    response = service.client.post("/exams", json=body, headers=service.as_student(token))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_create_read_update_list_stay_within_the_student(service: Service) -> None:
    mine = _create(service, service.mine, "algebra")
    theirs = _create(service, service.theirs, "theirs")
    me = service.as_student(service.mine)
    assert service.client.get(f"/exams/{mine['id']}", headers=me).json()["title"] == "algebra"
    changed = service.client.patch(f"/exams/{mine['id']}", json={"title": "geometry"}, headers=me)
    assert changed.status_code == 200 and changed.json()["title"] == "geometry"
    listed = service.client.get("/exams", headers=me).json()
    assert [exam["id"] for exam in listed] == [mine["id"]]
    assert "password_hash" not in str(listed)
    # Another student's exam looks exactly like a missing one, for reads and for writes.
    assert service.client.get(f"/exams/{theirs['id']}", headers=me).status_code == 404
    assert service.client.patch(f"/exams/{theirs['id']}", json={"title": "x"}, headers=me).status_code == 404


def test_the_tenant_comes_from_the_token_not_the_body(service: Service) -> None:
    other = service.client.get("/exams", headers=service.as_student(service.theirs))
    assert other.status_code == 200
    smuggled = _create(service, service.mine, "smuggled")
    body = {"subject_id": str(service.subject_id), "title": "x", "student_id": str(uuid.uuid4())}
    created = service.client.post("/exams", json=body, headers=service.as_student(service.mine)).json()
    assert created["student_id"] == smuggled["student_id"] != body["student_id"]


def test_requests_need_a_valid_token(service: Service) -> None:
    assert service.client.get("/exams").status_code in (401, 403)
    assert service.client.get("/exams", headers=service.as_student("forged")).status_code == 401


def test_static_rules_find_nothing_in_the_reference_app() -> None:
    config = load_config(REPO_ROOT / "pyproject.toml")
    selection = Selection(select=("SG702", "SG703", "SG704"))
    result = run_check(config, decider=Decider(config, selection, use_baseline=False), use_metadata=False)
    assert result.findings == []
    assert any(path.name == "service.py" for path in result.files)
    assert len(result.facts[0].queries) >= 2 and result.facts[0].api_models
