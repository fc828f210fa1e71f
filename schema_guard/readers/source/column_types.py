"""Column types as the source reader sees them: a Python annotation or a SQLAlchemy type expression, normalised.

SQLModel decides a column's type from the annotation (``uuid.UUID`` → ``Uuid``, ``str`` → ``AutoString``...) unless
``sa_type=`` or ``sa_column=`` names one; this module reproduces that decision statically, in the normalised
names of :func:`schema_guard.facts.normalise_type_name`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache

from schema_guard.facts import normalise_type_name
from schema_guard.readers.source.imports import ImportMap, last_part

_PYTHON_TYPES = {
    "uuid.UUID": "UUID",
    "int": "INTEGER",
    "str": "VARCHAR",
    "bool": "BOOLEAN",
    "float": "FLOAT",
    "bytes": "LARGEBINARY",
    "decimal.Decimal": "NUMERIC",
    "datetime.datetime": "TIMESTAMP",
    "datetime.date": "DATE",
    "datetime.time": "TIME",
    "datetime.timedelta": "INTERVAL",
    "pydantic.AwareDatetime": "TIMESTAMP",
    "pydantic.NaiveDatetime": "TIMESTAMP",
    "pydantic.EmailStr": "VARCHAR",
    "pydantic.networks.EmailStr": "VARCHAR",
    "pathlib.Path": "VARCHAR",
    "ipaddress.IPv4Address": "VARCHAR",
    "ipaddress.IPv6Address": "VARCHAR",
    "ipaddress.IPv4Network": "VARCHAR",
    "ipaddress.IPv6Network": "VARCHAR",
}
"""What SQLModel's ``get_sqlalchemy_type`` maps each annotation to (``dict``/``list`` have no mapping: it raises)."""

_OPTIONAL_WRAPPERS = {"typing.Optional", "typing_extensions.Optional", "Optional"}
_UNION_WRAPPERS = {"typing.Union", "typing_extensions.Union", "Union"}
_ANNOTATED = {"typing.Annotated", "typing_extensions.Annotated", "Annotated"}
_LIST_WRAPPERS = {
    "list", "typing.List", "List", "typing.Sequence", "collections.abc.Sequence", "set", "typing.Set",
    "tuple", "typing.Tuple",
}  # fmt: skip
_CLASSVAR = {"typing.ClassVar", "ClassVar", "typing_extensions.ClassVar"}
_MAPPED = {"Mapped", "WriteOnlyMapped", "DynamicMapped"}
_ENUM_BASES = {"enum.Enum", "enum.StrEnum", "enum.IntEnum", "enum.Flag", "enum.IntFlag"}
_TIMESTAMP_TYPES = {"TIMESTAMP"}


@dataclass(frozen=True)
class Annotation:
    """What an annotation says about a column or relationship."""

    text: str
    optional: bool
    inner: ast.expr | None
    """The annotation without ``Optional``/``| None``/``Annotated``; ``None`` when it cannot be reduced to one type."""
    is_list: bool = False
    is_classvar: bool = False
    mapped: bool = False
    """Written ``Mapped[...]`` (SQLAlchemy 2.0): the attribute is mapped, and ``Optional`` decides nullability."""


def read_annotation(node: ast.expr, imports: ImportMap, text: str) -> Annotation:
    """Unwrap ``Optional[X]``, ``X | None``, ``Union[X, None]``, ``Annotated[X, ...]``, string forward references."""
    expr, optional, classvar, mapped = _strip_wrappers(node, imports)
    is_list = False
    if isinstance(expr, ast.Subscript) and imports.qualify(expr.value) in _LIST_WRAPPERS:
        is_list = True
    elif expr is not None and imports.qualify(expr) in _LIST_WRAPPERS:
        is_list = True
    return Annotation(
        text=text, optional=optional, inner=expr, is_list=is_list, is_classvar=classvar, mapped=mapped
    )


def _strip_wrappers(node: ast.expr, imports: ImportMap) -> tuple[ast.expr | None, bool, bool, bool]:
    optional = False
    classvar = False
    mapped = False
    expr: ast.expr | None = node
    for _ in range(8):  # wrappers nest a few levels at most
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            expr = _parse_forward_reference(expr.value)
            continue
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
            members = _union_members(expr)
            expr, is_optional = _without_none(members)
            optional = optional or is_optional
            continue
        if not isinstance(expr, ast.Subscript):
            break
        wrapper = imports.qualify(expr.value)
        arguments = expr.slice.elts if isinstance(expr.slice, ast.Tuple) else [expr.slice]
        if wrapper in _OPTIONAL_WRAPPERS:
            optional, expr = True, arguments[0]
        elif wrapper in _UNION_WRAPPERS:
            expr, is_optional = _without_none(arguments)
            optional = optional or is_optional
        elif wrapper in _ANNOTATED:
            expr = arguments[0]
        elif wrapper in _CLASSVAR:
            classvar, expr = True, arguments[0]
        elif last_part(wrapper) in _MAPPED and (wrapper in _MAPPED or (wrapper or "").startswith("sqlalchemy.")):
            mapped, expr = True, arguments[0]
        else:
            break
    return expr, optional, classvar, mapped


def _union_members(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union_members(node.left) + _union_members(node.right)
    return [node]


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None or (isinstance(node, ast.Name) and node.id == "None")


def _without_none(members: list[ast.expr]) -> tuple[ast.expr | None, bool]:
    rest = [member for member in members if not _is_none(member)]
    return (rest[0] if len(rest) == 1 else None), len(rest) < len(members)


@lru_cache(maxsize=256)
def _parse_forward_reference(text: str) -> ast.expr | None:
    if text.isidentifier():  # the common ``"Essay"``: no parser needed
        return ast.Name(id=text, ctx=ast.Load())
    try:
        return ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return None


def class_name_of(node: ast.expr | None) -> str | None:
    """The class a relationship annotation points at: ``list["Hero"]`` → ``Hero``, ``"models.Team"`` → ``Team``."""
    if node is None:
        return None
    if isinstance(node, ast.Subscript):
        arguments = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        return class_name_of(arguments[0]) if arguments else None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        inner = _parse_forward_reference(node.value)
        return class_name_of(inner) if inner is not None else None
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


@dataclass(frozen=True)
class ColumnType:
    name: str
    timezone: bool | None = None


def python_column_type(node: ast.expr | None, imports: ImportMap, enums: frozenset[str]) -> ColumnType:
    """The column type SQLModel derives from an (unwrapped) annotation."""
    if node is None:
        return ColumnType("UNKNOWN")
    qualified = imports.qualify(node)
    if qualified is None:
        return ColumnType("UNKNOWN")
    if last_part(qualified) in enums or qualified in _ENUM_BASES:
        return ColumnType("ENUM")
    name = _PYTHON_TYPES.get(qualified)
    if name is None:
        # ``from uuid import UUID`` qualifies to ``uuid.UUID``; an unresolved ``UUID`` (star import) is the same type.
        name = _PYTHON_TYPES.get(f"uuid.{qualified}") or _PYTHON_TYPES.get(f"datetime.{qualified}") or "UNKNOWN"
    if name == "TIMESTAMP":
        if last_part(qualified) == "NaiveDatetime":
            return ColumnType(name, timezone=False)
        if last_part(qualified) == "AwareDatetime":
            return ColumnType(name, timezone=True)
        return ColumnType(name, timezone=sqlmodel_datetime_is_aware())
    return ColumnType(name)


def sqlalchemy_column_type(node: ast.expr, imports: ImportMap) -> ColumnType:
    """A SQLAlchemy type expression (``JSONB``, ``sa.DateTime(timezone=True)``, ``String(50)``, ``ARRAY(Text)``)."""
    call = node if isinstance(node, ast.Call) else None
    qualified = imports.qualify(call.func if call else node)
    if qualified is None:
        return ColumnType("UNKNOWN")
    raw = last_part(qualified)
    name = "TIMESTAMP" if raw == "UTCDateTime" else normalise_type_name(raw)
    if name == "ENUM" and call is not None and any(
        k.arg == "native_enum" and isinstance(k.value, ast.Constant) and k.value.value is False for k in call.keywords
    ):
        return ColumnType("VARCHAR")  # a non-native enum is a VARCHAR (and a CHECK) on PostgreSQL
    if name in _TIMESTAMP_TYPES:
        timezone = raw == "UTCDateTime" or (call is not None and timezone_argument(call))
        return ColumnType(name, timezone=timezone)
    return ColumnType(name)


def timezone_argument(call: ast.Call) -> bool:
    """``timezone=True`` (or a first positional ``True``) in a timestamp type's call."""
    for keyword in call.keywords:
        if keyword.arg == "timezone":
            return isinstance(keyword.value, ast.Constant) and keyword.value.value is True
    if call.args:
        first = call.args[0]
        return isinstance(first, ast.Constant) and first.value is True
    return False


def is_enum_class(bases: list[str | None]) -> bool:
    return any(base in _ENUM_BASES for base in bases)


_VERSION = re.compile(r"""^__version__\s*=\s*["']([^"']+)["']""", re.MULTILINE)


def reading_environment() -> str:
    """What the source reader's output depends on outside the files it reads: the installed SQLModel's datetime
    mapping. Part of the cache's key, so that upgrading SQLModel re-reads every file."""
    return f"sqlmodel-datetime-aware={int(sqlmodel_datetime_is_aware())}"


@lru_cache(maxsize=1)
def sqlmodel_datetime_is_aware() -> bool:
    """SQLModel 0.0.45 made plain ``datetime`` fields ``UTCDateTime`` (``timestamp with time zone``); before, naive.

    Read from the installed SQLModel's ``__version__`` line without importing it (importing costs ~0.5 s); when
    SQLModel is not installed, assume a current release.
    """
    from importlib.util import find_spec

    try:
        spec = find_spec("sqlmodel")
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin is None:
        return True
    try:
        with open(spec.origin, encoding="utf-8") as handle:
            match = _VERSION.search(handle.read())
    except OSError:
        return True
    if match is None:
        return True
    parts = tuple(int(part) for part in re.findall(r"\d+", match.group(1))[:3])
    return parts >= (0, 0, 45)
