"""How the drift check presents its windows (the timeline) and its estimated performance: findings, tables, figures.

Numbers become text here only; the records come from ``drift.analyse`` (windows) and ``_estimate``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from raudit.checks._estimate import ASSUMPTION, PerformanceEstimate
from raudit.plugin import PALETTE, Estimate, Figure, Finding, Series, Status, Table, interval, xy_chart

__all__ = ["estimate_parts", "timeline_parts", "estimate_details", "window_details"]

NAMES = {"accuracy": "Accuracy", "precision": "Precision", "recall": "Recall", "f1": "F1", "roc_auc": "ROC-AUC"}
JUDGED = ("fail", "warn", "inconclusive")


def _est(v: float, ci: tuple[float, float]) -> Estimate | None:
    return Estimate(v, *ci) if math.isfinite(v) else None


def estimate_parts(est: PerformanceEstimate, *, section: str = "Estimated performance") -> tuple[list[Finding], list[Table]]:
    """The whole data's estimated performance: judged findings, the support warning, the table overall and per group."""
    findings = []
    for m in est.metrics:
        if m.status in JUDGED:
            findings.append(Finding(m.status, f"Estimated {NAMES[m.metric]} (without labels) {m.reference:.4g} → {m.estimate:.4g} "
                                              f"(95 % interval of the realised value {interval(*m.ci, digits=4)}); "
                                              f"{m.reason}.", f"estimate/{m.metric}"))
    findings += support_findings(est, "the audited data", "estimate")
    rows = [[NAMES[m.metric], m.reference, _est(m.estimate, m.ci), _est(m.weighted, m.weighted_ci),
             m.realised if math.isfinite(m.realised) else None, m.status if m.metric in ("accuracy", "roc_auc") else "shown"]
            for m in est.metrics]
    weighted = (f"weighted by the strata of {est.weighted_column} (its share at a given score moved most: conditional PSI "
                f"{est.shift:.3f})" if est.weighted_column else "no input strata in the reference: the weighted estimate is CBPE")
    tables = [Table("Estimated performance (without labels) beside realised", ["metric", "reference", "estimated (CBPE)",
                    "estimated, weighted", "realised", "status"], rows, formats=["text", "4f", "4f", "4f", "4f", "text"],
                    note=f"{ASSUMPTION} Weighted: {weighted}. Intervals: 95 % for the realised value. Judged: the estimated fall "
                         "of accuracy and ROC-AUC against the performance-drift thresholds, warn at most (an estimate never "
                         "fails a release; realised performance, in the table above, does).", section=section)]
    group_rows = []
    for col, per in est.groups.items():
        for g, metrics in per.items():
            group_rows.append([f"{col} = {g}", *[Estimate(*metrics[m][:3]) if math.isfinite(metrics[m][0]) else None
                                                 for m in ("accuracy", "precision", "recall", "f1", "roc_auc")],
                               ", ".join(f"{NAMES[m]} {metrics[m][3]:.3f}" for m in ("accuracy", "precision", "recall")
                                         if math.isfinite(metrics[m][3])) or "—"])
    if group_rows:
        tables.append(Table("Estimated performance per sensitive group", ["group", "accuracy", "precision", "recall", "F1",
                                                                           "ROC-AUC", "realised"], group_rows,
                            formats=["text", "3f", "3f", "3f", "3f", "3f", "text"],
                            note="The weighted estimate per group (fairness estimated without labels), 95 % intervals of the "
                                 "realised value; shown, not judged. " + ASSUMPTION, section=section, appendix=True))
    return findings, tables


def support_findings(est: PerformanceEstimate, where: str, key: str) -> list[Finding]:
    """A warning when the current rows leave the reference's support (scores or strata the reference never saw)."""
    out = []
    if est.outside_calibration > 0.01:
        out.append(Finding("warn", f"{100 * est.outside_calibration:.1f} % of {where}'s rows have scores in ranges (0.05 wide) "
                                   "where the reference has no row: their calibration is extrapolated, and the estimate there "
                                   "is a guess.", f"{key}/support/score"))
    if est.outside_support > 0.01 and est.weighted_column:
        out.append(Finding("warn", f"{100 * est.outside_support:.1f} % of {where}'s rows fall in strata of "
                                   f"{est.weighted_column} at scores where the reference has no row: the weighted estimate "
                                   "cannot weight them (they leave the reference's support).", f"{key}/support/strata"))
    return out


def _window_row(w: Any) -> list[Any]:  # size: one table row of a window; each cell may be missing
    psis = [(c.psi, c.name) for c in w.columns if math.isfinite(c.psi)]
    top = max(psis, default=(math.nan, "—"))
    pred = next((o for o in w.outputs if o.key in ("score", "prediction")), None)
    pred_psi = (pred.numeric or pred.categorical).psi if pred is not None and (pred.numeric or pred.categorical) else None
    acc = next((o for o in w.outputs if o.key == "accuracy"), None)
    est = w.estimate.metric("accuracy") if w.estimate is not None else None
    return [w.label, w.rows, w.status, f"{top[0]:.3f} ({top[1]})" if math.isfinite(top[0]) else "—", pred_psi,
            acc.current if acc is not None else None, _est(est.estimate, est.ci) if est is not None else None,
            _est(est.weighted, est.weighted_ci) if est is not None else None, f"{w.alpha:.2g}"]


# size: the timeline's findings, two tables and two charts
def timeline_parts(windows: Sequence[Any], spec: str, o: Any) -> tuple[list[Finding], list[Table], list[Figure]]:
    """The timeline: the first failing window, each failing window's worst shifts, the tables and the charts."""
    findings: list[Finding] = []
    failed = [w for w in windows if w.status == "fail"]
    if failed:
        first = failed[0]
        findings.append(Finding("fail", f"[windows of {spec}] {len(failed)} of {len(windows)} window(s) failed; the first is "
                                        f"{first.label} ({first.rows:,} rows): {_what_failed(first)}.", "windows/first"))
        for w in failed[1: o.max_findings]:
            findings.append(Finding("fail", f"[window {w.label}] {_what_failed(w)}.", f"windows/{w.label}"))
    else:
        worst: Status = "warn" if any(w.status == "warn" for w in windows) else (
            "inconclusive" if any(w.status == "inconclusive" for w in windows) else "pass")
        text = f"[windows of {spec}] none of {len(windows)} window(s) failed"
        flagged = [w.label for w in windows if w.status in JUDGED]
        findings.append(Finding(worst, text + (f"; warn or undecided: {', '.join(flagged[:8])}" if flagged else "") + ".",
                                "windows/first"))
    unlabelled = any(w.unlabelled for w in windows)  # a column of rows without a label, where any window has one
    rows = [_window_row(w)[:2] + [w.unlabelled] * unlabelled + _window_row(w)[2:] for w in windows]
    tables = [Table(f"Timeline: each window of {spec} against the reference",
                    ["window", "rows", *["rows without label"] * unlabelled, "status", "worst PSI (column)",
                     "score/decision PSI", "accuracy", "estimated accuracy", "weighted estimate", "alpha spent"], rows,
                    formats=["text", "", *[""] * unlabelled, "text", "text", "3f", "4f", "4f", "4f", "text"],
                    note="Each window compared with the reference as the whole data is (same statistics, same families), the "
                         f"k-th window at alpha / (k (k + 1)) of alpha = {o.alpha:g}: the windows together spend less than alpha, "
                         "and a window's verdict does not change when later windows are appended (alpha spending). Accuracy: "
                         "realised (labels; on the labelled rows, blank where none has arrived); estimated: CBPE without "
                         "labels with a 95 % interval of the realised value.",
                    section="Timeline")]
    group_rows = []
    for w in windows:
        for f in w.fairness:
            for r in f.rates:
                group_rows.append([w.label, f"{f.grouping} = {r.group}", r.rate, r.current,
                                   "reference group" if r.judged is None else r.judged.status])
    if group_rows:
        tables.append(Table("Timeline: each group's rates per window", ["window", "group", "rate", "now", "status"], group_rows,
                            formats=["text", "text", "text", "3f", "text"], section="Timeline", appendix=True,
                            note="Selection rate, TPR and FPR of each group in each window; the status judges the change of the "
                                 "group's gap to the reference group, as in the fairness drift table."))
    return findings, tables, _timeline_figures(windows, o)


def _what_failed(w: Any) -> str:
    parts = [f"{c.name} PSI {c.psi:.3f}" for c in w.columns if c.status == "fail"][:3]
    parts += [o.label for o in w.outputs if o.judged.status == "fail"]
    for f in w.fairness:
        parts += [f"{f.grouping}: {r.rate} gap of {r.group}" for r in f.rates if r.judged is not None and r.judged.status == "fail"][:3]
        if f.ratio is not None and f.ratio.status == "fail":
            parts.append(f"{f.grouping}: worst selection-rate ratio {f.ratio.reference:.3f} → {f.ratio.current:.3f}")
    return "; ".join(parts) or "see the timeline"


def _timeline_figures(windows: Sequence[Any], o: Any) -> list[Figure]:  # size: two charts; every point may be missing
    xs = list(range(1, len(windows) + 1))
    worst = []
    for w in windows:
        judged = [(c.psi, c.distribution) for c in w.columns if math.isfinite(c.psi) and c.distribution is not None]
        worst.append(max(judged, key=lambda t: t[0], default=(math.nan, None)))
    series = [Series(xs, [v for v, _ in worst], label="worst column PSI", color=PALETTE[0], kind="line"),
              Series(xs, [j.ci[0] if j is not None else math.nan for _, j in worst], label="interval (window's level)",
                     color=PALETTE[7], kind="scatter"),
              Series(xs, [j.ci[1] if j is not None else math.nan for _, j in worst], color=PALETTE[7], kind="scatter"),
              Series([xs[0], xs[-1]], [o.psi_warn] * 2, label=f"warn {o.psi_warn:g}", color=PALETTE[2]),
              Series([xs[0], xs[-1]], [o.psi_fail] * 2, label=f"fail {o.psi_fail:g}", color=PALETTE[3])]
    labels = f"window 1 = {windows[0].label}, window {len(windows)} = {windows[-1].label}"
    figures = [Figure("Timeline: the most drifted column's PSI per window", xy_chart(series, xlabel=f"window ({labels})",
                                                                                       ylabel="PSI", width=640),
                      "Line: the largest PSI among the columns of each window; dots: the ends of its interval at the window's "
                      "level (alpha spending); horizontal lines: the warn and fail thresholds.", section="Timeline")]
    with_est = [w for w in windows if w.estimate is not None]
    if with_est:
        acc = [w.estimate.metric("accuracy") for w in with_est]
        xe = [xs[windows.index(w)] for w in with_est]
        s2 = [Series(xe, [m.realised for m in acc], label="realised", color=PALETTE[0]),
              Series(xe, [m.estimate for m in acc], label="estimated (CBPE)", color=PALETTE[2]),
              Series(xe, [m.weighted for m in acc], label="estimated, weighted", color=PALETTE[4]),
              Series(xe, [m.weighted_ci[0] for m in acc], label="weighted: 95 % interval", color=PALETTE[7], kind="scatter"),
              Series(xe, [m.weighted_ci[1] for m in acc], color=PALETTE[7], kind="scatter")]
        figures.append(Figure("Estimated vs realised accuracy per window", xy_chart(s2, xlabel=f"window ({labels})",
                                                                                    ylabel="accuracy", width=640),
                              "Accuracy as the labels show it (realised) and as estimated from the scores alone (CBPE, and "
                              "weighted by the most shifted input's strata), with the 95 % interval of the realised value. "
                              + ASSUMPTION, section="Timeline"))
    return figures


def estimate_details(est: PerformanceEstimate | None) -> dict[str, Any] | None:
    """The JSON form of an estimate."""
    if est is None:
        return None
    return {"rows": est.rows, "weighted_column": est.weighted_column, "conditional_shift": est.shift,
            "outside_support": est.outside_support, "outside_calibration": est.outside_calibration,
            "metrics": {m.metric: {"reference": m.reference, "estimate": m.estimate, "ci": list(m.ci), "weighted": m.weighted,
                                   "weighted_ci": list(m.weighted_ci), "realised": m.realised, "status": m.status,
                                   "reason": m.reason, "fall_ci": list(m.fall_ci), "level": m.level} for m in est.metrics},
            "groups": {col: {g: {m: list(v) for m, v in per.items()} for g, per in groups.items()}
                       for col, groups in est.groups.items()}}


def window_details(w: Any, judged: Any) -> dict[str, Any]:
    """The JSON form of one window (``judged`` turns a Judged record into JSON)."""
    return {"key": w.key, "label": w.label, "rows": w.rows, "unlabelled": w.unlabelled, "alpha": w.alpha, "status": w.status,
            "columns": {c.name: {"psi": c.psi, "status": c.status, "distribution": judged(c.distribution),
                                 "missing": judged(c.missing)} for c in w.columns},
            "outputs": {o.key: {"reference": o.reference, "current": o.current, "change": o.change, **(judged(o.judged) or {})}
                        for o in w.outputs},
            "fairness": {f.grouping: {"rates": [{"group": r.group, "rate": r.rate, "reference": r.reference, "current": r.current,
                                                 "gap_change": r.gap_change, "judged": judged(r.judged)} for r in f.rates],
                                      "worst_selection_rate_ratio": None if f.ratio is None else {
                                          "reference": f.ratio.reference, "current": f.ratio.current,
                                          "status": f.ratio.status}} for f in w.fairness},
            "estimate": estimate_details(w.estimate)}
