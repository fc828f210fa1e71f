"""Qualified names for the source reader: what a name in a module refers to, resolved through its imports once.

``import sqlalchemy.orm as sao`` makes ``sao.DeclarativeBase`` read as ``sqlalchemy.orm.DeclarativeBase``;
``from sqlmodel import Field as F`` makes ``F(...)`` a ``sqlmodel.Field`` call; ``reg = registry()`` makes
``reg.mapped`` read as ``sqlalchemy.orm.registry.mapped``. Every part of the source reader asks this one service,
so no rule or fact builder re-does alias resolution (Fixit's ``QualifiedNameProvider`` idea, without libcst).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

_NESTED_BLOCKS = (ast.If, ast.Try, ast.With)
_STAR_SOURCES = ("sqlmodel", "sqlalchemy")
"""``from sqlmodel import *`` is common in tutorials; names it may provide are read as ``sqlmodel.<name>``."""


class ImportMap:
    """Local name → qualified name for one module, from its ``import`` statements and simple assignments."""

    def __init__(self, module: ast.Module, module_name: str = "") -> None:
        self.module_name = module_name
        self.names: dict[str, str] = {}
        self.instances: dict[str, str] = {}
        """``name = Callee(...)`` at any level: the qualified name of what the call builds (``registry()``)."""
        self.star_modules: list[str] = []
        for statement in _module_statements(module.body):
            if isinstance(statement, ast.Import):
                self._add_import(statement)
            elif isinstance(statement, ast.ImportFrom):
                self._add_import_from(statement)

    def _add_import(self, statement: ast.Import) -> None:
        for alias in statement.names:
            if alias.asname:
                self.names[alias.asname] = alias.name
            else:
                root = alias.name.split(".")[0]
                self.names.setdefault(root, root)

    def _add_import_from(self, statement: ast.ImportFrom) -> None:
        module = statement.module or ""
        if statement.level:
            package = self.module_name.rsplit(".", statement.level)[0] if self.module_name else ""
            module = ".".join(part for part in (package, module) if part)
        for alias in statement.names:
            if alias.name == "*":
                self.star_modules.append(module)
            else:
                self.names[alias.asname or alias.name] = f"{module}.{alias.name}" if module else alias.name

    def note_instances(self, assignments: Iterator[ast.Assign]) -> None:
        """Remember ``reg = registry()`` style assignments so ``reg.mapped`` resolves."""
        for assignment in assignments:
            if isinstance(assignment.value, ast.Call) and len(assignment.targets) == 1:
                target = assignment.targets[0]
                callee = self.qualify(assignment.value.func)
                if isinstance(target, ast.Name) and callee:
                    self.instances[target.id] = callee

    def qualify(self, node: ast.AST) -> str | None:
        """The dotted qualified name of a ``Name``/``Attribute`` chain (``None`` for anything else).

        A name that no import binds stays as written (a class of this module, a builtin such as ``int``), except
        where a ``from sqlmodel import *`` may provide it.
        """
        if isinstance(node, ast.Name):
            return self.qualify_name(node.id)
        if isinstance(node, ast.Attribute):
            base = self.qualify(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call):
            # ``registry().generate_base`` → ``sqlalchemy.orm.registry.generate_base``
            return self.qualify(node.func)
        return None

    def qualify_name(self, name: str) -> str:
        if name in self.names:
            return self.names[name]
        if name in self.instances:
            return self.instances[name]
        for module in self.star_modules:
            if module.split(".")[0] in _STAR_SOURCES:
                return f"{module}.{name}"
        return name


def _module_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Module-level statements, looking inside ``if``/``try``/``with`` blocks (``if TYPE_CHECKING:`` imports)."""
    for statement in body:
        yield statement
        if isinstance(statement, _NESTED_BLOCKS):
            yield from _module_statements(statement.body)
            if isinstance(statement, ast.If):
                yield from _module_statements(statement.orelse)
            elif isinstance(statement, ast.Try):
                for handler in statement.handlers:
                    yield from _module_statements(handler.body)
                yield from _module_statements(statement.orelse)
                yield from _module_statements(statement.finalbody)


def module_statements(module: ast.Module) -> Iterator[ast.stmt]:
    return _module_statements(module.body)


def last_part(qualified: str | None) -> str:
    return qualified.rsplit(".", 1)[-1] if qualified else ""


def root_part(qualified: str | None) -> str:
    return qualified.split(".", 1)[0] if qualified else ""


def is_library_name(qualified: str | None, *names: str) -> bool:
    """``qualified`` is one of ``names`` exported by sqlmodel or sqlalchemy (any submodule, any alias)."""
    return root_part(qualified) in _STAR_SOURCES and last_part(qualified) in names
