"""The rule registry: every rule a run knows, found once and then frozen.

Rules come from three places: the core families (``schema_guard.rules.*``), the modules or classes installed
packages name in the entry-point group ``schema_guard.rules``, and the modules the configuration's ``plugins`` key
names. Importing a module runs its ``@register`` decorators; the registry then keeps the rules declared in the
modules it imported, validates their codes (letters then digits; ``SG`` is reserved for schema-guard's own rules;
no code twice) and freezes them. ``schema-guard rules``, ``explain``, SARIF, the selection and the engine all read
the same :func:`catalogue`. A configuration that names other plugins builds another registry (once per set of
plugins).
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType, ModuleType

from schema_guard.config import Config, ConfigError
from schema_guard.rules.base import FactRule, Rule, declared_rules
from schema_guard.rules.revision import RevisionRule

ENTRY_POINT_GROUP = "schema_guard.rules"
CORE_PREFIX = "SG"
CODE_PATTERN = re.compile(r"[A-Z]+[0-9]+")

CORE_FAMILIES = (
    "schema_guard.rules.keys",
    "schema_guard.rules.tenancy",
    "schema_guard.rules.orm_style",
    "schema_guard.rules.relationships",
    "schema_guard.rules.fields",
    "schema_guard.rules.meta",
    "schema_guard.rules.migrations",
    "schema_guard.rules.runtime",
    "schema_guard.rules.queries",
    "schema_guard.rules.api_schemas",
)


@dataclass(frozen=True)
class Registry:
    """The rules of one run by code, in code order; read-only."""

    rules: Mapping[str, type[Rule]]
    plugins: tuple[str, ...] = ()
    """The configured plugin modules it was built with."""

    def fact_rules(self) -> list[FactRule]:
        return [rule() for rule in self.rules.values() if issubclass(rule, FactRule)]

    def revision_rules(self) -> list[RevisionRule]:
        return [rule() for rule in self.rules.values() if issubclass(rule, RevisionRule)]


_registries: dict[tuple[str, ...], Registry] = {}
_active: tuple[str, ...] = ()


def catalogue() -> Mapping[str, type[Rule]]:
    """Every rule of the active registry by code, in code order (core and entry-point rules, plus the plugins of
    the configuration last passed to :func:`load_plugins`)."""
    return registry().rules


def fact_rules() -> list[FactRule]:
    return registry().fact_rules()


def revision_rules() -> list[RevisionRule]:
    """The per-revision rules the migration gate runs on each revision."""
    return registry().revision_rules()


def is_core(rule: type[Rule]) -> bool:
    return rule.__module__.startswith("schema_guard.")


def registry() -> Registry:
    if _active not in _registries:
        _registries[_active] = _build(_active, root=None)
    return _registries[_active]


def load_plugins(config: Config) -> Registry:
    """Make the registry of ``config``'s ``plugins`` (imported from its root folder) the active one."""
    global _active
    plugins = tuple(config.plugins)
    if plugins not in _registries:
        _registries[plugins] = _build(plugins, root=config.root)
    _active = plugins
    registry = _registries[plugins]
    unknown = sorted(code for code in config.rule_options if code not in registry.rules)
    if unknown:
        where = f"{config.source}: " if config.source else ""
        raise ConfigError(f"{where}[tool.schema_guard.rules.{unknown[0]}]: no rule {unknown[0]} "
                          "(see `schema-guard rules`)")
    return registry


@contextmanager
def kept_active() -> Iterator[None]:
    """Whatever registry :func:`load_plugins` makes active inside the block, the one active before is active
    again after it (the example runner checks a plugin's examples without changing the caller's catalogue)."""
    global _active
    before = _active
    try:
        yield
    finally:
        _active = before


def declared_in(rule: type[Rule], module: str) -> bool:
    """Whether ``rule`` is declared in the module ``module`` or one of its submodules."""
    return rule.__module__ == module or rule.__module__.startswith(module + ".")


def _build(plugins: tuple[str, ...], root: Path | None) -> Registry:
    sources: list[tuple[str, Iterable[type[Rule]]]] = []
    for name in CORE_FAMILIES:
        sources.append((name, _declared_in(importlib.import_module(name))))
    for entry_point in _entry_points():
        where = f"entry point '{entry_point.name} = {entry_point.value}' ({ENTRY_POINT_GROUP})"
        try:
            loaded = entry_point.load()
        except Exception as error:  # a broken plugin is a one-line error naming it, never a traceback
            raise ConfigError(f"{where}: cannot load it: {type(error).__name__}: {error}") from None
        sources.append((where, _rules_of(loaded, where)))
    for name in plugins:
        where = f"plugins: '{name}'"
        sources.append((where, _declared_in(_import_plugin(name, root, where))))
    rules: dict[str, type[Rule]] = {}
    for where, found in sources:
        for rule in found:
            _validate(rule, where, rules)
            rules[rule.code] = rule
    return Registry(rules=MappingProxyType(dict(sorted(rules.items()))), plugins=plugins)


def _entry_points() -> list[object]:
    from importlib.metadata import entry_points

    return sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: (ep.name, ep.value))  # type: ignore[no-any-return]


def _import_plugin(name: str, root: Path | None, where: str) -> ModuleType:
    folder = str(root) if root is not None else None
    added = folder is not None and folder not in sys.path
    if added:
        sys.path.insert(0, folder)  # type: ignore[arg-type]
    try:
        return importlib.import_module(name)
    except Exception as error:
        raise ConfigError(f"{where}: cannot import it: {type(error).__name__}: {error}") from None
    finally:
        if added:
            sys.path.remove(folder)  # type: ignore[arg-type]


def _declared_in(module: ModuleType) -> list[type[Rule]]:
    """The rules ``@register`` declared in ``module`` or its submodules."""
    return [rule for rule in declared_rules() if declared_in(rule, module.__name__)]


def _rules_of(loaded: object, where: str) -> list[type[Rule]]:
    if isinstance(loaded, ModuleType):
        return _declared_in(loaded)
    if isinstance(loaded, type) and issubclass(loaded, Rule):
        return [loaded]
    raise ConfigError(f"{where}: names {loaded!r}, not a module or a Rule class")


def _validate(rule: type[Rule], where: str, known: dict[str, type[Rule]]) -> None:
    code = getattr(rule, "code", None)
    if not isinstance(code, str) or not CODE_PATTERN.fullmatch(code):
        raise ConfigError(f"{where}: rule {rule.__qualname__} has code {code!r}: a code is upper-case letters "
                          "followed by digits, like TEAM001")
    if code.startswith(CORE_PREFIX) and not is_core(rule):
        raise ConfigError(f"{where}: rule {rule.__qualname__} has code {code}: the prefix {CORE_PREFIX} is reserved "
                          "for schema-guard's own rules")
    existing = known.get(code)
    if existing is not None and existing is not rule:
        raise ConfigError(f"{where}: rule code {code} of {rule.__qualname__} is already used by "
                          f"{existing.__module__}.{existing.__qualname__}")
    missing = [attribute for attribute in ("name", "summary", "rationale", "how_to_fix", "readers")
               if not getattr(rule, attribute, None)]
    if missing:
        raise ConfigError(f"{where}: rule {code} does not set {', '.join(missing)}")
