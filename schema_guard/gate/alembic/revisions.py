"""The Alembic project: ``alembic.ini``, the script directory, the revision graph in upgrade order, and ``--since``.

Everything that cannot be loaded is a one-line :class:`ToolingProblem` (SG011) naming the file. Findings carry
absolute paths (reporters and suppressions find the file whatever the working directory); messages name files
relative to the project root.
"""

from __future__ import annotations

import configparser
import os
import re
import subprocess
import sys
import tomllib
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from alembic.config import Config as AlembicConfig
from alembic.script import Script, ScriptDirectory
from sqlalchemy.engine import Connection

from schema_guard.config import Config
from schema_guard.facts import Location
from schema_guard.gate.tooling import BROKEN_ALEMBIC, ToolingProblem, error_text, first_line


@dataclass(frozen=True)
class Revision:
    """One revision file, in the order ``upgrade head`` applies it."""

    id: str
    path: Path
    """Absolute: where findings in this revision are located."""
    relpath: str
    """Relative to the project root, ``/``-separated: how messages name the file."""
    down_revisions: tuple[str, ...]
    script: Script = field(repr=False, compare=False)

    def location(self, line: int | None = None, column: int | None = None) -> Location:
        return Location(str(self.path), line, column)


@dataclass
class MigrationProject:
    root: Path
    ini_path: Path
    alembic_config: AlembicConfig
    script: ScriptDirectory
    revisions: list[Revision]
    """Base first, head last (topological: every revision after the ones it revises)."""
    loaded_from: tuple[str, ...] = ()
    """The version folders the revisions were read from (env.py may point Alembic elsewhere at run time)."""

    @property
    def env_path(self) -> Path:
        return Path(self.script.dir) / "env.py"

    def revision(self, revision_id: str) -> Revision:
        return self._by_id()[revision_id]

    def find(self, revision_id: str | None) -> Revision | None:
        return self._by_id().get(revision_id) if revision_id else None

    def _by_id(self) -> dict[str, Revision]:
        if not hasattr(self, "_index"):
            self._index = {r.id: r for r in self.revisions}
        return self._index

    def heads(self) -> list[Revision]:
        return [self.revision(h) for h in self.script.get_heads()]

    def version_folders(self, folders: Iterable[str] | None = None) -> str:
        """Where the revisions were read from (or ``folders``), as messages name them."""
        return ", ".join(self.relpath(Path(folder)) for folder in (self.loaded_from if folders is None else folders))

    def folders_set_by_env(self) -> tuple[str, ...]:
        """The version folders env.py chose at run time (``context.script.version_locations = [...]``), when they
        differ from the ones the revisions were read from; empty otherwise. (Alembic read the revisions once, from
        the folders configured at load time, so it does not follow such a change within one process.)"""
        now = tuple(str(Path(folder).resolve()) for folder in self.script.version_locations or ())
        return now if now and now != tuple(str(Path(folder).resolve()) for folder in self.loaded_from) else ()

    def relpath(self, path: Path) -> str:
        """``path`` as messages name it: relative to the project root."""
        return relative_to_root(path, self.root)

    def env_location(self, line: int | None = None) -> Location:
        """A finding in ``env.py`` (absolute path)."""
        return Location(str(self.env_path.resolve()), line, 1 if line is not None else None)


def relative_to_root(path: Path, root: Path) -> str:
    """For messages; findings are located with absolute paths."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()


class NeedsOperations(ToolingProblem):
    """A revision uses ``op`` while it is imported, which only works inside a migration context."""


def load_project(config: Config, *, bind: Connection | None = None) -> MigrationProject:
    """Read ``alembic.ini`` and the script directory named by ``config.migrations.alembic_config``; with ``bind``,
    the revisions are imported with ``op`` bound to a migration context on that connection, as ``alembic upgrade``
    imports them (raises :class:`NeedsOperations` without one when a revision needs it)."""
    root = config.root.resolve()
    ini_path = (root / config.migrations.alembic_config).resolve()
    ini, toml = _configuration_files(ini_path)
    ini_path = ini or toml or ini_path  # what findings about the configuration point at
    where = relative_to_root(ini_path, root)
    at = Location(str(ini_path))
    if ini is None and toml is None:
        raise ToolingProblem(BROKEN_ALEMBIC, f"{where}: Alembic configuration file not found", at)
    try:
        alembic_config = (AlembicConfig(str(ini) if ini else None, toml_file=str(toml)) if toml
                          else AlembicConfig(str(ini)))
        location = _option(alembic_config, "script_location")
    except (configparser.Error, UnicodeDecodeError, ValueError, OSError) as error:  # tomllib's error is a ValueError
        raise ToolingProblem(BROKEN_ALEMBIC, f"{where}: not a valid Alembic configuration: {first_line(error)}",
                             at) from None
    if not location:
        section = "[alembic] section" if toml is None else "[alembic] section or [tool.alembic] table"
        raise ToolingProblem(BROKEN_ALEMBIC, f"{where}: no script_location in the {section}", at)
    _anchor_paths(alembic_config, ini_path, where, at)
    _put_on_sys_path(root)
    try:
        with warnings.catch_warnings(record=True) as caught, _operations(bind):
            warnings.simplefilter("always")
            script = ScriptDirectory.from_config(alembic_config)
            ordered = list(reversed(list(script.walk_revisions("base", "heads"))))
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # noqa: B036  a revision that does not import (or exits), a broken graph
        problem = NeedsOperations if bind is None and _uses_op(error) else ToolingProblem
        raise problem(BROKEN_ALEMBIC, f"{where}: cannot load the migration scripts: {_describe(error)}",
                      _error_location(error, at)) from None
    _refuse_duplicates(script, [str(warning.message) for warning in caught], root)
    revisions = [
        Revision(
            id=s.revision,
            path=Path(s.path).resolve(),
            relpath=relative_to_root(Path(s.path), root),
            down_revisions=_as_tuple(s.down_revision),
            script=s,
        )
        for s in ordered
    ]
    return MigrationProject(root, ini_path, alembic_config, script, revisions, tuple(script._version_locations))


_PROXY_MISSING = "proxy object has not yet been established"
"""Alembic's NameError text for ``op.<anything>`` outside a migration context."""


def _uses_op(error: BaseException) -> bool:
    """The error of ``op.<anything>`` outside a migration context: Alembic's NameError before the first context in
    the process, an AttributeError on ``None`` after one ended (``alembic.op`` then holds ``None``)."""
    if isinstance(error, NameError) and _PROXY_MISSING in str(error):
        return True
    from alembic import op

    return isinstance(error, AttributeError) and "'NoneType'" in str(error) and getattr(op, "_proxy", None) is None


@contextmanager
def _operations(bind: Connection | None) -> Iterator[None]:
    """``op`` bound to a migration context on ``bind`` (nothing without one)."""
    if bind is None:
        yield
        return
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext

    with Operations.context(MigrationContext.configure(connection=bind)):
        yield


def _configuration_files(configured: Path) -> tuple[Path | None, Path | None]:
    """The ``alembic.ini`` and the ``pyproject.toml`` with a ``[tool.alembic]`` table that ``alembic`` run from the
    configured file's folder reads (Alembic 1.16 and later take the script options from ``pyproject.toml``; the ini
    then holds only logging and the URL, or does not exist). ``alembic-config`` may name either file."""
    if configured.name == "pyproject.toml":
        beside = configured.with_name("alembic.ini")
        toml = configured if _MODERN_ALEMBIC and _has_alembic_table(configured) else None
        return (beside if beside.is_file() else None), toml
    pyproject = configured.with_name("pyproject.toml")
    toml = pyproject if _MODERN_ALEMBIC and _has_alembic_table(pyproject) else None
    return (configured if configured.is_file() else None), toml


def _has_alembic_table(path: Path) -> bool:
    """Whether ``path`` is a readable TOML file with a ``[tool.alembic]`` table (a broken one is Alembic's error to
    report, so it counts)."""
    if not path.is_file():
        return False
    try:
        with path.open("rb") as handle:
            return isinstance(tomllib.load(handle).get("tool", {}).get("alembic"), dict)
    except (OSError, tomllib.TOMLDecodeError):
        return True


def _anchor_paths(alembic_config: AlembicConfig, ini_path: Path, where: str, at: Location) -> None:
    """Make ``script_location``, ``version_locations`` and ``prepend_sys_path`` absolute, as ``alembic upgrade``
    run from the folder of ``alembic.ini`` reads them (Alembic takes relative paths from the working directory,
    and the gate's working directory is wherever schema-guard was started). A path that only exists relative to
    the working directory is taken from there, as Alembic would. ``package:folder`` resources are left to Alembic.

    Without this, ``version_locations = src/app/migrations/versions`` read from another folder finds no revision
    at all, silently: the database stays empty and every table looks like drift."""
    location = _option(alembic_config, "script_location") or ""
    if ":" not in location or Path(location).is_absolute():
        resolved = _anchored(location, ini_path.parent)
        if not resolved.is_dir():
            raise ToolingProblem(BROKEN_ALEMBIC,
                                 f"{where}: script_location '{location}' is not a folder ({resolved})", at)
        alembic_config.set_main_option("script_location", _ini_text(str(resolved)))
    version_locations, sys_paths = _path_lists(alembic_config)
    versions = [location if ":" in location and not Path(location).is_absolute()  # package:folder
                else str(_anchored(location, ini_path.parent)) for location in version_locations or () if location]
    paths = [str(_anchored(entry, ini_path.parent)) for entry in sys_paths or () if entry]
    if not versions and not paths:
        return
    if _MODERN_ALEMBIC:  # one path a line: no path, package resource (``app:migrations``) or space is split
        option, separator, joiner = "path_separator", "newline", "\n"
    else:  # Alembic 1.13-1.15 splits the version folders by a character none of them holds
        joiner = next((char for char in ";: " if not any(char in location for location in versions)), ";")
        option, separator = "version_path_separator", {" ": "space"}.get(joiner, joiner)
    alembic_config.set_main_option(option, separator)
    if versions:
        alembic_config.set_main_option("version_locations", _ini_text(joiner.join(versions)))
    if paths:  # Alembic 1.13-1.15 splits these at spaces, commas and colons whatever the separator
        alembic_config.set_main_option("prepend_sys_path", _ini_text((joiner if _MODERN_ALEMBIC else ":").join(paths)))


# Alembic 1.16 added pyproject.toml configuration, ``path_separator`` and the option-list helpers; projects still
# pin 1.13 (the oldest schema-guard accepts), so both are read the way the installed Alembic reads them.
_MODERN_ALEMBIC = hasattr(AlembicConfig, "get_version_locations_list")


def _option(alembic_config: AlembicConfig, name: str) -> str | None:
    """An ``[alembic]`` option, from ``[tool.alembic]`` too where the installed Alembic reads that."""
    if _MODERN_ALEMBIC:
        return alembic_config.get_alembic_option(name)  # type: ignore[no-any-return]
    return alembic_config.get_main_option(name)


_LEGACY_VERSION_SPLIT = re.compile(r", *|(?: +)")
_LEGACY_SYS_PATH_SPLIT = re.compile(r", *|(?: +)|\:")
_LEGACY_SEPARATORS = {"space": " ", "os": os.pathsep, ":": ":", ";": ";"}


def _path_lists(alembic_config: AlembicConfig) -> tuple[list[str] | None, list[str] | None]:
    """``version_locations`` and ``prepend_sys_path`` as lists, split exactly as the installed Alembic splits them."""
    if _MODERN_ALEMBIC:
        with warnings.catch_warnings():  # Alembic's deprecation notes on separators are not the gate's to show
            warnings.simplefilter("ignore")
            return alembic_config.get_version_locations_list(), alembic_config.get_prepend_sys_paths_list()
    return legacy_path_lists(alembic_config.get_main_option("version_locations"),
                             alembic_config.get_main_option("version_path_separator"),
                             alembic_config.get_main_option("prepend_sys_path"))


def legacy_path_lists(version_locations: str | None, separator: str | None,
                      prepend_sys_path: str | None) -> tuple[list[str] | None, list[str] | None]:
    """Alembic 1.13-1.15's splitting: ``version_path_separator`` (or spaces and commas) for the version folders,
    spaces, commas and colons for ``prepend_sys_path``."""
    versions = None
    if version_locations:
        split = _LEGACY_SEPARATORS.get(separator) if separator else None
        versions = ([part for part in version_locations.split(split) if part] if split
                    else _LEGACY_VERSION_SPLIT.split(version_locations))
    sys_paths = _LEGACY_SYS_PATH_SPLIT.split(prepend_sys_path) if prepend_sys_path else None
    return versions, sys_paths


def _anchored(path: str, ini_folder: Path) -> Path:
    """``path`` as Alembic run from ``ini_folder`` finds it: relative to that folder, else to the working
    directory when only there it exists."""
    given = Path(path)
    if given.is_absolute():
        return given
    beside_ini = ini_folder / given
    if beside_ini.exists() or not given.exists():
        return beside_ini
    return given.resolve()


def _ini_text(value: str) -> str:
    """A value for ConfigParser, which interpolates ``%``."""
    return value.replace("%", "%%")


def _put_on_sys_path(root: Path) -> None:
    """The project root first on ``sys.path`` (the gate restores ``sys.path`` when it ends)."""
    while str(root) in sys.path:
        sys.path.remove(str(root))
    sys.path.insert(0, str(root))


def _describe(error: BaseException) -> str:
    if isinstance(error, SyntaxError) and error.filename:
        return f"{error.filename}:{error.lineno}: {error.msg}"
    return error_text(error)


def _error_location(error: BaseException, fallback: Location) -> Location:
    """The revision file (and line) a load error came from, else ``fallback`` (alembic.ini)."""
    if isinstance(error, SyntaxError) and error.filename:
        return Location(str(Path(error.filename).resolve()), error.lineno, 1 if error.lineno else None)
    trace, found = error.__traceback__, None
    while trace is not None:
        filename = trace.tb_frame.f_code.co_filename
        if filename.endswith(".py") and "/alembic/" not in filename.replace("\\", "/") and Path(filename).is_file():
            found = Location(str(Path(filename).resolve()), trace.tb_lineno, 1)
        trace = trace.tb_next
    return found or fallback


_DUPLICATE = re.compile(r"Revision (\S+) is present more than once")


def _refuse_duplicates(script: ScriptDirectory, messages: list[str], root: Path) -> None:
    """Alembic only warns about two revision files with the same id and silently keeps one: SG011 naming both."""
    for message in messages:
        match = _DUPLICATE.match(message)
        if match is None:
            continue
        revision_id = match.group(1)
        files = _files_declaring(script, revision_id)
        named = " and ".join(relative_to_root(path, root) for path, _ in files) or "two files"
        path, line = files[-1] if files else (Path(script.dir), None)
        raise ToolingProblem(
            BROKEN_ALEMBIC,
            f"revision id {revision_id} is declared by {named}; Alembic keeps only one of them: give the other "
            "a new id (and fix the down_revision that names it)",
            Location(str(path), line, 1 if line else None),
        )


def _files_declaring(script: ScriptDirectory, revision_id: str) -> list[tuple[Path, int]]:
    """Revision files whose module-level ``revision = "<id>"`` names ``revision_id``, sorted by path."""
    assignment = re.compile(rf"""^revision\s*(?::[^=]*)?=\s*['"]{re.escape(revision_id)}['"]""", re.MULTILINE)
    found = []
    for folder in script._version_locations:
        for path in sorted(Path(folder).rglob("*.py")):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            match = assignment.search(text)
            if match:
                found.append((path.resolve(), text.count("\n", 0, match.start()) + 1))
    return sorted(found)


def _as_tuple(value: str | Iterable[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


# --- --since: the revisions a change adds -----------------------------------------------------------------------


def revisions_since(project: MigrationProject, since: str | None) -> set[str] | None:
    """The ids of the revisions a change adds: descendants of revision ``since``, or the revision files added since
    git ref ``since``. ``None`` (no limit) when ``since`` is not given."""
    if not since:
        return None
    if since == "base":
        return {r.id for r in project.revisions}
    anchor = _resolve_revision(project, since)
    if anchor is not None:
        return _descendants(project, anchor)
    added = _files_added_since(project, since)
    if added is None:
        raise ToolingProblem(
            BROKEN_ALEMBIC,
            f"--since '{since}' is neither a revision of {project.relpath(Path(project.script.dir))} nor a git ref",
        )
    return {r.id for r in project.revisions if r.path in added}


def _resolve_revision(project: MigrationProject, since: str) -> str | None:
    try:
        found = project.script.get_revision(since)
    except Exception:
        return None
    return found.revision if found is not None else None


def _descendants(project: MigrationProject, anchor: str) -> set[str]:
    children: dict[str, list[str]] = {}
    for revision in project.revisions:
        for parent in (*revision.down_revisions, *_as_tuple(revision.script.dependencies)):
            children.setdefault(parent, []).append(revision.id)
    found: set[str] = set()
    todo = list(children.get(anchor, []))
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(children.get(current, []))
    return found


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _files_added_since(project: MigrationProject, ref: str) -> set[Path] | None:
    """Files added between the merge base of ``ref`` and HEAD and the working tree (plus untracked files)."""
    if _git(project.root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}") is None:
        return None
    top = _git(project.root, "rev-parse", "--show-toplevel")
    if top is None:
        return None
    base = (_git(project.root, "merge-base", ref, "HEAD") or ref).strip()
    added = _git(project.root, "diff", "--name-only", "--no-renames", "--diff-filter=A", base, "--") or ""
    untracked = _git(project.root, "ls-files", "--others", "--exclude-standard", "--full-name") or ""
    toplevel = Path(top.strip())
    return {(toplevel / line.strip()).resolve() for line in (added + untracked).splitlines() if line.strip()}
