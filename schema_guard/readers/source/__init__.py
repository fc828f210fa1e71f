"""The source reader: model and application files read from ``.py`` source without importing them.

``read_source`` (in :mod:`.reader`) is the entry point; the other modules each do one step of it: parse a file
(:mod:`.module`), resolve its imports (:mod:`.imports`), read fields (:mod:`.fields`), column types
(:mod:`.column_types`), ``__table_args__`` (:mod:`.table_args`), plain-SQLAlchemy mappings (:mod:`.mapping`), the rest
of the project as context (:mod:`.context`), and where things are written (:mod:`.locations`).
"""

from __future__ import annotations

from schema_guard.readers.source.reader import read_source

__all__ = ["read_source"]
