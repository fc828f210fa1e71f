"""The gate on the layouts real projects use: it runs wherever ``alembic upgrade head`` runs, reports a revision
that ends the process as that revision's failure (exit 1), and tells an env.py that needs settings how to pass them.
Each case is a fixture project under ``tests/gate/fixtures`` (or the base with one file changed), on the real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from schema_guard.config import load_config
from schema_guard.gate import run_gate
from tests.gate.support import REPO_ROOT, materialise, project_path


def cli(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key != "GITHUB_ACTIONS"}
    environment["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), environment.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "schema_guard", *args], cwd=root, capture_output=True, text=True,
                          timeout=300, check=False, env={**environment, **(env or {})})


def test_interpolated_sqlalchemy_url_is_left_to_env_py(tmp_path: Path, server_url: str, scratch_names: list[str],
                                                        isolated_models: None) -> None:
    """``sqlalchemy.url = postgresql://%(DB_USER)s@%(DB_HOST)s/app`` only resolves once env.py ran: the gate must not
    read it first, and the ini keeps its own text afterwards."""
    root = materialise("interpolated_ini", tmp_path)
    config = load_config(cwd=root)
    assert run_gate(config, database_url=server_url) == []
    assert len(scratch_names) == 1


def test_url_option_with_a_percent_sign_reaches_env_py(tmp_path: Path, server_url: str, scratch_names: list[str],
                                                        isolated_models: None) -> None:
    """A password with ``%`` in the throwaway URL survives ConfigParser interpolation in env.py's get_section()."""
    root = materialise("interpolated_ini", tmp_path)
    assert run_gate(load_config(cwd=root), database_url=server_url.replace("postgres@", "postgres:p%25w@")) == []


def test_env_py_needing_settings_names_them_and_how_to_pass_them(tmp_path: Path, server_url: str,
                                                                  scratch_names: list[str]) -> None:
    root = materialise("env_needs_settings", tmp_path)
    run = cli(root, "migrations", "--database-url", server_url, "--format", "json")
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    assert f"{root / 'migrations' / 'env.py'}:12:1: migrations/env.py fails before running any revision: " \
           "KeyError: 'LESSONS_SECRET_KEY'; the gate runs env.py with your own environment" in run.stderr, run.stderr
    passed = cli(root, "migrations", "--database-url", server_url, env={"LESSONS_SECRET_KEY": "anything"})
    assert passed.returncode == 0, passed.stdout + passed.stderr


def test_pydantic_settings_errors_name_the_missing_fields(tmp_path: Path, server_url: str, scratch_names: list[str],
                                                          isolated_models: None) -> None:
    root = materialise("good", tmp_path)
    env = root / "migrations" / "env.py"
    env.write_text(env.read_text().replace(
        "config = context.config\n",
        "import os\nimport pydantic\n\n\nclass Settings(pydantic.BaseModel):\n    POSTGRES_SERVER: str\n"
        "    SECRET_KEY: str\n\n\nsettings = Settings(**{k: v for k, v in os.environ.items() if k == 'SECRET_KEY'})\n"
        "config = context.config\n"))
    [finding] = run_gate(load_config(cwd=root), database_url=server_url)
    assert (finding.code, finding.severity, project_path(finding.path, root), finding.line) == (
        "SG011", "fatal", "migrations/env.py", 18)
    assert "ValidationError: 2 validation errors for Settings (POSTGRES_SERVER: Field required, SECRET_KEY: Field " \
           "required)" in finding.message


@pytest.mark.parametrize("statement, shown", [
    ("sys.exit(0)", "it calls sys.exit(0)"),
    ("sys.exit()", "it calls sys.exit()"),
    ("raise BaseException('stop here')", "BaseException: stop here"),
])
def test_a_revision_that_ends_the_process_is_sg012_and_exit_1(tmp_path: Path, server_url: str,
                                                               scratch_names: list[str], statement: str,
                                                               shown: str) -> None:
    root = materialise("sys_exit_revision", tmp_path)
    revision = root / "migrations" / "versions" / "0004_lesson_notes.py"
    revision.write_text(revision.read_text().replace("sys.exit(0)", statement))
    run = cli(root, "migrations", "--database-url", server_url, "--format", "json")
    assert run.returncode == 1, run.stdout + run.stderr
    import json

    [finding] = json.loads(run.stdout)
    assert (finding["code"], finding["path"], finding["line"]) == (
        "SG012", "migrations/versions/0004_lesson_notes.py", 21)
    assert finding["message"] == f"upgrade of revision 0004_lesson_notes fails: {shown}"


def test_duplicate_revision_ids_name_both_files(tmp_path: Path, server_url: str, isolated_models: None) -> None:
    root = materialise("duplicate_revision_id", tmp_path)
    [finding] = run_gate(load_config(cwd=root), database_url=server_url)
    assert (finding.code, finding.severity) == ("SG011", "fatal")
    assert "migrations/versions/0004_lesson_notes.py and migrations/versions/0004_lesson_notes_copy.py" in \
        finding.message


def test_a_revision_that_exits_while_loading_is_located_there(tmp_path: Path, server_url: str,
                                                              isolated_models: None) -> None:
    root = materialise("good", tmp_path)
    revision = root / "migrations" / "versions" / "0004_lesson_notes.py"
    revision.write_text(revision.read_text().replace("from alembic import op\n", "from alembic import op\nimport sys\n"
                                                     "sys.exit('not today')\n"))
    [finding] = run_gate(load_config(cwd=root), database_url=server_url)
    assert (finding.code, project_path(finding.path, root), finding.line) == (
        "SG011", "migrations/versions/0004_lesson_notes.py", 11)
    assert "it calls sys.exit('not today')" in finding.message


def test_what_env_py_prints_or_logs_never_reaches_the_json_report(tmp_path: Path, server_url: str) -> None:
    root = materialise("good", tmp_path)
    env = root / "migrations" / "env.py"
    env.write_text(env.read_text().replace(
        "config = context.config\n",
        "import logging\nimport sys\n\nlogging.basicConfig(stream=sys.stdout, level=logging.INFO, force=True)\n"
        "print('hello from env.py')\nconfig = context.config\n"))
    run = cli(root, "migrations", "--database-url", server_url, "--format", "json", "-v")
    assert run.returncode == 0, run.stdout + run.stderr
    import json

    assert json.loads(run.stdout) == []
    assert "hello from env.py" in run.stderr


def test_a_revision_using_op_at_import_time_loads_as_under_alembic(tmp_path: Path, server_url: str,
                                                                   scratch_names: list[str],
                                                                   isolated_models: None) -> None:
    """``conn = op.get_bind()`` at module level works under ``alembic upgrade`` (revisions are imported inside the
    migration context); the gate imports them the same way instead of refusing the project."""
    root = materialise("good", tmp_path)
    revision = root / "migrations" / "versions" / "0004_lesson_notes.py"
    revision.write_text(revision.read_text().replace("from alembic import op\n",
                                                     "from alembic import op\n\nconnection = op.get_bind()\n"))
    found = run_gate(load_config(cwd=root), database_url=server_url)
    assert found == [], [f.message for f in found]
    assert len(scratch_names) == 1


@pytest.mark.parametrize("use", ["with given.connect() as connection:\n        run(connection)",
                                 "with given as connection:\n        run(connection)",
                                 "connection = given.connect()\n    run(connection)\n    connection.commit()\n"
                                 "    connection.close()\n    given.dispose()"])
def test_env_py_treating_the_handed_connection_as_an_engine_runs(tmp_path: Path, server_url: str,
                                                                 scratch_names: list[str], isolated_models: None,
                                                                 use: str) -> None:
    """Some env.py files expect an Engine in ``config.attributes["connection"]`` and call ``connect()`` on it."""
    root = materialise("good", tmp_path)
    env = root / "migrations" / "env.py"
    env.write_text(env.read_text().replace("if given is not None:\n    run(given)",
                                           f"if given is not None:\n    {use}"))
    assert "given.connect()" in env.read_text() or "with given as" in env.read_text()
    assert "if given is not None:\n    run(given)" not in env.read_text()
    assert run_gate(load_config(cwd=root), database_url=server_url) == []


def test_models_are_imported_before_any_revision_file(tmp_path: Path, server_url: str, scratch_names: list[str],
                                                      isolated_models: None) -> None:
    """``alembic upgrade`` runs env.py (which imports the models) before it loads a revision file; a revision file
    imported first can leave a half-initialised module behind that breaks the models' own import. The gate imports
    in Alembic's order: each file below appends its name to a log when it is imported."""
    root = materialise("good", tmp_path)
    log = tmp_path / "import-order.log"
    record = f"open({str(log)!r}, 'a').write(__name__.rsplit('.', 1)[-1] + '\\n')\n"
    models = root / "good_models.py"
    models.write_text(record + models.read_text(encoding="utf-8"), encoding="utf-8")
    first = root / "migrations" / "versions" / "0001_students_subjects.py"
    first.write_text(record + first.read_text(encoding="utf-8"), encoding="utf-8")
    assert run_gate(load_config(cwd=root), database_url=server_url) == []
    order = log.read_text(encoding="utf-8").split()
    assert order[0] == "good_models" and order[1].startswith("0001_students_subjects"), order


def test_env_py_that_applies_no_revision_is_sg011_not_drift(tmp_path: Path, server_url: str,
                                                            scratch_names: list[str]) -> None:
    """An env.py whose online branch never runs the migrations leaves the throwaway database empty; comparing that
    with the models would blame every table on the models. The gate names env.py instead and exits 2."""
    root = materialise("good", tmp_path)
    env = root / "migrations" / "env.py"
    text = env.read_text()
    text = text.replace("if given is not None:", "if context.is_offline_mode() and given is not None:")
    env.write_text(text.replace("else:\n    engine", "elif context.is_offline_mode():\n    engine"))
    assert env.read_text().count("is_offline_mode()") == 2
    run = cli(root, "migrations", "--database-url", server_url)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "SG601" not in run.stdout and "Traceback" not in run.stderr
    assert "SG011 migrations/env.py never calls context.run_migrations() when run online, so no revision was " \
           "applied" in run.stdout, run.stdout


def test_env_py_with_its_own_engine_and_a_transaction_per_migration(tmp_path: Path, server_url: str,
                                                                    scratch_names: list[str]) -> None:
    """The shape of a production env.py: an engine built from application settings (here another database), a
    connection test before migrating, ``transaction_per_migration=True``. Alembic gets the throwaway database's
    connection, every revision is applied (``-v`` says how many), and the application database stays untouched."""
    root = materialise("good", tmp_path)
    (root / "migrations" / "env.py").write_text(
        '"""Production-style env.py."""\n'
        "import os\n\n"
        "from alembic import context\n"
        "from sqlalchemy import create_engine, text\n"
        "from sqlmodel import SQLModel\n\n"
        "import good_models  # noqa: F401\n\n"
        "engine = create_engine(os.environ['APP_DATABASE_URL'], pool_pre_ping=True)\n"
        "with engine.connect() as probe:\n"
        "    probe.execute(text('SELECT 1'))\n"
        "with engine.connect() as connection:\n"
        "    context.configure(connection=connection, target_metadata=SQLModel.metadata, compare_type=True,\n"
        "                      render_as_batch=True, transaction_per_migration=True)\n"
        "    with context.begin_transaction():\n"
        "        context.run_migrations()\n",
        encoding="utf-8")
    run = cli(root, "migrations", "--database-url", server_url, "-v", env={"APP_DATABASE_URL": server_url})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "upgraded 4 of 4 revisions to head" in run.stderr, run.stderr
    assert "Alembic gets the throwaway database's connection instead" in run.stderr


ASYNC_ENV = '''"""The async env.py of Alembic's asyncio template."""
import asyncio
import json
import os

from alembic import context
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import async_engine_from_config, create_async_engine
from sqlmodel import SQLModel

import good_models  # noqa: F401

config = context.config


def do_run_migrations(connection):
    context.configure(connection=connection, target_metadata=SQLModel.metadata)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations():
    connectable = ENGINE
    async with connectable.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await connectable.dispose()


asyncio.run(run_async_migrations())
'''


@pytest.mark.parametrize("engine", [
    'async_engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", '
    'poolclass=pool.NullPool)',
    'create_async_engine(os.environ["APP_DATABASE_URL"], poolclass=pool.NullPool)',
])
def test_async_env_py_runs_on_the_throwaway_database(tmp_path: Path, server_url: str, engine: str) -> None:
    """Alembic's asyncio template, with the engine from ``sqlalchemy.url`` (the throwaway database) or from the
    application's settings (another database: Alembic gets the gate's connection inside ``run_sync``)."""
    root = materialise("good", tmp_path)
    (root / "migrations" / "env.py").write_text(ASYNC_ENV.replace("ENGINE", engine), encoding="utf-8")
    run = cli(root, "migrations", "--database-url", server_url, "-v", env={"APP_DATABASE_URL": server_url})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "upgraded 4 of 4 revisions to head" in run.stderr, run.stderr


@pytest.mark.parametrize("separator", ["", "path_separator = os\n", "version_path_separator = space\n"])
def test_relative_version_locations_are_read_beside_alembic_ini(tmp_path: Path, server_url: str,
                                                                 separator: str) -> None:
    """``version_locations`` and ``prepend_sys_path`` relative to the folder of ``alembic.ini`` (read from there by
    ``alembic upgrade``) are found when the gate starts in another folder; they once found no revision at all, so
    every table looked like drift."""
    root = materialise("good", tmp_path)
    ini = root / "alembic.ini"
    base = ini.read_text().replace("path_separator = os\n", "")
    ini.write_text(base.replace("[alembic]\n", "[alembic]\n" + separator +
                                           "version_locations = migrations/versions\nprepend_sys_path = .\n"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = cli(elsewhere, "migrations", "--config", str(root / "pyproject.toml"), "--database-url", server_url, "-v")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "upgraded 4 of 4 revisions to head" in run.stderr, run.stderr
    assert ini.read_text().count("version_locations = migrations/versions") == 1  # the file itself is not changed


def test_an_empty_history_is_sg011_at_alembic_ini(tmp_path: Path, server_url: str) -> None:
    """No revision file where Alembic looks: one SG011 naming the folder, not every table reported as drift."""
    root = materialise("good", tmp_path)
    for revision in (root / "migrations" / "versions").glob("*.py"):
        revision.unlink()
    run = cli(root, "migrations", "--database-url", server_url)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "alembic.ini: SG011 alembic.ini: no revision file in migrations/versions: generate the first one" \
        in run.stdout, run.stdout
    assert "SG601" not in run.stdout


@pytest.mark.parametrize("ini", ["removed", "logging only"])
def test_alembic_options_in_pyproject_toml(tmp_path: Path, server_url: str, ini: str) -> None:
    """Alembic 1.16+ reads ``script_location`` and friends from ``[tool.alembic]`` in ``pyproject.toml``; the ini
    then holds only logging (or is gone, and ``alembic-config`` names ``pyproject.toml``)."""
    root = materialise("good", tmp_path)
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text() + '\n[tool.alembic]\nscript_location = "%(here)s/migrations"\n'
    if ini == "removed":
        (root / "alembic.ini").unlink()
        text = text.replace('alembic-config = "alembic.ini"', 'alembic-config = "pyproject.toml"')
    else:
        (root / "alembic.ini").write_text("[loggers]\nkeys = root\n", encoding="utf-8")
    pyproject.write_text(text, encoding="utf-8")
    run = cli(root, "migrations", "--database-url", server_url, "-v")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "upgraded 4 of 4 revisions to head" in run.stderr, run.stderr


def test_path_lists_split_as_alembic_1_13_splits_them() -> None:
    """Projects pin Alembic 1.13 (the oldest schema-guard accepts), which has neither ``path_separator`` nor the
    list helpers; the gate then splits the options the way that Alembic does."""
    from schema_guard.gate.alembic.revisions import legacy_path_lists

    assert legacy_path_lists("a/versions b/versions,c", None, ". src:lib") == (
        ["a/versions", "b/versions", "c"], [".", "src", "lib"])
    assert legacy_path_lists("a b:c", "os", None) == (["a b", "c"], None)
    assert legacy_path_lists("a b;c", ";", None) == (["a b", "c"], None)
    assert legacy_path_lists(None, None, None) == (None, None)


def test_version_folders_chosen_by_env_py_at_run_time_are_named(tmp_path: Path, server_url: str) -> None:
    """An env.py that sets ``context.script.version_locations`` itself (one folder per database dialect) leaves
    nothing where the gate reads the history from; the finding names the folder env.py chose and what to do."""
    root = materialise("good", tmp_path)
    migrations = root / "migrations"
    (migrations / "versions").rename(migrations / "postgresql")
    (migrations / "versions").mkdir()
    env = migrations / "env.py"
    env.write_text(env.read_text().replace(
        "config = context.config\n",
        "config = context.config\n"
        "context.script.version_locations = [config.get_main_option('script_location') + '/postgresql']\n"))
    run = cli(root, "migrations", "--database-url", server_url)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "SG011 alembic.ini: no revision file in migrations/versions: env.py sets the version folders at run " \
           "time (migrations/postgresql); name them in version_locations in alembic.ini" in run.stdout, run.stdout


def test_tables_in_a_named_schema_are_compared_there(tmp_path: Path, server_url: str) -> None:
    """``__table_args__ = {"schema": "catalog"}``: the table is created in that schema by the revisions and compared
    there (it was once reported as never created); other schemas of the database are not compared."""
    root = materialise("good", tmp_path)
    models = root / "good_models.py"
    models.write_text(models.read_text().replace(
        '    __tablename__ = "subjects"\n', '    __tablename__ = "subjects"\n    __table_args__ = {"schema": "catalog"}\n'
    ).replace('foreign_key="subjects.id"', 'foreign_key="catalog.subjects.id"'))
    versions = root / "migrations" / "versions"
    first = versions / "0001_students_subjects.py"
    first.write_text(first.read_text().replace(
        '    op.create_table(\n        "subjects",',
        '    op.execute("CREATE SCHEMA catalog")\n    op.execute("CREATE SCHEMA audit")\n'
        '    op.execute("CREATE TABLE audit.unmodelled (id int)")\n'
        '    op.create_table(\n        "subjects",'
    ).replace('        sa.PrimaryKeyConstraint("id"),\n    )\n\n\ndef downgrade',
              '        sa.PrimaryKeyConstraint("id"),\n        schema="catalog",\n    )\n\n\ndef downgrade'
    ).replace('    op.drop_table("subjects")',
              '    op.drop_table("subjects", schema="catalog")\n    op.execute("DROP SCHEMA catalog")\n'
              '    op.execute("DROP SCHEMA audit CASCADE")'))
    second = versions / "0002_lessons.py"
    second.write_text(second.read_text().replace('["subjects.id"]', '["catalog.subjects.id"]'))
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('shared-tables = ["subjects"]',
                                                       'shared-tables = ["subjects", "unmodelled"]'))
    run = cli(root, "migrations", "--database-url", server_url, "--format", "json")
    assert run.returncode in (0, 1), run.stdout + run.stderr
    assert [f["message"] for f in json.loads(run.stdout) if f["code"] == "SG601"] == [], run.stdout


@pytest.mark.parametrize("options, reported", [
    ("", False),
    (", compare_server_default=True", True),
])
def test_drift_follows_env_py_comparison_options(tmp_path: Path, server_url: str, options: str,
                                                 reported: bool) -> None:
    """The gate reports as drift what the project's own ``alembic check`` would: a server default only the models
    declare counts once env.py turns ``compare_server_default`` on (Alembic's default is off), and a table env.py's
    ``include_object`` leaves out (managed elsewhere) never counts."""
    root = materialise("good", tmp_path)
    models = root / "good_models.py"
    models.write_text(models.read_text().replace(
        "    title: str = Field(index=True)\n",
        "    title: str = Field(index=True, sa_column_kwargs={'server_default': 'untitled'})\n") +
        "\n\nclass Legacy(SQLModel, table=True):\n"
        "    __tablename__ = 'legacy_reports'\n"
        "    __table_args__ = {'info': {'schema_guard': {'shared': True}}}\n"
        "    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)\n")
    env = root / "migrations" / "env.py"
    env.write_text(env.read_text().replace(
        "context.configure(connection=connection, target_metadata=target_metadata)",
        "context.configure(connection=connection, target_metadata=target_metadata,\n"
        "                      include_object=lambda item, name, kind, reflected, other: name != 'legacy_reports'"
        f"{options})"))
    assert "include_object" in env.read_text()
    run = cli(root, "migrations", "--database-url", server_url, "--format", "json")
    assert run.returncode in (0, 1), run.stdout + run.stderr
    drift = [f["message"] for f in json.loads(run.stdout) if f["code"] == "SG601"]
    assert not any("legacy_reports" in message for message in drift), drift
    expected = ["column lessons.title has no server default in the migrated database but server default 'untitled' "
                "in the models"] if reported else []
    assert drift == expected


def test_a_downgrade_dropping_an_unnamed_constraint_is_told_without_memory_addresses(tmp_path: Path,
                                                                                   server_url: str) -> None:
    """Autogenerate leaves ``op.drop_constraint(None, ...)`` in downgrades; SQLAlchemy's error quotes object reprs
    with memory addresses, which the finding leaves out."""
    root = materialise("good", tmp_path)
    last = root / "migrations" / "versions" / "0004_lesson_notes.py"
    last.write_text(last.read_text().replace(
        '    op.drop_column("lessons", "notes")',
        '    op.drop_constraint(None, "lessons", type_="foreignkey")\n    op.drop_column("lessons", "notes")'))
    run = cli(root, "migrations", "--database-url", server_url)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "SG012 downgrade of revision 0004_lesson_notes fails: CompileError: Can't emit DROP CONSTRAINT for " \
           "constraint ForeignKeyConstraint(..., None, table=Table('lessons')); it has no name" in run.stdout, run.stdout
    assert " at 0x" not in run.stdout


def test_a_revision_missing_the_sqlmodel_import_says_where_to_add_it(tmp_path: Path, server_url: str) -> None:
    """Autogenerate writes ``sqlmodel.sql.sqltypes.AutoString()`` but Alembic's template does not import sqlmodel:
    the first revision of a new SQLModel project fails with a NameError, and the fix names the template too."""
    root = materialise("good", tmp_path)
    first = root / "migrations" / "versions" / "0001_students_subjects.py"
    first.write_text(first.read_text().replace("import sqlmodel\n", ""))
    run = cli(root, "migrations", "--database-url", server_url, "--format", "json")
    assert run.returncode == 1, run.stdout + run.stderr
    [finding] = [f for f in json.loads(run.stdout) if f["code"] == "SG012"]
    assert finding["message"] == "upgrade of revision 0001_students_subjects fails: NameError: name 'sqlmodel' is " \
                                 "not defined"
    assert finding["fix"] == "Add `import sqlmodel` to the revision, and to migrations/script.py.mako so that the " \
                             "revisions autogenerate writes import it."


def test_version_locations_naming_a_package_resource(tmp_path: Path, server_url: str) -> None:
    """``version_locations = migrations:versions`` (``package:folder``, as in ``script_location = app:alembic``) is
    Alembic's to resolve; the gate once split it at the colon and read the package folder as revisions."""
    root = materialise("good", tmp_path)
    (root / "migrations" / "__init__.py").write_text("", encoding="utf-8")
    ini = root / "alembic.ini"
    ini.write_text(ini.read_text().replace("path_separator = os\n", "").replace(  # as fief's: legacy splitting
        "[alembic]\n", "[alembic]\nversion_locations = migrations:versions\n"))
    run = cli(root, "migrations", "--database-url", server_url, "-v")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "upgraded 4 of 4 revisions to head" in run.stderr, run.stderr
