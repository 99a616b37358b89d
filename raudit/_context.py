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
    id_column : str or None
        The column identifying rows (configured, or a unique ``id``/``*_id``
        column the model does not take); ``None``: rows are named by their
        0-based position.
    training_record : mapping or None
        The model's training record (``<model file>.raudit.json`` written by
        :func:`raudit.track_training`), if it has one.
    favourable : object or None
        The favourable class (the outcome a person wants): the configured
        one, else the positive class of a binary task; ``None`` for
        regression and unconfigured multiclass tasks.
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
    favourable: Any = None
    training_record: Mapping[str, Any] | None = None
    id_column: str | None = None
    reference: Profile | None = None

    @property
    def seed(self) -> int:
        """The audit's seed."""
        return self.config.seed

    @property
    def n_rows(self) -> int:
        """Number of audited rows."""
        return len(self.y)

    def row_name(self, position: int) -> str:
        """How the report names one row: its id, with its 0-based position."""
        if self.id_column is None:
            return f"row {position} (0-based position)"
        return f"{self.id_column} {_label(self.data[self.id_column].iloc[position])} (row {position}, 0-based)"

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
            raise _not_in_data(f"target column {config.target!r} is not in the data", [config.target], columns)
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


def _not_in_data(message: str, asked: Sequence[str], columns: Sequence[str]) -> InputError:
    """An error for columns the data lacks, suggesting the closest names first (case-insensitive)."""
    import difflib

    lower = {c.lower(): c for c in columns}
    close = []
    for name in asked:
        match = lower.get(name.lower()) or next(iter(difflib.get_close_matches(name.lower(), list(lower), n=1, cutoff=0.6)), None)
        if match is not None:
            close.append(f"{name!r} → {lower.get(match, match)!r}")
    hint = (f"did you mean {', '.join(close)}? " if close else "") + f"the data has {len(columns)} columns: {_list(columns)}"
    return InputError(message, hint=hint)


def build_context(
    model: ModelAdapter | None,
    data: pd.DataFrame,
    config: AuditConfig,
    *,
    y_pred_column: str | None = None,
    y_score_column: str | None = None,
    sources: Mapping[str, str | None] | None = None,
    training_record: Mapping[str, Any] | None = None,
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
            raise _not_in_data(f"sensitive column(s) not in the data: {_list(missing)}", missing, columns)
    else:
        guessed = guess_sensitive(columns, exclude=(target,))
        config = config.replace(sensitive=guessed, sensitive_guessed=bool(guessed))
    config = config.replace(target=target)
    _check_group_counts(data, config)

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
    favourable: Any = None
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
        favourable = _favourable(config.favourable, classes, positive)
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
        favourable=favourable,
        training_record=training_record,
        id_column=_id_column(config, data, X, target),
    )
    return ctx, config


def _check_group_counts(data: pd.DataFrame, config: AuditConfig) -> None:
    """A categorical sensitive column with more distinct values than ``config.max_groups`` is an input error.

    Numeric columns are binned by the checks (quartiles by default, or the
    configured ``bins``), so only categorical ones can explode into thousands
    of groups (an id column given as sensitive, say).
    """
    for col in config.sensitive:
        column = data[col]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            continue
        k = int(column.nunique(dropna=True))
        if k > config.max_groups:
            guessed = " (it was guessed from its name: name the sensitive columns with --sensitive)" if config.sensitive_guessed else ""
            raise InputError(
                f"sensitive column {col!r} has {k:,} distinct values; groups that small cannot be compared{guessed}",
                hint=f"is {col!r} an id? Choose another sensitive column, merge its categories, or raise max_groups "
                     f"(now {config.max_groups}) in raudit.toml",
            )


def _model_input(model: ModelAdapter, data: pd.DataFrame, target: str, config: AuditConfig) -> pd.DataFrame:
    features = config.features or model.feature_names
    if features is None:
        n = getattr(model.model, "n_features_in_", None)
        raise InputError(
            f"the model does not record which columns it takes{f' (it takes {n} unnamed inputs)' if n else ''}; raudit will "
            "not guess them from the data's column order",
            hint="name the model's input columns, in the order it was trained on, with --features a,b,c "
                 "(or fit the model on a DataFrame so that it records them)",
        )
    missing = [c for c in features if c not in data.columns]
    if missing:
        raise _not_in_data(f"the data lacks {len(missing)} column(s) the model needs: {_list(missing)}", missing, list(data.columns))
    n = getattr(model.model, "n_features_in_", None)
    if n is not None and n != len(features):
        raise InputError(f"the model takes {n} inputs but --features names {len(features)}",
                         hint="name exactly the model's input columns, in training order")
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


def _as_target_labels(decisions: np.ndarray, classes: np.ndarray, column: str, target: str) -> np.ndarray:
    """Express recorded decisions in the target's labels, comparing values (0.0 is the label 0), not their text.

    Raises
    ------
    InputError
        Decisions the target never takes, or missing decisions.
    """
    values = pd.Series(decisions)
    if values.isna().any():
        raise InputError(f"decision column {column!r} has {int(values.isna().sum())} missing value(s)",
                         hint="every audited row needs a recorded decision; drop the rows without one")
    numeric = pd.api.types.is_numeric_dtype(values) and pd.api.types.is_numeric_dtype(pd.Series(classes))
    lookup: dict[Any, Any]
    key: pd.Series
    if numeric:
        lookup, key = {float(c): c for c in classes.tolist()}, values.astype(float)
    else:
        lookup, key = {str(c): c for c in classes.tolist()}, values.astype(str)
    unknown = sorted({v for v in pd.unique(key) if v not in lookup}, key=str)
    if unknown:
        raise InputError(
            f"decision column {column!r} holds values the target {target!r} never has: {[_label(u) for u in unknown[:5]]}",
            hint=f"the target's labels are {[_label(c) for c in classes.tolist()]}; decisions must use the same labels "
                 "(check --y-pred and --target)",
        )
    return np.array([lookup[v] for v in key.tolist()], dtype=classes.dtype)


ID_NAME = re.compile(r"(^|[_\W])id$", re.IGNORECASE)


def _id_column(config: AuditConfig, data: pd.DataFrame, X: pd.DataFrame, target: str) -> str | None:
    """The configured id column (checked), else a unique ``id``/``*_id`` column that is not an input, else none."""
    if config.id_column is not None:
        if config.id_column not in data.columns:
            raise _not_in_data(f"id column {config.id_column!r} is not in the data", [config.id_column], list(data.columns))
        if not data[config.id_column].is_unique:
            raise InputError(f"id column {config.id_column!r} has repeated values, so it cannot name single rows",
                             hint="choose a column with one distinct value per row, or leave id_column out")
        return config.id_column
    for col in data.columns:
        if ID_NAME.search(col) and col not in X.columns and col != target and data[col].notna().all() and data[col].is_unique:
            return str(col)
    return None


def _favourable(configured: Any, classes: np.ndarray, positive: Any) -> Any:
    """The favourable class: the configured one (matched by value or text), else the positive class."""
    if configured is None:
        return positive
    for c in classes.tolist():
        if c == configured or str(c) == str(configured):
            return c
    raise InputError(f"favourable outcome {configured!r} is not one of the classes {[_label(c) for c in classes]!r}",
                     hint="set favourable to the class a person wants (e.g. favourable = 1 or favourable = \"approved\")")


def _recorded_predictions(
    data: pd.DataFrame, target: str, y_pred_column: str | None, y_score_column: str | None
) -> tuple[Task, np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Read predictions recorded in the data (audits without a model)."""
    if y_pred_column is None:
        raise InputError("auditing recorded predictions needs --y-pred COLUMN")
    for col in (y_pred_column, y_score_column):
        if col is not None and col not in data.columns:
            raise _not_in_data(f"prediction column {col!r} is not in the data", [col], list(data.columns))
    y_pred = data[y_pred_column].to_numpy()
    y_true = data[target]
    if pd.api.types.is_float_dtype(y_true) and y_true.nunique() > 20:
        return "regression", None, y_pred.astype(float), None
    classes = np.array(sorted(pd.unique(y_true).tolist(), key=str))
    y_pred = _as_target_labels(y_pred, classes, y_pred_column, target)
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

