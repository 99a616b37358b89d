"""The performance check's numbers equal scikit-learn's (or a hand computation)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

import raudit
from raudit.checks.performance import expected_calibration_error


def test_binary_metrics_equal_sklearn(binary_model, credit):
    report = raudit.audit(binary_model, credit, target="approved", sensitive=["sex"], checks=["performance"])
    m = report["performance"].metrics
    X = credit[binary_model.feature_names_in_]
    y, pred, score = credit["approved"], binary_model.predict(X), binary_model.predict_proba(X)[:, 1]
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(y, pred), abs=1e-12)
    assert m["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y, pred), abs=1e-12)
    assert m["precision"] == pytest.approx(skm.precision_score(y, pred), abs=1e-12)
    assert m["recall"] == pytest.approx(skm.recall_score(y, pred), abs=1e-12)
    assert m["f1"] == pytest.approx(skm.f1_score(y, pred), abs=1e-12)
    assert m["roc_auc"] == pytest.approx(skm.roc_auc_score(y, score), abs=1e-12)
    assert m["pr_auc"] == pytest.approx(skm.average_precision_score(y, score), abs=1e-12)
    assert m["log_loss"] == pytest.approx(skm.log_loss(y, binary_model.predict_proba(X)), abs=1e-9)
    assert m["brier"] == pytest.approx(skm.brier_score_loss(y, score), abs=1e-12)
    assert m["majority_class_accuracy"] == pytest.approx(max(y.mean(), 1 - y.mean()))
    cm = report["performance"].details["confusion_matrix"]
    assert cm == skm.confusion_matrix(y, pred).tolist()


def test_positive_label_changes_precision(binary_model, credit):
    report = raudit.audit(binary_model, credit, target="approved", sensitive=["sex"], checks=["performance"],
                          config={"positive_label": "0"})
    X = credit[binary_model.feature_names_in_]
    pred = binary_model.predict(X)
    assert report["performance"].metrics["precision"] == pytest.approx(skm.precision_score(credit["approved"], pred, pos_label=0))


def test_ece_by_hand():
    y = np.array([0, 0, 1, 1, 1, 0])
    p = np.array([0.05, 0.15, 0.85, 0.95, 0.55, 0.45])
    # bins [0,.1], (.1,.2], (.4,.5], (.5,.6], (.8,.9], (.9,1]: each holds one row
    expected = (0.05 + 0.15 + 0.15 + 0.05 + 0.45 + 0.45) / 6
    ece, bins = expected_calibration_error(y, p, n_bins=10)
    assert ece == pytest.approx(expected)
    assert sum(b["count"] for b in bins) == 6


def test_multiclass_metrics_equal_sklearn(multiclass):
    model, data = multiclass
    report = raudit.audit(model, data, target="grade", sensitive=["sex"], checks=["performance"])
    m = report["performance"].metrics
    X = data[["x1", "x2"]]
    pred, proba = model.predict(X), model.predict_proba(X)
    assert m["f1_macro"] == pytest.approx(skm.f1_score(data.grade, pred, average="macro"))
    assert m["roc_auc"] == pytest.approx(skm.roc_auc_score(data.grade, proba, multi_class="ovr", labels=model.classes_))
    assert m["log_loss"] == pytest.approx(skm.log_loss(data.grade, proba, labels=model.classes_))
    onehot = (data.grade.to_numpy()[:, None] == model.classes_[None, :]).astype(float)
    assert m["brier"] == pytest.approx(np.mean(np.sum((proba - onehot) ** 2, axis=1)))


def test_regression_metrics_equal_sklearn(regression):
    model, data = regression
    report = raudit.audit(model, data, target="price", sensitive=["sex"], checks=["performance"])
    m = report["performance"].metrics
    pred = model.predict(data[["a", "b"]])
    assert m["mae"] == pytest.approx(skm.mean_absolute_error(data.price, pred))
    assert m["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(data.price, pred)))
    assert m["r2"] == pytest.approx(skm.r2_score(data.price, pred))
    assert report["performance"].figures[0].svg.startswith("<svg")


def test_thresholds_are_judged_by_the_interval_fail_warn_inconclusive_pass(binary_model, credit):
    base = raudit.audit(binary_model, credit, target="approved", sensitive=["sex"], checks=["performance"])["performance"]
    auc = base.metrics["roc_auc"]
    lo, hi = base.details["intervals"]["roc_auc"]["ci"]
    assert lo < auc < hi and hi - lo < 0.05  # DeLong on 3,000 rows

    def status(fail, warn):
        report = raudit.audit(binary_model, credit, target="approved", sensitive=["sex"], checks=["performance"],
                              config={"check": {"performance": {"roc_auc_fail": fail, "roc_auc_warn": warn}}})
        return report, next(f for f in report["performance"].findings if f.key == "roc_auc")

    failing, f = status(hi + 0.01, hi + 0.02)  # the whole interval below the fail threshold
    assert f.status == "fail" and failing["performance"].status == "fail"
    warning, f = status(0.5, hi + 0.01)  # wholly below warn, wholly above fail
    assert f.status == "warn" and warning["performance"].status == "warn"
    _, f = status(0.5, auc + 0.005)  # the warn threshold inside the interval: the data cannot tell
    assert f.status == "inconclusive" and "straddles the threshold" in f.message and "rows would likely decide it" in f.message
    _, f = status(lo - 0.02, lo - 0.01)  # the whole interval above both
    assert f.status == "pass"
    _, f = status(lo, lo)  # the threshold itself is acceptable: an interval starting on it passes
    assert f.status == "pass"
    assert failing.exit_code("fail") == 1 and warning.exit_code("fail") == 0 and warning.exit_code("warn") == 1


def test_multiclass_per_class_weighted_and_top_k_equal_sklearn(multiclass):
    model, data = multiclass
    result = raudit.audit(model, data, target="grade", sensitive=["sex"], checks=["performance"])["performance"]
    m, rows = result.metrics, result.details["per_class"]
    X = data[["x1", "x2"]]
    pred, proba = model.predict(X), model.predict_proba(X)
    precision, recall, f1, support = skm.precision_recall_fscore_support(data.grade, pred, labels=model.classes_)
    assert [r["class"] for r in rows] == list(model.classes_)
    for i, r in enumerate(rows):
        assert (r["precision"], r["recall"], r["f1"], r["support"]) == pytest.approx((precision[i], recall[i], f1[i], support[i]))
        assert r["roc_auc"] == pytest.approx(skm.roc_auc_score(data.grade == model.classes_[i], proba[:, i]), abs=1e-12)
        for key in ("precision", "recall", "f1", "roc_auc"):
            lo, hi = r[f"{key}_ci"]
            assert lo < r[key] < hi  # every per-class number carries an interval around it
    for avg in ("weighted", "macro"):
        p, rc, f, _ = skm.precision_recall_fscore_support(data.grade, pred, average=avg)
        assert (m[f"precision_{avg}"], m[f"recall_{avg}"], m[f"f1_{avg}"]) == pytest.approx((p, rc, f), abs=1e-12)
    assert m["top_2_accuracy"] == pytest.approx(skm.top_k_accuracy_score(data.grade, proba, k=2, labels=model.classes_))
    assert "top_3_accuracy" not in m  # k stops below the number of classes: top-3 of three classes is always right
    assert result.details["intervals"]["top_2_accuracy"]["method"] == "Wilson"
    assert "Each class against the rest" in [t.title for t in result.tables]


def test_top_k_counts_ties_like_sklearn():
    import pandas as pd

    from raudit.checks.performance import PerformanceOptions, _top_k, summarise
    from raudit.plugin import Batch, Plan

    rng = np.random.default_rng(5)
    n, k = 400, 6
    proba = np.round(rng.dirichlet(np.ones(k), n), 1)  # many ties among the classes
    proba /= proba.sum(axis=1, keepdims=True)
    classes = np.array([f"c{i}" for i in range(k)])
    y = classes[rng.integers(0, k, n)]
    batch = Batch(np.arange(n), pd.DataFrame(index=range(n)), pd.DataFrame(index=range(n)), y, classes[proba.argmax(axis=1)], proba, {})
    plan = Plan(None, "multiclass", classes, (), (), 0, 0)  # type: ignore[arg-type]  # roles: unused by the summary
    s = summarise(batch, plan, PerformanceOptions())
    top = _top_k(s, {})
    assert sorted(top) == [f"top_{j}_accuracy" for j in range(2, 6)]
    for j in range(2, 6):
        assert top[f"top_{j}_accuracy"] == pytest.approx(skm.top_k_accuracy_score(y, proba, k=j, labels=classes))


def test_residuals_by_decile_equal_a_pandas_group_by(regression):
    import pandas as pd

    model, data = regression
    result = raudit.audit(model, data, target="price", sensitive=["sex"], checks=["performance"])["performance"]
    deciles = result.details["residuals_by_decile"]
    pred = model.predict(data[["a", "b"]])
    residual = data.price.to_numpy() - pred
    assert len(deciles) == 10 and sum(d["n"] for d in deciles) == len(data)
    assert all(abs(d["n"] - len(data) / 10) <= 0.02 * len(data) for d in deciles)  # about a tenth each
    bin_of = np.searchsorted([d["hi"] for d in deciles], pred, side="left")  # each bin's edges are what the table shows
    by_pandas = pd.DataFrame({"bin": bin_of, "pred": pred, "res": residual}).groupby("bin").agg(
        n=("res", "size"), mean_x=("pred", "mean"), mean_y=("res", "mean"), sd_y=("res", "std"))
    for i, d in enumerate(deciles):
        row = by_pandas.loc[i]
        assert d["n"] == row.n and (d["mean_x"], d["mean_y"], d["sd_y"]) == pytest.approx((row.mean_x, row.mean_y, row.sd_y), abs=1e-12)
    exact = np.quantile(pred, np.arange(1, 10) / 10)
    assert np.allclose([d["hi"] for d in deciles[:-1]], exact, rtol=0.01, atol=0.02)  # the cut points are the deciles, nearly
    assert "Residuals by decile of the prediction" in [t.title for t in result.tables]


def test_residuals_by_decile_find_a_planted_bias_in_one_range():
    from raudit.plugin import BinnedMeans

    rng = np.random.default_rng(6)
    pred = rng.uniform(0, 100, 20_000)
    residual = rng.normal(0, 1, len(pred)) + np.where(pred > 90, 3.0, 0.0)  # under-predicts the top tenth
    whole = BinnedMeans.of(pred, residual)
    parts = [BinnedMeans.of(pred[s], residual[s]) for s in np.array_split(np.arange(len(pred)), 7)]
    merged = parts[0]
    for p in parts[1:]:
        merged = merged + p
    assert merged.quantile_bins(10) == whole.quantile_bins(10)  # chunks merge to the whole, bit for bit
    bins = whole.quantile_bins(10)
    assert bins[-1]["mean_y"] == pytest.approx(3.0, abs=0.1) and all(abs(b["mean_y"]) < 0.15 for b in bins[:-1])
