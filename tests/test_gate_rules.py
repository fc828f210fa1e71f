"""The per-revision rules (SG605, SG607, SG651-SG656) through their own examples, like the fact rules: every invalid
example fires on exactly its ``# expect:`` lines, every valid one stays silent. Plus the pieces they stand on:
reading ``op.*`` calls with libcst, normalising server defaults, comparing snapshots."""

from __future__ import annotations

from pathlib import Path

import pytest

from schema_guard.config import parse_config
from schema_guard.gate.checks.drift import normalise_default
from schema_guard.gate.analysis.operations import RevisionSource
from schema_guard.gate.alembic.revisions import Revision
from schema_guard.gate.checks.revision_safety import check_revisions
from schema_guard.gate.db.snapshot import Snapshot, TableShape, compare_snapshots
from schema_guard.facts import SchemaFacts
from schema_guard.rules.base import Example, RuleContext
from schema_guard.rules.registry import catalogue, revision_rules
from schema_guard.rules.revision import RevisionRule

GATE_CODES = [code for code, rule in catalogue().items() if code.startswith("SG6")]
REVISION_RULES = [rule for rule in catalogue().values() if issubclass(rule, RevisionRule)]


def judge(code: str, tmp_path: Path, config: tuple[tuple[str, object], ...] = ()) -> list[tuple[int | None, str]]:
    path = tmp_path / "0002_example.py"
    source = RevisionSource(path, code)
    revision = Revision("0002_example", path, "0002_example.py", ("0001",), script=None)  # type: ignore[arg-type]
    settings = parse_config(dict(config), root=tmp_path)
    findings = check_revisions([(revision, source)], rules=revision_rules(), in_scope=None,
                               context=RuleContext(settings.tenancy))
    return [(f.line, f.code) for f in findings]


def _cases() -> list[object]:
    return [
        pytest.param(rule, example, id=f"{rule.code}-{'valid' if example.valid else 'invalid'}{n}"
                     + (f"-{example.title}" if example.title else ""))
        for rule in REVISION_RULES for n, example in enumerate(rule.examples)
    ]


@pytest.mark.parametrize(("rule", "example"), _cases())
def test_revision_rule_example(rule: type[RevisionRule], example: Example, tmp_path: Path) -> None:
    fired = sorted(line or 0 for line, code in judge(example.code, tmp_path, example.config) if code == rule.code)
    if example.valid:
        assert fired == [], f"{rule.code} fired on a valid example at {fired}:\n{example.code}"
    else:
        expected = example.expected_lines(rule.code)
        assert expected, "an invalid example marks its lines with '# expect: CODE'"
        assert fired == expected, f"{rule.code} fired at {fired}, expected {expected}:\n{example.code}"


@pytest.mark.parametrize("code", GATE_CODES)
def test_every_gate_rule_is_documented_with_examples(code: str) -> None:
    rule = catalogue()[code]
    assert rule.name and rule.name == rule.name.lower() and " " not in rule.name
    assert rule.summary and rule.rationale and rule.how_to_fix
    assert set(rule.readers) <= {"migrations", "database"} and "migrations" in rule.readers
    assert any(e.valid for e in rule.examples) and any(not e.valid for e in rule.examples)


def test_gate_catalogue_is_complete() -> None:
    assert set(GATE_CODES) == {"SG601", "SG602", "SG603", "SG604", "SG605", "SG606", "SG607",
                               "SG651", "SG652", "SG653", "SG654", "SG655", "SG656"}


# --- reading revisions ---------------------------------------------------------------------------------------------

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


# --- server defaults ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("database", "model"), [
    ("'draft'::character varying", "'draft'"),
    ("now()", "now()"),
    ("CURRENT_TIMESTAMP", "now()"),
    ("false", "'false'"),
    ("0", "'0'"),
    ("gen_random_uuid()", "gen_random_uuid()"),
    ("'{}'::jsonb", "'{}'"),
])
def test_server_default_spellings_are_not_drift(database: str, model: str) -> None:
    assert normalise_default(database) == normalise_default(model)


@pytest.mark.parametrize(("database", "model"), [("'draft'::text", "'done'"), ("now()", "clock_timestamp()")])
def test_different_server_defaults_are_drift(database: str, model: str) -> None:
    assert normalise_default(database) != normalise_default(model)


# --- snapshots ----------------------------------------------------------------------------------------------------


def _snapshot(tables: dict[str, TableShape], enums: dict[str, tuple[str, ...]] | None = None) -> Snapshot:
    return Snapshot(tables, enums or {}, frozenset(), SchemaFacts(reader="database"))


def test_snapshot_differences_name_what_changed() -> None:
    shape = TableShape((("id", "UUID", False, None, None), ("title", "VARCHAR", False, None, None)), ("id",),
                       frozenset({("ix_t_title", ("title",), False)}), frozenset(), frozenset())
    changed = TableShape((("id", "UUID", False, None, None), ("title", "VARCHAR", True, None, None)), ("id",),
                         frozenset(), frozenset(), frozenset())
    found = {d.description for d in compare_snapshots(_snapshot({"t": shape}, {"status": ("a",)}),
                                                      _snapshot({"t": changed, "u": shape}))}
    assert found == {
        "column t.title is VARCHAR NULL, was VARCHAR NOT NULL",
        "index ix_t_title on t (title) is missing",
        "table u is left over",
        "enum type status is missing",
    }
    assert compare_snapshots(_snapshot({"t": shape}), _snapshot({"t": shape})) == []


# --- context across revisions, and SQL read by PostgreSQL's parser ------------------------------------------------


def judge_history(revisions: list[str], tmp_path: Path) -> list[tuple[str, int | None, str]]:
    """Judge several example revisions in upgrade order: (file, line, code) of every finding."""
    from schema_guard.rules.migrations import revision as example

    parsed = []
    for number, upgrade in enumerate(revisions, start=1):
        path = tmp_path / f"{number:04d}.py"
        parsed.append((Revision(f"{number:04d}", path, path.name, (), script=None),  # type: ignore[arg-type]
                       RevisionSource(path, example(upgrade))))
    settings = parse_config({}, root=tmp_path)
    findings = check_revisions(parsed, rules=revision_rules(), in_scope=None, context=RuleContext(settings.tenancy))
    return [(Path(f.path or "").name, f.line, f.code) for f in findings]


def test_dropping_the_tenant_index_is_fine_when_an_earlier_equivalent_one_stays(tmp_path: Path) -> None:
    earlier = ('    op.create_index("ix_exams_student_id", "exams", ["student_id"])\n'
               '    op.create_index("ix_exams_student_id_title", "exams", ["student_id", "title"])\n')
    dropped = ('    with op.get_context().autocommit_block():\n'
               '        op.drop_index("ix_exams_student_id", table_name="exams", postgresql_concurrently=True)\n')
    assert [c for _, _, c in judge_history([earlier, dropped], tmp_path) if c == "SG605"] == []
    both = dropped + ('        op.drop_index("ix_exams_student_id_title", table_name="exams", '
                      'postgresql_concurrently=True)\n')
    assert [(f, c) for f, _, c in judge_history([earlier, both], tmp_path) if c == "SG605"] == [
        ("0002.py", "SG605"), ("0002.py", "SG605")]


def test_sql_is_read_by_postgresqls_parser() -> None:
    from schema_guard.gate.analysis.sql import is_data_only, statements

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


def test_sql_that_does_not_parse_is_never_a_guess_and_never_a_crash(tmp_path: Path) -> None:
    code = ('    op.execute("CREATE INDEX ix_{name} ON {table} (title)".format(name="a", table="exams"))\n'
            '    op.execute("this is not SQL at all DROP TABLE exams")\n')
    assert [c for _, c in judge(revision_example(code), tmp_path) if c in {"SG651", "SG655"}] == []


def revision_example(upgrade: str) -> str:
    from schema_guard.rules.migrations import revision as example

    return example(upgrade, '    op.drop_index("ix_a")\n')
