"""The repository's own reference migrations pass the gate, through the library entry point and the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from schema_guard.config import load_config
from schema_guard.gate import run_gate
from tests.gate.support import REPO_ROOT, materialise


def test_reference_migrations_pass_the_gate(server_url: str, scratch_names: list[str], isolated_models: None) -> None:
    findings = run_gate(load_config(cwd=REPO_ROOT), database_url=server_url)
    assert findings == [], "\n".join(f"{f.location}: {f.code} {f.message}" for f in findings)
    assert len(scratch_names) == 1


def _cli(cwd: object, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run([sys.executable, "-m", "schema_guard", "migrations", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_cli_exit_codes_and_json(server_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    good = materialise("good", tmp_path)
    clean = _cli(good, "--database-url", server_url)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    broken = _cli(materialise("index_not_concurrent", tmp_path), "--database-url", server_url, "--format", "json")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    [finding] = json.loads(broken.stdout)
    assert (finding["code"], finding["path"], finding["line"]) == (
        "SG651", "migrations/versions/0003_lesson_title_index.py", 18)
    unreachable = _cli(good, "--database-url", "postgresql://postgres@127.0.0.1:1/postgres")
    assert unreachable.returncode == 2, unreachable.stdout + unreachable.stderr
    assert "SG010" in unreachable.stdout + unreachable.stderr


def test_inline_suppression_in_a_revision_file_from_any_working_directory(server_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    root = materialise("index_not_concurrent", tmp_path)
    revision = root / "migrations" / "versions" / "0003_lesson_title_index.py"
    revision.write_text(revision.read_text().replace("# expect: SG651", "# schema-guard: ignore[SG651]"))
    run = _cli(root / "migrations", "--database-url", server_url)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip().endswith("All checks passed! (1 suppressed)")
