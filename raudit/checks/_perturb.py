"""What the robustness check perturbs and how it asks the model: column plans from the observed data, batched calls.

A :class:`ColumnPlan` describes one input column as the whole data holds it (the first pass's value
counts, not the sample): its observed range, its spread (IQR, or the standard deviation where the
IQR is 0), whether it holds whole numbers only, its categories with their frequencies, whether it
has missing values. Every perturbation of the check is built from it, so a perturbed value is always
one the data could hold: inside the observed range, whole where the column is, an observed category.

A :class:`Predictor` asks the model about many perturbed copies of the rows at once: the copies of
every column and step of one stage go into one frame, predicted in calls of at most ``batch_rows``
rows, and it counts the calls and the rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from raudit.plugin import AuditContext, ValueCounts

__all__ = ["ColumnPlan", "plan_column", "Block", "Outcome", "Predictor", "cast_like"]

Kind = Literal["numeric", "integer", "categorical"]


@dataclass(frozen=True)
class ColumnPlan:
    """How one input column may be perturbed, from the values the whole data holds.

    Attributes
    ----------
    name : str
    kind : {"numeric", "integer", "categorical"}
        ``integer``: every observed value is a whole number, so perturbed values are rounded.
    low, high : float
        The observed range (numbers); perturbed values are clipped to it.
    spread : float
        The column's IQR (or standard deviation, see ``spread_name``); the unit of spread steps.
    spread_name : str
        ``"IQR"`` or ``"std"`` (the IQR is 0, or ``spread = "std"`` was asked for).
    categories : tuple
        The observed categories, most frequent first (categorical columns).
    weights : tuple of float
        Their frequencies (shares of the non-missing values).
    has_missing : bool
        The data holds missing values in this column.
    skipped : str or None
        Why the column is not perturbed (constant, too many distinct texts).
    """

    name: str
    kind: Kind
    low: float = float("nan")
    high: float = float("nan")
    spread: float = float("nan")
    spread_name: str = "IQR"
    categories: tuple[Any, ...] = ()
    weights: tuple[float, ...] = ()
    has_missing: bool = False
    skipped: str | None = None


def plan_column(name: str, counts: ValueCounts, sample: pd.Series, *, spread: Literal["iqr", "std"]) -> ColumnPlan:
    """The plan of one input column from its first-pass value counts (``sample``: its dtype, for booleans)."""
    if pd.api.types.is_bool_dtype(sample.dtype) or (not counts.numeric and counts.exact):
        return _categorical_plan(name, counts)
    if not counts.numeric:
        return ColumnPlan(name, "categorical", has_missing=counts.missing > 0,
                          skipped="more than 10,000 distinct values (free text or an identifier): not perturbed")
    return _numeric_plan(name, counts, sample, spread)


def _categorical_plan(name: str, counts: ValueCounts) -> ColumnPlan:
    values = [bool(v) for v in counts.values] if counts.numeric else list(counts.values)  # booleans are counted as 0.0 / 1.0
    order = np.argsort(-counts.counts, kind="stable")
    share = counts.counts[order] / max(int(counts.counts.sum()), 1)
    return ColumnPlan(name, "categorical", categories=tuple(values[i] for i in order), weights=tuple(float(s) for s in share),
                      has_missing=counts.missing > 0,
                      skipped=None if len(values) >= 2 else "a single observed category: nothing to swap it for")


def _numeric_plan(name: str, counts: ValueCounts, sample: pd.Series, spread: Literal["iqr", "std"]) -> ColumnPlan:
    v, c = counts.values, counts.counts
    missing = counts.missing > 0
    if len(v) == 0:
        return ColumnPlan(name, "numeric", has_missing=missing, skipped="no observed value")
    whole = bool(counts.exact and np.all(v == np.rint(v))) or pd.api.types.is_integer_dtype(sample.dtype)
    kind: Kind = "integer" if whole else "numeric"
    q1, q3 = counts.quantiles(np.array([0.25, 0.75]))
    n = float(c.sum())
    mean = float((v * c).sum() / n)
    std = float(np.sqrt((c * (v - mean) ** 2).sum() / max(n - 1, 1)))
    iqr = float(q3 - q1)
    width, unit = (iqr, "IQR") if spread == "iqr" and iqr > 0 else (std, "std")
    if not np.isfinite(width) or width <= 0:
        return ColumnPlan(name, kind, float(v[0]), float(v[-1]), has_missing=missing,
                          skipped="a single observed value: no spread to perturb by")
    return ColumnPlan(name, kind, float(v[0]), float(v[-1]), width, unit, has_missing=missing)


def cast_like(values: Any, dtype: Any) -> Any:
    """``values`` in the column's own dtype (whole numbers rounded, categories and text in their pandas types)."""
    if isinstance(dtype, pd.CategoricalDtype):
        return pd.Categorical(values, dtype=dtype)
    if pd.api.types.is_bool_dtype(dtype):
        return np.asarray(values, dtype=bool) if isinstance(dtype, np.dtype) else pd.array(values, dtype=dtype)
    if pd.api.types.is_integer_dtype(dtype):
        x = np.asarray(values, dtype=float)
        if isinstance(dtype, np.dtype):
            return np.rint(x).astype(dtype) if not np.isnan(x).any() else x
        return pd.array(np.where(np.isnan(x), None, np.rint(x)), dtype=dtype)
    if pd.api.types.is_numeric_dtype(dtype):
        return np.asarray(values, dtype=dtype if isinstance(dtype, np.dtype) else float)
    if isinstance(dtype, pd.StringDtype) or str(dtype) == "str":
        return pd.array([None if _missing(v) else v for v in values], dtype=dtype)
    return np.asarray(values, dtype=object)


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v))


@dataclass(frozen=True)
class Block:
    """Copies of some rows with new values in some columns.

    Attributes
    ----------
    rows : ndarray of int
        Positions in the predictor's frame (repeats allowed).
    values : mapping of str to array
        Column → the new values, one per row of ``rows`` (any column not named keeps its value).
    """

    rows: np.ndarray
    values: Mapping[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class Outcome:
    """What the model decided for the rows of a block.

    Attributes
    ----------
    label : ndarray of int
        The decision, as an index into the classes.
    score : ndarray of float
        Binary: the probability of the positive class; multiclass: the probability of the class first
        predicted for that row; NaN when the model gives no probabilities.
    """

    label: np.ndarray
    score: np.ndarray


class Predictor:
    """Asks the model about blocks of perturbed rows in calls of at most ``batch_rows`` rows; counts calls and rows.

    Parameters
    ----------
    ctx : AuditContext
        Its model, classes, task and positive class.
    frame : DataFrame
        The rows perturbed (index 0, 1, 2, ...): the model's inputs.
    batch_rows : int
        The most rows one call predicts.
    """

    def __init__(self, ctx: AuditContext, frame: pd.DataFrame, *, batch_rows: int) -> None:
        assert ctx.model is not None and ctx.classes is not None
        self.model = ctx.model
        self.frame = frame
        self.batch_rows = batch_rows
        self.classes = ctx.classes
        self.lookup = {c: i for i, c in enumerate(self.classes.tolist())}
        self.positive = int(np.flatnonzero(self.classes == ctx.positive_label)[0]) if ctx.task == "binary" else None
        self.proba = self.model.has_proba
        self.calls = 0
        self.rows = 0
        self._original: np.ndarray | None = None  # None during the base call, which scores each row's argmax
        self.base = self.run([Block(np.arange(len(frame)))])[0]
        self._original = self.base.label

    @property
    def original(self) -> np.ndarray:
        """Each row's decision before any perturbation (an index into the classes)."""
        assert self._original is not None
        return self._original

    def run(self, blocks: Sequence[Block]) -> list[Outcome]:
        """The model's decisions and scores for every block, predicted in as few calls as ``batch_rows`` allows."""
        pieces: list[tuple[int, int, int]] = []  # (block, start, stop)
        for b, block in enumerate(blocks):
            for start in range(0, len(block), self.batch_rows):
                pieces.append((b, start, min(start + self.batch_rows, len(block))))
        labels = [np.empty(len(b), dtype=np.int64) for b in blocks]
        scores = [np.empty(len(b)) for b in blocks]
        call: list[tuple[int, int, int]] = []
        size = 0
        for piece in [*pieces, None]:
            if piece is not None and size + piece[2] - piece[1] <= self.batch_rows:
                call.append(piece)
                size += piece[2] - piece[1]
                continue
            if call:
                self._call(blocks, call, labels, scores)
            call, size = ([piece], piece[2] - piece[1]) if piece is not None else ([], 0)
        return [Outcome(lab, sc) for lab, sc in zip(labels, scores)]

    def _call(self, blocks: Sequence[Block], call: list[tuple[int, int, int]], labels: list[np.ndarray],
              scores: list[np.ndarray]) -> None:
        frames = []
        for b, start, stop in call:
            block = blocks[b]
            part = self.frame.take(block.rows[start:stop])
            for column, values in block.values.items():
                part[column] = cast_like(values[start:stop], self.frame[column].dtype)
            frames.append(part)
        frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
        rows = np.concatenate([blocks[b].rows[start:stop] for b, start, stop in call])
        label, score = self._decide(frame.reset_index(drop=True), rows)
        at = 0
        for b, start, stop in call:
            labels[b][start:stop] = label[at: at + stop - start]
            scores[b][start:stop] = score[at: at + stop - start]
            at += stop - start

    def _decide(self, frame: pd.DataFrame, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.calls += 1
        self.rows += len(frame)
        if not self.proba:
            predicted = np.asarray(self.model.predict(frame))
            return np.array([self.lookup[p] for p in predicted.tolist()], dtype=np.int64), np.full(len(frame), np.nan)
        proba = np.asarray(self.model.predict_proba(frame), dtype=float)
        label = proba.argmax(axis=1)
        if self.positive is not None:
            return label, proba[:, self.positive]
        if self._original is None:
            return label, proba.max(axis=1)
        return label, proba[np.arange(len(frame)), self._original[rows]]
