"""The test suite's own PostgreSQL: the server that answers at SCHEMA_GUARD_TEST_DATABASE_URL (or 127.0.0.1:5432),
else a throwaway one started with schema-guard's embedded-server code — so `python -m pytest` passes on a machine
with the PostgreSQL binaries and no server running. This run exercises the first path; the test below the second."""

from __future__ import annotations

import os
import subprocess
import sys

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from tests.conftest import TEST_DATABASE_URL_ENV
from tests.helpers import REPO_ROOT

NOTHING_LISTENS = "postgresql+psycopg://postgres@127.0.0.1:1/postgres"


def test_this_run_has_a_server_that_answers() -> None:
    engine = sa.create_engine(os.environ[TEST_DATABASE_URL_ENV], poolclass=NullPool)
    with engine.connect() as connection:
        assert connection.execute(sa.text("select 1")).scalar() == 1


def test_a_run_with_no_server_answering_starts_its_own() -> None:
    env = dict(os.environ, **{TEST_DATABASE_URL_ENV: NOTHING_LISTENS})
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist",
         "tests/test_tenant_guard.py", "tests/test_suite_database.py",
         "-k", "points_at_the_line or custom_tenant_column or server_that_answers"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert ("(started for this run, nothing answered at postgresql+psycopg://postgres@127.0.0.1:1/postgres)"
            in done.stdout)
    assert "3 passed" in done.stdout
