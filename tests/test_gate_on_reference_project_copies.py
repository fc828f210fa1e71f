"""The migration gate on changed copies of the reference project: shared tables declared on the models reach
SG606, a model module that fails to import is SG002 at its line, index drift is located at the revision that made
the index, one pipeline (selection, suppressions, baseline) for every way of running the gate, ``baseline
--migrations``, absolute paths, path-less fatal messages, and the one index/constraint history read by the rules and
by provenance.

The projects are copies of the repository's reference project (``reference_models/``, ``reference_app/``,
``migrations/``, ``alembic.ini``, ``pyproject.toml``) in a temporary folder, changed per test; the gate runs in a
subprocess (one model set per process), as a user runs it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

from schema_guard.config import load_config
from schema_guard.gate.analysis.history import SchemaHistory
from schema_guard.gate.analysis.operations import RevisionSource
from schema_guard.gate.analysis.provenance import Provenance
from schema_guard.gate.alembic.revisions import Revision, load_project
from schema_guard.tenancy import declared_shared
from tests.gate.support import REPO_ROOT

REFERENCE_PARTS = ("reference_models", "reference_app", "migrations", "alembic.ini", "pyproject.toml")
INDEX_REVISION = "migrations/versions/0003_exam_title_index.py"
INDEX_LINE = 18
"""The line of ``op.create_index`` in the revision below."""


def _index_revision(*, concurrently: bool) -> str:
    """Revision 0003: ``ix_exams_title``, which the models do not declare (SG601); without ``CONCURRENTLY`` on an
    existing table it is SG651 too."""
    keywords = ", postgresql_concurrently=True" if concurrently else ""
    text = textwrap.dedent(f'''\
        """An index on exams.title that the models do not declare.

        Revision ID: 0003_exam_title_index
        Revises: 0002_exams_attempts_feedback
        Create Date: 2025-01-07 09:00:00
        """

        from alembic import op

        revision = "0003_exam_title_index"
        down_revision = "0002_exams_attempts_feedback"
        branch_labels = None
        depends_on = None


        def upgrade() -> None:
            with op.get_context().autocommit_block():
                op.create_index(op.f("ix_exams_title"), "exams", ["title"]{keywords})


        def downgrade() -> None:
            with op.get_context().autocommit_block():
                op.drop_index(op.f("ix_exams_title"), table_name="exams"{keywords})
        ''')
    assert text.splitlines()[INDEX_LINE - 1].lstrip().startswith("op.create_index"), text
    return text


def reference_copy(tmp_path: Path, *, shared_tables_setting: bool = True, extra: dict[str, str] | None = None) -> Path:
    """The reference project in ``tmp_path/project``, optionally without the ``shared-tables`` line and with
    ``extra`` files (relative path → text) added."""
    root = tmp_path / "project"
    root.mkdir()
    for part in REFERENCE_PARTS:
        source = REPO_ROOT / part
        if source.is_dir():
            shutil.copytree(source, root / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copyfile(source, root / part)
    if not shared_tables_setting:
        pyproject = root / "pyproject.toml"
        lines = pyproject.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [line for line in lines if not line.startswith("shared-tables")]
        assert len(kept) == len(lines) - 1, "the reference pyproject.toml has one shared-tables line"
        pyproject.write_text("".join(kept), encoding="utf-8")
    for name, text in (extra or {}).items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def gate_json(root: Path, database_url: str) -> tuple[int, list[dict[str, object]]]:
    """``python -m schema_guard.gate`` in its own process: exit code and the findings (absolute paths)."""
    done = subprocess.run(
        [sys.executable, "-m", "schema_guard.gate", "--cwd", str(root), "--database-url", database_url],
        cwd=root, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode in {0, 1, 2}, done.stdout + done.stderr
    return done.returncode, json.loads(done.stdout)


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "GITHUB_ACTIONS"}
    return subprocess.run([sys.executable, "-m", "schema_guard", *args], cwd=root, capture_output=True, text=True,
                          timeout=300, check=False, env=env)


# 1. SG606 and tables declared shared on the model ---------------------------------------------------------------


def test_tables_declared_shared_on_the_models_are_shared_for_the_head_rules(tmp_path: Path, server_url: str) -> None:
    """Without ``shared-tables`` in pyproject the reference models' ``info={"schema_guard": {"shared": True}}``
    still exempts subjects, syllabus_points and questions: the reflected database carries no ``info``."""
    root = reference_copy(tmp_path, shared_tables_setting=False)
    code, findings = gate_json(root, server_url)
    assert (code, findings) == (0, [])


# 2. a model module that fails to import ------------------------------------------------------------------------


def test_a_model_submodule_that_fails_to_import_is_sg002_at_its_line(tmp_path: Path, server_url: str) -> None:
    """The gate imports the configured packages with every submodule (as the metadata reader does), and a failure is
    SG002, fatal, located at the line that raised — not SG011 with no location."""
    broken = '"""A model module the package __init__ does not import."""\n\nimport no_such_module_anywhere\n'
    root = reference_copy(tmp_path, extra={"reference_models/broken_extra.py": broken})
    code, findings = gate_json(root, server_url)
    assert code == 2
    [finding] = findings
    assert (finding["code"], finding["severity"], finding["path"], finding["line"]) == (
        "SG002", "fatal", str((root / "reference_models" / "broken_extra.py").resolve()), 3)
    assert "cannot import model module 'reference_models.broken_extra'" in str(finding["message"])
    assert "no_such_module_anywhere" in str(finding["message"])

    run = cli(root, "migrations", "--database-url", server_url, "--format", "json")
    assert run.returncode == 2, run.stdout + run.stderr
    assert [(f["code"], f["path"], f["line"]) for f in json.loads(run.stdout)] == [
        ("SG002", "reference_models/broken_extra.py", 3)]
    assert "schema-guard: error: " in run.stderr and "broken_extra.py:3:" in run.stderr


# 3. drift on an index is located at the revision that created the index ---------------------------------------


def test_index_drift_is_located_at_the_revision_that_created_the_index(tmp_path: Path, server_url: str) -> None:
    root = reference_copy(tmp_path, extra={INDEX_REVISION: _index_revision(concurrently=True)})
    code, findings = gate_json(root, server_url)
    assert code == 1
    assert [(f["code"], f["path"], f["line"], f["table"]) for f in findings] == [
        ("SG601", str((root / INDEX_REVISION).resolve()), INDEX_LINE, "exams")]
    assert "index ix_exams_title on exams (title) exists in the migrated database but not in the models" in str(
        findings[0]["message"])


# 5. one pipeline; `baseline --migrations` ------------------------------------------------------------------------


def test_baseline_with_migrations_accepts_the_gates_findings(tmp_path: Path, server_url: str) -> None:
    root = reference_copy(tmp_path, extra={INDEX_REVISION: _index_revision(concurrently=False)})
    before = cli(root, "migrations", "--database-url", server_url, "--format", "json")
    assert before.returncode == 1, before.stdout + before.stderr
    assert sorted((f["code"], f["path"], f["line"]) for f in json.loads(before.stdout)) == [
        ("SG601", INDEX_REVISION, INDEX_LINE), ("SG651", INDEX_REVISION, INDEX_LINE)]

    written = cli(root, "baseline", "--migrations", "--database-url", server_url)
    assert written.returncode == 0, written.stdout + written.stderr
    assert written.stdout.strip().endswith(
        "Wrote 2 finding(s) to " + str(root / ".schema-guard-baseline.json") + ": it holds 2 entries")
    baseline = json.loads((root / ".schema-guard-baseline.json").read_text(encoding="utf-8"))
    assert sorted((e["code"], e["path"]) for e in baseline["findings"]) == [
        ("SG601", INDEX_REVISION), ("SG651", INDEX_REVISION)]

    after = cli(root, "migrations", "--database-url", server_url)
    assert after.returncode == 0, after.stdout + after.stderr
    assert after.stdout.strip().endswith("All checks passed! (2 baselined)")
    shown = cli(root, "migrations", "--database-url", server_url, "--no-baseline", "--select", "SG651")
    assert shown.returncode == 1 and "SG651" in shown.stdout and "SG601" not in shown.stdout
    assert cli(root, "check").returncode == 0

    model_only = cli(root, "baseline")
    assert model_only.returncode == 0, model_only.stdout + model_only.stderr
    again = cli(root, "migrations", "--database-url", server_url)
    assert again.returncode == 0, "a model-only `baseline` keeps the gate's entries it did not re-check"


def test_baseline_database_url_needs_migrations(tmp_path: Path) -> None:
    run = cli(reference_copy(tmp_path), "baseline", "--database-url", "postgresql://postgres@127.0.0.1:1/x")
    assert run.returncode == 2 and "--migrations" in run.stderr


# 7. a fatal finding without a path -----------------------------------------------------------------------------


def test_a_fatal_database_finding_is_located_at_the_configuration(tmp_path: Path) -> None:
    """SG010 points at the configuration's migrations table (where ``database-url`` is set), never ``<unknown>``."""
    root = reference_copy(tmp_path)
    run = cli(root, "migrations", "--database-url", "postgresql://postgres@127.0.0.1:1/postgres", "--format", "json")
    assert run.returncode == 2
    [finding] = json.loads(run.stdout)
    lines = (root / "pyproject.toml").read_text(encoding="utf-8").splitlines()
    assert (finding["code"], finding["path"]) == ("SG010", "pyproject.toml")
    assert lines[finding["line"] - 1].startswith("[tool.schema_guard.migrations]")
    [line] = run.stderr.strip().splitlines()
    assert line.startswith(f"schema-guard: error: {root / 'pyproject.toml'}:{finding['line']}:1: cannot reach "
                           "PostgreSQL at ") and "<unknown>" not in line


def test_baseline_migrations_stops_on_a_fatal_finding(tmp_path: Path) -> None:
    root = reference_copy(tmp_path)
    run = cli(root, "baseline", "--migrations", "--database-url", "postgresql://postgres@127.0.0.1:1/postgres")
    assert run.returncode == 2
    assert "cannot reach PostgreSQL" in run.stderr and "<unknown>" not in run.stderr
    assert not (root / ".schema-guard-baseline.json").exists()


# 4. one reading of the shared declaration ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("info", "shared"),
    [
        ({"schema_guard": {"shared": True}}, True),
        ({"schema_guard": {"shared": False}}, False),
        ({"schema_guard": {"shared": "yes"}}, False),
        ({"schema_guard": True}, False),
        ({"other": {"shared": True}}, False),
        ({}, False),
        (None, False),
    ],
)
def test_declared_shared(info: dict[str, object] | None, shared: bool) -> None:
    assert declared_shared(info) is shared


def test_the_runtime_guard_reads_the_same_declaration() -> None:
    from schema_guard.runtime.scoping import table_fact

    metadata = sa.MetaData()
    table = sa.Table("subjects", metadata, sa.Column("id", sa.Uuid(), primary_key=True),
                     info={"schema_guard": {"shared": True}})
    assert table_fact(table).declared_shared


# 6. absolute paths from the start ------------------------------------------------------------------------------


def test_revisions_and_env_py_are_located_with_absolute_paths(tmp_path: Path) -> None:
    root = reference_copy(tmp_path)
    project = load_project(load_config(cwd=root))
    first = project.revisions[0]
    assert first.relpath == "migrations/versions/0001_students_curriculum.py"
    assert first.location(3, 1).path == str((root / first.relpath).resolve())
    assert project.env_location(7).path == str((root / "migrations" / "env.py").resolve())


def test_a_missing_alembic_ini_is_located_with_an_absolute_path(tmp_path: Path, server_url: str) -> None:
    root = reference_copy(tmp_path)
    (root / "alembic.ini").unlink()
    code, findings = gate_json(root, server_url)
    assert code == 2
    assert [(f["code"], f["path"]) for f in findings] == [("SG011", str((root / "alembic.ini").resolve()))]
    assert str(findings[0]["message"]).startswith("alembic.ini: ")  # messages keep naming files relatively


# 8. one history of indexes and constraints ---------------------------------------------------------------------


def _revision(tmp_path: Path, name: str, body: str) -> tuple[Revision, RevisionSource]:
    path = tmp_path / f"{name}.py"
    text = "from alembic import op\nimport sqlalchemy as sa\n\n\ndef upgrade() -> None:\n" + textwrap.indent(
        textwrap.dedent(body), "    ") + "\n\ndef downgrade() -> None:\n    pass\n"
    path.write_text(text, encoding="utf-8")
    return Revision(name, path, path.name, (), script=None), RevisionSource(path)  # type: ignore[arg-type]


def test_one_history_serves_the_rules_and_provenance(tmp_path: Path) -> None:
    first = _revision(tmp_path, "0001", '''\
        op.create_table(
            "exams",
            sa.Column("id", sa.Uuid(), primary_key=True),
            sa.Column("student_id", sa.Uuid(), sa.ForeignKey("students.id"), index=True),
            sa.Column("code", sa.Text(), unique=True),
            sa.UniqueConstraint("student_id", "id", name=op.f("uq_exams_student_id_id")),
        )
    ''')
    second = _revision(tmp_path, "0002", '''\
        op.create_index(op.f("ix_exams_code"), "exams", ["code"])
        op.drop_index("ix_exams_student_id", table_name="exams")
    ''')
    history = SchemaHistory()
    for revision, source in (first, second):
        history.record(revision, source)
    assert history.indexes == {"ix_exams_code": ("exams", ("code",))}
    assert history.constraints == {
        "exams_student_id_fkey": ("exams", ("student_id",)),
        "exams_code_key": ("exams", ("code",)),
        "uq_exams_student_id_id": ("exams", ("student_id", "id")),
    }
    site = history.site("ix_exams_student_id")
    assert site is not None and site[0].id == "0001", "a dropped index is still known to have been made in 0001"

    provenance = Provenance([first, second])
    assert provenance.index("exams", "ix_exams_code") == second[0].location(6, 5)
    assert provenance.index("exams", "ix_exams_student_id") == first[0].location(9, 9)
    assert provenance.constraint("exams", "exams_code_key") == first[0].location(10, 9)
    assert provenance.constraint("exams", "uq_exams_student_id_id") == first[0].location(11, 9)
    assert provenance.constraint("exams", "exams_pkey") == first[0].location(6, 5)
    assert provenance.index("exams", "no_such_index") == provenance.table("exams") == first[0].location(6, 5)


def test_per_file_ignores_apply_to_the_gates_findings(tmp_path: Path, server_url: str) -> None:
    from tests.gate.support import materialise

    root = materialise("index_not_concurrent", tmp_path)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8")
        + '\n[tool.schema_guard.per-file-ignores]\n"migrations/versions/0003_*.py" = ["SG65"]\n',
        encoding="utf-8",
    )
    run = cli(root, "migrations", "--database-url", server_url)
    assert run.returncode == 0, run.stdout + run.stderr
