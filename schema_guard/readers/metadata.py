"""The metadata reader: import the configured model modules and read what SQLModel and SQLAlchemy really built.

This is the ground truth for mixins, inheritance, ``sa_column=`` objects and ``__table_args__``. Every table and
column is mapped back to the class (and the class in the MRO) whose source defined it, so findings point at the
field's line. A module that fails to import becomes a fatal finding naming the module; the others are still read.
"""

from __future__ import annotations

import contextlib
import importlib
import re
import inspect
import pkgutil
import sys
import traceback
import typing
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from schema_guard.facts import (
    ClassFact,
    ColumnFact,
    FieldSyntax,
    ForeignKeyFact,
    IndexFact,
    Location,
    MappingCallFact,
    RelationshipFact,
    SchemaFacts,
    TableFact,
    UniqueFact,
    normalise_type_name,
)
from schema_guard.findings import Finding, problem
from schema_guard.readers.source.locations import ClassLayout, class_layout, mapping_call_location
from schema_guard.tenancy import declared_shared

IMPORT_ERROR = "SG002"

_PUBLIC_BASES = {
    "sqlalchemy.orm.decl_api.DeclarativeBase": "sqlalchemy.orm.DeclarativeBase",
    "sqlalchemy.orm.decl_api.DeclarativeBaseNoMeta": "sqlalchemy.orm.DeclarativeBaseNoMeta",
    "sqlalchemy.orm.decl_api.MappedAsDataclass": "sqlalchemy.orm.MappedAsDataclass",
    "sqlmodel.main.SQLModel": "sqlmodel.SQLModel",
}


def read_metadata(modules: Sequence[str], root: Path) -> SchemaFacts:
    """Import ``modules`` (packages with all their submodules) from ``root`` and read their mapped schema."""
    from sqlmodel import SQLModel

    facts = SchemaFacts(reader="metadata")
    imported, problems = import_models(modules, root)
    facts.problems.extend(problems)
    registry_error = _configure_mappers()
    classes = {id(cls): cls for module in imported for cls in _classes_defined_in(module)}
    facts.classes = [_class_fact(cls) for cls in classes.values()]
    project_modules = {module.__name__ for module in imported}
    mapped = {
        name: cls for name, cls in _sqlmodel_classes_by_table().items() if cls.__module__ in project_modules
    }
    for table in SQLModel.metadata.tables.values():
        if table.name in mapped or not _has_mapped_class(table):
            facts.tables.append(_table_fact(table, mapped.get(table.name)))
    for cls in mapped.values():
        facts.relationships.extend(_relationship_facts(cls, _blamed_attribute(cls, registry_error), registry_error))
    facts.mapping_calls = [_foreign_mapping(cls) for cls in _foreign_registry_classes(classes.values())]
    return facts


def import_models(modules: Sequence[str], root: Path) -> tuple[list[ModuleType], list[Finding]]:
    """Import ``modules`` from ``root`` (put on ``sys.path`` when missing), packages with every submodule.

    Returns the modules imported and one fatal SG002 finding per module that failed to import, located at the
    project line that raised. The metadata reader and the migration gate both import the models through here."""
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    imported: list[ModuleType] = []
    problems: list[Finding] = []
    for name in modules:
        imported.extend(_import_tree(name, root, problems))
    return imported, problems


def _import_tree(name: str, root: Path, problems: list[Finding]) -> list[ModuleType]:
    """Import a module and, for a package, every submodule; each failure is one fatal finding."""
    module = _import_one(name, root, problems)
    if module is None:
        return []
    found = [module]
    for info in pkgutil.walk_packages(getattr(module, "__path__", []), prefix=f"{name}."):
        child = _import_one(info.name, root, problems)
        if child is not None:
            found.append(child)
    return found


def _import_one(name: str, root: Path, problems: list[Finding]) -> ModuleType | None:
    try:
        # A model module that prints at import must not corrupt JSON or SARIF on stdout.
        with contextlib.redirect_stdout(sys.stderr):
            return importlib.import_module(name)
    except BaseException as error:  # noqa: BLE001 - any import-time failure is the user's to see, as a finding
        if isinstance(error, KeyboardInterrupt):
            raise
        problems.append(
            problem(
                IMPORT_ERROR,
                f"cannot import model module '{name}': {type(error).__name__}: {_first_line(error)}",
                _blame(error, root),
                "metadata",
            )
        )
        return None


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else "(no message)"


def _blame(error: BaseException, root: Path) -> Location:
    """The deepest traceback frame inside the project (the user's line that failed), else nothing."""
    root_text = str(root.resolve())
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.startswith(root_text)]
    if isinstance(error, SyntaxError) and error.filename:
        return Location(error.filename, error.lineno, error.offset)
    if not frames:
        return Location()
    last = frames[-1]
    return Location(last.filename, last.lineno, (last.colno or 0) + 1 if hasattr(last, "colno") else 1)


def _configure_mappers() -> str | None:
    """Configure every mapper once; the error (a broken relationship) is kept for SG405, not raised."""
    from sqlalchemy.exc import SAWarning
    from sqlalchemy.orm import configure_mappers

    try:
        with warnings.catch_warnings():
            # Overlap warnings describe what SG402 reports; they should not also spill onto the terminal.
            warnings.simplefilter("ignore", SAWarning)
            configure_mappers()
    except Exception as error:  # noqa: BLE001 - SQLAlchemy raises several types here; all mean "cannot map"
        return _first_line(error)
    return None


def _classes_defined_in(module: ModuleType) -> Iterator[type]:
    for value in vars(module).values():
        if inspect.isclass(value) and value.__module__ == module.__name__:
            yield value


def _qualified(cls: type) -> str:
    name = f"{cls.__module__}.{cls.__qualname__}"
    return _PUBLIC_BASES.get(name, name)


def _class_location(cls: type) -> tuple[ClassLayout | None, Location]:
    try:
        path = inspect.getsourcefile(cls)
    except TypeError:
        path = None
    if path is None:
        return None, Location()
    layout = class_layout(path, cls.__qualname__)
    return layout, (layout.location if layout else Location(path))


def _class_fact(cls: type) -> ClassFact:
    return ClassFact(
        name=cls.__name__,
        bases=tuple(_qualified(base) for base in cls.__bases__),
        is_table=hasattr(cls, "__table__"),
        location=_class_location(cls)[1],
    )


def _sqlmodel_classes_by_table() -> dict[str, type]:
    from sqlmodel.main import default_registry

    return {
        mapper.local_table.name: mapper.class_
        for mapper in default_registry.mappers
        if getattr(mapper.local_table, "name", None)
    }


def _field_location(cls: type | None, attribute: str) -> Location | None:
    """The line of ``attribute`` in the first class of the MRO whose own source defines it (mixins included)."""
    if cls is None:
        return None
    for klass in cls.__mro__:
        if klass.__module__.startswith(("sqlmodel.", "pydantic", "builtins")):
            continue
        layout, _ = _class_location(klass)
        if layout and attribute in layout.fields:
            return layout.fields[attribute]
    return None


def _table_fact(table: Any, cls: type | None) -> TableFact:
    layout, class_location = _class_location(cls) if cls else (None, Location())
    attributes = _column_attributes(cls)
    column_locations = {
        column.name: _field_location(cls, attributes.get(column.name, column.name)) or class_location
        for column in table.columns
    }

    def located(name: str | None, columns: tuple[str, ...]) -> Location:
        if layout is not None:
            found = layout.table_arg_named(name, columns)
            if found is not None:
                return found
        if len(columns) == 1 and columns[0] in column_locations:
            return column_locations[columns[0]]
        return class_location

    return TableFact(
        name=table.name,
        columns=[_column_fact(c, column_locations[c.name], cls, attributes.get(c.name)) for c in table.columns],
        primary_key=tuple(c.name for c in table.primary_key.columns),
        indexes=[_index_fact(index, located) for index in table.indexes],
        uniques=_unique_facts(table, located),
        foreign_keys=[_foreign_key_fact(fk, located) for fk in table.foreign_key_constraints],
        location=class_location,
        class_name=cls.__name__ if cls else None,
        declared_shared=declared_shared(table.info),
    )


def _column_attributes(cls: type | None) -> dict[str, str]:
    """Column name → Python attribute name, from the mapper (they differ when ``sa_column`` renames)."""
    if cls is None:
        return {}
    from sqlalchemy import inspect as sa_inspect

    names: dict[str, str] = {}
    try:
        for prop in sa_inspect(cls).column_attrs:
            for column in prop.columns:
                names[column.name] = prop.key
    except Exception:  # noqa: BLE001 - an unmappable class (SG405) still has a table worth checking
        return {}
    return names


def _column_fact(column: Any, location: Location, cls: type | None, attribute: str | None) -> ColumnFact:
    return ColumnFact(
        name=column.name,
        type=sql_type_name(column.type),
        nullable=column.nullable,
        location=location,
        python_default=_python_default(column.default) or _pydantic_default_factory(cls, attribute or column.name),
        server_default=_server_default(column.server_default),
        timezone=getattr(column.type, "timezone", None) if sql_type_name(column.type) == "TIMESTAMP" else None,
        attribute=attribute,
        syntax=_annotation_syntax(cls, attribute or column.name),
    )


def sql_type_name(sa_type: Any) -> str:
    """The normalised name of a SQLAlchemy type instance (``TypeDecorator``s are judged by their ``impl``)."""
    from sqlalchemy.types import TypeDecorator

    if isinstance(sa_type, TypeDecorator):
        name = type(sa_type).__name__.upper()
        if name in {"AUTOSTRING", "GUID"}:
            return normalise_type_name(name)
        return sql_type_name(sa_type.impl_instance)
    return normalise_type_name(type(sa_type).__name__)


def _python_default(default: Any) -> str | None:
    if default is None:
        return None
    argument = getattr(default, "arg", None)
    if callable(argument):
        return callable_name(getattr(argument, "__wrapped__", argument))
    return "<literal>"


def _pydantic_default_factory(cls: type | None, attribute: str) -> str | None:
    """``Field(sa_column=..., default_factory=...)``: the factory runs in pydantic, not in the ``Column``."""
    field = getattr(cls, "model_fields", {}).get(attribute) if cls else None
    factory = getattr(field, "default_factory", None)
    return callable_name(factory) if factory is not None else None


def callable_name(function: Any) -> str:
    """``datetime.datetime.utcnow`` for a bound builtin, ``uuid.uuid4`` for a function."""
    owner = getattr(function, "__self__", None)
    if inspect.isclass(owner):
        return f"{owner.__module__}.{owner.__qualname__}.{function.__name__}"
    module = getattr(function, "__module__", None) or ""
    name = getattr(function, "__qualname__", None) or getattr(function, "__name__", repr(function))
    return f"{module}.{name}" if module else name


def _server_default(server_default: Any) -> str | None:
    if server_default is None:
        return None
    argument = getattr(server_default, "arg", server_default)
    return str(getattr(argument, "text", argument))


def _annotation_syntax(cls: type | None, attribute: str) -> FieldSyntax | None:
    """What the model's annotation says about nullability (SG507); the rest of FieldSyntax is source-only."""
    fields = getattr(cls, "model_fields", None) if cls else None
    if not fields or attribute not in fields:
        return None
    annotation = fields[attribute].annotation
    return FieldSyntax(annotation=_annotation_text(annotation), annotation_optional=_is_optional(annotation))


def _annotation_text(annotation: Any) -> str:
    return annotation.__name__ if isinstance(annotation, type) else str(annotation).replace("typing.", "")


def _is_optional(annotation: Any) -> bool:
    return type(None) in typing.get_args(annotation)


def _index_fact(index: Any, located: Any) -> IndexFact:
    columns = tuple(getattr(e, "name", None) or str(e) for e in index.expressions)
    return IndexFact(name=index.name, columns=columns, unique=bool(index.unique), location=located(index.name, columns))


def _unique_facts(table: Any, located: Any) -> list[UniqueFact]:
    from sqlalchemy import UniqueConstraint

    facts = []
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint):
            columns = tuple(c.name for c in constraint.columns)
            name = constraint.name if isinstance(constraint.name, str) else None
            facts.append(UniqueFact(name=name, columns=columns, location=located(name, columns)))
    return facts


def _foreign_key_fact(constraint: Any, located: Any) -> ForeignKeyFact:
    targets = [element.target_fullname.rsplit(".", 1) for element in constraint.elements]
    columns = tuple(constraint.column_keys)
    name = constraint.name if isinstance(constraint.name, str) else None
    return ForeignKeyFact(
        columns=columns,
        target_table=targets[0][0] if targets else "",
        target_columns=tuple(t[-1] for t in targets),
        name=name,
        location=located(name, columns),
    )


def _has_mapped_class(table: Any) -> bool:
    """Whether some SQLModel class maps ``table`` (tables of classes outside the project are not checked)."""
    from sqlmodel.main import default_registry

    return any(mapper.local_table is table for mapper in default_registry.mappers)


_MAPPER_IN_ERROR = re.compile(r"Mapper\[(?P<cls>\w+)\(")
_EXPRESSION_IN_ERROR = re.compile(r"expression '(?P<expr>[^']+)' failed to locate")


def _blamed_attribute(cls: type, registry_error: str | None) -> str | None:
    """Which relationship of ``cls`` a mapper-configuration error is about, if it is about ``cls`` at all.

    SQLAlchemy names either ``Class.attribute`` or ``Mapper[Class(table)]`` plus the expression it could not
    resolve; in the second form the relationship whose annotation mentions the expression is blamed, else the
    class's first relationship, so the error is never dropped."""
    declared: dict[str, Any] = getattr(cls, "__sqlmodel_relationships__", {})
    if not registry_error or not declared:
        return None
    for attribute in declared:
        if f"{cls.__name__}.{attribute}" in registry_error:
            return attribute
    mapper = _MAPPER_IN_ERROR.search(registry_error)
    if mapper is None or mapper.group("cls") != cls.__name__:
        return None
    expression = _EXPRESSION_IN_ERROR.search(registry_error)
    for attribute in declared:
        annotation = str(_relationship_annotation(cls, attribute))
        if expression and expression.group("expr") in annotation:
            return attribute
    return next(iter(declared))


def _relationship_facts(cls: type, blamed: str | None, registry_error: str | None) -> Iterator[RelationshipFact]:
    """Relationships declared with SQLModel's ``Relationship()``, with what SQLAlchemy made of them."""
    declared: dict[str, Any] = getattr(cls, "__sqlmodel_relationships__", {})
    table = getattr(getattr(cls, "__table__", None), "name", None)
    for attribute, info in declared.items():
        annotation = _relationship_annotation(cls, attribute)
        error = registry_error if attribute == blamed else None
        link = getattr(info, "link_model", None)
        yield RelationshipFact(
            owner_class=cls.__name__,
            attribute=attribute,
            target_class=_target_name(annotation),
            back_populates=getattr(info, "back_populates", None),
            link_model=link if isinstance(link, str) or link is None else link.__name__,
            is_list=_is_list_annotation(annotation),
            owner_table=table,
            location=_field_location(cls, attribute) or _class_location(cls)[1],
            mapper_error=error,
        )


def _relationship_annotation(cls: type, attribute: str) -> Any:
    for klass in cls.__mro__:
        annotation = getattr(klass, "__annotations__", {}).get(attribute)
        if annotation is not None:
            return annotation
    return None


def _target_name(annotation: Any) -> str | None:
    text = annotation if isinstance(annotation, str) else repr(annotation)
    for noise in ("typing.", "Optional[", "List[", "list[", "]", "'", '"', "ForwardRef(", ")", " | None", "Mapped["):
        text = text.replace(noise, "")
    text = text.strip()
    return text.rsplit(".", 1)[-1] or None


def _is_list_annotation(annotation: Any) -> bool | None:
    if annotation is None:
        return None
    text = (annotation if isinstance(annotation, str) else repr(annotation)).replace("typing.", "")
    text = text.replace("sqlalchemy.orm.base.", "").replace("sqlalchemy.orm.", "")
    if text.startswith("Mapped["):
        text = text[len("Mapped["):]
    return text.lower().startswith("list[")


def _foreign_registry_classes(classes: Any) -> Iterator[type]:
    """Classes mapped by a SQLAlchemy registry that is not SQLModel's, without a declarative base (SG303)."""
    from sqlalchemy import inspect as sa_inspect
    from sqlalchemy.orm import DeclarativeBase, DeclarativeBaseNoMeta
    from sqlmodel.main import default_registry

    for cls in classes:
        if issubclass(cls, (DeclarativeBase, DeclarativeBaseNoMeta)) or not hasattr(cls, "__mapper__"):
            continue
        mapper = sa_inspect(cls, raiseerr=False)
        if mapper is not None and getattr(mapper, "registry", None) is not default_registry:
            yield cls


def _foreign_mapping(cls: type) -> MappingCallFact:
    """Where the class was mapped: its ``@registry.mapped`` decorator, or the ``map_imperatively(cls, ...)`` call
    (the lines the source reader reports, so the two readers' findings are one)."""
    layout, class_location = _class_location(cls)
    path = class_location.path
    decorated = layout is not None and layout.decorator is not None
    kind = "mapped" if decorated else "map_imperatively"
    location = layout.decorator if decorated else (path and mapping_call_location(path, cls.__name__))
    return MappingCallFact(
        qualified_name=f"sqlalchemy.orm.registry.{kind}", location=location or class_location, target=cls.__name__
    )
