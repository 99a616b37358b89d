"""Sensitive groups and mergeable per-group counts, shared by the fairness and explanation checks.

Rates come from per-group confusion counts and score histograms. Counts add up,
so statistics computed on chunks of data (or on several machines) merge
exactly: ``GroupCounts.from_arrays(chunk1) + GroupCounts.from_arrays(chunk2)``
equals ``GroupCounts.from_arrays(whole)``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Literal

import numpy as np
import pandas as pd

from raudit.stats.counts import ValueCounts
from raudit.stats.exact import ExactSum
from raudit.stats.sketch import NumericSketch, SketchParams

MISSING = "missing"
#: Fine score bins for mergeable AUC and calibration (AUC error ≤ ties inside a 0.001-wide bin).
SCORE_BINS = 1000
#: Scores are summed in integer steps of 2**-SUM_BITS (about 1e-9), so that sums merge exactly.
SUM_BITS = 30


def _edge(v: float) -> str:
    return f"{v:.4g}"


@dataclass(frozen=True)
class GroupSpec:
    """How one sensitive column becomes groups: its categories as recorded, or bins between ``edges``.

    Fixed from the whole column (a first pass over the data), then applied to each chunk, so
    every chunk labels a value the same way.
    """

    column: str
    edges: tuple[float, ...] | None
    how: str


def spec_for(column: str, values: ValueCounts, *, bins: Sequence[float] | None = None, max_categories: int = 10,
             n_quantiles: int = 4) -> GroupSpec:
    """The grouping of a column from its value counts.

    Numeric columns with more than ``max_categories`` distinct values are binned: at ``bins`` when
    given, else into ``n_quantiles`` quantile bins (``np.nanquantile`` of the whole column; from a
    logarithmic grid, said so, when it has more than 200,000 distinct values). Missing values
    form their own ``"missing"`` group.
    """
    if values.numeric and (bins is not None or values.distinct > max_categories):
        if bins is None:
            edges = np.unique(values.quantiles(np.linspace(0, 1, n_quantiles + 1)))
            how = f"binned into {len(edges) - 1} quantile bins (edges {', '.join(_edge(e) for e in edges)})"
            if not values.exact:
                how += "; the edges come from a histogram with 1 % relative accuracy (the column has too many distinct values)"
        else:
            edges = np.asarray(sorted(bins), dtype=float)
            how = f"binned at the configured edges {', '.join(_edge(e) for e in edges)}"
        return GroupSpec(column, tuple(float(e) for e in edges), how)
    return GroupSpec(column, None, "categories as recorded")


def apply_spec(column: pd.Series, spec: GroupSpec) -> np.ndarray:
    """The group label (str) of every value of ``column`` under ``spec``, vectorised."""
    codes, names = spec_codes(column, spec)
    return names[codes]


def spec_codes(column: pd.Series, spec: GroupSpec) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of every value of ``column`` under ``spec``, and the label (str) of each code.

    ``names[codes]`` is :func:`apply_spec`; the codes (all ≥ 0) alone serve counting (crosstabs) without text per row.
    Not every name need occur.
    """
    if spec.edges is None:  # each distinct value's text once; missing values get the last code, MISSING
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        return np.where(codes < 0, len(uniques), codes), np.array([str(u) for u in uniques] + [MISSING], dtype=object)
    edges = np.asarray(spec.edges)
    values = column.to_numpy(dtype=float, na_value=np.nan)
    k = len(edges) - 1
    names = np.array([f"[{_edge(a)}, {_edge(b)}{']' if i == k - 1 else ')'}" for i, (a, b) in enumerate(zip(edges[:-1], edges[1:]))]
                     + [f"< {_edge(edges[0])}", f"> {_edge(edges[-1])}", MISSING], dtype=object)
    idx = np.searchsorted(edges, values, side="right") - 1
    idx = np.where(values == edges[-1], k - 1, idx)  # the top edge belongs to the last bin
    idx = np.where(idx < 0, k, np.where(idx >= k, k + 1, idx))
    idx = np.where(np.isnan(values), k + 2, idx)
    return idx, names


def group_labels(
    column: pd.Series, *, bins: Sequence[float] | None = None, max_categories: int = 10, n_quantiles: int = 4
) -> tuple[pd.Series, str]:
    """Turn one whole column into string group labels (see :func:`spec_for`); returns the labels and how.

    Returns
    -------
    labels : Series of str
    how : str
        A sentence saying how the groups were formed (for the report).
    """
    numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    values = ValueCounts.of(column.to_numpy(), numeric=numeric)
    spec = spec_for(str(column.name), values, bins=bins, max_categories=max_categories, n_quantiles=n_quantiles)
    return pd.Series(apply_spec(column, spec), index=column.index, dtype=object), spec.how


@dataclass(frozen=True)
class Grouping:
    """One way to split the rows: a sensitive feature or an intersection of two."""

    name: str
    labels: pd.Series
    how: str
    intersection: bool = False


def make_groupings(
    sensitive: pd.DataFrame, *, bins: Mapping[str, Sequence[float]], intersections: str | Sequence[Sequence[str]]
) -> list[Grouping]:
    """Build the groupings: each sensitive column, then the configured intersections."""
    single = {}
    for col in sensitive.columns:
        labels, how = group_labels(sensitive[col], bins=bins.get(col))
        single[col] = Grouping(col, labels, how)
    pairs: list[tuple[str, ...]]
    if intersections == "pairs":
        pairs = list(combinations(sensitive.columns, 2))
    elif intersections == "none":
        pairs = []
    else:
        pairs = [tuple(p) for p in intersections]  # type: ignore[union-attr]
    out = list(single.values())
    for pair in pairs:
        joined = single[pair[0]].labels
        for col in pair[1:]:
            joined = joined + " & " + single[col].labels
        out.append(Grouping(" × ".join(pair), joined, "intersection of " + " and ".join(pair), intersection=True))
    return out


def group_codes(groups: Sequence[Any] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct group labels (as text, sorted as ``np.unique`` sorts them) and each row's index into them."""
    labels = np.asarray(groups, dtype=object)
    first, uniques = pd.factorize(labels, use_na_sentinel=False)
    text = np.asarray([str(u) for u in uniques], dtype=str)
    order = np.argsort(text, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return text[order], rank[first]


def _aligned(names: tuple[str, ...], mine: tuple[str, ...], arr: np.ndarray) -> np.ndarray:
    """``arr`` (one row per group of ``mine``) spread over the rows of ``names`` (zeros where a group is absent)."""
    out = np.zeros((len(names), *arr.shape[1:]), dtype=arr.dtype)
    out[[names.index(n) for n in mine]] = arr
    return out


@dataclass(frozen=True)
class GroupCounts:
    """Per-group confusion counts and score histograms (binary outcome).

    Attributes
    ----------
    groups : tuple of str
    cells : ndarray of shape (n_groups, 4)
        Counts of true negatives, false positives, false negatives, true positives.
    hist : ndarray of shape (n_groups, 2, SCORE_BINS) or None
        Score histograms of negatives (``[:, 0]``) and positives (``[:, 1]``).
    score_sum : ndarray of int64, shape (n_groups, SCORE_BINS), or None
        Sum of scores in each bin (for calibration), in integer steps of ``2**-SUM_BITS``: integers
        add up in any order, so chunks merge exactly (each score is rounded by at most ``2**-(SUM_BITS + 1)``).
    unlabelled : ndarray of int64, shape (n_groups, 2), or None
        Rows whose label has not arrived, by decision (negative, positive). They count in ``n`` and the selection
        rate; ``cells``, ``hist`` and ``score_sum`` hold the labelled rows only, so every label-based rate (TPR,
        FPR, accuracy, AUC, calibration) is on the labelled rows with their own count. None: every row is labelled.
    """

    groups: tuple[str, ...]
    cells: np.ndarray
    hist: np.ndarray | None = None
    score_sum: np.ndarray | None = None
    unlabelled: np.ndarray | None = None

    @classmethod
    def from_arrays(
        cls, groups: Sequence[Any] | np.ndarray, y_true: np.ndarray, y_pred: np.ndarray, score: np.ndarray | None = None,
        *, labelled: np.ndarray | None = None,
    ) -> GroupCounts:
        """Count one chunk. ``y_true`` and ``y_pred`` are 0/1; ``score`` in [0, 1].

        ``labelled`` (bool per row, None: all) marks the rows whose label has arrived; ``y_true`` of the others is ignored.
        """
        names, codes = group_codes(groups)
        return cls._count(names, codes, y_true, y_pred, score, labelled)

    @classmethod
    def from_codes(
        cls, codes: np.ndarray, names: Sequence[Any] | np.ndarray, y_true: np.ndarray, y_pred: np.ndarray,
        score: np.ndarray | None = None, *, labelled: np.ndarray | None = None,
    ) -> GroupCounts:
        """Count one chunk whose groups are integer codes (``names[codes]`` are the labels): no text per row.

        Equals ``from_arrays(names[codes], ...)``: codes whose names have the same text are one group, and only
        the groups that occur are kept, sorted by text.
        """
        text = np.asarray([str(n) for n in names], dtype=str)
        unique, inverse = np.unique(text, return_inverse=True)
        merged = inverse.reshape(-1)[np.asarray(codes, dtype=np.int64)]
        present = np.bincount(merged, minlength=len(unique)) > 0
        remap = np.cumsum(present) - 1
        return cls._count(unique[present], remap[merged], y_true, y_pred, score, labelled)

    @classmethod
    def _count(cls, names: np.ndarray, codes: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray,
               score: np.ndarray | None, labelled: np.ndarray | None = None) -> GroupCounts:
        """Confusion cells (and score histograms) per group code; ``names`` sorted, one per code."""
        g = len(names)
        if labelled is not None:
            lab = np.asarray(labelled, dtype=bool)
            off = np.asarray(codes, dtype=np.int64)[~lab] * 2 + np.asarray(y_pred, dtype=int)[~lab]
            unlabelled = np.bincount(off, minlength=2 * g).reshape(g, 2).astype(np.int64)
            counted = cls._count(names, np.asarray(codes)[lab], np.asarray(y_true)[lab], np.asarray(y_pred)[lab],
                                 None if score is None else np.asarray(score)[lab])
            return dataclasses.replace(counted, unlabelled=unlabelled)
        cell = 2 * np.asarray(y_true, dtype=int) + np.asarray(y_pred, dtype=int)
        cells = np.bincount(codes * 4 + cell, minlength=4 * g).reshape(g, 4)
        hist = score_sum = None
        if score is not None:
            s = np.asarray(score, dtype=float)
            b = np.clip((s * SCORE_BINS).astype(int), 0, SCORE_BINS - 1)
            flat = (codes * 2 + np.asarray(y_true, dtype=int)) * SCORE_BINS + b
            hist = np.bincount(flat, minlength=g * 2 * SCORE_BINS).reshape(g, 2, SCORE_BINS)
            sums = np.zeros(g * SCORE_BINS, dtype=np.int64)
            np.add.at(sums, codes * SCORE_BINS + b, np.rint(s * 2.0**SUM_BITS).astype(np.int64))
            score_sum = sums.reshape(g, SCORE_BINS)
        return cls(tuple(names.tolist()), cells, hist, score_sum)

    def __add__(self, other: GroupCounts) -> GroupCounts:
        """Merge the counts of two chunks (groups are aligned by name)."""
        names = tuple(sorted(set(self.groups) | set(other.groups)))

        def spread(gc: GroupCounts, arr: np.ndarray | None) -> np.ndarray | None:
            if arr is None:
                return None
            out = np.zeros((len(names), *arr.shape[1:]), dtype=arr.dtype)
            out[[names.index(n) for n in gc.groups]] = arr
            return out

        def add(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
            return None if a is None or b is None else a + b

        unlabelled = None
        if self.unlabelled is not None or other.unlabelled is not None:
            unlabelled = np.zeros((len(names), 2), dtype=np.int64)
            for gc in (self, other):
                if gc.unlabelled is not None:
                    unlabelled[[names.index(n) for n in gc.groups]] += gc.unlabelled
        return GroupCounts(
            names,
            spread(self, self.cells) + spread(other, other.cells),  # type: ignore[operator]
            add(spread(self, self.hist), spread(other, other.hist)),
            add(spread(self, self.score_sum), spread(other, other.score_sum)),
            unlabelled,
        )

    @property
    def n(self) -> np.ndarray:
        """Rows per group (labelled or not)."""
        return self.cells.sum(axis=1) + (0 if self.unlabelled is None else self.unlabelled.sum(axis=1))

    @property
    def labelled(self) -> np.ndarray:
        """Rows per group whose label has arrived (the denominators of every label-based rate)."""
        return self.cells.sum(axis=1)

    @property
    def missing_labels(self) -> int:
        """Rows, in all groups, whose label has not arrived."""
        return 0 if self.unlabelled is None else int(self.unlabelled.sum())

    def rates(self, cells: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Rates per group from confusion cells (``cells`` may carry leading bootstrap axes).

        The selection rate counts the unlabelled rows too when ``cells`` is not given; every other rate is on labelled rows.
        """
        c = self.cells if cells is None else cells
        tn, fp, fn, tp = (c[..., i].astype(float) for i in range(4))
        n = tn + fp + fn + tp
        u0: np.ndarray | float = 0.0
        u1: np.ndarray | float = 0.0
        if cells is None and self.unlabelled is not None:
            u0, u1 = (self.unlabelled[:, i].astype(float) for i in range(2))
        with np.errstate(invalid="ignore", divide="ignore"):
            return {
                "base_rate": (fn + tp) / n,
                "selection_rate": (fp + tp + u1) / (n + u0 + u1),
                "accuracy": (tn + tp) / n,
                "tpr": tp / (tp + fn),
                "fpr": fp / (fp + tn),
                "fnr": fn / (fn + tp),
                "tnr": tn / (tn + fp),
                "ppv": tp / (tp + fp),
                "npv": tn / (tn + fn),
            }

    #: numerator and denominator cells of each rate (tn=0, fp=1, fn=2, tp=3), for Wilson intervals and tests
    RATE_CELLS = {
        "base_rate": ((2, 3), (0, 1, 2, 3)),
        "selection_rate": ((1, 3), (0, 1, 2, 3)),
        "accuracy": ((0, 3), (0, 1, 2, 3)),
        "tpr": ((3,), (2, 3)),
        "fpr": ((1,), (0, 1)),
        "fnr": ((2,), (2, 3)),
        "tnr": ((0,), (0, 1)),
        "ppv": ((3,), (1, 3)),
        "npv": ((0,), (0, 2)),
    }

    def rate_counts(self, rate: str) -> tuple[np.ndarray, np.ndarray]:
        """Numerator and denominator counts of ``rate`` per group (the selection rate's include unlabelled rows)."""
        num, den = self.RATE_CELLS[rate]
        k, m = self.cells[:, list(num)].sum(axis=1), self.cells[:, list(den)].sum(axis=1)
        if rate == "selection_rate" and self.unlabelled is not None:
            return k + self.unlabelled[:, 1], m + self.unlabelled.sum(axis=1)
        return k, m

    def auc(self, hist: np.ndarray | None = None) -> np.ndarray:
        """ROC-AUC per group from the score histograms (ties within a bin count half)."""
        h = self.hist if hist is None else hist
        if h is None:
            return np.full(len(self.groups), np.nan)
        neg, pos = h[..., 0, :].astype(float), h[..., 1, :].astype(float)
        below = np.cumsum(neg, axis=-1) - neg
        with np.errstate(invalid="ignore", divide="ignore"):
            return (pos * (below + 0.5 * neg)).sum(axis=-1) / (pos.sum(axis=-1) * neg.sum(axis=-1))

    def calibration_error(self, *, n_bins: int = 10) -> np.ndarray:
        """Expected calibration error per group over ``n_bins`` equal-width bins."""
        if self.hist is None or self.score_sum is None:
            return np.full(len(self.groups), np.nan)
        per = SCORE_BINS // n_bins
        count = self.hist.sum(axis=1).reshape(len(self.groups), n_bins, per).sum(axis=2).astype(float)
        pos = self.hist[:, 1, :].reshape(len(self.groups), n_bins, per).sum(axis=2)
        ssum = self.score_sum.reshape(len(self.groups), n_bins, per).sum(axis=2) / 2.0**SUM_BITS
        with np.errstate(invalid="ignore", divide="ignore"):
            gap = np.where(count > 0, np.abs(ssum / np.where(count > 0, count, 1) - pos / np.where(count > 0, count, 1)), 0)
            return (count * gap).sum(axis=1) / count.sum(axis=1)


# -- the disparity algebra: which comparisons, in which direction harm lies, which group is the reference ----------
Harm = Literal["lower", "higher", "either"]


@dataclass(frozen=True)
class DisparitySpec:
    """One kind of comparison: which rate, ratio or difference, which option holds its threshold, what it is called."""

    rate: str
    kind: Literal["ratio", "difference"]
    threshold_key: str
    label: str
    words: str
    harm_if_favourable_positive: Harm


#: The comparisons, in report order. Harm is stated for a favourable positive class; it flips otherwise.
DISPARITIES: dict[str, DisparitySpec] = {
    "selection_rate": DisparitySpec("favourable_rate", "ratio", "selection_rate_ratio_min",
                                    "favourable-outcome rate ratio (four-fifths rule)", "favourable-outcome rate", "lower"),
    "tpr": DisparitySpec("tpr", "difference", "tpr_difference_max", "TPR difference (equal opportunity)",
                         "true-positive rate", "lower"),
    "fpr": DisparitySpec("fpr", "difference", "fpr_difference_max", "FPR difference (equalized odds)",
                         "false-positive rate", "lower"),
    "ppv": DisparitySpec("ppv", "difference", "ppv_difference_max", "PPV difference (predictive parity)",
                         "precision (PPV)", "higher"),
    "fpr_ratio": DisparitySpec("fpr", "ratio", "fpr_ratio_min", "FPR ratio", "false-positive rate", "lower"),
    "fnr_ratio": DisparitySpec("fnr", "ratio", "fnr_ratio_min", "FNR ratio", "false-negative rate", "higher"),
}


MAE = DisparitySpec("mae", "ratio", "mae_ratio_max", "MAE ratio", "mean absolute error", "higher")

#: A regressor's comparisons, in report order. Errors harm when higher; the prediction-to-target ratio harms in the
#: direction a lower prediction hurts when a higher one is favourable (a credit limit), the other way when a lower one is
#: (a price), either way when nothing says; the distance between two groups' prediction distributions harms when large.
REGRESSION_DISPARITIES: dict[str, DisparitySpec] = {
    "mae": MAE,
    "rmse": DisparitySpec("rmse", "ratio", "rmse_ratio_max", "RMSE ratio", "root mean squared error", "higher"),
    "mean_ratio": DisparitySpec("mean_ratio", "ratio", "prediction_ratio_min", "prediction-to-target ratio (calibration in "
                                "the large)", "mean prediction ÷ mean target", "lower"),
    "prediction_ks": DisparitySpec("prediction_ks", "difference", "prediction_ks_max", "KS distance of predictions "
                                   "(distributional parity)", "distribution of predictions", "higher"),
}


def harm_direction(spec: DisparitySpec, fav_positive: bool | None) -> Harm:
    """The harmful direction of ``spec`` when the positive class is (True), is not (False) or may be (None) the favourable one."""
    if fav_positive is None:
        return "either"
    if fav_positive or spec.rate == "favourable_rate":  # the favourable rate is already expressed for the favourable class
        return spec.harm_if_favourable_positive
    return "higher" if spec.harm_if_favourable_positive == "lower" else "lower"


def favourable_rates(gc: GroupCounts, fav_positive: bool | None, cells: np.ndarray | None = None) -> np.ndarray:
    """Each group's rate of the favourable outcome (the selection rate, or its complement when the negative class is favourable)."""
    sr = gc.rates(cells)["selection_rate"]
    return sr if fav_positive in (True, None) else 1 - sr


def choose_reference(groups: Sequence[str], n: np.ndarray, judged: np.ndarray, values: np.ndarray,
               configured: str | int | float | None, *, favoured: Literal["highest", "lowest"] | None) -> tuple[int, str]:
    """Index of the reference group and the rule that chose it (configured; most favoured adequate group; largest)."""
    if configured is not None:
        if str(configured) not in list(groups):
            from raudit.errors import ConfigError

            raise ConfigError(f"the configured reference group {configured!r} has no rows",
                              hint=f"groups: {', '.join(map(str, groups))}")
        return list(groups).index(str(configured)), "configured"
    candidates = [i for i in range(len(groups)) if judged[i] and np.isfinite(values[i])]
    if favoured is None or not candidates:
        why = "the largest group" + ("" if favoured is None else " (no group is large enough to be judged)")
        return int(np.argmax(n)), why
    sign = -1 if favoured == "highest" else 1
    best = min(candidates, key=lambda i: (sign * values[i], -n[i], groups[i]))
    return best, "the most favoured group of adequate size"


# -- several classes: the binary views fairness judges, and per-group confusion matrices ---------------------------
@dataclass(frozen=True)
class Outcome:
    """One binary view of a classifier's decisions: which classes count as its positive side.

    Attributes
    ----------
    key : str
        ``""`` for the one outcome of a binary task (or the favourable class of a multiclass one),
        ``"class X"`` for one class against the rest, ``"at least X"`` for a split of ordered classes.
    members : tuple of int
        Indices (into the model's classes) counted as the positive side.
    favourable_is_positive : bool or None
        Whether the positive side is the outcome a person wants; ``None``: unknown, harm in either direction.
    judged : bool
        Whether its disparities are judged against the thresholds (else reported only).
    """

    key: str
    members: tuple[int, ...]
    favourable_is_positive: bool | None
    judged: bool = True

    @property
    def prefix(self) -> str:
        """``"class X: "`` before a grouping's name (empty for the one outcome of a binary task)."""
        return f"{self.key}: " if self.key else ""


def class_outcomes(classes: Sequence[Any] | np.ndarray, *, binary: bool, positive: Any = None, favourable: Any = None,
                   ordered: Sequence[Any] = ()) -> tuple[Outcome, ...]:
    """The binary views of a classifier that fairness reports, and which of them it judges.

    - a binary task: the positive class, favourable or not (the view of the fairness check since round 1);
    - several classes in an order (``ordered``, from the least to the most favourable): each split *at least X* of
      the order, judged in the direction of harm (a group pushed down the order receives *at least X* less often, and
      its members who are X or above are recognised less often), then each class against the rest, reported;
    - several classes with a ``favourable`` class: that class against the rest, judged in the direction of harm, then
      every other class against the rest, reported;
    - several classes otherwise: each class against the rest, judged both ways (nothing says which way harms).

    Examples
    --------
    >>> [(o.key, o.members, o.favourable_is_positive) for o in class_outcomes(["low", "mid", "high"], binary=False,
    ...                                                                     ordered=["low", "mid", "high"]) if o.judged]
    [('at least mid', (1, 2), True), ('at least high', (2,), True)]
    """
    text = [str(c) for c in classes]
    index = {t: i for i, t in enumerate(text)}
    if binary:
        return (Outcome("", (index[str(positive)],), str(favourable) == str(positive)),)
    each = [Outcome(f"class {t}", (i,), None, not ordered and favourable is None) for i, t in enumerate(text)]
    if ordered:
        ranks = [index[str(c)] for c in ordered]
        splits = [Outcome(f"at least {ordered[r]}", tuple(sorted(ranks[r:])), True) for r in range(1, len(ranks))]
        return (*splits, *each)
    if favourable is not None:
        fav = index[str(favourable)]
        return (Outcome("", (fav,), True), *(o for o in each if o.members != (fav,)))
    return tuple(each)


def view_cells(matrix: np.ndarray, members: Sequence[int]) -> np.ndarray:
    """Confusion cells (tn, fp, fn, tp) of one binary view of confusion matrices ``(..., k, k)`` (true × predicted).

    ``members`` are the classes on the view's positive side; leading axes (groups, bootstrap draws) are kept.
    """
    side = np.isin(np.arange(matrix.shape[-1]), list(members))
    rows_in, rows_out = matrix[..., side, :], matrix[..., ~side, :]
    tp, fn = rows_in[..., side].sum(axis=(-2, -1)), rows_in[..., ~side].sum(axis=(-2, -1))
    fp, tn = rows_out[..., side].sum(axis=(-2, -1)), rows_out[..., ~side].sum(axis=(-2, -1))
    return np.stack([tn, fp, fn, tp], axis=-1)


@dataclass(frozen=True)
class GroupConfusion:
    """Per-group confusion matrices of a classifier with ``k`` classes (rows: true class, columns: predicted).

    Every one-vs-rest or ordered view (:class:`Outcome`) is a sum of its cells, so one mergeable summary serves the
    per-group confusion matrices of the report, the binary views and the moves up and down an order.

    Attributes
    ----------
    groups : tuple of str
    matrix : ndarray of int64, shape (n_groups, k, k)
    """

    groups: tuple[str, ...]
    matrix: np.ndarray

    @classmethod
    def from_arrays(cls, groups: Sequence[Any] | np.ndarray, y_index: np.ndarray, pred_index: np.ndarray, k: int) -> GroupConfusion:
        """Count one chunk; ``y_index`` and ``pred_index`` are class indices in ``0..k-1``."""
        names, codes = group_codes(groups)
        flat = (codes * k + np.asarray(y_index, dtype=np.int64)) * k + np.asarray(pred_index, dtype=np.int64)
        matrix = np.bincount(flat, minlength=len(names) * k * k).reshape(len(names), k, k).astype(np.int64)
        return cls(tuple(names.tolist()), matrix)

    def __add__(self, other: GroupConfusion) -> GroupConfusion:
        """Merge two chunks (groups aligned by name)."""
        names = tuple(sorted(set(self.groups) | set(other.groups)))
        return GroupConfusion(names, _aligned(names, self.groups, self.matrix) + _aligned(names, other.groups, other.matrix))

    @property
    def n(self) -> np.ndarray:
        """Rows per group."""
        return self.matrix.sum(axis=(1, 2))

    def outcome(self, members: Sequence[int]) -> GroupCounts:
        """The confusion cells of one binary view: ``members`` are the classes on its positive side."""
        return GroupCounts(self.groups, view_cells(self.matrix, members).astype(np.int64))

    def mean_levels(self, order: Sequence[int]) -> np.ndarray:
        """Each group's mean predicted level in ``order`` (class indices, least favourable first: level 0)."""
        rank = np.empty(self.matrix.shape[-1])
        rank[list(order)] = np.arange(len(order))
        predicted = self.matrix.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (predicted * rank).sum(axis=1) / predicted.sum(axis=1)

    def moves(self, order: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Rows per group predicted below and above their true class in ``order`` (class indices, least favourable first)."""
        k = self.matrix.shape[-1]
        rank = np.empty(k, dtype=np.int64)
        rank[list(order)] = np.arange(k)
        below = rank[None, :] < rank[:, None]  # [true, predicted]: predicted lower in the order than the truth
        return (self.matrix * below).sum(axis=(1, 2)), (self.matrix * below.T).sum(axis=(1, 2))


# -- regression: per-group sums of errors, predictions and targets ---------------------------------------------------
#: The exact sums a :class:`GroupErrors` keeps per group, and the per-row term each sums.
ERROR_TERMS = ("abs_error", "sq_error", "sq_error2", "prediction", "target", "prediction2", "target2", "cross")


@dataclass(frozen=True)
class GroupErrors:
    """Per group of a regressor's rows.

    The row count, exact sums of its errors, predictions and targets, and a sketch of its predictions; mergeable
    with ``+``, the same to the last bit whatever the chunking.  The sums (:data:`ERROR_TERMS`) are of ``|e|``,
    ``e²``, ``(e²)²``, the prediction ``p``, the target ``y``, ``p²``, ``y²`` and ``p·y`` (``e = y − p``): the
    means, variances and covariances the group comparisons need (:func:`raudit.stats.disparity.compare_regression`).

    Attributes
    ----------
    groups : tuple of str
    n : ndarray of int64
    sums : mapping of str to tuple of ExactSum
        One exact sum per group for each term.
    predictions : tuple of NumericSketch
        Each group's predictions (for the distance between two groups' distributions).
    """

    groups: tuple[str, ...]
    n: np.ndarray
    sums: Mapping[str, tuple[ExactSum, ...]]
    predictions: tuple[NumericSketch, ...]

    @classmethod
    def from_arrays(cls, groups: Sequence[Any] | np.ndarray, y: np.ndarray, prediction: np.ndarray, *,
                    params: SketchParams | None = None) -> GroupErrors:
        """Sum one chunk (``y`` and ``prediction`` finite floats)."""
        names, codes = group_codes(groups)
        y, p = np.asarray(y, dtype=float), np.asarray(prediction, dtype=float)
        e = y - p
        terms = {"abs_error": np.abs(e), "sq_error": e * e, "sq_error2": (e * e) ** 2, "prediction": p, "target": y,
                 "prediction2": p * p, "target2": y * y, "cross": p * y}
        order = np.argsort(codes, kind="stable")
        cuts = np.cumsum(np.bincount(codes, minlength=len(names)))[:-1]
        rows = np.split(order, cuts)
        sums = {k: tuple(ExactSum.of(v[r]) for r in rows) for k, v in terms.items()}
        sketches = tuple(NumericSketch.of(p[r], params) for r in rows)
        return cls(tuple(names.tolist()), np.array([len(r) for r in rows], dtype=np.int64), sums, sketches)

    def __add__(self, other: GroupErrors) -> GroupErrors:
        """Merge two chunks (groups aligned by name)."""
        names = tuple(sorted(set(self.groups) | set(other.groups)))

        def at(gc: GroupErrors, name: str, items: Sequence[Any], zero: Any) -> Any:
            return items[gc.groups.index(name)] if name in gc.groups else zero

        empty = NumericSketch.of(np.zeros(0), self.predictions[0].params if self.predictions else None)
        sums = {k: tuple(at(self, g, self.sums[k], ExactSum()) + at(other, g, other.sums[k], ExactSum()) for g in names)
                for k in ERROR_TERMS}
        sketches = tuple(at(self, g, self.predictions, empty) + at(other, g, other.predictions, empty) for g in names)
        n = _aligned(names, self.groups, self.n) + _aligned(names, other.groups, other.n)
        return GroupErrors(names, n, sums, sketches)

    def mean(self, term: str) -> np.ndarray:
        """Each group's mean of ``term`` (exact sums divided by the rows, then rounded once; NaN for an empty group)."""
        return np.array([float(s.fraction / n) if n else float("nan") for s, n in zip(self.sums[term], self.n.tolist())])

    def covariance(self, a: str, b: str, ab: str) -> np.ndarray:
        """Each group's sample covariance of two terms whose per-row product is summed as ``ab`` (``n − 1`` denominator)."""
        out = []
        for i, n in enumerate(self.n.tolist()):
            if n < 2:
                out.append(float("nan"))
                continue
            sa, sb, sab = (self.sums[t][i].fraction for t in (a, b, ab))
            out.append(float((sab - sa * sb / n) / (n - 1)))
        return np.array(out)

    def regroup(self, names: Sequence[str]) -> GroupErrors:
        """Sum the groups under new ``names`` (one per group, in order): exact sums add, sketches merge."""
        new = sorted(set(names))
        members = [[i for i, m in enumerate(names) if m == g] for g in new]
        empty = NumericSketch.of(np.zeros(0), self.predictions[0].params if self.predictions else None)
        sketches = []
        for idx in members:
            merged = empty
            for i in idx:
                merged = merged + self.predictions[i]
            sketches.append(merged)
        sums = {k: tuple(sum((self.sums[k][i] for i in idx), ExactSum()) for idx in members) for k in ERROR_TERMS}
        return GroupErrors(tuple(new), np.array([int(self.n[idx].sum()) for idx in members], dtype=np.int64), sums, tuple(sketches))

    def to_json(self) -> dict[str, Any]:
        """The JSON form: groups, rows, each term's exact sums (``"M p E"`` text), each group's prediction sketch."""
        return {"groups": list(self.groups), "n": self.n.tolist(), "sums": {k: [s.to_json() for s in self.sums[k]] for k in ERROR_TERMS},
                "predictions": [s.to_json() for s in self.predictions]}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any], params: SketchParams) -> GroupErrors:
        """Read :meth:`to_json`'s form (``params``: the profile's sketch parameters)."""
        from raudit.stats.sketch import sketch_from_json

        groups = tuple(str(g) for g in raw["groups"])
        sketches = tuple(sketch_from_json(s, params) for s in raw["predictions"])
        if not all(isinstance(s, NumericSketch) for s in sketches) or len(sketches) != len(groups):
            raise ValueError("group errors: one numeric prediction sketch per group")
        sums = {k: tuple(ExactSum.from_json(v) for v in raw["sums"][k]) for k in ERROR_TERMS}
        if any(len(v) != len(groups) for v in sums.values()) or len(raw["n"]) != len(groups):
            raise ValueError("group errors: one row count and one sum of each term per group")
        return cls(groups, np.array(raw["n"], dtype=np.int64), sums, sketches)  # type: ignore[arg-type]
