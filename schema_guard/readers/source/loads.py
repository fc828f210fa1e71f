"""The rows a function loads and the ownership checks it makes on them, read before the function is walked (SG702).

Two things make a statement on a tenant-scoped class safe without a tenant predicate of its own:

* an ownership check on what it loaded: ``exam = session.exec(select(Exam).where(Exam.id == eid)).first()`` then
  ``if exam.student_id != current.id: raise``, as for ``session.get``; for a list, only a check that refuses or skips
  each row (``if any(r.student_id != current.id for r in rows): raise``, a loop whose ``if r.student_id != ...``
  raises or continues), since anything looser may still hand another tenant's rows on;
* a row loaded earlier: ``Answer.exam_id == exam.id`` reaches answers through ``exam``, so it is as scoped as the
  load of ``exam`` (the rule decides, knowing the foreign keys and the tenancy); so are keys collected from a loaded
  list (``{a.exam_id for a in attempts}``, a selected ``select(Exam.id)`` list), a row the function constructed
  itself, and a row a function of the same module returns.

Only names bound exactly once in the function count (a name rebound on some path may hold anything), and only the
load forms below: the result of an execution (``session.exec(s)``, ``await session.execute(s)``,
``session.scalars(s)``, a legacy ``Query``) ended by ``.first()``/``.one()``/``.scalar_one()``... for one row, by
``.all()`` or ``list(...)`` for a list, and a ``for`` loop over such a list.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

EXECUTE = frozenset({"exec", "execute", "scalars", "scalar", "stream", "stream_scalars", "paginate"})
ROW_TERMINALS = frozenset({"first", "one", "one_or_none", "scalar_one", "scalar_one_or_none"})
_RESULT_METHODS = frozenset({"scalars", "unique"})
OWNERSHIP_WORDS = ("owner", "access", "permission", "authoriz", "authoris", "check", "verify", "ensure", "assert")
"""A loaded object handed to a function whose name says it checks ownership counts as checked (opaque)."""
_ABORTS = ("abort",)


@dataclass(frozen=True)
class Check:
    """What the function checks on a load: the attributes it compares, and whether a checking helper saw it."""

    attributes: frozenset[str] = frozenset()
    opaque: bool = False


@dataclass
class Loads:
    rows: dict[str, ast.Call] = field(default_factory=dict)
    """A name bound once to one loaded row (or a loop variable over a loaded list) → the call that executed it."""
    checks: dict[int, Check] = field(default_factory=dict)
    """``id()`` of an executing call → the ownership checks on what it loaded."""
    bound: set[str] = field(default_factory=set)
    """The names bound exactly once in the function."""
    lists: dict[str, ast.Call] = field(default_factory=dict)
    """A name bound once to a loaded list (of rows, or of one column's values) → the call that executed it."""
    created: dict[str, ast.Call] = field(default_factory=dict)
    """A name bound once to a constructor call with keywords (``Exam(student_id=..., title=...)``): a row the
    function makes itself, whose keywords say what it set (the walker tells which calls build mapped classes)."""
    collected: dict[str, tuple[ast.Call, str]] = field(default_factory=dict)
    helper_rows: dict[str, str] = field(default_factory=dict)
    """A name bound once to what a function of the module returns (``deployment = self.active(env)``) → its name:
    a row when that function returns one loaded row."""
    """A name bound once to one attribute of each row of a loaded list (``{r.exam_id for r in rows}``)."""


def read_loads(body: list[ast.stmt], callee_name: Callable[[ast.expr], str]) -> Loads:
    """The loads of a function body. ``callee_name`` gives a call's function name (imports resolved)."""
    nodes = list(_walk(body))
    loads = Loads(bound=_bound_once(nodes))
    _block(body, {}, loads, _Reading(body, nodes, callee_name))
    lists = loads.lists
    for node in nodes:
        if isinstance(node, ast.For | ast.AsyncFor) and isinstance(node.target, ast.Name) and \
                node.target.id in loads.bound and isinstance(node.iter, ast.Name) and node.iter.id in lists:
            loads.rows[node.target.id] = lists[node.iter.id]
    return loads


@dataclass(frozen=True)
class _Reading:
    body: list[ast.stmt]
    nodes: list[ast.AST]
    callee_name: Callable[[ast.expr], str]


def _block(statements: list[ast.stmt], results: dict[str, ast.Call], loads: Loads, reading: _Reading) -> None:
    """Statements in order. ``results`` maps a name to the execution it holds *here* (``res = await
    session.execute(...)`` is often rebound, so it is followed in order; a name rebound inside a nested block is
    forgotten after it)."""
    for statement in statements:
        if isinstance(statement, ast.Assign | ast.AnnAssign) and statement.value is not None:
            _assignment(statement, results, loads, reading)
            continue
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue  # walked on its own
        for field_name in ("body", "orelse", "finalbody"):
            inner = getattr(statement, field_name, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                _block(inner, dict(results), loads, reading)
        for handler in getattr(statement, "handlers", []) + getattr(statement, "cases", []):
            _block(handler.body, dict(results), loads, reading)
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                _forget(results, node.id)


def _forget(results: dict[str, ast.Call], name: str) -> None:
    results.pop(name, None)
    results.pop(_LIST + name, None)


_LIST = "list:"
"""``results`` also holds, under this prefix, the loaded list each name holds here (a list name is often rebound
too: ``run_ids = sorted(r.id for r in runs)`` reads the ``runs`` bound just before)."""


def _lists_here(results: dict[str, ast.Call]) -> dict[str, ast.Call]:
    return {key[len(_LIST):]: call for key, call in results.items() if key.startswith(_LIST)}


def _assignment(node: ast.Assign | ast.AnnAssign, results: dict[str, ast.Call], loads: Loads,
                reading: _Reading) -> None:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    for target in targets:
        for stored in ast.walk(target):
            if isinstance(stored, ast.Name):
                _forget(results, stored.id)
    if len(targets) != 1 or not isinstance(targets[0], ast.Name):
        return
    name = targets[0].id
    execution = _execution(node.value, results)  # type: ignore[arg-type]
    if execution is not None:
        results[name] = execution
        return
    here = _lists_here(results)
    alias = _copied_list(node.value, here)  # type: ignore[arg-type]
    found = executed_load(node.value, results)  # type: ignore[arg-type]
    if alias is not None or (found is not None and not found[1]):
        results[_LIST + name] = alias if alias is not None else found[0]  # type: ignore[index]
    if name not in loads.bound:
        return
    if alias is not None:
        loads.lists[name] = alias
        return
    helper = _helper_call(node.value)  # type: ignore[arg-type]
    if found is None and helper is not None:
        loads.helper_rows[name] = helper
    if found is None and isinstance(node.value, ast.Call) and node.value.keywords and not node.value.args and \
            isinstance(node.value.func, ast.Name | ast.Attribute):
        loads.created[name] = node.value
        return
    if found is None:
        collected = _collected(node.value, here)  # type: ignore[arg-type]
        if collected is not None:
            loads.collected[name] = collected
        return
    call, single = found
    if single:
        loads.rows[name] = call
        loads.checks[id(call)] = compared(reading.body, name, node.lineno, reading.callee_name)
    else:
        loads.lists[name] = call
        loads.checks[id(call)] = Check(frozenset(_refusals(reading.nodes, name)))


def executed_load(node: ast.expr, results: dict[str, ast.Call]) -> tuple[ast.Call, bool] | None:
    """``(executing call, one row?)`` for an expression that loads rows; ``None`` for anything else."""
    node = _unawait(node)
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if isinstance(func, ast.Name) and func.id in ("list", "set") and len(node.args) == 1 and not node.keywords:
        inner = _result(node.args[0], results)
        if inner is None:
            loaded = executed_load(node.args[0], results)
            inner = loaded[0] if loaded is not None and not loaded[1] else None
        return (inner, False) if inner is not None else None
    if not isinstance(func, ast.Attribute):
        return None
    if func.attr in ROW_TERMINALS or func.attr == "all":
        inner = _result(func.value, results)
        return (inner if inner is not None else node), func.attr != "all"  # else a legacy Query's terminal
    if func.attr == "scalar" and node.args:
        return node, True
    return None


def _helper_call(node: ast.expr) -> str | None:
    """``helper(...)``, ``self.helper(...)``, ``cls.helper(...)`` (awaited or not): the helper's name."""
    node = _unawait(node)
    if not isinstance(node, ast.Call):
        return None
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) and \
            node.func.value.id in ("self", "cls"):
        return node.func.attr
    return None


def _copied_list(node: ast.expr, lists: dict[str, ast.Call]) -> ast.Call | None:
    """``set(rows)`` / ``list(ids)`` / ``sorted(ids)`` of a loaded list: the same values."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
            node.func.id in ("list", "set", "tuple", "sorted", "frozenset") and len(node.args) == 1 and \
            isinstance(node.args[0], ast.Name) and node.args[0].id in lists:
        return lists[node.args[0].id]
    return None


def _collected(node: ast.expr, lists: dict[str, ast.Call]) -> tuple[ast.Call, str] | None:
    """``{r.a for r in rows}`` / ``[r.a for r in rows if ...]`` over a loaded list: one attribute of its rows (a
    filter only leaves fewer)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
            node.func.id in ("list", "set", "tuple", "sorted", "frozenset") and len(node.args) == 1:
        node = node.args[0]  # sorted(r.id for r in rows)
    if not isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp) or len(node.generators) != 1:
        return None
    loop = node.generators[0]
    if not (isinstance(loop.target, ast.Name) and isinstance(loop.iter, ast.Name) and loop.iter.id in lists):
        return None
    attribute = _attribute_of(node.elt, loop.target.id)
    return (lists[loop.iter.id], attribute) if attribute is not None else None


def compared(body: list[ast.stmt], name: str, line: int, callee_name: Callable[[ast.expr], str]) -> Check:
    """The attributes of ``name`` compared in a test after ``line`` (``if exam.student_id != current.id``,
    ``assert ...``, ``return exam is not None and exam.student_id == current.id``), and whether it is handed to a
    function whose name says it checks ownership. A comparison elsewhere (``Organisation.id ==
    project.organisation_id`` in the next query) checks nothing."""
    attributes: set[str] = set()
    opaque = False
    for statement in body:
        for node in ast.walk(statement):
            if getattr(node, "lineno", 0) < line:
                continue
            tested = node.test if isinstance(node, ast.If | ast.Assert | ast.IfExp | ast.While) else \
                node.value if isinstance(node, ast.Return) else None
            for compare in _tests(tested):
                for side in (compare.left, *compare.comparators):
                    attribute = _attribute_of(side, name)
                    if attribute is not None:
                        attributes.add(attribute)
            if isinstance(node, ast.Call) and any(isinstance(a, ast.Name) and a.id == name for a in node.args):
                callee = callee_name(node.func).lower()
                opaque = opaque or any(word in callee for word in OWNERSHIP_WORDS)
    return Check(frozenset(attributes), opaque)


_STATEMENT_CALLS = frozenset({"where", "filter", "filter_by", "having", "join", "outerjoin", "and_", "or_", "not_",
                              "select", "query", "update", "delete", "exec", "execute", "scalars", "scalar", "get"})


def _tests(node: ast.expr | None) -> Iterator[ast.Compare]:
    """The comparisons of a test, but not those inside a statement it builds (a query's predicate)."""
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Compare):
            yield current
        elif isinstance(current, ast.Call) and getattr(current.func, "attr", getattr(current.func, "id", "")) in \
                _STATEMENT_CALLS:
            continue
        stack.extend(child for child in ast.iter_child_nodes(current) if isinstance(child, ast.expr))


def _refusals(nodes: Iterable[ast.AST], name: str) -> Iterator[str]:
    """The attributes every row of the list ``name`` is checked on, by a check that refuses or skips the row:
    ``if any(r.a != x for r in name): raise``, ``if not all(r.a == x for r in name): raise``, or
    ``for r in name:`` with ``if r.a != x: raise``/``continue`` in its body."""
    for node in nodes:
        if isinstance(node, ast.If) and _refuses(node.body, loop=False):
            yield from _quantified(node.test, name)
        elif isinstance(node, ast.For | ast.AsyncFor) and isinstance(node.iter, ast.Name) and \
                node.iter.id == name and isinstance(node.target, ast.Name):
            row = node.target.id
            for statement in node.body:
                if isinstance(statement, ast.If) and _refuses(statement.body, loop=True):
                    yield from _differences(statement.test, row)


def _quantified(test: ast.expr, name: str) -> Iterator[str]:
    negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
    call = test.operand if negated else test  # type: ignore[attr-defined]
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and len(call.args) == 1 and
            isinstance(call.args[0], ast.GeneratorExp)):
        return
    if call.func.id != ("all" if negated else "any"):
        return
    generator = call.args[0]
    if len(generator.generators) != 1:
        return
    loop = generator.generators[0]
    if loop.ifs or not isinstance(loop.iter, ast.Name) or loop.iter.id != name or \
            not isinstance(loop.target, ast.Name):
        return
    yield from _differences(generator.elt, loop.target.id, equal=negated)


def _differences(test: ast.expr, row: str, equal: bool = False) -> Iterator[str]:
    """Attributes of ``row`` the test compares with ``!=`` a value (``==`` when ``equal``), alone or in an ``or``."""
    parts = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or) else [test]
    for part in parts:
        if isinstance(part, ast.Compare) and len(part.ops) == 1 and \
                isinstance(part.ops[0], ast.Eq if equal else ast.NotEq):
            left, right = part.left, part.comparators[0]
            for side, other in ((left, right), (right, left)):
                attribute = _attribute_of(side, row)
                if attribute is not None and not (isinstance(other, ast.Constant) and other.value is None):
                    yield attribute


def _refuses(body: list[ast.stmt], loop: bool) -> bool:
    """The block ends by raising (or ``abort(...)``), or, in a loop, by skipping the row."""
    last = body[-1] if body else None
    if isinstance(last, ast.Raise) or (loop and isinstance(last, ast.Continue)):
        return True
    return isinstance(last, ast.Expr) and isinstance(last.value, ast.Call) and \
        getattr(last.value.func, "id", getattr(last.value.func, "attr", "")) in _ABORTS


def _execution(node: ast.expr, results: dict[str, ast.Call]) -> ast.Call | None:
    """``session.exec(s)`` / ``await session.execute(s)``: a result, not yet rows."""
    node = _unawait(node)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in EXECUTE and \
            node.func.attr != "scalar" and node.args:
        return node
    return None


def _result(node: ast.expr, results: dict[str, ast.Call]) -> ast.Call | None:
    """The executing call behind a result expression: an execution, ``.scalars()``/``.unique()`` of one, or a name
    bound once to one."""
    node = _unawait(node)
    if isinstance(node, ast.Name):
        return results.get(node.id)
    execution = _execution(node, results)
    if execution is not None:
        return execution
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
            node.func.attr in _RESULT_METHODS and not node.args:
        return _result(node.func.value, results)
    return None


def _attribute_of(node: ast.expr, name: str) -> str | None:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == name:
        return node.attr
    return None


def _unawait(node: ast.expr) -> ast.expr:
    return node.value if isinstance(node, ast.Await) else node


def _walk(body: list[ast.stmt]) -> Iterator[ast.AST]:
    for statement in body:
        yield from ast.walk(statement)


def _bound_once(nodes: list[ast.AST]) -> set[str]:
    """Names bound exactly once among a body's ``nodes`` (nested functions' parameters and bindings included,
    conservatively)."""
    counts: Counter[str] = Counter()
    for node in nodes:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            counts[node.id] += 1
        elif isinstance(node, ast.arg):
            counts[node.arg] += 1
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            counts[node.target.id] += 1
    return {name for name, count in counts.items() if count == 1}
