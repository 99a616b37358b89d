"""How well a score separates two samples: ROC points, AUC, advantage, TPR at a low FPR, their intervals.

A membership-inference attack gives every row a score (higher: "was in the training data"); its
power is how well that score separates the *positives* (members) from the *negatives*
(non-members). Everything here starts from :class:`Separation`, the two samples' counts at each
distinct score, so ties are handled once and exactly:

- the ROC step function (predict "positive" when the score is at least a threshold), as
  ``sklearn.metrics.roc_curve(..., drop_intermediate=False)`` draws it;
- ROC-AUC (the Mann–Whitney probability that a positive outscores a negative, ties counting half)
  and its DeLong variance (for a test between two independent samples);
- the advantage ``max(TPR - FPR)`` over thresholds (Yeom et al. 2018's membership advantage);
- the TPR at a target FPR: the largest TPR of a threshold whose FPR is at most the target, no
  interpolation (Carlini et al. 2022 report it at 0.1 % and 1 %);
- a stratified bootstrap of the AUC and the advantage (each sample resampled on its own);
- the empirical differential-privacy lower bound those rates imply (:func:`epsilon_lower_bound`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from raudit.stats.inference import clopper_pearson

__all__ = ["Separation", "Operating", "epsilon_lower_bound"]


@dataclass(frozen=True)
class Operating:
    """One threshold of a score: predict "positive" when the score is at least ``threshold``.

    Attributes
    ----------
    threshold : float
        ``inf`` for the threshold that predicts no positive at all.
    tp, fp : int
        Positives and negatives at or above it.
    positives, negatives : int
        Sizes of the two samples.
    """

    threshold: float
    tp: int
    fp: int
    positives: int
    negatives: int

    @property
    def tpr(self) -> float:
        """True-positive rate."""
        return self.tp / self.positives if self.positives else math.nan

    @property
    def fpr(self) -> float:
        """False-positive rate."""
        return self.fp / self.negatives if self.negatives else math.nan

    def tpr_interval(self, level: float = 0.95) -> tuple[float, float]:
        """Clopper–Pearson interval of the TPR."""
        lo, hi = clopper_pearson(self.tp, self.positives, level=level)
        return float(lo), float(hi)

    def fpr_interval(self, level: float = 0.95) -> tuple[float, float]:
        """Clopper–Pearson interval of the FPR."""
        lo, hi = clopper_pearson(self.fp, self.negatives, level=level)
        return float(lo), float(hi)


@dataclass(frozen=True)
class Separation:
    """Counts of positives and negatives at each distinct score (ascending); build it with :meth:`of`.

    Examples
    --------
    >>> s = Separation.of(np.array([0.9, 0.8, 0.4]), np.array([0.1, 0.5, 0.8]))
    >>> round(s.auc(), 4), round(s.advantage(), 4), s.at_fpr(0.0).tpr
    (0.7222, 0.3333, 0.3333333333333333)
    """

    scores: np.ndarray
    pos: np.ndarray
    neg: np.ndarray
    pos_index: np.ndarray
    neg_index: np.ndarray

    @classmethod
    def of(cls, positives: np.ndarray, negatives: np.ndarray) -> Separation:
        """The separation of two samples of finite scores."""
        positives = np.asarray(positives, dtype=float)
        negatives = np.asarray(negatives, dtype=float)
        if not (np.isfinite(positives).all() and np.isfinite(negatives).all()):
            raise ValueError("scores must be finite")
        scores, inverse = np.unique(np.concatenate([positives, negatives]), return_inverse=True)
        pi, ni = inverse[: len(positives)], inverse[len(positives):]
        return cls(scores, np.bincount(pi, minlength=len(scores)), np.bincount(ni, minlength=len(scores)), pi, ni)

    @property
    def positives(self) -> int:
        """Size of the positive sample."""
        return len(self.pos_index)

    @property
    def negatives(self) -> int:
        """Size of the negative sample."""
        return len(self.neg_index)

    def roc(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """FPR, TPR and thresholds from the strictest (no positive predicted, threshold ``inf``) to the loosest."""
        tp = np.concatenate([[0], np.cumsum(self.pos[::-1])])
        fp = np.concatenate([[0], np.cumsum(self.neg[::-1])])
        thresholds = np.concatenate([[np.inf], self.scores[::-1]])
        return fp / max(self.negatives, 1), tp / max(self.positives, 1), thresholds

    def auc(self) -> float:
        """ROC-AUC: the probability that a positive outscores a negative, ties counting half."""
        return float(_auc(self.pos, self.neg))

    def advantage(self) -> float:
        """``max(TPR - FPR)`` over thresholds (0 at the threshold that predicts nothing)."""
        return float(_advantage(self.pos, self.neg))

    def at_fpr(self, target: float) -> Operating:
        """The threshold of highest TPR whose FPR is at most ``target`` (no interpolation between ROC points)."""
        tp = np.concatenate([[0], np.cumsum(self.pos[::-1])])
        fp = np.concatenate([[0], np.cumsum(self.neg[::-1])])
        thresholds = np.concatenate([[np.inf], self.scores[::-1]])
        ok = np.flatnonzero(fp <= target * self.negatives + 1e-9)  # fp / n <= target, robust to the rounding of target * n
        best = ok[np.argmax(tp[ok])]  # tp grows along the curve: the loosest allowed threshold
        return Operating(float(thresholds[best]), int(tp[best]), int(fp[best]), self.positives, self.negatives)

    def delong_variance(self) -> float:
        """DeLong et al. (1988)'s variance of the AUC, from the placement values of each sample."""
        below = np.concatenate([[0], np.cumsum(self.neg)[:-1]])  # negatives strictly below each score
        above = self.positives - np.cumsum(self.pos)  # positives strictly above each score
        v10 = (below + 0.5 * self.neg)[self.pos_index] / max(self.negatives, 1)
        v01 = (above + 0.5 * self.pos)[self.neg_index] / max(self.positives, 1)
        if self.positives < 2 or self.negatives < 2:
            return math.nan
        return float(np.var(v10, ddof=1) / self.positives + np.var(v01, ddof=1) / self.negatives)

    def bootstrap(self, rng: np.random.Generator, replicates: int) -> tuple[np.ndarray, np.ndarray]:
        """AUC and advantage of ``replicates`` stratified bootstrap resamples (each sample resampled to its own size)."""
        n_pos, n_neg, size = self.positives, self.negatives, len(self.scores)
        aucs, advantages = np.empty(replicates), np.empty(replicates)
        for b in range(replicates):
            w_pos = np.bincount(rng.integers(0, n_pos, n_pos), minlength=n_pos)
            w_neg = np.bincount(rng.integers(0, n_neg, n_neg), minlength=n_neg)
            pos = np.bincount(self.pos_index, weights=w_pos, minlength=size)
            neg = np.bincount(self.neg_index, weights=w_neg, minlength=size)
            aucs[b], advantages[b] = _auc(pos, neg), _advantage(pos, neg)
        return aucs, advantages


def _auc(pos: np.ndarray, neg: np.ndarray) -> float:
    n_pos, n_neg = pos.sum(), neg.sum()
    if n_pos == 0 or n_neg == 0:
        return math.nan
    below = np.cumsum(neg) - neg
    return float(np.dot(pos, below + 0.5 * neg) / (n_pos * n_neg))


def _advantage(pos: np.ndarray, neg: np.ndarray) -> float:
    n_pos, n_neg = pos.sum(), neg.sum()
    if n_pos == 0 or n_neg == 0:
        return math.nan
    gap = np.cumsum(pos[::-1]) / n_pos - np.cumsum(neg[::-1]) / n_neg
    return float(max(0.0, gap.max()))


def epsilon_lower_bound(op: Operating, *, level: float = 0.95, delta: float = 0.0) -> float:
    """The smallest ε that an (ε, δ)-differentially private training could have, given one attack threshold.

    An (ε, δ)-DP mechanism bounds every membership test (Kairouz et al. 2015; used for audits by
    Jagielski et al. 2020 and Nasr et al. 2021)::

        TPR ≤ e^ε · FPR + δ    and    1 − FPR ≤ e^ε · (1 − TPR) + δ

    so, with the Clopper–Pearson bounds ``TPR_lo`` and ``FPR_hi`` (each one-sided at
    ``1 − (1 − level) / 2``, jointly at ``level``)::

        ε ≥ max( ln((TPR_lo − δ) / FPR_hi),  ln((1 − FPR_hi − δ) / (1 − TPR_lo)),  0 )

    Examples
    --------
    >>> round(epsilon_lower_bound(Operating(0.5, tp=400, fp=10, positives=1000, negatives=1000)), 3)
    3.004
    """
    tpr_lo = op.tpr_interval(level)[0]
    fpr_hi = op.fpr_interval(level)[1]
    bounds = [0.0]
    if tpr_lo - delta > 0 and fpr_hi > 0:
        bounds.append(math.log((tpr_lo - delta) / fpr_hi))
    if 1 - fpr_hi - delta > 0 and tpr_lo < 1:
        bounds.append(math.log((1 - fpr_hi - delta) / (1 - tpr_lo)))
    return max(bounds)
