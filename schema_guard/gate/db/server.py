"""Which PostgreSQL server the gate uses: the URL it is given, or a throwaway local server it starts itself.

Resolution order: ``--database-url``, ``SCHEMA_GUARD_DATABASE_URL``, ``[tool.schema_guard.migrations] database-url``,
else the *embedded default*: ``initdb`` into a temporary folder, ``postgres`` listening only on a Unix socket in
that folder, stopped and deleted when the gate ends, also on Ctrl-C. ``initdb`` refuses to run as root, so as root
the server runs as the ``postgres`` user, in a folder that user owns.

The embedded server is private: no TCP (``listen_addresses=''``) and a socket in a folder of mode 0700, so no other
local user can reach it (its ``trust`` login would otherwise make any of them a superuser, able to run programs as
the server's account with ``COPY ... TO PROGRAM``). Its log file is opened without following symlinks. Folders left
by a killed run are removed by the next one (:mod:`.orphans`).

The server's URL is only ever used to connect and create/drop the throwaway database (see ``scratch_db``).
"""

from __future__ import annotations

import atexit
import glob
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from schema_guard.config import Config
from schema_guard.gate.db.interrupts import Cancelled, shielded
from schema_guard.gate.db.orphans import label_folder, remove_orphaned_folders
from schema_guard.gate.tooling import DATABASE_UNAVAILABLE, HOW_TO_PROVIDE_DATABASE, ToolingProblem
from schema_guard.url_secrets import mask_url

log = logging.getLogger("schema_guard.gate")
BINDIR_ENV = "SCHEMA_GUARD_PG_BINDIR"
"""Optional: the folder holding ``initdb`` and ``postgres`` for the embedded server."""
EMBEDDED_TEMP_PREFIX = "schema-guard-pg-"
_START_TIMEOUT = 30.0


def safe_url(url: URL) -> str:
    """The URL as it may appear in a message: every secret masked (:mod:`schema_guard.url_secrets`)."""
    return mask_url(url)


def parse_server_url(raw: str) -> URL:
    """A SQLAlchemy URL for a PostgreSQL server, with the psycopg (3) driver unless another is named."""
    try:
        url = make_url(raw.strip())
        port = url.port  # parsed lazily: a port that is not a number raises here
    except (ArgumentError, ValueError):
        raise ToolingProblem(
            DATABASE_UNAVAILABLE, f"'{mask_url(raw)}' is not a database URL; {HOW_TO_PROVIDE_DATABASE}"
        ) from None
    if port is not None and not 0 < port < 65536:
        raise ToolingProblem(
            DATABASE_UNAVAILABLE,
            f"'{mask_url(raw)}' has port {port}, outside 1-65535; {HOW_TO_PROVIDE_DATABASE}",
        )
    backend = url.get_backend_name()
    if backend == "postgres":
        url = url.set(drivername="postgresql+psycopg")
    elif backend != "postgresql":
        raise ToolingProblem(
            DATABASE_UNAVAILABLE,
            f"the migration gate needs PostgreSQL, not {backend} ({safe_url(url)}); {HOW_TO_PROVIDE_DATABASE}",
        )
    elif url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url


@contextmanager
def postgres_server(config: Config, override: str | None = None,
                    cancelled: threading.Event | None = None) -> Iterator[URL]:
    """Yield the URL of the server to create the throwaway database on (starting an embedded one if needed; setting
    ``cancelled`` stops that start-up within a fraction of a second)."""
    raw = config.database_url(override)
    if raw:
        yield parse_server_url(raw)
        return
    with EmbeddedPostgres.started(cancelled) as server:
        yield server.url


# --- the embedded server ------------------------------------------------------------------------------------------


def find_postgres_bindir() -> Path | None:
    """The newest folder with both ``initdb`` and ``postgres``: $SCHEMA_GUARD_PG_BINDIR, ``pg_config --bindir``,
    ``initdb`` on PATH, ``/usr/lib/postgresql/*/bin``, ``/usr/local/pgsql/bin``."""
    candidates: list[Path] = []
    if os.environ.get(BINDIR_ENV):
        candidates.append(Path(os.environ[BINDIR_ENV]))
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=False)
            if out.returncode == 0 and out.stdout.strip():
                candidates.append(Path(out.stdout.strip()))
        except (OSError, subprocess.SubprocessError):
            pass
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    versioned = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    candidates += [Path(p) for p in versioned]
    candidates.append(Path("/usr/local/pgsql/bin"))
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    return None


def _version_key(path: str) -> tuple[int, ...]:
    numbers = re.findall(r"\d+", path)
    return tuple(int(n) for n in numbers)


@dataclass(frozen=True)
class _RunAs:
    """The account the server runs as: ourselves, or ``postgres`` when we are root."""

    uid: int | None = None
    gid: int | None = None

    @classmethod
    def for_current_user(cls) -> _RunAs:
        if os.geteuid() != 0:
            return cls()
        import pwd

        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            raise ToolingProblem(
                DATABASE_UNAVAILABLE,
                "running as root, the embedded PostgreSQL needs a 'postgres' user (initdb refuses root) and there is "
                f"none; {HOW_TO_PROVIDE_DATABASE}",
            ) from None
        return cls(account.pw_uid, account.pw_gid)

    def popen_kwargs(self) -> dict[str, object]:
        if self.uid is None:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def own(self, path: Path) -> None:
        if self.uid is not None:
            os.chown(path, self.uid, self.gid or -1)


def _die_with_parent() -> list[str]:
    """``setpriv --pdeathsig QUIT --`` (util-linux): Linux sends the server SIGQUIT (immediate shutdown) if the
    thread that started it dies without cleaning up (a SIGKILLed gate). Without ``setpriv``, nothing: no
    ``preexec_fn``, which could deadlock in a process with threads."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "QUIT", "--"] if setpriv else []


class EmbeddedPostgres:
    """A throwaway PostgreSQL cluster in a temporary folder; :meth:`started` guarantees it is stopped and deleted."""

    def __init__(self, bindir: Path, cancelled: threading.Event | None = None) -> None:
        self.bindir = bindir
        self.cancelled = cancelled or threading.Event()
        self.run_as = _RunAs.for_current_user()
        self.folder: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None

    @classmethod
    @contextmanager
    def started(cls, cancelled: threading.Event | None = None) -> Iterator[EmbeddedPostgres]:
        bindir = find_postgres_bindir()
        if bindir is None:
            raise ToolingProblem(
                DATABASE_UNAVAILABLE,
                f"no database URL is configured and no PostgreSQL binaries (initdb, postgres) were found; "
                f"{HOW_TO_PROVIDE_DATABASE}",
            )
        remove_orphaned_folders(EMBEDDED_TEMP_PREFIX)
        server = cls(bindir, cancelled)
        atexit.register(server.stop)
        try:
            server.start()
            yield server
        finally:
            with shielded():
                server.stop()
            atexit.unregister(server.stop)

    @property
    def url(self) -> URL:
        """The socket URL (``?host=<folder>``): libpq reads a ``host`` that is a path as a Unix-socket folder."""
        return URL.create("postgresql+psycopg", username="postgres", database="postgres",
                          query={"host": str(self.folder)})

    def start(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix=EMBEDDED_TEMP_PREFIX))  # mode 0700
        label_folder(self.folder)
        self.run_as.own(self.folder)
        data = self.folder / "data"
        self._initdb(data)
        if not self._launch(data):
            raise ToolingProblem(
                DATABASE_UNAVAILABLE,
                f"the embedded PostgreSQL ({self.bindir}) did not start: {self._log_tail()}; {HOW_TO_PROVIDE_DATABASE}",
            )

    def _initdb(self, data: Path) -> None:
        command = [str(self.bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                   "--locale=C", "--no-sync", "--no-instructions"]
        try:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,  # type: ignore[call-overload]
                                       stderr=subprocess.STDOUT, text=True, start_new_session=True,
                                       **self.run_as.popen_kwargs())
        except OSError as error:
            raise ToolingProblem(DATABASE_UNAVAILABLE, f"cannot run {command[0]}: {error}; {HOW_TO_PROVIDE_DATABASE}")
        output = self._wait_cancellable(process, timeout=120)
        if process.returncode != 0:
            reason = output.strip().splitlines()
            raise ToolingProblem(
                DATABASE_UNAVAILABLE,
                f"initdb failed for the embedded PostgreSQL: {reason[-1] if reason else process.returncode}; "
                f"{HOW_TO_PROVIDE_DATABASE}",
            )

    def _launch(self, data: Path) -> bool:
        assert self.folder is not None
        # A fresh file, never a symlink planted in its place (O_EXCL | O_NOFOLLOW), readable by its owner only.
        try:
            server_log = os.open(self.folder / "server.log",
                                 os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError as error:
            raise ToolingProblem(
                DATABASE_UNAVAILABLE,
                f"cannot create the embedded PostgreSQL's log {self.folder / 'server.log'}: {error.strerror}",
            ) from None
        command = [*_die_with_parent(), str(self.bindir / "postgres"), "-D", str(data), "-k", str(self.folder),
                   "-c", "listen_addresses=", "-c", "unix_socket_permissions=0700",
                   "-c", "fsync=off", "-c", "synchronous_commit=off",
                   "-c", "full_page_writes=off", "-c", "max_connections=30", "-c", "shared_buffers=32MB"]
        try:
            self.process = subprocess.Popen(  # type: ignore[call-overload]
                command, stdin=subprocess.DEVNULL, stdout=server_log, stderr=server_log, start_new_session=True,
                **self.run_as.popen_kwargs(),
            )
        finally:
            os.close(server_log)
        deadline = time.monotonic() + _START_TIMEOUT
        pid_file = data / "postmaster.pid"
        while time.monotonic() < deadline:
            if self.cancelled.is_set():
                self._terminate()
                raise Cancelled()
            if self.process.poll() is not None:
                self.process = None
                return False
            if _is_ready(pid_file):
                log.info("started embedded PostgreSQL pid %s in %s (Unix socket only)", self.process.pid, self.folder)
                return True
            time.sleep(0.02)
        self._terminate()
        return False

    def _wait_cancellable(self, process: subprocess.Popen[str], timeout: float) -> str:
        """Wait for ``process`` and return its output; kill it if the start-up is cancelled or takes too long."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return process.communicate(timeout=0.05)[0] or ""
            except subprocess.TimeoutExpired:
                if self.cancelled.is_set() or time.monotonic() > deadline:
                    process.kill()
                    process.communicate()
                    if self.cancelled.is_set():
                        raise Cancelled() from None
                    raise ToolingProblem(DATABASE_UNAVAILABLE,
                                         f"initdb took over {timeout:.0f} s; {HOW_TO_PROVIDE_DATABASE}") from None

    def _log_tail(self) -> str:
        try:
            lines = (self.folder / "server.log").read_text(errors="replace").strip().splitlines()  # type: ignore[operator]
        except OSError:
            return "no server log"
        return lines[-1] if lines else "no server log"

    def _terminate(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGQUIT)  # pg_ctl stop -m immediate
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)

    def stop(self) -> None:
        """Stop the server and delete its folder; safe to call twice."""
        try:
            self._terminate()
        finally:
            folder, self.folder = self.folder, None
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
                log.info("stopped embedded PostgreSQL and removed %s", folder)


def _is_ready(pid_file: Path) -> bool:
    """PostgreSQL writes ``ready`` as the 8th line of ``postmaster.pid`` once it accepts connections."""
    try:
        lines = pid_file.read_text().splitlines()
    except OSError:
        return False
    return len(lines) >= 8 and lines[7].strip() == "ready"
