"""Tickets and their comments."""

import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import DateTime
from sqlmodel import Field, Relationship, SQLModel

from helpdesk.core.time import utc_now


class Ticket(SQLModel, table=True):
    __tablename__ = "tickets"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organization_id: uuid.UUID = Field(foreign_key="organizations.id", index=True, ondelete="CASCADE")
    category_id: Optional[uuid.UUID] = Field(default=None, foreign_key="categories.id", nullable=True)
    subject: str = Field(max_length=200)
    status: str = Field(default="open", max_length=20)
    opened_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True), nullable=False)

    comments: list["Comment"] = Relationship(back_populates="ticket")


class Comment(SQLModel, table=True):
    __tablename__ = "comments"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organization_id: uuid.UUID = Field(foreign_key="organizations.id", ondelete="CASCADE")
    ticket_id: uuid.UUID = Field(foreign_key="tickets.id", index=True)
    body: str
    written_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True), nullable=False)

    ticket: Optional[Ticket] = Relationship(back_populates="comments")
