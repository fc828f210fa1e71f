"""The nightly reporting job's own base, from before the move to SQLModel. Scheduled for removal."""

from sqlalchemy.orm import declarative_base

ReportingBase = declarative_base()
