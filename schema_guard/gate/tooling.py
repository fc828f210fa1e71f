"""Tooling problems: the one-line causes that stop the migration gate before it could judge the migrations.

They are values until the edge: the gate turns a :class:`ToolingProblem` into a fatal finding (the CLI exits 2).
"""

from __future__ import annotations

import re

from schema_guard.facts import Location
from schema_guard.findings import Finding, problem
from schema_guard.url_secrets import mask_secrets

DATABASE_UNAVAILABLE = "SG010"
"""No usable PostgreSQL: unreachable, bad credentials, no CREATEDB right, no binaries for the embedded server."""
BROKEN_ALEMBIC = "SG011"
"""``alembic.ini``, the script directory or ``env.py`` cannot be loaded (a model module that does not import is the
metadata reader's SG002, located at the line that raised)."""
REVISION_RAISES = "SG012"
"""A revision raises during upgrade or downgrade: the revision's fault (an error, not fatal)."""

HOW_TO_PROVIDE_DATABASE = (
    "pass --database-url postgresql://USER@HOST:PORT/DB, set SCHEMA_GUARD_DATABASE_URL, "
    "or install the PostgreSQL server binaries (initdb, postgres) for the embedded default"
)


class ToolingProblem(Exception):
    """The gate cannot go on; ``finding`` says why in one line (any secret in a URL it quotes masked)."""

    def __init__(self, code: str, message: str, location: Location | None = None) -> None:
        message = mask_secrets(message)
        super().__init__(message)
        self.finding: Finding = problem(code, first_line(message), location or Location(), "migrations")


_OBJECT_REPR = re.compile(r"<[\w.]+ object at 0x[0-9a-fA-F]+>")
_BARE_SCHEMA = re.compile(r", MetaData\(\), schema=None\)")


def first_line(text: object) -> str:
    """The first non-empty line of an error text, without driver noise or memory addresses (SQLAlchemy's
    ``ForeignKeyConstraint(<... object at 0x7f...>, None, table=Table('t', MetaData(), schema=None))``)."""
    for line in str(text).splitlines():
        line = line.strip()
        if line:
            return _BARE_SCHEMA.sub(")", _OBJECT_REPR.sub("...", line))
    return str(text).strip() or "unknown error"


def database_error_text(error: BaseException) -> str:
    """The database's own message for a SQLAlchemy/psycopg error (``relation "x" does not exist``), with any
    connection secret it echoes masked."""
    original = getattr(error, "orig", None)
    return mask_secrets(first_line(original if original is not None else error))


def error_text(error: BaseException) -> str:
    """``Type: first line`` of an exception from project code, told the way a user reads it: ``sys.exit(3)`` for a
    :class:`SystemExit`, and the fields a settings class (pydantic's ``ValidationError``) found missing or invalid."""
    if isinstance(error, SystemExit):
        return f"it calls sys.exit({error.code!r})" if error.code is not None else "it calls sys.exit()"
    original = getattr(error, "orig", None)
    text = f"{type(error).__name__}: {first_line(original if original is not None else error)}"
    fields = _invalid_fields(error)
    return mask_secrets(f"{text} ({fields})" if fields else text)


def _invalid_fields(error: BaseException) -> str:
    errors = getattr(error, "errors", None)
    if not callable(errors):
        return ""
    try:
        listed = [entry for entry in errors() if isinstance(entry, dict)]
    except Exception:  # not pydantic's errors(): nothing more to say
        return ""
    names = [".".join(str(part) for part in entry.get("loc", ())) or "?" for entry in listed]
    return ", ".join(f"{name}: {entry.get('msg', 'invalid')}" for name, entry in zip(names[:5], listed))
