"""Calls and decorators that map classes with plain SQLAlchemy instead of SQLModel (facts for SG302/SG303).

``declarative_base()``, ``@as_declarative()``, ``registry().generate_base()``, ``reg.map_imperatively(...)``,
``@reg.mapped`` / ``@reg.mapped_as_dataclass``, each reported by the qualified name it resolves to
(``sqlalchemy.orm.registry.map_imperatively``) at the call or decorator, with the class it maps (``target``): the
decorated class, or ``map_imperatively``'s first argument when it names a class of the module or an import.
"""

from __future__ import annotations

import ast

from schema_guard.facts import MappingCallFact
from schema_guard.readers.source.imports import last_part, root_part
from schema_guard.readers.source.module import ParsedModule

_TEXT_HINTS = ("declarative", "generate_base", "map_imperatively", "mapped")
_SQLALCHEMY_ONLY = {"declarative_base", "as_declarative"}
_ANY_RECEIVER = {"generate_base", "map_imperatively"}
_REGISTRY_METHODS = {"mapped", "mapped_as_dataclass"}


def mapping_calls(module: ParsedModule) -> list[MappingCallFact]:
    """Every mapping call or decorator in the module (a quick text test skips the walk for most files)."""
    if not any(hint in module.text for hint in _TEXT_HINTS):
        return []
    found: list[MappingCallFact] = []
    seen: set[int] = set()
    for node in ast.walk(module.tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            mapped = node.name if isinstance(node, ast.ClassDef) else None
            for decorator in node.decorator_list:
                callee = decorator.func if isinstance(decorator, ast.Call) else decorator
                seen.add(id(decorator))
                _note(callee, decorator, mapped, module, found)
        elif isinstance(node, ast.Call) and id(node) not in seen:
            _note(node.func, node, None, module, found)
    return sorted(found, key=lambda fact: (fact.location.line or 0, fact.location.column or 0))


def _note(
    callee: ast.expr, where: ast.expr, target: str | None, module: ParsedModule, found: list[MappingCallFact]
) -> None:
    qualified = module.imports.qualify(callee)
    if qualified and is_mapping_name(qualified):
        if target is None and isinstance(where, ast.Call) and last_part(qualified) == "map_imperatively":
            target = _class_argument(where, module)
        found.append(MappingCallFact(qualified_name=qualified, location=module.location(where), target=target))


def _class_argument(call: ast.Call, module: ParsedModule) -> str | None:
    """``map_imperatively(Legacy, table)`` → ``Legacy``: a class of this module or an imported name, not a variable
    (``reg.map_imperatively(cls, table)`` inside a helper maps whatever it is given)."""
    if not call.args:
        return None
    first = call.args[0]
    if isinstance(first, ast.Attribute):
        return first.attr
    if isinstance(first, ast.Name):
        if first.id in module.imports.names or any(info.name == first.id for info in module.classes):
            return first.id
    return None


def is_declarative_factory(qualified: str) -> bool:
    """``declarative_base``, ``as_declarative`` or ``generate_base``: a call that makes a declarative base class."""
    return last_part(qualified) in _SQLALCHEMY_ONLY | {"generate_base"}


def is_mapping_name(qualified: str) -> bool:
    name = last_part(qualified)
    if name in _SQLALCHEMY_ONLY:
        return root_part(qualified) == "sqlalchemy"
    if name in _ANY_RECEIVER:
        return "." in qualified
    if name in _REGISTRY_METHODS:
        return qualified.rsplit(".", 1)[0].endswith("registry")
    return False
