"""The database reader on a real PostgreSQL schema: what ``read_database`` turns a live database into."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from schema_guard.facts import Location
from schema_guard.gate.db.scratch_db import scratch_database
from schema_guard.gate.db.server import parse_server_url
from schema_guard.readers.database import read_database

DDL = """
CREATE TYPE mood AS ENUM ('calm', 'busy');
CREATE TABLE students (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name varchar(50) NOT NULL);
CREATE TABLE exams (
    id uuid PRIMARY KEY,
    student_id uuid NOT NULL REFERENCES students (id),
    code text,
    taken_at timestamptz,
    written timestamp,
    payload jsonb,
    tags text[],
    score double precision,
    state mood,
    CONSTRAINT uq_exams_code UNIQUE (code)
);
CREATE INDEX ix_exams_student_taken ON exams (student_id, taken_at);
CREATE INDEX ix_exams_lower_code ON exams (lower(code));
CREATE UNIQUE INDEX ux_exams_score ON exams (score);
CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);
"""


class ByTable:
    def table(self, table: str) -> Location:
        return Location(f"{table}.py", 1, 1)

    def column(self, table: str, column: str) -> Location:
        return Location(f"{table}.py", 2, 1)

    def index(self, table: str, name: str | None) -> Location:
        return Location(f"{table}.py", 3, 1)

    def constraint(self, table: str, name: str | None) -> Location:
        return Location(f"{table}.py", 4, 1)


@pytest.fixture
def database(server_url: str, scratch_names: list[str]):  # type: ignore[no-untyped-def]
    with scratch_database(parse_server_url(server_url)) as url:
        engine = sa.create_engine(url, poolclass=NullPool)
        with engine.begin() as connection:
            connection.exec_driver_sql(DDL)
        yield engine
        engine.dispose()
    assert len(scratch_names) == 1


def test_reflects_tables_columns_keys_and_indexes(database: sa.Engine) -> None:
    facts = read_database(database, locator=ByTable())
    assert facts.reader == "database"
    assert sorted(t.name for t in facts.tables) == ["exams", "students"], "alembic_version is not a model table"
    students, exams = facts.table("students"), facts.table("exams")
    assert students is not None and exams is not None
    assert students.primary_key == ("id",) and students.column("id").server_default == "gen_random_uuid()"
    types = {c.name: c.type for c in exams.columns}
    assert types == {"id": "UUID", "student_id": "UUID", "code": "TEXT", "taken_at": "TIMESTAMP",
                     "written": "TIMESTAMP", "payload": "JSONB", "tags": "ARRAY", "score": "FLOAT",
                     "state": "ENUM"}
    assert exams.column("taken_at").timezone is True and exams.column("written").timezone is False
    assert exams.column("code").timezone is None
    assert exams.column("student_id").nullable is False and exams.column("code").nullable is True
    assert {(i.name, i.columns, i.unique) for i in exams.indexes} == {
        ("ix_exams_student_taken", ("student_id", "taken_at"), False),
        ("ix_exams_lower_code", ("lower(code)",), False),
        ("ux_exams_score", ("score",), True),
    }, "the index backing uq_exams_code is a unique constraint, not repeated as an index"
    assert [(u.name, u.columns) for u in exams.uniques] == [("uq_exams_code", ("code",))]
    [fk] = exams.foreign_keys
    assert (fk.columns, fk.target_table, fk.target_columns) == (("student_id",), "students", ("id",))
    assert exams.location == Location("exams.py", 1, 1)
    assert exams.column("code").location == Location("exams.py", 2, 1)
    assert exams.indexes[0].location.line == 3 and fk.location.line == 4
    assert "student_id" in exams.leading_index_columns()


def test_without_a_locator_locations_are_unknown(database: sa.Engine) -> None:
    facts = read_database(database.url.render_as_string(hide_password=False))
    assert all(t.location == Location() for t in facts.tables)
