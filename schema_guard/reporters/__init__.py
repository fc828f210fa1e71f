"""Reporters turn a check result into text for a person, JSON for tools, SARIF for code scanning, or GitHub
workflow annotations. Each is one module with a ``render(result, cwd) -> str`` function."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schema_guard.result import CheckResult

FORMATS = ("text", "json", "sarif", "github")


def default_format() -> str:
    """``github`` inside GitHub Actions (annotations show up on the pull request), else ``text``."""
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def renderer(name: str) -> Callable[[CheckResult, Path], str]:
    if name not in FORMATS:
        raise ValueError(f"unknown format '{name}' (choose from {', '.join(FORMATS)})")
    return importlib.import_module(f"schema_guard.reporters.{name}").render  # type: ignore[no-any-return]


def display_path(path: str | None, cwd: Path) -> str:
    """A path relative to the working directory where it is below it (what editors and CI link)."""
    if path is None:
        return "<unknown>"
    try:  # realpath, not resolve(): it never raises, not even on a symlink loop (Python < 3.13)
        return Path(os.path.realpath(path)).relative_to(os.path.realpath(cwd)).as_posix()
    except ValueError:
        return path
