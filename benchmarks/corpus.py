"""Run schema-guard over local copies of real public projects: the precision and robustness check.

Why: the rule examples and ``reference_models/`` are written by us, so they only prove that schema-guard agrees
with itself. Real applications use patterns we did not think of (mixins, constants as table names, Flask app
factories in ``env.py``, URLs read from settings objects). This script runs the source reader, the metadata
reader and the migration gate over a corpus of such projects and records exit codes, timings, findings by code
and every crash, so a person can judge each finding TRUE or FALSE positive (see ``docs/real-code.md``).

How: the projects are NOT part of this repository. Their checkouts live in a corpus folder (``--corpus``,
default ``/tmp/corpus``; project ``<name>`` in ``<corpus>/<name>``); the manifest that describes them and the
requirement lists it names are in this repository (``benchmarks/corpus/manifest.json``, the default, and
``benchmarks/corpus/reqs/``), so a new machine only needs the checkouts (``docs/real-code.md``, "Rebuilding the
corpus"). Lay the checkouts out from fetched snapshots (``--extract /work/.mirror``), build each project's
virtualenv (``--setup``: the manifest's interpreter, schema-guard installed editable from ``--schema-guard-src`` so
it follows that clone, then the project's own requirements), then run::

    python benchmarks/corpus.py --extract /work/.mirror [--only NAME]
    python benchmarks/corpus.py --setup [--only NAME] [--schema-guard-src /work/main]
    python benchmarks/corpus.py [--only NAME] [--gate] [--json-out results.json] \\
        [--manifest benchmarks/corpus/manifest.json] [--corpus /tmp/corpus]

A project without ``venv`` runs with ``--schema-guard-bin`` (and the ``python`` next to it).

For every project it writes a temporary configuration file (never the project's own ``pyproject.toml``) next to
the project's import root, runs ``schema-guard check --format json --no-cache`` twice (``source``: no ``models``;
``full``: with ``models``, so the metadata reader imports them) and, with ``--gate``, ``schema-guard
migrations --format json`` and, for comparison, a plain ``alembic upgrade head`` on a database this script
creates and drops itself (``corpus_<name>``), so we know whether the gate starts wherever Alembic does.

Manifest format (JSON): a list of objects, one per project::

    {
      "name": "mealie",                       # short unique name; the checkout is <corpus>/<name>
      "repo": "https://github.com/mealie-recipes/mealie",
      "commit": "b5643a93...",                # the commit the checkout was taken from
      "kind": "SQLAlchemy",                   # or "SQLModel" (informational)
      "project_root": ".",                    # folder inside the checkout; every other path is relative to it
      "module_root": ".",                     # sys.path root for model_modules (default "."), relative to it too
      "src": ["mealie"],                      # source-reader paths (default: models_src)
      "models_src": ["mealie/db/models"],     # folders holding the model files
      "model_modules": ["mealie.db.models"],  # importable modules for the metadata reader
      "alembic_ini": "alembic.ini",           # or null: no gate; may be "{corpus}/..." (a rendered template)
      "tenant_table": "groups", "tenant_column": "group_id", "tenant_key": "id",   # optional tenancy anchor
      "shared_tables": ["..."],               # optional reference-data tables
      "env": {"DB_ENGINE": "postgres", "POSTGRES_DB": "{db}"},   # extra environment for every run
      "python": "/root/.pyenv/versions/3.12.1/bin/python",   # optional: interpreter for the venv
      "venv": "venvs/mealie",                 # optional: virtualenv, relative to the corpus folder
      "requirements": ["-r", "{checkout}/requirements.txt", "pillow"],  # optional: extra ``pip install`` args
      "pins": ["sqlmodel==0.0.14"],          # optional: installed afterwards, over schema-guard's own floors
      "alembic_ini_template": {"path": "jupyterhub/alembic.ini", "values": {"alembic_dir": "{checkout}/..."}},
                                              # optional: ``--setup`` renders the project's ini template (str.format
                                              # with ``values``) into ``<corpus>/inis/<name>.ini``; point
                                              # ``alembic_ini`` there
      "ignore": ["SG2", "SG70"],              # optional: schema-guard ``ignore`` (a project without tenancy)
      "notes": "free text"
    }

``env`` values may use ``{url}`` (a ``postgresql+psycopg`` URL), ``{url_plain}`` (``postgresql://``), ``{host}``,
``{port}``, ``{user}``, ``{db}``, ``{checkout}``, ``{manifest}`` (for a file kept next to the manifest, such as a
dummy key set) and ``{scratch}`` (an empty folder per project, for settings that want an existing directory); ``requirements``, ``pins`` and ``alembic_ini`` may use ``{checkout}``, ``{corpus}`` (the corpus folder) and
``{manifest}`` (the manifest's folder, for ``-r {manifest}/reqs/<name>.txt``).
For ``alembic upgrade`` the database placeholders name the comparison database; for the schema-guard runs they
name an empty stand-in for the developer's application database (``corpus_<name>_app``), as a real environment would;
the script counts its tables afterwards and flags any run that changed it (the gate must only migrate its own
throwaway database).

Only the standard library is used; PostgreSQL is reached through ``psql``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_CORPUS = Path("/tmp/corpus")
DEFAULT_MANIFEST = Path(__file__).resolve().parent / "corpus" / "manifest.json"
DEFAULT_BIN = "/tmp/corpus/.venv/bin/schema-guard"
SERVER = {"host": "127.0.0.1", "port": "5432", "user": "postgres"}
SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CONFIG_NAME = ".schema-guard-corpus.toml"
TIMEOUT = 900
TRACEBACK = "Traceback (most recent call last)"


@dataclass(frozen=True)
class Project:
    """One manifest entry, with paths resolved against the checkout (``<corpus>/<name>``)."""

    name: str
    corpus: Path
    manifest_dir: Path
    raw: dict[str, Any]

    @property
    def checkout(self) -> Path:
        return self.corpus / self.name

    def expand(self, value: Any) -> str:
        """``{checkout}``, ``{corpus}`` and ``{manifest}`` filled in (manifest paths stay machine-independent)."""
        return str(value).format(checkout=self.checkout, corpus=self.corpus, manifest=self.manifest_dir)

    @property
    def venv(self) -> Path | None:
        venv = self.raw.get("venv")
        return (self.corpus / venv).resolve() if venv else None

    @property
    def scratch(self) -> Path:
        return self.corpus / "scratch" / self.name

    def binary(self, name: str, default_bin: str) -> str:
        """``schema-guard``/``python`` of the project's venv, else the one next to ``--schema-guard-bin``."""
        folder = self.venv / "bin" if self.venv else Path(default_bin).parent
        return str(folder / name)

    @property
    def root(self) -> Path:
        return (self.checkout / self.raw.get("project_root", ".")).resolve()

    @property
    def module_root(self) -> Path:
        return (self.root / self.raw.get("module_root", ".")).resolve()

    @property
    def alembic_ini(self) -> Path | None:
        ini = self.raw.get("alembic_ini")
        return (self.root / self.expand(ini)).resolve() if ini else None

    def paths(self, key: str) -> list[Path]:
        values = self.raw.get(key)
        if values is None and key == "src":
            values = self.raw.get("models_src", ["."])
        return [(self.root / value).resolve() for value in values or []]


@dataclass
class RunResult:
    """One command run against one project."""

    project: str
    mode: str
    exit_code: int | None
    seconds: float
    findings: list[dict[str, Any]] = field(default_factory=list)
    codes: dict[str, int] = field(default_factory=dict)
    crash: str | None = None
    stderr_tail: str = ""
    touched_tables: int = 0

    def summary_codes(self) -> str:
        return " ".join(f"{code}:{count}" for code, count in sorted(self.codes.items())) or "-"


def load_manifest(path: Path, corpus: Path = DEFAULT_CORPUS) -> list[Project]:
    """The manifest's projects; each checkout is ``<corpus>/<name>``."""
    entries = json.loads(path.read_text(encoding="utf-8"))
    return [Project(entry["name"], corpus.resolve(), path.resolve().parent, entry) for entry in entries]


def toml_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(value) for value in values) + "]"


def config_text(project: Project, *, with_models: bool) -> str:
    """A ``[tool.schema_guard]`` document for one project; every path absolute."""
    raw = project.raw
    lines = ["[tool.schema_guard]", f"src = {toml_list([str(p) for p in project.paths('src')])}"]
    if with_models and raw.get("model_modules"):
        lines.append(f"models = {toml_list(raw['model_modules'])}")
    for key in ("tenant_table", "tenant_column", "tenant_key"):
        if raw.get(key):
            lines.append(f"{key.replace('_', '-')} = {json.dumps(raw[key])}")
    if raw.get("shared_tables"):
        lines.append(f"shared-tables = {toml_list(raw['shared_tables'])}")
    if raw.get("ignore"):
        lines.append(f"ignore = {toml_list(raw['ignore'])}")
    lines.append("")
    lines.append("[tool.schema_guard.migrations]")
    if project.alembic_ini:
        lines.append(f"alembic-config = {json.dumps(str(project.alembic_ini))}")
    lines.append(f"database-url = {json.dumps(SERVER_URL)}")
    return "\n".join(lines) + "\n"


def write_config(project: Project, *, with_models: bool) -> Path:
    """Write the temporary configuration at the module root (its folder is schema-guard's root and sys.path)."""
    path = project.module_root / CONFIG_NAME
    path.write_text(config_text(project, with_models=with_models), encoding="utf-8")
    return path


def project_env(project: Project, database: str) -> dict[str, str]:
    """The process environment for a run: ours, plus the manifest's ``env`` rendered for ``database``."""
    url_tail = f"{SERVER['user']}@{SERVER['host']}:{SERVER['port']}/{database}"
    values = {
        "url": f"postgresql+psycopg://{url_tail}",
        "url_plain": f"postgresql://{url_tail}",
        "db": database,
        "scratch": str(project.scratch),
        "checkout": str(project.checkout),
        "corpus": str(project.corpus),
        "manifest": str(project.manifest_dir),
        **SERVER,
    }
    project.scratch.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.pop("SCHEMA_GUARD_DATABASE_URL", None)
    env.update({key: str(value).format(**values) for key, value in project.raw.get("env", {}).items()})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(project.module_root), env.get("PYTHONPATH", "")]))
    return env


def detect_crash(stdout: str, stderr: str, exit_code: int | None) -> str | None:
    """The traceback's last lines, a timeout, or a note that stdout was not JSON; ``None`` when clean."""
    if exit_code is None:
        return "timeout"
    if exit_code == 127 and not stdout.strip():
        return stderr.strip()[:300] or "command not found"
    if TRACEBACK in stderr:
        tail = stderr[stderr.rindex(TRACEBACK):].strip().splitlines()
        return " | ".join(line.strip() for line in tail[-3:])
    if stdout.strip():
        try:
            json.loads(stdout)
        except json.JSONDecodeError:
            return "stdout is not JSON: " + stdout.strip().splitlines()[0][:200]
    return None


def run(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[int | None, str, str, float]:
    """Run a command; exit code ``None`` means it timed out."""
    started = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired as expired:
        out = expired.stdout.decode() if isinstance(expired.stdout, bytes) else (expired.stdout or "")
        err = expired.stderr.decode() if isinstance(expired.stderr, bytes) else (expired.stderr or "")
        return None, out, err, time.perf_counter() - started
    except FileNotFoundError:  # a venv whose --setup did not finish: one project's problem, not the whole run's
        return 127, "", f"{command[0]}: not found (run --setup for this project)", time.perf_counter() - started
    return done.returncode, done.stdout, done.stderr, time.perf_counter() - started


def schema_guard_run(project: Project, mode: str, binary: str) -> RunResult:
    """``check`` (mode ``source`` or ``full``) or ``migrations`` (mode ``gate``) with JSON output."""
    config = write_config(project, with_models=mode != "source")
    command = [binary, "migrations" if mode == "gate" else "check", "--config", str(config), "--format", "json",
               "--no-baseline"]
    if mode != "gate":  # venvs change between runs (--setup, pins); the cache does not follow the installed sqlmodel
        command.append("--no-cache")
    app_db = database_name(project, "app")
    psql(f'DROP DATABASE IF EXISTS "{app_db}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{app_db}"')
    try:
        code, out, err, seconds = run(command, project.module_root, project_env(project, app_db))
        touched = int(psql(USER_TABLES, app_db) or 0)
    finally:
        config.unlink(missing_ok=True)
        psql(f'DROP DATABASE IF EXISTS "{app_db}" WITH (FORCE)')
    result = RunResult(project.name, mode, code, seconds, crash=detect_crash(out, err, code),
                       stderr_tail=err.strip()[-1500:], touched_tables=touched)
    try:
        findings = json.loads(out) if out.strip() else []
    except json.JSONDecodeError:
        findings = []
    result.findings = findings if isinstance(findings, list) else []
    result.codes = dict(Counter(str(f.get("code")) for f in result.findings))
    return result


USER_TABLES = "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"


def psql(sql: str, database: str = "postgres") -> str:
    """Run one statement; its single value (``-At``), if any."""
    done = subprocess.run(["psql", "-h", SERVER["host"], "-p", SERVER["port"], "-U", SERVER["user"], "-d", database,
                           "-v", "ON_ERROR_STOP=1", "-qAtc", sql], check=True, capture_output=True, text=True)
    return done.stdout.strip()


def database_name(project: Project, role: str) -> str:
    """``corpus_<name>`` for plain Alembic, ``corpus_<name>_app`` for the schema-guard runs."""
    base = "corpus_" + re.sub(r"\W", "_", project.name.lower())
    return base if role == "alembic" else f"{base}_{role}"


UPGRADE_SNIPPET = """
import sys
from alembic import command
from alembic.config import Config
config = Config(sys.argv[1])
config.set_main_option("sqlalchemy.url", sys.argv[2])
command.upgrade(config, "head")
"""


def alembic_run(project: Project, python: str) -> RunResult:
    """Plain ``alembic upgrade head`` on a fresh ``corpus_<name>`` database (``sqlalchemy.url`` set like the gate)."""
    ini = project.alembic_ini
    assert ini is not None
    database = database_name(project, "alembic")
    psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{database}"')
    env = project_env(project, database)
    url = f"postgresql+psycopg://{SERVER['user']}@{SERVER['host']}:{SERVER['port']}/{database}"
    env.setdefault("DATABASE_URL", url)
    try:
        code, out, err, seconds = run([python, "-c", UPGRADE_SNIPPET, str(ini), url], ini.parent, env)
    finally:
        psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    crash = detect_crash("", err, code) if code != 0 else None
    if code not in (0, None) and crash is None:
        crash = (err.strip().splitlines() or ["(no stderr)"])[-1][:300]
    return RunResult(project.name, "alembic", code, seconds, crash=crash, stderr_tail=err.strip()[-1500:])


def git(git_dir: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> str:
    """One git command on a bare snapshot; its stdout."""
    done = subprocess.run(["git", f"--git-dir={git_dir}", *args], input=stdin, env=env, capture_output=True,
                          text=True, check=True)
    return done.stdout


def extract_project(project: Project, mirrors: Path) -> str:
    """Lay the manifest's commit of a fetched snapshot (``<mirrors>/<owner>+<name>/repo``) out as the checkout.

    Why not a plain ``git archive``: snapshots lack files of 4 MiB and more, and archive stops at the first
    missing blob. The commit's tree is read into a scratch index, entries whose blob is absent are dropped (they
    are test data, fonts, tokenizers: nothing a model import needs) and that tree is archived. An existing
    checkout is left alone."""
    owner, repo = project.raw["repo"].rstrip("/").split("/")[-2:]
    git_dir = mirrors / f"{owner}+{repo}" / "repo"
    if not git_dir.is_dir():
        return f"no snapshot at {git_dir}: fetch github:{owner}/{repo} first"
    if project.checkout.exists():
        return f"{project.checkout} exists, left as it is"
    commit = project.raw["commit"]
    try:
        git(git_dir, "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}")
    except subprocess.CalledProcessError:
        return f"commit {commit} is not in the snapshot (HEAD is {git(git_dir, 'rev-parse', 'HEAD').strip()})"
    project.corpus.mkdir(parents=True, exist_ok=True)
    index = project.corpus / f".index-{project.name}"
    env = {**os.environ, "GIT_INDEX_FILE": str(index)}
    try:
        git(git_dir, "read-tree", commit, env=env)
        entries = [line.split("\t", 1) for line in git(git_dir, "ls-files", "-s", env=env).splitlines()]
        objects = "".join(meta.split()[1] + "\n" for meta, _ in entries)
        status = git(git_dir, "cat-file", "--batch-check", stdin=objects).splitlines()
        missing = [path for (_, path), line in zip(entries, status) if line.endswith(" missing")]
        if missing:
            # update-index wants a work tree even for removals from the index; it touches no file there
            git(git_dir, f"--work-tree={project.corpus}", "update-index", "--force-remove", "-z", "--stdin",
                env=env, stdin="".join(path + "\0" for path in missing))
        tree = git(git_dir, "write-tree", env=env).strip()
    finally:
        index.unlink(missing_ok=True)
    project.checkout.mkdir(parents=True)
    archive = subprocess.Popen(["git", f"--git-dir={git_dir}", "archive", tree], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(project.checkout)], stdin=archive.stdout, check=True)
    archive.wait()
    return f"extracted {commit[:12]}" + (f" without {len(missing)} file(s) the snapshot lacks" if missing else "")


def render_ini_template(project: Project) -> None:
    """Write ``<corpus>/inis/<name>.ini`` from the project's template, the way the project renders it at run time
    (jupyterhub: ``script_location = {alembic_dir}``); the URL stays a placeholder the runs override."""
    template = project.raw.get("alembic_ini_template")
    if not template:
        return
    values = {key: project.expand(value) for key, value in template.get("values", {}).items()}
    text = (project.root / template["path"]).read_text(encoding="utf-8").format(**values)
    target = project.corpus / "inis" / f"{project.name}.ini"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def setup_project(project: Project, schema_guard_src: Path) -> int:
    """Create the project's venv (if missing) and install schema-guard (editable) plus its ``requirements``."""
    render_ini_template(project)
    if project.venv is None:
        return 0
    python = project.binary("python", DEFAULT_BIN)
    if not Path(python).exists():
        interpreter = project.raw.get("python", sys.executable)
        subprocess.run([interpreter, "-m", "venv", str(project.venv)], check=True)
    extra = [project.expand(arg) for arg in project.raw.get("requirements", [])]
    command = [python, "-m", "pip", "install", "-q", "-e", str(schema_guard_src), *extra]
    print(f"{project.name}: {' '.join(command)}", flush=True)
    code = subprocess.run(command).returncode
    pins = [project.expand(arg) for arg in project.raw.get("pins", [])]
    if code == 0 and pins:  # the project's own pins, installed over schema-guard's declared floors
        code = subprocess.run([python, "-m", "pip", "install", "-q", *pins]).returncode
    return code


def run_project(project: Project, args: argparse.Namespace) -> list[RunResult]:
    """Every requested mode for one project, each printed as it finishes."""
    binary = project.binary("schema-guard", args.schema_guard_bin)
    results = [schema_guard_run(project, "source", binary)]
    if project.raw.get("model_modules"):
        results.append(schema_guard_run(project, "full", binary))
    if args.gate and project.alembic_ini:
        results.append(schema_guard_run(project, "gate", binary))
        results.append(alembic_run(project, project.binary("python", args.schema_guard_bin)))
    for result in results:
        print_result(result)
    return results


def print_result(result: RunResult) -> None:
    print(f"{result.project:<28} {result.mode:<8} exit={result.exit_code!s:<5} {result.seconds:7.2f}s "
          f"n={len(result.findings):<4} {result.summary_codes()}", flush=True)
    if result.crash:
        print(f"    CRASH: {result.crash}", flush=True)
    fatal = [f for f in result.findings if str(f.get("code", "")).startswith("SG0")]
    for finding in fatal[:5]:
        print(f"    {finding.get('code')} {finding.get('path')}:{finding.get('line')} {finding.get('message')}",
              flush=True)


def gate_verdict(result: RunResult) -> bool:
    """The gate reached a verdict: exit 0 (pass) or 1 (findings), no traceback, parsable output."""
    return result.exit_code in (0, 1) and result.crash is None


def crash_kind(crash: str) -> str:
    """``TRACEBACK`` (schema-guard died), ``BAD OUTPUT`` (stdout is not the JSON report) or ``TIMEOUT``."""
    if crash == "timeout":
        return "TIMEOUT"
    return "BAD OUTPUT" if crash.startswith("stdout is not JSON") else "TRACEBACK"


def mismatches(results: list[RunResult]) -> list[str]:
    """Lines for the problems a person must see first: tracebacks and gate-vs-Alembic disagreements."""
    by_key = {(r.project, r.mode): r for r in results}
    lines = [f"{crash_kind(r.crash)} {r.project} {r.mode}: {r.crash}" for r in results
             if r.mode != "alembic" and r.crash]
    lines += [f"APPLICATION DATABASE CHANGED {r.project} {r.mode}: {r.touched_tables} tables" for r in results
              if r.touched_tables]
    for name in dict.fromkeys(r.project for r in results):
        gate, plain = by_key.get((name, "gate")), by_key.get((name, "alembic"))
        if gate is None or plain is None:
            continue
        refusal = "; ".join(str(f.get("message"))[:200] for f in gate.findings
                            if str(f.get("code")) in ("SG002", "SG011"))
        if plain.exit_code == 0 and not gate_verdict(gate):
            lines.append(f"GATE REFUSED WHERE ALEMBIC WORKED {name}: exit={gate.exit_code} {refusal}")
        elif plain.exit_code != 0 and gate_verdict(gate):
            lines.append(f"gate reached a verdict where alembic failed {name}: {plain.crash}")
    return lines


def print_table(results: list[RunResult]) -> None:
    """The summary: one row per project, one column per mode (exit code / findings / seconds)."""
    modes = ["source", "full", "gate", "alembic"]
    print("\n| project | " + " | ".join(modes) + " |")
    print("|---|" + "---|" * len(modes))
    by_key = {(r.project, r.mode): r for r in results}
    for name in dict.fromkeys(r.project for r in results):
        cells = []
        for mode in modes:
            r = by_key.get((name, mode))
            cells.append("" if r is None else
                         f"{r.exit_code}/{len(r.findings)}/{r.seconds:.1f}s{' CRASH' if r.crash else ''}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    totals: Counter[str] = Counter()
    for r in results:
        if r.mode in ("full", "gate"):
            totals.update(r.codes)
    print("\nfindings by code (full + gate): " + ", ".join(f"{c}={n}" for c, n in sorted(totals.items())))
    alembic_ok = [r.project for r in results if r.mode == "alembic" and r.exit_code == 0]
    gate_ok = [r.project for r in results if r.mode == "gate" and gate_verdict(r)]
    full_ok = [r.project for r in results if r.mode == "full" and "SG002" not in r.codes and r.crash is None]
    print(f"plain alembic upgrade head worked: {len(alembic_ok)} ({', '.join(alembic_ok)})")
    print(f"gate reached a verdict: {len(gate_ok)} ({', '.join(gate_ok)})")
    print(f"models imported (full, no SG002): {len(full_ok)} ({', '.join(full_ok)})")
    for line in mismatches(results) or ["no traceback, no gate refusal where plain alembic worked"]:
        print(("!! " if line[:4].isupper() else "   ") + line)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                        help="folder holding the checkouts (<corpus>/<name>) and the venvs (default /tmp/corpus)")
    parser.add_argument("--only", action="append", help="project name (repeatable)")
    parser.add_argument("--gate", action=argparse.BooleanOptionalAction, default=False,
                        help="also run the migration gate and a plain alembic upgrade head")
    parser.add_argument("--json-out", type=Path, help="write every result with its raw findings here")
    parser.add_argument("--schema-guard-bin", default=DEFAULT_BIN)
    parser.add_argument("--extract", type=Path, metavar="MIRRORS",
                        help="lay out each selected project's commit from the fetched snapshots in MIRRORS "
                             "(<owner>+<name>/repo) as <corpus>/<name>, then stop")
    parser.add_argument("--setup", action="store_true",
                        help="create/refresh the selected projects' venvs instead of running them")
    parser.add_argument("--schema-guard-src", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="schema-guard clone installed editable into each venv (default: this one)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    projects = [p for p in load_manifest(args.manifest, args.corpus) if not args.only or p.name in args.only]
    if not projects:
        print("no project selected", file=sys.stderr)
        return 2
    if args.extract:
        for project in projects:
            print(f"{project.name}: {extract_project(project, args.extract)}", flush=True)
        return 0
    if args.setup:
        failed = [p.name for p in projects if setup_project(p, args.schema_guard_src) != 0]
        print("setup failed: " + ", ".join(failed) if failed else "setup done", file=sys.stderr)
        return 1 if failed else 0
    results: list[RunResult] = []
    for project in projects:
        results.extend(run_project(project, args))
    print_table(results)
    if args.json_out:
        args.json_out.write_text(json.dumps([r.__dict__ for r in results], indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
