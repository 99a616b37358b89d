"""The reviewed state (``raudit/load/pickle/state.py``): what a loaded model's attributes would make library code do.

Each rule is planted in an otherwise ordinary scikit-learn object, saved with joblib, and loaded with raudit's
unpickler: the rule must refuse it, naming the class and the attribute; the same object without the planted state loads.
"""

from __future__ import annotations

import joblib
import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, make_scorer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

import raudit
from raudit.load.pickle.unpickler import safe_load


def _load(tmp_path, obj):
    path = tmp_path / "model.joblib"
    joblib.dump(obj, path)
    return safe_load(path)[0]


def test_a_reviewed_function_in_a_called_attribute_loads(tmp_path):
    loaded = _load(tmp_path, FunctionTransformer(np.log1p, inverse_func=np.expm1))
    assert loaded.func is np.log1p and loaded.inverse_func is np.expm1


@pytest.mark.parametrize("gadget", [LogisticRegression, make_scorer(accuracy_score)], ids=["a class", "a scorer"])
def test_a_class_or_callable_object_in_a_called_attribute_is_refused(tmp_path, gadget):
    """Every allowed class is callable: FunctionTransformer(func=<class or object>) would call it with the data."""
    with pytest.raises(raudit.InputError, match=r"FunctionTransformer\.func holds a .* which the model would call"):
        _load(tmp_path, FunctionTransformer(gadget))


def test_a_pipeline_that_names_a_cache_folder_is_refused(tmp_path):
    """A joblib cache is read with the plain unpickler when the pipeline is refitted: a model may not name a place."""
    steps = [("scale", StandardScaler()), ("m", LogisticRegression())]
    assert _load(tmp_path, Pipeline(steps)).memory is None
    with pytest.raises(raudit.InputError, match=r"Pipeline\.memory is .*cache.*must not name a place"):
        _load(tmp_path, Pipeline(steps, memory=str(tmp_path / "cache")))


def test_a_scorer_may_call_only_the_prediction_methods(tmp_path):
    """A scorer calls getattr(estimator, _response_method)(X): save_model there would write where the model says."""
    scorer = make_scorer(accuracy_score)
    assert _load(tmp_path, scorer)._response_method == "predict"
    scorer._response_method = "save_model"
    with pytest.raises(raudit.InputError, match=r"_response_method is 'save_model': a scorer may call only predict"):
        _load(tmp_path, scorer)


def test_a_vectoriser_that_opens_each_row_as_a_file_is_refused(tmp_path):
    assert _load(tmp_path, CountVectorizer()).input == "content"
    with pytest.raises(raudit.InputError, match=r"CountVectorizer\.input"):
        _load(tmp_path, CountVectorizer(input="filename"))


def test_a_huge_range_is_refused_before_anything_materialises_it(tmp_path):
    assert _load(tmp_path, FunctionTransformer(np.log1p, kw_args={"r": range(10)})).kw_args["r"] == range(10)
    with pytest.raises(raudit.InputError, match=r"builtins.range \(range\(0, 1000000000, 1\) holds more than 10,000,000 items"):
        _load(tmp_path, FunctionTransformer(np.log1p, kw_args={"r": range(10**9)}))
