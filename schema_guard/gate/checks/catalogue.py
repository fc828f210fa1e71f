"""The migration gate's checks as named objects, the way pytest-alembic names its tests: each says what it proves,
which finding codes it can report and how the gate runs it.

The gate itself runs every check in one pass through one throwaway database (:mod:`schema_guard.gate`); this
catalogue is what the pytest items (one item per check), ``schema-guard baseline`` (which codes a model-only run
leaves to the gate) and the documentation read, so the code lists live in one place.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GateCheck:
    name: str
    """The check's name, a pytest item's name: ``single-head``, ``round-trip``."""
    proves: str
    """What a passing check proves, as one sentence."""
    codes: tuple[str, ...]
    """The finding codes (or code prefixes, ``SG65``) it can report."""
    runs: str
    """How the gate runs it."""

    def reports(self, code: str) -> bool:
        return any(code.startswith(prefix) for prefix in self.codes)


GATE_CHECKS: tuple[GateCheck, ...] = (
    GateCheck("single-head", "the revision graph has a single head", ("SG602",),
              "reads the revision graph from the script directory, before any database work"),
    GateCheck("upgrade", "every revision upgrades an empty database, one at a time, to head", ("SG012",),
              "upgrades the throwaway database one revision at a time, naming the revision that raises"),
    GateCheck("model-matches-database",
              "the migrated database matches the models, and env.py hands Alembic their metadata",
              ("SG601", "SG604"),
              "compares the schema reflected at head with the models, and env.py's target_metadata with them"),
    GateCheck("head-schema-rules", "the migrated schema follows the key and tenancy rules", ("SG606",),
              "runs the selected database fact rules on the schema reflected at head"),
    GateCheck("round-trip", "downgrade to base and upgrade again gives the same schema", ("SG603", "SG607"),
              "downgrades to base (or to above the last irreversible revision), compares, and upgrades again"),
    GateCheck("revision-safety", "each revision is safe on a live database and keeps tenancy", ("SG605", "SG65"),
              "judges each revision's op.* calls in that revision's context, read with libcst, without a database"),
)
"""Every check, in the order the gate reports them. Fatal findings (no database, a broken alembic.ini) belong to
every check; a code no check claims belongs to ``upgrade``."""

FALLBACK = "upgrade"
REVISION_RULES = "revision-safety"
"""The check that runs every per-revision rule, a plugin's too."""


def check_of(code: str) -> GateCheck:
    """The check that reports ``code``."""
    claimed = next((check for check in GATE_CHECKS if check.reports(code)), None)
    if claimed is None:
        claimed = _named(REVISION_RULES if _is_revision_rule(code) else FALLBACK)
    return claimed


def reported_by_the_gate(code: str) -> bool:
    """Whether some gate check can report ``code`` (a model-only baseline keeps the gate's entries)."""
    return any(check.reports(code) for check in GATE_CHECKS) or _is_revision_rule(code)


def _named(name: str) -> GateCheck:
    return next(check for check in GATE_CHECKS if check.name == name)


def _is_revision_rule(code: str) -> bool:
    """``code`` is a per-revision rule's (a plugin's, since the core ones are claimed by their codes)."""
    from schema_guard.rules.registry import catalogue
    from schema_guard.rules.revision import RevisionRule

    rule = catalogue().get(code)
    return rule is not None and issubclass(rule, RevisionRule)
