"""Issue 21's paper cuts, each as a reviewer found it."""

from __future__ import annotations

import json

import raudit
from raudit.cli import main
from tests._signed import run


def test_recorded_decisions_name_rows_by_id_and_never_score_the_id_as_a_proxy(binary_model, credit):
    data = credit.assign(decision=binary_model.predict(credit[list(binary_model.feature_names_in_)]))
    assert "applicant_id" in data.columns and data.applicant_id.is_unique
    report = raudit.audit(None, data, target="approved", sensitive=["sex"], y_pred="decision", checks=["fairness", "lineage"])
    proxies = report["fairness"].details["proxies"]["sex"]
    assert proxies and all(p["column"] != "applicant_id" for p in proxies)
    lineage = report["lineage"]
    assert not any("given in memory" in f.message for f in lineage.findings if f.key.startswith("model"))
    assert "model" not in lineage.details


def test_markdown_on_standard_output_does_not_claim_a_file_it_did_not_write(files):
    res = run(files["model"], files["data"], "--target", "approved", "--sensitive", "sex", "--checks", "performance",
              "--format", "md", "--out", "-")
    assert res.exit_code == 0
    assert "report.html" not in res.output and "in the HTML and JSON reports (`--format html,json`)" in res.output


def test_the_favourable_outcome_chart_draws_the_four_fifths_line(binary_model, credit):
    report = raudit.audit(binary_model, credit, target="approved", sensitive=["sex"], checks=["fairness"])
    figure = next(f for f in report["fairness"].figures if f.title == "sex: favourable-outcome rate by group")
    assert "0.8 × reference" in figure.svg and 'stroke-dasharray="1.5 2.5"' in figure.svg
    assert "four-fifths rule" in figure.caption


def test_different_base_rates_are_discussed(binary_model, credit):
    report = raudit.audit(binary_model, credit, target="approved", sensitive=["sex"], checks=["fairness"])
    note = next(f for f in report["fairness"].findings if f.key == "base_rates")
    assert "base rate" in note.message and "inherit" in note.message and "Female" in note.message and "(0.7" in note.message


def test_raudit_checks_aligns_its_columns():
    from click.testing import CliRunner

    lines = CliRunner().invoke(main, ["checks"]).output.splitlines()
    starts = {line.index("raudit ") for line in lines}
    titles = {line.index("  ", line.index("raudit ") + 7) for line in lines}
    assert len(starts) == 1 and len(titles) == 1, lines  # text_explanations no longer pushes its row out of line


def test_a_missing_model_card_is_flagged_on_page_one(binary_model, credit):
    report = raudit.audit(binary_model, credit.head(800), target="approved", sensitive=["sex"], checks=["performance"])
    html = report.render("html").decode()
    assert html.index("NO MODEL CARD") < html.index('id="model-card"')
    carded = raudit.audit(binary_model, credit.head(800), target="approved", sensitive=["sex"], checks=["performance"],
                          config={"model_card": {"intended_use": "triage"}})
    html = carded.render("html").decode()
    assert "NO MODEL CARD" not in html and html.index("MODEL CARD GAPS") < html.index('id="model-card"')


def test_compare_names_two_models_of_the_same_file_name_apart(files, tmp_path):
    import shutil

    for v in ("v1", "v2"):
        (tmp_path / v).mkdir()
        shutil.copy(files["model"], tmp_path / v / "model.joblib")
    res = run("compare", tmp_path / "v1" / "model.joblib", tmp_path / "v2" / "model.joblib", files["data"], "--target", "approved",
              "--sensitive", "sex", "--format", "json,html", "--out", tmp_path / "out")
    body = json.loads((tmp_path / "out" / "report.json").read_text())
    assert body["lineage"]["compared"] == {"champion": "champion (v1/model.joblib)", "challenger": "challenger (v2/model.joblib)"}
    html = (tmp_path / "out" / "report.html").read_text()
    assert "champion (v1/model.joblib) vs challenger (v2/model.joblib)" in html and "passs" not in html
    assert res.exit_code in (0, 1)
