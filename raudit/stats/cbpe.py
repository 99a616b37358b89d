"""Performance without labels: confidence-based performance estimation (CBPE) from mergeable score tables.

A binary model's score says how likely each decision is right, *if the score is calibrated*. CBPE
(NannyML's confidence-based performance estimation) calibrates the scores on a labelled reference
(isotonic regression of the label on the score), then sums the calibrated probabilities into an
**expected confusion matrix** of the current rows: a row decided positive with calibrated
probability ``p`` adds ``p`` to the expected true positives and ``1 − p`` to the false positives; a
row decided negative adds ``p`` to the false negatives and ``1 − p`` to the true negatives. Accuracy,
precision, recall and F1 follow from the matrix; ROC-AUC from the score histogram with each bin's
rows split into ``p`` positives and ``1 − p`` negatives.

Everything here works on counts per score bin (:data:`~raudit.stats.groups.SCORE_BINS` bins of
width 0.001): the reference's label counts per bin, the current rows' decision counts per bin
(:class:`ScoreTable`), so estimates merge across chunks and machines like every other summary.

**Assumption** (stated in every report that shows an estimate): the probability of the positive
label given the score is the same now as in the reference (no *concept* shift, and no covariate
shift that moves the label's rate at a given score). The importance-weighted variant
(:func:`weighted_correction`, after PAPE, Kivimäki et al. 2024, arXiv 2401.08348) relaxes the
second part: it re-weights the reference by how much more or less often each stratum of an input
column occurs now at a given score (a histogram density ratio rather than PAPE's classifier), and
recalibrates. Where the current rows fall in strata the reference never saw, no weight exists: the
share of such rows is reported (:attr:`Correction.outside_support`).

**Intervals** are for the *realised* value the labels will show: a parametric bootstrap of the
reference's label counts (the calibration's own uncertainty) combined with the binomial variation
of the current rows' labels given the calibrated probabilities (normal approximations of the
expected cells; Hanley–McNeil for ROC-AUC). They do not cover a concept shift; nothing without
labels can.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from raudit.stats.groups import SCORE_BINS

__all__ = ["ScoreTable", "calibrate", "CbpeEstimate", "estimate_performance", "METRICS", "Correction", "weighted_correction",
           "StrataTable", "STRATA_BINS", "realised_metrics", "score_bins", "bootstrap_calibrations", "apply_correction"]

#: The metrics CBPE estimates, in report order.
METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")
#: Score bins of the strata tables that importance weights are computed from (0.01 wide).
STRATA_BINS = 100
#: Coarse score bins within which a stratum's share now and then is compared (0.05 wide).
WEIGHT_BINS = 20


def score_bins(score: np.ndarray, bins: int = SCORE_BINS) -> np.ndarray:
    """The bin (0 … ``bins − 1``) of each score in [0, 1], as the profiles count them."""
    return np.clip((np.asarray(score, dtype=float) * bins).astype(np.int64), 0, bins - 1)


@dataclass(frozen=True, eq=False)
class ScoreTable:
    """Rows per group, per outcome (0 or 1: a label, or a decision) and per score bin; mergeable with ``+``.

    Attributes
    ----------
    groups : tuple of str
        Sorted group names.
    counts : ndarray of int64, shape (n_groups, 2, bins)
    """

    groups: tuple[str, ...]
    counts: np.ndarray

    @classmethod
    def of(cls, groups: Sequence[Any] | np.ndarray, outcome: np.ndarray, score: np.ndarray, *, bins: int = SCORE_BINS) -> ScoreTable:
        """Count one chunk: each row's group, outcome (0/1) and score in [0, 1]."""
        codes, uniques = pd.factorize(np.asarray(groups, dtype=object), use_na_sentinel=False)
        text = np.asarray([str(u) for u in uniques], dtype=str)
        order = np.argsort(text, kind="stable")
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        g = len(text)
        flat = (rank[codes] * 2 + np.asarray(outcome, dtype=np.int64)) * bins + score_bins(score, bins)
        counts = np.bincount(flat, minlength=g * 2 * bins).reshape(g, 2, bins).astype(np.int64)
        return cls(tuple(text[order].tolist()), counts)

    def __add__(self, other: ScoreTable) -> ScoreTable:
        names = tuple(sorted(set(self.groups) | set(other.groups)))
        out = np.zeros((len(names), *self.counts.shape[1:]), dtype=np.int64)
        for t in (self, other):
            out[[names.index(n) for n in t.groups]] += t.counts
        return ScoreTable(names, out)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ScoreTable) and self.groups == other.groups and np.array_equal(self.counts, other.counts)

    __hash__ = None  # type: ignore[assignment]

    def regroup(self, names: Sequence[str]) -> ScoreTable:
        """Sum the groups under new ``names`` (one per group)."""
        new = sorted(set(names))
        out = np.zeros((len(new), *self.counts.shape[1:]), dtype=np.int64)
        for name, row in zip(names, self.counts):
            out[new.index(name)] += row
        return ScoreTable(tuple(new), out)

    def total(self) -> np.ndarray:
        """All groups summed: shape (2, bins)."""
        return self.counts.sum(axis=0)

    def to_json(self) -> dict[str, Any]:
        """Sparse JSON form: per group and outcome, [first bin, counts...] runs."""
        from raudit.stats.sketch import _runs

        out: dict[str, Any] = {"bins": int(self.counts.shape[2]), "groups": list(self.groups), "counts": []}
        for row in self.counts:
            parts = []
            for h in row:
                nz = np.flatnonzero(h)
                parts.append(_runs(nz, h[nz]))
            out["counts"].append(parts)
        return out

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> ScoreTable:
        """Read :meth:`to_json`'s form."""
        from raudit.stats.sketch import _unruns

        bins = int(raw["bins"])
        groups = tuple(str(g) for g in raw["groups"])
        counts = np.zeros((len(groups), 2, bins), dtype=np.int64)
        for i, parts in enumerate(raw["counts"]):
            for j, runs in enumerate(parts):
                keys, values = _unruns(runs)
                if len(keys) and (keys[0] < 0 or keys[-1] >= bins or np.any(values < 0)):
                    raise ValueError(f"score bins must lie in 0..{bins - 1} with counts ≥ 0")
                counts[i, j, keys] = values
        if list(groups) != sorted(groups):
            raise ValueError("score table groups must be sorted")
        return cls(groups, counts)


def _pava(y: list[float], w: list[float]) -> list[float]:
    """Pool adjacent violators: the non-decreasing fit of ``y`` closest in weighted least squares (weights > 0)."""
    vals: list[float] = []
    wts: list[float] = []
    sizes: list[int] = []
    for yi, wi in zip(y, w):
        vals.append(yi)
        wts.append(wi)
        sizes.append(1)
        while len(vals) > 1 and vals[-2] > vals[-1]:
            wt = wts[-2] + wts[-1]
            vals[-2] = (vals[-2] * wts[-2] + vals[-1] * wts[-1]) / wt
            wts[-2] = wt
            sizes[-2] += sizes[-1]
            del vals[-1], wts[-1], sizes[-1]
    out: list[float] = []
    for v, k in zip(vals, sizes):
        out.extend([v] * k)
    return out


def calibrate(positives: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Isotonic calibration of score bins: the probability of the positive label in each bin.

    Fits the non-decreasing function of the score closest (weighted least squares) to each bin's
    share of positives, weighted by its rows (pool-adjacent-violators: the same fit as
    :func:`sklearn.isotonic.isotonic_regression` on the bins, and as ``IsotonicRegression`` on the
    rows themselves when each bin holds one score); bins without rows take the value interpolated
    linearly between their neighbours' (clipped at the ends), as ``IsotonicRegression`` predicts
    between its thresholds.

    Parameters
    ----------
    positives, rows : ndarray of shape (..., bins)
        Leading axes are independent calibrations (bootstrap rounds).

    Returns
    -------
    ndarray of shape (..., bins)

    Examples
    --------
    >>> calibrate(np.array([1, 0, 3, 4]), np.array([2, 2, 4, 4])).tolist()
    [0.25, 0.25, 0.75, 1.0]
    """
    pos = np.asarray(positives, dtype=float)
    n = np.asarray(rows, dtype=float)
    flat_p, flat_n = pos.reshape(-1, pos.shape[-1]), np.broadcast_to(n, pos.shape).reshape(-1, pos.shape[-1])
    out = np.full(flat_p.shape, np.nan)
    centres = (np.arange(pos.shape[-1]) + 0.5) / pos.shape[-1]
    for i, (p, w) in enumerate(zip(flat_p, flat_n)):
        seen = w > 0
        if not seen.any():
            continue
        fitted = _pava((p[seen] / w[seen]).tolist(), w[seen].tolist())
        out[i] = np.interp(centres, centres[seen], fitted)
    return out.reshape(pos.shape)


def realised_metrics(tn: Any, fp: Any, fn: Any, tp: Any) -> dict[str, Any]:
    """Accuracy, precision, recall and F1 from (expected or counted) confusion cells; NaN where undefined."""
    tn, fp, fn, tp = (np.asarray(v, dtype=float) for v in (tn, fp, fn, tp))
    n = tn + fp + fn + tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return {"accuracy": (tn + tp) / n, "precision": tp / (tp + fp), "recall": tp / (tp + fn),
                "f1": 2 * tp / (2 * tp + fp + fn)}


def _auc(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """ROC-AUC from (fractional) positive and negative counts per score bin; ties within a bin count half."""
    below = np.cumsum(neg, axis=-1) - neg
    with np.errstate(invalid="ignore", divide="ignore"):
        return (pos * (below + 0.5 * neg)).sum(axis=-1) / (pos.sum(axis=-1) * neg.sum(axis=-1))


def _hanley_mcneil(auc: np.ndarray, n_pos: np.ndarray, n_neg: np.ndarray) -> np.ndarray:
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc**2) + (n_neg - 1) * (q2 - auc**2)) / (n_pos * n_neg)
    return np.sqrt(np.clip(var, 0, None))


@dataclass(frozen=True)
class CbpeEstimate:
    """Estimated metrics of one set of rows, with the spread of the realised value around each.

    Attributes
    ----------
    rows : int
    values : mapping of str to float
        Each metric of :data:`METRICS` computed from the expected confusion matrix (and histogram).
    sd : mapping of str to float
        Standard deviation of the realised value given the estimate: the calibration's bootstrap
        spread and the labels' binomial variation, combined.
    expected : tuple of float
        The expected confusion cells (tn, fp, fn, tp).
    """

    rows: int
    values: Mapping[str, float]
    sd: Mapping[str, float]
    expected: tuple[float, float, float, float]

    def interval(self, metric: str, level: float = 0.95) -> tuple[float, float]:
        """The normal interval of the realised ``metric`` at ``level`` (clipped to [0, 1])."""
        from raudit.stats.inference import z_of

        v, s = self.values[metric], self.sd[metric]
        if not (math.isfinite(v) and math.isfinite(s)):
            return math.nan, math.nan
        z = float(z_of(level))
        return max(0.0, v - z * s), min(1.0, v + z * s)


def _expected(decisions: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, ...]:
    """Expected (tn, fp, fn, tp) and the variance of the realised positives, per decision, under calibrated ``p``.

    ``decisions`` has shape (..., 2, bins) (decided negative, decided positive); ``p`` (R, bins) or (bins,).
    """
    neg_rows, pos_rows = decisions[..., 0, :].astype(float), decisions[..., 1, :].astype(float)
    fn = neg_rows @ p.T if p.ndim == 2 else neg_rows @ p
    tp = pos_rows @ p.T if p.ndim == 2 else pos_rows @ p
    var_fn = neg_rows @ (p * (1 - p)).T if p.ndim == 2 else neg_rows @ (p * (1 - p))
    var_tp = pos_rows @ (p * (1 - p)).T if p.ndim == 2 else pos_rows @ (p * (1 - p))
    n0, n1 = neg_rows.sum(axis=-1, keepdims=p.ndim == 2), pos_rows.sum(axis=-1, keepdims=p.ndim == 2)
    return n0 - fn, n1 - tp, fn, tp, var_fn, var_tp


def estimate_performance(decisions: np.ndarray, p: np.ndarray, p_rounds: np.ndarray, *, rng: np.random.Generator,
                         label_draws: int = 200) -> CbpeEstimate:  # size: one estimate with both sources of its spread
    """CBPE for one set of rows.

    Parameters
    ----------
    decisions : ndarray of int, shape (2, bins)
        The rows decided negative and positive per score bin.
    p : ndarray of shape (bins,)
        Calibrated probability of the positive label per bin.
    p_rounds : ndarray of shape (R, bins)
        The calibration refitted on bootstrap draws of the reference's label counts.
    rng : Generator
        For the labels' binomial variation (normal draws of the realised cells).
    label_draws : int
        Draws of the realised cells per calibration round (at most ``R`` are used).

    Returns
    -------
    CbpeEstimate
    """
    d = np.asarray(decisions)
    rows = int(d.sum())
    tn, fp, fn, tp, _, _ = _expected(d, p)
    values = {k: float(v) for k, v in realised_metrics(tn, fp, fn, tp).items()}
    pos_hist, neg_hist = d.sum(axis=0) * p, d.sum(axis=0) * (1 - p)
    values["roc_auc"] = float(_auc(pos_hist, neg_hist))
    # the calibration's spread: each bootstrap calibration's expected cells; the labels' spread: normal draws around them
    etn, efp, efn, etp, vfn, vtp = (np.ravel(x) for x in _expected(d, p_rounds))
    r = len(etn)
    k = min(label_draws, r)
    fn_draw = efn[:k] + rng.standard_normal(k) * np.sqrt(vfn[:k])
    tp_draw = etp[:k] + rng.standard_normal(k) * np.sqrt(vtp[:k])
    n0, n1 = float(d[0].sum()), float(d[1].sum())
    fn_draw, tp_draw = np.clip(fn_draw, 0, n0), np.clip(tp_draw, 0, n1)
    drawn = realised_metrics(n0 - fn_draw, n1 - tp_draw, fn_draw, tp_draw)
    sd = {m: float(np.nanstd(v, ddof=1)) if np.isfinite(v).sum() > 1 else math.nan for m, v in drawn.items()}
    total = d.sum(axis=0).astype(float)
    auc_rounds = _auc(total * p_rounds, total * (1 - p_rounds))
    hm = _hanley_mcneil(np.asarray(values["roc_auc"]), np.asarray(float(pos_hist.sum())), np.asarray(float(neg_hist.sum())))
    cal_sd = float(np.nanstd(auc_rounds, ddof=1)) if r > 1 else 0.0
    sd["roc_auc"] = float(math.hypot(cal_sd, float(hm)))
    return CbpeEstimate(rows, values, sd, (float(tn), float(fp), float(fn), float(tp)))


def bootstrap_calibrations(label_counts: np.ndarray, rounds: int, rng: np.random.Generator) -> np.ndarray:
    """The calibration refitted on ``rounds`` binomial draws of the reference's positives per bin.

    ``label_counts`` has shape (2, bins): negatives and positives per score bin. Returns (rounds, bins).
    """
    n = label_counts.sum(axis=0)
    share = np.divide(label_counts[1], n, out=np.zeros(len(n)), where=n > 0)
    draws = rng.binomial(np.broadcast_to(n, (rounds, len(n))), share)
    return calibrate(draws, n)


# -- importance weights (PAPE-style) --------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class StrataTable:
    """Rows per stratum of one column, per outcome and per coarse score bin (:data:`STRATA_BINS`); mergeable.

    The strata are a column's bins (the reference's deciles, or its categories): the same spec on
    both sides, so that a stratum's share at a given score can be compared then and now.

    Attributes
    ----------
    strata : tuple of str
        Stratum names, sorted.
    counts : ndarray of int64, shape (n_strata, 2, STRATA_BINS)
        Outcome 0/1 (labels on a labelled side; all rows count as 0 when there are none).
    """

    strata: tuple[str, ...]
    counts: np.ndarray

    @classmethod
    def of(cls, strata: np.ndarray, outcome: np.ndarray | None, score: np.ndarray) -> StrataTable:
        """Count one chunk (``outcome`` None: rows without labels, counted as outcome 0)."""
        t = ScoreTable.of(strata, np.zeros(len(score), dtype=np.int64) if outcome is None else outcome, score, bins=STRATA_BINS)
        return cls(t.groups, t.counts)

    def __add__(self, other: StrataTable) -> StrataTable:
        t = ScoreTable(self.strata, self.counts) + ScoreTable(other.strata, other.counts)
        return StrataTable(t.groups, t.counts)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StrataTable) and self.strata == other.strata and np.array_equal(self.counts, other.counts)

    __hash__ = None  # type: ignore[assignment]

    def to_json(self) -> dict[str, Any]:  # noqa: D102
        return ScoreTable(self.strata, self.counts).to_json()

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> StrataTable:  # noqa: D102
        t = ScoreTable.from_json(raw)
        return cls(t.groups, t.counts)


@dataclass(frozen=True)
class Correction:
    """The importance-weighted recalibration of one set of current rows.

    Attributes
    ----------
    column : str
        The column whose strata were weighted (the one whose share at a given score moved most).
    shift : float
        That column's shift given the score: the rows-weighted PSI of its strata within each
        coarse score bin, now against the reference.
    delta : ndarray of shape (STRATA_BINS,)
        The change of the calibrated probability in each coarse score bin (weighted − unweighted).
    delta_rounds : ndarray of shape (R, STRATA_BINS)
        The same for the bootstrap draws of the reference.
    outside_support : float
        Share of the current rows in (stratum, coarse score bin) cells where the reference has no row:
        the cells the weights are computed on, so these rows get no weight.
    """

    column: str
    shift: float
    delta: np.ndarray
    delta_rounds: np.ndarray
    outside_support: float


def _conditional_shift(ref: np.ndarray, cur: np.ndarray) -> float:
    """Rows-weighted PSI of the strata's shares within each coarse score bin (ref, cur: (strata, WEIGHT_BINS))."""
    eps = 1e-4
    n_ref, n_cur = ref.sum(axis=0), cur.sum(axis=0)
    ok = (n_ref > 0) & (n_cur > 0)
    if not ok.any():
        return 0.0
    a = np.clip(ref[:, ok] / n_ref[ok], eps, None)
    b = np.clip(cur[:, ok] / n_cur[ok], eps, None)
    psi = ((b - a) * np.log(b / a)).sum(axis=0)
    return float((psi * n_cur[ok]).sum() / n_cur[ok].sum())


def _coarse(counts: np.ndarray) -> np.ndarray:
    """(…, STRATA_BINS) → (…, WEIGHT_BINS) by summing adjacent bins."""
    return counts.reshape(*counts.shape[:-1], WEIGHT_BINS, STRATA_BINS // WEIGHT_BINS).sum(axis=-1)


def weighted_correction(reference: Mapping[str, StrataTable], current: Mapping[str, StrataTable], *, rounds: int,
                        rng: np.random.Generator) -> Correction | None:
    """Recalibrate with importance weights on the strata of the column whose distribution given the score moved most.

    Each reference row in stratum ``c`` and coarse score bin ``S`` gets the weight
    ``share_now(c | S) / share_then(c | S)``; the isotonic calibration refitted on the weighted
    reference, minus the unweighted one, is the correction added to the CBPE probability of each
    score bin (so equal shares give exactly CBPE). ``None`` when no column has strata on both sides.
    """
    best: tuple[float, str] | None = None
    for col, ref in reference.items():
        cur = current.get(col)
        if cur is None:
            continue
        r, c = _aligned(ref, cur)
        shift = _conditional_shift(_coarse(r.sum(axis=1)), _coarse(c.sum(axis=1)))
        if best is None or shift > best[0]:
            best = (shift, col)
    if best is None:
        return None
    shift, col = best
    r, c = _aligned(reference[col], current[col])
    ref_rows, cur_rows = r.sum(axis=1), c.sum(axis=1)  # (strata, STRATA_BINS)
    ref_coarse, cur_coarse = _coarse(ref_rows), _coarse(cur_rows)  # the weights' own cells: what cannot be weighted
    outside = float(cur_coarse[ref_coarse == 0].sum() / max(cur_coarse.sum(), 1))
    delta = _delta(r, cur_rows)
    rate = np.divide(r[:, 1], r.sum(axis=1), out=np.zeros(r.shape[::2]), where=r.sum(axis=1) > 0)
    draws = [rng.binomial(r.sum(axis=1), rate) for _ in range(rounds)]
    delta_rounds = np.stack([_delta(np.stack([r.sum(axis=1) - d, d], axis=1), cur_rows) for d in draws]) if rounds else \
        np.zeros((0, STRATA_BINS))
    return Correction(col, shift, delta, delta_rounds, outside)


def _aligned(ref: StrataTable, cur: StrataTable) -> tuple[np.ndarray, np.ndarray]:
    names = sorted(set(ref.strata) | set(cur.strata))
    a = np.zeros((len(names), 2, STRATA_BINS), dtype=np.int64)
    b = np.zeros_like(a)
    a[[names.index(s) for s in ref.strata]] = ref.counts
    b[[names.index(s) for s in cur.strata]] = cur.counts
    return a, b


def _delta(ref: np.ndarray, cur_rows: np.ndarray) -> np.ndarray:
    """Weighted minus unweighted isotonic calibration over the coarse score bins (ref: (strata, 2, STRATA_BINS))."""
    rows = ref.sum(axis=1).astype(float)
    pos = ref[:, 1].astype(float)
    share_ref = _coarse(rows) / np.maximum(_coarse(rows).sum(axis=0), 1)
    share_cur = _coarse(cur_rows.astype(float)) / np.maximum(_coarse(cur_rows.astype(float)).sum(axis=0), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(share_ref > 0, share_cur / share_ref, 0.0)  # (strata, WEIGHT_BINS)
    w = np.where(_coarse(cur_rows).sum(axis=0) > 0, w, 1.0)  # no current rows at that score: nothing to reweight
    w_fine = np.repeat(w, STRATA_BINS // WEIGHT_BINS, axis=1)
    plain = calibrate(pos.sum(axis=0), rows.sum(axis=0))
    weighted = calibrate((w_fine * pos).sum(axis=0), (w_fine * rows).sum(axis=0))
    return np.nan_to_num(weighted - plain)


def apply_correction(p: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """CBPE probabilities per score bin (..., SCORE_BINS) plus a correction per coarse bin (..., STRATA_BINS), clipped to [0, 1]."""
    per = p.shape[-1] // delta.shape[-1]
    return np.clip(p + np.repeat(delta, per, axis=-1), 0.0, 1.0)
