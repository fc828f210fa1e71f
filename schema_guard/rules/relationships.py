"""SG4xx — relationships and foreign keys that point at each other, and at things that exist.

Each rule reads :class:`~schema_guard.facts.RelationshipFact`/``ForeignKeyFact`` and stays silent about a class or
table it cannot see (defined outside the checked files and their context), so a partial check never guesses.
"""

from __future__ import annotations

from collections.abc import Iterator

from schema_guard.facts import ForeignKeyFact, RelationshipFact, SchemaFacts, TableFact
from schema_guard.findings import Finding
from schema_guard.rules.base import FactRule, Invalid, RuleContext, Valid, register
from schema_guard.schema_view import RelationshipIndex, SchemaView
from schema_guard.suggestions import Suggestions

_STUDENTS = '''
import uuid
from typing import Optional

from sqlmodel import Field, Relationship, SQLModel


class Student(SQLModel, table=True):
    __tablename__ = "students"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str
'''
"""The anchor table every example starts from."""


def _same_join(one: RelationshipFact, other: RelationshipFact, view: SchemaView) -> bool:
    """Whether two relationships may be the two sides of one join: not when both name their foreign keys and
    those differ (``FlowRun.state`` over ``state_id`` is not the other side of ``State.flow_run``), nor when one
    joins over columns of its own table (many-to-one) while the other's table has a foreign key back to that table
    (it is many-to-one over that key too: ``Project.stable_priority`` over ``project.stable_priority_id`` is not
    the other side of ``Priority.project`` over ``priority.project_id``)."""
    if one.join_columns and other.join_columns:
        return one.join_columns == other.join_columns
    known, unknown = (one, other) if one.join_columns else (other, one)
    if not known.join_columns or known.owner_table is None or unknown.owner_table is None:
        return True
    owner, target = view.table(known.owner_table), view.table(unknown.owner_table)
    if owner is None or target is None or owner is target:
        return True
    many_to_one = all(owner.column(c) is not None and target.column(c) is None for c in known.join_columns)
    return not (many_to_one and any(_table_name(fk.target_table) == owner.name for fk in target.foreign_keys))


def _where(relationship: RelationshipFact) -> str:
    return f"{relationship.owner_class}.{relationship.attribute}"


def _table_name(name: str) -> str:
    """``schema.table`` → ``table``: foreign keys may be schema-qualified, table facts are not."""
    return name.rsplit(".", 1)[-1]


@register
class RelationshipWithoutBackPopulates(FactRule):
    """Both sides of a relationship should name each other with ``back_populates``."""

    code = "SG401"
    name = "relationship-without-back-populates"
    summary = "`Relationship()` without `back_populates` while the other model has the opposite side"
    rationale = (
        "Without `back_populates` the two sides of a relationship are independent attributes: appending a row to "
        "`student.essays` does not set `essay.student` until the session is flushed and reloaded, so code reads "
        "stale, contradictory objects. SQLModel's documentation always pairs them. A one-way relationship (the "
        "other model has no relationship back), a `backref=` (SQLAlchemy makes the other side) and a "
        "`viewonly=True` view have nothing to keep in sync and are not reported."
    )
    how_to_fix = "Add `back_populates=\"<attribute on the other model>\"` on both sides."
    readers = ("source", "metadata")
    examples = (
        Valid(
            _STUDENTS
            + '''    essays: list["Essay"] = Relationship(back_populates="student")


class Essay(SQLModel, table=True):
    __tablename__ = "essays"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    student: Optional[Student] = Relationship(back_populates="essays")
''',
        ),
        Valid(
            _STUDENTS
            + '''

class Essay(SQLModel, table=True):
    __tablename__ = "essays"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    student: Optional[Student] = Relationship()
''',
            title="a one-way relationship",
        ),
        Valid(
            '''
import uuid
from typing import Optional

from sqlalchemy import ForeignKey
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Student(Base):
    __tablename__ = "students"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    best_essay_id: Mapped[Optional[uuid.UUID]] = mapped_column(nullable=True)
    best_essay: Mapped[Optional["Essay"]] = relationship(
        foreign_keys=[best_essay_id], primaryjoin="Essay.id == Student.best_essay_id"
    )


class Essay(Base):
    __tablename__ = "essays"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id"), index=True)
    student: Mapped[Student] = relationship()
''',
            title="two one-way relationships over different keys",
        ),
        Invalid(
            _STUDENTS
            + '''    essays: list["Essay"] = Relationship()  # expect: SG401


class Essay(SQLModel, table=True):
    __tablename__ = "essays"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    student: Optional[Student] = Relationship()  # expect: SG401
''',
        ),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        index = context.view.relationships
        for relationship in facts.relationships:
            if relationship.back_populates is not None or relationship.backref or relationship.viewonly:
                continue
            target = relationship.target_class or "the target model"
            candidates = [
                other for other in index.pointing_back(relationship)
                if other.back_populates in (None, relationship.attribute)
                and not (other.backref or other.viewonly or other.opaque)
                and _same_join(relationship, other, context.view)
            ]
            if not candidates or relationship.opaque:
                continue  # one-way (or the other side is paired elsewhere): nothing to keep in sync
            other = candidates[0]
            if len(candidates) == 1 and other.back_populates == relationship.attribute:
                advice = (
                    f'add back_populates="{other.attribute}" here ({target}.{other.attribute} already names this '
                    "side; SQLAlchemy keeps a pair in sync only when both sides name each other)"
                )
            elif len(candidates) == 1:
                advice = (
                    f'add back_populates="{other.attribute}" here and '
                    f'back_populates="{relationship.attribute}" on {target}.{other.attribute}'
                )
            else:
                names = ", ".join(f"{target}.{c.attribute}" for c in candidates)
                advice = f"name the one of {names} that is its other side with back_populates= on both"
            yield self.finding(
                f"{_where(relationship)} has no back_populates although {target}.{other.attribute} relates back "
                f"to {relationship.owner_class}, so the two are not kept in sync in the session; {advice}",
                relationship.location,
                reader=facts.reader,
                table=relationship.owner_table,
                detail=relationship.attribute,
            )


@register
class BackPopulatesMismatch(FactRule):
    """``back_populates`` must name a relationship on the target model that points back at this one."""

    code = "SG402"
    name = "back-populates-mismatch"
    summary = "`back_populates` names a missing attribute, or the two sides do not point at each other"
    rationale = (
        "SQLAlchemy resolves `back_populates` only when mappers are configured — at the first query, not at "
        "import — and then fails with `Mapper has no property '...'`, or, when the two sides name different "
        "partners, silently keeps the wrong pair of attributes in sync."
    )
    how_to_fix = (
        "Name the attribute of the other model's `Relationship()`, and make that one name this attribute back."
    )
    readers = ("source", "metadata")
    examples = (
        Valid(
            _STUDENTS
            + '''    essays: list["Essay"] = Relationship(back_populates="author")


class Essay(SQLModel, table=True):
    __tablename__ = "essays"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    author: Optional[Student] = Relationship(back_populates="essays")
''',
        ),
        Invalid(
            _STUDENTS
            + '''    essays: list["Essay"] = Relationship(back_populates="student")  # expect: SG402


class Essay(SQLModel, table=True):
    __tablename__ = "essays"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    author: Optional[Student] = Relationship(back_populates="essays")  # expect: SG402
''',
            title="one side names an attribute the other model does not have",
        ),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        index = context.view.relationships
        for relationship in facts.relationships:
            target, name = relationship.target_class, relationship.back_populates
            if target is None or name is None or target not in index.known_classes or index.ambiguous(relationship):
                continue
            other = index.other_side(relationship)
            if other is None and (index.maybe_hidden(relationship, name) or index.created_by_backref(relationship)):
                continue
            if other is None:
                message = f"back_populates=\"{name}\" but {target} has no relationship '{name}'"
                candidates = index.pointing_back(relationship)
                if candidates:
                    advice = f'did you mean back_populates="{candidates[0].attribute}"?'
                else:
                    advice = (
                        f"add `{name}: ... = Relationship(back_populates=\"{relationship.attribute}\")` to {target}"
                    )
            elif other.target_class is not None and index.target_key(other) not in (
                index.owner_key(relationship), None
            ):
                message = f'back_populates="{name}" but {target}.{name} points at {other.target_class}'
                advice = (
                    f"point both sides at each other, or name the relationship of {target} that targets "
                    f"{relationship.owner_class}"
                )
            elif other.back_populates not in (None, relationship.attribute):
                message = (
                    f'back_populates="{name}" but {target}.{name} has back_populates="{other.back_populates}"'
                )
                advice = f'make {target}.{name} say back_populates="{relationship.attribute}"'
            else:
                continue
            yield self.finding(
                f"{_where(relationship)}: {message}; {advice}",
                relationship.location,
                reader=facts.reader,
                table=relationship.owner_table,
                detail=relationship.attribute,
            )


@register
class ManyToManyWithoutLinkModel(FactRule):
    """A list on both sides (or a list whose target has no foreign key back) needs an association model."""

    code = "SG403"
    name = "many-to-many-without-link-model"
    summary = "many-to-many relationship without `link_model`"
    rationale = (
        "A many-to-many is stored in an association table. When both sides are lists and neither names "
        "`link_model=`, SQLAlchemy has no table to join through and fails when mappers are configured "
        "(`Could not determine join condition`), which is at the first query, not at import."
    )
    how_to_fix = (
        "Define the association model (a table whose primary key is the two foreign keys, plus the tenant column) "
        "and pass it as `link_model=` on both sides."
    )
    readers = ("source", "metadata")
    examples = (
        Valid(
            """
import uuid

from sqlmodel import Field, Relationship, SQLModel


class Membership(SQLModel, table=True):
    __tablename__ = "memberships"

    student_id: uuid.UUID = Field(foreign_key="students.id", primary_key=True)
    club_id: uuid.UUID = Field(foreign_key="clubs.id", primary_key=True)


class Student(SQLModel, table=True):
    __tablename__ = "students"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    clubs: list["Club"] = Relationship(back_populates="members", link_model=Membership)


class Club(SQLModel, table=True):
    __tablename__ = "clubs"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    members: list[Student] = Relationship(back_populates="clubs", link_model=Membership)
""",
        ),
        Invalid(
            _STUDENTS
            + '''    clubs: list["Club"] = Relationship(back_populates="members")  # expect: SG403


class Club(SQLModel, table=True):
    __tablename__ = "clubs"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    members: list[Student] = Relationship(back_populates="clubs")  # expect: SG403
''',
        ),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        index = context.view.relationships
        for relationship in facts.relationships:
            if relationship.is_list is not True or relationship.link_model is not None or relationship.viewonly:
                continue
            if relationship.opaque:
                continue
            if index.ambiguous(relationship):
                continue
            other = index.other_side(relationship)
            target = relationship.target_class
            if other is not None and other.is_list is True:
                reason = f"{target}.{other.attribute} is a list too"
            elif other is None and self._no_foreign_key_back(relationship, index):
                reason = f"{target} has no foreign key to {relationship.owner_table}"
            else:
                continue
            yield self.finding(
                f"{_where(relationship)} is a list of {target} and {reason}: a many-to-many needs "
                f"link_model=<association model> (a table with foreign keys to both sides) on both sides",
                relationship.location,
                reader=facts.reader,
                table=relationship.owner_table,
                detail=relationship.attribute,
            )

    @staticmethod
    def _no_foreign_key_back(relationship: RelationshipFact, index: RelationshipIndex) -> bool:
        target = index.table_of(relationship.target_class, relationship.target_module, relationship.owner_module)
        owner = index.tables.get(index.owner_key(relationship))
        if target is None or relationship.owner_table is None:
            return False
        if target.incomplete or (owner is not None and owner.incomplete):
            return False  # a foreign key (or the owner's real table name) may be where the reader cannot see
        return not any(_table_name(fk.target_table) == relationship.owner_table for fk in target.foreign_keys)


@register
class ForeignKeyTargetMissing(FactRule):
    """``foreign_key="table.column"`` names a table by its table name, which must exist with that column."""

    code = "SG404"
    name = "foreign-key-target-missing"
    summary = "`foreign_key=\"t.c\"` names a table or column that does not exist"
    rationale = (
        "SQLAlchemy resolves foreign-key strings late: a wrong name imports fine and then fails at "
        "`create_all`, at Alembic autogenerate or at the first join (`NoReferencedTableError`). The usual cause "
        "is using the class name, or forgetting that SQLModel's default table name is the class name "
        "lower-cased (`Student` → `student`, not `students`)."
    )
    how_to_fix = "Use the referenced model's `__tablename__` and column name: `foreign_key=\"students.id\"`."
    readers = ("source", "metadata")
    examples = (
        Valid(
            _STUDENTS
            + '''

class Essay(SQLModel, table=True):
    __tablename__ = "essays"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
''',
        ),
        Invalid(
            _STUDENTS
            + '''

class Essay(SQLModel, table=True):
    __tablename__ = "essays"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="student.id", index=True)  # expect: SG404
    reviewer_id: uuid.UUID = Field(foreign_key="students.uuid")  # expect: SG404
''',
        ),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        names = facts.table_names()
        short_names = names | {_table_name(name) for name in names if "." in name}  # a lookup is never dotted
        tables = {t.name: t for t in facts.tables}
        columns = {t.name: {c.name for c in t.columns} for t in facts.tables}
        suggest = _Suggesters(names, columns)
        for table in facts.tables:
            for fk in table.foreign_keys:
                message = self._problem(fk, table, names, short_names, tables, columns, suggest)
                if message is None:
                    continue
                yield self.finding(
                    message,
                    fk.location,
                    reader=facts.reader,
                    table=table.name,
                    column=fk.columns[0] if len(fk.columns) == 1 else None,
                    detail=", ".join(f"{fk.target_table}.{c}" for c in fk.target_columns),
                )

    @staticmethod
    def _problem(
        fk: ForeignKeyFact,
        table: TableFact,
        names: set[str],
        short_names: set[str],
        tables: dict[str, TableFact],
        columns: dict[str, set[str]],
        suggest: _Suggesters,
    ) -> str | None:
        """What is wrong with one foreign key's target, ``None`` when it exists (or cannot be seen)."""
        written = ", ".join(f"{fk.target_table}.{c}" for c in fk.target_columns)
        where = f"{table.class_name or table.name}.{', '.join(fk.columns)}"
        if not fk.target_table:
            return f'{where}: foreign_key="{written}" must be "table.column"'
        if fk.target_table not in names and _table_name(fk.target_table) not in short_names:
            return (
                f"{where}: foreign key to \"{written}\" names table '{fk.target_table}', which no model "
                f"defines{suggest.tables.hint(fk.target_table)}; use the referenced model's __tablename__"
            )
        target = tables.get(fk.target_table) or tables.get(_table_name(fk.target_table))
        missing = [c for c in fk.target_columns if target is not None and c not in columns[target.name]]
        if target is None or not missing or target.incomplete:
            return None
        return (
            f"{where}: foreign key to \"{written}\" names column '{missing[0]}', which "
            f"{target.name} does not have{suggest.columns(target.name).hint(missing[0])}"
        )


class _Suggesters:
    """"Did you mean" for table names (indexed once per check, not once per foreign key) and for each table's
    columns (indexed when a foreign key first names a missing one)."""

    def __init__(self, tables: set[str], columns: dict[str, set[str]]) -> None:
        self.tables = Suggestions(tables)
        self._columns = columns
        self._by_table: dict[str, Suggestions] = {}

    def columns(self, table: str) -> Suggestions:
        if table not in self._by_table:
            self._by_table[table] = Suggestions(self._columns[table])
        return self._by_table[table]


@register
class RelationshipWithoutForeignKeyPath(FactRule):
    """A relationship needs a foreign key between the two tables (or an association table) to join on."""

    code = "SG405"
    name = "relationship-without-foreign-key-path"
    summary = "relationship with no foreign-key path (mapper configuration would fail)"
    rationale = (
        "SQLAlchemy works out a relationship's join from the foreign keys between the two tables. With none, "
        "mapper configuration fails (`Could not determine join condition between parent/child tables`) at the "
        "first query of *any* model, taking the whole application down. Only the imported models can show it."
    )
    how_to_fix = (
        "Add a `foreign_key=` column on the \"many\" side pointing at the other table, or a `link_model=` for a "
        "many-to-many."
    )
    readers = ("metadata",)
    examples = (
        Valid(
            _STUDENTS
            + '''    essays: list["Essay"] = Relationship(back_populates="student")


class Essay(SQLModel, table=True):
    __tablename__ = "essays"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    student: Optional[Student] = Relationship(back_populates="essays")
''',
            readers=("metadata",),
        ),
        Invalid(
            _STUDENTS
            + '''    essays: list["Essay"] = Relationship()  # expect: SG405


class Essay(SQLModel, table=True):
    __tablename__ = "essays"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    author_id: uuid.UUID = Field(index=True)
''',
            readers=("metadata",),
        ),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        for relationship in facts.relationships:
            if not relationship.mapper_error:
                continue
            target = relationship.target_class or "the target model"
            yield self.finding(
                f"{_where(relationship)}: SQLAlchemy cannot configure this relationship "
                f"({relationship.mapper_error}); add a foreign key between {relationship.owner_table} and "
                f"{target}'s table, or link_model= for a many-to-many",
                relationship.location,
                reader=facts.reader,
                table=relationship.owner_table,
                detail=relationship.attribute,
            )


@register
class DuplicateTableName(FactRule):
    """Two classes (or ``Table`` objects) name the same table."""

    code = "SG406"
    name = "duplicate-table-name"
    summary = "two models define the same table name"
    rationale = (
        "In one `MetaData` SQLAlchemy refuses the second definition at import (`Table 'x' is already defined`); in "
        "two (two declarative bases, or files imported in different processes) both import and the last `create_all` "
        "or migration wins, while foreign keys, relationships and queries silently use whichever class they reach. "
        "Either way the schema is not what one of the two files says."
    )
    how_to_fix = "Give one of the two models another `__tablename__`, or delete the copy that is not used."
    readers = ("source", "metadata")
    examples = (
        Valid(
            _STUDENTS
            + '''

class Guardian(SQLModel, table=True):
    __tablename__ = "guardians"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
''',
        ),
        Invalid(
            _STUDENTS
            + '''

from sqlalchemy import Column, Uuid
from sqlalchemy.orm import DeclarativeBase


class LegacyBase(DeclarativeBase):
    pass


class LegacyStudent(LegacyBase):  # expect: SG406
    __tablename__ = "students"

    id = Column(Uuid, primary_key=True, default=uuid.uuid4)
''',
            title="a second base maps the same table",
        ),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        by_name: dict[tuple[str | None, str], list[TableFact]] = {}
        for table in facts.tables:
            by_name.setdefault((table.schema, table.name), []).append(table)
        for (_, name), tables in by_name.items():
            if len(tables) < 2:
                continue
            tables = sorted(tables, key=lambda t: (t.location.path or "", t.location.line or 0))
            first = tables[0]
            for table in tables[1:]:
                yield self.finding(
                    f"{_definer(table)} defines table '{name}', which {_definer(first)} at {first.location} "
                    "already defines; one of them is not the table the database has",
                    table.location, reader=facts.reader, table=name,
                    detail=f"{table.location.path}:{table.location.line}",
                )


def _definer(table: TableFact) -> str:
    return f"class {table.class_name}" if table.class_name else f"the Table('{table.name}') object"
