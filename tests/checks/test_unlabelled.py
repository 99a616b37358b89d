"""Decision logs whose latest labels have not arrived: unlabelled rows count where no label is needed, nowhere else.

A weekly log whose last two weeks have no label and whose fourth week is half labelled, audited with drift windows,
fairness and performance. Every number is checked against a pandas group-by of the same rows: selection rates over
every row, TPR, FPR and accuracy over the labelled rows only; the estimate is shown in every window, realised
performance only where labels exist.
"""

from __future__ import annotations

import json
import re
from importlib.resources import files

import jsonschema
import numpy as np
import pandas as pd
import pytest

import raudit
from raudit import InputError
from raudit.api.prepare import UNLABELLED_REFERENCE
from raudit.stats.groups import GroupCounts

from .test_monitoring import decision_log, weekly

WEEKS, ROWS, UNLABELLED_WEEKS = 6, 2_000, 2
COMMON = dict(target="y", sensitive=["sex"], y_pred="decision", y_score="score")


def unlabelled_log() -> pd.DataFrame:
    """Six weekly windows; the last two without labels, the fourth with every other row's label missing."""
    log = weekly(WEEKS, ROWS, seed=300)
    week = ((log.ts - pd.Timestamp("2026-01-05")).dt.days // 7).to_numpy()
    log["y"] = log["y"].astype(float)
    log.loc[week >= WEEKS - UNLABELLED_WEEKS, "y"] = np.nan
    log.loc[(week == WEEKS - UNLABELLED_WEEKS - 1) & (np.arange(len(log)) % 2 == 0), "y"] = np.nan
    return log.assign(week=week)


def valid_json(report) -> None:
    """The report's JSON, unlabelled counts included, validates against the shipped schema."""
    schema = json.loads(files("raudit.schema").joinpath("report.schema.json").read_text())
    jsonschema.validate(json.loads(report.render("json")), schema)


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    d = tmp_path_factory.mktemp("unlabelled")
    decision_log(20_000, 1).drop(columns="ts").to_csv(d / "reference.csv", index=False)
    log = unlabelled_log()
    report = raudit.audit(None, log.drop(columns="week"), **COMMON, checks=["drift", "fairness", "performance"],
                          reference=d / "reference.csv", config={"time_column": "ts", "check": {"drift": {"window": "7D"}}})
    return {"log": log, "report": report, "reference": d / "reference.csv", "dir": d}


def test_each_window_counts_its_unlabelled_rows_and_shows_realised_only_where_labels_exist(audited):
    log, drift = audited["log"], audited["report"]["drift"]
    items = drift.details["windows"]["items"]
    missing = log.groupby("week")["y"].apply(lambda y: int(y.isna().sum())).tolist()
    assert [w["unlabelled"] for w in items] == missing == [0, 0, 0, ROWS // 2, ROWS, ROWS]
    for w, (_, rows) in zip(items, log.groupby("week")):
        labelled = rows.dropna(subset=["y"])
        estimate = w["estimate"]["metrics"]["accuracy"]
        assert np.isfinite(estimate["estimate"]) and np.isfinite(estimate["weighted"]), "the estimate is shown in every window"
        if len(labelled):
            realised = float((labelled.decision == labelled.y).mean())
            assert estimate["realised"] == pytest.approx(realised, abs=1e-12)
            assert w["outputs"]["accuracy"]["current"] == pytest.approx(realised, abs=1e-12)
        else:
            assert not np.isfinite(estimate["realised"] if estimate["realised"] is not None else np.nan)
            assert "accuracy" not in w["outputs"] and "roc_auc" not in w["outputs"]
    note = next(f for f in drift.findings if f.key == "unlabelled_rows")
    assert f"on {int(log.y.isna().sum()):,} of {len(log):,} rows: they have no label yet" in note.message
    assert "2 of them no labelled row" in note.message
    timeline = next(t for t in drift.tables if t.title.startswith("Timeline: each window"))
    assert [row[timeline.columns.index("rows without label")] for row in timeline.rows] == missing
    valid_json(audited["report"])


def test_data_and_decision_drift_use_every_row_and_accuracy_drift_the_labelled_ones(audited):
    log, drift = audited["log"], audited["report"]["drift"]
    assert drift.details["current_rows"] == len(log)
    outputs = {o["key"]: o for o in drift.details["outputs"]}
    labelled = log.dropna(subset=["y"])
    assert outputs["accuracy"]["current"] == pytest.approx(float((labelled.decision == labelled.y).mean()), abs=1e-12)
    assert [w["rows"] for w in drift.details["windows"]["items"]] == [ROWS] * WEEKS, "unlabelled rows are in the data drift"
    assert outputs["score"]["current"] == pytest.approx(float(log.score.mean()), abs=1e-6), "scores of every row"
    assert not any(f.key == "positive" or "positive class is" in f.message for f in drift.findings), "1.0 is the label 1"
    every = log.groupby("sex")["decision"].mean()
    tpr = labelled[labelled.y == 1].groupby("sex")["decision"].mean()
    fairness = drift.details["fairness"]["sex"]
    assert fairness["worst_selection_rate_ratio"]["current"] == pytest.approx(every.min() / every.max(), abs=1e-12)
    rates = {(r["group"], r["rate"]): r["current"] for r in fairness["rates"]}
    assert all(rates[(g, "selection_rate")] == pytest.approx(every[g], abs=1e-12) for g in ("F", "M"))
    assert all(rates[(g, "tpr")] == pytest.approx(tpr[g], abs=1e-12) for g in ("F", "M"))


def test_selection_rates_use_every_row_and_error_rates_the_labelled_rows(audited):
    log, fairness = audited["log"], audited["report"]["fairness"]
    groups = {g["group"]: g for g in fairness.details["groupings"]["sex"]["groups"]}
    labelled = log.dropna(subset=["y"])
    every = log.groupby("sex").agg(n=("decision", "size"), selection_rate=("decision", "mean"))
    tpr = labelled[labelled.y == 1].groupby("sex")["decision"].mean()
    fpr = labelled[labelled.y == 0].groupby("sex")["decision"].mean()
    for sex in ("F", "M"):
        g = groups[sex]
        assert g["n"] == every.loc[sex, "n"] and g["labelled"] == int((labelled.sex == sex).sum())
        assert g["selection_rate"] == pytest.approx(every.loc[sex, "selection_rate"], abs=1e-12)
        assert g["tpr"] == pytest.approx(tpr[sex], abs=1e-12) and g["fpr"] == pytest.approx(fpr[sex], abs=1e-12)
    note = next(f for f in fairness.findings if f.key == "unlabelled_rows")
    assert f"on {int(log.y.isna().sum()):,} of {len(log):,} rows: they have no label yet" in note.message
    ratio = next(d for d in fairness.details["disparities"] if d["metric"] == "selection_rate")
    assert ratio["value"] == pytest.approx(every.loc[ratio["group"], "selection_rate"] / every.loc[ratio["reference"], "selection_rate"])
    assert ratio["n_group"] == every.loc[ratio["group"], "n"]
    table = next(t for t in fairness.tables if t.title == "sex: error rates by group")
    column = table.columns.index("labelled rows")
    assert {row[0]: row[column] for row in table.rows} == labelled.groupby("sex").size().to_dict()


def test_performance_is_measured_on_the_labelled_rows_and_says_how_many_are_left_out(audited):
    log, perf = audited["log"], audited["report"]["performance"]
    labelled = log.dropna(subset=["y"])
    assert perf.details["n"] == len(labelled) and perf.details["unlabelled"] == int(log.y.isna().sum())
    assert perf.metrics["accuracy"] == pytest.approx(float((labelled.decision == labelled.y).mean()), abs=1e-12)
    from sklearn.metrics import roc_auc_score

    assert perf.metrics["roc_auc"] == pytest.approx(roc_auc_score(labelled.y, labelled.score), abs=2e-3)
    assert any(f.key == "unlabelled_rows" and f"on the {len(labelled):,} labelled rows" in f.message for f in perf.findings)


def test_streamed_chunks_equal_the_log_in_memory(audited, tmp_path):
    """CSV chunks read their labels as integers where a chunk has none missing and as floats elsewhere: the same numbers."""
    log = audited["log"].drop(columns="week").sample(frac=1, random_state=2).reset_index(drop=True)
    log.to_csv(tmp_path / "log.csv", index=False)
    log.to_parquet(tmp_path / "log.parquet", row_group_size=900)
    checks = ["drift", "fairness", "performance"]
    config = {"time_column": "ts", "check": {"drift": {"window": "7D"}}}
    memory = raudit.audit(None, log, **COMMON, checks=checks, reference=audited["reference"], config=config)
    for path in ("log.csv", "log.parquet"):
        streamed = raudit.audit(None, tmp_path / path, **COMMON, checks=checks, reference=audited["reference"],
                                config={**config, "engine": "stream", "chunk_rows": 1_700})
        assert streamed.lineage["engine"]["chunks"] > 1
        for name in checks:
            assert streamed[name].details == memory[name].details and streamed[name].metrics == memory[name].metrics, (path, name)


def test_counts_with_unlabelled_rows_merge_exactly_and_split_the_rates():
    r = np.random.default_rng(5)
    n = 3_000
    groups = r.choice(["a", "b", "c"], n)
    y, yhat, score = r.integers(0, 2, n), r.integers(0, 2, n), r.random(n)
    labelled = r.random(n) < 0.6
    whole = GroupCounts.from_arrays(groups, y, yhat, score, labelled=labelled)
    parts = [GroupCounts.from_arrays(groups[s], y[s], yhat[s], score[s], labelled=labelled[s])
             for s in (slice(0, 700), slice(700, 701), slice(701, n))]
    merged = parts[0] + parts[1] + parts[2]
    for field in ("cells", "hist", "score_sum", "unlabelled"):
        assert np.array_equal(getattr(whole, field), getattr(merged, field)), field
    frame = pd.DataFrame({"g": groups, "y": y, "yhat": yhat, "lab": labelled})
    on = frame[frame.lab]
    assert whole.n.tolist() == frame.groupby("g").size().tolist()
    assert whole.labelled.tolist() == on.groupby("g").size().tolist()
    assert whole.rates()["selection_rate"] == pytest.approx(frame.groupby("g").yhat.mean().to_numpy())
    assert whole.rates()["tpr"] == pytest.approx(on[on.y == 1].groupby("g").yhat.mean().to_numpy())
    k, m = whole.rate_counts("selection_rate")
    assert k.tolist() == frame.groupby("g").yhat.sum().tolist() and m.tolist() == whole.n.tolist()
    plain = GroupCounts.from_arrays(groups[labelled], y[labelled], yhat[labelled], score[labelled])
    assert np.array_equal(plain.hist, whole.hist) and plain.rates()["fpr"] == pytest.approx(whole.rates()["fpr"])


def test_a_log_with_no_label_at_all_skips_what_needs_labels_and_says_why(audited):
    log = unlabelled_log().drop(columns="week").assign(y=np.nan)
    report = raudit.audit(None, log, **COMMON, checks=["drift", "fairness", "performance"], reference=audited["reference"],
                          config={"time_column": "ts", "check": {"drift": {"window": "7D"}}})
    perf = report["performance"]
    assert perf.status == "skipped" and "None of the" in perf.findings[0].message and perf.details["n"] == 0
    fairness = report["fairness"]
    groups = {g["group"]: g for g in fairness.details["groupings"]["sex"]["groups"]}
    every = log.groupby("sex")["decision"].mean()
    assert all(groups[s]["selection_rate"] == pytest.approx(every[s], abs=1e-12) for s in ("F", "M"))
    assert all(groups[s]["labelled"] == 0 for s in ("F", "M"))
    assert any(f.key == "unlabelled_rows" and "as no row has one yet" in f.message for f in fairness.findings)
    items = report["drift"].details["windows"]["items"]
    assert all(np.isfinite(w["estimate"]["metrics"]["accuracy"]["estimate"]) for w in items)
    assert all(w["unlabelled"] == ROWS for w in items)
    valid_json(report)


def test_a_check_that_reads_each_rows_label_is_skipped_and_says_why():
    """The privacy check's label-only attack compares each row's decision with its label: no placeholder may stand in."""
    log = decision_log(800, 9).drop(columns="ts").assign(y=lambda d: d.y.astype(float))
    log.loc[:99, "y"] = np.nan
    train = decision_log(800, 10).drop(columns="ts")
    report = raudit.audit(None, log, target="y", sensitive=["sex"], y_pred="decision", checks=["privacy"], train_data=train)
    assert report["privacy"].status == "skipped"
    assert "needs a label on every row it reads, and 100 of 800 rows have none yet" in report["privacy"].summary


def test_a_model_audit_refuses_missing_labels_and_says_where_they_are_kept():
    from sklearn.linear_model import LogisticRegression

    data = decision_log(400, 6).drop(columns=["ts", "score", "decision"])
    model = LogisticRegression().fit(data[["x1", "x2"]], data["y"])
    data = data.drop(columns="sex").assign(y=data["y"].astype(float))
    data.loc[:9, "y"] = np.nan
    with pytest.raises(InputError, match="target column 'y' has 10 missing value") as raised:
        raudit.audit(model, data, target="y", checks=["performance"])
    assert "--y-pred" in raised.value.hint


def test_a_multiclass_log_refuses_missing_labels():
    log = decision_log(600, 8).drop(columns="ts")
    log["decision"] = np.digitize(log.score, [0.33, 0.66])
    log["y"] = np.where(np.arange(len(log)) % 7 == 0, np.nan, np.digitize(log.x1, [-0.4, 0.4]))
    with pytest.raises(InputError, match="target column 'y' has 86 missing value"):
        raudit.audit(None, log, target="y", sensitive=["sex"], y_pred="decision", checks=["fairness"])


def test_an_ab_comparison_of_arms_refuses_missing_labels():
    """Arms are compared row by row on outcomes: a placeholder label would be counted as an outcome."""
    from raudit import compare_arms

    log = decision_log(600, 11).drop(columns="ts").assign(arm=lambda d: np.where(np.arange(len(d)) % 2, "A", "B"),
                                                          y=lambda d: d.y.astype(float))
    log.loc[:4, "y"] = np.nan
    with pytest.raises(InputError, match="target column 'y' has 5 missing value"):
        compare_arms(log, arm="arm", y_pred="decision", target="y", sensitive=["sex"])


def test_a_reference_log_with_unlabelled_rows_is_refused(audited):
    log = unlabelled_log().drop(columns="week")
    log.drop(columns="ts").to_csv(audited["dir"] / "unlabelled-reference.csv", index=False)
    head = re.escape(UNLABELLED_REFERENCE.split("{n}")[1][:60])
    with pytest.raises(InputError, match=head):
        raudit.audit(None, decision_log(500, 7), **COMMON, checks=["drift"],
                     reference=audited["dir"] / "unlabelled-reference.csv")


@pytest.mark.slow
@pytest.mark.own_process
def test_a_dask_cluster_equals_the_log_in_memory(audited, tmp_path):
    """Partitions with and without missing labels on worker processes: the same numbers as in memory."""
    from distributed import Client, LocalCluster

    log = audited["log"].drop(columns="week").sample(frac=1, random_state=3).reset_index(drop=True)
    for i in range(3):
        log.iloc[i * 4_000:(i + 1) * 4_000].to_parquet(tmp_path / f"part-{i}.parquet", row_group_size=1_500)
    checks = ["drift", "fairness", "performance"]
    config = {"time_column": "ts", "check": {"drift": {"window": "7D"}}}
    memory = raudit.audit(None, log, **COMMON, checks=checks, reference=audited["reference"], config=config)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        on_dask = raudit.audit(None, str(tmp_path / "part-*.parquet"), **COMMON, checks=checks, reference=audited["reference"],
                               client=client, config={**config, "engine": "dask", "chunk_rows": 1_500})
    assert on_dask.lineage["engine"]["engine"] == "dask"
    for name in checks:
        assert on_dask[name].details == memory[name].details and on_dask[name].metrics == memory[name].metrics, name
