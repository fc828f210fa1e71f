"""Statements in application code, followed through each function: what every path to an execution filters (SG702).

A function is walked statement by statement with an environment that maps each local name to the statements it may
hold (several after an ``if``: one per path). A statement starts at ``select(M)``/``update(M)``/``delete(M)``
(SQLModel or SQLAlchemy) or ``session.query(M)``; each ``.where()``/``.filter()``/``.filter_by()``/``.join()``
returns a new state with the columns its conditions pin to one value. A statement is judged where it is
*executed* — passed to ``session.exec``/``execute``/``scalars``/``scalar``/``stream``/``paginate``, ended by a
legacy ``Query`` method (``.all()``, ``.first()``, ``.count()``...) or returned from the function (a helper's
statement is judged where it is built) — once per path that reaches the execution. A statement handed to any other
call, turned into a subquery, or filtered by a condition the reader cannot read is not judged: the callee may
scope it, and a false alarm costs more trust than a miss.

``session.get(M, key)`` loads by primary key; it counts as scoped by the attributes the function tests on the
loaded object afterwards (``if exam.student_id != current.id: raise``), the usual ownership check. Rows and key lists
loaded earlier in the function, and what they pinned, are read by :mod:`~schema_guard.readers.source.loads` and
recorded as :class:`~schema_guard.facts.RowLink` on the statements that use them. Statements inside conditions
(``in_(select(...))``, ``.exists()``) are judged on their own, with the enclosing statement's pins.

Some projects filter every statement in one place instead: a ``do_orm_execute`` listener that rewrites the statement
(``orm_execute_state.statement = stmt.where(...)``) or adds ``with_loader_criteria``. Such listeners are recorded as
:class:`~schema_guard.facts.SessionFilterFact` with the names they mention, so the rule can tell whether one filters
by the tenant column.

The reader does not know the tenancy configuration: it records, per mapped class, which attributes are pinned, and
the rule (:mod:`schema_guard.rules.queries`) decides. Cheap by construction: stdlib ``ast`` trees the source reader
already parsed, one pass per function, and modules with no statement-building call are skipped by a text test.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from schema_guard.facts import QueryFact, RowLink, SchemaFacts, SessionFilterFact, TableFact
from schema_guard.readers.source.context import LISTENER_EVENT
from schema_guard.readers.source.imports import is_library_name, last_part
from schema_guard.readers.source.loads import EXECUTE as _EXECUTE
from schema_guard.readers.source.loads import Check, compared, executed_load, read_loads
from schema_guard.readers.source.module import ParsedModule

TEXT_MARKERS = ("select(", "query(", ".get(", "update(", "delete(")
"""A module with none of these builds no statement and is not walked."""

_QUERY_TERMINALS = frozenset({"all", "first", "one", "one_or_none", "scalar", "count", "delete", "update", "get",
                              "__iter__"})
_CHAIN = frozenset({"order_by", "limit", "offset", "group_by", "distinct", "execution_options", "values",
                    "returning", "add_columns", "correlate", "params", "prefix_with", "suffix_with", "with_for_update",
                    "slice", "fetch", "enable_eagerloads", "populate_existing", "yield_per", "with_hint",
                    "ordered_values", "set_label_style", "add_cte", "with_only_columns", "reduce_columns"})
_FILTERS = frozenset({"where", "filter", "having"})
_SUBQUERIES = frozenset({"exists", "scalar_subquery", "as_scalar"})
"""Methods that turn a statement into an expression a condition uses."""
_SUBQUERY_ARGUMENTS = frozenset({"in_", "not_in", "notin_", "any_", "all_"})
_JOINS = frozenset({"join", "outerjoin", "join_from", "outerjoin_from"})
_NOT_VALUES = frozenset({"literal_column", "column", "text"})

Column = tuple[str, str]
"""A mapped class and one of its attributes: ``("Exam", "student_id")``."""


@dataclass(frozen=True)
class _Statement:
    """One path's state of a statement: the classes it reads, the columns pinned to a value, equal columns."""

    origin: ast.Call
    kind: str
    models: tuple[str, ...]
    pins: frozenset[Column] = frozenset()
    equalities: frozenset[tuple[Column, Column]] = frozenset()
    opaque: bool = False
    entity: str | None = None
    """The class ``filter_by`` applies to (the last joined one, else the first)."""
    row: str | None = None
    """The class of the rows it returns when it selects one whole entity (``select(Exam)``): a loaded row."""
    value: Column | None = None
    """The column it returns when it selects exactly one (``select(Exam.id)``)."""
    nested: tuple[_Statement, ...] = ()
    """Statements inside its conditions (``Exam.id.in_(select(...))``, ``select(...).exists()``): judged when it
    is, leaning on what it pins (a correlated subquery) and skipping the classes it reads itself."""
    links: frozenset[tuple[str, RowLink]] = frozenset()
    """Predicates comparing a class's attribute with a row loaded earlier (``Answer.exam_id == exam.id``)."""

    def with_conditions(self, conditions: _Conditions, only: str | None = None) -> _Statement:
        pins = {c for c in conditions.pins if only is None or c[0] == only}
        equalities = {e for e in conditions.equalities if only is None or only in (e[0][0], e[1][0])}
        links = {link for link in conditions.links if only is None or link[0] == only}
        return replace(self, pins=self.pins | pins, equalities=self.equalities | equalities,
                       links=self.links | links, opaque=self.opaque or conditions.opaque,
                       nested=self.nested + tuple(s for s in conditions.nested if s not in self.nested))

    def pinned(self) -> frozenset[Column]:
        """The pins, closed over the equalities (``Attempt.student_id == Exam.student_id`` with Exam pinned)."""
        pinned = set(self.pins)
        changed = True
        while changed:
            changed = False
            for left, right in self.equalities:
                for this, other in ((left, right), (right, left)):
                    if other in pinned and this not in pinned:
                        pinned.add(this)
                        changed = True
        return frozenset(pinned)


@dataclass
class _Conditions:
    pins: set[Column]
    equalities: set[tuple[Column, Column]]
    opaque: bool = False
    links: set[tuple[str, RowLink]] = field(default_factory=set)
    nested: tuple[_Statement, ...] = ()

    def add(self, other: _Conditions) -> None:
        self.pins |= other.pins
        self.equalities |= other.equalities
        self.links |= other.links
        self.nested += other.nested
        self.opaque = self.opaque or other.opaque


@dataclass
class _Loaded:
    """``obj = session.get(M, key)``: a loaded object, checked by later comparisons of its attributes."""

    origin: ast.Call
    model: str


Env = dict[str, tuple[_Statement, ...]]


def read_queries(modules: Iterable[ParsedModule], facts: SchemaFacts) -> None:
    """Add a :class:`QueryFact` for every statement the modules execute on a mapped class of ``facts``."""
    models = frozenset(t.class_name for t in facts.tables if t.class_name)
    if not models:
        return
    relationships = _relationship_joins(facts)
    keys = _foreign_key_joins(facts)
    uniques = _unique_keys(facts)
    for module in modules:
        if any(marker in module.text for marker in TEXT_MARKERS):
            facts.queries.extend(_ModuleQueries(module, models, relationships, keys, uniques).facts())
        if LISTENER_EVENT in module.text:
            facts.session_filters.extend(session_filters(module))


def session_filters(module: ParsedModule) -> Iterator[SessionFilterFact]:
    """``@event.listens_for(X, "do_orm_execute")`` functions (and ``event.listen(X, "do_orm_execute", f)``) that
    replace the statement or add loader criteria."""
    listened = set()
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Call) and any(
                isinstance(a, ast.Constant) and a.value == LISTENER_EVENT for a in node.args):
            if last_part(module.imports.qualify(node.func)) == "listen" and len(node.args) >= 3:
                target = node.args[2]
                if isinstance(target, ast.Name):
                    listened.add(target.id)
    for function in functions(module.tree.body):
        decorated = any(isinstance(d, ast.Call) and any(isinstance(a, ast.Constant) and a.value == LISTENER_EVENT
                                                        for a in d.args) for d in function.decorator_list)
        if not decorated and function.name not in listened:
            continue
        names: set[str] = set()
        rewrites = False
        for node in ast.walk(function):
            if isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, ast.Attribute):
                names.add(node.attr)
                rewrites = rewrites or (node.attr == "statement" and isinstance(node.ctx, ast.Store))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                names.add(node.value)
        if rewrites or "with_loader_criteria" in names:
            yield SessionFilterFact(frozenset(names), "is_select" in names, module.location(function))


Join = tuple[str, frozenset[tuple[Column, Column]]]
"""What joining a relationship adds: the target class, and the columns its foreign key equates."""


def _relationship_joins(facts: SchemaFacts) -> dict[tuple[str, str], Join]:
    """``(owner class, attribute)`` → the join it makes. The equated columns are those of the one foreign key
    between the two tables (a tenant-pinned ``(student_id, exam_id)`` key equates the tenant columns too); none
    where there are several, or a link table between them."""
    tables = {t.class_name: t for t in facts.tables if t.class_name}
    joins: dict[tuple[str, str], Join] = {}
    for relationship in facts.relationships:
        target = relationship.target_class
        if not target:
            continue
        owner_table, target_table = tables.get(relationship.owner_class), tables.get(target)
        pairs: list[frozenset[tuple[Column, Column]]] = []
        if owner_table is not None and target_table is not None and not relationship.link_model:
            for source, source_class, referenced, referenced_class in (
                (target_table, target, owner_table, relationship.owner_class),
                (owner_table, relationship.owner_class, target_table, target),
            ):
                for fk in source.foreign_keys:
                    if fk.target_table == referenced.name and len(fk.columns) == len(fk.target_columns):
                        pairs.append(frozenset(
                            ((source_class, _attribute(source, a)), (referenced_class, _attribute(referenced, b)))
                            for a, b in zip(fk.columns, fk.target_columns)))
        joins[(relationship.owner_class, relationship.attribute)] = (target, pairs[0] if len(pairs) == 1 else
                                                                     frozenset())
    return joins


KeyJoins = dict[frozenset[str], list[frozenset[tuple[Column, Column]]]]
"""Two classes → the columns each foreign key between their tables equates (what ``join(Target)`` infers)."""


def _foreign_key_joins(facts: SchemaFacts) -> KeyJoins:
    tables = {t.class_name: t for t in facts.tables if t.class_name}
    by_name = {t.name: t for t in tables.values()}
    joins: KeyJoins = {}
    for name, table in tables.items():
        for fk in table.foreign_keys:
            target = by_name.get(fk.target_table)
            if target is None or target is table or len(fk.columns) != len(fk.target_columns):
                continue
            pairs = frozenset(((name, _attribute(table, a)), (target.class_name, _attribute(target, b)))
                              for a, b in zip(fk.columns, fk.target_columns))
            joins.setdefault(frozenset({name, target.class_name}), []).append(pairs)  # type: ignore[arg-type]
    return joins


UniqueKeys = dict[str, tuple[tuple[frozenset[str], ...], frozenset[str]]]
"""A class → its unique keys other than the primary key, and its primary key (attributes)."""


def _unique_keys(facts: SchemaFacts) -> UniqueKeys:
    """A row whose unique key is pinned is one row: its primary key is pinned too (``Project.name == name``
    joined to ``Job.project_id == Project.id`` pins the job's project)."""
    found: UniqueKeys = {}
    for table in facts.tables:
        if not table.class_name or not table.primary_key:
            continue
        keys = [u.columns for u in table.uniques] + [i.columns for i in table.indexes if i.unique]
        unique = tuple(frozenset(_attribute(table, c) for c in key) for key in keys if key and key != table.primary_key)
        if unique:
            found[table.class_name] = (unique, frozenset(_attribute(table, c) for c in table.primary_key))
    return found


def _attribute(table: TableFact, column: str) -> str:
    fact = table.column(column)
    return (fact.attribute or fact.name) if fact is not None else column


def functions(body: list[ast.stmt]) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Every function and method defined in ``body``, nested ones included (each is walked on its own)."""
    for statement in body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            yield statement
            yield from functions(statement.body)
        elif isinstance(statement, ast.ClassDef | ast.If | ast.Try | ast.With):
            yield from functions(statement.body)


class _ModuleQueries:
    def __init__(self, module: ParsedModule, models: frozenset[str],
                 relationships: dict[tuple[str, str], Join], keys: KeyJoins, uniques: UniqueKeys) -> None:
        self.module = module
        self.models = models
        self.relationships = relationships
        self.keys = keys
        self.uniques = uniques
        self.found: dict[tuple[int, str, frozenset[str], bool, tuple[RowLink, ...], str | None], QueryFact] = {}
        self.helpers: dict[str, RowLink | None] = {}
        """Functions of the module that return one row a statement of theirs loaded → that load (``attribute``
        and ``row_attribute`` left empty); ``None`` where two functions of that name return different ones."""

    def facts(self) -> list[QueryFact]:
        _Function(self, self.module.tree.body, "").run()
        walked = [(function, self._walk(function)) for function in functions(self.module.tree.body)
                  if self._may_build_statements(function)]
        for function, walk in walked:
            returned = walk.returned_row()
            if returned is not None:
                known = self.helpers.get(function.name, returned)
                self.helpers[function.name] = returned if known == returned else None
        for function, walk in walked:  # once more where a helper's row is used: its facts replace the first ones
            if any(self.helpers.get(helper) is not None for helper in walk.loads.helper_rows.values()):
                for key in walk.keys:
                    self.found.pop(key, None)
                self._walk(function)
        return list(self.found.values())

    def _walk(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> _Function:
        walk = _Function(self, function.body, function.name)
        before = set(self.found)
        walk.run()
        walk.keys = set(self.found) - before
        return walk

    def _may_build_statements(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        """The function's text holds a statement-building call (most functions do not: they are not walked)."""
        lines = self.module.lines[function.lineno - 1 : function.end_lineno]
        text = "\n".join(lines)
        return any(marker in text for marker in TEXT_MARKERS)

    def closed(self, state: _Statement) -> frozenset[Column]:
        """The statement's pins, closed over its equalities and over unique keys (a pinned unique key pins the
        row's primary key)."""
        closed = state.pinned()
        while True:
            added = {(model, attribute) for model in state.models if model in self.uniques
                     for unique in self.uniques[model][0] if all((model, a) in closed for a in unique)
                     for attribute in self.uniques[model][1]} - closed
            if not added:
                return closed
            closed = replace(state, pins=closed | added).pinned()

    def judge(self, state: _Statement, function: str, pinned: Iterable[Column] | None = None,
              subquery: bool = False) -> None:
        closed = self.closed(state) if pinned is None else frozenset(pinned)
        for model in dict.fromkeys(state.models):
            attributes = frozenset(attr for cls, attr in closed if cls == model)
            links = tuple(sorted((link for cls, link in state.links if cls == model), key=repr))
            column = state.value[1] if subquery and state.value and state.value[0] == model else None
            key = (id(state.origin), model, attributes, state.opaque, links, column)
            if key not in self.found:
                self.found[key] = QueryFact(model, state.kind, attributes, self.module.location(state.origin),
                                            state.opaque, function, links, column)
        for inner in state.nested:  # on its own, with the enclosing statement's pins (a correlated subquery)
            self.judge(replace(inner, kind="select", models=tuple(m for m in inner.models if m not in state.models),
                               pins=inner.pins | closed), function, subquery=True)


class _Function:
    """One function body (or the module's top level) walked once, path by path."""

    def __init__(self, owner: _ModuleQueries, body: list[ast.stmt], name: str) -> None:
        self.owner = owner
        self.body = body
        self.name = name
        self.expressions: dict[str, ast.expr] = {}
        """The last expression assigned to each name (conditions built before ``.where(condition)``)."""
        self.loaded: list[tuple[str | None, _Loaded]] = []
        self.locals: set[str] = set()
        self.loads = read_loads(body, self._callee)
        self.executed: dict[int, tuple[_Statement, ...]] = {}
        """``id()`` of each executing call walked so far → the statements it executed."""
        self.gets: dict[str, _Loaded] = {}
        """Names bound once to ``session.get(...)``: rows too."""
        self.nested: list[_Statement] | None = None
        """While a condition is read: the statements used as its subqueries."""
        self.keys: set[object] = set()
        """The facts this walk added (replaced when the function is walked again)."""

    def run(self) -> None:
        self._block(self.body, {})
        for name, loaded in self.loaded:
            self._judge_loaded(name, loaded)

    def _callee(self, func: ast.expr) -> str:
        return last_part(self.owner.module.imports.qualify(func))

    def _judge(self, state: _Statement, check: Check | None = None) -> None:
        """Judge a statement where it runs; ``check`` is what the function checks on the rows it loads."""
        if check is None or state.row is None:
            self.owner.judge(state, self.name)
            return
        pinned = self.owner.closed(state) | {(state.row, attribute) for attribute in check.attributes}
        self.owner.judge(replace(state, opaque=state.opaque or check.opaque), self.name, pinned)

    def _executed(self, node: ast.Call, states: tuple[_Statement, ...]) -> None:
        self.executed[id(node)] = states
        check = self.loads.checks.get(id(node))
        for state in states:
            self._judge(state, check)

    # statements ---------------------------------------------------------------------------------------------

    def _block(self, body: list[ast.stmt], env: Env) -> Env | None:
        current: Env | None = env
        for statement in body:
            current = self._statement(statement, current)
            if current is None:
                return None
        return current

    def _statement(self, node: ast.stmt, env: Env) -> Env | None:  # noqa: C901 - one branch per statement kind
        if isinstance(node, ast.Assign | ast.AnnAssign):
            if node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                self._assign(targets, node.value, env)
            return env
        if isinstance(node, ast.Return):
            for state in self._eval(node.value, env) if node.value is not None else ():
                self._judge(state)
            if node.value is not None:
                self._loaded_escapes(node.value)
            return None
        if isinstance(node, ast.Raise):
            return None
        if isinstance(node, ast.Expr | ast.AugAssign):
            self._eval(node.value, env)
            return env
        if isinstance(node, ast.If):
            self._eval(node.test, env)
            return _merge(self._block(node.body, dict(env)), self._block(node.orelse, dict(env)))
        if isinstance(node, ast.For | ast.AsyncFor | ast.While):
            self._eval(node.iter if not isinstance(node, ast.While) else node.test, env)
            body = self._block(node.body, dict(env))
            looped = _merge(env, body)
            for name, states in (body or {}).items():
                if looped is not None and name in env and states != env[name] and any(s.opaque for s in states):
                    looped[name] = states  # ``for clause in filters: stmt = stmt.where(clause)``: unreadable filters
            return self._block(node.orelse, looped) if looped is not None and node.orelse else looped
        if isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                self._eval(item.context_expr, env)
            return self._block(node.body, env)
        if isinstance(node, ast.Try | ast.TryStar):
            body = self._block(node.body, dict(env))
            entry = _merge(env, body) or env
            ends = [self._block(node.orelse, dict(body)) if body is not None else None]
            ends += [self._block(handler.body, dict(entry)) for handler in node.handlers]
            merged = _merge(*ends)
            if node.finalbody:
                after = self._block(node.finalbody, merged if merged is not None else dict(entry))
                return after if merged is not None else None
            return merged
        if isinstance(node, ast.Match):
            self._eval(node.subject, env)
            ends = [self._block(case.body, dict(env)) for case in node.cases]
            exhaustive = any(isinstance(c.pattern, ast.MatchAs) and c.pattern.pattern is None for c in node.cases)
            return _merge(*ends, *([] if exhaustive else [env]))
        return env  # nested functions and classes are walked on their own; other statements build nothing

    def _assign(self, targets: list[ast.expr], value: ast.expr, env: Env) -> None:
        states = self._eval(value, env)
        loaded = self._loaded_call(value)
        for target in targets:
            if not isinstance(target, ast.Name):
                continue  # stored on an object or in a container: it escapes, unjudged
            self.locals.add(target.id)
            self.expressions[target.id] = value
            if states:
                env[target.id] = states
            else:
                env.pop(target.id, None)
            if loaded is not None:
                self.loaded.append((target.id, loaded))
                if len(targets) == 1 and target.id in self.loads.bound:
                    self.gets[target.id] = loaded

    # expressions --------------------------------------------------------------------------------------------

    def _eval(self, node: ast.expr | None, env: Env) -> tuple[_Statement, ...]:  # noqa: C901
        """The statements an expression may evaluate to; executions inside it are judged on the way."""
        if node is None:
            return ()
        if isinstance(node, ast.Await):
            return self._eval(node.value, env)
        if isinstance(node, ast.Name):
            return env.get(node.id, ())
        if isinstance(node, ast.NamedExpr):
            states = self._eval(node.value, env)
            if states:
                env[node.target.id] = states
            return states
        if isinstance(node, ast.IfExp):
            self._eval(node.test, env)
            return tuple(dict.fromkeys(self._eval(node.body, env) + self._eval(node.orelse, env)))
        if isinstance(node, ast.Call):
            return self._call(node, env)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self._eval(child, env)
        return ()

    def _call(self, node: ast.Call, env: Env) -> tuple[_Statement, ...]:
        func = node.func
        started = self._exists_select(node, env) or self._start(node)
        if started is not None:
            return (started,)
        if self._loaded_call(node) is not None:
            return ()
        if isinstance(func, ast.Attribute):
            receiver = self._eval(func.value, env)
            if receiver:
                return self._method(receiver, func.attr, node, env)
            if func.attr in _EXECUTE:
                return self._execute(node, env)
        elif isinstance(func, ast.Name) and func.id in _EXECUTE:
            return self._execute(node, env)
        subquery = self.nested is not None and self._takes_subquery(node)
        for argument in [*node.args, *(k.value for k in node.keywords)]:
            states = self._eval(argument, env)  # handed to another function: unjudged (the callee may scope it)
            if subquery and states:
                self.nested.extend(states)  # type: ignore[union-attr]
        return ()

    def _execute(self, node: ast.Call, env: Env) -> tuple[_Statement, ...]:
        states: tuple[_Statement, ...] = ()
        for argument in [*node.args, *(k.value for k in node.keywords)]:
            states += self._eval(argument, env)
        self._executed(node, states)
        return ()

    def _start(self, node: ast.Call) -> _Statement | None:
        """A call that starts a statement: ``select``/``update``/``delete`` or ``<session>.query(M)``."""
        func = node.func
        qualified = self.owner.module.imports.qualify(func) if isinstance(func, ast.Name | ast.Attribute) else None
        if is_library_name(qualified, "select", "update", "delete"):
            models = self._models_in(node.args)
            kind = last_part(qualified)
            return _Statement(node, kind, models, entity=models[0] if models else None, row=self._row_class(node),
                              value=self._column(node.args[0]) if len(node.args) == 1 else None)
        if isinstance(func, ast.Attribute) and func.attr == "query" and node.args:
            models = self._models_in(node.args)
            if models:
                return _Statement(node, "query", models, entity=models[0], row=self._row_class(node))
        return None

    def _exists_select(self, node: ast.Call, env: Env) -> _Statement | None:
        """``select(exists().where(...))``: a statement on the classes its conditions name, filtered by them."""
        qualify = self.owner.module.imports.qualify
        if len(node.args) != 1 or not isinstance(node.func, ast.Name | ast.Attribute) or \
                not is_library_name(qualify(node.func), "select"):
            return None
        chain: list[list[ast.expr]] = []
        inner = node.args[0]
        while isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) and inner.func.attr in _FILTERS:
            chain.append(inner.args)
            inner = inner.func.value
        if not (chain and isinstance(inner, ast.Call) and not inner.args and
                isinstance(inner.func, ast.Name | ast.Attribute) and is_library_name(qualify(inner.func), "exists")):
            return None
        conditions = [argument for arguments in reversed(chain) for argument in arguments]
        models = self._models_in(conditions)
        if not models:
            return None
        state = _Statement(node, "select", models, entity=models[0])
        return state.with_conditions(self._conditions_of(conditions, env))

    def _row_class(self, node: ast.Call) -> str | None:
        """The class of the rows a statement returns, when it selects exactly one whole entity."""
        return self._model(node.args[0]) if len(node.args) == 1 and not node.keywords else None

    def _loaded_call(self, node: ast.expr) -> _Loaded | None:
        """``session.get(M, key)`` (awaited or not)."""
        if isinstance(node, ast.Await):
            node = node.value
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
                and len(node.args) >= 2):
            model = self._model(node.args[0])
            if model is not None:
                return _Loaded(node, model)
        return None

    def _method(self, states: tuple[_Statement, ...], name: str, node: ast.Call,
                env: Env) -> tuple[_Statement, ...]:
        if name in _FILTERS:
            conditions = self._conditions_of(node.args, env)
            return tuple(state.with_conditions(conditions) for state in states)
        if name == "filter_by":
            return tuple(self._filter_by(state, node) for state in states)
        if name in _JOINS or name == "select_from":
            return tuple(self._join(state, name, node, env) for state in states)
        if name == "options":
            criteria = any(isinstance(a, ast.Call) and last_part(self.owner.module.imports.qualify(a.func))
                           == "with_loader_criteria" for a in node.args)
            return tuple(replace(state, opaque=True) for state in states) if criteria else states
        if name in _CHAIN:
            return states
        if name in _QUERY_TERMINALS and any(state.kind == "query" for state in states):
            self._executed(node, states)
            return ()
        if name in _SUBQUERIES and self.nested is not None:
            self.nested.extend(states)
            return ()
        return ()  # subquery(), cte(), union() and anything unknown: no longer followed

    def _takes_subquery(self, node: ast.Call) -> bool:
        """``column.in_(statement)``, ``exists(statement)``: a statement used inside a condition."""
        if isinstance(node.func, ast.Attribute) and node.func.attr in _SUBQUERY_ARGUMENTS:
            return True
        return is_library_name(self.owner.module.imports.qualify(node.func), "exists", "any_", "all_")

    def _filter_by(self, state: _Statement, node: ast.Call) -> _Statement:
        if state.entity is None or any(keyword.arg is None for keyword in node.keywords):
            return replace(state, opaque=True)
        pins = {(state.entity, k.arg) for k in node.keywords if k.arg and not _is_none(k.value)}
        return replace(state, pins=state.pins | pins)

    def _join(self, state: _Statement, name: str, node: ast.Call, env: Env) -> _Statement:
        if not node.args:
            return state
        if name == "select_from":
            froms = self._models_in(node.args)
            return replace(state, models=(*froms, *state.models), entity=state.entity or next(iter(froms), None))
        joined = node.args[1 if name.endswith("_from") and len(node.args) > 1 else 0]
        target = self._model(joined)
        equated: frozenset[tuple[Column, Column]] = frozenset()
        if target is None and isinstance(joined, ast.Attribute):
            owner = self._model(joined.value)
            if owner is not None and (owner, joined.attr) in self.owner.relationships:
                target, equated = self.owner.relationships[(owner, joined.attr)]
        if target is None:
            return state
        onclause = node.args[2:] if name.endswith("_from") else node.args[1:]
        if not equated and not onclause and not node.keywords:
            equated = self._inferred_join(state, target)
        models = (*state.models, target)
        if equated and not name.startswith("outer"):
            state = replace(state, equalities=state.equalities | equated)
        state = replace(state, models=models, entity=target)
        if onclause:
            conditions = self._conditions_of(onclause, env)
            state = state.with_conditions(conditions, only=target if name.startswith("outer") else None)
        return state

    def _inferred_join(self, state: _Statement, target: str) -> frozenset[tuple[Column, Column]]:
        """``join(Target)`` with no ON clause: SQLAlchemy joins on the one foreign key between ``Target`` and the
        statement's classes; none is assumed where there are several (SQLAlchemy refuses those)."""
        found = [pairs for model in dict.fromkeys(state.models) if model != target
                 for pairs in self.owner.keys.get(frozenset({model, target}), [])]
        return found[0] if len(found) == 1 else frozenset()

    # conditions ---------------------------------------------------------------------------------------------

    def _conditions_of(self, arguments: Iterable[ast.expr], env: Env) -> _Conditions:
        conditions = _Conditions(set(), set())
        outer, self.nested = self.nested, []
        try:
            for argument in arguments:
                self._eval(argument, env)
                conditions.add(self._condition(argument, 0))
            conditions.nested = tuple(dict.fromkeys(self.nested))
        finally:
            self.nested = outer
        return conditions

    def _condition(self, node: ast.expr, depth: int) -> _Conditions:  # noqa: C901 - one branch per form
        """What one condition pins. ``or_``, ``!=`` and comparisons with ``None`` or another column pin nothing;
        a condition the reader cannot read (a helper's result, ``*conditions``) makes the statement opaque."""
        none = _Conditions(set(), set())
        if depth > 12:
            return _Conditions(set(), set(), opaque=True)
        if isinstance(node, ast.Name) and node.id in self.expressions:
            return self._condition(self.expressions[node.id], depth + 1)
        if isinstance(node, ast.BoolOp | ast.BinOp):
            parts = node.values if isinstance(node, ast.BoolOp) else [node.left, node.right]
            if isinstance(getattr(node, "op", None), ast.And | ast.BitAnd):
                for part in parts:
                    none.add(self._condition(part, depth + 1))
            return none
        if isinstance(node, ast.Compare):
            if len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq):
                return self._equality(node.left, node.comparators[0])
            return none
        if isinstance(node, ast.Call):
            return self._call_condition(node, depth)
        if isinstance(node, ast.Constant | ast.UnaryOp | ast.Attribute):
            return none  # a constant, a negation, a boolean column: nothing pinned
        if isinstance(node, ast.IfExp):  # ``A if flag else B``: what both pin
            body, orelse = self._condition(node.body, depth + 1), self._condition(node.orelse, depth + 1)
            return _Conditions(body.pins & orelse.pins, body.equalities & orelse.equalities,
                               body.opaque or orelse.opaque, body.links & orelse.links)
        return _Conditions(set(), set(), opaque=True)

    def _call_condition(self, node: ast.Call, depth: int) -> _Conditions:
        none = _Conditions(set(), set())
        qualified = self.owner.module.imports.qualify(node.func)
        name = last_part(qualified)
        if is_library_name(qualified, "and_"):
            for argument in node.args:
                none.add(self._condition(argument, depth + 1))
            return none
        if is_library_name(qualified, "or_", "not_", "exists", "text", "literal", "true", "false"):
            return _Conditions(set(), set(), opaque=name == "text")
        if isinstance(node.func, ast.Attribute):
            column = self._column(node.func.value)
            if column is not None:
                if node.func.attr == "in_" and len(node.args) == 1 and _single_element(node.args[0]):
                    none.pins.add(column)
                elif node.func.attr == "in_" and len(node.args) == 1:
                    link = self._values_link(column[1], node.args[0])
                    if link is not None:
                        none.links.add((column[0], link))
                    inner = self._start(node.args[0]) if isinstance(node.args[0], ast.Call) else None
                    if inner is not None and not inner.models:
                        none.opaque = True  # IN a select of a derived table the reader cannot read
                    elif inner is None and _narrowed_elsewhere(node.args[0]):
                        none.opaque = True  # IN the keys of a statement a helper built (it may well be scoped)
                return none  # any other column method (like, is_, between...) pins nothing
            if node.func.attr in ("exists", "any", "has") or self._column(node.func) is not None:
                return none
        if qualified and qualified.split(".")[0] in ("sqlalchemy", "sqlmodel") or name.startswith("func"):
            return none
        return _Conditions(set(), set(), opaque=True)

    def _equality(self, left: ast.expr, right: ast.expr) -> _Conditions:
        conditions = _Conditions(set(), set())
        if _is_tuple(left) and _is_tuple(right) and len(left.args) == len(right.args):  # type: ignore[attr-defined]
            for a, b in zip(left.args, right.args):  # type: ignore[attr-defined]
                conditions.add(self._equality(a, b))
            return conditions
        first, second = self._column(left), self._column(right)
        if first is not None and second is not None:
            if first != second:
                conditions.equalities.add((first, second))
        elif first is not None or second is not None:
            column, other = (first, right) if first is not None else (second, left)
            if self._is_value(other):
                conditions.pins.add(column)  # type: ignore[arg-type]
                link = self._row_link(column[1], other)  # type: ignore[index]
                if link is not None:
                    conditions.links.add((column[0], link))  # type: ignore[index]
        return conditions

    def _values_link(self, attribute: str, node: ast.expr) -> RowLink | None:
        """``attribute.in_(ids)`` where ``ids`` holds one column of rows loaded earlier: ``select(Exam.id)``'s list,
        or ``{exam.id for exam in exams}``."""
        if not isinstance(node, ast.Name):
            return None
        if node.id in self.loads.lists:
            call = self.loads.lists[node.id]
            states = self.executed.get(id(call), ())
            values = {state.value for state in states}
            if len(values) != 1 or None in values:
                return None
            model, column = next(iter(values))  # type: ignore[misc]
            return self._link_to(attribute, call, states, model, column)
        if node.id in self.loads.collected:
            call, column = self.loads.collected[node.id]
            states = self.executed.get(id(call), ())
            rows = {state.row for state in states}
            if len(rows) != 1 or None in rows:
                return None
            return self._link_to(attribute, call, states, next(iter(rows)), column)  # type: ignore[arg-type]
        return None

    def _link_to(self, attribute: str, call: ast.Call, states: tuple[_Statement, ...], model: str,
                 column: str) -> RowLink:
        """What the load at ``call`` pinned on ``model``, as a link from ``attribute`` to its ``column``."""
        check = self.loads.checks.get(id(call), Check())
        pinned = frozenset.intersection(*(
            frozenset(a for cls, a in self.owner.closed(state) if cls == model) for state in states)) | check.attributes
        links = frozenset.intersection(*(frozenset(l for cls, l in state.links if cls == model) for state in states))
        return RowLink(attribute, model, column, states[0].kind, pinned,
                       check.opaque or any(state.opaque for state in states), tuple(sorted(links, key=repr)))

    def returned_row(self) -> RowLink | None:
        """The load behind the one row this function returns (``return exam`` after ``exam = session.exec(...)
        .first()``, or ``return session.exec(...).first()``), for the functions that call it; ``None`` when it
        returns anything else on some path."""
        found: set[RowLink] = set()
        for node in _returns(self.body):
            if node.value is None or _is_none(node.value):
                continue
            call = self.loads.rows.get(node.value.id) if isinstance(node.value, ast.Name) else None
            if call is None:
                loaded = executed_load(node.value, {})
                call = loaded[0] if loaded is not None and loaded[1] else None
            states = self.executed.get(id(call), ()) if call is not None else ()
            rows = {state.row for state in states}
            if len(rows) != 1 or None in rows:
                return None
            found.add(self._link_to("", call, states, next(iter(rows)), ""))  # type: ignore[arg-type]
        return next(iter(found)) if len(found) == 1 else None

    def _row_link(self, attribute: str, node: ast.expr) -> RowLink | None:
        """``attribute == row.other`` where ``row`` is a row loaded earlier in the function: what that load pinned."""
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)):
            return None
        name = node.value.id
        call = self.loads.rows.get(name)
        if call is not None:
            states = self.executed.get(id(call), ())
            rows = {state.row for state in states}
            if len(rows) != 1 or None in rows:
                return None
            return self._link_to(attribute, call, states, next(iter(rows)), node.attr)  # type: ignore[arg-type]
        helper = self.owner.helpers.get(self.loads.helper_rows.get(name, ""))
        if helper is not None:
            return replace(helper, attribute=attribute, row_attribute=node.attr)
        created = self.loads.created.get(name)
        model = self._model(created.func) if created is not None else None
        if created is not None and model is not None:
            return RowLink(attribute, model, node.attr, "new", frozenset(k.arg for k in created.keywords if k.arg))
        loaded = self.gets.get(name)
        if loaded is None:
            return None
        check = compared(self.body, name, loaded.origin.lineno, self._callee)
        return RowLink(attribute, loaded.model, node.attr, "get", check.attributes, check.opaque)

    def _is_value(self, node: ast.expr) -> bool:
        if _is_none(node):
            return False
        if isinstance(node, ast.Call):
            name = last_part(self.owner.module.imports.qualify(node.func))
            if name in _NOT_VALUES or name in ("any_", "all_"):
                return False
        return True

    # names --------------------------------------------------------------------------------------------------

    def _model(self, node: ast.expr) -> str | None:
        """The mapped class an expression names: ``Exam``, or ``models.Exam`` through a module import."""
        if isinstance(node, ast.Name):
            if node.id in self.owner.models and node.id not in self.locals:
                return node.id
            qualified = self.owner.module.imports.names.get(node.id)
            name = last_part(qualified)
            return name if qualified and name in self.owner.models else None
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.attr in self.owner.models and node.value.id in self.owner.module.imports.names:
                return node.attr
        return None

    def _column(self, node: ast.expr) -> Column | None:
        if isinstance(node, ast.Attribute):
            model = self._model(node.value)
            if model is not None:
                return model, node.attr
        return None

    def _models_in(self, arguments: Iterable[ast.expr]) -> tuple[str, ...]:
        """The classes a ``select(...)``'s columns read: ``Exam``, ``Exam.title``, ``func.count(Exam.id)``."""
        found: list[str] = []
        stack = list(arguments)
        while stack:
            node = stack.pop(0)
            model = self._model(node)
            if model is not None:
                found.append(model)
            elif isinstance(node, ast.Call) and self._start(node) is not None:
                continue  # a nested statement reads its own tables
            elif isinstance(node, ast.Attribute) and self._column(node) is not None:
                found.append(self._column(node)[0])  # type: ignore[index]
            else:
                stack.extend(child for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr))
        return tuple(dict.fromkeys(found))

    # session.get --------------------------------------------------------------------------------------------

    def _loaded_escapes(self, value: ast.expr) -> None:
        """``return session.get(M, key)``: loaded and returned with no check."""
        loaded = self._loaded_call(value)
        if loaded is not None:
            self.loaded.append((None, loaded))

    def _judge_loaded(self, name: str | None, loaded: _Loaded) -> None:
        check = compared(self.body, name, loaded.origin.lineno, self._callee) if name is not None else Check()
        state = _Statement(loaded.origin, "get", (loaded.model,), opaque=check.opaque)
        self.owner.judge(state, self.name, {(loaded.model, attribute) for attribute in check.attributes})


def _returns(body: list[ast.stmt]) -> Iterator[ast.Return]:
    """The function's own ``return`` statements (not those of nested functions)."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Return):
            yield node
        elif not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            stack.extend(ast.iter_child_nodes(node))


def _merge(*envs: Env | None) -> Env | None:
    """The environment after paths join: each name may hold what it held on any path that reaches here."""
    live = [env for env in envs if env is not None]
    if not live:
        return None
    merged: Env = {}
    for env in live:
        for name, states in env.items():
            merged[name] = tuple(dict.fromkeys(merged.get(name, ()) + states))
    return merged


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _is_tuple(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and last_part(
        node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")) == "tuple_"


def _narrowed_elsewhere(node: ast.expr) -> bool:
    """``statement.with_only_columns(Model.id)`` on a named statement, typically a helper's result: only a
    ``Select`` has that method, and the reader does not follow the name to what filters it."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "with_only_columns" and not isinstance(node.func.value, ast.Call))


def _single_element(node: ast.expr) -> bool:
    return isinstance(node, ast.List | ast.Tuple | ast.Set) and len(node.elts) == 1 and not isinstance(
        node.elts[0], ast.Starred)
