"""The README and docs/ci.md work as written: every command they show parses, the install instructions name what
exists, one repository URL is used everywhere, the walk-through reports what it says, and the tenant guard example
runs when pasted into a project."""

from __future__ import annotations

import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from packaging.requirements import Requirement
from sqlalchemy.pool import NullPool

from schema_guard import __version__
from schema_guard.cli import build_parser
from schema_guard.reporters.sarif import rules_doc_url
from schema_guard.rules.registry import catalogue, fact_rules
from tests.conftest import TEST_DATABASE_URL_ENV
from tests.helpers import REPO_ROOT, run_cli

README = REPO_ROOT / "README.md"
CI_RECIPE = REPO_ROOT / "docs" / "ci.md"
DOCS = (README, CI_RECIPE)
REPOSITORY = "https://github.com/schema-guard/schema-guard"


def blocks(path: Path, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.DOTALL)


def file_block(path: Path, name: str) -> str:
    """The fenced block whose first line is the comment ``# NAME`` (how the docs title a file)."""
    found = [b for lang in ("python", "toml") for b in blocks(path, lang) if b.split("\n", 1)[0].startswith(f"# {name}")]
    assert len(found) == 1, f"{path.name} shows {name} {len(found)} times"
    return found[0]


def test_no_doc_claims_the_package_is_on_pypi() -> None:
    for path in DOCS:
        for block in blocks(path, "bash") + blocks(path, "yaml"):
            assert not re.search(r"pip install (-U )?schema-guard(\s|$)", block), f"{path.name}: {block}"


def test_the_git_url_install_is_a_valid_requirement_for_this_version() -> None:
    lines = [line for path in DOCS for line in path.read_text(encoding="utf-8").splitlines() if "git+" in line]
    assert lines
    for line in lines:
        (quoted,) = re.findall(r'"(schema-guard @ [^"]+)"', line)
        requirement = Requirement(quoted)
        assert requirement.name == "schema-guard"
        assert requirement.url == f"git+{REPOSITORY}@v{__version__}"


def test_one_repository_url_everywhere() -> None:
    urls = {url for path in DOCS for url in re.findall(r"https://github\.com/[\w.-]+/[\w.-]+", path.read_text(encoding="utf-8"))
            if "schema-guard" in url}
    assert urls == {REPOSITORY}
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["urls"]["Repository"] == REPOSITORY
    assert rules_doc_url() == f"{REPOSITORY}/blob/main/docs/rules.md", "SARIF helpUri"


def test_pre_commit_rev_is_a_tag_or_commit_of_that_repository() -> None:
    configs = [yaml.safe_load(b) for path in DOCS for b in blocks(path, "yaml") if "repos:" in b]
    remote = [repo for config in configs for repo in config["repos"] if repo["repo"] != "local"]
    assert remote
    for repo in remote:
        assert repo["repo"] == REPOSITORY
        assert re.fullmatch(r"v\d+\.\d+\.\d+|[0-9a-f]{40}", str(repo["rev"])), repo["rev"]
        assert repo["rev"] == f"v{__version__}", "the docs pin the version they describe"


def commands(text: str) -> Iterator[list[str]]:
    for line in text.replace("\\\n", " ").splitlines():
        words = shlex.split(line.split("  #", 1)[0].split(" # ", 1)[0], comments=True)
        while words and words[0] != "schema-guard":
            words = words[1:]
        if words and not any("$" in w for w in words):
            argv = []
            for word in words[1:]:
                if word in {"&&", "||", ";", "|"}:
                    break
                argv.append(word)
            yield argv


def test_every_schema_guard_command_in_the_readme_is_valid() -> None:
    shown = [argv for block in blocks(README, "bash") for argv in commands(block)]
    assert {"init", "check", "baseline"} <= {argv[0] for argv in shown if argv}
    for argv in shown:
        try:
            build_parser().parse_args(argv)
        except SystemExit:
            pytest.fail(f"README: `schema-guard {' '.join(argv)}` is not a valid command line")


def test_sg606_says_exactly_which_rules_it_runs() -> None:
    runs = {rule.code for rule in fact_rules() if "database" in rule.readers}
    rule = catalogue()["SG606"]
    assert set(re.findall(r"SG\d{3}", rule.summary)) == runs
    assert set(re.findall(r"SG\d{3}", rule.rationale)) - {"SG606"} == runs
    opt_in = {code for code in runs if catalogue()[code].opt_in}
    assert all(f"{code}" in rule.summary.split("when selected")[0].rsplit("(", 1)[-1] for code in opt_in)


def walkthrough(root: Path) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("", encoding="utf-8")
    (root / "app" / "models.py").write_text(file_block(README, "app/models.py"), encoding="utf-8")
    (root / "pyproject.toml").write_text(file_block(README, "pyproject.toml"), encoding="utf-8")
    return root


def test_the_walkthrough_reports_what_the_readme_says(tmp_path: Path) -> None:
    project = walkthrough(tmp_path)
    run = run_cli(project, "check", "--format", "json")
    assert run.exit_code == 1
    said = {(code, number) for number, line in enumerate(file_block(README, "app/models.py").splitlines(), start=1)
            for code in re.findall(r"# (SG\d{3})", line)}
    assert run.codes_at() == said and {code for code, _ in said} == {"SG101", "SG203", "SG202", "SG301"}


@pytest.fixture
def scratch_database() -> Iterator[str]:
    server = sa.make_url(os.environ[TEST_DATABASE_URL_ENV])
    name = f"sg_readme_{secrets.token_hex(4)}"
    admin = sa.create_engine(server, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_tenant_guard_example_runs_when_pasted(tmp_path: Path, scratch_database: str) -> None:
    project = walkthrough(tmp_path)
    (project / "conftest.py").write_text(file_block(README, "conftest.py"), encoding="utf-8")
    (project / "tests").mkdir()
    (project / "tests" / "test_exams.py").write_text(file_block(README, "tests/test_exams.py"), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["TEST_DATABASE_URL"] = scratch_database
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "tests"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 failed" in done.stdout and "SG701" in done.stdout
    assert "tests/test_exams.py:10:1: SG701 SELECT reads tenant-scoped table 'exams'" in done.stdout, "the finding points at the unfiltered query"


def test_the_ci_recipe_check_step_works_for_an_application_that_is_not_installable(tmp_path: Path) -> None:
    project = tmp_path / "helpdesk"
    shutil.copytree(REPO_ROOT / "tests" / "data" / "adoption_project", project)
    settings = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["schema_guard"]
    (project / "pyproject.toml").write_text(
        "[tool.schema_guard]\n" + "".join(f"{k} = {json_value(v)}\n" for k, v in settings.items() if k != "migrations"),
        encoding="utf-8",
    )
    (workflow,) = [yaml.safe_load(b) for b in blocks(CI_RECIPE, "yaml") if "jobs:" in b]
    steps = next(iter(workflow["jobs"].values()))["steps"]
    install = next(s["run"] for s in steps if "pip install" in s.get("run", ""))
    assert "install -e ." not in install and "install ." not in install, "the application itself is not installed"
    check = next(s["run"] for s in steps if "schema-guard check" in s.get("run", ""))
    env = {k: v for k, v in os.environ.items() if k != "SCHEMA_GUARD_DATABASE_URL"}
    env.update(GITHUB_ACTIONS="true", PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", check], cwd=project, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "SG002" not in done.stdout, "the models import from the checkout"
    assert any(line.startswith("::error ") for line in done.stdout.splitlines())


def json_value(value: object) -> str:
    import json

    return json.dumps(value)
