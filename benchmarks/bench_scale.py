"""Speed at scale: every source-side row of the performance table, measured in one run, ratio next to the times.

    python benchmarks/bench_scale.py [--runs 5] [--small 500] [--large 5000]
        [--only anchor,growth,fix,cache,pre-commit,growth-app,pre-commit-app]

Whole-process wall time (median of ``--runs`` cold processes after one warm-up) of ``schema-guard check
--source-only`` on trees written by :mod:`generate_models`, with this interpreter (``python -m schema_guard`` with
the repository first on ``PYTHONPATH``):

* **unknown anchor**: 2,000 files whose tenant table is defined outside ``src`` (every tenant foreign key names an
  unknown table and asks for a "did you mean") against the same tree with the anchor — target ≤ 1.5×;
* **growth**: ``--large`` files against ``--small`` files — target ≤ 11× for 500 → 5,000;
* **--fix**: ``check --fix`` on ``--small`` files that each have two fixable findings (the tree rewritten before
  each run) against ``check`` on the same tree — target ≤ 6×;
* **cache**: the second run over an unchanged ``--large``-file tree against the first (cache folder removed before
  each first run) — target ≤ 0.35×;
* **pre-commit**: one file checked with the rest of a ``--large``-file ``src`` as context (the cache warm, as a
  hook finds it) against the same in a ``--small``-file ``src`` — target ≤ 1.3×;
* **growth-app** and **pre-commit-app**: the same two with an application module beside every model module
  (``generate_models --services``: queries the SG702 rule reads, so twice the files), the staged file being an
  application module (judged against the models of the rest of ``src``) — the same targets.

The first three rows run with ``--no-cache``: they measure the work, not the cache. Each row prints the ratio of
the wall times (what the targets are about) and, after it, the ratio of the CPU times (user + system of the
measured process): on a machine shared with other work, the CPU ratio is the steadier one.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / ".work" / "scale"
sys.path.insert(0, str(HERE))

from generate_models import generate  # noqa: E402

CHECK = [sys.executable, "-m", "schema_guard", "check", "--source-only"]


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # with bytecode caches, as an installed tool runs
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    return env


Times = tuple[float, float]
"""Wall time and CPU time (user + system) of one process, or their medians."""


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> Times:
    """Wall and CPU time of one process (its exit code must be 0 or 1: clean, or findings)."""
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: a chatty process never blocks on it
        start = time.perf_counter()
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            errors.seek(0)
            raise RuntimeError(f"{' '.join(argv)} exited {code}: {errors.read().decode()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def medians(samples: list[Times]) -> Times:
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def median_wall(argv: list[str], cwd: Path, runs: int, prepare: Callable[[], None] = lambda: None) -> Times:
    """Median wall and CPU times of ``runs`` processes, ``prepare`` (untimed) before each and before one warm-up."""
    env = environment()
    prepare()
    timed(argv, cwd, env)
    samples = []
    for _ in range(runs):
        prepare()
        samples.append(timed(argv, cwd, env))
    return medians(samples)


def tree(name: str, files: int, **options: bool) -> Path:
    root = WORK / name
    generate(root, files, **options)
    return root


def row(label: str, numerator: tuple[str, Times], denominator: tuple[str, Times], target: str) -> str:
    (wall, cpu), (base_wall, base_cpu) = numerator[1], denominator[1]
    return (f"{label:14s} {numerator[0]} {wall:6.2f} s / {denominator[0]} {base_wall:6.2f} s "
            f"= {wall / base_wall:5.2f}x  (target {target}); CPU {cpu:.2f} s / {base_cpu:.2f} s = {cpu / base_cpu:.2f}x")


ROWS = ("anchor", "growth", "fix", "cache", "pre-commit", "growth-app", "pre-commit-app")


def aged(root: Path) -> Path:
    """Set every file's and folder's times an hour back, as a checkout made a while ago has them: the cache trusts
    a file's times only once they are older than the clock's resolution, and a tree written a moment ago would be
    read again on every run until then."""
    past = time.time_ns() - 3600 * 1_000_000_000
    for folder, _, names in os.walk(root):
        for name in names:
            os.utime(Path(folder, name), ns=(past, past))
        os.utime(folder, ns=(past, past))
    return root


def main(argv: list[str] | None = None) -> int:
    global WORK
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--small", type=int, default=500)
    parser.add_argument("--large", type=int, default=5000)
    parser.add_argument("--anchor-files", type=int, default=2000)
    parser.add_argument("--only", default=",".join(ROWS), help=f"comma-separated rows to measure: {', '.join(ROWS)}")
    parser.add_argument("--work", type=Path, default=WORK, help="where the trees are written")
    args = parser.parse_args(argv)
    WORK = args.work
    runs, small, large = args.runs, args.small, args.large
    wanted = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(wanted) - set(ROWS))
    if unknown:
        parser.error(f"unknown row(s) {', '.join(unknown)}: choose from {', '.join(ROWS)}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f}; median of {runs} runs")
    lines = []

    if "anchor" in wanted:
        anchored = tree("anchored", args.anchor_files)
        unanchored = tree("unanchored", args.anchor_files, anchor=False)
        with_anchor = median_wall([*CHECK, "--no-cache", "models"], anchored, runs)
        without = median_wall([*CHECK, "--no-cache", "models"], unanchored, runs)
        lines.append(row("unknown anchor", (f"{args.anchor_files} files, no anchor", without),
                         ("with anchor", with_anchor), "<= 1.5x"))

    if {"growth", "cache", "pre-commit"} & set(wanted):
        small_tree, large_tree = aged(tree("small", small)), aged(tree("large", large))
    if "growth" in wanted:
        small_time = median_wall([*CHECK, "--no-cache", "models"], small_tree, runs)
        large_time = median_wall([*CHECK, "--no-cache", "models"], large_tree, runs)
        lines.append(row("growth", (f"{large} files", large_time), (f"{small} files", small_time), "<= 11x"))

    if "fix" in wanted:
        fixable = WORK / "fixable"
        check_time = median_wall([*CHECK, "--no-cache", "models"], tree("fixable", small, fixable=True), runs)
        fix_time = median_wall([*CHECK, "--no-cache", "--fix", "models"], fixable, runs,
                               prepare=lambda: generate(fixable, small, fixable=True))
        lines.append(row("--fix", (f"fix {small} files", fix_time), ("check", check_time), "<= 6x"))

    if "cache" in wanted:
        cache = large_tree / ".schema-guard-cache"
        firsts, seconds = [], []
        env = environment()
        for _ in range(runs + 1):  # the first pair warms the bytecode caches
            shutil.rmtree(cache, ignore_errors=True)
            firsts.append(timed([*CHECK, "models"], large_tree, env))
            seconds.append(timed([*CHECK, "models"], large_tree, env))
        first, second = medians(firsts[1:]), medians(seconds[1:])
        lines.append(row("cache", (f"second run, {large} files", second), ("first run", first), "<= 0.35x"))

    if "pre-commit" in wanted:  # the cache warm, as a hook finds it (the warm-up run writes it)
        staged = ["models/module_0003.py"]
        staged_small = median_wall([*CHECK, *staged], small_tree, runs)
        staged_large = median_wall([*CHECK, *staged], large_tree, runs)
        lines.append(row("pre-commit", (f"1 file in {large}", staged_large), (f"1 file in {small}", staged_small),
                         "<= 1.3x"))
    if {"growth-app", "pre-commit-app"} & set(wanted):
        small_app, large_app = aged(tree("small-app", small, services=True)), aged(tree("large-app", large,
                                                                                       services=True))
    if "growth-app" in wanted:
        small_time = median_wall([*CHECK, "--no-cache", "models"], small_app, runs)
        large_time = median_wall([*CHECK, "--no-cache", "models"], large_app, runs)
        lines.append(row("growth-app", (f"{large}+{large} files", large_time), (f"{small}+{small} files", small_time),
                         "<= 11x"))
    if "pre-commit-app" in wanted:
        staged = ["models/services/service_0003.py"]
        staged_small = median_wall([*CHECK, *staged], small_app, runs)
        staged_large = median_wall([*CHECK, *staged], large_app, runs)
        lines.append(row("pre-commit-app", (f"1 app file in {large}+{large}", staged_large),
                         (f"1 app file in {small}+{small}", staged_small), "<= 1.3x"))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
