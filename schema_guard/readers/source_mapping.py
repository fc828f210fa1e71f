"""Calls and decorators that map classes with plain SQLAlchemy instead of SQLModel (facts for SG302/SG303).

``declarative_base()``, ``@as_declarative()``, ``registry().generate_base()``, ``reg.map_imperatively(...)``,
``@reg.mapped`` / ``@reg.mapped_as_dataclass``, each reported by the qualified name it resolves to
(``sqlalchemy.orm.registry.map_imperatively``) at the call or decorator.
"""

from __future__ import annotations

import ast

from schema_guard.facts import MappingCallFact
from schema_guard.readers.source_imports import last_part, root_part
from schema_guard.readers.source_module import ParsedModule

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
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                seen.add(id(decorator))
                _note(target, decorator, module, found)
        elif isinstance(node, ast.Call) and id(node) not in seen:
            _note(node.func, node, module, found)
    return sorted(found, key=lambda fact: (fact.location.line or 0, fact.location.column or 0))


def _note(target: ast.expr, where: ast.expr, module: ParsedModule, found: list[MappingCallFact]) -> None:
    qualified = module.imports.qualify(target)
    if qualified and is_mapping_name(qualified):
        found.append(MappingCallFact(qualified_name=qualified, location=module.location(where)))


def is_mapping_name(qualified: str) -> bool:
    name = last_part(qualified)
    if name in _SQLALCHEMY_ONLY:
        return root_part(qualified) == "sqlalchemy"
    if name in _ANY_RECEIVER:
        return "." in qualified
    if name in _REGISTRY_METHODS:
        return qualified.rsplit(".", 1)[0].endswith("registry")
    return False
