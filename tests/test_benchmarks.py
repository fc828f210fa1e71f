"""The benchmark scripts the README quotes run, and print every row with its ratio (tiny sizes here; the README's
figures come from the default sizes)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import bench_migrations  # noqa: E402
import bench_scale  # noqa: E402


RATIO = re.compile(r"= +\d+\.\d\dx  \(target <= [\d.]+x\)")


def test_bench_scale_prints_every_row_with_its_ratio(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_scale.main(["--runs", "1", "--small", "4", "--large", "8", "--anchor-files", "6",
                             "--work", str(tmp_path)]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert [row.split()[0] for row in rows] == ["unknown", "growth", "--fix", "cache", "pre-commit", "growth-app",
                                                "pre-commit-app"]
    assert all(RATIO.search(row) for row in rows), rows


def test_bench_scale_measures_one_row_on_its_own(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_scale.main(["--runs", "1", "--small", "3", "--large", "6", "--only", "pre-commit",
                             "--work", str(tmp_path)]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert len(rows) == 1 and rows[0].startswith("pre-commit") and RATIO.search(rows[0]), rows
    assert re.search(r"CPU \d+\.\d\d s / \d+\.\d\d s = \d+\.\d\dx$", rows[0]), rows


def test_bench_migrations_prints_the_ratio_per_chain_length(tmp_path: Path, server_url: str,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_migrations.main(["--revisions", "2,3", "--runs", "1", "--skip-pytest-alembic",
                                  "--database-url", server_url, "--work", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.count("chain of ") == 2
    assert len(re.findall(r"schema-guard migrations +\d+\.\d\d s +\d+\.\d\dx plain alembic  \(target <= 1.15x",
                          out)) == 2
    assert len(re.findall(r"; CPU \d+\.\d\d s \d+\.\d\dx", out)) == 4


def test_bench_migrations_runs_the_minimal_env_py(tmp_path: Path, server_url: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """The minimal env.py (a connection from the "engine" it is handed, committed and closed by itself) is the
    pytest-alembic comparison's; the gate once failed it at its last revision."""
    assert bench_migrations.main(["--revisions", "2", "--runs", "1", "--skip-pytest-alembic", "--env", "minimal",
                                  "--database-url", server_url, "--work", str(tmp_path)]) == 0
    assert "schema-guard migrations" in capsys.readouterr().out


def test_corpus_manifest_names_only_files_that_exist_here(tmp_path: Path) -> None:
    """The committed corpus manifest is what a new machine rebuilds from: every project has a unique name, a
    commit, and every requirement list it names under ``{manifest}`` is committed beside it."""
    import corpus

    projects = corpus.load_manifest(corpus.DEFAULT_MANIFEST, tmp_path)
    names = [project.name for project in projects]
    assert len(names) == len(set(names)) == 17
    for project in projects:
        assert project.checkout == tmp_path.resolve() / project.name
        assert len(project.raw["commit"]) == 40, project.name
        args = [project.expand(arg) for arg in project.raw.get("requirements", []) + project.raw.get("pins", [])]
        for arg in args:
            if arg.startswith(str(corpus.DEFAULT_MANIFEST.parent)):
                assert Path(arg).is_file(), arg


def test_corpus_config_carries_the_ignore_list_and_absolute_paths(tmp_path: Path) -> None:
    """A project without tenancy (prefect) runs with the tenant rules ignored instead of stopping on the default
    anchor; ``{corpus}`` in ``alembic_ini`` names the rendered ini."""
    import corpus

    project = corpus.Project("demo", tmp_path, tmp_path, {
        "name": "demo", "src": ["app"], "ignore": ["SG2", "SG70"], "alembic_ini": "{corpus}/inis/demo.ini"})
    text = corpus.config_text(project, with_models=False)
    assert 'ignore = ["SG2", "SG70"]' in text
    assert f'src = ["{tmp_path / "demo" / "app"}"]' in text
    assert f'alembic-config = "{tmp_path / "inis" / "demo.ini"}"' in text


def test_corpus_extract_lays_out_the_commit_without_the_blobs_a_snapshot_lacks(tmp_path: Path) -> None:
    """Snapshots lack large files; ``--extract`` still lays out everything else at the manifest's commit."""
    import subprocess

    import corpus

    work = tmp_path / "work"
    work.mkdir()
    (work / "models.py").write_text("x = 1\n")
    (work / "big.bin").write_text("large\n")
    run = {"cwd": work, "check": True, "capture_output": True, "text": True}
    subprocess.run(["git", "init", "-q"], **run)
    subprocess.run(["git", "add", "."], **run)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "c"], **run)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], **run).stdout.strip()
    blob = subprocess.run(["git", "rev-parse", "HEAD:big.bin"], **run).stdout.strip()
    mirror = tmp_path / "mirrors" / "owner+demo" / "repo"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(mirror)], **run)
    (mirror / "objects" / blob[:2] / blob[2:]).unlink()
    project = corpus.Project("demo", tmp_path / "corpus", tmp_path, {
        "name": "demo", "repo": "https://github.com/owner/demo", "commit": commit})
    assert "without 1 file(s)" in corpus.extract_project(project, tmp_path / "mirrors")
    assert (tmp_path / "corpus" / "demo" / "models.py").read_text() == "x = 1\n"
    assert not (tmp_path / "corpus" / "demo" / "big.bin").exists()
    assert "left as it is" in corpus.extract_project(project, tmp_path / "mirrors")


def test_corpus_run_of_a_missing_binary_is_a_crash_line_not_a_traceback(tmp_path: Path) -> None:
    """A project whose ``--setup`` did not finish has no ``schema-guard`` in its venv: the run records one crash
    line for that project and goes on with the others."""
    import corpus

    code, out, err, _ = corpus.run([str(tmp_path / "venv" / "bin" / "schema-guard"), "check"], tmp_path, {})
    assert code == 127 and out == "" and "not found" in err
    assert corpus.detect_crash(out, err, code) == err
