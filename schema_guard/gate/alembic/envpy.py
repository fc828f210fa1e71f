"""SG604: does ``env.py`` hand the models' metadata to Alembic?

Read statically with libcst (no import): a module-level ``target_metadata = ...`` and the ``target_metadata=``
keyword of ``context.configure(...)``. The gate also checks what ``env.py`` really passed once it runs
(:func:`runtime_problem`), so an env.py that builds its metadata in an unusual way is judged by what it does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider
from sqlalchemy import MetaData

from schema_guard.gate.analysis.operations import dotted_name

CODE = "SG604"


@dataclass
class EnvProblem:
    message: str
    line: int


class _EnvReader(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self) -> None:
        self.assignment: cst.Assign | None = None
        self.assigned_none = False
        self.configure_calls: list[cst.Call] = []
        self.keyword_values: list[cst.BaseExpression] = []
        self.opaque = False
        self.lines: dict[str, int] = {}

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Name) and target.target.value == "target_metadata":
                self.assignment = node
                self.assigned_none = isinstance(node.value, cst.Name) and node.value.value == "None"
                self.lines["assignment"] = self.get_metadata(PositionProvider, node).start.line

    def visit_Call(self, node: cst.Call) -> None:
        if not dotted_name(node.func).endswith("configure"):
            return
        self.configure_calls.append(node)
        self.lines.setdefault("configure", self.get_metadata(PositionProvider, node).start.line)
        for argument in node.args:
            if argument.star == "**":
                self.opaque = True
            elif argument.keyword is not None and argument.keyword.value == "target_metadata":
                self.keyword_values.append(argument.value)


def read_env(path: Path) -> _EnvReader:
    reader = _EnvReader()
    MetadataWrapper(cst.parse_module(path.read_text(encoding="utf-8")), unsafe_skip_copy=True).visit(reader)
    return reader


def static_problem(path: Path) -> EnvProblem | None:
    """What is visibly wrong in ``env.py`` (``None`` when nothing is, or when ``configure(**options)`` hides it)."""
    try:
        reader = read_env(path)
    except (OSError, cst.ParserSyntaxError) as error:
        return EnvProblem(f"env.py cannot be read: {str(error).splitlines()[0]}", 1)
    if reader.opaque or not reader.configure_calls:
        return None
    assignment_line = reader.lines.get("assignment", reader.lines.get("configure", 1))
    if not reader.keyword_values:
        return EnvProblem("env.py calls context.configure() without target_metadata: autogenerate and `alembic check` "
                          "compare against nothing", reader.lines.get("configure", 1))
    for value in reader.keyword_values:
        if isinstance(value, cst.Name) and value.value == "None":
            return EnvProblem("env.py passes target_metadata=None to context.configure()",
                              reader.lines.get("configure", 1))
        if isinstance(value, cst.Name) and value.value == "target_metadata" and reader.assigned_none:
            return EnvProblem("env.py sets target_metadata = None: autogenerate and `alembic check` compare against "
                              "nothing", assignment_line)
    return None


def assignment_line(path: Path) -> int:
    try:
        reader = read_env(path)
    except (OSError, cst.ParserSyntaxError):
        return 1
    return reader.lines.get("assignment", reader.lines.get("configure", 1))


def runtime_problem(passed: object, models: MetaData | None) -> str | None:
    """Judge the ``target_metadata`` env.py really passed to ``context.configure()`` against the models' metadata."""
    if passed is None:
        return "env.py passes no target_metadata to context.configure(): autogenerate compares against nothing"
    if models is None or passed is models:
        return None
    parts = passed if isinstance(passed, (list, tuple)) else [passed]
    passed_tables = {name for part in parts for name in (getattr(part, "tables", {}) or ())}
    missing = sorted(set(models.tables) - passed_tables)
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        return f"env.py's target_metadata is not the models' metadata: it lacks {shown}"
    return None
