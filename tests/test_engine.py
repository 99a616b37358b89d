"""One code path over one or many chunks: in memory, streamed and on Dask, the same numbers to the last bit.

Summaries are integer counts and exact float sums, so any split of the rows merges to the same
result; these tests split the rows in many ways (chunk sizes, CSV and Parquet, a chunk missing a
group, several files, a real Dask LocalCluster with worker processes) and compare the reports' JSON.
"""

from __future__ import annotations

import json
import math

import joblib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

import raudit
from raudit.stats.counts import ScoreCounts, ValueCounts
from raudit.stats.exact import ExactSum
from raudit.stats.groups import GroupCounts
from tests.conftest import FEATURES

CHECKS = ["performance", "fairness", "explanations", "robustness"]
QUICK = {"explanations": {"sample_size": 150, "lime_samples": 200, "lime_misclassified": 1},
         "robustness": {"max_rows": 200, "noise_rows": 1000}}


def _numbers(report) -> str:
    """Everything a check computed (not durations), as canonical JSON."""
    body = report.to_dict()
    return json.dumps([{k: c[k] for k in ("name", "status", "summary", "metrics", "findings", "tables", "details")}
                       for c in body["checks"]], sort_keys=True, default=str)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, credit, binary_model):
    d = tmp_path_factory.mktemp("engine")
    data = credit.sort_values("ethnicity", kind="stable").reset_index(drop=True)  # early chunks lack whole groups
    joblib.dump(binary_model, d / "model.joblib")
    data.to_csv(d / "data.csv", index=False)
    data.to_parquet(d / "data.parquet", row_group_size=700)
    for i, part in enumerate(np.array_split(np.arange(len(data)), 3)):
        data.iloc[part].to_parquet(d / f"part-{i}.parquet")
    return d


def _audit(inputs, data, **config):
    return raudit.audit(inputs / "model.joblib", data, target="approved", sensitive=["sex", "ethnicity", "age"],
                        checks=CHECKS, config={"check": QUICK, **config})


@pytest.fixture(scope="module")
def in_memory(inputs):
    report = _audit(inputs, inputs / "data.csv", engine="memory")
    assert report.lineage["engine"]["engine"] == "memory" and report.lineage["engine"]["chunks"] == 1
    return report


@pytest.mark.parametrize("data,chunk_rows", [("data.csv", 1_000), ("data.csv", 997), ("data.parquet", 1_000),
                                             ("data.parquet", 2_999), ("part-*.parquet", 1_000)])
def test_streamed_equals_in_memory_to_the_last_bit(inputs, in_memory, data, chunk_rows):
    streamed = _audit(inputs, str(inputs / data), engine="stream", chunk_rows=chunk_rows)
    engine = streamed.lineage["engine"]
    assert engine["engine"] == "stream" and engine["chunks"] >= 2
    assert _numbers(streamed) == _numbers(in_memory)


def test_a_dataframe_gives_the_same_numbers_as_its_file(inputs, in_memory):
    frame = pd.read_csv(inputs / "data.csv")
    assert _numbers(_audit(inputs, frame)) == _numbers(in_memory)
    sliced = _audit(inputs, frame, chunk_rows=1_000)  # in memory, predicted in slices (a model's memory stays bounded)
    engine = sliced.lineage["engine"]
    assert engine["engine"] == "memory" and engine["chunks"] == -(-len(frame) // 1_000)
    assert engine["description"].startswith(f"Read whole into memory, predicted in {engine['chunks']} slices")
    assert _numbers(sliced) == _numbers(in_memory)


@pytest.mark.slow
@pytest.mark.own_process
def test_a_dask_cluster_with_worker_processes_gives_the_same_numbers(inputs, in_memory):
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        report = _audit(inputs, str(inputs / "part-*.parquet"), engine="dask")  # a cluster of its own: raudit starts and stops it
        on_client = [raudit.audit(inputs / "model.joblib", data, target="approved", sensitive=["sex", "ethnicity", "age"],
                                  checks=CHECKS, config={"check": QUICK, "engine": "dask", "chunk_rows": 1_000}, client=client)
                     for data in (str(inputs / "part-*.parquet"), str(inputs / "data.parquet"), str(inputs / "data.csv"),
                                  pd.read_csv(inputs / "data.csv"))]
    for r in (report, *on_client):
        engine = r.lineage["engine"]
        assert engine["engine"] == "dask" and engine["chunks"] >= 3 and engine["workers"] >= 1
        assert _numbers(r) == _numbers(in_memory)
    # data.parquet has row groups of 700 rows: partitions of two groups (1,400 rows) for 1,000-row chunks
    assert on_client[1].lineage["engine"]["chunks"] == -(-len(pd.read_csv(inputs / "data.csv")) // 1_400)
    assert "pass 2: read (worker time, summed)" in on_client[1].lineage["engine"]["timings_s"]


def test_recorded_decisions_stream_from_parquet_globs(tmp_path, credit):
    log = credit.assign(decision=(credit.income > credit.income.median()).astype(int), score=credit.income.rank(pct=True))
    for i, part in enumerate(np.array_split(np.arange(len(log)), 4)):
        log.iloc[part].to_parquet(tmp_path / f"log-{i}.parquet")
    common = {"target": "approved", "sensitive": ["sex", "ethnicity"], "y_pred": "decision", "y_score": "score",
              "checks": ["performance", "fairness"]}
    memory = raudit.audit(None, log, **common)
    streamed = raudit.audit(None, str(tmp_path / "log-*.parquet"), **{**common, "config": {"engine": "stream", "chunk_rows": 500}})
    assert streamed.lineage["engine"]["chunks"] == 8 and len(streamed.lineage["data_files"]) == 4
    assert _numbers(streamed) == _numbers(memory)


def test_decisions_come_from_predict_when_it_disagrees_with_the_probabilities(credit):
    from sklearn.model_selection import FixedThresholdClassifier

    from tests.conftest import _pipeline

    base = _pipeline(credit[FEATURES]).fit(credit[FEATURES], credit.approved)
    model = FixedThresholdClassifier(base, threshold=0.3).fit(credit[FEATURES], credit.approved)
    report = raudit.audit(model, credit, target="approved", sensitive=["sex"], checks=["performance"])
    assert report.lineage["engine"]["decisions"] == "predict"
    assert "decisions from the model's predict() on every row" in report.lineage["engine"]["description"]
    expected = float((model.predict(credit[FEATURES]) == credit.approved).mean())
    assert report["performance"].metrics["accuracy"] == pytest.approx(expected, abs=0)
    plain = raudit.audit(base, credit, target="approved", sensitive=["sex"], checks=["performance"])
    engine = plain.lineage["engine"]
    assert engine["decisions"] == "derived" and 0 < engine["decisions_checked_rows"] <= len(credit)
    assert f"matched it on all {engine['decisions_checked_rows']:,} rows checked" in engine["description"]
    assert "explanations, mitigation and latency use every row" in engine["description"]  # fewer rows than sample_rows


def test_an_fsspec_url_streams_like_a_local_file(inputs, in_memory):
    """``file://`` goes through fsspec (no network): the same numbers as the plain path, and the report says how it read."""
    url = (inputs / "data.parquet").resolve().as_uri()
    streamed = _audit(inputs, url, engine="stream", chunk_rows=1_000)
    engine = streamed.lineage["engine"]
    assert engine["chunks"] >= 2 and engine["description"].startswith("Streamed: 1 PARQUET file read in chunks of 1,000 rows")
    assert _numbers(streamed) == _numbers(in_memory)


# -- the summaries themselves: any split merges to the whole ------------------------------------------
splits = st.lists(st.integers(0, 400), min_size=1, max_size=6)


def _cut(n: int, points: list[int]) -> list[np.ndarray]:
    edges = sorted({0, n, *[min(p, n) for p in points]})
    return [np.arange(a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a]


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(points=splits, seed=st.integers(0, 1000))
def test_any_split_of_the_rows_merges_to_the_whole(points, seed):
    rng = np.random.default_rng(seed)
    n = 400
    groups = rng.choice(["a", "b", "c"], size=n, p=[0.6, 0.35, 0.05])
    y, yhat = rng.integers(0, 2, n), rng.integers(0, 2, n)
    score = np.round(rng.random(n), 3)
    x = rng.normal(size=n) * 10.0 ** rng.integers(-8, 8, n)
    whole = (GroupCounts.from_arrays(groups, y, yhat, score), ScoreCounts.of(score, y), ValueCounts.of(np.round(x, 2), numeric=True),
             ExactSum.of(x))
    parts = [(GroupCounts.from_arrays(groups[s], y[s], yhat[s], score[s]), ScoreCounts.of(score[s], y[s]),
              ValueCounts.of(np.round(x[s], 2), numeric=True), ExactSum.of(x[s])) for s in _cut(n, points)]
    merged = parts[0]
    for p in parts[1:]:
        merged = tuple(a + b for a, b in zip(merged, p))
    gc, sc, vc, es = merged
    assert gc.groups == whole[0].groups and np.array_equal(gc.cells, whole[0].cells) and np.array_equal(gc.score_sum, whole[0].score_sum)
    assert sc.roc_auc() == whole[1].roc_auc() and sc.average_precision() == whole[1].average_precision()
    assert np.array_equal(vc.values, whole[2].values) and np.array_equal(vc.counts, whole[2].counts)
    assert es.value == whole[3].value == math.fsum(x)


def test_quantiles_equal_numpy_and_auc_equals_scikit_learn():
    rng = np.random.default_rng(0)
    for _ in range(50):
        x = np.round(rng.lognormal(2, 1, rng.integers(1, 2000)), rng.integers(0, 3))
        x[rng.random(len(x)) < 0.05] = np.nan
        q = np.linspace(0, 1, 11)
        if np.isfinite(x).any():
            assert np.array_equal(ValueCounts.of(x, numeric=True).quantiles(q), np.nanquantile(x, q))
        y = rng.integers(0, 2, 500)
        s = np.round(rng.random(500), rng.integers(1, 4))
        assert ScoreCounts.of(s, y).roc_auc() == pytest.approx(roc_auc_score(y, s), abs=1e-12)


def test_approximate_summaries_state_and_keep_their_bounds(monkeypatch):
    import raudit.stats.counts as summaries

    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 20_000)
    s = np.clip(0.5 + 0.15 * (2 * y - 1) + rng.normal(0, 0.2, len(y)), 0, 1)
    exact = roc_auc_score(y, s)
    monkeypatch.setattr(summaries, "SCORE_CAP", 1_000)  # force the 65,536-bin grid
    approx = ScoreCounts.of(s, y)
    assert not approx.exact and abs(approx.roc_auc() - exact) <= approx.auc_error_bound() and approx.auc_error_bound() < 1e-3
    monkeypatch.setattr(summaries, "VALUE_CAP", 100)  # force the 1 % logarithmic grid
    x = rng.lognormal(3, 1, 20_000)
    counts = ValueCounts.of(x, numeric=True)
    assert not counts.exact
    q = np.array([0.1, 0.25, 0.5, 0.75, 0.9])
    np.testing.assert_allclose(counts.quantiles(q), np.quantile(x, q), rtol=0.02)


def test_a_worker_opens_the_model_through_the_safe_loader(tmp_path):
    """The Dask engine ships the model file's bytes; a worker opens them with raudit's loader, never a plain unpickle."""
    import os
    import pickle

    from raudit.config import LoadSettings
    from raudit.engine.dask import _worker_model

    marker = tmp_path / "PWNED"

    class Payload:
        def __reduce__(self):
            return os.system, (f"touch {marker}",)

    with pytest.raises(raudit.InputError, match="refusing to load"):
        _worker_model(pickle.dumps(Payload()), ".pkl", LoadSettings())
    assert not marker.exists()


# -- multiclass and regression: the new summaries (confusion per group, errors per group, per-class scores,
#    top-k ranks, residuals by decile, prediction sketches per group) merge to the same numbers ------------
TASK_CHECKS = ["performance", "fairness"]


@pytest.fixture(scope="module")
def task_inputs(tmp_path_factory, multiclass, regression):
    d = tmp_path_factory.mktemp("tasks")
    for name, (model, data) in (("multiclass", multiclass), ("regression", regression)):
        joblib.dump(model, d / f"{name}.joblib")
        data = data.sort_values("sex", kind="stable").reset_index(drop=True)  # early chunks hold one group only
        data.to_csv(d / f"{name}.csv", index=False)
        for i, part in enumerate(np.array_split(np.arange(len(data)), 3)):
            data.iloc[part].to_parquet(d / f"{name}-part-{i}.parquet")
    return d


TASK_CONFIG = {"multiclass": ("grade", {"fairness": {"ordered_classes": ["low", "mid", "high"], "min_group_size": 30}}),
               "regression": ("price", {"fairness": {"prediction_ks_max": 0.2, "group_loss_max": 1.0, "rmse_ratio_max": 1.25}})}


def _task_audit(inputs, task, data, **config):
    target, checks = TASK_CONFIG[task]
    return raudit.audit(inputs / f"{task}.joblib", data, target=target, sensitive=["sex"], checks=TASK_CHECKS,
                        config={"check": checks, **config})


@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_multiclass_and_regression_stream_to_the_in_memory_numbers(task_inputs, task):
    whole = _task_audit(task_inputs, task, task_inputs / f"{task}.csv", engine="memory")
    assert whole.lineage["engine"]["chunks"] == 1
    new = whole["performance"].details.get("per_class") or whole["performance"].details.get("residuals_by_decile")
    assert new, "the per-task summaries are in the report"
    for data, rows in ((f"{task}.csv", 97), (f"{task}.csv", 250), (f"{task}-part-*.parquet", 1_000)):
        streamed = _task_audit(task_inputs, task, str(task_inputs / data), engine="stream", chunk_rows=rows)
        assert streamed.lineage["engine"]["chunks"] >= 3
        assert _numbers(streamed) == _numbers(whole)


@pytest.mark.slow
@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_multiclass_and_regression_on_dask_give_the_in_memory_numbers(task_inputs, task):
    whole = _task_audit(task_inputs, task, task_inputs / f"{task}.csv", engine="memory")
    on_dask = _task_audit(task_inputs, task, str(task_inputs / f"{task}-part-*.parquet"), engine="dask", chunk_rows=250)
    assert on_dask.lineage["engine"]["engine"] == "dask" and on_dask.lineage["engine"]["chunks"] >= 3
    assert _numbers(on_dask) == _numbers(whole)


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(seed=st.integers(0, 1000), names=st.lists(st.sampled_from(["a", "b", "1", 1, "c & d", None]), min_size=1, max_size=6))
def test_counting_by_code_equals_counting_by_label(seed, names):
    """Codes with duplicate, unused or non-text names count exactly as the labels ``names[codes]`` do."""
    rng = np.random.default_rng(seed)
    n = 300
    table = np.asarray([str(x) for x in names], dtype=object)
    codes = rng.integers(0, len(table), n)
    y, yhat, score = rng.integers(0, 2, n), rng.integers(0, 2, n), np.round(rng.random(n), 3)
    by_label = GroupCounts.from_arrays(table[codes], y, yhat, score)
    by_code = GroupCounts.from_codes(codes, table, y, yhat, score)
    assert by_code.groups == by_label.groups
    assert np.array_equal(by_code.cells, by_label.cells) and np.array_equal(by_code.hist, by_label.hist)
    assert np.array_equal(by_code.score_sum, by_label.score_sum)


@settings(max_examples=30, deadline=None, derandomize=True, database=None)
@given(points=splits, seed=st.integers(0, 1000), capacity=st.integers(1, 120))
def test_the_sample_limit_keeps_the_same_sample(points, seed, capacity):
    """Dropping rows above the sample's largest key before sorting gives the same sample, whatever the chunking."""
    from raudit.engine.passes import Batch, Sample, row_keys, sample_limit

    n = 400
    frame = pd.DataFrame({"x": np.arange(n) * 1.5})
    batch = Batch(np.arange(n, dtype=np.int64), frame, frame, np.arange(n) % 2, np.arange(n) % 3, None, {"g": np.arange(n) % 4})
    limit = sample_limit(n, seed, capacity, block=37)
    assert limit == int(np.sort(row_keys(np.arange(n), seed))[capacity - 1])  # the capacity-th smallest key
    whole = Sample.of(batch, seed=seed, capacity=capacity)
    parts = [Sample.of(batch.take(s), seed=seed, capacity=capacity, limit=limit) for s in _cut(n, points)]
    merged = parts[0]
    for p in parts[1:]:
        merged = merged + p
    assert np.array_equal(merged.keys, whole.keys) and np.array_equal(merged.batch.positions, whole.batch.positions)
    assert merged.batch.frame.equals(whole.batch.frame)


class _Tree:
    """A summary that records how it was added up, and how many are alive."""

    alive = 0

    def __init__(self, text: str):
        self.text = text
        _Tree.alive += 1

    def __del__(self):
        _Tree.alive -= 1

    def __add__(self, other):
        return _Tree(f"({self.text}+{other.text})")


def _levels(items, zero):
    """The balanced fold pairing neighbours level by level (the odd one out carried up), written out independently."""
    level = list(items)
    if not level:
        return zero
    while len(level) > 1:
        level = [level[i] + level[i + 1] if i + 1 < len(level) else level[i] for i in range(0, len(level), 2)]
    return zero + level[0]


def test_fold_adds_up_the_same_tree_while_holding_a_few_summaries():
    from raudit.stats.mergeable import fold

    for n in range(0, 130):
        assert fold((_Tree(str(i)) for i in range(n)), _Tree("z")).text == _levels([_Tree(str(i)) for i in range(n)], _Tree("z")).text
    peak = 0

    def stream():
        nonlocal peak
        for i in range(1000):
            peak = max(peak, _Tree.alive)
            yield _Tree(str(i))

    _Tree.alive = 0
    fold(stream(), _Tree("z"))
    assert peak <= 2 * 11  # partial sums of about log2(1000) sizes (and their parts while merging), not 1000 items
