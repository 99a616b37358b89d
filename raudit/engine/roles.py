"""What each column is: the roles the user gave, resolved against the data and the model into one frozen record.

:func:`column_roles` runs before any row is read (it needs the column names only): the target (given,
or the one column the model does not take), the sensitive columns (given, or guessed by name), the
model's inputs, the id and recorded-decision columns. :func:`label_roles` runs after the first pass,
from the target's value counts: the task, the classes, the positive and the favourable class. Nothing
here writes back into the configuration.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from raudit.config import AuditConfig
from raudit.errors import ConfigError, InputError
from raudit.load.adapters import ModelAdapter, Task, label_text
from raudit.stats.counts import ValueCounts

__all__ = ["Roles", "Labels", "column_roles", "label_roles", "guess_sensitive", "align_labels", "as_target_labels",
           "check_group_counts", "not_in_data", "missing_labels"]

#: Column names that usually hold protected attributes (matched as whole words).
SENSITIVE_NAME_PATTERN = re.compile(
    r"(^|[_\W])(sex|gender|race|ethnicity|ethnic|age|religion|nationality|native[_-]?country|"
    r"disability|marital[_-]?status|pregnan\w*|sexual[_-]?orientation)($|[_\W])",
    re.IGNORECASE,
)
ID_NAME = re.compile(r"(^|[_\W])id$", re.IGNORECASE)


@dataclass(frozen=True)
class Roles:
    """The resolved role of each column, and the classes that matter; fixed before anything is predicted.

    Attributes
    ----------
    target : str
    sensitive : tuple of str
    sensitive_guessed : bool
        True when ``sensitive`` was suggested from column names (the report says so).
    features : tuple of str
        The model's input columns (for recorded decisions: every other column, the context).
    id_column : str or None
        The configured column identifying rows; ``None``: guessed after pass 2 among ``id_candidates``
        (:func:`guessed_id`), else rows are named by their 0-based position.
    id_candidates : tuple of str
        Columns named like an id (``id``, ``*_id``) that are neither the target, a sensitive column nor
        a model input: carried through pass 2 so that the id can be guessed the same way on every engine.
    text_column : str or None
        The column of free text a text model reads.
    y_pred_column, y_score_column : str or None
        Recorded decisions and scores (audits without a model).
    time_column : str or None
        The rows' timestamps (a decision log's time), read in pass 2 and never an input.
    positive_label, favourable : object or None
        The positive class of a binary task, and the outcome a person wants (see :class:`Labels`).
    """

    target: str
    sensitive: tuple[str, ...]
    sensitive_guessed: bool
    features: tuple[str, ...]
    id_column: str | None = None
    id_candidates: tuple[str, ...] = ()
    text_column: str | None = None
    y_pred_column: str | None = None
    y_score_column: str | None = None
    time_column: str | None = None
    positive_label: Any = None
    favourable: Any = None

    def as_settings(self) -> dict[str, Any]:
        """What the report's effective configuration records of the resolution (flat config keys)."""
        return {"target": self.target, "sensitive": list(self.sensitive), "sensitive_guessed": self.sensitive_guessed}


@dataclass(frozen=True)
class Labels:
    """What the target's values and the model say about the task (from the first pass)."""

    task: Task
    classes: np.ndarray | None
    positive_label: Any
    favourable: Any
    unlabelled: int = 0  # rows whose label has not arrived (recorded binary decisions only)


def guess_sensitive(columns: Sequence[str], *, exclude: Sequence[str] = ()) -> tuple[str, ...]:
    """Suggest sensitive columns by name.

    Examples
    --------
    >>> guess_sensitive(["age", "income", "sex", "race_code", "usage"])
    ('age', 'sex', 'race_code')
    """
    return tuple(c for c in columns if c not in exclude and SENSITIVE_NAME_PATTERN.search(c))


def _list(items: Sequence[str], limit: int = 12) -> str:
    shown = ", ".join(repr(i) for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def not_in_data(message: str, asked: Sequence[str], columns: Sequence[str]) -> InputError:
    """An error for columns the data lacks, suggesting the closest names first (case-insensitive)."""
    lower = {c.lower(): c for c in columns}
    close = []
    for name in asked:
        match = lower.get(name.lower()) or next(iter(difflib.get_close_matches(name.lower(), list(lower), n=1, cutoff=0.6)), None)
        if match is not None:
            close.append(f"{name!r} → {lower.get(match, match)!r}")
    hint = (f"did you mean {', '.join(close)}? " if close else "") + f"the data has {len(columns)} columns: {_list(columns)}"
    return InputError(message, hint=hint)


def missing_labels(target: str, n: int) -> InputError:
    """The one error for a target with missing values where they cannot be left out (model audits, profiles, non-binary logs)."""
    return InputError(f"target column {target!r} has {n} missing value(s)",
                      hint="drop or fill the unlabelled rows before the audit (an audit of recorded binary decisions, "
                           "--y-pred, keeps them for everything that needs no label)")


# size: resolves each role in turn, each with the error that teaches its fix
def column_roles(config: AuditConfig, columns: Sequence[str], model: ModelAdapter | None, *,
                 y_pred: str | None = None, y_score: str | None = None) -> Roles:
    """Resolve every column's role from the configuration, the data's column names and the model (no row is read).

    Parameters
    ----------
    y_pred, y_score : str, optional
        Columns of recorded decisions and scores, for an audit without a model. Without a model
        and without decisions, only the data and labels are described (a profile of data): every
        column but the target and the sensitive ones is an input, or ``features`` when given.

    Raises
    ------
    InputError
        A target, sensitive, id or decision column the data lacks, a target that cannot be detected,
        model inputs the data lacks.
    """
    r = config.roles
    features = config.load.features or (model.feature_names if model is not None else None)
    target = _resolve_target(config, columns, features)
    if r.sensitive:
        missing = [c for c in r.sensitive if c not in columns]
        if missing:
            raise not_in_data(f"sensitive column(s) not in the data: {_list(missing)}", missing, columns)
        sensitive, guessed = tuple(r.sensitive), False
    else:
        sensitive = guess_sensitive(columns, exclude=(target,))
        guessed = bool(sensitive)
    for col in r.bins:
        if col not in sensitive:
            raise ConfigError(f"bins.{col}: {col!r} is not a sensitive column of this audit",
                              hint=f"sensitive columns: {', '.join(sensitive) or 'none'}")
    if model is not None:
        inputs = _model_inputs(model, columns, target, config)
    elif y_pred is not None:  # recorded decisions: every other column is context, never the decisions themselves
        for pcol in (y_pred, y_score):
            if pcol is not None and pcol not in columns:
                raise not_in_data(f"prediction column {pcol!r} is not in the data", [pcol], columns)
        inputs = tuple(c for c in columns if c not in (target, y_pred, y_score))
    else:
        inputs = _data_inputs(config, columns, target, sensitive)
    if r.id_column is not None and r.id_column not in columns:
        raise not_in_data(f"id column {r.id_column!r} is not in the data", [r.id_column], list(columns))
    if r.time_column is not None and r.time_column not in columns:
        raise not_in_data(f"time column {r.time_column!r} is not in the data", [r.time_column], list(columns))
    if r.time_column is not None and r.time_column in (target, *sensitive, y_pred, y_score):
        raise ConfigError(f"column {r.time_column!r} is the time column and also the target, a sensitive or a prediction column")
    if model is not None and r.time_column in inputs:
        raise ConfigError(f"the time column {r.time_column!r} is one of the model's inputs",
                          hint="name a column of timestamps the model does not read")
    inputs = tuple(c for c in inputs if c != r.time_column)
    taken = {target, *sensitive, *(inputs if model is not None else ()), *(c for c in (y_pred, y_score, r.time_column) if c)}
    candidates = () if r.id_column is not None else tuple(c for c in columns if ID_NAME.search(str(c)) and c not in taken)
    if model is None:  # recorded decisions or data alone: an id is the rows' name, never context or a proxy candidate
        inputs = tuple(c for c in inputs if c != r.id_column and c not in candidates)
    return Roles(target=target, sensitive=sensitive, sensitive_guessed=guessed, features=inputs, id_column=r.id_column,
                 id_candidates=candidates, text_column=config.load.text_column, y_pred_column=y_pred, y_score_column=y_score,
                 time_column=r.time_column)


def _data_inputs(config: AuditConfig, columns: Sequence[str], target: str, sensitive: Sequence[str]) -> tuple[str, ...]:
    """Inputs of data described without a model: the configured features, else every column but the target and sensitive ones."""
    given = config.load.features
    missing = [c for c in (given or ()) if c not in columns]
    if missing:
        raise not_in_data(f"column(s) not in the data: {_list(missing)}", missing, columns)
    return tuple(given or [c for c in columns if c != target and c not in sensitive])


def _resolve_target(config: AuditConfig, columns: Sequence[str], features: Sequence[str] | None) -> str:
    target = config.roles.target
    if target is not None:
        if target not in columns:
            raise not_in_data(f"target column {target!r} is not in the data", [target], columns)
        return target
    if features is None:
        raise InputError(
            "cannot detect the target: the model does not record its input columns",
            hint="name the label column with --target COLUMN",
        )
    left = [c for c in columns if c not in features and c not in config.roles.sensitive]
    if len(left) == 1:
        return left[0]
    raise InputError(
        "cannot detect the target column: "
        + (f"{len(left)} columns are not model inputs ({_list(left)})" if left else "every column is a model input"),
        hint="name the label column with --target COLUMN",
    )


def _model_inputs(model: ModelAdapter, columns: Sequence[str], target: str, config: AuditConfig) -> tuple[str, ...]:
    features = config.load.features or model.feature_names
    if features is None:
        n = getattr(model.model, "n_features_in_", None)
        raise InputError(
            f"the model does not record which columns it takes{f' (it takes {n} unnamed inputs)' if n else ''}; raudit will "
            "not guess them from the data's column order",
            hint="name the model's input columns, in the order it was trained on, with --features a,b,c "
                 "(or fit the model on a DataFrame so that it records them)",
        )
    missing = [c for c in features if c not in columns]
    if missing:
        raise not_in_data(f"the data lacks {len(missing)} column(s) the model needs: {_list(missing)}", missing, list(columns))
    n = getattr(model.model, "n_features_in_", None)
    if n is not None and n != len(features):
        raise InputError(f"the model takes {n} inputs but --features names {len(features)}",
                         hint="name exactly the model's input columns, in training order")
    if target in features:
        raise InputError(f"the target {target!r} is one of the model's inputs", hint="choose the label column with --target")
    return tuple(features)


def guessed_id(sample: pd.DataFrame, candidates: Sequence[str]) -> str | None:
    """The first id candidate (:attr:`Roles.id_candidates`) with no missing value and no repeat among the sampled rows.

    The seeded sample holds the same rows on every engine, so the guess is the same in memory, streamed or on Dask.
    """
    for col in candidates:
        if col in sample.columns and sample[col].notna().all() and sample[col].is_unique:
            return str(col)
    return None


def check_group_counts(values: dict[str, ValueCounts] | Any, roles: Roles, max_groups: int) -> None:
    """A categorical sensitive column with more distinct values than ``max_groups`` is an input error.

    Numeric columns are binned (quartiles by default, or the configured ``bins``), so only
    categorical ones can explode into thousands of groups (an id column given as sensitive, say).
    """
    for col in roles.sensitive:
        counts = values[col]
        if counts.numeric:
            continue
        k = counts.distinct
        if k > max_groups:
            guessed = " (it was guessed from its name: name the sensitive columns with --sensitive)" if roles.sensitive_guessed else ""
            many = f"{k:,}" if counts.exact else f"more than {k - 1:,}"
            raise InputError(
                f"sensitive column {col!r} has {many} distinct values; groups that small cannot be compared{guessed}",
                hint=f"is {col!r} an id? Choose another sensitive column, merge its categories, or raise max_groups "
                     f"(now {max_groups}) in raudit.toml",
            )


# size: task, classes and labels are checked together: each error names the one that is wrong
def label_roles(model: ModelAdapter | None, roles: Roles, counts: ValueCounts, config: AuditConfig, *,
                decisions: ValueCounts | None, target_dtype: str) -> Labels:
    """The task, the classes, the positive and the favourable class, checked against the target's values.

    Raises
    ------
    InputError
        A target with missing values or a single class, labels the model does not predict, a
        regressor's target that is not numeric, recorded decisions outside the target's labels.
    """
    target = roles.target
    unlabelled = counts.missing
    if counts.missing and (model is not None or decisions is None):
        raise missing_labels(target, counts.missing)
    classes: np.ndarray | None
    if model is None:
        if target_dtype.startswith("float") and counts.distinct > 20:
            if counts.missing:
                raise missing_labels(target, counts.missing)
            return Labels("regression", None, None, None)
        if not counts.exact:
            raise InputError(f"target column {target!r} has more than {counts.distinct - 1:,} distinct texts: not labels")
        seen = counts if counts.distinct >= 2 or not counts.missing or decisions is None else decisions  # labels yet to come
        classes = _log_classes(seen, target_dtype, gaps=counts.missing > 0)
        counts = seen
        task: Task = "binary" if len(classes) == 2 else "multiclass"
        if counts.missing and task != "binary":
            raise missing_labels(target, counts.missing)
        if decisions is not None and roles.y_pred_column is not None:
            as_target_labels(decisions.values, classes, roles.y_pred_column, target)
    else:
        task, classes = model.task, model.classes_
        if task == "regression":
            if not counts.numeric:
                raise InputError(f"target column {target!r} is not numeric, but the model is a regressor")
            return Labels("regression", None, None, None)
        assert classes is not None
        if counts.exact:
            align_labels(counts.values, classes, target)
    if classes is None or len(classes) < 2 or (counts.exact and counts.distinct < 2):
        only = counts.values[0] if counts.exact and counts.distinct else "?"
        raise InputError(f"target column {target!r} has a single class ({label_text(only)!r}) in the data",
                         hint="a classifier cannot be audited on one class; use data with both outcomes")
    positive = _positive_label(config.roles.positive_label, classes) if task == "binary" else None
    return Labels(task, classes, positive, _favourable(config.roles.favourable, classes, positive), unlabelled)


def _log_classes(counts: ValueCounts, target_dtype: str, *, gaps: bool) -> np.ndarray:
    """The classes of recorded decisions: the target's values (the decisions' while fewer than two labels have arrived)."""
    if counts.numeric:
        whole = gaps and np.all(np.mod(counts.values, 1) == 0)  # integer labels read as floats for their gaps
        return counts.values.astype(np.int64) if target_dtype.startswith(("int", "uint")) or whole else counts.values.copy()
    return np.array(sorted(counts.values.tolist(), key=str), dtype=object)


def align_labels(y: np.ndarray, classes: np.ndarray, target: str) -> np.ndarray:
    """Express the target in the model's label type; error on unknown labels."""
    known = set(classes.tolist())
    values = pd.unique(y)
    if all(v in known for v in values):
        return y
    as_str = {str(c): c for c in classes.tolist()}
    if all(str(v) in as_str for v in values):
        return np.array([as_str[str(v)] for v in y], dtype=classes.dtype)
    unknown = [label_text(v) for v in values if v not in known and str(v) not in as_str]
    raise InputError(
        f"target column {target!r} holds labels the model does not predict: {unknown[:5]!r}",
        hint=f"the model's classes are {[label_text(c) for c in classes]!r}; check --target",
    )


def _positive_label(configured: str | None, classes: np.ndarray) -> Any:
    if configured is None:
        return classes[1]
    for c in classes:
        if str(c) == str(configured):
            return c
    raise InputError(f"positive label {configured!r} is not one of the model's classes {[label_text(c) for c in classes]!r}")


def as_target_labels(decisions: np.ndarray | pd.Series, classes: np.ndarray, column: str, target: str) -> np.ndarray:
    """Express recorded decisions in the target's labels, comparing values (0.0 is the label 0), not their text.

    Raises
    ------
    InputError
        Decisions the target never takes, or missing decisions.
    """
    values = pd.Series(decisions)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)  # each distinct decision converted once, spread by code
    if (codes < 0).any():
        raise InputError(f"decision column {column!r} has {int((codes < 0).sum())} missing value(s)",
                         hint="every audited row needs a recorded decision; drop the rows without one")
    numeric = pd.api.types.is_numeric_dtype(values) and pd.api.types.is_numeric_dtype(pd.Series(classes))
    lookup: dict[Any, Any]
    key: pd.Series
    distinct = pd.Series(uniques, dtype=values.dtype)
    if numeric:
        lookup, key = {float(c): c for c in classes.tolist()}, distinct.astype(float)
    else:
        lookup, key = {str(c): c for c in classes.tolist()}, distinct.astype(str)
    unknown = sorted({v for v in pd.unique(key) if v not in lookup}, key=str)
    if unknown:
        raise InputError(
            f"decision column {column!r} holds values the target {target!r} never has: {[label_text(u) for u in unknown[:5]]}",
            hint=f"the target's labels are {[label_text(c) for c in classes.tolist()]}; decisions must use the same labels "
                 "(check --y-pred and --target)",
        )
    return np.array([lookup[v] for v in key.tolist()], dtype=classes.dtype)[codes]


def _favourable(configured: Any, classes: np.ndarray, positive: Any) -> Any:
    """The favourable class: the configured one (matched by value or text), else the positive class."""
    if configured is None:
        return positive
    for c in classes.tolist():
        if c == configured or str(c) == str(configured):
            return c
    raise InputError(f"favourable outcome {configured!r} is not one of the classes {[label_text(c) for c in classes]!r}",
                     hint="set favourable to the class a person wants (e.g. favourable = 1 or favourable = \"approved\")")
