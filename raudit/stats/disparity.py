"""Disparities judged: each group against its reference group, its interval against the threshold on the harmful side.

One rule for the fairness check and for ``raudit compare`` (a challenger's own fairness). For each
disparity of :data:`raudit.stats.groups.DISPARITIES` and each group, the ratio or difference of its
rate to the reference group's gets an interval (Katz's log interval for ratios, Newcombe's for
differences; :mod:`raudit.stats.inference`) at the level Holm's step-down gives it within the
family of a grouping's groups (:func:`raudit.stats.judgement.family_intervals`), and is judged by
:func:`raudit.stats.judgement.judge`: *fail* when the whole interval lies beyond the threshold on
the harmful side, *pass* when it lies wholly on the acceptable side, *inconclusive* when it
straddles the threshold; *not judged* for a group smaller than ``min_group_size`` or a disparity
without a threshold. A chi-square (or Fisher's exact) test of parity, Holm-adjusted, is reported
beside, not used for the status.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Literal

import numpy as np

from raudit.stats.groups import DISPARITIES, GroupCounts, Harm, favourable_rates, harm_direction
from raudit.stats.inference import difference_interval, holm, ratio_interval, two_proportion_pvalue
from raudit.stats.judgement import Verdict, family_intervals, judge, judge_band, rows_to_decide

__all__ = ["Comparison", "compare_groups", "family_bounds", "judge_disparity", "edges"]


@dataclass(frozen=True)
class Comparison:
    """One group against the reference group on one disparity, with its interval, test and verdict."""

    metric: str
    kind: Literal["ratio", "difference"]
    harm: Harm
    group: int
    reference: int
    a: float
    b: float
    value: float
    ci: tuple[float, float]
    level: float
    threshold: float | None
    p: float
    test: str
    p_holm: float
    n_group: int
    n_reference: int
    verdict: Verdict


def edges(kind: str, threshold: float) -> tuple[float, float]:
    """The harmful edges of a threshold: ``(t, 1/t)`` for a ratio, ``(−t, t)`` for a difference."""
    return (threshold, 1 / threshold) if kind == "ratio" else (-threshold, threshold)


def family_bounds(bounds: Callable[..., tuple[np.ndarray, np.ndarray]], values: np.ndarray, kind: str, harm: Harm,
                  threshold: float | None, eligible: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A family's interval levels and ends: Holm's step-down levels against the harmful edge(s); ``1 − alpha`` unjudged."""
    eligible = eligible & np.isfinite(values)
    if threshold is None or not eligible.any():
        levels = np.full(len(values), 1 - alpha)
        return (levels, *bounds(level=levels))
    low_edge, high_edge = edges(kind, threshold)
    lower, upper = {"lower": (low_edge, None), "higher": (None, high_edge), "either": (low_edge, high_edge)}[harm]
    levels, lows, highs, _ = family_intervals(bounds, values, lower=lower, upper=upper, alpha=alpha, eligible=eligible)
    return levels, lows, highs


def _in_favour(kind: str, harm: Harm, value: float, threshold: float) -> bool:
    """Beyond the threshold in the group's favour (an advantage)."""
    low_edge, high_edge = edges(kind, threshold)
    return {"lower": value > high_edge, "higher": value < low_edge, "either": False}[harm]


def judge_disparity(kind: str, harm: Harm, value: float, ci: tuple[float, float], threshold: float | None, *, small: bool,
                    n_group: int, n_reference: int, min_group_size: int, level: float) -> Verdict:  # size: 3 harms, 3 skips
    """A disparity's interval against the threshold on its harmful side; an inconclusive ratio's rows to decide on a log scale."""
    if small:
        return Verdict("skipped", f"not judged: a group is too small (n = {min(n_group, n_reference):,} < {min_group_size})")
    if threshold is None:
        return Verdict("skipped", "not judged: no threshold configured (reported only)")
    if not np.isfinite(value):
        return Verdict("skipped", "not judged: the rate is undefined for a group (no rows in its denominator)")
    lo, hi = ci
    n = n_group + n_reference
    low_edge, high_edge = edges(kind, threshold)
    what = "the ratio" if kind == "ratio" else "the difference"
    if harm == "lower":
        verdict = judge(value, lo, hi, harmful="below", fail=low_edge, n=n, what=what, level=level)
    elif harm == "higher":
        verdict = judge(value, lo, hi, harmful="above", fail=high_edge, n=n, what=what, level=level)
    else:
        verdict = judge_band(value, lo, hi, lower=low_edge, upper=high_edge, n=n, what=what, level=level)
    if verdict.status == "inconclusive" and kind == "ratio" and value > 0 and lo > 0:  # ratio intervals are symmetric in log
        edge = low_edge if harm == "lower" or (harm == "either" and value < 1) else high_edge
        verdict = replace(verdict, rows_to_decide=rows_to_decide(np.log(value), np.log(lo), np.log(hi), np.log(edge), n))
    if verdict.status == "pass" and _in_favour(kind, harm, value, threshold):
        verdict = replace(verdict, reason=verdict.reason + " (beyond it in the group's favour: an advantage, not a harm)")
    return verdict


def compare_groups(gc: GroupCounts, ref: int, fav_positive: bool | None, thresholds: Mapping[str, float | None], *,
                   alpha: float, min_group_size: int) -> list[Comparison]:
    """Every group against ``ref`` on every disparity of :data:`DISPARITIES`, judged (see the module docstring).

    Parameters
    ----------
    gc : GroupCounts
        Confusion cells per group.
    ref : int
        The reference group's index.
    fav_positive : bool or None
        Whether the positive class is the favourable outcome (None: unknown; harm in either direction).
    thresholds : mapping
        Disparity name → its threshold (a ratio ≤ 1, or a difference), or None: reported only.
    alpha : float
        The family-wise error rate of a grouping's claims on one disparity.
    min_group_size : int
        Smaller groups (or reference group) are not judged.
    """
    n = gc.n
    judged = n >= min_group_size
    rates = dict(gc.rates())
    rates["favourable_rate"] = favourable_rates(gc, fav_positive)
    others = np.array([i for i in range(len(gc.groups)) if i != ref], dtype=int)
    small = ~judged[others] | ~judged[ref]
    out: list[Comparison] = []
    for metric, spec in DISPARITIES.items():
        k, m = gc.rate_counts("selection_rate" if spec.rate == "favourable_rate" else spec.rate)
        if spec.rate == "favourable_rate" and fav_positive is False:
            k = m - k  # the favourable outcome is the negative class: count it
        a, b = rates[spec.rate][others], rates[spec.rate][ref]
        with np.errstate(invalid="ignore", divide="ignore"):
            values = a / b if spec.kind == "ratio" else a - b
        harm, threshold = harm_direction(spec, fav_positive), thresholds.get(metric)
        bounds = partial(ratio_interval if spec.kind == "ratio" else difference_interval, k[others], m[others], k[ref], m[ref])
        levels, lows, highs = family_bounds(bounds, values, spec.kind, harm, threshold, ~small, alpha)
        tests = [two_proportion_pvalue(int(k[i]), int(m[i]), int(k[ref]), int(m[ref])) for i in others]
        for j, (i, ph) in enumerate(zip(others, holm([p for p, _ in tests]))):
            ci = (float(lows[j]), float(highs[j]))
            verdict = judge_disparity(spec.kind, harm, float(values[j]), ci, threshold, small=bool(small[j]), n_group=int(n[i]),
                                      n_reference=int(n[ref]), min_group_size=min_group_size, level=float(levels[j]))
            out.append(Comparison(metric, spec.kind, harm, int(i), ref, float(a[j]), float(b), float(values[j]), ci, float(levels[j]),
                                  threshold, tests[j][0], tests[j][1], float(ph), int(n[i]), int(n[ref]), verdict))
    return out
