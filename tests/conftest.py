"""Shared test helpers: an isolated SQLModel registry per test that imports models."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from schema_guard.testing import isolated_models as isolated


@pytest.fixture
def isolated_models() -> Iterator[None]:
    """Reset SQLModel's global registry around a test and unload the modules it imported from tmp folders."""
    with isolated():
        yield
