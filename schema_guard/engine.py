"""The check pipeline: readers → facts → rules → findings → one per violation → the decider → result.

Readers and rules never decide exit codes; this module gathers their findings (fatal ones included), merges what two
readers report about one violation, and hands them to :class:`~schema_guard.decide.Decider`, which decides what is
reported. The CLI and the pytest plugin decide what to do with the :class:`CheckResult`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from schema_guard.config import Config, ConfigError
from schema_guard.decide import Decider
from schema_guard.facts import SchemaFacts
from schema_guard.files import Discovered, absolute, discover, walk
from schema_guard.findings import Finding
from schema_guard.result import CheckResult
from schema_guard.rules.base import RuleContext
from schema_guard.rules.inherited import once_per_definition
from schema_guard.rules.registry import catalogue, fact_rules

__all__ = ["CheckResult", "evaluate", "read_facts", "report_once", "run_check"]

READER_PRECISION = {"source": 0, "metadata": 1, "database": 2, "migrations": 3, "runtime": 4}


def evaluate(facts: SchemaFacts, context: RuleContext, decider: Decider | None = None) -> list[Finding]:
    """Run every enabled fact rule (default: every rule) that applies to this reader over ``facts``."""
    findings = list(facts.problems)
    context = context.for_facts(facts)
    for rule in fact_rules():
        if facts.reader in rule.readers and (decider is None or decider.enabled(rule.code)):
            findings.extend(once_per_definition(rule.check(facts, context.for_rule(rule.code))))
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
    discovered = walk(paths or config.src_paths(), config.root, config.exclude) if use_source else Discovered()
    files = discovered.files
    collected: list[SchemaFacts] = []
    if use_source:
        from schema_guard.cache import source_cache
        from schema_guard.project_index import SourceTree
        from schema_guard.readers.source import read_source

        # The configured ``src`` lends the rest of the project as context; when the paths are ``src`` itself (as
        # given on the command line), every file of it is checked and there is nothing to lend.
        same = paths and sorted(map(absolute, paths)) == sorted(map(absolute, config.src_paths()))
        partial = bool(paths) and not same
        cache = source_cache(config.root, config.cache_dir)
        if cache is not None:
            tree = SourceTree(tuple(config.src_paths()), config.root, tuple(config.exclude)) if partial else None
            collected.append(cache.read(files, tree=tree))
        else:
            checked = set(files)
            context_files = discover(config.src_paths(), config.root, config.exclude) if partial else []
            collected.append(read_source(files, context_files=[f for f in context_files if f not in checked]))
        if discovered.problems:  # folders that cannot be listed, symlink loops
            collected.append(SchemaFacts(reader="source", problems=discovered.problems))
    if use_metadata and config.models:
        from schema_guard.config import model_entries
        from schema_guard.readers.metadata import read_metadata

        collected.append(read_metadata(config.models, config.root, model_entries(config)))
    return files, collected


def run_check(
    config: Config,
    paths: Sequence[Path] | None = None,
    *,
    decider: Decider | None = None,
    use_source: bool = True,
    use_metadata: bool = True,
) -> CheckResult:
    """Check the models of a project: the whole pipeline behind ``schema-guard check`` and ``pytest --schema-guard``.
    ``decider`` (default: the configuration's) decides what is reported."""
    decider = decider or Decider.from_config(config)
    files, collected = read_facts(config, paths, use_source=use_source, use_metadata=use_metadata)
    context = RuleContext(tenancy=config.tenancy, rule_options=config.rule_options)
    raw = [finding for facts in collected for finding in evaluate(facts, context, decider)]
    findings = report_once(trust_imported_models(raw, collected))
    if paths and use_metadata:
        checked = {absolute(f) for f in files}
        findings = [f for f in findings if f.severity == "fatal" or (f.path and absolute(f.path) in checked)]
    return decider.decide(findings, files=files, facts=collected)


def trust_imported_models(findings: list[Finding], collected: Sequence[SchemaFacts]) -> list[Finding]:
    """Drop source findings that the metadata reader contradicts.

    Where a table was imported, SQLAlchemy's view of it is ground truth (``@declared_attr``, helper functions that
    return ``Field()``, indexes built outside the class): a rule that also runs on imported models and did not fire
    there did not find a real violation, whatever the source text suggested."""
    imported = {t.name for facts in collected if facts.reader == "metadata" for t in facts.tables}
    if not imported:
        return findings
    confirmed = {f.identity() for f in findings if f.reader == "metadata"}
    # A class whose table name the source reader could not know (a base's ``__init_subclass__`` renames it) is
    # reported under a placeholder name; the metadata reader judged the real table of the same class.
    classes = {(t.class_name, t.module) for facts in collected if facts.reader == "metadata" for t in facts.tables}
    renamed = {
        t.name for facts in collected if facts.reader == "source" for t in facts.tables
        if not t.name_known and (t.class_name, t.module) in classes
    }
    rules = catalogue()
    return [
        f
        for f in findings
        if not (
            f.reader == "source"
            and "metadata" in rules[f.code].readers
            and (f.table in renamed or (f.table in imported and f.identity() not in confirmed))
        )
    ]


def report_once(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per violation: where two readers report the same one, keep the most precise location."""
    best: dict[tuple[object, ...], Finding] = {}
    one_reader = _single_reader_codes()
    for finding in findings:
        # Findings about no table (a class, a call, a comment) are told apart by where they are, and so are those
        # of a rule only one reader runs (two files' unscoped queries on one table are two violations, even in
        # functions of the same name): there is no other reader's copy to merge them with.
        located = finding.table is None or finding.code in one_reader
        where = (finding.path and absolute(finding.path), finding.line) if located else None
        key = (*finding.identity(), where)
        current = best.get(key)
        if current is None or _more_precise(finding, current):
            best[key] = finding
    return list(best.values())


def _single_reader_codes() -> frozenset[str]:
    return frozenset(code for code, rule in catalogue().items() if len(getattr(rule, "readers", ())) == 1)


def _more_precise(candidate: Finding, current: Finding) -> bool:
    if (candidate.line is None) != (current.line is None):
        return candidate.line is not None
    return READER_PRECISION.get(candidate.reader, 9) < READER_PRECISION.get(current.reader, 9)
