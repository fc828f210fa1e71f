"""The decider: one place decides, for every finding stream, which findings are reported — the selection (config and
command line), per-file ignores, inline suppressions and SG003, the baseline — and a finding that applied another
rule (SG606) is judged under both codes. The unit tests build findings by hand; the last ones run the migration gate
(the bug this fixed: ``--ignore SG203`` still reported "SG606 SG203 at head", ``--extend-select`` never reached the
rules SG606 applies)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from schema_guard.baseline import write_baseline
from schema_guard.config import Config, ConfigError, parse_config
from schema_guard.decide import Decider
from schema_guard.facts import Location, SchemaFacts
from schema_guard.findings import Finding
from tests.gate.support import materialise


def finding(code: str, path: Path | None = None, line: int | None = None, **fields: object) -> Finding:
    location = Location(str(path), line, 1) if path else Location()
    return Finding(code=code, message=f"{code} here", location=location, **fields)  # type: ignore[arg-type]


def config(tmp_path: Path, **settings: object) -> Config:
    return parse_config(settings, root=tmp_path)


def codes(findings: list[Finding]) -> list[str]:
    return [f"{f.code}:{f.origin_code}" if f.origin_code else f.code for f in findings]


def test_command_line_ignore_and_extend_select_add_to_the_configuration(tmp_path: Path) -> None:
    decider = Decider.from_config(config(tmp_path, ignore=["SG3"]), ignore=["SG203"], extend_select=["SG206"])
    assert decider.selection.ignore == ("SG3", "SG203")
    assert not decider.enabled("SG203") and not decider.enabled("SG301")
    assert decider.enabled("SG206") and decider.enabled("SG204")


def test_command_line_select_replaces_the_configuration(tmp_path: Path) -> None:
    decider = Decider.from_config(config(tmp_path, select=["SG2"]), select=["SG1"])
    assert decider.enabled("SG101") and not decider.enabled("SG203")


@pytest.mark.parametrize(
    ("settings", "options", "message"),
    [
        ({"select": ["SG9"]}, {}, "select: 'SG9' matches no rule code"),
        ({}, {"ignore": ["XX1"]}, "ignore: 'XX1' matches no rule code"),
        ({"per-file-ignores": {"migrations/*": ["SG99"]}}, {}, "per-file-ignores 'migrations/*': 'SG99'"),
    ],
)
def test_unknown_codes_are_configuration_errors(
    tmp_path: Path, settings: dict[str, object], options: dict[str, list[str]], message: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        Decider.from_config(config(tmp_path, **settings), **options)


def test_a_finding_that_applied_a_rule_is_judged_under_both_codes(tmp_path: Path) -> None:
    head_sg203 = finding("SG606", origin_code="SG203")
    head_sg204 = finding("SG606", origin_code="SG204")
    result = Decider.from_config(config(tmp_path), ignore=["SG203"]).decide([head_sg203, head_sg204])
    assert codes(result.findings) == ["SG606:SG204"]
    assert Decider.from_config(config(tmp_path), ignore=["SG606"]).decide([head_sg203]).findings == []


def test_per_file_ignores_match_the_applied_rule_too(tmp_path: Path) -> None:
    revision = tmp_path / "migrations" / "versions" / "0002.py"
    revision.parent.mkdir(parents=True)
    revision.write_text("x = 1\n", encoding="utf-8")
    settings = config(tmp_path, **{"per-file-ignores": {"migrations/versions/*.py": ["SG2"]}})
    found = [finding("SG606", revision, 1, origin_code="SG203"), finding("SG605", revision, 1),
             finding("SG203", tmp_path / "models.py", 1)]
    assert codes(Decider.from_config(settings).decide(found).findings) == ["SG605", "SG203"]


def test_fatal_findings_are_never_deselected_suppressed_or_baselined(tmp_path: Path) -> None:
    models = tmp_path / "models.py"
    models.write_text("import nothing  # schema-guard: ignore\n", encoding="utf-8")
    fatal = finding("SG002", models, 1, severity="fatal")
    settings = config(tmp_path, ignore=["SG002"])
    write_baseline([fatal], settings)
    result = Decider.from_config(settings).decide([fatal])
    assert result.findings == [fatal] and result.exit_code == 2
    assert (result.suppressed, result.baselined) == (0, 0)


def test_inline_suppressions_silence_findings_and_unused_ones_are_sg003(tmp_path: Path) -> None:
    models = tmp_path / "models.py"
    models.write_text(
        "a = 1  # schema-guard: ignore[SG203]\n"
        "b = 2  # schema-guard: ignore[SG204]\n"
        "c = 3  # schema-guard: ignore[SG206]\n",
        encoding="utf-8",
    )
    found = [finding("SG203", models, 1)]
    source = [SchemaFacts(reader="source")]
    result = Decider.from_config(config(tmp_path)).decide(found, files=[models], facts=source)
    assert result.suppressed == 1
    assert [(f.code, f.line, f.detail) for f in result.findings] == [("SG003", 2, "SG204")], (
        "SG206 is opt-in and not selected: its suppression is not judged"
    )
    quiet = Decider.from_config(config(tmp_path), ignore=["SG003"])
    assert quiet.decide(found, files=[models], facts=source).findings == []
    assert Decider.from_config(config(tmp_path)).decide(found, files=[models]).findings == [], (
        "no reader ran (the gate's stream): no suppression can be judged unused"
    )


def test_the_baseline_accepts_known_findings_unless_told_not_to(tmp_path: Path) -> None:
    models = tmp_path / "models.py"
    models.write_text("a = 1\nb = 2\n", encoding="utf-8")
    settings = config(tmp_path)
    old, new = finding("SG203", models, 1, table="exams"), finding("SG204", models, 2, table="exams")
    write_baseline([old], settings)
    result = Decider.from_config(settings).decide([new, old])
    assert (codes(result.findings), result.baselined) == (["SG204"], 1)
    unbaselined = Decider.from_config(settings, use_baseline=False).decide([new, old])
    assert (codes(unbaselined.findings), unbaselined.baselined) == (["SG203", "SG204"], 0), "sorted by location"


def test_a_baselined_head_finding_keeps_its_fingerprint(tmp_path: Path) -> None:
    """SG606 findings used to carry the applied rule in ``detail`` as ``"SG203:"``; their fingerprints did not
    change when it became ``origin_code``, so existing baselines still hold them."""
    from schema_guard.baseline import fingerprint

    head = finding("SG606", table="lessons", column_name="student_id", origin_code="SG203")
    before = finding("SG606", table="lessons", column_name="student_id", detail="SG203:")
    assert fingerprint(head, tmp_path) == fingerprint(before, tmp_path)


# The migration gate through the command line --------------------------------------------------------------------


def head_rules(root: Path, database_url: str, *options: str) -> list[str]:
    """The rules SG606 reported having applied (``origin_code`` in the JSON output) for one `migrations` run."""
    env = {key: value for key, value in os.environ.items() if key != "GITHUB_ACTIONS"}
    run = subprocess.run(
        [sys.executable, "-m", "schema_guard", "migrations", "--database-url", database_url, "--format", "json",
         *options],
        cwd=root, capture_output=True, text=True, timeout=300, check=False, env=env,
    )
    assert run.returncode in {0, 1}, run.stderr
    reported = json.loads(run.stdout)
    assert all("at head" not in f["message"] or f["code"] == "SG606" for f in reported)
    return sorted(str(f["origin_code"]) for f in reported if f["code"] == "SG606")


def test_migrations_ignore_and_extend_select_reach_the_rules_sg606_applies(tmp_path: Path, server_url: str) -> None:
    root = materialise("missing_tenant_index", tmp_path)
    revision = root / "migrations" / "versions" / "0002_lessons.py"
    text = revision.read_text(encoding="utf-8")
    # A unique title per lesson, not per student: SG207 (opt-in) at head.
    revision.write_text(text.replace('sa.PrimaryKeyConstraint("id"),', 'sa.PrimaryKeyConstraint("id"), '
                                     'sa.UniqueConstraint("title"),'), encoding="utf-8")
    assert head_rules(root, server_url) == ["SG203"]
    assert head_rules(root, server_url, "--ignore", "SG203") == []
    assert head_rules(root, server_url, "--extend-select", "SG207") == ["SG203", "SG207"]
