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

import contextlib
import re
import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from schema_guard.config import Config
from schema_guard.facts import Location
from schema_guard.findings import Finding
from schema_guard.gate.progress import Progress, silent
from schema_guard.gate.tooling import ToolingProblem

__all__ = ["run_gate"]


def run_gate(
    config: Config,
    *,
    since: str | None = None,
    database_url: str | None = None,
    enabled: Callable[[str], bool] | None = None,
    progress: Progress | None = None,
) -> list[Finding]:
    """Run the migration gate for ``config``; ``since`` (a revision or git ref) limits the per-revision rules to the
    revisions added after it; ``database_url`` overrides the configured server; ``enabled`` says which fact rules
    SG606 applies at head (default: every rule that is not opt-in). Findings are sorted by location; their paths
    are absolute, so reporters and suppressions find the file whatever the working directory is. What is reported
    of them is decided by :class:`~schema_guard.decide.Decider` (see :mod:`schema_guard.migration_check`).
    ``progress`` shows the phases on stderr (default: nothing).

    The project's code (env.py, revisions, models) runs with ``sys.stdout`` pointed at stderr: what it prints or
    logs to stdout cannot end up inside a ``--format json`` report."""
    from schema_guard.gate.db.interrupts import signals_unwind

    saved_path = list(sys.path)
    shown = progress or silent()
    gate = _Gate(config, since if since is not None else config.migrations.since, database_url, enabled, shown)
    try:
        with signals_unwind(), contextlib.redirect_stdout(sys.stderr):
            gate.run()
    finally:
        sys.path[:] = saved_path
        shown.done()
    return sorted(gate.findings, key=Finding.sort_key)


class _Gate:
    def __init__(self, config: Config, since: str | None, database_url: str | None,
                 enabled: Callable[[str], bool] | None, progress: Progress) -> None:
        self.progress = progress
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

        from schema_guard.gate.analysis import operations
        from schema_guard.gate.checks import exercise, graph, head_rules, models, revision_safety  # noqa: F401
        from schema_guard.gate.db.provision import Provision
        from schema_guard.gate.alembic.revisions import load_project

        libcst.parse_module("")
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="schema-guard-gate") as pool:
            embedded = self.config.database_url(self.database_url) is None
            self.progress.phase("starting the embedded PostgreSQL server" if embedded
                                else "creating the throwaway database")
            provision = Provision(self.config, self.database_url)
            try:
                imported = self._import_models()
                project = self._load(load_project, provision)
                if project is None or imported is None:
                    return
                sources = pool.submit(_parse_revisions, project, operations.RevisionSource,
                                      libcst.ParserSyntaxError)
                self._run_with(project, sources, provision, imported)
            finally:
                provision.close()

    def _import_models(self):  # type: ignore[no-untyped-def]
        """The configured models, imported before any revision file, as ``alembic upgrade`` does (``env.py`` imports
        them, and only then are the revisions loaded): a revision imported first can leave a half-initialised
        module behind that breaks the models' own import. ``None`` after reporting why they could not be read."""
        from schema_guard.gate.checks.models import load_models

        self.progress.phase("importing the models")
        try:
            return load_models(self.config)
        except ToolingProblem as problem:
            self.findings.append(self._located(problem.finding))
            return None

    def _load(self, load_project, provision):  # type: ignore[no-untyped-def]
        """The Alembic project, or ``None`` after reporting why not. A revision that uses ``op`` at import time
        (``conn = op.get_bind()`` at module level) is loaded again the way ``alembic upgrade`` loads it: with ``op``
        bound to a migration context, here the throwaway database's."""
        from schema_guard.gate.alembic.revisions import NeedsOperations

        self.progress.phase("loading the Alembic project")
        try:
            try:
                return load_project(self.config)
            except NeedsOperations:
                self.progress.phase("loading the Alembic project in a migration context")
                return load_project(self.config, bind=provision.scratch().connection)
        except ToolingProblem as problem:
            self.findings.append(self._located(problem.finding))
            return None

    def _run_with(self, project, sources: Future, provision, imported) -> None:  # type: ignore[no-untyped-def]
        from schema_guard.gate.checks.exercise import exercise
        from schema_guard.gate.checks.graph import env_target_metadata, single_head
        from schema_guard.gate.checks.head_rules import without_repeats
        from schema_guard.gate.checks.models import with_declared_shared
        from schema_guard.gate.alembic.revisions import revisions_since
        from schema_guard.gate.checks.revision_safety import check_revisions
        from schema_guard.rules.base import RuleContext
        from schema_guard.rules.registry import revision_rules

        try:
            in_scope = revisions_since(project, self.since)
            self.findings += single_head(project, in_scope)
            env_findings = env_target_metadata(project)
            self.findings += env_findings
        except ToolingProblem as problem:
            self.findings.append(self._located(problem.finding))
            return
        metadata, import_failures = imported
        if import_failures:  # SG002: without every model the database cannot be compared with them
            self.findings += import_failures
            return
        # Tables the models declare shared are shared for every rule: the per-revision ones and, since the database
        # reflected at head carries no ``info``, the head rules (SG606) too.
        tenancy = with_declared_shared(self.config.tenancy, metadata)
        try:
            self.progress.phase("waiting for the throwaway database")
            self.findings += exercise(self.config, project, metadata, sources, provision.scratch(),
                                      check_env=not env_findings, tenancy=tenancy, enabled=self.enabled,
                                      progress=self.progress)
        except ToolingProblem as problem:
            self.findings.append(self._located(problem.finding))
        self.progress.phase("checking each revision's operations")
        self.findings += check_revisions(sources.result(), rules=revision_rules(), in_scope=in_scope,
                                         context=RuleContext(tenancy, self.config.rule_options))
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
