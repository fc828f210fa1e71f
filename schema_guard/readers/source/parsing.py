"""Source text as Python reads it, parsed on whichever interpreter runs schema-guard.

Decoding follows the interpreter's own rules (PEP 263 coding cookie, UTF-8 byte-order mark). Parsing uses the
stdlib ``ast``; when it fails — a file written for a newer Python than the one running the check, which pre-commit
makes common (PEP 695 ``type X = ...`` and ``class C[T]``, PEP 701 f-strings such as ``f"{row["k"]}"``,
``except*`` on 3.10) — libcst's version-independent parser decides whether the file is valid Python at all. If it
is, the constructs this interpreter cannot parse are rewritten in place into ones it can, keeping every line where
it was, and the result goes to ``ast`` again:

* ``type X[T] = expr`` becomes ``X = expr``; ``class C[T](...)``/``def f[T](...)`` lose their type parameters;
* ``except*`` becomes ``except``, and PEP 758's ``except A, B:`` becomes ``except (A, B):``;
* an f-string (or t-string) this interpreter cannot parse becomes a call to an unknown function, which the reader
  treats as a value it cannot see (opaque) rather than guessing.

libcst is imported only on that fallback, so the pre-commit path stays free of its import cost.
"""

from __future__ import annotations

import ast
import io
import tokenize
from typing import Any

UNPARSED_CALL = "__schema_guard_unparsed__"
"""What an f-string the running interpreter cannot parse is replaced by."""


class SourceError(Exception):
    """The bytes are not Python source text (bad coding cookie, undecodable bytes)."""


def decode(data: bytes) -> str:
    """The text of a source file as Python decodes it: the coding cookie or UTF-8, without a byte-order mark."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except (SyntaxError, LookupError) as error:
        raise SourceError(f"unknown encoding ({error})") from error
    except UnicodeDecodeError as error:
        raise SourceError(f"not {error.encoding.upper()} ({error.reason})") from error


def parse(text: str, label: str) -> ast.Module:
    """``ast.parse``, falling back to a libcst rewrite for syntax newer than this interpreter (see module doc).

    Raises the original ``SyntaxError`` when the text is not valid Python on any version."""
    try:
        return ast.parse(text, filename=label)
    except SyntaxError as error:
        rewritten = _downlevel(text)
        if rewritten is None:
            raise
        try:
            return ast.parse(rewritten, filename=label)
        except SyntaxError:
            raise error from None


def _downlevel(text: str) -> str | None:
    """``text`` with newer-Python constructs rewritten, or ``None`` when libcst cannot parse it either."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    try:
        wrapper = MetadataWrapper(cst.parse_module(text), unsafe_skip_copy=True)
    except (cst.ParserSyntaxError, RecursionError):
        return None
    positions = wrapper.resolve(PositionProvider)
    edits: list[tuple[tuple[int, int], tuple[int, int], str]] = []
    pending = [wrapper.module]
    while pending:
        node = pending.pop()
        if not _rewrite(node, wrapper.module, positions, edits):
            pending.extend(node.children)
    return _apply(text, edits)


def _rewrite(node: Any, module: Any, positions: Any, edits: list[tuple[tuple[int, int], tuple[int, int], str]]) -> bool:
    """Add the edit ``node`` needs, if any; ``True`` when its children need no look (they were replaced too)."""
    import libcst as cst

    def span(first: Any, last: Any, replacement: str, *, to_start: bool = False) -> None:
        start = positions[first].start
        end = positions[last].start if to_start else positions[last].end
        edits.append(((start.line, start.column), (end.line, end.column), replacement))

    kind = type(node).__name__
    if isinstance(node, cst.TypeAlias):
        span(node, node.value, f"{node.name.value} = ", to_start=True)
    elif isinstance(node, cst.ClassDef | cst.FunctionDef) and getattr(node, "type_parameters", None):
        span(node.type_parameters, node.type_parameters, "")
    elif kind == "ExceptStarHandler":
        span(node, node.type, "except ", to_start=True)
    if kind in ("ExceptHandler", "ExceptStarHandler") and isinstance(node.type, cst.Tuple) and not node.type.lpar:
        span(node.type, node.type, f"({module.code_for_node(node.type)})")  # PEP 758: ``except A, B:``
    elif kind in ("FormattedString", "TemplatedString") and not _parses(module.code_for_node(node)):
        position = positions[node]
        span(node, node, UNPARSED_CALL + "(" + "\n" * (position.end.line - position.start.line) + ")")
        return True
    return False


def _parses(code: str) -> bool:
    """Whether this interpreter parses one f-string on its own."""
    try:
        ast.parse(f"({code})", mode="eval")
    except SyntaxError:
        return False
    return True


def _apply(text: str, edits: list[tuple[tuple[int, int], tuple[int, int], str]]) -> str:
    """Apply non-overlapping edits given in 1-based lines and 0-based character columns, last one first."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def offset(position: tuple[int, int]) -> int:
        line, column = position
        return starts[line - 1] + column if line - 1 < len(starts) else len(text)

    for start, end, replacement in sorted(edits, key=lambda edit: edit[0], reverse=True):
        text = text[: offset(start)] + replacement + text[offset(end) :]
    return text
