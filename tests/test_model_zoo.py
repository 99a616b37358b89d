"""A broad zoo of legitimate fitted models loads without any trust flag and predicts exactly as the original."""

from __future__ import annotations

import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import joblib
import numpy as np
import pytest

from raudit.load.models import load_model
from tests.zoo import build_zoo

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def zoo():
    return build_zoo()


def test_the_zoo_covers_every_family(zoo):
    names = {c.name for c in zoo}
    assert len(zoo) >= 70
    for family in ("logistic_regression", "svc_probability", "knn_kd_tree", "gaussian_nb", "decision_tree", "random_forest",
                   "extra_trees", "gradient_boosting", "hist_gradient_boosting", "adaboost", "bagging_knn", "mlp_classifier",
                   "gaussian_process", "calibrated_isotonic", "stacking", "voting_soft", "column_transformer_onehot",
                   "target_encoder", "polynomial_ridge_classifier", "function_transformer_log1p", "tfidf_logistic",
                   "grid_search", "randomized_search_scipy_stats", "transformed_target", "xgboost_categorical",
                   "lightgbm_categorical", "pandas_str_index_columns", "isotonic_regression",
                   "tuned_threshold_curve_scorer", "column_selector_np_number", "timestamp_zoneinfo"):
        assert family in names, family


def _same(case, loaded):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for expected, got in zip(case.outputs(case.model), case.outputs(loaded)):
            np.testing.assert_array_equal(expected, got)


@pytest.mark.parametrize("how", ["joblib", "joblib-zlib", "joblib-xz", "pickle-2", "pickle-5"])
def test_every_model_loads_untrusted_and_predicts_identically(zoo, tmp_path, how):
    for case in zoo:
        path = tmp_path / f"{case.name}.{'joblib' if how.startswith('joblib') else 'pkl'}"
        if how == "joblib":
            joblib.dump(case.model, path)
        elif how.startswith("joblib-"):
            joblib.dump(case.model, path, compress=(how.split("-")[1], 3))
        else:
            path.write_bytes(pickle.dumps(case.model, protocol=int(how[-1])))
        adapter = load_model(path)
        assert "exact allow-list" in adapter.load_info["trust"], case.name
        _same(case, adapter.model)


def test_skops_files_of_common_models_load_untrusted(zoo, tmp_path):
    import skops.io as sio

    cases = [c for c in zoo if c.skops]
    assert len(cases) >= 12
    for case in cases:
        path = tmp_path / f"{case.name}.skops"
        sio.dump(case.model, path)
        adapter = load_model(path)
        assert adapter.load_info["format"] == "skops", case.name
        _same(case, adapter.model)


def test_scipy_distributions_are_rebuilt_not_exec_ed(zoo, tmp_path):
    """The pickled state's executable part is never used: the loaded distribution is what scipy's constructor builds."""
    case = next(c for c in zoo if c.name == "randomized_search_scipy_stats")
    path = tmp_path / "search.joblib"
    joblib.dump(case.model, path)
    search = load_model(path).model
    for name, frozen in case.model.param_distributions.items():
        loaded = search.param_distributions[name]
        assert type(loaded.dist) is type(frozen.dist) and loaded.args == frozen.args and loaded.kwds == frozen.kwds
        assert loaded.dist._parse_arg_template == type(frozen.dist)(**frozen.dist._updated_ctor_param())._parse_arg_template
        np.testing.assert_array_equal(loaded.rvs(size=5, random_state=1), frozen.rvs(size=5, random_state=1))


def test_allow_list_script_finds_nothing_missing_for_the_zoo():
    """scripts/allowlist_globals.py --check: the reviewed list covers every global the zoo's pickles import."""
    done = subprocess.run([sys.executable, "scripts/allowlist_globals.py", "--check"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 not in the allow-list" in done.stdout
