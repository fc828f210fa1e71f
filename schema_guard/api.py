"""The public rule API: everything a team needs to write its own rules, and nothing else.

A team's rule is a :class:`FactRule` subclass declared with :func:`register` in a module that the configuration's
``plugins`` key names (``plugins = ["team_rules"]``) or that an installed package names in the entry-point group
``schema_guard.rules``. It reads the neutral schema facts every reader produces (:class:`SchemaFacts`), so one
``check`` runs on model source, on imported metadata and on the migrated database; what several rules derive
from the facts (tenant-scoped tables, the relationship index) is ``context.view`` (:class:`SchemaView`), computed
once per run. A rule about each Alembic revision is a :class:`RevisionRule`: it judges the revision's operations
(:class:`RevisionFacts`, :class:`Operation`, plain data) and the migration gate runs it. Every rule's
``Valid``/``Invalid`` examples are run by :mod:`schema_guard.testing`. ``docs/plugins.md`` walks through it. Names
outside ``__all__`` are internal and may change in any release.
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
from schema_guard.revision_facts import Argument, NewColumn, Operation, RevisionFacts, Sql, SqlStatement
from schema_guard.rules.base import Example, FactRule, Invalid, RuleContext, Valid, register
from schema_guard.rules.revision import RevisionContext, RevisionRule, Violation
from schema_guard.schema_view import RelationshipIndex, SchemaView
from schema_guard.tenancy import TenantPolicy

__all__ = [
    "Argument",
    "ColumnFact",
    "Example",
    "FactRule",
    "Finding",
    "ForeignKeyFact",
    "IndexFact",
    "Invalid",
    "Location",
    "NewColumn",
    "Operation",
    "RelationshipFact",
    "RelationshipIndex",
    "RevisionContext",
    "RevisionFacts",
    "RevisionRule",
    "RuleContext",
    "SchemaFacts",
    "SchemaView",
    "Sql",
    "SqlStatement",
    "TableFact",
    "TenantPolicy",
    "UniqueFact",
    "Valid",
    "Violation",
    "register",
]
