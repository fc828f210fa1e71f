"""The ``schema-guard`` command: ``check``, ``migrations``, ``baseline``, ``init``, ``rules``, ``explain``.

Exit codes CI can trust: 0 clean, 1 findings, 2 a usage, configuration, import or database error — always with a
one-line cause on stderr that names the file, key, module or URL.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from schema_guard.version import __version__
from schema_guard.config import Config, ConfigError, load_config
from schema_guard.config_tables import check_table_names
from schema_guard.reporters import FORMATS, default_format, display_path, renderer
from schema_guard.reporters.color import CHOICES as COLOR_CHOICES

if TYPE_CHECKING:
    from schema_guard.decide import Decider
    from schema_guard.facts import SchemaFacts
    from schema_guard.findings import Finding
    from schema_guard.result import CheckResult

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
DESCRIPTION = f"schema-guard {__version__}: executable schema rules for SQLModel + Alembic + PostgreSQL projects."
EPILOG = "Exit codes: 0 clean, 1 findings, 2 usage, configuration, import or database error."


def _terminal_columns() -> int:
    """``shutil.get_terminal_size().columns`` without importing :mod:`shutil` (and with it bz2, lzma, fnmatch):
    argparse builds a help formatter for every ``add_argument``, so its default width lookup is on every run."""
    import os

    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


class _HelpFormatter(argparse.HelpFormatter):
    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position,
                         _terminal_columns() - 2 if width is None else width)


def _codes(text: str) -> list[str]:
    return [code.strip().upper() for code in text.split(",") if code.strip()]


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="pyproject.toml (or TOML file) to read settings from")
    parser.add_argument("--select", type=_codes, help="comma-separated codes or prefixes to check (replaces config)")
    parser.add_argument("--ignore", type=_codes, help="comma-separated codes or prefixes to skip")
    parser.add_argument("--extend-select", type=_codes, help="codes to add to the selection (opt-in rules)")
    parser.add_argument("--format", "--output-format", dest="format", choices=FORMATS,
                        help="output format (default: text; github in GitHub Actions)")
    parser.add_argument("--output", type=Path, help="write the report to this file instead of stdout")
    parser.add_argument("--baseline", type=Path, help="baseline file (default: from config)")
    parser.add_argument("--no-baseline", action="store_true", help="report baselined findings too")
    parser.add_argument("--exit-zero", action="store_true",
                        help="exit 0 even when there are findings (errors that stop a check still exit 2)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print the findings only: no help lines, no summary")
    parser.add_argument("--statistics", action="store_true",
                        help="print how often each code was found, most frequent first, instead of the findings")
    parser.add_argument("--color", choices=COLOR_CHOICES, default="auto",
                        help="colour the text output: auto (on a terminal; NO_COLOR turns it off, FORCE_COLOR "
                             "on), always or never")


def _subcommand(commands: argparse._SubParsersAction[argparse.ArgumentParser], name: str,
                summary: str) -> argparse.ArgumentParser:
    return commands.add_parser(name, formatter_class=_HelpFormatter, help=summary, description=summary + ".")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="schema-guard", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=_HelpFormatter)
    parser.add_argument("--version", action="version", version=f"schema-guard {__version__}",
                        help="print the version and exit")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                     help="what to do (`schema-guard COMMAND --help` for its options)")

    check = _subcommand(commands, "check", "check model source and metadata")
    check.add_argument("paths", nargs="*", type=Path, help="files or folders (default: configured src)")
    _common(check)
    readers = check.add_mutually_exclusive_group()
    readers.add_argument("--source-only", action="store_true", help="never import user code (pre-commit)")
    readers.add_argument("--metadata-only", action="store_true", help="only import the configured models")
    check.add_argument("--fix", action="store_true", help="apply safe rewrites, then report what is left")
    check.add_argument("--diff", action="store_true",
                       help="show the rewrites --fix would make and write nothing (also with --fix)")
    check.add_argument("--no-cache", action="store_true", help="read every file afresh; neither use nor write the cache")
    check.add_argument("--show-fixes", action="store_true",
                       help="list the rewrites per file and code: made (with --fix) or available")

    migrations = _subcommand(commands, "migrations", "run the migration gate on a throwaway database")
    _common(migrations)
    migrations.add_argument("--database-url", help="server to create the throwaway database on")
    migrations.add_argument("--since", help="revision or git ref: per-revision rules only for revisions after it")
    migrations.add_argument("-v", "--verbose", action="store_true",
                            help="write each phase and the databases created and dropped to stderr")

    baseline = _subcommand(commands, "baseline", "write the current findings to the baseline file")
    baseline.add_argument("paths", nargs="*", type=Path, help="files or folders (default: configured src)")
    baseline.add_argument("--config", type=Path, help="pyproject.toml (or TOML file) to read settings from")
    baseline.add_argument("--output", type=Path, help="baseline file to write (default: from config)")
    baseline.add_argument("--migrations", action="store_true",
                          help="also run the migration gate and baseline its findings (every revision judged)")
    baseline.add_argument("--database-url", help="with --migrations: server to create the throwaway database on")

    init = _subcommand(commands, "init", "find models, Alembic and the tenant anchor; write [tool.schema_guard]")
    init.add_argument("root", nargs="?", type=Path, default=Path("."), help="project folder (default: .)")
    init.add_argument("--dry-run", action="store_true", help="print the configuration instead of writing it")
    init.add_argument("--force", action="store_true", help="replace an existing [tool.schema_guard] table")

    rules = _subcommand(commands, "rules", "list every rule (the configured plugins' too)")
    rules.add_argument("--config", type=Path, help="pyproject.toml (or TOML file) naming the rule plugins")
    explain = _subcommand(commands, "explain", "explain one rule: why, how to fix, an example of each")
    explain.add_argument("code", help="the rule's code, e.g. SG203")
    explain.add_argument("--config", type=Path, help="pyproject.toml (or TOML file) naming the rule plugins")
    return parser


def run() -> NoReturn:
    """The ``schema-guard`` command: :func:`main`, then exit even if user code left threads running."""
    from schema_guard.report_stream import exit_process

    exit_process(main())


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except ConfigError as error:
        print(f"schema-guard: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("schema-guard: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (`schema-guard rules | head`): not an error of the command. Point
        # stdout at /dev/null so the interpreter's final flush does not fail again.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_CLEAN
    except (OSError, UnicodeDecodeError) as error:
        # A file that cannot be read or written: one line naming it, never a traceback read as "findings".
        name = getattr(error, "filename", None)
        detail = getattr(error, "strerror", None) or str(error)
        print(f"schema-guard: error: {name}: {detail}" if name else f"schema-guard: error: {detail}", file=sys.stderr)
        return EXIT_ERROR


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "init":
        from schema_guard.init import run_init

        return run_init(args.root, dry_run=args.dry_run, force=args.force)
    config = load_config(args.config)
    if args.command in {"rules", "explain"}:
        from schema_guard.rules.registry import load_plugins

        load_plugins(config)  # the team's own rules are listed and explained like the built-in ones
    if args.command == "rules":
        from schema_guard.rule_docs import rules_table

        print(rules_table(), end="")
        return EXIT_CLEAN
    if args.command == "explain":
        return _explain(args.code)
    from schema_guard.report_stream import report_stream

    with report_stream() as out:  # user code imported from here on cannot write into the report
        if args.command == "baseline":
            return _baseline(config, args, out)
        if args.command == "migrations":
            return _migrations(config, args, out)
        return _check(config, args, out)


def _explain(code: str) -> int:
    from schema_guard.rule_docs import explain
    from schema_guard.rules.registry import catalogue

    if code.upper() not in catalogue():
        import difflib

        close = difflib.get_close_matches(code.upper(), list(catalogue()), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        print(f"schema-guard: error: no rule {code}{hint}; `schema-guard rules` lists them", file=sys.stderr)
        return EXIT_ERROR
    print(explain(code), end="")
    return EXIT_CLEAN


def _decider(config: Config, args: argparse.Namespace) -> Decider:
    from schema_guard.decide import Decider

    return Decider.from_config(config, select=args.select, ignore=args.ignore, extend_select=args.extend_select,
                               use_baseline=not args.no_baseline)


def _with_baseline(config: Config, args: argparse.Namespace) -> Config:
    from dataclasses import replace

    if not args.baseline:
        return config
    if args.baseline.exists() and not args.baseline.is_file():
        raise ConfigError(f"{args.baseline}: the baseline is not a regular file")
    if not args.baseline.is_file():
        raise ConfigError(f"{args.baseline}: baseline file not found (write one with `schema-guard baseline`)")
    return replace(config, baseline=str(args.baseline.resolve()))


def _check(config: Config, args: argparse.Namespace, out: TextIO) -> int:
    from schema_guard.engine import run_check

    config = _with_baseline(config, args)
    if args.no_cache:
        from dataclasses import replace

        config = replace(config, cache_dir=None)
    decider = _decider(config, args)
    paths = [p for p in args.paths] or None
    missing = [p for p in paths or [] if not p.exists()]
    if missing:
        raise ConfigError(f"{missing[0]}: no such file or directory")
    if (args.fix or args.diff or args.show_fixes) and not args.metadata_only:
        # Rewrites come from the source reader alone, and run before any model is imported, so the report below
        # (metadata reader included) sees the fixed files rather than modules imported before the fix.
        before = run_check(config, paths, decider=decider, use_metadata=False)
        _fix(before.findings, before.facts, args, out, config.root)
    result = run_check(
        config, paths, decider=decider, use_source=not args.metadata_only, use_metadata=not args.source_only
    )
    if not result.fatal:  # a file or module that could not be read hides tables: report that, not their names
        check_table_names(config, result.facts, decider.enabled)
    if not args.metadata_only and not result.files and not result.findings:
        where = ", ".join(str(p) for p in paths or config.src)
        print(f"schema-guard: warning: no Python file in {where}: nothing was checked", file=sys.stderr)
        return EXIT_CLEAN
    return _report(result, args, out)


def _fix(
    findings: Sequence[Finding], facts: Sequence[SchemaFacts], args: argparse.Namespace, report: TextIO, root: Path
) -> None:
    """``--fix`` writes the rewrites, ``--diff`` prints them (and wins over ``--fix``: it promises to write
    nothing), ``--show-fixes`` lists them per file and code. Messages go to stderr when stdout carries a report
    that a tool parses."""
    from schema_guard.fixes import apply_fixes

    write = args.fix and not args.diff
    human = args.output is None and (args.format or default_format()) == "text"
    out = report if human or args.diff else sys.stderr
    applied = apply_fixes(findings, write=write, out=out if args.diff else None, facts=facts, root=root, notes=out)
    if args.diff:
        return
    verb = "Fixed" if write else "Would fix"
    if args.show_fixes:
        for path, codes in applied:
            counted = ", ".join(f"{codes.count(code)} × {code}" for code in sorted(set(codes)))
            out.write(f"{verb} {display_path(path, Path.cwd())}: {counted}\n")
    if write and applied:
        total = sum(len(codes) for _, codes in applied)
        out.write(f"Fixed {total} finding(s) in {len(applied)} file(s).\n")


def _report(result: CheckResult, args: argparse.Namespace, out: TextIO) -> int:
    text = _render(result, args, out)
    if args.output:
        from schema_guard.atomic_write import write_atomically

        try:
            args.output.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(args.output, text.encode("utf-8"))
        except OSError as error:
            raise ConfigError(f"{args.output}: cannot write the report: {error.strerror or error}") from None
    else:
        try:
            out.write(text)
            out.flush()
        except BrokenPipeError:
            pass  # the reader stopped reading (`| head`); the outcome of the check is unchanged
    for finding in result.findings:
        if finding.severity == "fatal" and (args.output or (args.format or default_format()) != "text"):
            where = f"{finding.location}: " if finding.path else ""
            print(f"schema-guard: error: {where}{finding.message}", file=sys.stderr)
    if args.exit_zero and result.exit_code == EXIT_FINDINGS:
        return EXIT_CLEAN
    return result.exit_code


def _render(result: CheckResult, args: argparse.Namespace, out: TextIO) -> str:
    chosen = args.format or default_format()
    if args.statistics:
        from schema_guard.reporters import statistics

        if chosen not in ("text", "json", "github"):
            raise ConfigError(f"--statistics prints text or json, not {chosen}")
        return statistics.render(result, as_json=chosen == "json")
    if chosen == "text":
        from schema_guard.reporters.color import wants_color
        from schema_guard.reporters.text import TextStyle, render

        style = TextStyle(color=wants_color(args.color, None if args.output else out), quiet=args.quiet)
        return render(result, Path.cwd(), style)
    if chosen == "github" and args.quiet:
        return "".join(line + "\n" for line in renderer(chosen)(result, Path.cwd()).splitlines()[:-1])
    return renderer(chosen)(result, Path.cwd())


def _baseline(config: Config, args: argparse.Namespace, out: TextIO) -> int:
    from schema_guard.baseline import write_baseline
    from schema_guard.decide import Decider
    from schema_guard.engine import run_check

    if args.database_url and not args.migrations:
        raise ConfigError("--database-url is for the migration gate: add --migrations")
    decider = Decider.from_config(config, use_baseline=False)
    checked = run_check(config, args.paths or None, decider=decider)
    if not checked.fatal:
        check_table_names(config, checked.facts, decider.enabled)
    findings = list(checked.findings)
    if args.migrations:
        from schema_guard.migration_check import run_migrations_check

        # Every revision is judged ("base"), so the baseline holds whatever a later `--since` run can report.
        findings += run_migrations_check(config, decider=decider, since="base",
                                         database_url=args.database_url).findings
    fatal = [finding for finding in findings if finding.severity == "fatal"]
    if fatal:
        for finding in fatal:
            where = f"{finding.location}: " if finding.path else ""
            print(f"schema-guard: error: {where}{finding.message}", file=sys.stderr)
        return EXIT_ERROR
    from schema_guard.gate.checks.catalogue import reported_by_the_gate
    from schema_guard.rules.registry import catalogue

    # A model-only run keeps the entries of the codes the gate's checks report (it did not judge them).
    gate_codes = [] if args.migrations else [code for code in catalogue() if reported_by_the_gate(code)]
    path = write_baseline(findings, config, args.output, keep_codes=gate_codes)
    from schema_guard.baseline import load_baseline

    total = sum((load_baseline(path) or {}).values())
    kept = total - len(findings)
    note = f" ({kept} kept from an earlier `schema-guard baseline --migrations`)" if kept else ""
    print(f"Wrote {len(findings)} finding(s) to {path}: it holds {total} entries{note}", file=out)
    return EXIT_CLEAN


def _migrations(config: Config, args: argparse.Namespace, out: TextIO) -> int:
    from schema_guard.gate.progress import Progress
    from schema_guard.migration_check import run_migrations_check

    if args.verbose:
        import logging

        gate_log = logging.getLogger("schema_guard.gate")
        gate_log.setLevel(logging.INFO)
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("schema-guard: %(message)s"))
        gate_log.addHandler(handler)
    config = _with_baseline(config, args)
    result = run_migrations_check(config, decider=_decider(config, args), since=args.since,
                                  database_url=args.database_url, progress=Progress(sys.stderr, verbose=args.verbose))
    return _report(result, args, out)


if __name__ == "__main__":
    run()
