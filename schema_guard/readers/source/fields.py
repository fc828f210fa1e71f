"""One attribute of a model class body → a column (with its key/index/FK flags) or a relationship.

Reproduces, statically, what SQLModel's ``get_column_from_field`` decides at import: nullability (``Optional`` →
nullable unless ``nullable=`` says otherwise; a primary key is NOT NULL), the type (annotation, ``sa_type=`` or
``sa_column=``), defaults, and which ``Field()`` spellings SQLModel or SQLAlchemy reject.
"""

from __future__ import annotations

import ast
import builtins
import sys
from dataclasses import dataclass, field
from functools import lru_cache

from schema_guard.column_keywords import is_column_kwarg
from schema_guard.facts import ColumnFact, FieldSyntax, Location
from schema_guard.readers.source.constants import StringResolver
from schema_guard.readers.source.imports import ImportMap, is_library_name, last_part, root_part
from schema_guard.readers.source.module import ClassInfo, ParsedModule
from schema_guard.readers.source.column_types import (
    Annotation,
    ColumnType,
    class_name_of,
    python_column_type,
    read_annotation,
    sqlalchemy_column_type,
    timezone_argument,
)

SA_COLUMN_CONFLICTS = (
    "primary_key", "nullable", "foreign_key", "ondelete", "unique", "index", "sa_type", "sa_column_args",
    "sa_column_kwargs",
)  # fmt: skip
"""``Field()`` keywords that SQLModel 0.0.50's ``FieldInfo.__init__`` refuses next to ``sa_column=`` (any value)."""

_SQLMODEL_REFUSED_KWARGS = {"type_": "use sa_type= instead"}

_NAIVE_LAMBDA_CALLS = {"utcnow", "now", "today"}
_BUILTINS = frozenset(dir(builtins))
_STDLIB = frozenset(sys.stdlib_module_names)
"""A call into the standard library builds a value (``uuid.uuid4()``, ``Decimal("0")``), never a ``FieldInfo``."""
_LIBRARIES = ("sqlmodel", "sqlalchemy")


@dataclass
class FieldSpec:
    """A column as written in one class body, before the table assembles its indexes and keys."""

    column: ColumnFact
    primary_key: bool = False
    index: bool = False
    unique: bool = False
    foreign_keys: list[tuple[str, Location]] = field(default_factory=list)
    """``"table.column"`` targets, each with where it was written."""
    unresolved: bool = False
    """A foreign key or name is built where the reader cannot follow (a function call): the column is opaque."""


@dataclass
class _ColumnDraft:
    """What a field says about its column, while ``Field()`` and ``sa_column=`` are being read."""

    name: str
    type: ColumnType
    nullable: bool | None
    python_default: str | None
    server_default: str | None

    def build(self, attribute: str, location: Location, syntax: FieldSyntax) -> ColumnFact:
        return ColumnFact(
            name=self.name,
            type=self.type.name,
            nullable=self.nullable,
            location=location,
            python_default=self.python_default,
            server_default=self.server_default,
            timezone=self.type.timezone,
            attribute=attribute,
            syntax=syntax,
        )


@dataclass(frozen=True)
class RelationshipSpec:
    attribute: str
    target_class: str | None
    back_populates: str | None
    link_model: str | None
    is_list: bool | None
    location: Location
    backref: str | None = None
    viewonly: bool = False
    target_module: str | None = None
    opaque: bool = False
    join_columns: tuple[str, ...] = ()


class FieldReader:
    """Reads the attributes of class bodies of one module."""

    def __init__(self, module: ParsedModule, enums: frozenset[str], strings: StringResolver | None = None) -> None:
        self.module = module
        self.strings = strings or StringResolver(lambda name: None)
        self.imports: ImportMap = module.imports
        self.enums = enums
        self._annotations: dict[str, tuple[Annotation, ColumnType]] = {}

    def _annotation(self, node: ast.expr) -> tuple[Annotation, ColumnType]:
        """An annotation and the column type it implies, worked out once per spelling in the module."""
        text = self.module.segment(node)
        known = self._annotations.get(text)
        if known is None:
            annotation = read_annotation(node, self.imports, text)
            column_type = python_column_type(annotation.inner, self.imports, self.enums)
            known = self._annotations[text] = (annotation, column_type)
        return known

    def read(self, statement: ast.stmt) -> FieldSpec | RelationshipSpec | None:
        """A column or relationship for an attribute statement; ``None`` for anything else in a class body."""
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            name = statement.target.id
            if _is_special(name):
                return None
            annotation, column_type = self._annotation(statement.annotation)
            if annotation.is_classvar:
                return None
            return self._attribute(statement, name, annotation, column_type, statement.value)
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            unannotated_field = self._is_call(statement.value, "Field", "Relationship")
            if isinstance(target, ast.Name) and not _is_special(target.id) and unannotated_field:
                return self._attribute(statement, target.id, None, ColumnType("UNKNOWN"), statement.value)
        return None

    def _is_call(self, node: ast.expr | None, *names: str) -> bool:
        return isinstance(node, ast.Call) and is_library_name(self.imports.qualify(node.func), *names)

    def _attribute(
        self,
        statement: ast.stmt,
        name: str,
        annotation: Annotation | None,
        column_type: ColumnType,
        value: ast.expr | None,
    ) -> FieldSpec | RelationshipSpec:
        location = self.module.location(statement)
        if isinstance(value, ast.Name):  # ``student_id: UUID = TENANT_FIELD``, ``TENANT_FIELD = Field(...)``
            constant = self.module.constants.get(value.id)
            if isinstance(constant, ast.Call) and self._call_kind(constant) != "value":
                value = constant
        if isinstance(value, ast.Call):
            kind = self._call_kind(value)
            if kind == "Relationship":
                return self._relationship(name, annotation, value, location)
            if kind == "Field":
                return self._field(name, annotation, column_type, value, location)
            if kind == "opaque":
                return self._opaque(name, annotation, column_type, location)
        return self._plain(name, annotation, column_type, value, location)

    def _call_kind(self, call: ast.Call) -> str:
        """``"Field"``/``"Relationship"``; ``"value"`` for a call that builds a default value (a builtin, the standard
        library, an enum, SQLAlchemy); ``"opaque"`` for any other call — a helper that may return ``Field(...)``."""
        callee = self.imports.qualify(call.func)
        if callee is None:
            return "opaque"
        root, name = root_part(callee), last_part(callee)
        if root in _LIBRARIES and name in ("Field", "Relationship"):
            return name
        if isinstance(call.func, ast.Name) and call.func.id not in self.imports.names:
            # not imported by name: a builtin, an enum, or a function of this module (which
            # ``from sqlmodel import *`` would make look like a library name)
            local = call.func.id
            builtin = local in _BUILTINS and local not in self.module.constants
            return "value" if builtin or local in self.enums else "opaque"
        return "value" if root in _LIBRARIES or root in _STDLIB or name in self.enums else "opaque"

    # --- relationships -------------------------------------------------------------------------------------------
    def _relationship(
        self, name: str, annotation: Annotation | None, call: ast.Call, location: Location
    ) -> RelationshipSpec:
        """``Relationship(...)`` with its ``sa_relationship=relationship(...)`` and ``sa_relationship_kwargs={...}``,
        or a plain ``relationship(...)``: one set of keywords, the explicit ones of SQLAlchemy's call first."""
        keywords = _keywords(call)
        target: ast.expr | None = None
        inner = keywords.get("sa_relationship")
        if isinstance(inner, ast.Call):
            keywords = {**keywords, **_keywords(inner)}
            target = inner.args[0] if inner.args else keywords.get("argument")
        keywords = {**keywords, **_dict_items(keywords.get("sa_relationship_kwargs"))}
        if not is_library_name(self.imports.qualify(call.func), "Relationship"):
            target = call.args[0] if call.args else keywords.get("argument")
        link = keywords.get("link_model")
        secondary = keywords.get("secondary")
        target_class, target_module = self._relationship_target(target, annotation)
        uselist = _bool_or_none(keywords.get("uselist"))
        return RelationshipSpec(
            attribute=name,
            target_class=target_class,
            back_populates=self._string(keywords.get("back_populates")),
            link_model=(
                class_name_of(link) if link is not None and not _is_none(link)
                else self._link(secondary) if secondary is not None and not _is_none(secondary) else None
            ),
            is_list=annotation.is_list if annotation and annotation.inner is not None else uselist,
            location=location,
            backref=self._backref(keywords.get("backref")),
            viewonly=_bool(keywords.get("viewonly")),
            target_module=target_module,
            opaque=_hidden_keywords(call, keywords) or any(
                keywords.get(key) is not None and not _is_none(keywords[key]) and self._string(keywords[key]) is None
                for key in ("back_populates",)
            ),
            join_columns=self._join_columns(keywords.get("foreign_keys")),
        )

    def _relationship_target(
        self, target: ast.expr | None, annotation: Annotation | None
    ) -> tuple[str | None, str | None]:
        """The target class's name and, where the module can tell, its module: ``relationship("app.models.User")``,
        ``relationship(User)``, ``relationship(lambda: User)``, else the annotation."""
        if isinstance(target, ast.Lambda):
            target = target.body
        written = self._string(target) if target is not None else None
        if written is not None:
            module, _, name = written.strip().rpartition(".")
            return name or None, module or self._module_of(name)
        node = target if isinstance(target, ast.Name | ast.Attribute) else None
        if node is None and annotation is not None:
            name = class_name_of(annotation.inner)
            return name, self._module_of(name) if name else None
        if node is None:
            return None, None
        qualified = self.imports.qualify(node) or ""
        module, _, name = qualified.rpartition(".")
        return name or None, module or self._module_of(name)

    def _join_columns(self, node: ast.expr | None) -> tuple[str, ...]:
        """``foreign_keys=[owner_id]``, ``="Essay.author_id"``, ``=[Essay.author_id]``: the column names, sorted;
        ``()`` when not given or not readable."""
        if node is None:
            return ()
        if isinstance(node, ast.Lambda):
            node = node.body
        items = node.elts if isinstance(node, ast.List | ast.Tuple) else [node]
        names = []
        for item in items:
            text = self._string(item)
            if text is not None:
                names.extend(part.strip().rsplit(".", 1)[-1] for part in text.strip("[] ").split(","))
            elif isinstance(item, ast.Name | ast.Attribute):
                names.append(item.id if isinstance(item, ast.Name) else item.attr)
            else:
                return ()
        return tuple(sorted(name for name in names if name))

    def _module_of(self, class_name: str | None) -> str | None:
        """Where a class named in this module lives: imported by name, or defined here."""
        if not class_name:
            return None
        qualified = self.imports.names.get(class_name)
        if qualified and "." in qualified:
            return qualified.rsplit(".", 1)[0]
        if any(info.name == class_name for info in self.module.classes):
            return self.module.module_name
        return None

    def _link(self, secondary: ast.expr) -> str:
        """``secondary=`` as a name: the table's name string, a ``Table`` variable's name, or the text written."""
        if isinstance(secondary, ast.Lambda):
            secondary = secondary.body
        return self._string(secondary) or self.module.segment(secondary)

    def _backref(self, node: ast.expr | None) -> str | None:
        """``backref="x"`` or ``backref=backref("x", ...)``: the attribute SQLAlchemy adds to the target."""
        if isinstance(node, ast.Call) and node.args:
            node = node.args[0]
        return self._string(node)

    def _string(self, node: ast.expr | None) -> str | None:
        return self.strings.string(node, self.module) if node is not None and not _is_none(node) else None

    # --- columns -------------------------------------------------------------------------------------------------
    def _opaque(
        self, name: str, annotation: Annotation | None, column_type: ColumnType, location: Location
    ) -> FieldSpec:
        """``name: X = helper(...)``: what the annotation says, and nothing the call may decide (keys, index, foreign
        key, nullability, default, a type or time zone of its own)."""
        syntax = _syntax(
            annotation.text if annotation else None,
            annotation.optional if annotation else None,
            False, (), (), None, None, True,
        )  # fmt: skip
        column = ColumnFact(
            name=name, type=column_type.name, nullable=None, location=location, attribute=name, syntax=syntax
        )
        return FieldSpec(column=column)

    def _plain(
        self,
        name: str,
        annotation: Annotation | None,
        column_type: ColumnType,
        value: ast.expr | None,
        location: Location,
    ) -> FieldSpec:
        """``name: X`` or ``name: X = <default>`` without ``Field()``."""
        syntax = _syntax(
            annotation.text if annotation else None,
            annotation.optional if annotation else None,
            False, (), (), self._mutable(value), None,
        )  # fmt: skip
        column = ColumnFact(
            name=name,
            type=column_type.name,
            nullable=annotation.optional if annotation else None,
            location=location,
            python_default=self._default(value),
            timezone=column_type.timezone,
            attribute=name,
            syntax=syntax,
        )
        return FieldSpec(column=column)

    def _field(
        self, name: str, annotation: Annotation | None, column_type: ColumnType, call: ast.Call, location: Location
    ) -> FieldSpec:
        keywords = _keywords(call)
        default = keywords.get("default", call.args[0] if call.args else None)
        sa_column = keywords.get("sa_column")
        if sa_column is not None and _is_none(sa_column):
            sa_column = None
        column_kwargs = _dict_items(keywords.get("sa_column_kwargs"))
        unknown = tuple(key for key in column_kwargs if not is_column_kwarg(key) or key in _SQLMODEL_REFUSED_KWARGS)

        primary_key = _bool(keywords.get("primary_key")) or _bool(column_kwargs.get("primary_key"))
        explicit_nullable = _bool_or_none(column_kwargs.get("nullable", keywords.get("nullable")))
        if "sa_type" in keywords:
            column_type = self._sql_type(keywords["sa_type"])
        nullable: bool | None
        if explicit_nullable is not None:
            nullable = explicit_nullable
        elif annotation is None:
            nullable = None if not primary_key else False
        else:
            nullable = annotation.optional and not primary_key
        column_name = self._string(column_kwargs.get("name"))
        column = _ColumnDraft(
            name=column_name or name,
            type=column_type,
            nullable=nullable,
            python_default=(
                self._default(default) or self._factory(keywords.get("default_factory"))
                or self._default(column_kwargs.get("default"))
            ),
            server_default=self._server_default(column_kwargs.get("server_default")),
        )
        spec = FieldSpec(
            column=None,  # type: ignore[arg-type]  # built once, below
            primary_key=primary_key,
            index=_bool(column_kwargs.get("index", keywords.get("index"))),
            unique=_bool(column_kwargs.get("unique", keywords.get("unique"))),
        )
        foreign_key = keywords.get("foreign_key")
        if foreign_key is not None and not _is_none(foreign_key):
            target = self._string(foreign_key)
            if target is not None:
                spec.foreign_keys.append((target, location))
            else:
                spec.unresolved = True
        for argument in _sequence_items(keywords.get("sa_column_args")):
            self._column_argument(argument, spec, location)
        if isinstance(sa_column, ast.Call) and self._is_call(sa_column, "Column"):
            column_unknown, explicit_nullable = self._read_sa_column(sa_column, spec, column, location)
            unknown += column_unknown
        elif sa_column is not None:  # a Column built elsewhere (a helper function, a variable): type unknown
            column.type, column.nullable = ColumnType("UNKNOWN"), None

        syntax = _syntax(
            annotation.text if annotation else None,
            annotation.optional if annotation else None,
            sa_column is not None,
            tuple(k for k in SA_COLUMN_CONFLICTS if k in keywords) if sa_column is not None else (),
            unknown,
            self._mutable(default),
            explicit_nullable,
            spec.unresolved,
        )
        spec.column = column.build(name, location, syntax)
        return spec

    def _read_sa_column(
        self, call: ast.Call, spec: FieldSpec, column: _ColumnDraft, location: Location
    ) -> tuple[tuple[str, ...], bool | None]:
        """``sa_column=Column(...)`` replaces everything SQLModel would derive: type, keys, nullability, defaults.

        Returns the keywords ``Column`` does not accept and the explicit ``nullable=`` of the ``Column``.
        """
        keywords = _keywords(call)
        column_type = ColumnType("UNKNOWN")
        for position, argument in enumerate(call.args):
            written_name = self._string(argument) if position == 0 else None
            if written_name is not None:
                column.name = written_name
            elif not self._column_argument(argument, spec, location) and column_type.name == "UNKNOWN":
                column_type = self._sql_type(argument)
        if "type_" in keywords:
            column_type = self._sql_type(keywords["type_"])
        name = self._string(keywords.get("name"))
        if name is not None:
            column.name = name
        spec.primary_key = _bool(keywords.get("primary_key"))
        spec.index = _bool(keywords.get("index"))
        spec.unique = _bool(keywords.get("unique"))
        explicit = _bool_or_none(keywords.get("nullable"))
        column.type = column_type
        column.nullable = explicit if explicit is not None else not spec.primary_key
        column.python_default = self._default(keywords.get("default")) or column.python_default
        column.server_default = self._server_default(keywords.get("server_default"))
        return tuple(key for key in keywords if not is_column_kwarg(key)), explicit

    def _sql_type(self, node: ast.expr, depth: int = 0) -> ColumnType:
        """A column type as PostgreSQL gets it, statically: a module-level type variable is followed,
        ``X.with_variant(Y, "postgresql")`` is ``Y``, and a project ``TypeDecorator`` is what its
        ``load_dialect_impl``/``impl`` mention (JSONB wins: it is what PostgreSQL gets). A ``JSON`` type from
        outside SQLAlchemy that the reader cannot open is not assumed to be SQLAlchemy's."""
        if depth > 4:
            return ColumnType("UNKNOWN")
        if isinstance(node, ast.Name) and node.id in self.module.constants and node.id not in self.imports.names:
            return self._sql_type(self.module.constants[node.id], depth + 1)
        call = node if isinstance(node, ast.Call) else None
        if call is not None and isinstance(call.func, ast.Attribute) and call.func.attr == "with_variant":
            for position, argument in enumerate(call.args[1:], start=1):
                if self._string(argument) == "postgresql" or (
                    isinstance(argument, ast.List | ast.Tuple)
                    and any(self._string(item) == "postgresql" for item in argument.elts)
                ):
                    return self._sql_type(call.args[0], depth + 1)
            return self._sql_type(call.func.value, depth + 1)
        column_type = sqlalchemy_column_type(node, self.imports)
        qualified = self.imports.qualify(call.func if call else node) or ""
        if root_part(qualified) in _LIBRARIES:
            return column_type
        decorator = self._project_class(qualified)
        if decorator is None:
            unknown_json = column_type.name in ("JSON", "JSONB") and not self._flask_receiver(qualified)
            return ColumnType("UNKNOWN") if unknown_json else column_type
        if not any(last_part(base) == "TypeDecorator" for base in decorator.bases):
            return column_type
        if "JSONB" in decorator.module.segment(decorator.node):
            return ColumnType("JSONB")
        if _defines(decorator, "load_dialect_impl"):
            return ColumnType("UNKNOWN")  # PostgreSQL gets whatever it returns there (often UUID over a CHAR impl)
        impl = next((value for value in map(_impl_of, decorator.node.body) if value is not None), None)
        if impl is None or decorator.module is not self.module:
            return column_type
        impl_type = self._sql_type(impl, depth + 1)
        if impl_type.name == "TIMESTAMP" and call is not None and not isinstance(impl, ast.Call):
            # a TypeDecorator builds its ``impl`` from its own arguments: ``Aware(timezone=True)`` is
            # ``TIMESTAMP(timezone=True)``, unless an ``__init__`` of its own decides otherwise
            aware = None if _defines(decorator, "__init__") else timezone_argument(call)
            return ColumnType(impl_type.name, timezone=aware)
        return impl_type

    def _flask_receiver(self, qualified: str) -> bool:
        """``db.JSON`` where ``db = SQLAlchemy()`` (Flask-SQLAlchemy re-exports SQLAlchemy's types)."""
        if root_part(qualified) == "flask_sqlalchemy":
            return True
        receiver = qualified.rsplit(".", 1)[0]
        module: ParsedModule | None = self.module
        name = receiver
        if "." in receiver:
            package, name = receiver.rsplit(".", 1)
            module = self.strings.load(package)
        value = module.constants.get(name) if module is not None else None
        return isinstance(value, ast.Call) and root_part(module.imports.qualify(value.func)) == "flask_sqlalchemy"  # type: ignore[union-attr]

    def _project_class(self, qualified: str) -> ClassInfo | None:
        """The class ``qualified`` names in this module or in a project module it is imported from."""
        module: ParsedModule | None = self.module
        name = qualified
        if "." in qualified:
            package, name = qualified.rsplit(".", 1)
            module = self.strings.load(package)
        if module is None:
            return None
        return next((info for info in module.classes if info.name == name), None)

    def _column_argument(self, argument: ast.expr, spec: FieldSpec, location: Location) -> bool:
        """A positional ``Column``/``sa_column_args`` item that is not a type: ``ForeignKey``, ``Identity``..."""
        if not isinstance(argument, ast.Call):
            return False
        callee = last_part(self.imports.qualify(argument.func))
        if callee == "ForeignKey":
            target = self._string(argument.args[0] if argument.args else _keywords(argument).get("column"))
            if target is not None:
                spec.foreign_keys.append((target, self.module.location(argument)))
            else:
                spec.unresolved = True
            return True
        return callee in {"Identity", "Sequence", "Computed", "CheckConstraint", "FetchedValue", "DefaultClause"}

    # --- defaults ------------------------------------------------------------------------------------------------
    def _default(self, node: ast.expr | None) -> str | None:
        """``"<literal>"`` for a value, the qualified name for a callable passed as the default, ``None`` for none."""
        if node is None or _is_none(node):
            return None
        if isinstance(node, (ast.Name, ast.Attribute)):
            return self._callable(node) or "<literal>"
        if isinstance(node, ast.Lambda):
            return self._factory(node)
        return "<literal>"

    def _factory(self, node: ast.expr | None) -> str | None:
        """The qualified name of a ``default_factory``; a lambda that only calls a clock is named by that clock."""
        if node is None or _is_none(node):
            return None
        if isinstance(node, ast.Lambda):
            body = node.body
            if isinstance(body, ast.Call) and not body.args and not body.keywords:
                callee = self.imports.qualify(body.func)
                if callee and last_part(callee) in _NAIVE_LAMBDA_CALLS:
                    return callee
            return "<lambda>"
        if isinstance(node, ast.Call):
            return self._callable(node.func) or "<call>"
        return self._callable(node) or "<callable>"

    def _callable(self, node: ast.expr) -> str | None:
        """A callable's qualified name; builtins as ``builtins.list``, the way the imported function names itself."""
        qualified = self.imports.qualify(node)
        if qualified and "." not in qualified and qualified in _BUILTINS and qualified not in self.module.constants:
            return f"builtins.{qualified}"
        return qualified

    def _mutable(self, node: ast.expr | None) -> str | None:
        if isinstance(node, ast.List | ast.Dict | ast.Set | ast.ListComp | ast.DictComp | ast.SetComp):
            return self.module.segment(node)
        if isinstance(node, ast.Call) and not node.args and not node.keywords and isinstance(node.func, ast.Name):
            if node.func.id in {"list", "dict", "set"} and node.func.id not in self.imports.names:  # the builtin
                return self.module.segment(node)
        return None

    def _server_default(self, node: ast.expr | None) -> str | None:
        if node is None or _is_none(node):
            return None
        if isinstance(node, ast.Constant):
            return str(node.value)
        if isinstance(node, ast.Call):
            callee = self.imports.qualify(node.func) or ""
            if last_part(callee) == "text" and node.args and isinstance(node.args[0], ast.Constant):
                return str(node.args[0].value)
            if ".func." in f".{callee}":
                arguments = ", ".join(self.module.segment(a) for a in node.args)
                return f"{last_part(callee)}({arguments})"
        return self.module.segment(node)


def _hidden_keywords(call: ast.Call, keywords: dict[str, ast.expr]) -> bool:
    """A relationship whose keywords the reader cannot all see: ``**options``, or ``sa_relationship=``/
    ``sa_relationship_kwargs=`` given as a variable or a helper's result."""
    inner = keywords.get("sa_relationship")
    calls = [call, inner] if isinstance(inner, ast.Call) else [call]
    if any(keyword.arg is None for node in calls for keyword in node.keywords):
        return True
    if inner is not None and not isinstance(inner, ast.Call) and not _is_none(inner):
        return True
    options = keywords.get("sa_relationship_kwargs")
    return options is not None and not isinstance(options, ast.Dict) and not _is_none(options) and not (
        isinstance(options, ast.Call) and isinstance(options.func, ast.Name) and options.func.id == "dict"
    )


def _defines(info: ClassInfo, method: str) -> bool:
    """The class body defines ``method``."""
    return any(isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef) and s.name == method for s in info.node.body)


def _impl_of(statement: ast.stmt) -> ast.expr | None:
    """``impl = JSON`` in a ``TypeDecorator`` body."""
    if isinstance(statement, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "impl" for t in statement.targets):
        return statement.value
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) and statement.target.id == "impl":
        return statement.value
    return None


@lru_cache(maxsize=4096)
def _syntax(*values: object) -> FieldSyntax:
    """One shared (immutable) :class:`FieldSyntax` per distinct spelling: most fields of a project repeat a few."""
    return FieldSyntax(*values)  # type: ignore[arg-type]


def _is_special(name: str) -> bool:
    """Dunder and private attributes and pydantic's ``model_config`` are never columns."""
    return name.startswith("_") or name == "model_config"


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _keywords(call: ast.Call) -> dict[str, ast.expr]:
    return {keyword.arg: keyword.value for keyword in call.keywords if keyword.arg is not None}


def _dict_items(node: ast.expr | None) -> dict[str, ast.expr]:
    """A ``{"key": value}`` literal or ``dict(key=value)`` call; string keys only."""
    if isinstance(node, ast.Dict):
        return {
            key.value: value
            for key, value in zip(node.keys, node.values, strict=True)
            if isinstance(key, ast.Constant) and isinstance(key.value, str)
        }
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
        return _keywords(node)
    return {}


def _sequence_items(node: ast.expr | None) -> list[ast.expr]:
    return list(node.elts) if isinstance(node, ast.List | ast.Tuple) else []


def _bool(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _bool_or_none(node: ast.expr | None) -> bool | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return node.value
    return None
