"""Fairness for multiclass and regression models (issue 25): numbers against fairlearn, scikit-learn, pandas and scipy;
planted truths; the direction of harm of ordered classes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate, true_positive_rate
from scipy.stats import ks_2samp
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import confusion_matrix
from sklearn.tree import DecisionTreeRegressor

import raudit
from raudit.errors import ConfigError

ORDER = ["low", "medium", "high"]


class Levels(ClassifierMixin, BaseEstimator):
    """Predicts the level floor(x) (0, 1, 2 = low, medium, high); rows of group ``who`` are moved ``shift`` levels."""

    def __init__(self, shift=0, who="B"):
        self.shift, self.who = shift, who

    def fit(self, X, y=None):
        self.classes_ = np.array(["high", "low", "medium"], dtype=object)  # scikit-learn's sorted order, not the levels'
        self.feature_names_in_ = np.array(["x", "g"], dtype=object)
        return self

    def predict_proba(self, X):
        moved = np.where(X["g"].to_numpy() == self.who, self.shift, 0)
        level = np.clip(np.floor(X["x"].to_numpy()).astype(int) + moved, 0, 2)
        p = np.full((len(X), 3), 0.1)
        for j, c in enumerate(self.classes_):
            p[level == ORDER.index(c), j] = 0.8
        return p

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


@pytest.fixture(scope="module")
def levels_data():
    """Three ordered levels; the truth is floor(x) moved by one level for 15 % of the rows; two groups of ~1,500."""
    rng = np.random.default_rng(0)
    n = 3000
    x = rng.uniform(0, 3, n)
    noise = np.where(rng.random(n) < 0.15, rng.choice([-1, 1], n), 0)
    y = np.array(ORDER, dtype=object)[np.clip(np.floor(x).astype(int) + noise, 0, 2)]
    return pd.DataFrame({"x": x, "g": rng.choice(["A", "B"], n), "y": y})


def _levels(data, shift, *, ordered, **options):
    config = {"check": {"fairness": {"ordered_classes": ORDER if ordered else [], "mitigation": False, "reference": {"g": "A"},
                                     **options}}}
    return raudit.audit(Levels(shift).fit(data), data, target="y", sensitive=["g"], checks=["fairness"], config=config)["fairness"]


def _judged(result, group="B"):
    return [d for d in result.details["disparities"] if d["group"] == group and d["threshold"] is not None]


def test_per_class_group_rates_equal_fairlearn_one_vs_rest(multiclass):
    model, data = multiclass
    data = data.assign(age=np.where(data.x2 > 0.3, "older", "younger"))
    result = raudit.audit(model, data, target="grade", sensitive=["sex", "age"], checks=["fairness"])["fairness"]
    y, pred = data["grade"].to_numpy(), model.predict(data[["x1", "x2"]])
    groupings = result.details["groupings"]
    for c in model.classes_:
        for feature in ("sex", "age"):
            mf = MetricFrame(metrics={"selection_rate": selection_rate, "tpr": true_positive_rate, "fpr": false_positive_rate},
                             y_true=(y == c).astype(int), y_pred=(pred == c).astype(int), sensitive_features=data[feature])
            ours = {g["group"]: g for g in groupings[f"class {c}: {feature}"]["groups"]}
            assert groupings[f"class {c}: {feature}"]["outcome"] == f"class {c}"
            for group, row in mf.by_group.iterrows():
                rows = data[feature].to_numpy() == group
                for metric in ("selection_rate", "tpr", "fpr"):
                    denominator = {"selection_rate": rows, "tpr": rows & (y == c), "fpr": rows & (y != c)}[metric].sum()
                    if denominator == 0:  # fairlearn says 0 (and warns); raudit says the rate is undefined
                        assert ours[group][metric] is None, (c, feature, group, metric)
                    else:
                        assert ours[group][metric] == pytest.approx(row[metric], abs=1e-12), (c, feature, group, metric)
            gaps = result.details["class_gaps"][feature]
            assert gaps["selection_rate"][c] == pytest.approx(mf.difference()["selection_rate"], abs=1e-12)
    for feature in ("sex", "age"):
        gaps = result.details["class_gaps"][feature]["tpr"]
        assert result.metrics[f"macro_tpr_gap.{feature}"] == pytest.approx(np.mean(list(gaps.values())))
        assert result.metrics[f"worst_class_tpr_gap.{feature}"] == pytest.approx(max(gaps.values()))
        for group, cm in result.details["confusion_matrices"][feature].items():
            rows = data[feature].to_numpy() == group
            np.testing.assert_array_equal(cm, confusion_matrix(y[rows], pred[rows], labels=model.classes_))


def test_classes_form_one_holm_family_per_disparity(multiclass):
    """Without an order, every class is judged both ways; the intervals of one disparity hold jointly across groups × classes."""
    model, data = multiclass
    result = raudit.audit(model, data, target="grade", sensitive=["sex"], checks=["fairness"])["fairness"]
    rows = [d for d in result.details["disparities"] if d["metric"] == "selection_rate"]
    assert {d["outcome"] for d in rows} == {"class high", "class low", "class mid"} and {d["harm"] for d in rows} == {"either"}
    # one comparison per class (two groups): Holm over 3 comparisons of a band (3 one-sided claims each) starts at 1 - 2α/9
    assert max(d["ci_level"] for d in rows) == pytest.approx(1 - 2 * 0.05 / 9)
    assert all(d["ci_level"] >= 1 - 2 * 0.05 / 7 - 1e-12 for d in rows)


def test_a_group_pushed_down_one_level_fails_with_and_without_an_order(levels_data):
    for ordered in (False, True):
        result = _levels(levels_data, -1, ordered=ordered)
        failed = [d for d in _judged(result) if d["status"] == "fail"]
        assert result.status == "fail" and failed, ordered
        assert any(d["metric"] == "selection_rate" and d["value"] < 0.8 for d in failed), ordered
        verdict = next(f for f in result.findings if f.key == "g.verdict")
        assert verdict.status == "fail" and "B receives" in verdict.message
    assert {d["outcome"] for d in _judged(result)} == {"at least medium", "at least high"}
    moves = result.details["confusion_matrices"]["g"]
    b, a = moves["B"], moves["A"]
    assert b["predicted_lower"] / np.sum(b["matrix"]) > 0.5 > a["predicted_lower"] / np.sum(a["matrix"])


def test_only_an_order_says_which_way_harms(levels_data):
    """A group pushed *up* the order is advantaged: judged by the order, it passes; with no order, the move is a disparity
    either way, so it fails."""
    up_ordered = _levels(levels_data, +1, ordered=True)
    judged = _judged(up_ordered)
    assert judged and all(d["status"] == "pass" for d in judged), [(d["outcome"], d["metric"], d["status"]) for d in judged]
    assert any("in the group's favour" in d["reason"] for d in judged)
    up_unordered = _levels(levels_data, +1, ordered=False)
    assert any(d["status"] == "fail" for d in _judged(up_unordered)) and up_unordered.status == "fail"


def test_an_unbiased_multiclass_model_passes(levels_data):
    for ordered in (False, True):
        result = _levels(levels_data, 0, ordered=ordered, intersections=False)
        assert all(d["status"] == "pass" for d in _judged(result)), ordered
        assert next(f for f in result.findings if f.key == "g.verdict").status == "pass"


def test_the_ordered_reference_group_is_the_one_predicted_highest(levels_data):
    result = raudit.audit(Levels(+1).fit(levels_data), levels_data, target="y", sensitive=["g"], checks=["fairness"],
                          config={"check": {"fairness": {"ordered_classes": ORDER, "mitigation": False}}})["fairness"]
    assert result.details["groupings"]["at least high: g"]["reference"] == "B"
    assert result.details["groupings"]["at least high: g"]["reference_rule"] == "the most favoured group of adequate size"


@pytest.mark.parametrize("options,message", [
    ({"ordered_classes": ["low", "medium"]}, "must list each of the model's classes once"),
    ({"ordered_classes": ["low", "medium", "high", "low"]}, "repeated ['low']"),
    ({"ordered_classes": ["low", "mid", "high"]}, "not classes ['mid']"),
])
def test_a_wrong_order_stops_the_audit_and_names_the_classes(levels_data, options, message):
    with pytest.raises(ConfigError, match="ordered_classes") as err:
        raudit.audit(Levels().fit(levels_data), levels_data, target="y", sensitive=["g"], checks=["fairness"],
                     config={"check": {"fairness": options}})
    assert message in str(err.value) and "the model's classes are" in str(err.value.hint)


def test_an_order_needs_a_multiclass_model_and_no_favourable_class(binary_model, credit, levels_data):
    with pytest.raises(ConfigError, match="multiclass model; this model is binary"):
        raudit.audit(binary_model, credit, target="approved", sensitive=["sex"], checks=["fairness"],
                     config={"check": {"fairness": {"ordered_classes": [0, 1]}}})
    with pytest.raises(ConfigError, match="ordered_classes and favourable are both set"):
        raudit.audit(Levels().fit(levels_data), levels_data, target="y", sensitive=["g"], checks=["fairness"],
                     config={"favourable": "high", "check": {"fairness": {"ordered_classes": ORDER}}})


# -- regression ---------------------------------------------------------------------------------------------------
class Scaled(RegressorMixin, BaseEstimator):
    """Predicts 50 + 10·x, times ``factor`` for the rows of group ``who`` (0.9: a 10 % under-estimate)."""

    def __init__(self, factor=1.0, who="B"):
        self.factor, self.who = factor, who

    def fit(self, X, y=None):
        self.feature_names_in_ = np.array(["x", "g"], dtype=object)
        self.n_features_in_ = 2
        return self

    def predict(self, X):
        p = 50 + 10 * X["x"].to_numpy()
        return np.where(X["g"].to_numpy() == self.who, self.factor * p, p)


@pytest.fixture(scope="module")
def prices():
    rng = np.random.default_rng(0)
    n = 3000
    x = rng.normal(size=n)
    return pd.DataFrame({"x": x, "g": rng.choice(["A", "B", "C"], n), "y": 50 + 10 * x + rng.normal(scale=5, size=n)})


def _scaled(data, factor, **options):
    return raudit.audit(Scaled(factor).fit(data), data, target="y", sensitive=["g"], checks=["fairness"],
                        config={"check": {"fairness": options}})["fairness"]


def test_regression_group_numbers_equal_pandas_group_bys(prices):
    result = _scaled(prices, 0.9)
    pred = Scaled(0.9).fit(prices).predict(prices)
    frame = prices.assign(p=pred, e=prices.y - pred)
    by = frame.groupby("g").agg(n=("y", "size"), mean_prediction=("p", "mean"), mean_target=("y", "mean"),
                                mae=("e", lambda e: e.abs().mean()), rmse=("e", lambda e: np.sqrt((e**2).mean())))
    ours = {g["group"]: g for g in result.details["groupings"]["g"]["groups"]}
    for group, row in by.iterrows():
        for col in ("n", "mean_prediction", "mean_target", "mae", "rmse"):
            assert ours[group][col] == pytest.approx(row[col], rel=1e-12), (group, col)
        assert ours[group]["mean_error"] == pytest.approx(row.mean_prediction - row.mean_target, abs=1e-9)
        assert ours[group]["prediction_ratio"] == pytest.approx(row.mean_prediction / row.mean_target, rel=1e-12)
    ref = result.details["groupings"]["g"]["reference"]
    for d in result.details["disparities"]:
        if d["metric"] in ("mae", "rmse"):
            assert d["value"] == pytest.approx(by.loc[d["group"], d["metric"]] / by.loc[ref, d["metric"]], rel=1e-12)
        if d["metric"] == "mean_ratio":
            r = by.mean_prediction / by.mean_target
            assert d["value"] == pytest.approx(r[d["group"]] / r[ref], rel=1e-12)


def test_a_regressor_that_underestimates_one_group_by_ten_percent_fails(prices):
    result = _scaled(prices, 0.9)
    bias = next(d for d in result.details["disparities"] if d["metric"] == "mean_ratio" and d["group"] == "B")
    assert bias["status"] == "fail" and bias["ci"][1] < 0.95 and bias["value"] == pytest.approx(0.9, abs=0.01)
    assert result.status == "fail"
    verdict = next(f for f in result.findings if f.key == "g.verdict")
    assert verdict.status == "fail" and "under-estimate relative to" in verdict.message
    assert all(d["status"] == "pass" for d in result.details["disparities"] if d["group"] == "C" and d["threshold"] is not None)
    fair = _scaled(prices, 1.0)
    assert all(d["status"] == "pass" for d in fair.details["disparities"] if d["threshold"] is not None)
    assert next(f for f in fair.findings if f.key == "g.verdict").status == "pass"


def test_the_favourable_direction_decides_which_side_of_the_ratio_harms(prices):
    lower_wanted = _scaled(prices, 0.9, favourable_direction="lower")  # a price: being under-charged is no harm
    bias = next(d for d in lower_wanted.details["disparities"] if d["metric"] == "mean_ratio" and d["group"] == "B")
    assert bias["harm"] == "higher" and bias["status"] == "pass" and "in the group's favour" in bias["reason"]
    higher_wanted = _scaled(prices, 0.9, favourable_direction="higher")  # a credit limit: under-estimated is harmed
    bias = next(d for d in higher_wanted.details["disparities"] if d["metric"] == "mean_ratio" and d["group"] == "B")
    assert bias["harm"] == "lower" and bias["status"] == "fail"


def test_bounded_group_loss_against_the_bound(prices):
    pred = Scaled(0.9).fit(prices).predict(prices)
    loss = (prices.y - pred).abs().groupby(prices.g).mean()
    bound = float((loss.max() + loss.min()) / 2)
    result = _scaled(prices, 0.9, group_loss_max=bound)
    rows = {d["group"]: d for d in result.details["disparities"] if d["metric"] == "group_loss"}
    for group, value in loss.items():
        assert rows[group]["value"] == pytest.approx(value, rel=1e-12) and rows[group]["reference"] == "the bound"
    assert rows[loss.idxmax()]["status"] == "fail" and rows[loss.idxmin()]["status"] == "pass"
    squared = _scaled(prices, 0.9, group_loss_max=1e6, group_loss="squared")
    mse = ((prices.y - pred) ** 2).groupby(prices.g).mean()
    assert {d["group"]: d["value"] for d in squared.details["disparities"] if d["metric"] == "group_loss"} == \
        pytest.approx(mse.to_dict(), rel=1e-12)


def test_distributional_parity_ks_equals_scipy_where_the_sketch_is_exact(prices):
    tree = DecisionTreeRegressor(max_leaf_nodes=40, random_state=0).fit(prices[["x"]], prices.y)  # ≤ 40 distinct predictions
    result = raudit.audit(tree, prices, target="y", sensitive=["g"], checks=["fairness"],
                          config={"check": {"fairness": {"prediction_ks_max": 0.5}}})["fairness"]
    pred = tree.predict(prices[["x"]])
    ref = result.details["groupings"]["g"]["reference"]
    rows = [d for d in result.details["disparities"] if d["metric"] == "prediction_ks"]
    assert len(rows) == 2
    for d in rows:
        scipy = ks_2samp(pred[prices.g == d["group"]], pred[prices.g == ref], method="asymp")
        assert d["value"] == pytest.approx(scipy.statistic, abs=1e-12) and d["p"] == pytest.approx(scipy.pvalue, rel=1e-9)
        assert d["ci"][0] <= d["value"] <= d["ci"][1] and d["status"] == "pass"


def test_the_regression_fixture_with_negative_targets_leaves_the_ratio_unjudged(regression):
    model, data = regression
    result = raudit.audit(model, data, target="price", sensitive=["sex"], checks=["fairness"])["fairness"]
    ratio = [d for d in result.details["disparities"] if d["metric"] == "mean_ratio"]
    assert ratio and all(d["status"] == "skipped" for d in ratio if not np.isfinite(d["value"]))
