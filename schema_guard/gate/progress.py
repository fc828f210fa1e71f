"""What the gate is doing, on stderr: one line that updates in place on a terminal, nothing otherwise.

A gate run takes seconds to minutes (an embedded server to start, a hundred revisions to upgrade twice), so on a
terminal the user sees the phase and the revision in flight. When stderr is not a terminal (CI logs, pipes) the
gate stays silent unless asked with ``-v``, and then writes one plain line per phase; revision steps are not listed
one by one there, as a CI log would gain hundreds of lines.
"""

from __future__ import annotations

import io
import shutil
import sys
from typing import TextIO


class Progress:
    """Phases and revision steps, written to ``stream`` (stderr by default)."""

    def __init__(self, stream: TextIO | None = None, *, verbose: bool = False) -> None:
        self.stream = stream if stream is not None else sys.stderr
        try:
            self.live = bool(self.stream.isatty())
        except (AttributeError, ValueError):  # a closed or file-less stream
            self.live = False
        self.verbose = verbose
        self._shown = False

    def phase(self, text: str) -> None:
        """A new phase: ``starting the embedded PostgreSQL server``, ``comparing with the models``..."""
        if self.live:
            self._overwrite(text)
        elif self.verbose:
            self._write(f"schema-guard: {text}\n")

    def step(self, direction: str, index: int, total: int, revision: str) -> None:
        """A revision step in flight (only on a terminal: on a log, one line per revision would drown the rest)."""
        if self.live:
            self._overwrite(f"{direction} revision {index} of {total} ({revision})")

    def done(self) -> None:
        """Clear the updating line, so the report starts on a clean line."""
        if self.live and self._shown:
            self._write("\r\x1b[K")
            self._shown = False

    def _overwrite(self, text: str) -> None:
        width = shutil.get_terminal_size((80, 24)).columns - 1
        self._write("\r\x1b[K" + f"schema-guard: {text}"[:width])
        self._shown = True

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # stderr went away: progress is not worth failing the run for
            self.live = self.verbose = False


def silent() -> Progress:
    """A progress that shows nothing: the default for callers that did not ask (the pytest plugin, the API)."""
    return Progress(io.StringIO())
