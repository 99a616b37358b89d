"""Small, well-known statistics the checks share: intervals, tests, corrections.

Everything here works on counts, so results computed on chunks of data can be
merged by adding the counts first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["wilson_interval", "two_proportion_pvalue", "holm", "cramers_v", "risk_ratio", "difference_interval", "normal_quantile"]


def wilson_interval(k: np.ndarray | int, n: np.ndarray | int, *, z: float = 1.959963984540054) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion ``k / n`` (95 % by default).

    Returns NaN bounds where ``n == 0``.

    Examples
    --------
    >>> lo, hi = wilson_interval(5, 10)
    >>> round(float(lo), 3), round(float(hi), 3)
    (0.237, 0.763)
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def normal_quantile(level: float) -> float:
    """The two-sided standard-normal quantile of a confidence ``level`` (1.96 for 0.95).

    Examples
    --------
    >>> round(normal_quantile(0.95), 4)
    1.96
    """
    from statistics import NormalDist

    return NormalDist().inv_cdf(1 - (1 - level) / 2)


def risk_ratio(k1: int, n1: int, k2: int, n2: int, *, level: float = 0.95) -> tuple[float, float, float]:
    """The ratio of two proportions ``(k1 / n1) / (k2 / n2)`` with its Katz log interval at ``level``.

    The interval is ``exp(log(r) ± z · sqrt(1/k1 - 1/n1 + 1/k2 - 1/n2))`` (Katz et al. 1978). When a
    count is 0 (or all of its group), 0.5 is added to both counts and 1 to both sizes (Haldane's
    correction), so that a group with flips compared with a reference without any still has a finite
    ratio and interval; the estimate returned is then the corrected one. NaN when a group is empty or
    neither group has any event.

    Examples
    --------
    >>> r, lo, hi = risk_ratio(20, 100, 10, 100)
    >>> round(r, 3), round(lo, 3), round(hi, 3)
    (2.0, 0.987, 4.054)
    """
    if n1 <= 0 or n2 <= 0 or (k1 == 0 and k2 == 0):
        return float("nan"), float("nan"), float("nan")
    a, b, m1, m2 = float(k1), float(k2), float(n1), float(n2)
    if min(k1, k2) == 0 or k1 == n1 or k2 == n2:
        a, b, m1, m2 = a + 0.5, b + 0.5, m1 + 1, m2 + 1
    ratio = (a / m1) / (b / m2)
    se = math.sqrt(max(1 / a - 1 / m1 + 1 / b - 1 / m2, 0.0))
    z = normal_quantile(level)
    return ratio, ratio * math.exp(-z * se), ratio * math.exp(z * se)


def difference_interval(k1: int, n1: int, k2: int, n2: int, *, level: float = 0.95) -> tuple[float, float, float]:
    """The difference of two proportions ``k1 / n1 - k2 / n2`` with Newcombe's hybrid score interval at ``level``.

    Newcombe (1998), method 10: the Wilson intervals ``[l1, u1]`` and ``[l2, u2]`` of the two
    proportions give ``d - sqrt((p1 - l1)^2 + (u2 - p2)^2)`` and ``d + sqrt((u1 - p1)^2 + (p2 - l2)^2)``.
    It stays inside [-1, 1] and behaves at counts of 0. NaN when a group is empty.

    Examples
    --------
    >>> d, lo, hi = difference_interval(56, 70, 48, 80)
    >>> round(d, 4), round(lo, 4), round(hi, 4)
    (0.2, 0.0524, 0.3339)
    """
    if n1 <= 0 or n2 <= 0:
        return float("nan"), float("nan"), float("nan")
    z = normal_quantile(level)
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = (float(v) for v in wilson_interval(k1, n1, z=z))
    l2, u2 = (float(v) for v in wilson_interval(k2, n2, z=z))
    d = p1 - p2
    return d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def two_proportion_pvalue(k1: int, n1: int, k2: int, n2: int) -> tuple[float, str]:
    """Two-sided p-value that two proportions are equal.

    Pearson's chi-square on the 2×2 table, or Fisher's exact test when an
    expected count is below 5.

    Returns
    -------
    p : float
        NaN when either group is empty.
    test : str
        ``"chi-square"`` or ``"Fisher exact"``.
    """
    from scipy import stats

    if n1 == 0 or n2 == 0:
        return float("nan"), "none"
    table = np.array([[k1, n1 - k1], [k2, n2 - k2]], dtype=float)
    if table.sum(axis=0).min() == 0:
        return 1.0, "none"  # both groups all-yes or all-no: no difference to test
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    if expected.min() < 5:
        return float(stats.fisher_exact(table.astype(int))[1]), "Fisher exact"
    return float(stats.chi2_contingency(table, correction=False)[1]), "chi-square"


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm–Bonferroni adjusted p-values (NaN stays NaN).

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = len(ok)
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    adjusted = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out[order] = np.minimum(adjusted, 1.0)
    return out


def cramers_v(a: np.ndarray, b: np.ndarray) -> float:
    """Cramér's V between two categorical arrays (0 none, 1 perfect association)."""
    from scipy.stats.contingency import association, crosstab

    table = crosstab(a, b).count
    if min(table.shape) < 2:
        return 0.0
    return float(association(table, method="cramer"))
