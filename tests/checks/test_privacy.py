"""The privacy check: numbers against scikit-learn, scipy and IBM ART; sanity cases; training rows refused when they cannot serve."""

from __future__ import annotations

import json

import joblib
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.stats import binomtest
from sklearn.compose import make_column_transformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import raudit
from raudit.cli import main
from tests.conftest import FEATURES

NUMERIC = ["age", "income", "debt_to_income", "previous_defaults"]
FAST = {"bootstrap": 200}


def _pipe(clf):
    return make_pipeline(make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["zip_region", "home_ownership"]),
                                                 remainder=StandardScaler()), clf)


@pytest.fixture(scope="module")
def split(credit):
    """1,500 training rows and 1,500 held-out rows: equal sizes, so the check compares every row of both."""
    order = np.random.default_rng(0).permutation(len(credit))
    return credit.iloc[order[:1500]].reset_index(drop=True), credit.iloc[order[1500:]].reset_index(drop=True)


def _audit(model, split, **options):
    train, test = split
    return raudit.audit(model, test, target="approved", sensitive=["sex", "ethnicity"], checks=["privacy"], train_data=train,
                        config={"check": {"privacy": {**FAST, **options}}})["privacy"]


@pytest.fixture(scope="module")
def linear(split):
    """A regularised logistic regression: it generalises, so membership should not show."""
    train, _ = split
    model = _pipe(LogisticRegression(C=0.1, max_iter=500)).fit(train[FEATURES], train["approved"])
    return model, _audit(model, split)


@pytest.fixture(scope="module")
def memoriser(split):
    """Nearest neighbours with distance weights: each training row is its own nearest neighbour (a 1-NN on members)."""
    train, _ = split
    model = _pipe(KNeighborsClassifier(15, weights="distance")).fit(train[FEATURES], train["approved"])
    return model, _audit(model, split)


def _membership(model, split):
    train, test = split
    member = np.r_[np.ones(len(train)), np.zeros(len(test))].astype(bool)
    both = pd.concat([train, test], ignore_index=True)
    proba = model.predict_proba(both[FEATURES])
    y_index = np.searchsorted(model.classes_, both["approved"].to_numpy())
    return member, proba, proba[np.arange(len(both)), y_index], y_index, both


def test_loss_attack_numbers_equal_sklearn_and_scipy(linear, split):
    model, result = linear
    member, proba, p_y, y_index, _ = _membership(model, split)
    m, attack = result.metrics, result.details["attacks"]["loss"]
    loss = -np.log(p_y)
    assert m["auc.loss"] == pytest.approx(roc_auc_score(member, -loss), abs=1e-12)
    fpr, tpr, _ = roc_curve(member, -loss)
    assert m["tpr_at_1pct_fpr.loss"] == pytest.approx(tpr[fpr <= 0.01].max(), abs=1e-12)
    assert attack["tpr_at_0.1pct_fpr"] == pytest.approx(tpr[fpr <= 0.001].max(), abs=1e-12)
    assert m["advantage.loss"] == pytest.approx(np.max(tpr - fpr), abs=1e-12)
    k = round(attack["tpr_at_1pct_fpr"] * member.sum())
    ci = binomtest(k, int(member.sum())).proportion_ci(confidence_level=attack["level"], method="exact")
    assert attack["tpr_at_1pct_fpr_ci"] == pytest.approx([ci.low, ci.high], abs=1e-12)
    assert attack["level"] == pytest.approx(1 - 0.05 / len(result.details["attacks"]))  # Bonferroni across the attacks
    # the other score attacks, from their formulas
    assert m["auc.confidence"] == pytest.approx(roc_auc_score(member, proba.max(axis=1)), abs=1e-12)
    others = np.where(np.arange(proba.shape[1]) == y_index[:, None], 0.0, proba * np.log(np.maximum(1 - proba, 1e-300)))
    mentr = -(1 - p_y) * np.log(p_y) - others.sum(axis=1)
    assert m["auc.modified_entropy"] == pytest.approx(roc_auc_score(member, -mentr), abs=1e-12)


def test_attacks_cross_checked_against_ibm_art(split):
    """ART's rule-based attack is our label-only attack; ART's TPR at a target FPR is ours on the same per-row losses.

    Definitional difference: ART's rule predicts "member" whenever the model is right; our label-only advantage is
    max(TPR - FPR) over thresholds, so it is ART's TPR - FPR when positive and 0 otherwise (the threshold that
    predicts no member), and its AUC is that of a 0/1 score, (1 + TPR - FPR) / 2.
    """
    pytest.importorskip("art")
    from art.attacks.inference.membership_inference import MembershipInferenceBlackBoxRuleBased
    from art.estimators.classification import SklearnClassifier
    from art.metrics.privacy import get_roc_for_fpr

    train, test = split
    model = KNeighborsClassifier(5).fit(train[NUMERIC].to_numpy(), train["approved"].to_numpy())
    result = raudit.audit(model, test[[*NUMERIC, "approved", "sex"]], target="approved", sensitive=["sex"], checks=["privacy"],
                          train_data=train[[*NUMERIC, "approved", "sex"]], config={"features": NUMERIC, "check": {"privacy": FAST}})
    m = result["privacy"].metrics
    attack = MembershipInferenceBlackBoxRuleBased(SklearnClassifier(model=model))
    tpr = attack.infer(train[NUMERIC].to_numpy(), train["approved"].to_numpy()).mean()
    fpr = attack.infer(test[NUMERIC].to_numpy(), test["approved"].to_numpy()).mean()
    assert m["advantage.label_only"] == pytest.approx(max(0.0, tpr - fpr), abs=1e-12)
    assert m["auc.label_only"] == pytest.approx((1 + tpr - fpr) / 2, abs=1e-12)
    both = pd.concat([train, test])
    member = np.r_[np.ones(len(train)), np.zeros(len(test))].astype(int)
    proba = model.predict_proba(both[NUMERIC].to_numpy())
    log_p_y = np.log(np.maximum(proba[np.arange(len(both)), both["approved"].to_numpy()], 1e-300))
    (_, art_tpr, _), = get_roc_for_fpr(attack_proba=log_p_y, attack_true=member, targeted_fpr=0.01)
    assert m["tpr_at_1pct_fpr.loss"] == pytest.approx(art_tpr, abs=1e-12)


def test_a_memorising_model_fails(memoriser):
    _, result = memoriser
    assert result.metrics["auc"] >= 0.95
    assert result.status == "fail"
    assert result.metrics["epsilon_lower_bound"] > 1


def test_a_regularised_linear_model_passes_with_intervals_around_chance(linear):
    _, result = linear
    assert result.status == "pass"
    for name, attack in result.details["attacks"].items():
        assert attack["auc_ci"][0] <= 0.5 <= attack["auc_ci"][1], name
    assert "not a proof of privacy" in result.summary
    assert any("lower bound" in f.message and "not a proof of privacy" in f.message for f in result.findings)


def test_reference_models_are_refitted_and_their_energy_measured(linear):
    _, result = linear
    ref = result.details["reference"]
    assert ref["models"] == 4 and ref["rows_per_model"] == 375  # half of the other fold's 750 non-members
    assert ref["measurement"]["energy_kwh"] > 0 and ref["seconds"] > 0
    assert "reference" in result.details["attacks"]
    assert any(f.key == "reference" and "Wh" in f.message and "CO₂e" in f.message for f in result.findings)


def test_a_model_that_cannot_be_refitted_skips_only_the_reference_attack(linear, split):
    model, _ = linear

    class Frozen:  # predicts like the model, but has no get_params: no clone can be made
        classes_, feature_names_in_ = model.classes_, model.feature_names_in_

        def predict(self, X):
            return model.predict(X)

        def predict_proba(self, X):
            return model.predict_proba(X)

    result = _audit(Frozen(), split, reference_models=4)
    assert "reference" not in result.details["attacks"] and "loss" in result.details["attacks"]
    assert "cannot be refitted" in result.details["reference_skipped"]
    assert any(f.key == "reference" and f.status == "skipped" for f in result.findings)


@pytest.mark.slow
def test_a_planted_memorised_rare_group_is_named_most_exposed():
    """A rare group with labels the inputs cannot predict is memorised by unpruned trees; the others generalise."""
    rng = np.random.default_rng(7)
    n = 6000
    cohort = rng.choice(["A", "B", "R"], size=n, p=[0.55, 0.37, 0.08])
    x = rng.normal(size=(n, 3))
    y = (x[:, 0] + 0.3 * rng.normal(size=n) > 0).astype(int)
    rare = cohort == "R"
    y[rare] = rng.integers(0, 2, rare.sum())  # the rare group's labels are noise: only memorising fits them
    x[rare, 2] += 4  # and it sits apart in the input space
    data = pd.DataFrame(x, columns=["x0", "x1", "x2"]).assign(cohort=cohort, y=y)
    train, test = data.iloc[: n // 2], data.iloc[n // 2:]
    model = RandomForestClassifier(200, min_samples_leaf=1, random_state=0).fit(train[["x0", "x1", "x2"]], train["y"])
    result = raudit.audit(model, test, target="y", sensitive=["cohort"], checks=["privacy"], train_data=train,
                          config={"check": {"privacy": {**FAST, "min_group_rows": 100}}})["privacy"]
    top = result.details["most_exposed_group"]
    assert top == {"grouping": "cohort", "group": "R"}
    rare_row = next(g for g in result.details["groups"] if g["group"] == "R")
    assert rare_row["p_holm"] < 0.05  # it leaks significantly more than the rest
    others = [g["auc"] for g in result.details["groups"] if g["grouping"] == "cohort" and g["group"] != "R"]
    assert rare_row["auc"] > max(others) + 0.1


def test_without_training_rows_the_check_is_skipped_and_says_why(linear, split):
    model, _ = linear
    _, test = split
    report = raudit.audit(model, test, target="approved", sensitive=["sex"], checks=["privacy"])
    assert report["privacy"].status == "skipped"
    assert "--train-data" in report["privacy"].summary and "never guesses" in report["privacy"].summary


def test_recorded_decisions_get_the_label_only_attack(memoriser, split):
    model, _ = memoriser
    train, test = (d.assign(decision=model.predict(d[FEATURES])) for d in split)
    report = raudit.audit(None, test, target="approved", sensitive=["sex"], y_pred="decision", checks=["privacy"], train_data=train,
                          config={"check": {"privacy": FAST}})
    result = report["privacy"]
    assert list(result.details["attacks"]) == ["label_only"]
    assert "recorded decisions" in result.details["reference_skipped"]
    acc_in = (train["decision"] == train["approved"]).mean()
    acc_out = (test["decision"] == test["approved"]).mean()
    assert result.metrics["advantage.label_only"] == pytest.approx(acc_in - acc_out, abs=1e-12)


def test_same_seed_same_numbers(linear, split):
    model, first = linear
    again = _audit(model, split)
    assert again.metrics == first.metrics  # energy and time are measurements, kept out of the metrics
    assert again.details["groups"] == first.details["groups"]
    assert again.details["exposed_records"] == first.details["exposed_records"]


def test_a_few_shared_rows_are_left_out_and_said(linear, split):
    model, _ = linear
    train, test = split
    result = _audit(model, (pd.concat([train, test.iloc[:20]], ignore_index=True), test), reference_models=0)
    assert result.details["rows"]["audit_rows_in_training_data"] == 20
    assert result.details["rows"]["nonmembers"] == 1480
    rows = next(f for f in result.findings if f.key == "rows")
    assert rows.status == "warn" and "left out" in rows.message
    few = _audit(model, (pd.concat([train, test.iloc[:10]], ignore_index=True), test), reference_models=0)
    assert next(f for f in few.findings if f.key == "rows").status == "pass"  # 10 of 1,500: under 1 %, said, not warned
    # the same people under other ids are other rows: rows are compared on every column both files have
    twins = test.iloc[:20].assign(applicant_id=test["applicant_id"].iloc[:20] + 10**6)
    result = _audit(model, (pd.concat([train, twins], ignore_index=True), test), reference_models=0)
    assert result.details["rows"]["audit_rows_in_training_data"] == 0


def test_streamed_and_in_memory_audits_agree(linear, split, tmp_path):
    model, _ = linear
    train, test = split
    train.to_csv(tmp_path / "train.csv", index=False)
    test.to_csv(tmp_path / "test.csv", index=False)
    runs = [raudit.audit(model, tmp_path / "test.csv", target="approved", sensitive=["sex"], checks=["privacy"],
                         train_data=tmp_path / "train.csv",
                         config={"engine": engine, "chunk_rows": 400, "check": {"privacy": {**FAST, "reference_models": 0}}})
            for engine in ("memory", "stream")]
    assert runs[0]["privacy"].metrics == runs[1]["privacy"].metrics
    assert runs[1].lineage["engine"]["chunks"] == 4


# -- the command line: good and bad training rows -------------------------------------------------------------------------
@pytest.fixture
def cli_files(linear, split, tmp_path):
    model, _ = linear
    train, test = split
    joblib.dump(model, tmp_path / "model.joblib")
    test.to_csv(tmp_path / "audit.csv", index=False)
    train.to_csv(tmp_path / "train.csv", index=False)
    return tmp_path


def _cli(d, train, *extra):
    args = [str(d / "model.joblib"), str(d / "audit.csv"), "--target", "approved", "--sensitive", "sex", "--checks", "privacy",
            "--train-data", str(train), "--out", str(d / "out"), "--format", "json", *extra]
    return CliRunner().invoke(main, args)


def test_cli_train_data_writes_the_check_and_its_lineage(cli_files):
    config = cli_files / "raudit.toml"
    config.write_text("[check.privacy]\nbootstrap = 100\nreference_models = 2\n")
    done = _cli(cli_files, cli_files / "train.csv", "--config", str(config))
    assert done.exit_code in (0, 1), done.output
    report = json.loads((cli_files / "out" / "report.json").read_text())
    privacy = next(c for c in report["checks"] if c["name"] == "privacy")
    assert privacy["status"] == "pass" and privacy["details"]["reference"]["models"] == 2
    assert report["config"]["train_data"] == str(cli_files / "train.csv")
    assert report["lineage"]["train_data_files"][0]["sha256"]


@pytest.mark.parametrize(("change", "message"), [
    (lambda train, test: train.drop(columns=["income", "sex"]), "lacks column(s) 'sex', 'income'"),
    (lambda train, test: train.assign(age="age " + train["age"].astype(str)), "column 'age' holds text in the training data"),
    (lambda train, test: pd.concat([train.iloc[:100], test]), "not held out"),
    (lambda train, test: train.assign(approved=7), "training data (--train-data)"),
], ids=["missing-columns", "different-schema", "overlapping-rows", "unknown-labels"])
def test_cli_refuses_training_rows_that_cannot_serve(cli_files, split, change, message):
    train, test = split
    change(train, test).to_csv(cli_files / "bad.csv", index=False)
    done = _cli(cli_files, cli_files / "bad.csv")
    assert done.exit_code == 2, done.output
    assert message in " ".join(done.output.split())
    assert "Traceback" not in done.output
    assert not (cli_files / "out").exists()  # nothing half-written


def test_cli_missing_training_file_is_exit_2(cli_files):
    done = _cli(cli_files, cli_files / "nowhere.csv")
    assert done.exit_code == 2 and "training data (--train-data)" in done.output and not (cli_files / "out").exists()
