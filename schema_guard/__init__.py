"""schema-guard: executable schema rules for SQLModel + Alembic + PostgreSQL projects.

The public API is small: :func:`check` runs the same pipeline as ``schema-guard check`` and returns the
findings; :class:`Finding` and :class:`Location` are what it returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from schema_guard.config import Config, ConfigError, load_config
from schema_guard.facts import Location
from schema_guard.findings import Finding
from schema_guard.version import __version__

__all__ = ["Config", "ConfigError", "Finding", "Location", "__version__", "check", "load_config"]


def check(paths: Sequence[str | Path] | None = None, *, config: Config | None = None) -> list[Finding]:
    """Check the project's models (source and metadata readers) and return what ``schema-guard check`` reports.

    ``config`` defaults to the ``[tool.schema_guard]`` section found from the working directory.
    """
    from schema_guard.engine import run_check

    result = run_check(config or load_config(), [Path(p) for p in paths] if paths else None)
    return result.findings
