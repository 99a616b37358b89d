"""Every sentence the report prints is backed: a test per honesty rule of the report (issue 12).

- untracked inputs: "provenance not established", and the evidence map says PARTIAL EVIDENCE;
- "held out" only when the training record's row sketch shows no overlap; the training data itself, or an overlap,
  warns; without a record the report says "evaluation data provenance unknown";
- near-perfect scores warn;
- rows without a threshold say "not judged", never "pass";
- disparities count only in the direction of harm; the reference group is the most favoured adequate group;
- every WARN or FAIL headline names its reason.
"""

from __future__ import annotations

import io
import re
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader
from sklearn.tree import DecisionTreeClassifier

import raudit
from tests.conftest import FEATURES, _pipeline


def _compliance(report, rid):
    return next(r for r in report.compliance["rows"] if r["id"] == rid)


def test_untracked_inputs_warn_and_the_compliance_map_says_partial(files):
    report = raudit.audit(files["model"], files["data"], target="approved", sensitive=["sex"], checks=["lineage"])
    lineage = report["lineage"]
    assert lineage.status == "warn" and lineage.summary.startswith("provenance not established for 2 of 2 inputs")
    assert any(f.status == "warn" and f.message.startswith("Provenance not established") for f in lineage.findings)
    row = _compliance(report, "EU-AIA-IV.2.d")
    assert row["status"] == "partial evidence" and any("provenance not established" in e["what"] and e["evidence"] == "partial"
                                                       for e in row["evidence"])
    assert "PARTIAL" in report.render("html").decode()


@pytest.fixture(scope="module")
def trained(tmp_path_factory, credit):
    """A model trained under raudit.track_training on the first 2,000 rows; the rest is held out."""
    d = tmp_path_factory.mktemp("record")
    train, test = credit.iloc[:2000], credit.iloc[2000:]
    path = d / "model.joblib"
    with raudit.track_training(path, data=train[[*FEATURES, "approved"]]):
        model = _pipeline(train[FEATURES]).fit(train[FEATURES], train.approved)
        joblib.dump(model, path)
    train.to_csv(d / "train.csv", index=False)
    test.to_csv(d / "test.csv", index=False)
    pd.concat([test, train.iloc[:500]]).to_csv(d / "mixed.csv", index=False)
    return d


def _performance(folder, data):
    report = raudit.audit(folder / "model.joblib", folder / data, target="approved", sensitive=["sex"], checks=["performance"])
    return report, report["performance"]


def test_held_out_data_is_said_to_be_held_out(trained):
    report, perf = _performance(trained, "test.csv")
    finding = next(f for f in perf.findings if f.key == "evaluation_data")
    assert finding.status == "pass" and finding.message.startswith("Held out: none of 1,024 sampled training rows")
    row = _compliance(report, "EU-AIA-15.1")
    assert row["evidence"][0]["evidence"] == "evidence" and "held out from training" in row["evidence"][0]["what"]
    # Art. 15(1) asks for an *appropriate* level: a measurement is partial evidence of that, however good
    assert row["status"] == "partial evidence" and "provider's judgement" in row["why"]


def test_auditing_the_training_data_warns(trained):
    report, perf = _performance(trained, "train.csv")
    finding = next(f for f in perf.findings if f.key == "evaluation_data")
    assert finding.status == "warn" and finding.message.startswith("The audit data is the training data")
    assert perf.status == "warn" and perf.summary.startswith("The audit data is the training data")
    row = _compliance(report, "EU-AIA-15.1")
    assert row["status"] == "partial evidence" and row["evidence"][0]["evidence"] == "partial"
    assert "training data itself" in row["evidence"][0]["what"]


def test_overlapping_data_warns_with_an_estimate(trained):
    _, perf = _performance(trained, "mixed.csv")
    finding = next(f for f in perf.findings if f.key == "evaluation_data")
    assert finding.status == "warn" and "overlaps the training data" in finding.message
    share = perf.details["evaluation_data"]["share"]
    assert 0.15 < share < 0.35  # 500 of 2,000 training rows are in it


def test_without_a_training_record_held_out_is_never_claimed(files):
    report = raudit.audit(files["model"], files["data"], target="approved", sensitive=["sex"], checks=["performance"])
    perf = report["performance"]
    finding = next(f for f in perf.findings if f.key == "evaluation_data")
    assert finding.message.startswith("Evaluation data provenance unknown")
    row = _compliance(report, "EU-AIA-15.1")
    assert row["status"] == "partial evidence" and "provenance unknown" in row["evidence"][0]["what"]
    assert row["evidence"][0]["evidence"] == "partial"
    html = report.render("html").decode()
    assert "Held out:" not in html and "measured on data held out" not in html


def test_near_perfect_scores_warn(credit):
    data = credit.iloc[:600]
    X = data[["income", "debt_to_income", "age", "previous_defaults"]]
    model = DecisionTreeClassifier(random_state=0).fit(X, data.approved)  # memorises its training data
    perf = raudit.audit(model, data, target="approved", sensitive=["sex"], checks=["performance"])["performance"]
    assert perf.metrics["accuracy"] == 1.0
    assert any(f.key == "near_perfect" and f.status == "warn" for f in perf.findings)
    assert perf.status == "warn" and "Near-perfect accuracy" in perf.summary


def _decisions(rate_a: float, rate_b: float, n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat(["a", "b", "tiny"], [n, n, 12])
    y = rng.integers(0, 2, len(g))
    rates = np.select([g == "a", g == "b"], [rate_a, rate_b], 0.99)
    return pd.DataFrame({"g": g, "y": y, "decision": (rng.random(len(g)) < rates).astype(int)})


def _fairness(data, **options):
    opts = {"mitigation": False, **options}
    return raudit.audit(None, data, target="y", sensitive=["g"], y_pred="decision", checks=["fairness"],
                        config={"check": {"fairness": opts}})


def test_the_reference_is_the_most_favoured_adequately_sized_group():
    report = _fairness(_decisions(0.3, 0.6))  # "tiny" is favoured most but too small to be the reference
    grouping = report["fairness"].details["groupings"]["g"]
    assert grouping["reference"] == "b" and grouping["reference_rule"] == "the most favoured group of adequate size"
    row = next(d for d in report["fairness"].details["disparities"] if d["metric"] == "selection_rate" and d["group"] == "a")
    assert row["status"] == "fail" and row["value"] == pytest.approx(0.5, abs=0.05)


def test_an_advantaged_group_never_fails():
    report = _fairness(_decisions(0.3, 0.6), reference={"g": "a"})  # the disadvantaged group as reference, on purpose
    row = next(d for d in report["fairness"].details["disparities"] if d["metric"] == "selection_rate" and d["group"] == "b")
    assert row["value"] > 1.25 and row["status"] == "pass" and "in the group's favour" in row["reason"]
    assert report["fairness"].status != "fail"


def test_rows_without_a_threshold_say_not_judged_never_pass():
    report = _fairness(_decisions(0.5, 0.52))
    rows = [d for d in report["fairness"].details["disparities"] if d["metric"] in ("fpr_ratio", "fnr_ratio")]
    assert rows and all(d["status"] == "skipped" and d["reason"].startswith("not judged") for d in rows)
    table = next(t for t in report["fairness"].tables if t.section == "All comparisons")
    for row in table.rows:
        if row[2] in ("FPR ratio", "FNR ratio"):
            assert row[-1] == "not judged", row
    tiny = [d for d in report["fairness"].details["disparities"] if d["group"] == "tiny"]
    assert tiny and all(d["status"] == "skipped" and "too small" in d["reason"] for d in tiny)


def test_a_warn_or_fail_headline_names_its_reason(files, credit):
    report = raudit.audit(files["model"], files["data"], target="approved", sensitive=["sex", "ethnicity", "age"],
                          checks=["performance", "fairness", "lineage"],
                          config={"check": {"performance": {"roc_auc_warn": 0.99, "roc_auc_fail": 0.5}}})
    for result in report.results:
        bad = [f for f in result.findings if f.status in ("warn", "fail")]
        if result.status in ("warn", "fail"):
            assert bad, result.name
            lead = {f.message.split(":")[0].split(" (")[0].split("]")[-1].strip().lower()[:25] for f in bad}
            assert any(part and part in result.summary.lower() for part in lead) or "fail for" in result.summary, \
                (result.name, result.summary, lead)
    assert report["performance"].summary.startswith("ROC-AUC is")


def test_the_example_runs_without_a_numpy_warning(binary_model, credit):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        raudit.audit(binary_model, credit, target="approved", sensitive=["sex", "ethnicity", "age"],
                     checks=["performance", "fairness"], config=None)


@pytest.mark.slow
def test_every_number_of_the_disparity_table_appears_whole_in_the_pdf(binary_model, credit):
    """The PDF never splits a number across lines or cells ("0.41|41"): each appears whole in the extracted text."""
    from raudit.report.format import cell

    report = raudit.audit(binary_model, credit, target="approved", sensitive=["sex", "ethnicity", "age"],
                          checks=["fairness"], config={"detail": "full"})
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(report.render("pdf"))).pages)
    in_pdf = set(re.findall(r"-?\d+\.\d+", text))  # a number split across lines would leave two pieces here
    table = next(t for t in report["fairness"].tables if t.title.startswith("Disparities"))
    numbers = [cell(v, fmt) for row in table.rows for v, fmt in zip(row, table.formats) if fmt in ("3f", "p")]
    assert len(numbers) > 10
    for n in numbers:
        for token in re.findall(r"-?\d+\.\d+", n):
            assert token in in_pdf, (token, n)
    words = set(re.split(r"\s+", text))
    for header in ("group", "reference", "status", "disparity", "metric"):
        assert header in words, header


def test_the_docs_name_exactly_the_eu_provisions_the_checks_cite():
    """docs/explanations/report.md: "EU AI Act provisions (Arts. 10, 13, 15 and 72, Annexes IV and XI) ... (Art. 14 ...)"."""
    from pathlib import Path

    from raudit.api.plugins import discover
    from raudit.report.compliance import REQUIREMENTS

    text = " ".join((Path(__file__).resolve().parents[1] / "docs" / "explanations" / "report.md").read_text(encoding="utf-8").split())
    found = re.search(r"EU AI Act provisions \(Arts\. ([\d, and]+), Annexes ([IVX, and]+)\)", text)
    assert found, "the docs' evidence-map sentence changed: update this test with it"
    named = set(re.findall(r"\d+", found.group(1))) | set(re.findall(r"[IVX]+", found.group(2)))
    cited = {key.split("-")[2].split(".")[0] for p in discover() if p.check is not None for key in p.check.evidence
             if key.startswith("EU-AIA-")}
    assert named == cited
    uncovered = {key.split("-")[2].split(".")[0] for key in REQUIREMENTS if key.startswith("EU-AIA-")} - cited
    assert "14" in uncovered and "(Art. 14, human oversight, among them)" in text


def test_drift_against_the_training_rows_does_not_judge_performance(trained):
    """Issue 21: profiling train.csv and auditing held-out rows is in-sample vs held-out, not drift."""
    from click.testing import CliRunner

    from raudit.cli import main
    from raudit.engine.profile import read_profile

    for name in ("train", "test"):
        res = CliRunner().invoke(main, ["profile", str(trained / f"{name}.csv"), "--model", str(trained / "model.joblib"),
                                        "--target", "approved", "--sensitive", "sex", "-o", str(trained / f"{name}.profile.json")])
        assert res.exit_code == 0, res.output
    assert read_profile(trained / "train.profile.json").training_overlap["identical"] is True
    assert read_profile(trained / "test.profile.json").training_overlap["found"] == 0

    def outputs(reference):
        r = raudit.audit(trained / "model.joblib", trained / "test.csv", target="approved", sensitive=["sex"], checks=["drift"],
                         reference=trained / reference)["drift"]
        return r, {o["key"]: o["status"] for o in r.details["outputs"]}

    r, judged = outputs("train.profile.json")
    assert judged["accuracy"] == judged["roc_auc"] == "skipped"
    note = next(f for f in r.findings if f.key == "in_sample")
    assert "reference is the model's training data" in note.message and "validation split" in note.message
    _, judged = outputs("test.profile.json")
    assert judged["accuracy"] != "skipped" and judged["roc_auc"] != "skipped"
