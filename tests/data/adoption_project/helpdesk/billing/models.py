"""Plans (shared price list) and each organization's invoices."""

import uuid
from decimal import Decimal
from typing import Optional

from sqlmodel import Field, SQLModel


class Plan(SQLModel, table=True):
    __tablename__ = "plans"

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=40)
    monthly_price: Decimal = Field(max_digits=10, decimal_places=2)


class Invoice(SQLModel, table=True):
    __tablename__ = "invoices"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organization_id: Optional[uuid.UUID] = Field(default=None, foreign_key="organizations.id", index=True)
    plan_id: int = Field(foreign_key="plans.id")
    amount: Decimal = Field(max_digits=10, decimal_places=2)
