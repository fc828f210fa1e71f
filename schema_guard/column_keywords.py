"""The keyword arguments ``sqlalchemy.Column`` accepts: the source reader sorts ``sa_column_kwargs`` with them, and
SG3xx's "did you mean" suggests from them. Kept apart from both so that rules need not import the reader."""

from __future__ import annotations

import re

COLUMN_KEYWORDS = frozenset(
    {
        "name", "type_", "autoincrement", "default", "insert_default", "doc", "key", "index", "unique", "info",
        "nullable", "onupdate", "primary_key", "server_default", "server_onupdate", "quote", "system", "comment",
        "insert_sentinel", "_omit_from_statements", "_proxies",
    }
)  # fmt: skip
"""The keyword parameters of ``sqlalchemy.Column.__init__`` (SQLAlchemy 2.1). Hard-coded so the source reader never
imports SQLAlchemy (~0.3 s); ``tests/test_source_reader.py`` checks it against the real signature."""

DIALECT_PREFIXES = ("postgresql", "mysql", "mariadb", "sqlite", "mssql", "oracle")
"""Column also takes ``<dialect>_<argument>`` keywords; anything else raises ``TypeError`` (or is a silent typo)."""
DIALECT_KEYWORD = re.compile(rf"^({'|'.join(DIALECT_PREFIXES)})_\w+$")


def is_column_kwarg(key: str) -> bool:
    """``key`` is a ``Column`` keyword, or a ``<dialect>_<argument>`` one."""
    return key in COLUMN_KEYWORDS or bool(DIALECT_KEYWORD.match(key))
