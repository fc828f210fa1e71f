"""The metadata reader renders a server default as PostgreSQL gets it: a project's own SQL construct compiled only
for PostgreSQL (``@compiles(Construct, "postgresql")``) is read, never a traceback that stops the whole check."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import run_cli, write_project

MODELS = '''
import uuid

from sqlalchemy import Column, Uuid
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlmodel import Field, SQLModel


class NewUUID(FunctionElement):
    type = Uuid()
    inherit_cache = True


@compiles(NewUUID, "postgresql")
def _new_uuid_on_postgresql(element, compiler, **kw):
    return "gen_random_uuid()"


class Student(SQLModel, table=True):
    __tablename__ = "students"
    id: uuid.UUID = Field(sa_column=Column(Uuid, primary_key=True, server_default=NewUUID()))
'''


def test_a_construct_compiled_only_for_postgresql_is_read_as_its_sql(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"app/__init__.py": "", "app/models.py": MODELS},
                            settings='src = ["app"]\nmodels = ["app.models"]\n')
    run = run_cli(project, "check", "--format", "json")
    assert (run.exit_code, run.stderr) == (0, ""), run.stdout + run.stderr
    assert run.stdout.strip() == "[]"
