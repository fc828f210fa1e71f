"""Checks of the Alembic environment that need no database: a single head (SG602), env.py's metadata (SG604)."""

from __future__ import annotations

import re

from schema_guard.findings import Finding
from schema_guard.gate.alembic import envpy
from schema_guard.gate.alembic.revisions import MigrationProject, Revision
from schema_guard.rules.registry import catalogue


def single_head(project: MigrationProject, in_scope: set[str] | None) -> list[Finding]:
    """SG602, once, at the head a change most likely added: one in ``--since`` scope, else the one with the latest
    ``Create Date``, else the last file name."""
    heads = project.heads()
    if len(heads) < 2:
        return []
    culprit = max(heads, key=lambda r: (in_scope is not None and r.id in in_scope, _create_date(r), r.relpath))
    listed = ", ".join(f"{h.id} ({h.relpath})" for h in heads)
    rule = catalogue()["SG602"]()
    return [rule.finding(
        f"{len(heads)} migration heads: {listed}; `alembic upgrade head` refuses to run",
        culprit.location(_down_revision_line(culprit), 1),
        reader="migrations",
        detail="heads",
        fix=(f"Set down_revision of {culprit.id} to the other head, or run `alembic merge heads` "
             "and commit the merge revision."),
    )]


def _create_date(revision: Revision) -> str:
    """The ``Create Date:`` Alembic writes into a revision's docstring ("" when there is none)."""
    match = re.search(r"^Create Date:\s*(.+)$", _text(revision), re.MULTILINE)
    return match.group(1).strip() if match else ""


def _text(revision: Revision) -> str:
    try:
        return revision.path.read_text(encoding="utf-8")
    except OSError:
        return ""


def _down_revision_line(revision: Revision) -> int:
    text = _text(revision)
    match = re.search(r"^down_revision\b", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def env_target_metadata(project: MigrationProject) -> list[Finding]:
    """SG604 from reading env.py (the gate adds the runtime check once env.py has run)."""
    problem = envpy.static_problem(project.env_path)
    if problem is None:
        return []
    return [env_finding(project, problem.message, problem.line)]


def env_finding(project: MigrationProject, message: str, line: int) -> Finding:
    rule = catalogue()["SG604"]()
    return rule.finding(message, project.env_location(line), reader="migrations",
                        detail="target_metadata")
