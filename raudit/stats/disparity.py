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

Several binary views of one grouping (the classes of a multiclass model, one against the rest, or the
splits of ordered classes) are judged as one family per disparity (:func:`compare_outcomes`): Holm's
levels hold across groups × classes. A regressor's groups are compared on error ratios, the
prediction-to-target ratio and the distance between prediction distributions
(:func:`compare_regression`), and each group's loss against an absolute bound
(:func:`bounded_group_loss`), by the same rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Literal

import numpy as np

from raudit.stats.groups import (
    DISPARITIES,
    REGRESSION_DISPARITIES,
    DisparitySpec,
    GroupCounts,
    GroupErrors,
    Harm,
    favourable_rates,
    harm_direction,
)
from raudit.stats.inference import (
    difference_interval,
    holm,
    log_normal_interval,
    normal_interval,
    ratio_interval,
    two_proportion_pvalue,
)
from raudit.stats.judgement import Verdict, family_intervals, judge, judge_band, rows_to_decide
from raudit.stats.sketch import ks_interval, numeric_shift

__all__ = ["Comparison", "compare_groups", "compare_outcomes", "compare_regression", "bounded_group_loss", "thresholds_of",
           "family_bounds", "judge_disparity", "edges"]


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


def thresholds_of(specs: Mapping[str, DisparitySpec], options: Any) -> dict[str, float | None]:
    """Each disparity's threshold as :func:`judge_disparity` reads it, from the options that hold them (a check's options).

    A ratio's threshold is its bound at or below 1 (``selection_rate_ratio_min = 0.8``); an option that caps a ratio
    from above (``mae_ratio_max = 1.25``) is stored as its reciprocal (0.8), its harmful edge being ``1 / 0.8``.
    """
    out: dict[str, float | None] = {}
    for metric, spec in specs.items():
        t = getattr(options, spec.threshold_key, None)
        out[metric] = 1 / t if t is not None and spec.kind == "ratio" and spec.threshold_key.endswith("_max") else t
    return out


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
    return compare_outcomes([gc], ref, fav_positive, thresholds, alpha=alpha, min_group_size=min_group_size)[0]


# size: one family per disparity across every view and group, then one judged record per comparison
def compare_outcomes(views: Sequence[GroupCounts], ref: int, fav_positive: bool | None, thresholds: Mapping[str, float | None],
                     *, alpha: float, min_group_size: int) -> list[list[Comparison]]:
    """:func:`compare_groups` for several binary views of one grouping at once (the classes of a multiclass model).

    Each disparity's family is every (view, group) pair: Holm's step-down levels, and the Holm-adjusted parity tests,
    hold jointly across the groups *and* the views, so a five-class model's 4 groups make one family of 15 comparisons
    per disparity, not five of 3. The views share the groups (one grouping) and ``fav_positive``.

    Returns
    -------
    list of list of Comparison
        One list per view, in the order of ``views`` (within it: each disparity, then each group, as
        :func:`compare_groups`).
    """
    first = views[0]
    if any(v.groups != first.groups for v in views):
        raise ValueError("compare_outcomes() needs views of one grouping (the same groups in the same order)")
    n = first.n
    judged = n >= min_group_size
    others = np.array([i for i in range(len(first.groups)) if i != ref], dtype=int)
    small = np.tile(~judged[others] | ~judged[ref], len(views))
    out: list[list[Comparison]] = [[] for _ in views]
    for metric, spec in DISPARITIES.items():
        rate = "selection_rate" if spec.rate == "favourable_rate" else spec.rate
        k_o, m_o, k_r, m_r, a, b = ([] for _ in range(6))
        for gc in views:
            k, m = gc.rate_counts(rate)
            if spec.rate == "favourable_rate" and fav_positive is False:
                k = m - k  # the favourable outcome is the negative class: count it
            r = favourable_rates(gc, fav_positive) if spec.rate == "favourable_rate" else gc.rates()[spec.rate]
            k_o.append(k[others])
            m_o.append(m[others])
            k_r.append(np.full(len(others), k[ref]))
            m_r.append(np.full(len(others), m[ref]))
            a.append(r[others])
            b.append(np.full(len(others), r[ref]))
        k1, n1, k2, n2, va, vb = (np.concatenate(x) if x else np.zeros(0) for x in (k_o, m_o, k_r, m_r, a, b))
        with np.errstate(invalid="ignore", divide="ignore"):
            values = va / vb if spec.kind == "ratio" else va - vb
        harm, threshold = harm_direction(spec, fav_positive), thresholds.get(metric)
        bounds = partial(ratio_interval if spec.kind == "ratio" else difference_interval, k1, n1, k2, n2)
        levels, lows, highs = family_bounds(bounds, values, spec.kind, harm, threshold, ~small, alpha)
        tests = [two_proportion_pvalue(int(x), int(y), int(u), int(w)) for x, y, u, w in zip(k1, n1, k2, n2)]
        adjusted = holm([p for p, _ in tests])
        for j in range(len(values)):
            view, i = divmod(j, len(others))
            g = int(others[i])
            ci = (float(lows[j]), float(highs[j]))
            verdict = judge_disparity(spec.kind, harm, float(values[j]), ci, threshold, small=bool(small[j]), n_group=int(n[g]),
                                      n_reference=int(n[ref]), min_group_size=min_group_size, level=float(levels[j]))
            out[view].append(Comparison(metric, spec.kind, harm, g, ref, float(va[j]), float(vb[j]), float(values[j]), ci,
                                        float(levels[j]), threshold, tests[j][0], tests[j][1], float(adjusted[j]), int(n[g]),
                                        int(n[ref]), verdict))
    return out


def _regression_values(ge: GroupErrors, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Each group's value of ``metric`` and the standard error of its logarithm (MAE, RMSE, mean prediction ÷ mean target)."""
    n = ge.n.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        if metric == "mae":
            mae = ge.mean("abs_error")
            return mae, np.sqrt(ge.covariance("abs_error", "abs_error", "sq_error") / n) / mae
        if metric == "rmse":
            mse = ge.mean("sq_error")
            return np.sqrt(mse), 0.5 * np.sqrt(ge.covariance("sq_error", "sq_error", "sq_error2") / n) / mse
        p, y = ge.mean("prediction"), ge.mean("target")
        var = (ge.covariance("prediction", "prediction", "prediction2") / p**2 + ge.covariance("target", "target", "target2") / y**2
               - 2 * ge.covariance("prediction", "target", "cross") / (p * y)) / n
        ok = (p > 0) & (y > 0)  # a ratio of means is a calibration ratio only for positive quantities
        return np.where(ok, p / y, np.nan), np.where(ok, np.sqrt(np.maximum(var, 0.0)), np.nan)


def _welch(ge: GroupErrors, i: int, ref: int) -> tuple[float, str]:
    """Welch's t-test that a group's mean absolute error equals the reference group's."""
    from scipy import stats

    mae, var = ge.mean("abs_error"), ge.covariance("abs_error", "abs_error", "sq_error")
    if min(ge.n[i], ge.n[ref]) > 1 and (var[i] > 0 or var[ref] > 0):
        return float(stats.ttest_ind_from_stats(mae[i], np.sqrt(var[i]), ge.n[i], mae[ref], np.sqrt(var[ref]), ge.n[ref],
                                                equal_var=False).pvalue), "Welch t-test"
    return float("nan"), "none"


# size: four kinds of regression comparison, each with its interval and test, judged as one family per kind
def compare_regression(ge: GroupErrors, ref: int, thresholds: Mapping[str, float | None], *, favourable: bool | None,
                       alpha: float, min_group_size: int) -> list[Comparison]:
    """Every group of a regressor's grouping against ``ref`` on every comparison of :data:`REGRESSION_DISPARITIES`, judged.

    - **MAE** and **RMSE ratios** (group ÷ reference), harmful when higher: delta-method intervals on the log scale
      from each group's exact sums (the variance of ``|e|``, of ``e²``), Welch's t-test (MAE) or a z-test (RMSE);
    - the **prediction-to-target ratio** (calibration in the large, ``mean prediction ÷ mean target``) of the group
      over the reference's: 0.9 says the group's values are under-predicted by 10 % relative to the reference's.
      Delta-method interval on the log scale (the covariance of prediction and target within each group); defined
      for positive means only; harmful below when a higher prediction is favourable (``favourable=True``), above when
      a lower one is (``False``), either way otherwise (``None``);
    - the **Kolmogorov–Smirnov distance** between the group's and the reference group's predictions (from their
      mergeable sketches), harmful when large: the Dvoretzky–Kiefer–Wolfowitz interval
      (:func:`raudit.stats.sketch.ks_interval`) and the KS test.

    Every kind is one family: Holm's step-down levels across the grouping's groups
    (:func:`family_bounds`), as :func:`compare_groups` does.
    """
    from scipy.stats import norm

    n = ge.n
    judged = n >= min_group_size
    others = np.array([i for i in range(len(ge.groups)) if i != ref], dtype=int)
    small = ~judged[others] | ~judged[ref]
    out: list[Comparison] = []
    for metric, spec in REGRESSION_DISPARITIES.items():
        harm = harm_direction(spec, favourable) if metric == "mean_ratio" else spec.harm_if_favourable_positive
        threshold = thresholds.get(metric)
        tests: list[tuple[float, str]]
        if metric == "prediction_ks":
            shifts = [numeric_shift(ge.predictions[ref], ge.predictions[i]) for i in others]
            a = values = np.array([s.ks for s in shifts])
            b = np.zeros(len(others))
            bounds = partial(ks_interval, values, n[others], np.full(len(others), n[ref]),
                             bound=np.array([s.ks_bound for s in shifts]))
            tests = [(s.ks_p, "Kolmogorov–Smirnov") for s in shifts]
        else:
            v, se = _regression_values(ge, metric)
            a, b = v[others], np.full(len(others), v[ref])
            with np.errstate(invalid="ignore", divide="ignore"):
                values = a / b
                se_ratio = np.sqrt(se[others] ** 2 + se[ref] ** 2)
            bounds = partial(log_normal_interval, values, se_ratio)
            if metric == "mae":
                tests = [_welch(ge, int(i), ref) for i in others]
            else:
                with np.errstate(invalid="ignore", divide="ignore"):
                    z = np.abs(np.log(values)) / se_ratio
                tests = [(float(2 * norm.sf(x)) if np.isfinite(x) else float("nan"), "z-test (delta method)") for x in z]
        levels, lows, highs = family_bounds(bounds, values, spec.kind, harm, threshold, ~small, alpha)
        adjusted = holm([p for p, _ in tests])
        for j, i in enumerate(others):
            ci = (float(lows[j]), float(highs[j]))
            verdict = judge_disparity(spec.kind, harm, float(values[j]), ci, threshold, small=bool(small[j]), n_group=int(n[i]),
                                      n_reference=int(n[ref]), min_group_size=min_group_size, level=float(levels[j]))
            out.append(Comparison(metric, spec.kind, harm, int(i), ref, float(a[j]), float(b[j]), float(values[j]), ci,
                                  float(levels[j]), threshold, tests[j][0], tests[j][1], float(adjusted[j]), int(n[i]),
                                  int(n[ref]), verdict))
    return out


def bounded_group_loss(ge: GroupErrors, bound: float, *, loss: Literal["absolute", "squared"], alpha: float,
                       min_group_size: int) -> list[Comparison]:
    """Each group's mean loss against an absolute ``bound`` (fairlearn's bounded group loss: no group's loss above ζ).

    The loss is the absolute or the squared error; each group's mean loss gets a normal interval from its exact sums,
    at Holm's step-down levels across the grouping's groups, and is judged harmful above the bound. A comparison's
    ``reference`` is the group itself (it is compared with the bound, not with another group); ``b`` is the bound.
    """
    from scipy import stats

    term, square = ("abs_error", "sq_error") if loss == "absolute" else ("sq_error", "sq_error2")
    n = ge.n
    values = ge.mean(term)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(ge.covariance(term, term, square) / n)
    eligible = n >= min_group_size
    levels, lows, highs = family_bounds(partial(normal_interval, values, se), values, "difference", "higher", bound, eligible,
                                        alpha)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = (values - bound) / se
    pvalues = [float(2 * stats.t.sf(abs(x), int(m) - 1)) if np.isfinite(x) and m > 1 else float("nan") for x, m in zip(t, n)]
    adjusted = holm(pvalues)
    out = []
    for i in range(len(ge.groups)):
        ci = (float(lows[i]), float(highs[i]))
        verdict = (Verdict("skipped", f"not judged: the group is too small (n = {int(n[i]):,} < {min_group_size})")
                   if not eligible[i] else
                   judge_disparity("difference", "higher", float(values[i]), ci, bound, small=False, n_group=int(n[i]),
                                   n_reference=0, min_group_size=min_group_size, level=float(levels[i])))
        out.append(Comparison("group_loss", "difference", "higher", i, i, float(values[i]), bound, float(values[i]), ci,
                              float(levels[i]), bound, pvalues[i], "one-sample t-test against the bound", float(adjusted[i]),
                              int(n[i]), 0, verdict))
    return out
