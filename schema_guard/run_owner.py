"""Which process made something, and whether that process is provably gone.

A run labels what must not outlive it — a throwaway database, an embedded server's folder, the lock of a gate result
shared by pytest-xdist workers — with its owner: host, pid and the process's start time. The start time makes the
label proof against pid reuse: a later process with the same pid has another start time.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

LABEL_PREFIX = "schema-guard run"


def process_start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (``/proc/PID/stat`` field 22); ``None`` if it is gone
    or has ended and only waits to be reaped (a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] == "Z" else fields[19]


@dataclass(frozen=True)
class Owner:
    """The process that created a throwaway database or server folder."""

    host: str
    pid: int
    start: str

    @classmethod
    def current(cls) -> Owner:
        return cls(socket.gethostname(), os.getpid(), process_start_time(os.getpid()) or "unknown")

    def label(self) -> str:
        return f"{LABEL_PREFIX} host={self.host} pid={self.pid} start={self.start}"

    @classmethod
    def parse(cls, label: str | None) -> Owner | None:
        if not label or not label.startswith(LABEL_PREFIX + " "):
            return None
        fields = dict(part.split("=", 1) for part in label[len(LABEL_PREFIX) + 1:].split() if "=" in part)
        try:
            return cls(fields["host"], int(fields["pid"]), fields["start"])
        except (KeyError, ValueError):
            return None

    def is_gone(self) -> bool:
        """Proven gone: a process of this host whose pid is free or now belongs to a process started later.
        (Without ``/proc``, nothing is proven.)"""
        if self.host != socket.gethostname() or not Path("/proc/self/stat").exists():
            return False
        return process_start_time(self.pid) != self.start
