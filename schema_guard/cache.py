"""A cache of the source reader's per-file results, so an unchanged file is not parsed again.

What is cached, per file, keyed by its content (a BLAKE2 digest; an unchanged size, modification time and inode
stand for it once the file is older than the cache entry, as git's index does):

* a checked file's *fragment*: the classes, tables, relationships and mapping calls the reader built from it, and
  the problems (SG001) it had. Cross-file work is never cached: the fragments are joined, the reader's final steps
  (trusting foreign keys while a table name is computed, inferring foreign-key column types), the reading of
  application code (queries and routes, which depend on every model) and every rule run on each invocation.
* the *index* of ``src`` (:mod:`schema_guard.project_index`): its files and folders, and the class, table and enum
  names each file defines, which the pre-commit path lends from the rest of ``src`` without listing or reading it.

A fragment also depends on other files: the enums a field's type may name, and the classes its models inherit from
(their files' content, and which files define a class of that name). These form one *environment* fingerprint; when
it changes, no fragment is reused. When a re-read file names a base class that several files define, everything is
re-read, so that the reader resolves it exactly as a run without the cache does. A fragment is also tied to the
path as written and to the file's module name (which ``__init__.py`` files decide).

Where: ``cache-dir`` (default ``.schema-guard-cache`` in the project root), holding a ``.gitignore`` and one file
per kind and *namespace*: the schema-guard version, a digest of the reader's own source files (a changed reader
invalidates everything) and the cache format. Files are written whole to a temporary name and renamed into place,
so concurrent runs each see a complete file (the last writer wins); a cache file that cannot be read, is corrupt,
or was written by something else is ignored and rewritten. Only schema-guard's own fact classes can be loaded from
it. ``--no-cache`` reads everything afresh and writes nothing.
"""

from __future__ import annotations

import gc
import hashlib
import io
import os
import pickle
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from schema_guard.facts import SchemaFacts
from schema_guard.readers.source.application import MARKERS as APPLICATION_MARKERS
from schema_guard.project_index import Signature, SourceTree, lend
from schema_guard.project_index import digest as _digest
from schema_guard.project_index import read_bytes as _read_bytes
from schema_guard.project_index import signature as _signature
from schema_guard.project_index import trusted as _trusted
from schema_guard.readers.source.column_types import reading_environment
from schema_guard.readers.source.context import ContextIndex
from schema_guard.readers.source.imports import root_part
from schema_guard.readers.source.module import ParsedModule, module_name_of, parse_module
from schema_guard.readers.source.column_types import is_enum_class
from schema_guard.readers.source import reader

FORMAT = 6
"""Bumped when the layout of the cache files changes (2: Location pickled from schema_guard.location; 3: a file's
summary says whether it may hold application code; 4: the index of ``src`` replaces the context scans; 5: the
index notes the files registering a ``do_orm_execute`` listener; 6: and the files naming each table)."""

DEFAULT_FOLDER = ".schema-guard-cache"


@dataclass(frozen=True)
class Summary:
    """How a checked file takes part in other files' reading: its class names, the names of its classes' project
    bases (the last part), its enum classes and what it imports (dotted). ``model`` is false for a file the reader
    does not read models from (no model marker, or it does not parse): any such file may be followed into."""

    model: bool = False
    classes: tuple[str, ...] = ()
    bases: tuple[str, ...] = ()
    enums: tuple[str, ...] = ()
    imports: tuple[str, ...] = ()
    application: bool = False
    """It may hold application code (statements, routes): read again on every run."""


@dataclass(frozen=True)
class Fragment:
    """The source reader's result for one checked file, before the cross-file steps."""

    classes: list[Any] = field(default_factory=list)
    tables: list[Any] = field(default_factory=list)
    relationships: list[Any] = field(default_factory=list)
    mapping_calls: list[Any] = field(default_factory=list)
    problems: list[Any] = field(default_factory=list)
    unnamed: bool = False
    """Some table's name is computed where the reader cannot follow."""


@dataclass(frozen=True)
class FileEntry:
    """One checked file: what identifies its content and how it was read, and its :class:`Fragment`."""

    label: str
    module: str
    digest: str
    signature: Signature | None
    summary: Summary
    fragment: Fragment


@dataclass
class _Pack:
    """The contents of one cache file."""

    namespace: str
    entries: dict[str, Any] = field(default_factory=dict)
    environment: str = ""
    changed: bool = False


class SourceCache:
    """The cache folder of one project, for one namespace."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.namespace = namespace()

    # --- reading through the cache -----------------------------------------------------------------------------
    def read(self, files: Sequence[Path], *, context_files: Sequence[Path] = (),
             tree: SourceTree | None = None) -> SchemaFacts:
        """What :func:`~schema_guard.readers.source.read_source` returns for the same arguments; with ``tree`` (a
        partial check), what it returns with the files of ``tree`` as ``context_files``."""
        collecting = gc.isenabled()
        gc.disable()  # loading and building allocate many objects that all live to the end of the run
        try:
            if tree is not None:  # the few checked files are read, the rest of src is lent by the index
                return reader.read_source(files, lender=lambda checked: self._lend(tree, checked))
            if context_files:
                return reader.read_source(files, context_files=context_files)
            return self._read_all(list({reader._key(p): p for p in reader._python_files(files)}.values()))
        finally:
            # The facts live until the end of the check and hold no reference cycles: the collector need not
            # traverse them again while the rules run (a full collection over 5,000 files' facts costs ~0.3 s).
            gc.freeze()
            if collecting:
                gc.enable()

    def _lend(self, tree: SourceTree, checked: set[str]) -> tuple[ContextIndex, list[str]]:
        pack = self._load("project")
        try:
            context, paths, changed = lend(tree, checked, pack.entries.get("index"))
        except Exception:  # noqa: BLE001 - an index of the right class with damaged contents: built afresh
            context, paths, changed = lend(tree, checked, None)
        if changed is not None:
            pack.entries["index"] = changed
            pack.changed = True
            self._save("project", pack)
        return context, paths

    def _read_all(self, checked: list[Path]) -> SchemaFacts:
        """Every file of the project is checked: unchanged files' fragments are reused while the environment
        they were read in holds."""
        pack = self._load("facts")
        cwd = os.getcwd()
        keys = [_absolute(path, cwd) for path in checked]
        reused: dict[str, FileEntry] = {}
        parsed: dict[str, object] = {}
        digests: dict[str, str] = {}
        for path, key in zip(checked, keys, strict=True):
            found = _lookup(pack.entries.get(key), path, key)
            if isinstance(found, FileEntry):
                reused[key] = found
                digests[key] = found.digest
            else:
                parsed[key] = parse_module(path, str(path))
                digests[key] = found
        summaries = {key: reused[key].summary if key in reused else _summary(parsed[key]) for key in keys}
        environment = _environment(summaries, digests)
        if reused and (environment != pack.environment or _ambiguous(summaries, list(parsed))):
            for path, key in zip(checked, keys, strict=True):  # everything is read again
                if reused.pop(key, None) is not None:
                    parsed[key] = parse_module(path, str(path))
        if environment != pack.environment:
            pack.entries.clear()
            pack.environment = environment
            pack.changed = True
        fragments = self._fragments(checked, keys, reused, parsed, summaries, digests, pack)
        for key in set(pack.entries) - set(summaries):  # files gone from the project
            del pack.entries[key]
            pack.changed = True
        self._save("facts", pack)  # before the cross-file steps, which change some columns of the fragments
        facts = SchemaFacts(reader="source")
        for fragment in fragments:
            facts.classes.extend(fragment.classes)
            facts.tables.extend(fragment.tables)
            facts.relationships.extend(fragment.relationships)
            facts.mapping_calls.extend(fragment.mapping_calls)
            facts.problems.extend(fragment.problems)
        reader._finish(facts, set(), any(fragment.unnamed for fragment in fragments))
        application = [path for path, key in zip(checked, keys) if summaries[key].application]
        classes = [(path, summaries[key].classes) for path, key in zip(checked, keys)]
        reader.read_application_files(application, classes, facts)
        return facts

    @staticmethod
    def _fragments(
        checked: list[Path],
        keys: list[str],
        reused: dict[str, FileEntry],
        parsed: dict[str, object],
        summaries: dict[str, Summary],
        digests: dict[str, str],
        pack: _Pack,
    ) -> list[Fragment]:
        """Every file's fragment, in the order of the files: reused, or read with the unchanged files lending
        their classes to the re-read ones as context files do."""
        context = ContextIndex()
        for path, key in zip(checked, keys, strict=True):
            if key in reused:
                for name in summaries[key].classes:
                    context.files_by_class.setdefault(name, []).append(path)
                context.enum_names.update(summaries[key].enums)
        modules = [module for module in parsed.values() if isinstance(module, ParsedModule)]
        index = reader._class_index(modules, context, checked)
        fragments: list[Fragment] = []
        for path, key in zip(checked, keys, strict=True):
            if key in reused:
                fragments.append(reused[key].fragment)
                continue
            fragment = _fragment(parsed[key], index)
            fragments.append(fragment)
            pack.entries[key] = FileEntry(str(path), _module(key), digests[key], _trusted(_signature(path)),
                                          summaries[key], fragment)
            pack.changed = True
        index.release()
        return fragments

    # --- cache files ---------------------------------------------------------------------------------------------
    def _file(self, kind: str) -> Path:
        return self.folder / f"{kind}-{self.namespace[:16]}.pickle"

    def _load(self, kind: str) -> _Pack:
        try:
            data = self._file(kind).read_bytes()
            pack = _Unpickler(io.BytesIO(data)).load()
        except Exception:  # noqa: BLE001 - missing, unreadable, truncated, corrupt or foreign: start afresh
            return _Pack(self.namespace, changed=True)
        if not isinstance(pack, _Pack) or pack.namespace != self.namespace or not isinstance(pack.entries, dict):
            return _Pack(self.namespace, changed=True)
        pack.changed = False
        return pack

    def _save(self, kind: str, pack: _Pack) -> None:
        """Write the pack whole under a temporary name, then rename it into place (atomic on every platform
        Python supports); a folder that cannot be written only means no cache."""
        if not pack.changed:
            return
        pack.changed = False
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                _write_atomically(ignore, b"# Written by schema-guard: its cache is never committed.\n*\n")
            _write_atomically(self._file(kind), pickle.dumps(pack, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:
            return


def source_cache(root: Path, folder: str | None) -> SourceCache | None:
    """The cache of a project (``folder`` relative to ``root``), ``None`` when caching is off."""
    if not folder:
        return None
    return SourceCache(root / folder)


@lru_cache(maxsize=1)
def namespace() -> str:
    """The schema-guard version, the cache format, what the reader depends on in the environment (the installed
    SQLModel's datetime mapping) and a digest of the source files that decide what the reader produces: a reader
    changed in place (an editable install) invalidates the cache as a new version does."""
    from schema_guard.version import __version__

    digest = hashlib.blake2b(f"{__version__}:{FORMAT}:{reading_environment()}".encode(), digest_size=16)
    package = Path(__file__).resolve().parent
    for path in sorted([*package.glob("readers/source/*.py"), package / "facts.py", package / "findings.py",
                        package / "cache.py", package / "project_index.py", package / "files.py",
                        package / "column_keywords.py"]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


# --- what a fragment depends on ---------------------------------------------------------------------------------
def _summary(parsed: object) -> Summary:
    if not isinstance(parsed, ParsedModule):
        return Summary()
    bases = {
        qualified.rsplit(".", 1)[-1]
        for info in parsed.classes
        for qualified in info.bases
        if qualified and root_part(qualified) not in reader._LIBRARY_ROOTS
    }
    return Summary(
        model=True,
        classes=tuple(info.name for info in parsed.classes),
        bases=tuple(sorted(bases)),
        enums=tuple(info.name for info in parsed.classes if is_enum_class(info.bases)),
        imports=tuple(sorted({*parsed.imports.names.values(), *parsed.imports.star_modules})),
        application=any(marker in parsed.text for marker in APPLICATION_MARKERS),
    )


def _environment(summaries: dict[str, Summary], digests: dict[str, str]) -> str:
    """A digest of everything a file's reading can take from other files: every enum name; for every class name
    used as a base, the files that define it; and the content of those files, of every file a model file imports
    from (constants, mixins), and of every file that is not a model file (it may be imported from, or re-export)."""
    used = {name for summary in summaries.values() for name in summary.bases}
    defining: dict[str, list[str]] = {}
    enums: set[str] = set()
    for key, summary in summaries.items():
        enums.update(summary.enums)
        for name in summary.classes:
            if name in used:
                defining.setdefault(name, []).append(key)
    followed = {key for key, summary in summaries.items() if not summary.model} | _imported(summaries)
    followed.update(key for keys in defining.values() for key in keys)
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr(sorted(enums)).encode())
    digest.update(repr(sorted(defining.items())).encode())
    digest.update(repr(sorted((key, digests[key]) for key in followed)).encode())
    return digest.hexdigest()


def _imported(summaries: dict[str, Summary]) -> set[str]:
    """The files any model file imports from: every dotted prefix of an import matched against the files' paths
    the way the reader's :class:`~schema_guard.readers.source.project.ProjectModules` matches it."""
    by_stem: dict[str, list[str]] = {}
    for key in summaries:
        folder, name = os.path.split(key)
        stem = os.path.basename(folder) if name == "__init__.py" else name[:-3]
        by_stem.setdefault(stem, []).append(key)
    found: set[str] = set()
    targets = {target for summary in summaries.values() for target in summary.imports}
    prefixes = {".".join(parts[:end]) for target in targets for parts in [target.split(".")]
                for end in range(1, len(parts) + 1)}
    for dotted in prefixes:
        parts = [part for part in dotted.split(".") if part]
        if not parts:
            continue
        suffixes = (os.sep + os.sep.join(parts) + ".py", os.sep + os.sep.join([*parts, "__init__.py"]))
        found.update(key for key in by_stem.get(parts[-1], []) if key.endswith(suffixes))
    return found


def _ambiguous(summaries: dict[str, Summary], reread: list[str]) -> bool:
    """A re-read file names a base class that several files define: which one the reader picks depends on the
    order it meets them in, so nothing is reused."""
    if not reread:
        return False
    wanted = {name for key in reread for name in summaries[key].bases}
    seen: dict[str, int] = {}
    for summary in summaries.values():
        for name in summary.classes:
            if name in wanted:
                seen[name] = seen.get(name, 0) + 1
                if seen[name] > 1:
                    return True
    return False


def _fragment(parsed: object, index: reader.ClassIndex) -> Fragment:
    if not isinstance(parsed, ParsedModule):
        return Fragment(problems=[parsed] if parsed is not None else [])
    facts = SchemaFacts(reader="source")
    index.unnamed = False
    reader._read_module(parsed, index, facts)
    return Fragment(facts.classes, facts.tables, facts.relationships, facts.mapping_calls, [], index.unnamed)


def _lookup(entry: object, path: Path, key: str) -> FileEntry | str:
    """The entry when the file is unchanged and read the same way, else the file's current digest."""
    if isinstance(entry, FileEntry) and _unchanged_by_signature(entry, path) and _same_reading(entry, path, key):
        return entry
    data = _read_bytes(path)
    digest = _digest(data) if data is not None else ""
    if isinstance(entry, FileEntry) and data is not None and entry.digest == digest and _same_reading(entry, path, key):
        return entry
    return digest


def _unchanged_by_signature(entry: object, path: Path) -> bool:
    """The file's size, time and inode are those recorded for the entry (which trusts them)."""
    if not isinstance(entry, FileEntry) or entry.signature is None:
        return False
    return _signature(path) == entry.signature


def _same_reading(entry: FileEntry, path: Path, key: str) -> bool:
    return entry.label == str(path) and entry.module == _module(key)


def _module(key: str) -> str:
    """The file's module name, from its absolute path (``module_name_of`` asks for the working directory)."""
    return module_name_of(Path(key))


def _absolute(path: Path, cwd: str) -> str:
    """:func:`reader._key` with the working directory asked once, not per file."""
    return os.path.normcase(os.path.normpath(os.path.join(cwd, path)))


# --- files -------------------------------------------------------------------------------------------------------
def _write_atomically(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide the cache from the rest of a team sharing the tree
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


_LOADABLE = frozenset({
    "schema_guard.facts", "schema_guard.findings", "schema_guard.location", "schema_guard.cache",
    "schema_guard.project_index",
})


class _Unpickler(pickle.Unpickler):
    """Loads only schema-guard's own data classes: a foreign or tampered file cannot name anything else."""

    def find_class(self, module: str, name: str) -> Any:
        if module in _LOADABLE and not name.startswith("_") or (module, name) == ("schema_guard.cache", "_Pack"):
            found = getattr(__import__(module, fromlist=[name]), name, None)
            if isinstance(found, type) and hasattr(found, "__dataclass_fields__"):
                return found
        raise pickle.UnpicklingError(f"not a schema-guard cache class: {module}.{name}")

