"""Sensitive groups and mergeable per-group counts, shared by the fairness and explanation checks.

Rates come from per-group confusion counts and score histograms. Counts add up,
so statistics computed on chunks of data (or on several machines) merge
exactly: ``GroupCounts.from_arrays(chunk1) + GroupCounts.from_arrays(chunk2)``
equals ``GroupCounts.from_arrays(whole)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Literal

import numpy as np
import pandas as pd

from raudit.stats.counts import ValueCounts

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
    """

    groups: tuple[str, ...]
    cells: np.ndarray
    hist: np.ndarray | None = None
    score_sum: np.ndarray | None = None

    @classmethod
    def from_arrays(
        cls, groups: Sequence[Any] | np.ndarray, y_true: np.ndarray, y_pred: np.ndarray, score: np.ndarray | None = None
    ) -> GroupCounts:
        """Count one chunk. ``y_true`` and ``y_pred`` are 0/1; ``score`` in [0, 1]."""
        labels = np.asarray(groups, dtype=object)
        first, uniques = pd.factorize(labels, use_na_sentinel=False)  # then sorted by text, as np.unique would
        text = np.asarray([str(u) for u in uniques], dtype=str)
        order = np.argsort(text, kind="stable")
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        return cls._count(text[order], rank[first], y_true, y_pred, score)

    @classmethod
    def from_codes(
        cls, codes: np.ndarray, names: Sequence[Any] | np.ndarray, y_true: np.ndarray, y_pred: np.ndarray,
        score: np.ndarray | None = None,
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
        return cls._count(unique[present], remap[merged], y_true, y_pred, score)

    @classmethod
    def _count(cls, names: np.ndarray, codes: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray,
               score: np.ndarray | None) -> GroupCounts:
        """Confusion cells (and score histograms) per group code; ``names`` sorted, one per code."""
        g = len(names)
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

        return GroupCounts(
            names,
            spread(self, self.cells) + spread(other, other.cells),  # type: ignore[operator]
            add(spread(self, self.hist), spread(other, other.hist)),
            add(spread(self, self.score_sum), spread(other, other.score_sum)),
        )

    @property
    def n(self) -> np.ndarray:
        """Rows per group."""
        return self.cells.sum(axis=1)

    def rates(self, cells: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Rates per group from confusion cells (``cells`` may carry leading bootstrap axes)."""
        c = self.cells if cells is None else cells
        tn, fp, fn, tp = (c[..., i].astype(float) for i in range(4))
        n = tn + fp + fn + tp
        with np.errstate(invalid="ignore", divide="ignore"):
            return {
                "base_rate": (fn + tp) / n,
                "selection_rate": (fp + tp) / n,
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
        """Numerator and denominator counts of ``rate`` per group."""
        num, den = self.RATE_CELLS[rate]
        return self.cells[:, list(num)].sum(axis=1), self.cells[:, list(den)].sum(axis=1)

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
