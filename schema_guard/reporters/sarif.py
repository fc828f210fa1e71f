"""SARIF 2.1.0 for GitHub code scanning: one run, every rule of the catalogue, one result per finding.

Each rule carries its summary, rationale and the whole ``schema-guard explain`` page as Markdown help, with a link
into docs/rules.md. Each result points at its file relative to ``%SRCROOT%`` (the working directory, where the
workflow checks out the repository) and carries the baseline fingerprint as a partial fingerprint, so code scanning
tracks a finding across edits that move it to another line.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from schema_guard.baseline import fingerprint
from schema_guard.findings import Finding
from schema_guard.reporters import display_path

if TYPE_CHECKING:
    from schema_guard.result import CheckResult
    from schema_guard.rules.base import Rule

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
TOOL_NAME = "schema-guard"
FALLBACK_REPOSITORY = "https://github.com/schema-guard/schema-guard"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "schemaGuardFingerprint/v1"
CONFIG_FILE = "pyproject.toml"
"""Where a finding with no file of its own (an unreachable database, say) is shown: GitHub needs a location."""


def render(result: CheckResult, cwd: Path) -> str:
    rules = _rule_descriptors()
    index = {rule["id"]: position for position, rule in enumerate(rules)}
    results = []
    for finding in result.findings:
        if finding.code not in index:
            index[finding.code] = len(rules)
            rules.append({"id": finding.code, "shortDescription": {"text": finding.code}})
        results.append(_result(finding, index[finding.code], cwd))
    run: dict[str, Any] = {
        "tool": {"driver": _driver(rules)},
        "originalUriBaseIds": {SRCROOT: {"uri": cwd.resolve().as_uri().rstrip("/") + "/"}},
        "invocations": [{"executionSuccessful": not result.fatal}],
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {"suppressed": result.suppressed, "baselined": result.baselined},
    }
    log = {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}
    return json.dumps(log, indent=2) + "\n"


def rules_doc_url() -> str:
    """docs/rules.md in the project's repository (``[project.urls] Repository`` where the package declares it)."""
    return f"{_repository()}/blob/main/docs/rules.md"


def rule_anchor(rule: type[Rule]) -> str:
    """The anchor of a rule's section in docs/rules.md (``## SG203 unindexed-tenant-column``)."""
    return f"{rule.code.lower()}-{rule.name}"


def _driver(rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": TOOL_NAME,
        "version": _version(),
        "semanticVersion": _version(),
        "informationUri": _repository(),
        "rules": rules,
    }


def _rule_descriptors() -> list[dict[str, Any]]:
    from schema_guard.rule_docs import explain
    from schema_guard.rules.registry import catalogue, is_core

    descriptors = []
    for code, rule in catalogue().items():
        descriptor = {
            "id": code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": rule.rationale},
            "help": {"text": rule.how_to_fix, "markdown": explain(code)},
            "helpUri": f"{rules_doc_url()}#{rule_anchor(rule)}",
            "defaultConfiguration": {"enabled": not rule.opt_in, "level": "error"},
            "properties": {"readers": list(rule.readers), "fixable": rule.fixable, "tags": ["schema"]},
        }
        if not is_core(rule):  # a team's own rule: documented by `explain`, not in schema-guard's docs/rules.md
            del descriptor["helpUri"]
            descriptor["properties"]["tags"] = ["schema", "plugin"]
        descriptors.append(descriptor)
    return descriptors


def _result(finding: Finding, rule_index: int, cwd: Path) -> dict[str, Any]:
    item: dict[str, Any] = {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": "error",
        "message": {"text": _message(finding)},
        "locations": _locations(finding, cwd),
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding, cwd)},
        "properties": {
            key: value
            for key, value in (
                ("table", finding.table), ("column_name", finding.column_name),
                ("reader", finding.reader), ("severity", finding.severity),
                ("origin_code", finding.origin_code),
            )
            if value is not None
        },
    }
    if not item["locations"]:
        del item["locations"]
    return item


def _message(finding: Finding) -> str:
    """The finding's message, with its fix where that says more than the rule's general advice."""
    from schema_guard.rules.registry import catalogue

    rule = catalogue().get(finding.code)
    general = rule.how_to_fix if rule is not None else None
    if finding.fix and finding.fix != general:
        return f"{finding.message} — {finding.fix}"
    return finding.message


def _locations(finding: Finding, cwd: Path) -> list[dict[str, Any]]:
    if finding.path is None:
        if not (cwd / CONFIG_FILE).is_file():
            return []
        return [{"physicalLocation": {"artifactLocation": {"uri": CONFIG_FILE, "uriBaseId": SRCROOT}}}]
    physical: dict[str, Any] = {"artifactLocation": _artifact(finding.path, cwd)}
    if finding.line is not None:
        physical["region"] = {"startLine": finding.line, "startColumn": finding.column or 1}
    return [{"physicalLocation": physical}]


def _artifact(path: str, cwd: Path) -> dict[str, str]:
    """A URI relative to ``%SRCROOT%`` for files below the working directory, an absolute file URI otherwise."""
    shown = display_path(path, cwd)
    if Path(shown).is_absolute():
        return {"uri": Path(os.path.realpath(shown)).as_uri()}
    return {"uri": quote(shown), "uriBaseId": SRCROOT}


def _version() -> str:
    from schema_guard import __version__

    return __version__


@lru_cache(maxsize=1)
def _repository() -> str:
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        urls = metadata("schema-guard").get_all("Project-URL") or []
    except PackageNotFoundError:
        urls = []
    by_label = {label.strip().lower(): url.strip() for label, _, url in (u.partition(",") for u in urls)}
    for label in ("repository", "source", "homepage"):
        if by_label.get(label, "").startswith("https://github.com/"):
            return by_label[label].rstrip("/")
    return FALLBACK_REPOSITORY
