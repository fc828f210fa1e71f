"""Which revision defined what: tables, columns, indexes and constraints → the revision file and line.

Built from the revisions' ``op.*`` calls in upgrade order; the latest revision that created or changed an object wins
(so a column made nullable later is located at that later revision); indexes and constraints come from the same
:class:`~schema_guard.gate.analysis.history.SchemaHistory` the per-revision rules read. Implements the database reader's
``Locator``, so facts reflected from the migrated database point at revision files, not at "<unknown>".
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable

from schema_guard.facts import Location
from schema_guard.gate.analysis.history import SchemaHistory, Site
from schema_guard.gate.analysis.operations import OpCall, RevisionSource
from schema_guard.gate.alembic.revisions import Revision


class Provenance:
    def __init__(self, sources: Iterable[tuple[Revision, RevisionSource]]) -> None:
        self._tables: dict[str, Site] = {}
        self._columns: dict[tuple[str, str], Site] = {}
        self._objects = SchemaHistory()
        """Indexes and constraints: the same record the per-revision rules read."""
        self._sources: list[tuple[Revision, RevisionSource]] = []
        self._precise = True
        for revision, source in sources:
            self._sources.append((revision, source))
            for call in source.upgrade:
                self._record(revision, source, call)
                self._objects.record_call(revision, call)

    def _record(self, revision: Revision, source: RevisionSource, call: OpCall) -> None:
        """Tables and columns (indexes and constraints are :attr:`_objects`'s)."""
        table = call.table
        if not table:
            return
        site: Site = (revision, source, call.node)
        if call.name == "create_table":
            self._tables[table] = site
            for spec in call.table_columns():
                if spec.name:
                    self._columns[(table, spec.name)] = (revision, source, spec.node)
        elif call.name == "rename_table":
            new = call.text("new_table_name")
            if new:
                self._tables[new] = site
        elif call.name in {"add_column", "alter_column"}:
            spec = call.column() if call.name == "add_column" else None
            column = spec.name if spec else call.text("column_name")
            if column:
                self._columns[(table, column)] = site
                new_name = call.text("new_column_name")
                if new_name:
                    self._columns[(table, new_name)] = site

    def _locate(self, site: Site | None) -> Location:
        if site is None:
            return Location()
        revision, source, node = site
        if not self._precise:
            return revision.location()
        line, column = source.position(node)
        return revision.location(line, column)

    def coarse(self) -> Provenance:
        """The same lookups, naming only the revision file: no line numbers, so nothing has to be computed per file
        (positions cost a libcst metadata pass). For the many facts reflected at head; see :meth:`refine`."""
        coarse = copy.copy(self)
        coarse._precise = False
        return coarse

    def refine(self, location: Location, table: str | None, column: str | None) -> Location:
        """The precise location (line, column) for a finding located coarsely in a revision file."""
        if location.line is not None or table is None:
            return location
        precise = self.column(table, column) if column else self.table(table)
        return precise if precise.path == location.path or location.path is None else location

    # --- Locator ---

    def table(self, table: str) -> Location:
        """The revision that created (or last renamed) ``table``; for a table made by SQL the revision runs itself
        (``op.execute("CREATE TABLE ...")``), the first revision that names it."""
        site = self._tables.get(table)
        return self._locate(site) if site is not None else self.naming(table)

    def column(self, table: str, column: str) -> Location:
        return self._locate(self._columns.get((table, column)) or self._tables.get(table))

    def index(self, table: str, name: str | None) -> Location:
        return self._locate(self._objects.site(name) or self._tables.get(table))

    def constraint(self, table: str, name: str | None) -> Location:
        return self._locate(self._objects.site(name) or self._tables.get(table))

    # --- for the gate ---

    def naming(self, name: str) -> Location:
        """The first revision whose text names ``name`` as a word (in SQL, ``audit.events`` names ``events``)."""
        pattern = re.compile(rf"(?<![\w$]){re.escape(name)}(?![\w$])")
        for revision, source in self._sources:
            found = pattern.search(source.text)
            if found is not None:
                return revision.location(source.text.count("\n", 0, found.start()) + 1, 1)
        return Location()

    def mentioning(self, name: str) -> Location:
        """The first revision whose upgrade text names ``name`` as a string (for enum types, sequences)."""
        for revision, source in self._sources:
            for quote in ('"', "'"):
                at = source.text.find(f"{quote}{name}{quote}")
                if at >= 0:
                    return revision.location(source.text.count("\n", 0, at) + 1, 1)
        return Location()
