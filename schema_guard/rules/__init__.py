"""The rule catalogue: importing a family module registers its rules."""

from __future__ import annotations

import importlib

_FAMILIES = (
    "schema_guard.rules.keys",
    "schema_guard.rules.tenancy",
    "schema_guard.rules.orm_style",
    "schema_guard.rules.relationships",
    "schema_guard.rules.fields",
    "schema_guard.rules.meta",
    "schema_guard.rules.migrations",
    "schema_guard.rules.runtime",
)
_loaded = False


def load_all() -> None:
    """Import every rule family once; the catalogue is complete after this."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in _FAMILIES:
        importlib.import_module(module)
