"""The report owns standard output; user code imported or run during a check cannot write into it, nor keep the
process alive after it.

The metadata reader and the migration gate import the project's model modules and run its ``env.py`` and
revisions. Whatever that code prints — ``print()`` at import, a C extension or a child process writing straight to
file descriptor 1 — would land in the middle of ``--format json``/``sarif`` output and break the consumer. So, while
a command runs, :func:`report_stream` keeps a private duplicate of the real stdout for the report and points both
``sys.stdout`` and descriptor 1 at stderr, where such output is still visible but harmless.

A non-daemon thread that user code starts at import would make the interpreter wait for it forever after the
report, and the interpreter's teardown frees every object of the run one by one. :func:`exit_process` therefore
ends the process with ``os._exit``, after running the exit handlers and flushing. Our own resources never depend on
the teardown: the throwaway database is dropped and the embedded server stopped in ``finally`` blocks before the
report is written.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import sys
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
    """Exit with ``code`` once the exit handlers have run and the standard streams are flushed, without the
    interpreter's teardown: freeing every object of the run one by one (the models' SQLAlchemy metadata, the gate's
    syntax trees of every revision) costs ~0.5 s after a 300-revision gate run and changes nothing, and that teardown
    would also wait, without a limit, for any non-daemon thread user code left running. ``atexit`` handlers (logging's
    flush, those user code registered) run as in a normal exit."""
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
