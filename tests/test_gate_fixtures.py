"""The migration gate on real PostgreSQL: each fixture project under ``tests/gate/fixtures`` (a shared ``_base`` plus
the fixture's overlay, assembled by ``materialise``) breaks one thing (or nothing) and marks the line where the gate
must report it with ``# expect: SGxxx``. The gate must report exactly those findings, at those revision files and
lines, and leave no database behind on the server."""

from __future__ import annotations

from pathlib import Path

import pytest

from schema_guard.config import load_config
from schema_guard.gate import run_gate
from tests.gate.support import FIXTURE_NAMES, FIXTURES, expected_findings, materialise, patched, project_path

INTERRUPT_ONLY = {"slow_revision"}
MATRIX = [name for name in FIXTURE_NAMES if name not in INTERRUPT_ONLY]
FATAL = {"SG010", "SG011"}


def gate_findings(root: Path, database_url: str | None, **options: object) -> set[tuple[str, str | None, int | None]]:
    findings = run_gate(load_config(cwd=root), database_url=database_url, **options)  # type: ignore[arg-type]
    for finding in findings:
        assert finding.severity == ("fatal" if finding.code in FATAL else "error"), finding
        assert finding.message and "\n" not in finding.message, finding
    return {(f.code, project_path(f.path, root), f.line) for f in findings}


def test_every_fixture_marks_what_it_breaks(tmp_path: Path) -> None:
    assert "good" in MATRIX
    for name in MATRIX:
        readme = (FIXTURES / name / "README.md").read_text()
        assert readme.strip(), f"{name} has no README saying what it breaks"
        clean = name == "good" or readme.startswith("Clean:")
        assert clean or expected_findings(materialise(name, tmp_path)), f"{name} marks no expected finding"


def test_an_overlay_diff_changes_its_base_file_and_fails_when_it_no_longer_fits(tmp_path: Path) -> None:
    diff = tmp_path / "models.py.diff"
    diff.write_text("--- _base/models.py\n+++ f/models.py\n@@ -2,2 +2,3 @@\n b\n-c\n+C  # expect: SG601\n+d\n",
                    encoding="utf-8")
    assert patched("a\nb\nc\ne\n", diff) == "a\nb\nC  # expect: SG601\nd\ne\n"
    with pytest.raises(ValueError, match="line 3 of the base file is not 'c\\\\n'"):
        patched("a\nb\nx\ne\n", diff)


@pytest.mark.parametrize("name", MATRIX)
def test_fixture_produces_exactly_the_marked_findings(
    name: str, tmp_path: Path, server_url: str, scratch_names: list[str], isolated_models: None
) -> None:
    root = materialise(name, tmp_path)
    assert gate_findings(root, server_url) == expected_findings(root)
    if name not in {"broken_alembic_ini", "duplicate_revision_id"}:
        assert len(scratch_names) == 1, "the gate ran in exactly one throwaway database"


def test_the_url_database_itself_is_never_migrated(tmp_path: Path, server_url: str, scratch_names: list[str],
                                                   isolated_models: None) -> None:
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    engine = sa.create_engine(server_url, poolclass=NullPool)
    with engine.connect() as connection:
        before = set(sa.inspect(connection).get_table_names())
    assert gate_findings(materialise("good", tmp_path), server_url) == set()
    with engine.connect() as connection:
        after = set(sa.inspect(connection).get_table_names())
    engine.dispose()
    assert "alembic_version" not in after - before and "lessons" not in after - before


def test_since_a_revision_limits_the_per_revision_rules(tmp_path: Path, server_url: str, scratch_names: list[str],
                                                        isolated_models: None) -> None:
    root = materialise("index_not_concurrent", tmp_path)
    assert gate_findings(root, server_url, since="0003_lesson_title_index") == set()
    assert {code for code, _, _ in gate_findings(root, server_url, since="0002_lessons")} == {"SG651"}
    assert {code for code, _, _ in gate_findings(root, server_url, since="base")} == {"SG651"}


def test_since_a_git_ref_judges_only_the_revisions_the_change_adds(
    tmp_path: Path, server_url: str, scratch_names: list[str], isolated_models: None
) -> None:
    import subprocess

    root = materialise("index_not_concurrent", tmp_path)
    versions = root / "migrations" / "versions"
    change = {name: (versions / name).read_text() for name in ("0003_lesson_title_index.py", "0004_lesson_notes.py")}
    for name in change:
        (versions / name).unlink()

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                       env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                            "GIT_COMMITTER_EMAIL": "t@t", "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})

    git("init", "-q", "-b", "main")
    git("add", ".")
    git("commit", "-q", "-m", "0001-0002")
    git("checkout", "-q", "-b", "feature")
    for name, text in change.items():  # the change adds 0003 (unsafe) and 0004 (safe), not yet committed
        (versions / name).write_text(text)
    assert {c for c, _, _ in gate_findings(root, server_url, since="main")} == {"SG651"}
    git("add", ".")
    git("commit", "-q", "-m", "0003-0004")
    assert {c for c, _, _ in gate_findings(root, server_url, since="main")} == {"SG651"}
    assert gate_findings(root, server_url, since="HEAD") == set(), "nothing was added since HEAD"


def test_since_something_unknown_is_a_tooling_problem(tmp_path: Path, server_url: str, isolated_models: None) -> None:
    found = gate_findings(materialise("good", tmp_path), server_url, since="no-such-revision-or-ref")
    assert {code for code, _, _ in found} == {"SG011"}


def test_without_configured_models_env_py_metadata_is_compared(tmp_path: Path, server_url: str,
                                                               scratch_names: list[str], isolated_models: None) -> None:
    from schema_guard.config import parse_config

    root = materialise("missing_index", tmp_path)
    config = parse_config({"shared-tables": ["subjects"], "migrations": {"alembic-config": "alembic.ini"}}, root=root)
    assert config.models == ()
    findings = run_gate(config, database_url=server_url)
    assert [(f.code, project_path(f.path, root), f.line) for f in findings] == [("SG601", "missing_index_models.py", 32)]
