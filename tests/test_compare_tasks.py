"""raudit compare for multiclass and regression models (issue 25): paired statistics against scipy, statsmodels and
scikit-learn; planted truths for the gate (better overall but worse for one group fails; equal models pass)."""

from __future__ import annotations

import joblib
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import balanced_accuracy_score, f1_score, mean_absolute_error, r2_score, recall_score
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar
from statsmodels.stats.weightstats import DescrStatsW

from raudit.api.compare import compare
from raudit.checks.fairness import FairnessOptions
from raudit.cli import main
from raudit.comparison.analysis import CompareOptions
from raudit.comparison.tasks import ClassPair, RegressionPair, analyse_class_pair, analyse_regression_pair
from raudit.stats.paired import paired_difference_interval

ORDER = ["low", "medium", "high"]


class Triage(ClassifierMixin, BaseEstimator):
    """Predicts the level floor(x) but gets a share ``error`` of the rows wrong at random (by the column u); the rows of
    group ``who`` whose u is below ``downgrade`` are predicted one level lower."""

    def __init__(self, error=0.0, downgrade=0.0, who="B"):
        self.error, self.downgrade, self.who = error, downgrade, who

    def fit(self, X, y=None):
        self.classes_ = np.array(["high", "low", "medium"], dtype=object)
        self.feature_names_in_ = np.array(["x", "u", "g"], dtype=object)
        return self

    def predict_proba(self, X):
        x, u, g = X["x"].to_numpy(), X["u"].to_numpy(), X["g"].to_numpy()
        level = np.floor(x).astype(int)
        level = np.where(u > 1 - self.error, (level + 1 + (u * 1000).astype(int) % 2) % 3, level)  # a wrong level
        level = np.clip(level - ((g == self.who) & (u < self.downgrade)), 0, 2)
        p = np.full((len(X), 3), 0.1)
        for j, c in enumerate(self.classes_):
            p[level == ORDER.index(c), j] = 0.8
        return p

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class Linear(RegressorMixin, BaseEstimator):
    """50 + 10·x, plus ``noise``·z (a worse model), times ``factor`` for group ``who``."""

    def __init__(self, factor=1.0, noise=0.0, who="B"):
        self.factor, self.noise, self.who = factor, noise, who

    def fit(self, X, y=None):
        self.feature_names_in_ = np.array(["x", "z", "g"], dtype=object)
        self.n_features_in_ = 3
        return self

    def predict(self, X):
        p = 50 + 10 * X["x"].to_numpy() + self.noise * X["z"].to_numpy()
        return np.where(X["g"].to_numpy() == self.who, self.factor * p, p)


@pytest.fixture(scope="module")
def triage():
    rng = np.random.default_rng(0)
    n = 4000
    x = rng.uniform(0, 3, n)
    return pd.DataFrame({"x": x, "u": rng.random(n), "g": rng.choice(["A", "B"], n, p=[0.7, 0.3]),
                         "y": np.array(ORDER, dtype=object)[np.floor(x).astype(int)]})


@pytest.fixture(scope="module")
def prices():
    rng = np.random.default_rng(1)
    n = 3000
    x = rng.normal(size=n)
    return pd.DataFrame({"x": x, "z": rng.normal(size=n), "g": rng.choice(["A", "B", "C"], n),
                         "y": 50 + 10 * x + rng.normal(scale=5, size=n)})


def _compare(champion, challenger, data, target="y", **fairness):
    return compare(champion.fit(data), challenger.fit(data), data, target=target, sensitive=["g"],
                   config={"check": {"fairness": {"mitigation": False, **fairness}}})


@pytest.mark.parametrize("ordered", [False, True])
def test_a_multiclass_challenger_better_overall_but_worse_for_one_group_fails(triage, ordered):
    report = _compare(Triage(error=0.4), Triage(downgrade=0.5), triage, ordered_classes=ORDER if ordered else [])
    perf = {m["name"]: m for m in report["comparison.performance"].details["metrics"]}
    assert perf["accuracy"]["delta"] > 0.1 and perf["accuracy"]["status"] == "pass", "better overall"
    assert perf["macro_f1"]["delta"] > 0 and perf["macro_f1"]["status"] == "pass"
    assert report.status == "fail" and report.exit_code("fail") == 1
    failing = [f for f in report["gate"].findings if f.status == "fail" and f.key.startswith("g/B/")]
    assert failing, [f.key for f in report["gate"].findings]
    views = {f.key.split("/")[2] for f in failing}
    assert views <= ({"at least medium", "at least high"} if ordered else {"class low", "class medium", "class high"})
    assert any(d["group"] == "B" and d["worsening"] > 0 for d in report["comparison.fairness"].details["disparities"])


@pytest.mark.parametrize("ordered", [False, True])
def test_equal_multiclass_models_pass(triage, ordered):
    report = _compare(Triage(error=0.2), Triage(error=0.2), triage, ordered_classes=ORDER if ordered else [])
    assert report.status == "pass", [f.message for f in report["gate"].findings if f.status != "pass"]
    assert all(m["delta"] == 0 for m in report["comparison.performance"].details["metrics"])
    assert all(d["worsening"] == 0 for d in report["comparison.fairness"].details["disparities"])


def test_multiclass_numbers_match_independent_computations(triage):
    champion, challenger = Triage(error=0.3).fit(triage), Triage(error=0.1, downgrade=0.3).fit(triage)
    classes = tuple(champion.classes_)
    index = {c: i for i, c in enumerate(classes)}
    y = triage.y.map(index).to_numpy()
    pa, pb = (pd.Series(m.predict(triage)).map(index).to_numpy() for m in (champion, challenger))
    pair = ClassPair(y, pa, pb, champion.predict_proba(triage), challenger.predict_proba(triage), triage[["g"]], classes)
    a = analyse_class_pair(pair, fairness=FairnessOptions(mitigation=False), options=CompareOptions(bootstrap_rounds=100),
                           rng=np.random.default_rng(0))
    m = {x.name: x for x in a.metrics}
    assert (m["accuracy"].a, m["accuracy"].b) == pytest.approx(((pa == y).mean(), (pb == y).mean()))
    table = [[((pa == y) & (pb == y)).sum(), ((pa == y) & (pb != y)).sum()], [((pa != y) & (pb == y)).sum(), ((pa != y) & (pb != y)).sum()]]
    assert m["accuracy"].p == pytest.approx(sm_mcnemar(table, exact=False, correction=True).pvalue, rel=1e-9)
    only_a, only_b = table[0][1], table[1][0]
    assert (m["accuracy"].low, m["accuracy"].high) == pytest.approx(paired_difference_interval(only_b, only_a, len(y)))
    labels = list(range(len(classes)))
    for model, p in (("a", pa), ("b", pb)):
        assert getattr(m["macro_f1"], model) == pytest.approx(f1_score(y, p, labels=labels, average="macro", zero_division=0))
        assert getattr(m["balanced_accuracy"], model) == pytest.approx(balanced_accuracy_score(y, p))
        recalls = recall_score(y, p, labels=labels, average=None, zero_division=0)
        for i, c in enumerate(classes):
            assert getattr(m[f"recall.{c}"], model) == pytest.approx(recalls[i])
    assert all(m[f"recall.{c}"].test == "paired bootstrap (98.3 % joint)" for c in classes)  # three classes: 1 − 0.05/3
    for g in a.groups:
        rows = triage.g.to_numpy() == g.group
        c = index[g.grouping.split(":")[0].removeprefix("class ")]
        assert g.rates["selection_rate"][:2] == pytest.approx(((pa[rows] == c).mean(), (pb[rows] == c).mean()))


def test_regression_numbers_match_scipy_and_statsmodels(prices):
    champion, challenger = Linear().fit(prices), Linear(noise=2.0, factor=0.97).fit(prices)
    y, pa, pb = prices.y.to_numpy(), champion.predict(prices), challenger.predict(prices)
    a = analyse_regression_pair(RegressionPair(y, pa, pb, prices[["g"]]), fairness=FairnessOptions(mitigation=False),
                                options=CompareOptions(bootstrap_rounds=200), rng=np.random.default_rng(0))
    m = {x.name: x for x in a.metrics}
    ea, eb = np.abs(y - pa), np.abs(y - pb)
    assert (m["mae"].a, m["mae"].b) == pytest.approx((mean_absolute_error(y, pa), mean_absolute_error(y, pb)))
    ttest = stats.ttest_rel(eb, ea)
    assert m["mae"].p == pytest.approx(ttest.pvalue, rel=1e-9)
    assert (m["mae"].low, m["mae"].high) == pytest.approx(tuple(ttest.confidence_interval(0.95)), rel=1e-9)
    assert (m["mae"].low, m["mae"].high) == pytest.approx(DescrStatsW(eb - ea).tconfint_mean(0.05), rel=1e-9)
    assert a.paired["wilcoxon_abs_error_p"] == pytest.approx(stats.wilcoxon(eb - ea).pvalue, rel=1e-9)
    assert f"{stats.wilcoxon(eb - ea).pvalue:.3g}" in m["mae"].test
    assert (m["r2"].a, m["r2"].b) == pytest.approx((r2_score(y, pa), r2_score(y, pb)))
    assert m["rmse"].a == pytest.approx(np.sqrt(np.mean((y - pa) ** 2))) and m["rmse"].margin == pytest.approx(0.05 * m["rmse"].a)
    assert m["mae"].margin == pytest.approx(0.05 * m["mae"].a)
    for g in a.groups:
        rows = prices.g.to_numpy() == g.group
        assert g.rates["mae"][:2] == pytest.approx((ea[rows].mean(), eb[rows].mean()))
        assert g.rates["mean_error"][:2] == pytest.approx(((pa - y)[rows].mean(), (pb - y)[rows].mean()))


def test_a_regressor_that_underestimates_one_group_fails_the_gate_and_equal_ones_pass(prices):
    report = _compare(Linear(), Linear(factor=0.9), prices)
    assert report.status == "fail"
    keys = {f.key for f in report["gate"].findings if f.status == "fail"}
    assert "g/B/mean_ratio" in keys and "own/g" in keys, keys
    own = next(f for f in report["gate"].findings if f.key == "own/g")
    assert "prediction-to-target ratio of B" in own.message and "calibration in the large" in own.message
    same = _compare(Linear(), Linear(), prices)
    assert same.status == "pass", [f.message for f in same["gate"].findings if f.status != "pass"]
    worse = _compare(Linear(), Linear(noise=3.0), prices)  # worse for everyone: the performance gate, not the groups
    perf = {m["name"]: m["status"] for m in worse["comparison.performance"].details["metrics"]}
    assert perf["mae"] == "fail" and perf["rmse"] == "fail" and worse.status == "fail"


def test_cli_compares_multiclass_models_and_refuses_two_tasks(multiclass, tmp_path):
    model, data = multiclass
    joblib.dump(model, tmp_path / "m.joblib")
    data.to_csv(tmp_path / "d.csv", index=False)
    runner = CliRunner()
    res = runner.invoke(main, ["compare", str(tmp_path / "m.joblib"), str(tmp_path / "m.joblib"), str(tmp_path / "d.csv"),
                               "--target", "grade", "--sensitive", "sex", "--format", "json", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    levels = data.assign(level=data.grade.map({"low": 0, "mid": 1, "high": 2}))
    joblib.dump(LogisticRegression(max_iter=300).fit(levels[["x1", "x2"]], levels.level), tmp_path / "c.joblib")
    joblib.dump(LinearRegression().fit(levels[["x1", "x2"]], levels.level), tmp_path / "r.joblib")
    levels.to_csv(tmp_path / "levels.csv", index=False)
    res = runner.invoke(main, ["compare", str(tmp_path / "c.joblib"), str(tmp_path / "r.joblib"), str(tmp_path / "levels.csv"),
                               "--target", "level", "--sensitive", "sex", "--out", str(tmp_path / "p")])
    assert res.exit_code == 2 and "the champion is a multiclass model and the challenger a regression model" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "p").exists()


def test_what_stays_binary_says_so(multiclass):
    """README, "What remains binary only": an A/B log of a multiclass outcome is refused; the mitigation estimate is skipped."""
    import raudit
    from raudit.errors import InputError

    model, data = multiclass
    log = data.assign(decision=model.predict(data[["x1", "x2"]]), arm=np.where(np.arange(len(data)) % 2, "A", "B"))
    with pytest.raises(InputError, match="an A/B comparison needs a binary outcome and decision"):
        raudit.compare_arms(log, arm="arm", y_pred="decision", target="grade", sensitive=["sex"])
    result = raudit.audit(model, data, target="grade", sensitive=["sex"], checks=["fairness"])["fairness"]
    assert result.details["mitigation"] == {"skipped": "needs a binary classifier with scores (predicted probabilities)"}
