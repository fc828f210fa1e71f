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
    assert [row.split()[0] for row in rows] == ["unknown", "growth", "--fix", "cache", "pre-commit"]
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
