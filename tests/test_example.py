"""The shipped example, built as the quickstart builds it, read as a reviewer reads it (issue 21's "done when").

examples/train_model.py trains under raudit.track_training, so the report can say the audit data was held out; the
sex disparity it injects (0.79×, its interval straddling 0.8) is inconclusive on page 1, not a PASS; the lineage lists
every hyper-parameter; rows are named by applicant_id; the standard PDF holds the configuration and the digest.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from raudit.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """examples/make_credit_data.py and examples/train_model.py, then the example audit (its raudit.toml), standard PDF."""
    sys.path.insert(0, str(ROOT / "examples"))
    from make_credit_data import make_credit_data
    from train_model import train

    d = tmp_path_factory.mktemp("example")
    make_credit_data(20_000, seed=0).to_csv(d / "credit.csv", index=False)
    train(d / "credit.csv", out=d / "model")
    (d / "raudit.toml").write_text((ROOT / "examples" / "raudit.toml").read_text())  # its paths are relative to it: model/…
    res = CliRunner().invoke(main, [str(d / "model" / "model.joblib"), str(d / "model" / "audit.csv"), "--config",
                                    str(d / "raudit.toml"), "--out", str(d / "out"), "--format", "json,pdf,html",
                                    "--checks", "performance,fairness,energy,lineage,explanations"])
    assert res.exit_code == 1, res.output  # the injected bias fails the fairness check, as it is meant to
    return d, json.loads((d / "out" / "report.json").read_text())


def _check(body, name):
    return next(c for c in body["checks"] if c["name"] == name)


def test_sex_is_inconclusive_on_page_one_not_a_pass(example):
    d, body = example
    sex = next(f for f in _check(body, "fairness")["findings"] if f["key"] == "sex.verdict")
    assert sex["status"] == "inconclusive" and "straddles the threshold" in sex["message"]
    row = next(x for x in _check(body, "fairness")["details"]["disparities"]
               if x["grouping"] == "sex" and x["metric"] == "selection_rate")
    assert row["ci"][0] < 0.8 < row["ci"][1]
    html = (d / "out" / "report.html").read_text()
    page_one = html[html.index('id="verdict"'):html.index('id="model-card"')]
    assert "[sex]" in page_one and "INCONCLUSIVE" in page_one


def test_the_report_says_held_out_and_uses_the_training_record(example):
    _, body = example
    perf = _check(body, "performance")
    held = next(f for f in perf["findings"] if f["key"] == "evaluation_data")
    assert held["status"] == "pass" and held["message"].startswith("Held out: none of 1,024 sampled training rows")
    energy = _check(body, "energy")
    assert energy["details"]["training"]["source"] == "training record"
    assert "training_energy_kwh" in energy["metrics"] and "refit_energy_kwh" not in energy["metrics"]


def test_every_hyperparameter_is_listed_in_full(example):
    _, body = example
    params = body["lineage"]["model_params"]
    assert params["model__learning_rate"] == "0.08" and params["model__max_leaf_nodes"] == "31"
    assert params["model__max_iter"] == "150" and not any(v.endswith("…") for v in params.values())
    assert "steps" not in params  # the Pipeline's steps are listed through their own parameters


def test_rows_are_named_by_applicant_id(example):
    _, body = example
    notes = [t.get("note") or "" for t in _check(body, "explanations")["tables"]]
    assert any("Rows are named by the id column 'applicant_id'" in n for n in notes)


def test_the_standard_pdf_holds_the_configuration_and_the_digest(example):
    from pypdf import PdfReader

    d, body = example
    text = " ".join(page.extract_text() for page in PdfReader(d / "out" / "report.pdf").pages)
    flat = " ".join(text.split())
    assert "Effective configuration" in flat and '"target":"approved"' in flat.replace(" ", "")
    assert body["integrity"]["digest"] in flat.replace(" ", "")
    assert "Reviewer sign-off" in flat and "Accepted risks" in flat
