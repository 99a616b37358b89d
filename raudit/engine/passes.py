"""The audit engine: two passes over the rows, predictions computed once, summaries that merge exactly.

Whether the rows are one DataFrame in memory, files streamed chunk by chunk, or partitions on a Dask
cluster, the same two functions run on every chunk and their results are added up:

1. :func:`profile_chunk` (no model): row count and the value counts of the columns the audit groups
   or bins by (:class:`~raudit.stats.counts.ValueCounts`). From the merged profile come the labels, the
   group bins (quantiles of the whole column) and the input checks that need the whole data.
2. :func:`summarise_chunk`: predicts the chunk once (probabilities; the decision is derived from them
   when the first chunk shows they agree), labels each row's groups with the fixed bins, lets every
   check that can summarise add its mergeable summary, and keeps the rows with the smallest seeded
   hash keys as the sample (a uniform random sample whatever the chunking).

Integer counts and exact float sums (:mod:`raudit.stats.exact`) make the merged summaries independent of
how the rows were split: in memory, streamed in chunks of any size, or on a cluster, the numbers are
the same to the last bit.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from raudit.engine.roles import Roles, align_labels, as_target_labels, missing_labels
from raudit.errors import InputError
from raudit.stats.counts import ValueCounts
from raudit.stats.groups import GroupSpec, spec_codes

__all__ = ["Batch", "Sample", "FirstPass", "Plan", "ChunkSummary", "EngineInfo", "profile_chunk", "summarise_chunk", "row_keys",
           "sample_limit"]


def row_keys(positions: np.ndarray, seed: int) -> np.ndarray:
    """A pseudo-random uint64 per row position (splitmix64 of the seeded position): the sample keeps the smallest."""
    with np.errstate(over="ignore"):
        z = np.asarray(positions, dtype=np.uint64) + np.uint64((seed * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) % 2**64)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


@dataclass(frozen=True)
class FirstPass:
    """What the first pass learns: rows and value counts per column; mergeable with ``+``."""

    rows: int
    values: Mapping[str, ValueCounts]

    @classmethod
    def zero(cls) -> FirstPass:
        """The profile of no rows: ``zero + p == p``."""
        return cls(0, {})

    def __add__(self, other: FirstPass) -> FirstPass:
        keys = dict.fromkeys([*self.values, *other.values])
        merged = {k: self.values[k] + other.values[k] if k in self.values and k in other.values
                  else self.values.get(k) or other.values[k] for k in keys}
        return FirstPass(self.rows + other.rows, merged)


def profile_chunk(frame: pd.DataFrame, columns: Mapping[str, bool]) -> FirstPass:
    """Count one chunk: ``columns`` maps each profiled column to whether it is numeric."""
    return FirstPass(len(frame), {c: ValueCounts.of(frame[c] if not numeric else frame[c].to_numpy(), numeric=numeric)
                                  for c, numeric in columns.items()})


@dataclass(frozen=True)
class Batch:
    """One chunk as a check's ``summarise`` sees it: inputs, labels, predictions (computed once), groups.

    Attributes
    ----------
    positions : ndarray of int64
        0-based row positions in the whole data.
    frame : DataFrame
        The chunk's audited columns (inputs, target, sensitive, id, recorded decisions).
    X : DataFrame
        The model's inputs.
    y : ndarray
        Labels, in the model's label type (float for regression).
    y_pred : ndarray
    y_proba : ndarray of shape (n, n_classes) or None
    groups : mapping of str to ndarray
        Each sensitive column's group label per row (str), with the audit-wide bins.
    group_codes : mapping of str to (ndarray of int, ndarray of str)
        The same groups as integer codes and each code's label (``names[codes]`` is ``groups[column]``), where the
        engine has them; :meth:`codes` falls back to factorising the labels.
    labelled : ndarray of bool or None
        Which rows' label has arrived (None: every row's). ``y`` of the others holds a placeholder class: a check
        that needs labels reads :meth:`with_labels`.
    """

    positions: np.ndarray
    frame: pd.DataFrame
    X: pd.DataFrame
    y: np.ndarray
    y_pred: np.ndarray
    y_proba: np.ndarray | None
    groups: Mapping[str, np.ndarray]
    group_codes: Mapping[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    labelled: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.y)

    @property
    def unlabelled(self) -> int:
        """Rows whose label has not arrived."""
        return 0 if self.labelled is None else int(len(self.labelled) - np.count_nonzero(self.labelled))

    def with_labels(self) -> Batch:
        """The batch restricted to the rows whose label has arrived (itself when every row's has)."""
        if self.labelled is None or self.labelled.all():
            return self if self.labelled is None else dataclasses.replace(self, labelled=None)
        return dataclasses.replace(self.take(np.flatnonzero(self.labelled)), labelled=None)

    def codes(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """A sensitive column's groups as integer codes and each code's label: ``names[codes]`` is ``groups[column]``.

        Counting by code needs no text per row; names need not be distinct or all occur.
        """
        if column in self.group_codes:
            return self.group_codes[column]
        codes, names = pd.factorize(np.asarray(self.groups[column], dtype=object), use_na_sentinel=False)
        return codes, np.asarray(names, dtype=object)

    def take(self, rows: np.ndarray) -> Batch:
        """The batch restricted to ``rows`` (positions within the batch)."""
        return Batch(self.positions[rows], self.frame.iloc[rows], self.X.iloc[rows], self.y[rows], self.y_pred[rows],
                     None if self.y_proba is None else self.y_proba[rows], {k: v[rows] for k, v in self.groups.items()},
                     {k: (codes[rows], names) for k, (codes, names) in self.group_codes.items()},
                     None if self.labelled is None else self.labelled[rows])


@dataclass(frozen=True)
class Sample:
    """A uniform seeded sample of rows: those with the ``capacity`` smallest keys; mergeable with ``+``.

    Because each row's key depends only on its position and the seed, the sample of the whole
    equals the merged samples of any split of it.
    """

    keys: np.ndarray
    batch: Batch
    capacity: int

    @classmethod
    def of(cls, batch: Batch, *, seed: int, capacity: int, limit: int | None = None) -> Sample:
        """Keep the rows of one batch with the smallest keys.

        ``limit`` (:func:`sample_limit`), when known, is the largest key of the whole data's sample: rows above it
        are dropped before sorting and copying (the same sample, without copying rows the merge would drop).
        """
        keys = row_keys(batch.positions, seed)
        if limit is None:
            order = np.argsort(keys, kind="stable")[:capacity]
        else:
            kept = np.flatnonzero(keys <= np.uint64(limit))
            order = kept[np.argsort(keys[kept], kind="stable")][:capacity]
        return cls(keys[order], batch.take(order), capacity)

    def __add__(self, other: Sample) -> Sample:
        keys = np.concatenate([self.keys, other.keys])
        order = np.argsort(keys, kind="stable")[: self.capacity]
        both = _concat([self.batch, other.batch])
        return Sample(keys[order], both.take(order), self.capacity)

    @property
    def in_position_order(self) -> Batch:
        """The sampled rows in the order they appear in the data (frames indexed 0, 1, 2, ...)."""
        b = self.batch.take(np.argsort(self.batch.positions, kind="stable"))
        return dataclasses.replace(b, frame=b.frame.reset_index(drop=True), X=b.X.reset_index(drop=True))


def _concat(batches: Sequence[Batch]) -> Batch:
    first = batches[0]
    proba = None if first.y_proba is None else np.concatenate([b.y_proba for b in batches])  # type: ignore[misc]
    labelled = None if all(b.labelled is None for b in batches) else np.concatenate(
        [np.ones(len(b), dtype=bool) if b.labelled is None else b.labelled for b in batches])
    return Batch(np.concatenate([b.positions for b in batches]), pd.concat([b.frame for b in batches]),
                 pd.concat([b.X for b in batches]), np.concatenate([b.y for b in batches]),
                 np.concatenate([b.y_pred for b in batches]), proba,
                 {k: np.concatenate([b.groups[k] for b in batches]) for k in first.groups}, labelled=labelled)


#: Up to how many rows :func:`sample_limit` computes the sample's largest key (one pass over the row keys).
SAMPLE_LIMIT_ROWS = 100_000_000


def sample_limit(rows: int, seed: int, capacity: int, *, block: int = 1_000_000) -> int | None:
    """The largest key among the ``capacity`` smallest of rows ``0 .. rows - 1`` (None: every row is kept, or too many rows).

    Keys depend only on the position and the seed, so this is known before the second pass; memory stays one block.
    """
    if capacity < 1 or rows <= capacity or rows > SAMPLE_LIMIT_ROWS:
        return None
    best = np.empty(0, dtype=np.uint64)
    for start in range(0, rows, block):
        both = np.concatenate([best, row_keys(np.arange(start, min(rows, start + block), dtype=np.int64), seed)])
        best = np.partition(both, capacity - 1)[:capacity] if len(both) > capacity else both
    return int(best.max())


@dataclass(frozen=True)
class Plan:
    """Everything a chunk needs to be summarised, fixed after the first pass (picklable, for Dask workers).

    Attributes
    ----------
    roles : Roles
        What each column is: target, sensitive, inputs, recorded decisions, positive and favourable class.
    task : {"binary", "multiclass", "regression"}
    classes : ndarray or None
    specs : tuple of GroupSpec
        One per sensitive column.
    columns : tuple of str
        Every column read in the second pass.
    seed : int
    sample_rows : int
    rows : int
        Rows in the whole data (from the first pass).
    checks : tuple of (name, check, options)
        The checks that summarise chunks.
    input_specs : tuple of (column, GroupSpec or None)
        How each input column is binned for crosstabs (numbers: 10 quantile bins; text: its values;
        None: a text column with more than 1,000 distinct values, left out).
    row_sketch : mapping or None
        The training record's sketch of its rows, when the data has its columns (held out or not).
    reference_params : SketchParams or None
        The drift reference's sketch parameters (the current data is profiled with the same ones).
    reference_strata : tuple of GroupSpec
        The drift reference's strata (input column bins) of its score tables; the current data is
        stratified the same way.
    sample_limit : int or None
        The largest row key the sample keeps (:func:`sample_limit`), when known.
    unlabelled : int
        Rows of the whole data whose label has not arrived (recorded binary decisions only; otherwise an error).
    """

    roles: Roles
    task: str
    classes: np.ndarray | None
    specs: tuple[GroupSpec, ...]
    columns: tuple[str, ...]
    seed: int
    sample_rows: int
    rows: int = 0
    checks: tuple[tuple[str, Any, Any], ...] = ()
    input_specs: tuple[tuple[str, GroupSpec | None], ...] = ()
    row_sketch: Mapping[str, Any] | None = None
    reference_params: Any = None
    reference_strata: tuple[GroupSpec, ...] = ()
    sample_limit: int | None = None
    unlabelled: int = 0

    @property
    def target(self) -> str:
        """The label column."""
        return self.roles.target

    @property
    def features(self) -> tuple[str, ...]:
        """The model's input columns (for recorded decisions: the context columns)."""
        return self.roles.features

    @property
    def y_pred_column(self) -> str | None:
        """Recorded decisions (audits without a model)."""
        return self.roles.y_pred_column

    @property
    def y_score_column(self) -> str | None:
        """Recorded scores of the positive class (audits without a model)."""
        return self.roles.y_score_column

    @property
    def positive_label(self) -> Any:
        """The positive class of a binary task."""
        return self.roles.positive_label

    @property
    def favourable(self) -> Any:
        """The outcome a person wants."""
        return self.roles.favourable


@dataclass(frozen=True)
class ChunkSummary:
    """What the second pass keeps of one or more chunks; mergeable with ``+``."""

    rows: int
    summaries: Mapping[str, Any]
    sample: Sample | None
    decisions: str = ""
    seconds: Mapping[str, float] = field(default_factory=dict)
    checked: int = 0  # rows on which predict() was called to confirm decisions derived from the probabilities

    @classmethod
    def zero(cls) -> ChunkSummary:
        """The summary of no rows: ``zero + s == s`` (no sample, no check summaries yet)."""
        return cls(0, {}, None)

    def __add__(self, other: ChunkSummary) -> ChunkSummary:
        names = dict.fromkeys([*self.summaries, *other.summaries])
        merged = {n: self.summaries[n] + other.summaries[n] if n in self.summaries and n in other.summaries
                  else self.summaries.get(n, other.summaries.get(n)) for n in names}
        sample = other.sample if self.sample is None else (self.sample if other.sample is None else self.sample + other.sample)
        decisions = "disagree" if "disagree" in (self.decisions, other.decisions) else (self.decisions or other.decisions)
        seconds = {k: self.seconds.get(k, 0.0) + other.seconds.get(k, 0.0) for k in dict.fromkeys([*self.seconds, *other.seconds])}
        return ChunkSummary(self.rows + other.rows, merged, sample, decisions, seconds, self.checked + other.checked)




#: About how many rows, chosen by their keys (the same rows whatever the chunking), check that the decisions
#: derived from the probabilities equal the model's own predict().
VERIFY_ROWS = 2_000


def summarise_chunk(frame: pd.DataFrame, offset: int, model: Any, plan: Plan, *, decisions: str) -> tuple[ChunkSummary, Batch]:
    """Predict one chunk once, label its groups, and let each check summarise it.

    Parameters
    ----------
    frame : DataFrame
        The chunk (columns ``plan.columns``).
    offset : int
        Position of its first row in the whole data.
    model : ModelAdapter or None
    decisions : {"derived", "predict"}
        "derived": the decision is the class with the highest probability, checked against the
        model's ``predict`` on the rows whose key is among the smallest (about ``VERIFY_ROWS`` over
        the whole data: the same rows whatever the chunking); "predict": ``predict`` on every row.

    Returns
    -------
    summary : ChunkSummary
        ``decisions`` says "disagree" when the check failed: the engine then runs again with "predict".
    batch : Batch
    """
    t0 = time.perf_counter()
    positions = np.arange(offset, offset + len(frame), dtype=np.int64)
    y, y_pred, y_proba, how, checked = _predict(frame, positions, model, plan, decisions=decisions)
    t1 = time.perf_counter()
    X = frame[list(plan.features)]
    coded = {spec.column: spec_codes(frame[spec.column], spec) for spec in plan.specs}
    groups = {column: names[codes] for column, (codes, names) in coded.items()}
    labelled = frame[plan.target].notna().to_numpy() if plan.unlabelled else None
    batch = Batch(positions, frame, X, y, y_pred, y_proba, groups, coded, labelled)
    summaries = {}
    for name, check, options in plan.checks:
        summary = check.summarise(batch, plan, options)
        if summary is not None:
            summaries[name] = summary
    sample = Sample.of(batch, seed=plan.seed, capacity=plan.sample_rows, limit=plan.sample_limit)
    seconds = {"predict" if model is not None else "labels and decisions": t1 - t0, "summarise": time.perf_counter() - t1}
    return ChunkSummary(len(frame), summaries, sample, how, seconds, checked), batch


def _predict(frame: pd.DataFrame, positions: np.ndarray, model: Any, plan: Plan,
             *, decisions: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, str, int]:
    """Labels, decisions, probabilities, how the decisions were made, and on how many rows predict() confirmed them.

    Decisions are the class of highest probability when ``decisions`` is "derived": predict() runs only on the rows
    whose seeded key falls under a threshold (about :data:`VERIFY_ROWS` in all) and must agree on each, else the
    chunk says "disagree" and the engine reruns the pass with predict() on every row.
    """
    y = _labels(frame[plan.target], plan)
    if model is None:
        return (y, *_recorded(frame, plan), "recorded", 0)
    X = frame[list(plan.features)]
    try:
        proba = model.predict_proba(X) if plan.task != "regression" else None
        if proba is None:
            return y, np.asarray(model.predict(X)), None, "predict", 0
        if decisions == "predict":
            return y, np.asarray(model.predict(X)), proba, "predict", 0
        assert plan.classes is not None
        derived = plan.classes[np.argmax(proba, axis=1)]
        threshold = np.uint64(min(2**64 - 1, int(2**64 * min(1.0, VERIFY_ROWS / max(plan.rows, 1)))))
        verify = np.flatnonzero(row_keys(positions, plan.seed) <= threshold)
        if len(verify):
            predicted = np.asarray(model.predict(X.iloc[verify]))
            if not np.array_equal(predicted, derived[verify].astype(predicted.dtype, copy=False)):
                return y, derived, proba, "disagree", len(verify)
        return y, derived, proba, "derived", len(verify)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"the model failed to predict on the data: {type(exc).__name__}: {exc}",
                         hint="check that the data has the columns and types the model was trained on") from None


def _recorded(frame: pd.DataFrame, plan: Plan) -> tuple[np.ndarray, np.ndarray | None]:
    """Recorded decisions (and scores) in the target's labels."""
    assert plan.y_pred_column is not None
    decisions = frame[plan.y_pred_column]
    if plan.task == "regression":
        return decisions.to_numpy().astype(float), None
    assert plan.classes is not None
    y_pred = as_target_labels(decisions, plan.classes, plan.y_pred_column, plan.target)
    if plan.y_score_column is None:
        return y_pred, None
    if plan.task != "binary":
        raise InputError("--y-score is supported for binary decisions only")
    score = frame[plan.y_score_column]
    if not pd.api.types.is_numeric_dtype(score) or score.isna().any() or not score.between(0, 1).all():
        raise InputError(f"score column {plan.y_score_column!r} must hold probabilities in [0, 1] with no gaps",
                         hint="give the positive class's score, or leave out --y-score")
    s = score.to_numpy(dtype=float)
    return y_pred, np.column_stack([1 - s, s])


def _labels(column: pd.Series, plan: Plan) -> np.ndarray:
    """Labels in the model's label type; regression targets as float. Missing labels are an error.

    Each distinct label is aligned once and spread by its code (``values[codes]``): the same array as aligning
    ``column.to_numpy()``, without converting every row's text. Where the plan allows unlabelled rows
    (``plan.unlabelled``), they hold the first class as a placeholder (the batch's ``labelled`` says which they are).
    """
    if plan.task == "regression":
        if column.isna().any():
            raise missing_labels(plan.target, int(column.isna().sum()))
        return np.asarray(column.to_numpy(), dtype=float)
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    assert plan.classes is not None
    if (codes < 0).any():
        if not plan.unlabelled:
            raise missing_labels(plan.target, int((codes < 0).sum()))
        values = align_labels(np.asarray(uniques), plan.classes, plan.target) if len(uniques) else plan.classes[:0]
        values = np.asarray(values).astype(plan.classes.dtype)  # integer labels read as floats for their gaps: 1.0 is 1
        return np.concatenate([values, plan.classes[:1]])[codes]  # code -1: the last entry, the placeholder
    return align_labels(np.asarray(uniques), plan.classes, plan.target)[codes]


@dataclass(frozen=True)
class EngineInfo:
    """How the audit read and summarised the rows (for the report)."""

    engine: str
    source: str
    chunks: int = 1
    workers: int = 0
    decisions: str = ""
    timings: Mapping[str, float] = field(default_factory=dict)
    checked: int = 0

    def describe(self, *, rows: int, sample_rows: int) -> str:
        """One sentence for the report: how the rows were read, how decisions were made, what the sample is."""
        how = {"memory": "Read whole into memory" + (f", predicted in {self.chunks:,} slices" if self.chunks > 1 else ""),
               "stream": f"Streamed: {self.source} ({self.chunks:,} chunk{'s' if self.chunks != 1 else ''})",
               "dask": f"Read on a Dask cluster of {self.workers} worker{'s' if self.workers != 1 else ''}: {self.source}, "
                       f"{self.chunks:,} partition{'s' if self.chunks != 1 else ''}"}.get(self.engine, self.source)
        decided = {"derived": "decisions are the class of highest probability (the model's predict() matched it on all "
                              f"{self.checked:,} rows checked, chosen by seed)",
                   "predict": "decisions from the model's predict() on every row",
                   "recorded": "decisions as recorded in the data"}.get(self.decisions, f"decisions: {self.decisions}")
        sample = ("explanations, mitigation and latency use every row" if sample_rows >= rows else
                  f"explanations, mitigation and latency use a seeded uniform sample of {sample_rows:,} of the {rows:,} rows")
        return f"{how}; {decided}; {sample}."
