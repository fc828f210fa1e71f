"""The database half of the gate: migrate a throwaway database and judge what it became.

Upgrade to head (SG012 names a failing revision), check env.py's metadata at run time (SG604), compare with the
models (SG601), run the database fact rules at head (SG606), then downgrade and upgrade again (SG603). A revision
whose downgrade is missing or empty (SG607) cannot be rolled back through, so the round trip then stops above it.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

from sqlalchemy import MetaData
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import DBAPIError

from schema_guard.config import Config
from schema_guard.facts import Location
from schema_guard.findings import Finding
from schema_guard.gate.alembic import envpy
from schema_guard.gate.checks.drift import Comparison, drift_findings
from schema_guard.gate.checks.graph import env_finding
from schema_guard.gate.checks.head_rules import head_rule_findings
from schema_guard.gate.checks.models import ModelLocations, with_declared_shared
from schema_guard.gate.analysis.operations import RevisionSource
from schema_guard.gate.analysis.provenance import Provenance
from schema_guard.gate.alembic.revisions import MigrationProject, Revision
from schema_guard.gate.db.provision import Scratch
from schema_guard.gate.progress import Progress, silent
from schema_guard.gate.db.snapshot import Difference, Snapshot, compare_snapshots, take_snapshot
from schema_guard.gate.alembic.stepping import MigrationRunner, StepFailure
from schema_guard.gate.tooling import (
    BROKEN_ALEMBIC,
    REVISION_RAISES,
    ToolingProblem,
    database_error_text,
    error_text,
)
from schema_guard.rules.registry import catalogue
from schema_guard.tenancy import TenantPolicy

Parsed = list[tuple[Revision, RevisionSource]]


def exercise(
    config: Config,
    project: MigrationProject,
    metadata: MetaData | None,
    sources: Future[Parsed],
    scratch: Scratch,
    *,
    check_env: bool = True,
    tenancy: TenantPolicy | None = None,
    enabled: Callable[[str], bool] | None = None,
    progress: Progress | None = None,
) -> list[Finding]:
    """Run the database checks in the throwaway database (dropped by the caller's :class:`Provision`). ``tenancy``
    (default: the configuration's) judges the schema at head; the tables the compared models declare shared are
    added to it. ``enabled`` picks the rules SG606 applies (default: every rule that is not opt-in)."""
    return _Exercise(config, project, metadata, sources, scratch.connection, scratch.url, check_env,
                     tenancy or config.tenancy, enabled, progress or silent()).run()


class _Exercise:
    def __init__(self, config: Config, project: MigrationProject, metadata: MetaData | None,
                 sources: Future[Parsed], connection: Connection, url: URL, check_env: bool,
                 tenancy: TenantPolicy, enabled: Callable[[str], bool] | None, progress: Progress) -> None:
        self.progress = progress
        self.config = config
        self.enabled = enabled
        self.tenancy = tenancy
        self.project = project
        self.metadata = metadata
        self.sources = sources
        self.connection = connection
        self.runner = MigrationRunner(project, connection, url)
        self.runner.on_step = progress.step
        self.check_env = check_env

    def run(self) -> list[Finding]:
        initial = take_snapshot(self.connection, version_table=self.runner.version_table)
        failure = self.runner.upgrade("heads")
        if failure is not None:
            return [revision_failed(failure, self.project)]
        self._applied_something()
        findings: list[Finding] = []
        problem = envpy.runtime_problem(self.runner.target_metadata, self.metadata)
        if self.check_env and problem:
            findings.append(env_finding(self.project, problem, envpy.assignment_line(self.project.env_path)))
        parsed = self.sources.result()
        provenance = Provenance(parsed)
        head = take_snapshot(self.connection, version_table=self.runner.version_table, locator=provenance.coarse())
        models = self._compared_models(problem)
        self.progress.phase("comparing the migrated database with the models")
        if models is not None:
            findings += drift_findings(self.connection, models, version_table=self.runner.version_table,
                                       version_table_schema=self.runner.version_table_schema,
                                       comparison=Comparison.from_env(self.runner.comparison_options),
                                       provenance=provenance, models=ModelLocations())
        tenancy = with_declared_shared(self.tenancy, models)  # also env.py's metadata when no models are configured
        findings += head_rule_findings(head.facts, tenancy, self.enabled, provenance.refine,
                                       self.config.rule_options)
        findings += self._round_trip(initial, head, provenance, parsed)
        return findings

    def _applied_something(self) -> None:
        """Stop with SG011 when env.py ran without applying a revision to the empty throwaway database: comparing
        an empty database with the models would report every table as drift, blaming the models for env.py's
        control flow (online mode skipped, migrations run only under a condition the gate does not meet)."""
        project, planned = self.project, self.runner.steps_planned
        self.progress.phase(f"upgraded {planned or 0} of {len(project.revisions)} revisions to head")
        if planned:  # env.py may also have pointed Alembic at other version folders itself: it applied something
            return
        if not project.revisions:
            where, elsewhere = project.relpath(project.ini_path), project.folders_set_by_env()
            advice = (f"env.py sets the version folders at run time ({project.version_folders(elsewhere)}); name "
                      "them in version_locations in alembic.ini" if elsewhere else
                      "generate the first one with `alembic revision --autogenerate`, or point version_locations "
                      "at the revisions")
            raise ToolingProblem(BROKEN_ALEMBIC, f"{where}: no revision file in {project.version_folders()}: {advice}",
                                 Location(str(project.ini_path)))
        why = ("never calls context.run_migrations() when run online" if planned is None
               else "ran context.run_migrations(), but Alembic found nothing to apply on an empty database")
        raise ToolingProblem(BROKEN_ALEMBIC,
                             f"{project.relpath(project.env_path)} {why}, so no revision was applied; "
                             "the gate runs env.py as `alembic upgrade head` does (online, with the throwaway "
                             "database's connection in config.attributes['connection'])",
                             project.env_location())

    def _compared_models(self, env_problem: str | None) -> MetaData | None:
        """What the database is compared with: the metadata env.py really passed as ``target_metadata`` (the
        project's own: ``SQLModel.metadata``, a ``DeclarativeBase``'s, or several merged), as ``alembic check``
        compares; the configured models when env.py passed none, or one that lacks the models' tables (SG604)."""
        passed = _as_metadata(self.runner.target_metadata)
        return passed if passed is not None and env_problem is None else self.metadata

    def _round_trip(self, initial: Snapshot, head: Snapshot, provenance: Provenance, parsed: Parsed) -> list[Finding]:
        target = self._round_trip_target(parsed)
        if target is None:
            return []
        self.progress.phase("round trip: downgrading")
        self.runner.on_step = lambda direction, *step: self.progress.step(f"round trip: {direction}", *step)
        failure = self.runner.downgrade(target)
        if failure is not None:
            return [revision_failed(failure, self.project)]
        version_table = self.runner.version_table
        if target == "base":
            at_base = take_snapshot(self.connection, version_table=version_table)
            leftovers = compare_snapshots(initial, at_base)
            if leftovers:
                return [self._round_trip_finding(d, provenance, "after downgrading to base")
                        for d in leftovers]
            if at_base.objects == initial.objects:
                # Back where it started, object for object: upgrading again would repeat the first upgrade on the
                # same database (and cost a third pass over the history, the one cost that grew with it).
                return []
        failure = self.runner.upgrade("heads")
        if failure is not None:
            return [revision_failed(failure, self.project, code="SG603",
                                    context="after downgrading, upgrading again fails")]
        again = take_snapshot(self.connection, version_table=version_table)
        return [self._round_trip_finding(d, provenance, "after downgrading and upgrading again")
                for d in compare_snapshots(head, again)]

    def _round_trip_target(self, parsed: Parsed) -> str | None:
        """``base``, or the latest irreversible revision (the round trip stops above it); ``None``: nothing to do."""
        irreversible = [revision.id for revision, source in parsed
                        if source.facts(revision.id, revision.down_revisions).irreversible]
        if not irreversible:
            return "base"
        target = irreversible[-1]
        try:
            steps = self.project.script._downgrade_revs(target, self.runner.current_heads())
        except Exception:
            return None
        through = {step.revision.revision for step in steps}
        if not steps or through & set(irreversible):
            return None
        return target

    def _round_trip_finding(self, difference: Difference, provenance: Provenance, context: str) -> Finding:
        rule = catalogue()["SG603"]()
        return rule.finding(
            f"{context}, {difference.description}",
            _locate(difference, provenance),
            reader="migrations",
            table=difference.table,
            column=difference.name if difference.kind == "column" else None,
            detail=f"{difference.kind}:{difference.name}",
            fix=("Make downgrade() undo everything upgrade() does, in reverse order, including enum types "
                 "(sa.Enum(name=...).drop(op.get_bind())) and indexes."),
        )


def _locate(difference: Difference, provenance: Provenance) -> Location:
    table = difference.table
    if difference.kind in {"type", "sequence"} or table is None:
        return provenance.mentioning(difference.name)
    if difference.kind == "column":
        return provenance.column(table, difference.name)
    if difference.kind == "index":
        return provenance.index(table, difference.name)
    if difference.kind in {"unique", "foreign key"}:
        return provenance.constraint(table, difference.name)
    return provenance.table(table)


def revision_failed(failure: StepFailure, project: MigrationProject, *, code: str = REVISION_RAISES,
                    context: str = "") -> Finding:
    """SG012 (or SG603 during the round trip): the revision, its line, and the database's own error."""
    error = failure.error
    text = database_error_text(error) if isinstance(error, DBAPIError) else error_text(error)
    revision = failure.revision
    if revision is None:
        where, location = "env.py", project.env_location()
    else:
        where, location = f"revision {revision.id}", revision.location(failure.line(), 1 if failure.line() else None)
    prefix = f"{context}: " if context else ""
    return Finding(
        code=code,
        message=f"{prefix}{failure.direction} of {where} fails: {text}",
        location=location,
        reader="migrations",
        severity="error",
        fix=_how_to_fix(error, project),
        detail=f"{revision.id if revision else 'env'}:{failure.direction}",
    )


_RENDERED_MODULES = {"sqlmodel": "import sqlmodel", "sa": "import sqlalchemy as sa",
                     "postgresql": "from sqlalchemy.dialects import postgresql"}
"""Modules autogenerate writes into revisions (SQLModel's ``sqlmodel.sql.sqltypes.AutoString()``, ``sa.``,
``postgresql.``) without the template importing them: the first revision of a new SQLModel project fails so."""


def _how_to_fix(error: BaseException, project: MigrationProject) -> str:
    missing = getattr(error, "name", None) if isinstance(error, NameError) else None
    if missing in _RENDERED_MODULES:
        template = project.relpath(Path(project.script.dir) / "script.py.mako")
        return (f"Add `{_RENDERED_MODULES[missing]}` to the revision, and to {template} so that the revisions "
                "autogenerate writes import it.")
    return "Run the revision against an empty database and fix the statement named in the error."


def _as_metadata(value: object) -> MetaData | None:
    if isinstance(value, MetaData):
        return value
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, MetaData) for v in value):
        merged = MetaData()
        for part in value:
            for table in part.tables.values():
                table.to_metadata(merged)
        return merged
    return None
