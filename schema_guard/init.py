"""``schema-guard init``: a starting ``[tool.schema_guard]`` written from what is in the project.

It reads the project's Python files with the source reader (nothing is imported), and finds the modules that
define tables, the folders to check, the Alembic configuration, and the likely tenant anchor: the table that the
most other tables point at with a ``<name>_<key>`` foreign key. It prints what it found and writes the table into
``pyproject.toml`` — creating the file when there is none, replacing nothing else in it, atomically — or, with
``--dry-run``, prints the table instead. Tables without the tenant column are listed in a comment rather than
declared shared: only a person can tell reference data from a table that forgot its tenant column.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from schema_guard.config import ConfigError, parse_config
from schema_guard.facts import TableFact
from schema_guard.files import ALWAYS_EXCLUDED, discover

PYPROJECT = "pyproject.toml"
SECTION = "tool.schema_guard"
TEST_FOLDERS = frozenset({"tests", "test", "testing"})
TENANT_WORDS = ("tenant", "organization", "organisation", "org", "account", "company", "workspace", "customer",
                "team", "student", "user")
"""Names that break a tie between equally referenced anchor candidates."""
ALEMBIC_SEARCH_DEPTH = 3


@dataclass(frozen=True)
class Anchor:
    table: str
    key: str
    column: str
    referenced_by: tuple[str, ...]


@dataclass
class Discovery:
    """What ``init`` found, all paths relative to the project root (POSIX)."""

    root: Path
    table_modules: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    src: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    anchor: Anchor | None = None
    without_tenant_column: list[str] = field(default_factory=list)
    alembic_config: str | None = None


def run_init(root: Path, *, dry_run: bool = False, force: bool = False) -> int:
    """The ``init`` command: discover, show, then write (or print) the configuration."""
    root = root.resolve()
    if not root.is_dir():
        raise ConfigError(f"{root}: not a folder")
    found = discover_project(root)
    if not found.tables:
        raise ConfigError(f"{root}: no SQLModel or SQLAlchemy table found in its Python files; nothing to configure")
    print(describe(found))
    table = render_table(found)
    parse_config(tomllib.loads(table)["tool"]["schema_guard"], root=root)  # what we write, `check` must accept
    if dry_run:
        print(f"\n{PYPROJECT} would get (--dry-run, nothing written):\n")
        print(table, end="")
        return 0
    target = root / PYPROJECT
    write_section(target, table, force=force)
    print(f"\nWrote [{SECTION}] to {target}. Next: `schema-guard check` (and `schema-guard migrations`).")
    return 0


def discover_project(root: Path) -> Discovery:
    from schema_guard.readers.source import read_source

    files = [f for f in discover([root], root) if not _is_test_file(f.relative_to(root))]
    facts = read_source(files)
    found = Discovery(root=root)
    by_file: dict[str, list[TableFact]] = {}
    for table in facts.tables:
        if table.location.path:
            by_file.setdefault(table.location.path, []).append(table)
    found.tables = sorted({t.name for t in facts.tables})
    found.table_modules = sorted(_relative(Path(p), root) for p in by_file)
    for path in sorted(by_file):
        import_root, module = _module_name(Path(path))
        found.models.append(module)
        top = _top_level(Path(path), import_root)
        if _relative(top, root) not in found.src:
            found.src.append(_relative(top, root))
    found.models = sorted(set(found.models))
    found.src = sorted(found.src)
    found.anchor = likely_anchor(facts.tables)
    if found.anchor is not None:
        found.without_tenant_column = sorted(
            t.name for t in facts.tables
            if t.name != found.anchor.table and found.anchor.column not in {c.name for c in t.columns}
        )
    found.alembic_config = _alembic_config(root)
    return found


def likely_anchor(tables: list[TableFact]) -> Anchor | None:
    """The table most other tables reference through a single-column foreign key named ``<anything>_<key>``."""
    referrers: dict[tuple[str, str], set[str]] = {}
    columns: dict[tuple[str, str], Counter[str]] = {}
    for table in tables:
        for fk in table.foreign_keys:
            if len(fk.columns) != 1 or fk.target_table == table.name:
                continue
            column, key = fk.columns[0], fk.target_columns[0]
            if not column.endswith(f"_{key}"):
                continue
            referrers.setdefault((fk.target_table, key), set()).add(table.name)
            columns.setdefault((fk.target_table, key), Counter())[column] += 1
    if not referrers:
        return None

    def rank(target: tuple[str, str]) -> tuple[int, int, str]:
        tenant_like = any(word in target[0].lower() for word in TENANT_WORDS)
        return (-len(referrers[target]), 0 if tenant_like else 1, target[0])

    best = min(referrers, key=rank)
    column = columns[best].most_common(1)[0][0]
    return Anchor(table=best[0], key=best[1], column=column, referenced_by=tuple(sorted(referrers[best])))


def describe(found: Discovery) -> str:
    """What init found, for a person to check before trusting it."""
    lines = [f"Found {len(found.tables)} table(s) in {len(found.table_modules)} module(s):"]
    lines += [f"  {module}" for module in found.table_modules]
    if found.anchor is None:
        lines.append("Tenant anchor: none found (no table is referenced by a `<name>_id` foreign key); "
                     "set tenant-table and tenant-column by hand")
    else:
        anchor = found.anchor
        lines.append(f"Tenant anchor: {anchor.table}.{anchor.key}, referenced by {len(anchor.referenced_by)} "
                     f"table(s) through {anchor.column}: {', '.join(anchor.referenced_by)}")
        if found.without_tenant_column:
            lines.append(f"Without {anchor.column} (tenant-scoped unless you declare them shared-tables): "
                         f"{', '.join(found.without_tenant_column)}")
    lines.append(f"Alembic: {found.alembic_config}" if found.alembic_config else "Alembic: no alembic.ini found")
    return "\n".join(lines)


def render_table(found: Discovery) -> str:
    """The ``[tool.schema_guard]`` table as TOML text (strings written as JSON strings, which TOML reads)."""
    lines = [f"[{SECTION}]", f"src = {_list(found.src)}", f"models = {_list(found.models)}"]
    anchor = found.anchor
    if anchor is not None:
        lines.append(f"tenant-table = {json.dumps(anchor.table)}")
        if anchor.key != "id":
            lines.append(f"tenant-key = {json.dumps(anchor.key)}")
        lines.append(f"tenant-column = {json.dumps(anchor.column)}")
        if found.without_tenant_column:
            lines.append(f"# Reference data shared by every tenant goes here; these tables have no {anchor.column}:")
            lines.append(f"# shared-tables = {_list(found.without_tenant_column)}")
    else:
        lines.append('# tenant-table = "..."    # the table every tenant-scoped row belongs to (no anchor was found)')
        lines.append('# tenant-column = "..."   # its foreign key on every tenant-scoped table')
    if found.alembic_config:
        lines += ["", f"[{SECTION}.migrations]", f"alembic-config = {json.dumps(found.alembic_config)}"]
    return "\n".join(lines) + "\n"


def write_section(target: Path, table: str, *, force: bool) -> None:
    """Add ``table`` to ``target`` (created when missing), keeping every other line; an existing
    ``[tool.schema_guard]`` is replaced only with ``force``. The result is parsed before it is written."""
    from schema_guard.atomic_write import write_atomically

    original = target.read_text(encoding="utf-8") if target.is_file() else ""
    try:
        before = tomllib.loads(original)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{target}: not valid TOML ({error}); fix it before running init") from None
    if "schema_guard" in before.get("tool", {}):
        if not force:
            raise ConfigError(f"{target}: already has [{SECTION}]; `schema-guard init --force` replaces it")
        original = _without_section(original, target)
    text = original.rstrip("\n") + ("\n\n" if original.strip() else "") + table
    after = tomllib.loads(text)
    after.get("tool", {}).pop("schema_guard", None)
    before.get("tool", {}).pop("schema_guard", None)
    if not after.get("tool"):
        after.pop("tool", None)
    if not before.get("tool"):
        before.pop("tool", None)
    if after != before:
        raise ConfigError(f"{target}: adding [{SECTION}] would change other settings; add it by hand:\n{table}")
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(target, text.encode("utf-8"))


def _without_section(text: str, target: Path) -> str:
    """``text`` minus the ``[tool.schema_guard]`` and ``[tool.schema_guard.*]`` tables (header to next header)."""
    kept: list[str] = []
    skipping = False
    for line in text.splitlines(keepends=True):
        header = line.strip().replace(" ", "")
        if header.startswith("[") and not header.startswith("[["):
            name = header.strip("[]").split("#")[0].strip("[]")
            skipping = name == SECTION or name.startswith(f"{SECTION}.")
        if not skipping:
            kept.append(line)
    result = "".join(kept)
    if "schema_guard" in tomllib.loads(result).get("tool", {}):
        raise ConfigError(f"{target}: [{SECTION}] is written as dotted keys that init cannot replace; edit it by hand")
    return result


def _is_test_file(relative: Path) -> bool:
    return bool(TEST_FOLDERS.intersection(relative.parts[:-1])) or relative.name.startswith("test_")


def _module_name(path: Path) -> tuple[Path, str]:
    """The folder the module is imported from (the first one up without ``__init__.py``) and its dotted name."""
    parts = [] if path.stem == "__init__" else [path.stem]
    folder = path.parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    return folder, ".".join(parts)


def _top_level(path: Path, import_root: Path) -> Path:
    """The top-level package folder holding ``path`` (or the module file itself when it is not in a package)."""
    return import_root / path.relative_to(import_root).parts[0]


def _alembic_config(root: Path) -> str | None:
    """``alembic.ini`` at the root, else the shallowest one below it (virtualenvs and caches not searched)."""
    candidates = []
    for folder, subfolders, names in os.walk(root):
        relative = Path(folder).relative_to(root)
        subfolders[:] = sorted(d for d in subfolders if d not in ALWAYS_EXCLUDED and not d.startswith("."))
        if len(relative.parts) >= ALEMBIC_SEARCH_DEPTH:
            subfolders[:] = []
        if "alembic.ini" in names:
            candidates.append(relative / "alembic.ini")
    if not candidates:
        return None
    return min(candidates, key=lambda p: (len(p.parts), p.as_posix())).as_posix()


def _relative(path: Path, root: Path) -> str:
    return path.resolve().relative_to(root).as_posix()


def _list(items: list[str], width: int = 90) -> str:
    """A TOML array of strings: on one line when it fits, else one item a line."""
    quoted = [json.dumps(item) for item in items]
    one_line = "[" + ", ".join(quoted) + "]"
    return one_line if len(one_line) <= width else "[\n" + "".join(f"    {q},\n" for q in quoted) + "]"
