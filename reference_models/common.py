"""Helpers shared by every reference model module.

Timestamps are stored as ``timestamp with time zone`` (``Field(sa_type=DateTime(timezone=True))``, written out at
each field so that schema-guard's source reader, which never imports the code, can see it) and produced in UTC by
:func:`utc_now`. The stdlib's ``datetime.utcnow()`` returns a *naive* datetime (and is deprecated since Python
3.12); a naive value written into a timezone-aware column is silently read as the server's local time, which is
what schema-guard's SG504 reports. One named function here gives every model the same, greppable default.
"""

from datetime import datetime, timezone

__all__ = ["utc_now"]


def utc_now() -> datetime:
    """The current time as a timezone-aware UTC datetime (never naive)."""
    return datetime.now(timezone.utc)
