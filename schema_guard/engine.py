"""The check pipeline: readers → facts → rules → findings → one per violation → suppressions → result.

Readers and rules never decide exit codes; this module gathers their findings (fatal ones included) into a
:class:`CheckResult`, and the CLI and the pytest plugin decide what to do with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from schema_guard.config import Config
from schema_guard.facts import Location, SchemaFacts
from schema_guard.files import absolute, discover, matches_glob
from schema_guard.findings import Finding
from schema_guard.rules.base import RuleContext, fact_rules
from schema_guard.selection import Selection
from schema_guard.suppressions import SuppressionIndex

READER_PRECISION = {"source": 0, "metadata": 1, "database": 2, "migrations": 3, "runtime": 4}


@dataclass
class CheckResult:
    findings: list[Finding]
    """What to report: enabled, not suppressed, not in the baseline; sorted by location."""
    suppressed: int = 0
    baselined: int = 0
    files: list[Path] = field(default_factory=list)
    facts: list[SchemaFacts] = field(default_factory=list)

    @property
    def fatal(self) -> bool:
        return any(f.severity == "fatal" for f in self.findings)

    @property
    def exit_code(self) -> int:
        if self.fatal:
            return 2
        return 1 if self.findings else 0


def evaluate(facts: SchemaFacts, context: RuleContext, selection: Selection | None = None) -> list[Finding]:
    """Run every enabled fact rule that applies to this reader over ``facts``."""
    findings = list(facts.problems)
    for rule in fact_rules():
        if facts.reader in rule.readers and (selection is None or selection.enabled(rule.code)):
            findings.extend(rule.check(facts, context))
    return findings


def read_facts(
    config: Config,
    paths: Sequence[Path] | None,
    *,
    use_source: bool = True,
    use_metadata: bool = True,
) -> tuple[list[Path], list[SchemaFacts]]:
    """Run the readers: the source reader on ``paths`` (default: configured ``src``), the metadata reader on
    the configured model modules."""
    files = discover(paths or config.src_paths(), config.root, config.exclude) if use_source else []
    collected: list[SchemaFacts] = []
    if use_source:
        from schema_guard.readers.source import read_source

        checked = set(files)
        context_files = discover(config.src_paths(), config.root, config.exclude) if paths else []
        collected.append(read_source(files, context_files=[f for f in context_files if f not in checked]))
    if use_metadata and config.models:
        from schema_guard.readers.metadata import read_metadata

        collected.append(read_metadata(config.models, config.root))
    return files, collected


def run_check(
    config: Config,
    paths: Sequence[Path] | None = None,
    *,
    selection: Selection | None = None,
    use_source: bool = True,
    use_metadata: bool = True,
    use_baseline: bool = True,
) -> CheckResult:
    """Check the models of a project: the whole pipeline behind ``schema-guard check`` and ``pytest --schema-guard``."""
    selection = selection or Selection.from_config(config)
    files, collected = read_facts(config, paths, use_source=use_source, use_metadata=use_metadata)
    context = RuleContext(tenancy=config.tenancy)
    raw = [finding for facts in collected for finding in evaluate(facts, context, selection)]
    findings = report_once(raw)
    if paths and use_metadata:
        checked = {absolute(f) for f in files}
        findings = [f for f in findings if f.severity == "fatal" or (f.path and absolute(f.path) in checked)]
    findings = [f for f in findings if f.severity == "fatal" or not _ignored_for_file(f, config)]
    kept, suppressed = apply_suppressions(findings, files, collected, selection)
    result = CheckResult(findings=kept, suppressed=suppressed, files=files, facts=collected)
    if use_baseline:
        from schema_guard.baseline import apply_baseline

        apply_baseline(result, config)
    result.findings.sort(key=Finding.sort_key)
    return result


def report_once(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per violation: where two readers report the same one, keep the most precise location."""
    best: dict[tuple[object, ...], Finding] = {}
    for finding in findings:
        # Findings about no table (a class, a call, a comment) are told apart by where they are.
        where = (finding.path and absolute(finding.path), finding.line) if finding.table is None else None
        key = (*finding.identity(), where)
        current = best.get(key)
        if current is None or _more_precise(finding, current):
            best[key] = finding
    return list(best.values())


def _more_precise(candidate: Finding, current: Finding) -> bool:
    if (candidate.line is None) != (current.line is None):
        return candidate.line is not None
    return READER_PRECISION.get(candidate.reader, 9) < READER_PRECISION.get(current.reader, 9)


def _ignored_for_file(finding: Finding, config: Config) -> bool:
    return any(
        matches_glob(finding.path, config.root, glob) and any(finding.code.startswith(c) for c in codes)
        for glob, codes in config.per_file_ignores.items()
    )


def apply_suppressions(
    findings: list[Finding], files: Sequence[Path], facts: Sequence[SchemaFacts], selection: Selection
) -> tuple[list[Finding], int]:
    """Drop findings silenced by an inline comment on their line or their model's class line; report unused
    suppressions in the files the source reader read (SG003)."""
    index = SuppressionIndex()
    for path in {*files, *(Path(f.path) for f in findings if f.path)}:
        index.add_file(path)
    class_lines = _class_lines(facts)
    kept: list[Finding] = []
    for finding in findings:
        class_line = class_lines.get((finding.table, _resolved(finding.path)))
        if finding.severity != "fatal" and index.match(finding.code, finding.path, [finding.line, class_line]):
            continue
        kept.append(finding)
    suppressed = len(findings) - len(kept)
    if selection.enabled("SG003"):
        kept.extend(_unused(index, selection, {absolute(f) for f in files}))
    return kept, suppressed


def _class_lines(facts: Sequence[SchemaFacts]) -> dict[tuple[str | None, str | None], int | None]:
    lines: dict[tuple[str | None, str | None], int | None] = {}
    for reader_facts in facts:
        for table in reader_facts.tables:
            lines.setdefault((table.name, _resolved(table.location.path)), table.location.line)
    return lines


def _resolved(path: str | None) -> str | None:
    return absolute(path) if path else None


def _unused(index: SuppressionIndex, selection: Selection, checked: set[str]) -> list[Finding]:
    from schema_guard.rules.base import catalogue

    rule = catalogue()["SG003"]()
    enabled = selection.enabled_codes()
    findings = []
    for suppression in index.all:
        if absolute(suppression.path) not in checked:
            continue
        for code in suppression.unused_codes(enabled):
            what = "bare `schema-guard: ignore`" if code == "*" else f"suppression of {code}"
            findings.append(
                rule.finding(
                    f"unused {what}: nothing is reported here",
                    Location(suppression.path, suppression.line, suppression.column),
                    reader="source", detail=code,
                )
            )
    return findings
