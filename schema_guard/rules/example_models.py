"""Building blocks for rule examples: the imports and the tenant anchor that most examples need.

Examples are complete model modules (the tests import them and parse them); these snippets keep each rule's
examples about the rule rather than about boilerplate.
"""

IMPORTS = """\
import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import Column, ForeignKey, Index, UniqueConstraint
from sqlmodel import Field, SQLModel
"""

STUDENTS = """\

class Student(SQLModel, table=True):
    __tablename__ = "students"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(unique=True, index=True)
"""


def students_before_first_class(module: str) -> str:
    """``module`` (a complete example with its own imports) with the ``students`` anchor inserted before its first
    class, so its foreign keys resolve."""
    head, separator, tail = module.partition("\n\n\nclass ")
    return head + STUDENTS + separator + tail


def with_students(body: str) -> str:
    """A module with the imports, the ``students`` anchor, then ``body``."""
    return IMPORTS + STUDENTS + body
