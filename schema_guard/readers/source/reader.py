"""The source reader: SQLModel models read from ``.py`` files without importing them.

Safe (user code never runs) and fast (stdlib ``ast``, no SQLAlchemy/SQLModel import): the pre-commit path. It
also sees what an import would hide: a model that makes SQLModel raise at import is still read and explained.

Pipeline: parse every checked file with the stdlib ``ast`` (:mod:`.source_module`), scan the context files with a
regular expression only (:mod:`.source_context`: table names, class names, enums), index the classes so mixins
and bases resolve across files — a context file is parsed only when a checked class inherits from it
(:class:`ClassIndex`) — then turn every ``table=True`` class of the checked files into a
:class:`~schema_guard.facts.TableFact` with its inherited fields (:mod:`.source_fields`) and ``__table_args__``
(:mod:`.source_table_args`); every class becomes a ``ClassFact`` and every mapping call a ``MappingCallFact``
(:mod:`.source_mapping`). Aliases are resolved once per module by :mod:`.source_imports`.

Why ``ast`` and not libcst (which the design names): reading needs no formatting fidelity, and ``ast.parse`` is
~30× faster than ``libcst.parse_module`` (plus libcst's 0.2-0.4 s import), which is the difference between a
sub-second pre-commit hook and a multi-second one. libcst is used where formatting must survive: ``--fix``
(:mod:`schema_guard.fixes`).
"""

from __future__ import annotations

import ast
import gc
import os
import re
from functools import partial
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from schema_guard.facts import (
    ClassFact,
    ColumnFact,
    FieldSyntax,
    ForeignKeyFact,
    IndexFact,
    Location,
    RelationshipFact,
    SchemaFacts,
    SessionFilterFact,
    TableFact,
    UniqueFact,
)
from schema_guard.files import discover
from schema_guard.findings import problem
from schema_guard.readers.source.application import MARKERS as APPLICATION_MARKERS
from schema_guard.readers.source.application import is_revision_script, read_application
from schema_guard.readers.source.context import ContextIndex, scan_context
from schema_guard.readers.source.fields import FieldReader, FieldSpec, RelationshipSpec
from schema_guard.readers.source.imports import last_part, root_part
from schema_guard.readers.source.mapping import mapping_calls
from schema_guard.readers.source.module import ClassInfo, ParsedModule, parse_module
from schema_guard.readers.source.table_args import TableArgs, read_table_args
from schema_guard.readers.source.column_types import is_enum_class
from schema_guard.readers.source.constants import ModuleLoader, StringResolver
from schema_guard.readers.source.declarative import (
    BASE_FACTORIES,
    CLASS_DECORATORS,
    DECLARATIVE_BASES,
    MAPPING_DECORATORS,
    DeclarativeFieldReader,
    declared_attribute,
    decorated_with,
    is_abstract,
    is_sqlalchemy_name,
    snake_case,
    module_tables,
    own_setting,
    renames_subclass_tables,
    table_call_columns,
)
from schema_guard.readers.source.project import ProjectModules
from schema_guard.readers.source.parsing import SourceError, decode
from schema_guard.readers.source.queries import TEXT_MARKERS as QUERY_MARKERS
from schema_guard.readers.source.queries import session_filters

_BUILTIN_BASES = {"object", "Exception", "dict", "str", "int"}
_LIBRARY_ROOTS = {"sqlmodel", "sqlalchemy", "pydantic", "typing", "typing_extensions", "enum", "abc", "builtins"}


Lender = Callable[[set[str]], tuple[ContextIndex, Sequence[Path | str]]]
"""Given the keys of the checked files, what the other files of the project define and their paths."""


def read_source(
    files: Sequence[Path],
    *,
    context_files: Sequence[Path] = (),
    lender: Lender | None = None,
) -> SchemaFacts:
    """Facts for the models defined in ``files``; ``context_files`` only lend their classes and table names.

    Folders among the paths are searched for ``*.py`` files. A file that cannot be read or parsed becomes a fatal
    SG001 finding in ``facts.problems``; every other file is still read. ``lender`` lends the context instead of
    ``context_files`` (:mod:`schema_guard.cache` answers from its index of ``src``). When a checked file holds
    statements, the model files they reach are read too (:func:`read_models`) to judge them.
    """
    paused = gc.isenabled()
    gc.disable()  # the trees are kept until the end: collecting them early only re-scans them (~25% of the time)
    try:
        return _read(files, lender or partial(_scan_files, context_files), application=True)
    finally:
        # The facts live until the end of the check and hold no reference cycles: the collector need not traverse
        # them again while the rules run (a full collection over 5,000 files' facts costs ~0.3 s).
        gc.freeze()
        if paused:
            gc.enable()


def _scan_files(context_files: Sequence[Path], checked: set[str]) -> tuple[ContextIndex, list[Path]]:
    paths = [path for path in _python_files(context_files) if _key(path) not in checked]
    return scan_context(paths), paths


def _read(files: Sequence[Path], lender: Lender,
          application: bool = False) -> SchemaFacts:
    facts = SchemaFacts(reader="source")
    checked = list({_key(path): path for path in _python_files(files)}.values())  # each file once
    context, context_paths = lender({_key(path) for path in checked})

    modules: list[ParsedModule] = []
    for path in checked:
        parsed = parse_module(path, str(path))
        if isinstance(parsed, ParsedModule):
            modules.append(parsed)
        elif parsed is not None:
            facts.problems.append(parsed)

    index = _class_index(modules, context, [*checked, *context_paths])
    for module in modules:
        try:
            _read_module(module, index, facts)
        except RecursionError:  # an expression that parses but nests too deeply to walk
            facts.problems.append(problem("SG001", "cannot read: nested too deeply to analyse",
                                          Location(module.path, 1, 1), "source"))
    if application and context_paths and any(
            marker in module.text for module in modules for marker in QUERY_MARKERS):
        _read_application_with_context(modules, index, facts,
                                       read_models(_models_reached(modules, context), (context, context_paths)))
    elif application:
        read_application(modules, index, facts)
    if application:
        facts.session_filters.extend(_lent_session_filters(context, {_key(path) for path in checked}))
    index.release()
    _finish(facts, context.table_names, index.unnamed)
    return facts


def read_models(paths: Sequence[Path], lent: tuple[ContextIndex, Sequence[Path | str]]) -> SchemaFacts:
    """The models of ``paths``, without their application code, with ``lent`` (the project's other names and
    files) resolving their bases, enums and foreign keys: what a partial check lends the checked files'
    statements."""
    return _read(paths, lambda checked: lent)


def _models_reached(modules: Sequence[ParsedModule], context: ContextIndex) -> list[Path]:
    """The model files a partial check's statements can reach: those defining a class the checked modules name
    (imported, used, or an attribute of a module), then the files of the tables those files' tables reference by
    foreign key and of the classes their relationships target. What SG702 asks of a table (its tenant column, keys,
    relationships, whether it is shared, an association of shared tables or the anchor) is decided by the table
    and the tables it references, so this reads what a full check would use, not every model of ``src``."""
    named: set[str] = set()
    for module in modules:
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Name):
                named.add(node.id)
            elif isinstance(node, ast.Attribute):
                named.add(node.attr)
            elif isinstance(node, ast.alias):
                named.add(node.name.rsplit(".", 1)[-1])
    checked = {_key(module.path) for module in modules}
    files = {_key(path): Path(path) for name in named for path in context.files_by_class.get(name, [])}
    for path in list(files.values()):  # one step out: referenced tables and relationship targets
        for name in _referenced_names(path):
            for other in [*context.files_by_table.get(name, []), *context.files_by_class.get(name, [])]:
                files.setdefault(_key(other), Path(other))
    return [path for key, path in files.items() if key not in checked]  # the checked files are read already


_STRING = re.compile(r"""["']([A-Za-z_][\w.]*)["']""")


def _referenced_names(path: Path) -> set[str]:
    """The identifiers and quoted names a model file mentions (``ForeignKey("students.id")`` names ``students``,
    ``Relationship("Student")`` and annotations name classes): over-approximated from the text, never missed."""
    try:
        text = decode(path.read_bytes())
    except (OSError, SourceError):
        return set()
    names = set(re.findall(r"[A-Za-z_]\w*", text))
    for match in _STRING.finditer(text):
        names.update(match.group(1).split("."))
    return names


def _lent_session_filters(context: ContextIndex, checked: set[str]) -> list[SessionFilterFact]:
    """The session-wide listeners registered in the files a partial check does not check: they scope the checked
    files' statements as they scope every other file's (a full check reads them as application code)."""
    found: list[SessionFilterFact] = []
    for path in context.listener_paths:
        if _key(path) in checked:
            continue
        parsed = parse_module(path, str(path))
        if isinstance(parsed, ParsedModule):
            found.extend(session_filters(parsed))
    return found


def _read_application_with_context(modules: Sequence[ParsedModule], index: ClassIndex, facts: SchemaFacts,
                                   lent: SchemaFacts) -> None:
    """Read the checked files' application code against their models and the rest of the project's, so a staged
    route file is judged as a full check judges it. The lent models take part in nothing else."""
    joined = SchemaFacts(reader="source", tables=[*facts.tables, *lent.tables], classes=[*facts.classes, *lent.classes],
                         relationships=[*facts.relationships, *lent.relationships])
    read_application(modules, index, joined)
    facts.queries.extend(joined.queries)
    facts.api_models.extend(joined.api_models)
    facts.session_filters.extend(joined.session_filters)
    facts.application_models = joined


def _class_index(modules: Sequence[ParsedModule], context: ContextIndex, paths: Sequence[Path | str]) -> ClassIndex:
    """The index the models are built from: the parsed ``modules`` and what ``paths`` (every file of the read)
    lend through imports and bases (also :mod:`schema_guard.cache`'s, for the files it re-reads)."""
    project = ProjectModules(modules, paths)
    return ClassIndex(modules, context, StringResolver(project.load), project.load)


def read_application_files(
    paths: Sequence[Path], classes: Iterable[tuple[Path, Sequence[str]]], facts: SchemaFacts
) -> None:
    """The same facts for a read whose models came from :mod:`schema_guard.cache`: application code depends on
    every model of the project, so it is never cached; ``paths`` (the files that may hold some) are parsed again,
    and ``classes`` (each project file's class names) lets a request schema's bases be found and parsed on
    demand."""
    modules = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if any(marker in text for marker in APPLICATION_MARKERS):
            parsed = parse_module(path, str(path))
            if isinstance(parsed, ParsedModule):
                modules.append(parsed)
    if not modules:
        return
    context = ContextIndex()
    for path, names in classes:
        for name in names:
            context.files_by_class.setdefault(name, []).append(path)
    index = _class_index(modules, context, paths)
    read_application(modules, index, facts)
    index.release()


def _finish(facts: SchemaFacts, context_tables: set[str], unnamed: bool) -> None:
    """The steps that join what every file gave (run on each read, cached files' facts included)."""
    facts.known_tables.update(context_tables)
    facts.unnamed_tables = unnamed
    if unnamed:
        _trust_foreign_key_targets(facts)
    _infer_foreign_key_types(facts)


def _read_module(module: ParsedModule, index: ClassIndex, facts: SchemaFacts) -> None:
    if is_revision_script(module):
        return  # a migration's frozen copy of a model (its own Base) is not one of the application's tables
    for info in module.classes:
        mapped = info.table or index.is_declarative_table(info)
        facts.classes.append(
            ClassFact(
                name=info.name,
                bases=tuple(index.base_name(info, position) for position in range(len(info.bases))),
                is_table=mapped,
                location=module.location(info.node),
            )
        )
        if mapped:
            table, relationships = index.build_table(info)
            facts.tables.append(table)
            facts.relationships.extend(relationships)
        else:
            facts.relationships.extend(index.mapped_relationships(info))
    if "Table" in module.text:
        for call, statement in module_tables(module):
            table = index.build_table_call(call, module, statement)
            if table is not None:
                facts.tables.append(table)
    facts.mapping_calls.extend(mapping_calls(module))


class ClassIndex:
    """Every class of the checked and context files, by name, with field lists read once per class."""

    def __init__(
        self,
        modules: Sequence[ParsedModule],
        context: ContextIndex | None = None,
        strings: StringResolver | None = None,
        load: ModuleLoader | None = None,
    ) -> None:
        self.by_name: dict[str, list[ClassInfo]] = {}
        for module in modules:
            self._add(module)
        self.context = context or ContextIndex()
        self.load: ModuleLoader = load or (lambda name: None)
        self.strings = strings or StringResolver(self.load)
        self._parsed_context: set[Path] = set()
        self.enums = frozenset(
            {info.name for infos in self.by_name.values() for info in infos if is_enum_class(info.bases)}
            | self.context.enum_names
        )
        self._attributes: dict[tuple[int, str], list[FieldSpec | RelationshipSpec]] = {}
        self._lineages: dict[int, list[ClassInfo]] = {}
        self._readers: dict[tuple[int, str], FieldReader] = {}
        self._declarative_tables: dict[int, bool] = {}
        self._declarative_kinds: dict[int, str | None] = {}
        self.unnamed = False
        """Some table's name is computed where the reader cannot follow (here or in a context file)."""
        self._name_context_tables()

    def _name_context_tables(self) -> None:
        """Context files whose ``__tablename__`` is not a literal are parsed, and their names resolved like the
        checked files' (constants, imports); only a name that cannot be followed leaves the set of names open."""
        for path in self.context.computed_paths:
            parsed = parse_module(path, str(path))
            if not isinstance(parsed, ParsedModule):
                continue
            if path not in self._parsed_context:
                self._parsed_context.add(path)
                self._add(parsed)
            for info in parsed.classes:
                if info.table or self.is_declarative_table(info):
                    name, known = self.table_name(info)
                    if known:
                        self.context.table_names.add(name)
                    self.unnamed = self.unnamed or not known
                elif own_setting(info, "__tablename__"):
                    self.unnamed = True  # a base that names the tables of subclasses the reader has not seen

    def release(self) -> None:
        """Break the module ↔ class cycles, so the syntax trees are freed as soon as the read ends instead of
        being traversed by the garbage collector later (a full collection over them costs ~0.1 s at 500 files)."""
        for infos in self.by_name.values():
            for info in infos:
                info.module.classes.clear()
        self.by_name.clear()
        self._attributes.clear()
        self._lineages.clear()
        self._readers.clear()

    def _add(self, module: ParsedModule) -> None:
        for info in module.classes:
            self.by_name.setdefault(info.name, []).append(info)

    def named(self, name: str) -> list[ClassInfo]:
        """The classes called ``name``: of the checked files, and of the context files (parsed now if need be)."""
        self._load_context(name)
        return self.by_name.get(name, [])

    def _load_context(self, name: str) -> None:
        """Parse the context files that define ``name`` (only now that a checked class needs it)."""
        for path in self.context.files_defining(name):
            if path not in self._parsed_context:
                self._parsed_context.add(path)
                parsed = parse_module(path, str(path))
                if isinstance(parsed, ParsedModule):
                    self._add(parsed)

    # --- resolution ----------------------------------------------------------------------------------------------
    def resolve(self, info: ClassInfo, position: int) -> ClassInfo | None:
        """The class a base expression refers to, when it is defined in the checked or context files."""
        qualified = info.bases[position]
        if not qualified or root_part(qualified) in _LIBRARY_ROOTS:
            return None
        name = qualified.rsplit(".", 1)[-1]
        self._load_context(name)
        candidates = [c for c in self.by_name.get(name, []) if c is not info]
        if not candidates:
            return None
        if "." not in qualified:
            same_module = [c for c in candidates if c.module is info.module]
            return (same_module or candidates)[0]
        exact = [c for c in candidates if c.qualified_name == qualified]
        if exact:
            return exact[0]
        package = qualified.rsplit(".", 1)[0]
        near = [c for c in candidates if c.module.module_name.endswith(package.lstrip("."))]
        return (near or candidates)[0]

    def base_name(self, info: ClassInfo, position: int) -> str:
        """A base as a qualified name: a library class through the imports, a project class by its module."""
        resolved = self.resolve(info, position)
        if resolved is not None:
            return resolved.qualified_name
        return info.bases[position] or info.module.segment(info.node.bases[position])

    def lineage(self, info: ClassInfo) -> list[ClassInfo]:
        """The class and its resolvable ancestors in method resolution order (C3, depth-first if C3 fails)."""
        key = id(info)
        if key not in self._lineages:
            self._lineages[key] = self._mro(info, frozenset())
        return self._lineages[key]

    def _mro(self, info: ClassInfo, visiting: frozenset[int]) -> list[ClassInfo]:
        if id(info) in visiting:
            return [info]
        visiting = visiting | {id(info)}
        parents = [p for p in (self.resolve(info, i) for i in range(len(info.bases))) if p is not None]
        sequences = [self._mro(parent, visiting) for parent in parents] + [parents]
        merged: list[ClassInfo] = [info]
        while any(sequences):
            for sequence in sequences:
                if not sequence:
                    continue
                head = sequence[0]
                if not any(head in other[1:] for other in sequences):
                    break
            else:  # inconsistent hierarchy: Python would refuse it; fall back to depth-first order
                seen: list[ClassInfo] = []
                for sequence in sequences:
                    seen.extend(c for c in sequence if c not in seen and c not in merged)
                return merged + seen
            merged.append(head)
            sequences = [[c for c in sequence if c is not head] for sequence in sequences]
        return merged

    # --- tables --------------------------------------------------------------------------------------------------
    def attributes(self, info: ClassInfo, style: str = "sqlmodel") -> list[FieldSpec | RelationshipSpec]:
        """The columns and relationships written in one class body (read once per style, shared by every
        subclass). ``style`` is ``"sqlmodel"``, or ``"sqlalchemy"``/``"sqlalchemy-mapped-types"`` for a plain
        SQLAlchemy table (the latter when its base sets a ``type_annotation_map``)."""
        key = (id(info), style)
        if key not in self._attributes:
            reader = self._readers.get((id(info.module), style))
            if reader is None:
                reader = self._readers[(id(info.module), style)] = self._reader(info.module, style)
            specs = [spec for spec in map(reader.read, info.node.body) if spec is not None]
            for spec in specs:
                if isinstance(spec, FieldSpec):
                    spec.column = replace(spec.column, defined_in=info.name)
            self._attributes[key] = specs
        return self._attributes[key]

    def _reader(self, module: ParsedModule, style: str) -> FieldReader:
        if style == "sqlmodel":
            return FieldReader(module, self.enums, self.strings)
        return DeclarativeFieldReader(
            module, self.enums, self.strings, annotation_types=style != "sqlalchemy-mapped-types"
        )

    # --- plain SQLAlchemy tables ---------------------------------------------------------------------------------
    def is_declarative_table(self, info: ClassInfo) -> bool:
        """A class a declarative base maps to a table of its own (see :mod:`.declarative`)."""
        key = id(info)
        if key not in self._declarative_tables:
            self._declarative_tables[key] = False  # a cycle in the hierarchy reads as "not a table"
            self._declarative_tables[key] = self._decide_declarative_table(info)
        return self._declarative_tables[key]

    def _decide_declarative_table(self, info: ClassInfo) -> bool:
        kind = self._declarative_kind(info)
        if info.table or is_abstract(info) or kind is None or self._is_declarative_base(info):
            return False
        ancestors = self.lineage(info)[1:]
        if own_setting(info, "__tablename__") or own_setting(info, "__table__"):
            # Flask-SQLAlchemy maps a subclass whose own table would have no primary key into its parent's table
            inherits = kind == "flask" and any(self.is_declarative_table(a) for a in ancestors)
            return not inherits or any(
                isinstance(spec, FieldSpec) and spec.primary_key for spec in self.attributes(info, self._style(info))
            )
        if any(self.is_declarative_table(ancestor) for ancestor in ancestors):
            return False  # single-table inheritance: the parent's table
        # Flask-SQLAlchemy names a model's table after the class when nothing else does.
        return kind == "flask" or self._class_setting(info, "__tablename__") is not None

    def _is_declarative_base(self, info: ClassInfo) -> bool:
        """The base class itself (``class Base(DeclarativeBase)``, ``@as_declarative() class Base``): never mapped,
        whatever it declares for its subclasses."""
        return decorated_with(info, CLASS_DECORATORS) or any(
            is_sqlalchemy_name(qualified, DECLARATIVE_BASES) for qualified in info.bases
        )

    def _declarative_kind(self, info: ClassInfo) -> str | None:
        """``"sqlalchemy"`` when some class of the lineage derives from a declarative base (or is decorated to be
        mapped), ``"flask"`` for a Flask-SQLAlchemy ``db.Model``, else ``None``."""
        key = id(info.node)
        if key not in self._declarative_kinds:
            self._declarative_kinds[key] = None
            self._declarative_kinds[key] = self._find_declarative_kind(info)
        return self._declarative_kinds[key]

    def _find_declarative_kind(self, info: ClassInfo) -> str | None:
        for klass in self.lineage(info):
            if decorated_with(klass, CLASS_DECORATORS | MAPPING_DECORATORS):
                return "sqlalchemy"
            for position, qualified in enumerate(klass.bases):
                if is_sqlalchemy_name(qualified, DECLARATIVE_BASES):
                    return "sqlalchemy"
                if self.resolve(klass, position) is not None or not qualified:
                    continue
                if self._flask_model(klass, qualified):
                    return "flask"
                if self._factory_base(klass, qualified):
                    return "sqlalchemy"
        return None

    def _module_constant(self, info: ClassInfo, qualified: str) -> tuple[ast.expr | None, ParsedModule | None]:
        """What a (possibly imported) module-level name is assigned, and the module it is assigned in."""
        module: ParsedModule | None = info.module
        name = qualified
        if "." in qualified:
            package, name = qualified.rsplit(".", 1)
            module = self.load(package)
        return (module.constants.get(name) if module is not None else None), module

    def _flask_model(self, info: ClassInfo, qualified: str) -> bool:
        """``db.Model`` where ``db = SQLAlchemy(...)`` (Flask-SQLAlchemy), here or imported."""
        if last_part(qualified) != "Model":
            return False
        if root_part(qualified) == "flask_sqlalchemy":
            return True
        receiver = qualified.rsplit(".", 1)[0]
        value, module = self._module_constant(info, receiver)
        return (
            isinstance(value, ast.Call) and module is not None
            and root_part(module.imports.qualify(value.func)) == "flask_sqlalchemy"
        )

    def _factory_base(self, info: ClassInfo, qualified: str) -> bool:
        """``qualified`` names ``Base = declarative_base()`` (or ``registry().generate_base()``), here or imported."""
        value, module = self._module_constant(info, qualified)
        if not isinstance(value, ast.Call) or module is None:
            return False
        callee = module.imports.qualify(value.func)
        return is_sqlalchemy_name(callee, BASE_FACTORIES) or last_part(callee) == "generate_base"

    def _style(self, info: ClassInfo) -> str:
        if info.table:
            return "sqlmodel"
        mapped_types = self._class_setting(info, "type_annotation_map") is not None
        return "sqlalchemy-mapped-types" if mapped_types else "sqlalchemy"

    def build_table_call(self, call: ast.Call, module: ParsedModule, statement: ast.stmt) -> TableFact | None:
        """A module-level ``Table("name", metadata, Column(...), ...)``."""
        reader = self._reader(module, "sqlalchemy")
        assert isinstance(reader, DeclarativeFieldReader)
        name, specs, others = table_call_columns(call, reader)
        if name is None:
            self.unnamed = True
            return None
        table = TableFact(
            name=name,
            columns=[spec.column for spec in specs],
            location=module.location(statement),
            module=module.module_name,
        )
        _add_column_keys(table, specs)
        args = read_table_args(ast.Tuple(elts=others, ctx=ast.Load()), module, self.strings)
        _add_table_args(table, args)
        if not args.complete:
            table.columns = [_opaque(column) for column in table.columns]
        return table

    def table_name(self, info: ClassInfo) -> tuple[str, bool]:
        """The table name, and whether it is known: SQLModel's default (the class name lower-cased) when no class of
        the lineage sets one, else the literal, or a ``@declared_attr`` that returns an expression of
        ``cls.__name__``; anything else (a base's ``__init_subclass__`` that rewrites it too) is not known, and the
        default is returned as a placeholder."""
        if any(renames_subclass_tables(ancestor) for ancestor in self.lineage(info)[1:]):
            return info.name.lower(), False  # a base's ``__init_subclass__`` renames it at import time
        setting = self._class_setting(info, "__tablename__")
        if setting is None and not info.table and self._declarative_kind(info) == "flask":
            return snake_case(info.name), True
        if setting is None:
            return info.name.lower(), True
        value, module = setting
        name = self.strings.string(value, module, info.name) if value is not None else None
        return (name, True) if name else (info.name.lower(), False)

    def _class_setting(self, info: ClassInfo, name: str) -> tuple[ast.expr | None, ParsedModule] | None:
        """``__tablename__``/``__table_args__`` as written in the class or inherited from a base, and the module
        it is written in (whose imports and constants it refers to). A method of that name (``@declared_attr``)
        gives what it returns when its body is one ``return``, else ``None``: computed, unknown."""
        for ancestor in self.lineage(info):
            for statement in ancestor.node.body:
                if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                    if statement.name == name:
                        return _returned(statement), ancestor.module
                    continue
                value = _assigned(statement, name)
                if value is not None:
                    return value, ancestor.module
        return None

    def build_table(self, info: ClassInfo) -> tuple[TableFact, list[RelationshipFact]]:
        table_call = self._table_call(info)
        if table_call is not None:  # ``__table__ = Table(...)``: the table is that call; the class adds relationships
            table = self.build_table_call(table_call, info.module, info.node) or TableFact(name=info.name.lower())
            table.class_name = info.name
            relationships_of = [s for s in self.attributes(info, "sqlalchemy") if isinstance(s, RelationshipSpec)]
            return table, [_relationship(info, table.name, spec) for spec in relationships_of]
        name, named = self.table_name(info)
        style = self._style(info)
        fields: dict[str, FieldSpec] = {}
        relationships: dict[str, RelationshipSpec] = {}
        for ancestor in reversed(self.lineage(info)):
            if ancestor is not info and not info.table and self.is_declarative_table(ancestor):
                continue  # joined-table inheritance: the mapped parent's columns stay in the parent's table
            for spec in self.attributes(ancestor, style):
                if isinstance(spec, FieldSpec):
                    relationships.pop(spec.column.attribute or "", None)
                    fields[spec.column.attribute or spec.column.name] = spec
                else:
                    fields.pop(spec.attribute, None)
                    relationships[spec.attribute] = spec
        table = TableFact(
            name=name,
            columns=[spec.column for spec in fields.values()],
            location=info.module.location(info.node),
            class_name=info.name,
            module=info.module.module_name,
        )
        _add_column_keys(table, fields.values())
        complete = named and not self._hidden_attributes(info)
        table_args = self._class_setting(info, "__table_args__")
        if table_args is not None:
            expression, module = table_args
            args = (
                read_table_args(expression, module, self.strings) if expression is not None
                else TableArgs(complete=False)
            )
            _add_table_args(table, args)
            complete = complete and args.complete
        if not complete:
            # The table's name or constraints are computed where the reader cannot follow: its indexes, keys and
            # scope are a lower bound, so every column is marked opaque and absence-based rules stay silent.
            table.columns = [_opaque(column) for column in table.columns]
            table.opaque = True
            table.name_known = named
            self.unnamed = self.unnamed or not named
        return table, [_relationship(info, name, spec) for spec in relationships.values()]


    def _hidden_attributes(self, info: ClassInfo) -> bool:
        """Some of the class's attributes are where the reader cannot see them: a base class from a package outside
        the project (``fastapi_users``' user table mixin), or a ``@declared_attr`` method that builds a column or
        relationship at mapping time."""
        for klass in self.lineage(info):
            for position, qualified in enumerate(klass.bases):
                known = root_part(qualified) in _LIBRARY_ROOTS or qualified in _BUILTIN_BASES
                if not known and self.resolve(klass, position) is None and not self._is_base_object(klass, qualified):
                    return True
            for statement in klass.node.body:
                if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef) and not statement.name.startswith("__"):
                    declared = any(
                        last_part(klass.module.imports.qualify(d)) == "declared_attr" for d in _decorators(statement)
                    )
                    # a one-``return`` declared attribute is read as the attribute it declares (plain SQLAlchemy)
                    readable = not info.table and declared_attribute(statement, klass.module.imports) is not None
                    if declared and not readable:
                        return True
        return False

    def _is_base_object(self, info: ClassInfo, qualified: str | None) -> bool:
        """A base that is an object the reader understands: ``Base = declarative_base()`` or Flask's ``db.Model``."""
        return bool(qualified) and (self._factory_base(info, qualified) or self._flask_model(info, qualified))

    def mapped_relationships(self, info: ClassInfo) -> list[RelationshipFact]:
        """Relationships of a mapped class that has no table of its own (single-table inheritance)."""
        parent = next((a for a in self.lineage(info)[1:] if self.is_declarative_table(a)), None)
        if parent is None or is_abstract(info) or self._declarative_kind(info) is None:
            return []
        table, _ = self.table_name(parent)
        specs = [s for s in self.attributes(info, self._style(info)) if isinstance(s, RelationshipSpec)]
        return [_relationship(info, table, spec) for spec in specs]

    def _table_call(self, info: ClassInfo) -> ast.Call | None:
        for statement in info.node.body:
            value = _assigned(statement, "__table__")
            if isinstance(value, ast.Call):
                return value
        return None


def _decorators(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.expr]:
    """The decorators as callees: ``@declared_attr.directive`` and ``@declared_attr()`` read as ``declared_attr``."""
    found = []
    for decorator in function.decorator_list:
        node = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(node, ast.Attribute) and node.attr in ("directive", "cascading"):
            node = node.value
        found.append(node)
    return found


def _returned(function: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.expr | None:
    """What a method returns when its body (after a docstring) is a single ``return <expression>``."""
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    if len(body) == 1 and isinstance(body[0], ast.Return):
        return body[0].value
    return None


def _opaque(column: ColumnFact) -> ColumnFact:
    syntax = column.syntax or FieldSyntax(None)
    return replace(column, syntax=replace(syntax, opaque=True)) if not syntax.opaque else column


def _trust_foreign_key_targets(facts: SchemaFacts) -> None:
    """Some table's name is unknown: a foreign key naming no known table may name that one, so it is trusted
    (SG404 stays silent about it) rather than reported on a guessed name."""
    names = facts.table_names()
    for table in facts.tables:
        for fk in table.foreign_keys:
            if fk.target_table and fk.target_table not in names:
                facts.known_tables.add(fk.target_table)


def _assigned(statement: ast.stmt, name: str) -> ast.expr | None:
    if isinstance(statement, ast.Assign):
        if any(isinstance(t, ast.Name) and t.id == name for t in statement.targets):
            return statement.value
    elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        if statement.target.id == name:
            return statement.value
    return None


def _add_column_keys(table: TableFact, fields: Iterable[FieldSpec]) -> None:
    """Materialise column-level keys as table-level facts, the way SQLAlchemy builds them from ``Column`` flags."""
    primary_key: list[str] = []
    for spec in fields:
        column = spec.column
        if spec.primary_key:
            primary_key.append(column.name)
        if spec.index:
            # Column(index=True, unique=True) becomes one unique index, not an index plus a constraint.
            table.indexes.append(
                IndexFact(f"ix_{table.name}_{column.name}", (column.name,), spec.unique, column.location)
            )
        elif spec.unique:
            table.uniques.append(UniqueFact(None, (column.name,), column.location))
        for target, location in spec.foreign_keys:
            target_table, _, target_column = target.rpartition(".")
            table.foreign_keys.append(
                ForeignKeyFact((column.name,), target_table, (target_column,), location=location)
            )
    table.primary_key = tuple(primary_key)


def _add_table_args(table: TableFact, args: TableArgs) -> None:
    table.indexes.extend(args.indexes)
    table.uniques.extend(args.uniques)
    table.foreign_keys.extend(args.foreign_keys)
    if args.primary_key:
        table.primary_key = args.primary_key
    table.declared_shared = args.declared_shared
    table.schema = args.schema


def _relationship(owner: ClassInfo, table: str, spec: RelationshipSpec) -> RelationshipFact:
    return RelationshipFact(
        owner_class=owner.name,
        attribute=spec.attribute,
        target_class=spec.target_class,
        back_populates=spec.back_populates,
        link_model=spec.link_model,
        is_list=spec.is_list,
        owner_table=table,
        location=spec.location,
        backref=spec.backref,
        viewonly=spec.viewonly,
        owner_module=owner.module.module_name,
        target_module=spec.target_module,
        opaque=spec.opaque,
        join_columns=spec.join_columns,
    )


def _infer_foreign_key_types(facts: SchemaFacts) -> None:
    """``Column(ForeignKey("t.id"))`` without a type takes the referenced column's type, as SQLAlchemy does."""
    by_name = {table.name: table for table in reversed(facts.tables)}  # the first of a name, as facts.table()
    for table in facts.tables:
        for position, column in enumerate(table.columns):
            if column.type != "UNKNOWN" or not column.syntax or not column.syntax.uses_sa_column:
                continue
            for fk in table.foreign_keys_of(column.name):
                target = by_name.get(fk.target_table)
                referenced = target.column(fk.target_columns[0]) if target and fk.target_columns else None
                if referenced is not None and referenced.type != "UNKNOWN":
                    table.columns[position] = replace(column, type=referenced.type, timezone=referenced.timezone)
                    break


def _python_files(paths: Sequence[Path]) -> Iterator[Path]:
    """Files as given (one that cannot be read becomes SG001); folders through :func:`schema_guard.files.discover`,
    the same walk ``check`` does (the engine passes discovered files; callers such as ``--fix`` may pass folders)."""
    for path in paths:
        if path.is_dir():
            yield from discover([path], path)
        else:
            yield path


def _key(path: Path) -> str:
    return os.path.normcase(os.path.abspath(path))
