"""Database URLs as they may be shown: every secret in them masked, wherever it is written.

A password reaches a URL in more places than the userinfo (``user:secret@host``): libpq and psycopg also take
``?password=``, ``?sslpassword=`` and, through proxies and cloud connectors, parameters such as ``api_token`` or
``client_secret``. SQLAlchemy's ``hide_password`` only masks the userinfo, so every message, finding and log line
that shows a URL — and every driver error text, which may echo a connection string — goes through
:func:`mask_secrets`. It works on free text, so it also catches a URL quoted inside a longer message.
"""

from __future__ import annotations

import re

from sqlalchemy.engine import URL

MASK = "***"
SECRET_WORDS = ("password", "secret", "token")
"""A query parameter (or ``key=value`` connection option) whose name contains one of these holds a secret."""

_USERINFO = re.compile(r"(?P<head>//[^/\s:@?#]*:)[^/\s?#]*@")
_SECRET_PARAMETER = re.compile(
    r"(?P<name>\b[\w.-]*(?:" + "|".join(SECRET_WORDS) + r")[\w.-]*)(?P<equals>\s*=\s*)(?P<value>'(?:[^'\\]|\\.)*'|[^&\s;,'\")]*)",
    re.IGNORECASE,
)


def mask_secrets(text: str) -> str:
    """``text`` with the password of every URL userinfo and every secret-named ``name=value`` replaced by ``***``."""
    text = _USERINFO.sub(lambda match: f"{match['head']}{MASK}@", text)
    return _SECRET_PARAMETER.sub(lambda match: f"{match['name']}{match['equals']}{MASK}", text)


def mask_url(url: URL | str) -> str:
    """A database URL (a SQLAlchemy :class:`URL` or the text the user wrote) with its secrets masked."""
    text = url.render_as_string(hide_password=False) if isinstance(url, URL) else url
    return mask_secrets(text)
