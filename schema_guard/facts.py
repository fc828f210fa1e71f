"""Neutral schema facts: what every reader produces and every rule consumes.

Rules never see libcst nodes, SQLAlchemy objects or database rows. Each reader (source, metadata, database)
translates what it reads into these plain dataclasses, so one rule fires the same way from every reader.

Conventions every reader follows, so rules need to look in one place only:
* column-level ``index=True`` / ``unique=True`` / ``foreign_key=`` are materialised as table-level
  :class:`IndexFact` / :class:`UniqueFact` / :class:`ForeignKeyFact` (located at the column);
* a primary key or unique constraint is *not* repeated as an index (rules that accept "some index" check all three);
* type names are normalised upper-case SQL names (see :func:`normalise_type_name`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from schema_guard.findings import Finding
from schema_guard.location import Location

__all__ = [
    "ClassFact", "ColumnFact", "FieldSyntax", "ForeignKeyFact", "IndexFact", "Location", "MappingCallFact",
    "ReaderName", "RelationshipFact", "SchemaFacts", "TableFact", "UniqueFact", "normalise_type_name",
]

ReaderName = Literal["source", "metadata", "database", "migrations", "runtime"]


@dataclass(frozen=True)
class FieldSyntax:
    """How a field was written in Python source. Only the source reader can see this; rules about *spelling*
    (SG501-SG503, SG506, SG507) read it and stay silent where it is ``None``."""

    annotation: str | None
    """The annotation as written (``"Optional[UUID]"``), ``None`` when the attribute has none (SG506)."""
    annotation_optional: bool | None = None
    """``Optional[X]``, ``X | None`` or ``Union[X, None]``; ``None`` when there is no annotation."""
    uses_sa_column: bool = False
    sa_column_conflicts: tuple[str, ...] = ()
    """``Field()`` keywords that SQLModel refuses next to ``sa_column=`` (SG501)."""
    unknown_column_kwargs: tuple[str, ...] = ()
    """``sa_column_kwargs`` keys that ``sqlalchemy.Column`` does not accept (SG502)."""
    mutable_default: str | None = None
    """The literal text of a mutable ``default=`` (``"[]"``, ``"{}"``), SG503."""
    explicit_nullable: bool | None = None
    """The value of an explicit ``nullable=`` keyword, ``None`` when not given."""
    opaque: bool = False
    """The source reader could not see all of what defines this column: the attribute's value is a call it does not
    understand (``student_id: uuid.UUID = tenant_field()``, a helper returning ``Field(...)``), or the model's
    ``__tablename__``/``__table_args__`` is computed (``@declared_attr``). The column's keys, index, foreign keys,
    nullability and default — and its table's name, constraints and scope — may be more than the facts say, so
    rules that conclude from something being *absent* stay silent about this column and its table."""
    sqlalchemy: bool = False
    """Declared the plain SQLAlchemy way (``Column``/``mapped_column``/``Mapped[...]`` on a declarative class), not
    through SQLModel: pydantic's rules about fields (SG506) and ``Field()`` spellings do not apply."""


@dataclass(frozen=True)
class ColumnFact:
    """One column of one table."""

    name: str
    type: str
    """Normalised SQL type name: ``UUID``, ``INTEGER``, ``BIGINT``, ``VARCHAR``, ``TEXT``, ``BOOLEAN``, ``TIMESTAMP``,
    ``DATE``, ``JSON``, ``JSONB``, ``ARRAY``, ``NUMERIC``, ``FLOAT``, ``ENUM``..., or ``UNKNOWN``."""
    nullable: bool | None
    """``None`` where the reader cannot decide."""
    location: Location = field(default_factory=Location)
    python_default: str | None = None
    """Qualified name of a default callable (``"uuid.uuid4"``, ``"datetime.datetime.utcnow"``) or ``"<literal>"``."""
    server_default: str | None = None
    """The server default's SQL text, e.g. ``"gen_random_uuid()"``."""
    timezone: bool | None = None
    """For ``TIMESTAMP`` columns: whether it is ``WITH TIME ZONE``; ``None`` for other types or unknown."""
    attribute: str | None = None
    """The Python attribute name on the model class, where it differs from or is known besides ``name``."""
    syntax: FieldSyntax | None = None
    defined_in: str | None = None
    """The class whose body writes the field (a mixin or base class for an inherited column), where known."""

    @property
    def has_default(self) -> bool:
        return self.python_default is not None or self.server_default is not None

    @property
    def opaque(self) -> bool:
        """The source reader could not see all that defines this column (:attr:`FieldSyntax.opaque`): a helper call
        such as ``tenant_field()``, or a computed ``__tablename__``/``__table_args__``.

        The reader leaves unknown what the call may decide (nullability, default, time zone are ``None``), so rules
        about those stay silent by themselves; rules that conclude from an *absent* key, index, foreign key, column
        or relationship ask this (or :attr:`TableFact.incomplete`) before they do."""
        return self.syntax is not None and self.syntax.opaque


@dataclass(frozen=True)
class IndexFact:
    name: str | None
    columns: tuple[str, ...]
    """Column names in index order; expressions are given as their SQL text."""
    unique: bool = False
    location: Location = field(default_factory=Location)


@dataclass(frozen=True)
class UniqueFact:
    name: str | None
    columns: tuple[str, ...]
    location: Location = field(default_factory=Location)


@dataclass(frozen=True)
class ForeignKeyFact:
    columns: tuple[str, ...]
    target_table: str
    target_columns: tuple[str, ...]
    name: str | None = None
    location: Location = field(default_factory=Location)


@dataclass
class TableFact:
    """A table, as a model class or a database table."""

    name: str
    columns: list[ColumnFact] = field(default_factory=list)
    primary_key: tuple[str, ...] = ()
    indexes: list[IndexFact] = field(default_factory=list)
    uniques: list[UniqueFact] = field(default_factory=list)
    foreign_keys: list[ForeignKeyFact] = field(default_factory=list)
    location: Location = field(default_factory=Location)
    class_name: str | None = None
    declared_shared: bool = False
    """The model declares itself shared reference data: ``__table_args__ = {"info": {"schema_guard": {"shared": True}}}``."""
    module: str | None = None
    """The dotted module the class (or ``Table(...)``) is defined in: two classes of one name are told apart by it."""
    schema: str | None = None
    """The database schema (``__table_args__ = {"schema": "audit"}``); ``None`` for the default one."""
    name_known: bool = True
    """False when the name is computed where the source reader cannot follow (a base's ``__init_subclass__``): the
    reader cannot tell whether the table is the anchor or a shared table, so it is judged tenant-scoped by no rule."""
    opaque: bool = False
    """The source reader could not see all of the table (a base class from another package, a computed name or
    ``__table_args__``): like an opaque column, its keys, columns and scope are a lower bound."""

    def column(self, name: str) -> ColumnFact | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def incomplete(self) -> bool:
        """The reader could not see all of the table or of one of its columns (:attr:`opaque`,
        :attr:`ColumnFact.opaque`): its keys, indexes, foreign keys, columns and scope are only a lower bound."""
        return self.opaque or any(column.opaque for column in self.columns)

    def foreign_keys_of(self, column: str) -> list[ForeignKeyFact]:
        return [fk for fk in self.foreign_keys if column in fk.columns]

    def leading_index_columns(self) -> set[str]:
        """First column of every index, primary key and unique constraint (PostgreSQL backs the last two with one)."""
        leads = {ix.columns[0] for ix in self.indexes if ix.columns}
        leads |= {u.columns[0] for u in self.uniques if u.columns}
        if self.primary_key:
            leads.add(self.primary_key[0])
        return leads


@dataclass(frozen=True)
class ClassFact:
    """A class in the checked code that takes part in ORM mapping (SG301/SG303)."""

    name: str
    bases: tuple[str, ...]
    """Qualified names of the direct bases, resolved through imports (``"sqlalchemy.orm.DeclarativeBase"``)."""
    is_table: bool = False
    location: Location = field(default_factory=Location)


@dataclass(frozen=True)
class MappingCallFact:
    """A call or decorator that builds SQLAlchemy mappings outside SQLModel (``declarative_base()``,
    ``registry.map_imperatively``, ``@registry.mapped``), by the qualified name it resolves to."""

    qualified_name: str
    location: Location = field(default_factory=Location)
    target: str | None = None
    """The class it maps, by name: the decorated class, or ``map_imperatively``'s first argument; ``None`` for a
    factory (``declarative_base()``) or where the reader cannot tell."""


@dataclass(frozen=True)
class RelationshipFact:
    owner_class: str
    attribute: str
    target_class: str | None
    back_populates: str | None = None
    link_model: str | None = None
    is_list: bool | None = None
    """``list["X"]`` annotation (the "many" side); ``None`` when unknown."""
    owner_table: str | None = None
    location: Location = field(default_factory=Location)
    mapper_error: str | None = None
    """Set by the metadata reader when SQLAlchemy cannot configure this relationship (SG405)."""
    backref: str | None = None
    """``backref="x"``: SQLAlchemy creates the other side (``Target.x``) itself, already paired with this one."""
    viewonly: bool = False
    """``viewonly=True``: a read-only view of a join, never written through, so there is no other side to sync."""
    join_columns: tuple[str, ...] = ()
    """The foreign-key columns it joins on (``foreign_keys=[...]``, or what SQLAlchemy worked out), by column name;
    empty when unknown. Two relationships on different foreign keys are not two sides of one."""
    opaque: bool = False
    """Some of its keywords are where the source reader cannot see them (``relationship("X", **common)``): its
    ``back_populates``, ``secondary`` and ``viewonly`` may be set, so rules about their absence stay silent."""
    owner_module: str | None = None
    target_module: str | None = None
    """The dotted module of the target class where the reader can tell (an import, the same module, the mapper);
    ``None`` when only its name is known."""


@dataclass(frozen=True)
class RowLink:
    """A predicate that compares an attribute of the statement's class with an attribute of a row an earlier
    statement of the same function loaded (``Answer.exam_id == exam.id`` after ``exam = session.exec(...).one()``).

    It scopes the statement transitively when the two attributes are the ends of a foreign key (or the same primary
    key) and the row's own load was scoped: the reader records what that load pinned, the rule decides."""

    attribute: str
    """The attribute of the statement's class."""
    row_model: str
    """The class of the loaded row."""
    row_attribute: str
    """The attribute read on the row."""
    row_kind: str
    """How the row was loaded: the kind of its statement (``get`` for ``session.get`` with later checks)."""
    row_pinned: frozenset[str] = frozenset()
    """What every path of the row's load pins on ``row_model`` (for ``get``, the attributes the function compares
    on the row; for a statement, its predicates and the ownership checks on its result)."""
    row_opaque: bool = False
    """The row's load is filtered by something the reader cannot follow."""
    row_links: tuple[RowLink, ...] = ()
    """The row's own load reached through an earlier row."""


@dataclass(frozen=True)
class QueryFact:
    """A statement application code builds on one mapped class (``select``, ``update``, ``delete``, the legacy
    ``session.query``, ``session.get``), read from source, with what every path to its execution filters (SG702).

    One fact per class the statement reads or writes: ``select(Attempt).join(Exam)`` gives one for each."""

    model: str
    """The mapped class, by name."""
    kind: str
    """``select``, ``update``, ``delete``, ``query`` (the legacy ``Query`` API) or ``get`` (``session.get``)."""
    pinned: frozenset[str]
    """Attributes of ``model`` that every path to the execution compares with one value (``Exam.student_id ==
    x``, ``filter_by(student_id=x)``, an equality with a pinned column of another class); for ``get``, the
    attributes the function compares on the loaded object (the ownership check)."""
    location: Location = field(default_factory=Location)
    """The call that starts the statement."""
    opaque: bool = False
    """Something the reader cannot follow may filter it (a condition built by a helper, ``with_loader_criteria``):
    rules stay silent."""
    function: str = ""
    """The function it is built in (``""`` at module level), which tells apart findings about one table."""
    links: tuple[RowLink, ...] = ()
    """Predicates on ``model`` that compare it with a row loaded earlier in the function (every path has them)."""
    subquery_column: str | None = None
    """For a subquery inside another statement's condition that selects one column of ``model`` (``Exam.student_id
    .in_(select(Enrolment.student_id).where(...))``), that column's attribute."""


@dataclass(frozen=True)
class ApiModelUseFact:
    """A class used by a web route (FastAPI's ``@router.post(...)``): as a request body or as the response model
    (SG703, SG704)."""

    model: str
    """The class, by name."""
    use: Literal["body", "response"]
    location: Location = field(default_factory=Location)
    """The parameter annotation or the ``response_model=`` argument."""
    fields: tuple[tuple[str, Location], ...] = ()
    """The class's annotated fields with their lines, its bases' included (resolvable ones only)."""
    function: str = ""
    """The route function."""
    table_model: bool = False
    """The class itself is a table model (``table=True``); a schema class may share a table model's name."""


@dataclass(frozen=True)
class SessionFilterFact:
    """A ``do_orm_execute`` listener that rewrites the statements a session runs (``orm_execute_state.statement =
    ...``, ``with_loader_criteria``): the session-wide tenant filter some projects install instead of filtering
    each query. Statements it covers are not judged by SG702 when it names the tenant column."""

    names: frozenset[str]
    """Every name, attribute and string the listener's body mentions (``table.c.tenant_id`` gives ``tenant_id``)."""
    selects_only: bool
    """The listener returns early for anything but a SELECT (it tests ``is_select``)."""
    location: Location = field(default_factory=Location)


@dataclass
class SchemaFacts:
    """Everything one reader learned, plus the problems that stopped it reading part of the input."""

    reader: ReaderName
    tables: list[TableFact] = field(default_factory=list)
    classes: list[ClassFact] = field(default_factory=list)
    relationships: list[RelationshipFact] = field(default_factory=list)
    mapping_calls: list[MappingCallFact] = field(default_factory=list)
    queries: list[QueryFact] = field(default_factory=list)
    """Statements in application code (source reader only)."""
    api_models: list[ApiModelUseFact] = field(default_factory=list)
    session_filters: list[SessionFilterFact] = field(default_factory=list)
    """Session-wide statement filters in application code (source reader only)."""
    """Classes used as request bodies and response models of web routes (source reader only)."""
    application_models: SchemaFacts | None = None
    """A partial check (pre-commit passes only the changed files): the checked files' models joined with those of
    the rest of ``src``, which the application code in the checked files was read and is judged against (SG702).
    Only application rules look at it; ``None`` when every file is checked."""
    known_tables: set[str] = field(default_factory=set)
    """Table names that exist outside the checked files (for SG404 when only some files are checked), and foreign-key
    targets the source reader trusts while some table's name is computed and so unknown to it."""
    unnamed_tables: bool = False
    """Some table's name is computed where the reader cannot follow (a base's ``__init_subclass__``, a name built at
    run time): names in the configuration cannot be checked against this reader's tables."""
    problems: list[Finding] = field(default_factory=list)
    """Fatal findings for input the reader could not read (a file that does not parse, a module that fails to
    import); everything else is still read."""

    def table(self, name: str) -> TableFact | None:
        """The first table of that name (a scan: rules ask the indexed :meth:`SchemaView.table
        <schema_guard.schema_view.SchemaView.table>`)."""
        return next((t for t in self.tables if t.name == name), None)

    def table_names(self) -> set[str]:
        return {t.name for t in self.tables} | self.known_tables


_TYPE_ALIASES = {
    "UUID": "UUID",
    "UUIDTYPE": "UUID",
    "GUID": "UUID",
    "AUTOSTRING": "VARCHAR",
    "STRING": "VARCHAR",
    "UNICODE": "VARCHAR",
    "CHARACTER VARYING": "VARCHAR",
    "UNICODETEXT": "TEXT",
    "INT": "INTEGER",
    "INT4": "INTEGER",
    "INT8": "BIGINT",
    "BIGINTEGER": "BIGINT",
    "SMALLINTEGER": "SMALLINT",
    "BOOL": "BOOLEAN",
    "DATETIME": "TIMESTAMP",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP",
    "TIMESTAMP WITHOUT TIME ZONE": "TIMESTAMP",
    "TIMESTAMPTZ": "TIMESTAMP",
    "DOUBLE PRECISION": "FLOAT",
    "DOUBLE": "FLOAT",
    "REAL": "FLOAT",
    "DECIMAL": "NUMERIC",
}


def normalise_type_name(raw: str) -> str:
    """Map the many spellings of a SQL type (SQLAlchemy class names, PostgreSQL names) to one upper-case name."""
    name = raw.strip().upper().split("(")[0].strip()
    if name.endswith("[]"):
        return "ARRAY"
    return _TYPE_ALIASES.get(name, name or "UNKNOWN")
