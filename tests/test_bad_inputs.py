"""Every bad input is a finding or a one-line error, never a traceback, and never a silent pass: a file too deep for
the parser, a symlink loop and a folder that cannot be listed are SG001 (exit 2) while the other files are still
checked; a baseline that is not a readable UTF-8 file of this format version is refused, naming it."""

from __future__ import annotations

import json
import os
import pwd
import sys
import tempfile
from pathlib import Path

import pytest

from tests.helpers import STUDENTS_MODULE, run_cli, write_project

WITH_FINDING = '''
import uuid
from sqlmodel import Field, SQLModel


class Lesson(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id")
'''


def _project(root: Path) -> Path:
    return write_project(root, {"app/students.py": STUDENTS_MODULE, "app/lessons.py": WITH_FINDING}, settings='src = ["app"]\n')


def _check_json(root: Path) -> tuple[int, list[tuple[str, str]], str]:
    run = run_cli(root, "check", "--source-only", "--format", "json")
    assert "Traceback" not in run.stderr, run.stderr
    return run.exit_code, sorted((f["code"], Path(f["path"]).name) for f in run.findings()), run.stderr


@pytest.mark.parametrize("expression", [
    " + ".join(["1"] * 3000),
    "-" * 5000 + "1",
], ids=["3000-terms", "5000-unary"])
def test_a_file_too_deep_for_the_parser_is_sg001_and_the_rest_is_checked(expression: str, tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "app" / "generated.py").write_text(f"from sqlmodel import SQLModel\nx = {expression}\n")
    code, findings, _ = _check_json(root)
    assert code == 2 and ("SG001", "generated.py") in findings and ("SG203", "lessons.py") in findings


def test_a_symlink_loop_is_sg001_and_the_rest_is_checked(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "app" / "one.py").symlink_to("two.py")
    (root / "app" / "two.py").symlink_to("one.py")
    (root / "app" / "self").symlink_to(".")  # a folder loop is not followed at all
    for output in ("json", "text", "sarif"):
        run = run_cli(root, "check", "--source-only", "--format", output)
        assert run.exit_code == 2 and "Traceback" not in run.stderr, (output, run.stderr)
    code, findings, _ = _check_json(root)
    assert {("SG001", "one.py"), ("SG001", "two.py"), ("SG203", "lessons.py")} <= set(findings)


def _as_nobody(argv: list[str], cwd: Path) -> tuple[int, str]:
    """Run ``schema-guard ARGV`` in a child process as user ``nobody``, for whom a 0700 root folder is unreadable
    (root reads every folder, so the suite, which runs as root, needs another user). The interpreter lives where
    ``nobody`` may not read, so the command first runs here once, as root, to import every module it needs."""
    import contextlib
    import io

    from schema_guard.cli import main

    current = Path.cwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            main(argv)
    finally:
        os.chdir(current)
    nobody = pwd.getpwnam("nobody")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop to nobody, run the command, send the report through the pipe
        code = 70
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            os.chdir(cwd)
            sys.stdout = os.fdopen(write, "w")
            code = main(argv)
            sys.stdout.flush()
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read) as pipe:
        output = pipe.read()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")
def test_a_folder_that_cannot_be_listed_is_sg001_naming_it() -> None:
    base = Path(tempfile.mkdtemp(prefix="sg-unreadable-"))
    try:
        base.chmod(0o755)
        root = _project(base / "project")
        for folder in (root, root / "app"):
            folder.chmod(0o755)
        hidden = root / "app" / "private"
        hidden.mkdir()
        (hidden / "models.py").write_text(WITH_FINDING.replace("Lesson", "Secret"))
        hidden.chmod(0o700)  # root's; nobody may not list it
        code, output = _as_nobody(["check", "--source-only", "--format", "json"], root)
        assert output, code
        findings = json.loads(output)
        unreadable = [f for f in findings if f["code"] == "SG001"]
        assert code == 2 and len(unreadable) == 1 and unreadable[0]["path"].endswith("app/private"), output
        assert "cannot be listed" in unreadable[0]["message"]
        assert any(f["code"] == "SG203" and f["path"].endswith("lessons.py") for f in findings)
    finally:
        import shutil

        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.parametrize("kind", ["not-utf8", "folder", "unknown-version", "future-version"])
def test_a_bad_baseline_is_exit_2_naming_it(kind: str, tmp_path: Path) -> None:
    root = _project(tmp_path)
    baseline = root / ".schema-guard-baseline.json"
    if kind == "not-utf8":
        baseline.write_bytes(b'{"version": 1, "findings": [], "note": "\xff\xfe"}')
    elif kind == "folder":
        baseline.mkdir()
    else:
        version = "one" if kind == "unknown-version" else 2
        baseline.write_text(json.dumps({"version": version, "tool": "schema-guard", "findings": []}))
    for command in (["check", "--source-only"], ["baseline"]):
        run = run_cli(root, *command)
        assert run.exit_code == 2, (command, run)
        assert ".schema-guard-baseline.json" in run.stderr and "Traceback" not in run.stderr
        assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    if kind.endswith("version"):
        assert "version" in run.stderr and "not supported" in run.stderr
