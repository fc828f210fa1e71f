"""Machine output: a JSON list of findings with the stable keys of DESIGN.md, plus ``fix`` and ``tool_version``
(the schema-guard version that produced it: the list stays a list, so consumers of the stable shape keep working)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from schema_guard import __version__
from schema_guard.reporters import display_path

if TYPE_CHECKING:
    from schema_guard.result import CheckResult


def render(result: CheckResult, cwd: Path) -> str:
    items = []
    for finding in result.findings:
        item = finding.to_json()
        item["path"] = display_path(finding.path, cwd) if finding.path else None
        item["tool_version"] = __version__
        items.append(item)
    return json.dumps(items, indent=2) + "\n"
