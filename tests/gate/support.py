"""Helpers for the migration-gate tests: the fixture projects, the test server, fixture expectations, and leftovers
on the server."""

from __future__ import annotations

import glob
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from schema_guard.config import DATABASE_URL_ENV

FIXTURES = Path(__file__).resolve().parent / "fixtures"
"""The fixture overlays and their shared ``_base`` project (see ``fixtures/README.md``); use :func:`materialise`."""
BASE = FIXTURES / "_base"
BASE_MODELS = "fixture_models"
"""The base's models module, renamed ``<fixture>_models`` in each assembled project."""
WITHOUT = "without.txt"
"""An overlay file naming the base files the fixture leaves out, one path a line."""
DIFF = ".diff"
"""An overlay file ``<path>.diff`` is a unified diff (``diff -u``) that changes the base file ``<path>``."""
FIXTURE_NAMES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))
REPO_ROOT = Path(__file__).resolve().parents[2]
SERVER_URL = os.environ.get("SCHEMA_GUARD_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
"""The machine's PostgreSQL (trust authentication for ``postgres`` on 127.0.0.1)."""

MARKER = re.compile(r"#\s*expect:\s*(SG\d{3}(?:\s*,\s*SG\d{3})*)")
FILE_MARKER = re.compile(r"#\s*expect-file:\s*(SG\d{3}(?:\s*,\s*SG\d{3})*)")
Expectation = tuple[str, str | None, int | None]


def materialise(name: str, tmp_path: Path) -> Path:
    """Assemble fixture project ``name`` in ``tmp_path/name`` and return that folder: the files of ``_base`` (its
    models module and every mention of it renamed ``<name>_models``), less those the overlay's ``without.txt`` names,
    then the overlay's own files over them: a ``<path>.diff`` changes the base file ``<path>`` (as renamed), any other
    file replaces the base file at the same path or is added, as it is."""
    overlay = FIXTURES / name
    if name not in FIXTURE_NAMES:
        raise ValueError(f"no gate fixture {name!r} under {FIXTURES} (there are {', '.join(FIXTURE_NAMES)})")
    root = tmp_path / name
    root.mkdir(parents=True)
    module = f"{name}_models"
    without = _without(overlay)
    for source in sorted(BASE.rglob("*")):
        relative = source.relative_to(BASE).as_posix()
        if not source.is_file() or "__pycache__" in source.parts or relative in without:
            continue
        target = root / relative.replace(f"{BASE_MODELS}.py", f"{module}.py")
        target.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text(encoding="utf-8")
        target.write_text(re.sub(rf"\b{BASE_MODELS}\b", module, text), encoding="utf-8")
    for source in sorted(overlay.rglob("*")):
        relative = source.relative_to(overlay)
        if not source.is_file() or "__pycache__" in source.parts or relative.as_posix() == WITHOUT:
            continue
        if source.name.endswith(DIFF):
            target = root / relative.parent / source.name.removesuffix(DIFF)
            if not target.is_file():
                raise ValueError(f"{source} changes {target.relative_to(root)}, which the assembled project lacks")
            target.write_text(patched(target.read_text(encoding="utf-8"), source), encoding="utf-8")
            continue
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, root / relative)
    return root


_HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@")


def patched(text: str, diff: Path) -> str:
    """``text`` changed by the unified diff in ``diff``; every context and removed line must match ``text``
    exactly, so a diff that no longer fits its base file fails loudly instead of assembling something else."""
    lines = text.splitlines(keepends=True)
    result: list[str] = []
    position = -1  # lines of ``text`` consumed so far; -1 before the first hunk (the file header)
    last = ""
    for row in diff.read_text(encoding="utf-8").splitlines(keepends=True):
        hunk = _HUNK.match(row)
        if hunk:
            start = int(hunk.group(1)) - (0 if hunk.group(2) == "0" else 1)
            result += lines[max(position, 0):start]
            position = start
        elif position < 0:
            continue  # ``--- base`` / ``+++ fixture``
        elif row.startswith("+"):
            result.append(row[1:])
        elif row.startswith((" ", "-")):
            if position >= len(lines) or lines[position] != row[1:]:
                raise ValueError(f"{diff}: line {position + 1} of the base file is not {row[1:]!r}")
            if row.startswith(" "):
                result.append(lines[position])
            position += 1
        elif row.startswith("\\") and last[:1] in {"+", " "}:
            result[-1] = result[-1].rstrip("\n")  # "\ No newline at end of file"
        last = row
    return "".join(result + lines[max(position, 0):])


def _without(overlay: Path) -> set[str]:
    listing = overlay / WITHOUT
    if not listing.is_file():
        return set()
    names = {line.split("#", 1)[0].strip() for line in listing.read_text(encoding="utf-8").splitlines()} - {""}
    missing = sorted(n for n in names if not (BASE / n).is_file())
    if missing:
        raise ValueError(f"{listing} names files that _base does not have: {', '.join(missing)}")
    return names


def ensure_server() -> str:
    """The test server's URL, starting the local cluster if it is down (``pg_ctlcluster ... start``)."""
    if _reachable():
        return SERVER_URL
    for version in sorted(os.listdir("/etc/postgresql"), reverse=True) if os.path.isdir("/etc/postgresql") else []:
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
                       capture_output=True, check=False)
        for _ in range(30):
            if _reachable():
                return SERVER_URL
            time.sleep(0.5)
    pytest.fail(f"PostgreSQL is not reachable at {SERVER_URL}; start it (pg_ctlcluster --skip-systemctl-redirect 15 "
                "main start) or set SCHEMA_GUARD_TEST_DATABASE_URL", pytrace=False)


def _reachable() -> bool:
    engine = sa.create_engine(SERVER_URL, poolclass=NullPool, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


def databases(prefix: str = "") -> set[str]:
    """Database names on the test server (optionally only those starting with ``prefix``)."""
    engine = sa.create_engine(SERVER_URL, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            names = connection.exec_driver_sql("SELECT datname FROM pg_database").scalars().all()
    finally:
        engine.dispose()
    return {n for n in names if n.startswith(prefix)}


def expected_findings(root: Path) -> set[Expectation]:
    """``(code, path, line)`` for every ``# expect: SGxxx`` marker in the fixture's files (``# expect-file:`` for a
    finding located at a file without a line, such as alembic.ini)."""
    expected: set[Expectation] = set()
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix not in {".py", ".ini"}:
            continue
        relative = path.relative_to(root).as_posix()
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for pattern, line in ((MARKER, number), (FILE_MARKER, None)):
                match = pattern.search(text)
                if match and not (pattern is MARKER and FILE_MARKER.search(text)):
                    for code in match.group(1).split(","):
                        expected.add((code.strip(), relative, line))
    return expected


def embedded_leftovers() -> list[str]:
    """Temporary folders of embedded servers that still exist."""
    import tempfile

    return glob.glob(os.path.join(tempfile.gettempdir(), "schema-guard-pg-*"))


def leftovers_of(pid: int) -> list[str]:
    """Throwaway databases and embedded-server folders whose owner label names process ``pid``."""
    import tempfile

    engine = sa.create_engine(SERVER_URL, poolclass=NullPool)
    with engine.connect() as connection:
        found = [row[0] for row in connection.exec_driver_sql(
            "SELECT datname FROM pg_database WHERE shobj_description(oid, 'pg_database') LIKE %(label)s",
            {"label": f"% pid={pid} %"},
        )]
    engine.dispose()
    for folder in glob.glob(os.path.join(tempfile.gettempdir(), "schema-guard-pg-*")):
        try:
            if f" pid={pid} " in Path(folder, "owner").read_text(encoding="utf-8"):
                found.append(folder)
        except OSError:
            continue
    return found


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on (for "unreachable server" tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def process_alive(pid: int) -> bool:
    """A live (non-zombie) process with this pid."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return stat.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return False


def gate_process(root: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``python -m schema_guard.gate --verbose`` in ``root``, stderr piped (it names what the gate creates)."""
    environment = {**os.environ, **(env or {})}
    environment["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), environment.get("PYTHONPATH", "")])
    return subprocess.Popen(
        [sys.executable, "-m", "schema_guard.gate", "--verbose", "--cwd", str(root), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment,
    )


def wait_for_line(process: subprocess.Popen[str], pattern: str, seen: list[str], timeout: float = 60) -> re.Match[str]:
    """Read the gate's stderr until a line matches ``pattern``."""
    deadline = time.monotonic() + timeout
    assert process.stderr is not None
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        seen.append(line)
        match = re.search(pattern, line)
        if match:
            return match
    process.kill()
    raise AssertionError(f"the gate never logged {pattern!r}; stderr: {''.join(seen)}")


def kill_gate_with_embedded_server(project: Path) -> tuple[int, Path]:
    """Start the gate on ``project`` with its own embedded server, SIGKILL it once the server is up, and wait until
    the server process is gone or 10 s passed: the server's pid and folder, for the caller to judge."""
    process = gate_process(project, env={DATABASE_URL_ENV: ""})
    seen: list[str] = []
    try:
        started = wait_for_line(process, r"started embedded PostgreSQL pid (\d+) in (\S+) \(Unix socket only\)", seen)
        pid, folder = int(started.group(1)), Path(started.group(2))
        process.kill()
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    for _ in range(100):
        if not process_alive(pid):
            break
        time.sleep(0.1)
    return pid, folder


def project_path(path: str | None, root: Path) -> str | None:
    """A gate finding's (absolute) path relative to the (assembled) fixture project, as the markers name it."""
    return Path(path).relative_to(root).as_posix() if path else None
