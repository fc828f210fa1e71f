"""What a killed run left behind, and proof that it is safe to remove.

A SIGKILLed gate runs no ``finally``: its throwaway database stays on the server and its embedded server's folder
stays in the temporary folder (the server itself dies with it, see ``server._die_with_parent``). Each run therefore
labels what it creates with its owner — host, pid and the process's start time (so a recycled pid is not mistaken
for the owner) — and the next run removes only what it can prove is orphaned: the owner is a process of this host
that no longer exists, and, for a database, no one is connected to it. Anything else (another host's run, an owner
still alive, a label that does not parse) is left alone.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from schema_guard.run_owner import Owner, process_start_time

log = logging.getLogger("schema_guard.gate")
OWNER_FILE = "owner"
"""The file in an embedded server's folder that holds its owner's label."""


def label_folder(folder: Path) -> None:
    """Write the current run's label into an embedded server's folder (before anything slow happens there)."""
    (folder / OWNER_FILE).write_text(Owner.current().label() + "\n", encoding="utf-8")


def remove_orphaned_folders(prefix: str) -> list[Path]:
    """Remove the embedded-server folders (``<tmp>/<prefix>*``) whose owner is gone and whose server is not running;
    returns the folders removed."""
    removed: list[Path] = []
    for folder in Path(tempfile.gettempdir()).glob(f"{prefix}*"):
        try:
            owner = Owner.parse((folder / OWNER_FILE).read_text(encoding="utf-8").strip())
        except (OSError, UnicodeDecodeError):
            continue
        if owner is None or not owner.is_gone() or _server_running(folder / "data"):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        log.info("removed %s, left by a run that was killed (%s)", folder, owner.label())
        removed.append(folder)
    return removed


def _server_running(data: Path) -> bool:
    try:
        pid = int((data / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return False
    return process_start_time(pid) is not None


def label_database(admin: Connection, name: str) -> None:
    """Record the current run as the owner of database ``name`` (a ``COMMENT ON DATABASE``)."""
    label = Owner.current().label().replace("'", "''")
    admin.exec_driver_sql(f"COMMENT ON DATABASE \"{name}\" IS '{label}'")


def drop_orphaned_databases(admin: Connection, prefix: str) -> list[str]:
    """Drop the throwaway databases (``<prefix>*``) whose owner is gone and that no one is connected to; returns the
    names dropped. A database someone connects to meanwhile makes its ``DROP`` fail and is kept."""
    rows = admin.exec_driver_sql(
        "SELECT d.datname, shobj_description(d.oid, 'pg_database'), "
        "(SELECT count(*) FROM pg_stat_activity a WHERE a.datname = d.datname) "
        "FROM pg_database d WHERE starts_with(d.datname, %(prefix)s)",
        {"prefix": prefix},
    ).all()
    dropped: list[str] = []
    for name, comment, connections in rows:
        owner = Owner.parse(comment)
        if owner is None or connections or not owner.is_gone():
            continue
        try:
            admin.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        except SQLAlchemyError:
            continue
        log.info("dropped throwaway database %s, left by a run that was killed (%s)", name, owner.label())
        dropped.append(name)
    return dropped
