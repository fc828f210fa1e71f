"""SG3xx: SQLModel only — no raw SQLAlchemy declarative bases, declarative_base() factories or registry mappings.

A second declarative base means a second ``MetaData``: its tables are invisible to ``SQLModel.metadata``, to
Alembic's autogenerate, and to every rule that reads the models.
"""

from __future__ import annotations

from collections.abc import Iterator

from schema_guard.facts import SchemaFacts
from schema_guard.findings import Finding
from schema_guard.rules.base import FactRule, Invalid, RuleContext, Valid, register

FORBIDDEN_BASES = {
    "sqlalchemy.orm.DeclarativeBase",
    "sqlalchemy.orm.DeclarativeBaseNoMeta",
    "sqlalchemy.orm.MappedAsDataclass",
    "sqlalchemy.orm.decl_api.DeclarativeBase",
    "sqlalchemy.orm.decl_api.DeclarativeBaseNoMeta",
    "sqlalchemy.orm.decl_api.MappedAsDataclass",
}
DECLARATIVE_FACTORIES = (
    "sqlalchemy.orm.declarative_base",
    "sqlalchemy.ext.declarative.declarative_base",
    "sqlalchemy.orm.as_declarative",
    "sqlalchemy.ext.declarative.as_declarative",
    ".generate_base",
)
REGISTRY_MAPPINGS = (".map_imperatively", ".mapped", ".mapped_as_dataclass")

SQLMODEL_ONLY = (
    "The project's models are SQLModel classes: one metadata, one registry, pydantic validation and the "
    "Create/Read/Update schema pattern. A raw SQLAlchemy mapping keeps its tables in another `MetaData`, where "
    "Alembic autogenerate, `SQLModel.metadata.create_all` and schema-guard's metadata reader never see them."
)


@register
class DeclarativeBaseSubclass(FactRule):
    code = "SG301"
    name = "declarative-base-subclass"
    summary = "Class derives from SQLAlchemy `DeclarativeBase`/`DeclarativeBaseNoMeta`/`MappedAsDataclass`"
    rationale = SQLMODEL_ONLY
    how_to_fix = "Derive models from `sqlmodel.SQLModel` with `table=True` instead of a declarative base."
    readers = ("source", "metadata")
    examples = (
        Valid("""
import uuid

from sqlmodel import Field, SQLModel


class Subject(SQLModel, table=True):
    __table_args__ = {"info": {"schema_guard": {"shared": True}}}
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
"""),
        Invalid("""
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):  # expect: SG301
    pass
"""),
        Invalid("""
import sqlalchemy.orm as sao


class Base(sao.DeclarativeBase):  # expect: SG301
    pass
""", title="through a module alias"),
        Invalid("""
from sqlalchemy import orm


class Base(orm.MappedAsDataclass, orm.DeclarativeBase):  # expect: SG301
    pass
""", title="dataclass mapping"),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        for cls in facts.classes:
            forbidden = [base for base in cls.bases if base in FORBIDDEN_BASES]
            if forbidden:
                yield self.finding(
                    f"class '{cls.name}' derives from {forbidden[0].rsplit('.', 1)[-1]}; models must be SQLModel "
                    "classes",
                    cls.location, reader=facts.reader, detail=cls.name,
                )


@register
class DeclarativeBaseFactory(FactRule):
    code = "SG302"
    name = "declarative-base-factory"
    summary = "`declarative_base()`, `as_declarative` or `registry().generate_base()`"
    rationale = SQLMODEL_ONLY
    how_to_fix = "Remove the factory and derive models from `sqlmodel.SQLModel` with `table=True`."
    readers = ("source", "metadata")
    examples = (
        Invalid("""
from sqlalchemy.orm import declarative_base

Base = declarative_base()  # expect: SG302
"""),
        Invalid("""
from sqlalchemy.ext.declarative import declarative_base as make_base

Base = make_base()  # expect: SG302
""", title="legacy import, aliased"),
        Invalid("""
from sqlalchemy.orm import registry

Base = registry().generate_base()  # expect: SG302
"""),
        Valid("""
from sqlmodel import SQLModel


class Base(SQLModel):
    pass
"""),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        for call in facts.mapping_calls:
            if call.qualified_name.endswith(DECLARATIVE_FACTORIES):
                yield self.finding(
                    f"`{call.qualified_name.rsplit('.', 1)[-1]}` creates a SQLAlchemy declarative base outside "
                    "SQLModel",
                    call.location, reader=facts.reader, detail=call.target or call.qualified_name,
                )


@register
class RegistryMapping(FactRule):
    code = "SG303"
    name = "registry-mapping"
    summary = "Imperative or registry mapping (`map_imperatively`, `@reg.mapped`) outside SQLModel"
    rationale = SQLMODEL_ONLY
    how_to_fix = "Turn the mapped class into a `SQLModel` class with `table=True`."
    readers = ("source", "metadata")
    examples = (
        Invalid("""
from sqlalchemy import Column, Integer, MetaData, Table
from sqlalchemy.orm import registry

mapper_registry = registry()
legacy = Table("legacy", MetaData(), Column("id", Integer, primary_key=True))


class Legacy:
    pass


mapper_registry.map_imperatively(Legacy, legacy)  # expect: SG303
"""),
        Invalid("""
from sqlalchemy import Column, Integer
from sqlalchemy.orm import registry

mapper_registry = registry()


@mapper_registry.mapped  # expect: SG303
class Legacy:
    __tablename__ = "legacy"
    id = Column(Integer, primary_key=True)
"""),
        Valid("""
import uuid

from sqlmodel import Field, SQLModel


class Legacy(SQLModel, table=True):
    __table_args__ = {"info": {"schema_guard": {"shared": True}}}
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
"""),
    )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        for call in facts.mapping_calls:
            if call.qualified_name.endswith(REGISTRY_MAPPINGS):
                yield self.finding(
                    f"`{call.qualified_name.rsplit('.', 1)[-1]}` maps a class with a SQLAlchemy registry outside "
                    "SQLModel",
                    call.location, reader=facts.reader, detail=call.target or call.qualified_name,
                )
