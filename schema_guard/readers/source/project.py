"""The project's modules by dotted name, parsed on first use: what the source reader follows imports into.

Constants (``from app.names import STUDENTS``) and mixins live in files that may hold no model at all, or are only
context; they are parsed when something refers to them, once. A dotted name is matched by the file's path
(``app/names.py``, ``app/names/__init__.py``), so namespace packages and a ``src`` that is not the import root
resolve too.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from schema_guard.readers.source.module import ParsedModule, parse_module


class ProjectModules:
    def __init__(self, parsed: Iterable[ParsedModule], paths: Iterable[Path | str]) -> None:
        self._parsed: dict[str, ParsedModule | None] = {}
        for module in parsed:
            self._parsed[os.path.abspath(module.path)] = module
        self._paths = list(paths)
        self._stems: dict[str, list[str]] | None = None
        self._by_name: dict[str, ParsedModule | None] = {}

    @property
    def _by_stem(self) -> dict[str, list[str]]:
        """The files by module stem, indexed at the first import followed (a pre-commit run over one file
        usually follows none, and indexing every file of ``src`` would cost as much as scanning it)."""
        if self._stems is None:
            self._stems = {}
            for path in self._paths:
                absolute = os.path.abspath(path)
                folder, name = os.path.split(absolute)
                stem = os.path.basename(folder) if name == "__init__.py" else name[:-3]
                self._stems.setdefault(stem, []).append(absolute)
        return self._stems

    def load(self, dotted: str) -> ParsedModule | None:
        """The module ``dotted`` names among the project's files, or ``None``."""
        if dotted not in self._by_name:
            self._by_name[dotted] = self._find(dotted)
        return self._by_name[dotted]

    def _find(self, dotted: str) -> ParsedModule | None:
        parts = [part for part in dotted.split(".") if part]
        if not parts:
            return None
        suffixes = (os.sep + os.sep.join(parts) + ".py", os.sep + os.sep.join([*parts, "__init__.py"]))
        for path in self._by_stem.get(parts[-1], []):
            if path.endswith(suffixes):
                return self._parse(path)
        return None

    def _parse(self, path: str) -> ParsedModule | None:
        if path not in self._parsed:
            parsed = parse_module(Path(path), path, require_markers=False)
            self._parsed[path] = parsed if isinstance(parsed, ParsedModule) else None
        return self._parsed[path]
