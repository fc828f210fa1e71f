"""Adoption, proven on a realistic project: a third-party-style help desk (tests/data/adoption_project/) with
several packages, clean and violating models and a non-default tenancy, is put in a git repository, adopts
schema-guard in two commands (``schema-guard baseline``, commit), and from a fresh clone — as CI sees it — fails only
on a violation added afterwards. Also checks that the CI recipe in docs/ci.md is complete enough to copy."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from schema_guard.cli import build_parser
from tests.helpers import REPO_ROOT, assert_valid_sarif, run_cli

PROJECT = Path(__file__).parent / "data" / "adoption_project"
CI_RECIPE = REPO_ROOT / "docs" / "ci.md"
BASELINE = ".schema-guard-baseline.json"

EXISTING_DEBT = {
    ("SG201", "helpdesk/audit/models.py", "audit_events"),
    ("SG101", "helpdesk/billing/models.py", "plans"),
    ("SG202", "helpdesk/billing/models.py", "invoices"),
    ("SG302", "helpdesk/legacy/reporting.py", None),
    ("SG203", "helpdesk/tickets/models.py", "comments"),
}

NEW_MODEL = '''


class Attachment(SQLModel, table=True):
    __tablename__ = "attachments"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organization_id: uuid.UUID = Field(foreign_key="organizations.id", ondelete="CASCADE")
    comment_id: uuid.UUID = Field(foreign_key="comments.id", index=True)
    filename: str = Field(max_length=255)
'''


def git(cwd: Path, *args: str) -> str:
    identity = ["-c", "user.name=Adoption Test", "-c", "user.email=adoption@example.com", "-c", "commit.gpgsign=false"]
    done = subprocess.run(["git", *identity, *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def findings(cwd: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
    run = run_cli(cwd, "check", "--format", "json", *args)
    assert run.exit_code in (0, 1), run.stderr
    return run.exit_code, json.loads(run.stdout)


def located(items: list[dict[str, Any]]) -> set[tuple[str, str, str | None]]:
    return {(str(f["code"]), str(f["path"]), f["table"]) for f in items}


@pytest.fixture
def upstream(tmp_path: Path) -> Path:
    """The help desk as a git repository with one commit, before schema-guard."""
    if shutil.which("git") is None:
        pytest.fail("git is needed for the adoption test (it is how a team adopts: baseline, commit)")
    repo = tmp_path / "helpdesk"
    shutil.copytree(PROJECT, repo, ignore=shutil.ignore_patterns("__pycache__"))
    (repo / ".gitignore").write_text("__pycache__/\n", encoding="utf-8")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Help desk before schema-guard")
    return repo


def test_the_project_has_clean_and_violating_models_across_packages(upstream: Path) -> None:
    code, before = findings(upstream)
    assert code == 1
    assert located(before) == EXISTING_DEBT, "the fixture's debt is listed in its README"
    clean_packages = {"accounts", "catalog", "api", "core"}
    assert not {f["path"] for f in before if str(f["path"]).split("/")[1] in clean_packages}
    metadata_only = run_cli(upstream, "check", "--metadata-only", "--format", "json")
    assert {(c, p, t) for c, p, t in located(metadata_only.findings()) if c != "SG302"} == {
        item for item in EXISTING_DEBT if item[0] != "SG302"
    }, "the metadata reader sees the same debt (SG302 is a source-only rule)"


def test_adopt_in_two_commands_then_ci_fails_only_on_new_findings(upstream: Path, tmp_path: Path) -> None:
    adopted = run_cli(upstream, "baseline")
    assert adopted.exit_code == 0, adopted.stderr
    assert f"Wrote {len(EXISTING_DEBT)} finding(s)" in adopted.stdout
    git(upstream, "add", BASELINE)
    git(upstream, "commit", "-q", "-m", "Adopt schema-guard with a baseline")

    ci = tmp_path / "ci-checkout"  # another path, as CI's checkout is: the baseline must not depend on it
    git(tmp_path, "clone", "-q", str(upstream), str(ci))
    clean = run_cli(ci, "check")
    assert clean.exit_code == 0, clean.stdout + clean.stderr
    assert clean.stdout.splitlines()[-1] == f"All checks passed! ({len(EXISTING_DEBT)} baselined)"

    # A pull request: unrelated edits move the baselined findings to other lines, and one new violation arrives.
    billing = ci / "helpdesk" / "billing" / "models.py"
    billing.write_text(
        billing.read_text(encoding="utf-8").replace(
            '"""Plans (shared price list) and each organization\'s invoices."""',
            '"""Plans (shared price list) and each organization\'s invoices.\n\nPrices are in EUR.\n"""\n\n'
            "import datetime",
        ),
        encoding="utf-8",
    )
    tickets = ci / "helpdesk" / "tickets" / "models.py"
    tickets.write_text(
        tickets.read_text(encoding="utf-8").replace("from typing import Optional\n", "from typing import Optional\n\n")
        + NEW_MODEL,
        encoding="utf-8",
    )

    code, after = findings(ci)
    assert code == 1
    assert located(after) == {("SG203", "helpdesk/tickets/models.py", "attachments")}
    text = run_cli(ci, "check")
    assert text.exit_code == 1
    assert text.stdout.splitlines()[-1] == f"Found 1 finding(s) ({len(EXISTING_DEBT)} baselined)."

    sarif = run_cli(ci, "check", "--format", "sarif")
    log = json.loads(sarif.stdout)
    assert_valid_sarif(log)
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["SG203"]
    assert log["runs"][0]["properties"]["baselined"] == len(EXISTING_DEBT)

    everything = run_cli(ci, "check", "--no-baseline", "--format", "json")
    assert located(everything.findings()) == EXISTING_DEBT | {("SG203", "helpdesk/tickets/models.py", "attachments")}


def test_rewriting_the_baseline_after_paying_off_debt(upstream: Path) -> None:
    assert run_cli(upstream, "baseline").exit_code == 0
    tickets = upstream / "helpdesk" / "tickets" / "models.py"
    tickets.write_text(
        tickets.read_text(encoding="utf-8").replace(
            'organization_id: uuid.UUID = Field(foreign_key="organizations.id", ondelete="CASCADE")',
            'organization_id: uuid.UUID = Field(foreign_key="organizations.id", index=True, ondelete="CASCADE")',
        ),
        encoding="utf-8",
    )
    summary = run_cli(upstream, "check").stdout.splitlines()[-1]
    assert summary == f"All checks passed! ({len(EXISTING_DEBT) - 1} baselined)"
    rewritten = run_cli(upstream, "baseline")
    assert f"Wrote {len(EXISTING_DEBT) - 1} finding(s)" in rewritten.stdout
    entries = json.loads((upstream / BASELINE).read_text(encoding="utf-8"))["findings"]
    assert "comments" not in {entry["table"] for entry in entries}


# --- docs/ci.md: the recipe a team copies ------------------------------------------------------------------------


def recipe_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", CI_RECIPE.read_text(encoding="utf-8"), flags=re.DOTALL)


def schema_guard_commands(script: str) -> list[list[str]]:
    """Every ``schema-guard …`` command in a shell script, as argv without the shell's own syntax (words with
    ``$`` are left out: they are the workflow's variables)."""
    commands = []
    for line in script.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
        for start, token in enumerate(tokens):
            if token != "schema-guard" or (start and tokens[start - 1] == "install"):
                continue
            argv = []
            for word in tokens[start + 1:]:
                if word in {"||", "&&", ";", "|", "{", "}", "(", ")"}:
                    break
                if "$" not in word:
                    argv.append(word)
            commands.append(argv)
    return commands


def workflow() -> dict[str, Any]:
    (block,) = [b for b in recipe_blocks("yaml") if "jobs:" in b]
    return yaml.safe_load(block)  # type: ignore[no-any-return]


def test_ci_recipe_workflow_runs_check_gate_and_uploads_sarif() -> None:
    flow = workflow()
    (job,) = flow["jobs"].values()
    assert job["services"]["postgres"]["image"].startswith("postgres:")
    assert "SCHEMA_GUARD_DATABASE_URL" in job["env"]
    assert flow["permissions"]["security-events"] == "write"
    steps = job["steps"]
    checkout = next(s for s in steps if str(s.get("uses", "")).startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0, "--since needs the base branch's history"
    scripts = "\n".join(s.get("run", "") for s in steps)
    commands = schema_guard_commands(scripts)
    assert any(argv[:1] == ["check"] and "sarif" in argv for argv in commands)
    gate = [argv for argv in commands if argv[:1] == ["migrations"]]
    assert gate and "base_ref" in next(s for s in steps if "migrations" in s.get("run", ""))["env"]["SINCE"]
    assert "--since" in scripts
    uploads = [s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@")]
    categories = [s["with"]["category"] for s in uploads]
    assert len(uploads) == 2 and len(set(categories)) == 2, "two analyses by one tool need their own categories"
    for upload in uploads:
        assert any(f"--output {upload['with']['sarif_file']}" in " ".join(argv) for argv in commands)


def test_ci_recipe_commands_are_valid_schema_guard_command_lines() -> None:
    scripts = [s.get("run", "") for s in next(iter(workflow()["jobs"].values()))["steps"]]
    scripts += [b for b in recipe_blocks("bash")]
    hooks = [hook for block in recipe_blocks("yaml") if "repos:" in block
             for repo in yaml.safe_load(block)["repos"] for hook in repo["hooks"]]
    scripts += [hook["entry"] for hook in hooks if "entry" in hook]
    commands = [argv for script in scripts for argv in schema_guard_commands(script)]
    assert len(commands) >= 6
    for argv in commands:
        try:
            build_parser().parse_args(argv)
        except SystemExit:
            pytest.fail(f"docs/ci.md: `schema-guard {' '.join(argv)}` is not a valid command line")


def test_ci_recipe_model_check_step_fails_with_annotations_and_writes_sarif(upstream: Path) -> None:
    """Run the recipe's own check step the way GitHub Actions runs it (bash -eo pipefail, GITHUB_ACTIONS=true)."""
    step = next(s for s in next(iter(workflow()["jobs"].values()))["steps"] if "check" in s.get("run", ""))
    env = {k: v for k, v in os.environ.items() if k != "SCHEMA_GUARD_DATABASE_URL"}
    env.update(GITHUB_ACTIONS="true", PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
    if shutil.which("schema-guard", path=env["PATH"]) is None:
        pytest.fail("the schema-guard console script is not installed next to this Python (pip install -e .)")
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=upstream,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    assert sum(line.startswith("::error ") for line in done.stdout.splitlines()) == len(EXISTING_DEBT)
    assert_valid_sarif(json.loads((upstream / "schema-guard-models.sarif").read_text(encoding="utf-8")))

    assert run_cli(upstream, "baseline").exit_code == 0
    passed = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=upstream,
                            env=env, capture_output=True, text=True, timeout=300)
    assert passed.returncode == 0 and passed.stdout == "", passed.stdout + passed.stderr


def test_ci_recipe_pre_commit_hooks_exist() -> None:
    (block,) = [b for b in recipe_blocks("yaml") if "repos:" in b]
    repos = yaml.safe_load(block)["repos"]
    remote = [hook["id"] for repo in repos if repo["repo"] != "local" for hook in repo["hooks"]]
    assert remote == ["schema-guard"], "the default hook: the source reader on staged files"
    manifest = REPO_ROOT / ".pre-commit-hooks.yaml"
    if not manifest.is_file():
        pytest.skip(".pre-commit-hooks.yaml is not written yet")
    offered = {hook["id"]: hook for hook in yaml.safe_load(manifest.read_text(encoding="utf-8"))}
    assert set(remote) <= set(offered), f"docs/ci.md uses hook ids {remote}; .pre-commit-hooks.yaml offers {offered}"
