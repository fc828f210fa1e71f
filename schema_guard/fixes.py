"""``--fix``: rewrites that are certain, made with libcst so formatting and comments survive.

A rule owns its fix: it names its rewrite (``rewrite = "schema_guard.fixes:tenant_index"``), a function that takes one
annotated class attribute and the :class:`Rewriting` of its file and returns the attribute rewritten. "Fixable" is
derived from that. The rewrites here:

* SG203 tenant column without an index → ``index=True`` on its ``Field()`` (or its ``sa_column=Column(...)``);
* SG202 nullable tenant column → plain ``UUID`` annotation, ``nullable=False``, no ``default=None``;
* SG503 ``default=[]`` / ``default={}`` → ``default_factory=list`` / ``dict`` (a lambda for non-empty literals);
* SG504 ``datetime.utcnow`` (or ``now``/``today``) default → ``default_factory=lambda: datetime.now(timezone.utc)``,
  adding ``timezone`` to the ``from datetime import ...`` when needed — not on a naive column, where the stored
  values would change meaning.

Each rewrite first checks that the pitfall is still there, so fixing twice changes nothing the second time.
The read path never imports this module (libcst costs ~0.2 s to import).
"""

from __future__ import annotations

import ast
import codecs
import difflib
import functools
import gc
import importlib
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import libcst as cst

from schema_guard.atomic_write import write_atomically
from schema_guard.facts import SchemaFacts
from schema_guard.findings import Finding
from schema_guard.readers.source.imports import ImportMap, last_part
from schema_guard.rules.fields import NAIVE_CLOCKS, factory_for
from schema_guard.rules.registry import catalogue

PARALLEL_FROM = 32
"""With at least this many files to rewrite, they are spread over the available cores (a worker costs a fork)."""

Wanted = dict[int, set[str]]
"""The fixable codes reported in one file, by line."""


def rewrites() -> dict[str, Rewrite]:
    """Each fixable rule's rewrite, by code, in code order (the order rewrites of one line are made in)."""
    found = {}
    for code, rule in catalogue().items():
        if rule.rewrite is not None:
            module, _, name = rule.rewrite.partition(":")
            found[code] = getattr(importlib.import_module(module), name)
    return found


@dataclass
class FileFix:
    path: Path
    original: str
    """The text exactly as stored: line endings kept (``\r\n`` stays), byte-order mark apart in ``bom``."""
    fixed: str
    applied: list[str] = field(default_factory=list)
    """The codes fixed, one entry per rewrite."""
    bom: bytes = b""

    def diff(self) -> str:
        """A unified diff of the rewrite (what ``--diff`` prints), named relative to the working directory."""
        try:
            name = self.path.resolve().relative_to(Path.cwd().resolve()).as_posix()
        except ValueError:
            name = str(self.path)
        return "".join(
            difflib.unified_diff(
                self.original.splitlines(keepends=True),
                self.fixed.splitlines(keepends=True),
                fromfile=name,
                tofile=name,
            )
        )

    def write(self) -> None:
        """Replace the file atomically (through a symlink to the file it leads to), with its BOM and mode."""
        write_atomically(Path(os.path.realpath(self.path)), self.bom + self.fixed.encode("utf-8"))


def _read_exactly(path: Path) -> tuple[str, bytes]:
    """The text without newline translation (``read_text`` would turn ``\r\n`` into ``\n`` and the write would
    lose it), and the UTF-8 byte-order mark if the file starts with one."""
    data = path.read_bytes()
    bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
    return data[len(bom):].decode("utf-8"), bom


def outside_project(path: Path, root: Path) -> bool:
    """A symlink that leads out of the project: ``--fix`` must not write through it (it could be anyone's file)."""
    if not path.is_symlink():
        return False
    real, project = os.path.realpath(path), os.path.realpath(root)
    return os.path.commonpath([real, project]) != project


@dataclass(frozen=True)
class _Task:
    """One file to rewrite: what to fix where, with which rewrites, and which timestamp lines are naive (``None``:
    read the file to find out, see :func:`naive_lines`)."""

    path: Path
    wanted: Wanted
    fixes: dict[str, Rewrite]
    naive_lines: frozenset[int] | None


def fix_source(path: Path, findings: Sequence[Finding]) -> FileFix | None:
    """Apply the safe rewrites for ``findings`` located in ``path``; ``None`` when nothing changes."""
    fixes = rewrites()
    found = _wanted_by_file(findings, fixes).get(path.resolve())
    if found is None:
        return None
    return _rewrite(_Task(path, found[1], fixes, None))


def apply_fixes(
    findings: Sequence[Finding], *, write: bool, out: TextIO | None = None,
    facts: Iterable[SchemaFacts] | None = None, root: Path | None = None, notes: TextIO | None = None,
) -> list[tuple[str, list[str]]]:
    """Fix every file that has fixable findings: write it (``write``), and print its diff to ``out`` when given.
    A file that is a symlink leading out of the project ``root`` (default: the working directory) is reported on
    ``notes`` (default stderr), never written.

    Only the files with a fixable finding are parsed, and with libcst only the statements to rewrite; many files
    are rewritten in parallel. ``facts`` (the source reader's, from the check that produced ``findings``) tell which
    timestamp columns are naive; without them a file with a naive-clock default is read again. Returns
    ``(path, codes fixed)`` per file changed (or that would change), so the caller can say what was done.
    """
    fixes = rewrites()
    naive = naive_lines(facts) if facts is not None else None
    tasks = [
        _Task(Path(name), wanted, fixes, frozenset(naive.get(resolved, ())) if naive is not None else None)
        for resolved, (name, wanted) in sorted(_wanted_by_file(findings, fixes).items())
    ]
    changed = []
    for fix in _rewrite_all(tasks):
        if fix is None:
            continue
        if write and outside_project(fix.path, root or Path.cwd()):
            (notes or sys.stderr).write(f"Not fixed {fix.path}: it is a symlink to {os.path.realpath(fix.path)}, outside the "
                             "project\n")
            continue
        changed.append((str(fix.path), list(fix.applied)))
        if write:
            fix.write()
        if out is not None:
            out.write(fix.diff())
    return changed


def naive_lines(facts: Iterable[SchemaFacts]) -> dict[Path, set[int]]:
    """Lines of timestamp columns stored WITHOUT time zone, by resolved path: their naive default is not rewritten
    (SG504), as the stored values would change meaning."""
    lines: dict[Path, set[int]] = {}
    for reader_facts in facts:
        for table in reader_facts.tables:
            for column in table.columns:
                where = column.location
                if column.type == "TIMESTAMP" and column.timezone is False and where.path and where.line:
                    lines.setdefault(Path(where.path).resolve(), set()).add(where.line)
    return lines


def _wanted_by_file(findings: Iterable[Finding], fixes: dict[str, Rewrite]) -> dict[Path, tuple[str, Wanted]]:
    """Fixable findings grouped by file (each distinct path resolved once; the first spelling names it), then by
    line."""
    resolved: dict[str, Path] = {}
    wanted: dict[Path, tuple[str, Wanted]] = {}
    for finding in findings:
        if finding.code in fixes and finding.line and finding.path:
            path = resolved.get(finding.path)
            if path is None:
                path = resolved[finding.path] = Path(finding.path).resolve()
            lines = wanted.setdefault(path, (finding.path, {}))[1]
            lines.setdefault(finding.line, set()).add(finding.code)
    return wanted


def _rewrite_all(tasks: Sequence[_Task]) -> list[FileFix | None]:
    """Rewrite each file, in worker processes when there are many files and more than one core."""
    # The check that found the findings left a large object graph behind; the garbage collector would re-scan it
    # over and over (and, in a forked worker, copy every page it touches) while rewriting makes short-lived trees.
    collecting = gc.isenabled()
    gc.disable()
    gc.freeze()
    try:
        workers = min(_cores(), len(tasks) // (PARALLEL_FROM // 2))
        if len(tasks) < PARALLEL_FROM or workers < 2:
            return [_rewrite(task) for task in tasks]
        return _rewrite_in_workers(tasks, workers)
    finally:
        gc.unfreeze()
        if collecting:
            gc.enable()


def _rewrite_in_workers(tasks: Sequence[_Task], workers: int) -> list[FileFix | None]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)  # fork: libcst already imported
    chunks = [list(tasks[i::workers]) for i in range(workers)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        done = list(pool.map(_rewrite_chunk, chunks))
    results: list[FileFix | None] = [None] * len(tasks)
    for offset, chunk in enumerate(done):
        results[offset::workers] = chunk
    return results


def _rewrite_chunk(tasks: list[_Task]) -> list[FileFix | None]:
    return [_rewrite(task) for task in tasks]


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def _rewrite(task: _Task) -> FileFix | None:
    """The rewrites of one file, made statement by statement: the stdlib ``ast`` finds the annotated assignments on
    the reported lines, libcst parses and rewrites only the text of each (keeping its comments and layout), and
    the result is spliced back. Parsing whole files with libcst cost ~40 times more than ``ast``."""
    path = task.path
    original, bom = _read_exactly(path)
    try:
        tree = ast.parse(original)
    except (SyntaxError, ValueError):
        return None
    rewriting = Rewriting(path, _Names(ImportMap(tree), original))
    if task.naive_lines is not None:
        rewriting.__dict__["naive_lines"] = set(task.naive_lines)  # known from the check: no second read
    starts = _line_starts(original)
    applied: list[str] = []
    edits: list[tuple[int, int, str]] = []
    for node in _statements(tree.body):
        codes = task.wanted.get(node.lineno) if isinstance(node, ast.AnnAssign) else None
        if not codes or node.end_lineno is None or node.end_col_offset is None:
            continue
        begin = _offset(original, starts, node.lineno, node.col_offset)
        end = _offset(original, starts, node.end_lineno, node.end_col_offset)
        rewriting.line = node.lineno
        replacement = _rewrite_statement(original[begin:end], codes, task.fixes, rewriting, applied)
        if replacement is not None:
            edits.append((begin, end, replacement))
    fixed = original
    for begin, end, replacement in sorted(edits, reverse=True):
        fixed = fixed[:begin] + replacement + fixed[end:]
    if rewriting.needs_timezone_import:
        fixed = cst.parse_module(fixed).visit(_AddDatetimeImport("timezone")).code
    if fixed == original:
        return None
    return FileFix(path=path, original=original, fixed=fixed, applied=applied, bom=bom)


def _rewrite_statement(
    source: str, codes: set[str], fixes: dict[str, Rewrite], rewriting: Rewriting, applied: list[str]
) -> str | None:
    """One annotated assignment's text with the rewrites for ``codes`` made, in code order; ``None`` when it does
    not parse alone."""
    try:
        statement = cst.parse_statement(source)
    except cst.ParserSyntaxError:
        return None
    node = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) else None
    if not isinstance(node, cst.AnnAssign):
        return None
    for code, rewrite in fixes.items():
        if code in codes:
            after = rewrite(node, rewriting)
            if not after.deep_equals(node):
                applied.append(code)
            node = after
    return _CODE.code_for_node(node)


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement, nested ones included, without visiting expressions (nine nodes in ten)."""
    for statement in body:
        yield statement
        for name in ("body", "orelse", "finalbody"):
            inner = getattr(statement, name, None)
            if isinstance(inner, list):
                yield from _statements(inner)
        for clause in getattr(statement, "handlers", None) or getattr(statement, "cases", None) or ():
            yield from _statements(clause.body)


def _line_starts(text: str) -> list[int]:
    """Where each line starts, splitting where Python's tokenizer does (``\\r\\n``, ``\\r``, ``\\n``)."""
    return [0, *(match.end() for match in _NEWLINE.finditer(text))]


def _offset(text: str, starts: list[int], line: int, column: int) -> int:
    """The string index of an ``ast`` position (1-based line, column in UTF-8 bytes)."""
    start = starts[line - 1]
    end = starts[line] if line < len(starts) else len(text)
    return start + len(text[start:end].encode("utf-8")[:column].decode("utf-8", errors="ignore"))


_NEWLINE = re.compile(r"\r\n|\r|\n")


@dataclass
class Rewriting:
    """What a rewrite may know about the file it rewrites, and what it asks of the whole file afterwards."""

    path: Path
    names: _Names
    line: int = 0
    """The line of the attribute being rewritten."""
    needs_timezone_import: bool = False

    @functools.cached_property
    def naive_lines(self) -> set[int]:
        """Lines of timestamp columns stored WITHOUT time zone: their naive default is not rewritten (SG504)."""
        from schema_guard.readers.source import read_source

        return naive_lines([read_source([self.path])]).get(self.path.resolve(), set())


Rewrite = Callable[[cst.AnnAssign, Rewriting], cst.AnnAssign]


class _Names:
    """Local names for the things a rewrite mentions (``Field``, ``datetime``, ``timezone``), from the imports."""

    def __init__(self, imports: ImportMap, text: str) -> None:
        self.imports = imports
        self.local: dict[str, str] = {}
        for local, qualified in imports.names.items():
            self.local.setdefault(qualified, local)

    def qualify(self, node: cst.BaseExpression) -> str | None:
        dotted = _dotted(node)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        base = self.imports.qualify_name(head)
        return f"{base}.{rest}" if rest else base

    def field(self) -> str | None:
        return self.local.get("sqlmodel.Field") or self.local.get("sqlmodel.main.Field")

    def aware_now(self) -> tuple[str, bool] | None:
        """Source for "now, in UTC" using the module's imports, and whether ``timezone`` must be imported."""
        module = self.local.get("datetime")
        cls = self.local.get("datetime.datetime")
        if cls is None and module is None:
            return None
        now = f"{cls}.now" if cls else f"{module}.datetime.now"
        if "datetime.timezone" in self.local:
            return f"{now}({self.local['datetime.timezone']}.utc)", False
        if "datetime.UTC" in self.local:
            return f"{now}({self.local['datetime.UTC']})", False
        if module:
            return f"{now}({module}.timezone.utc)", False
        return f"{now}(timezone.utc)", True


def not_null(node: cst.AnnAssign, rewriting: Rewriting) -> cst.AnnAssign:
    """SG202: a plain annotation, ``nullable=False``, no ``default=None``."""
    inner = _without_optional(node.annotation.annotation)
    if inner is not None:
        node = node.with_changes(annotation=node.annotation.with_changes(annotation=inner))
        if isinstance(node.value, cst.Name) and node.value.value == "None":
            node = node.with_changes(value=None, equal=cst.MaybeSentinel.DEFAULT)
    if isinstance(node.value, cst.Call):
        call = _drop_none_default(node.value)
        if _keyword(call, "sa_column") is not None:
            call = _on_column(call, lambda c: _set_keyword(c, "nullable", "False"))
        else:
            call = _set_keyword(call, "nullable", "False")
        node = node.with_changes(value=call)
    return node


def tenant_index(node: cst.AnnAssign, rewriting: Rewriting) -> cst.AnnAssign:
    """SG203: ``index=True`` on the ``Field()`` (or on its ``sa_column=Column(...)``)."""
    if not isinstance(node.value, cst.Call):
        return node
    return node.with_changes(value=_on_column(node.value, lambda c: _set_keyword(c, "index", "True")))


def default_factory(node: cst.AnnAssign, rewriting: Rewriting) -> cst.AnnAssign:
    """SG503: a mutable default literal becomes a ``default_factory``."""
    if isinstance(node.value, cst.Call):
        return node.with_changes(value=_default_factory(node.value))
    field_name = rewriting.names.field()
    literal = _mutable_literal(node.value) if node.value is not None and field_name else None
    if literal is None:
        return node
    return node.with_changes(value=_expression(f"{field_name}(default_factory={factory_for(literal)})"))


def aware_default(node: cst.AnnAssign, rewriting: Rewriting) -> cst.AnnAssign:
    """SG504: a naive clock default becomes ``lambda: datetime.now(timezone.utc)`` — not on a naive column."""
    if not isinstance(node.value, cst.Call) or rewriting.line in rewriting.naive_lines:
        return node

    def rewrite(target: cst.Call, rename: bool) -> cst.Call:
        for name in ("default_factory", "default"):
            argument = _keyword(target, name)
            if argument is None or not _is_naive_clock(argument.value, rewriting.names):
                continue
            spelled = rewriting.names.aware_now()
            if spelled is None:
                return target
            source, needs_import = spelled
            rewriting.needs_timezone_import = rewriting.needs_timezone_import or needs_import
            keyword = "default_factory" if rename else name
            replacement = argument.with_changes(
                keyword=cst.Name(keyword), value=_expression(f"lambda: {source}")
            )
            return target.with_changes(args=[replacement if a is argument else a for a in target.args])
        return target

    call = rewrite(node.value, rename=True)
    return node.with_changes(value=_on_column(call, lambda column: rewrite(column, rename=False)))


def _is_naive_clock(node: cst.BaseExpression, names: _Names) -> bool:
    if isinstance(node, cst.Lambda) and isinstance(node.body, cst.Call) and not node.body.args:
        node = node.body.func
    return names.qualify(node) in NAIVE_CLOCKS


@functools.lru_cache(maxsize=256)
def _expression(source: str) -> cst.BaseExpression:
    """A parsed replacement expression: the same few (``True``, ``lambda: datetime.now(timezone.utc)``) recur in
    every file, and libcst nodes are immutable, so one parse serves them all."""
    return cst.parse_expression(source)


_CODE = cst.Module(body=[])
"""Renders a rewritten statement with libcst's default formatting settings (the statement keeps its own)."""


# --- small libcst helpers --------------------------------------------------------------------------------------
def _dotted(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


def _keyword(call: cst.Call, name: str) -> cst.Arg | None:
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == name), None)


def _on_column(call: cst.Call, change) -> cst.Call:  # type: ignore[no-untyped-def]
    """Apply ``change`` to ``Field(sa_column=Column(...))``'s Column, or to the ``Field()`` call itself."""
    argument = _keyword(call, "sa_column")
    if argument is None:
        return change(call)
    if not isinstance(argument.value, cst.Call) or last_part(_dotted(argument.value.func)) != "Column":
        return call
    column = change(argument.value)
    return call.with_changes(args=[a.with_changes(value=column) if a is argument else a for a in call.args])


def _set_keyword(call: cst.Call, name: str, value: str) -> cst.Call:
    """``name=value`` on the call: replace a different value, append when missing, leave an equal one alone."""
    existing = _keyword(call, name)
    new_value = _expression(value)
    if existing is not None:
        if existing.value.deep_equals(new_value):
            return call
        return call.with_changes(args=[a.with_changes(value=new_value) if a is existing else a for a in call.args])
    argument = cst.Arg(
        keyword=cst.Name(name),
        value=new_value,
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
    )
    return call.with_changes(args=_append(list(call.args), argument, call.whitespace_before_args))


def _append(items: list, item, opening: cst.BaseParenthesizableWhitespace) -> list:  # type: ignore[type-arg]
    """Append to a comma-separated list (call arguments, imported names) in the list's own layout.

    In a one-per-line list the new item goes on its own line with the same indentation, and a comment after the
    last item stays on that item's line.
    """
    if not items:
        return [item]
    last = items[-1]
    comma = last.comma
    multiline = isinstance(comma, cst.Comma) and isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace)
    if not multiline:
        separator = items[-2].comma if len(items) >= 2 and isinstance(items[-2].comma, cst.Comma) else None
        separator = separator or cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        return [*items[:-1], last.with_changes(comma=separator), item.with_changes(comma=comma)]
    if len(items) >= 2 and isinstance(items[-2].comma, cst.Comma):
        indent = items[-2].comma.whitespace_after
    else:
        indent = opening
    last_line = indent.last_line if isinstance(indent, cst.ParenthesizedWhitespace) else cst.SimpleWhitespace("    ")
    between = comma.whitespace_after.with_changes(last_line=last_line)
    kept = last.with_changes(comma=comma.with_changes(whitespace_after=between))
    closing = comma.with_changes(
        whitespace_after=comma.whitespace_after.with_changes(
            first_line=cst.TrailingWhitespace(), empty_lines=[]
        )
    )
    return [*items[:-1], kept, item.with_changes(comma=closing)]


def _without_optional(node: cst.BaseExpression) -> cst.BaseExpression | None:
    """``Optional[X]`` / ``X | None`` / ``Union[X, None]`` → ``X``; ``None`` when it is not one of those."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        if _is_none(node.right):
            return node.left
        if _is_none(node.left):
            return node.right
        return None
    if isinstance(node, cst.Subscript):
        wrapper = last_part(_dotted(node.value))
        elements = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
        if wrapper == "Optional" and len(elements) == 1:
            return elements[0]
        if wrapper == "Union" and len(elements) == 2 and any(_is_none(e) for e in elements):
            return next(e for e in elements if not _is_none(e))
    return None


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _drop_none_default(call: cst.Call) -> cst.Call:
    """Remove ``default=None`` (or a positional ``None``): a NOT NULL column has no ``None`` default."""
    args = list(call.args)
    for position, argument in enumerate(args):
        is_default = (argument.keyword is not None and argument.keyword.value == "default") or (
            argument.keyword is None and position == 0 and not argument.star
        )
        if is_default and _is_none(argument.value):
            del args[position]
            if args and position == len(args):  # removed the last one: its predecessor takes over its comma
                args[-1] = args[-1].with_changes(comma=argument.comma)
            return call.with_changes(args=args)
    return call


def _mutable_literal(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.List | cst.Dict | cst.Set):
        return cst.Module(body=[]).code_for_node(node)
    if isinstance(node, cst.Call) and not node.args and _dotted(node.func) in {"list", "dict", "set"}:
        return cst.Module(body=[]).code_for_node(node)
    return None


def _default_factory(call: cst.Call) -> cst.Call:
    """``default=[]`` (or a positional ``[]``) → ``default_factory=list``."""
    for position, argument in enumerate(call.args):
        is_default = (argument.keyword is not None and argument.keyword.value == "default") or (
            argument.keyword is None and position == 0 and not argument.star
        )
        literal = _mutable_literal(argument.value) if is_default else None
        if literal is None:
            continue
        replacement = argument.with_changes(
            keyword=cst.Name("default_factory"),
            value=_expression(factory_for(literal)),
            equal=argument.equal
            if argument.keyword is not None
            else cst.AssignEqual(
                whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
            ),
        )
        return call.with_changes(args=[replacement if a is argument else a for a in call.args])
    return call


class _AddDatetimeImport(cst.CSTTransformer):
    """Add a name to the first ``from datetime import ...`` (or add that import after the last import)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.done = False

    def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom) -> cst.ImportFrom:  # noqa: N802
        module = _dotted(updated.module) if updated.module else None
        if self.done or module != "datetime" or updated.relative or isinstance(updated.names, cst.ImportStar):
            return updated
        self.done = True
        if any(alias.evaluated_name == self.name for alias in updated.names):
            return updated
        opening = updated.lpar.whitespace_after if updated.lpar else cst.SimpleWhitespace("")
        alias = cst.ImportAlias(name=cst.Name(self.name))
        return updated.with_changes(names=_append(list(updated.names), alias, opening))

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:  # noqa: N802
        if self.done:
            return updated
        statement = cst.parse_statement(f"from datetime import {self.name}\n")
        body = list(updated.body)
        last_import = max(
            (i for i, s in enumerate(body) if isinstance(s, cst.SimpleStatementLine)
             and any(isinstance(n, cst.Import | cst.ImportFrom) for n in s.body)),
            default=-1,
        )  # fmt: skip
        body.insert(last_import + 1, statement)
        return updated.with_changes(body=body)
