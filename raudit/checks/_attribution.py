"""Choose a SHAP explainer for a model and express attributions per original input column.

The attribution record (see STYLE.md §5) has documented, stable shapes:
``values`` is ``(n_samples, n_columns)`` per *original* column, ``base`` is
``(n_samples,)``, ``output`` is the explained model output ``(n_samples,)`` in
the space named by ``output_space``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from raudit.checks._tabular import TabularCodec

TREE_CLASSES = {
    "RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier", "ExtraTreesRegressor",
    "GradientBoostingClassifier", "GradientBoostingRegressor", "HistGradientBoostingClassifier",
    "HistGradientBoostingRegressor", "DecisionTreeClassifier", "DecisionTreeRegressor", "ExtraTreeClassifier",
    "ExtraTreeRegressor", "XGBClassifier", "XGBRegressor", "LGBMClassifier", "LGBMRegressor",
}
#: Tree models whose TreeExplainer "raw" output is a margin (log-odds), not a probability.
MARGIN_TREES = {"GradientBoostingClassifier", "HistGradientBoostingClassifier", "XGBClassifier", "LGBMClassifier"}


@dataclass(frozen=True)
class Attribution:
    """SHAP values per original column for a set of rows.

    Attributes
    ----------
    values : ndarray of shape (n_samples, n_columns)
    base : ndarray of shape (n_samples,)
    output : ndarray of shape (n_samples,)
        The model output the values explain, computed independently of shap.
    columns : tuple of str
    method : str
        Explainer name and where it ran.
    reason : str
        Why that explainer was chosen.
    output_space : str
        E.g. ``"log-odds of 1"`` or ``"probability of 1"``.
    encoded_values : ndarray of shape (n_samples, n_encoded) or None
        The attributions before summing back to original columns.
    column_of_encoded : list of str or None
        The original column of each encoded feature.
    """

    values: np.ndarray
    base: np.ndarray
    output: np.ndarray
    columns: tuple[str, ...]
    method: str
    reason: str
    output_space: str
    encoded_values: np.ndarray | None = None
    column_of_encoded: list[str] | None = None

    @property
    def additivity_error(self) -> float:
        """Largest ``|sum(values) + base - output|`` over the rows."""
        return float(np.max(np.abs(self.values.sum(axis=1) + self.base - self.output))) if len(self.output) else 0.0


# -- mapping encoded features back to input columns -------------------------------------------------
def column_map(pre: Any, columns: list[str]) -> list[str] | None:
    """Return the original input column of each feature ``pre`` outputs, or ``None`` if unknown.

    Handles Pipelines of transformers, ColumnTransformer (with nested
    pipelines, passthrough and remainder), one-to-one transformers that keep
    feature names (scalers, imputers) and encoders whose output names start
    with the input name (OneHotEncoder). Anything else returns ``None`` and
    the caller falls back to the model-agnostic explainer.
    """
    return _through(pre, list(columns), list(columns))


# size: maps encoded features back through every scikit-learn transformer kind
def _through(step: Any, origin: list[str], names: list[str]) -> list[str] | None:
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    if step is None or (isinstance(step, str) and step == "passthrough"):
        return origin
    if isinstance(step, Pipeline):
        for _, sub in step.steps:
            new = _through(sub, origin, names)
            if new is None:
                return None
            names = _out_names(sub, names)
            origin = new
        return origin
    if isinstance(step, ColumnTransformer):
        index = {n: i for i, n in enumerate(getattr(step, "feature_names_in_", names))}
        out: list[str] = []
        for _, tr, cols in step.transformers_:
            if isinstance(tr, str) and tr == "drop":
                continue
            idx = _indices(cols, index, len(names))
            if not idx:
                continue
            sub = _through(tr, [origin[i] for i in idx], [names[i] for i in idx])
            if sub is None:
                return None
            out += sub
        return out
    try:
        out_names = [str(n) for n in step.get_feature_names_out(names)]
    except Exception:
        return None
    if len(names) == 1:
        return origin * len(out_names)
    if out_names == list(names):
        return list(origin)
    mapped = []
    for o in out_names:
        best = max((n for n in names if o == n or o.startswith(n + "_")), key=len, default=None)
        if best is None:
            return None
        mapped.append(origin[names.index(best)])
    return mapped


def _indices(cols: Any, index: dict[str, int], n: int) -> list[int]:
    if isinstance(cols, slice):
        return list(range(n))[cols]
    arr = np.asarray(cols)
    if arr.dtype == bool:
        return [int(i) for i in np.flatnonzero(arr)]
    if arr.dtype.kind in "iu":
        return [int(i) for i in arr]
    return [index[str(c)] for c in arr.tolist()]


def _out_names(step: Any, names: list[str]) -> list[str]:
    try:
        return [str(n) for n in step.get_feature_names_out(names)]
    except Exception:
        return names


# -- explainers ------------------------------------------------------------------------------------
def explain(
    model: Any, X: pd.DataFrame, background: pd.DataFrame, *, task: str, class_index: np.ndarray | int | None,
    class_label: str, seed: int, agnostic_evals: int = 0,
) -> Attribution:
    """Attribute the model output on ``X`` to its input columns.

    Parameters
    ----------
    model : fitted estimator or Pipeline
    X : DataFrame of the rows to explain (the model's input columns)
    background : DataFrame
        Rows used as the reference distribution (linear and model-agnostic paths).
    task : {"binary", "multiclass", "regression"}
    class_index : int or ndarray of int or None
        Which class's output to explain (per row for an array); ``None`` for regression.
    class_label : str
        How to name the explained output in the report.
    seed : int
    """
    _import_shap()
    columns = [str(c) for c in X.columns]
    final, pre, mapping = _split(model, columns)
    kind = _fast_kind(final, pre, mapping, X)
    name = type(final).__name__
    if kind == "tree" and mapping is not None:
        try:
            return _tree(final, pre, X, mapping, columns, task=task, class_index=class_index, class_label=class_label)
        except Exception as exc:  # e.g. an unsupported tree variant: fall through to model-agnostic
            reason = f"TreeExplainer failed ({type(exc).__name__}: {exc}); "
    elif kind == "linear" and mapping is not None:
        return _linear(final, pre, X, background, mapping, columns, task=task, class_index=class_index, class_label=class_label)
    else:
        reason = ("the preprocessing cannot be mapped back to input columns; " if mapping is None else "") + \
            f"{name} is neither a tree ensemble nor a linear model; "
    return _agnostic(model, X, background, task=task, class_index=class_index, class_label=class_label, seed=seed,
                     reason=reason + "used the model-agnostic permutation explainer on the raw columns", max_evals=agnostic_evals)


def _split(model: Any, columns: list[str]) -> tuple[Any, Any, list[str] | None]:
    """The final estimator, the preprocessing before it (or None), and the input column of each encoded feature."""
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline):
        return model[-1], model[:-1], column_map(model[:-1], columns)
    return model, None, columns


def _fast_kind(final: Any, pre: Any, mapping: list[str] | None, X: pd.DataFrame) -> str | None:
    """``"tree"`` or ``"linear"`` when an exact, fast explainer applies; ``None`` for the model-agnostic path."""
    if mapping is None or (pre is None and not all(pd.api.types.is_numeric_dtype(X[c]) for c in X.columns)):
        return None
    if type(final).__name__ in TREE_CLASSES:
        return "tree"
    if hasattr(final, "coef_") and type(final).__module__.startswith("sklearn.linear_model"):
        return "linear"
    return None


def fast_explainer(model: Any, X: pd.DataFrame) -> str | None:
    """Which fast explainer :func:`explain` will use for ``model`` on ``X`` (``None``: model-agnostic, slow)."""
    return _fast_kind(*_split(model, [str(c) for c in X.columns]), X)


def _import_shap() -> Any:
    """Import shap without the deprecation noise its import makes under new matplotlib."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import shap
    return shap


def _model_input(pre: Any, X: pd.DataFrame) -> tuple[Any, np.ndarray]:
    """What the final estimator takes (for its own methods) and the same as a float matrix (for shap)."""
    if pre is None:
        return X, X.to_numpy(dtype=float)
    Z = _dense(pre.transform(X))
    return Z, Z


def _dense(Z: Any) -> np.ndarray:
    return np.asarray(Z.toarray() if hasattr(Z, "toarray") else Z, dtype=float)


def _pick(values: np.ndarray, base: np.ndarray, class_index: np.ndarray | int | None) -> tuple[np.ndarray, np.ndarray]:
    """One output per row: (n, m) values as they are, or row-wise class selection from (n, m, k)."""
    n = values.shape[0]
    base = np.asarray(base, dtype=float)
    if values.ndim == 2:
        return values, np.broadcast_to(base.reshape(-1), (n,)).copy()
    rows = np.arange(n)
    ci = np.broadcast_to(np.asarray(class_index), (n,))
    base = np.broadcast_to(base.reshape(-1, values.shape[2]), (n, values.shape[2]))
    return values[rows, :, ci], base[rows, ci]


def _sum_columns(enc: np.ndarray, mapping: list[str], columns: list[str]) -> np.ndarray:
    out = np.zeros((enc.shape[0], len(columns)))
    where = {c: i for i, c in enumerate(columns)}
    for j, col in enumerate(mapping):
        out[:, where[col]] += enc[:, j]
    return out


def _tree(final: Any, pre: Any, X: pd.DataFrame, mapping: list[str], columns: list[str], *, task: str,
          class_index: Any, class_label: str) -> Attribution:
    shap = _import_shap()
    Zin, Z = _model_input(pre, X)
    explainer = shap.TreeExplainer(final)
    exp = explainer(Z, check_additivity=False)
    name = type(final).__name__
    margin = name in MARGIN_TREES
    if task == "regression":
        values, base, output, space = exp.values, exp.base_values, final.predict(Zin), "predicted value"
    else:
        raw = _margin(final, Zin) if margin else final.predict_proba(Zin)
        values, base = exp.values, exp.base_values
        if values.ndim == 2 and raw.ndim == 2 and raw.shape[1] == 2 and not margin:
            raw = raw[:, 1]  # pragma: no cover - shap gives (n, m, 2) for forests
        if values.ndim == 3:
            values, base = _pick(values, base, class_index)
            output = raw[np.arange(len(Z)), np.broadcast_to(class_index, (len(Z),))] if raw.ndim == 2 else raw
        else:  # binary margin models: one output, the second class's log-odds
            values, base = _pick(values, base, None)
            output = raw if raw.ndim == 1 else raw[:, 1]
            if isinstance(class_index, (int, np.integer)) and class_index == 0:
                values, base, output = -values, -base, -output
        space = f"{'log-odds' if margin else 'probability'} of {class_label}"
    values, base = np.asarray(values, dtype=float), np.asarray(base, dtype=float).reshape(-1)
    return Attribution(
        _sum_columns(values, mapping, columns), base, np.asarray(output, dtype=float),
        tuple(columns), f"shap.TreeExplainer on {name}" + (" (after the pipeline's preprocessing)" if pre is not None else ""),
        f"{name} is a tree ensemble: TreeExplainer is exact and fast"
        + ("; attributions of encoded features are summed back to the input columns" if pre is not None else ""),
        space, values, mapping,
    )


def _margin(final: Any, Z: np.ndarray) -> np.ndarray:
    name = type(final).__name__
    if name.startswith("XGB"):
        return np.asarray(final.predict(Z, output_margin=True))
    if name.startswith("LGBM"):
        return np.asarray(final.predict(Z, raw_score=True))
    return np.asarray(final.decision_function(Z))


def _linear(final: Any, pre: Any, X: pd.DataFrame, background: pd.DataFrame, mapping: list[str], columns: list[str], *,
            task: str, class_index: Any, class_label: str) -> Attribution:
    shap = _import_shap()
    Zin, Z = _model_input(pre, X)
    B = _model_input(pre, background)[1]
    exp = shap.LinearExplainer(final, B)(Z)
    values, base = np.asarray(exp.values, dtype=float), np.asarray(exp.base_values, dtype=float)
    if task == "regression":
        output, space = final.predict(Zin), "predicted value"
    else:
        raw = np.asarray(final.decision_function(Zin))
        if raw.ndim == 1:
            output = raw
            if isinstance(class_index, (int, np.integer)) and class_index == 0:
                values, base, output = -values, -base, -output
        else:
            values, base = _pick(values, base, class_index)
            output = raw[np.arange(len(Z)), np.broadcast_to(class_index, (len(Z),))]
        space = f"log-odds of {class_label}"
    base = np.broadcast_to(np.asarray(base, dtype=float).reshape(-1), (len(Z),)).copy()
    return Attribution(
        _sum_columns(values, mapping, columns), base, np.asarray(output, dtype=float), tuple(columns),
        f"shap.LinearExplainer on {type(final).__name__}" + (" (after the pipeline's preprocessing)" if pre is not None else ""),
        f"{type(final).__name__} is linear: LinearExplainer is exact (interventional, against the background sample)",
        space, values, mapping,
    )


def output_kind(model: Any, task: str) -> str:
    """What the model-agnostic path explains: ``"value"``, ``"probability"`` or ``"decision"`` (no probabilities)."""
    if task == "regression":
        return "value"
    if callable(getattr(model, "predict_proba", None)):
        return "probability"
    if callable(getattr(model, "decision_function", None)):
        return "decision"
    raise ValueError("the classifier has neither predict_proba nor decision_function: there is no score to explain")


def predict_function(model: Any, codec: TabularCodec, *, task: str, class_index: Any) -> Callable[[np.ndarray], np.ndarray]:
    """A function of a code matrix that returns the explained output (one column).

    Classifiers are explained through ``predict_proba``, or ``decision_function`` when they give no probabilities.
    """
    kind = output_kind(model, task)

    def f(codes: np.ndarray) -> np.ndarray:
        frame = codec.decode(codes)
        if kind == "value":
            return np.asarray(model.predict(frame), dtype=float)
        out = np.asarray(model.predict_proba(frame) if kind == "probability" else model.decision_function(frame), dtype=float)
        if out.ndim == 1:  # a binary decision function: the second class's score
            return out if np.all(np.asarray(class_index) == 1) else -out
        return out[:, class_index] if np.ndim(class_index) == 0 else out[np.arange(len(frame)), class_index]

    return f


def _agnostic(model: Any, X: pd.DataFrame, background: pd.DataFrame, *, task: str, class_index: Any, class_label: str,
              seed: int, reason: str, max_evals: int) -> Attribution:
    shap = _import_shap()
    codec = TabularCodec.fit(pd.concat([background, X]))
    values = np.zeros((len(X), X.shape[1]))
    base = np.zeros(len(X))
    codes_x, codes_b = codec.encode(X), codec.encode(background)
    ci = np.broadcast_to(np.asarray(class_index if class_index is not None else 0), (len(X),))
    # one explainer per explained class (rows explaining the same class are batched)
    for c in np.unique(ci):
        rows = np.flatnonzero(ci == c)
        f = predict_function(model, codec, task=task, class_index=int(c) if class_index is not None else None)
        explainer = shap.PermutationExplainer(f, shap.maskers.Independent(codes_b, max_samples=len(codes_b)), seed=seed)
        evals = max_evals or 2 * X.shape[1] + 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exp = explainer(codes_x[rows], max_evals=max(evals, 2 * X.shape[1] + 1), silent=True)
        values[rows] = exp.values
        base[rows] = np.asarray(exp.base_values, dtype=float).reshape(-1)
    f_all = predict_function(model, codec, task=task, class_index=ci if class_index is not None else None)
    output = f_all(codes_x)
    kind = output_kind(model, task)
    space = {"value": "predicted value", "probability": f"probability of {class_label}",
             "decision": f"decision function for {class_label}"}[kind]
    return Attribution(values, base, output, tuple(str(c) for c in X.columns),
                       "shap.PermutationExplainer on the whole model (raw columns, categoricals as codes)", reason, space)
