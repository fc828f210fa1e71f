"""Configuration that only the readers can judge: ``tenant-table`` and ``shared-tables`` must name tables that
exist. A misspelt anchor would otherwise turn every tenant-scoped table into a SG201/SG204 finding, and a misspelt
shared table would silently stay tenant-scoped; one line that names the key and the closest table says it all."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence

from schema_guard.config import Config, ConfigError
from schema_guard.facts import SchemaFacts


TENANCY_CODES = ("SG2", "SG70")
"""The rules that read ``tenant-table`` and ``shared-tables``: with all of them off the names judge nothing."""


def check_table_names(config: Config, facts: Sequence[SchemaFacts], enabled: Callable[[str], bool]) -> None:
    """Raise :class:`ConfigError` when ``tenant-table`` or a ``shared-tables`` entry names no table that any reader
    found; say nothing when the readers found no table at all (nothing was checked against them) or some table's name is computed where a reader
    cannot follow (that name may be the configured one), or when no
    tenancy rule is selected (a project without tenancy keeps the default anchor name). A table that the checked
    tables' foreign keys point at exists somewhere (another package, a shared library): it is no mistake."""
    from schema_guard.rules.registry import catalogue

    if not any(enabled(code) for code in catalogue() if code.startswith(TENANCY_CODES)):
        return
    found = {table.name for reader in facts for table in reader.tables}
    if not found or any(reader.unnamed_tables for reader in facts):
        return  # nothing to check against, or a name the reader could not know may be the one configured
    found |= {name for reader in facts for name in reader.known_tables}
    found |= {key.target_table for reader in facts for table in reader.tables for key in table.foreign_keys}
    where = f"{config.source}: " if config.source else ""
    named = [("tenant-table", config.tenant_table), *(("shared-tables", name) for name in config.shared_tables)]
    for key, name in named:
        if name not in found:
            close = difflib.get_close_matches(name, sorted(found), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (tables found: {_some(found)})"
            raise ConfigError(f"{where}[tool.schema_guard] {key}: '{name}' names no table the readers found{hint}")


def _some(names: set[str], limit: int = 5) -> str:
    shown = sorted(names)[:limit]
    return ", ".join(shown) + (", ..." if len(names) > limit else "")
