"""Every file schema-guard writes is replaced atomically: a kill or a full disk mid-write leaves the old file, never
an empty or half-written one; ``--fix`` keeps line endings, the byte-order mark and the file's mode, and never
writes through a symlink that leads out of the project."""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from schema_guard.atomic_write import write_atomically
from tests.helpers import REPO_ROOT, run_cli

FIXABLE_MODEL = '''\
import uuid
from typing import Optional

from sqlmodel import Field, SQLModel


class Student(SQLModel, table=True):
    __tablename__ = "students"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)


class Lesson(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: Optional[uuid.UUID] = Field(foreign_key="students.id")
    tags: list = Field(default=[])
'''


def _project(root: Path, files: dict[str, bytes]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text('[tool.schema_guard]\nsrc = ["app"]\n', encoding="utf-8")
    for name, data in files.items():
        (root / "app" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "app" / name).write_bytes(data)
    return root


# the writer itself ------------------------------------------------------------------------------------------------


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "models.py"
    target.write_text("old\n")

    def disk_full(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError):
        write_atomically(target, b"new\n" * 1000)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["models.py"]


def test_the_mode_is_kept_and_a_new_file_follows_the_umask(tmp_path: Path) -> None:
    target = tmp_path / "models.py"
    target.write_text("old\n")
    target.chmod(0o640)
    write_atomically(target, b"new\n")
    assert target.read_bytes() == b"new\n" and oct(target.stat().st_mode & 0o777) == "0o640"
    umask = os.umask(0o022)
    try:
        write_atomically(tmp_path / "fresh.json", b"{}")
    finally:
        os.umask(umask)
    assert oct((tmp_path / "fresh.json").stat().st_mode & 0o777) == "0o644"


def test_concurrent_readers_never_see_an_empty_or_half_written_baseline(tmp_path: Path) -> None:
    target = tmp_path / "baseline.json"
    documents = [json.dumps({"version": 1, "findings": [{"n": i, "pad": "x" * 5000} for i in range(k)]})
                 for k in (40, 80)]
    target.write_text(documents[0])
    seen: list[str] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            seen.append(target.read_text())

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for round_ in range(150):
            write_atomically(target, documents[round_ % 2].encode())
    finally:
        stop.set()
        reader.join()
    assert seen and all(text in documents for text in seen), "a reader saw a partial baseline"


# --fix ------------------------------------------------------------------------------------------------------------


def test_sigkill_during_fix_leaves_every_model_file_whole(tmp_path: Path) -> None:
    """Killed at a random moment while rewriting 300 files: each is the original or the fully fixed text."""
    originals = {f"m{i:03}.py": FIXABLE_MODEL.replace("Lesson", f"Lesson{i}").encode() for i in range(300)}
    fixed_reference = tmp_path / "reference"
    _project(fixed_reference, {"m.py": FIXABLE_MODEL.encode()})
    assert run_cli(fixed_reference, "check", "--source-only", "--fix").exit_code in (0, 1)
    fixed_text = (fixed_reference / "app" / "m.py").read_bytes()
    assert fixed_text != FIXABLE_MODEL.encode()
    rng = random.Random(11)
    for attempt in range(3):
        root = _project(tmp_path / f"run{attempt}", originals)
        process = subprocess.Popen([sys.executable, "-m", "schema_guard", "check", "--source-only", "--fix"],
                                   cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
        first = root / "app" / "m000.py"
        deadline = time.monotonic() + 60
        while first.read_bytes() == originals["m000.py"] and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 0.3))  # somewhere in the middle of the rewrites
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        for name, original in originals.items():
            data = (root / "app" / name).read_bytes()
            expected_fixed = fixed_text.replace(b"Lesson", f"Lesson{int(name[1:4])}".encode())
            assert data in (original, expected_fixed), f"{name} was left {len(data)} bytes long"
        others = [p.name for p in (root / "app").iterdir() if not p.name.endswith(".py")]
        # SIGKILL runs no clean-up: at most the one temporary file being written stays, hidden and never read.
        assert len(others) <= 1 and all(n.startswith(".m") and n.endswith(".schema-guard-tmp") for n in others)


def test_fix_keeps_crlf_and_the_diff_applies_with_patch(tmp_path: Path) -> None:
    crlf = FIXABLE_MODEL.replace("\n", "\r\n").encode()
    root = _project(tmp_path / "p", {"lessons.py": crlf})
    shown = subprocess.run([sys.executable, "-m", "schema_guard", "check", "--source-only", "--diff"], cwd=root,
                           capture_output=True, check=False, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    diff = shown.stdout.decode("utf-8").split("\napp/lessons.py:", 1)[0] + "\n"  # the diff, without the report
    assert "\r\n" in diff and (root / "app" / "lessons.py").read_bytes() == crlf, "--diff writes nothing"
    if shutil.which("patch"):
        copy = tmp_path / "copy.py"
        copy.write_bytes(crlf)
        applied = subprocess.run(["patch", "--forward", str(copy)], input=diff.encode(), capture_output=True,
                                 check=False)
        assert applied.returncode == 0, applied.stdout.decode() + applied.stderr.decode()
    run_cli(root, "check", "--source-only", "--fix")
    fixed = (root / "app" / "lessons.py").read_bytes()
    assert fixed != crlf and fixed.count(b"\r\n") == fixed.count(b"\n"), "every line still ends in CRLF"
    if shutil.which("patch"):
        assert copy.read_bytes() == fixed, "the --diff hunks give exactly what --fix writes"


def test_fix_keeps_the_byte_order_mark_and_the_mode(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", {"lessons.py": b"\xef\xbb\xbf" + FIXABLE_MODEL.encode()})
    model = root / "app" / "lessons.py"
    model.chmod(0o600)
    run = run_cli(root, "check", "--source-only", "--fix")
    assert "Fixed" in run.stdout, run
    data = model.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"default_factory=list" in data
    assert oct(model.stat().st_mode & 0o777) == "0o600"


def test_fix_reports_a_symlink_that_leads_out_of_the_project_and_follows_one_inside(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "shared_models.py"
    outside.parent.mkdir()
    outside.write_text(FIXABLE_MODEL.replace("Lesson", "SharedLesson"), encoding="utf-8")
    root = _project(tmp_path / "p", {"inside_target.py": FIXABLE_MODEL.replace("students", "pupils").encode()})
    (root / "app" / "linked_out.py").symlink_to(outside)
    (root / "app" / "linked_in.py").symlink_to(root / "app" / "inside_target.py")
    run = run_cli(root, "check", "--source-only", "--fix")
    assert outside.read_text(encoding="utf-8") == FIXABLE_MODEL.replace("Lesson", "SharedLesson"), "a file outside the project was rewritten"
    assert "Not fixed" in run.stdout and "linked_out.py" in run.stdout and "outside the project" in run.stdout
    assert (root / "app" / "linked_out.py").is_symlink() and (root / "app" / "linked_in.py").is_symlink()
    assert "default_factory=list" in (root / "app" / "inside_target.py").read_text(encoding="utf-8")
    assert run.exit_code == 1, "the unfixed file's findings are still reported"


def test_a_full_disk_during_fix_leaves_the_model_file_as_it_was(tmp_path: Path) -> None:
    """A write limit (RLIMIT_FSIZE, as a full disk would) makes the rewrite fail half-way: exit 2, file unchanged."""
    import resource

    root = _project(tmp_path / "p", {"lessons.py": FIXABLE_MODEL.encode()})

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))

    run = subprocess.run([sys.executable, "-B", "-m", "schema_guard", "check", "--source-only", "--fix"], cwd=root,
                         capture_output=True, text=True, check=False, preexec_fn=small_disk,
                         env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert run.returncode == 2 and "Traceback" not in run.stderr, run
    assert (root / "app" / "lessons.py").read_text(encoding="utf-8") == FIXABLE_MODEL
    assert sorted(p.name for p in (root / "app").iterdir()) == ["lessons.py"]
