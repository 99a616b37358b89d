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
