"""Which revision created which index and constraint: one record, read by the per-revision rules and by provenance.

Replayed in upgrade order over the revisions' ``op.*`` calls. For each index or constraint name it keeps

* the definition (table, columns) while it exists — a later ``drop_index("ix_exams_student_id")`` is then known to
  drop the tenant index (SG605), and a ``drop_index`` without ``table_name`` still knows its table (SG651);
* the call that created it last (revision, source, node) — never forgotten on a drop — so facts and findings about
  an index or constraint reflected from the migrated database point at the line that made it.

Names PostgreSQL or SQLAlchemy derive are derived the same way: ``ix_<table>_<column>`` for ``index=True``,
``<table>_<column>_fkey`` for an inline ``ForeignKey``, ``<table>_<column>_key`` for ``unique=True``,
``<table>_pkey`` for the primary key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from schema_guard.gate.analysis.operations import OpCall, RevisionSource, dotted_name, name_value, string_list, string_value
from schema_guard.gate.alembic.revisions import Revision

Definition = tuple[str, tuple[str, ...]]
"""(table, columns) of an index or constraint."""
Site = tuple[Revision, RevisionSource, cst.CSTNode]
"""Where something was made: the revision, its parsed source, and the call (or ``sa.Column``) node."""

_CONSTRAINT_CALLS = {"create_foreign_key", "create_unique_constraint", "create_primary_key"}
_UNTRACKED_CONSTRAINT_CALLS = {"create_check_constraint", "create_exclude_constraint"}
"""Constraints with no column list to remember: only where they were made is kept."""


@dataclass
class SchemaHistory:
    """Index and constraint definitions created by the revisions applied so far, by name, and where each name was
    last created."""

    indexes: dict[str, Definition] = field(default_factory=dict)
    constraints: dict[str, Definition] = field(default_factory=dict)
    """Foreign keys, unique constraints and primary keys (check and exclusion constraints have only a site)."""
    sites: dict[str, Site] = field(default_factory=dict)

    def record(self, revision: Revision, source: RevisionSource) -> None:
        for call in source.upgrade:
            self.record_call(revision, call)

    def site(self, name: str | None) -> Site | None:
        """The call that last created index or constraint ``name`` (also once it was dropped again)."""
        return self.sites.get(name or "")

    def record_call(self, revision: Revision, call: OpCall) -> None:
        table = call.table or ""
        site: Site = (revision, call.source, call.node)
        if call.name == "create_index":
            name, columns = call.text("index_name"), call.strings("columns") or ()
            self._index(name, table, columns, site)
        elif call.name == "drop_index":
            self.indexes.pop(call.text("index_name") or "", None)
        elif call.name in _CONSTRAINT_CALLS:
            name = call.text("constraint_name")
            columns = call.strings("local_cols") or call.strings("columns") or ()
            self._constraint(name, table, columns, site)
        elif call.name in _UNTRACKED_CONSTRAINT_CALLS:
            self._site(call.text("constraint_name"), site)
        elif call.name == "drop_constraint":
            self.constraints.pop(call.text("constraint_name") or "", None)
        elif call.name == "create_table":
            self._record_table(revision, call, table)
        elif call.name == "add_column":
            spec = call.column()
            if spec and spec.name:
                self._record_column(table, spec.name, spec.index, spec.has_foreign_key, spec.unique, site)

    def _record_table(self, revision: Revision, call: OpCall, table: str) -> None:
        source = call.source
        self._site(f"{table}_pkey", (revision, source, call.node))
        for spec in call.table_columns():
            if spec.name:
                self._record_column(table, spec.name, spec.index, spec.has_foreign_key, spec.unique,
                                    (revision, source, spec.node))
        for item in call.rest:
            if isinstance(item, cst.Call):
                self._record_table_item(table, item, (revision, source, item))

    def _record_table_item(self, table: str, item: cst.Call, site: Site) -> None:
        kind = dotted_name(item.func).split(".")[-1]
        name = next((name_value(a.value) for a in item.args if a.keyword and a.keyword.value == "name"), None)
        if kind == "Index":
            positional = [name_value(a.value) for a in item.args if a.keyword is None]
            if positional:
                self._index(positional[0], table, tuple(c for c in positional[1:] if c), site)
        elif kind in {"ForeignKeyConstraint", "UniqueConstraint", "PrimaryKeyConstraint"}:
            columns = _item_columns(item)
            if name is None and kind == "PrimaryKeyConstraint":
                name = f"{table}_pkey"
            elif name is None and columns:
                suffix = "fkey" if kind == "ForeignKeyConstraint" else "key"
                name = f"{table}_{'_'.join(columns)}_{suffix}"
            if columns:
                self._constraint(name, table, columns, site)
            else:  # columns not written as literals: where it was made is all that is known
                self._site(name, site)
        else:  # CheckConstraint(..., name="...") and the like
            self._site(name, site)

    def _record_column(self, table: str, column: str, index: bool, foreign_key: bool, unique: bool,
                       site: Site) -> None:
        if index:
            self._index(f"ix_{table}_{column}", table, (column,), site)
        if foreign_key:
            self._constraint(f"{table}_{column}_fkey", table, (column,), site)
        if unique:
            self._constraint(f"{table}_{column}_key", table, (column,), site)

    def _index(self, name: str | None, table: str, columns: tuple[str, ...], site: Site) -> None:
        if name:
            self.indexes[name] = (table, columns)
            self.sites[name] = site

    def _constraint(self, name: str | None, table: str, columns: tuple[str, ...], site: Site) -> None:
        if name:
            self.constraints[name] = (table, columns)
            self.sites[name] = site

    def _site(self, name: str | None, site: Site) -> None:
        if name:
            self.sites[name] = site


def _item_columns(item: cst.Call) -> tuple[str, ...]:
    """The local columns of a table-level constraint: ``ForeignKeyConstraint(["a"], ...)`` or
    ``UniqueConstraint("a", "b")``."""
    if not item.args:
        return ()
    listed = string_list(item.args[0].value)
    if listed is not None:
        return listed
    return tuple(v for a in item.args if a.keyword is None and (v := string_value(a.value)))
