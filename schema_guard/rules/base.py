"""What a rule is: its documentation as data, its examples, and (for fact rules) one check function.

Every rule, whichever part of the product runs it, is a :class:`Rule` subclass registered with :func:`register`,
so ``schema-guard rules``, ``explain``, ``docs/rules.md``, ``--select`` validation and the example tests all read
the same catalogue. Fact rules (:class:`FactRule`) check :class:`~schema_guard.facts.SchemaFacts`; the migration
gate and the runtime guard run their own rules but document them the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from schema_guard.facts import ColumnFact, Location, SchemaFacts, TableFact
from schema_guard.findings import Finding
from schema_guard.tenancy import TenantPolicy

EXPECT_MARKER = re.compile(r"#\s*expect:\s*(SG\d{3}(?:\s*,\s*SG\d{3})*)")


@dataclass(frozen=True)
class Example:
    """A model module that a rule must stay silent on (``valid``) or fire on.

    In an invalid example, every line where the rule must fire ends with ``# expect: SG203``; the example tests
    assert that the rule fires on exactly those lines and nowhere else. ``readers`` limits which readers the example
    is run through (default: every reader of the rule that can read Python).
    """

    code: str
    valid: bool
    readers: tuple[str, ...] | None = None
    config: tuple[tuple[str, object], ...] = ()
    """Configuration overrides for this example, e.g. ``(("tenant-table", "organizations"),)``."""
    title: str = ""

    def expected_lines(self, code: str) -> list[int]:
        lines = []
        for number, text in enumerate(self.code.splitlines(), start=1):
            match = EXPECT_MARKER.search(text)
            if match and code in {c.strip() for c in match.group(1).split(",")}:
                lines.append(number)
        return lines


def Valid(code: str, **kwargs: object) -> Example:  # noqa: N802 - reads like Fixit's examples
    return Example(code=code, valid=True, **kwargs)  # type: ignore[arg-type]


def Invalid(code: str, **kwargs: object) -> Example:  # noqa: N802
    return Example(code=code, valid=False, **kwargs)  # type: ignore[arg-type]


@dataclass(frozen=True)
class RuleContext:
    """What a fact rule may know besides the facts: the tenancy policy."""

    tenancy: TenantPolicy


class Rule:
    """A documented rule. Subclasses set the class attributes; the catalogue is built from them."""

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    rationale: ClassVar[str]
    how_to_fix: ClassVar[str]
    readers: ClassVar[tuple[str, ...]]
    opt_in: ClassVar[bool] = False
    fixable: ClassVar[bool] = False
    examples: ClassVar[tuple[Example, ...]] = ()

    def finding(
        self,
        message: str,
        location: Location,
        *,
        reader: str,
        table: str | None = None,
        column: str | None = None,
        detail: str = "",
        fix: str | None = None,
    ) -> Finding:
        return Finding(
            code=self.code,
            message=message,
            location=location,
            table=table,
            column_name=column,
            reader=reader,
            fix=fix or self.how_to_fix,
            detail=detail,
        )


class FactRule(Rule):
    """A rule over schema facts; runs for every reader listed in ``readers``."""

    def column_finding(
        self, message: str, facts: SchemaFacts, table: TableFact, column: ColumnFact, **extra: str
    ) -> Finding:
        """A finding about one column of one table, at the column's location, from the reader of ``facts``."""
        return self.finding(
            message, column.location, reader=facts.reader, table=table.name, column=column.name, **extra
        )

    def check(self, facts: SchemaFacts, context: RuleContext) -> Iterator[Finding]:
        raise NotImplementedError


_CATALOGUE: dict[str, type[Rule]] = {}


def register(rule: type[Rule]) -> type[Rule]:
    """Class decorator: add a rule to the catalogue (codes are unique and stable)."""
    existing = _CATALOGUE.get(rule.code)
    if existing is not None and (existing.__module__, existing.__qualname__) != (rule.__module__, rule.__qualname__):
        raise ValueError(f"duplicate rule code {rule.code}: {existing.__qualname__} and {rule.__qualname__}")
    _CATALOGUE[rule.code] = rule
    return rule


def catalogue() -> dict[str, type[Rule]]:
    """Every registered rule by code, in code order."""
    from schema_guard.rules import load_all

    load_all()
    return dict(sorted(_CATALOGUE.items()))


def fact_rules() -> list[FactRule]:
    return [rule() for rule in catalogue().values() if issubclass(rule, FactRule)]
