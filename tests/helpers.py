"""Helpers for end-to-end tests: build a small project on disk and run the real CLI on it in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


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


def run_cli(cwd: Path, *args: str, env: dict[str, str] | None = None) -> CliRun:
    """``python -m schema_guard ARGS`` in ``cwd``, as a user would run it."""
    completed = subprocess.run(
        [sys.executable, "-m", "schema_guard", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300
    )
    return CliRun(completed.returncode, completed.stdout, completed.stderr)
