"""The one judgement rule: a measurement's interval against its thresholds, with an honest *inconclusive*.

raudit says PASS or FAIL only where the interval supports it. With a threshold ``t`` and a harmful
side (below ``t``, say a selection-rate ratio under 0.8):

- **fail** when the whole interval lies on the harmful side (its upper end is below ``t``);
- **pass** when the whole interval lies on the acceptable side (its lower end is at or above ``t``);
- **inconclusive** when it straddles ``t``: the data cannot tell, and the verdict says about how many
  rows would likely decide it.

This is the interval form of equivalence and non-inferiority testing (the two one-sided tests of
Schuirmann 1987; Wellek, *Testing Statistical Hypotheses of Equivalence and Noninferiority*, 2010):
an interval at level ``1 - 2α`` wholly on one side of a margin rejects, at level ``α``, that the value
lies on the other side. A two-sided 95 % interval therefore makes each PASS or FAIL a one-sided claim
at 2.5 %.

With a family of comparisons (the groups of a sensitive feature against their reference) every PASS
and FAIL in it must hold jointly. :func:`holm_levels` gives each comparison's interval the level of
Holm's step-down (Holm 1979) over the family's one-sided claims: the comparison farthest from its
threshold gets ``1 - α/m`` (Bonferroni), later ones slightly less, until one is not decided; that one
and every later one keep the level at which the procedure stopped, so each printed interval agrees
with the decision beside it. :func:`family_level` is the plain Bonferroni level (``1 - α/m`` for
all), for families without p-values.

A check with two thresholds (warn, then fail) reports the most severe level whose threshold the
whole interval breaks: a value whose interval lies beyond the warn threshold but straddles the fail
threshold is a *warn* that says it may also fail.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from raudit.stats.inference import threshold_pvalue

__all__ = ["Verdict", "Harmful", "judge", "judge_band", "rows_to_decide", "family_level", "holm_levels", "family_intervals"]

Harmful = Literal["below", "above"]


@dataclass(frozen=True)
class Verdict:
    """The outcome of :func:`judge`.

    Attributes
    ----------
    status : {"pass", "warn", "fail", "inconclusive", "skipped"}
    reason : str
        One clause a report can quote: which threshold the interval lies beyond, or straddles.
    rows_to_decide : int or None
        For an inconclusive verdict: about how many rows (in the same proportions) would likely make
        the interval clear the threshold, if the value stayed where it is; ``None`` when no sample
        size decides it (the value sits on the threshold) or the verdict is not inconclusive.
    """

    status: Literal["pass", "warn", "fail", "inconclusive", "skipped"]
    reason: str
    rows_to_decide: int | None = None

    @property
    def explained(self) -> str:
        """The reason, and for an inconclusive verdict about how many rows would likely decide it."""
        if self.status == "inconclusive" and self.rows_to_decide:
            return f"{self.reason}; about {self.rows_to_decide:,} rows would likely decide it"
        return self.reason


def _pct(level: float) -> str:
    """``95 %``, ``97.5 %``."""
    return f"{level * 100:.3g} %"


def _num(x: float) -> str:
    """Three significant digits, trailing zeros kept, never scientific: ``0.770``, ``0.0128``, ``12,346``."""
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:#.3g}".rstrip(".")


def _span(low: float, high: float) -> str:
    """``0.746–0.770``; ``-0.120 to -0.0300`` when an end is negative (a dash between negatives misreads)."""
    if low < 0 or high < 0:
        return f"{_num(low)} to {_num(high)}"
    return f"{_num(low)}–{_num(high)}"


def family_level(level: float, size: int) -> float:
    """The confidence level of each interval in a family of ``size`` so that all hold jointly (Bonferroni).

    Examples
    --------
    >>> round(family_level(0.95, 5), 4)
    0.99
    """
    return 1 - (1 - level) / max(size, 1)


def holm_levels(pvalues: np.ndarray, alpha: float, *, hypotheses: int | None = None) -> np.ndarray:
    """Each comparison's interval level so that the family's PASS and FAIL claims are Holm's step-down.

    Every comparison can be declared on either side of its threshold, so a family of ``m``
    comparisons holds ``2m`` one-sided hypotheses (``hypotheses``; ``3m`` against a band), of which
    at least ``m`` are true. Holm's procedure (Holm 1979; valid under any dependence, and comparisons
    that share a reference group are dependent) tests them in order of p-value: the ``j``-th (from 0)
    at one-sided ``alpha / (2m - j)``. A comparison's one-sided p-value in the direction of its
    estimate is half the two-sided ``pvalues``, and the claims in the other direction (p ≥ 0.5) come
    last and are never made, so the ``j``-th comparison's interval has the two-sided level
    ``1 - 2·alpha / (2m - j)``: ``1 - alpha/m`` for the first, as Bonferroni. From the first
    comparison that is not decided, every later one keeps that step's level, so its interval
    includes the threshold, as Holm's procedure says. NaN p-values count as undecided.

    Parameters
    ----------
    pvalues : array
        Two-sided p-values of "the value is at the threshold", compatible with the interval
        construction (see :func:`raudit.stats.inference.threshold_pvalue`).
    alpha : float
        The family-wise error rate (0.05: the family's claims hold jointly at 95 %).
    hypotheses : int, optional
        One-sided hypotheses in the family (default ``2 * len(pvalues)``).

    Examples
    --------
    >>> holm_levels(np.array([0.001, 0.02, 0.5]), 0.05).round(4).tolist()  # decided, decided, stopped
    [0.9833, 0.98, 0.975]
    >>> holm_levels(np.array([0.001, 0.04, 0.03]), 0.05).round(4).tolist()  # 0.03 > 2·0.05/5: stops there
    [0.9833, 0.98, 0.98]
    """
    p = np.asarray(pvalues, dtype=float)
    m = len(p)
    total = 2 * m if hypotheses is None else hypotheses
    levels = np.full(m, 1 - alpha / max(m, 1))
    stopped: float | None = None
    for rank, i in enumerate(np.argsort(np.where(np.isnan(p), np.inf, p), kind="stable")):
        step = 2 * alpha / (total - rank)
        if stopped is None and not p[i] <= step:
            stopped = 1 - step
        levels[i] = 1 - step if stopped is None else stopped
    return levels


def family_intervals(interval: Callable[..., tuple[np.ndarray, np.ndarray]], values: np.ndarray, *,
                     lower: float | None = None, upper: float | None = None, alpha: float = 0.05,
                     eligible: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Intervals for a family of comparisons judged against a threshold, at Holm's step-down levels.

    Parameters
    ----------
    interval : callable
        ``interval(level=levels) -> (low, high)``, elementwise over arrays shaped like ``values``.
    values : array
        The estimates.
    lower, upper : float, optional
        Harmful below ``lower`` and/or above ``upper`` (both: a band of acceptable values).
    alpha : float
        The family-wise error rate: the PASS and FAIL claims of the family hold jointly at ``1 - alpha``.
    eligible : array of bool, optional
        The comparisons that are judged (the others, a small group say, are not in the family; their
        intervals are at ``1 - alpha``).

    Returns
    -------
    levels, low, high, p : arrays
        Each interval's level and ends, and the p-value of "the value is at the threshold" in the
        direction of the estimate (for a band inside it: the larger of the two edges' p-values).

    Examples
    --------
    >>> from raudit.stats.inference import ratio_interval
    >>> k, n = np.array([120, 380]), np.array([1000, 1000])
    >>> from functools import partial
    >>> levels, low, high, p = family_intervals(partial(ratio_interval, k, n, 400, 1000), k / n / 0.4, lower=0.8)
    >>> levels.round(3).tolist(), (high < 0.8).tolist(), (low >= 0.8).tolist()
    ([0.975, 0.967], [True, False], [False, True])
    """
    values = np.asarray(values, dtype=float)
    if lower is None and upper is None:
        raise ValueError("family_intervals() needs a lower or an upper threshold")
    eligible = np.ones(values.shape, bool) if eligible is None else np.asarray(eligible, bool)
    nan = np.full(values.shape, np.nan)
    p_low = threshold_pvalue(interval, values, lower) if lower is not None else nan
    p_high = threshold_pvalue(interval, values, upper) if upper is not None else nan
    if lower is not None and upper is not None:
        p = np.where(values < lower, p_low, np.where(values > upper, p_high, np.fmax(p_low, p_high)))
    else:
        p = p_low if lower is not None else p_high
    levels = np.full(values.shape, 1 - alpha)
    if eligible.any():
        per = 3 if lower is not None and upper is not None else 2  # one-sided claims per comparison: below, (within,) above
        levels[eligible] = holm_levels(p[eligible], alpha, hypotheses=per * int(eligible.sum()))
    low, high = interval(level=levels)
    return levels, np.asarray(low, dtype=float), np.asarray(high, dtype=float), np.where(eligible, p, np.nan)


def rows_to_decide(value: float, low: float, high: float, threshold: float, n: int) -> int | None:
    """About how many rows would shrink the interval enough to clear ``threshold``, the value staying put.

    Intervals narrow like ``1 / sqrt(n)``: with ``h`` the interval's reach from the value towards the
    threshold (``high − value`` when the threshold is above it, else ``value − low``; intervals need
    not be symmetric) on ``n`` rows, a distance ``d`` from the threshold is cleared at about
    ``n * (h / d) ** 2`` rows. ``None`` when ``d`` is 0 (nothing decides a value on the threshold) or
    the inputs are not finite.

    Examples
    --------
    >>> rows_to_decide(0.80, 0.76, 0.84, 0.78, 1000)  # half-width 0.04, 0.02 from the threshold
    4000
    """
    h = high - value if threshold > value else value - low
    d = abs(value - threshold)
    if not all(math.isfinite(x) for x in (value, low, high, threshold)) or d == 0 or n <= 0:
        return None
    return int(math.ceil(n * (h / d) ** 2 - 1e-9))  # ceil, not fooled by the rounding of an exact product


def _beyond(low: float, high: float, t: float, harmful: Harmful) -> bool:
    """The whole interval lies on the harmful side of ``t``."""
    return high < t if harmful == "below" else low > t


def _within(low: float, high: float, t: float, harmful: Harmful) -> bool:
    """The whole interval lies on the acceptable side of ``t`` (the threshold itself is acceptable)."""
    return low >= t if harmful == "below" else high <= t


def judge(value: float, low: float, high: float, *, harmful: Harmful, fail: float | None = None, warn: float | None = None,
          n: int = 0, what: str = "the value", level: float = 0.95) -> Verdict:
    """Judge ``value`` and its interval ``[low, high]`` against a fail and/or a warn threshold.

    Parameters
    ----------
    value, low, high : float
        The estimate and its interval (a NaN anywhere: not judged, ``"skipped"``).
    harmful : {"below", "above"}
        The side of a threshold that is harmful.
    fail, warn : float, optional
        The thresholds; at least one. ``warn`` is the nearer to the acceptable side.
    n : int
        Rows behind the estimate (for :attr:`Verdict.rows_to_decide`).
    what : str
        How the reason names the measurement.
    level : float
        The interval's confidence level (named in the reason).

    Examples
    --------
    >>> judge(0.70, 0.66, 0.74, harmful="below", fail=0.8).status
    'fail'
    >>> judge(0.80, 0.76, 0.84, harmful="below", fail=0.8).status
    'inconclusive'
    >>> judge(0.90, 0.86, 0.94, harmful="below", fail=0.8).status
    'pass'
    >>> judge(0.75, 0.72, 0.78, harmful="below", warn=0.8, fail=0.6).status
    'warn'
    """
    if warn is None and fail is None:
        raise ValueError("judge() needs a fail or a warn threshold")
    if not all(math.isfinite(x) for x in (value, low, high)):
        return Verdict("skipped", f"{what} has no finite interval, so it is not judged")
    side = "below" if harmful == "below" else "above"
    ci = f"its {_pct(level)} interval {_span(low, high)}"
    if fail is not None and _beyond(low, high, fail, harmful):
        return Verdict("fail", f"{ci} lies wholly {side} the fail threshold {fail:g}")
    nearest = warn if warn is not None else fail
    assert nearest is not None
    if warn is not None and _beyond(low, high, warn, harmful):
        straddles = fail is not None and not _within(low, high, fail, harmful)
        also = f", and straddles the fail threshold {fail:g}" if straddles else ""
        return Verdict("warn", f"{ci} lies wholly {side} the warn threshold {warn:g}{also}")
    if _within(low, high, nearest, harmful):
        return Verdict("pass", f"{ci} lies wholly on the acceptable side of {nearest:g}")
    return Verdict("inconclusive", f"{ci} straddles the threshold {nearest:g}: the data cannot tell",
                   rows_to_decide(value, low, high, nearest, n))


def judge_band(value: float, low: float, high: float, *, lower: float, upper: float, n: int = 0, what: str = "the value",
               level: float = 0.95) -> Verdict:
    """Judge against a band of acceptable values ``[lower, upper]``: harmful on either side.

    *fail* when the interval lies wholly outside the band, *pass* when wholly inside it, *inconclusive*
    otherwise (the rows to decide are counted for the nearer edge).

    Examples
    --------
    >>> judge_band(1.0, 0.9, 1.1, lower=0.8, upper=1.25).status
    'pass'
    >>> judge_band(1.4, 1.3, 1.5, lower=0.8, upper=1.25).status
    'fail'
    >>> judge_band(1.2, 1.1, 1.3, lower=0.8, upper=1.25).status
    'inconclusive'
    """
    below = judge(value, low, high, harmful="below", fail=lower, n=n, what=what, level=level)
    above = judge(value, low, high, harmful="above", fail=upper, n=n, what=what, level=level)
    for v in (below, above):
        if v.status in ("fail", "skipped"):
            return v
    if below.status == above.status == "pass":
        return Verdict("pass", f"its {_pct(level)} interval {_span(low, high)} lies wholly within {lower:g} to {upper:g}")
    nearer = below if abs(value - lower) <= abs(value - upper) else above
    return nearer if nearer.status == "inconclusive" else (above if nearer is below else below)
