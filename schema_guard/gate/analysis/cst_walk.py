"""A read-only walk over a libcst tree: the ``visit_<Node>`` / ``leave_<Node>`` hooks of a visitor called in the
order ``node.visit(visitor)`` calls them, without what makes libcst's own walk slow.

libcst's ``visit`` rebuilds and re-validates every node it passes (its visitors and transformers share one walk),
and asks the visitor for two hooks per attribute of every node: on a revision file that costs about twice as much
as parsing it, and the gate reads every revision of the history. This walk only reads the nodes' fields. It skips
whitespace, comments, punctuation, operators, names and literals (nodes no gate collector has a hook for), and
visits the fields of a node in source order, which is their declaration order except for the few node types in
:data:`_SOURCE_ORDER` (``tests/test_cst_walk.py`` checks the order against libcst's on real code).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import libcst as cst

_SOURCE_ORDER: dict[str, tuple[str, ...]] = {
    "FunctionDef": ("decorators", "name", "type_parameters", "params", "returns", "body"),
    "ClassDef": ("decorators", "name", "type_parameters", "bases", "keywords", "body"),
    "ExceptHandler": ("type", "name", "body"),
    "ExceptStarHandler": ("type", "name", "body"),
    "IfExp": ("body", "test", "orelse"),
    "MatchCase": ("pattern", "guard", "body"),
    "Parameters": ("posonly_params", "posonly_ind", "params", "star_arg", "kwonly_params", "star_kwarg"),
}
"""Node types whose fields are not declared in the order they appear in the source."""

_LEAVES = tuple(
    getattr(cst, name)
    for name in ("BaseParenthesizableWhitespace", "TrailingWhitespace", "EmptyLine", "Comment", "Newline",
                 "LeftParen", "RightParen", "LeftSquareBracket", "RightSquareBracket", "LeftCurlyBrace",
                 "RightCurlyBrace", "Comma", "Colon", "Dot", "AssignEqual", "Semicolon", "BaseBinaryOp",
                 "BaseBooleanOp", "BaseCompOp", "BaseUnaryOp", "BaseAugOp", "ImportStar", "Asynchronous", "Name",
                 "Integer", "Float", "Imaginary", "SimpleString", "Ellipsis", "Pass", "Break", "Continue",
                 "FormattedStringText", "ParamStar", "ParamSlash")
    if hasattr(cst, name)
)
"""Nodes the walk does not enter: they hold no statement, call or expression with parts."""

_FIELDS: dict[type, tuple[str, ...]] = {}
_WALKED: dict[type, bool] = {}


def walk(node: cst.CSTNode, visitor: Any) -> None:
    """Call ``visitor.visit_<Type>(node)`` before a node's children (``False`` skips them) and
    ``visitor.leave_<Type>(node)`` after, for ``node`` and every node below it but the skipped kinds."""
    kind = type(node).__name__
    visit = getattr(visitor, "visit_" + kind, None)
    if visit is None or visit(node) is not False:
        for child in _children(node):
            walk(child, visitor)
    leave = getattr(visitor, "leave_" + kind, None)
    if leave is not None:
        leave(node)


def _children(node: cst.CSTNode) -> list[cst.CSTNode]:
    kind = type(node)
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = _field_order(kind)
    found: list[cst.CSTNode] = []
    for name in names:
        value = getattr(node, name)
        if isinstance(value, (list, tuple)):
            found.extend(item for item in value if _walked(type(item)))
        elif _walked(type(value)):
            found.append(value)
    return found


def _field_order(kind: type) -> tuple[str, ...]:
    declared = [field.name for field in dataclasses.fields(kind)]
    first = _SOURCE_ORDER.get(kind.__name__, ())
    return (*[name for name in first if name in declared], *[name for name in declared if name not in first])


def _walked(kind: type) -> bool:
    walked = _WALKED.get(kind)
    if walked is None:
        walked = _WALKED[kind] = issubclass(kind, cst.CSTNode) and not issubclass(kind, _LEAVES)
    return walked
