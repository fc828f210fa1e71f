"""String constants resolved statically, across the checked and context files, without importing anything.

Real projects name their tables once and build the rest from those names: ``foreign_key=f"{STUDENTS}.id"``,
``STUDENTS + ".id"``, ``__tablename__ = TABLES.EXAMS`` or ``= EXAMS_TABLE``, ``ForeignKey(f"{T}.id")``. The constant
may be a module-level name of the same file, an import from another project file (``from app.names import
STUDENTS``, ``import app.names as names``), a class attribute of a constants class, or a ``str`` enum member
(``.value`` too). This module follows those to the string; only what truly cannot be followed (a function call, a
name bound at run time, a file outside the project) is ``None`` — and the reader treats it as opaque.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from schema_guard.readers.source.module import ParsedModule

ModuleLoader = Callable[[str], "ParsedModule | None"]
"""A project module by dotted name (parsed on first use), ``None`` when it is not among the project's files."""

_MAX_DEPTH = 12


class StringResolver:
    """Evaluates string expressions made of literals, constants, ``+``, f-strings, ``.lower()``/``.upper()`` and
    ``.format()`` with constant arguments, ``cls.__name__`` where the class is known."""

    def __init__(self, load: ModuleLoader) -> None:
        self._load = load
        self.load = load
        """The project module loader these constants are resolved through (shared with the type lookups)."""

    def string(self, node: ast.expr | None, module: ParsedModule, class_name: str | None = None) -> str | None:
        return self._value(node, module, class_name, 0) if node is not None else None

    # --- expressions -----------------------------------------------------------------------------------------------
    def _value(self, node: ast.expr, module: ParsedModule, class_name: str | None, depth: int) -> str | None:
        if depth > _MAX_DEPTH:
            return None
        depth += 1
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else None
        if isinstance(node, ast.JoinedStr):
            return self._joined(node, module, class_name, depth)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self._value(node.left, module, class_name, depth)
            right = self._value(node.right, module, class_name, depth) if left is not None else None
            return left + right if left is not None and right is not None else None
        if isinstance(node, ast.Call):
            return self._method(node, module, class_name, depth)
        if isinstance(node, ast.Name | ast.Attribute):
            if isinstance(node, ast.Attribute) and node.attr == "__name__" and isinstance(node.value, ast.Name):
                if node.value.id == "cls" or node.value.id not in module.imports.names:
                    return class_name
            return self._named(node, module, depth)
        return None

    def _joined(self, node: ast.JoinedStr, module: ParsedModule, class_name: str | None, depth: int) -> str | None:
        parts = []
        for part in node.values:
            if isinstance(part, ast.FormattedValue):
                if part.conversion not in (-1, ord("s")) or part.format_spec is not None:
                    return None
                part = part.value
            text = self._value(part, module, class_name, depth)
            if text is None:
                return None
            parts.append(text)
        return "".join(parts)

    def _method(self, node: ast.Call, module: ParsedModule, class_name: str | None, depth: int) -> str | None:
        if not isinstance(node.func, ast.Attribute):
            return None
        inner = self._value(node.func.value, module, class_name, depth)
        if inner is None:
            return None
        method = node.func.attr
        if method in ("lower", "upper") and not node.args and not node.keywords:
            return inner.lower() if method == "lower" else inner.upper()
        if method == "format" and not node.keywords:
            arguments = [self._value(argument, module, class_name, depth) for argument in node.args]
            if all(argument is not None for argument in arguments):
                try:
                    return inner.format(*arguments)
                except (IndexError, KeyError, ValueError):
                    return None
        return None

    # --- names -----------------------------------------------------------------------------------------------------
    def _named(self, node: ast.Name | ast.Attribute, module: ParsedModule, depth: int) -> str | None:
        """A name or dotted name: a constant of this module, or of a project module it was imported from."""
        parts = _dotted(node)
        if parts is None:
            return None
        head = parts[0]
        if head in module.constants and head not in module.imports.names:
            return self._in_module(module, parts, depth)
        if any(info.name == head for info in module.classes) and head not in module.imports.names:
            return self._in_module(module, parts, depth)
        qualified = module.imports.names.get(head)
        if qualified is None:
            return None
        return self._qualified(qualified.split(".") + parts[1:], depth)

    def _qualified(self, parts: list[str], depth: int) -> str | None:
        """``app.names.STUDENTS`` / ``app.names.Tables.EXAMS``: the longest prefix that is a project module, then
        the rest inside it."""
        for split in range(len(parts) - 1, 0, -1):
            target = self._load(".".join(parts[:split]))
            if target is not None:
                return self._in_module(target, parts[split:], depth)
        return None

    def _in_module(self, module: ParsedModule, parts: list[str], depth: int) -> str | None:
        head, rest = parts[0], parts[1:]
        if rest and rest[-1] == "value":  # ``Tables.EXAMS.value``: a str enum member's value
            rest = rest[:-1]
        constant = module.constants.get(head)
        if constant is not None and not rest:
            return self._value(constant, module, None, depth)
        if rest:
            info = next((c for c in module.classes if c.name == head and c.node in module.tree.body), None)
            if info is not None and len(rest) == 1:
                assigned = _class_attribute(info.node, rest[0])
                return self._value(assigned, module, None, depth) if assigned is not None else None
        qualified = module.imports.names.get(head)
        if qualified is not None:  # re-exported: ``from .names import STUDENTS`` in a package's __init__
            return self._qualified(qualified.split(".") + rest, depth)
        return None


def _dotted(node: ast.expr) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]


def _class_attribute(node: ast.ClassDef, name: str) -> ast.expr | None:
    for statement in node.body:
        if isinstance(statement, ast.Assign):
            if any(isinstance(target, ast.Name) and target.id == name for target in statement.targets):
                return statement.value
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            if statement.target.id == name and statement.value is not None:
                return statement.value
    return None
