"""The migration-check pipeline: the gate's findings → selection → inline suppressions → baseline → result.

What ``schema-guard migrations``, ``schema-guard baseline --migrations`` and ``pytest --schema-guard-migrations``
all run, so the three cannot drift apart. Fatal findings (no database, a broken ``alembic.ini``, a model module that
does not import) are never deselected, suppressed or baselined.
"""

from __future__ import annotations

from schema_guard.config import Config
from schema_guard.engine import CheckResult, apply_suppressions, ignored_for_file
from schema_guard.findings import Finding
from schema_guard.selection import Selection


def run_migrations_check(
    config: Config,
    *,
    selection: Selection | None = None,
    since: str | None = None,
    database_url: str | None = None,
    use_baseline: bool = True,
) -> CheckResult:
    """Run the migration gate for ``config`` and apply the selection (default: the configuration's), the
    ``# schema-guard: ignore[...]`` comments on the reported lines and, with ``use_baseline``, the baseline.

    ``since`` (a revision or git ref; default: the configured ``since``) limits the per-revision rules to the
    revisions added after it; ``database_url`` overrides the configured server."""
    from schema_guard.gate import run_gate

    selection = selection or Selection.from_config(config)
    found = run_gate(config, since=since or config.migrations.since, database_url=database_url)
    enabled = [
        f for f in found if f.severity == "fatal" or (selection.enabled(f.code) and not ignored_for_file(f, config))
    ]
    kept, suppressed = apply_suppressions(enabled, [], [], selection)
    result = CheckResult(findings=kept, suppressed=suppressed)
    if use_baseline:
        from schema_guard.baseline import apply_baseline

        apply_baseline(result, config)
    result.findings.sort(key=Finding.sort_key)
    return result
