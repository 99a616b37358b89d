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
lies on the other side. With a family of comparisons (the groups of a sensitive feature) the
intervals are Bonferroni-adjusted to the family, so that every PASS and FAIL in it holds jointly.

A check with two thresholds (warn, then fail) reports the most severe level whose threshold the
whole interval breaks: a value whose interval lies beyond the warn threshold but straddles the fail
threshold is a *warn* that says it may also fail.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

__all__ = ["Verdict", "Harmful", "judge", "rows_to_decide", "family_level"]

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


def family_level(level: float, size: int) -> float:
    """The confidence level of each interval in a family of ``size`` so that all hold jointly (Bonferroni).

    Examples
    --------
    >>> round(family_level(0.95, 5), 4)
    0.99
    """
    return 1 - (1 - level) / max(size, 1)


def rows_to_decide(value: float, low: float, high: float, threshold: float, n: int) -> int | None:
    """About how many rows would shrink the interval enough to clear ``threshold``, the value staying put.

    Intervals narrow like ``1 / sqrt(n)``: with half-width ``h`` on ``n`` rows, a distance ``d`` from
    the threshold is cleared at about ``n * (h / d) ** 2`` rows. ``None`` when ``d`` is 0 (nothing
    decides a value on the threshold) or the inputs are not finite.

    Examples
    --------
    >>> rows_to_decide(0.80, 0.76, 0.84, 0.78, 1000)  # half-width 0.04, 0.02 from the threshold
    4000
    """
    h = (high - low) / 2
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
    ci = f"its {level:.0%} interval {low:.3g}–{high:.3g}"
    if fail is not None and _beyond(low, high, fail, harmful):
        return Verdict("fail", f"{ci} lies wholly {side} the fail threshold {fail:g}")
    nearest = warn if warn is not None else fail
    assert nearest is not None
    if warn is not None and _beyond(low, high, warn, harmful):
        also = f", and straddles the fail threshold {fail:g}" if fail is not None else ""
        return Verdict("warn", f"{ci} lies wholly {side} the warn threshold {warn:g}{also}")
    if _within(low, high, nearest, harmful):
        return Verdict("pass", f"{ci} lies wholly on the acceptable side of {nearest:g}")
    return Verdict("inconclusive", f"{ci} straddles the threshold {nearest:g}: the data cannot tell",
                   rows_to_decide(value, low, high, nearest, n))
