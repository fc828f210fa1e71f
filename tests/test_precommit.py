"""The pre-commit hook, end to end: pre-commit installs schema-guard from this repository into its own
virtualenv and runs the ``schema-guard`` hook on a consumer's staged model file; a violation fails the commit
with the finding in the output, and the fixed model passes.

Slow (pre-commit builds a virtualenv and pip-installs schema-guard and its dependencies, twice): one test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or subprocess.run([sys.executable, "-m", "pre_commit", "--version"],
                                                  capture_output=True).returncode != 0,
    reason="needs git and pre-commit",
)  # fmt: skip

VIOLATING = '''
import uuid

from sqlmodel import Field, SQLModel


class Student(SQLModel, table=True):
    __tablename__ = "students"

    id: int = Field(primary_key=True)
'''

FIXED = VIOLATING.replace(
    "id: int = Field(primary_key=True)", "id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)"
)

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "schema-guard tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "schema-guard tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
}


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_IDENTITY}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def snapshot_of_this_repository(target: Path) -> Path:
    """A one-commit copy of the working tree (tracked and new files, minus ignored ones).

    ``try-repo`` on a dirty repository only sees tracked files; a snapshot makes the test check what is on disk,
    in a clean clone (CI) and in a working copy alike.
    """
    listed = git(REPO_ROOT, "ls-files", "--cached", "--others", "--exclude-standard", "-z").split("\0")
    for name in filter(None, listed):
        source = REPO_ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    git(target, "init", "-q")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "snapshot")
    return target


def consumer_project(root: Path, model: str) -> Path:
    root.mkdir()
    (root / "pyproject.toml").write_text('[tool.schema_guard]\nsrc = ["."]\n', encoding="utf-8")
    (root / "model.py").write_text(textwrap.dedent(model).lstrip("\n"), encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", "-A")
    return root


def pre_commit(cwd: Path, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **GIT_IDENTITY, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )


def test_schema_guard_hook_fails_on_a_violation_and_passes_once_fixed(tmp_path: Path) -> None:
    hooks = snapshot_of_this_repository(tmp_path / "schema-guard")
    project = consumer_project(tmp_path / "project", VIOLATING)
    home = tmp_path / "pre-commit-home"

    tried = pre_commit(project, "try-repo", str(hooks), "schema-guard", "--files", "model.py", home=home)
    output = tried.stdout + tried.stderr
    assert tried.returncode == 1, output
    assert "model.py:9:5: SG101" in output, output

    # The consumer's own configuration, as the README shows it; the hook's environment is built once here.
    revision = git(hooks, "rev-parse", "HEAD").strip()
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hooks}\n    rev: {revision}\n    hooks:\n      - id: schema-guard\n", encoding="utf-8"
    )
    failing = pre_commit(project, "run", "--files", "model.py", home=home)
    assert failing.returncode == 1 and "SG101" in failing.stdout, failing.stdout + failing.stderr

    (project / "model.py").write_text(textwrap.dedent(FIXED).lstrip("\n"), encoding="utf-8")
    git(project, "add", "model.py")
    passing = pre_commit(project, "run", "--files", "model.py", home=home)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "Passed" in passing.stdout
