"""SIGTERM/SIGINT at random moments of a gate run, start-up included: how long the process takes to exit, and
whether it left anything behind (a throwaway database or an embedded server's folder labelled with its pid).

    python benchmarks/bench_signals.py --runs 30 [--embedded] [--signal INT] [--max-delay 2.0]

Prints one line per run and a summary (worst exit time, leftovers, hangs); exit status 1 if any run took longer than
``--limit`` seconds or left something behind. The test suite runs a few of these; this script runs many.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.gate.support import SERVER_URL, ensure_server, leftovers_of, materialise  # noqa: E402


def one_run(project: Path, signum: int, delay: float, embedded: bool, limit: float) -> tuple[float, list[str]]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "SCHEMA_GUARD_DATABASE_URL": "" if embedded else SERVER_URL}
    process = subprocess.Popen([sys.executable, "-m", "schema_guard.gate", "--cwd", str(project)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    sent = time.monotonic()
    process.send_signal(signum)
    try:
        process.wait(timeout=limit * 4)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return float("inf"), leftovers_of(process.pid)
    elapsed = time.monotonic() - sent
    time.sleep(0.2)  # the embedded postmaster is not our child: give it a moment to go
    return elapsed, leftovers_of(process.pid)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--embedded", action="store_true", help="no URL: the gate starts its own server")
    parser.add_argument("--signal", default="TERM", choices=["TERM", "INT"])
    parser.add_argument("--max-delay", type=float, default=2.0, help="signal after a random delay up to this")
    parser.add_argument("--limit", type=float, default=5.0, help="seconds a run may take to exit")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    ensure_server()
    project = materialise("slow_revision", Path(tempfile.mkdtemp(prefix="sg-bench-signals-")))
    rng = random.Random(args.seed)
    signum = getattr(signal, f"SIG{args.signal}")
    worst, bad = 0.0, 0
    for run in range(args.runs):
        delay = rng.uniform(0, args.max_delay)
        elapsed, left = one_run(project, signum, delay, args.embedded, args.limit)
        worst = max(worst, elapsed)
        failed = elapsed > args.limit or bool(left)
        bad += failed
        print(f"run {run + 1:3}: signal after {delay:.2f} s, exited in {elapsed:.2f} s"
              f"{', LEFT ' + ', '.join(left) if left else ''}{'  <-- FAIL' if failed else ''}", flush=True)
    print(f"{args.runs} runs, worst exit {worst:.2f} s, {bad} failed (limit {args.limit:.1f} s, nothing left behind)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
