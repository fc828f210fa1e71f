"""Statement analysis: does a statement pin every tenant-scoped table it reads or writes to one tenant?

The guard hands over each statement as SQLAlchemy compiled it, so what is judged is what runs: the ORM's joins,
aliases and ``with_loader_criteria`` are resolved, and joined eager loads are told apart from the user's joins.

For every SELECT (the statement itself, each subquery, CTE and derived table) the analysis finds its FROM
entries — tables, aliases, joins — and collects the conditions that hold for every row it reads: the top-level
``AND`` terms of the WHERE clause and of inner-join ON clauses (an outer join's ON clause constrains only its
optional side). A column is *pinned* when such a condition equates it with a value (a bound parameter, a literal,
a scalar subquery), or with a pinned column. Each tenant-scoped table read must have its tenant column pinned:

* a join counts as filtered through another table only by a provable equality chain of tenant columns
  (``attempts.student_id = exams.student_id AND exams.student_id = :sid``); a join on ``exam_id`` alone is not;
* a correlated subquery may lean on the enclosing query's pinned columns; a derived table (FROM subquery, CTE) is
  filtered either inside or by the outer query pinning its exported tenant column;
* UPDATE and DELETE are judged like a SELECT of their target (and of any table their WHERE reads);
* INSERT must set the tenant column to a value that is not NULL (or the column must have a server default);
* ``text()`` and driver-level SQL cannot be analysed: referencing a tenant-scoped table there (as PostgreSQL's
  parser reads it, so a name inside a string literal or a column alias does not count) is reported as
  unverifiable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, UniqueConstraint
from sqlalchemy.sql import operators
from sqlalchemy.sql.compiler import Compiled
from sqlalchemy.sql.dml import Delete, Insert, Update, UpdateBase
from sqlalchemy.sql.elements import (
    BinaryExpression,
    BindParameter,
    Cast,
    ClauseElement,
    CollectionAggregate,
    ColumnClause,
    Grouping,
    Label,
    Null,
    TextClause,
    Tuple,
    TypeCoerce,
)
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import (
    Alias,
    CompoundSelect,
    FromClause,
    Join,
    Lateral,
    ScalarSelect,
    Select,
    SelectBase,
    TextualSelect,
)

from schema_guard.runtime.raw_sql import referenced_tables
from schema_guard.runtime.scoping import TableScopes

Key = tuple[int, int, str]
"""A column of one FROM entry of one SELECT: (scope id, FROM entry id, column name)."""

_VALUE = "value"


@dataclass(frozen=True)
class Problem:
    """One table a statement touches without pinning its tenant."""

    table: str
    message: str
    fix: str


def plain(element: Any) -> Any:
    """The element without ORM annotations (annotated copies stand for the same table or alias)."""
    if getattr(element, "_annotations", None):
        return element._deannotate()
    return element


def conjuncts(clause: ClauseElement | None) -> list[ClauseElement]:
    """The top-level ``AND`` terms of a condition."""
    if clause is None:
        return []
    clause = _ungroup(clause)
    if getattr(clause, "operator", None) is operators.and_ and hasattr(clause, "clauses"):
        return [term for part in clause.clauses for term in conjuncts(part)]
    return [clause]


def _ungroup(element: Any) -> Any:
    """Look through parentheses, labels and casts: ``CAST(exams.student_id AS TEXT)`` still names the column."""
    while True:
        if isinstance(element, (Grouping, Label)):
            element = element.element
        elif isinstance(element, (Cast, TypeCoerce)):
            element = element.clause
        else:
            return element


def is_value(element: Any) -> bool:
    """A single value that does not depend on the rows read: a bound parameter, a scalar subquery, or a function
    of those (``func.current_setting('app.student_id')``, the row-level-security pattern). ``NULL`` is not a value
    (``= NULL`` matches nothing), nor is SQL text (``literal_column("exams.student_id")`` may name the very column
    it is compared with)."""
    element = _ungroup(element)
    if isinstance(element, (Null, CollectionAggregate, TextClause, ColumnClause)):
        return False  # = ANY(...) admits many tenants; text and bare columns are not bound values
    if isinstance(element, (BindParameter, ScalarSelect)):
        return True
    if isinstance(element, FunctionElement):
        return all(is_value(argument) for argument in element.clauses)
    if isinstance(element, (SelectBase, FromClause)):
        return False
    return all(is_value(child) for child in element.get_children())


def equalities(condition: Any) -> list[tuple[Any, Any]]:
    """The pairs a condition equates: ``a = b`` gives one, ``(a, b) = (x, y)`` (``tuple_``) gives one per position,
    and ``a IN (x)`` with a one-element list is ``a = x``."""
    condition = _ungroup(condition)
    if not isinstance(condition, BinaryExpression):
        return []
    if condition.operator is operators.in_op:
        right = condition.right
        single = isinstance(right, BindParameter) and right.expanding and isinstance(right.value, (list, tuple)) \
            and len(right.value) == 1
        return [(condition.left, right)] if single else []
    if condition.operator is not operators.eq:
        return []
    left, right = _ungroup(condition.left), _ungroup(condition.right)
    if isinstance(left, Tuple) and isinstance(right, Tuple) and len(left.clauses) == len(right.clauses):
        return list(zip(left.clauses, right.clauses))
    return [(condition.left, condition.right)]


def join_leaves(from_clause: Any) -> list[Any]:
    """The tables, aliases and subqueries a FROM entry is made of (joins flattened, left to right)."""
    from_clause = plain(from_clause)
    if isinstance(from_clause, Join):
        return join_leaves(from_clause.left) + join_leaves(from_clause.right)
    return [from_clause]


def table_of(leaf: Any) -> Table | None:
    """The table a FROM entry reads directly: a table, or an alias of one."""
    if isinstance(leaf, Table):
        return leaf
    if isinstance(leaf, Alias) and isinstance(plain(leaf.element), Table):
        return plain(leaf.element)  # type: ignore[no-any-return]
    return None


def _row_keys(scope: Any, pinned: set[Any]) -> set[Any]:
    """The primary-key columns of each FROM entry whose unique key (not its primary key) is pinned: one row, so
    its key is one value (``projects.name = :name`` joined on ``jobs.project_id = projects.id``)."""
    found = set()
    for leaf in scope.leaves:
        table = table_of(leaf)
        if table is None:
            continue
        primary = tuple(column.name for column in table.primary_key.columns)
        if not primary:
            continue
        uniques = [tuple(c.name for c in constraint.columns) for constraint in table.constraints
                   if isinstance(constraint, UniqueConstraint)]
        uniques += [tuple(c.name for c in index.columns) for index in table.indexes if index.unique]
        uniques += [(column.name,) for column in table.columns if column.unique]
        for unique in uniques:
            if unique and unique != primary and all((id(scope), id(leaf), name) in pinned for name in unique):
                found |= {(id(scope), id(leaf), name) for name in primary}
    return found


def nested_selects(roots: Iterable[Any]) -> Iterator[SelectBase]:
    """SELECTs inside expressions (scalar subqueries, ``IN``/``EXISTS`` subqueries), not descending into them."""
    stack = [root for root in roots if root is not None]
    while stack:
        element = stack.pop()
        if isinstance(element, SelectBase):
            yield element
        elif not isinstance(element, FromClause):
            stack.extend(element.get_children())


def compound_members(select: SelectBase) -> list[SelectBase]:
    if isinstance(select, CompoundSelect):
        return [member for part in select.selects for member in compound_members(part)]
    return [select]


_INSERT_COLUMNS = re.compile(r"^\s*INSERT\s+INTO\s+[^\s(]+\s*\(([^)]*)\)", re.IGNORECASE)


def insert_columns(sql: str) -> set[str]:
    """The column list of a compiled ``INSERT INTO t (a, b, ...)`` (empty for ``DEFAULT VALUES``)."""
    match = _INSERT_COLUMNS.match(sql)
    if not match:
        return set()
    return {name.strip().strip('"') for name in match.group(1).split(",") if name.strip()}


@dataclass(eq=False)
class _Scope:
    """The FROM entries of one SELECT (or one UPDATE/DELETE), inside its enclosing scope."""

    parent: _Scope | None
    leaves: list[Any] = field(default_factory=list)
    joined: set[int] = field(default_factory=set)
    onclauses: list[ClauseElement] = field(default_factory=list)

    def add(self, leaf: Any) -> None:
        if all(leaf is not known for known in self.leaves):
            self.leaves.append(leaf)

    def has(self, leaf_id: int) -> bool:
        return any(id(leaf) == leaf_id for leaf in self.leaves)

    def owner(self, leaf_id: int) -> _Scope | None:
        scope: _Scope | None = self
        while scope is not None and not scope.has(leaf_id):
            scope = scope.parent
        return scope

    def outer_leaf_ids(self) -> set[int]:
        ids: set[int] = set()
        scope = self
        while scope is not None:
            ids |= {id(leaf) for leaf in scope.leaves}
            scope = scope.parent  # type: ignore[assignment]
        return ids


@dataclass(frozen=True)
class _Ref:
    key: Key
    leaf: int
    local: bool


Condition = tuple[ClauseElement, "frozenset[int] | None"]
"""A condition and the FROM entries it may pin (``None``: every entry of the scope)."""


class StatementChecker:
    """Judges compiled statements against the tenancy policy; ``known_tables`` names the tables raw SQL may
    mention."""

    def __init__(self, scopes: TableScopes, known_tables: Callable[[], Iterable[Table]]) -> None:
        self.scopes = scopes
        self.known_tables = known_tables

    def check_compiled(self, compiled: Compiled, parameters: Sequence[Mapping[str, Any]]) -> list[Problem]:
        statement = compiled.statement
        if isinstance(statement, (TextClause, TextualSelect)):
            return self.check_raw(compiled.string, "text() SQL")
        state = getattr(compiled, "compile_state", None)
        core = getattr(state, "statement", None)
        core = statement if core is None else core
        analysis = _Analysis(self, eager_leaf_ids(state))
        if isinstance(core, SelectBase):
            analysis.select(core, None, frozenset(), set(), correlate=False)
        elif isinstance(core, Insert):
            analysis.insert(core, compiled.string, parameters)
        elif isinstance(core, (Update, Delete)):
            analysis.update_or_delete(core)
        return analysis.problems

    def check_raw(self, sql: str, origin: str) -> list[Problem]:
        """SQL the guard cannot analyse: report each tenant-scoped table it names as unverifiable."""
        problems = []
        referenced = referenced_tables(sql)
        for table in sorted(self._tenant_tables(), key=lambda t: t.name):
            if referenced is not None:
                named = table.name in referenced
            else:  # not PostgreSQL's grammar (another dialect's SQL): a whole-word search is all that is left
                named = re.search(rf"(?<![\w$]){re.escape(table.name)}(?![\w$])", sql, re.IGNORECASE) is not None
            if named:
                problems.append(Problem(
                    table.name,
                    f"{origin} reads or writes tenant-scoped table '{table.name}'; the guard cannot verify that it "
                    f"filters by {self.scopes.policy.tenant_column}",
                    "Write the query with select()/update()/delete() so the tenant predicate can be checked, or "
                    "mark the test @pytest.mark.cross_tenant(reason=...) if it must stay raw SQL.",
                ))
        return problems

    def _tenant_tables(self) -> list[Table]:
        seen: dict[tuple[str | None, str], Table] = {}
        for table in self.known_tables():
            if self.scopes.is_tenant_scoped(table):
                seen.setdefault((table.schema, table.name), table)
        return list(seen.values())


def eager_leaf_ids(state: Any) -> set[int]:
    """The aliases the ORM joined for joined eager loading: relationship loads, not the user's joins."""
    ids: set[int] = set()
    for join in (getattr(state, "eager_joins", None) or {}).values():
        leaves = join_leaves(join)
        ids |= {id(leaf) for leaf in leaves[1:]}
    return ids


class _Analysis:
    """One statement's analysis: its scopes, the pinned columns, the problems found."""

    def __init__(self, checker: StatementChecker, eager: set[int]) -> None:
        self.checker = checker
        self.scopes = checker.scopes
        self.eager = eager
        self.problems: list[Problem] = []
        self.visited: set[int] = set()
        self._alive: list[_Scope] = []

    # SELECT -------------------------------------------------------------------------------------------------

    def select(self, select: SelectBase, parent: _Scope | None, outer: frozenset[Key], seeds: set[tuple[int, str]],
               *, correlate: bool) -> None:
        for member in compound_members(select):
            if isinstance(member, TextualSelect):
                self.problems += self.checker.check_raw(str(member), "text() SQL")
            elif isinstance(member, Select):
                self._one_select(member, parent, outer, seeds, correlate=correlate)

    def _one_select(self, select: Select, parent: _Scope | None, outer: frozenset[Key],
                    seeds: set[tuple[int, str]], *, correlate: bool) -> None:
        scope = self._scope(parent)
        froms = [plain(f) for f in select.get_final_froms()]
        if correlate and parent is not None and getattr(select, "_auto_correlate", True):
            enclosing = parent.outer_leaf_ids()
            froms = [f for f in froms if id(f) not in enclosing] or froms
        conditions: list[Condition] = []
        for from_clause in froms:
            self._flatten(from_clause, scope, conditions)
        conditions += [(term, None) for term in conjuncts(select.whereclause)]
        known = set(outer) | {(id(scope), leaf_id, name) for leaf_id, name in seeds}
        pinned = self._pin(scope, conditions, known)
        self._require(scope, pinned, conditions, "SELECT", "reads")
        roots = [select.whereclause, *select.selected_columns, *getattr(select, "_having_criteria", ()),
                 *scope.onclauses]
        for nested in nested_selects(roots):
            self.select(nested, scope, pinned, set(), correlate=True)
        for leaf in list(scope.leaves):
            self._derived(leaf, scope, pinned)

    def _scope(self, parent: _Scope | None) -> _Scope:
        scope = _Scope(parent)
        self._alive.append(scope)
        return scope

    def _flatten(self, from_clause: Any, scope: _Scope, conditions: list[Condition]) -> None:
        from_clause = plain(from_clause)
        if not isinstance(from_clause, Join):
            scope.add(from_clause)
            return
        self._flatten(from_clause.left, scope, conditions)
        self._flatten(from_clause.right, scope, conditions)
        scope.joined |= {id(leaf) for leaf in join_leaves(from_clause)}
        if from_clause.full:
            reach: frozenset[int] = frozenset()
        else:
            side = from_clause.right if from_clause.isouter else from_clause
            reach = frozenset(id(leaf) for leaf in join_leaves(side))
        conditions += [(term, reach) for term in conjuncts(from_clause.onclause)]
        if from_clause.onclause is not None:
            scope.onclauses.append(from_clause.onclause)

    def _derived(self, leaf: Any, scope: _Scope, pinned: frozenset[Key]) -> None:
        """A FROM subquery, CTE or LATERAL: analysed as its own SELECT, seeded with the outer query's pins."""
        element = plain(getattr(leaf, "element", None))
        if table_of(leaf) is not None or id(leaf) in self.visited:
            return
        self.visited.add(id(leaf))
        if isinstance(element, UpdateBase):
            if isinstance(element, Insert):
                return
            self.update_or_delete(element)  # type: ignore[arg-type]
            return
        if not isinstance(element, SelectBase):
            return
        lateral = isinstance(leaf, Lateral)
        for member in compound_members(element):
            seeds = self._pushdown(leaf, member, scope, pinned)
            self.select(member, scope if lateral else None, pinned if lateral else frozenset(), seeds,
                        correlate=lateral)

    @staticmethod
    def _pushdown(leaf: Any, member: SelectBase, scope: _Scope, pinned: frozenset[Key]) -> set[tuple[int, str]]:
        """Inner columns behind the derived table's pinned columns: ``WHERE sub.student_id = :sid`` filters the
        rows the subquery can contribute to this tenant's."""
        seeds: set[tuple[int, str]] = set()
        if not isinstance(member, Select):
            return seeds
        for exported, inner in zip(leaf.c, member.selected_columns):
            if (id(scope), id(leaf), exported.name) in pinned:
                source = _ungroup(inner)
                if isinstance(source, ColumnClause) and source.table is not None:
                    seeds.add((id(plain(source.table)), source.name))
        return seeds

    # pins ---------------------------------------------------------------------------------------------------

    def _pin(self, scope: _Scope, conditions: list[Condition], known: set[Key]) -> frozenset[Key]:
        """Every column of ``scope`` the conditions pin to a single value, directly or through equal columns."""
        pairs = []
        for condition, reach in conditions:
            for left, right in equalities(condition):
                pairs.append((self._operand(left, scope), self._operand(right, scope), reach))
        pinned = set(known)
        changed = True
        while changed:
            changed = False
            for left, right, reach in pairs:
                for this, other in ((left, right), (right, left)):
                    if not isinstance(this, _Ref) or not this.local or this.key in pinned:
                        continue
                    if reach is not None and this.leaf not in reach:
                        continue
                    if other is _VALUE or (isinstance(other, _Ref) and other.key in pinned):
                        pinned.add(this.key)
                        changed = True
            added = _row_keys(scope, pinned) - pinned
            if added:
                pinned |= added
                changed = True
        return frozenset(pinned)

    @staticmethod
    def _operand(element: Any, scope: _Scope) -> _Ref | str | None:
        element = _ungroup(element)
        if isinstance(element, ColumnClause) and element.table is not None:
            leaf_id = id(plain(element.table))
            owner = scope.owner(leaf_id)
            if owner is None:
                return None
            return _Ref((id(owner), leaf_id, element.name), leaf_id, owner is scope)
        return _VALUE if is_value(element) else None

    # requirements -------------------------------------------------------------------------------------------

    def _require(self, scope: _Scope, pinned: frozenset[Key], conditions: list[Condition], verb: str,
                 action: str, target: Any = None) -> None:
        for leaf in scope.leaves:
            table = table_of(leaf)
            if table is None or id(leaf) in self.eager or not self.scopes.is_tenant_scoped(table):
                continue
            column = self.scopes.tenant_column(table)
            if column is None:
                self.problems.append(self._no_tenant_column(table, verb))
            elif (id(scope), id(leaf), column.name) not in pinned:
                self.problems.append(self._unpinned(leaf, table, scope, conditions, verb, action, target))

    def _no_tenant_column(self, table: Table, verb: str) -> Problem:
        column = self.scopes.policy.tenant_column
        return Problem(
            table.name,
            f"{verb} touches tenant-scoped table '{table.name}', which has no '{column}' column (SG201), so it "
            "cannot be filtered by tenant",
            f"Add the tenant column to '{table.name}' (see SG201), or declare the table shared.",
        )

    def _unpinned(self, leaf: Any, table: Table, scope: _Scope, conditions: list[Condition], verb: str,
                  action: str, target: Any) -> Problem:
        column = f"{table.name}.{self.scopes.policy.tenant_column}"
        where = "a subquery of the " if scope.parent is not None else ""
        if target is not None and leaf is not target:
            what = f"{verb} also reads tenant-scoped table '{table.name}'"
        elif id(leaf) in scope.joined and target is None:
            what = f"{where}{verb} joins tenant-scoped table '{table.name}'"
        else:
            what = f"{where}{verb} {action} tenant-scoped table '{table.name}'"
        if isinstance(leaf, Alias):
            what += " (through an alias)"
        if target is None and self._primary_key_lookup(leaf, table, scope, conditions):
            detail = f"by primary key alone (session.get() or .where(id == ...)), with no predicate on {column}"
        elif id(leaf) in scope.joined and target is None:
            detail = (f"without a predicate on {column}, and the join does not equate it with a filtered "
                      "tenant column")
        else:
            detail = f"without a predicate on {column}"
        return Problem(
            table.name,
            f"{what} {detail}",
            f"Filter by the tenant: add `{column} == <the current {self.scopes.policy.tenant_column}>` to the "
            "WHERE clause (or join on the tenant column of a table that is filtered).",
        )

    def _primary_key_lookup(self, leaf: Any, table: Table, scope: _Scope, conditions: list[Condition]) -> bool:
        keys = {column.name for column in table.primary_key.columns}
        if not keys:
            return False
        by_value = {(id(scope), id(leaf), name) for name in keys}
        return self._pin(scope, [c for c in conditions if c[1] is None], set()) >= by_value

    # DML ----------------------------------------------------------------------------------------------------

    def update_or_delete(self, statement: Update | Delete) -> None:
        verb = "UPDATE" if isinstance(statement, Update) else "DELETE"
        scope = self._scope(None)
        target = plain(statement.table)
        scope.add(target)
        where = statement.whereclause
        for leaf in _referenced_leaves(where):
            scope.add(leaf)
        conditions: list[Condition] = [(term, None) for term in conjuncts(where)]
        pinned = self._pin(scope, conditions, set())
        self._require(scope, pinned, conditions, verb, "of", target=target)
        for nested in nested_selects(statement.get_children()):
            self.select(nested, scope, pinned, set(), correlate=True)

    def insert(self, statement: Insert, sql: str, parameters: Sequence[Mapping[str, Any]]) -> None:
        select = getattr(statement, "select", None)
        if isinstance(select, SelectBase):
            self.select(select, None, frozenset(), set(), correlate=False)
        table = table_of(plain(statement.table))
        if table is None or not self.scopes.is_tenant_scoped(table):
            return
        column = self.scopes.tenant_column(table)
        if column is None:
            self.problems.append(self._no_tenant_column(table, "INSERT"))
            return
        name = f"{table.name}.{column.name}"
        fix = f"Set {name} on every row you insert (the current tenant's id)."
        if column.name not in insert_columns(sql):
            if column.server_default is None:
                self.problems.append(Problem(table.name, f"INSERT into tenant-scoped table '{table.name}' does not "
                                                         f"set {name}", fix))
            return
        bind = re.compile(rf"^(?:{re.escape(column.key)}|{re.escape(column.name)})(?:_m\d+)?$")
        if any(bind.match(key) and value is None for row in parameters for key, value in row.items()):
            self.problems.append(Problem(table.name, f"INSERT into tenant-scoped table '{table.name}' sets {name} "
                                                     "to NULL", fix))


def _referenced_leaves(clause: ClauseElement | None) -> list[Any]:
    """Tables the WHERE clause of an UPDATE/DELETE reads besides its target (PostgreSQL's ``UPDATE ... FROM``)."""
    found: list[Any] = []
    stack: list[Any] = [clause] if clause is not None else []
    while stack:
        element = stack.pop()
        if isinstance(element, (SelectBase, FromClause)):
            continue
        if isinstance(element, ColumnClause) and element.table is not None:
            leaf = plain(element.table)
            if all(leaf is not known for known in found):
                found.append(leaf)
            continue
        stack.extend(element.get_children())
    return found
