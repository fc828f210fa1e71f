"""The migration-check pipeline: the gate's findings → the decider → result.

What ``schema-guard migrations``, ``schema-guard baseline --migrations`` and ``pytest --schema-guard-migrations``
all run, so the three cannot drift apart. The gate runs the rules the decider enables (SG606 applies the key and
tenancy rules selected, opt-in ones included), and the decider then applies the selection, per-file ignores, the
``# schema-guard: ignore[...]`` comments on the reported lines and the baseline. Fatal findings (no database, a
broken ``alembic.ini``, a model module that does not import) are never deselected, suppressed or baselined.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from schema_guard.config import Config
from schema_guard.decide import Decider
from schema_guard.result import CheckResult

if TYPE_CHECKING:
    from schema_guard.gate.progress import Progress


def run_migrations_check(
    config: Config,
    *,
    decider: Decider | None = None,
    since: str | None = None,
    database_url: str | None = None,
    progress: Progress | None = None,
) -> CheckResult:
    """Run the migration gate for ``config`` and decide what it reports (``decider``, default: the
    configuration's).

    ``since`` (a revision or git ref; default: the configured ``since``) limits the per-revision rules to the
    revisions added after it; ``database_url`` overrides the configured server; ``progress`` shows the gate's
    phases (default: nothing)."""
    from schema_guard.gate import run_gate

    decider = decider or Decider.from_config(config)
    found = run_gate(config, since=since or config.migrations.since, database_url=database_url,
                     enabled=decider.enabled, progress=progress)
    return decider.decide(found)
