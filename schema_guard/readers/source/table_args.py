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
from schema_guard.readers.source.constants import StringResolver
from schema_guard.readers.source.module import ParsedModule


@dataclass
class TableArgs:
    indexes: list[IndexFact] = field(default_factory=list)
    uniques: list[UniqueFact] = field(default_factory=list)
    foreign_keys: list[ForeignKeyFact] = field(default_factory=list)
    primary_key: tuple[str, ...] = ()
    declared_shared: bool = False
    schema: str | None = None
    complete: bool = True
    """Everything in ``__table_args__`` was read; ``False`` when some of it is computed (the facts: a lower bound)."""


_KINDS = {"Index", "UniqueConstraint", "PrimaryKeyConstraint", "ForeignKeyConstraint", "CheckConstraint"}


def read_table_args(node: ast.expr, module: ParsedModule, strings: StringResolver) -> TableArgs:
    args = TableArgs()
    reader = _Reader(module, strings)
    node = _constant(node, module)
    if isinstance(node, ast.Dict):
        reader.options(node, args)
        return args
    if not isinstance(node, ast.Tuple | ast.List):
        args.complete = isinstance(node, ast.Constant) and node.value is None
        return args
    for item in node.elts:
        item = _constant(item, module)
        if isinstance(item, ast.Dict):
            reader.options(item, args)
        elif isinstance(item, ast.Call) and reader.constraint(item, args):
            continue
        else:
            args.complete = False
    return args


def _constant(node: ast.expr, module: ParsedModule) -> ast.expr:
    """A module-level name followed to the expression it is assigned (once)."""
    if isinstance(node, ast.Name) and node.id in module.constants:
        return module.constants[node.id]
    return node


class _Reader:
    """One module's ``__table_args__`` entries, with names resolved through its constants."""

    def __init__(self, module: ParsedModule, strings: StringResolver) -> None:
        self.module = module
        self.strings = strings

    def string(self, node: ast.expr | None) -> str | None:
        return self.strings.string(node, self.module) if node is not None else None

    def strings_of(self, node: ast.expr) -> tuple[str, ...] | None:
        """The strings of a list/tuple; ``None`` when one of them cannot be resolved."""
        if not isinstance(node, ast.List | ast.Tuple):
            return None
        values = [self.string(item) for item in node.elts]
        return None if any(value is None for value in values) else tuple(values)  # type: ignore[arg-type]

    def constraint(self, call: ast.Call, args: TableArgs) -> bool:
        """Read one entry; ``False`` when it is not a constraint the reader knows (a helper, a project function)."""
        module = self.module
        qualified = module.imports.qualify(call.func)
        kind = last_part(qualified)
        if kind not in _KINDS:
            # another SQLAlchemy construct (``ExcludeConstraint``...) is ignored as before; anything else is unknown
            return root_part(qualified) in ("sqlalchemy", "sqlmodel")
        keywords = {keyword.arg: keyword.value for keyword in call.keywords if keyword.arg}
        name = self.string(keywords.get("name"))
        location = module.location(call)
        if kind == "Index":
            # ``Index(name, *expressions)``: the first argument is always the name, ``None`` or computed included
            positional = list(call.args)
            name = self.string(positional.pop(0)) if positional else None
            columns = tuple(self.column_text(argument) for argument in positional)
            flag = keywords.get("unique")
            unique = isinstance(flag, ast.Constant) and flag.value is True
            args.indexes.append(IndexFact(name=name, columns=columns, unique=unique, location=location))
        elif kind == "UniqueConstraint":
            columns = tuple(self.column_text(argument) for argument in call.args)
            args.uniques.append(UniqueFact(name=name, columns=columns, location=location))
        elif kind == "PrimaryKeyConstraint":
            args.primary_key = tuple(self.column_text(argument) for argument in call.args)
        elif kind == "ForeignKeyConstraint":
            columns = self.strings_of(call.args[0]) if len(call.args) >= 2 else None
            targets = self.strings_of(call.args[1]) if len(call.args) >= 2 else None
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

    def options(self, node: ast.Dict, args: TableArgs) -> None:
        """The keyword dict: the shared marker, the schema, and whether it (or ``info``) is written out where the
        reader sees it."""
        if None in node.keys:  # ``{**BASE_OPTIONS, ...}``
            args.complete = False
        schema = _lookup(node, "schema")
        if schema is not None:
            args.schema = self.string(schema)
        info = _lookup(node, "info")
        if info is None:
            return
        info = _constant(info, self.module)
        if not isinstance(info, ast.Dict) or None in info.keys:
            args.complete = False
            return
        marker = _lookup(info, "schema_guard")
        shared = _lookup(marker, "shared") if isinstance(marker, ast.Dict) else None
        if isinstance(shared, ast.Constant) and shared.value is True:
            args.declared_shared = True

    def column_text(self, node: ast.expr) -> str:
        """A column name, or the expression's text (``text("lower(email)")`` → ``lower(email)``)."""
        value = self.string(node)
        if value is not None:
            return value
        module = self.module
        if isinstance(node, ast.Call) and last_part(module.imports.qualify(node.func)) == "text" and node.args:
            inner = self.string(node.args[0])
            if inner is not None:
                return inner
        if isinstance(node, ast.Attribute):
            return node.attr  # ``Model.column`` / ``column("x")`` style
        return module.segment(node)


def _lookup(node: ast.Dict, key: str) -> ast.expr | None:
    for candidate, value in zip(node.keys, node.values, strict=True):
        if isinstance(candidate, ast.Constant) and candidate.value == key:
            return value
    return None


