"""Estimated performance of the drift check: CBPE and its importance-weighted variant, from two profiles.

The reference's label counts per score bin calibrate the scores (isotonic); the current rows'
decisions per score bin give the expected confusion matrix (:func:`raudit.plugin.estimate_performance`).
Overall and per sensitive group, for accuracy, precision, recall, F1 and ROC-AUC; beside the realised
value wherever the current rows have labels.

**Judgement: an estimate warns, it never fails.** A fall of estimated accuracy or ROC-AUC whose
interval lies wholly beyond the performance-drift thresholds warns (:func:`raudit.plugin.judge`,
a would-be fail capped at warn); realised performance, where labels exist, is judged as before and
fails. The reason: an estimate rests on an assumption no data here can check (the label's rate at
a given score has not changed), so it can flag a model for a look, but a release gate should not
close on it alone — NannyML's own guidance is to confirm estimated drops when labels arrive.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from raudit.plugin import (
    METRICS,
    Profile,
    Status,
    apply_correction,
    bootstrap_calibrations,
    calibrate,
    estimate_performance,
    judge,
    regroup,
    weighted_correction,
    z_of,
)

__all__ = ["Calibration", "MetricEstimate", "PerformanceEstimate", "calibration_of", "estimate", "ASSUMPTION"]

#: Bootstrap rounds of the reference's calibration, and of the weighted correction (one per estimate).
ROUNDS = 200
CORRECTION_ROUNDS = 50
ASSUMPTION = ("Estimated without labels (CBPE: scores calibrated on the reference by isotonic regression, summed into an "
              "expected confusion matrix). It assumes that the label's rate at a given score is the same now as in the "
              "reference; the weighted estimate relaxes this for a shift of one input column's share at a given score. "
              "Intervals cover the realised value's sampling and the calibration's uncertainty, not a change of the "
              "relation between inputs and labels (concept drift), which only labels can show.")
#: Judged estimates and their threshold options: (metric, warn option, fail option).
JUDGED = (("accuracy", "accuracy_drop_warn", "accuracy_drop_fail"), ("roc_auc", "roc_auc_drop_warn", "roc_auc_drop_fail"))


@dataclass(frozen=True)
class Calibration:
    """The reference's calibration: probability of the positive label per score bin, and its bootstrap rounds."""

    p: np.ndarray
    rounds: np.ndarray
    reference: Mapping[str, float]
    reference_se: Mapping[str, float]
    seen: np.ndarray  # reference rows per coarse score bin (20 bins): where the calibration rests on data


@dataclass(frozen=True)
class MetricEstimate:
    """One metric of one set of rows: estimated (CBPE and weighted), realised where labels exist, judged."""

    metric: str
    reference: float
    estimate: float
    ci: tuple[float, float]
    weighted: float
    weighted_ci: tuple[float, float]
    realised: float
    status: Status = "pass"
    reason: str = ""
    fall_ci: tuple[float, float] = (math.nan, math.nan)
    level: float = 0.95


@dataclass(frozen=True)
class PerformanceEstimate:
    """Estimated performance of one set of rows (the whole data, or one window)."""

    rows: int
    metrics: tuple[MetricEstimate, ...]
    groups: Mapping[str, Mapping[str, Mapping[str, tuple[float, float, float, float]]]] = field(default_factory=dict)
    weighted_column: str | None = None
    shift: float = 0.0
    outside_support: float = 0.0
    outside_calibration: float = 0.0

    def metric(self, name: str) -> MetricEstimate:
        """The estimate of ``name``."""
        return next(m for m in self.metrics if m.metric == name)

    @property
    def status(self) -> Status:
        """The worst judged estimate (warn at most)."""
        return "warn" if any(m.status == "warn" for m in self.metrics) else (
            "inconclusive" if any(m.status == "inconclusive" for m in self.metrics) else "pass")


def _cells_metrics(cells: np.ndarray) -> dict[str, float]:
    tn, fp, fn, tp = (float(v) for v in cells)
    n = tn + fp + fn + tp
    return {"accuracy": (tn + tp) / n if n else math.nan, "precision": tp / (tp + fp) if tp + fp else math.nan,
            "recall": tp / (tp + fn) if tp + fn else math.nan, "f1": 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else math.nan}


def _realised(profile: Profile) -> dict[str, float]:
    out = dict.fromkeys(METRICS, math.nan)
    if profile.overall is not None:
        out.update(_cells_metrics(profile.overall.cells[0]))
        if profile.overall.hist is not None:
            out["roc_auc"] = float(profile.overall.auc()[0])
    return out


def calibration_of(reference: Profile, rng: np.random.Generator) -> Calibration | None:
    """The calibration from the reference's label counts per score bin; None without labels and scores."""
    if reference.task != "binary" or reference.overall is None or reference.overall.hist is None:
        return None
    counts = reference.overall.hist[0]  # (2, bins): negatives, positives
    rows = counts.sum(axis=0)
    ref = _realised(reference)
    tn, fp, fn, tp = (int(v) for v in reference.overall.cells[0])
    n, a, auc = tn + fp + fn + tp, ref["accuracy"], ref["roc_auc"]
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    npos, nneg = fn + tp, tn + fp
    auc_se = math.sqrt(max(0.0, (auc * (1 - auc) + (npos - 1) * (q1 - auc**2) + (nneg - 1) * (q2 - auc**2)) / max(npos * nneg, 1)))
    se = {"accuracy": math.sqrt(a * (1 - a) / n) if n else math.nan, "roc_auc": auc_se}
    return Calibration(calibrate(counts[1], rows), bootstrap_calibrations(counts, ROUNDS, rng), ref, se,
                       rows.reshape(20, -1).sum(axis=1))


# size: overall and per-group estimates, the weighted variant, the realised values and the judgement in one place
def estimate(cal: Calibration, reference: Profile, current: Profile, o: Any, rng: np.random.Generator, *, level: float,
             coarse: Callable[[str, Sequence[str]], list[str] | None]) -> PerformanceEstimate | None:
    """CBPE (and its weighted variant) of ``current`` against the reference's calibration; None without decisions per score.

    ``coarse(column, fine_groups)`` names the groups a sensitive column's fine groups fall into (as
    the fairness comparison groups them); ``level`` is the confidence level of the judged intervals.
    """
    if current.scored is None:
        return None
    decisions = current.scored.total()
    rows = int(decisions.sum())
    if rows == 0:
        return None
    correction = weighted_correction({c: t for c, (_, t) in reference.strata.items()},
                                     {c: t for c, (_, t) in current.strata.items()}, rounds=CORRECTION_ROUNDS, rng=rng)
    p_w = cal.p if correction is None else apply_correction(cal.p, correction.delta)
    rounds_w = cal.rounds if correction is None else apply_correction(
        cal.rounds, np.resize(correction.delta_rounds, (len(cal.rounds), correction.delta_rounds.shape[1])))
    plain = estimate_performance(decisions, cal.p, cal.rounds, rng=rng)
    weighted = estimate_performance(decisions, p_w, rounds_w, rng=rng)
    realised = _realised(current)
    metrics = []
    for m in METRICS:
        status: Status = "pass"
        reason, fall_ci = "", (math.nan, math.nan)
        judged = next((j for j in JUDGED if j[0] == m), None)
        if judged is not None:
            status, reason, fall_ci = _judge(m, plain, cal, getattr(o, judged[1]), getattr(o, judged[2]), level)
        metrics.append(MetricEstimate(m, cal.reference.get(m, math.nan), plain.values[m], plain.interval(m),
                                      weighted.values[m], weighted.interval(m), realised[m], status, reason, fall_ci, level))
    seen = cal.seen
    now = decisions.sum(axis=0).reshape(20, -1).sum(axis=1)
    outside = float(now[seen == 0].sum() / rows)
    groups = _group_estimates(cal, current, p_w, rounds_w, rng, coarse)
    return PerformanceEstimate(rows, tuple(metrics), groups, None if correction is None else correction.column,
                               0.0 if correction is None else correction.shift,
                               0.0 if correction is None else correction.outside_support, outside)


def _judge(metric: str, est: Any, cal: Calibration, warn: float, fail: float, level: float) -> tuple[Status, str, tuple[float, float]]:
    """The estimated fall from the reference, judged against the drift thresholds and capped at warn."""
    fall = cal.reference[metric] - est.values[metric]
    sd = math.hypot(est.sd[metric], cal.reference_se[metric])
    if not (math.isfinite(fall) and math.isfinite(sd)):
        return "skipped", "not measurable", (math.nan, math.nan)
    z = float(z_of(level))
    lo, hi = fall - z * sd, fall + z * sd
    v = judge(fall, lo, hi, harmful="above", warn=warn, fail=fail, level=level, what="the estimated fall")
    status: Status = v.status
    reason = v.reason
    if status == "fail":
        status, reason = "warn", reason + "; an estimate warns, it never fails (realised performance decides)"
    return status, reason, (lo, hi)


GroupTable = dict[str, dict[str, dict[str, tuple[float, float, float, float]]]]


def _group_estimates(cal: Calibration, current: Profile, p: np.ndarray, rounds: np.ndarray, rng: np.random.Generator,
                     coarse: Callable[[str, Sequence[str]], list[str] | None]) -> GroupTable:
    """Per sensitive group: (estimate, low, high, realised) of each metric (weighted estimate; realised ROC-AUC is not kept per group)."""
    out: GroupTable = {}
    for col, table in current.scored_groups.items():
        names = coarse(col, table.groups)
        if names is None:
            continue
        grouped = table.regroup(names)
        realised_counts = current.groups.get(col)
        realised: dict[str, dict[str, float]] = {}
        if realised_counts is not None:
            realised_names = coarse(col, realised_counts.groups)
            gc = None if realised_names is None else regroup(realised_counts, realised_names)
            if gc is not None:
                realised = {g: _cells_metrics(gc.cells[i]) for i, g in enumerate(gc.groups)}
        per: dict[str, dict[str, tuple[float, float, float, float]]] = {}
        for g, counts in zip(grouped.groups, grouped.counts):
            e = estimate_performance(counts, p, rounds, rng=rng)
            per[g] = {m: (e.values[m], *e.interval(m), realised.get(g, {}).get(m, math.nan)) for m in METRICS}
        out[col] = per
    return out
