"""One Python file as the source reader holds it: text, stdlib ``ast`` tree, imports, classes, and locations.

The read path uses the standard library's ``ast`` rather than libcst: for a 29-line model file ``ast.parse`` takes
~0.23 ms against ~6.8 ms for ``libcst.parse_module`` (and libcst costs ~0.2-0.4 s to import), and reading needs
no formatting fidelity. libcst is used only where formatting must survive, by :mod:`schema_guard.fixes`.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from schema_guard.facts import Location
from schema_guard.findings import Finding, problem
from schema_guard.readers.source.imports import ImportMap, module_statements
from schema_guard.readers.source.parsing import SourceError, decode, parse

MODEL_MARKERS = (
    "SQLModel", "sqlmodel", "sqlalchemy", "table=", "table =", "Field(", "Relationship(", "__tablename__", "Column(",
    "relationship(", "Mapped[", "fastapi",
)  # fmt: skip
"""A file none of these appear in cannot define a model, a mixin or a mapping, nor a web route (SG703/SG704); it
is not parsed at all."""


_BODIES = ("body", "orelse", "finalbody")
_COMPOUND = (ast.FunctionDef, ast.AsyncFunctionDef, ast.If, ast.For, ast.AsyncFor, ast.While, ast.With,
             ast.AsyncWith, ast.Try, *((ast.TryStar,) if hasattr(ast, "TryStar") else ()))


@dataclass(eq=False)
class ClassInfo:
    """A class statement, with its bases already resolved to qualified names."""

    name: str
    node: ast.ClassDef
    module: ParsedModule
    bases: list[str | None]
    table: bool

    @property
    def qualified_name(self) -> str:
        return f"{self.module.module_name}.{self.name}" if self.module.module_name else self.name


@dataclass(eq=False)
class ParsedModule:
    path: str
    text: str
    tree: ast.Module
    module_name: str
    imports: ImportMap
    lines: list[str] = field(default_factory=list)
    classes: list[ClassInfo] = field(default_factory=list)
    constants: dict[str, ast.expr] = field(default_factory=dict)
    """Module-level ``NAME = <expr>`` assignments, for ``__table_args__ = SHARED_TABLE_ARGS``."""

    def location(self, node: ast.AST) -> Location:
        """1-based line and column (``ast`` counts columns in UTF-8 bytes from 0)."""
        line = node.lineno  # type: ignore[attr-defined]
        offset = node.col_offset  # type: ignore[attr-defined]
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        if not text.isascii():
            offset = len(text.encode("utf-8")[:offset].decode("utf-8", errors="replace"))
        return Location(path=self.path, line=line, column=offset + 1)

    def segment(self, node: ast.AST) -> str:
        """The source text of an expression as written (single-line fast path, ``ast.unparse`` otherwise)."""
        line = node.lineno  # type: ignore[attr-defined]
        if line == node.end_lineno and 0 < line <= len(self.lines):  # type: ignore[attr-defined]
            text = self.lines[line - 1]
            start, end = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
            if text.isascii():
                return text[start:end]
            return text.encode("utf-8")[start:end].decode("utf-8", errors="replace")
        return ast.unparse(node)


def parse_module(path: Path, label: str, *, require_markers: bool = True) -> ParsedModule | Finding | None:
    """Parse one file; ``None`` when it cannot hold models (unless ``require_markers`` is off: a file of constants
    that a model imports), a fatal SG001 finding when it does not parse."""
    try:
        data = path.read_bytes()
    except OSError as error:
        return problem("SG001", f"cannot read: {error.strerror or error}", Location(label), "source")
    try:
        text = decode(data)
    except SourceError as error:
        return problem("SG001", f"cannot parse: {error}", Location(label, 1, 1), "source")
    if require_markers and not any(marker in text for marker in MODEL_MARKERS):
        return None
    try:
        tree = parse(text, label)
    except SyntaxError as error:
        where = Location(label, error.lineno or 1, error.offset or 1)
        return problem("SG001", f"cannot parse: {error.msg}", where, "source")
    except ValueError as error:  # source code string cannot contain null bytes
        return problem("SG001", f"cannot parse: {error}", Location(label, 1, 1), "source")
    except (RecursionError, MemoryError):  # a generated expression thousands of terms deep
        return problem("SG001", "cannot parse: nested too deeply for Python's parser", Location(label, 1, 1),
                       "source")
    name = module_name_of(path)
    module = ParsedModule(path=label, text=text, tree=tree, module_name=name, imports=ImportMap(tree, name))
    module.lines = text.splitlines()
    _collect(module)
    return module


def _collect(module: ParsedModule) -> None:
    """Classes (at any depth) and module-level constants, in one pass over the statements."""
    assignments: list[ast.Assign] = []
    for statement in module_statements(module.tree):
        if isinstance(statement, ast.ClassDef):
            _add_classes(statement, module)
        elif isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            _add_nested_classes(statement.body, module)
        elif isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name):
                module.constants[target.id] = statement.value
                assignments.append(statement)
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) and statement.value:
            module.constants[statement.target.id] = statement.value  # ``STUDENTS: Final = "students"``
    module.imports.note_instances(iter(assignments))
    module.classes.sort(key=lambda info: info.node.lineno)


def _add_classes(node: ast.ClassDef, module: ParsedModule) -> None:
    module.classes.append(_class_info(node, module))
    _add_nested_classes(node.body, module)


def _add_nested_classes(body: list[ast.stmt], module: ParsedModule) -> None:
    """Classes defined inside a class or function body (statements only: never inside an expression)."""
    for statement in body:
        if isinstance(statement, ast.ClassDef):
            _add_classes(statement, module)
        elif isinstance(statement, _COMPOUND):
            for name in _BODIES:
                _add_nested_classes(getattr(statement, name, []), module)
            for handler in getattr(statement, "handlers", ()):
                _add_nested_classes(handler.body, module)


def _class_info(node: ast.ClassDef, module: ParsedModule) -> ClassInfo:
    table = any(
        keyword.arg == "table" and isinstance(keyword.value, ast.Constant) and keyword.value.value is True
        for keyword in node.keywords
    )
    bases = [module.imports.qualify(base) for base in node.bases]
    return ClassInfo(name=node.name, node=node, module=module, bases=bases, table=table)


def module_name_of(path: Path) -> str:
    """Dotted module name, from the enclosing packages (folders with ``__init__.py``)."""
    folder, name = os.path.split(os.path.abspath(path))
    stem = name[:-3] if name.endswith(".py") else name
    package = _package_of(folder)
    if stem == "__init__":
        return package
    return f"{package}.{stem}" if package else stem


@lru_cache(maxsize=1024)
def _package_of(folder: str) -> str:
    """The dotted package a folder is, ``""`` when it holds no ``__init__.py`` (looked up once per folder)."""
    if not os.path.isfile(os.path.join(folder, "__init__.py")):
        return ""
    parent, name = os.path.split(folder)
    outer = _package_of(parent) if parent != folder else ""
    return f"{outer}.{name}" if outer else name
