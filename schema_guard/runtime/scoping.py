"""Which tables a query must filter by tenant, decided exactly as the rules decide it.

The guard sees SQLAlchemy :class:`~sqlalchemy.schema.Table` objects at run time; this module translates each one's
metadata into the neutral :class:`~schema_guard.facts.TableFact` (name, primary key, foreign keys, the
``info={"schema_guard": {"shared": True}}`` declaration) and asks the configured
:class:`~schema_guard.tenancy.TenantPolicy` — the anchor, ``shared-tables``, declared-shared models and shared
association tables are exempt, every other table is tenant-scoped (deny by default).
"""

from __future__ import annotations

from sqlalchemy import Column, MetaData, Table

from schema_guard.facts import ForeignKeyFact, SchemaFacts, TableFact
from schema_guard.tenancy import TableScope, TenantPolicy, declared_shared


def table_fact(table: Table) -> TableFact:
    """The facts the tenancy policy needs about one table: name, key, foreign keys, shared declaration."""
    foreign_keys = []
    for constraint in table.foreign_key_constraints:
        targets = [element.target_fullname.split(".") for element in constraint.elements]
        if targets:
            foreign_keys.append(
                ForeignKeyFact(
                    columns=tuple(element.parent.name for element in constraint.elements),
                    target_table=targets[0][-2],
                    target_columns=tuple(target[-1] for target in targets),
                )
            )
    return TableFact(
        name=table.name,
        primary_key=tuple(column.name for column in table.primary_key.columns),
        foreign_keys=foreign_keys,
        declared_shared=declared_shared(table.info),
    )


class TableScopes:
    """The policy applied to tables, memoised per table (a guard lives for one test)."""

    def __init__(self, policy: TenantPolicy) -> None:
        self.policy = policy
        self._scopes: dict[Table, TableScope] = {}
        self._facts: dict[int, tuple[int, SchemaFacts]] = {}

    def scope(self, table: Table) -> TableScope:
        if table not in self._scopes:
            self._scopes[table] = self.policy.scope(table_fact(table), self._facts_of(table))
        return self._scopes[table]

    def is_tenant_scoped(self, table: Table) -> bool:
        return self.scope(table) is TableScope.TENANT

    def tenant_column(self, table: Table) -> Column[object] | None:
        """The table's tenant column (by database name), ``None`` when the table lacks it (SG201)."""
        return _column_named(table, self.policy.tenant_column)

    def seen_metadata(self) -> list[MetaData]:
        """The MetaData of every table judged so far (raw SQL is searched for their tenant-scoped tables)."""
        return list(dict.fromkeys(table.metadata for table in list(self._scopes)))

    def _facts_of(self, table: Table) -> SchemaFacts:
        """The table's whole MetaData as facts (shared association tables are judged by their targets)."""
        metadata = table.metadata
        cached = self._facts.get(id(metadata))
        if cached is None or cached[0] != len(metadata.tables):
            facts = SchemaFacts(reader="runtime", tables=[table_fact(t) for t in metadata.tables.values()])
            cached = (len(metadata.tables), facts)
            self._facts[id(metadata)] = cached
        return cached[1]


def _column_named(table: Table, name: str) -> Column[object] | None:
    return next((column for column in table.columns if column.name == name), None)
