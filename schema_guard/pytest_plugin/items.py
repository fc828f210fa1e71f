"""What every schema-guard test item shares: a failure that prints the findings as the CLI does, no traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from schema_guard.findings import Finding


class CheckFailed(Exception):
    """A schema-guard item failed; the message is the report, printed without a traceback."""


class CheckItem(pytest.Item):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_marker("schema_guard")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, CheckFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"schema-guard: {self.nodeid}"

    def fail_with(self, findings: list[Finding], heading: str = "") -> None:
        if not findings:
            return
        from schema_guard.reporters.text import format_finding

        cwd = self.config.invocation_params.dir
        lines = [heading] if heading else []
        lines += [format_finding(finding, cwd) for finding in findings]
        fatal = sum(1 for finding in findings if finding.severity == "fatal")
        stopped = f", {fatal} of them error(s) that stopped a check" if fatal else ""
        lines.append(f"Found {len(findings)} finding(s){stopped}.")
        raise CheckFailed("\n".join(lines))
