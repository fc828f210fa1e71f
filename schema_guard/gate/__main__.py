"""``python -m schema_guard.gate``: the migration gate alone, JSON findings on stdout (exit 0/1/2 like the CLI).

The CLI's ``schema-guard migrations`` is the user-facing command; this entry point runs the gate in a fresh process
(one model set per process), which is how the test suite exercises Ctrl-C, SIGTERM and the embedded server.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from schema_guard.config import ConfigError, load_config
from schema_guard.gate import run_gate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m schema_guard.gate")
    parser.add_argument("--config", type=Path)
    parser.add_argument("--cwd", type=Path, default=None)
    parser.add_argument("--since")
    parser.add_argument("--database-url")
    parser.add_argument("--verbose", action="store_true", help="log databases and servers created and removed")
    args = parser.parse_args(argv)
    if args.verbose:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="schema-guard: %(message)s")
    try:
        config = load_config(args.config, cwd=args.cwd)
    except ConfigError as error:
        print(f"schema-guard: {error}", file=sys.stderr)
        return 2
    try:
        findings = run_gate(config, since=args.since, database_url=args.database_url)
    except KeyboardInterrupt:
        print("schema-guard: interrupted", file=sys.stderr)
        return 130
    json.dump([f.to_json() for f in findings], sys.stdout, indent=1)
    sys.stdout.write("\n")
    if any(f.severity == "fatal" for f in findings):
        return 2
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
