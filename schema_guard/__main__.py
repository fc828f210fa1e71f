"""``python -m schema_guard`` is the ``schema-guard`` command."""

from schema_guard.cli import run

run()
