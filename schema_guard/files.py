"""Which Python files a check reads: the paths given (or the configured ``src``), minus excluded folders."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

ALWAYS_EXCLUDED = frozenset(
    {".git", ".hg", ".venv", "venv", ".tox", ".nox", "__pycache__", "node_modules", "build", "dist",
     "site-packages", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
)


def discover(paths: Iterable[Path], root: Path, exclude: Sequence[str] = ()) -> list[Path]:
    """Every ``.py`` file under ``paths``, minus the always-excluded folders (virtualenvs, caches, ``.git``) and
    the configured ``exclude`` globs."""
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_file():
            if path.suffix == ".py" and not _excluded(path, root, exclude):
                found[path] = None
        elif path.is_dir():
            depth = len(path.parts)
            for candidate in sorted(path.rglob("*.py"), key=_order):
                parts = candidate.parts[depth:-1]
                if not any(part in ALWAYS_EXCLUDED for part in parts) and not _excluded(candidate, root, exclude):
                    found[candidate] = None
    return list(found)


def _order(path: Path) -> tuple[str, ...]:
    """The order of ``sorted()`` on paths, as a tuple compared in C (path comparisons cost ~0.1 s at 5,000 files)."""
    return tuple(part.lower() for part in path.parts) if os.name == "nt" else path.parts


def absolute(path: str | Path) -> str:
    """A comparable absolute form of a path, without the syscalls of ``resolve()`` (this runs per file)."""
    return os.path.abspath(path)


def relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` where it is inside it, for globs and messages."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _excluded(path: Path, root: Path, exclude: Sequence[str]) -> bool:
    if not exclude:
        return False
    text = relative(path, root)
    return any(fnmatch.fnmatch(text, pattern) or fnmatch.fnmatch(text, f"{pattern.rstrip('/')}/*") for pattern in exclude)


def matches_glob(path: str | None, root: Path, glob: str) -> bool:
    if path is None:
        return False
    text = relative(Path(path), root)
    return fnmatch.fnmatch(text, glob) or fnmatch.fnmatch(Path(text).name, glob)
