"""Relationships of imported models, as SQLAlchemy configured them: ``Relationship()``, ``Relationship(sa_relationship=
relationship(...))``, ``sa_relationship_kwargs=`` and plain ``relationship()`` on any mapped class read alike.

The mapper is the ground truth for what the source spells many ways: the target class (whatever the annotation,
the string or the lambda said), ``back_populates``, ``backref``, ``secondary``, ``uselist`` and ``viewonly``.
Relationships SQLAlchemy generated itself (the far side of a ``backref``) are not the project's writing and are
not reported. Where mapper configuration failed, what the class declares is read instead, and the error is kept
on the relationship it is about (SG405).
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable, Iterator
from typing import Any

from schema_guard.facts import Location, RelationshipFact

Locate = Callable[[type, str], Location]
"""Where ``cls.attribute`` is written (the metadata reader's source lookup)."""

_MAPPER_IN_ERROR = re.compile(r"Mapper\[(?P<cls>\w+)\(")
_EXPRESSION_IN_ERROR = re.compile(r"expression '(?P<expr>[^']+)' failed to locate")


def relationship_facts(cls: type, registry_error: str | None, locate: Locate) -> Iterator[RelationshipFact]:
    """Every relationship ``cls`` itself declares (inherited ones belong to the class that declares them)."""
    from sqlalchemy import inspect as sa_inspect
    from sqlalchemy.orm import Mapper, RelationshipProperty

    mapper = sa_inspect(cls, raiseerr=False)
    declared: dict[str, Any] = getattr(cls, "__sqlmodel_relationships__", {}) or {}
    properties = {
        key: prop
        for key, prop in (getattr(mapper, "_props", None) or {}).items()
        if isinstance(prop, RelationshipProperty) and prop.parent is mapper and not isinstance(prop.argument, Mapper)
    }
    blamed = _blamed_attribute(cls, [*declared, *(k for k in properties if k not in declared)], registry_error)
    table = getattr(getattr(cls, "__table__", None), "name", None)
    for attribute in dict.fromkeys([*declared, *properties]):
        prop, info = properties.get(attribute), declared.get(attribute)
        annotation = _annotation(cls, attribute)
        target, target_module = _target(prop, annotation)
        backref = _backref_name(prop, info)
        yield RelationshipFact(
            owner_class=cls.__name__,
            attribute=attribute,
            target_class=target,
            back_populates=None if backref else _back_populates(prop, info),
            link_model=_link(prop, info),
            is_list=_is_list(prop, annotation),
            owner_table=table,
            location=locate(cls, attribute),
            mapper_error=registry_error if attribute == blamed else None,
            backref=backref,
            viewonly=bool(getattr(prop, "viewonly", False)) or _kwarg(info, "viewonly") is True,
            owner_module=cls.__module__,
            target_module=target_module,
            join_columns=_join_columns(prop),
        )


def _join_columns(prop: Any) -> tuple[str, ...]:
    """The foreign-key columns SQLAlchemy joins the relationship on, by name; ``()`` when not configured."""
    columns = _configured(prop, "_calculated_foreign_keys") if prop is not None else None
    return tuple(sorted({getattr(column, "name", "") for column in columns or ()} - {""}))


def _configured(prop: Any, name: str) -> Any:
    """A property attribute that exists only once mappers are configured; ``None`` when configuration failed."""
    try:
        return getattr(prop, name)
    except Exception:  # noqa: BLE001 - an unconfigurable mapper raises several types here
        return None


def _target(prop: Any, annotation: Any) -> tuple[str | None, str | None]:
    """The target class's name and module: from the configured mapper, else the declaration, else the annotation."""
    entity = _configured(prop, "entity") if prop is not None else None
    cls = getattr(entity, "class_", None)
    if isinstance(cls, type):
        return cls.__name__, cls.__module__
    argument = getattr(prop, "argument", None)
    if isinstance(argument, type):
        return argument.__name__, argument.__module__
    if isinstance(argument, str) and argument.strip():
        return argument.strip().rsplit(".", 1)[-1], None
    return _annotation_target(annotation), None


def _back_populates(prop: Any, info: Any) -> str | None:
    value = getattr(info, "back_populates", None) or _kwarg(info, "back_populates")
    if value is None and prop is not None:
        value = prop.back_populates
    return value if isinstance(value, str) else None


def _backref_name(prop: Any, info: Any) -> str | None:
    backref = getattr(prop, "backref", None) if prop is not None else _kwarg(info, "backref")
    if isinstance(backref, tuple) and backref:
        backref = backref[0]
    return backref if isinstance(backref, str) else None


def _link(prop: Any, info: Any) -> str | None:
    """The association: SQLModel's ``link_model``, else the ``secondary`` table (or its name)."""
    link = getattr(info, "link_model", None)
    if link is not None:
        return link if isinstance(link, str) else link.__name__
    secondary = getattr(prop, "secondary", None) if prop is not None else _kwarg(info, "secondary")
    if secondary is None:
        return None
    return getattr(secondary, "name", None) or (secondary if isinstance(secondary, str) else "<secondary>")


def _is_list(prop: Any, annotation: Any) -> bool | None:
    """What the annotation says (the author's intent: SG403 compares it with the other side), else what SQLAlchemy
    decided from the foreign keys for an unannotated ``relationship()``."""
    written = _is_list_annotation(annotation)
    if written is not None:
        return written
    uselist = getattr(prop, "uselist", None) if prop is not None else None
    return uselist if isinstance(uselist, bool) else None


def _kwarg(info: Any, key: str) -> Any:
    """A keyword of ``Relationship(sa_relationship_kwargs={...})`` or of ``sa_relationship=relationship(...)``."""
    if info is None:
        return None
    kwargs = getattr(info, "sa_relationship_kwargs", None) or {}
    if key in kwargs:
        return kwargs[key]
    relationship = getattr(info, "sa_relationship", None)
    return getattr(relationship, key, None) if relationship is not None else None


def _blamed_attribute(cls: type, attributes: list[str], registry_error: str | None) -> str | None:
    """Which relationship of ``cls`` a mapper-configuration error is about, if it is about ``cls`` at all.

    SQLAlchemy names either ``Class.attribute`` or ``Mapper[Class(table)]`` plus the expression it could not
    resolve; in the second form the relationship whose annotation mentions the expression is blamed, else the
    class's first relationship, so the error is never dropped."""
    if not registry_error or not attributes:
        return None
    for attribute in attributes:
        if f"{cls.__name__}.{attribute}" in registry_error:
            return attribute
    mapper = _MAPPER_IN_ERROR.search(registry_error)
    if mapper is None or mapper.group("cls") != cls.__name__:
        return None
    expression = _EXPRESSION_IN_ERROR.search(registry_error)
    for attribute in attributes:
        if expression and expression.group("expr") in str(_annotation(cls, attribute)):
            return attribute
    return attributes[0]


def _annotation(cls: type, attribute: str) -> Any:
    for klass in cls.__mro__:
        annotation = getattr(klass, "__annotations__", {}).get(attribute)
        if annotation is not None:
            return annotation
    return None


_WRAPPERS = {"Mapped", "Optional", "Union", "List", "list", "Sequence", "Set", "set", "WriteOnlyMapped",
             "DynamicMapped", "Annotated"}  # fmt: skip


def _annotation_target(annotation: Any) -> str | None:
    """The class an annotation names: ``Optional["User"]``, ``Mapped[list[User]]``, ``list["app.models.User"]``."""
    if annotation is None:
        return None
    if isinstance(annotation, type):
        return annotation.__name__
    if isinstance(annotation, typing.ForwardRef):
        return _annotation_target(annotation.__forward_arg__)
    if isinstance(annotation, str):
        text = annotation.strip().strip("'\"")
        match = re.fullmatch(r"\s*([\w.]+)\s*\[(.*)\]\s*", text)
        if match and match.group(1).rsplit(".", 1)[-1] in _WRAPPERS:
            inner = [part for part in match.group(2).split(",") if part.strip() not in ("None", "NoneType")]
            return _annotation_target(inner[0]) if inner else None
        names = [part for part in re.split(r"\s*\|\s*", text) if part not in ("None", "NoneType")]
        return names[0].strip("'\" ").rsplit(".", 1)[-1] or None if names else None
    arguments = [a for a in typing.get_args(annotation) if a is not type(None)]
    return _annotation_target(arguments[0]) if arguments else None


def _is_list_annotation(annotation: Any) -> bool | None:
    if annotation is None:
        return None
    text = (annotation if isinstance(annotation, str) else repr(annotation)).replace("typing.", "")
    text = text.replace("sqlalchemy.orm.base.", "").replace("sqlalchemy.orm.", "")
    if text.startswith("Mapped["):
        text = text[len("Mapped["):]
    return text.lower().startswith(("list[", "set[", "sequence["))
