"""Source-reader speed: ``schema-guard check --source-only`` on 500 generated model files, and on one file.

    python benchmarks/bench_source.py [--files 500] [--runs 5] [--no-user-venv]

By default the commands run from a clean virtualenv in ``benchmarks/.work/venv-user`` holding a regular
(non-editable) ``pip install`` of this repository, as a user has it: no editable-install finder and none of the
development interpreter's ``.pth`` files. The package is reinstalled (``--no-deps --force-reinstall``) on every
run so the measured code is the working tree's; dependencies are installed once. ``--no-user-venv`` measures
the current interpreter (with an editable install, its ``schema-guard`` script) instead.

Generates the tree with :mod:`generate_models` into ``benchmarks/.work/tree`` and measures whole-process wall
time (median of ``--runs`` cold processes, after one warm-up that writes the bytecode caches as any installed
tool has them) of:

* the whole tree: ``schema-guard check --source-only models`` (exits 1: one file in twenty has a violation);
* one staged file, as the pre-commit hook runs it: ``schema-guard check --source-only models/module_0003.py``
  (the configured ``src`` is then scanned as context, so its table names are known);
* Fixit and ruff on the same tree when they are installed, for comparison.

Then it breaks the whole-tree run down in one process: interpreter start-up, imports, file discovery, parsing,
building facts, rules, and the rest of the pipeline (suppressions, report).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from generate_models import generate  # noqa: E402


USER_VENV = HERE / ".work" / "venv-user"
PYTHON = sys.executable
"""The interpreter the breakdown runs in: this one, or the user venv's."""
USE_REPO_PATH = True
"""Put the repository on ``PYTHONPATH`` (editable measurement); off for the user venv, which must import its copy."""


def user_venv() -> Path:
    """A clean venv with a regular install of the working tree; returns its ``python``."""
    python = USER_VENV / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(USER_VENV)], check=True)
        subprocess.run([*pip, str(REPO)], check=True)  # dependencies, once
    # The package itself, fresh from the working tree (a wheel build: no editable finder).
    subprocess.run([*pip, "--no-deps", "--force-reinstall", str(REPO)], check=True, cwd=USER_VENV)
    return python


def command() -> list[str]:
    """The installed console script when there is one (as users run it), else ``python -m schema_guard``."""
    if not USE_REPO_PATH:
        return [str(Path(PYTHON).parent / "schema-guard")]
    script = shutil.which("schema-guard")
    return [script] if script else [sys.executable, "-m", "schema_guard"]


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure with bytecode caches, as an installed tool runs
    if USE_REPO_PATH:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    else:
        env.pop("PYTHONPATH", None)
    return env


def wall_times(argv: list[str], cwd: Path, runs: int) -> tuple[float, float, int]:
    """Median wall time and median CPU time (user+sys of the child) over ``runs`` cold processes, and the exit code."""
    env = environment()
    subprocess.run(argv, cwd=cwd, env=env, capture_output=True)  # warm-up: bytecode caches, file cache
    walls, cpus, code = [], [], 0
    for _ in range(runs):
        before = os.times()
        start = time.perf_counter()
        completed = subprocess.run(argv, cwd=cwd, env=env, capture_output=True)
        walls.append(time.perf_counter() - start)
        after = os.times()
        cpus.append((after.children_user - before.children_user) + (after.children_system - before.children_system))
        code = completed.returncode
    return statistics.median(walls), statistics.median(cpus), code


BREAKDOWN = r"""
import time
t0 = time.perf_counter()
from pathlib import Path
from schema_guard.config import load_config
from schema_guard.engine import evaluate, run_check
from schema_guard.files import discover
from schema_guard.readers.source import read_source
from schema_guard.readers.source.module import parse_module
from schema_guard.rules.base import RuleContext
t1 = time.perf_counter()
config = load_config()
files = discover([Path("models")], config.root, config.exclude)
t2 = time.perf_counter()
import ast
texts = [f.read_text() for f in files]
t3 = time.perf_counter()
for text in texts:
    ast.parse(text)
t4 = time.perf_counter()
facts = read_source(files)
t5 = time.perf_counter()
context = RuleContext(tenancy=config.tenancy)
findings = evaluate(facts, context)  # every source rule, as run_check runs them (derived facts cached once)
t6 = time.perf_counter()
result = run_check(config, [Path("models")], use_metadata=False, use_baseline=False)
t7 = time.perf_counter()
print(f"{t1-t0:.3f} {t2-t1:.3f} {t3-t2:.3f} {t4-t3:.3f} {t5-t4:.3f} {t6-t5:.3f} {t7-t6:.3f} {len(findings)}")
"""


def breakdown(cwd: Path) -> dict[str, float]:
    start = time.perf_counter()
    subprocess.run([PYTHON, "-c", "pass"], env=environment(), check=True)
    startup = time.perf_counter() - start
    rows = []
    for _ in range(3):
        out = subprocess.run(
            [PYTHON, "-c", BREAKDOWN], cwd=cwd, env=environment(), capture_output=True, text=True, check=True
        )
        rows.append([float(x) for x in out.stdout.split()])
    best = [min(column) for column in zip(*rows, strict=True)]
    imports, discovery, reading, parsing, facts, rules, pipeline, _ = best
    return {
        "interpreter start-up": startup,
        "imports (schema_guard, no SQLAlchemy)": imports,
        "file discovery": discovery,
        "reading files": reading,
        "ast.parse (stdlib)": parsing,
        "read_source total (read + parse + facts)": facts,
        "  of which facts beyond parsing": max(facts - parsing - reading, 0.0),
        "fact rules": rules,
        "whole run_check (discovery + reader + rules + suppressions)": pipeline,
    }


def peers(tree: Path, runs: int) -> list[tuple[str, float]]:
    found = []
    if shutil.which("ruff"):
        ruff = ["ruff", "check", "--select", "ALL", "--no-cache", "models"]
        found.append(("ruff check --select ALL", wall_times(ruff, tree, runs)[0]))
    if shutil.which("fixit"):
        found.append(("fixit lint", wall_times(["fixit", "lint", "models"], tree, runs)[0]))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=HERE / ".work" / "tree")
    parser.add_argument("--user-venv", action=argparse.BooleanOptionalAction, default=True,
                        help="run a regular install in a clean venv (default), or this interpreter's")
    args = parser.parse_args()

    global PYTHON, USE_REPO_PATH
    if args.user_venv:
        PYTHON, USE_REPO_PATH = str(user_venv()), False

    generate(args.out, args.files)
    tree = args.out
    where = "user venv (regular install)" if args.user_venv else "this interpreter (editable install)"
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; {where}; "
          f"command: {' '.join(command())}")
    whole = wall_times([*command(), "check", "--source-only", "models"], tree, args.runs)
    single = wall_times([*command(), "check", "--source-only", "models/module_0003.py"], tree, args.runs)
    print(f"{args.files} files : {whole[0]:.3f} s wall (median of {args.runs}), {whole[1]:.3f} s CPU, exit {whole[2]}")
    print(f"1 file     : {single[0]:.3f} s wall (median of {args.runs}), {single[1]:.3f} s CPU, exit {single[2]}")
    for name, seconds in peers(tree, args.runs):
        print(f"{name:11s}: {seconds:.3f} s wall")
    print("\nwhere the time goes (one process, best of 3):")
    for label, seconds in breakdown(tree).items():
        print(f"  {label:58s} {seconds * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
