"""The audit context: data split once, predictions computed once, shared by all checks."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from raudit._adapters import ModelAdapter, Task, _label
from raudit._config import AuditConfig
from raudit._errors import InputError

if TYPE_CHECKING:
    from raudit._profile import Profile

__all__ = ["AuditContext", "build_context", "guess_sensitive"]

#: Column names that usually hold protected attributes (matched as whole words).
SENSITIVE_NAME_PATTERN = re.compile(
    r"(^|[_\W])(sex|gender|race|ethnicity|ethnic|age|religion|nationality|native[_-]?country|"
    r"disability|marital[_-]?status|pregnan\w*|sexual[_-]?orientation)($|[_\W])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class AuditContext:
    """Everything a check may read; built once per audit.

    Attributes
    ----------
    data : DataFrame
        The whole dataset as loaded (features, target, sensitive and any
        other columns).
    X : DataFrame
        The model's input columns, in the model's order.
    y : ndarray of shape (n_samples,)
        True labels or values.
    sensitive : DataFrame
        The sensitive columns (may be empty).
    y_pred : ndarray of shape (n_samples,)
        Predictions, computed once.
    y_proba : ndarray of shape (n_samples, n_classes) or None
        Class probabilities, columns ordered as ``classes``.
    task : {"binary", "multiclass", "regression"}
    classes : ndarray or None
    positive_label : object or None
        The positive class for binary tasks.
    model : ModelAdapter or None
        ``None`` when auditing recorded predictions without a model.
    config : AuditConfig
    sources : mapping
        Paths of the input files (``"model"``, ``"data"``, ``"reference"``), ``None`` for in-memory inputs.
    reference : Profile or None
        The reference profile the drift check compares with (``--reference``).
    """

    data: pd.DataFrame
    X: pd.DataFrame
    y: np.ndarray
    sensitive: pd.DataFrame
    y_pred: np.ndarray
    y_proba: np.ndarray | None
    task: Task
    classes: np.ndarray | None
    positive_label: Any
    model: ModelAdapter | None
    config: AuditConfig
    sources: Mapping[str, str | None] = field(default_factory=dict)
    reference: Profile | None = None

    @property
    def seed(self) -> int:
        """The audit's seed."""
        return self.config.seed

    @property
    def n_rows(self) -> int:
        """Number of audited rows."""
        return len(self.y)

    @property
    def y_score(self) -> np.ndarray | None:
        """Probability of the positive class (binary tasks only)."""
        if self.task != "binary" or self.y_proba is None or self.classes is None:
            return None
        return self.y_proba[:, int(np.flatnonzero(self.classes == self.positive_label)[0])]

    def rng(self, salt: str) -> np.random.Generator:
        """Return a generator seeded from the audit seed and a per-use ``salt``.

        Different checks get independent but reproducible streams.
        """
        return np.random.default_rng([self.config.seed, *salt.encode()])


def guess_sensitive(columns: Sequence[str], *, exclude: Sequence[str] = ()) -> tuple[str, ...]:
    """Suggest sensitive columns by name.

    Examples
    --------
    >>> guess_sensitive(["age", "income", "sex", "race_code", "usage"])
    ('age', 'sex', 'race_code')
    """
    return tuple(c for c in columns if c not in exclude and SENSITIVE_NAME_PATTERN.search(c))


def _resolve_target(config: AuditConfig, columns: Sequence[str], features: Sequence[str] | None) -> str:
    if config.target is not None:
        if config.target not in columns:
            raise InputError(
                f"target column {config.target!r} is not in the data",
                hint=f"the data has: {_list(columns)}",
            )
        return config.target
    if features is None:
        raise InputError(
            "cannot detect the target: the model does not record its input columns",
            hint="name the label column with --target COLUMN",
        )
    left = [c for c in columns if c not in features and c not in config.sensitive]
    if len(left) == 1:
        return left[0]
    raise InputError(
        "cannot detect the target column: "
        + (f"{len(left)} columns are not model inputs ({_list(left)})" if left else "every column is a model input"),
        hint="name the label column with --target COLUMN",
    )


def _list(items: Sequence[str], limit: int = 12) -> str:
    shown = ", ".join(repr(i) for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def build_context(
    model: ModelAdapter | None,
    data: pd.DataFrame,
    config: AuditConfig,
    *,
    y_pred_column: str | None = None,
    y_score_column: str | None = None,
    sources: Mapping[str, str | None] | None = None,
) -> tuple[AuditContext, AuditConfig]:
    """Validate ``data`` against ``model`` and compute predictions once.

    Returns the context and the config with the target and sensitive
    columns resolved (detected or guessed ones filled in).

    Raises
    ------
    InputError
        Missing target or feature columns, missing labels, a target with one
        class, labels the model does not know, or a model that fails to
        predict on the data.
    """
    if data.empty:
        raise InputError("the data has no rows")
    columns = list(data.columns)
    features = config.features or (model.feature_names if model is not None else None)
    target = _resolve_target(config, columns, features)
    if config.sensitive:
        missing = [c for c in config.sensitive if c not in columns]
        if missing:
            raise InputError(f"sensitive column(s) not in the data: {_list(missing)}", hint=f"the data has: {_list(columns)}")
    else:
        guessed = guess_sensitive(columns, exclude=(target,))
        config = config.replace(sensitive=guessed, sensitive_guessed=bool(guessed))
    config = config.replace(target=target)

    y_series = data[target]
    if y_series.isna().any():
        n = int(y_series.isna().sum())
        raise InputError(f"target column {target!r} has {n} missing value(s)", hint="drop or fill the unlabelled rows before the audit")

    if model is None:  # recorded decisions: every other column is context, never the decisions themselves
        X = data.drop(columns=[c for c in (target, y_pred_column, y_score_column) if c is not None and c in data.columns])
        task, classes, y_pred, y_proba = _recorded_predictions(data, target, y_pred_column, y_score_column)
    else:
        X = _model_input(model, data, target, config)
        task, classes = model.task, model.classes_
        try:
            y_pred = np.asarray(model.predict(X))
            y_proba = model.predict_proba(X)
        except Exception as exc:
            raise InputError(
                f"the model failed to predict on the data: {type(exc).__name__}: {exc}",
                hint="check that the data has the columns and types the model was trained on",
            ) from None

    y = y_series.to_numpy()
    positive: Any = None
    if task != "regression":
        assert classes is not None
        y = _align_labels(y, classes, target)
        if len(np.unique(y)) < 2:
            raise InputError(
                f"target column {target!r} has a single class ({_label(y[0])!r}) in the data",
                hint="a classifier cannot be audited on one class; use data with both outcomes",
            )
        if task == "binary":
            positive = _positive_label(config.positive_label, classes)
    else:
        if not pd.api.types.is_numeric_dtype(y_series):
            raise InputError(f"target column {target!r} is not numeric, but the model is a regressor")
        y = y.astype(float)

    ctx = AuditContext(
        data=data,
        X=X,
        y=y,
        sensitive=data[list(config.sensitive)],
        y_pred=y_pred,
        y_proba=y_proba,
        task=task,
        classes=classes,
        positive_label=positive,
        model=model,
        config=config,
        sources=dict(sources or {}),
    )
    return ctx, config


def _model_input(model: ModelAdapter, data: pd.DataFrame, target: str, config: AuditConfig) -> pd.DataFrame:
    features = config.features or model.feature_names
    if features is None:
        n = getattr(model.model, "n_features_in_", None)
        excluded = {target, *config.sensitive}
        features = tuple(c for c in data.columns if c not in excluded and pd.api.types.is_numeric_dtype(data[c]))
        if n is not None and n != len(features):
            raise InputError(
                f"the model takes {n} unnamed inputs but the data has {len(features)} numeric non-target, "
                "non-sensitive columns",
                hint="name the model's input columns in order with --features a,b,c",
            )
    missing = [c for c in features if c not in data.columns]
    if missing:
        raise InputError(
            f"the data lacks {len(missing)} column(s) the model needs: {_list(missing)}",
            hint="audit the model on data with the same columns it was trained on",
        )
    if target in features:
        raise InputError(f"the target {target!r} is one of the model's inputs", hint="choose the label column with --target")
    return data[list(features)]


def _align_labels(y: np.ndarray, classes: np.ndarray, target: str) -> np.ndarray:
    """Express the target in the model's label type; error on unknown labels."""
    known = set(classes.tolist())
    values = pd.unique(y)
    if all(v in known for v in values):
        return y
    as_str = {str(c): c for c in classes.tolist()}
    if all(str(v) in as_str for v in values):
        return np.array([as_str[str(v)] for v in y], dtype=classes.dtype)
    unknown = [_label(v) for v in values if v not in known and str(v) not in as_str]
    raise InputError(
        f"target column {target!r} holds labels the model does not predict: {unknown[:5]!r}",
        hint=f"the model's classes are {[_label(c) for c in classes]!r}; check --target",
    )


def _positive_label(configured: str | None, classes: np.ndarray) -> Any:
    if configured is None:
        return classes[1]
    for c in classes:
        if str(c) == str(configured):
            return c
    raise InputError(f"positive label {configured!r} is not one of the model's classes {[_label(c) for c in classes]!r}")


def _recorded_predictions(
    data: pd.DataFrame, target: str, y_pred_column: str | None, y_score_column: str | None
) -> tuple[Task, np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Read predictions recorded in the data (audits without a model)."""
    if y_pred_column is None:
        raise InputError("auditing recorded predictions needs --y-pred COLUMN")
    for col in (y_pred_column, y_score_column):
        if col is not None and col not in data.columns:
            raise InputError(f"prediction column {col!r} is not in the data", hint=f"the data has: {_list(list(data.columns))}")
    y_pred = data[y_pred_column].to_numpy()
    y_true = data[target]
    if pd.api.types.is_float_dtype(y_true) and y_true.nunique() > 20:
        return "regression", None, y_pred.astype(float), None
    unknown = sorted(set(map(str, pd.unique(y_pred))) - set(map(str, pd.unique(y_true))))
    if unknown:
        raise InputError(f"decision column {y_pred_column!r} holds labels the target {target!r} never has: {unknown[:5]}",
                         hint="decisions and labels must use the same values (e.g. both 0/1)")
    classes = np.array(sorted(set(y_true.tolist()), key=str))
    lookup = {str(c): c for c in classes}
    y_pred = np.array([lookup[str(v)] for v in y_pred.tolist()], dtype=classes.dtype)
    task: Task = "binary" if len(classes) == 2 else "multiclass"
    y_proba = None
    if y_score_column is not None:
        if task != "binary":
            raise InputError("--y-score is supported for binary decisions only")
        column = data[y_score_column]
        if not pd.api.types.is_numeric_dtype(column) or column.isna().any() or not column.between(0, 1).all():
            raise InputError(f"score column {y_score_column!r} must hold probabilities in [0, 1] with no gaps",
                             hint="give the positive class's score, or leave out --y-score")
        score = column.to_numpy(dtype=float)
        y_proba = np.column_stack([1 - score, score])
    return task, classes, y_pred, y_proba

