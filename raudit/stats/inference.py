"""Small, well-known statistics the checks share: intervals, tests, corrections.

Everything here works on counts, so results computed on chunks of data can be
merged by adding the counts first.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["wilson_interval", "clopper_pearson", "two_proportion_pvalue", "holm", "cramers_v"]


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
