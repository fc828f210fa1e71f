"""The ``schema-guard`` command: ``check``, ``migrations``, ``baseline``, ``rules``, ``explain``.

Exit codes CI can trust: 0 clean, 1 findings, 2 a usage, configuration, import or database error — always with a
one-line cause on stderr that names the file, key, module or URL.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from schema_guard.config import Config, ConfigError, load_config
from schema_guard.reporters import FORMATS, default_format, renderer

if TYPE_CHECKING:
    from schema_guard.decide import Decider
    from schema_guard.result import CheckResult

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


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
    parser.add_argument("--format", choices=FORMATS, help="output format (default: text; github in GitHub Actions)")
    parser.add_argument("--output", type=Path, help="write the report to this file instead of stdout")
    parser.add_argument("--baseline", type=Path, help="baseline file (default: from config)")
    parser.add_argument("--no-baseline", action="store_true", help="report baselined findings too")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="schema-guard", description=__doc__.splitlines()[0],
                                     formatter_class=_HelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", formatter_class=_HelpFormatter, help="check model source and metadata")
    check.add_argument("paths", nargs="*", type=Path, help="files or folders (default: configured src)")
    _common(check)
    readers = check.add_mutually_exclusive_group()
    readers.add_argument("--source-only", action="store_true", help="never import user code (pre-commit)")
    readers.add_argument("--metadata-only", action="store_true", help="only import the configured models")
    check.add_argument("--fix", action="store_true", help="apply safe rewrites, then report what is left")
    check.add_argument("--diff", action="store_true", help="show the rewrites --fix would make, write nothing")
    check.add_argument("--no-cache", action="store_true", help="read every file afresh; neither use nor write the cache")

    migrations = commands.add_parser("migrations", formatter_class=_HelpFormatter, help="run the migration gate on a throwaway database")
    _common(migrations)
    migrations.add_argument("--database-url", help="server to create the throwaway database on")
    migrations.add_argument("--since", help="revision or git ref: per-revision rules only for revisions after it")

    baseline = commands.add_parser("baseline", formatter_class=_HelpFormatter, help="write the current findings to the baseline file")
    baseline.add_argument("paths", nargs="*", type=Path)
    baseline.add_argument("--config", type=Path)
    baseline.add_argument("--output", type=Path, help="baseline file to write (default: from config)")
    baseline.add_argument("--migrations", action="store_true",
                          help="also run the migration gate and baseline its findings (every revision judged)")
    baseline.add_argument("--database-url", help="with --migrations: server to create the throwaway database on")

    rules = commands.add_parser("rules", formatter_class=_HelpFormatter,
                                help="list every rule (the configured plugins' too)")
    rules.add_argument("--config", type=Path)
    explain = commands.add_parser("explain", formatter_class=_HelpFormatter, help="explain one rule")
    explain.add_argument("code")
    explain.add_argument("--config", type=Path)
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
    if (args.fix or args.diff) and not args.metadata_only:
        # Rewrites come from the source reader alone, and run before any model is imported, so the report below
        # (metadata reader included) sees the fixed files rather than modules imported before the fix.
        from schema_guard.fixes import apply_fixes

        before = run_check(config, paths, decider=decider, use_metadata=False)
        apply_fixes(before.findings, write=args.fix, out=out, facts=before.facts, root=config.root)
    result = run_check(
        config, paths, decider=decider, use_source=not args.metadata_only, use_metadata=not args.source_only
    )
    return _report(result, args, out)


def _report(result: CheckResult, args: argparse.Namespace, out: TextIO) -> int:
    text = renderer(args.format or default_format())(result, Path.cwd())
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
    return result.exit_code


def _baseline(config: Config, args: argparse.Namespace, out: TextIO) -> int:
    from schema_guard.baseline import write_baseline
    from schema_guard.decide import Decider
    from schema_guard.engine import run_check

    if args.database_url and not args.migrations:
        raise ConfigError("--database-url is for the migration gate: add --migrations")
    decider = Decider.from_config(config, use_baseline=False)
    findings = list(run_check(config, args.paths or None, decider=decider).findings)
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
    print(f"Wrote {len(findings)} finding(s) to {path}", file=out)
    return EXIT_CLEAN


def _migrations(config: Config, args: argparse.Namespace, out: TextIO) -> int:
    from schema_guard.migration_check import run_migrations_check

    config = _with_baseline(config, args)
    result = run_migrations_check(config, decider=_decider(config, args), since=args.since,
                                  database_url=args.database_url)
    return _report(result, args, out)


if __name__ == "__main__":
    run()
