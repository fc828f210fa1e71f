"""The decider: the one place that decides which findings are reported, for every finding stream.

``check``, ``migrations``, ``baseline``, the pytest items and the tenant guard all ask a :class:`Decider` built from
the configuration and the command line: which rules are on (``select``/``ignore``/``extend-select``), which
findings ``per-file-ignores`` and inline ``# schema-guard: ignore[...]`` comments silence (and which of those
comments silenced nothing, SG003), and which the baseline accepts. A finding that applies another rule (SG606
runs the key and tenancy rules on the migrated schema) is judged under both codes: ``--ignore SG203`` also drops
"SG606 SG203 at head". Fatal findings (the tool could not check something) are never deselected, suppressed or
baselined.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from schema_guard.baseline import apply_baseline
from schema_guard.config import Config
from schema_guard.facts import Location, SchemaFacts
from schema_guard.files import absolute, matches_glob
from schema_guard.findings import Finding
from schema_guard.result import CheckResult
from schema_guard.rules.registry import catalogue, load_plugins
from schema_guard.selection import Selection
from schema_guard.suppressions import SuppressionIndex

UNUSED_SUPPRESSION = "SG003"


@dataclass(frozen=True)
class Decider:
    """What to report for one run: the configuration's selection with the command line's applied on top."""

    config: Config
    selection: Selection
    use_baseline: bool = True

    @classmethod
    def from_config(
        cls,
        config: Config,
        *,
        select: Iterable[str] | None = None,
        ignore: Iterable[str] | None = None,
        extend_select: Iterable[str] | None = None,
        use_baseline: bool = True,
    ) -> Decider:
        """The configuration's selection, with command-line options replacing (``select``) or extending it. The
        configuration's plugins are loaded first; every code or prefix is then validated, those of
        ``per-file-ignores`` too (a typo would silently select nothing)."""
        load_plugins(config)
        selection = Selection(
            select=tuple(select) if select else config.select,
            ignore=tuple(config.ignore) + tuple(ignore or ()),
            extend_select=tuple(config.extend_select) + tuple(extend_select or ()),
        )
        selection.validate()
        for glob, codes in config.per_file_ignores.items():
            Selection(select=codes).validate(only_key=f"per-file-ignores '{glob}'")
        return cls(config=config, selection=selection, use_baseline=use_baseline)

    def enabled(self, code: str) -> bool:
        """Whether the rule ``code`` runs (and its findings are reported)."""
        return self.selection.enabled(code)

    def selected(self, finding: Finding) -> bool:
        """Whether ``finding`` survives the selection and ``per-file-ignores``: its code and, for a finding that
        applies another rule, that rule's code must both be on and not ignored for its file."""
        if finding.severity == "fatal":
            return True
        return all(self.enabled(code) and not self._ignored_for_file(finding, code) for code in _codes(finding))

    def decide(
        self, findings: Iterable[Finding], *, files: Sequence[Path] = (), facts: Sequence[SchemaFacts] = ()
    ) -> CheckResult:
        """The findings to report: selected, not suppressed inline, not in the baseline, sorted by location.
        ``files`` are the files the source reader checked (their unused suppressions are SG003 findings) and
        ``facts`` the readers' facts (a suppression on a model's ``class`` line covers the whole model)."""
        chosen = [finding for finding in findings if self.selected(finding)]
        kept, suppressed = self._suppress(chosen, files, facts)
        result = CheckResult(findings=kept, suppressed=suppressed, files=list(files), facts=list(facts))
        if self.use_baseline:
            result.findings, result.baselined = apply_baseline(result.findings, self.config)
        result.findings.sort(key=Finding.sort_key)
        return result

    def _ignored_for_file(self, finding: Finding, code: str) -> bool:
        return any(
            matches_glob(finding.path, self.config.root, glob) and any(code.startswith(c) for c in codes)
            for glob, codes in self.config.per_file_ignores.items()
        )

    def _suppress(
        self, findings: list[Finding], files: Sequence[Path], facts: Sequence[SchemaFacts]
    ) -> tuple[list[Finding], int]:
        """Drop findings silenced by an inline comment on their line or their model's class line; report the unused
        suppressions in ``files`` (SG003)."""
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
        if self.enabled(UNUSED_SUPPRESSION):
            readers = {reader_facts.reader for reader_facts in facts}
            kept.extend(self._unused(index, readers, {absolute(f) for f in files}))
        return kept, suppressed

    def _unused(self, index: SuppressionIndex, readers: set[str], checked: set[str]) -> list[Finding]:
        """Suppressions that silenced nothing, judging only codes that an enabled rule of a reader that ran could
        have reported (``--source-only`` cannot tell whether a suppression of a metadata-only rule is stale)."""
        rules = catalogue()
        rule = rules[UNUSED_SUPPRESSION]()
        enabled = {code for code in self.selection.enabled_codes() if readers & set(rules[code].readers)}
        findings = []
        for suppression in index.all:
            if absolute(suppression.path) not in checked:
                continue
            for code, message in suppression.problems(enabled, set(rules)):
                findings.append(
                    rule.finding(message, Location(suppression.path, suppression.line, suppression.column),
                                 reader="source", detail=code)
                )
        return findings


def _codes(finding: Finding) -> tuple[str, ...]:
    return (finding.code, finding.origin_code) if finding.origin_code else (finding.code,)


def _class_lines(facts: Sequence[SchemaFacts]) -> dict[tuple[str | None, str | None], int | None]:
    lines: dict[tuple[str | None, str | None], int | None] = {}
    for reader_facts in facts:
        for table in reader_facts.tables:
            lines.setdefault((table.name, _resolved(table.location.path)), table.location.line)
    return lines


def _resolved(path: str | None) -> str | None:
    return absolute(path) if path else None
