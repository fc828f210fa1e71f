"""pytest plugin (entry point ``pytest11``): ``--schema-guard`` and ``--schema-guard-migrations``."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("schema-guard")
    group.addoption("--schema-guard", action="store_true", help="check the configured models as test items")
