"""No import cycles in the package: the module import graph, built statically from every module's source with
``ast`` — imports at module level, inside functions and under ``TYPE_CHECKING`` alike — has no cycle. A cycle means
two modules that cannot be understood (or imported, or tested) one without the other; a function-level import that
hides one only defers the problem to run time."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.helpers import REPO_ROOT

PACKAGE = REPO_ROOT / "schema_guard"
Graph = dict[str, set[str]]


def module_names(package: Path) -> dict[str, tuple[Path, bool]]:
    """Every module of the package by dotted name, with its file and whether it is a package's ``__init__``."""
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        modules[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return modules


def import_graph(package: Path) -> Graph:
    """Module → the package's modules it imports. ``from a.b import c`` is an edge to ``a.b.c`` when that is a
    module, else to ``a.b``; names that are not modules of the package resolve to their longest module prefix."""
    modules = module_names(package)
    root = package.name

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: Graph = {}
    for name, (path, is_package) in modules.items():
        here = name if is_package else name.rpartition(".")[0]
        targets: set[str | None] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                targets |= {known(alias.name) for alias in node.names if alias.name.split(".")[0] == root}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.split(".")[: len(here.split(".")) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                if source.split(".")[0] != root:
                    continue
                for alias in node.names:
                    target = f"{source}.{alias.name}"
                    targets.add(target if target in modules else known(source))
        graph[name] = {target for target in targets if target is not None and target != name}
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph(PACKAGE)
    assert len(graph) > 50 and graph["schema_guard.engine"] >= {"schema_guard.decide", "schema_guard.findings"}
    assert cycles(graph) == [], "import cycles (each a group of modules that import each other)"


def test_the_graph_sees_function_level_type_checking_and_relative_imports(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "a.py").write_text("def f():\n    from pkg.b import thing\n", encoding="utf-8")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.sub import c\n", encoding="utf-8"
    )
    (package / "sub" / "__init__.py").write_text("", encoding="utf-8")
    (package / "sub" / "c.py").write_text("from .. import a\nimport os\n", encoding="utf-8")
    (package / "d.py").write_text("import pkg.a\n", encoding="utf-8")
    graph = import_graph(package)
    assert graph == {"pkg": set(), "pkg.a": {"pkg.b"}, "pkg.b": {"pkg.sub.c"}, "pkg.sub": set(),
                     "pkg.sub.c": {"pkg.a"}, "pkg.d": {"pkg.a"}}
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.sub.c"]]


def test_rules_and_the_facts_they_read_depend_on_no_gate_module_no_reader_and_no_libcst() -> None:
    """The layers the design names: the gate runs rules and reads revisions into facts, readers turn code into
    facts; rules (per-revision ones included) and the facts they read know nothing of how the gate or a reader
    works, and never see a libcst node."""
    graph = import_graph(PACKAGE)
    rule_side = [m for m in graph if m.startswith("schema_guard.rules")] + [
        "schema_guard.facts", "schema_guard.revision_facts", "schema_guard.schema_view", "schema_guard.api"]
    layers = ("schema_guard.gate", "schema_guard.readers")
    assert {m: sorted(t for t in graph[m] if t.startswith(layers)) for m in rule_side} == {m: [] for m in rule_side}
    for module in rule_side:
        path = PACKAGE.parent.joinpath(*module.split(".")).with_suffix(".py")
        path = path if path.exists() else path.with_suffix("") / "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not any(name.split(".")[0] == "libcst" for name in imported), module
