"""A reference profile: mergeable summaries of a dataset and of a model's outputs on it, as versioned JSON.

``raudit profile train.csv --model model.joblib --target approved -o reference.profile.json``
writes one; ``raudit MODEL DATA --reference reference.profile.json`` (or a raw
CSV/Parquet reference, profiled here with the same code) compares the audited
data with it (the ``drift`` check).

A profile holds, for every model input and sensitive column, a sketch
(:mod:`raudit.stats.sketch`), the label's and the model's decision and score
sketches, the confusion counts of the model per fine-grained group of each
sensitive column and overall (with a score histogram for ROC-AUC), plus the
sha256 of the source file(s) and of the model file and the raudit version. It
holds **no raw rows**: only counts, exact sums and histograms on a fixed grid;
a column with more than ``max_distinct`` distinct values keeps none of its
values. Profiles of chunks add up (``a + b``) to the profile of the whole,
bit for bit, and the same data always gives the same bytes (no timestamp).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from raudit._version import __version__
from raudit.errors import InputError
from raudit.stats.cbpe import ScoreTable, StrataTable
from raudit.stats.groups import MISSING, SCORE_BINS, GroupCounts, GroupErrors, GroupSpec, apply_spec
from raudit.stats.sketch import (
    CategoricalSketch,
    NumericSketch,
    Sketch,
    SketchParams,
    _runs,
    _unruns,
    bucket_keys,
    bucket_representatives,
    merge_sketches,
    sketch_column,
    sketch_from_json,
)

if TYPE_CHECKING:
    from raudit.engine.context import AuditContext
    from raudit.engine.passes import Batch, Plan
    from raudit.load.adapters import ModelAdapter

__all__ = ["Profile", "ColumnProfile", "FileInfo", "ModelInfo", "profile_frame", "profile_context", "read_profile",
           "strata_specs", "profile_batch",
           "PROFILE_FORMAT", "PROFILE_SCHEMA_VERSION", "NO_RAW_ROWS"]

PROFILE_FORMAT = "raudit.profile"
#: Version of the profile's JSON form; bump the major part on breaking changes (readers refuse another major).
PROFILE_SCHEMA_VERSION = "1.3"
NO_RAW_ROWS = ("This profile holds aggregates only: counts, exact sums and histograms on a fixed grid. It holds no row "
               "of the data; a column with more than max_distinct distinct values keeps none of its values.")
#: The one group of the overall confusion counts.
ALL = "all"


@dataclass(frozen=True)
class FileInfo:
    """A summarised file: its name (never its folder), sha256 and size."""

    name: str
    sha256: str
    bytes: int

    @classmethod
    def of(cls, path: str | Path) -> FileInfo:
        """Hash a file."""
        from raudit.trust.digest import sha256_file

        p = Path(path)
        return cls(p.name, sha256_file(p), p.stat().st_size)


@dataclass(frozen=True)
class ModelInfo:
    """The model whose outputs a profile summarises."""

    model_class: str
    name: str | None = None
    sha256: str | None = None

    @classmethod
    def of(cls, model: ModelAdapter, path: str | Path | None) -> ModelInfo:
        """Describe an adapted model and, when it came from a file, hash the file."""
        klass = f"{type(model.model).__module__}.{type(model.model).__qualname__}"
        if path is None or not Path(path).is_file():
            return cls(klass)
        f = FileInfo.of(path)
        return cls(klass, f.name, f.sha256)


@dataclass(frozen=True)
class ColumnProfile:
    """One profiled column: its name, its roles (``"input"``, ``"sensitive"``) and its sketch."""

    name: str
    roles: tuple[str, ...]
    sketch: Sketch


@dataclass(frozen=True, eq=False)
class Profile:
    """Mergeable summaries of a dataset and of a model's outputs on it.

    Attributes
    ----------
    params : SketchParams
    rows : int
    columns : tuple of ColumnProfile
        Model inputs, then sensitive columns that are not inputs.
    target : str or None
    task : {"binary", "multiclass", "regression"} or None
    classes : tuple of str or None
    positive_label : str or None
    label : Sketch or None
        The target (class balance for classifiers).
    prediction : Sketch or None
        The model's decisions (categorical) or predicted values (regression).
    score : NumericSketch or None
        Probability of the positive class (binary classifiers).
    abs_error : NumericSketch or None
        Absolute errors (regressors, with labels).
    correct : int or None
        Rows whose decision equals the label (classifiers, with labels).
    overall : GroupCounts or None
        Confusion counts and score histograms of all rows (binary, with labels).
    groups : mapping of str to GroupCounts
        Confusion counts per fine group of each sensitive column (binary,
        with labels): categories, or exact values / grid buckets of a numeric
        column, so that any binning can be applied later.
    class_groups : mapping of str to mapping of str to GroupCounts
        Multiclass, with labels: per sensitive column and per class, the confusion counts of that
        class against the rest per fine group (as ``groups``): per-class decision and error rates per
        group, then and now.
    error_groups : mapping of str to GroupErrors
        Regression, with labels: per sensitive column, each fine group's rows, exact sums of its errors,
        predictions and targets, and a sketch of its predictions: prediction and residual drift per group.
    model : ModelInfo or None
    sources : tuple of FileInfo
    raudit_version : str
    scored : ScoreTable or None
        Rows per decision (negative, positive) and score bin (binary, with scores; labels or not):
        what confidence-based performance estimation sums calibrated probabilities over.
    scored_groups : mapping of str to ScoreTable
        The same per fine group of each sensitive column.
    strata : mapping of str to (GroupSpec, StrataTable)
        Per input column with few categories or numeric (its bins: the deciles of the profiled data,
        or of the reference on the audit side), rows per stratum, label (0 without labels) and
        coarse score bin: the importance weights of the weighted estimate.
    training_overlap : mapping or None
        How many of the model's training rows the profiled data holds (``sampled``, ``found``,
        ``identical``), from the row sketch of the model's training record, when it has one: the
        drift check does not judge performance drift against a reference that holds training rows.
        Not kept when profiles merge.
    """

    params: SketchParams
    rows: int
    columns: tuple[ColumnProfile, ...]
    target: str | None = None
    task: str | None = None
    classes: tuple[str, ...] | None = None
    positive_label: str | None = None
    label: Sketch | None = None
    prediction: Sketch | None = None
    score: NumericSketch | None = None
    abs_error: NumericSketch | None = None
    correct: int | None = None
    overall: GroupCounts | None = None
    groups: Mapping[str, GroupCounts] = field(default_factory=dict)
    model: ModelInfo | None = None
    sources: tuple[FileInfo, ...] = ()
    raudit_version: str = __version__
    training_overlap: Mapping[str, Any] | None = None
    scored: ScoreTable | None = None
    scored_groups: Mapping[str, ScoreTable] = field(default_factory=dict)
    strata: Mapping[str, tuple[GroupSpec, StrataTable]] = field(default_factory=dict)
    class_groups: Mapping[str, Mapping[str, GroupCounts]] = field(default_factory=dict)
    error_groups: Mapping[str, GroupErrors] = field(default_factory=dict)

    def column(self, name: str) -> ColumnProfile | None:
        """The profiled column called ``name``, or ``None``."""
        return next((c for c in self.columns if c.name == name), None)

    @property
    def has_predictions(self) -> bool:
        """Whether the model's outputs were profiled."""
        return self.prediction is not None

    @property
    def has_labels(self) -> bool:
        """Whether the target was profiled."""
        return self.label is not None

    @property
    def unlabelled_rows(self) -> int:
        """Rows whose label has not arrived (counted in the overall confusion counts of a binary log)."""
        return 0 if self.overall is None else self.overall.missing_labels

    @property
    def labelled_rows(self) -> int:
        """Rows whose label has arrived: the denominator of every label-based number of this profile."""
        return self.rows - self.unlabelled_rows

    def __add__(self, other: Profile) -> Profile:  # size: checks every field two profiles must share before they merge
        """Merge the profiles of two chunks of one dataset (same columns, model and parameters)."""
        for what in ("params", "target", "task", "classes", "positive_label", "model"):
            if getattr(self, what) != getattr(other, what):
                raise ValueError(f"profiles differ in {what} ({getattr(self, what)!r} vs {getattr(other, what)!r}); "
                                 "only profiles of chunks of one dataset merge")
        if [(c.name, c.roles) for c in self.columns] != [(c.name, c.roles) for c in other.columns]:
            raise ValueError("profiles have different columns; only profiles of chunks of one dataset merge")
        for what in ("label", "prediction", "score", "abs_error", "correct", "overall"):
            if (getattr(self, what) is None) != (getattr(other, what) is None):
                raise ValueError(f"one profile has {what} and the other not; only profiles of chunks of one dataset merge")
        columns = tuple(ColumnProfile(a.name, a.roles, merge_sketches(a.sketch, b.sketch))
                        for a, b in zip(self.columns, other.columns))
        groups, scored_groups = {}, {}
        for col in columns:
            if col.name in self.groups and col.name in other.groups:
                merged = _fine_groups_for(self.groups[col.name] + other.groups[col.name], col.sketch)
                if merged is not None:
                    groups[col.name] = merged
            if col.name in self.scored_groups and col.name in other.scored_groups:
                table = self.scored_groups[col.name] + other.scored_groups[col.name]
                names = _fine_names_for(table.groups, col.sketch)
                if names is not None:
                    scored_groups[col.name] = table.regroup(names)
        strata = {c: (spec, table + other.strata[c][1]) for c, (spec, table) in self.strata.items()
                  if c in other.strata and other.strata[c][0] == spec}
        class_groups = _merge_class_groups(self.class_groups, other.class_groups, columns)
        error_groups = {}
        for col in columns:
            if col.name in self.error_groups and col.name in other.error_groups:
                both = self.error_groups[col.name] + other.error_groups[col.name]
                names = _fine_names_for(both.groups, col.sketch)
                if names is not None:
                    error_groups[col.name] = both if names == list(both.groups) else both.regroup(names)
        return Profile(
            params=self.params, rows=self.rows + other.rows, columns=columns, target=self.target, task=self.task,
            classes=self.classes, positive_label=self.positive_label,
            label=_add(self.label, other.label), prediction=_add(self.prediction, other.prediction),
            score=_add(self.score, other.score), abs_error=_add(self.abs_error, other.abs_error),  # type: ignore[arg-type]
            correct=None if self.correct is None or other.correct is None else self.correct + other.correct,
            overall=None if self.overall is None or other.overall is None else self.overall + other.overall,
            groups=groups, model=self.model, sources=tuple(sorted(set(self.sources) | set(other.sources), key=_file_key)),
            raudit_version=self.raudit_version,
            scored=None if self.scored is None or other.scored is None else self.scored + other.scored,
            scored_groups=scored_groups, strata=strata, class_groups=class_groups, error_groups=error_groups,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Profile) and self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]

    def with_sources(self, sources: Sequence[FileInfo]) -> Profile:
        """The same profile naming the file(s) it summarises."""
        return dataclasses.replace(self, sources=tuple(sorted(set(sources), key=_file_key)))

    # -- JSON ---------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:  # size: one entry per field of the JSON form
        """Return the JSON form (see ``raudit/schema/profile.schema.json``)."""
        out: dict[str, Any] = {
            "format": PROFILE_FORMAT,
            "schema_version": PROFILE_SCHEMA_VERSION,
            "raudit_version": self.raudit_version,
            "privacy": NO_RAW_ROWS,
            "sources": [dataclasses.asdict(s) for s in self.sources],
            "model": None if self.model is None else {"class": self.model.model_class, "name": self.model.name,
                                                       "sha256": self.model.sha256},
            "params": self.params.to_json(),
            "rows": self.rows,
            "target": self.target,
            "task": self.task,
            "classes": None if self.classes is None else list(self.classes),
            "positive_label": self.positive_label,
            "columns": [{"name": c.name, "roles": list(c.roles), **c.sketch.to_json()} for c in self.columns],
            "label": None if self.label is None else self.label.to_json(),
            "prediction": None if self.prediction is None else self.prediction.to_json(),
            "score": None if self.score is None else self.score.to_json(),
            "abs_error": None if self.abs_error is None else self.abs_error.to_json(),
            "correct": self.correct,
            "overall": None if self.overall is None else _overall_json(self.overall),
            "groups": {c.name: _groups_json(self.groups[c.name]) for c in self.columns if c.name in self.groups},
        }
        if self.training_overlap is not None:
            out["training_overlap"] = dict(self.training_overlap)
        if self.scored is not None:
            out["scored"] = self.scored.to_json()
            out["scored_groups"] = {c.name: self.scored_groups[c.name].to_json() for c in self.columns if c.name in self.scored_groups}
        if self.class_groups:
            out["class_groups"] = {c.name: {k: _groups_json(gc) for k, gc in self.class_groups[c.name].items()}
                                   for c in self.columns if c.name in self.class_groups}
        if self.error_groups:
            out["error_groups"] = {c.name: self.error_groups[c.name].to_json() for c in self.columns if c.name in self.error_groups}
        if self.strata:
            out["strata"] = {c: {"edges": None if spec.edges is None else list(spec.edges), "how": spec.how, **table.to_json()}
                             for c, (spec, table) in self.strata.items()}
        return out

    def to_json(self) -> str:
        """Return the compact JSON text (ends with a newline)."""
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False, allow_nan=False) + "\n"

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Profile:  # size: validates every field of the JSON form, naming the one that is wrong
        """Read the JSON form.

        Raises
        ------
        ValueError
            Not a raudit profile, a schema version this raudit cannot read, or
            malformed content (the message says which).
        """
        if not isinstance(raw, Mapping) or raw.get("format") != PROFILE_FORMAT:
            raise ValueError(f"not a raudit profile (its \"format\" is not {PROFILE_FORMAT!r})")
        version = str(raw.get("schema_version", ""))
        if version.split(".")[0] != PROFILE_SCHEMA_VERSION.split(".")[0]:
            raise ValueError(f"profile schema_version {version!r} cannot be read by raudit {__version__} "
                             f"(it reads {PROFILE_SCHEMA_VERSION.split('.')[0]}.x)")
        try:
            params = SketchParams.from_json(raw["params"])
            columns = tuple(ColumnProfile(str(c["name"]), tuple(c["roles"]), sketch_from_json(c, params)) for c in raw["columns"])

            def opt(key: str) -> Sketch | None:
                return None if raw.get(key) is None else sketch_from_json(raw[key], params)

            score, abs_error = opt("score"), opt("abs_error")
            if not isinstance(score, (NumericSketch, type(None))) or not isinstance(abs_error, (NumericSketch, type(None))):
                raise ValueError("score and abs_error must be numeric sketches")
            model = raw.get("model")
            return cls(
                params=params, rows=int(raw["rows"]), columns=columns, target=raw.get("target"), task=raw.get("task"),
                classes=None if raw.get("classes") is None else tuple(str(c) for c in raw["classes"]),
                positive_label=raw.get("positive_label"), label=opt("label"), prediction=opt("prediction"),
                score=score, abs_error=abs_error,
                correct=None if raw.get("correct") is None else int(raw["correct"]),
                overall=None if raw.get("overall") is None else _overall_from_json(raw["overall"]),
                groups={str(k): _groups_from_json(v) for k, v in (raw.get("groups") or {}).items()},
                model=None if model is None else ModelInfo(str(model["class"]), model.get("name"), model.get("sha256")),
                sources=tuple(FileInfo(str(s["name"]), str(s["sha256"]), int(s["bytes"])) for s in raw.get("sources", ())),
                raudit_version=str(raw.get("raudit_version", "?")),
                training_overlap=_overlap_from_json(raw.get("training_overlap")),
                scored=None if raw.get("scored") is None else ScoreTable.from_json(raw["scored"]),
                scored_groups={str(k): ScoreTable.from_json(v) for k, v in (raw.get("scored_groups") or {}).items()},
                strata={str(k): (GroupSpec(str(k), None if v["edges"] is None else tuple(float(e) for e in v["edges"]),
                                           str(v.get("how", ""))), StrataTable.from_json(v))
                        for k, v in (raw.get("strata") or {}).items()},
                class_groups={str(col): {str(k): _groups_from_json(v) for k, v in per.items()}
                              for col, per in (raw.get("class_groups") or {}).items()},
                error_groups={str(col): GroupErrors.from_json(v, params) for col, v in (raw.get("error_groups") or {}).items()},
            )
        except (KeyError, TypeError, IndexError, AttributeError, OverflowError) as exc:
            raise ValueError(f"malformed profile: {type(exc).__name__}: {exc}") from None


def _merge_class_groups(a: Mapping[str, Mapping[str, GroupCounts]], b: Mapping[str, Mapping[str, GroupCounts]],
                        columns: Sequence[ColumnProfile]) -> dict[str, dict[str, GroupCounts]]:
    """Per column and class, the merged fine groups; a column whose fine groups cannot be kept is dropped (as ``groups``)."""
    out: dict[str, dict[str, GroupCounts]] = {}
    for col in columns:
        if col.name not in a or col.name not in b or set(a[col.name]) != set(b[col.name]):
            continue
        merged = {k: _fine_groups_for(a[col.name][k] + b[col.name][k], col.sketch) for k in a[col.name]}
        if all(m is not None for m in merged.values()):
            out[col.name] = {k: m for k, m in merged.items() if m is not None}
    return out


def _overlap_from_json(raw: Any) -> dict[str, Any] | None:
    if raw is None:
        return None
    return {"sampled": int(raw["sampled"]), "found": int(raw["found"]), "identical": bool(raw["identical"])}


def _file_key(f: FileInfo) -> tuple[str, str]:
    return (f.name, f.sha256)


def _add(a: Sketch | None, b: Sketch | None) -> Sketch | None:
    return None if a is None or b is None else merge_sketches(a, b)


def _plain_rate(v: float) -> float | None:
    return None if not math.isfinite(v) else float(v)


def _groups_json(gc: GroupCounts) -> dict[str, Any]:
    rates = gc.rates()
    return {
        "groups": list(gc.groups),
        "cells": gc.cells.tolist(),
        "rates": {r: [_plain_rate(v) for v in rates[r].tolist()] for r in ("selection_rate", "tpr", "fpr")},
        **({} if gc.unlabelled is None else {"unlabelled": gc.unlabelled.tolist()}),
    }


def _unlabelled_from_json(raw: Mapping[str, Any], groups: int) -> np.ndarray | None:
    if "unlabelled" not in raw:
        return None
    out = np.array(raw["unlabelled"], dtype=np.int64).reshape(groups, 2)
    if np.any(out < 0):
        raise ValueError("counts of unlabelled rows must be non-negative")
    return out


def _groups_from_json(raw: Mapping[str, Any]) -> GroupCounts:
    groups = tuple(str(g) for g in raw["groups"])
    cells = np.array(raw["cells"], dtype=np.int64).reshape(len(groups), 4)
    if list(groups) != sorted(groups) or np.any(cells < 0):
        raise ValueError("group names must be sorted and counts non-negative")
    return GroupCounts(groups, cells, unlabelled=_unlabelled_from_json(raw, len(groups)))


def _overall_json(gc: GroupCounts) -> dict[str, Any]:
    out: dict[str, Any] = {"cells": gc.cells[0].tolist()}
    if gc.unlabelled is not None:
        out["unlabelled"] = gc.unlabelled[0].tolist()
    if gc.hist is not None:
        for i, part in enumerate(("negative_scores", "positive_scores")):
            h = gc.hist[0, i]
            nz = np.flatnonzero(h)
            out[part] = _runs(nz, h[nz])
    return out


def _overall_from_json(raw: Mapping[str, Any]) -> GroupCounts:
    cells = np.array(raw["cells"], dtype=np.int64).reshape(1, 4)
    hist = None
    if "negative_scores" in raw:
        hist = np.zeros((1, 2, SCORE_BINS), dtype=np.int64)
        for i, part in enumerate(("negative_scores", "positive_scores")):
            keys, counts = _unruns(raw[part])
            if len(keys) and (keys[0] < 0 or keys[-1] >= SCORE_BINS):
                raise ValueError(f"score bins must lie in 0..{SCORE_BINS - 1}")
            hist[0, i, keys] = counts
    return GroupCounts((ALL,), cells, hist, unlabelled=_unlabelled_from_json(raw, 1))


# -- fine groups of sensitive columns -----------------------------------------------------------------
def _names_of(values: Any, name: Any) -> np.ndarray:
    """``name(v)`` for each value (computed once per distinct value); missing values become ``missing``."""
    codes, uniques = pd.factorize(pd.Series(values), use_na_sentinel=True)
    names = np.array([*(name(u) for u in uniques), MISSING], dtype=object)
    return names[codes]  # the sentinel -1 picks the last name: missing


def _fine_labels(column: pd.Series, sketch: Sketch) -> np.ndarray | None:
    """Group key of each row: the category, or the exact value / grid bucket of a numeric column; None past the cap."""
    if isinstance(sketch, CategoricalSketch):
        return _names_of(column, str) if sketch.exact else None
    x = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    x = np.where(np.isfinite(x), x + 0.0, np.nan)  # ±inf are missing, like in the sketch; -0.0 is 0.0
    if sketch.exact:
        return _names_of(x, lambda v: repr(float(v)))
    keys = np.where(np.isfinite(x), bucket_keys(np.nan_to_num(x), sketch.params.sub_buckets), 0)
    return np.where(np.isfinite(x), _names_of(keys, lambda k: f"b{int(k)}"), MISSING)


def _fine_names_for(groups: Sequence[str], sketch: Sketch) -> list[str] | None:
    """Fine group names after the column's sketch left exact mode (values → buckets; categories → None: dropped)."""
    if isinstance(sketch, CategoricalSketch):
        return list(groups) if sketch.exact else None
    if sketch.exact:
        return list(groups)
    names = []
    for g in groups:
        if g == MISSING or g.startswith("b"):
            names.append(g)
        else:
            names.append(f"b{int(bucket_keys(np.array([float(g)]), sketch.params.sub_buckets)[0])}")
    return names


def _fine_groups_for(gc: GroupCounts, sketch: Sketch) -> GroupCounts | None:
    """Re-key merged fine groups after the column's sketch left exact mode (values → buckets; categories → dropped)."""
    names = _fine_names_for(gc.groups, sketch)
    return None if names is None else (gc if names == list(gc.groups) else regroup(gc, names))


def regroup(gc: GroupCounts, names: Sequence[str]) -> GroupCounts:
    """Sum the confusion cells of ``gc``'s groups under new ``names`` (one per group; groups sorted)."""
    new = sorted(set(names))
    cells = np.zeros((len(new), 4), dtype=np.int64)
    unlabelled = None if gc.unlabelled is None else np.zeros((len(new), 2), dtype=np.int64)
    for i, (name, row) in enumerate(zip(names, gc.cells)):
        cells[new.index(name)] += row
        if unlabelled is not None and gc.unlabelled is not None:
            unlabelled[new.index(name)] += gc.unlabelled[i]
    return GroupCounts(tuple(new), cells, unlabelled=unlabelled)


def fine_group_values(gc: GroupCounts, sub_buckets: int) -> np.ndarray:
    """Numeric position of each fine group of a numeric column (NaN for ``missing``)."""
    out = np.full(len(gc.groups), np.nan)
    for i, g in enumerate(gc.groups):
        if g == MISSING:
            continue
        out[i] = float(bucket_representatives(np.array([int(g[1:])]), sub_buckets)[0]) if g.startswith("b") else float(g)
    return out


# -- building a profile -------------------------------------------------------------------------------
def _as_labels(values: np.ndarray, classes: Sequence[Any] | None) -> np.ndarray:
    """Class labels as text, through the model's classes when known (1.0 and 1 are the same class)."""
    values = np.asarray(values)
    out = np.empty(len(values), dtype=object)
    done = np.zeros(len(values), dtype=bool)
    for c in classes if classes is not None else ():
        hit = (values == c) & ~done
        out[hit] = str(c)
        done |= hit
    if not done.all():
        out[~done] = [str(v) for v in values[~done].tolist()]
    return out


def profile_frame(
    data: pd.DataFrame,
    *,
    inputs: Sequence[str],
    sensitive: Sequence[str] = (),
    target: str | None = None,
    y: np.ndarray | None = None,
    y_pred: np.ndarray | None = None,
    y_score: np.ndarray | None = None,
    task: str | None = None,
    classes: Sequence[Any] | None = None,
    positive_label: Any = None,
    params: SketchParams | None = None,
    model: ModelInfo | None = None,
    strata: Sequence[GroupSpec] = (),
    labelled: np.ndarray | None = None,
) -> Profile:  # size: profiles every part of a chunk (columns, label, decisions, scores, errors, groups) in one pass
    """Profile one chunk of data (and, when given, labels and the model's outputs on it).

    Parameters
    ----------
    data : DataFrame
        Holds the ``inputs`` and ``sensitive`` columns.
    inputs, sensitive : sequences of str
    target : str, optional
        The label column's name (recorded).
    y, y_pred, y_score : ndarray of shape (n_rows,), optional
        Labels, decisions (or predicted values) and the positive class's
        probability, aligned with ``data``.
    task : {"binary", "multiclass", "regression"}, optional
    classes : sequence, optional
        The model's classes; labels are compared as their text.
    positive_label : object, optional
        The positive class (binary).
    params : SketchParams, optional
    model : ModelInfo, optional
    strata : sequence of GroupSpec
        Columns whose bins stratify the score tables of the weighted performance estimate
        (binary, with scores).
    labelled : ndarray of bool, optional
        Which rows' label has arrived (binary only; None: every row's). The others count in the
        columns, decisions, scores and selection rates, not in anything computed from a label.

    Returns
    -------
    Profile
        Profiles of chunks add up to the profile of the whole.
    """
    params = params or SketchParams()
    names = list(dict.fromkeys([*inputs, *sensitive]))
    columns = tuple(ColumnProfile(c, tuple(r for r, on in (("input", c in inputs), ("sensitive", c in sensitive)) if on),
                                  sketch_column(data[c], params)) for c in names)
    classification = task in ("binary", "multiclass")
    label = prediction = None
    score = abs_error = None
    correct = None
    overall = None
    groups: dict[str, GroupCounts] = {}
    y_text = None if y is None or not classification else _as_labels(y, classes)
    p_text = None if y_pred is None or not classification else _as_labels(y_pred, classes)
    lab = None if labelled is None or task != "binary" else np.asarray(labelled, dtype=bool)
    if y is not None:
        label = (CategoricalSketch.of(y_text if lab is None else y_text[lab], params) if y_text is not None
                 else NumericSketch.of(y, params))
    if y_pred is not None:
        prediction = CategoricalSketch.of(p_text, params) if p_text is not None else NumericSketch.of(y_pred, params)
    if y_score is not None:
        score = NumericSketch.of(y_score, params)
    if y is not None and y_pred is not None:
        if y_text is not None and p_text is not None:
            correct = int(((y_text == p_text) if lab is None else (y_text == p_text) & lab).sum())
        else:
            abs_error = NumericSketch.of(np.abs(np.asarray(y, dtype=float) - np.asarray(y_pred, dtype=float)), params)
    scored, scored_groups, strata_tables = _score_tables(data, columns, y_text if lab is None else None, p_text,
                                                         y_score, task, positive_label, strata)
    if task == "binary" and y_text is not None and p_text is not None:
        pos = str(positive_label)
        y01, yhat01 = (y_text == pos).astype(int), (p_text == pos).astype(int)
        whole = GroupCounts.from_arrays(cast(Sequence[Any], np.full(len(y01), ALL, dtype=object)), y01, yhat01, y_score,
                                        labelled=lab)
        overall = dataclasses.replace(whole, score_sum=None)  # calibration sums are not needed for drift: not kept
        for col in columns:
            if "sensitive" in col.roles:
                keys = _fine_labels(data[col.name], col.sketch)
                if keys is not None:
                    groups[col.name] = GroupCounts.from_arrays(cast(Sequence[Any], keys), y01, yhat01, labelled=lab)
    class_groups = _class_groups(data, columns, y_text, p_text, classes) if task == "multiclass" else {}
    error_groups: dict[str, GroupErrors] = {}
    if task == "regression" and y is not None and y_pred is not None:
        for col in columns:
            keys = _fine_labels(data[col.name], col.sketch) if "sensitive" in col.roles else None
            if keys is not None:
                error_groups[col.name] = GroupErrors.from_arrays(keys, np.asarray(y, dtype=float), np.asarray(y_pred, dtype=float),
                                                                 params=params)
    return Profile(
        params=params, rows=len(data), columns=columns, target=target, task=task,
        classes=None if classes is None else tuple(str(c) for c in classes),
        positive_label=None if positive_label is None else str(positive_label),
        label=label, prediction=prediction, score=score, abs_error=abs_error, correct=correct, overall=overall,
        groups=groups, model=model, scored=scored, scored_groups=scored_groups, strata=strata_tables,
        class_groups=class_groups, error_groups=error_groups,
    )


def _class_groups(data: pd.DataFrame, columns: Sequence[ColumnProfile], y_text: np.ndarray | None, p_text: np.ndarray | None,
                  classes: Sequence[Any] | None) -> dict[str, dict[str, GroupCounts]]:
    """Multiclass, with labels: each class against the rest, confusion counts per fine group of each sensitive column."""
    if y_text is None or p_text is None or classes is None:
        return {}
    out: dict[str, dict[str, GroupCounts]] = {}
    for col in columns:
        keys = _fine_labels(data[col.name], col.sketch) if "sensitive" in col.roles else None
        if keys is not None:
            out[col.name] = {str(c): GroupCounts.from_arrays(cast(Sequence[Any], keys), (y_text == str(c)).astype(int),
                                                             (p_text == str(c)).astype(int)) for c in classes}
    return out


def _score_tables(data: pd.DataFrame, columns: Sequence[ColumnProfile], y_text: np.ndarray | None, p_text: np.ndarray | None,
                  y_score: np.ndarray | None, task: str | None, positive_label: Any,
                  strata: Sequence[GroupSpec]) -> tuple[ScoreTable | None, dict[str, ScoreTable], dict[str, tuple[GroupSpec, StrataTable]]]:
    """Decisions per score bin (overall, per fine sensitive group) and the strata tables, for binary outputs with scores."""
    if task != "binary" or p_text is None or y_score is None:
        return None, {}, {}
    pos = str(positive_label)
    yhat01 = (p_text == pos).astype(np.int64)
    scored = ScoreTable.of(np.full(len(yhat01), ALL, dtype=object), yhat01, y_score)
    groups = {}
    for col in columns:
        if "sensitive" in col.roles:
            keys = _fine_labels(data[col.name], col.sketch)
            if keys is not None:
                groups[col.name] = ScoreTable.of(keys, yhat01, y_score)
    y01 = None if y_text is None else (y_text == pos).astype(np.int64)
    tables = {spec.column: (spec, StrataTable.of(apply_spec(data[spec.column], spec), y01, y_score))
              for spec in strata if spec.column in data.columns}
    return scored, groups, tables


#: At most this many input columns get strata tables (the first ones with a binning, in column order).
MAX_STRATA = 20


def strata_specs(input_specs: Sequence[tuple[str, GroupSpec | None]]) -> tuple[GroupSpec, ...]:
    """The binnings of the input columns a profile keeps strata tables for (numeric deciles, few categories)."""
    return tuple(spec for _, spec in input_specs if spec is not None)[:MAX_STRATA]


def profile_batch(batch: Batch, plan: Plan, *, params: SketchParams | None = None, strata: Sequence[GroupSpec] = (),
                  model: ModelInfo | None = None) -> Profile:
    """Profile one chunk of a pass as the drift check sees it: inputs, sensitive columns, labels and outputs.

    The outputs are the model's or, for recorded decisions, the recorded ones (the score is the
    positive class's probability); the chunk's recorded decision and score columns are outputs,
    never inputs. A decision log profiled as a reference (``raudit profile --predictions``) and as
    the audited data give the same profile.
    """
    score = None
    if plan.task == "binary" and batch.y_proba is not None and plan.classes is not None:
        score = batch.y_proba[:, int(np.flatnonzero(plan.classes == plan.positive_label)[0])]
    inputs = [c for c in plan.features if c not in (plan.y_pred_column, plan.y_score_column)]
    return profile_frame(batch.frame.reset_index(drop=True), inputs=inputs, sensitive=[s.column for s in plan.specs],
                         target=plan.target, y=batch.y, y_pred=batch.y_pred, y_score=score, task=plan.task,
                         classes=None if plan.classes is None else list(plan.classes), positive_label=plan.positive_label,
                         params=params, model=model, strata=strata, labelled=batch.labelled)


def profile_context(ctx: AuditContext, *, params: SketchParams | None = None, model: ModelInfo | None = None) -> Profile:
    """Profile the audited data and the model's outputs on it (the drift check's current side)."""
    predictions = ctx.model is not None or ctx.y_pred is not None
    assert ctx.data is not None and ctx.X is not None and ctx.sensitive is not None, "profiles an in-memory audit context"
    return profile_frame(
        ctx.data, inputs=list(ctx.X.columns), sensitive=list(ctx.sensitive.columns), target=ctx.roles.target,
        y=ctx.y, y_pred=ctx.y_pred if predictions else None, y_score=ctx.y_score, task=ctx.task,
        classes=None if ctx.classes is None else list(ctx.classes), positive_label=ctx.positive_label,
        params=params, model=model, strata=strata_specs(ctx.facts.plan.input_specs),
    )


# -- reading ------------------------------------------------------------------------------------------
def read_profile(path: str | Path) -> Profile:
    """Read a profile JSON file.

    Raises
    ------
    InputError
        Missing or unreadable file, not JSON, not a raudit profile, or a schema version this raudit cannot read.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"reference file not found: {p}", hint="give a profile written by `raudit profile`, or a CSV/Parquet file")
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"reference profile {p} is not valid JSON: {exc}",
                         hint="write it again with `raudit profile`") from None
    try:
        return Profile.from_dict(raw)
    except ValueError as exc:
        raise InputError(f"reference profile {p}: {exc}", hint="write it again with `raudit profile` of this raudit version") from None
