"""Packaging: the licence file matches the metadata, the metadata says which Pythons CI tests and where the project
lives, and the sdist carries the package and its docs but no tests, test databases or caches."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

from tests.helpers import REPO_ROOT

PROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
REPOSITORY = "https://github.com/schema-guard/schema-guard"
"""The one placeholder repository URL of the docs, the metadata and the SARIF help links."""


def test_license_is_an_spdx_string_with_its_file() -> None:
    assert PROJECT["license"] == "MIT" and PROJECT["license-files"] == ["LICENSE"]
    assert (REPO_ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")
    assert not any(c.startswith("License ::") for c in PROJECT["classifiers"]), "PEP 639: the SPDX string says it"


def test_requires_python_and_classifiers_match_the_python_ci_runs() -> None:
    minimum = PROJECT["requires-python"].removeprefix(">=")
    tested = f"{sys.version_info.major}.{sys.version_info.minor}"
    versions = [c.rsplit(" :: ", 1)[1] for c in PROJECT["classifiers"] if c.startswith("Programming Language :: Python :: 3.")]
    assert versions == [minimum] == [tested], ".ci/run tests this interpreter; claim no other"


def test_project_urls_use_the_one_repository_url() -> None:
    assert PROJECT["urls"]["Repository"] == REPOSITORY
    assert all(url.startswith(REPOSITORY) for url in PROJECT["urls"].values())


def test_sdist_has_the_package_docs_and_licence_but_no_tests_databases_or_caches(tmp_path: Path) -> None:
    source = tmp_path / "checkout"
    shutil.copytree(REPO_ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "*.egg-info", ".work"))
    planted = [
        source / "schema_guard" / "__pycache__" / "cli.cpython-311.pyc",
        source / "schema_guard" / "scratch.db",
        source / "docs" / "local.sqlite3",
        source / ".pytest_cache" / "v" / "cache" / "lastfailed",
        source / "benchmarks" / ".work" / "corpus" / "models.py",
    ]
    for path in planted:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", encoding="utf-8")
    out = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-c", f"from setuptools import build_meta; build_meta.build_sdist({str(out)!r})"],
        cwd=source, check=True, capture_output=True, timeout=300,
    )
    (archive,) = out.glob("schema_guard-*.tar.gz")
    with tarfile.open(archive) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {"LICENSE", "README.md", "pyproject.toml", "docs/ci.md", "docs/rules.md", "schema_guard/cli.py",
            "schema_guard/py.typed", "schema_guard/gate/db/server.py"} <= names
    unwanted = [n for n in names if n.startswith(("tests/", "benchmarks/", ".pytest_cache"))
                or "__pycache__" in n or n.endswith((".db", ".sqlite3", ".pyc"))]
    assert unwanted == []
