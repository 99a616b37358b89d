"""Fairness numbers against fairlearn, interval coverage, mergeable counts, groups, status rule, CLI modes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from sklearn.metrics import accuracy_score, precision_score

import raudit
from raudit.cli import main
from raudit.stats.groups import GroupCounts, group_labels
from raudit.stats.inference import holm, two_proportion_pvalue, wilson_interval


@pytest.fixture(scope="module")
def report(binary_model, credit):
    return raudit.audit(binary_model, credit, target="approved", sensitive=["sex", "ethnicity"], checks=["fairness"],
                        config={"check": {"fairness": {}}})


def test_group_rates_and_summaries_equal_fairlearn(report, binary_model, credit):
    X = credit[binary_model.feature_names_in_]
    y, pred = credit["approved"].to_numpy(), binary_model.predict(X)
    details = report["fairness"].details["groupings"]
    for feature in ("sex", "ethnicity"):
        sf = credit[feature]
        mf = MetricFrame(metrics={"selection_rate": selection_rate, "tpr": true_positive_rate, "fpr": false_positive_rate,
                                  "accuracy": accuracy_score, "ppv": precision_score},
                         y_true=y, y_pred=pred, sensitive_features=sf)
        ours = {g["group"]: g for g in details[feature]["groups"]}
        for group, row in mf.by_group.iterrows():
            for metric in ("selection_rate", "tpr", "fpr", "accuracy", "ppv"):
                assert ours[group][metric] == pytest.approx(row[metric], abs=1e-9), (feature, group, metric)
        d = details[feature]
        assert d["demographic_parity_difference"] == pytest.approx(demographic_parity_difference(y, pred, sensitive_features=sf), abs=1e-9)
        assert d["demographic_parity_ratio"] == pytest.approx(demographic_parity_ratio(y, pred, sensitive_features=sf), abs=1e-9)
        assert d["equalized_odds_difference"] == pytest.approx(equalized_odds_difference(y, pred, sensitive_features=sf), abs=1e-9)
        assert d["equalized_odds_ratio"] == pytest.approx(equalized_odds_ratio(y, pred, sensitive_features=sf), abs=1e-9)
        assert report["fairness"].metrics[f"demographic_parity_difference.{feature}"] == pytest.approx(d["demographic_parity_difference"])


def test_intersections_are_every_pair(report):
    assert "sex × ethnicity" in report["fairness"].details["groupings"]
    groups = {g["group"] for g in report["fairness"].details["groupings"]["sex × ethnicity"]["groups"]}
    assert "Female & Group C" in groups and len(groups) == 8


def test_group_auc_from_histograms_is_close_to_exact(report, binary_model, credit):
    from sklearn.metrics import roc_auc_score

    X = credit[binary_model.feature_names_in_]
    score = binary_model.predict_proba(X)[:, 1]
    for g in report["fairness"].details["groupings"]["sex"]["groups"]:
        mask = (credit["sex"] == g["group"]).to_numpy()
        assert g["roc_auc"] == pytest.approx(roc_auc_score(credit["approved"][mask], score[mask]), abs=2e-3)
        lo, hi = g["roc_auc_ci"]
        assert lo < g["roc_auc"] < hi


def test_wilson_interval_covers_at_nominal_rate():
    rng = np.random.default_rng(0)
    for p, n in ((0.3, 50), (0.05, 200), (0.5, 30)):
        k = rng.binomial(n, p, size=4000)
        lo, hi = wilson_interval(k, n)
        coverage = np.mean((lo <= p) & (p <= hi))
        assert 0.93 <= coverage <= 0.975, (p, n, coverage)


def test_katz_ratio_interval_covers_at_about_nominal_rate():
    """The interval the four-fifths rule is judged by covers the true ratio about 95 % of the time."""
    from raudit.stats.inference import ratio_interval

    rng = np.random.default_rng(1)
    k1, k2 = rng.binomial(400, 0.4, size=4000), rng.binomial(400, 0.5, size=4000)
    lo, hi = ratio_interval(k1, 400, k2, 400)
    coverage = np.mean((lo <= 0.8) & (0.8 <= hi))
    assert 0.93 <= coverage <= 0.97, coverage


def test_counts_from_four_chunks_merge_to_the_whole():
    rng = np.random.default_rng(2)
    n = 10_000
    groups = rng.choice(["a", "b", "c", "d"], size=n, p=[0.5, 0.3, 0.15, 0.05])
    y, yhat, score = rng.integers(0, 2, n), rng.integers(0, 2, n), rng.random(n)
    whole = GroupCounts.from_arrays(groups, y, yhat, score)
    parts = [GroupCounts.from_arrays(groups[s], y[s], yhat[s], score[s]) for s in np.array_split(np.arange(n), 4)]
    # a chunk that lacks a group still merges
    parts.append(GroupCounts.from_arrays(np.array(["a"]), np.array([1]), np.array([0]), np.array([0.3])))
    extra = GroupCounts.from_arrays(np.array(["a"]), np.array([1]), np.array([0]), np.array([0.3]))
    merged = parts[0] + parts[1] + parts[2] + parts[3] + parts[4]
    expected = whole + extra
    assert merged.groups == expected.groups
    np.testing.assert_array_equal(merged.cells, expected.cells)
    np.testing.assert_array_equal(merged.hist, expected.hist)
    np.testing.assert_allclose(merged.score_sum, expected.score_sum, rtol=1e-12)
    np.testing.assert_allclose(merged.auc(), expected.auc(), rtol=1e-12)
    np.testing.assert_allclose(merged.calibration_error(), expected.calibration_error(), rtol=1e-12)
    for rate, values in merged.rates().items():
        np.testing.assert_allclose(values, expected.rates()[rate], rtol=1e-12, err_msg=rate)


def test_numeric_feature_binning_and_missing_group():
    ages = pd.Series([18, 25, 33, 40, 52, 61, 70, np.nan, 45, 29, 38, 66])
    labels, how = group_labels(ages)
    assert "missing" in set(labels) and labels.iloc[7] == "missing"
    assert "quantile bins" in how
    labels, how = group_labels(ages, bins=[18, 30, 50, 80])
    assert set(labels) == {"[18, 30)", "[30, 50)", "[50, 80]", "missing"}
    text = pd.Series(["a", None, "b"])
    assert list(group_labels(text)[0]) == ["a", "missing", "b"]


def _toy(n_big: int, n_small: int, rate_big: float, rate_small: float, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = n_big + n_small
    g = np.array(["big"] * n_big + ["small"] * n_small)
    y = rng.integers(0, 2, n)
    yhat = np.concatenate([rng.random(n_big) < rate_big, rng.random(n_small) < rate_small]).astype(int)
    return pd.DataFrame({"g": g, "y": y, "decision": yhat}), yhat


def _fairness(data, **options):
    opts = {"mitigation": False, **options}
    return raudit.audit(None, data, target="y", sensitive=["g"], y_pred="decision", checks=["fairness"],
                        config={"check": {"fairness": opts}})["fairness"]


def _row(result, metric="selection_rate"):
    return next(d for d in result.details["disparities"] if d["metric"] == metric)


def test_status_fail_when_the_interval_is_beyond_inconclusive_when_it_straddles_skip_when_tiny():
    data, _ = _toy(2000, 2000, 0.5, 0.3)
    strong = _fairness(data)
    assert _row(strong)["status"] == "fail" and _row(strong)["p_holm"] < 0.001
    assert strong.status == "fail"
    verdict = next(f for f in strong.findings if f.key == "g.verdict")
    assert verdict.status == "fail" and "fails the four-fifths rule" in verdict.message and "p < 0.001, Holm" in verdict.message

    data, _ = _toy(400, 40, 0.5, 0.36, seed=5)
    weak = _fairness(data, tpr_difference_max=False, fpr_difference_max=False, ppv_difference_max=False)
    row = _row(weak)
    assert row["value"] < 0.8 and row["ci"][0] < 0.8 < row["ci"][1] and row["p_holm"] > 0.05, row
    assert row["status"] == "inconclusive" and "straddles the threshold 0.8" in row["reason"]
    assert row["rows_to_decide"] > row["n_group"] + row["n_reference"]
    assert weak.status == "inconclusive"
    assert "inconclusive on the four-fifths rule" in next(f for f in weak.findings if f.key == "g.verdict").message

    data, _ = _toy(400, 12, 0.5, 0.0)
    tiny = _fairness(data)
    row = _row(tiny)
    assert row["status"] == "skipped" and "too small" in row["reason"]
    assert "worst_selection_rate_ratio" not in tiny.metrics  # tiny groups stay out of the headline
    verdict = next(f for f in tiny.findings if f.key == "g.verdict")
    assert verdict.status == "skipped" and "Not judged" in verdict.message


def test_missing_sensitive_values_form_their_own_group():
    data, _ = _toy(300, 300, 0.5, 0.5)
    data.loc[:59, "g"] = None
    result = _fairness(data)
    groups = {g["group"]: g["n"] for g in result.details["groupings"]["g"]["groups"]}
    assert groups["missing"] == 60 and sum(groups.values()) == 600


def test_reference_group_is_configurable():
    data, _ = _toy(300, 300, 0.5, 0.4)
    result = _fairness(data, reference={"g": "small"})
    assert _row(result)["reference"] == "small" and _row(result)["group"] == "big"


def test_holm_and_tests_by_hand():
    np.testing.assert_allclose(holm([0.01, 0.02, 0.5, np.nan]), [0.03, 0.04, 0.5, np.nan])
    from scipy.stats import fisher_exact

    p, test = two_proportion_pvalue(1, 10, 7, 10)  # an expected count of 4 < 5
    assert test == "Fisher exact" and p == pytest.approx(fisher_exact([[1, 9], [7, 3]])[1])
    p, test = two_proportion_pvalue(2, 10, 8, 10)  # expected counts of 5: chi-square, X² = 4 · 3² / 5 = 7.2
    assert test == "chi-square" and p == pytest.approx(0.007290, abs=1e-5)
    p, test = two_proportion_pvalue(300, 1000, 400, 1000)
    assert test == "chi-square" and p < 1e-5


def test_mitigation_estimate_and_proxies_on_example_data(binary_model, credit):
    result = raudit.audit(binary_model, credit, target="approved", sensitive=["ethnicity"], checks=["fairness"],
                          config=None)["fairness"]
    mit = {m["constraint"]: m for m in result.details["mitigation"]}
    dp = mit["demographic_parity"]
    assert dp["after"]["demographic_parity_difference"] < dp["before"]["demographic_parity_difference"]
    assert 0.4 < dp["after"]["accuracy"] <= 1
    note = next(t.note for t in result.tables if t.title.startswith("Mitigation estimate"))
    assert f"one half of the {len(credit):,} audited rows" in note and "0.001 grid" in note
    sampled = raudit.audit(binary_model, credit, target="approved", sensitive=["ethnicity"], checks=["fairness"],
                           config={"sample_rows": 2_000})["fairness"]
    note = next(t.note for t in sampled.tables if t.title.startswith("Mitigation estimate"))
    assert f"a seeded uniform sample of 2,000 of the {len(credit):,} audited rows" in note
    proxies = result.details["proxies"]["ethnicity"]
    assert proxies[0]["column"] == "zip_region" and proxies[0]["cramers_v"] > 0.3
    assert any("zip_region" in f.message and f.status == "warn" for f in result.findings)


def test_multiclass_and_regression_run(multiclass, regression):
    model, data = multiclass
    mc = raudit.audit(model, data, target="grade", sensitive=["sex"], checks=["fairness"])["fairness"]
    assert {"class high: sex", "class low: sex", "class mid: sex"} <= set(mc.details["groupings"])
    model, data = regression
    reg = raudit.audit(model, data, target="price", sensitive=["sex"], checks=["fairness"])["fairness"]
    assert reg.details["disparities"][0]["metric"] == "mae"
    assert reg.status in ("pass", "warn", "fail")


def test_predictions_only_audit_from_the_cli(credit, tmp_path):
    data = credit.assign(decision=(credit.income > credit.income.median()).astype(int),
                         score=(credit.income.rank(pct=True)).round(4))
    path = tmp_path / "decisions.csv"
    data.to_csv(path, index=False)
    res = CliRunner().invoke(main, ["--predictions", str(path), "--y-pred", "decision", "--y-score", "score",
                                    "--target", "approved", "--sensitive", "sex,ethnicity", "--out", str(tmp_path / "out"),
                                    "--format", "json,html"])
    assert res.exit_code == 1, res.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    names = {c["name"]: c for c in report["checks"]}
    assert names["fairness"]["status"] == "fail"  # income is lower for Female applicants by construction
    assert names["performance"]["metrics"]["accuracy"] == pytest.approx((data.decision == data.approved).mean())
    assert report["lineage"]["model_file"] is None
    proxies = {p["column"] for attr in names["fairness"]["details"]["proxies"].values() for p in attr}
    assert "income" in proxies and not {"decision", "score", "approved"} & proxies  # decisions are not inputs


def test_fpr_and_fnr_ratios_are_reported_and_can_be_gated(report):
    details = report["fairness"].details
    groups = {g["group"]: g for g in details["groupings"]["sex"]["groups"]}
    ref = details["groupings"]["sex"]["reference"]
    for name, rate in (("fpr_ratio", "fpr"), ("fnr_ratio", "fnr")):
        row = next(d for d in details["disparities"] if d["grouping"] == "sex" and d["metric"] == name)
        assert row["value"] == pytest.approx(groups[row["group"]][rate] / groups[ref][rate])
        assert row["threshold"] is None and row["status"] == "skipped" and "reported only" in row["reason"]


def test_fnr_ratio_threshold_fails_a_large_gap_in_the_direction_of_harm():
    data, _ = _toy(2000, 2000, 0.6, 0.3)
    # decisions ignore the label, so FNR = 1 - selection rate: 0.4 for "big" (the reference here), 0.7 for "small"
    result = _fairness(data, fnr_ratio_min=0.8, selection_rate_ratio_min=None, reference={"g": "big"})
    row = next(d for d in result.details["disparities"] if d["metric"] == "fnr_ratio")
    assert row["value"] == pytest.approx(0.7 / 0.4, abs=0.1) and row["harmful_if"] == "> 1.25"
    assert row["status"] == "fail" and row["p_holm"] < 0.001
    # the other way round the group is advantaged: reported, never failed
    result = _fairness(data, fnr_ratio_min=0.8, selection_rate_ratio_min=None, reference={"g": "small"})
    row = next(d for d in result.details["disparities"] if d["metric"] == "fnr_ratio")
    assert row["value"] < 0.8 and row["status"] == "pass" and "in the group's favour" in row["reason"]


def test_predictions_only_rejects_a_score_that_is_not_a_probability(credit, tmp_path):
    path = tmp_path / "d.csv"
    credit.assign(decision=credit.approved, score=credit.income).to_csv(path, index=False)
    res = CliRunner().invoke(main, ["--predictions", str(path), "--y-pred", "decision", "--y-score", "score",
                                    "--target", "approved", "--sensitive", "sex", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "must hold probabilities" in res.output and not (tmp_path / "o").exists()


def test_predictions_only_rejects_decisions_with_labels_the_target_lacks(credit, tmp_path):
    path = tmp_path / "d.csv"
    credit.assign(decision=credit.approved.map({0: "no", 1: "yes"})).to_csv(path, index=False)
    res = CliRunner().invoke(main, ["--predictions", str(path), "--y-pred", "decision", "--target", "approved",
                                    "--sensitive", "sex", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "never has" in res.output


def test_the_key_disparity_table_is_left_out_when_nothing_fails_warns_or_is_undecided():
    """No empty table with headers: when every single-feature disparity passes, the key table is not drawn at all."""
    key = "Disparities that fail or are inconclusive (single sensitive features)"
    equal = _fairness(_toy(20_000, 20_000, 0.5, 0.5)[0])
    assert {d["status"] for d in equal.details["disparities"]} <= {"pass", "skipped"}  # skipped: no threshold set
    assert key not in [t.title for t in equal.tables]
    assert "Every other comparison with the reference groups" in [t.title for t in equal.tables]
    unequal = _fairness(_toy(2000, 2000, 0.5, 0.3)[0])
    table = next(t for t in unequal.tables if t.title == key)
    assert table.rows and all(r[-1] in ("fail", "warn", "inconclusive") for r in table.rows)
