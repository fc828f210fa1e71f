"""Which rules run: ``select`` / ``extend-select`` / ``ignore`` by code prefix, the most specific prefix wins.

Like ruff: ``select = ["SG"]`` with ``ignore = ["SG2"]`` and ``extend-select = ["SG203"]`` runs everything but
the tenancy rules except SG203. Opt-in rules run only when selected by their full code.
"""

from __future__ import annotations

from dataclasses import dataclass

from schema_guard.config import ConfigError
from schema_guard.rules.registry import CORE_PREFIX, catalogue

DEFAULT_SELECT = (CORE_PREFIX,)


@dataclass(frozen=True)
class Selection:
    select: tuple[str, ...] = DEFAULT_SELECT
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()

    def validate(self, only_key: str | None = None) -> None:
        """Every code or prefix must match some rule; a typo would otherwise silently select nothing.

        ``only_key`` names the configuration key when this selection holds one list (``per-file-ignores``)."""
        codes = catalogue()
        groups = [(only_key, self.select)] if only_key else [
            ("select", self.select), ("ignore", self.ignore), ("extend-select", self.extend_select)
        ]
        for key, prefixes in groups:
            for prefix in prefixes:
                if prefix.upper() != "ALL" and not any(code.startswith(prefix.upper()) for code in codes):
                    raise ConfigError(f"{key}: '{prefix}' matches no rule code (see `schema-guard rules`)")

    def enabled(self, code: str) -> bool:
        rule = catalogue().get(code)
        chosen = [p.upper() for p in (*self.select, *self.extend_select)]
        if tuple(p.upper() for p in self.select) == DEFAULT_SELECT and not code.startswith(CORE_PREFIX):
            chosen.append("")  # a plugin's rule: on unless ignored, or unless the configuration chose its own select
        if rule is not None and rule.opt_in:
            return code in chosen and not self._most_specific_is_ignore(code, chosen)
        return self._most_specific_is_select(code, chosen)

    def enabled_codes(self) -> set[str]:
        return {code for code in catalogue() if self.enabled(code)}

    def _most_specific_is_select(self, code: str, chosen: list[str]) -> bool:
        best_select = max((len(p) for p in chosen if _matches(p, code)), default=-1)
        best_ignore = max((len(p) for p in self.ignore if _matches(p.upper(), code)), default=-1)
        return best_select >= 0 and best_select > best_ignore

    def _most_specific_is_ignore(self, code: str, chosen: list[str]) -> bool:
        return not self._most_specific_is_select(code, chosen)


def _matches(prefix: str, code: str) -> bool:
    return prefix == "ALL" or code.startswith(prefix)
