"""The configured ``src`` as the pre-commit path needs it, kept in the cache: which files it holds and what each
defines, so that checking one staged file in a large project neither lists ``src`` nor reads the other files.

The index holds the files of ``src`` (as :func:`~schema_guard.files.walk` lists them) with the modification time
of every folder listed, and for each file its size, modification time and inode and the names
:func:`~schema_guard.readers.source.context.scan_context` found in it (with a digest of its content). A run stats
each folder: a file added, removed or renamed changes its folder's time, and then ``src`` is listed again. It stats
each file too, as git's index does: a file edited in place leaves its folder's time alone, and is then read again
(and scanned again when its content changed). A folder or file modified within the clock's resolution of the moment
it was recorded is never trusted by its times (see :data:`RACY_NS`). Finally the names the files define are
gathered once for the whole tree and the checked files' own are taken out, so an unchanged tree costs one ``stat``
per file and per folder.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from schema_guard.files import walk
from schema_guard.readers.source.context import ContextIndex, scan_context

RACY_NS = 2_000_000_000
"""A file modified this recently (ns) when its entry was written may change again within the clock's resolution
without its size or time changing: its entry is checked by content next time."""

Signature = tuple[int, int, int]
"""Size, modification time (ns) and inode."""

Scan = tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...], bool, bool]
"""A file's content digest, the class, table and enum names it defines, whether it computes a table name, and
whether it registers a ``do_orm_execute`` listener."""

_NOTHING: Scan = ("", (), (), (), False, False)

_REREAD = 16
"""Up to this many files whose content changed but not their names are read again on every run rather than the
index rewritten (the staged files of a commit, typically)."""


class _Plain(pickle.Unpickler):
    """Loads builtins only (the packed scans): a tampered cache file cannot name a class or function."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"not plain data: {module}.{name}")


@dataclass(frozen=True)
class SourceTree:
    """The configured ``src`` of a project, which lends the files it does not check to a partial check."""

    paths: tuple[Path, ...]
    root: Path
    exclude: tuple[str, ...] = ()

    def key(self) -> str:
        """What the index was built for: another ``src``, root or ``exclude`` (or working directory) starts afresh."""
        return repr((sorted(map(os.path.abspath, self.paths)), os.path.abspath(self.root), self.exclude,
                     os.getcwd()))


@dataclass
class Index:
    """The stored index: plain strings, tuples and dictionaries, and what only a changed tree needs kept packed."""

    key: str
    folders: dict[str, int | None]
    files: list[str]
    keys: list[str] | None
    """The files' keys, ``None`` where they are the paths themselves (absolute, normalised: the usual case)."""
    signatures: list[Signature | None]
    scans: list[Scan] | bytes
    """Each file's names, as stored a pickle of builtins only, unpacked when a file changed (see :meth:`unpacked`)."""
    classes: dict[str, list[str]]
    tables: dict[str, int]
    enums: dict[str, int]
    computed: list[str]
    listeners: list[str]
    table_files: dict[str, list[str]]

    def names(self) -> list[str]:
        return self.files if self.keys is None else self.keys

    def unpacked(self) -> list[Scan]:
        if isinstance(self.scans, bytes):
            self.scans = _Plain(io.BytesIO(self.scans)).load()
        return self.scans

    def packed(self) -> Index:
        scans = pickle.dumps(self.unpacked(), protocol=pickle.HIGHEST_PROTOCOL)
        return replace(self, scans=scans)


def lend(tree: SourceTree, checked: set[str], stored: object) -> tuple[ContextIndex, list[str], Index | None]:
    """What the files of ``tree`` other than ``checked`` (keys as :func:`key`) define, their paths, and the index
    to store (``None``: ``stored`` is still right, or differs only in a few files' contents, not in the names they
    define: those few are read again next time, which costs less than writing the whole index)."""
    index = stored if isinstance(stored, Index) and stored.key == tree.key() else None
    if index is None or not _folders_unchanged(index):
        index = _listed(tree, index)
        changed, renamed = len(index.files), True
    else:
        changed, renamed = _rescan(index, range(len(index.files)))
    if renamed:
        _gather(index)
    paths = [path for path, name in zip(index.files, index.names()) if name not in checked]
    store = renamed or changed > _REREAD
    return _without(index, checked), paths, index.packed() if store else None


def key(path: Path | str) -> str:
    """A file's name for comparisons (the source reader's key)."""
    return os.path.normcase(os.path.abspath(path))


def signature(path: Path | str) -> Signature | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (status.st_size, status.st_mtime_ns, status.st_ino)


def trusted(signature: Signature | None) -> Signature | None:
    """The signature, unless the file changed so recently that a further change might keep it (see
    :data:`RACY_NS`)."""
    if signature is None or time.time_ns() - signature[1] < RACY_NS:
        return None
    return signature


def read_bytes(path: Path | str) -> bytes | None:
    try:
        with open(path, "rb") as stream:
            return stream.read()
    except OSError:
        return None


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _folders_unchanged(index: Index) -> bool:
    for folder, recorded in index.folders.items():
        try:
            if recorded is None or os.stat(folder).st_mtime_ns != recorded:
                return False
        except OSError:
            return False
    return True


def _listed(tree: SourceTree, old: Index | None) -> Index:
    """``src`` listed again; the entries of files that were already there are kept (and checked as usual)."""
    discovered = walk(tree.paths, tree.root, tree.exclude)
    now = time.time_ns()
    folders: dict[str, int | None] = {}
    for folder in discovered.folders:
        try:
            modified = os.stat(folder).st_mtime_ns
        except OSError:
            modified = None
        folders[folder] = modified if modified is not None and now - modified >= RACY_NS else None
    if discovered.problems or not all(path.is_dir() for path in tree.paths):
        # A folder that could not be listed (its time may not change when it can be again), or a file (or nothing)
        # given as src: listed on every run.
        folders[""] = None
    files = [str(path) for path in discovered.files]
    previous = dict(zip(old.files, zip(old.signatures, old.unpacked()))) if old is not None else {}
    signatures = [previous[path][0] if path in previous else None for path in files]
    scans: list[Scan] = [previous[path][1] if path in previous else _NOTHING for path in files]
    keys = [key(path) for path in files]
    index = Index(tree.key(), folders, files, None if keys == files else keys, signatures, scans, {}, {}, {}, [], [], {})
    _rescan(index, range(len(files)))
    return index


def _rescan(index: Index, positions: Sequence[int] | range) -> tuple[int, bool]:
    """Check each file by its signature, then by its content; scan the ones that changed. How many entries changed,
    and whether the names of any did."""
    changed, renamed = 0, False
    stat = os.stat
    files, signatures = index.files, index.signatures
    for position in positions:
        recorded = signatures[position]
        if recorded is not None:
            try:
                status = stat(files[position])
            except OSError:
                status = None
            if status is not None and (status.st_size, status.st_mtime_ns, status.st_ino) == recorded:
                continue
        renamed = _scan(index, position) or renamed
        changed += 1
    return changed, renamed


def _scan(index: Index, position: int) -> bool:
    """Read a file again (and scan it again if its content changed); whether the names it defines changed."""
    path, scans = index.files[position], index.unpacked()
    old = scans[position]
    current = signature(path)
    data = read_bytes(path)
    if data is None:  # gone since it was listed: it lends nothing, and is looked at again next time
        index.signatures[position], scans[position] = None, _NOTHING
        return old[1:] != _NOTHING[1:]
    content = digest(data)
    if old[0] != content:
        scans[position] = (content, *_names(path))
    index.signatures[position] = trusted(current)
    return scans[position][1:] != old[1:]


def _names(path: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], bool, bool]:
    """The class (once per definition), table and enum names a file defines, whether it computes a table name, and
    whether it registers a session-wide listener."""
    found = scan_context([Path(path)])
    classes = tuple(name for name, paths in found.files_by_class.items() for _ in paths)
    return (classes, tuple(sorted(found.table_names)), tuple(sorted(found.enum_names)), bool(found.computed_paths),
            bool(found.listener_paths))


def _gather(index: Index) -> None:
    """The names every file defines, gathered for the whole tree (in the order of the files)."""
    index.classes, index.tables, index.enums, index.computed, index.listeners = {}, {}, {}, [], []
    index.table_files = {}
    for path, (_, classes, tables, enums, computed, listens) in zip(index.files, index.unpacked()):
        for name in classes:
            index.classes.setdefault(name, []).append(path)
        for name in tables:
            index.tables[name] = index.tables.get(name, 0) + 1
            index.table_files.setdefault(name, []).append(path)
        for name in enums:
            index.enums[name] = index.enums.get(name, 0) + 1
        if computed:
            index.computed.append(path)
        if listens:
            index.listeners.append(path)


def _without(index: Index, checked: set[str]) -> ContextIndex:
    """The gathered names, less those only the checked files define."""
    classes, tables, enums = index.classes, dict(index.tables), dict(index.enums)
    computed = index.computed
    positions = [position for position, name in enumerate(index.names()) if name in checked] if checked else []
    own_paths = {index.files[position] for position in positions}
    for position in positions:
        path = index.files[position]
        # Still packed, nothing changed: the file is as it was scanned, and scanning it again gives the same names.
        own = index.scans[position][1:] if isinstance(index.scans, list) else _names(path)
        own_classes, own_tables, own_enums, own_computed, _ = own
        if own_classes:
            classes = dict(classes) if classes is index.classes else classes
            for name in own_classes:
                remaining = [other for other in classes.get(name, []) if other != path]
                if remaining:
                    classes[name] = remaining
                else:
                    classes.pop(name, None)
        for counts, names in ((tables, own_tables), (enums, own_enums)):
            for name in names:
                left = counts.get(name, 0) - 1
                if left > 0:
                    counts[name] = left
                else:
                    counts.pop(name, None)
        if own_computed:
            computed = [other for other in computed if other != path]
    return ContextIndex(
        files_by_class=classes,  # type: ignore[arg-type]  # names, made paths when a class is looked up
        table_names=set(tables),
        enum_names=set(enums),
        computed_paths=[Path(path) for path in computed],
        listener_paths=[Path(path) for path in index.listeners if path not in own_paths],
        files_by_table=index.table_files,  # type: ignore[arg-type]  # the checked files' own are skipped by the reader
    )
