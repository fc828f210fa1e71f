"""The gate's read-only libcst walk meets the nodes in the order libcst's own ``visit`` does: the op calls of a
revision are collected in source order, and ``with`` blocks open and close around the calls inside them."""

from __future__ import annotations

import inspect
import sys
import textwrap

import libcst as cst
import pytest

from schema_guard.gate.analysis import cst_walk

EVERY_CONSTRUCT = textwrap.dedent('''\
    @decorate(first())
    def upgrade(a, /, b=default(), *rest, c=keyword(), **more) -> annotation():
        """Docstring."""
        global counter
        x = op.add_column("t", sa.Column("c", sa.Integer())) if check() else op.drop_column("t", "c")
        y = [call(i) for i in items() if keep(i)]
        z = {key(): value() for key in keys()}
        with op.batch_alter_table("t") as batch_op, other() as o:
            batch_op.add_column(sa.Column("d", sa.Text()))
        try:
            op.execute("SELECT 1")
        except (KeyError, error()) as caught:
            handle(caught)
        else:
            otherwise()
        finally:
            cleanup()
        for item in source():
            use(item)
        while condition():
            step()
        match subject():
            case [first_item, *others] if guard():
                matched()
            case {"k": value}:
                pass
        lambda q=default(): body(q)
        del target()[index()]
        assert test(), message()
        raise Problem(reason()) from cause()
        return f"{formatted()!r:>{width()}}"


    class Model(Base(), metaclass=meta()):
        @decorated()
        async def method(self):
            async with lock():
                await wait()
            async for chunk in stream():
                yield chunk
            try:
                pass
            except* ValueError:
                handled()
    ''')


class Recorder:
    """Records every node it is shown, on the way in and on the way out."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int]] = []

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        if name.startswith(("visit_", "leave_")):
            return lambda node: self.seen.append((name[:5], id(node)))
        raise AttributeError(name)


class LibcstRecorder(cst.CSTVisitor):
    """libcst's own walk, recording the nodes the read-only walk enters."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if cst_walk._walked(type(node)):
            self.seen.append(("visit", id(node)))
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        if cst_walk._walked(type(original_node)):
            self.seen.append(("leave", id(original_node)))


def same_order(text: str) -> None:
    module = cst.parse_module(text)
    ours, theirs = Recorder(), LibcstRecorder()
    cst_walk.walk(module, ours)
    module.visit(theirs)
    assert ours.seen == theirs.seen
    assert len(ours.seen) > 10


def test_every_construct_in_libcst_order() -> None:
    same_order(EVERY_CONSTRUCT)


@pytest.mark.parametrize("module", ["dataclasses", "argparse", "inspect"])
def test_real_code_in_libcst_order(module: str) -> None:
    same_order(inspect.getsource(sys.modules.get(module) or __import__(module)))


def test_a_visit_hook_returning_false_skips_the_children() -> None:
    class Outer:
        def __init__(self) -> None:
            self.calls: list[str] = []

        def visit_With(self, node: cst.With) -> bool:
            return False

        def visit_Call(self, node: cst.Call) -> None:
            self.calls.append(cst.Module([]).code_for_node(node.func))

    visitor = Outer()
    cst_walk.walk(cst.parse_module("a()\nwith b():\n    c()\nd()\n"), visitor)
    assert visitor.calls == ["a", "d"]
