"""What a revision does, read with libcst without importing it: its ``op.*`` calls in order, per function.

Each call is bound to Alembic's parameter names (``op.create_index("ix", "t", ["c"])`` → ``index_name``,
``table_name``, ``columns``), ``batch_op.*`` calls inside ``with op.batch_alter_table("t") as batch_op`` get their
table filled in, and every call knows whether it sits inside ``with op.get_context().autocommit_block():``.
Positions (line, column) are computed lazily, only for calls that end up in a finding. The per-revision rules see
none of this: :meth:`RevisionSource.facts` translates it into :mod:`schema_guard.revision_facts`, plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from schema_guard.gate.analysis.cst_walk import walk
from schema_guard.gate.analysis.sql import statements
from schema_guard.location import Location
from schema_guard.revision_facts import Argument, BodyKind, NewColumn, Operation, RevisionFacts, Sql

_OP_PARAMETERS: dict[str, tuple[str, ...]] = {
    "create_table": ("table_name", "*columns"),
    "drop_table": ("table_name",),
    "rename_table": ("old_table_name", "new_table_name"),
    "add_column": ("table_name", "column"),
    "drop_column": ("table_name", "column_name"),
    "alter_column": ("table_name", "column_name"),
    "create_index": ("index_name", "table_name", "columns"),
    "drop_index": ("index_name", "table_name"),
    "create_foreign_key": ("constraint_name", "source_table", "referent_table", "local_cols", "remote_cols"),
    "create_check_constraint": ("constraint_name", "table_name", "condition"),
    "create_unique_constraint": ("constraint_name", "table_name", "columns"),
    "create_primary_key": ("constraint_name", "table_name", "columns"),
    "create_exclude_constraint": ("constraint_name", "table_name", "*elements"),
    "drop_constraint": ("constraint_name", "table_name"),
    "execute": ("sqltext",),
    "bulk_insert": ("table", "rows"),
}
_TABLE_PARAMETERS = ("table_name", "source_table", "old_table_name")
_NOT_OPERATIONS = {"get_context", "get_bind", "f", "inline_literal", "batch_alter_table", "invoke",
                   "implementation_for", "register_operation"}


def _batch_parameters(name: str) -> tuple[str, ...]:
    table_parameter = "source_table" if name == "create_foreign_key" else "table_name"
    return tuple(p for p in _OP_PARAMETERS.get(name, ()) if p != table_parameter)


def dotted_name(node: cst.BaseExpression) -> str:
    """``sa.Column`` → ``"sa.Column"``; ``op.get_context().autocommit_block`` → ``"op.get_context().autocommit_block"``."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{dotted_name(node.value)}.{node.attr.value}"
    if isinstance(node, cst.Call):
        return f"{dotted_name(node.func)}()"
    return ""


def string_value(node: cst.BaseExpression | None) -> str | None:
    """The value of a plain string literal (also implicitly concatenated), else ``None``."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def name_value(node: cst.BaseExpression | None) -> str | None:
    """The value of a name argument: a string literal, also wrapped in ``op.f(...)`` / ``batch_op.f(...)`` as
    ``alembic revision --autogenerate`` writes index and constraint names (``op.f("ix_exams_student_id")``)."""
    if (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "f"
            and len(node.args) == 1 and node.args[0].keyword is None):
        node = node.args[0].value
    return string_value(node)


def sql_literal(node: cst.BaseExpression | None) -> str | None:
    """The SQL of ``"..."`` or ``sa.text("...")`` (``text``/``literal_column`` under any prefix) when it is a literal."""
    literal = string_value(node)
    if literal is None and isinstance(node, cst.Call) and dotted_name(node.func).split(".")[-1] == "text" \
            and node.args:
        literal = string_value(node.args[0].value)
    return literal


def bool_value(node: cst.BaseExpression | None) -> bool | None:
    if isinstance(node, cst.Name) and node.value in {"True", "False"}:
        return node.value == "True"
    return None


def string_list(node: cst.BaseExpression | None) -> tuple[str, ...] | None:
    """``["a", "b"]`` / ``("a",)`` → ``("a", "b")``; ``None`` when any element is not a string literal."""
    if isinstance(node, (cst.List, cst.Tuple)):
        values = [string_value(e.value) for e in node.elements if isinstance(e, cst.Element)]
        if all(v is not None for v in values):
            return tuple(v for v in values if v is not None)
    return None


@dataclass(frozen=True)
class ColumnSpec:
    """A ``sa.Column(...)`` written in a revision."""

    name: str | None
    type_code: str | None
    nullable: bool | None
    """``None`` when ``nullable=`` is not a literal; defaults to True (or False for a primary key) like Column."""
    primary_key: bool
    server_default: str | None
    """SQL text of the server default (``sa.text("now()")`` → ``now()``, ``"x"`` → ``'x'``), else its code."""
    has_foreign_key: bool
    index: bool
    unique: bool
    node: cst.Call = field(repr=False, compare=False)

    @classmethod
    def from_node(cls, node: cst.BaseExpression, module: cst.Module) -> ColumnSpec | None:
        if not isinstance(node, cst.Call) or not dotted_name(node.func).split(".")[-1] == "Column":
            return None
        positional = [a.value for a in node.args if a.keyword is None and not a.star]
        keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        name = string_value(positional[0]) if positional else None
        rest = positional[1:] if name is not None else positional
        type_node = keywords.get("type_") or next(
            (p for p in rest if not (isinstance(p, cst.Call) and dotted_name(p.func).endswith(("ForeignKey",
                                                                                                "Identity",
                                                                                                "Computed")))),
            None,
        )
        primary_key = bool_value(keywords.get("primary_key")) is True
        nullable_node = keywords.get("nullable")
        nullable = bool_value(nullable_node) if nullable_node is not None else not primary_key
        default_node = keywords.get("server_default")
        return cls(
            name=name,
            type_code=module.code_for_node(type_node) if type_node is not None else None,
            nullable=nullable,
            primary_key=primary_key,
            server_default=sql_text(default_node, module) if default_node is not None else None,
            has_foreign_key=any(isinstance(p, cst.Call) and dotted_name(p.func).endswith("ForeignKey") for p in rest),
            index=bool_value(keywords.get("index")) is True,
            unique=bool_value(keywords.get("unique")) is True,
            node=node,
        )

    def fact(self) -> NewColumn:
        return NewColumn(self.name, self.type_code, self.nullable, self.primary_key, self.server_default,
                         self.has_foreign_key, self.index, self.unique)


def sql_text(node: cst.BaseExpression, module: cst.Module) -> str:
    """The SQL a server default renders: ``sa.text("now()")`` → ``now()``, ``"x"`` → ``'x'``, else the code."""
    literal = string_value(node)
    if literal is not None:
        return f"'{literal}'"
    if isinstance(node, cst.Call) and dotted_name(node.func).split(".")[-1] in {"text", "literal_column"}:
        inner = string_value(node.args[0].value) if node.args else None
        if inner is not None:
            return inner
    name = dotted_name(node.func) if isinstance(node, cst.Call) else ""
    if ".func." in f".{name}" or name.startswith("func."):
        return f"{name.split('func.', 1)[1]}()"
    return module.code_for_node(node)


@dataclass(eq=False)
class OpCall:
    """One ``op.<name>(...)`` (or ``batch_op.<name>(...)``) call in a revision function."""

    name: str
    params: dict[str, cst.BaseExpression]
    rest: tuple[cst.BaseExpression, ...]
    """Positional arguments after the named ones (``create_table``'s columns and constraints)."""
    node: cst.Call
    in_autocommit_block: bool
    source: RevisionSource = field(repr=False)
    batch_table: str | None = None

    def sql(self) -> str | None:
        """The SQL of ``op.execute(...)`` when it is a literal."""
        return sql_literal(self.params.get("sqltext"))

    def text(self, parameter: str) -> str | None:
        """A string argument (a name wrapped in ``op.f(...)`` included), ``None`` when it is not a literal."""
        return name_value(self.params.get(parameter))

    def flag(self, parameter: str) -> bool | None:
        return bool_value(self.params.get(parameter))

    def strings(self, parameter: str) -> tuple[str, ...] | None:
        return string_list(self.params.get(parameter))

    def code(self, parameter: str) -> str | None:
        node = self.params.get(parameter)
        return self.source.module.code_for_node(node) if node is not None else None

    @property
    def table(self) -> str | None:
        if self.batch_table is not None:
            return self.batch_table
        for parameter in _TABLE_PARAMETERS:
            if parameter in self.params:
                return self.text(parameter)
        return None

    def column(self) -> ColumnSpec | None:
        """The column of ``add_column``."""
        node = self.params.get("column")
        return ColumnSpec.from_node(node, self.source.module) if node is not None else None

    def table_columns(self) -> list[ColumnSpec]:
        """The columns of ``create_table``."""
        specs = (ColumnSpec.from_node(node, self.source.module) for node in self.rest)
        return [spec for spec in specs if spec is not None]

    def table_items(self, kind: str) -> list[cst.Call]:
        """``create_table`` arguments that are calls to ``sa.<kind>`` (``ForeignKeyConstraint``, ``Index``...)."""
        return [n for n in self.rest if isinstance(n, cst.Call) and dotted_name(n.func).split(".")[-1] == kind]

    @property
    def position(self) -> tuple[int, int]:
        return self.source.position(self.node)

    def fact(self) -> Operation:
        """This call as the per-revision rules see it."""
        column = self.column() if self.name == "add_column" else None
        module = self.source.module
        return Operation(
            kind=self.name,
            table=self.table,
            arguments={name: _argument(node, module) for name, node in self.params.items()},
            in_autocommit_block=self.in_autocommit_block,
            column=column.fact() if column is not None else None,
            table_columns=tuple(spec.fact() for spec in self.table_columns()) if self.name == "create_table" else (),
            sql=Sql(self.sql(), statements) if self.name == "execute" else None,
            resolve_location=partial(self.source.location, self.node),
        )


def _argument(node: cst.BaseExpression, module: cst.Module) -> Argument:
    code = node.value if isinstance(node, (cst.SimpleString, cst.Name, cst.Integer)) else module.code_for_node(node)
    return Argument(code, text=name_value(node), flag=bool_value(node), strings=string_list(node))


class _OpCollector(cst.CSTVisitor):
    def __init__(self, source: RevisionSource) -> None:
        self.source = source
        self.calls: list[OpCall] = []
        self._autocommit = 0
        self._batch: dict[str, str | None] = {}
        self._opened: list[tuple[int, list[str]]] = []

    def visit_With(self, node: cst.With) -> None:
        autocommit, aliases = 0, []
        for item in node.items:
            if not isinstance(item.item, cst.Call):
                continue
            name = dotted_name(item.item.func)
            if name.endswith(".autocommit_block"):
                autocommit += 1
            elif name.endswith("batch_alter_table") and item.asname and isinstance(item.asname.name, cst.Name):
                alias = item.asname.name.value
                table = string_value(item.item.args[0].value) if item.item.args else None
                self._batch[alias] = table
                aliases.append(alias)
        self._autocommit += autocommit
        self._opened.append((autocommit, aliases))

    def leave_With(self, original_node: cst.With) -> None:
        autocommit, aliases = self._opened.pop()
        self._autocommit -= autocommit
        for alias in aliases:
            self._batch.pop(alias, None)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)):
            return
        owner, name = func.value.value, func.attr.value
        if name in _NOT_OPERATIONS or name.startswith("_"):
            return
        if owner == "op":
            self.calls.append(self._bind(node, name, _OP_PARAMETERS.get(name, ()), None))
        elif owner in self._batch:
            self.calls.append(self._bind(node, name, _batch_parameters(name), self._batch[owner] or ""))

    def _bind(self, node: cst.Call, name: str, names: tuple[str, ...], batch_table: str | None) -> OpCall:
        positional = [a.value for a in node.args if a.keyword is None and not a.star]
        params: dict[str, cst.BaseExpression] = {}
        rest: tuple[cst.BaseExpression, ...] = ()
        for index, value in enumerate(positional):
            if index >= len(names):
                rest = tuple(positional[index:])
                break
            if names[index].startswith("*"):
                rest = tuple(positional[index:])
                break
            params[names[index]] = value
        for argument in node.args:
            if argument.keyword is not None:
                params[argument.keyword.value] = argument.value
        return OpCall(name, params, rest, node, self._autocommit > 0, self.source, batch_table)


class _SqlCollector(cst.CSTVisitor):
    """``<anything but op>.execute(...)`` / ``.exec_driver_sql(...)``: SQL a revision runs on a connection it got
    with ``op.get_bind()`` (``None`` for SQL that is not a literal)."""

    def __init__(self) -> None:
        self.found: list[str | None] = []

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in {"execute", "exec_driver_sql"}):
            return
        if isinstance(func.value, cst.Name) and func.value.value == "op":
            return
        first = next((a.value for a in node.args if a.keyword is None and not a.star), None)
        self.found.append(sql_literal(first))


def _body_kind(function: cst.FunctionDef | None) -> BodyKind:
    """``missing``; ``empty`` (only ``pass``, ``...`` or a docstring); ``raises`` (nothing but a ``raise``); ``ok``."""
    if function is None:
        return "missing"
    body = function.body
    statements: list[cst.BaseSmallStatement] = []
    if isinstance(body, cst.SimpleStatementSuite):
        statements = list(body.body)
    else:
        for line in body.body:
            if not isinstance(line, cst.SimpleStatementLine):
                return "ok"
            statements.extend(line.body)
    meaningful = [s for s in statements if not _is_filler(s)]
    if not meaningful:
        return "empty"
    if len(meaningful) == 1 and isinstance(meaningful[0], cst.Raise):
        return "raises"
    return "ok"


def _is_filler(statement: cst.BaseSmallStatement) -> bool:
    if isinstance(statement, cst.Pass):
        return True
    return isinstance(statement, cst.Expr) and isinstance(
        statement.value, (cst.SimpleString, cst.ConcatenatedString, cst.Ellipsis)
    )


class RevisionSource:
    """One revision file parsed with libcst: its ``upgrade()``/``downgrade()`` functions and their op calls."""

    def __init__(self, path: Path, text: str | None = None) -> None:
        self.path = path
        self.text = text if text is not None else path.read_text(encoding="utf-8")
        self.module = cst.parse_module(self.text)
        functions = {
            statement.name.value: statement
            for statement in self.module.body
            if isinstance(statement, cst.FunctionDef)
        }
        self.upgrade_def = functions.get("upgrade")
        self.downgrade_def = functions.get("downgrade")
        self.upgrade = self._collect(self.upgrade_def)
        self.downgrade = self._collect(self.downgrade_def)
        self.upgrade_connection_sql = self._connection_sql(self.upgrade_def)
        """SQL ``upgrade()`` runs through a connection rather than ``op.execute`` (``None``: not a literal)."""

    @staticmethod
    def _connection_sql(function: cst.FunctionDef | None) -> list[str | None]:
        if function is None:
            return []
        collector = _SqlCollector()
        walk(function.body, collector)
        return collector.found

    def _collect(self, function: cst.FunctionDef | None) -> list[OpCall]:
        if function is None:
            return []
        collector = _OpCollector(self)
        walk(function.body, collector)
        return collector.calls

    @property
    def upgrade_kind(self) -> BodyKind:
        return _body_kind(self.upgrade_def)

    @property
    def downgrade_kind(self) -> BodyKind:
        return _body_kind(self.downgrade_def)

    @cached_property
    def _positions(self) -> dict[cst.CSTNode, CodeRange]:
        wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
        return dict(wrapper.resolve(PositionProvider))

    def position(self, node: cst.CSTNode) -> tuple[int, int]:
        """1-based line and column of ``node`` (computed once per file, on first use)."""
        found = self._positions.get(node)
        if found is None:
            return (1, 1)
        return (found.start.line, found.start.column + 1)

    def location(self, node: cst.CSTNode | None) -> Location:
        """Where ``node`` is written in this file (its first line for ``None``: a function that is missing)."""
        line, column = self.position(node) if node is not None else (1, 1)
        return Location(str(self.path), line, column)

    @cached_property
    def _operations(self) -> tuple[tuple[Operation, ...], tuple[Operation, ...]]:
        return tuple(call.fact() for call in self.upgrade), tuple(call.fact() for call in self.downgrade)

    def facts(self, revision_id: str, down_revisions: tuple[str, ...]) -> RevisionFacts:
        """The revision as the per-revision rules see it (its operations translated once per file)."""
        upgrade, downgrade = self._operations
        return RevisionFacts(
            id=revision_id,
            path=str(self.path),
            down_revisions=down_revisions,
            upgrade=upgrade,
            downgrade=downgrade,
            upgrade_body=self.upgrade_kind,
            downgrade_body=self.downgrade_kind,
            connection_sql=tuple(Sql(sql, statements) for sql in self.upgrade_connection_sql),
            resolve_downgrade_location=partial(self.location, self.downgrade_def),
        )
