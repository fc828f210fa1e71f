"""The gate's rules (SG601-SG607, SG651-SG656) are documented with examples, and the per-revision ones know the
revisions before the one they judge and make no guess about SQL that is no SQL. Their examples themselves run with
every rule's in ``tests/test_rule_examples.py`` (``schema_guard.testing`` reads them as revision files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from schema_guard.config import parse_config
from schema_guard.gate.alembic.revisions import Revision
from schema_guard.gate.analysis.operations import RevisionSource
from schema_guard.gate.checks.revision_safety import check_revisions
from schema_guard.rules.base import RuleContext
from schema_guard.rules.migrations import revision as example_revision
from schema_guard.rules.registry import catalogue, revision_rules

GATE_CODES = [code for code, rule in catalogue().items() if code.startswith("SG6")]


def judge(code: str, tmp_path: Path, config: tuple[tuple[str, object], ...] = ()) -> list[tuple[int | None, str]]:
    path = tmp_path / "0002_example.py"
    source = RevisionSource(path, code)
    revision = Revision("0002_example", path, "0002_example.py", ("0001",), script=None)  # type: ignore[arg-type]
    settings = parse_config(dict(config), root=tmp_path)
    findings = check_revisions([(revision, source)], rules=revision_rules(), in_scope=None,
                               context=RuleContext(settings.tenancy))
    return [(f.line, f.code) for f in findings]


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


# --- context across revisions ------------------------------------------------------------------------------------


def judge_history(revisions: list[str], tmp_path: Path) -> list[tuple[str, int | None, str]]:
    """Judge several example revisions in upgrade order: (file, line, code) of every finding."""
    parsed = []
    for number, upgrade in enumerate(revisions, start=1):
        path = tmp_path / f"{number:04d}.py"
        parsed.append((Revision(f"{number:04d}", path, path.name, (), script=None),  # type: ignore[arg-type]
                       RevisionSource(path, example_revision(upgrade))))
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


def test_sql_that_does_not_parse_is_never_a_guess_and_never_a_crash(tmp_path: Path) -> None:
    code = ('    op.execute("CREATE INDEX ix_{name} ON {table} (title)".format(name="a", table="exams"))\n'
            '    op.execute("this is not SQL at all DROP TABLE exams")\n')
    assert [c for _, c in judge(revision_example(code), tmp_path) if c in {"SG651", "SG655"}] == []


def revision_example(upgrade: str) -> str:
    return example_revision(upgrade, '    op.drop_index("ix_a")\n')
