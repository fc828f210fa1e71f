"""What stops the gate, each as one line: exit 2 (a fatal SG010/SG011) for tooling problems, an SG012 error for a
revision's own fault — and nothing left behind on the server either way."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from schema_guard.config import load_config
from schema_guard.findings import Finding
from schema_guard.gate import run_gate
from tests.gate.support import free_port, SERVER_URL, materialise, project_path


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    finding = findings[0]
    assert "\n" not in finding.message
    return finding


def test_unreachable_server(tmp_path: Path, scratch_names: list[str], isolated_models: None) -> None:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    finding = only(run_gate(load_config(cwd=materialise("good", tmp_path)), database_url=url))
    assert (finding.code, finding.severity) == ("SG010", "fatal")
    assert "cannot reach PostgreSQL at postgresql+psycopg://postgres@127.0.0.1" in finding.message
    assert "--database-url" in finding.message


def test_rejected_login(tmp_path: Path, scratch_names: list[str], isolated_models: None) -> None:
    url = sa.make_url(SERVER_URL).set(username=f"sg_nobody_{secrets.token_hex(3)}", password="s3cret")
    finding = only(run_gate(load_config(cwd=materialise("good", tmp_path)), database_url=url.render_as_string(False)))
    assert (finding.code, finding.severity) == ("SG010", "fatal")
    assert "rejected the login" in finding.message
    assert "s3cret" not in finding.message, "the password is never shown"


def test_role_without_createdb(tmp_path: Path, server_url: str, scratch_names: list[str],
                               isolated_models: None) -> None:
    role = f"sg_nocreatedb_{secrets.token_hex(3)}"
    admin = sa.create_engine(server_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN NOCREATEDB')
    try:
        url = sa.make_url(server_url).set(username=role).render_as_string(False)
        finding = only(run_gate(load_config(cwd=materialise("good", tmp_path)), database_url=url))
        assert (finding.code, finding.severity) == ("SG010", "fatal")
        assert "may not create databases" in finding.message and "CREATEDB" in finding.message
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
        admin.dispose()


@pytest.mark.parametrize(("url", "says"), [
    ("sqlite:///x.db", "needs PostgreSQL, not sqlite"),
    ("not a url", "is not a database URL"),
])
def test_url_that_is_not_postgresql(url: str, says: str, tmp_path: Path, isolated_models: None) -> None:
    finding = only(run_gate(load_config(cwd=materialise("good", tmp_path)), database_url=url))
    assert finding.code == "SG010" and says in finding.message


def test_url_naming_a_missing_database(tmp_path: Path, server_url: str, isolated_models: None) -> None:
    url = sa.make_url(server_url).set(database=f"sg_missing_{secrets.token_hex(3)}").render_as_string(False)
    finding = only(run_gate(load_config(cwd=materialise("good", tmp_path)), database_url=url))
    assert finding.code == "SG010" and "does not exist" in finding.message


def test_environment_variable_names_the_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               scratch_names: list[str], isolated_models: None) -> None:
    monkeypatch.setenv("SCHEMA_GUARD_DATABASE_URL", f"postgresql://postgres@127.0.0.1:{free_port()}/postgres")
    good = materialise("good", tmp_path)
    assert only(run_gate(load_config(cwd=good))).code == "SG010"
    assert run_gate(load_config(cwd=good), database_url=SERVER_URL) == []


def test_missing_alembic_ini(tmp_path: Path, server_url: str, isolated_models: None) -> None:
    root = materialise("good", tmp_path)
    (root / "alembic.ini").unlink()
    finding = only(run_gate(load_config(cwd=root), database_url=server_url))
    assert (finding.code, finding.severity, project_path(finding.path, root)) == ("SG011", "fatal", "alembic.ini")
    assert "not found" in finding.message


def test_revision_that_does_not_import(tmp_path: Path, server_url: str, isolated_models: None) -> None:
    root = materialise("good", tmp_path)
    revision = root / "migrations" / "versions" / "0004_lesson_notes.py"
    revision.write_text(revision.read_text().replace("def downgrade() -> None:", "def downgrade() -> None"))
    finding = only(run_gate(load_config(cwd=root), database_url=server_url))
    assert (finding.code, finding.severity) == ("SG011", "fatal")
    assert "0004_lesson_notes.py" in finding.message


def test_model_module_that_does_not_import(tmp_path: Path, server_url: str, isolated_models: None) -> None:
    root = materialise("good", tmp_path)
    (root / "good_models.py").write_text("import no_such_module_anywhere\n")
    finding = only(run_gate(load_config(cwd=root), database_url=server_url))
    assert (finding.code, finding.severity, project_path(finding.path, root), finding.line) == (
        "SG002", "fatal", "good_models.py", 1)
    assert "good_models" in finding.message


def test_env_py_that_connects_to_another_database_never_migrates_it(
    tmp_path: Path, server_url: str, scratch_names: list[str], isolated_models: None
) -> None:
    """An env.py that ignores the gate's connection and URL (it builds its engine from application settings) runs,
    but Alembic is handed the throwaway database's connection: the database env.py names is never migrated."""
    victim = f"sg_victim_{secrets.token_hex(3)}"
    admin = sa.create_engine(server_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{victim}"')
    try:
        root = materialise("good", tmp_path)
        env = root / "migrations" / "env.py"
        victim_url = sa.make_url(server_url).set(database=victim).render_as_string(False)
        env.write_text(env.read_text().replace('given = config.attributes.get("connection")', "given = None")
                       .replace('config.get_main_option("sqlalchemy.url")', repr(victim_url)))
        assert run_gate(load_config(cwd=root), database_url=server_url) == []
        engine = sa.create_engine(victim_url, poolclass=NullPool)
        with engine.connect() as connection:
            assert sa.inspect(connection).get_table_names() == [], "the gate migrated a database it did not create"
        engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{victim}" WITH (FORCE)')
        admin.dispose()


def test_a_revision_that_raises_is_the_revisions_fault(tmp_path: Path, server_url: str, scratch_names: list[str],
                                                       isolated_models: None) -> None:
    root = materialise("failing_revision", tmp_path)
    finding = only(run_gate(load_config(cwd=root), database_url=server_url))
    assert (finding.code, finding.severity) == ("SG012", "error")
    assert project_path(finding.path, root) == "migrations/versions/0004_lesson_notes.py"
    assert finding.message == 'upgrade of revision 0004_lesson_notes fails: relation "lesson" does not exist'


def test_env_py_passing_other_metadata_is_sg604(tmp_path: Path, server_url: str, scratch_names: list[str],
                                                 isolated_models: None) -> None:
    root = materialise("good", tmp_path)
    env = root / "migrations" / "env.py"
    env.write_text(env.read_text().replace("target_metadata = SQLModel.metadata",
                                           "import sqlalchemy\ntarget_metadata = sqlalchemy.MetaData()"))
    finding = only(run_gate(load_config(cwd=root), database_url=server_url))
    assert (finding.code, project_path(finding.path, root), finding.line) == ("SG604", "migrations/env.py", 11)
    assert "lacks lessons, students, subjects" in finding.message


def test_env_py_reading_database_url_migrates_the_throwaway_database(
    tmp_path: Path, server_url: str, scratch_names: list[str], monkeypatch: pytest.MonkeyPatch, isolated_models: None
) -> None:
    """The common env.py that ignores config.attributes and reads DATABASE_URL works, on the throwaway database."""
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/production")
    root = materialise("good", tmp_path)
    env = root / "migrations" / "env.py"
    env.write_text(env.read_text().replace('given = config.attributes.get("connection")', "given = None")
                   .replace('config.get_main_option("sqlalchemy.url")', '__import__("os").environ["DATABASE_URL"]'))
    assert run_gate(load_config(cwd=root), database_url=server_url) == []
    assert len(scratch_names) == 1
    import os

    assert os.environ["DATABASE_URL"] == "postgresql://nobody@127.0.0.1:1/production", "restored afterwards"
