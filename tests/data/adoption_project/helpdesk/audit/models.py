"""An append-only log of what agents did."""

import uuid
from datetime import datetime

from sqlalchemy import DateTime
from sqlmodel import Field, SQLModel

from helpdesk.core.time import utc_now


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    actor_id: uuid.UUID = Field(foreign_key="users.id", index=True)
    action: str = Field(max_length=60)
    happened_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True), nullable=False)
