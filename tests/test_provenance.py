"""Report integrity (raudit verify), model card, compliance map, git and DVC lineage."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess

import pytest
from click.testing import CliRunner

import raudit
from raudit.cli import main

CARD = """
[model_card]
intended_use = "Triage of applications for a human reviewer."
owners = ["Risk team"]
limitations = "Not validated outside the training region."
"""


@pytest.fixture
def audited(files, tmp_path):
    shutil.copy(files["model"], tmp_path / "model.joblib")
    shutil.copy(files["data"], tmp_path / "data.csv")
    (tmp_path / "raudit.toml").write_text('target = "approved"\nsensitive = ["sex"]\nchecks = ["performance", "lineage"]\n' + CARD)
    res = CliRunner().invoke(main, [str(tmp_path / "model.joblib"), str(tmp_path / "data.csv"), "--config",
                                    str(tmp_path / "raudit.toml"), "--out", str(tmp_path / "out"), "--format", "json,html"])
    assert res.exit_code == 0, res.output
    return tmp_path


def test_verify_passes_then_catches_an_edited_report_and_a_changed_data_file(audited):
    report = audited / "out" / "report.json"
    ok = CliRunner().invoke(main, ["verify", str(report)])
    assert ok.exit_code == 0 and ok.output.count("OK") == 4, ok.output
    assert "OK   file report.html: sha256 matches the one the report recorded" in ok.output

    edited = json.loads(report.read_text())
    edited["checks"][0]["metrics"]["accuracy"] = 0.999
    (audited / "edited.json").write_text(json.dumps(edited))
    bad = CliRunner().invoke(main, ["verify", str(audited / "edited.json")])
    assert bad.exit_code == 1 and "digest differs" in bad.output

    with (audited / "data.csv").open("a") as fh:
        fh.write(fh and "\n")
    changed = CliRunner().invoke(main, ["verify", str(report), "--data", str(audited / "data.csv")])
    assert changed.exit_code == 1 and "data file" in changed.output and "differs" in changed.output
    assert "report content: digest matches" in changed.output

    missing = CliRunner().invoke(main, ["verify", str(audited / "nope.json")])
    assert missing.exit_code == 2 and "report not found" in missing.output


def test_digest_is_sha256_of_canonical_content(audited):
    body = json.loads((audited / "out" / "report.json").read_text())
    digest = body.pop("integrity")["digest"]
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(canonical.encode()).hexdigest() == digest


def test_model_card_first_with_gaps_and_compliance_matrix_last(audited):
    body = json.loads((audited / "out" / "report.json").read_text())
    card = body["model_card"]
    assert [f["key"] for f in card["fields"]] == ["intended_use", "owners", "limitations"]
    assert card["gaps"] == ["Out-of-scope uses", "Training data", "Ethical considerations"]
    rows = {r["id"]: r for r in body["compliance"]["rows"]}
    assert rows["EU-AIA-15.3"]["status"] == "evidence provided" and rows["EU-AIA-15.3"]["evidence"][0]["section"] == "Performance"
    assert rows["EU-AIA-IV.1"]["status"] == "partial evidence"  # a model card with gaps
    assert rows["NIST-MEASURE-2.11"]["status"] == "no evidence from raudit"  # fairness was not run here
    assert "Art. 14: human oversight measures" in body["compliance"]["not_covered"]
    html = (audited / "out" / "report.html").read_text()
    assert html.index('id="verdict"') < html.index('id="model-card"') < html.index('id="compliance"') < html.index('id="lineage"')
    assert "Missing for the reviewer: Out-of-scope uses, Training data, Ethical considerations" in html


def test_unknown_model_card_field_is_an_error(files, tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[model_card]\nintended_usage = "x"\n')
    res = CliRunner().invoke(main, [str(files["model"]), str(files["data"]), "--target", "approved", "--config", str(cfg),
                                    "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "unknown [model_card] field 'intended_usage'" in res.output


def _git(cwd, *args):
    subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=cwd, check=True, capture_output=True)


def test_dvc_record_mismatch_and_git_state(files, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(files["model"], repo / "model.joblib")
    shutil.copy(files["data"], repo / "data.csv")
    md5 = hashlib.md5((repo / "data.csv").read_bytes()).hexdigest()
    (repo / "data.csv.dvc").write_text(f"outs:\n- md5: {md5}\n  size: 1\n  hash: md5\n  path: data.csv\n")
    _git(repo, "init", "-q")
    _git(repo, "add", "model.joblib", "data.csv.dvc")
    _git(repo, "commit", "-qm", "init")

    def lineage():
        return raudit.audit(repo / "model.joblib", repo / "data.csv", target="approved", sensitive=["sex"],
                            checks=["lineage"])["lineage"]

    clean = lineage()
    assert clean.status == "pass", [f.message for f in clean.findings]
    assert clean.details["data"]["dvc"]["md5"] == md5 and clean.details["model"]["git"]["file_tracked"]
    with (repo / "data.csv").open("a") as fh:
        fh.write("\n")
    changed = lineage()
    finding = next(f for f in changed.findings if f.key == "data/dvc")
    assert finding.status == "fail" and "not the versioned one" in finding.message
    (repo / "model.joblib").write_bytes((repo / "model.joblib").read_bytes())  # same bytes: not dirty
    (repo / "data.csv.dvc").write_text((repo / "data.csv.dvc").read_text() + "# edited\n")
    dirty = lineage()
    assert next(f for f in dirty.findings if f.key == "model+data/dirty").status == "warn"


def test_dvc_lock_is_read(files, tmp_path):
    from raudit.checks.lineage import dvc_record

    (tmp_path / "data").mkdir()
    shutil.copy(files["data"], tmp_path / "data" / "d.csv")
    (tmp_path / "dvc.lock").write_text("schema: '2.0'\nstages:\n  prepare:\n    cmd: python prep.py\n    outs:\n"
                                       "    - path: data/d.csv\n      md5: 0123\n      size: 9\n")
    record = dvc_record(tmp_path / "data" / "d.csv")
    assert record["md5"] == "0123" and "stage prepare" in record["source"]
