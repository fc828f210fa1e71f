"""Both views agree: each SG702 example the run-time guard can execute (``readers=("source", "runtime")``) is judged
statically by the source reader and, run on PostgreSQL against the real ``reference_models``, by the guard (SG701).
The tables the two views report must be the same, so the static rule and the guard cannot drift apart.

The example's model section (:data:`~schema_guard.rules.query_examples.MODELS`, a mirror of the reference models)
is replaced by an import of the reference models; every public function of the example is then called with the
arguments its parameters name (``flag`` both ways, so each branch runs).
"""

from __future__ import annotations

import inspect
import itertools
import types
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from schema_guard.config import parse_config
from schema_guard.decide import Decider
from schema_guard.engine import run_check
from schema_guard.rules.base import Example
from schema_guard.rules.registry import catalogue
from schema_guard.rules.query_examples import MODELS, REFERENCE_IMPORTS
from schema_guard.runtime import TenantGuard
from schema_guard.selection import Selection
from schema_guard.tenancy import TenantPolicy
from tests.reference_db import fresh_reference_models, reference_database

POLICY = TenantPolicy(shared_tables=frozenset({"subjects", "syllabus_points", "questions"}))
EXECUTABLE = [example for example in catalogue()["SG702"].examples if example.readers and "runtime" in example.readers]
_modules = itertools.count()


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with reference_database() as engine:
        yield engine


def static_tables(example: Example, folder: Path) -> list[str]:
    path = folder / "example.py"
    path.write_text(example.code, encoding="utf-8")
    config = parse_config({"src": [path.name]}, root=folder)
    decider = Decider(config, Selection(select=("SG702",)), use_baseline=False)
    result = run_check(config, decider=decider, use_metadata=False)
    return sorted(finding.table or "" for finding in result.findings)


def runtime_tables(example: Example, engine: Engine) -> list[str]:
    models = fresh_reference_models()
    module = types.ModuleType(f"sg_views_{next(_modules)}")
    exec(compile(example.code.replace(MODELS, REFERENCE_IMPORTS), module.__name__, "exec"), module.__dict__)  # noqa: S102
    with engine.connect() as connection, connection.begin() as transaction:
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        arguments = _seed(session, models)
        guard = TenantGuard(POLICY, active=True)
        guard.install(session)
        try:
            for function in _public_functions(module):
                for flag in (True, False):
                    given = arguments | {"flag": flag}
                    function(**{name: given[name] for name in inspect.signature(function).parameters})
                    session.expunge_all()
        finally:
            guard.uninstall()
            session.close()
            transaction.rollback()
    return sorted({finding.table or "" for finding in guard.findings})


def _seed(session: Session, models: types.ModuleType) -> dict[str, Any]:
    mine = models.Student(email=f"{uuid.uuid4()}@example.org", password_hash="x", full_name="Mine")
    theirs = models.Student(email=f"{uuid.uuid4()}@example.org", password_hash="x", full_name="Theirs")
    subject = models.Subject(code=uuid.uuid4().hex[:8], name="Mathematics")
    session.add_all([mine, theirs, subject])
    session.flush()
    exam = models.Exam(student_id=mine.id, subject_id=subject.id, title="algebra")
    session.add_all([exam, models.Exam(student_id=theirs.id, subject_id=subject.id, title="theirs")])
    session.flush()
    session.add(models.Attempt(student_id=mine.id, exam_id=exam.id, score=3))
    session.flush()
    arguments = {"session": session, "student_id": mine.id, "exam_id": exam.id, "current": mine, "other": theirs.id,
                 "email": mine.email}
    session.expunge_all()
    return arguments


def _public_functions(module: types.ModuleType) -> list[Any]:
    return [value for name, value in vars(module).items()
            if inspect.isfunction(value) and value.__module__ == module.__name__ and not name.startswith("_")]


@pytest.mark.parametrize("example", EXECUTABLE, ids=[e.title or str(i) for i, e in enumerate(EXECUTABLE)])
def test_static_rule_and_runtime_guard_agree(example: Example, engine: Engine, tmp_path: Path,
                                             isolated_models: None) -> None:
    static = static_tables(example, tmp_path)
    assert bool(static) != example.valid, f"the static rule disagrees with the example: {static}"
    assert runtime_tables(example, engine) == static


def test_most_sg702_examples_are_executable() -> None:
    assert len(EXECUTABLE) >= 30
