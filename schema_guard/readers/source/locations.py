"""Find where a class, a field, or an entry of ``__table_args__`` is written, by file and name.

The metadata reader knows *what* SQLAlchemy built but not *where* it was written; this module answers the "where"
from the class's source file with the stdlib ``ast`` (each file parsed once), so metadata findings point at
``path:line:col`` of the field, not of the class.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from schema_guard.facts import Location
from schema_guard.readers.source.parsing import SourceError, decode, parse


@dataclass
class ClassLayout:
    """Lines of one class body: its own fields and its ``__table_args__`` entries."""

    location: Location
    decorator: Location | None = None
    """The first decorator's line, where the class has decorators."""
    fields: dict[str, Location] = field(default_factory=dict)
    table_args: list[tuple[ast.Call, Location]] = field(default_factory=list)

    def table_arg_named(self, name: str | None, columns: tuple[str, ...]) -> Location | None:
        """The ``Index(...)``/``UniqueConstraint(...)`` entry with this name, else the one with these columns."""
        for call, location in self.table_args:
            if name is not None and _string_args(call, keyword="name", positional=0) == name:
                return location
        for call, location in self.table_args:
            if tuple(_string_values(call)) == columns or tuple(_string_values(call)[1:]) == columns:
                return location
        return None


@lru_cache(maxsize=512)
def _parse(path: str) -> ast.Module | None:
    try:
        return parse(decode(Path(path).read_bytes()), path)
    except (OSError, SyntaxError, SourceError, ValueError):
        return None


def class_layout(path: str, qualname: str) -> ClassLayout | None:
    """The layout of the class ``qualname`` (``Outer.Inner`` for nested classes) in ``path``."""
    module = _parse(path)
    if module is None:
        return None
    node: ast.AST | None = module
    for part in qualname.split("."):
        node = next(
            (
                child
                for child in ast.iter_child_nodes(node)  # type: ignore[arg-type]
                if isinstance(child, ast.ClassDef) and child.name == part
            ),
            None,
        )
        if node is None:
            return _find_anywhere(module, qualname.split(".")[-1], path)
    return _layout(node, path)  # type: ignore[arg-type]


def _find_anywhere(module: ast.Module, name: str, path: str) -> ClassLayout | None:
    """Classes defined inside functions (tests, factories) have a ``<locals>`` qualname; match by name."""
    for node in ast.walk(module):
        if isinstance(node, ast.ClassDef) and node.name == name:
            return _layout(node, path)
    return None


def _layout(node: ast.ClassDef, path: str) -> ClassLayout:
    layout = ClassLayout(location=Location(path, node.lineno, node.col_offset + 1))
    if node.decorator_list:
        first = node.decorator_list[0]
        layout.decorator = Location(path, first.lineno, first.col_offset + 1)
    for statement in node.body:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            layout.fields[statement.target.id] = Location(path, statement.lineno, statement.col_offset + 1)
        elif isinstance(statement, ast.FunctionDef) and statement.decorator_list and not statement.name.startswith("__"):
            # ``@declared_attr def user_id(cls): ...`` declares the attribute where the method is written
            layout.fields.setdefault(statement.name, Location(path, statement.lineno, statement.col_offset + 1))
        elif isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    layout.fields.setdefault(target.id, Location(path, statement.lineno, statement.col_offset + 1))
                    if target.id == "__table_args__":
                        layout.table_args = [
                            (call, Location(path, call.lineno, call.col_offset + 1))
                            for call in ast.walk(statement.value)
                            if isinstance(call, ast.Call)
                        ]
    return layout


def mapping_call_location(path: str, class_name: str) -> Location | None:
    """The ``….map_imperatively(ClassName, ...)`` call in ``path``, if there is one."""
    module = _parse(path)
    for node in ast.walk(module) if module else ():
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "map_imperatively"
            and node.args
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id == class_name
        ):
            return Location(path, node.lineno, node.col_offset + 1)
    return None


def _string_args(call: ast.Call, *, keyword: str, positional: int) -> str | None:
    for item in call.keywords:
        if item.arg == keyword and isinstance(item.value, ast.Constant) and isinstance(item.value.value, str):
            return item.value.value
    if len(call.args) > positional:
        argument = call.args[positional]
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            return argument.value
    return None


def _string_values(call: ast.Call) -> list[str]:
    return [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]


def assignment_location(path: str, name: str) -> Location | None:
    """The module-level ``name = ...`` statement in ``path`` (a ``Table(...)`` object), if there is one."""
    module = _parse(path)
    for statement in module.body if module else ():
        targets = statement.targets if isinstance(statement, ast.Assign) else (
            [statement.target] if isinstance(statement, ast.AnnAssign) else []
        )
        if any(isinstance(target, ast.Name) and target.id == name for target in targets):
            return Location(path, statement.lineno, statement.col_offset + 1)
    return None
