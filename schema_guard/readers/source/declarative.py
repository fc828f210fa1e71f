"""Tables mapped the plain SQLAlchemy way, read as tables too: a legacy model set keeps its tenancy checks.

A class is such a table when it is mapped by a declarative base — a ``DeclarativeBase``/``DeclarativeBaseNoMeta``
subclass, a ``Base = declarative_base()`` / ``registry().generate_base()`` base, an ``@as_declarative`` class, or
the class is decorated ``@reg.mapped`` — is not ``__abstract__``, and names its table: ``__tablename__`` or
``__table__`` in its own body, or inherited from a mixin or the base (``@declared_attr``) when no mapped ancestor
already has a table (a subclass of a mapped table without its own name is single-table inheritance: same table).

Its attributes are read as SQLAlchemy reads them: ``x: Mapped[int] = mapped_column(...)``, ``x: Mapped[int]``,
``x = Column(Integer, ...)``, ``x = relationship(...)``. Types come from the column's own type argument, else from
the ``Mapped[...]`` annotation through SQLAlchemy's default type map (``datetime`` → ``DateTime()``: naive) unless
the base sets ``type_annotation_map``, which the reader does not evaluate (the type is then unknown). Module-level
``Table("name", metadata, Column(...))`` objects (association tables) are tables of their own.
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace

from schema_guard.facts import ColumnFact, FieldSyntax, Location
from schema_guard.readers.source.column_types import Annotation, ColumnType, python_column_type
from schema_guard.readers.source.fields import FieldReader, FieldSpec, RelationshipSpec, _ColumnDraft, _keywords
from schema_guard.readers.source.imports import ImportMap, is_library_name, last_part, root_part
from schema_guard.readers.source.module import ClassInfo, ParsedModule

DECLARATIVE_BASES = frozenset({"DeclarativeBase", "DeclarativeBaseNoMeta"})
"""SQLAlchemy 2.0 base classes whose subclasses are declarative bases."""
BASE_FACTORIES = frozenset({"declarative_base", "generate_base"})
"""Calls that return a declarative base class."""
CLASS_DECORATORS = frozenset({"as_declarative", "as_declarative_base"})
"""Decorators that make a class a declarative base."""
MAPPING_DECORATORS = frozenset({"mapped", "mapped_as_dataclass"})
"""``@reg.mapped``: the decorated class itself is mapped."""

_COLUMN_CALLS = frozenset({"Column", "mapped_column"})
_WRAPPED_COLUMN_CALLS = frozenset({"deferred", "column_property"})
_RELATIONSHIP_CALLS = frozenset({"relationship", "relation", "dynamic_loader"})
_SQLALCHEMY_DEFAULT_TYPES = {"DATETIME": ColumnType("TIMESTAMP", timezone=False), "TIMESTAMP": ColumnType("TIMESTAMP", timezone=False)}
"""SQLAlchemy's default type map differs from SQLModel's for ``datetime``: ``DateTime()`` without time zone."""


def snake_case(class_name: str) -> str:
    """Flask-SQLAlchemy's default table name: ``UserAccount`` → ``user_account``, ``HTTPLog`` → ``http_log``."""
    words = re.findall(r"[A-Z]+(?=[A-Z][a-z0-9]|$|_)|[A-Z]?[a-z0-9]+|[A-Z]+", class_name)
    return "_".join(word.lower() for word in words) or class_name.lower()


def is_sqlalchemy_name(qualified: str | None, names: frozenset[str]) -> bool:
    """``qualified`` is one of ``names`` from SQLAlchemy (or re-exported by SQLModel)."""
    return root_part(qualified) in ("sqlalchemy", "sqlmodel") and last_part(qualified) in names


def decorated_with(info: ClassInfo, names: frozenset[str]) -> bool:
    """The class carries a decorator (called or not) that resolves to one of ``names``."""
    for decorator in info.node.decorator_list:
        callee = decorator.func if isinstance(decorator, ast.Call) else decorator
        qualified = info.module.imports.qualify(callee)
        if qualified and last_part(qualified) in names and (root_part(qualified) == "sqlalchemy" or "." in qualified):
            return True
    return False


def own_setting(info: ClassInfo, name: str) -> bool:
    """``name`` (``__tablename__``, ``__table__``, ``__abstract__``...) is set in the class's own body."""
    for statement in info.node.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef) and statement.name == name:
            return True
        targets = statement.targets if isinstance(statement, ast.Assign) else (
            [statement.target] if isinstance(statement, ast.AnnAssign) else []
        )
        if any(isinstance(target, ast.Name) and target.id == name for target in targets):
            return True
    return False


def renames_subclass_tables(info: ClassInfo) -> bool:
    """The class has an ``__init_subclass__`` that assigns ``cls.__tablename__`` (or ``setattr``s it): every
    subclass's table is named at import time (a configurable prefix, a schema-qualified name), so the name written
    in the subclass is not the table's name and the reader must not use it."""
    for statement in info.node.body:
        if not isinstance(statement, ast.FunctionDef) or statement.name != "__init_subclass__":
            continue
        for node in ast.walk(statement):
            targets = node.targets if isinstance(node, ast.Assign) else (
                [node.target] if isinstance(node, ast.AnnAssign | ast.AugAssign) else []
            )
            if any(isinstance(t, ast.Attribute) and t.attr == "__tablename__" for t in targets):
                return True
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr"
                    and len(node.args) > 1 and isinstance(node.args[1], ast.Constant)
                    and node.args[1].value == "__tablename__"):
                return True
    return False


def declared_attribute(statement: ast.stmt, imports: ImportMap) -> ast.expr | None:
    """What a ``@declared_attr`` method returns when its body is one ``return`` (after a docstring): read as the
    attribute it declares (``def user_id(cls): return mapped_column(ForeignKey("users.id"))``)."""
    if not isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef) or statement.name.startswith("__"):
        return None
    decorators = [d.func if isinstance(d, ast.Call) else d for d in statement.decorator_list]
    decorators = [d.value if isinstance(d, ast.Attribute) and d.attr in ("directive", "cascading") else d
                  for d in decorators]  # fmt: skip
    if not any(last_part(imports.qualify(d)) == "declared_attr" for d in decorators):
        return None
    body = statement.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    if len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value is not None:
        return body[0].value
    return None


def is_abstract(info: ClassInfo) -> bool:
    for statement in info.node.body:
        if isinstance(statement, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__abstract__" for t in statement.targets
        ):
            return isinstance(statement.value, ast.Constant) and statement.value.value is True
    return False


class DeclarativeFieldReader(FieldReader):
    """Reads the attributes of a plain SQLAlchemy mapped class (see the module docstring)."""

    def __init__(self, *args: object, annotation_types: bool = True, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.annotation_types = annotation_types
        """``False`` when the base sets a ``type_annotation_map``: a type taken from an annotation is unknown."""

    def read(self, statement: ast.stmt) -> FieldSpec | RelationshipSpec | None:
        annotation: Annotation | None = None
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            name, value = statement.target.id, statement.value
            annotation, _ = self._annotation(statement.annotation)
            if annotation.is_classvar:
                return None
        elif isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if not isinstance(target, ast.Name):
                return None
            name, value = target.id, statement.value
        elif declared_attribute(statement, self.imports) is not None:
            name, value = statement.name, declared_attribute(statement, self.imports)  # type: ignore[union-attr]
            returns = statement.returns  # type: ignore[union-attr]
            annotation = self._annotation(returns)[0] if returns is not None else None
        else:
            return None
        if name.startswith("__") or name in ("metadata", "registry", "type_annotation_map"):
            return None
        location = self.module.location(statement)
        if isinstance(value, ast.Call):
            callee = self.imports.qualify(value.func)
            if _mapping_call(callee, _WRAPPED_COLUMN_CALLS) and value.args:
                if last_part(callee) == "column_property":
                    return None  # an expression, not a column of the table
                value = value.args[0]
                callee = self.imports.qualify(value.func) if isinstance(value, ast.Call) else None
            if _mapping_call(callee, _RELATIONSHIP_CALLS) or is_library_name(callee, "Relationship"):
                return self._relationship(name, annotation, value, location)  # type: ignore[arg-type]
            if _mapping_call(callee, _COLUMN_CALLS):
                return self.column(value, name, annotation, location)  # type: ignore[arg-type]
            return None
        if value is None and annotation is not None and annotation.mapped:
            return self.column(None, name, annotation, location)
        return None

    def column(
        self, call: ast.Call | None, attribute: str, annotation: Annotation | None, location: Location
    ) -> FieldSpec:
        """A ``Column(...)``/``mapped_column(...)`` (or a bare ``Mapped[...]`` annotation when ``call`` is ``None``)."""
        annotated = self._annotated_type(annotation)
        draft = _ColumnDraft(name=attribute, type=annotated, nullable=None, python_default=None, server_default=None)
        spec = FieldSpec(column=None)  # type: ignore[arg-type]  # built below
        explicit: bool | None = None
        if call is not None:
            _, explicit = self._read_sa_column(call, spec, draft, location)
            keywords = _keywords(call)
            if draft.type.name == "UNKNOWN":
                draft.type = annotated
            draft.python_default = draft.python_default or self._factory(keywords.get("default_factory")) or (
                self._default(keywords.get("insert_default"))
            )
        if explicit is None and annotation is not None and annotation.mapped:
            draft.nullable = annotation.optional and not spec.primary_key  # SQLAlchemy 2.0 reads Optional[...]
        elif explicit is None:
            draft.nullable = not spec.primary_key
        syntax = FieldSyntax(
            annotation=annotation.text if annotation else None,
            annotation_optional=annotation.optional if annotation and annotation.mapped else None,
            explicit_nullable=explicit,
            opaque=spec.unresolved,
            sqlalchemy=True,
            uses_sa_column=call is not None,
        )
        spec.column = draft.build(attribute, location, syntax)
        return spec

    def _annotated_type(self, annotation: Annotation | None) -> ColumnType:
        if annotation is None or not annotation.mapped or not self.annotation_types:
            return ColumnType("UNKNOWN")
        column_type = python_column_type(annotation.inner, self.imports, self.enums)
        return _SQLALCHEMY_DEFAULT_TYPES.get(column_type.name, column_type)


def _mapping_call(qualified: str | None, names: frozenset[str]) -> bool:
    """In a mapped class body, ``Column``/``relationship``... from SQLAlchemy, or reached through an object that
    re-exports them (Flask-SQLAlchemy's ``db.Column``, ``db.relationship``)."""
    return is_sqlalchemy_name(qualified, names) or (last_part(qualified) in names and "." in (qualified or ""))


def table_call_columns(
    call: ast.Call, reader: DeclarativeFieldReader
) -> tuple[str | None, list[FieldSpec], list[ast.Call]]:
    """``Table("name", metadata, Column(...), ..., Index(...))``: the name, the columns, and the other entries
    (constraints and indexes, read like ``__table_args__``)."""
    if not call.args:
        return None, [], []
    name = reader.strings.string(call.args[0], reader.module)
    columns: list[FieldSpec] = []
    others: list[ast.Call] = []
    for argument in call.args[1:]:
        if not isinstance(argument, ast.Call):
            continue
        callee = reader.imports.qualify(argument.func)
        if last_part(callee) == "Column" and argument.args:
            column_name = reader.strings.string(argument.args[0], reader.module)
            if column_name is not None:
                spec = reader.column(argument, column_name, None, reader.module.location(argument))
                columns.append(spec)
        elif root_part(callee) == "sqlalchemy" or callee is None or "." not in (callee or ""):
            others.append(argument)
    return name, columns, others


def opaque(column: ColumnFact) -> ColumnFact:
    syntax = column.syntax or FieldSyntax(None)
    return replace(column, syntax=replace(syntax, opaque=True))


def module_tables(module: ParsedModule) -> list[tuple[ast.Call, ast.stmt]]:
    """Module-level ``name = Table(...)`` statements (association tables and other unmapped tables)."""
    found = []
    for statement in module.tree.body:
        value = statement.value if isinstance(statement, ast.Assign | ast.AnnAssign) else None
        if not isinstance(value, ast.Call):
            continue
        callee = module.imports.qualify(value.func)
        columns = any(
            isinstance(argument, ast.Call) and last_part(module.imports.qualify(argument.func)) == "Column"
            for argument in value.args
        )
        if is_sqlalchemy_name(callee, frozenset({"Table"})) or (_mapping_call(callee, frozenset({"Table"})) and columns):
            found.append((value, statement))
    return found
