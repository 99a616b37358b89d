"""A zoo of small fitted models that a model file may legitimately hold.

Each entry trains in well under a second on a few hundred rows of the
example lending data. ``tests/test_model_zoo.py`` checks that every one loads
through raudit's restricted unpickler (and, for a subset, through skops)
without a trust flag and predicts exactly as the original;
``scripts/allowlist_globals.py`` walks the same zoo's pickles to list the
globals they import, from which ``raudit/load/pickle/allowlist.py`` is reviewed.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "examples") not in sys.path:
    sys.path.insert(0, str(ROOT / "examples"))

from make_credit_data import make_credit_data  # noqa: E402

NUMERIC = ["age", "income", "employment_years", "debt_to_income", "previous_defaults", "loan_amount"]
CATEGORICAL = ["zip_region", "home_ownership", "purpose"]
TEXT_WORDS = np.array(["good", "bad", "loan", "late", "paid", "early", "default", "income", "stable", "risky"])


@dataclass(frozen=True)
class Case:
    """One fitted model of the zoo and the input it predicts on."""

    name: str
    model: Any
    X: Any
    skops: bool = False  # also saved with skops.io in the zoo test

    def outputs(self, model: Any) -> list[np.ndarray]:
        """Everything the model says about ``X``: predictions and, where it has them, probabilities."""
        out = [np.asarray(model.predict(self.X))]
        if hasattr(model, "predict_proba"):
            try:
                out.append(np.asarray(model.predict_proba(self.X)))
            except (AttributeError, NotImplementedError):
                pass
        return out


def data(n: int = 300) -> pd.DataFrame:
    """``n`` rows of the example lending data (pandas-3 ``str`` columns for the categories)."""
    return make_credit_data(n, seed=7)


def _text(df: pd.DataFrame) -> pd.Series:
    rng = np.random.default_rng(0)
    words = rng.choice(TEXT_WORDS, size=(len(df), 6))
    words[:, 0] = np.where(df["approved"] == 1, "paid", "late")
    return pd.Series([" ".join(w) for w in words], index=df.index, name="note")


def _builders() -> dict[str, Callable[[pd.DataFrame], Case]]:
    from scipy import stats
    from sklearn import (
        calibration,
        compose,
        cross_decomposition,
        discriminant_analysis,
        dummy,
        ensemble,
        feature_extraction,
        gaussian_process,
        impute,
        isotonic,
        kernel_approximation,
        kernel_ridge,
        linear_model,
        model_selection,
        multiclass,
        naive_bayes,
        neighbors,
        neural_network,
        pipeline,
        preprocessing,
        svm,
        tree,
    )
    from sklearn.decomposition import PCA, TruncatedSVD

    def num(df: pd.DataFrame) -> pd.DataFrame:
        return df[NUMERIC]

    def mixed(df: pd.DataFrame) -> pd.DataFrame:
        return df[NUMERIC + CATEGORICAL]

    def onehot() -> compose.ColumnTransformer:
        return compose.ColumnTransformer([("cat", preprocessing.OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
                                          ("num", preprocessing.StandardScaler(), NUMERIC)])

    def clf(name: str, model: Any, *, columns: Callable[[pd.DataFrame], Any] = num, skops: bool = False,
            target: str = "approved") -> Callable[[pd.DataFrame], Case]:
        def build(df: pd.DataFrame) -> Case:
            X = columns(df)
            return Case(name, model.fit(X, df[target]), X, skops=skops)
        return build

    def reg(name: str, model: Any, *, columns: Callable[[pd.DataFrame], Any] = num, skops: bool = False) -> Callable[[pd.DataFrame], Case]:
        def build(df: pd.DataFrame) -> Case:
            X = columns(df)
            return Case(name, model.fit(X, df["loan_amount"] if "loan_amount" not in X else df["income"]), X, skops=skops)
        return build

    scaled = pipeline.make_pipeline
    lr = linear_model.LogisticRegression
    b: dict[str, Callable[[pd.DataFrame], Case]] = {}

    def add(builder: Callable[[pd.DataFrame], Case], name: str) -> None:
        b[name] = builder

    for name, model, skops in [
        ("logistic_regression", scaled(preprocessing.StandardScaler(), lr(max_iter=300)), True),
        ("sgd_classifier", scaled(preprocessing.StandardScaler(), linear_model.SGDClassifier(loss="log_loss", random_state=0)), False),
        ("ridge_classifier_cv", scaled(preprocessing.StandardScaler(), linear_model.RidgeClassifierCV()), False),
        ("logistic_regression_cv", scaled(preprocessing.StandardScaler(), linear_model.LogisticRegressionCV(cv=3, max_iter=300)), False),
        ("svc_probability", scaled(preprocessing.StandardScaler(), svm.SVC(probability=True, random_state=0)), True),
        ("linear_svc_ovr", scaled(preprocessing.MinMaxScaler(), multiclass.OneVsRestClassifier(svm.LinearSVC())), False),
        ("knn_kd_tree", scaled(preprocessing.StandardScaler(), neighbors.KNeighborsClassifier(algorithm="kd_tree")), True),
        ("nearest_centroid", scaled(preprocessing.StandardScaler(), neighbors.NearestCentroid()), False),
        ("gaussian_nb", naive_bayes.GaussianNB(), True),
        ("bernoulli_nb", scaled(preprocessing.Binarizer(threshold=1.0), naive_bayes.BernoulliNB()), False),
        ("lda", discriminant_analysis.LinearDiscriminantAnalysis(), False),
        ("qda", discriminant_analysis.QuadraticDiscriminantAnalysis(reg_param=0.1), False),
        ("decision_tree", tree.DecisionTreeClassifier(max_depth=5, random_state=0), True),
        ("random_forest", ensemble.RandomForestClassifier(n_estimators=10, max_depth=6, random_state=0), True),
        ("extra_trees", ensemble.ExtraTreesClassifier(n_estimators=10, max_depth=6, random_state=0), False),
        ("gradient_boosting", ensemble.GradientBoostingClassifier(n_estimators=15, random_state=0), True),
        ("hist_gradient_boosting", ensemble.HistGradientBoostingClassifier(max_iter=15, random_state=0), True),
        ("adaboost", ensemble.AdaBoostClassifier(n_estimators=10, random_state=0), False),
        ("bagging_knn", ensemble.BaggingClassifier(neighbors.KNeighborsClassifier(), n_estimators=5, random_state=0), False),
        ("mlp_classifier", scaled(preprocessing.StandardScaler(),
                                  neural_network.MLPClassifier(hidden_layer_sizes=(16,), max_iter=200, random_state=0)), True),
        ("gaussian_process", scaled(preprocessing.StandardScaler(), gaussian_process.GaussianProcessClassifier(random_state=0)),
         False),
        ("calibrated_sigmoid", calibration.CalibratedClassifierCV(naive_bayes.GaussianNB(), cv=3), False),
        ("calibrated_isotonic", calibration.CalibratedClassifierCV(tree.DecisionTreeClassifier(max_depth=3), cv=3,
                                                                   method="isotonic"), False),
        ("stacking", ensemble.StackingClassifier([("nb", naive_bayes.GaussianNB()), ("tree", tree.DecisionTreeClassifier(max_depth=3))],
                                                 final_estimator=lr(), cv=3), False),
        ("voting_soft", ensemble.VotingClassifier([("nb", naive_bayes.GaussianNB()), ("lr", scaled(preprocessing.StandardScaler(), lr()))],
                                                  voting="soft"), False),
        ("pca_logistic", scaled(preprocessing.StandardScaler(), PCA(n_components=3), lr()), False),
        ("polynomial_ridge_classifier", scaled(preprocessing.PolynomialFeatures(2), preprocessing.StandardScaler(),
                                               linear_model.RidgeClassifier()), False),
        ("function_transformer_log1p", scaled(preprocessing.FunctionTransformer(np.log1p, feature_names_out="one-to-one"),
                                              preprocessing.StandardScaler(), lr()), False),
        ("spline_logistic", scaled(preprocessing.SplineTransformer(n_knots=4), lr(max_iter=500)), False),
        ("quantile_knn", scaled(preprocessing.QuantileTransformer(n_quantiles=50), neighbors.KNeighborsClassifier()), False),
        ("kbins_nb", scaled(preprocessing.KBinsDiscretizer(n_bins=4, encode="ordinal", quantile_method="averaged_inverted_cdf"),
                            naive_bayes.CategoricalNB()), False),
        ("nystroem_sgd", scaled(preprocessing.StandardScaler(), kernel_approximation.Nystroem(n_components=20, random_state=0),
                                linear_model.SGDClassifier(random_state=0)), False),
        ("dummy_prior", dummy.DummyClassifier(strategy="prior"), False),
    ]:
        add(clf(name, model, skops=skops), name)

    add(clf("hist_gradient_boosting_multiclass", ensemble.HistGradientBoostingClassifier(max_iter=10, random_state=0),
            target="home_ownership"), "hist_gradient_boosting_multiclass")
    add(clf("mlp_multiclass", scaled(preprocessing.StandardScaler(), neural_network.MLPClassifier(hidden_layer_sizes=(8,), max_iter=100,
                                                                                                   random_state=0)),
            target="purpose", skops=True), "mlp_multiclass")
    add(clf("column_transformer_onehot", pipeline.Pipeline([("pre", onehot()), ("clf", lr(max_iter=500))]), columns=mixed, skops=True),
        "column_transformer_onehot")
    add(clf("ordinal_hgb_categorical", scaled(
        compose.ColumnTransformer([("cat", preprocessing.OrdinalEncoder(), CATEGORICAL)], remainder="passthrough"),
        ensemble.HistGradientBoostingClassifier(max_iter=10, categorical_features=[0, 1, 2], random_state=0)), columns=mixed),
        "ordinal_hgb_categorical")
    add(clf("target_encoder", scaled(compose.ColumnTransformer([("cat", preprocessing.TargetEncoder(random_state=0), CATEGORICAL)],
                                                               remainder=preprocessing.StandardScaler()), lr()), columns=mixed),
        "target_encoder")
    add(clf("impute_scale", scaled(compose.ColumnTransformer([
        ("cat", scaled(impute.SimpleImputer(strategy="most_frequent"), preprocessing.OneHotEncoder(handle_unknown="ignore")), CATEGORICAL),
        ("num", scaled(impute.SimpleImputer(strategy="median"), preprocessing.RobustScaler()), NUMERIC)]), lr()), columns=mixed),
        "impute_scale")

    def pandas_index_columns(df: pd.DataFrame) -> Case:
        """Column lists taken from a pandas-3 DataFrame: an Index of ``str`` (pyarrow-backed) inside the model."""
        X = mixed(df)
        cats, nums = X.select_dtypes(include="str").columns, X.select_dtypes(include="number").columns
        model = scaled(compose.ColumnTransformer([("cat", preprocessing.OneHotEncoder(handle_unknown="ignore"), cats),
                                                  ("num", preprocessing.StandardScaler(), nums)]), lr(max_iter=500))
        model.fit(X, df["approved"])
        model.reference_rows_ = X.head(3)  # a DataFrame with str columns kept on the model
        return Case("pandas_str_index_columns", model, X)

    b["pandas_str_index_columns"] = pandas_index_columns

    def text(name: str, vectorizer: Any, model: Any, skops: bool = False) -> Callable[[pd.DataFrame], Case]:
        def build(df: pd.DataFrame) -> Case:
            X = _text(df)
            return Case(name, scaled(vectorizer, model).fit(X, df["approved"]), X, skops=skops)
        return build

    b["tfidf_logistic"] = text("tfidf_logistic", feature_extraction.text.TfidfVectorizer(), lr(), skops=True)
    b["counts_multinomial_nb"] = text("counts_multinomial_nb", feature_extraction.text.CountVectorizer(ngram_range=(1, 2)),
                                      naive_bayes.MultinomialNB())

    b["grid_search"] = clf("grid_search", model_selection.GridSearchCV(scaled(preprocessing.StandardScaler(), lr()),
                                                                        {"logisticregression__C": [0.1, 1.0]}, cv=3))

    def randomized(df: pd.DataFrame) -> Case:
        search = model_selection.RandomizedSearchCV(
            ensemble.RandomForestClassifier(n_estimators=5, random_state=0),
            {"max_depth": stats.randint(2, 6), "min_samples_leaf": stats.uniform(0.01, 0.1),
             "max_samples": stats.loguniform(0.3, 0.9), "min_impurity_decrease": stats.expon(scale=1e-4)},
            n_iter=3, cv=3, random_state=0)
        return Case("randomized_search_scipy_stats", search.fit(num(df), df["approved"]), num(df))

    b["randomized_search_scipy_stats"] = randomized

    def randomized_svc(df: pd.DataFrame) -> Case:
        search = model_selection.RandomizedSearchCV(scaled(preprocessing.StandardScaler(), svm.SVC()),
                                                    {"svc__C": stats.loguniform(1e-2, 1e2), "svc__gamma": stats.loguniform(1e-3, 1)},
                                                    n_iter=3, cv=3, random_state=np.random.RandomState(0))
        return Case("randomized_search_svc_loguniform", search.fit(num(df), df["approved"]), num(df))

    b["randomized_search_svc_loguniform"] = randomized_svc

    for name, model, skops in [
        ("linear_regression", linear_model.LinearRegression(), True),
        ("ridge", scaled(preprocessing.StandardScaler(), linear_model.Ridge()), False),
        ("elastic_net", scaled(preprocessing.StandardScaler(), linear_model.ElasticNet(alpha=0.1)), False),
        ("huber", scaled(preprocessing.StandardScaler(), linear_model.HuberRegressor()), False),
        ("svr", scaled(preprocessing.StandardScaler(), svm.SVR()), False),
        ("knn_ball_tree_regressor", neighbors.KNeighborsRegressor(algorithm="ball_tree"), False),
        ("decision_tree_regressor", tree.DecisionTreeRegressor(max_depth=5, random_state=0), True),
        ("extra_trees_regressor", ensemble.ExtraTreesRegressor(n_estimators=5, random_state=0), False),
        ("hist_gradient_boosting_regressor", ensemble.HistGradientBoostingRegressor(max_iter=10, loss="poisson"), True),
        ("gradient_boosting_huber", ensemble.GradientBoostingRegressor(n_estimators=10, loss="huber", random_state=0), False),
        ("mlp_regressor", scaled(preprocessing.StandardScaler(),
                                 neural_network.MLPRegressor(hidden_layer_sizes=(8,), max_iter=100, random_state=0)), False),
        ("gaussian_process_regressor", scaled(preprocessing.StandardScaler(), gaussian_process.GaussianProcessRegressor(
            gaussian_process.kernels.ConstantKernel() * gaussian_process.kernels.RBF() + gaussian_process.kernels.WhiteKernel())), False),
        ("kernel_ridge", scaled(preprocessing.StandardScaler(), kernel_ridge.KernelRidge(kernel="rbf")), False),
        ("pls", cross_decomposition.PLSRegression(n_components=2), False),
        ("svd_ridge", scaled(preprocessing.StandardScaler(), TruncatedSVD(3, random_state=0), linear_model.Ridge()), False),
        ("transformed_target", compose.TransformedTargetRegressor(linear_model.Ridge(), func=np.log1p, inverse_func=np.expm1), False),
        ("bagging_regressor", ensemble.BaggingRegressor(tree.DecisionTreeRegressor(max_depth=3), n_estimators=4, random_state=0), False),
        ("stacking_regressor", ensemble.StackingRegressor([("r", linear_model.Ridge()), ("t", tree.DecisionTreeRegressor(max_depth=3))],
                                                          cv=3), False),
    ]:
        add(reg(name, model, skops=skops), name)

    def isotonic_regression(df: pd.DataFrame) -> Case:
        X = df["income"].to_numpy()
        return Case("isotonic_regression", isotonic.IsotonicRegression(out_of_bounds="clip").fit(X, df["loan_amount"]), X)

    b["isotonic_regression"] = isotonic_regression

    def xgboost_model(df: pd.DataFrame) -> Case:
        from xgboost import XGBClassifier

        X = mixed(df).astype({c: "category" for c in CATEGORICAL})
        model = XGBClassifier(n_estimators=10, max_depth=3, enable_categorical=True, tree_method="hist", random_state=0, n_jobs=1)
        return Case("xgboost_categorical", model.fit(X, df["approved"]), X)

    def xgboost_pipeline(df: pd.DataFrame) -> Case:
        from xgboost import XGBRegressor

        model = scaled(onehot(), XGBRegressor(n_estimators=10, max_depth=3, random_state=0, n_jobs=1))
        return Case("xgboost_regressor_pipeline", model.fit(mixed(df), df["income"]), mixed(df))

    def lightgbm_model(df: pd.DataFrame) -> Case:
        from lightgbm import LGBMClassifier

        X = mixed(df).astype({c: "category" for c in CATEGORICAL})
        model = LGBMClassifier(n_estimators=10, num_leaves=8, random_state=0, verbose=-1, n_jobs=1)
        return Case("lightgbm_categorical", model.fit(X, df["approved"]), X)

    def lightgbm_regressor(df: pd.DataFrame) -> Case:
        from lightgbm import LGBMRegressor

        model = scaled(onehot(), LGBMRegressor(n_estimators=10, num_leaves=8, random_state=0, verbose=-1, n_jobs=1))
        return Case("lightgbm_regressor_pipeline", model.fit(mixed(df), df["income"]), mixed(df))

    def tuned_threshold(df: pd.DataFrame) -> Case:
        """TunedThresholdClassifierCV holds a _CurveScorer (a false refusal before round 3)."""
        model = model_selection.TunedThresholdClassifierCV(scaled(preprocessing.StandardScaler(), lr()), cv=3)
        return Case("tuned_threshold_curve_scorer", model.fit(num(df), df["approved"]), num(df))

    def column_selector_number(df: pd.DataFrame) -> Case:
        """make_column_selector(dtype_include=np.number), the documented idiom: the pickle names numpy.number."""
        pre = compose.ColumnTransformer([("num", preprocessing.StandardScaler(), compose.make_column_selector(dtype_include=np.number)),
                                         ("cat", preprocessing.OneHotEncoder(handle_unknown="ignore"),
                                          compose.make_column_selector(dtype_exclude=np.number))])
        return Case("column_selector_np_number", scaled(pre, lr(max_iter=500)).fit(mixed(df), df["approved"]), mixed(df))

    def timestamp_named_zone(df: pd.DataFrame) -> Case:
        """A model that records when it was trained as a Timestamp in a named (zoneinfo) time zone."""
        import zoneinfo

        model = scaled(preprocessing.StandardScaler(), lr()).fit(num(df), df["approved"])
        model.trained_at_ = pd.Timestamp("2026-11-02 09:30", tz=zoneinfo.ZoneInfo("Europe/Paris"))
        return Case("timestamp_zoneinfo", model, num(df))

    b["tuned_threshold_curve_scorer"] = tuned_threshold
    b["column_selector_np_number"] = column_selector_number
    b["timestamp_zoneinfo"] = timestamp_named_zone
    b["xgboost_categorical"] = xgboost_model
    b["xgboost_regressor_pipeline"] = xgboost_pipeline
    b["lightgbm_categorical"] = lightgbm_model
    b["lightgbm_regressor_pipeline"] = lightgbm_regressor
    return b


def build_zoo(names: list[str] | None = None, n_rows: int = 300) -> list[Case]:
    """Fit the zoo's models (all of them, or those named) on ``n_rows`` rows."""
    df = data(n_rows)
    builders = _builders()
    cases = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings of deliberately tiny fits
        for name in names or builders:
            cases.append(builders[name](df))
    return cases


def zoo_names() -> list[str]:
    """The names of the zoo's models, in a stable order."""
    return list(_builders())
