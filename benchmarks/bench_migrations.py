"""Migration gate speed: a generated linear chain of revisions, each creating a tenant table and its index.

Three whole-process timings on the same chain and the same PostgreSQL server, medians of ``--runs`` runs:

* plain Alembic: ``alembic upgrade head`` then ``alembic downgrade base`` (two processes, on a fresh database);
* the gate: ``python -m schema_guard migrations`` (upgrade stepwise, drift, SG606, downgrade, upgrade, snapshots,
  per-revision rules; creating and dropping its own throwaway database);
* pytest-alembic 0.13.1's four default tests, from a virtualenv under ``benchmarks/.work/`` with ``pytest<9``
  (0.13.1 does not collect under pytest 9), on a fresh database.

Usage::

    python benchmarks/bench_migrations.py [--revisions 50,150,300] [--runs 5] [--env project|minimal]
                                          [--database-url URL] [--skip-pytest-alembic]

``--env`` chooses the chain's ``env.py``: ``project`` imports the models and opens its own connection whenever the
caller hands it an engine (pytest-alembic runs it once per step, each time on a new connection); ``minimal`` only
configures Alembic on the connection it is given, from a pooled engine, so pytest-alembic's per-step cost is the
least it can be. The targets (see the issue): the gate at most 1.15x plain Alembic's upgrade+downgrade at 300
revisions, and at most 0.8x pytest-alembic's default tests at 50 revisions with the minimal ``env.py``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import create_engine, make_url
from sqlalchemy.pool import NullPool

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
REPO = HERE.parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

ENV_PY = '''\
"""Alembic environment of the generated chain: the caller's Connection (or Engine, as pytest-alembic passes), else
SCHEMA_GUARD_DATABASE_URL, else sqlalchemy.url."""
import os
import sys
from pathlib import Path

from alembic import context
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import Connection, Engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from sqlmodel import SQLModel  # noqa: E402

import chain_models  # noqa: E402,F401

config = context.config
target_metadata = SQLModel.metadata


def run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


given = config.attributes.get("connection")
if isinstance(given, Connection):
    run(given)
else:
    engine = given if isinstance(given, Engine) else create_engine(
        os.environ.get("SCHEMA_GUARD_DATABASE_URL") or config.get_main_option("sqlalchemy.url"),
        poolclass=pool.NullPool)
    with engine.connect() as connection:
        run(connection)
        connection.commit()
'''

MINIMAL_ENV_PY = '''\
"""The least an env.py can do: the caller's connection (or one from the engine it hands over), else the URL."""
import os
import sys
from pathlib import Path

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from sqlmodel import SQLModel  # noqa: E402

import chain_models  # noqa: E402,F401

given = context.config.attributes.get("connection")
connection = given if isinstance(given, Connection) else (given or create_engine(
    os.environ.get("SCHEMA_GUARD_DATABASE_URL") or context.config.get_main_option("sqlalchemy.url"))).connect()
context.configure(connection=connection, target_metadata=SQLModel.metadata, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
if connection is not given:  # opened here: commit and hand it back to the engine's pool
    connection.commit()
    connection.close()
'''

ALEMBIC_INI = """\
[alembic]
script_location = %(here)s/migrations
prepend_sys_path = %(here)s
path_separator = os
sqlalchemy.url = {url}
"""

PYPROJECT = """\
[tool.schema_guard]
models = ["chain_models"]
tenant-table = "students"
tenant-column = "student_id"

[tool.schema_guard.migrations]
alembic-config = "alembic.ini"
"""

CONFTEST = '''\
import os

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool


@pytest.fixture
def alembic_engine():
    engine = create_engine(os.environ["BENCH_DATABASE_URL"], poolclass=NullPool)
    yield engine
    engine.dispose()
'''

MINIMAL_CONFTEST = CONFTEST.replace(", poolclass=NullPool", "")
"""The minimal setup's fixture: a pooled engine, so each step's env.py reuses one connection."""


def generate_chain(folder: Path, revisions: int, url: str, *, minimal: bool = False) -> Path:
    """Write a project with ``revisions`` tenant tables plus the anchor, one revision each."""
    if folder.exists():
        shutil.rmtree(folder)
    versions = folder / "migrations" / "versions"
    versions.mkdir(parents=True)
    (folder / "tests").mkdir()
    (folder / "pyproject.toml").write_text(PYPROJECT)
    (folder / "alembic.ini").write_text(ALEMBIC_INI.format(url=url.replace("%", "%%")))
    (folder / "migrations" / "env.py").write_text(MINIMAL_ENV_PY if minimal else ENV_PY)
    (folder / "migrations" / "script.py.mako").write_text("")
    (folder / "tests" / "conftest.py").write_text(MINIMAL_CONFTEST if minimal else CONFTEST)
    (folder / "pytest.ini").write_text("[pytest]\npytest_alembic_tests_folder = tests\n")
    models = ["import uuid", "", "from sqlmodel import Field, SQLModel", "", "",
              "class Student(SQLModel, table=True):",
              '    __tablename__ = "students"',
              "    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)",
              "    name: str", ""]
    previous = None
    _write_revision(versions, "r0000", previous, "students", anchor=True)
    previous = "r0000"
    for number in range(1, revisions):
        table = f"items_{number:03d}"
        models += ["", f"class Item{number:03d}(SQLModel, table=True):",
                   f'    __tablename__ = "{table}"',
                   "    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)",
                   '    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)',
                   "    title: str", ""]
        revision = f"r{number:04d}"
        _write_revision(versions, revision, previous, table)
        previous = revision
    (folder / "chain_models.py").write_text("\n".join(models))
    return folder


def _write_revision(versions: Path, revision: str, down: str | None, table: str, *, anchor: bool = False) -> None:
    if anchor:
        body = f'''\
    op.create_table(
        "{table}",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )'''
        down_body = f'    op.drop_table("{table}")'
    else:
        body = f'''\
    op.create_table(
        "{table}",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("title", sqlmodel.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["student_id"], ["students.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_{table}_student_id", "{table}", ["student_id"], unique=False)'''
        down_body = f'    op.drop_index("ix_{table}_student_id", table_name="{table}")\n    op.drop_table("{table}")'
    header = (f'"""create {table}\n\nRevision ID: {revision}\nRevises: {down or ""}\n"""\n'
              "import sqlalchemy as sa\nimport sqlmodel\nfrom alembic import op\n\n"
              f"revision = {revision!r}\ndown_revision = {down!r}\nbranch_labels = None\ndepends_on = None\n")
    text = f"{header}\n\ndef upgrade() -> None:\n{body}\n\n\ndef downgrade() -> None:\n{down_body}\n"
    (versions / f"{revision}.py").write_text(text)


# --- databases ------------------------------------------------------------------------------------------------------


def fresh_database(server_url: str) -> str:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, url: str) -> None:
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    engine.dispose()


class Times(NamedTuple):
    """Wall time, CPU time of the measured process (user + system) and CPU time of the PostgreSQL server's
    backends that ended meanwhile — other clients' too, so only a server nothing else uses gives a clean figure
    (``nan`` when the server's processes cannot be read: not local, or no /proc)."""

    wall: float
    cpu: float
    server: float

    def __add__(self, other: object) -> Times:
        assert isinstance(other, Times)
        return Times(self.wall + other.wall, self.cpu + other.cpu, self.server + other.server)


SERVER_STAT: Path | None = None
"""``/proc/<postmaster>/stat``: its children's CPU times grow by each backend's when it ends."""


def find_server(server_url: str) -> None:
    global SERVER_STAT
    engine = create_engine(server_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            backend = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        parent = Path(f"/proc/{backend}/stat").read_text().rsplit(") ", 1)[1].split()[1]
        SERVER_STAT = Path(f"/proc/{parent}/stat")
        server_cpu()
    except Exception:  # noqa: BLE001 - a remote server, or no /proc: the server's CPU is not reported
        SERVER_STAT = None
    finally:
        engine.dispose()


def server_cpu() -> float:
    if SERVER_STAT is None:
        return math.nan
    fields = SERVER_STAT.read_text().rsplit(") ", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")  # cutime + cstime


def timed(command: list[str], cwd: Path, env: dict[str, str], ok: tuple[int, ...] = (0,)) -> Times:
    with tempfile.TemporaryFile() as output:  # a file, not a pipe: a chatty process never blocks on it
        before = server_cpu()
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = code = os.waitstatus_to_exitcode(status)
        if code not in ok:
            output.seek(0)
            raise RuntimeError(f"{' '.join(command)} exited {code}:\n{output.read().decode()[-6000:]}")
    return Times(elapsed, usage.ru_utime + usage.ru_stime, server_cpu() - before)


# --- the three contenders ------------------------------------------------------------------------------------------


def plain_alembic(chain: Path, server_url: str) -> Times:
    url = fresh_database(server_url)
    env = {**os.environ, "SCHEMA_GUARD_DATABASE_URL": url}
    alembic = [sys.executable, "-m", "alembic", "-c", "alembic.ini"]
    try:
        return timed([*alembic, "upgrade", "head"], chain, env) + timed([*alembic, "downgrade", "base"], chain, env)
    finally:
        drop_database(server_url, url)


def gate(chain: Path, server_url: str) -> Times:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("SCHEMA_GUARD_DATABASE_URL", None)
    return timed([sys.executable, "-m", "schema_guard", "migrations", "--database-url", server_url], chain, env)


def pytest_alembic_python() -> tuple[Path | None, str]:
    """A virtualenv with pytest<9 and pytest-alembic 0.13.1 (system site packages for SQLAlchemy/Alembic/psycopg)."""
    venv = WORK / "venv-pytest-alembic"
    python = venv / "bin" / "python"
    if not python.exists():
        created = subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                                 capture_output=True, text=True, check=False)
        if created.returncode != 0:
            return None, f"venv creation failed: {created.stderr.strip()[-300:]}"
    installed = subprocess.run([str(python), "-m", "pip", "install", "-q", "pytest<9", "pytest-alembic==0.13.1",
                                "psycopg[binary]", "sqlmodel"],
                               capture_output=True, text=True, check=False)
    if installed.returncode != 0:
        return None, f"pip install failed: {installed.stderr.strip()[-300:]}"
    version = subprocess.run([str(python), "-c", "import pytest, pytest_alembic; print(pytest.__version__)"],
                             capture_output=True, text=True, check=False)
    return python, f"pytest {version.stdout.strip()}, pytest-alembic 0.13.1"


def pytest_alembic(chain: Path, server_url: str, python: Path) -> Times:
    url = fresh_database(server_url)
    env = {**os.environ, "BENCH_DATABASE_URL": url, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("SCHEMA_GUARD_DATABASE_URL", None)
    try:
        return timed([str(python), "-m", "pytest", "--test-alembic", "-q", "-p", "no:cacheprovider",
                      "-p", "no:schema_guard", "tests"], chain, env)
    finally:
        drop_database(server_url, url)


def main(argv: list[str] | None = None) -> int:
    global WORK
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--revisions", default="50", help="chain lengths, comma-separated (50,150,300)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--env", choices=("project", "minimal"), default="project")
    parser.add_argument("--database-url", default=os.environ.get("SCHEMA_GUARD_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--skip-pytest-alembic", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--work", type=Path, default=WORK, help="where the chains (and pytest-alembic's venv) go")
    args = parser.parse_args(argv)
    WORK = args.work

    WORK.mkdir(parents=True, exist_ok=True)
    find_server(args.database_url)
    note = "skipped"
    python = None
    if not args.skip_pytest_alembic:
        python, note = pytest_alembic_python()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; env.py: {args.env}; "
          f"median of {args.runs} runs (pytest-alembic: {note})")
    report: dict[str, object] = {}
    for revisions in [int(n) for n in args.revisions.split(",")]:
        chain = generate_chain(WORK / f"chain{revisions}-{args.env}", revisions, args.database_url,
                               minimal=args.env == "minimal")
        contenders = {"plain alembic upgrade+downgrade": lambda: plain_alembic(chain, args.database_url),
                      "schema-guard migrations": lambda: gate(chain, args.database_url)}
        if python is not None:
            contenders["pytest-alembic default tests"] = lambda: pytest_alembic(chain, args.database_url, python)
        results: dict[str, list[Times]] = {name: [] for name in contenders}
        for _ in range(args.runs):  # interleaved, so a change in the machine's load touches every contender alike
            for name, run in contenders.items():
                results[name].append(run())
        medians = {name: Times(*(statistics.median(column) for column in zip(*times)))
                   for name, times in results.items()}
        base = medians["plain alembic upgrade+downgrade"]
        print(f"chain of {revisions} revisions:")
        for name, median in medians.items():
            target = "  (target <= 1.15x at 300 revisions)" if name == "schema-guard migrations" else ""
            print(f"  {name:34s} {median.wall:6.2f} s {median.wall / base.wall:5.2f}x plain alembic{target}; "
                  f"CPU {median.cpu:.2f} s {median.cpu / base.cpu:.2f}x, server CPU {median.server:.2f} s "
                  f"{median.server / base.server if base.server else math.nan:.2f}x")
        if "pytest-alembic default tests" in medians:
            gate_time, theirs = medians["schema-guard migrations"], medians["pytest-alembic default tests"]
            print(f"  {'gate / pytest-alembic':34s} {gate_time.wall / theirs.wall:6.2f}x  (target <= 0.8x at 50 "
                  f"revisions, minimal env.py); CPU {gate_time.cpu / theirs.cpu:.2f}x")
        report[str(revisions)] = {"medians": {name: m._asdict() for name, m in medians.items()},
                                  "runs": {name: [t._asdict() for t in times] for name, times in results.items()}}
    if args.json:
        args.json.write_text(json.dumps({"results": report, "pytest_alembic": note}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
