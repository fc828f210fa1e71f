"""SG0xx: the tool's own findings — input it could not read, and suppressions that suppress nothing.

SG001/SG002/SG010/SG011 are fatal (exit code 2): schema-guard could not check what it was asked to check, and
says which file, module, key or URL is the cause. They cannot be ignored or suppressed. SG003 is an ordinary
finding so stale suppressions do not pile up. SG012 is a revision's fault, so it is an ordinary finding too.
"""

from __future__ import annotations

from schema_guard.rules.base import Invalid, Rule, Valid, register


@register
class SyntaxErrorInFile(Rule):
    code = "SG001"
    name = "file-does-not-parse"
    summary = "A checked file is not valid Python"
    rationale = "A file that does not parse cannot be checked; the other files still are."
    how_to_fix = "Fix the syntax error at the reported line."
    readers = ("source",)
    examples = (Invalid("class Exam(SQLModel, table=True)  # expect: SG001\n    id: int\n", readers=("source",)),)


@register
class ModelImportFailed(Rule):
    code = "SG002"
    name = "model-module-import-failed"
    summary = "A configured model module raised while being imported"
    rationale = (
        "The metadata reader imports `models` from the configuration; a module that raises (a missing dependency, "
        "a SQLModel error such as `Field(sa_column=..., nullable=...)`) is reported with its first line and "
        "location, and the other modules are still read. The source reader still checks the file."
    )
    how_to_fix = "Run `python -c 'import MODULE'` to see the full traceback, and fix the cause."
    readers = ("metadata",)


@register
class UnusedSuppression(Rule):
    code = "SG003"
    name = "unused-suppression"
    summary = "`# schema-guard: ignore[...]` or `# noqa: SG...` comment that suppresses nothing"
    rationale = (
        "A suppression outlives the violation it was written for; left in place it silently hides the next one. "
        "Only codes that are enabled in this run are judged as unused; a code that no rule has (a typo such as "
        "`SG2O3`) is always reported, in either comment form."
    )
    how_to_fix = "Remove the comment, or the codes in it that no longer fire; correct a mistyped code."
    readers = ("source",)
    examples = (
        Invalid("""
import uuid

from sqlmodel import Field, SQLModel


class Subject(SQLModel, table=True):
    __table_args__ = {"info": {"schema_guard": {"shared": True}}}
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)  # schema-guard: ignore[SG101]  # expect: SG003
""", readers=("source",)),
        Invalid("""
import uuid

from sqlmodel import Field, SQLModel


class Subject(SQLModel, table=True):
    __table_args__ = {"info": {"schema_guard": {"shared": True}}}
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)  # noqa: SG101  # expect: SG003
    name: str  # schema-guard: ignore[SG999]  # expect: SG003
""", readers=("source",)),
        Valid("""
from sqlmodel import Field, SQLModel


class Subject(SQLModel, table=True):
    __table_args__ = {"info": {"schema_guard": {"shared": True}}}
    id: int = Field(primary_key=True)  # schema-guard: ignore[SG101]
""", readers=("source",)),
        Valid("""
from sqlmodel import Field, SQLModel


class Subject(SQLModel, table=True):
    __table_args__ = {"info": {"schema_guard": {"shared": True}}}
    id: int = Field(primary_key=True)  # noqa: E501, SG101
""", readers=("source",)),
    )


@register
class DatabaseUnavailable(Rule):
    code = "SG010"
    name = "database-unavailable"
    summary = "No PostgreSQL server to run the migration gate on"
    rationale = (
        "The migration gate needs a server where it may create a throwaway database: the URL could not be reached, "
        "was refused, lacks the CREATEDB right, or no URL was given and no PostgreSQL binaries were found."
    )
    how_to_fix = (
        "Pass `--database-url postgresql://user@host/postgres`, set SCHEMA_GUARD_DATABASE_URL, or install the "
        "PostgreSQL server binaries so the gate can start its own."
    )
    readers = ("migrations",)


@register
class AlembicConfigBroken(Rule):
    code = "SG011"
    name = "alembic-config-broken"
    summary = "`alembic.ini` or the script directory cannot be loaded"
    rationale = "Without a loadable Alembic environment no migration can be checked."
    how_to_fix = "Check `alembic-config` in `[tool.schema_guard.migrations]` and the `script_location` it names."
    readers = ("migrations",)


@register
class RevisionFailed(Rule):
    code = "SG012"
    name = "revision-failed"
    summary = "A revision raised while upgrading or downgrading"
    rationale = "A revision that fails on an empty database will fail in production; the gate names it."
    how_to_fix = "Run the revision against a scratch database and fix the statement in the reported error."
    readers = ("migrations",)
