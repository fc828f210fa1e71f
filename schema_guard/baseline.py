"""The baseline: findings a team has accepted, so ``check`` fails only on new ones.

A finding's fingerprint is its code, file, table, column, detail and the text of its line with whitespace
removed — not the line number, so edits elsewhere in the file do not resurrect baselined findings. Fingerprints
are counted: two identical findings need two baseline entries.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Collection, Sequence
from functools import lru_cache
from pathlib import Path

from schema_guard.atomic_write import write_atomically
from schema_guard.config import Config, ConfigError
from schema_guard.files import relative
from schema_guard.findings import Finding

FORMAT_VERSION = 1


@lru_cache(maxsize=1024)
def _lines(path: str) -> tuple[str, ...]:
    try:
        return tuple(Path(path).read_text(encoding="utf-8").splitlines())
    except (OSError, UnicodeDecodeError):
        return ()


def _snippet(finding: Finding) -> str:
    if finding.path is None or finding.line is None:
        return ""
    lines = _lines(finding.path)
    text = lines[finding.line - 1] if 0 < finding.line <= len(lines) else ""
    return "".join(text.split("#", 1)[0].split())


def fingerprint(finding: Finding, root: Path) -> str:
    parts = [
        finding.code,
        relative(Path(finding.path), root) if finding.path else "",
        finding.table or "",
        finding.column_name or "",
        # The rule an SG606 finding applied, where earlier versions kept it (existing baselines stay valid).
        f"{finding.origin_code}:{finding.detail}" if finding.origin_code else finding.detail,
        _snippet(finding),
    ]
    import hashlib  # here, not at the top: most runs have no baseline file and never hash

    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:20]


def write_baseline(
    findings: Sequence[Finding], config: Config, path: Path | None = None, *, keep_codes: Collection[str] = ()
) -> Path:
    """Write every non-fatal finding to the baseline file, replacing it (fixed findings drop out) — except the
    existing entries with ``keep_codes``, which this run did not check (the migration gate's, on a model-only run)."""
    _lines.cache_clear()
    target = path or config.baseline_path()
    kept = [entry for entry in _entries(target) if entry.get("code") in keep_codes]
    entries = kept + [
        {
            "fingerprint": fingerprint(f, config.root),
            "code": f.code,
            "path": relative(Path(f.path), config.root) if f.path else None,
            "table": f.table,
            "column_name": f.column_name,
            "message": f.message,
        }
        for f in sorted(findings, key=Finding.sort_key)
        if f.severity != "fatal"
    ]
    import json

    document = {"version": FORMAT_VERSION, "tool": "schema-guard", "findings": entries}
    try:  # atomic: a reader (another CI job, an editor) never sees it empty or half written
        write_atomically(Path(os.path.realpath(target)), (json.dumps(document, indent=2) + "\n").encode("utf-8"))
    except OSError as error:
        raise ConfigError(f"{target}: cannot write the baseline: {error.strerror or error}") from None
    return target


def _entries(path: Path) -> list[dict[str, object]]:
    """The entries of an existing baseline; a path that is not a regular file, not UTF-8, not JSON or of another
    format version is refused, naming it (reading it as empty would resurrect every accepted finding, or drop
    entries when the file is rewritten)."""
    if not os.path.lexists(path):
        return []
    if not path.is_file():
        raise ConfigError(f"{path}: the baseline is not a regular file")
    import json

    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        version = document["version"]
        if version != FORMAT_VERSION:
            raise ConfigError(f"{path}: baseline format version {version!r} is not supported (this schema-guard "
                              f"reads version {FORMAT_VERSION}); write a new one with `schema-guard baseline`")
        return list(document["findings"])
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the baseline: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: the baseline is not UTF-8 ({error.reason})") from None
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise ConfigError(f"{path}: not a schema-guard baseline ({type(error).__name__}: {error})") from None


def load_baseline(path: Path) -> Counter[str] | None:
    """The fingerprints in the baseline file, or ``None`` when there is none."""
    if not os.path.lexists(path):
        return None
    try:
        return Counter(str(entry["fingerprint"]) for entry in _entries(path))
    except (KeyError, TypeError) as error:
        raise ConfigError(f"{path}: not a schema-guard baseline ({type(error).__name__}: {error})") from None


def apply_baseline(findings: Sequence[Finding], config: Config, path: Path | None = None) -> tuple[list[Finding], int]:
    """The findings the baseline does not hold, and how many it held."""
    _lines.cache_clear()
    known = load_baseline(path or config.baseline_path())
    if not known:
        return list(findings), 0
    kept = []
    for finding in findings:
        key = fingerprint(finding, config.root)
        if finding.severity != "fatal" and known[key] > 0:
            known[key] -= 1
        else:
            kept.append(finding)
    return kept, len(findings) - len(kept)
