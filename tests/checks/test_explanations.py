"""Explanations: explainer choice, per-column sums, additivity, LIME on string categoricals, agreement."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import raudit
from raudit.checks._attribution import column_map, explain
from raudit.checks._explaining import stratified_sample as _stratified_sample
from tests.conftest import FEATURES

CAT = ["zip_region", "home_ownership"]
NUM = ["age", "income", "debt_to_income", "previous_defaults"]


def _pipe(final, *, nested: bool = False):
    cat = make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")) if nested \
        else OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    pre = ColumnTransformer([("cat", cat, CAT), ("num", StandardScaler(), NUM[:-1])], remainder="passthrough")
    return Pipeline([("pre", pre), ("model", final)])


@pytest.fixture(scope="module")
def data(credit):
    return credit.iloc[:1500]


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data[FEATURES], data["approved"]
    return {
        "hgb": _pipe(HistGradientBoostingClassifier(max_iter=40, random_state=0)).fit(X, y),
        "rf": _pipe(RandomForestClassifier(n_estimators=15, max_depth=5, random_state=0), nested=True).fit(X, y),
        "logreg": _pipe(LogisticRegression(max_iter=500)).fit(X, y),
        "knn": _pipe(KNeighborsClassifier(15)).fit(X, y),
    }


def test_column_map_handles_nested_pipelines_and_remainder(fitted):
    pre = fitted["rf"][:-1]
    mapping = column_map(pre, FEATURES)
    names = pre.get_feature_names_out()
    assert len(mapping) == len(names)
    for name, col in zip(names, mapping):
        assert col in name  # e.g. cat__zip_region_R03 -> zip_region, remainder__previous_defaults -> previous_defaults
    assert set(mapping) == set(FEATURES)


@pytest.mark.parametrize("kind,method", [("hgb", "TreeExplainer"), ("rf", "TreeExplainer"),
                                         ("logreg", "LinearExplainer"), ("knn", "PermutationExplainer")])
def test_explainer_choice_sums_and_additivity(fitted, data, kind, method):
    model = fitted[kind]
    X = data[FEATURES].iloc[:60]
    attr = explain(model, X, data[FEATURES].iloc[100:140], task="binary", class_index=1, class_label="1", seed=0)
    assert method in attr.method
    assert attr.values.shape == (60, len(FEATURES)) and attr.columns == tuple(FEATURES)
    if attr.encoded_values is not None:  # per-column sums equal the encoded attributions
        for j, col in enumerate(FEATURES):
            cols = [k for k, c in enumerate(attr.column_of_encoded) if c == col]
            np.testing.assert_allclose(attr.values[:, j], attr.encoded_values[:, cols].sum(axis=1), atol=1e-12)
    # the explained output, computed here independently of shap
    Z = model[:-1].transform(X)
    expected = {"hgb": lambda: model[-1].decision_function(Z), "logreg": lambda: model[-1].decision_function(Z),
                "rf": lambda: model[-1].predict_proba(Z)[:, 1], "knn": lambda: model.predict_proba(X)[:, 1]}[kind]()
    np.testing.assert_allclose(attr.output, expected, atol=1e-9)
    assert attr.additivity_error < 1e-6, attr.additivity_error


def test_check_on_pipeline_with_string_categoricals(fitted, data):
    report = raudit.audit(fitted["hgb"], data, target="approved", sensitive=["sex", "ethnicity"], checks=["explanations"],
                          config={"check": {"explanations": {"sample_size": 300, "lime_samples": 500}}})
    r = report["explanations"]
    assert r.status in ("pass", "warn")
    assert r.metrics["sample_size"] == 300 and r.metrics["additivity_max_error"] < 1e-9
    assert "TreeExplainer" in r.details["method"] and "summed back" in r.details["reason"]
    assert [g["column"] for g in r.details["global"]][0] in FEATURES
    lime = r.details["lime"]
    whys = {row["why"] for row in lime}
    assert {"most confident positive", "most confident negative", "most uncertain"} <= whys
    assert any(w == "misclassified" for w in whys)
    for row in lime:
        assert set(row["lime_weights"]) == set(FEATURES)
        assert -1 <= row["spearman_lime_shap"] <= 1 and 0 <= row["top_k_overlap"] <= 1
    assert 0 < r.metrics["lime_seed_spearman_mean"] <= 1
    assert set(r.details["per_group"]) == {"sex", "ethnicity"}
    assert any(f.key == "direct" and f.status == "pass" for f in r.findings)  # the model takes no sensitive column
    titles = [f.title for f in r.figures]
    assert "SHAP summary (beeswarm)" in titles and any(t.startswith("LIME") for t in titles)


def test_direct_use_of_a_sensitive_column_is_a_finding(data):
    cols = [*FEATURES, "sex"]
    model = make_pipeline(
        ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), [*CAT, "sex"])], remainder="passthrough"),
        HistGradientBoostingClassifier(max_iter=30, random_state=0),
    ).fit(data[cols], (data["sex"] == "Male") | (data["approved"] == 1))
    rep = raudit.audit(model, data.assign(target=((data["sex"] == "Male") | (data["approved"] == 1)).astype(int)).drop(columns="approved"),
                       target="target", sensitive=["sex"], checks=["explanations"],
                       config={"check": {"explanations": {"sample_size": 200, "lime_rows": [0, 1], "lime_samples": 300}}})
    finding = next(f for f in rep["explanations"].findings if f.key == "direct/sex")
    assert "uses sex directly" in finding.message and finding.status == "fail"
    assert rep["explanations"].metrics["sensitive_share.sex"] > 0.2


def test_multiclass_and_regression(multiclass, regression):
    model, data = multiclass
    r = raudit.audit(model, data, target="grade", sensitive=["sex"], checks=["explanations"])["explanations"]
    assert r.details["explained_class"] == "the predicted class" and "LinearExplainer" in r.details["method"]
    assert r.metrics["additivity_max_error"] < 1e-9
    model, data = regression
    r = raudit.audit(model, data, target="price", sensitive=["sex"], checks=["explanations"])["explanations"]
    assert "TreeExplainer" in r.details["method"] and r.metrics["additivity_max_error"] < 1e-6
    assert [g["column"] for g in r.details["global"]][0] == "a"  # y = 2a + b + noise


def test_stratified_sample_is_proportional_and_seeded():
    strata = np.array(["a"] * 700 + ["b"] * 200 + ["c"] * 100)
    one = _stratified_sample(strata, 100, np.random.default_rng(0))
    two = _stratified_sample(strata, 100, np.random.default_rng(0))
    np.testing.assert_array_equal(one, two)
    counts = pd.Series(strata[one]).value_counts()
    assert (counts["a"], counts["b"], counts["c"]) == (70, 20, 10)


def test_explanations_skip_without_a_model(credit):
    data = credit.assign(decision=credit.approved)
    rep = raudit.audit(None, data, target="approved", sensitive=["sex"], y_pred="decision", checks=["explanations"])
    assert rep["explanations"].status == "skipped" and "model" in rep["explanations"].summary


def test_missing_values_in_numeric_and_text_columns(data):
    from sklearn.neighbors import KNeighborsClassifier

    gappy = data.copy()
    gappy.loc[gappy.sample(frac=0.1, random_state=0).index, "income"] = np.nan
    gappy.loc[gappy.sample(frac=0.05, random_state=1).index, "home_ownership"] = np.nan
    cat = make_pipeline(SimpleImputer(strategy="constant", fill_value="none"), OneHotEncoder(handle_unknown="ignore"))
    pre = ColumnTransformer([("cat", cat, CAT), ("num", SimpleImputer(), NUM)])
    options = {"sample_size": 200, "agnostic_sample_size": 40, "lime_samples": 300}
    for final in (HistGradientBoostingClassifier(max_iter=20, random_state=0), KNeighborsClassifier(15)):
        model = Pipeline([("pre", pre), ("model", final)]).fit(gappy[FEATURES], gappy.approved)
        r = raudit.audit(model, gappy, target="approved", sensitive=["sex"], checks=["explanations"],
                         config={"check": {"explanations": options}})["explanations"]
        assert r.status in ("pass", "warn"), r.summary
        assert r.details["lime"] and "column median for LIME" in next(f.message for f in r.findings if f.key == "agreement")


def test_codec_keeps_missing_as_its_own_category():
    from raudit.checks._tabular import TabularCodec

    frame = pd.DataFrame({"c": ["a", None, "b"], "x": [1.0, np.nan, 3.0]})
    codec = TabularCodec.fit(frame)
    codes = codec.encode(frame)
    assert codes[1, 0] == 2 and np.isnan(codes[1, 1])  # categories a, b, missing
    back = codec.decode(codes)
    assert back["c"].tolist()[0] == "a" and pd.isna(back["c"].tolist()[1]) and back["c"].tolist()[2] == "b"


def test_classifier_without_probabilities_is_explained_through_its_decision_function(data):
    from sklearn.svm import LinearSVC

    model = make_pipeline(StandardScaler(), LinearSVC()).fit(data[NUM], data.approved)
    r = raudit.audit(model, data, target="approved", sensitive=["sex"], checks=["explanations"],
                     config={"check": {"explanations": {"agnostic_sample_size": 30}}})["explanations"]
    assert r.status == "pass" and r.details["output_space"] == "decision function for 1"
    assert r.metrics["additivity_max_error"] < 1e-9
    lime = next(f for f in r.findings if f.key == "agreement")
    assert lime.status == "skipped" and "probabilities" in lime.message
