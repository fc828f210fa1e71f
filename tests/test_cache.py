"""The source reader's cache gives exactly what a fresh read gives — cold, warm, after edits to a file or to a
base class another file inherits from, on the pre-commit path — and a damaged, foreign or concurrently written
cache file never crashes a run or changes its result."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import schema_guard.cache
import schema_guard.project_index
from schema_guard.cache import SourceCache
from schema_guard.files import discover
from schema_guard.project_index import SourceTree
from schema_guard.readers.source import read_source
from schema_guard.rules.registry import catalogue

REPO = Path(__file__).resolve().parent.parent

BASE = '''\
import uuid

from sqlmodel import Field, SQLModel


class TenantMixin(SQLModel):
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
'''

STATUS = '''\
import enum


class Status(str, enum.Enum):
    open = "open"
'''

ESSAYS = '''\
import uuid

from sqlmodel import Field, SQLModel

from .base import TenantMixin
from .names import ESSAYS
from .status import Status


class Essay(TenantMixin, table=True):
    __tablename__ = ESSAYS

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    status: Status
    grade: int | None = None
'''


def project(tmp_path: Path) -> Path:
    """Reference models, every rule example as its own file, and a mixin, an enum, a table-name constant and a
    model in four files."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "reference_models", root / "reference_models")
    examples = root / "examples"
    examples.mkdir()
    for code, rule in sorted(catalogue().items()):
        for number, example in enumerate(rule.examples):
            (examples / f"{code.lower()}_{number}.py").write_text(example.code, encoding="utf-8")
    package = root / "app"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "base.py").write_text(BASE, encoding="utf-8")
    (package / "status.py").write_text(STATUS, encoding="utf-8")
    (package / "essays.py").write_text(ESSAYS, encoding="utf-8")
    (package / "names.py").write_text('ESSAYS = "essays"\n', encoding="utf-8")
    (root / "broken.py").write_text("from sqlmodel import SQLModel\nclass Broken(SQLModel:\n", encoding="utf-8")
    return root


def files_of(root: Path) -> list[Path]:
    return discover([root], root)


def edit(path: Path, old: str, new: str) -> None:
    """Change a file and move its time on, as an editor saving it a moment later does."""
    status = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns + 5_000_000_000))


def test_cold_warm_and_edited_reads_equal_fresh_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path)
    cache = SourceCache(root / ".schema-guard-cache")
    files = files_of(root)
    assert cache.read(files) == read_source(files), "cold"
    parsed: list[Path] = []
    monkeypatch.setattr(schema_guard.cache, "parse_module", lambda path, label: parsed.append(path))
    assert cache.read(files) == read_source(files), "warm"
    assert parsed == [], "a warm read parses nothing"
    monkeypatch.undo()
    assert any(t.name == "essays" and t.column("student_id") for t in read_source(files).tables)

    edit(root / "app" / "essays.py", "grade: int | None = None", "grade: float")
    assert cache.read(files) == read_source(files), "after editing a model"
    edit(root / "app" / "base.py", 'foreign_key="students.id", index=True', 'foreign_key="students.id"')
    fresh = read_source(files)
    assert cache.read(files) == fresh, "after editing the mixin a model inherits from"
    assert not next(t for t in fresh.tables if t.name == "essays").indexes
    edit(root / "app" / "names.py", '"essays"', '"essays_v2"')
    fresh = read_source(files)
    assert cache.read(files) == fresh, "after editing the constant a model's table name comes from"
    assert any(t.name == "essays_v2" for t in fresh.tables)
    edit(root / "app" / "status.py", "class Status(str, enum.Enum)", "class Status(str)")
    assert cache.read(files) == read_source(files), "after an enum stops being one"
    (root / "app" / "__init__.py").unlink()
    assert cache.read(files[:-1]) == read_source(files[:-1]), "after the package became a plain folder"


def age(root: Path, seconds: int = 100) -> None:
    """Move every file's and folder's times back, as a tree checked out a while ago has them (an index entry
    recorded within the clock's resolution of a change is not trusted, and would hide the case under test)."""
    past = time.time_ns() - seconds * 1_000_000_000
    for folder, _, names in os.walk(root):
        for name in names:
            os.utime(Path(folder, name), ns=(past, past))
        os.utime(folder, ns=(past, past))


def partial_read(cache: SourceCache, root: Path, staged: list[Path]) -> None:
    """The pre-commit path through the cache gives what a fresh read with the rest of ``src`` as context gives."""
    tree = SourceTree((root,), root)
    others = [f for f in files_of(root) if f not in staged]
    assert cache.read(staged, tree=tree) == read_source(staged, context_files=others)


def test_pre_commit_path_reads_context_from_the_cache(tmp_path: Path) -> None:
    root = project(tmp_path)
    cache = SourceCache(root / ".schema-guard-cache")
    staged = [root / "app" / "essays.py"]
    for _ in range(2):
        partial_read(cache, root, staged)
    edit(root / "app" / "base.py", "class TenantMixin(SQLModel)", "class TenantMixinRenamed(SQLModel)")
    partial_read(cache, root, staged)
    assert list((root / ".schema-guard-cache").glob("project-*.pickle"))


def test_a_warm_pre_commit_run_lists_and_reads_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path)
    age(root)
    cache = SourceCache(tmp_path / "cache")
    staged = [root / "app" / "essays.py"]
    partial_read(cache, root, staged)
    monkeypatch.setattr(schema_guard.project_index, "walk", lambda *args: pytest.fail("src listed again"))
    monkeypatch.setattr(schema_guard.project_index, "read_bytes", lambda path: pytest.fail(f"{path} read"))
    context, paths = cache._lend(SourceTree((root,), root), {schema_guard.project_index.key(staged[0])})
    assert str(root / "app" / "base.py") in paths and str(staged[0]) not in paths
    assert str(root / "app" / "base.py") in context.files_by_class["TenantMixin"]
    assert all(str(staged[0]) not in defining for defining in context.files_by_class.values())


STALE = {
    "a new file": lambda root: (root / "app" / "extra.py").write_text(
        'from sqlmodel import SQLModel\n\n\nclass Extra(SQLModel, table=True):\n    __tablename__ = "extras"\n',
        encoding="utf-8"),
    "a deleted file": lambda root: (root / "app" / "base.py").unlink(),
    "a renamed file": lambda root: (root / "app" / "base.py").rename(root / "app" / "base_renamed.py"),
    "a renamed folder": lambda root: (root / "app").rename(root / "application"),
    "a new folder": lambda root: shutil.copytree(root / "app", root / "app_copy"),
    "a file edited in place": lambda root: _edit_in_place(root / "reference_models" / "attempts.py"),
    "the staged file edited": lambda root: edit(root / "app" / "essays.py", "grade: int | None", "grade: float"),
}


def _edit_in_place(path: Path) -> None:
    """Rewrite a file without touching its folder's time (as an editor that writes in place does)."""
    folder = path.parent.stat()
    edit(path, '__tablename__ = "attempts"', '__tablename__ = "attempts_v2"')
    os.utime(path.parent, ns=(folder.st_atime_ns, folder.st_mtime_ns))


@pytest.mark.parametrize("change", list(STALE))
@pytest.mark.parametrize("aged", [True, False], ids=["aged", "just-changed"])
def test_the_index_of_src_follows_every_change(tmp_path: Path, change: str, aged: bool) -> None:
    root = project(tmp_path)
    age(root)
    cache = SourceCache(tmp_path / "cache")
    staged = [root / "reference_models" / next(iter(sorted(os.listdir(root / "reference_models"))))]
    staged = [root / "app" / "essays.py"] if change != "a renamed folder" else staged
    partial_read(cache, root, staged)
    STALE[change](root)
    if aged:  # the change is older than the index's clock tolerance: only the times it changed tell
        age(root, 50)
    partial_read(cache, root, staged)
    partial_read(cache, root, staged)


def test_an_edit_that_keeps_the_names_does_not_rewrite_the_index(tmp_path: Path) -> None:
    """The staged file of a commit was just edited: it is read again on every run (cheap) rather than the whole
    index written again; an edit that changes what a file defines is written."""
    root = project(tmp_path)
    age(root)
    folder = tmp_path / "cache"
    staged = [root / "app" / "essays.py"]
    partial_read(SourceCache(folder), root, staged)
    (stored,) = folder.glob("project-*.pickle")
    written = stored.read_bytes()
    edit(root / "app" / "essays.py", "grade: int | None = None", "grade: float")
    edit(root / "app" / "base.py", "index=True", "index=False")
    for _ in range(2):
        partial_read(SourceCache(folder), root, staged)
        assert stored.read_bytes() == written
    edit(root / "app" / "base.py", "class TenantMixin(SQLModel)", "class TenantMixinRenamed(SQLModel)")
    partial_read(SourceCache(folder), root, staged)
    assert stored.read_bytes() != written
    partial_read(SourceCache(folder), root, staged)


@pytest.mark.parametrize("damage", [b"", b"junk", pickle.dumps({"entries": "foreign"}), b"\x80\x05\x95"])
def test_a_damaged_index_is_ignored_and_rewritten(tmp_path: Path, damage: bytes) -> None:
    root = project(tmp_path)
    age(root)
    folder = tmp_path / "cache"
    staged = [root / "app" / "essays.py"]
    partial_read(SourceCache(folder), root, staged)
    for path in folder.glob("project-*.pickle"):
        path.write_bytes(damage)
    partial_read(SourceCache(folder), root, staged)
    assert all(path.read_bytes() != damage for path in folder.glob("project-*.pickle"))


@pytest.mark.parametrize("damage", ["signatures", "scans", "foreign scans"])
def test_an_index_with_inconsistent_contents_is_rebuilt(tmp_path: Path, damage: str) -> None:
    root = project(tmp_path)
    age(root)
    cache = SourceCache(tmp_path / "cache")
    staged = [root / "app" / "essays.py"]
    partial_read(cache, root, staged)
    pack = cache._load("project")
    index = pack.entries["index"]
    if damage == "signatures":
        index.signatures.clear()
    else:  # the packed part is unpacked when a file changed
        index.scans = b"\x80\x05junk" if damage == "scans" else pickle.dumps([os.system])
        edit(root / "app" / "base.py", "index=True", "index=False")
    pack.changed = True
    cache._save("project", pack)
    partial_read(cache, root, staged)


def test_a_change_within_the_clock_resolution_is_still_seen(tmp_path: Path) -> None:
    """Same size, same modification time: the entry was written while the file was recent, so it is checked by
    content."""
    root = project(tmp_path)
    cache = SourceCache(root / ".schema-guard-cache")
    files = files_of(root)
    cache.read(files)
    path = root / "app" / "essays.py"
    status = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace("grade: int", "grade: str"), encoding="utf-8")
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert path.stat().st_size == status.st_size
    essay = next(t for t in cache.read(files).tables if t.name == "essays")
    assert essay.column("grade").type == "VARCHAR"


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"not a pickle at all",
        pickle.dumps({"entries": "foreign"}),
        pickle.dumps(os.system),  # a foreign pickle naming a callable is refused, never called
        b"\x80\x05\x95",  # truncated
    ],
)
def test_damaged_or_foreign_cache_files_are_ignored_and_rewritten(tmp_path: Path, damage: bytes) -> None:
    root = project(tmp_path)
    folder = root / ".schema-guard-cache"
    files = files_of(root)
    SourceCache(folder).read(files)
    for path in folder.glob("*.pickle"):
        path.write_bytes(damage)
    assert SourceCache(folder).read(files) == read_source(files)
    assert SourceCache(folder).read(files) == read_source(files)
    assert all(path.read_bytes() != damage for path in folder.glob("*.pickle"))


def run_check(root: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "schema_guard", "check", "--source-only", "--format", "json", *extra],
        cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def write_config(root: Path, extra: str = "") -> None:
    (root / "pyproject.toml").write_text(
        f'[tool.schema_guard]\nsrc = ["reference_models", "app"]\n{extra}', encoding="utf-8"
    )


def test_concurrent_runs_agree_with_an_uncached_run(tmp_path: Path) -> None:
    root = project(tmp_path)
    write_config(root)
    expected = run_check(root, "--no-cache").communicate()
    assert not (root / ".schema-guard-cache").exists(), "--no-cache writes nothing"
    for _ in range(2):
        runs = [run_check(root) for _ in range(4)]
        assert [run.communicate() for run in runs] == [expected] * 4
    edit(root / "app" / "essays.py", "grade: int | None = None", "grade: int | None = Field(default=[])")
    runs = [run_check(root) for _ in range(3)]
    outputs = [run.communicate() for run in runs]
    assert outputs == [run_check(root, "--no-cache").communicate()] * 3
    assert "SG503" in outputs[0][0]
    assert not list((root / ".schema-guard-cache").glob("*.tmp")), "no temporary file is left behind"


def test_cache_dir_setting_and_gitignore(tmp_path: Path) -> None:
    root = project(tmp_path)
    write_config(root, 'cache-dir = "build/sg-cache"\n')
    assert run_check(root).communicate() == run_check(root, "--no-cache").communicate()
    folder = root / "build" / "sg-cache"
    assert (folder / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    assert list(folder.glob("facts-*.pickle"))
    assert not (root / ".schema-guard-cache").exists()


def test_an_unwritable_cache_folder_only_means_no_cache(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "blocked").write_text("a file where the folder would go", encoding="utf-8")
    files = files_of(root)
    assert SourceCache(root / "blocked" / "cache").read(files) == read_source(files)


def test_upgrading_sqlmodel_past_its_datetime_change_invalidates_the_cache() -> None:
    """SQLModel 0.0.45 reads a plain ``datetime`` as timezone-aware: the source reader asks the installed SQLModel,
    so a cache written under the other mapping must not be reused (it kept stale SG504 findings on a real project
    after a downgrade)."""
    from schema_guard import cache
    from schema_guard.readers.source import column_types

    seen = set()
    original = column_types.sqlmodel_datetime_is_aware
    try:
        for aware in (True, False):
            column_types.sqlmodel_datetime_is_aware = lambda aware=aware: aware  # type: ignore[assignment]
            cache.namespace.cache_clear()
            seen.add(cache.namespace())
    finally:
        column_types.sqlmodel_datetime_is_aware = original  # type: ignore[assignment]
        cache.namespace.cache_clear()
    assert len(seen) == 2
