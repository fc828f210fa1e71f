"""The metadata reader: import the configured model modules and read what SQLModel and SQLAlchemy really built.

This is the ground truth for mixins, inheritance, ``sa_column=`` objects and ``__table_args__``. Every table and
column is mapped back to the class (and the class in the MRO) whose source defined it, so findings point at the
field's line. A module that fails to import becomes a fatal finding naming the module; the others are still read.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import re
import sys
import traceback
import typing
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
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
from schema_guard.files import ALWAYS_EXCLUDED
from schema_guard.findings import Finding, problem
from schema_guard.readers.metadata_relationships import relationship_facts
from schema_guard.readers.source.locations import (
    ClassLayout,
    assignment_location,
    class_layout,
    mapping_call_location,
)
from schema_guard.tenancy import declared_shared

IMPORT_ERROR = "SG002"

_PUBLIC_BASES = {
    "sqlalchemy.orm.decl_api.DeclarativeBase": "sqlalchemy.orm.DeclarativeBase",
    "sqlalchemy.orm.decl_api.DeclarativeBaseNoMeta": "sqlalchemy.orm.DeclarativeBaseNoMeta",
    "sqlalchemy.orm.decl_api.MappedAsDataclass": "sqlalchemy.orm.MappedAsDataclass",
    "sqlmodel.main.SQLModel": "sqlmodel.SQLModel",
}


def read_metadata(modules: Sequence[str], root: Path, entries: Mapping[str, Location] | None = None) -> SchemaFacts:
    """Import ``modules`` (packages with all their submodules) from ``root`` and read their mapped schema: the
    tables of every ``MetaData`` the project's classes and modules use (SQLModel's, a ``DeclarativeBase``'s, a
    ``declarative_base()``'s, a bare ``MetaData()`` holding ``Table(...)`` objects). ``entries`` locates each
    module's line in the configuration (see :func:`import_models`)."""
    facts = SchemaFacts(reader="metadata")
    imported, problems = import_models(modules, root, entries)
    facts.problems.extend(problems)
    registry_error = _configure_mappers()
    if problems:
        # A module that failed to import leaves the classes it defines unknown to SQLAlchemy, so relationships to
        # them cannot be configured: the SG002 is the cause to report, not an SG405 on every string reference.
        registry_error = None
    classes = {id(cls): cls for module in imported for cls in _classes_defined_in(module)}
    facts.classes = [_class_fact(cls) for cls in classes.values()]
    mapped = _mapped_project_classes(classes.values())
    objects = _table_objects(imported)
    for table in _project_tables(imported, mapped):
        if not _mapped_elsewhere(table, mapped):
            fact = _table_fact(table, mapped.get(table))
            if id(table) in objects and fact.class_name is None:
                fact.module, fact.location = objects[id(table)]
            facts.tables.append(fact)
    for cls in dict.fromkeys(mapped.values()):
        facts.relationships.extend(relationship_facts(cls, registry_error, _attribute_location))
    foreign = [cls for cls in classes.values() if _is_registry_mapped(cls)]
    facts.mapping_calls = [_foreign_mapping(cls) for cls in foreign] + _declarative_factories(imported)
    facts.mapping_calls.sort(key=lambda call: (call.location.path or "", call.location.line or 0))
    return facts


def import_models(
    modules: Sequence[str], root: Path, entries: Mapping[str, Location] | None = None
) -> tuple[list[ModuleType], list[Finding]]:
    """Import ``modules`` from ``root`` (put on ``sys.path`` when missing, with ``root/src`` for a src layout),
    packages with every submodule.

    Returns the modules imported and one fatal SG002 finding per module that failed to import, located at the
    project line that raised — or, for a configured name that is not a module at all, at its entry in the
    configuration (``entries``). The metadata reader and the migration gate both import the models through here."""
    for folder in (root / "src", root):  # the project root, and its src/ folder in a src layout
        if (folder == root or folder.is_dir()) and str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
    imported: list[ModuleType] = []
    problems: list[Finding] = []
    for name in modules:
        imported.extend(_import_tree(name, root, problems, (entries or {}).get(name)))
    return imported, problems


def _import_tree(name: str, root: Path, problems: list[Finding], entry: Location | None) -> list[ModuleType]:
    """Import a module and, for a package, every submodule — those of its namespace sub-packages (folders without
    ``__init__.py``) too, as the source reader reads them; each failure is one fatal finding."""
    module = _import_one(name, root, problems, entry)
    if module is None:
        return []
    found = [module]
    folders = list(getattr(module, "__path__", []))
    namespace = getattr(module, "__file__", None) is None
    for child_name in _submodules(name, folders, problems, namespace=namespace):
        child = _import_one(child_name, root, problems)
        if child is not None:
            found.append(child)
    return found


def _submodules(
    package: str, folders: list[str], problems: list[Finding], *, namespace: bool = False
) -> Iterator[str]:
    """Dotted names of the modules under ``folders``: every module of a regular package (as ``pkgutil`` walks
    them), and in namespace sub-packages (folders without ``__init__.py``) the modules that can hold models —
    those the source reader reads — so a script kept next to the models is not run. Alembic environments are
    skipped (``env.py`` runs only inside Alembic). A model file that cannot be imported by name
    (``my-models.py``) is a finding, not a silent gap."""
    for folder in folders:
        try:
            entries = sorted(Path(folder).iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir():
                if _is_subpackage(entry):
                    inner = not (entry / "__init__.py").exists()
                    if not inner:
                        yield f"{package}.{entry.name}"
                    yield from _submodules(f"{package}.{entry.name}", [str(entry)], problems, namespace=inner)
                continue
            stem = entry.name[:-3]
            if not entry.name.endswith(".py") or stem == "__init__":
                continue
            if stem.isidentifier():
                if not namespace or _may_hold_models(entry):
                    yield f"{package}.{stem}"
            elif _may_hold_models(entry):
                problems.append(
                    problem(
                        IMPORT_ERROR,
                        f"cannot import '{entry.name}' of package '{package}': '{stem}' is not a valid module name, "
                        "so its models are not read; rename the file",
                        Location(str(entry), 1, 1),
                        "metadata",
                    )
                )


def _is_subpackage(folder: Path) -> bool:
    name = folder.name
    if not name.isidentifier() or name in ALWAYS_EXCLUDED:
        return False
    return not ((folder / "env.py").exists() and (folder / "script.py.mako").exists())


def _may_hold_models(path: Path) -> bool:
    from schema_guard.readers.source.module import MODEL_MARKERS
    from schema_guard.readers.source.parsing import SourceError, decode

    try:
        text = decode(path.read_bytes())
    except (OSError, SourceError):
        return True  # importing it will say what is wrong
    return any(marker in text for marker in MODEL_MARKERS)


def _import_one(name: str, root: Path, problems: list[Finding], entry: Location | None = None) -> ModuleType | None:
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
                entry if entry is not None and _is_the_entry_missing(error, name) else _blame(error, root),
                "metadata",
            )
        )
        return None


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else "(no message)"


def _is_the_entry_missing(error: BaseException, name: str) -> bool:
    """The configured name itself (or a package on its path) does not exist, as opposed to a module raising."""
    missing = getattr(error, "name", None)
    return isinstance(error, ModuleNotFoundError) and bool(missing) and (name == missing or name.startswith(f"{missing}."))


def _blame(error: BaseException, root: Path) -> Location:
    """The deepest traceback frame inside the project's own code (the user's line that failed), else nothing —
    never a virtualenv or installed package inside the project folder (schema-guard's own importer included)."""
    root_text = str(root.resolve())
    frames = [
        f for f in traceback.extract_tb(error.__traceback__)
        if f.filename.startswith(root_text) and not ALWAYS_EXCLUDED.intersection(Path(f.filename).parts)
    ]
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


def _mapped_project_classes(classes: Iterable[type]) -> dict[Any, type]:
    """Table → the project class that maps it, over every registry (single-table subclasses share their parent's
    table and do not replace it)."""
    from sqlalchemy import inspect as sa_inspect
    from sqlalchemy.sql.schema import Table

    mapped: dict[Any, type] = {}
    for cls in classes:
        mapper = sa_inspect(cls, raiseerr=False)
        if mapper is None or getattr(mapper, "class_", None) is not cls:
            continue
        table = mapper.local_table
        if isinstance(table, Table) and table not in mapped:
            mapped[table] = cls
    return mapped


def _table_objects(imported: Sequence[ModuleType]) -> dict[int, tuple[str, Location]]:
    """Module-level ``name = Table(...)`` objects: the module and the line each is written at."""
    from sqlalchemy.sql.schema import Table

    found: dict[int, tuple[str, Location]] = {}
    for module in imported:
        path = getattr(module, "__file__", None)
        for name, value in list(vars(module).items()):
            if isinstance(value, Table) and id(value) not in found and path:
                location = assignment_location(path, name)
                if location is not None:
                    found[id(value)] = (module.__name__, location)
    return found


def _project_tables(imported: Sequence[ModuleType], mapped: dict[Any, type]) -> list[Any]:
    """Every table of every ``MetaData`` the project uses: SQLModel's, those of the project's mapped classes, and
    module-level ``MetaData``/``Table`` objects of the imported modules; each table once."""
    from sqlalchemy import MetaData
    from sqlalchemy.sql.schema import Table
    from sqlmodel import SQLModel

    metadatas: dict[int, Any] = {id(SQLModel.metadata): SQLModel.metadata}
    for table in mapped:
        metadatas.setdefault(id(table.metadata), table.metadata)
    for module in imported:
        for value in list(vars(module).values()):
            if isinstance(value, MetaData):
                metadatas.setdefault(id(value), value)
            elif isinstance(value, Table):
                metadatas.setdefault(id(value.metadata), value.metadata)
    tables: dict[int, Any] = {}
    for metadata in metadatas.values():
        for table in metadata.tables.values():
            tables.setdefault(id(table), table)
    return list(tables.values())


def _field_location(cls: type | None, attribute: str) -> Location | None:
    """The line of ``attribute`` in the first class of the MRO whose own source defines it (mixins included)."""
    found = _field_definition(cls, attribute)
    return found[1] if found else None


def _field_definition(cls: type | None, attribute: str) -> tuple[str, Location] | None:
    """The class of the MRO whose own source writes ``attribute``, and the line."""
    if cls is None:
        return None
    for klass in cls.__mro__:
        if klass.__module__.startswith(("sqlmodel.", "pydantic", "builtins", "sqlalchemy.")):
            continue
        layout, _ = _class_location(klass)
        if layout and attribute in layout.fields:
            return klass.__name__, layout.fields[attribute]
    return None


def _attribute_location(cls: type, attribute: str) -> Location:
    return _field_location(cls, attribute) or _class_location(cls)[1]


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
        module=cls.__module__ if cls else None,
        schema=table.schema,
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
        timezone=_timezone(column.type),
        attribute=attribute,
        syntax=_annotation_syntax(cls, attribute or column.name),
        defined_in=(_field_definition(cls, attribute or column.name) or (cls.__name__ if cls else None, None))[0],
    )


def sql_type_name(sa_type: Any) -> str:
    """The normalised name of a SQLAlchemy type as PostgreSQL gets it (see :func:`postgresql_type`)."""
    from sqlalchemy import Enum

    pg_type = postgresql_type(sa_type)
    if isinstance(pg_type, Enum) and not pg_type.native_enum:
        return "VARCHAR"  # ``Enum(..., native_enum=False)`` (SQLAlchemy's mapping of ``Literal``) is a VARCHAR there
    return normalise_type_name(_public_class(type(pg_type)).__name__)


def _public_class(sa_class: type) -> type:
    """The first public class of a dialect's adapted type (``load_dialect_impl`` returns ``dialect.type_descriptor(
    UUID())``, a ``PGUuid``; ``DateTime()`` becomes ``_PGTimeStamp``): the generic type it implements."""
    for klass in sa_class.__mro__:
        private = klass.__name__.startswith(("_", "PG")) and klass.__module__.startswith("sqlalchemy.dialects")
        if not private:
            return klass
    return sa_class


def postgresql_type(sa_type: Any) -> Any:
    """The type a column really has on PostgreSQL: a ``with_variant(..., "postgresql")`` variant, and a
    ``TypeDecorator`` judged by what its ``load_dialect_impl`` returns for the PostgreSQL dialect (a JSON type that
    is JSONB there is JSONB), else by its ``impl``. SQLModel's ``AutoString`` and ``GUID`` keep their names."""
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.types import TypeDecorator

    dialect = postgresql.dialect()
    for _ in range(8):  # decorators and variants nest a few levels at most
        variants = getattr(sa_type, "_variant_mapping", None) or {}
        if "postgresql" in variants:
            sa_type = variants["postgresql"]
            continue
        if not isinstance(sa_type, TypeDecorator) or type(sa_type).__name__.upper() in {"AUTOSTRING", "GUID"}:
            return sa_type
        try:
            inner = sa_type.load_dialect_impl(dialect)
        except Exception:  # noqa: BLE001 - a project's decorator may fail outside its own dialect
            inner = sa_type.impl_instance
        sa_type = sa_type.impl_instance if inner is sa_type else inner
    return sa_type


def _timezone(sa_type: Any) -> bool | None:
    """``WITH TIME ZONE`` for a timestamp column (a decorator's own ``timezone`` setting first), else ``None``."""
    if sql_type_name(sa_type) != "TIMESTAMP":
        return None
    own = getattr(sa_type, "timezone", None)
    return own if isinstance(own, bool) else getattr(postgresql_type(sa_type), "timezone", None)


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
    """``datetime.datetime.utcnow`` for a bound builtin, ``uuid.uuid4`` for a function; a lambda that only calls a
    clock without arguments (``lambda: datetime.now()``) is named by that clock, as the source reader names it."""
    clock = _lambda_clock(function)
    if clock is not None:
        return clock
    owner = getattr(function, "__self__", None)
    if inspect.isclass(owner):
        return f"{owner.__module__}.{owner.__qualname__}.{function.__name__}"
    module = getattr(function, "__module__", None) or ""
    name = getattr(function, "__qualname__", None) or getattr(function, "__name__", repr(function))
    return f"{module}.{name}" if module else name


_CLOCKS = frozenset({"now", "utcnow", "today"})


def _lambda_clock(function: Any) -> str | None:
    """``datetime.datetime.now`` for ``lambda: datetime.now()`` or ``lambda: datetime.datetime.now()``: a lambda
    of no parameters whose code names only the ``datetime`` class (or module) and the clock, so it passes nothing."""
    code = getattr(function, "__code__", None)
    if getattr(function, "__name__", None) != "<lambda>" or code is None or code.co_argcount or code.co_varnames:
        return None
    names, values = code.co_names, getattr(function, "__globals__", {})
    if any(const is not None for const in code.co_consts) or not names or names[-1] not in _CLOCKS:
        return None
    import datetime

    owner = values.get(names[0])
    if len(names) == 2 and owner is datetime.datetime:
        return f"datetime.datetime.{names[-1]}"
    if len(names) == 3 and owner is datetime and names[1] == "datetime":
        return f"datetime.datetime.{names[-1]}"
    return None


def _server_default(server_default: Any) -> str | None:
    """The default's SQL as PostgreSQL gets it. A project's own construct (``@compiles(..., "postgresql")`` only)
    has no generic rendering: it is compiled for PostgreSQL, and one that cannot be rendered at all is kept as its
    class name rather than stopping the read."""
    if server_default is None:
        return None
    argument = getattr(server_default, "arg", server_default)
    if isinstance(argument, str):
        return argument
    if hasattr(argument, "text"):
        return str(argument.text)
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return str(argument.compile(dialect=postgresql.dialect()))
    except (SQLAlchemyError, AttributeError, TypeError):
        return type(argument).__name__


def _annotation_syntax(cls: type | None, attribute: str) -> FieldSyntax | None:
    """What the model's annotation says about nullability (SG507); the rest of FieldSyntax is source-only. A
    SQLModel field's annotation is pydantic's; a plain SQLAlchemy class's is its ``Mapped[...]`` annotation."""
    fields = getattr(cls, "model_fields", None) if cls else None
    if fields and attribute in fields:
        annotation = fields[attribute].annotation
        return FieldSyntax(annotation=_annotation_text(annotation), annotation_optional=_is_optional(annotation))
    return _mapped_annotation_syntax(cls, attribute) if cls is not None and not fields else None


_MAPPED = re.compile(r"^\s*(?:\w+\.)*Mapped\[(.*)\]\s*$", re.DOTALL)
_OPTIONAL_TEXT = re.compile(
    r"^(?:(?:typing\.)?Optional\[.*\]|(?:typing\.)?Union\[.*\bNone\b.*\]|.*\|\s*None|None\s*\|.*)$", re.DOTALL
)


def _mapped_annotation_syntax(cls: type, attribute: str) -> FieldSyntax | None:
    """``x: Mapped[str | None]`` on the class or a base, read as written (a string under ``from __future__ import
    annotations``) without evaluating it; anything but a plain ``Mapped[...]`` is not judged."""
    for klass in cls.__mro__:
        raw = vars(klass).get("__annotations__", {}).get(attribute)
        if raw is None:
            continue
        if isinstance(raw, str):
            match = _MAPPED.match(raw)
            if match is None:
                return None
            inner = match.group(1).strip().strip("'\"")  # ``Mapped["X | None"]`` quotes the inner type too
            return FieldSyntax(annotation=inner, annotation_optional=bool(_OPTIONAL_TEXT.match(inner)))
        if getattr(typing.get_origin(raw) or raw, "__name__", "") != "Mapped" or not typing.get_args(raw):
            return None
        inner_type = typing.get_args(raw)[0]
        text = getattr(inner_type, "__forward_arg__", inner_type)  # ``Mapped["X | None"]``: a ForwardRef
        if isinstance(text, str):
            return FieldSyntax(annotation=text, annotation_optional=bool(_OPTIONAL_TEXT.match(text.strip())))
        return FieldSyntax(annotation=_annotation_text(inner_type), annotation_optional=_is_optional(inner_type))
    return None


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


def _mapped_elsewhere(table: Any, mapped: dict[Any, type]) -> bool:
    """Whether a class outside the project maps ``table`` (in SQLModel's registry or a project class's registry):
    such a table is not the project's to check. A table no class maps (an association ``Table(...)``) is."""
    from sqlalchemy import inspect as sa_inspect
    from sqlmodel.main import default_registry

    if table in mapped:
        return False
    registries = {id(default_registry): default_registry}
    for cls in mapped.values():
        registry = sa_inspect(cls).registry
        registries.setdefault(id(registry), registry)
    return any(mapper.local_table is table for registry in registries.values() for mapper in registry.mappers)


def _is_registry_mapped(cls: type) -> bool:
    """Mapped by a SQLAlchemy registry that is not SQLModel's, neither through a ``DeclarativeBase`` subclass
    (SG301) nor through a ``declarative_base()``-made base (SG302): ``@reg.mapped`` or ``map_imperatively`` (SG303)."""
    from sqlalchemy import inspect as sa_inspect
    from sqlalchemy.orm import DeclarativeBase, DeclarativeBaseNoMeta, DeclarativeMeta
    from sqlmodel.main import default_registry

    if issubclass(cls, (DeclarativeBase, DeclarativeBaseNoMeta)) or isinstance(cls, DeclarativeMeta):
        return False
    if not hasattr(cls, "__mapper__"):
        return False
    mapper = sa_inspect(cls, raiseerr=False)
    return mapper is not None and getattr(mapper, "registry", None) is not default_registry


def _declarative_factories(imported: Sequence[ModuleType]) -> list[MappingCallFact]:
    """``Base = declarative_base()`` (and ``as_declarative``, ``registry().generate_base()``) in the imported
    modules, found where a module holds a base such a factory made, at the call the source reader reports."""
    from sqlalchemy.orm import DeclarativeMeta

    from schema_guard.readers.source.mapping import is_declarative_factory, mapping_calls
    from schema_guard.readers.source.module import ParsedModule, parse_module

    calls: list[MappingCallFact] = []
    for module in imported:
        bases = [v for v in vars(module).values() if isinstance(v, DeclarativeMeta) and "registry" in vars(v)]
        path = getattr(module, "__file__", None)
        if not bases or not path:
            continue
        parsed = parse_module(Path(path), path)
        if isinstance(parsed, ParsedModule):
            calls.extend(c for c in mapping_calls(parsed) if is_declarative_factory(c.qualified_name))
    return calls


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
