"""``__table_args__`` → table-level indexes, unique constraints, foreign keys, primary key and the shared marker.

Understands a tuple/list of ``Index``/``UniqueConstraint``/``ForeignKeyConstraint``/``PrimaryKeyConstraint``/
``CheckConstraint`` calls with an optional trailing dict, or a dict alone; a module-level name holding either is
followed once. ``{"info": {"schema_guard": {"shared": True}}}`` declares the table shared reference data.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from schema_guard.facts import ForeignKeyFact, IndexFact, UniqueFact
from schema_guard.readers.source_imports import last_part
from schema_guard.readers.source_module import ParsedModule


@dataclass
class TableArgs:
    indexes: list[IndexFact] = field(default_factory=list)
    uniques: list[UniqueFact] = field(default_factory=list)
    foreign_keys: list[ForeignKeyFact] = field(default_factory=list)
    primary_key: tuple[str, ...] = ()
    declared_shared: bool = False


def read_table_args(node: ast.expr, module: ParsedModule) -> TableArgs:
    args = TableArgs()
    if isinstance(node, ast.Name) and node.id in module.constants:
        node = module.constants[node.id]
    if isinstance(node, ast.Dict):
        args.declared_shared = _declares_shared(node)
        return args
    if not isinstance(node, ast.Tuple | ast.List):
        return args
    for item in node.elts:
        if isinstance(item, ast.Dict):
            args.declared_shared = args.declared_shared or _declares_shared(item)
        elif isinstance(item, ast.Call):
            _read_constraint(item, module, args)
    return args


def _read_constraint(call: ast.Call, module: ParsedModule, args: TableArgs) -> None:
    kind = last_part(module.imports.qualify(call.func))
    keywords = {keyword.arg: keyword.value for keyword in call.keywords if keyword.arg}
    name = _string(keywords.get("name"))
    location = module.location(call)
    if kind == "Index":
        positional = list(call.args)
        if positional and _string(positional[0]) is not None:
            name = _string(positional.pop(0))
        columns = tuple(_column_text(argument, module) for argument in positional)
        flag = keywords.get("unique")
        unique = isinstance(flag, ast.Constant) and flag.value is True
        args.indexes.append(IndexFact(name=name, columns=columns, unique=unique, location=location))
    elif kind == "UniqueConstraint":
        columns = tuple(_column_text(argument, module) for argument in call.args)
        args.uniques.append(UniqueFact(name=name, columns=columns, location=location))
    elif kind == "PrimaryKeyConstraint":
        args.primary_key = tuple(_column_text(argument, module) for argument in call.args)
    elif kind == "ForeignKeyConstraint" and len(call.args) >= 2:
        columns = _strings(call.args[0])
        targets = _strings(call.args[1])
        if columns and targets:
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


def _declares_shared(node: ast.Dict) -> bool:
    info = _lookup(node, "info")
    marker = _lookup(info, "schema_guard") if isinstance(info, ast.Dict) else None
    shared = _lookup(marker, "shared") if isinstance(marker, ast.Dict) else None
    return isinstance(shared, ast.Constant) and shared.value is True


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
