"""How the gate reads a revision without importing it: ``op.*`` calls bound to Alembic's parameter names, batch
tables and autocommit blocks, downgrade kinds, SQL read by PostgreSQL's parser — and the revision facts the rules see,
which are plain data (no libcst node reaches a rule)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from schema_guard.gate.analysis.operations import RevisionSource
from schema_guard.gate.analysis.sql import is_data_only, statements
from schema_guard.location import Location

REVISION = '''
import sqlalchemy as sa
from alembic import op


def upgrade():
    op.create_table("notes", sa.Column("id", sa.Uuid(), primary_key=True), sa.Column("body", sa.Text()))
    with op.batch_alter_table("exams") as batch_op:
        batch_op.alter_column("title", nullable=False)
    with op.get_context().autocommit_block():
        op.create_index("ix_exams_title", "exams", ["title"], postgresql_concurrently=True)
    op.execute("SELECT " "1")
    op.add_column("exams", sa.Column("n", sa.Integer(), nullable=False, server_default=sa.text("0")))


def downgrade():
    """Nothing to undo."""
'''


def test_op_calls_are_bound_to_alembic_parameter_names(tmp_path: Path) -> None:
    source = RevisionSource(tmp_path / "r.py", REVISION)
    calls = source.upgrade
    assert [c.name for c in calls] == ["create_table", "alter_column", "create_index", "execute", "add_column"]
    create, batch, index, execute, add = calls
    assert create.table == "notes" and [c.name for c in create.table_columns()] == ["id", "body"]
    assert create.table_columns()[0].nullable is False, "a primary key column is NOT NULL"
    assert (batch.table, batch.text("column_name"), batch.flag("nullable")) == ("exams", "title", False)
    assert index.in_autocommit_block and not batch.in_autocommit_block
    assert index.strings("columns") == ("title",) and index.flag("postgresql_concurrently") is True
    assert execute.text("sqltext") == "SELECT 1"
    spec = add.column()
    assert spec is not None and (spec.name, spec.nullable, spec.server_default) == ("n", False, "0")
    assert index.position == (11, 9)
    assert source.downgrade == [] and source.downgrade_kind == "empty" and source.upgrade_kind == "ok"


@pytest.mark.parametrize(("body", "kind"), [
    ("    pass\n", "empty"),
    ('    """Docstring only."""\n    ...\n', "empty"),
    ('    raise NotImplementedError("one way")\n', "raises"),
    ('    op.drop_table("t")\n', "ok"),
])
def test_downgrade_kinds(body: str, kind: str, tmp_path: Path) -> None:
    text = f"from alembic import op\n\ndef upgrade():\n    op.create_table('t')\n\ndef downgrade():\n{body}"
    assert RevisionSource(tmp_path / "r.py", text).downgrade_kind == kind
    assert RevisionSource(tmp_path / "r.py", "def upgrade():\n    pass\n").downgrade_kind == "missing"


def test_sql_is_read_by_postgresqls_parser() -> None:
    [index] = statements("CREATE UNIQUE INDEX CONCURRENTLY ix_a ON public.exams (title)") or ()
    assert (index.kind, index.table, index.name, index.concurrently) == ("create_index", "exams", "ix_a", True)
    [constraint, validate] = statements(
        "ALTER TABLE exams ADD CONSTRAINT fk_s FOREIGN KEY (s) REFERENCES subjects (id) NOT VALID; "
        "ALTER TABLE exams VALIDATE CONSTRAINT fk_s") or ()
    assert (constraint.kind, constraint.constraint, constraint.not_valid) == ("add_constraint", "foreign key", True)
    assert (validate.kind, validate.name) == ("validate_constraint", "fk_s")
    assert is_data_only("UPDATE exams SET notes = 'DROP TABLE exams' WHERE id = :id")
    assert not is_data_only("UPDATE exams SET notes = ''; ALTER TABLE exams DROP COLUMN notes")
    assert statements("SELECT {columns} FROM {table}") is None, "a template is no SQL: no guess"
    assert [s.kind for s in statements("DO $$ BEGIN EXECUTE 'DROP TABLE x'; END $$") or ()] == ["schema"]




def test_the_rules_see_the_revision_as_plain_data(tmp_path: Path) -> None:
    facts = RevisionSource(tmp_path / "r.py", REVISION).facts("0002", ("0001",))
    assert (facts.id, facts.down_revisions) == ("0002", ("0001",))
    assert (facts.upgrade_body, facts.downgrade_body) == ("ok", "empty")
    create, batch, index, execute, add = facts.upgrade
    assert [c.name for c in create.table_columns] == ["id", "body"] and create.table_columns[0].nullable is False
    assert (batch.kind, batch.table, batch.text("column_name"), batch.flag("nullable")) == ("alter_column", "exams",
                                                                                           "title", False)
    assert (index.name, index.columns, index.in_autocommit_block) == ("ix_exams_title", ("title",), True)
    assert [s.kind for s in execute.statements] == ["data"] and execute.sql is not None and execute.sql.data_only
    assert add.column is not None and (add.column.type_code, add.column.server_default) == ("sa.Integer()", "0")
    assert add.code("column").startswith('sa.Column("n"')
    assert index.location == Location(str(tmp_path / "r.py"), 11, 9)
    assert facts.downgrade_location == Location(str(tmp_path / "r.py"), 16, 1)
    assert facts.changes_schema and facts.irreversible, "an empty downgrade of a schema change"
    seen = [facts, *facts.upgrade]
    while seen:  # nothing a rule can reach is a libcst object
        value = seen.pop()
        assert not type(value).__module__.startswith("libcst"), value
        if dataclasses.is_dataclass(value):
            seen += [getattr(value, f.name) for f in dataclasses.fields(value) if f.repr]
        elif isinstance(value, (tuple, list)):
            seen += list(value)
        elif isinstance(value, dict):
            seen += list(value.values())
