"""What a rule is: its documentation as data, its examples, and (for fact rules) one check function.

Every rule, whichever part of the product runs it, is a :class:`Rule` subclass declared with :func:`register`;
:mod:`schema_guard.rules.registry` gathers the declared rules into the one catalogue that ``schema-guard rules``,
``explain``, ``docs/rules.md``, ``--select`` validation and the example tests all read. Fact rules (:class:`FactRule`) check :class:`~schema_guard.facts.SchemaFacts`; the migration
gate and the runtime guard run their own rules but document them the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import ClassVar

from schema_guard.facts import ColumnFact, Location, SchemaFacts, TableFact
from schema_guard.findings import Finding
from schema_guard.schema_view import SchemaView
from schema_guard.tenancy import TenantPolicy

EXPECT_MARKER = re.compile(r"#\s*expect:\s*([A-Z]+\d+(?:\s*,\s*[A-Z]+\d+)*)")
"""``# expect: SG203`` (or ``# expect: SG203, TEAM001``) on a line where an invalid example must fire."""


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
    """What a fact rule may know besides the facts: the tenancy policy, its own options
    (``[tool.schema_guard.rules.<CODE>]``) and the :class:`~schema_guard.schema_view.SchemaView` of the facts."""

    tenancy: TenantPolicy
    rule_options: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    """Every rule's options by code, as configured."""
    options: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    """The options of the rule being run (empty when none are configured)."""
    bound_view: SchemaView | None = field(default=None, repr=False, compare=False)
    """The view :meth:`for_facts` made; rules read :attr:`view`."""

    def for_rule(self, code: str) -> RuleContext:
        """This context as the rule ``code`` sees it: with its own options."""
        return replace(self, options=MappingProxyType(dict(self.rule_options.get(code, {}))))

    def for_facts(self, facts: SchemaFacts) -> RuleContext:
        """This context for the rules run over ``facts``: with one view of them, shared by every rule."""
        return replace(self, bound_view=SchemaView(facts, self.tenancy))

    @property
    def view(self) -> SchemaView:
        """What rules derive from the facts (tenant tables and columns, the relationship index...), computed once
        for every rule run over them."""
        if self.bound_view is None:
            raise RuntimeError("the rule was run without RuleContext.for_facts(facts)")
        return self.bound_view


class Rule:
    """A documented rule. Subclasses set the class attributes; the catalogue is built from them."""

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    rationale: ClassVar[str]
    how_to_fix: ClassVar[str]
    readers: ClassVar[tuple[str, ...]]
    opt_in: ClassVar[bool] = False
    rewrite: ClassVar[str | None] = None
    """The rule's own ``--fix``: ``"module:function"`` of a rewrite of one annotated class attribute (see
    :mod:`schema_guard.fixes`), imported only when fixing; ``None``: not fixable."""
    fixable: ClassVar[bool] = False
    """Derived from :attr:`rewrite` for every subclass; never set by hand."""
    examples: ClassVar[tuple[Example, ...]] = ()

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls.fixable = cls.rewrite is not None

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


_DECLARED: dict[tuple[str, str], type[Rule]] = {}


def register(rule: type[Rule]) -> type[Rule]:
    """Class decorator: declare a rule. The registry (:mod:`schema_guard.rules.registry`) takes the rules declared
    in the modules it loads, and validates their codes."""
    _DECLARED[(rule.__module__, rule.__qualname__)] = rule
    return rule


def declared_rules() -> list[type[Rule]]:
    """Every rule declared so far (a module imported again replaces its own)."""
    return list(_DECLARED.values())
