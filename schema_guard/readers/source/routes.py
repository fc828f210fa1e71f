"""Web routes in application code: which classes a FastAPI route takes as its request body or returns as its
response model (SG703, SG704).

A route is a function decorated with ``@<router or app>.<get|post|put|patch|delete>(...)``. Its body parameters
are the parameters annotated with a project class (``body: ExamCreate``, ``Annotated[ExamCreate, Body()]``,
``Optional``/``list`` of one) that no ``Depends``/``Query``/``Path``/``Header``/``Cookie``/``Form``/``File``
marks as something else; only ``post``/``put``/``patch`` routes are read for bodies. Its response model is
``response_model=`` or, where that is absent, the return annotation. Each use records the class's annotated fields
with their lines, through its bases, so SG703 can point at the field that lets the client choose the tenant.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from typing import Protocol

from schema_guard.facts import ApiModelUseFact, Location
from schema_guard.readers.source.imports import last_part
from schema_guard.readers.source.module import ClassInfo, ParsedModule
from schema_guard.readers.source.queries import functions

TEXT_MARKERS = ("fastapi", "APIRouter")
_ROUTE_METHODS = frozenset({"get", "post", "put", "patch", "delete", "api_route"})
_BODY_METHODS = frozenset({"post", "put", "patch"})
_NOT_BODY = frozenset({"Depends", "Security", "Query", "Path", "Header", "Cookie", "Form", "File"})
_WRAPPERS = frozenset({"Optional", "List", "list", "Sequence", "set", "Set", "tuple", "Tuple", "Union"})
_MODEL_BASES = frozenset({"SQLModel", "BaseModel"})


class ClassLookup(Protocol):
    """What reading routes needs of the reader's class index (:class:`~schema_guard.readers.source.reader.
    ClassIndex`), so this module does not depend on the reader that runs it."""

    def named(self, name: str) -> list[ClassInfo]: ...

    def lineage(self, info: ClassInfo) -> list[ClassInfo]: ...


def read_routes(modules: Iterable[ParsedModule], index: ClassLookup) -> Iterator[ApiModelUseFact]:
    """Every request body and response model of every route in ``modules``."""
    for module in modules:
        if any(marker in module.text for marker in TEXT_MARKERS):
            yield from _ModuleRoutes(module, index).uses()


class _ModuleRoutes:
    def __init__(self, module: ParsedModule, index: ClassLookup) -> None:
        self.module = module
        self.index = index

    def uses(self) -> Iterator[ApiModelUseFact]:
        for function in functions(self.module.tree.body):
            for decorator in function.decorator_list:
                method = _route_method(decorator)
                if method is not None:
                    yield from self._route(function, decorator, method)  # type: ignore[arg-type]
                    break

    def _route(self, function: ast.FunctionDef | ast.AsyncFunctionDef, decorator: ast.Call,
               method: str) -> Iterator[ApiModelUseFact]:
        response = next((k.value for k in decorator.keywords if k.arg == "response_model"), None)
        if response is None:
            response = function.returns
        if response is not None:
            use = self._use(response, "response", function.name)
            if use is not None:
                yield use
        if method not in _BODY_METHODS:
            return
        arguments = function.args
        positional = arguments.posonlyargs + arguments.args
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults))
        defaults += arguments.defaults
        pairs = list(zip(positional, defaults)) + list(zip(arguments.kwonlyargs, arguments.kw_defaults))
        for argument, default in pairs:
            if argument.annotation is None or self._marked(default):
                continue
            use = self._use(argument.annotation, "body", function.name)
            if use is not None:
                yield use

    def _marked(self, node: ast.expr | None) -> bool:
        """``Depends(...)``, ``Query(...)``...: a parameter FastAPI does not read from the body."""
        return isinstance(node, ast.Call) and last_part(self.module.imports.qualify(node.func)) in _NOT_BODY

    def _use(self, annotation: ast.expr, use: str, function: str) -> ApiModelUseFact | None:
        info = self._class(annotation)
        if info is None or not self._is_model(info):
            return None
        fields = tuple(field for ancestor in reversed(self.index.lineage(info)) for field in _fields(ancestor))
        location = self.module.location(annotation)
        return ApiModelUseFact(info.name, use, location, fields, function, info.table)  # type: ignore[arg-type]

    def _class(self, node: ast.expr) -> ClassInfo | None:
        """The project class an annotation names, looking through ``Optional``/``list``/``Annotated``/``X | None``."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return self._class(node.left) or self._class(node.right)
        if isinstance(node, ast.Subscript):
            wrapper = last_part(self.module.imports.qualify(node.value))
            inner = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if wrapper == "Annotated":
                if any(self._marked(extra) for extra in inner[1:]):
                    return None
                return self._class(inner[0])
            if wrapper in _WRAPPERS:
                return next((c for c in map(self._class, inner) if c is not None), None)
            return None
        if not isinstance(node, ast.Name | ast.Attribute):
            return None
        qualified = self.module.imports.qualify(node) or ""
        candidates = self.index.named(last_part(qualified))
        exact = [c for c in candidates if c.qualified_name == qualified or c.module is self.module]
        if exact:
            return exact[0]
        # Not that very class: a package re-exporting it (``from app.models import Exam`` for app.models.exam), or
        # a class of the same name in a module the reader did not index (``schemas.exam.Exam``), which must not be
        # taken for the table model of that name.
        package = qualified.rpartition(".")[0]
        return next((c for c in candidates if not package or c.module.module_name.startswith(package + ".")), None)

    def _is_model(self, info: ClassInfo) -> bool:
        """A SQLModel or pydantic model (FastAPI reads only those from the body)."""
        return any(
            info.table or any(last_part(base) in _MODEL_BASES for base in ancestor.bases if base)
            for ancestor in self.index.lineage(info)
        )


def _fields(info: ClassInfo) -> Iterator[tuple[str, Location]]:
    for statement in info.node.body:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            name = statement.target.id
            annotation = ast.unparse(statement.annotation) if isinstance(statement.annotation, ast.Subscript) else ""
            if not name.startswith("_") and not annotation.startswith("ClassVar") and name != "model_config":
                yield name, info.module.location(statement)


def _route_method(decorator: ast.expr) -> str | None:
    if isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute):
        if decorator.func.attr in _ROUTE_METHODS:
            return decorator.func.attr
    return None
