"""Drift: no drift on a split of one dataset, exactly the shifted columns and groups flagged on shifted copies,
numbers checked against scipy and Evidently, the profile and the raw reference giving identical results."""

from __future__ import annotations

import importlib.util
import json
import math
import re
import sys
import types
from importlib.resources import files as package_files
from pathlib import Path

import joblib
import jsonschema
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from make_credit_data import make_credit_data
from scipy import stats

import raudit
from raudit import ConfigError
from raudit.checks.drift import DriftOptions, _judge_family, _Test
from raudit.cli import main
from raudit.engine.profile import read_profile
from raudit.stats.sketch import NumericSketch, bucket_keys, psi
from tests.conftest import SHARED

SENSITIVE = ["sex", "ethnicity", "age"]


@pytest.fixture(scope="module")
def world(tmp_path_factory, binary_model):
    """A model, 12,000 reference rows, its profile, and 28,000 more rows of the same distribution."""
    d = tmp_path_factory.mktemp("drift")
    df = make_credit_data(40_000, seed=11)
    ref, pool = df.iloc[:12_000], df.iloc[12_000:].reset_index(drop=True)
    joblib.dump(binary_model, d / "model.joblib")
    ref.to_csv(d / "ref.csv", index=False)
    res = CliRunner().invoke(main, ["profile", str(d / "ref.csv"), "--model", str(d / "model.joblib"), "--target", "approved",
                                    "--sensitive", ",".join(SENSITIVE), "-o", str(d / "ref.profile.json")])
    assert res.exit_code == 0, res.output
    return {"dir": d, "model": d / "model.joblib", "ref": ref, "pool": pool, "profile": d / "ref.profile.json"}


def drift(world, data, reference=None, **options):
    report = raudit.audit(world["model"], data, target="approved", sensitive=SENSITIVE, checks=["drift"],
                          reference=reference or world["profile"], config={"check": {"drift": options}} if options else None)
    return report["drift"]


def flagged_columns(result, statuses=("fail", "warn")):
    return {c["name"] for c in result.details["columns"] if c["status"] in statuses}


def flagged_groups(result, statuses=("fail", "warn")):
    return {(name, r["group"]) for name, f in result.details["fairness"].items() for r in f["rates"]
            if r["judged"] is not None and r["judged"]["status"] in statuses}


def test_skipped_with_the_reason_when_no_reference_is_given(binary_model, credit):
    r = raudit.audit(binary_model, credit, target="approved", sensitive=["sex"], checks=["drift"])["drift"]
    assert r.status == "skipped" and "--reference" in r.summary


def test_a_fresh_sample_of_the_same_data_flags_no_drift(world):
    r = drift(world, world["pool"].iloc[:12_000])
    assert r.status == "pass", [f.message for f in r.findings if f.status != "pass"]
    assert not flagged_columns(r) and not flagged_groups(r)
    assert r.metrics["columns_compared"] == 8 and r.metrics["max_psi"] < 0.02
    assert {o["key"] for o in r.details["outputs"]} == {"score", "prediction", "label", "accuracy", "roc_auc"}
    assert all(o["status"] == "pass" for o in r.details["outputs"])
    age = r.details["fairness"]["age"]
    assert age["how"].startswith("binned at the reference's quartiles") and len({x["group"] for x in age["rates"]}) == 4


def test_holm_is_applied_within_the_column_family(shifted):
    from raudit.stats.inference import holm

    _, r = shifted
    cols = [c for c in r.details["columns"] if c["distribution"] is not None]
    raw = [c["distribution"]["p"] for c in cols]
    assert [c["distribution"]["p_holm"] for c in cols] == pytest.approx(holm(raw).tolist())


def test_a_reweighted_subpopulation_flags_that_column_only(world):
    pool = world["pool"]
    older = pd.concat([pool[pool.age > 50].iloc[:6000], pool[pool.age <= 50].iloc[:6000]]).sample(frac=1, random_state=0)
    r = drift(world, older)
    assert flagged_columns(r) == {"age"} and flagged_columns(r, ("fail",)) == {"age"}
    assert not flagged_groups(r)


def test_a_group_selected_less_often_fails_the_worst_selection_rate_ratio(world):
    cur = world["pool"].iloc[:12_000].copy()
    c = cur.ethnicity == "Group C"
    cur.loc[c, "income"] = cur.loc[c, "income"] * 0.6
    r = drift(world, cur)
    ratio = r.details["fairness"]["ethnicity"]["worst_selection_rate_ratio"]
    assert ratio["reference"] - ratio["current"] > 0.1 and ratio["ci"][1] < 0 and ratio["status"] == "fail"
    assert ratio["groups_current"][0] == "Group C"
    assert r.metrics["worst_selection_rate_ratio_change.ethnicity"] == pytest.approx(ratio["change"])
    assert any(f.key == "fairness/ethnicity/ratio" and f.status == "fail" for f in r.findings)


def test_a_rescaled_column_is_flagged_alone_with_its_prediction_drift(world):
    cur = world["pool"].iloc[:12_000].assign(income=lambda d: d.income * 1.5)
    r = drift(world, cur)
    assert flagged_columns(r) == {"income"} and flagged_columns(r, ("fail",)) == {"income"}
    income = next(c for c in r.details["columns"] if c["name"] == "income")
    assert income["mean_current"] == pytest.approx(1.5 * income["mean_reference"], rel=0.05)
    score = next(o for o in r.details["outputs"] if o["key"] == "score")
    assert score["status"] == "fail", "the model's scores moved with its input"
    assert not flagged_groups(r, ("fail",)), "every group moved together: prediction drift, not fairness drift"
    warned = [x["judged"]["reason"] for f in r.details["fairness"].values() for x in f["rates"]
              if x["judged"] is not None and x["judged"]["status"] == "warn"]
    assert all("the gap narrowed" in w or "not significant" in w for w in warned), "a narrowed gap warns, never fails"


def test_a_new_category_is_flagged_and_named(world):
    cur = world["pool"].iloc[:12_000].copy()
    renamed = (cur.home_ownership == "rent") & (np.random.default_rng(0).random(len(cur)) < 0.5)
    cur.loc[renamed, "home_ownership"] = "council"
    r = drift(world, cur)
    assert flagged_columns(r) == {"home_ownership"}
    home = next(c for c in r.details["columns"] if c["name"] == "home_ownership")
    assert home["new_categories"] == [["council", int(renamed.sum())]] and home["vanished_categories"] == []
    assert any("new categories: 'council'" in f.message for f in r.findings)


def test_a_renamed_category_is_new_and_the_old_name_vanished(world):
    cur = world["pool"].iloc[:12_000].assign(home_ownership=lambda d: d.home_ownership.replace({"own": "owned"}))
    r = drift(world, cur)
    home = column(r, "home_ownership")
    n_own = int((world["ref"].home_ownership == "own").sum())
    assert home["new_categories"] == [["owned", int((cur.home_ownership == "owned").sum())]]
    assert home["vanished_categories"] == [["own", n_own]] and flagged_columns(r, ("fail",)) == {"home_ownership"}


def test_a_missing_rate_change_is_flagged(world):
    cur = world["pool"].iloc[:12_000].copy()
    cur.loc[cur.index % 7 == 0, "sex"] = None  # 14 % missing, none in the reference
    r = drift(world, cur)
    sex = column(r, "sex")
    assert sex["missing_rate_reference"] == 0 and sex["missing_rate_current"] == pytest.approx(1 / 7, abs=0.01)
    assert sex["missing"]["status"] == "fail" and sex["distribution"]["status"] == "pass", "the shares of the rest hold"
    assert flagged_columns(r) == {"sex"}
    assert ["missing", 0, len(cur[cur.sex.isna()])] in r.details["fairness"]["sex"]["unmatched_groups"]


def test_a_label_flip_in_one_group_flags_that_group_only(world):
    cur = world["pool"].iloc[:12_000].copy()
    flip = (cur.ethnicity == "Group B") & (np.random.default_rng(0).random(len(cur)) < 0.7)
    cur.loc[flip, "approved"] = 1 - cur.loc[flip, "approved"]
    r = drift(world, cur)
    assert not flagged_columns(r)
    assert flagged_groups(r) == {("ethnicity", "Group B")}
    failed = {r_["rate"] for r_ in r.details["fairness"]["ethnicity"]["rates"]
              if r_["judged"] is not None and r_["judged"]["status"] == "fail"}
    assert failed == {"tpr", "fpr"}, "the decisions did not change, so neither did the selection rate"
    assert r.status == "fail"
    assert any(f.title.startswith("ethnicity: TPR per group") or f.title.startswith("ethnicity: FPR per group")
               for f in r.figures), "the chart shows the rate that moved"


def test_the_profile_and_the_raw_reference_give_identical_results(world):
    cur = world["pool"].iloc[:12_000].assign(income=lambda d: d.income * 1.2)
    a = drift(world, cur)
    b = drift(world, cur, reference=world["dir"] / "ref.csv")
    da, db = dict(a.details), dict(b.details)
    ra, rb = da.pop("reference"), db.pop("reference")
    assert da == db
    assert {k: v for k, v in ra.items() if k != "profile"} == {k: v for k, v in rb.items() if k != "profile"}
    assert a.metrics == b.metrics and a.findings == b.findings and a.status == b.status
    assert [t for t in a.tables if t.title != "Reference"] == [t for t in b.tables if t.title != "Reference"]
    assert a.figures == b.figures


# -- numbers against independent computations -------------------------------------------------------------
@pytest.fixture(scope="module")
def shifted(world):
    cur = world["pool"].iloc[:12_000].copy()
    cur["income"] = cur.income * 1.1
    cur["age"] = cur.age + 1
    return cur, drift(world, cur)


def column(result, name):
    return next(c for c in result.details["columns"] if c["name"] == name)


def test_ks_and_wasserstein_equal_scipy_where_the_sketch_is_exact(world, shifted):
    cur, r = shifted
    ref = world["ref"]
    age = column(r, "age")
    assert age["exact"]
    ks = stats.ks_2samp(ref.age, cur.age, method="asymp")
    assert age["ks"] == pytest.approx(ks.statistic, abs=1e-12) and age["ks_p"] == pytest.approx(ks.pvalue, rel=1e-9)
    assert age["wasserstein"] == pytest.approx(stats.wasserstein_distance(ref.age, cur.age), rel=1e-9)
    assert age["wasserstein_norm"] == pytest.approx(stats.wasserstein_distance(ref.age, cur.age) / np.std(ref.age), rel=1e-9)


def test_ks_and_wasserstein_are_within_the_stated_bounds_where_the_sketch_buckets(world, shifted):
    cur, r = shifted
    ref = world["ref"]
    income = column(r, "income")
    assert not income["exact"] and income["ks_bound"] > 0
    d = stats.ks_2samp(ref.income, cur.income).statistic
    assert income["ks"] <= d + 1e-12 <= income["ks"] + income["ks_bound"] + 1e-12
    w = stats.wasserstein_distance(ref.income, cur.income)
    assert abs(w - income["wasserstein"]) <= income["wasserstein_bound"]
    assert income["wasserstein_bound"] / w < 0.1, "the bound is tight enough to be useful"


def test_psi_uses_reference_quantile_bins_and_equals_the_raw_computation(world, shifted):
    cur, r = shifted
    ref = world["ref"]
    age = column(r, "age")  # exact: the edges are values; a bin holds values ≤ its edge
    edges = age["psi_edges"]
    br = np.bincount(np.searchsorted(edges, ref.age, side="left"), minlength=len(edges) + 1)
    bc = np.bincount(np.searchsorted(edges, cur.age, side="left"), minlength=len(edges) + 1)
    assert br.tolist() == age["psi_bins_reference"] and bc.tolist() == age["psi_bins_current"]
    assert max(br) / min(br) < 1.6, "bins hold roughly equal shares of the reference"
    p_r, p_c = br / br.sum(), bc / bc.sum()
    assert age["psi"] == pytest.approx(float(np.sum((p_r - p_c) * np.log(p_r / p_c))), rel=1e-12)
    income = column(r, "income")  # bucketed: the edges are bucket representatives; bin whole buckets
    sub = 128
    key_edges = bucket_keys(np.array(income["psi_edges"]), sub)
    br = np.bincount(np.searchsorted(key_edges, bucket_keys(ref.income.to_numpy(), sub), side="left"), minlength=len(key_edges) + 1)
    bc = np.bincount(np.searchsorted(key_edges, bucket_keys(cur.income.to_numpy(), sub), side="left"), minlength=len(key_edges) + 1)
    assert br.tolist() == income["psi_bins_reference"] and bc.tolist() == income["psi_bins_current"]


def test_chi_square_and_jensen_shannon_equal_scipy(world, shifted):
    from scipy.spatial.distance import jensenshannon

    cur, r = shifted
    ref = world["ref"]
    zr = column(r, "zip_region")
    table = pd.crosstab(np.r_[np.zeros(len(ref)), np.ones(len(cur))], np.r_[ref.zip_region, cur.zip_region])
    chi2, p, dof, _ = stats.chi2_contingency(table.to_numpy(), correction=False)
    assert zr["chi2"] == pytest.approx(chi2, rel=1e-12) and zr["chi2_p"] == pytest.approx(p, rel=1e-9) and zr["dof"] == dof
    pr = ref.zip_region.value_counts(normalize=True).sort_index()
    pc = cur.zip_region.value_counts(normalize=True).reindex(pr.index)
    assert zr["js"] == pytest.approx(jensenshannon(pr, pc, base=2), rel=1e-9)


def test_small_groups_are_shown_not_judged(world):
    r = drift(world, world["pool"].iloc[:800])
    judged = [x["judged"] for f in r.details["fairness"].values() for x in f["rates"] if x["judged"] is not None]
    assert judged and all(j["status"] == "skipped" and "too few rows" in j["reason"] for j in judged)
    assert r.details["fairness"]["sex"]["rates"], "the rates are still shown"


def test_no_drift_psi_is_about_its_sampling_noise():
    """Without drift, PSI over k bins is about (k - 1)(1/n_ref + 1/n_cur): 0.0015 for 10 bins and 12,000 rows a side."""
    rng = np.random.default_rng(0)
    n = 12_000
    values = [psi(rng.multinomial(n, [0.1] * 10), rng.multinomial(n, [0.1] * 10)) for _ in range(300)]
    assert np.mean(values) == pytest.approx(9 * 2 / n, rel=0.15)
    assert np.quantile(values, 0.999) < 0.01 < 0.1


def test_the_reference_can_come_from_raudit_toml(world, tmp_path):
    cfg = tmp_path / "raudit.toml"
    cfg.write_text(f'target = "approved"\nsensitive = ["sex", "ethnicity", "age"]\nchecks = ["drift"]\n'
                   f'reference = "{world["profile"].as_posix()}"\n')
    world["pool"].iloc[:2000].to_csv(tmp_path / "cur.csv", index=False)
    res = CliRunner().invoke(main, [str(world["model"]), str(tmp_path / "cur.csv"), "--config", str(cfg), "--format", "json",
                                    "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["config"]["reference"] == world["profile"].as_posix()
    drift_ = report["checks"][0]
    # 2,000 current rows cannot rule out a fall of accuracy by the warn threshold (0.02): inconclusive, which exits 0
    assert drift_["name"] == "drift" and drift_["status"] == "inconclusive"
    assert {f["status"] for f in drift_["findings"]} <= {"pass", "inconclusive", "skipped"}


def test_multiclass_and_regression_models_get_the_drift_that_applies(multiclass, regression, tmp_path):
    for (model, data), target, expected in ((multiclass, "grade", {"prediction", "label", "accuracy"}),
                                            (regression, "price", {"prediction", "label", "mae"})):
        half = len(data) // 2
        data.iloc[:half].to_csv(tmp_path / f"{target}.csv", index=False)
        r = raudit.audit(model, data.iloc[half:], target=target, sensitive=["sex"], checks=["drift"],
                         reference=tmp_path / f"{target}.csv")["drift"]
        assert {o["key"] for o in r.details["outputs"]} == expected, target
        assert r.status in ("pass", "warn", "inconclusive")
        if target == "grade":  # each class against the rest, per group, then and now
            assert sorted(r.details["fairness"]) == [f"sex, class {c}" for c in sorted(model.classes_)]
        else:  # predictions and errors per group, then and now
            assert r.details["fairness"] == {} and [g["group"] for g in r.details["error_groups"]["sex"]["groups"]] == ["F", "M"]


def test_recorded_decisions_are_compared_with_a_profile_of_the_model(world, binary_model):
    cur = world["pool"].iloc[:6000].copy()
    X = cur[list(binary_model.feature_names_in_)]
    cur["decision"], cur["score"] = binary_model.predict(X), binary_model.predict_proba(X)[:, 1]
    r = raudit.audit(None, cur, target="approved", sensitive=SENSITIVE, y_pred="decision", y_score="score", checks=["drift"],
                     reference=world["profile"])["drift"]
    assert {o["key"] for o in r.details["outputs"]} == {"score", "prediction", "label", "accuracy", "roc_auc"}
    assert r.status == "pass"
    absent = next(f for f in r.findings if f.key == "absent")
    assert absent.status == "pass" and "employment_years" in absent.message, "context columns the reference lacks: a note"
    assert "applicant_id" not in absent.message, "the id column is the rows' names, not a column of the data to compare"


def test_the_judgement_rule_is_the_interval_against_the_thresholds():
    def one(effect, lo, hi):
        return _judge_family([_Test(effect, lambda level: (lo, hi), 1e-6, 0.1, 0.25)], DriftOptions())[0]

    assert one(0.3, 0.27, 0.33).status == "fail"  # the whole interval beyond the fail threshold
    assert one(0.15, 0.12, 0.18).status == "warn"
    big = one(0.3, 0.2, 0.4)
    assert big.status == "warn" and "straddles the fail threshold 0.25" in big.reason, "beyond warn for sure, fail unproven"
    assert one(0.11, 0.05, 0.16).status == "inconclusive", "a point estimate beyond 0.1 is not enough"
    tiny = one(0.01, 0.005, 0.02)
    assert tiny.status == "pass" and tiny.p == 1e-6, "significant but tiny: within the thresholds, the test shown beside"
    levels = []
    _judge_family([_Test(0.2, lambda level: (levels.append(level) or (0.1, 0.3)), 0.01, 0.1, 0.25)] * 4, DriftOptions())
    assert levels == [pytest.approx(1 - 0.05 / 4)] * 4, "a family's intervals hold jointly (Bonferroni)"


def test_the_same_rule_on_a_large_tiny_shift_is_shown_not_judged(world):
    """At large N a tiny shift is significant: it must not fail (the gap Evidently's per-column tests leave open)."""
    pool = world["pool"]
    cur = pool.assign(debt_to_income=pool.debt_to_income + 0.01)  # 28,000 rows, a shift of 0.05 standard deviations
    r = drift(world, cur)
    dti = column(r, "debt_to_income")
    assert dti["distribution"]["p_holm"] < 0.001 and dti["psi"] < 0.1 and dti["status"] == "pass"
    assert "debt_to_income" in next(f.message for f in r.findings if f.key == "data/ok")


# -- Evidently, as an independent implementation ------------------------------------------------------------
@pytest.fixture(scope="module")
def evidently_tests():
    """Evidently 0.7.23's own statistical tests.

    Its package ``__init__`` does not import under pandas 3 (``infer_dtype_from_object`` is gone), so the stattest
    modules are imported with the package's ``__init__`` bypassed; they themselves work unchanged.
    """
    spec = importlib.util.find_spec("evidently")
    if spec is None or spec.origin is None:
        pytest.skip("evidently is not installed (pip install -e '.[dev]')")
    saved = {k: v for k, v in sys.modules.items() if k == "evidently" or k.startswith("evidently.")}
    pkg = types.ModuleType("evidently")
    pkg.__path__ = [str(Path(spec.origin).parent)]
    sys.modules["evidently"] = pkg
    try:
        from evidently.legacy.calculations import stattests
        from evidently.legacy.core import ColumnType

        yield stattests, ColumnType
    finally:
        for k in [k for k in sys.modules if k == "evidently" or k.startswith("evidently.")]:
            del sys.modules[k]
        sys.modules.update(saved)


@pytest.mark.slow
def test_numbers_agree_with_evidently(world, shifted, evidently_tests):
    """Evidently's drift statistics on the same data.

    Definitional differences, each checked here:

    * PSI binning: Evidently cuts a numeric column with more than 20 distinct values into equal-width bins over the
      combined data (Sturges' rule); raudit cuts at reference quantiles (10 bins by default). On Evidently's bins,
      raudit's PSI formula gives Evidently's number. Categories are bins in both.
    * Empty bins: both replace a zero proportion by 0.0001 — unless Evidently sees a non-zero proportion ≤ 0.0001,
      when it uses that proportion ÷ 10**6 instead; raudit always uses 0.0001.
    * Jensen–Shannon: Evidently reports the distance with natural logarithms, raudit with base 2 (0 to 1):
      raudit's value × √(ln 2) is Evidently's.
    * Chi-square: Evidently tests the current counts against the reference proportions (goodness of fit, the
      reference taken as exact); raudit tests homogeneity of the two samples (both uncertain), so its p-values are
      larger. Both statistics are checked against scipy.
    * Wasserstein: both divide by the reference's standard deviation (ddof=0, at least 0.001).
    * KS: both are scipy's two-sample test; raudit always uses the asymptotic p-value (Evidently lets scipy choose,
      which is the same above 10,000 rows per side).
    """
    st, ColumnType = evidently_tests
    cur, r = shifted
    ref = world["ref"]
    num = ColumnType.Numerical
    cat = ColumnType.Categorical

    # PSI on Evidently's own bins and empty-bin proportions, numeric: the formula agrees
    ev = st.psi_stat_test(ref.income, cur.income, num, None).drift_score
    edges = np.histogram_bin_edges(np.r_[ref.income, cur.income], bins="sturges")
    hr, hc = np.histogram(ref.income, edges)[0], np.histogram(cur.income, edges)[0]

    def evidently_epsilon(h):
        smallest = (h[h > 0] / h.sum()).min()
        return smallest / 10**6 if smallest <= 0.0001 else 0.0001

    assert (hr == 0).any() or (hc == 0).any(), "the example exercises the empty-bin rule"
    assert psi(hr, hc, epsilon=(evidently_epsilon(hr), evidently_epsilon(hc))) == pytest.approx(ev, rel=1e-9)
    # PSI on categories, with a new category that is empty in the reference
    cur_cat = cur.home_ownership.where(cur.index % 7 != 0, "council")
    ev = st.psi_stat_test(ref.home_ownership, cur_cat, cat, None).drift_score
    ours = raudit.audit(world["model"], cur.assign(home_ownership=cur_cat), target="approved", sensitive=SENSITIVE,
                        checks=["drift"], reference=world["profile"])["drift"]
    assert column(ours, "home_ownership")["psi"] == pytest.approx(ev, rel=1e-9)
    # Jensen–Shannon on categories
    ev = st.jensenshannon_stat_test(ref.zip_region, cur.zip_region, cat, None).drift_score
    assert column(r, "zip_region")["js"] * math.sqrt(math.log(2)) == pytest.approx(ev, rel=1e-9)
    # Wasserstein (normalised): exact for age, within the stated bound for income
    ev = st.wasserstein_stat_test(ref.age, cur.age, num, None).drift_score
    assert column(r, "age")["wasserstein_norm"] == pytest.approx(ev, rel=1e-9)
    ev = st.wasserstein_stat_test(ref.income, cur.income, num, None).drift_score
    income = column(r, "income")
    assert abs(income["wasserstein_norm"] - ev) <= income["wasserstein_norm_bound"]
    # KS p-value (exact column) and the chi-square statistic against reference proportions
    ev = st.ks_stat_test(ref.age, cur.age, num, None).drift_score
    assert column(r, "age")["ks_p"] == pytest.approx(ev, rel=1e-9)
    ev = st.chi_stat_test(ref.zip_region, cur.zip_region, cat, None).drift_score
    assert ev <= column(r, "zip_region")["chi2_p"], "a goodness-of-fit test against fixed proportions is less conservative"


# -- configuration, compliance, rendering ---------------------------------------------------------------------
@pytest.mark.parametrize("options,message", [
    ({"psi_fail": 0.05}, "psi_fail (0.05) is below psi_warn"),
    ({"bins": {"income": [0, 50, 100]}}, "'income' is not a sensitive column"),
    ({"bins": {"age": [60, 30]}}, "strictly ascending"),
    ({"bins": {"sex": [0, 1]}}, "not numeric in the reference"),
])
def test_option_mistakes_stop_the_audit(world, options, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        drift(world, world["pool"].iloc[:500], **options)


def test_configured_bins_group_a_numeric_sensitive_column(world):
    r = drift(world, world["pool"].iloc[:12_000], bins={"age": [18, 30, 45, 60, 100]})
    groups = {x["group"] for x in r.details["fairness"]["age"]["rates"]}
    assert groups == {"[18, 30)", "[30, 45)", "[45, 60)", "[60, 100]"}
    assert "configured edges" in r.details["fairness"]["age"]["how"]


def test_post_market_monitoring_is_in_the_compliance_map_and_the_report_renders(world):
    cur = world["pool"].iloc[:3000].assign(income=lambda d: d.income * 1.5)
    report = raudit.audit(world["model"], cur, target="approved", sensitive=SENSITIVE, checks=["drift"],
                          reference=world["profile"])
    row = next(x for x in report.compliance["rows"] if x["id"] == "EU-AIA-72")
    assert row["requirement"] == "Art. 72: post-market monitoring by providers"
    # evidence, never compliance: the drift check fails here, and that is evidence for Art. 72 (partial: the monitoring
    # system itself is the provider's)
    assert report["drift"].status == "fail"
    assert row["status"] == "partial evidence" and row["evidence"][0]["section"] == "Drift"
    assert {x["id"] for x in report.compliance["rows"] if x["evidence"]} >= {"NIST-MEASURE-2.4", "NIST-MEASURE-4.3"}
    r = report["drift"]
    assert all(re.fullmatch(r"[a-z0-9_.]+", k) for k in r.metrics), "metric keys are identifiers"
    assert all(isinstance(v, (int, float, str)) for v in r.metrics.values())
    titles = [f.title for f in r.figures]
    assert any(t.startswith("income: reference vs current") for t in titles)
    assert any("selection rate per group" in t for t in titles) and all(f.svg.startswith("<svg") for f in r.figures)
    html = report.render("html").decode()
    assert "Data drift by column" in html and "Fairness drift" in html
    schema = json.loads(package_files("raudit.schema").joinpath("report.schema.json").read_text())
    jsonschema.validate(json.loads(report.to_json()), schema)


def test_a_different_model_is_named(world, binary_model, credit, tmp_path):
    from sklearn.linear_model import LogisticRegression

    other = tmp_path / "other.joblib"
    from sklearn.base import clone

    joblib.dump(clone(binary_model).set_params(clf=LogisticRegression(C=0.01, max_iter=500)).fit(  # the fixture is shared
        credit[list(binary_model.feature_names_in_)], credit["approved"]), other)
    report = raudit.audit(other, world["pool"].iloc[:2000], target="approved", sensitive=SENSITIVE, checks=["drift"],
                          reference=world["profile"])
    assert any(f.key == "model" and f.status == "warn" and "another model file" in f.message for f in report["drift"].findings)


@pytest.mark.slow
@pytest.mark.skipif(not (SHARED / "adult.csv").exists(), reason="../shared/datasets/adult.csv not present")
def test_adult_train_versus_test_split_flags_no_drift(tmp_path):
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    df = pd.read_csv(SHARED / "adult.csv").drop(columns=["split"])
    train, test = train_test_split(df, test_size=0.3, random_state=0, stratify=df["income"])
    features = [c for c in df.columns if c not in ("income", "sex", "race", "fnlwgt")]
    cat = [c for c in features if not pd.api.types.is_numeric_dtype(df[c])]
    pre = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), cat),
                             ("num", StandardScaler(), [c for c in features if c not in cat])])
    model = Pipeline([("pre", pre), ("m", LogisticRegression(max_iter=300))]).fit(train[features], train["income"])
    joblib.dump(model, tmp_path / "model.joblib")
    train.to_csv(tmp_path / "train.csv", index=False)
    res = CliRunner().invoke(main, ["profile", str(tmp_path / "train.csv"), "--model", str(tmp_path / "model.joblib"),
                                    "--target", "income", "--sensitive", "sex,race", "-o", str(tmp_path / "ref.json")])
    assert res.exit_code == 0, res.output
    assert read_profile(tmp_path / "ref.json").rows == len(train)
    r = raudit.audit(tmp_path / "model.joblib", test, target="income", sensitive=["sex", "race"], checks=["drift"],
                     reference=tmp_path / "ref.json")["drift"]
    assert len(test) == 14_653
    # no drift: nothing fails or warns; small race groups may leave an interval straddling a threshold (inconclusive)
    assert r.status in ("pass", "inconclusive"), [f.message for f in r.findings if f.status not in ("pass", "skipped")]
    assert r.metrics["columns_compared"] == 13 and not flagged_columns(r) and not flagged_groups(r)


def test_sketch_of_the_audit_side_uses_the_reference_parameters(world):
    p = read_profile(world["profile"])
    assert isinstance(p.column("income").sketch, NumericSketch)
    r = drift(world, world["pool"].iloc[:100])
    assert r.details["reference"]["max_distinct"] == p.params.max_distinct


def _graded(n: int, seed: int, *, downgrade: str | None = None) -> pd.DataFrame:
    """Recorded decisions of a three-level triage model; ``downgrade``: that group's decisions pushed one level down."""
    rng = np.random.default_rng(seed)
    levels = np.array(["low", "mid", "high"])
    truth = rng.integers(0, 3, n)
    decision = np.where(rng.random(n) < 0.8, truth, rng.integers(0, 3, n))
    group = rng.choice(["F", "M"], size=n, p=[0.3, 0.7])  # M the larger: the reference group the gaps are taken to
    if downgrade is not None:
        decision = np.where(group == downgrade, np.maximum(decision - 1, 0), decision)
    return pd.DataFrame({"x": rng.normal(size=n), "group": group, "level": levels[truth], "decision": levels[decision]})


def test_multiclass_rates_per_group_and_class_then_and_now_equal_pandas_and_a_downgrade_fails(tmp_path):
    from raudit.engine.profile import profile_frame

    ref, cur = _graded(6000, 1), _graded(6000, 2, downgrade="F")
    classes = ["high", "low", "mid"]
    profile = profile_frame(ref, inputs=["x"], sensitive=["group"], target="level", y=ref.level.to_numpy(),
                            y_pred=ref.decision.to_numpy(), task="multiclass", classes=classes)
    (tmp_path / "ref.json").write_text(profile.to_json(), encoding="utf-8")
    r = raudit.audit(None, cur, target="level", sensitive=["group"], y_pred="decision", checks=["drift"],
                     reference=tmp_path / "ref.json")["drift"]
    fair = r.details["fairness"]
    assert sorted(fair) == [f"group, class {c}" for c in classes]
    for c in classes:  # one-vs-rest rates by hand, per group, then and now
        for frame, side in ((ref, "reference"), (cur, "current")):
            hit, pos = frame.decision == c, frame.level == c
            expected = {"selection_rate": hit.groupby(frame.group).mean(), "tpr": hit[pos].groupby(frame.group[pos]).mean(),
                        "fpr": hit[~pos].groupby(frame.group[~pos]).mean()}
            for row in fair[f"group, class {c}"]["rates"]:
                assert row[side] == pytest.approx(expected[row["rate"]][row["group"]], abs=1e-12)
    failed = {(k, row["group"], row["rate"]) for k, f in fair.items() for row in f["rates"]
              if row["judged"] and row["judged"]["status"] == "fail"}
    assert failed and {g for _k, g, _r in failed} == {"F"}, failed  # the downgraded group, and only it
    judged = [row["judged"] for f in fair.values() for row in f["rates"] if row["judged"]]
    assert judged and all(j["ci_level"] == pytest.approx(1 - 0.05 / 3 / 3) for j in judged)  # alpha ÷ 3 classes ÷ (3 rates × 1 group)
    assert r.status == "fail"
    same = raudit.audit(None, _graded(6000, 3), target="level", sensitive=["group"], y_pred="decision", checks=["drift"],
                        reference=tmp_path / "ref.json")["drift"]
    assert not [row for f in same.details["fairness"].values() for row in f["rates"]
                if row["judged"] and row["judged"]["status"] == "fail"]


def test_class_groups_of_chunks_merge_to_the_whole_and_survive_json():
    from raudit.engine.profile import Profile, profile_frame

    data = _graded(3000, 4)
    classes = ["high", "low", "mid"]

    def prof(frame):
        return profile_frame(frame, inputs=["x"], sensitive=["group"], target="level", y=frame.level.to_numpy(),
                             y_pred=frame.decision.to_numpy(), task="multiclass", classes=classes)

    whole = prof(data)
    parts = [prof(data.iloc[s]) for s in np.array_split(np.arange(len(data)), 4)]
    merged = parts[0]
    for p in parts[1:]:
        merged = merged + p
    assert merged.to_json() == whole.to_json()
    assert Profile.from_dict(json.loads(whole.to_json())) == whole
    schema = json.loads((Path(raudit.__file__).parent / "schema" / "profile.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(whole.to_json()), schema)  # the per-class group counts are in the published form
    assert "class_groups" in json.loads(whole.to_json())
    mid = whole.class_groups["group"]["mid"]
    f = data[data.group == "F"]
    tn, fp, fn, tp = mid.cells[mid.groups.index("F")]
    assert (tp, fp, fn) == (((f.level == "mid") & (f.decision == "mid")).sum(), ((f.level != "mid") & (f.decision == "mid")).sum(),
                            ((f.level == "mid") & (f.decision != "mid")).sum())


def _priced(n: int, seed: int, *, under: str | None = None) -> pd.DataFrame:
    """Recorded predictions of a price model; ``under``: that group's predictions 10 % too low."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    group = rng.choice(["A", "B"], size=n, p=[0.7, 0.3])
    y = 50 + 10 * x + rng.normal(0, 2, n)
    pred = 50 + 10 * x + rng.normal(0, 0.5, n)
    if under is not None:
        pred = np.where(group == under, 0.9 * pred, pred)
    return pd.DataFrame({"x": x, "group": group, "y": y, "pred": pred})


def _price_profile(frame: pd.DataFrame):
    from raudit.engine.profile import profile_frame

    return profile_frame(frame, inputs=["x"], sensitive=["group"], target="y", y=frame.y.to_numpy(), y_pred=frame.pred.to_numpy(),
                         task="regression")


def test_regression_drift_per_group_equals_pandas_and_a_ten_percent_underestimate_fails(tmp_path):
    from scipy.stats import norm

    ref = _priced(6000, 1)
    (tmp_path / "ref.json").write_text(_price_profile(ref).to_json(), encoding="utf-8")

    def run(cur):
        return raudit.audit(None, cur, target="y", sensitive=["group"], y_pred="pred", checks=["drift"],
                            reference=tmp_path / "ref.json")["drift"]

    cur = _priced(6000, 3, under="B")
    r = run(cur)
    rows = {g["group"]: g for g in r.details["error_groups"]["group"]["groups"]}
    for frame, side in ((ref, 0), (cur, 1)):
        e = frame.y - frame.pred
        by = pd.DataFrame({"p": frame.pred, "e": e, "a": e.abs(), "g": frame.group}).groupby("g")
        for g, row in rows.items():
            assert row["mean_prediction"][side] == pytest.approx(by.p.mean()[g], rel=1e-12)
            assert row["mean_residual"][side] == pytest.approx(by.e.mean()[g], abs=1e-9)
            assert row["mae"][side] == pytest.approx(by.a.mean()[g], rel=1e-12)
    e_ref, e_cur = ref.y - ref.pred, cur.y - cur.pred
    for g, row in rows.items():  # Welch's z for the change of the mean residual, by hand
        a, b = e_ref[ref.group == g], e_cur[cur.group == g]
        se, d = np.sqrt(a.var() / len(a) + b.var() / len(b)), b.mean() - a.mean()
        assert row["residual_change_ci"] == pytest.approx([d - 1.959964 * se, d + 1.959964 * se], rel=1e-6)
        assert row["residual_change_p"] == pytest.approx(2 * norm.sf(abs(d) / se), rel=1e-6, abs=1e-300)
    assert rows["B"]["mae_rise"]["status"] == "fail" and rows["B"]["mean_residual"][1] > 4
    levels = {row[k]["ci_level"] for row in rows.values() for k in ("mae_rise", "prediction_psi")}
    assert levels == {1 - 0.05 / 4}  # one family: two groups × (PSI, MAE rise), Bonferroni
    assert rows["A"]["mae_rise"]["status"] == "pass" and rows["A"]["prediction_psi"]["status"] == "pass"
    assert r.status == "fail" and any(f.key == "errors/group/B/mae_rise" and f.status == "fail" for f in r.findings)
    same = run(_priced(6000, 2))
    assert all(f.status == "pass" for f in same.findings if f.key.startswith("errors/")), \
        [f.message for f in same.findings if f.key.startswith("errors/")]


def test_group_errors_of_chunks_merge_to_the_whole_and_survive_json():
    from raudit.engine.profile import Profile

    data = _priced(3000, 5)
    parts = [_price_profile(data.iloc[s]) for s in np.array_split(np.arange(len(data)), 4)]
    merged = parts[0]
    for p in parts[1:]:
        merged = merged + p
    whole = _price_profile(data)
    assert merged.to_json() == whole.to_json()
    raw = json.loads(whole.to_json())
    schema = json.loads((Path(raudit.__file__).parent / "schema" / "profile.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(raw, schema)
    assert Profile.from_dict(raw) == whole and sorted(raw["error_groups"]["group"]["groups"]) == ["A", "B"]
