"""raudit compare: champion vs challenger on the same rows, A/B arms, and the gate (raudit/comparison/analysis.py)."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

from raudit.api.compare import compare, compare_arms
from raudit.checks.fairness import FairnessOptions
from raudit.checks.performance import expected_calibration_error
from raudit.cli import main
from raudit.comparison.analysis import CompareOptions, Pair, analyse_arms, analyse_pair
from raudit.stats.inference import holm, two_proportion_pvalue
from raudit.stats.paired import delong, mcnemar

from .conftest import FEATURES

ROOT = Path(__file__).resolve().parents[1]


class ShiftedForGroup(ClassifierMixin, BaseEstimator):
    """A fitted classifier whose scores for one group of ``column`` are multiplied by ``factor`` (a challenger that is
    worse for that group). Counts its predict calls."""

    def __init__(self, base=None, column="sex", group="Female", factor=1.0):
        self.base, self.column, self.group, self.factor = base, column, group, factor

    def fit(self, X, y=None):
        self.classes_ = self.base.classes_
        self.feature_names_in_ = np.array([*FEATURES, self.column], dtype=object)
        self.calls_ = {"predict": 0, "predict_proba": 0}
        return self

    def predict_proba(self, X):
        self.calls_["predict_proba"] += 1
        p = self.base.predict_proba(X[FEATURES]).copy()
        hit = (X[self.column] == self.group).to_numpy()
        p[hit, 1] *= self.factor
        p[:, 0] = 1 - p[:, 1]
        return p

    def predict(self, X):
        self.calls_["predict"] += 1
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]


@pytest.fixture(scope="module")
def strong(credit):
    """A stronger model than the logistic-regression champion (gradient boosting on the same inputs)."""
    X = credit[FEATURES].assign(zip_region=credit.zip_region.astype("category"), home_ownership=credit.home_ownership.astype("category"))
    hgb = HistGradientBoostingClassifier(max_iter=60, random_state=0, categorical_features="from_dtype").fit(X, credit.approved)

    class Categorical(ClassifierMixin, BaseEstimator):
        def fit(self, X, y=None):
            self.classes_ = hgb.classes_
            self.feature_names_in_ = np.array(FEATURES, dtype=object)
            return self

        def predict_proba(self, X):
            return hgb.predict_proba(X.assign(zip_region=X.zip_region.astype(X_cat["zip_region"]),
                                              home_ownership=X.home_ownership.astype(X_cat["home_ownership"])))

        def predict(self, X):
            return self.classes_[self.predict_proba(X).argmax(axis=1)]

    X_cat = {c: X[c].dtype for c in ("zip_region", "home_ownership")}
    return Categorical().fit(X)


#: The fixture model is biased on its own (the data's injected bias: a selection-rate ratio of 0.73 for women, 95 % CI
#: 0.67–0.80, fails the four-fifths rule; Group C's TPR gap straddles 0.2). Tests about the *change* between two models
#: relax the fairness check's thresholds far enough that only the change is judged.
RELAXED = {"check": {"fairness": {"selection_rate_ratio_min": 0.4, "tpr_difference_max": 0.3, "fpr_difference_max": 0.3,
                                  "ppv_difference_max": 0.3, "intersections": False}}}


def test_equal_models_pass_with_zero_differences(binary_model, credit):
    report = compare(binary_model, binary_model, credit, target="approved", sensitive=["sex", "ethnicity"], config=RELAXED)
    assert report.status == "pass" and report["gate"].findings[0].key == "verdict"
    assert report["gate"].findings[0].message.startswith("The challenger passes the release gate")
    details = report["comparison.performance"].details
    for m in details["metrics"]:
        if m["name"] == "accuracy":  # Bonett–Price: no discordant row in 3,000 still leaves a sliver of doubt
            assert m["delta"] == 0 and m["low"] < 0 < m["high"] and m["high"] - m["low"] < 0.002, m
        else:
            assert m["delta"] == 0 and m["low"] == 0 and m["high"] == 0, m  # paired bootstrap: identical rows, zero width
    assert details["mcnemar"]["only_a"] == details["mcnemar"]["only_b"] == 0
    assert all(d["worsening"] == 0 for d in report["comparison.fairness"].details["disparities"])


def test_better_overall_but_worse_for_one_group_is_caught(binary_model, strong, credit):
    challenger = ShiftedForGroup(strong, factor=0.6).fit(credit)
    report = compare(binary_model, challenger, credit, target="approved", sensitive=["sex", "ethnicity"])
    perf = {m["name"]: m for m in report["comparison.performance"].details["metrics"]}
    assert perf["roc_auc"]["delta"] > 0.01 and perf["roc_auc"]["status"] == "pass", "better overall"
    assert report.status == "fail" and report.exit_code("fail") == 1
    failing = {f.key: f for f in report["gate"].findings if f.status == "fail"}
    assert "sex/Female/selection_rate" in failing, failing.keys()
    text = failing["sex/Female/selection_rate"].message
    assert "[sex] favourable-outcome rate ratio (four-fifths rule) of Female vs Male" in text
    assert "worse by more than the margin 0.05 across the whole interval" in text
    assert report["gate"].findings[0].status == "fail" and "FAILS" in report["gate"].findings[0].message
    sex = [g for g in report["comparison.fairness"].details["groups"] if g["grouping"] == "sex" and g["group"] == "Female"][0]
    a, b, delta, lo, hi = sex["rates"]["selection_rate"]
    assert delta < 0 and hi < 0, "the challenger selects fewer women, and the interval says so"


def test_each_model_predicts_once(binary_model, credit, monkeypatch):
    monkeypatch.setattr("raudit.sandbox.jail.available", lambda: False)  # the counters live in this process
    champion = ShiftedForGroup(binary_model, factor=1.0).fit(credit)
    challenger = ShiftedForGroup(binary_model, factor=0.9).fit(credit)
    compare(champion, challenger, credit, target="approved", sensitive=["sex"])
    # predict() calls predict_proba() inside, so one predict and one predict_proba call from raudit = 2 + 1
    assert champion.calls_ == {"predict": 1, "predict_proba": 2} == challenger.calls_


def _arrays(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    score_a = np.clip(0.5 * y + rng.uniform(0, 0.6, n), 0, 1)
    score_b = np.clip(0.5 * y + rng.uniform(0, 0.6, n) - 0.05, 0, 1)
    sensitive = pd.DataFrame({"sex": rng.choice(["F", "M"], n, p=[0.4, 0.6])})
    return y, score_a, score_b, sensitive


def test_numbers_match_independent_computations():
    y, sa, sb, sens = _arrays()
    pa, pb = (sa >= 0.5).astype(int), (sb >= 0.5).astype(int)
    a = analyse_pair(Pair(y, pa, pb, sa, sb, sens), fairness=FairnessOptions(), options=CompareOptions(bootstrap_rounds=200),
                     rng=np.random.default_rng(0))
    m = {x.name: x for x in a.metrics}
    assert m["accuracy"].a == pytest.approx((pa == y).mean()) and m["accuracy"].b == pytest.approx((pb == y).mean())
    assert m["accuracy"].p == pytest.approx(mcnemar(((pa == y) & (pb != y)).sum(), ((pa != y) & (pb == y)).sum()).pvalue)
    assert m["roc_auc"].a == pytest.approx(roc_auc_score(y, sa)) and m["roc_auc"].p == pytest.approx(delong(y, sa, sb).pvalue)
    assert m["ece"].a == pytest.approx(expected_calibration_error(y, sa)[0], abs=1e-12)
    assert m["ece"].b == pytest.approx(expected_calibration_error(y, sb)[0], abs=1e-12)
    f = [g for g in a.groups if g.group == "F"][0]
    rows = sens.sex.to_numpy() == "F"
    assert f.rates["selection_rate"][:3] == pytest.approx((pa[rows].mean(), pb[rows].mean(), pb[rows].mean() - pa[rows].mean()))
    assert f.rates["roc_auc"][:2] == pytest.approx((roc_auc_score(y[rows], sa[rows]), roc_auc_score(y[rows], sb[rows])))
    d = [x for x in a.disparities if x.metric == "selection_rate"][0]
    group, ref = sens.sex.to_numpy() == d.group, sens.sex.to_numpy() == d.reference
    assert d.reference == max("FM", key=lambda g: pa[sens.sex.to_numpy() == g].mean()), "the champion's most favoured group"
    ratio = lambda p: p[group].mean() / p[ref].mean()  # noqa: E731
    assert (d.value_a, d.value_b) == pytest.approx((ratio(pa), ratio(pb)))
    assert d.worsening == pytest.approx((1 - min(ratio(pb), 1 / ratio(pb))) - (1 - min(ratio(pa), 1 / ratio(pa))))


def test_a_change_whose_interval_straddles_the_margin_is_inconclusive_and_one_wholly_beyond_it_fails():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 80)
    pa = y.copy()
    pb = y.copy()
    pb[:3] = 1 - pb[:3]  # 3 of 80 rows worse: accuracy −0.0375, beyond the 0.01 margin, but only 3 discordant rows
    sens = pd.DataFrame({"sex": ["F", "M"] * 40})
    a = analyse_pair(Pair(y, pa, pb, None, None, sens), fairness=FairnessOptions(), options=CompareOptions(bootstrap_rounds=100),
                     rng=np.random.default_rng(0))
    acc = [m for m in a.metrics if m.name == "accuracy"][0]
    assert acc.status == "inconclusive" and "straddles the margin 0.01" in acc.reason
    assert "McNemar" in acc.test and "exact binomial" in acc.test and acc.p == pytest.approx(0.25)  # shown beside
    pb[:40] = 1 - y[:40]  # 40 of 80 rows worse
    a = analyse_pair(Pair(y, pa, pb, None, None, sens), fairness=FairnessOptions(), options=CompareOptions(bootstrap_rounds=100),
                     rng=np.random.default_rng(0))
    acc = [m for m in a.metrics if m.name == "accuracy"][0]
    assert acc.status == "fail" and -acc.high > 0.01 and acc.p < 1e-6 and "chi-square" in acc.test


def test_margins_are_typed_options_in_the_compare_table():
    from raudit import AuditConfig, ConfigError

    assert CompareOptions.parse({"accuracy_margin": 0.02}, check="compare", table="compare").accuracy_margin == 0.02
    with pytest.raises(ConfigError, match=r"(?s)\[compare\]: unknown option 'acuracy_margin'.*did you mean 'accuracy_margin'"):
        CompareOptions.parse({"acuracy_margin": 0.02}, check="compare", table="compare")
    with pytest.raises(ConfigError, match=r"\[compare\].accuracy_margin must be ≥ 0"):
        CompareOptions.parse({"accuracy_margin": -1}, check="compare", table="compare")
    assert AuditConfig.from_mapping({"compare": {"alpha": 0.01}}).compare == {"alpha": 0.01}


def test_a_wider_margin_lets_the_change_pass_but_not_a_challenger_that_fails_on_its_own(binary_model, strong, credit):
    challenger = ShiftedForGroup(strong, factor=0.6).fit(credit)
    loose = {"compare": {"ratio_margin": 0.9, "difference_margin": 0.9, "ece_margin": 0.5}}
    report = compare(binary_model, challenger, credit, target="approved", sensitive=["sex", "ethnicity"], config=loose)
    gate = report["gate"]
    assert gate.options["ratio_margin"] == 0.9
    assert not [f for f in gate.findings if f.status == "fail" and not f.key.startswith(("own/", "verdict"))], "no change fails"
    assert gate.status == "fail" and "on its own it fails the fairness thresholds for" in gate.findings[0].message
    own = next(f for f in gate.findings if f.key == "own/sex")
    assert own.status == "fail" and "fails the four-fifths rule" in own.message


def test_report_is_an_ordinary_report(binary_model, credit):
    import jsonschema

    import raudit

    assert raudit.compare is compare and raudit.compare_arms is compare_arms

    report = compare(binary_model, binary_model, credit, target="approved", sensitive=["sex"], config=RELAXED)
    schema = json.loads((ROOT / "raudit" / "schema" / "report.schema.json").read_text())
    jsonschema.validate(report.to_dict(), schema)
    assert [r.name for r in report.results] == ["gate", "comparison.performance", "comparison.fairness"]
    html = report.render("html").decode()
    assert "Release gate" in html and "The challenger passes the release gate" in html and "Metrics of both models" in html
    again = compare(binary_model, binary_model, credit, target="approved", sensitive=["sex"], config=RELAXED).to_dict()
    first = report.to_dict()
    for body in (first, again):
        body["lineage"].pop("created_utc")
        body.pop("integrity")
        for check in body["checks"]:
            check.pop("duration_s")
    assert first == again, "same inputs and seed give the same report"


# -- A/B logs ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ab_log():
    rng = np.random.default_rng(7)
    n = 9000
    sex = rng.choice(["female", "male"], n)
    arm = rng.choice(["A", "B", "C"], n)
    repaid = rng.binomial(1, 0.6, n)
    p = np.where(repaid == 1, 0.7, 0.3)
    p = np.where((arm == "C") & (sex == "female"), p * 0.6, p)  # arm C approves fewer women
    decision = rng.binomial(1, p)
    return pd.DataFrame({"arm": arm, "sex": sex, "repaid": repaid, "decision": decision, "income": rng.normal(size=n)})


def test_ab_rates_and_tests_match_and_the_biased_arm_fails(ab_log):
    report = compare_arms(ab_log, arm="arm", y_pred="decision", target="repaid", sensitive=["sex"],
                          config={"check": {"fairness": {"reference": {"sex": "male"}}}})
    rates = report["ab.rates"].details["rates"]
    b_overall = [r for r in rates if r["arm"] == "B" and r["grouping"] == ""][0]
    a_rows, b_rows = ab_log[ab_log.arm == "A"], ab_log[ab_log.arm == "B"]
    assert b_overall["decision_rate"] == pytest.approx(b_rows.decision.mean())
    assert b_overall["decision_p"] == pytest.approx(two_proportion_pvalue(int(b_rows.decision.sum()), len(b_rows),
                                                                          int(a_rows.decision.sum()), len(a_rows))[0])
    overall = [r for r in rates if r["grouping"] == "" and r["arm"] != "A"]
    assert [r["decision_p_holm"] for r in overall] == pytest.approx(holm([r["decision_p"] for r in overall]).tolist())
    assert report.status == "fail"
    failing = {f.key for f in report["gate"].findings if f.status == "fail"}
    assert "C/sex/female/selection_rate" in failing and not any(k.startswith("B/") for k in failing)


def test_ab_needs_two_arms_and_a_known_control():
    from raudit import InputError

    y = np.array([0, 1] * 20)
    with pytest.raises(InputError, match="needs two or more"):
        analyse_arms(np.array(["A"] * 40), y, y, pd.DataFrame({"s": ["x"] * 40}), fairness=FairnessOptions(),
                     options=CompareOptions(), rng=np.random.default_rng(0))
    with pytest.raises(InputError, match="control_arm 'Z' is not an arm"):
        analyse_arms(np.array(["A", "B"] * 20), y, y, pd.DataFrame({"s": ["x"] * 40}), fairness=FairnessOptions(),
                     options=CompareOptions(control_arm="Z"), rng=np.random.default_rng(0))


# -- command line ------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model_files(tmp_path_factory, binary_model, credit):
    d = tmp_path_factory.mktemp("compare")
    joblib.dump(binary_model, d / "champion.joblib")
    from sklearn.linear_model import LogisticRegression

    from .conftest import _pipeline

    weaker = _pipeline(credit[FEATURES])
    weaker.set_params(clf=LogisticRegression(max_iter=500, C=0.001)).fit(credit[FEATURES], credit.approved)
    joblib.dump(weaker, d / "challenger.joblib")
    credit.to_csv(d / "data.csv", index=False)
    return d


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_cli_compare_exit_codes_and_files(model_files, tmp_path):
    d = model_files
    (tmp_path / "relaxed.toml").write_text("[check.fairness]\n" + "".join(f"{k} = {str(v).lower()}\n" for k, v in
                                                                          RELAXED["check"]["fairness"].items()))
    res = run("compare", d / "champion.joblib", d / "champion.joblib", d / "data.csv", "--target", "approved",
              "--sensitive", "sex", "--format", "json,md,junit", "--out", tmp_path / "same", "--config", tmp_path / "relaxed.toml")
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (tmp_path / "same").iterdir()) == ["report.json", "report.junit.xml", "report.md"]
    body = json.loads((tmp_path / "same" / "report.json").read_text())
    assert body["lineage"]["challenger_file"]["name"] == "champion.joblib" and body["title"] == "Champion vs challenger"
    res = run("compare", d / "champion.joblib", d / "challenger.joblib", d / "data.csv", "--target", "approved",
              "--sensitive", "sex", "--format", "json", "--out", tmp_path / "worse")
    assert res.exit_code == 1, res.output
    assert "FAIL   gate" in res.output
    res = run("compare", d / "champion.joblib", d / "challenger.joblib", d / "data.csv", "--target", "approved",
              "--sensitive", "sex", "--format", "json", "--out", tmp_path / "never", "--fail-on", "never")
    assert res.exit_code == 0


def test_cli_compare_ab_log(ab_log, tmp_path):
    ab_log.to_csv(tmp_path / "ab.csv", index=False)
    res = run("compare", "--predictions", tmp_path / "ab.csv", "--arm", "arm", "--y-pred", "decision", "--target", "repaid",
              "--sensitive", "sex", "--format", "json", "--out", tmp_path / "o")
    assert res.exit_code == 1, res.output
    body = json.loads((tmp_path / "o" / "report.json").read_text())
    assert body["lineage"]["arms"] == {"column": "arm", "control": "A", "rows": ab_log.arm.value_counts().sort_index().to_dict()}


BAD = [
    (["{d}/champion.joblib", "{d}/data.csv"], "expected CHAMPION, CHALLENGER and DATA, got 2"),
    (["{d}/champion.joblib", "{d}/champion.joblib", "{d}/data.csv", "--arm", "sex"], "--arm and --y-pred go with --predictions"),
    (["--predictions", "{d}/data.csv", "--y-pred", "approved"], "needs --arm COLUMN and --y-pred COLUMN"),
    (["--predictions", "{d}/data.csv", "--arm", "nope", "--y-pred", "approved"], "arm column 'nope' is not in the log"),
    (["{d}/champion.joblib", "{d}/nope.joblib", "{d}/data.csv"], "model file not found"),
    (["{d}/champion.joblib", "{d}/champion.joblib", "{d}/data.csv", "--config", "{d}/bad.toml"], "[compare]: unknown option 'margin'"),
    (["{d}/champion.joblib", "{d}/champion.joblib", "{d}/data.csv", "--attach-to", "wandb:nope"], "is not wandb:ENTITY/PROJECT"),
]


@pytest.mark.parametrize("args,message", BAD, ids=[b[1][:30] for b in BAD])
def test_cli_compare_bad_input_exits_2_and_writes_nothing(model_files, tmp_path, args, message):
    (model_files / "bad.toml").write_text("[compare]\nmargin = 0.1\n")
    out = tmp_path / "out"
    res = run("compare", *[a.format(d=model_files) for a in args], "--target", "approved", "--sensitive", "sex", "--out", out)
    assert res.exit_code == 2, res.output
    assert message in res.output and "Traceback" not in res.output
    assert not out.exists()


def test_the_data_is_read_once(model_files, tmp_path, monkeypatch):
    import sys

    import raudit.api.prepare

    real = raudit.api.prepare.load_data

    def load_data(path):  # the reads happen in the jailed child: it says so on stderr, which the jail relays here
        print(f"test-read: {path}", file=sys.stderr)
        return real(path)

    monkeypatch.setattr(raudit.api.prepare, "load_data", load_data)
    d = model_files
    res = run("compare", d / "champion.joblib", d / "challenger.joblib", d / "data.csv", "--target", "approved",
              "--sensitive", "sex", "--format", "json", "--out", tmp_path / "o")
    reads = [line.removeprefix("test-read: ") for line in res.output.splitlines() if line.startswith("test-read: ")]
    assert res.exit_code == 1 and reads == [str(d / "data.csv")]  # the challenger is worse; the data was read once all the same


def test_without_sensitive_columns_the_groups_are_skipped_and_say_why():
    from raudit.comparison.analysis import present_pair

    y, sa, sb, _sens = _arrays(500)
    p = (sa >= 0.5).astype(int)
    a = analyse_pair(Pair(y, p, p, sa, sa, pd.DataFrame(index=range(500))), fairness=FairnessOptions(),
                     options=CompareOptions(bootstrap_rounds=50), rng=np.random.default_rng(0))
    gate, _performance, fairness = present_pair(a, CompareOptions(), fairness_options={})
    assert fairness.status == "skipped" and "--sensitive" in fairness.summary
    assert gate.status == "pass" and gate.findings[-1].status == "skipped" and "no group was compared" in gate.findings[-1].message


def _own_gate(ratio, n=3000, seed=0):
    """A champion and a challenger with the same decisions; women are selected at ``ratio`` × the men's rate (0.5)."""
    from raudit.comparison.analysis import present_pair

    rng = np.random.default_rng(seed)
    sex = np.array(["F", "M"] * (n // 2))
    p = np.where(sex == "F", 0.5 * ratio, 0.5)
    d = (rng.random(n) < p).astype(int)
    y = rng.integers(0, 2, n)
    opts = FairnessOptions(tpr_difference_max=None, fpr_difference_max=None, ppv_difference_max=None, mitigation=False)
    a = analyse_pair(Pair(y, d, d.copy(), None, None, pd.DataFrame({"sex": sex})), fairness=opts,
                     options=CompareOptions(bootstrap_rounds=100), rng=np.random.default_rng(1))
    gate = present_pair(a, CompareOptions(bootstrap_rounds=100), fairness_options=opts.to_dict())[0]
    own = next(f for f in gate.findings if f.key == "own/sex") if any(f.key == "own/sex" for f in gate.findings) else None
    return gate, own


def test_the_challenger_is_judged_on_its_own_with_the_one_rule():
    """Issue 21: a challenger that fails the four-fifths rule on its own fails the gate, whatever the change; 0.801 and
    0.787 with intervals straddling 0.8 get the same status, inconclusive; one wholly above passes."""
    gate, own = _own_gate(0.6)
    assert gate.status == "fail" and own.status == "fail" and "fails the four-fifths rule" in own.message
    for ratio in (0.801, 0.787):
        gate, own = _own_gate(ratio)
        assert gate.status == "inconclusive" and own.status == "inconclusive", ratio
        assert "straddles the threshold 0.8" in own.message
    gate, own = _own_gate(1.0)
    assert gate.status == "pass" and own is None
