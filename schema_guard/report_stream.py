"""The report owns standard output; user code imported or run during a check cannot write into it, nor keep the
process alive after it.

The metadata reader and the migration gate import the project's model modules and run its ``env.py`` and
revisions. Whatever that code prints — ``print()`` at import, a C extension or a child process writing straight to
file descriptor 1 — would land in the middle of ``--format json``/``sarif`` output and break the consumer. So, while
a command runs, :func:`report_stream` keeps a private duplicate of the real stdout for the report and points both
``sys.stdout`` and descriptor 1 at stderr, where such output is still visible but harmless.

A non-daemon thread that user code starts at import would make the interpreter wait for it forever after the
report. :func:`exit_process` therefore ends the process with ``os._exit`` (after flushing) when such threads remain.
Joining them with a time limit would not help: the interpreter's own shutdown joins every non-daemon thread again,
without a limit. Our own resources never depend on that shutdown: the throwaway database is dropped and the embedded
server stopped in ``finally`` blocks before the report is written.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import threading
from collections.abc import Iterator
from typing import NoReturn, TextIO


@contextlib.contextmanager
def report_stream() -> Iterator[TextIO]:
    """Yield the stream to write the report to; within the block, fd 1 and ``sys.stdout`` lead to stderr.

    When stdout is not a real file descriptor (a test harness capturing ``sys.stdout``), it is yielded as it is."""
    try:
        descriptor = sys.stdout.fileno()
        sys.stdout.flush()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        yield sys.stdout
        return
    saved = os.dup(descriptor)
    report = open(saved, "w", encoding=sys.stdout.encoding, errors="replace", closefd=False)  # noqa: SIM115
    previous = sys.stdout
    os.dup2(sys.stderr.fileno(), descriptor)
    sys.stdout = sys.stderr
    try:
        yield report
    finally:
        sys.stdout = previous
        with contextlib.suppress(OSError):  # BrokenPipeError included: the reader may be gone
            report.close()  # the descriptor stays open (closefd=False) until os.close below
        os.dup2(saved, descriptor)
        os.close(saved)


def exit_process(code: int) -> NoReturn:
    """Exit with ``code``; immediately if threads that user code started would otherwise keep the process alive."""
    lingering = [thread for thread in threading.enumerate()
                 if thread is not threading.main_thread() and not thread.daemon and thread.is_alive()]
    if not lingering:
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
