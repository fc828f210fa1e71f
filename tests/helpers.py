"""Helpers for end-to-end tests: build a small project on disk and run the real CLI on it in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

STUDENTS_MODULE = """\
import uuid

from sqlmodel import Field, SQLModel


class Student(SQLModel, table=True):
    __tablename__ = "students"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
"""
"""The tenant anchor, as a module of its own (``app/students.py``) in the small projects end-to-end tests build."""


@dataclass
class CliRun:
    exit_code: int
    stdout: str
    stderr: str

    def findings(self) -> list[dict[str, object]]:
        return json.loads(self.stdout)  # type: ignore[no-any-return]

    def codes_at(self) -> set[tuple[str, int | None]]:
        return {(str(f["code"]), f["line"]) for f in self.findings()}  # type: ignore[misc]


def write_project(root: Path, files: dict[str, str], settings: str = 'src = ["app"]\nmodels = ["app"]\n') -> Path:
    """A project folder with ``pyproject.toml`` ([tool.schema_guard] = ``settings``) and the given files."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(f"[tool.schema_guard]\n{settings}", encoding="utf-8")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


SARIF_SCHEMA = REPO_ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"


def assert_valid_sarif(log: dict[str, object]) -> None:
    """``log`` is valid SARIF 2.1.0 (the official schema, with format checks)."""
    import jsonschema

    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


def run_cli(cwd: Path, *args: str, env: dict[str, str] | None = None) -> CliRun:
    """``python -m schema_guard ARGS`` in ``cwd``, as a user would run it."""
    completed = subprocess.run(
        [sys.executable, "-m", "schema_guard", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300
    )
    return CliRun(completed.returncode, completed.stdout, completed.stderr)
