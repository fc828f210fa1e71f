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


@pytest.fixture
def isolated_models() -> Iterator[None]:
    """Reset SQLModel's global registry around a test and unload the modules it imported from tmp folders."""
    before = set(sys.modules)
    reset_sqlmodel()
    yield
    for name in set(sys.modules) - before:
        module = sys.modules.get(name)
        if module is not None and "site-packages" not in (getattr(module, "__file__", "") or ""):
            del sys.modules[name]
    reset_sqlmodel()
