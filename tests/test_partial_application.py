"""A partial check of application code (pre-commit passes only the staged files): a route file passed alone is
judged against the models of the rest of ``src`` it reaches (SG702), as a full check judges it; the lent models
report nothing themselves, and model files it does not reach are not read."""

from __future__ import annotations

import os
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest

from schema_guard.config import parse_config
from schema_guard.decide import Decider
from schema_guard.engine import run_check
from schema_guard.readers.source import reader
from schema_guard.selection import Selection

MODELS = textwrap.dedent('''
    import uuid

    from sqlmodel import Field, SQLModel


    class Student(SQLModel, table=True):
        __tablename__ = "students"
        id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)


    class Exam(SQLModel, table=True):
        __tablename__ = "exams"
        id: int = Field(primary_key=True)
        student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
        title: str
''')

APPLICATION = textwrap.dedent('''
    from sqlmodel import Session, select

    from app.models import Exam


    def exams(session: Session) -> list[Exam]:
        return session.exec(select(Exam)).all()


    def mine(session: Session, student_id) -> list[Exam]:
        return session.exec(select(Exam).where(Exam.student_id == student_id)).all()
''')


def _project(root: Path) -> tuple[Path, Path]:
    (root / "app").mkdir()
    (root / "app" / "__init__.py").write_text("", encoding="utf-8")
    models = root / "app" / "models.py"
    models.write_text(MODELS, encoding="utf-8")
    routes = root / "app" / "routes.py"
    routes.write_text(APPLICATION, encoding="utf-8")
    past = time.time() - 60  # older than the cache entries: their size and time stand for their content
    for path in (models, routes):
        os.utime(path, (past, past))
    return models, routes


def _findings(root: Path, paths: list[Path] | None, cache: bool) -> list[tuple[str, int, str]]:
    config = parse_config({"src": ["app"]}, root=root)
    if not cache:
        config = replace(config, cache_dir=None)
    decider = Decider(config, Selection(), use_baseline=False)
    result = run_check(config, paths, decider=decider, use_metadata=False)
    return sorted((Path(f.path or "").name, f.line or 0, f.code) for f in result.findings)


@pytest.mark.parametrize("cache", [False, True], ids=["no-cache", "cold-cache"])
def test_a_staged_application_file_is_judged_with_the_projects_models(tmp_path: Path, cache: bool) -> None:
    _models, routes = _project(tmp_path)
    found = _findings(tmp_path, [routes], cache)
    assert found == [("routes.py", 8, "SG702")]  # the lent models' own findings (an integer key) are not reported


def test_only_the_models_a_staged_file_reaches_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A staged route file's queries need the models it names and the tables those reference, not every model
    file of ``src``: an unrelated model module is not read (its names still come from the index of ``src``)."""
    _models, routes = _project(tmp_path)
    (tmp_path / "app" / "billing.py").write_text(MODELS.replace("Exam", "Invoice").replace("exams", "invoices")
                                                 .replace("class Student", "class Payer")
                                                 .replace('"students"', '"payers"'), encoding="utf-8")
    read: list[list[str]] = []
    original = reader.read_models
    monkeypatch.setattr(reader, "read_models",
                        lambda paths, lent: read.append(sorted(Path(p).name for p in paths)) or original(paths, lent))
    assert _findings(tmp_path, [routes], cache=True) == [("routes.py", 8, "SG702")]
    assert read == [["models.py"]]


LISTENER = textwrap.dedent('''
    from sqlalchemy import event
    from sqlalchemy.orm import Session, with_loader_criteria

    from app.models import Exam


    def current_student_id():
        raise NotImplementedError


    @event.listens_for(Session, "do_orm_execute")
    def _only_the_current_student(state) -> None:
        if state.is_select:
            state.statement = state.statement.options(
                with_loader_criteria(Exam, lambda cls: cls.student_id == current_student_id()))
''')


@pytest.mark.parametrize("cache", [False, True], ids=["no-cache", "cold-cache"])
def test_a_session_wide_listener_elsewhere_in_src_scopes_a_staged_file_as_in_a_full_check(tmp_path: Path,
                                                                                         cache: bool) -> None:
    """A ``do_orm_execute`` listener in ``app/db.py`` filters every SELECT by the tenant: a full check reports no
    SG702 for the routes' SELECT, and neither may a pre-commit run that stages only the routes file."""
    _models, routes = _project(tmp_path)
    db = tmp_path / "app" / "db.py"
    db.write_text(LISTENER, encoding="utf-8")
    past = time.time() - 60
    os.utime(db, (past, past))
    assert [f for f in _findings(tmp_path, None, cache) if f[2] == "SG702"] == []
    assert [f for f in _findings(tmp_path, [routes], cache) if f[2] == "SG702"] == []


def test_unscoped_queries_in_functions_of_the_same_name_in_two_files_are_two_findings(tmp_path: Path) -> None:
    """Two route modules each with an unscoped ``exams()``: the same rule, table and function name, but two
    violations (they were once merged into one, so a full check reported fewer than the files checked alone)."""
    _models, routes = _project(tmp_path)
    other = tmp_path / "app" / "admin.py"
    other.write_text(APPLICATION, encoding="utf-8")
    found = [f for f in _findings(tmp_path, None, cache=False) if f[2] == "SG702"]
    assert found == [("admin.py", 8, "SG702"), ("routes.py", 8, "SG702")]
