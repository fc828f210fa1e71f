"""Signals, so that cleanup always runs: SIGTERM/SIGHUP unwind like Ctrl-C, and cleanup itself is not interrupted.

Python turns SIGINT into :class:`KeyboardInterrupt`, which runs every ``finally``; SIGTERM and SIGHUP would kill the
process without it, leaving a throwaway database or server behind. :func:`signals_unwind` makes them raise
:class:`KeyboardInterrupt` too, and :func:`shielded` defers all three while a database is dropped or a server
stopped, then re-raises. Both do nothing outside the main thread, where Python cannot install handlers.

Signals reach only the main thread. Work in a background thread (preparing the throwaway database) is stopped by
*cancellation* instead: the main thread sets an event and the work calls :func:`check_cancelled` between steps.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_UNWINDING = (signal.SIGTERM, signal.SIGHUP)


class Cancelled(Exception):
    """The work was called off: the gate is stopping (interrupted, or it failed before needing the database)."""


def check_cancelled(cancelled: threading.Event) -> None:
    """Raise :class:`Cancelled` if ``cancelled`` is set."""
    if cancelled.is_set():
        raise Cancelled()
_DEFERRED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")


@contextmanager
def signals_unwind() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise :class:`KeyboardInterrupt` (so ``finally`` blocks run)."""
    if not _in_main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _raise_interrupt) for sig in _UNWINDING}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def shielded() -> Iterator[None]:
    """Defer SIGINT/SIGTERM/SIGHUP during cleanup; if one arrived, raise :class:`KeyboardInterrupt` afterwards."""
    if not _in_main_thread():
        yield
        return
    received: list[int] = []

    def remember(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous = {sig: signal.signal(sig, remember) for sig in _DEFERRED}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if received:
        raise KeyboardInterrupt(f"signal {signal.Signals(received[0]).name}")
