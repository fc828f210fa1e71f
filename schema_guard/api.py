"""The public rule API: everything a team needs to write its own rules, and nothing else.

A team's rule is a :class:`FactRule` subclass declared with :func:`register` in a module that the configuration's
``plugins`` key names (``plugins = ["team_rules"]``) or that an installed package names in the entry-point group
``schema_guard.rules``. It reads the neutral schema facts every reader produces (:class:`SchemaFacts`), so one
``check`` runs on model source, on imported metadata and on the migrated database; what several rules derive
from the facts (tenant-scoped tables, the relationship index) is ``context.view`` (:class:`SchemaView`), computed
once per run. Its ``Valid``/``Invalid`` examples are run by :mod:`schema_guard.testing`. ``docs/plugins.md`` walks
through it. Names outside ``__all__`` are internal and may change in any release.
"""

from __future__ import annotations

from schema_guard.facts import (
    ColumnFact,
    ForeignKeyFact,
    IndexFact,
    Location,
    RelationshipFact,
    SchemaFacts,
    TableFact,
    UniqueFact,
)
from schema_guard.findings import Finding
from schema_guard.rules.base import Example, FactRule, Invalid, RuleContext, Valid, register
from schema_guard.schema_view import RelationshipIndex, SchemaView
from schema_guard.tenancy import TenantPolicy

__all__ = [
    "ColumnFact",
    "Example",
    "FactRule",
    "Finding",
    "ForeignKeyFact",
    "IndexFact",
    "Invalid",
    "Location",
    "RelationshipFact",
    "RelationshipIndex",
    "RuleContext",
    "SchemaFacts",
    "SchemaView",
    "TableFact",
    "TenantPolicy",
    "UniqueFact",
    "Valid",
    "register",
]
