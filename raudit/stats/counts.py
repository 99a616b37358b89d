"""Mergeable summaries of data: add the summaries of chunks and get the summary of the whole, exactly.

- :class:`ValueCounts`: how often each value of a column occurs. Quantiles from it equal
  ``np.nanquantile`` on the column, bit for bit, while the column has at most ``cap`` distinct
  values; beyond that it keeps a histogram on a fixed logarithmic grid (relative error 1 %) and
  says it is approximate.
- :class:`ScoreCounts`: per distinct score, how many negatives and positives have it. ROC-AUC and
  average precision from it equal scikit-learn's (to 1e-12) while the scores have at most ``cap``
  distinct values; beyond that a 65,536-bin histogram with a computed error bound.

Every count is an integer, so the order in which chunks are added changes nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ValueCounts", "ScoreCounts", "quantiles_from_counts", "macro_roc_auc"]

#: Distinct values a ValueCounts keeps exactly.
VALUE_CAP = 200_000
#: Distinct texts a ValueCounts keeps; beyond, it only remembers that the column has more (an id, free text).
TEXT_CAP = 10_000
#: Relative accuracy of the logarithmic grid a ValueCounts falls back to.
GRID_ACCURACY = 0.01
_GAMMA = (1 + GRID_ACCURACY) / (1 - GRID_ACCURACY)
#: Distinct scores a ScoreCounts keeps exactly; beyond, a histogram of SCORE_GRID bins on [0, 1].
SCORE_CAP = 2_000_000
SCORE_GRID = 65_536


def quantiles_from_counts(values: np.ndarray, counts: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``np.nanquantile(data, q)`` (linear method) of the data whose sorted distinct values are ``values``, each ``counts`` times.

    The same virtual index ``(n - 1) * q`` and the same interpolation as numpy, so the result is
    identical to the last bit without expanding the data.
    """
    n = int(counts.sum())
    q = np.asarray(q, dtype=np.float64)
    if n == 0:
        return np.full(q.shape, np.nan)
    ends = np.cumsum(counts)  # the sorted data holds values[i] at positions ends[i-1] .. ends[i]-1
    virtual = (n - 1) * q
    below = np.floor(virtual)
    gamma = virtual - below
    lo = np.clip(below.astype(np.int64), 0, n - 1)
    hi = np.clip(lo + 1, 0, n - 1)
    a = values[np.searchsorted(ends, lo, side="right")]
    b = values[np.searchsorted(ends, hi, side="right")]
    diff = b - a
    out = a + diff * gamma
    out = np.where(gamma >= 0.5, b - diff * (1 - gamma), out)
    return out


@dataclass(frozen=True)
class ValueCounts:
    """Counts of each distinct value of a column, plus the missing ones; mergeable with ``+``.

    Attributes
    ----------
    values : ndarray
        Sorted distinct values (float64 for numbers, object for text); for an approximate
        summary, the centres of the occupied grid cells.
    counts : ndarray of int64
    missing : int
    present : int
        Values counted, missing ones excluded (kept when the distinct texts are not).
    exact : bool
        False once more than ``VALUE_CAP`` distinct numbers were seen (then ``values`` are grid cells),
        or more than ``TEXT_CAP`` distinct texts (then ``values`` is empty: too many categories to keep).
    numeric : bool
    """

    values: np.ndarray
    counts: np.ndarray
    missing: int
    present: int
    exact: bool
    numeric: bool

    @classmethod
    def of(cls, column: Any, *, numeric: bool) -> ValueCounts:
        """Count one chunk of a column (``numeric``: values as float64, NaN missing; else text, None/NaN missing)."""
        if numeric:
            x = np.asarray(column, dtype=np.float64)
            miss = np.isnan(x)
            values, counts = np.unique(x[~miss] + 0.0, return_counts=True)
            out = cls(values, counts.astype(np.int64), int(miss.sum()), int(counts.sum()), True, True)
        else:
            import pandas as pd

            if isinstance(column, pd.Series) and isinstance(column.dtype, pd.StringDtype):  # text already: counted natively
                missing = int(column.isna().sum())
                vc = column.value_counts(dropna=True, sort=False)
            else:
                s = pd.Series(column, dtype=object)
                miss = s.isna().to_numpy()
                missing = int(miss.sum())
                vc = s[~miss].astype(str).value_counts(sort=False)
            names = vc.index.to_numpy(dtype=object)
            order = np.argsort(names.astype(str), kind="stable")
            text_counts = vc.to_numpy(dtype=np.int64)[order]
            out = cls(names[order], text_counts, missing, int(text_counts.sum()), True, False)
        return out._capped()

    def _capped(self) -> ValueCounts:
        if not self.exact:
            return self
        if not self.numeric:
            if len(self.values) <= TEXT_CAP:
                return self
            return ValueCounts(np.empty(0, dtype=object), np.empty(0, dtype=np.int64), self.missing, self.present, False, False)
        return self if len(self.values) <= VALUE_CAP else _to_grid(self)

    def __add__(self, other: ValueCounts) -> ValueCounts:
        if self.numeric != other.numeric:
            raise ValueError("cannot add the counts of a numeric and a text column")
        a, b = self, other
        if not self.numeric and not (a.exact and b.exact):
            return ValueCounts(np.empty(0, dtype=object), np.empty(0, dtype=np.int64), a.missing + b.missing,
                               a.present + b.present, False, False)
        if a.exact != b.exact:
            a, b = (_to_grid(a), b) if a.exact else (a, _to_grid(b))
        values = np.concatenate([a.values, b.values])
        counts = np.concatenate([a.counts, b.counts])
        if self.numeric:
            uniq, inverse = np.unique(values, return_inverse=True)
        else:
            uniq, inverse = np.unique(values.astype(str), return_inverse=True)
            uniq = uniq.astype(object)
        merged = np.zeros(len(uniq), dtype=np.int64)
        np.add.at(merged, inverse, counts)
        return ValueCounts(uniq, merged, a.missing + b.missing, a.present + b.present, a.exact and b.exact, self.numeric)._capped()

    @property
    def n(self) -> int:
        """Values counted, missing ones excluded."""
        return self.present

    @property
    def distinct(self) -> int:
        """Distinct values seen (a lower bound once approximate; ``TEXT_CAP + 1`` for text beyond the cap)."""
        return len(self.values) if self.exact or self.numeric else TEXT_CAP + 1

    def quantiles(self, q: np.ndarray) -> np.ndarray:
        """Quantiles of the numbers (exactly ``np.nanquantile`` while ``exact``)."""
        return quantiles_from_counts(self.values, self.counts, np.asarray(q, dtype=float))


def _grid_index(x: np.ndarray) -> np.ndarray:
    """Cell of each value on a signed logarithmic grid (DDSketch-style); 0 holds the exact zeros."""
    with np.errstate(divide="ignore"):
        k = np.ceil(np.log(np.abs(x)) / math.log(_GAMMA)).astype(np.int64)
    return np.where(x == 0, 0, np.sign(x).astype(np.int64) * (k + 2**20))


def _grid_centre(k: np.ndarray) -> np.ndarray:
    magnitude = 2 * _GAMMA ** (np.abs(k) - 2**20) / (_GAMMA + 1)
    return np.where(k == 0, 0.0, np.sign(k) * magnitude)


def _to_grid(v: ValueCounts) -> ValueCounts:
    cells = _grid_index(v.values)
    uniq, inverse = np.unique(cells, return_inverse=True)
    counts = np.zeros(len(uniq), dtype=np.int64)
    np.add.at(counts, inverse, v.counts)
    centres = _grid_centre(uniq)
    order = np.argsort(centres, kind="stable")
    return ValueCounts(centres[order], counts[order], v.missing, v.present, False, True)


@dataclass(frozen=True)
class ScoreCounts:
    """Per distinct score, how many negatives and positives received it; mergeable with ``+``.

    Attributes
    ----------
    scores : ndarray of float64, sorted ascending
    negatives, positives : ndarray of int64
    exact : bool
        False once more than ``SCORE_CAP`` distinct scores were seen: then ``scores`` are the
        centres of ``SCORE_GRID`` equal bins on [0, 1] and AUC carries :attr:`auc_error_bound`.
    """

    scores: np.ndarray
    negatives: np.ndarray
    positives: np.ndarray
    exact: bool = True

    @classmethod
    def of(cls, score: np.ndarray, y01: np.ndarray) -> ScoreCounts:
        """Count one chunk: ``score`` of the positive class, ``y01`` 1 for positives."""
        s = np.asarray(score, dtype=np.float64) + 0.0
        uniq, inverse = np.unique(s, return_inverse=True)
        y = np.asarray(y01).astype(bool)
        pos = np.bincount(inverse[y], minlength=len(uniq)).astype(np.int64)
        neg = np.bincount(inverse[~y], minlength=len(uniq)).astype(np.int64)
        return cls(uniq, neg, pos)._capped()

    def _capped(self) -> ScoreCounts:
        return self if not self.exact or len(self.scores) <= SCORE_CAP else _score_grid(self)

    def __add__(self, other: ScoreCounts) -> ScoreCounts:
        a, b = self, other
        if a.exact != b.exact:
            a, b = (_score_grid(a), b) if a.exact else (a, _score_grid(b))
        scores = np.concatenate([a.scores, b.scores])
        uniq, inverse = np.unique(scores, return_inverse=True)
        neg = np.zeros(len(uniq), dtype=np.int64)
        pos = np.zeros(len(uniq), dtype=np.int64)
        np.add.at(neg, inverse, np.concatenate([a.negatives, b.negatives]))
        np.add.at(pos, inverse, np.concatenate([a.positives, b.positives]))
        return ScoreCounts(uniq, neg, pos, a.exact and b.exact)._capped()

    def roc_auc(self) -> float:
        """ROC-AUC: the chance a random positive scores above a random negative, ties counting half."""
        P, N = int(self.positives.sum()), int(self.negatives.sum())
        if P == 0 or N == 0:
            return float("nan")
        neg_below = np.cumsum(self.negatives) - self.negatives
        wins = int(np.sum(self.positives * (2 * neg_below + self.negatives)))  # twice the Mann-Whitney U
        return wins / (2 * P * N)

    def auc_error_bound(self) -> float:
        """Largest possible error of :meth:`roc_auc`: 0 while exact, else half the pairs sharing a grid bin."""
        if self.exact:
            return 0.0
        P, N = int(self.positives.sum()), int(self.negatives.sum())
        return float(np.sum(self.positives * self.negatives) / (2 * P * N)) if P and N else float("nan")

    def roc_auc_se(self) -> float:
        """DeLong's standard error of :meth:`roc_auc`, from the counts (DeLong, DeLong & Clarke-Pearson 1988).

        Each positive's placement is the share of negatives scoring below it (ties half), each
        negative's the share of positives above it; the AUC's variance is
        ``var(positive placements) / P + var(negative placements) / N``. NaN with fewer than two
        positives or negatives.
        """
        P, N = int(self.positives.sum()), int(self.negatives.sum())
        if P < 2 or N < 2:
            return float("nan")
        auc = self.roc_auc()
        neg_below = np.cumsum(self.negatives) - self.negatives
        pos_above = P - np.cumsum(self.positives)
        v10 = (neg_below + 0.5 * self.negatives) / N  # placement of a positive at each distinct score
        v01 = (pos_above + 0.5 * self.positives) / P  # placement of a negative
        var = np.sum(self.positives * (v10 - auc) ** 2) / (P - 1) / P + np.sum(self.negatives * (v01 - auc) ** 2) / (N - 1) / N
        return float(np.sqrt(var))

    def roc_auc_interval(self, *, level: float = 0.95) -> tuple[float, float]:
        """DeLong's normal interval for :meth:`roc_auc` (:meth:`roc_auc_se`).

        Clipped to [0, 1] and, once the counts are binned, widened by :meth:`auc_error_bound`.
        """
        from raudit.stats.inference import z_of

        auc, se = self.roc_auc(), self.roc_auc_se()
        if not np.isfinite(se):
            return float("nan"), float("nan")
        half = z_of(level) * se + self.auc_error_bound()
        return max(0.0, auc - half), min(1.0, auc + half)

    def average_precision_interval(self, *, level: float = 0.95) -> tuple[float, float]:
        """Logit interval for :meth:`average_precision`: ``expit(logit(AP) ± z / sqrt(P · AP · (1 − AP)))``.

        The interval Boyd, Eng and Page (2013, "Area under the precision-recall curve: point estimates
        and confidence intervals") found to cover well; it stays inside (0, 1). NaN when AP is 0 or 1.
        """
        from raudit.stats.inference import z_of

        P, ap = int(self.positives.sum()), self.average_precision()
        if not 0 < ap < 1:
            return float("nan"), float("nan")
        eta, se = np.log(ap / (1 - ap)), 1 / np.sqrt(P * ap * (1 - ap))
        z = z_of(level)
        return float(1 / (1 + np.exp(-(eta - z * se)))), float(1 / (1 + np.exp(-(eta + z * se))))

    def average_precision(self) -> float:
        """Average precision as scikit-learn defines it: sum over score thresholds of ΔRecall × precision."""
        P = int(self.positives.sum())
        if P == 0:
            return float("nan")
        tp = np.cumsum(self.positives[::-1])
        fp = np.cumsum(self.negatives[::-1])
        precision = tp / (tp + fp)
        recall = tp / P
        return float(np.sum(np.diff(np.concatenate([[0.0], recall])) * precision))


def _score_grid(s: ScoreCounts) -> ScoreCounts:
    cells = np.clip((s.scores * SCORE_GRID).astype(np.int64), 0, SCORE_GRID - 1)
    neg = np.bincount(cells, weights=s.negatives, minlength=SCORE_GRID).astype(np.int64)
    pos = np.bincount(cells, weights=s.positives, minlength=SCORE_GRID).astype(np.int64)
    keep = (neg + pos) > 0
    centres = (np.arange(SCORE_GRID) + 0.5) / SCORE_GRID
    return ScoreCounts(centres[keep], neg[keep], pos[keep], False)


def macro_roc_auc(scores: list[ScoreCounts] | tuple[ScoreCounts, ...], *, level: float = 0.95) -> tuple[float, float, float]:
    """The mean of one-vs-rest ROC-AUCs (scikit-learn's ``multi_class="ovr", average="macro"``) and a conservative interval.

    Each class's DeLong standard error is known, their correlations are not: the mean's standard error is at most the
    mean of theirs (errors added as if perfectly correlated); a bucketed class's error bound widens it further.

    Returns
    -------
    auc, low, high : float
    """
    from raudit.stats.inference import z_of

    auc = float(np.mean([sc.roc_auc() for sc in scores]))
    half = z_of(level) * float(np.mean([sc.roc_auc_se() for sc in scores])) + max(sc.auc_error_bound() for sc in scores)
    return auc, max(0.0, auc - half), min(1.0, auc + half)
