"""Paired statistics for comparing two models scored on the same rows.

- :func:`mcnemar`: McNemar's test on the discordant pairs of two classifiers'
  correctness (exact binomial when there are few, else chi-square with
  Edwards' continuity correction).
- :func:`delong`: DeLong's test for two correlated ROC-AUCs, in the fast
  O(n log n) form of Sun & Xu (2014) that computes the structural components
  from mid-ranks.
- :func:`paired_t` and :func:`wilcoxon_signed_rank`: two regressors' errors on the same rows (the
  mean of the per-row differences with its t interval; the signed-rank test beside).
- :func:`bootstrap_weights` and :func:`bootstrap_p`: a seeded row bootstrap
  (rows resampled jointly for both models, optionally within strata) and the
  two-sided p-value of a bootstrap distribution of differences.

References
----------
DeLong, DeLong & Clarke-Pearson (1988), "Comparing the areas under two or more
correlated receiver operating characteristic curves: a nonparametric approach",
Biometrics 44(3), 837-845. Sun & Xu (2014), "Fast implementation of DeLong's
algorithm for comparing the areas under correlated receiver operating
characteristic curves", IEEE Signal Processing Letters 21(11), 1389-1393.
McNemar (1947), Psychometrika 12(2), 153-157; Edwards (1948), Psychometrika 13(3).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

__all__ = ["McNemarResult", "mcnemar", "paired_difference_interval", "DeLongResult", "delong", "bootstrap_weights", "bootstrap_p",
           "EXACT_BELOW", "PairedT", "paired_t", "wilcoxon_signed_rank"]

#: McNemar switches from the exact binomial test to chi-square at this many discordant pairs.
EXACT_BELOW = 25


@dataclass(frozen=True)
class McNemarResult:
    """McNemar's test of two paired classifiers.

    Attributes
    ----------
    only_a : int
        Rows the first model gets right and the second wrong.
    only_b : int
        Rows the second model gets right and the first wrong.
    statistic : float
        ``min(only_a, only_b)`` for the exact test, the chi-square statistic otherwise.
    pvalue : float
        Two-sided.
    method : str
    """

    only_a: int
    only_b: int
    statistic: float
    pvalue: float
    method: str


def mcnemar(only_a: int, only_b: int, *, exact_below: int = EXACT_BELOW) -> McNemarResult:
    """McNemar's test on the discordant counts of two paired classifiers.

    With fewer than ``exact_below`` discordant pairs the p-value is the exact
    two-sided binomial one (``min(1, 2 P[X <= min(b, c)])``, X ~ Bin(b + c,
    1/2)); the chi-square approximation is poor there. Otherwise it is
    chi-square with one degree of freedom and Edwards' continuity correction,
    ``(|b - c| - 1)^2 / (b + c)``, which keeps the test from being too eager
    at moderate counts. The same two variants as
    ``statsmodels.stats.contingency_tables.mcnemar(exact=True)`` and
    ``(exact=False, correction=True)``.

    Examples
    --------
    >>> r = mcnemar(10, 2)
    >>> r.method, round(r.pvalue, 4)
    ('exact binomial', 0.0386)
    """
    from scipy import stats

    b, c = int(only_a), int(only_b)
    n = b + c
    if n == 0:
        return McNemarResult(b, c, 0.0, 1.0, "no discordant pairs")
    if n < exact_below:
        p = min(1.0, 2 * float(stats.binom.cdf(min(b, c), n, 0.5)))
        return McNemarResult(b, c, float(min(b, c)), p, "exact binomial")
    statistic = (abs(b - c) - 1) ** 2 / n
    return McNemarResult(b, c, float(statistic), float(stats.chi2.sf(statistic, 1)), "chi-square, continuity-corrected")


def paired_difference_interval(only_a: int, only_b: int, n: int, *, level: float = 0.95) -> tuple[float, float]:
    """Bonett & Price's adjusted Wald interval for the difference of two paired proportions, ``(only_a − only_b) / n``.

    The accuracy of model A minus that of model B on the same ``n`` rows, from the discordant pairs
    (A right and B wrong: ``only_a``; the reverse: ``only_b``). One is added to each discordant count
    and two to ``n`` before the Wald interval (Bonett & Price 2012, "Adjusted Wald confidence interval
    for a difference of binomial proportions based on paired data", J. Educ. Behav. Stat. 37(4)),
    which keeps its coverage near the nominal level even with few discordant pairs. Clipped to [−1, 1].

    Examples
    --------
    >>> lo, hi = paired_difference_interval(40, 10, 200)
    >>> round(lo, 3), round(hi, 3)
    (0.082, 0.215)
    """
    from raudit.stats.inference import z_of

    p12, p21 = (only_a + 1) / (n + 2), (only_b + 1) / (n + 2)
    d = p12 - p21
    half = z_of(level) * float(np.sqrt(max(p12 + p21 - d * d, 0.0) / (n + 2)))
    return max(-1.0, d - half), min(1.0, d + half)


@dataclass(frozen=True)
class DeLongResult:
    """DeLong's test of two correlated ROC-AUCs.

    Attributes
    ----------
    auc_a, auc_b : float
    delta : float
        ``auc_b - auc_a``.
    se : float
        Standard error of ``delta``.
    z : float
        ``delta / se`` (0 when both curves are identical).
    pvalue : float
        Two-sided.
    low, high : float
        Confidence interval of ``delta`` (normal, at ``level``).
    level : float
    """

    auc_a: float
    auc_b: float
    delta: float
    se: float
    z: float
    pvalue: float
    low: float
    high: float
    level: float


def _structural(y01: np.ndarray, score: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """AUC and its structural components (Sun & Xu 2014): one per positive, one per negative."""
    from scipy.stats import rankdata

    pos, neg = score[y01 == 1], score[y01 == 0]
    m, n = len(pos), len(neg)
    tz = rankdata(np.concatenate([pos, neg]))  # mid-ranks: ties count one half
    tx, ty = rankdata(pos), rankdata(neg)
    auc = (tz[:m].sum() - m * (m + 1) / 2) / (m * n)
    v01 = (tz[:m] - tx) / n  # for each positive: share of negatives it outranks
    v10 = 1.0 - (tz[m:] - ty) / m  # for each negative: share of positives that outrank it
    return float(auc), v01, v10


def delong(y01: np.ndarray, score_a: np.ndarray, score_b: np.ndarray, *, level: float = 0.95) -> DeLongResult:
    """Compare the ROC-AUCs of two scores on the same rows (DeLong's test, fast form).

    Parameters
    ----------
    y01 : ndarray of shape (n_samples,)
        1 for the positive class, 0 otherwise; both must occur.
    score_a, score_b : ndarray of shape (n_samples,)
        Higher means more likely positive.
    level : float
        Confidence level of the interval of the difference.

    Returns
    -------
    DeLongResult
        Matches pROC's ``roc.test(roc_b, roc_a, method = "delong")`` (statistic,
        p-value and interval; see tests/test_paired_stats.py).

    Examples
    --------
    >>> y = np.array([0, 0, 1, 1]); r = delong(y, np.array([.1, .6, .4, .9]), np.array([.1, .2, .8, .9]))
    >>> r.auc_a, r.auc_b
    (0.75, 1.0)
    """
    from scipy import stats

    y01 = np.asarray(y01, dtype=int)
    m, n = int(y01.sum()), int(len(y01) - y01.sum())
    if m == 0 or n == 0:
        raise ValueError("DeLong's test needs both classes")
    auc_a, v01_a, v10_a = _structural(y01, np.asarray(score_a, dtype=float))
    auc_b, v01_b, v10_b = _structural(y01, np.asarray(score_b, dtype=float))
    s01 = np.cov(np.vstack([v01_a, v01_b])) if m > 1 else np.zeros((2, 2))
    s10 = np.cov(np.vstack([v10_a, v10_b])) if n > 1 else np.zeros((2, 2))
    s = s01 / m + s10 / n
    var = float(s[0, 0] + s[1, 1] - 2 * s[0, 1])
    delta = auc_b - auc_a
    se = float(np.sqrt(max(var, 0.0)))
    if se == 0.0 or not np.isfinite(se):
        z, p = 0.0, 1.0
    else:
        z = delta / se
        p = float(2 * stats.norm.sf(abs(z)))
    half = float(stats.norm.ppf(0.5 + level / 2)) * se
    return DeLongResult(auc_a, auc_b, delta, se, float(z), p, delta - half, delta + half, level)


def bootstrap_weights(n: int, rounds: int, rng: np.random.Generator, *, strata: np.ndarray | None = None) -> Iterator[np.ndarray]:
    """Yield, for each bootstrap round, how many times each row is drawn.

    Rows are resampled with replacement, the same draw serving every model
    (a paired bootstrap). With ``strata`` (integer codes) each stratum is
    resampled to its own size, for independent samples such as the arms of
    an A/B test.

    Examples
    --------
    >>> w = next(bootstrap_weights(5, 1, np.random.default_rng(0)))
    >>> int(w.sum()), w.shape
    (5, (5,))
    """
    if strata is None:
        for _ in range(rounds):
            yield np.bincount(rng.integers(0, n, size=n), minlength=n)
        return
    members = [np.flatnonzero(strata == s) for s in np.unique(strata)]
    for _ in range(rounds):
        picked = np.concatenate([rows[rng.integers(0, len(rows), size=len(rows))] for rows in members])
        yield np.bincount(picked, minlength=n)


def bootstrap_p(draws: np.ndarray) -> float:
    """Two-sided bootstrap p-value that the differences in ``draws`` are centred on 0.

    ``min(1, 2 min(P[d <= 0], P[d >= 0]))`` with the usual +1 correction, so
    it is never 0. Non-finite draws are ignored; NaN when none is left.

    Examples
    --------
    >>> bootstrap_p(np.zeros(100))
    1.0
    """
    d = np.asarray(draws, dtype=float)
    d = d[np.isfinite(d)]
    if len(d) == 0:
        return float("nan")
    below, above = (np.sum(d <= 0) + 1) / (len(d) + 1), (np.sum(d >= 0) + 1) / (len(d) + 1)
    return float(min(1.0, 2 * min(below, above)))


@dataclass(frozen=True)
class PairedT:
    """The paired t-test of the mean of per-row differences (``b − a`` on the same rows).

    Attributes
    ----------
    mean : float
        The mean difference.
    low, high : float
        Its t interval at ``level``.
    statistic, pvalue : float
        The t statistic (``n − 1`` degrees of freedom) and its two-sided p-value.
    n : int
    level : float
    """

    mean: float
    low: float
    high: float
    statistic: float
    pvalue: float
    n: int
    level: float


def paired_t(differences: np.ndarray, *, level: float = 0.95) -> PairedT:
    """The paired t-test and t interval of the mean of ``differences`` (one per row, ``b − a``).

    ``mean ± t(1 − α/2, n − 1) · s / √n``; the same numbers as ``scipy.stats.ttest_rel(b, a)`` and its
    ``confidence_interval``. All differences equal: a zero-width interval at the mean, p = 1 when it is 0, else 0.

    Examples
    --------
    >>> r = paired_t(np.array([0.5, 1.0, 1.5, 2.0]))
    >>> round(r.mean, 3), round(r.low, 3), round(r.high, 3), round(r.pvalue, 4)
    (1.25, 0.223, 2.277, 0.0305)
    """
    from scipy import stats

    d = np.asarray(differences, dtype=float)
    n = len(d)
    mean = float(d.mean()) if n else float("nan")
    if n < 2:
        return PairedT(mean, float("nan"), float("nan"), float("nan"), float("nan"), n, level)
    se = float(d.std(ddof=1)) / np.sqrt(n)
    if se == 0:
        return PairedT(mean, mean, mean, 0.0 if mean == 0 else float(np.sign(mean) * np.inf), 1.0 if mean == 0 else 0.0, n, level)
    t = mean / se
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * se
    return PairedT(mean, float(mean - half), float(mean + half), float(t), float(2 * stats.t.sf(abs(t), n - 1)), n, level)


def wilcoxon_signed_rank(differences: np.ndarray) -> float:
    """Two-sided p-value of Wilcoxon's signed-rank test that the differences are centred on 0 (zeros dropped; 1 when all are 0).

    scipy's test (exact for small samples without ties, else normal with a tie correction); beside the paired t-test, it
    does not lean on the mean of a skewed distribution of error differences.

    Examples
    --------
    >>> round(wilcoxon_signed_rank(np.array([1.0, 2.0, 3.0, 4.0, 5.0, -0.5])), 4)
    0.0625
    """
    from scipy import stats

    d = np.asarray(differences, dtype=float)
    if not np.any(d != 0):
        return 1.0
    return float(stats.wilcoxon(d, zero_method="wilcox").pvalue)
