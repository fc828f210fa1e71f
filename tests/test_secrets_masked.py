"""No secret of a database URL is ever printed: not in the userinfo, not in the query string, not by the CLI, the
gate's findings or the pytest plugin; and a URL that cannot be right (a bad port) is SG010, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from schema_guard.config import DATABASE_URL_ENV, load_config
from schema_guard.gate import run_gate
from schema_guard.url_secrets import mask_secrets, mask_url
from tests.gate.support import REPO_ROOT, materialise

pytest_plugins = ["pytester"]
SECRETS = ("hunter2", "sslpw9", "tok3n", "s3cr3t", "apw77")
URL_WITH_EVERY_SECRET = ("postgresql://admin:hunter2@127.0.0.1:1/postgres?sslpassword=sslpw9&api_token=tok3n"
                         "&client_secret=s3cr3t&password=apw77&sslmode=disable")


@pytest.mark.parametrize(("text", "shown"), [
    ("postgresql://admin:hunter2@db/app", "postgresql://admin:***@db/app"),
    ("postgresql://admin:hun@ter2@db/app", "postgresql://admin:***@db/app"),
    ("postgresql://db/app?password=hunter2", "postgresql://db/app?password=***"),
    ("postgresql://db/app?sslmode=require&sslpassword=hunter2", "postgresql://db/app?sslmode=require&sslpassword=***"),
    ("postgresql://db/app?api_token=hunter2&x=1", "postgresql://db/app?api_token=***&x=1"),
    ("postgresql://db/app?Client_Secret=hunter2", "postgresql://db/app?Client_Secret=***"),
    ("host=db password=hunter2 user=app", "host=db password=*** user=app"),
    ("password='hunter 2' user=app", "password=*** user=app"),
], ids=["userinfo", "at-sign-in-password", "password-param", "sslpassword", "token", "secret-any-case",
        "libpq-keywords", "quoted-keyword"])
def test_each_secret_form_is_masked(text: str, shown: str) -> None:
    assert mask_secrets(text) == shown


def test_a_sqlalchemy_url_is_masked_in_userinfo_and_query() -> None:
    from sqlalchemy.engine import make_url

    shown = mask_url(make_url(URL_WITH_EVERY_SECRET))
    assert not any(secret in shown for secret in SECRETS) and "sslmode=disable" in shown and "admin" in shown


def test_messages_about_a_database_never_mask_what_is_not_a_secret() -> None:
    text = 'FATAL: password authentication failed for user "app"'
    assert mask_secrets(text) == text


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop(DATABASE_URL_ENV, None)
    return subprocess.run([sys.executable, "-m", "schema_guard", *args], cwd=root, capture_output=True, text=True,
                          timeout=120, check=False, env=env)


def test_the_cli_prints_no_secret_of_an_unreachable_url(tmp_path: Path) -> None:
    run = _cli(materialise("good", tmp_path), "migrations", "--database-url", URL_WITH_EVERY_SECRET)
    assert run.returncode == 2 and "SG010" in run.stdout, run
    assert not any(secret in run.stdout + run.stderr for secret in SECRETS), run.stdout + run.stderr


@pytest.mark.parametrize("port", ["abc", "99999", "0"])
def test_a_bad_port_is_sg010_exit_2_with_the_password_masked(port: str, tmp_path: Path) -> None:
    run = _cli(materialise("good", tmp_path), "migrations", "--database-url",
               f"postgresql://admin:hunter2@127.0.0.1:{port}/postgres")
    assert run.returncode == 2, run
    assert "SG010" in run.stdout and "Traceback" not in run.stderr and "hunter2" not in run.stdout + run.stderr
    assert "admin:***@127.0.0.1" in run.stdout


def test_gate_findings_mask_the_url(tmp_path: Path, isolated_models: None) -> None:
    findings = run_gate(load_config(cwd=materialise("good", tmp_path)), database_url=URL_WITH_EVERY_SECRET)
    assert [f.code for f in findings] == ["SG010"]
    assert not any(secret in findings[0].message for secret in SECRETS), findings[0].message


def test_the_pytest_plugin_prints_no_secret(pytester: pytest.Pytester, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    shutil.copytree(materialise("good", tmp_path), pytester.path, dirs_exist_ok=True)
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    result = pytester.runpytest_subprocess("--schema-guard-migrations",
                                           f"--schema-guard-database-url={URL_WITH_EVERY_SECRET}", "-v")
    output = "\n".join(result.outlines + result.errlines)
    assert "SG010" in output and result.ret == 1
    assert not any(secret in output for secret in SECRETS), output
