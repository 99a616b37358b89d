"""Small, well-known statistics the checks share: intervals, tests, corrections.

Everything here works on counts, so results computed on chunks of data can be
merged by adding the counts first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["wilson_interval", "clopper_pearson", "ratio_interval", "difference_interval", "z_of", "threshold_pvalue",
           "two_proportion_pvalue", "holm", "cramers_v", "log_normal_interval", "normal_interval"]


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


def z_of(level: float | np.ndarray) -> Any:
    """The two-sided normal quantile of a confidence level: ``z_of(0.95)`` is 1.96.

    Examples
    --------
    >>> round(z_of(0.95), 4), round(z_of(0.99), 4)
    (1.96, 2.5758)
    """
    from scipy.stats import norm

    z = norm.isf((1 - np.asarray(level, dtype=float)) / 2)
    return float(z) if np.ndim(z) == 0 else z


def threshold_pvalue(interval: Callable[..., tuple[np.ndarray, np.ndarray]], value: np.ndarray,
                     threshold: float) -> np.ndarray:
    """Two-sided p-value of "the value is ``threshold``", exactly compatible with an interval construction.

    It is ``1 - level`` at the level where the interval's edge nearest the threshold reaches it: an
    interval at level ``L`` excludes the threshold exactly when the p-value is below ``1 - L``. This is
    how a family of interval-versus-threshold decisions gets p-values for Holm's step-down (see
    :func:`raudit.stats.judgement.holm_levels`). Found by bisection (32 halvings of the normal
    quantile, vectorised, from 0 to 8); NaN where the value or interval is not finite.

    Parameters
    ----------
    interval : callable
        ``interval(level=levels) -> (low, high)``, elementwise over arrays shaped like ``value``
        (``functools.partial(ratio_interval, k1, n1, k2, n2)``, say).
    value : array
        The estimates.
    threshold : float

    Examples
    --------
    >>> from functools import partial
    >>> p = threshold_pvalue(partial(ratio_interval, 300, 1000, 400, 1000), np.array(0.75), 0.8468)
    >>> round(float(p), 3)  # the 95 % interval's upper end is 0.8468
    0.05
    """
    from scipy.stats import norm

    value = np.asarray(value, dtype=float)
    lo_z, hi_z = np.zeros_like(value), np.full_like(value, 8.0)  # z = 8: p ≈ 1e-15, as far as a level's float can say
    above = value > threshold
    for _ in range(32):  # z to within 2e-9
        z = (lo_z + hi_z) / 2
        low, high = interval(level=1 - 2 * norm.sf(z))
        reached = np.where(above, low <= threshold, high >= threshold) | np.isnan(low) | np.isnan(high)
        hi_z, lo_z = np.where(reached, z, hi_z), np.where(reached, lo_z, z)
    p = 2 * norm.sf((lo_z + hi_z) / 2)
    return np.where(np.isfinite(value) & (value != threshold), p, np.where(value == threshold, 1.0, np.nan))


def ratio_interval(k1: np.ndarray | int, n1: np.ndarray | int, k2: np.ndarray | int, n2: np.ndarray | int, *,
                   level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Katz's log interval for the ratio of two independent proportions ``(k1/n1) / (k2/n2)``.

    ``log(ratio) ± z·sqrt(1/k1 − 1/n1 + 1/k2 − 1/n2)``; where a count is 0 (the ratio or its log is
    undefined) half a row is added to every count and size, as statsmodels' ``"log-adjusted"`` does.
    NaN where a group is empty.

    Examples
    --------
    >>> lo, hi = ratio_interval(300, 1000, 400, 1000)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.6643, 0.8468)
    """
    k1, n1, k2, n2 = (np.asarray(x, dtype=float) for x in (k1, n1, k2, n2))
    add = np.where((k1 == 0) | (k2 == 0), 0.5, 0.0)
    k1, n1, k2, n2 = k1 + add, n1 + add, k2 + add, n2 + add
    with np.errstate(invalid="ignore", divide="ignore"):
        log_ratio = np.log((k1 / n1) / (k2 / n2))
        half = z_of(level) * np.sqrt(1 / k1 - 1 / n1 + 1 / k2 - 1 / n2)
        empty = (n1 - add <= 0) | (n2 - add <= 0)
    return np.where(empty, np.nan, np.exp(log_ratio - half)), np.where(empty, np.nan, np.exp(log_ratio + half))


def difference_interval(k1: np.ndarray | int, n1: np.ndarray | int, k2: np.ndarray | int, n2: np.ndarray | int, *,
                        level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Newcombe's hybrid score interval for the difference of two independent proportions ``k1/n1 − k2/n2``.

    Built from the two Wilson intervals (Newcombe 1998, method 10; statsmodels' ``"newcomb"``); it
    stays inside [−1, 1] and behaves at counts of 0. NaN where a group is empty.

    Examples
    --------
    >>> lo, hi = difference_interval(300, 1000, 400, 1000)
    >>> round(float(lo), 4), round(float(hi), 4)
    (-0.1413, -0.0582)
    """
    k1, n1, k2, n2 = (np.asarray(x, dtype=float) for x in (k1, n1, k2, n2))
    z = z_of(level)
    l1, u1 = wilson_interval(k1, n1, z=z)
    l2, u2 = wilson_interval(k2, n2, z=z)
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p2 = k1 / n1, k2 / n2
        d = p1 - p2
        low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
        high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return low, high


def log_normal_interval(value: np.ndarray | float, se: np.ndarray | float, *,
                        level: np.ndarray | float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """``value · exp(± z · se)``: the delta-method interval of a ratio, ``se`` the standard error of its logarithm.

    Examples
    --------
    >>> lo, hi = log_normal_interval(1.5, 0.1)
    >>> round(float(lo), 4), round(float(hi), 4)
    (1.233, 1.8248)
    """
    value, se = np.asarray(value, dtype=float), np.asarray(se, dtype=float)
    z = z_of(level)
    with np.errstate(invalid="ignore", over="ignore"):
        return value * np.exp(-z * se), value * np.exp(z * se)


def normal_interval(value: np.ndarray | float, se: np.ndarray | float, *,
                    level: np.ndarray | float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """``value ± z · se`` (elementwise; ``level`` may be an array, as :func:`raudit.stats.judgement.family_intervals` asks).

    Examples
    --------
    >>> lo, hi = normal_interval(2.0, 0.5)
    >>> round(float(lo), 3), round(float(hi), 3)
    (1.02, 2.98)
    """
    value, se = np.asarray(value, dtype=float), np.asarray(se, dtype=float)
    z = z_of(level)
    return value - z * se, value + z * se


def clopper_pearson(k: np.ndarray | int, n: np.ndarray | int, *, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Clopper–Pearson) interval for a binomial proportion ``k / n``: ``(1 - level) / 2`` in each tail.

    The same interval as ``scipy.stats.binomtest(k, n).proportion_ci(level, method="exact")``, for
    arrays; each end is also a one-sided bound at level ``1 - (1 - level) / 2``. NaN where ``n == 0``.

    Examples
    --------
    >>> lo, hi = clopper_pearson(0, 300)
    >>> float(lo), round(float(hi), 4)
    (0.0, 0.0122)
    """
    from scipy.stats import beta

    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    alpha = 1 - level
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(k > 0, beta.ppf(alpha / 2, k, n - k + 1), 0.0)
        hi = np.where(k < n, beta.ppf(1 - alpha / 2, k + 1, n - k), 1.0)
    empty = n <= 0
    return np.where(empty, np.nan, lo), np.where(empty, np.nan, hi)


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
