"""Shared test helpers: an isolated SQLModel registry per test that imports models."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest


def reset_sqlmodel() -> None:
    """Forget every table and mapped class, so the next test's models can reuse table and class names."""
    from sqlalchemy.orm import clear_mappers
    from sqlmodel import SQLModel

    clear_mappers()
    SQLModel.metadata.clear()


def _imported_from_test_models(name: str) -> bool:
    """Modules a test's models brought in from its tmp folder — not schema-guard itself (re-importing it would
    register its rules twice), the standard library or installed packages."""
    path = getattr(sys.modules.get(name), "__file__", None) or ""
    return not name.startswith("schema_guard") and "site-packages" not in path and not path.startswith(sys.base_prefix)


@pytest.fixture
def isolated_models() -> Iterator[None]:
    """Reset SQLModel's global registry around a test and unload the modules it imported from tmp folders."""
    before = set(sys.modules)
    reset_sqlmodel()
    yield
    for name in set(sys.modules) - before:
        if _imported_from_test_models(name):
            del sys.modules[name]
    reset_sqlmodel()
