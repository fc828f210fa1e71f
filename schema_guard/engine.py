"""The check pipeline: readers → facts → rules → findings → one per violation → suppressions → result.

Readers and rules never decide exit codes; this module gathers their findings (fatal ones included) into a
:class:`CheckResult`, and the CLI and the pytest plugin decide what to do with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from schema_guard.config import Config, ConfigError
from schema_guard.facts import Location, SchemaFacts
from schema_guard.files import absolute, discover, matches_glob
from schema_guard.findings import Finding
from schema_guard.rules.base import RuleContext, catalogue, fact_rules
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
    facts.__dict__["_memo"] = {}  # see schema_guard.facts.memo
    try:
        for rule in fact_rules():
            if facts.reader in rule.readers and (selection is None or selection.enabled(rule.code)):
                findings.extend(rule.check(facts, context))
    finally:
        facts.__dict__.pop("_memo", None)
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
    if not paths:
        missing = [p for p in config.src_paths() if not p.exists()]
        if missing:
            raise ConfigError(f"{config.source or config.root}: src path '{missing[0]}' does not exist")
    if not use_source and not config.models:
        raise ConfigError(f"{config.source or config.root}: nothing to check: no `models` configured for the metadata reader")
    files = discover(paths or config.src_paths(), config.root, config.exclude) if use_source else []
    collected: list[SchemaFacts] = []
    if use_source:
        from schema_guard.readers.source import read_source

        checked = set(files)
        # The configured ``src`` lends the rest of the project as context; when the paths are ``src`` itself (as
        # given on the command line), every file of it is checked and there is nothing to lend.
        same = paths and sorted(map(absolute, paths)) == sorted(map(absolute, config.src_paths()))
        context_files = discover(config.src_paths(), config.root, config.exclude) if paths and not same else []
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
    findings = report_once(trust_imported_models(raw, collected))
    if paths and use_metadata:
        checked = {absolute(f) for f in files}
        findings = [f for f in findings if f.severity == "fatal" or (f.path and absolute(f.path) in checked)]
    findings = [f for f in findings if f.severity == "fatal" or not ignored_for_file(f, config)]
    kept, suppressed = apply_suppressions(findings, files, collected, selection)
    result = CheckResult(findings=kept, suppressed=suppressed, files=files, facts=collected)
    if use_baseline:
        from schema_guard.baseline import apply_baseline

        apply_baseline(result, config)
    result.findings.sort(key=Finding.sort_key)
    return result


def trust_imported_models(findings: list[Finding], collected: Sequence[SchemaFacts]) -> list[Finding]:
    """Drop source findings that the metadata reader contradicts.

    Where a table was imported, SQLAlchemy's view of it is ground truth (``@declared_attr``, helper functions that
    return ``Field()``, indexes built outside the class): a rule that also runs on imported models and did not fire
    there did not find a real violation, whatever the source text suggested."""
    imported = {t.name for facts in collected if facts.reader == "metadata" for t in facts.tables}
    if not imported:
        return findings
    confirmed = {f.identity() for f in findings if f.reader == "metadata"}
    rules = catalogue()
    return [
        f
        for f in findings
        if not (
            f.reader == "source"
            and f.table in imported
            and "metadata" in rules[f.code].readers
            and f.identity() not in confirmed
        )
    ]


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


def ignored_for_file(finding: Finding, config: Config) -> bool:
    """``per-file-ignores``: the finding's file matches a glob that lists its code (or a prefix of it)."""
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
        readers = {reader_facts.reader for reader_facts in facts}
        kept.extend(_unused(index, selection, readers, {absolute(f) for f in files}))
    return kept, suppressed


def _class_lines(facts: Sequence[SchemaFacts]) -> dict[tuple[str | None, str | None], int | None]:
    lines: dict[tuple[str | None, str | None], int | None] = {}
    for reader_facts in facts:
        for table in reader_facts.tables:
            lines.setdefault((table.name, _resolved(table.location.path)), table.location.line)
    return lines


def _resolved(path: str | None) -> str | None:
    return absolute(path) if path else None


def _unused(index: SuppressionIndex, selection: Selection, readers: set[str], checked: set[str]) -> list[Finding]:
    """Suppressions that silenced nothing, judging only codes that an enabled rule of a reader that ran could
    have reported (``--source-only`` cannot tell whether a suppression of a metadata-only rule is stale)."""
    rules = catalogue()
    rule = rules["SG003"]()
    enabled = {code for code in selection.enabled_codes() if readers & set(rules[code].readers)}
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
