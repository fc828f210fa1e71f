"""Progress of ``schema-guard migrations`` on stderr: one updating line on a terminal (phases and the revision in
flight), nothing when stderr is not a terminal, one line per phase with ``-v``."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

from schema_guard.config import load_config
from schema_guard.gate import run_gate
from schema_guard.gate.progress import Progress
from tests.gate.support import REPO_ROOT, materialise


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_one_line_is_updated_and_cleared() -> None:
    stream = Terminal()
    progress = Progress(stream)
    progress.phase("loading the Alembic project")
    progress.step("upgrade", 2, 40, "0002_lessons")
    progress.done()
    assert stream.getvalue() == ("\r\x1b[Kschema-guard: loading the Alembic project"
                                 "\r\x1b[Kschema-guard: upgrade revision 2 of 40 (0002_lessons)\r\x1b[K")


def test_off_a_terminal_nothing_unless_verbose_and_then_phases_only() -> None:
    quiet, verbose = io.StringIO(), io.StringIO()
    for stream, progress in ((quiet, Progress(quiet)), (verbose, Progress(verbose, verbose=True))):
        progress.phase("comparing the migrated database with the models")
        progress.step("upgrade", 1, 4, "0001")
        progress.done()
    assert quiet.getvalue() == ""
    assert verbose.getvalue() == "schema-guard: comparing the migrated database with the models\n"


def test_the_gate_reports_each_phase_and_revision(tmp_path: Path, server_url: str,  # noqa: F811
                                                  scratch_names: list[str], isolated_models: None) -> None:
    root = materialise("good", tmp_path)
    stream = Terminal()
    assert run_gate(load_config(cwd=root), database_url=server_url, progress=Progress(stream)) == []
    shown = [line for line in stream.getvalue().split("\r\x1b[K") if line]
    # A clean downgrade brings the database back object for object, so the round trip's second upgrade is skipped.
    assert shown[0] == "schema-guard: creating the throwaway database"
    for expected in ("schema-guard: loading the Alembic project",
                     "schema-guard: upgrade revision 1 of 4 (0001_students_subjects)",
                     "schema-guard: upgrade revision 4 of 4 (0004_lesson_notes)",
                     "schema-guard: comparing the migrated database with the models",
                     "schema-guard: round trip: downgrade revision 1 of 4 (0004_lesson_notes)",
                     "schema-guard: checking each revision's operations"):
        assert expected in shown, (expected, shown)
    assert stream.getvalue().endswith("\r\x1b[K"), "the line is cleared before the report"


def _run(root: Path, server: str, *extra: str, terminal: bool) -> tuple[int, str, str]:
    """``schema-guard migrations`` with stderr on a pseudo-terminal (``terminal``) or a pipe."""
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    environment.pop("GITHUB_ACTIONS", None)
    command = [sys.executable, "-m", "schema_guard", "migrations", "--database-url", server, *extra]
    if not terminal:
        done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=300, env=environment)
        return done.returncode, done.stdout, done.stderr
    leader, follower = pty.openpty()
    process = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=follower, env=environment)
    os.close(follower)
    captured = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 300)
        if not ready:
            break
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        captured += chunk
    os.close(leader)
    stdout = process.stdout.read().decode() if process.stdout else ""
    return process.wait(timeout=60), stdout, captured.decode()


def test_cli_progress_on_a_terminal_and_silence_elsewhere(tmp_path: Path, server_url: str) -> None:  # noqa: F811
    root = materialise("good", tmp_path)
    code, stdout, stderr = _run(root, server_url, terminal=True)
    assert code == 0 and stdout.strip() == "All checks passed!"
    assert "\r\x1b[Kschema-guard: upgrade revision 2 of 4 (0002_lessons)" in stderr
    assert stderr.endswith("\r\x1b[K")
    code, stdout, stderr = _run(root, server_url, terminal=False)
    assert (code, stdout.strip(), stderr) == (0, "All checks passed!", "")
    code, stdout, stderr = _run(root, server_url, "-v", terminal=False)
    assert code == 0 and "\r" not in stderr
    lines = stderr.splitlines()
    assert "schema-guard: comparing the migrated database with the models" in lines
    assert any(line.startswith("schema-guard: created throwaway database sg_gate_") for line in lines)
    assert not any("upgrade revision" in line for line in lines)
