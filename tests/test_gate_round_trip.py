"""The round trip's second upgrade runs only when it can tell something: when the downgrade to base brings the
database back object for object, upgrading again would repeat the first upgrade on the same database (and it was
the one cost that grew with the history); when something the snapshot does not compare stays behind (a function),
the second upgrade runs and names the revision that fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from schema_guard.config import load_config
from schema_guard.gate import run_gate
from schema_guard.facts import SchemaFacts
from schema_guard.gate.alembic.stepping import MigrationRunner
from schema_guard.gate.db.snapshot import Snapshot, TableShape, compare_snapshots
from tests.gate.support import materialise

LEAKED_FUNCTION = '''\
"""A ranking helper; the downgrade forgets the function.

Revision ID: 0005_lesson_rank
Revises: 0004_lesson_notes
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_lesson_rank"
down_revision = "0004_lesson_notes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("lessons", sa.Column("rank", sa.Integer(), nullable=True))
    op.execute("CREATE FUNCTION lesson_rank() RETURNS integer LANGUAGE sql AS 'SELECT 1'")


def downgrade() -> None:
    op.drop_column("lessons", "rank")
'''


def upgrades(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The targets of every upgrade the gate runs."""
    targets: list[str] = []
    original = MigrationRunner.upgrade

    def counted(self: MigrationRunner, target: str):  # type: ignore[no-untyped-def]
        targets.append(target)
        return original(self, target)

    monkeypatch.setattr(MigrationRunner, "upgrade", counted)
    return targets


def test_a_clean_round_trip_upgrades_once(tmp_path: Path, server_url: str, scratch_names: list[str],
                                          isolated_models: None, monkeypatch: pytest.MonkeyPatch) -> None:
    targets = upgrades(monkeypatch)
    assert run_gate(load_config(cwd=materialise("good", tmp_path)), database_url=server_url) == []
    assert targets == ["heads"]


def test_a_function_left_behind_fails_the_second_upgrade(tmp_path: Path, server_url: str, scratch_names: list[str],
                                                         isolated_models: None,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    root = materialise("good", tmp_path)
    revision = root / "migrations" / "versions" / "0005_lesson_rank.py"
    revision.write_text(LEAKED_FUNCTION, encoding="utf-8")
    targets = upgrades(monkeypatch)
    findings = run_gate(load_config(cwd=root), database_url=server_url)
    assert targets == ["heads", "heads"]
    again = [f for f in findings if f.code == "SG603"]
    assert len(again) == 1 and Path(again[0].path or "").name == revision.name, findings
    assert "upgrading again fails" in again[0].message and "lesson_rank" in again[0].message


# --- comparing snapshots (no database) -----------------------------------------------------------------------------


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
