"""Reference data every organization shares: the ticket categories offered out of the box."""

import uuid

from sqlmodel import Field, SQLModel


class Category(SQLModel, table=True):
    __tablename__ = "categories"
    __table_args__ = {"info": {"schema_guard": {"shared": True}}}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=80, unique=True)
