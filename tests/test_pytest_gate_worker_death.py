"""Under pytest-xdist one worker runs the migration gate and the others wait for its result. If that worker dies
(killed, out of memory, a crash in a C extension), the others' gate items fail within seconds — not after an hour."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from tests.gate.support import materialise

pytest_plugins = ["pytester"]

DIE_IN_THE_GATE = '''
import os
import signal

import schema_guard.migration_check


def _killed(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)  # the worker running the gate dies without a word


schema_guard.migration_check.run_migrations_check = _killed
'''


def test_a_worker_that_dies_running_the_gate_fails_the_others_within_seconds(pytester: pytest.Pytester,
                                                                              tmp_path: Path) -> None:
    shutil.copytree(materialise("good", tmp_path), pytester.path, dirs_exist_ok=True)
    pytester.makeconftest(DIE_IN_THE_GATE)
    started = time.monotonic()
    result = pytester.runpytest_subprocess("--schema-guard-migrations", "-p", "xdist", "-n", "2",
                                           "--max-worker-restart=4", f"--basetemp={pytester.path / 'basetemp'}",
                                           timeout=120)
    elapsed = time.monotonic() - started
    output = "\n".join(result.outlines + result.errlines)
    assert result.ret == 1, output
    assert "died before finishing it" in output, output
    assert "PASSED" not in output and elapsed < 60, f"{elapsed:.1f} s\n{output}"
