"""Replacing a file so that it is, at every instant, either the old file or the new one — never empty or half written.

Opening the target with ``O_TRUNC`` and writing into it (what ``Path.write_text`` does) empties the file first: a
kill, a full disk or a crash before the last byte leaves a 0-byte model file or a half-written baseline, and a
concurrent reader sees exactly that. Instead the new content goes to a temporary file in the same folder (so the
rename stays on one file system), is flushed to disk, gets the old file's permission bits, and ``os.replace`` swaps
it in — a single atomic rename. On any failure the temporary file is removed and the target is untouched.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically, keeping its mode (and owner, where we may set it).

    ``path`` must not be a symlink: replacing it would turn the link into a regular file; resolve links first.
    """
    try:
        current: os.stat_result | None = os.stat(path)
    except FileNotFoundError:
        current = None
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".schema-guard-tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, stat.S_IMODE(current.st_mode) if current else _default_mode())
        if current is not None and (current.st_uid, current.st_gid) != (os.geteuid(), os.getegid()):
            with contextlib.suppress(OSError):  # only root may give a file away; anyone else keeps their own
                os.chown(temporary, current.st_uid, current.st_gid)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _default_mode() -> int:
    """What ``open()`` would give a new file: 0666 less the umask (``mkstemp`` makes 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
