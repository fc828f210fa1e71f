"""``--fix``: each safe rewrite turns a pitfall into the expected text, keeps comments and layout, and a second
run changes nothing."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import pytest

from schema_guard.engine import evaluate
from schema_guard.facts import Location
from schema_guard.findings import Finding
from schema_guard.fixes import PARALLEL_FROM, apply_fixes, fix_source, rewrites
from schema_guard.readers.source import read_source
from schema_guard.rules.base import RuleContext
from schema_guard.rules.registry import catalogue
from schema_guard.tenancy import TenantPolicy

FIXABLE = {"SG202", "SG203", "SG503", "SG504"}

HEADER = """\
import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import Column, DateTime
from sqlalchemy.dialects.postgresql import UUID
from sqlmodel import Field, SQLModel


class Student(SQLModel, table=True):
    __tablename__ = "students"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)


class Exam(SQLModel, table=True):
    __tablename__ = "exams"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
"""


def findings_for(path: Path) -> list[Finding]:
    return evaluate(read_source([path]), RuleContext(TenantPolicy()))


def fixable_codes(path: Path) -> list[str]:
    return sorted(f.code for f in findings_for(path) if f.code in FIXABLE)


def _class_body(text: str) -> str:
    return textwrap.indent(textwrap.dedent(text), "    ")


def check_fix(tmp_path: Path, body: str, expected_body: str, header: str = HEADER) -> list[str]:
    """Fix ``header + body``; assert the result, that the fixable findings are gone, and that fixing is idempotent."""
    path = tmp_path / "models.py"
    path.write_text(header + _class_body(body), encoding="utf-8")
    before = findings_for(path)
    fix = fix_source(path, before)
    assert fix is not None, f"nothing fixed; findings: {[(f.code, f.line) for f in before]}"
    assert fix.fixed == header + _class_body(expected_body), fix.diff()
    fix.write()
    assert fixable_codes(path) == [], "the rewrite leaves no fixable finding behind"
    assert fix_source(path, findings_for(path)) is None, "a second run changes nothing"
    assert fix_source(path, before) is None, "even with the stale findings of the first run"
    return fix.applied


def test_tenant_column_without_index_gets_index_true(tmp_path: Path) -> None:
    applied = check_fix(
        tmp_path,
        """\
            student_id: uuid.UUID = Field(foreign_key="students.id")  # the tenant
        """,
        """\
            student_id: uuid.UUID = Field(foreign_key="students.id", index=True)  # the tenant
        """,
    )
    assert applied == ["SG203"]


def test_index_false_is_turned_on_and_multi_line_calls_keep_their_layout(tmp_path: Path) -> None:
    check_fix(
        tmp_path,
        """\
            student_id: uuid.UUID = Field(
                foreign_key="students.id",  # who owns the row
                index=False,
            )
            title: str = Field(
                max_length=200,
            )
        """,
        """\
            student_id: uuid.UUID = Field(
                foreign_key="students.id",  # who owns the row
                index=True,
            )
            title: str = Field(
                max_length=200,
            )
        """,
    )


def test_index_goes_into_the_sa_column_when_there_is_one(tmp_path: Path) -> None:
    check_fix(
        tmp_path,
        """\
            student_id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), ForeignKey("students.id"), nullable=False))
        """,
        """\
            student_id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), ForeignKey("students.id"), nullable=False, index=True))
        """,
        header=HEADER.replace("import Column, DateTime", "import Column, DateTime, ForeignKey"),
    )


@pytest.mark.parametrize("annotation", ["Optional[uuid.UUID]", "uuid.UUID | None", "Union[uuid.UUID, None]"])
def test_nullable_tenant_column_becomes_a_plain_not_null_uuid(tmp_path: Path, annotation: str) -> None:
    applied = check_fix(
        tmp_path,
        f"""\
            student_id: {annotation} = Field(default=None, foreign_key="students.id", index=True)
        """,
        """\
            student_id: uuid.UUID = Field(foreign_key="students.id", index=True, nullable=False)
        """,
        header=HEADER.replace("import Optional", "import Optional, Union"),
    )
    assert applied == ["SG202"]


def test_nullable_true_and_missing_index_are_fixed_together(tmp_path: Path) -> None:
    applied = check_fix(
        tmp_path,
        """\
            student_id: Optional[uuid.UUID] = Field(
                foreign_key="students.id",
                nullable=True,  # legacy rows
            )
        """,
        """\
            student_id: uuid.UUID = Field(
                foreign_key="students.id",
                nullable=False,  # legacy rows
                index=True,
            )
        """,
    )
    assert sorted(applied) == ["SG202", "SG203"]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("tags: list[str] = Field(default=[])", "tags: list[str] = Field(default_factory=list)"),
        ("settings: dict = Field(default={}, max_length=3)", "settings: dict = Field(default_factory=dict, max_length=3)"),
        ("settings: dict = Field({})", "settings: dict = Field(default_factory=dict)"),
        ('levels: list[str] = Field(default=["a", "b"])', 'levels: list[str] = Field(default_factory=lambda: ["a", "b"])'),
        ("tags: list[str] = []", "tags: list[str] = Field(default_factory=list)"),
    ],
)
def test_mutable_default_becomes_a_default_factory(tmp_path: Path, written: str, expected: str) -> None:
    applied = check_fix(
        tmp_path,
        f"""\
            student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
            {written}  # keep me
        """,
        f"""\
            student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
            {expected}  # keep me
        """,
    )
    assert applied == ["SG503"]


def test_utcnow_default_becomes_an_aware_factory_and_timezone_is_imported(tmp_path: Path) -> None:
    path = tmp_path / "models.py"
    body = """\
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    created_at: datetime = Field(default_factory=datetime.utcnow)
    updated_at: datetime = Field(default=datetime.utcnow)
    seen_at: datetime = Field(default_factory=lambda: datetime.utcnow())
    graded_at: Optional[datetime] = Field(
        default=None, sa_column=Column(DateTime(timezone=True), default=datetime.utcnow)
    )
"""
    expected = """\
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
    created_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    updated_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    seen_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    graded_at: Optional[datetime] = Field(
        default=None, sa_column=Column(DateTime(timezone=True), default=lambda: datetime.now(timezone.utc))
    )
"""
    path.write_text(HEADER + body, encoding="utf-8")
    fix = fix_source(path, findings_for(path))
    assert fix is not None and fix.applied == ["SG504"] * 4
    aware_header = HEADER.replace("from datetime import datetime", "from datetime import datetime, timezone")
    assert fix.fixed == aware_header + expected
    fix.write()
    assert fixable_codes(path) == []
    assert fix_source(path, findings_for(path)) is None


@pytest.mark.parametrize(
    ("imports", "expected"),
    [
        ("import datetime\n", "datetime.datetime.now(datetime.timezone.utc)"),
        ("import datetime as dt\n", "dt.datetime.now(dt.timezone.utc)"),
        ("from datetime import UTC, datetime\n", "datetime.now(UTC)"),
        ("from datetime import datetime as DT, timezone as TZ\n", "DT.now(TZ.utc)"),
    ],
)
def test_aware_factory_uses_the_names_the_module_already_imports(tmp_path: Path, imports: str, expected: str) -> None:
    clock = "datetime.datetime.utcnow" if imports.startswith("import datetime\n") else (
        "dt.datetime.utcnow" if " as dt" in imports else ("DT.utcnow" if "DT" in imports else "datetime.utcnow")
    )
    path = tmp_path / "models.py"
    text = (
        f"import uuid\n{imports}from sqlmodel import Field, SQLModel\n\n\n"
        "class Log(SQLModel, table=True):\n"
        "    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)\n"
        f"    at: {clock.rsplit('.', 1)[0]} = Field(default_factory={clock})\n"
    )
    path.write_text(text, encoding="utf-8")
    fix = fix_source(path, findings_for(path))
    assert fix is not None
    assert fix.fixed == text.replace(f"default_factory={clock}", f"default_factory=lambda: {expected}")


def test_naive_column_keeps_its_default(tmp_path: Path) -> None:
    """On a ``timestamp without time zone`` column an aware default would change what is stored: not certain."""
    path = tmp_path / "models.py"
    path.write_text(
        HEADER + '    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)\n'
        "    at: datetime = Field(default_factory=datetime.utcnow, sa_type=DateTime)\n",
        encoding="utf-8",
    )
    findings = findings_for(path)
    assert [f.code for f in findings if f.code in FIXABLE] == ["SG504"]
    assert fix_source(path, findings) is None


def test_findings_elsewhere_or_not_fixable_change_nothing(tmp_path: Path) -> None:
    path = tmp_path / "models.py"
    path.write_text(HEADER, encoding="utf-8")
    other = Finding(code="SG203", message="", location=findings_for(path)[0].location.__class__("other.py", 19, 5))
    assert fix_source(path, [other]) is None
    assert fix_source(path, [Finding(code="SG101", message="", location=other.location.__class__(str(path), 19, 5))]) is None


def test_apply_fixes_writes_or_prints_a_diff(tmp_path: Path) -> None:
    path = tmp_path / "models.py"
    original = HEADER + '    student_id: uuid.UUID = Field(foreign_key="students.id")\n'
    path.write_text(original, encoding="utf-8")
    out = io.StringIO()
    assert apply_fixes(findings_for(path), write=False, out=out) == [(str(path), ["SG203"])]
    assert path.read_text(encoding="utf-8") == original, "--diff writes nothing"
    assert '+    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)' in out.getvalue()
    assert apply_fixes(findings_for(path), write=True) == [(str(path), ["SG203"])]
    assert "index=True" in path.read_text(encoding="utf-8")


def test_a_rule_owns_its_fix_and_fixable_is_derived_from_it() -> None:
    assert set(rewrites()) == FIXABLE
    assert {code for code, rule in catalogue().items() if rule.fixable} == FIXABLE


def test_statements_are_rewritten_in_place_whatever_surrounds_them(tmp_path: Path) -> None:
    """Each statement is rewritten from its own text: non-ASCII text before it on the line, a statement before
    it after a semicolon, and comments inside a multi-line call stay as written."""
    body = (
        '    label = "héllo ✓"; student_id: uuid.UUID = Field(foreign_key="students.id")\n'
        "    other_id: uuid.UUID = Field(  # the owner ✓\n"
        '        foreign_key="students.id",  # keep me\n'
        "    )\n"
    )
    expected = (
        '    label = "héllo ✓"; student_id: uuid.UUID = Field(foreign_key="students.id", index=True)\n'
        "    other_id: uuid.UUID = Field(  # the owner ✓\n"
        '        foreign_key="students.id",  # keep me\n'
        "        index=True,\n"
        "    )\n"
    )
    path = tmp_path / "models.py"
    path.write_text(HEADER + body, encoding="utf-8")
    findings = [Finding(code="SG203", message="", location=Location(str(path), line, 5)) for line in (20, 21)]
    fix = fix_source(path, findings)
    assert fix is not None and fix.fixed == HEADER + expected, fix and fix.diff()
    assert fix.applied == ["SG203", "SG203"]


def test_many_files_are_fixed_in_parallel_with_the_same_result(tmp_path: Path) -> None:
    original = HEADER + '    student_id: uuid.UUID = Field(foreign_key="students.id")\n'
    paths = []
    for number in range(PARALLEL_FROM + 3):
        path = tmp_path / f"models_{number:03d}.py"
        path.write_text(original, encoding="utf-8")
        paths.append(path)
    findings = [finding for path in paths for finding in findings_for(path)]
    facts = [read_source(paths)]
    assert apply_fixes(findings, write=True, facts=facts) == [(str(path), ["SG203"]) for path in paths]
    fixed = original.replace('foreign_key="students.id")', 'foreign_key="students.id", index=True)')
    assert {path.read_text(encoding="utf-8") for path in paths} == {fixed}
