"""Property: the source reader and the rules never raise, whatever a ``.py`` file holds, and a file that does not
parse is never a silent pass (it yields SG001).

Three generators feed it:

* model-shaped programs from a small grammar of what model files contain (table classes, fields with annotations
  and ``Field``/``Column``/``Relationship`` calls nested at random, ``__table_args__``, mixins, imports) — cheap, so
  most of the examples;
* real model files (``reference_models`` and the adoption project) mutated at random: lines deleted, duplicated or
  swapped, tokens spliced in, the text cut short;
* arbitrary valid Python programs from the language grammar (hypothesmith) — slow to generate (about 0.1-0.2 s
  each), so few by default.

``SCHEMA_GUARD_FUZZ_SCALE`` multiplies every count for a longer run (see the README's development section).
"""

from __future__ import annotations

import ast
import os
import random
import warnings
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schema_guard.config import Config
from schema_guard.engine import evaluate
from schema_guard.facts import SchemaFacts
from schema_guard.findings import Finding
from schema_guard.readers.source import read_source
from schema_guard.readers.source.module import MODEL_MARKERS
from schema_guard.rules.base import RuleContext

SCALE = float(os.environ.get("SCHEMA_GUARD_FUZZ_SCALE", "1"))
MODEL_SHAPED, MUTATED, GRAMMAR = (max(1, int(n * SCALE)) for n in (2000, 400, 30))
REPO_ROOT = Path(__file__).resolve().parent.parent
REAL_MODELS = sorted([*REPO_ROOT.glob("reference_models/*.py"),
                      *REPO_ROOT.glob("tests/data/adoption_project/helpdesk/*/*.py")])
CONTEXT = RuleContext(tenancy=Config(root=REPO_ROOT).tenancy)


def _fuzz_settings(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, database=None, derandomize=SCALE == 1,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture])


def check_file(path: Path, data: bytes) -> list[Finding]:
    """Read ``data`` as a model file and run every rule on it; the properties are asserted here."""
    path.write_bytes(data)
    with warnings.catch_warnings():  # generated code is full of "invalid escape sequence" and the like
        warnings.simplefilter("ignore", (SyntaxWarning, DeprecationWarning))
        return _check(data, read_source([path]))


def _check(data: bytes, facts: SchemaFacts) -> list[Finding]:
    findings = evaluate(facts, CONTEXT)
    assert all(isinstance(finding, Finding) for finding in findings)
    try:
        text = data.decode("utf-8-sig")
        parses = bool(ast.parse(text)) or True
    except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError):
        parses, text = False, ""
    if not parses and any(marker.encode() in data for marker in MODEL_MARKERS):
        assert any(f.code == "SG001" for f in findings), f"a file that does not parse passed silently:\n{text}"
    return findings


# model-shaped programs --------------------------------------------------------------------------------------------

NAMES = ["id", "student_id", "tenant_id", "name", "tags", "created_at", "owner", "lessons", "x"]
CLASS_NAMES = ["Student", "Lesson", "Exam", "Base", "Mixin", "Link", "students", "Tag"]
ANNOTATIONS = [
    "uuid.UUID", "Optional[uuid.UUID]", "UUID | None", "int", "str", "Optional[str]", "list", "list[int]", "dict",
    "datetime", "Optional[datetime]", "Decimal", "Mapped[int]", "Mapped[Optional[str]]", "List['Lesson']",
    "'Student'", "Optional['Student']", "Any", "ClassVar[int]", "None", "bytes", "Annotated[str, 1]",
]
LEAVES = [
    "None", "True", "False", "uuid.uuid4", "uuid4", "datetime.utcnow", "datetime.now", "list", "dict", "[]", "{}",
    "()", "'students.id'", "\"x.y\"", "'t.c'", "sa.String(20)", "JSON", "JSONB", "func.now()", "text('now()')",
    "Integer", "String", "...", "lambda: []", "0", "-1", "1.5", "10**20", "'é'", "b'x'", "f'{x}'",
]
KEYWORDS = [
    "default", "default_factory", "primary_key", "foreign_key", "nullable", "index", "unique", "sa_column",
    "sa_column_kwargs", "sa_type", "back_populates", "link_model", "server_default", "max_length", "ondelete",
    "sa_relationship_kwargs", "check", "timezone",
]
CALLEES = ["Field", "Column", "Relationship", "mapped_column", "relationship", "ForeignKey", "Index",
           "UniqueConstraint", "sa.Column", "sqlmodel.Field", "DateTime", "Enum"]
BASES = ["SQLModel", "table=True", "table=False", "Base", "DeclarativeBase", "Mixin", "Student",
         "MappedAsDataclass", "registry().generate_base()", "object"]
SPECIAL = ["__tablename__ = 'students'", "__tablename__ = 'lessons'", "__abstract__ = True", "pass",
           "model_config = {'table': True}", "__tablename__ = f'{x}'"]
HEADER = (
    "import uuid\nfrom datetime import datetime\nfrom typing import Optional, List, Any, ClassVar, Annotated\n"
    "import sqlalchemy as sa\nfrom sqlalchemy import Column, ForeignKey, Index, UniqueConstraint, JSON, func\n"
    "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, registry\n"
    "from sqlmodel import Field, Relationship, SQLModel\n"
)


class ModelFileGrammar:
    """A random model file from a grammar of what model files contain. Driven by one seed that Hypothesis draws,
    so a failure names the seed and the program (generation with ``random`` is ~100x cheaper than composing
    Hypothesis strategies, which is what lets thousands of programs run in a few seconds)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def expression(self, depth: int = 0) -> str:
        rng = self.rng
        if depth > 3 or rng.random() < 0.4:
            return rng.choice(LEAVES)
        kind = rng.randrange(5)
        if kind == 0:
            arguments = [self.expression(depth + 1) if rng.random() < 0.4
                         else f"{rng.choice(KEYWORDS)}={self.expression(depth + 1)}" for _ in range(rng.randrange(5))]
            return f"{rng.choice(CALLEES)}({', '.join(arguments)})"
        if kind == 1:
            return f"[{', '.join(self.expression(depth + 1) for _ in range(rng.randrange(4)))}]"
        if kind == 2:
            return f"({', '.join(self.expression(depth + 1) for _ in range(rng.randrange(4)))},)"
        if kind == 3:
            return f"{{'{rng.choice(NAMES)}': {self.expression(depth + 1)}}}"
        return f"{self.expression(depth + 1)} {rng.choice(['+', '|', 'or', 'if True else'])} {self.expression(depth + 1)}"

    def statement(self) -> str:
        rng = self.rng
        kind = rng.randrange(7)
        if kind == 0:
            return f"{rng.choice(NAMES)}: {rng.choice(ANNOTATIONS)} = {self.expression()}"
        if kind == 1:
            return f"{rng.choice(NAMES)}: {rng.choice(ANNOTATIONS)}"
        if kind == 2:
            return f"{rng.choice(NAMES)} = {self.expression()}"
        if kind == 3:
            return rng.choice(SPECIAL)
        if kind == 4:
            return f"__table_args__ = ({self.expression()},)"
        if kind == 5:
            return f"__table_args__ = {self.expression()}"
        return f"def {rng.choice(NAMES)}(self):\n        return {self.expression()}"

    def class_definition(self) -> str:
        rng = self.rng
        bases = ", ".join(rng.choice(BASES) for _ in range(rng.randrange(4)))
        body = "".join(f"    {self.statement()}\n" for _ in range(1 + rng.randrange(6)))
        return f"class {rng.choice(CLASS_NAMES)}({bases}):\n{body}"

    def model_file(self) -> str:
        parts = [self.class_definition() if self.rng.random() < 0.8 else self.statement().split("\n")[0]
                 for _ in range(1 + self.rng.randrange(5))]
        return HEADER + "\n".join(parts) + "\n"


PER_EXAMPLE = 10


@_fuzz_settings(max(1, MODEL_SHAPED // PER_EXAMPLE))
@given(seed=st.integers(0, 2**64))
def test_model_shaped_programs(seed: int, tmp_path_factory: pytest.TempPathFactory) -> None:
    grammar = ModelFileGrammar(seed)
    for _ in range(PER_EXAMPLE):
        check_file(_scratch(tmp_path_factory), grammar.model_file().encode())


# mutated real model files -----------------------------------------------------------------------------------------

SPLICES = st.sampled_from([
    "(", ")", "[", "]", ":", "=", ",", "\n", "    ", "\t", "\\", "'", '"""', "#", "Optional[", "None", "table=True",
    "Field(", "sa_column=Column(", "foreign_key=", "primary_key=True", "default=[]", "class X(SQLModel, table=True):",
    "\x00", "é", "\ufeff", "\r\n", "lambda", "async ", "yield", "@", "*", "**", "...", "0x", "1e999", "f'{", "$",
])


@st.composite
def mutated_models(draw: st.DrawFn) -> bytes:
    text = draw(st.sampled_from(REAL_MODELS)).read_text(encoding="utf-8")
    for _ in range(draw(st.integers(1, 4))):
        lines = text.splitlines(keepends=True) or [""]
        kind = draw(st.sampled_from(["delete", "duplicate", "swap", "splice", "truncate"]))
        at = draw(st.integers(0, len(lines) - 1))
        if kind == "delete":
            del lines[at]
        elif kind == "duplicate":
            lines.insert(at, lines[draw(st.integers(0, len(lines) - 1))])
        elif kind == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif kind == "splice":
            column = draw(st.integers(0, len(lines[at])))
            lines[at] = lines[at][:column] + draw(SPLICES) + lines[at][column:]
        else:
            joined = "".join(lines)
            lines = [joined[: draw(st.integers(0, len(joined)))]]
        text = "".join(lines)
    return text.encode("utf-8", errors="surrogatepass")


@_fuzz_settings(MUTATED)
@given(data=mutated_models())
def test_mutated_real_model_files(data: bytes, tmp_path_factory: pytest.TempPathFactory) -> None:
    check_file(_scratch(tmp_path_factory), data)


# programs from the Python grammar ---------------------------------------------------------------------------------


@_fuzz_settings(GRAMMAR)
@given(program=hypothesmith.from_grammar())
def test_programs_from_the_python_grammar(program: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    check_file(_scratch(tmp_path_factory), ("from sqlmodel import SQLModel\n" + program).encode("utf-8", "surrogatepass"))


def _scratch(factory: pytest.TempPathFactory) -> Path:
    """One file reused by every example (a fresh folder per example would dominate the run time)."""
    folder = factory.getbasetemp() / "fuzz"
    folder.mkdir(exist_ok=True)
    return folder / "fuzzed_models.py"
