"""Monitoring from decision logs: logs as references, drift per time window, performance estimated without labels.

Numbers are checked against independent computations (scikit-learn's isotonic regression and ROC-AUC, a
row-level CBPE written here from its definition) and against the truth of synthetic data whose labels the
estimate never sees.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.isotonic import IsotonicRegression, isotonic_regression

import raudit
from raudit import ConfigError
from raudit.checks._windows import parse_window, spending_alpha
from raudit.cli import main
from raudit.engine.profile import read_profile
from raudit.stats.cbpe import ScoreTable, bootstrap_calibrations, calibrate, estimate_performance


def decision_log(n: int, seed: int, *, shift: float = 0.0, start: str = "2026-01-05", days: float = 1.0) -> pd.DataFrame:
    """A binary model's decision log: inputs x1, x2, sex, a miscalibrated score that under-weights x2, decisions, labels, times."""
    r = np.random.default_rng(seed)
    sex = r.choice(["F", "M"], n)
    x1, x2 = r.normal(size=n), r.normal(loc=shift, size=n)
    y = (r.random(n) < 1 / (1 + np.exp(-(1.5 * x1 + 1.0 * x2 - 0.5)))).astype(int)
    score = 1 / (1 + np.exp(-(2.5 * x1 + 0.5 * x2)))
    ts = pd.Timestamp(start) + pd.to_timedelta(r.random(n) * days, unit="D")
    return pd.DataFrame({"ts": ts, "x1": x1, "x2": x2, "sex": sex, "score": score, "decision": (score >= 0.5).astype(int),
                         "y": y})


def weekly(weeks: int, rows: int, *, shift=lambda w: 0.0, seed: int = 100) -> pd.DataFrame:
    """``weeks`` ISO weeks from Monday 2026-01-05, ``rows`` rows each, x2 shifted by ``shift(week)``."""
    return pd.concat([decision_log(rows, seed + w, shift=shift(w), start=str((pd.Timestamp("2026-01-05")
                                                                              + pd.Timedelta(days=7 * w)).date()), days=7)
                      for w in range(weeks)], ignore_index=True)


def drift(data, reference, **options):
    config = {"time_column": "ts", "check": {"drift": options}} if options else {"time_column": "ts"}
    return raudit.audit(None, data, target="y", sensitive=["sex"], y_pred="decision", y_score="score", checks=["drift"],
                        reference=reference, config=config)["drift"]


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    d = tmp_path_factory.mktemp("logs")
    ref = decision_log(20_000, 1)
    ref.drop(columns="ts").to_csv(d / "reference.csv", index=False)
    return {"dir": d, "ref": ref, "reference": d / "reference.csv"}


# -- decision logs as references -------------------------------------------------------------------------------
def test_a_flipped_log_fails_fairness_drift_for_that_group_from_logs_alone(logs, tmp_path):
    cur = decision_log(20_000, 2).drop(columns="ts")
    flipped = cur.copy()
    hit = (flipped.sex == "F") & (flipped.decision == 1) & (np.random.default_rng(0).random(len(cur)) < 0.3)
    flipped.loc[hit, "decision"] = 0
    for name, frame in (("same", cur), ("flipped", flipped)):
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    same = raudit.audit(None, tmp_path / "same.csv", target="y", sensitive=["sex"], y_pred="decision", checks=["drift"],
                        reference=logs["reference"])["drift"]
    flip = raudit.audit(None, tmp_path / "flipped.csv", target="y", sensitive=["sex"], y_pred="decision", checks=["drift"],
                        reference=logs["reference"])["drift"]
    assert not any("holds no model outputs" in f.message for f in same.findings), "the reference log's decisions are read"

    def failed(r):
        return {(g, x["group"], x["rate"]) for g, f in r.details["fairness"].items() for x in f["rates"]
                if x["judged"] is not None and x["judged"]["status"] == "fail"}

    assert failed(same) == set() and same.status == "pass"
    assert ("sex", "F", "selection_rate") in failed(flip) and flip.status == "fail"
    assert {g for _, g, _ in failed(flip)} == {"F"}


def test_a_profiled_log_equals_the_raw_log_as_reference_and_the_current_side(logs, tmp_path):
    out = tmp_path / "log.profile.json"
    res = CliRunner().invoke(main, ["profile", "--predictions", str(logs["reference"]), "--y-pred", "decision", "--y-score",
                                    "score", "--target", "y", "--sensitive", "sex", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "recorded decisions" in res.output
    profile = read_profile(out)
    assert profile.has_predictions and profile.score is not None and profile.scored is not None
    assert profile.overall is not None and profile.overall.hist is not None, "label counts per score bin: the calibration"
    assert set(profile.strata) == {"x1", "x2", "sex"}
    cur = decision_log(6_000, 3)
    a, b = drift(cur, out), drift(cur, logs["reference"])
    da, db = dict(a.details), dict(b.details)
    da.pop("reference"), db.pop("reference")
    assert da == db and a.metrics == b.metrics
    # the audit's current side of the reference log is the reference profile itself
    same = drift(logs["ref"], out)
    assert same.details["estimate"]["metrics"]["accuracy"]["realised"] == pytest.approx(profile.correct / profile.rows)


def test_profile_refuses_a_log_without_decisions_and_data_with_a_log(logs):
    res = CliRunner().invoke(main, ["profile", "--predictions", str(logs["reference"]), "--target", "y", "-o", "x.json"])
    assert res.exit_code == 2 and "--y-pred" in res.output
    res = CliRunner().invoke(main, ["profile", str(logs["reference"]), "--predictions", str(logs["reference"]),
                                    "--y-pred", "decision", "-o", "x.json"])
    assert res.exit_code == 2 and "not both" in res.output


# -- windows -------------------------------------------------------------------------------------------------------
def test_window_specs_and_alpha_spending():
    assert parse_window("7D").size == 7 and parse_window("2W").size == 14 and parse_window("1M").kind == "months"
    assert parse_window("5000").kind == "rows" and parse_window("") is None
    with pytest.raises(ConfigError, match="not a window"):
        parse_window("weekly")
    assert sum(spending_alpha(0.05, k) for k in range(1, 10_000)) < 0.05
    assert spending_alpha(0.05, 1) == 0.025


def test_a_log_whose_last_three_weeks_drift_names_the_first_drifting_week(logs):
    cur = weekly(10, 2_000, shift=lambda w: 1.0 if w >= 7 else 0.0)
    r = drift(cur, logs["reference"], window="7D")
    items = r.details["windows"]["items"]
    assert [w["label"] for w in items] == [str((pd.Timestamp("2026-01-05") + pd.Timedelta(days=7 * w)).date()) for w in range(10)]
    assert [w["status"] == "fail" for w in items] == [False] * 7 + [True] * 3
    assert r.details["windows"]["first_failing"] == "2026-02-23" == r.metrics["first_failing_window"]
    assert all(items[k]["columns"]["x2"]["status"] == "fail" for k in (7, 8, 9))
    assert [w["alpha"] for w in items] == pytest.approx([spending_alpha(0.05, k) for k in range(1, 11)])
    first = next(f for f in r.findings if f.key == "windows/first")
    assert first.status == "fail" and "2026-02-23" in first.message
    assert any(f.title.startswith("Timeline: the most drifted column") for f in r.figures)
    assert any(f.title.startswith("Estimated vs realised accuracy") for f in r.figures)


def test_windows_are_the_same_streamed_in_memory_and_by_rows(logs, tmp_path):
    cur = weekly(4, 1_500, shift=lambda w: 0.5 * w).sample(frac=1, random_state=0).reset_index(drop=True)  # out of time order
    cur.to_parquet(tmp_path / "log.parquet", row_group_size=700)
    memory = drift(cur, logs["reference"], window="7D")
    common = dict(target="y", sensitive=["sex"], y_pred="decision", y_score="score", checks=["drift"], reference=logs["reference"])
    streamed = raudit.audit(None, tmp_path / "log.parquet", config={"time_column": "ts", "engine": "stream", "chunk_rows": 1000,
                                                                    "check": {"drift": {"window": "7D"}}}, **common)["drift"]
    assert memory.details == streamed.details and memory.metrics == streamed.metrics
    by_rows = drift(cur, logs["reference"], window="1500")
    assert [w["rows"] for w in by_rows.details["windows"]["items"]] == [1500] * 4


@pytest.mark.slow
@pytest.mark.own_process
def test_windows_on_a_dask_cluster_equal_windows_in_memory(logs, tmp_path):
    """Each window's numbers (rows, PSI and intervals, decisions, estimates, verdicts) from worker processes equal in memory."""
    from distributed import Client, LocalCluster

    cur = weekly(4, 1_500, shift=lambda w: 0.5 * w).sample(frac=1, random_state=1).reset_index(drop=True)  # out of time order
    for i in range(3):
        cur.iloc[i * 2_000:(i + 1) * 2_000].to_parquet(tmp_path / f"part-{i}.parquet", row_group_size=700)
    memory = drift(cur, logs["reference"], window="7D")
    common = dict(target="y", sensitive=["sex"], y_pred="decision", y_score="score", checks=["drift"], reference=logs["reference"])
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        report = raudit.audit(None, str(tmp_path / "part-*.parquet"), client=client, **common,
                              config={"time_column": "ts", "engine": "dask", "chunk_rows": 1000, "check": {"drift": {"window": "7D"}}})
    assert report.lineage["engine"]["engine"] == "dask" and report.lineage["engine"]["chunks"] >= 3
    on_dask = report["drift"]
    assert [w["rows"] for w in on_dask.details["windows"]["items"]] == [1500] * 4
    assert on_dask.details["windows"] == memory.details["windows"]
    assert on_dask.details == memory.details and on_dask.metrics == memory.metrics


def test_a_window_without_a_time_column_is_refused(logs):
    with pytest.raises(ConfigError, match="no time column"):
        raudit.audit(None, decision_log(500, 4), target="y", sensitive=["sex"], y_pred="decision", checks=["drift"],
                     reference=logs["reference"], config={"check": {"drift": {"window": "7D"}}})


def test_the_time_column_is_not_compared_as_data(logs):
    r = drift(weekly(2, 1_000), logs["reference"], window="7D")
    assert "ts" not in {c["name"] for c in r.details["columns"]}


# -- estimation without labels ------------------------------------------------------------------------------------
def test_calibration_from_bins_equals_isotonic_regression():
    rng = np.random.default_rng(0)
    n = rng.integers(0, 40, 1000)
    pos = rng.binomial(n, np.linspace(0, 1, 1000) ** 2)
    seen = n > 0
    assert np.abs(calibrate(pos, n)[seen] - isotonic_regression(pos[seen] / n[seen], sample_weight=n[seen])).max() < 1e-12


def test_cbpe_equals_its_row_level_definition():
    """Scores on the bin centres: the binned CBPE equals CBPE computed row by row with scikit-learn's IsotonicRegression."""
    rng = np.random.default_rng(1)
    bins = 1000
    ref_s = (rng.integers(0, bins, 30_000) + 0.5) / bins
    ref_y = (rng.random(len(ref_s)) < ref_s**1.5).astype(int)
    cur_s = (rng.integers(0, bins, 8_000) + 0.5) / bins
    cur_d = (cur_s >= 0.4).astype(int)
    iso = IsotonicRegression(out_of_bounds="clip").fit(ref_s, ref_y)
    p = iso.predict(cur_s)
    tp, fp = p[cur_d == 1].sum(), (1 - p[cur_d == 1]).sum()
    fn, tn = p[cur_d == 0].sum(), (1 - p[cur_d == 0]).sum()
    table = ScoreTable.of(np.zeros(len(ref_s)), ref_y, ref_s).counts[0]
    cal = calibrate(table[1], table.sum(axis=0))
    est = estimate_performance(ScoreTable.of(np.zeros(len(cur_s)), cur_d, cur_s).counts[0], cal,
                               bootstrap_calibrations(table, 50, rng), rng=rng)
    assert est.values["accuracy"] == pytest.approx((tp + tn) / len(p), abs=1e-9)
    assert est.values["precision"] == pytest.approx(tp / (tp + fp), abs=1e-9)
    assert est.values["recall"] == pytest.approx(tp / (tp + fn), abs=1e-9)
    assert est.values["f1"] == pytest.approx(2 * tp / (2 * tp + fp + fn), abs=1e-9)
    # ROC-AUC with fractional labels: each row split into p positives and 1 - p negatives (ties count half)
    order = np.argsort(cur_s)
    s, w = cur_s[order], p[order]
    pos_w, neg_w = w, 1 - w
    below = np.array([neg_w[s < v].sum() + 0.5 * neg_w[s == v].sum() for v in s])
    assert est.values["roc_auc"] == pytest.approx((pos_w * below).sum() / (pos_w.sum() * neg_w.sum()), abs=1e-9)


def test_score_tables_merge_exactly_and_round_trip():
    rng = np.random.default_rng(2)
    g, o, s = rng.choice(["a", "b", "c"], 900), rng.integers(0, 2, 900), rng.random(900)
    whole = ScoreTable.of(g, o, s)
    assert ScoreTable.of(g[:400], o[:400], s[:400]) + ScoreTable.of(g[400:], o[400:], s[400:]) == whole
    assert ScoreTable.from_json(json.loads(json.dumps(whole.to_json()))) == whole


@pytest.fixture(scope="module")
def shifted_weeks(logs):
    """24 weekly windows of 3,000 rows whose x2 drifts from 0 to 1.5 (covariate shift); the labels are never used."""
    cur = weekly(24, 3_000, shift=lambda w: 1.5 * w / 23)
    return drift(cur, logs["reference"], window="7D")


def test_estimates_track_the_hidden_labels_and_the_weighted_variant_beats_cbpe_under_covariate_shift(shifted_weeks):
    items = shifted_weeks.details["windows"]["items"]
    assert len(items) == 24
    err = {}
    for metric in ("accuracy", "roc_auc"):
        m = [w["estimate"]["metrics"][metric] for w in items]
        real = np.array([x["realised"] for x in m])
        for kind, key in (("cbpe", "estimate"), ("weighted", "weighted")):
            est = np.array([x[key] for x in m])
            ci = np.array([x["ci" if kind == "cbpe" else "weighted_ci"] for x in m])
            err[metric, kind] = (float(np.abs(est - real).mean()), float(((ci[:, 0] <= real) & (real <= ci[:, 1])).mean()))
    print("MAE and coverage over 24 windows:", err)
    assert err["accuracy", "weighted"][0] < err["accuracy", "cbpe"][0], "importance weights correct the covariate shift"
    assert err["accuracy", "weighted"][0] < 0.012 and err["roc_auc", "cbpe"][0] < 0.012
    assert err["accuracy", "weighted"][1] >= 0.9 and err["roc_auc", "weighted"][1] >= 0.9
    assert items[-1]["estimate"]["weighted_column"] == "x2"


def test_an_estimated_fall_warns_and_never_fails(logs):
    cur = weekly(1, 8_000, shift=lambda w: -2.0)  # x2 far lower: fewer positives, the model's accuracy changes
    r = drift(cur, logs["reference"])
    est = r.details["estimate"]["metrics"]
    assert all(m["status"] != "fail" for m in est.values())
    statuses = {f.key: f.status for f in r.findings}
    assert all(s != "fail" for k, s in statuses.items() if k.startswith("estimate/"))


def test_the_estimate_is_per_group_and_states_its_assumption(shifted_weeks):
    est = shifted_weeks.details["estimate"]
    assert set(est["groups"]["sex"]) == {"F", "M"}
    table = next(t for t in shifted_weeks.tables if t.title.startswith("Estimated performance (without labels)"))
    assert "assumes that the label's rate at a given score is the same" in table.note


def test_rows_the_weights_cannot_reach_are_counted_and_warned_about():
    """A stratum the reference never saw at a score (here: stratum "new" everywhere) gets no weight: its share is counted."""
    from raudit.checks._estimate import PerformanceEstimate
    from raudit.checks._timeline import support_findings
    from raudit.stats.cbpe import StrataTable, weighted_correction

    r = np.random.default_rng(0)
    score = r.random(4000)
    old = StrataTable.of(r.choice(["a", "b"], 4000), (r.random(4000) < score).astype(int), score)
    cur_strata = np.where(np.arange(4000) < 600, "new", r.choice(["a", "b"], 4000))
    cur = StrataTable.of(cur_strata, None, score)
    corr = weighted_correction({"x": old}, {"x": cur}, rounds=0, rng=r)
    assert corr is not None and corr.column == "x"
    assert corr.outside_support == pytest.approx(600 / 4000)
    est = PerformanceEstimate(4000, (), {}, corr.column, corr.shift, corr.outside_support, 0.0)
    found = support_findings(est, "the audited data", "k")
    assert [f.status for f in found] == ["warn"] and "15.0 % of the audited data's rows" in found[0].message
    # the same strata on both sides: every row can be weighted, nothing to warn about
    same = weighted_correction({"x": old}, {"x": StrataTable.of(r.choice(["a", "b"], 4000), None, score)}, rounds=0, rng=r)
    assert same is not None and same.outside_support == 0.0
    assert support_findings(PerformanceEstimate(4000, (), {}, "x", same.shift, 0.0, 0.0), "w", "k") == []
