"""CI outputs: JUnit XML valid against Jenkins' schema, and a Markdown summary under 64 KB (raudit/report/ci.py)."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner

from raudit import CheckResult, Finding, Report
from raudit.cli import main
from raudit.report.ci import MARKDOWN_LIMIT, to_junit, to_markdown

XSD = Path(__file__).parent / "data" / "junit-10.xsd"


@pytest.fixture(scope="module")
def schema():
    xmlschema = pytest.importorskip("xmlschema")
    return xmlschema.XMLSchema(str(XSD))


def _report(junit_warnings_as: str = "skipped", fail_on: str = "fail") -> Report:
    return Report(
        results=[
            CheckResult("performance", "Performance", "warn", summary="AUC 0.68", duration_s=0.25,
                        findings=[Finding("warn", "ROC-AUC is 0.680 (warn below 0.7).", "roc_auc"),
                                  Finding("pass", "ECE 0.01", "ece"), Finding("skipped", "no probabilities", "proba")]),
            CheckResult("fairness", "Fairness", "fail", summary="1 disparity fails",
                        findings=[Finding("fail", "[sex] Selection rate for F is 0.61 of M's <b>&\x00", "sex/F/selection_rate"),
                                  Finding("pass", "ok", "sex/ok"), Finding("pass", "ok again", "sex/ok")]),
            CheckResult("energy", "Energy", "error", summary="The check raised an error: boom",
                        findings=[Finding("error", "The check could not complete: boom.")]),
            CheckResult("lineage", "Lineage", "skipped", summary="Skipped: no files."),
        ],
        lineage={"created_utc": "2026-11-25T10:00:00+00:00", "versions": {"raudit": "0.1.0"},
                 "data_file": {"name": "data.csv", "sha256": "ab" * 32}},
        config={"junit_warnings_as": junit_warnings_as, "fail_on": fail_on},
    )


def _cases(xml: bytes) -> dict[str, str]:
    """testcase 'classname::name' -> its outcome."""
    out = {}
    for case in ET.fromstring(xml).iter("testcase"):
        child = next(iter(case), None)
        out[f"{case.get('classname')}::{case.get('name')}"] = child.tag if child is not None else "passed"
    return out


@pytest.mark.parametrize("warnings_as", ["skipped", "failure", "passed"])
def test_junit_validates_against_the_jenkins_schema_and_maps_statuses(schema, warnings_as):
    xml = to_junit(_report(warnings_as))
    schema.validate(xml.decode("utf-8"))
    cases = _cases(xml)
    assert cases == {
        "raudit::performance": warnings_as, "raudit.performance::roc_auc": warnings_as, "raudit.performance::ece": "passed",
        "raudit::fairness": "failure", "raudit.fairness::sex/F/selection_rate": "failure",
        "raudit.fairness::sex/ok": "passed", "raudit.fairness::sex/ok #2": "passed",
        "raudit::energy": "error", "raudit.energy::finding 1": "error",
        "raudit::lineage": "skipped",
    }, "one case per check and per judged finding; the skipped finding 'proba' is not a case"
    suite = ET.fromstring(xml).find("testsuite")
    assert suite is not None
    n_fail = 2 + 2 * (warnings_as == "failure")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("10", str(n_fail), "2")
    assert suite.get("skipped") == str(1 + 2 * (warnings_as == "skipped"))
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["raudit.status"] == "error" and props["raudit.report_sha256"] == _report(warnings_as).to_dict()["integrity"]["digest"]
    assert props["raudit.data_file.sha256"] == "ab" * 32


def test_junit_escapes_markup_and_drops_characters_xml_cannot_hold(schema):
    xml = to_junit(_report())
    schema.validate(xml.decode("utf-8"))
    assert b"<b>" not in xml and b"&lt;b&gt;&amp;" in xml and b"\x00" not in xml


def test_junit_warnings_as_is_a_typed_config_key():
    from raudit import AuditConfig, ConfigError

    assert AuditConfig.from_mapping({"junit_warnings_as": "failure"}).output.junit_warnings_as == "failure"
    assert AuditConfig().output.junit_warnings_as == "skipped"
    with pytest.raises(ConfigError, match="junit_warnings_as must be one of failure, skipped, passed"):
        AuditConfig.from_mapping({"junit_warnings_as": "error"})


def test_markdown_summary_lists_checks_and_worst_findings_first():
    md = to_markdown(_report()).decode("utf-8")
    lines = md.splitlines()
    assert lines[0] == "## raudit: Responsible-AI audit — 💥 ERROR"
    assert "**Failed** under `fail_on = fail` (exit code 1)" in md and "data data.csv" in md
    findings = [line for line in lines if line.startswith("- ")]
    assert [f.split("**")[1] for f in findings] == ["Energy", "Fairness", "Performance"], "error, fail, warn"
    assert "&lt;b&gt;&amp;" in md and "<b>" not in md
    assert _report().to_dict()["integrity"]["digest"] in md


def test_markdown_stays_under_64_kb_with_many_groups():
    long = "x" * 2000
    findings = [Finding("fail", f"[region × sex] group {i} @team <img src=x> {long}", f"g/{i}") for i in range(5000)]
    report = Report([CheckResult("fairness", "Fairness", "fail", summary="many " * 500, findings=findings)],
                    config={"fail_on": "fail"})
    md = to_markdown(report)
    assert len(md) <= MARKDOWN_LIMIT < 64 * 1024
    text = md.decode("utf-8")
    shown = sum(1 for line in text.splitlines() if line.startswith("- ❌"))
    assert 10 < shown < 5000
    assert f"… and {5000 - shown} more finding(s)" in text
    assert "@team" not in text and "<img" not in text, "no mentions, no HTML in a PR comment"


def test_cli_writes_junit_and_md_for_an_audit(files, tmp_path, schema):
    out = tmp_path / "out"
    res = CliRunner().invoke(main, [str(files["model"]), str(files["data"]), "--target", "approved", "--sensitive", "sex",
                                    "--checks", "performance", "--format", "json,junit,md", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == ["report.json", "report.junit.xml", "report.md"]
    schema.validate(str(out / "report.junit.xml"))
    report = json.loads((out / "report.json").read_text())
    assert report["config"]["formats"] == ["json", "junit", "md"]
    cases = _cases((out / "report.junit.xml").read_bytes())
    assert cases["raudit::performance"] == "passed" and "raudit.performance::roc_auc" in cases
    assert report["integrity"]["digest"] in (out / "report.md").read_text()


def test_default_formats_stay_html_pdf_json():
    from raudit import AuditConfig

    assert AuditConfig().output.formats == ("html", "pdf", "json")


# -- the worked CI examples (examples/ci/) ----------------------------------------------------------------------------

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "ci"


def _commands() -> dict[str, list[str]]:
    """Every shell line of each example: GitHub steps' `run`, GitLab jobs' `before_script` and `script`."""
    import yaml

    gh = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text())
    gl = yaml.safe_load((EXAMPLES / "gitlab-ci.yml").read_text())
    github = [line for job in gh["jobs"].values() for step in job["steps"] for line in str(step.get("run", "")).splitlines()]
    gitlab = [line for job in gl.values() if isinstance(job, dict) for key in ("before_script", "script") for line in job.get(key, [])]
    return {"github": [c for c in github if c.strip()], "gitlab": gitlab}


def _parse(line: str):
    """Parse a raudit command line with the CLI's own parser (click raises UsageError on an unknown flag or a bad value)."""
    import shlex

    args = shlex.split(line)
    assert args[0] == "raudit"
    command = main.commands[args[1]] if args[1] in main.commands else main.commands["audit"]
    rest = args[2:] if args[1] in main.commands else args[1:]
    return command.make_context("raudit", rest)


def test_ci_examples_run_valid_raudit_commands_and_publish_junit_and_md():
    import yaml

    commands = _commands()
    for where, lines in commands.items():
        raudit_lines = [line for line in lines if line.startswith("raudit ")]
        assert [line.split()[1] for line in raudit_lines] == ["models/challenger.joblib", "compare"], where
        for line in raudit_lines:
            ctx = _parse(line)
            assert set(ctx.params["formats"].split(",")) >= {"junit", "md"}, line
    gh = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text())
    steps = gh["jobs"]["raudit"]["steps"]
    assert any(s.get("uses", "").startswith("mikepenz/action-junit-report") for s in steps)
    assert any("GITHUB_STEP_SUMMARY" in s.get("run", "") for s in steps)
    gl = yaml.safe_load((EXAMPLES / "gitlab-ci.yml").read_text())
    junit = [gl[j]["artifacts"]["reports"]["junit"] for j in ("raudit-audit", "raudit-gate")]
    assert junit == ["audit/report.junit.xml", "gate/report.junit.xml"]


def test_ci_examples_dry_run_locally_on_a_tiny_model(tmp_path, monkeypatch, binary_model, credit, schema):
    """Lay out the files the examples expect, run their raudit commands as written, check what they publish exists."""
    import shlex

    import joblib

    (tmp_path / "models").mkdir()
    (tmp_path / "data").mkdir()
    joblib.dump(binary_model, tmp_path / "models" / "champion.joblib")
    joblib.dump(binary_model, tmp_path / "models" / "challenger.joblib")
    credit.to_csv(tmp_path / "data" / "holdout.csv", index=False)
    (tmp_path / "raudit.toml").write_text('target = "approved"\nsensitive = ["sex"]\nchecks = ["performance", "fairness"]\n'
                                          "[check.fairness]\nmitigation = false\n[compare]\nbootstrap_rounds = 100\n")
    monkeypatch.chdir(tmp_path)
    codes = {}
    for line in dict.fromkeys(line for lines in _commands().values() for line in lines if line.startswith("raudit ")):
        res = CliRunner().invoke(main, shlex.split(line)[1:])
        codes[line] = res.exit_code
    # the audit fails (sex on the credit data: 0.73×, its whole interval below 0.8); the gate fails too: the challenger is
    # the champion itself, so nothing changed, but on its own it fails the four-fifths rule, as its audit says
    assert sorted(codes.values()) == [1, 1], codes
    for folder in ("audit", "gate"):
        schema.validate(str(tmp_path / folder / "report.junit.xml"))
        assert (tmp_path / folder / "report.md").stat().st_size < 64 * 1024
        assert (tmp_path / folder / "report.html").exists()
    gate = json.loads((tmp_path / "gate" / "report.json").read_text())["checks"][0]
    assert gate["status"] == "fail" and "on its own it fails the fairness thresholds for sex" in gate["findings"][0]["message"]
    assert not [f for f in gate["findings"] if f["status"] == "fail" and f["key"].startswith("sex/")], "no change fails"
