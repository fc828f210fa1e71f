"""The migration gate: ``schema-guard migrations``.

On a throwaway database (created on the configured server, or on an embedded PostgreSQL the gate starts), in one
process and through one connection:

1. the revision graph: a single head (SG602), ``env.py`` hands the models' metadata to Alembic (SG604);
2. upgrade one revision at a time to head; a revision that raises is named with its error (SG012);
3. the migrated database compared with the models (SG601) and checked with the key/tenancy rules (SG606);
4. downgrade to base and upgrade again: same schema, nothing left behind (SG603);
5. each revision's ``op.*`` calls judged in that revision's context (SG605, SG607, SG651-SG656), limited to the
   revisions a change adds with ``since``.

The throwaway database is always dropped and the embedded server always stopped, also on Ctrl-C and SIGTERM.
Tooling problems (no server, broken alembic.ini, a model module that does not import) are fatal findings (exit 2);
everything else is an error finding.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from schema_guard.config import Config
from schema_guard.facts import Location
from schema_guard.findings import Finding
from schema_guard.gate.tooling import ToolingProblem

__all__ = ["run_gate"]


def run_gate(
    config: Config,
    *,
    since: str | None = None,
    database_url: str | None = None,
    enabled: Callable[[str], bool] | None = None,
) -> list[Finding]:
    """Run the migration gate for ``config``; ``since`` (a revision or git ref) limits the per-revision rules to the
    revisions added after it; ``database_url`` overrides the configured server; ``enabled`` says which fact rules
    SG606 applies at head (default: every rule that is not opt-in). Findings are sorted by location; their paths
    are absolute, so reporters and suppressions find the file whatever the working directory is. What is reported
    of them is decided by :class:`~schema_guard.decide.Decider` (see :mod:`schema_guard.migration_check`)."""
    from schema_guard.gate.db.interrupts import signals_unwind

    saved_path = list(sys.path)
    gate = _Gate(config, since if since is not None else config.migrations.since, database_url, enabled)
    try:
        with signals_unwind():
            gate.run()
    finally:
        sys.path[:] = saved_path
    return sorted(gate.findings, key=Finding.sort_key)


class _Gate:
    def __init__(self, config: Config, since: str | None, database_url: str | None,
                 enabled: Callable[[str], bool] | None) -> None:
        self.config = config
        self.since = since
        self.database_url = database_url
        self.enabled = enabled
        self.findings: list[Finding] = []

    def run(self) -> None:
        # Everything is imported before the worker threads start: CPython 3.11 before 3.11.9 can fail compiling
        # modules in two threads at once ("AST constructor recursion depth mismatch"), so workers import nothing.
        import libcst
        import sqlalchemy.dialects.postgresql.psycopg  # noqa: F401

        from schema_guard.gate.analysis import operations, safety  # noqa: F401
        from schema_guard.gate.checks import exercise, graph, head_rules, models  # noqa: F401
        from schema_guard.gate.db.provision import Provision
        from schema_guard.gate.alembic.revisions import load_project

        libcst.parse_module("")
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="schema-guard-gate") as pool:
            provision = Provision(self.config, self.database_url)
            try:
                try:
                    project = load_project(self.config)
                except ToolingProblem as problem:
                    self.findings.append(self._located(problem.finding))
                    return
                sources = pool.submit(_parse_revisions, project, operations.RevisionSource,
                                      libcst.ParserSyntaxError)
                self._run_with(project, sources, provision)
            finally:
                provision.close()

    def _run_with(self, project, sources: Future, provision) -> None:  # type: ignore[no-untyped-def]
        from schema_guard.gate.checks.exercise import exercise
        from schema_guard.gate.checks.graph import env_target_metadata, single_head
        from schema_guard.gate.checks.head_rules import without_repeats
        from schema_guard.gate.checks.models import load_models, with_declared_shared
        from schema_guard.gate.alembic.revisions import revisions_since
        from schema_guard.gate.analysis.safety import check_revisions
        from schema_guard.rules.migrations import revision_rules

        try:
            in_scope = revisions_since(project, self.since)
            self.findings += single_head(project, in_scope)
            env_findings = env_target_metadata(project)
            self.findings += env_findings
            metadata, import_failures = load_models(self.config)
        except ToolingProblem as problem:
            self.findings.append(self._located(problem.finding))
            return
        if import_failures:  # SG002: without every model the database cannot be compared with them
            self.findings += import_failures
            return
        # Tables the models declare shared are shared for every rule: the per-revision ones and, since the database
        # reflected at head carries no ``info``, the head rules (SG606) too.
        tenancy = with_declared_shared(self.config.tenancy, metadata)
        try:
            self.findings += exercise(self.config, project, metadata, sources, provision.scratch(),
                                      check_env=not env_findings, tenancy=tenancy, enabled=self.enabled)
        except ToolingProblem as problem:
            self.findings.append(self._located(problem.finding))
        self.findings += check_revisions(sources.result(), rules=revision_rules(), in_scope=in_scope,
                                         tenancy=tenancy, shared_tables=tenancy.shared_tables)
        self.findings = without_repeats(self.findings)


    def _located(self, finding: Finding) -> Finding:
        """A tooling finding without a file gets the file that configures what failed: the ``database-url`` key (or
        the ``[tool.schema_guard]`` table) for SG010, ``alembic.ini`` for SG011."""
        if finding.path is not None:
            return finding
        from schema_guard.gate.tooling import DATABASE_UNAVAILABLE

        if finding.code == DATABASE_UNAVAILABLE and self.config.source is not None:
            return finding.at(_config_key_location(self.config.source, "database-url"))
        ini = (self.config.root / self.config.migrations.alembic_config).resolve()
        return finding.at(Location(str(ini)))


def _config_key_location(path: Path, key: str) -> Location:
    """The line of ``key = ...`` in the configuration file, else of its ``[tool.schema_guard`` table, else line 1."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return Location(str(path.resolve()))
    for pattern in (rf"^\s*{re.escape(key)}\s*=", r"^\s*\[tool\.schema_guard\.migrations\]", r"^\s*\[tool\.schema_guard"):
        for number, text in enumerate(lines, start=1):
            if re.match(pattern, text):
                return Location(str(path.resolve()), number, 1)
    return Location(str(path.resolve()), 1, 1)


def _parse_revisions(project, reader, syntax_error):  # type: ignore[no-untyped-def]
    """Every revision file read with libcst, in a worker thread while the database work waits on PostgreSQL. The
    worker imports nothing (``reader`` is ``RevisionSource``): see the note in :meth:`_Gate.run`."""
    parsed = []
    for revision in project.revisions:
        try:
            parsed.append((revision, reader(revision.path)))
        except (syntax_error, OSError, UnicodeDecodeError):
            continue
    return parsed
