"""``--format sarif``: a SARIF 2.1.0 log that validates against the official schema and that GitHub code scanning
can place on the right line and track across edits.

tests/data/sarif-schema-2.1.0.json is the OASIS SARIF 2.1.0 (errata01) JSON schema, unmodified.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from schema_guard.baseline import fingerprint
from schema_guard.engine import CheckResult
from schema_guard.facts import Location
from schema_guard.findings import Finding, problem
from schema_guard.reporters import sarif
from schema_guard.rule_docs import explain, rules_markdown
from schema_guard.rules.registry import catalogue
from tests.helpers import SARIF_SCHEMA, STUDENTS_MODULE, assert_valid_sarif, run_cli, write_project


EXAM = """\
import uuid

from sqlmodel import Field, SQLModel


class Exam(SQLModel, table=True):
    __tablename__ = "exams"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    student_id: uuid.UUID = Field(foreign_key="students.id")
"""


def render(findings: list[Finding], cwd: Path, **counts: int) -> dict[str, Any]:
    return json.loads(sarif.render(CheckResult(findings=findings, **counts), cwd))  # type: ignore[no-any-return]


def sg203(path: Path, line: int = 9, column: int = 5) -> Finding:
    rule = catalogue()["SG203"]()
    return rule.finding(
        "tenant column 'exams.student_id' is not the leading column of any index",
        Location(str(path), line, column), reader="source", table="exams", column="student_id",
    )


def test_the_shipped_schema_is_the_official_sarif_2_1_0_schema() -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert schema["id"] == "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert {"run", "result", "reportingDescriptor", "physicalLocation", "region"} <= set(schema["definitions"])
    jsonschema.Draft4Validator.check_schema(schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"version": "2.1.0", "runs": [{"results": []}]}, schema)  # a run needs a tool


def test_log_with_findings_validates(tmp_path: Path) -> None:
    model = tmp_path / "app" / "exams.py"
    model.parent.mkdir()
    model.write_text(EXAM, encoding="utf-8")
    fatal = problem("SG002", "importing module 'app.broken' raised ImportError", Location(str(model)), "metadata")
    log = render([sg203(model), fatal], tmp_path, suppressed=2, baselined=3)
    assert_valid_sarif(log)
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    assert run["tool"]["driver"]["name"] == "schema-guard"
    assert run["properties"] == {"suppressed": 2, "baselined": 3}
    assert run["invocations"] == [{"executionSuccessful": False}], "a fatal finding means the check did not finish"


def test_clean_log_validates(tmp_path: Path) -> None:
    log = render([], tmp_path)
    assert_valid_sarif(log)
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["invocations"] == [{"executionSuccessful": True}]


def test_result_points_at_the_file_relative_to_srcroot(tmp_path: Path) -> None:
    model = tmp_path / "app" / "exams.py"
    model.parent.mkdir()
    model.write_text(EXAM, encoding="utf-8")
    log = render([sg203(model, 9, 5)], tmp_path)
    run = log["runs"][0]
    (result,) = run["results"]
    assert result["ruleId"] == "SG203"
    assert result["level"] == "error"
    assert result["message"]["text"] == "tenant column 'exams.student_id' is not the leading column of any index"
    assert result["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "app/exams.py", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 9, "startColumn": 5},
            }
        }
    ]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "SG203"


def test_fatal_findings_are_errors_too(tmp_path: Path) -> None:
    fatal = problem("SG001", "app/broken.py does not parse: invalid syntax", Location(str(tmp_path / "b.py"), 3, 1),
                    "source")
    (result,) = render([fatal], tmp_path)["runs"][0]["results"]
    assert result["level"] == "error" and result["ruleId"] == "SG001"
    assert result["properties"]["severity"] == "fatal"


def test_paths_are_uri_encoded_and_files_outside_the_tree_are_absolute(tmp_path: Path) -> None:
    inside = tmp_path / "work" / "my app" / "exams.py"
    inside.parent.mkdir(parents=True)
    inside.write_text(EXAM, encoding="utf-8")
    outside = tmp_path / "elsewhere.py"
    outside.write_text(EXAM, encoding="utf-8")
    log = render([sg203(inside), sg203(outside)], tmp_path / "work")
    assert_valid_sarif(log)
    first, second = (r["locations"][0]["physicalLocation"]["artifactLocation"] for r in log["runs"][0]["results"])
    assert first == {"uri": "my%20app/exams.py", "uriBaseId": "%SRCROOT%"}
    assert second == {"uri": outside.resolve().as_uri()}


def test_finding_without_a_file_is_shown_at_the_configuration(tmp_path: Path) -> None:
    """GitHub code scanning drops results without a location; an unreachable database has no file of its own."""
    unavailable = problem("SG010", "no PostgreSQL server at localhost:5432", Location(), "migrations")
    (bare,) = render([unavailable], tmp_path)["runs"][0]["results"]
    assert "locations" not in bare
    (tmp_path / "pyproject.toml").write_text("[tool.schema_guard]\n", encoding="utf-8")
    log = render([unavailable], tmp_path)
    assert_valid_sarif(log)
    (placed,) = log["runs"][0]["results"]
    assert placed["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "pyproject.toml", "uriBaseId": "%SRCROOT%"
    }


def test_every_rule_is_described_with_help_and_a_link_into_docs(tmp_path: Path) -> None:
    rules = render([], tmp_path)["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(catalogue())
    headings = {line[3:] for line in rules_markdown().splitlines() if line.startswith("## ")}
    for descriptor in rules:
        rule = catalogue()[descriptor["id"]]
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary
        assert descriptor["fullDescription"]["text"] == rule.rationale
        assert descriptor["help"]["text"] == rule.how_to_fix
        assert descriptor["help"]["markdown"] == explain(rule.code)
        assert descriptor["defaultConfiguration"]["enabled"] is not rule.opt_in
        page, anchor = descriptor["helpUri"].split("#")
        assert page.startswith("https://") and page.endswith("/docs/rules.md")
        # GitHub's anchor for "## SG203 unindexed-tenant-column" is "sg203-unindexed-tenant-column".
        assert any(heading.lower().replace(" ", "-") == anchor for heading in headings), descriptor["helpUri"]


def test_partial_fingerprint_is_the_baseline_fingerprint_and_survives_a_line_move(tmp_path: Path) -> None:
    before_edit, after_edit = tmp_path / "before", tmp_path / "after"
    for root, text in ((before_edit, EXAM), (after_edit, '"""Exams."""\n\n' + EXAM)):
        root.mkdir()
        (root / "exams.py").write_text(text, encoding="utf-8")
    finding = sg203(before_edit / "exams.py", 9)
    before = render([finding], before_edit)["runs"][0]["results"][0]["partialFingerprints"]
    assert before == {sarif.FINGERPRINT_KEY: fingerprint(finding, before_edit)}
    after = render([sg203(after_edit / "exams.py", 11)], after_edit)["runs"][0]["results"][0]["partialFingerprints"]
    assert after == before


def test_finding_specific_fix_is_added_to_the_message(tmp_path: Path) -> None:
    rule = catalogue()["SG203"]()
    specific = rule.finding("tenant column not indexed", Location(str(tmp_path / "m.py"), 1, 1), reader="source",
                            fix="add index=True to student_id")
    (result,) = render([specific], tmp_path)["runs"][0]["results"]
    assert result["message"]["text"] == "tenant column not indexed — add index=True to student_id"


def test_cli_writes_a_valid_sarif_file(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"app/__init__.py": "", "app/students.py": STUDENTS_MODULE, "app/exams.py": EXAM})
    run = run_cli(project, "check", "--format", "sarif", "--output", "schema-guard.sarif")
    assert run.exit_code == 1, run.stderr
    assert run.stdout == ""
    log = json.loads((project / "schema-guard.sarif").read_text(encoding="utf-8"))
    assert_valid_sarif(log)
    located = {
        (r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
         r["locations"][0]["physicalLocation"]["region"]["startLine"])
        for r in log["runs"][0]["results"]
    }
    assert ("SG203", "app/exams.py", 9) in located
