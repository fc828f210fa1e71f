"""``__table_args__`` → table-level indexes, unique constraints, foreign keys, primary key and the shared marker.

Understands a tuple/list of ``Index``/``UniqueConstraint``/``ForeignKeyConstraint``/``PrimaryKeyConstraint``/
``CheckConstraint`` calls with an optional trailing dict, or a dict alone; a module-level name holding either (or
one entry) is followed once. ``{"info": {"schema_guard": {"shared": True}}}`` declares the table shared reference
data. Anything else — a call, ``*Base.__table_args__``, a helper that returns an ``Index`` — may hold constraints
the reader cannot see: what was read is kept, and the result says it is not ``complete``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from schema_guard.facts import ForeignKeyFact, IndexFact, UniqueFact
from schema_guard.readers.source.imports import last_part, root_part
from schema_guard.readers.source.module import ParsedModule


@dataclass
class TableArgs:
    indexes: list[IndexFact] = field(default_factory=list)
    uniques: list[UniqueFact] = field(default_factory=list)
    foreign_keys: list[ForeignKeyFact] = field(default_factory=list)
    primary_key: tuple[str, ...] = ()
    declared_shared: bool = False
    complete: bool = True
    """Everything in ``__table_args__`` was read; ``False`` when some of it is computed (the facts: a lower bound)."""


_KINDS = {"Index", "UniqueConstraint", "PrimaryKeyConstraint", "ForeignKeyConstraint", "CheckConstraint"}


def read_table_args(node: ast.expr, module: ParsedModule) -> TableArgs:
    args = TableArgs()
    node = _constant(node, module)
    if isinstance(node, ast.Dict):
        _read_options(node, module, args)
        return args
    if not isinstance(node, ast.Tuple | ast.List):
        args.complete = isinstance(node, ast.Constant) and node.value is None
        return args
    for item in node.elts:
        item = _constant(item, module)
        if isinstance(item, ast.Dict):
            _read_options(item, module, args)
        elif isinstance(item, ast.Call) and _read_constraint(item, module, args):
            continue
        else:
            args.complete = False
    return args


def _constant(node: ast.expr, module: ParsedModule) -> ast.expr:
    """A module-level name followed to the expression it is assigned (once)."""
    if isinstance(node, ast.Name) and node.id in module.constants:
        return module.constants[node.id]
    return node


def _read_constraint(call: ast.Call, module: ParsedModule, args: TableArgs) -> bool:
    """Read one entry; ``False`` when it is not a constraint the reader knows (a helper, a project function)."""
    qualified = module.imports.qualify(call.func)
    kind = last_part(qualified)
    if kind not in _KINDS:
        # another SQLAlchemy construct (``ExcludeConstraint``...) is ignored as before; anything else is unknown
        return root_part(qualified) in ("sqlalchemy", "sqlmodel")
    keywords = {keyword.arg: keyword.value for keyword in call.keywords if keyword.arg}
    name = _string(keywords.get("name"))
    location = module.location(call)
    if kind == "Index":
        # ``Index(name, *expressions)``: the first argument is always the name, ``None`` or computed included
        positional = list(call.args)
        name = _string(positional.pop(0)) if positional else None
        columns = tuple(_column_text(argument, module) for argument in positional)
        flag = keywords.get("unique")
        unique = isinstance(flag, ast.Constant) and flag.value is True
        args.indexes.append(IndexFact(name=name, columns=columns, unique=unique, location=location))
    elif kind == "UniqueConstraint":
        columns = tuple(_column_text(argument, module) for argument in call.args)
        args.uniques.append(UniqueFact(name=name, columns=columns, location=location))
    elif kind == "PrimaryKeyConstraint":
        args.primary_key = tuple(_column_text(argument, module) for argument in call.args)
    elif kind == "ForeignKeyConstraint":
        columns = _strings(call.args[0]) if len(call.args) >= 2 else ()
        targets = _strings(call.args[1]) if len(call.args) >= 2 else ()
        if not columns or not targets:
            return False  # columns or targets computed: a foreign key the reader cannot name
        table = targets[0].rsplit(".", 1)[0] if "." in targets[0] else ""
        args.foreign_keys.append(
            ForeignKeyFact(
                columns=columns,
                target_table=table,
                target_columns=tuple(target.rsplit(".", 1)[-1] for target in targets),
                name=name,
                location=location,
            )
        )
    return True


def _read_options(node: ast.Dict, module: ParsedModule, args: TableArgs) -> None:
    """The keyword dict: the shared marker, and whether it (or ``info``) is written out where the reader sees it."""
    if None in node.keys:  # ``{**BASE_OPTIONS, ...}``
        args.complete = False
    info = _lookup(node, "info")
    if info is None:
        return
    info = _constant(info, module)
    if not isinstance(info, ast.Dict) or None in info.keys:
        args.complete = False
        return
    marker = _lookup(info, "schema_guard")
    shared = _lookup(marker, "shared") if isinstance(marker, ast.Dict) else None
    if isinstance(shared, ast.Constant) and shared.value is True:
        args.declared_shared = True


def _lookup(node: ast.Dict, key: str) -> ast.expr | None:
    for candidate, value in zip(node.keys, node.values, strict=True):
        if isinstance(candidate, ast.Constant) and candidate.value == key:
            return value
    return None


def _string(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _strings(node: ast.expr) -> tuple[str, ...]:
    if isinstance(node, ast.List | ast.Tuple):
        return tuple(value for value in (_string(item) for item in node.elts) if value is not None)
    return ()


def _column_text(node: ast.expr, module: ParsedModule) -> str:
    """A column name, or the expression's text (``text("lower(email)")`` → ``lower(email)``)."""
    value = _string(node)
    if value is not None:
        return value
    if isinstance(node, ast.Call) and last_part(module.imports.qualify(node.func)) == "text" and node.args:
        inner = _string(node.args[0])
        if inner is not None:
            return inner
    if isinstance(node, ast.Attribute):
        return node.attr  # ``Model.column`` / ``column("x")`` style
    return module.segment(node)
