"""GitHub Actions workflow commands: each finding becomes an annotation on the pull request's diff."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from schema_guard.reporters import display_path
from schema_guard.reporters.text import summary

if TYPE_CHECKING:
    from schema_guard.result import CheckResult


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape(text).replace(":", "%3A").replace(",", "%2C")


def render(result: CheckResult, cwd: Path) -> str:
    lines = []
    for finding in result.findings:
        properties = [f"title={_escape_property(finding.code)}"]
        if finding.path:
            properties.insert(0, f"file={_escape_property(display_path(finding.path, cwd))}")
        if finding.line is not None:
            properties.append(f"line={finding.line}")
            properties.append(f"col={finding.column or 1}")
        message = finding.message + (f" — {finding.fix}" if finding.fix else "")
        lines.append(f"::error {','.join(properties)}::{_escape(f'{finding.code} {message}')}")
    lines.append(summary(result))
    return "\n".join(lines) + "\n"
