"""Colour for the text report: on for a terminal, off otherwise, and what ``NO_COLOR``/``FORCE_COLOR``/``--color``
say — the conventions of https://no-color.org and https://force-color.org, with the command-line option winning."""

from __future__ import annotations

import os
from typing import TextIO

CHOICES = ("auto", "always", "never")

_CODES = {"path": "1", "code": "1;31", "fixable": "36", "help": "36", "summary": "1"}


def wants_color(choice: str, stream: TextIO | None) -> bool:
    """Whether to colour output written to ``stream`` (``None``: a file, never coloured in ``auto``)."""
    if choice != "auto":
        return choice == "always"
    if stream is None or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def paint(text: str, role: str, enabled: bool) -> str:
    """``text`` in the colour of ``role`` (path, code, fixable, help, summary) when colour is on."""
    return f"\033[{_CODES[role]}m{text}\033[0m" if enabled else text
