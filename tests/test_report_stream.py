"""The report owns standard output: model code that prints or writes to file descriptor 1 at import cannot corrupt
``--format json``/``sarif``, a thread it leaves running cannot keep the process alive, and a reader that stops
reading (``| head``) does not change the exit code."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT

NOISY_MODELS = '''\
import os
import sys
import threading
import time
import uuid

from sqlmodel import Field, SQLModel

print("print at import")
os.write(1, b"raw bytes to fd 1 at import\\n")
sys.stdout.flush()
threading.Thread(target=time.sleep, args=(3600,), name="user-thread").start()  # not a daemon


class Student(SQLModel, table=True):
    __tablename__ = "students"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)


class Lesson(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id")
'''


def _project(tmp_path: Path) -> Path:
    (tmp_path / "noisy_models.py").write_text(NOISY_MODELS, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text('[tool.schema_guard]\nsrc = ["noisy_models.py"]\n'
                                             'models = ["noisy_models"]\n', encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("output_format", ["json", "sarif"])
def test_model_code_writing_to_stdout_cannot_corrupt_the_report(output_format: str, tmp_path: Path) -> None:
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "schema_guard", "check", "--format", output_format],
                         cwd=_project(tmp_path), capture_output=True, text=True, timeout=60, check=False)
    elapsed = time.monotonic() - started
    document = json.loads(run.stdout)  # nothing but the report
    codes = ([f["code"] for f in document] if output_format == "json"
             else [r["ruleId"] for r in document["runs"][0]["results"]])
    assert "SG203" in codes and run.returncode == 1, run
    assert "print at import" in run.stderr and "raw bytes to fd 1 at import" in run.stderr
    assert elapsed < 30, f"the user's non-daemon thread kept the process alive ({elapsed:.1f} s)"


def test_a_closed_stdout_keeps_a_clean_runs_exit_code(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.schema_guard]\nsrc = ["models.py"]\n', encoding="utf-8")
    (tmp_path / "models.py").write_text("import uuid\n", encoding="utf-8")
    for command in (["check"], ["rules"]):
        process = subprocess.Popen([sys.executable, "-m", "schema_guard", *command], cwd=tmp_path,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
        assert process.stdout is not None
        process.stdout.close()  # like `| head` that has already exited
        _, errors = process.communicate(timeout=60)
        assert process.returncode == 0, (command, errors.decode())
        assert b"Traceback" not in errors and b"Exception ignored" not in errors, errors.decode()


def _env() -> dict[str, str]:
    import os

    return {**os.environ, "PYTHONPATH": str(REPO_ROOT)}


def test_exit_handlers_of_user_code_still_run(tmp_path: Path) -> None:
    """The process ends without the interpreter's teardown (see ``exit_process``), but after the exit handlers."""
    marker = tmp_path / "atexit-ran"
    (tmp_path / "models.py").write_text(
        "import atexit\nimport uuid\n\nfrom sqlmodel import Field, SQLModel\n\n"
        f"atexit.register(lambda: open({str(marker)!r}, 'w').write('done'))\n\n\n"
        "class Student(SQLModel, table=True):\n    __tablename__ = 'students'\n"
        "    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)\n", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text('[tool.schema_guard]\nsrc = ["models.py"]\nmodels = ["models"]\n',
                                             encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "schema_guard", "check", "--format", "json"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60, check=False, env=_env())
    assert run.returncode == 0 and json.loads(run.stdout) == [], run
    assert marker.read_text(encoding="utf-8") == "done"
