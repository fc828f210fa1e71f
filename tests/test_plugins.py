"""A team's own rules through the public API: found from the ``plugins`` key and from an installed entry point
(real ``importlib.metadata`` discovery), reported once per table with both readers agreeing, listed, explained and
carried in SARIF; codes validated; options per rule; selected by default; and every command docs/plugins.md shows,
run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from schema_guard.api import FactRule
from schema_guard.config import ConfigError, parse_config
from schema_guard.rules.registry import catalogue, kept_active, load_plugins
from schema_guard.selection import Selection
from tests.gate.support import materialise
from tests.helpers import REPO_ROOT

PLUGINS_MD = REPO_ROOT / "docs" / "plugins.md"
EXAMPLE_PACKAGE = REPO_ROOT / "examples" / "team_rules"

ISSUE_EXAMPLE = '''\
# team_rules.py, with plugins = ["team_rules"] in [tool.schema_guard]
from schema_guard.api import FactRule, Invalid, Valid, register

@register
class RequireCreatedAt(FactRule):
    code = "TEAM001"
    name = "require-created-at"
    summary = "Every table has a created_at column"
    rationale = "Audits need to know when a row was made."
    how_to_fix = "Add `created_at: datetime = Field(default_factory=now, nullable=False)`."
    readers = ("source", "metadata", "database")
    examples = ()

    def check(self, facts, context):
        for table in facts.tables:
            if table.column("created_at") is None:
                yield self.finding(f"table '{table.name}' has no created_at", table.location,
                                   reader=facts.reader, table=table.name)
'''

MODELS = '''\
import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel


class Student(SQLModel, table=True):
    __tablename__ = "students"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    created_at: datetime


class Invoice(SQLModel, table=True):
    __tablename__ = "invoices"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)


class Payment(SQLModel, table=True):
    __tablename__ = "payments"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id", index=True)
'''
"""Two tables without ``created_at`` (lines 13 and 19), one with it; nothing else for the core rules to report."""


def project(root: Path, settings: str, *, plugin: str | None = ISSUE_EXAMPLE) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        f'[tool.schema_guard]\nsrc = ["models.py"]\nmodels = ["models"]\n{settings}', encoding="utf-8"
    )
    (root / "models.py").write_text(MODELS, encoding="utf-8")
    if plugin is not None:
        (root / "team_rules.py").write_text(plugin, encoding="utf-8")
    return root


def run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key != "GITHUB_ACTIONS"} | (env or {})
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env=environment, check=False)


def team_findings(cwd: Path, env: dict[str, str] | None = None) -> list[tuple[str, int, str]]:
    done = run(cwd, "-m", "schema_guard", "check", "--format", "json", env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    return sorted((f["table"], f["line"], f["message"]) for f in json.loads(done.stdout) if f["code"] == "TEAM001")


EXPECTED = [("invoices", 13, "table 'invoices' has no created_at"),
            ("payments", 19, "table 'payments' has no created_at")]


def test_the_issue_example_works_from_the_plugins_key(tmp_path: Path) -> None:
    root = project(tmp_path / "app", 'plugins = ["team_rules"]\n')
    assert team_findings(root) == EXPECTED, "once per table, the source and metadata readers agreeing"
    listed = run(root, "-m", "schema_guard", "rules")
    assert re.search(r"^TEAM001\s+require-created-at\s+source,metadata,database\s+on\s", listed.stdout, re.M)
    explained = run(root, "-m", "schema_guard", "explain", "team001")
    assert explained.returncode == 0 and explained.stdout.startswith("# TEAM001 require-created-at\n")
    assert "Audits need to know when a row was made." in explained.stdout


def test_sarif_carries_the_plugin_rule_and_its_results(tmp_path: Path) -> None:
    root = project(tmp_path / "app", 'plugins = ["team_rules"]\n')
    done = run(root, "-m", "schema_guard", "check", "--format", "sarif")
    sarif = json.loads(done.stdout)["runs"][0]
    rule = next(r for r in sarif["tool"]["driver"]["rules"] if r["id"] == "TEAM001")
    assert rule["name"] == "require-created-at" and "helpUri" not in rule and "plugin" in rule["properties"]["tags"]
    results = [r for r in sarif["results"] if r["ruleId"] == "TEAM001"]
    assert sorted(r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results) == [13, 19]


def test_plugin_rules_are_ignored_suppressed_and_configured_like_any_other(tmp_path: Path) -> None:
    root = project(tmp_path / "ignored", 'plugins = ["team_rules"]\nignore = ["TEAM001"]\n')
    assert run(root, "-m", "schema_guard", "check").returncode == 0
    root = project(tmp_path / "own-select", 'plugins = ["team_rules"]\nselect = ["SG1"]\n')
    assert run(root, "-m", "schema_guard", "check").returncode == 0, "a select of one's own names the plugins"
    root = project(tmp_path / "suppressed", 'plugins = ["team_rules"]\n')
    models = root / "models.py"
    models.write_text(MODELS.replace('class Invoice(SQLModel, table=True):',
                                     'class Invoice(SQLModel, table=True):  # schema-guard: ignore[TEAM001]'),
                      encoding="utf-8")
    assert [table for table, _, _ in team_findings(root)] == ["payments"]


def test_rule_options_reach_the_rule_as_context_options(tmp_path: Path) -> None:
    plugin = (EXAMPLE_PACKAGE / "team_rules.py").read_text(encoding="utf-8")
    root = project(tmp_path / "app", 'plugins = ["team_rules"]\n[tool.schema_guard.rules.TEAM001]\n'
                   'column = "student_id"\n', plugin=plugin)
    assert team_findings(root) == [("students", 7, "table 'students' has no student_id")]


@pytest.mark.parametrize(
    ("plugin", "settings", "error"),
    [
        (ISSUE_EXAMPLE.replace('"TEAM001"', '"SG900"'), 'plugins = ["team_rules"]\n',
         "plugins: 'team_rules': rule RequireCreatedAt has code SG900: the prefix SG is reserved"),
        (ISSUE_EXAMPLE.replace('"TEAM001"', '"team-1"'), 'plugins = ["team_rules"]\n',
         "plugins: 'team_rules': rule RequireCreatedAt has code 'team-1': a code is upper-case letters followed by "
         "digits"),
        (ISSUE_EXAMPLE, 'plugins = ["no_such_rules"]\n',
         "plugins: 'no_such_rules': cannot import it: ModuleNotFoundError: No module named 'no_such_rules'"),
        (ISSUE_EXAMPLE, 'plugins = ["team_rules"]\n[tool.schema_guard.rules.TEAM002]\ncolumn = "x"\n',
         "[tool.schema_guard.rules.TEAM002]: no rule TEAM002"),
        (ISSUE_EXAMPLE + ISSUE_EXAMPLE.replace("class RequireCreatedAt", "class AlsoCreatedAt").split("\n", 1)[1],
         'plugins = ["team_rules"]\n', "rule code TEAM001 of AlsoCreatedAt is already used by "
         "team_rules.RequireCreatedAt"),
    ],
    ids=["sg-reserved", "bad-pattern", "not-importable", "options-for-no-rule", "duplicate-code"],
)
def test_broken_plugins_are_one_line_errors(tmp_path: Path, plugin: str, settings: str, error: str) -> None:
    root = project(tmp_path / "app", settings, plugin=plugin)
    for command in (["check"], ["rules"]):
        done = run(root, "-m", "schema_guard", *command)
        assert done.returncode == 2 and done.stdout == "", done.stderr
        assert error in done.stderr and done.stderr.count("\n") == 1, done.stderr


def test_plugin_codes_are_selected_by_default_only() -> None:
    assert Selection().enabled("TEAM001") and Selection(select=("SG",)).enabled("TEAM001")
    assert not Selection(select=("SG1",)).enabled("TEAM001")
    assert Selection(select=("SG1", "TEAM")).enabled("TEAM001")
    assert not Selection(ignore=("TEAM",)).enabled("TEAM001")


def test_loading_plugins_leaves_the_core_registry_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sg_registry_probe.py").write_text(ISSUE_EXAMPLE.replace("TEAM001", "PROBE1"), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    with kept_active():
        registry = load_plugins(parse_config({"plugins": ["sg_registry_probe"]}, root=tmp_path))
        assert "PROBE1" in catalogue() and issubclass(registry.rules["PROBE1"], FactRule)
        with pytest.raises(TypeError):
            registry.rules["PROBE2"] = registry.rules["PROBE1"]  # type: ignore[index]
    assert "PROBE1" not in catalogue()
    with kept_active(), pytest.raises(ConfigError, match="cannot import it"):
        load_plugins(parse_config({"plugins": ["sg_no_such_probe"]}, root=tmp_path))


# docs/plugins.md, command by command, with the example package installed -----------------------------------------


def doc_commands() -> list[str]:
    return re.findall(r"^\$ (.+)$", PLUGINS_MD.read_text(encoding="utf-8"), re.M)


def test_every_command_in_docs_plugins_md_runs(tmp_path: Path) -> None:
    """The example package installed for real (pip builds it and writes its entry point into a site folder on
    ``PYTHONPATH``, instead of this test's own environment), then each command of the page in a project without any
    ``plugins`` key: the rule arrives through ``importlib.metadata`` alone."""
    site = tmp_path / "site"
    root = project(tmp_path / "app", "", plugin=None)
    env = {"PYTHONPATH": str(site)}
    seen = []
    for command in doc_commands():
        words = command.split()
        if words[:4] == ["python", "-m", "pip", "install"]:
            done = run(REPO_ROOT, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
                       *[str(REPO_ROOT / w) if w.startswith("./") else w for w in words[4:]])
            assert done.returncode == 0, done.stderr
            assert list(site.glob("team_rules-*.dist-info/entry_points.txt")), "pip wrote the entry point"
        elif words[0] == "schema-guard":
            done = run(root, "-m", "schema_guard", *words[1:], env=env)
            assert done.returncode in {0, 1}, done.stderr
            assert "TEAM001" in (done.stdout + (root / words[-1]).read_text(encoding="utf-8")
                                 if "--output" in words else done.stdout)
        elif words[:3] == ["python", "-m", "pytest"]:
            done = run(REPO_ROOT, "-m", "pytest", "-q", "-p", "no:cacheprovider", *words[3:])
            assert done.returncode == 0 and re.search(r"^14 passed", done.stdout, re.M), done.stdout + done.stderr
        else:
            raise AssertionError(f"docs/plugins.md shows a command no test runs: {command}")
        seen.append(words[0] if words[0] == "schema-guard" else " ".join(words[:4]))
    assert seen.count("schema-guard") == 4 and "python -m pip install" in seen and "python -m pytest" in seen[-1]
    assert team_findings(root, env=env) == EXPECTED, "the installed entry point, no plugins key"


def test_the_rule_in_docs_plugins_md_is_the_tested_one() -> None:
    shown = re.search(r"```python\n(# team_rules\.py\n.*?)```", PLUGINS_MD.read_text(encoding="utf-8"), re.S)
    assert shown is not None
    assert textwrap.dedent(shown.group(1)).split("\n", 1)[1] == ISSUE_EXAMPLE.split("\n", 1)[1]


def test_the_schema_view_rule_in_docs_plugins_md_is_the_example_packages() -> None:
    shown = re.search(r"```python\n(@register\nclass SoftDeleteTenantRows.*?)```", PLUGINS_MD.read_text(encoding="utf-8"),
                      re.S)
    assert shown is not None
    head, check = shown.group(1).split("    ...\n")
    source = (EXAMPLE_PACKAGE / "team_rules.py").read_text(encoding="utf-8")
    assert head in source and check.replace("def check(self, facts, context):",
                                            "def check(self, facts: SchemaFacts, context: RuleContext) -> "
                                            "Iterator[Finding]:") in source


BADLY_NAMED_INDEX = '''\
"""An index named after nothing it covers.

Revision ID: 0005_lesson_index
Revises: 0004_lesson_notes
"""

from alembic import op

revision = "0005_lesson_index"
down_revision = "0004_lesson_notes"


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index("lessons_by_subject", "lessons", ["subject_id"], postgresql_concurrently=True)


def downgrade() -> None:
    op.drop_index("lessons_by_subject", table_name="lessons")
'''


def test_a_plugins_revision_rule_is_run_by_the_migration_gate(tmp_path: Path, server_url: str) -> None:
    root = materialise("good", tmp_path)
    (root / "team_rules.py").write_text((EXAMPLE_PACKAGE / "team_rules.py").read_text(encoding="utf-8"),
                                        encoding="utf-8")
    settings = root / "pyproject.toml"
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        "[tool.schema_guard]\n", '[tool.schema_guard]\nplugins = ["team_rules"]\n', 1), encoding="utf-8")
    (root / "migrations" / "versions" / "0005_lesson_index.py").write_text(BADLY_NAMED_INDEX, encoding="utf-8")
    done = run(root, "-m", "schema_guard", "migrations", "--database-url", server_url, "--format", "json")
    assert done.returncode == 1, done.stdout + done.stderr
    found = [(f["code"], Path(f["path"]).name, f["line"], f["message"]) for f in json.loads(done.stdout)
             if f["code"].startswith("TEAM")]
    assert found == [("TEAM003", "0005_lesson_index.py", 15,
                      "index lessons_by_subject on lessons is not named ix_lessons_subject_id")]
    with kept_active():
        load_plugins(parse_config({"plugins": ["team_rules"]}, root=root))
        from schema_guard.gate.checks.catalogue import check_of, reported_by_the_gate

        assert check_of("TEAM003").name == "revision-safety" and reported_by_the_gate("TEAM003")
        assert check_of("TEAM001").name == "upgrade" and not reported_by_the_gate("TEAM001")


def test_the_revision_rule_in_docs_plugins_md_is_the_example_packages() -> None:
    shown = re.search(r"```python\n(@register\nclass IndexNamedAfterColumns.*?)```",
                      PLUGINS_MD.read_text(encoding="utf-8"), re.S)
    assert shown is not None
    head, rest = shown.group(1).split("    ...\n")
    declared, check = rest.split("\n\n")
    source = (EXAMPLE_PACKAGE / "team_rules.py").read_text(encoding="utf-8")
    assert head in source and declared in source and check.replace(
        "def check_operation(self, operation, context):",
        "def check_operation(self, operation: Operation, context: RevisionContext) -> Iterator[Violation]:") in source
