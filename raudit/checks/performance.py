"""Performance: how well the model predicts, and how well its probabilities are calibrated."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np

from raudit.plugin import (
    AuditContext,
    Batch,
    BinnedMeans,
    Check,
    CheckResult,
    Estimate,
    ExactSum,
    Figure,
    Finding,
    Harmful,
    Options,
    Overlap,
    Plan,
    RowOverlap,
    ScoreCounts,
    Series,
    Table,
    bar_chart,
    fixed,
    interval,
    judge,
    macro_roc_auc,
    number,
    option,
    paired_difference_interval,
    usable_row_sketch,
    wilson_interval,
    xy_chart,
    z_of,
)


def expected_calibration_error(y_true: np.ndarray, proba: np.ndarray, *, n_bins: int = 10) -> tuple[float, list[dict[str, float]]]:
    """Expected calibration error over equal-width probability bins.

    Parameters
    ----------
    y_true : ndarray of shape (n_samples,)
        1 where the event happened, else 0.
    proba : ndarray of shape (n_samples,)
        Predicted probability of the event.
    n_bins : int

    Returns
    -------
    ece : float
        ``sum_b (n_b / n) * |mean(proba_b) - mean(y_b)|``.
    bins : list of dict
        Per non-empty bin: ``lo``, ``hi``, ``count``, ``mean_predicted``, ``observed``.

    Examples
    --------
    >>> expected_calibration_error(np.array([0, 1]), np.array([0.0, 1.0]))[0]
    0.0
    """
    y_true = np.asarray(y_true, dtype=float)
    proba = np.asarray(proba, dtype=float)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    idx = np.clip(np.digitize(proba, edges[1:-1], right=True), 0, n_bins - 1)
    counts = np.bincount(idx, minlength=n_bins)
    sum_p = np.bincount(idx, weights=proba, minlength=n_bins)
    sum_y = np.bincount(idx, weights=y_true, minlength=n_bins)
    bins, ece = [], 0.0
    for b in np.flatnonzero(counts):
        mean_p, obs = sum_p[b] / counts[b], sum_y[b] / counts[b]
        ece += counts[b] / len(proba) * abs(mean_p - obs)
        bins.append({"lo": float(edges[b]), "hi": float(edges[b + 1]), "count": int(counts[b]),
                     "mean_predicted": float(mean_p), "observed": float(obs)})
    return float(ece), bins


@dataclass(frozen=True)
class PerformanceOptions(Options):
    """Thresholds of the performance check."""

    roc_auc_warn: float = option(0.7, "ROC-AUC below this warns", ge=0, le=1)
    roc_auc_fail: float = option(0.6, "ROC-AUC below this fails", ge=0, le=1)
    ece_warn: float = option(0.05, "expected calibration error above this warns", ge=0, le=1)
    ece_fail: float = option(0.1, "expected calibration error above this fails", ge=0, le=1)
    r2_warn: float = option(0.3, "R² below this warns (regression)", le=1)
    r2_fail: float = option(0.0, "R² below this fails (regression)", le=1)
    calibration_bins: int = option(10, "equal-width probability bins of the calibration error and reliability diagram",
                                   ge=2, le=100)
    near_perfect: float = option(0.99, "accuracy, ROC-AUC or R² at or above this warns: is the audit data the training data, "
                                       "or does an input leak the label?", gt=0.5, le=1)

    thresholds: ClassVar[Mapping[str, str]] = {"roc_auc": "higher", "ece": "lower", "r2": "higher"}


@dataclass(frozen=True)
class Evaluation:
    """What raudit can tell about the evaluation data: held out from training, overlapping it, or the training data itself."""

    known: bool
    reason: str = ""
    overlap: Overlap | None = None


@dataclass(frozen=True)
class PerformanceAnalysis:
    """The performance check's numbers: metrics, confusion matrix, calibration bins, residuals, evaluation data."""

    task: str
    n: int
    metrics: Mapping[str, Any]
    evaluation: Evaluation
    labels: tuple[str, ...] = ()
    confusion: np.ndarray | None = None
    has_scores: bool = False
    calibration_of: str = ""
    calibration_bins: tuple[Mapping[str, float], ...] = ()
    residuals: tuple[np.ndarray, np.ndarray] | None = None
    intervals: Mapping[str, Interval] = dataclasses.field(default_factory=dict)
    baseline: tuple[int, int] = (0, 0)
    per_class: tuple[Mapping[str, Any], ...] = ()
    residual_deciles: tuple[Mapping[str, float], ...] = ()
    unlabelled: int = 0  # rows whose label has not arrived: left out of every number here


@dataclass(frozen=True)
class Interval:
    """A metric's 95 % interval and how it was computed."""

    low: float
    high: float
    method: str


class PerformanceCheck(Check):
    """Accuracy, discrimination and calibration (classifiers); error and fit (regressors).

    Thresholds (``[check.performance]``): ROC-AUC below ``roc_auc_warn`` /
    ``roc_auc_fail``; calibration error above ``ece_warn`` / ``ece_fail``;
    R² below ``r2_warn`` / ``r2_fail``. A classifier whose accuracy does not
    beat always predicting the majority class warns.
    """

    name = "performance"
    title = "Performance"
    order = 10
    evidence = {
        "EU-AIA-13.3.b.ii": "accuracy, ROC-AUC, calibration with thresholds",
        "EU-AIA-15.1": "accuracy measured on the audit data (held out or not: see the evaluation-data finding)",
        "EU-AIA-15.3": "accuracy metrics and their values",
        "EU-AIA-IV.2.g": "performance metrics on the audit data",
        "EU-AIA-IV.4": "metrics with a majority-class baseline and calibration",
        "NIST-MEASURE-2.3": "performance on the audit data",
        "NIST-MEASURE-2.5": "accuracy and calibration against thresholds",
    }
    Options = PerformanceOptions

    def summarise(self, batch: Batch, plan: Plan, options: PerformanceOptions) -> PerformanceSummary:  # noqa: D102
        return summarise(batch, plan, options)

    def analyse(self, ctx: AuditContext, options: PerformanceOptions) -> PerformanceAnalysis:
        """Metrics from the summed confusion counts, score counts and exact sums; residuals of the sample (regression)."""
        s: PerformanceSummary = ctx.summaries["performance"]
        evaluation = _evaluation(ctx, s)
        if s.n == 0:  # no label has arrived: nothing here can be measured
            return PerformanceAnalysis(ctx.task, 0, {}, evaluation, unlabelled=s.unlabelled)
        if ctx.task == "regression":
            return _analyse_regression(ctx, s, evaluation)
        classes = ctx.classes
        assert classes is not None and s.confusion is not None
        m = _confusion_metrics(s.confusion, classes, ctx.positive_label if ctx.task == "binary" else None)
        calib_of, bins = _score_metrics(ctx, s, m) if s.scores else ("", [])
        rng = ctx.rng("performance")
        intervals = _confusion_intervals(s.confusion, classes, ctx.positive_label if ctx.task == "binary" else None, rng)
        if s.scores:
            intervals.update(_score_intervals(s, m, ctx.task == "binary", rng))
        per_class: tuple[Mapping[str, Any], ...] = ()
        if ctx.task == "multiclass":
            per_class = _per_class(s, classes, ctx.rng("performance.classes"))
            m.update(_top_k(s, intervals))
        return PerformanceAnalysis(ctx.task, s.n, m, evaluation, tuple(str(c) for c in classes), s.confusion, bool(s.scores),
                                   calib_of, tuple(bins), intervals=intervals, baseline=_discordant(s.confusion),
                                   per_class=per_class, unlabelled=s.unlabelled)

    def present(self, a: PerformanceAnalysis, options: PerformanceOptions) -> CheckResult:
        """Findings against the thresholds, the confusion matrix and reliability diagram (or residuals), the headline."""
        if a.n == 0:
            return self.result(findings=[_unlabelled_finding(a)], summary="No row has a label yet: performance is not measured.",
                               details={"n": 0, "unlabelled": a.unlabelled})
        if a.task == "regression":
            return _present_regression(self, a, options)
        o, m = options, dict(a.metrics)
        findings: list[Finding] = [_unlabelled_finding(a)] if a.unlabelled else []
        figures: list[Figure] = []
        if a.has_scores:
            figures.append(_reliability_diagram(a, o))
            auc = m.get("roc_auc")
            if auc is not None:
                bound = f" (within {number(m['roc_auc_error_bound'])}: too many distinct scores to keep each)" \
                    if "roc_auc_error_bound" in m else ""
                findings.append(_judged(a, "roc_auc", f"ROC-AUC is {auc:.3f}{bound}", "below", warn=o.roc_auc_warn,
                                        fail=o.roc_auc_fail))
            ece = m["ece"]
            findings.append(_judged(a, "ece", f"Expected calibration error is {ece:.3f} (predicted probabilities off by "
                                              f"{ece * 100:.1f} percentage points on average)", "above", warn=o.ece_warn,
                                    fail=o.ece_fail))
        else:
            findings.append(Finding(
                "skipped", "The model gives no probabilities: ROC-AUC, PR-AUC, log-loss, Brier and calibration are not computed.",
                "proba"))
        findings.append(_baseline_finding(a))
        assert a.confusion is not None
        labels = list(a.labels)
        table = Table("Confusion matrix (rows: true label, columns: predicted)", ["true \\ predicted", *labels],
                      [[lab, *map(int, row)] for lab, row in zip(labels, a.confusion)], formats=["text", *(["int"] * len(labels))])
        scores = [("accuracy", m["accuracy"]), *([("ROC-AUC", m["roc_auc"])] if "roc_auc" in m else [])]
        evaluation, evidence, held = _evaluation_findings(a.evaluation, scores, o)
        findings += evaluation
        headline = ", ".join(f"{label} {_with_interval(a, key)}" for key, label in (("accuracy", "accuracy"), ("roc_auc", "ROC-AUC"),
                                                                                     ("ece", "ECE")) if key in m)
        tables = [_interval_table(a, o), table] + ([_class_table(a)] if a.per_class else [])
        return self.result(
            findings=findings, summary=_headline(headline, findings), metrics=m, tables=tables,
            figures=figures, details={"calibration_bins": list(a.calibration_bins), "confusion_matrix": a.confusion, "labels": labels,
                                      "n": a.n, "unlabelled": a.unlabelled, "evaluation_data": held, "intervals": _interval_details(a),
                                      **({"per_class": [dict(r) for r in a.per_class]} if a.per_class else {})},
            evidence=evidence,
        )


def _unlabelled_finding(a: PerformanceAnalysis) -> Finding:
    """Rows whose label has not arrived: left out of every number of this check (said, never hidden)."""
    if a.n == 0:
        return Finding("skipped", f"None of the {a.unlabelled:,} rows has a label yet: accuracy, ROC-AUC, calibration and "
                                  "every other performance number need labels and are not measured.", "unlabelled_rows")
    return Finding("skipped", f"Not measured on {a.unlabelled:,} of {a.n + a.unlabelled:,} rows: they have no label yet. "
                              f"Every number here is on the {a.n:,} labelled rows.", "unlabelled_rows")


def _judged(a: PerformanceAnalysis, key: str, what: str, harmful: Harmful, *, warn: float, fail: float) -> Finding:
    """A metric's interval against its warn and fail thresholds (:func:`raudit.plugin.judge`), as a finding."""
    ci = a.intervals.get(key)
    value = float(a.metrics[key])
    side = "below" if harmful == "below" else "above"
    rule = f"warn {side} {warn:g}, fail {side} {fail:g}"
    if ci is None or not (np.isfinite(ci.low) and np.isfinite(ci.high)):
        return Finding("skipped", f"{what}: no interval could be computed, so it is not judged ({rule}).", key)
    v = judge(value, ci.low, ci.high, harmful=harmful, warn=warn, fail=fail, n=a.n, what=key, level=LEVEL)
    return Finding(v.status, f"{what}: {v.explained} ({rule}; {ci.method}).", key)


def _score_metrics(ctx: AuditContext, s: PerformanceSummary, m: dict[str, Any]) -> tuple[str, list[dict[str, float]]]:
    """Add the metrics of the scores to ``m`` (ROC-AUC, PR-AUC, Brier, log-loss, ECE); what the calibration is of, and its bins."""
    assert s.confusion is not None
    if ctx.task == "binary":
        m["roc_auc"] = s.scores[0].roc_auc()
        m["pr_auc"] = s.scores[0].average_precision()
        if not s.scores[0].exact:
            m["roc_auc_error_bound"] = s.scores[0].auc_error_bound()
        calib_of = f"P({ctx.positive_label})"
    else:
        if (s.confusion.sum(axis=1) > 0).all():
            m["roc_auc"] = float(np.mean([sc.roc_auc() for sc in s.scores]))
        calib_of = "confidence of the predicted class"
    assert s.brier is not None and s.log_loss is not None and s.calibration is not None
    m["brier"] = float(s.brier.mean("sum", s.n) or np.nan)
    m["log_loss"] = float(s.log_loss.mean("sum", s.n) or np.nan)
    m["ece"], bins = s.calibration.error()
    return calib_of, bins


def _baseline_finding(a: PerformanceAnalysis) -> Finding:
    """Does the model beat always predicting the majority class? A paired comparison on the same rows."""
    m = a.metrics
    acc, majority = m["accuracy"], m["majority_class_accuracy"]
    only_model, only_majority = a.baseline
    head = f"Accuracy {acc:.3f} vs {majority:.3f} for always predicting the majority class"
    if only_model + only_majority == 0:
        return Finding("warn", f"{head}: the model is right on exactly the rows that baseline is right on, so it does not beat it.",
                       "baseline")
    lo, hi = paired_difference_interval(only_model, only_majority, a.n, level=LEVEL)
    v = judge(acc - majority, lo, hi, harmful="below", warn=0.0, n=a.n, what="the difference", level=LEVEL)
    verdict = {"pass": "the model beats it", "warn": "the model does not beat it",
               "inconclusive": "the data cannot tell whether the model beats it"}[v.status]
    return Finding(v.status, f"{head}: difference {acc - majority:+.3f} ({LEVEL * 100:.3g} % CI {interval(lo, hi)}, paired on "
                             f"the {only_model + only_majority:,} rows where exactly one is right; Bonett–Price): {verdict}"
                             + (f"; about {v.rows_to_decide:,} rows would likely decide it" if v.rows_to_decide else "") + ".",
                   "baseline")


#: The rows of the interval table, in order, and how people call them.
INTERVAL_LABELS = {"accuracy": "accuracy", "balanced_accuracy": "balanced accuracy", "precision": "precision", "recall": "recall",
                   "f1": "F1", "precision_macro": "precision (macro)", "recall_macro": "recall (macro)", "f1_macro": "F1 (macro)",
                   "precision_weighted": "precision (weighted)", "recall_weighted": "recall (weighted)",
                   "f1_weighted": "F1 (weighted)", **{f"top_{k}_accuracy": f"top-{k} accuracy" for k in range(2, 6)},
                   "roc_auc": "ROC-AUC", "pr_auc": "PR-AUC (average precision)", "brier": "Brier score", "log_loss": "log-loss",
                   "ece": "expected calibration error", "r2": "R²", "mae": "MAE", "rmse": "RMSE"}


def _with_interval(a: PerformanceAnalysis, key: str) -> str:
    ci = a.intervals.get(key)
    value = fixed(a.metrics[key]) if key not in ("mae", "rmse") else number(a.metrics[key])
    return value if ci is None else f"{value} ({interval(ci.low, ci.high) if key not in ('mae', 'rmse') else _span(ci)})"


def _span(ci: Interval) -> str:
    return f"{number(ci.low)}–{number(ci.high)}"


def _interval_table(a: PerformanceAnalysis, o: PerformanceOptions) -> Table:
    rows = [[INTERVAL_LABELS[k], Estimate(a.metrics[k], ci.low, ci.high), ci.method] for k, ci in
            sorted(a.intervals.items(), key=lambda kv: list(INTERVAL_LABELS).index(kv[0])) if k in a.metrics]
    ece = (" The calibration error is biased upwards on finite data; its basic bootstrap interval corrects for that, so "
           "the estimate can sit near the interval's upper end." if "ece" in a.intervals else "")
    return Table(f"Metrics with their {LEVEL * 100:.3g} % intervals", ["metric", f"value ({LEVEL * 100:.3g} % CI)", "interval"],
                 rows, formats=["text", "" if a.task == "regression" else "3f", "text"],
                 note=f"On {a.n:,} rows. An interval is where the metric could lie on other data like this: the check's "
                      "verdicts use it, never the value alone (pass or fail only when the whole interval lies on one side of a "
                      f"threshold; inconclusive when it straddles one).{ece}")


def _interval_details(a: PerformanceAnalysis) -> dict[str, Any]:
    return {k: {"ci": [ci.low, ci.high], "level": LEVEL, "method": ci.method} for k, ci in a.intervals.items()}


def _reliability_diagram(a: PerformanceAnalysis, o: PerformanceOptions) -> Figure:
    bins = a.calibration_bins
    return Figure(
        "Reliability diagram",
        xy_chart(
            [Series([b["mean_predicted"] for b in bins], [b["observed"] for b in bins], label="model",
                    sizes=[2.5 + 6 * (b["count"] / a.n) ** 0.5 for b in bins])],
            xlabel=f"mean predicted {a.calibration_of}", ylabel="observed frequency",
            diagonal=True, xlim=(0, 1), ylim=(0, 1),
        ),
        f"{o.calibration_bins} equal-width bins; point size grows with the bin's share of rows; "
        "the dashed diagonal is perfect calibration.",
    )


def _analyse_regression(ctx: AuditContext, s: PerformanceSummary, evaluation: Evaluation) -> PerformanceAnalysis:
    assert s.errors is not None
    n = s.n
    mean = {k: s.errors.mean(k, n) for k in s.errors.sums}
    mae, mse, ybar, y2 = mean["abs_err"], mean["sq_err"], mean["y"], mean["y2"]
    assert mae is not None and mse is not None and ybar is not None and y2 is not None
    sst = y2 - ybar * ybar
    m = {"mae": float(mae), "rmse": float(np.sqrt(float(mse))), "r2": float(1 - mse / sst) if sst != 0 else float("nan"),
         "mean_target": float(ybar)}
    shown = np.arange(len(ctx.sample))[:2000]
    pred = ctx.sample.y_pred.astype(float)[shown]
    deciles = tuple(s.residual_bins.quantile_bins(10)) if s.residual_bins is not None else ()
    return PerformanceAnalysis("regression", n, m, evaluation, residuals=(pred, ctx.sample.y[shown] - pred),
                               intervals=_regression_intervals(mean, n), residual_deciles=deciles)


def _regression_intervals(mean: Mapping[str, Fraction | None], n: int) -> dict[str, Interval]:
    """Normal intervals from exact moments: MAE (its sample variance), RMSE and R² (delta method).

    R² = 1 − a / (c − b²) with a, b, c the means of error², y and y²; its variance is ∇ᵀ Σ ∇ / n, with
    Σ the covariance of (error², y, y²) from the exact sums of error⁴, error²·y, error²·y², y³ and y⁴.
    """
    if n < 3:
        return {}
    z = z_of(LEVEL)
    out = {}
    mae, mse, ybar, y2 = (mean[k] for k in ("abs_err", "sq_err", "y", "y2"))
    assert mae is not None and mse is not None and ybar is not None and y2 is not None
    half = z * float(np.sqrt(max(float(mse - mae * mae), 0.0) / (n - 1)))
    out["mae"] = Interval(max(0.0, float(mae) - half), float(mae) + half, "normal (t-like)")
    e4, e2y, e2y2, y3, y4 = (mean[k] for k in ("sq_err2", "sq_err_y", "sq_err_y2", "y3", "y4"))
    if e4 is not None and mse > 0:
        rmse = float(np.sqrt(float(mse)))
        se_mse = float(np.sqrt(max(float(e4 - mse * mse), 0.0) / (n - 1)))
        out["rmse"] = Interval(max(0.0, rmse - z * se_mse / (2 * rmse)), rmse + z * se_mse / (2 * rmse), "delta method")
    sst = y2 - ybar * ybar
    if None not in (e4, e2y, e2y2, y3, y4) and sst > 0:
        assert e4 is not None and e2y is not None and e2y2 is not None and y3 is not None and y4 is not None
        cov = [[e4 - mse * mse, e2y - mse * ybar, e2y2 - mse * y2],
               [e2y - mse * ybar, sst, y3 - ybar * y2],
               [e2y2 - mse * y2, y3 - ybar * y2, y4 - y2 * y2]]
        grad = [-1 / sst, -2 * mse * ybar / sst**2, mse / sst**2]
        var = sum(grad[i] * cov[i][j] * grad[j] for i in range(3) for j in range(3)) / (n - 1)
        r2, half = float(1 - mse / sst), z * float(np.sqrt(max(float(var), 0.0)))
        out["r2"] = Interval(r2 - half, min(1.0, r2 + half), "delta method")
    return out


def _present_regression(check: PerformanceCheck, a: PerformanceAnalysis, o: PerformanceOptions) -> CheckResult:
    m = dict(a.metrics)
    findings = [_judged(a, "r2", f"R² is {m['r2']:.3f} (MAE {_with_interval(a, 'mae')}, RMSE {_with_interval(a, 'rmse')})",
                        "below", warn=o.r2_warn, fail=o.r2_fail)]
    assert a.residuals is not None
    pred, residual = a.residuals
    fig = Figure(
        "Residuals",
        xy_chart([Series(pred, residual, kind="scatter")], xlabel="predicted", ylabel="true − predicted", hline=0.0),
        f"{len(pred):,} of {a.n:,} rows (a seeded uniform sample). A pattern or funnel shape means errors depend on the prediction.",
    )
    evaluation, evidence, held = _evaluation_findings(a.evaluation, [("R²", m["r2"])], o)
    findings += evaluation
    deciles, decile_figures = _residual_deciles(a)
    return check.result(
        findings=findings, summary=_headline(f"R² {_with_interval(a, 'r2')}, MAE {_with_interval(a, 'mae')}, "
                                             f"RMSE {_with_interval(a, 'rmse')}", findings),
        metrics=m, tables=[_interval_table(a, o), *deciles], figures=[fig, *decile_figures],
        details={"n": a.n, "evaluation_data": held, "intervals": _interval_details(a),
                 "residuals_by_decile": [dict(d) for d in a.residual_deciles]}, evidence=evidence,
    )

# -- summaries ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Calibration:
    """Per equal-width probability bin (right-closed, as :func:`expected_calibration_error`): rows, events, exact sum of probabilities."""

    counts: np.ndarray
    events: np.ndarray
    sums: tuple[ExactSum, ...]

    @classmethod
    def of(cls, event: np.ndarray, proba: np.ndarray, *, n_bins: int) -> Calibration:
        """``event``: 1 where the predicted event happened; ``proba``: its predicted probability."""
        proba = np.asarray(proba, dtype=float)
        edges = np.linspace(0.0, 1.0, n_bins + 1)
        idx = np.clip(np.digitize(proba, edges[1:-1], right=True), 0, n_bins - 1)
        counts = np.bincount(idx, minlength=n_bins).astype(np.int64)
        events = np.bincount(idx[np.asarray(event, dtype=bool)], minlength=n_bins).astype(np.int64)
        order = np.argsort(idx, kind="stable")
        parts = np.split(proba[order], np.cumsum(counts)[:-1])
        return cls(counts, events, tuple(ExactSum.of(p) for p in parts))

    def __add__(self, other: Calibration) -> Calibration:
        return Calibration(self.counts + other.counts, self.events + other.events,
                           tuple(a + b for a, b in zip(self.sums, other.sums)))

    def error_interval(self, rng: np.random.Generator, *, rounds: int, level: float) -> tuple[float, float]:
        """A basic (reverse-percentile) bootstrap interval of :meth:`error`, clipped at 0.

        Rows are resampled as counts: each bin's events and non-events drawn jointly (multinomial),
        each bin's mean predicted probability held at its value (it varies little within a bin). The
        calibration error is biased upwards on finite data, and a percentile interval would inherit
        the bias twice; the basic interval ``2·ECE − quantiles`` corrects it to first order.
        """
        total = int(self.counts.sum())
        keep = np.flatnonzero(self.counts)
        if total == 0:
            return float("nan"), float("nan")
        mean_p = np.array([float(self.sums[b].fraction / int(self.counts[b])) for b in keep])
        cells = np.concatenate([self.events[keep], self.counts[keep] - self.events[keep]]).astype(float)
        draws = rng.multinomial(total, cells / total, size=rounds)
        events, counts = draws[:, :len(keep)], draws[:, :len(keep)] + draws[:, len(keep):]
        with np.errstate(invalid="ignore", divide="ignore"):
            gaps = np.where(counts > 0, np.abs(mean_p - events / np.where(counts > 0, counts, 1)), 0.0)
        boot = (counts / total * gaps).sum(axis=1)
        ece = self.error()[0]
        q_lo, q_hi = np.percentile(boot, [100 * (1 - level) / 2, 100 * (1 + level) / 2])
        return max(0.0, 2 * ece - float(q_hi)), max(0.0, 2 * ece - float(q_lo))

    def error(self) -> tuple[float, list[dict[str, float]]]:
        """Expected calibration error and the non-empty bins (``lo``, ``hi``, ``count``, ``mean_predicted``, ``observed``)."""
        n_bins = len(self.counts)
        edges = np.linspace(0.0, 1.0, n_bins + 1)
        total = int(self.counts.sum())
        ece = Fraction(0)
        bins = []
        for b in np.flatnonzero(self.counts):
            count = int(self.counts[b])
            mean_p = self.sums[b].fraction / count
            observed = Fraction(int(self.events[b]), count)
            ece += Fraction(count, total) * abs(mean_p - observed)
            bins.append({"lo": float(edges[b]), "hi": float(edges[b + 1]), "count": count,
                         "mean_predicted": float(mean_p), "observed": float(observed)})
        return float(ece), bins


@dataclass(frozen=True)
class Moments:
    """Named exact sums of per-row terms (``sum``, ``squares``, …), mergeable with ``+``; their means are exact fractions."""

    sums: Mapping[str, ExactSum | None]

    @classmethod
    def of(cls, **terms: np.ndarray) -> Moments:
        """The exact sum of each named array of per-row terms (``None`` once a term overflows to infinity)."""
        arrays = {k: np.asarray(v, dtype=float) for k, v in terms.items()}
        return cls({k: ExactSum.of(v) if np.isfinite(v).all() else None for k, v in arrays.items()})

    def __add__(self, other: Moments) -> Moments:
        return Moments({k: None if v is None or other.sums[k] is None else v + other.sums[k]  # type: ignore[operator]
                        for k, v in self.sums.items()})

    def mean(self, name: str, n: int) -> Fraction | None:
        """The exact mean of a term over ``n`` rows (``None`` when it overflowed)."""
        total = self.sums[name]
        return None if total is None else total.fraction / n


@dataclass(frozen=True)
class PerformanceSummary:
    """What the performance check keeps of a chunk; every part adds up exactly.

    Classification: the confusion matrix, per-class score counts (ROC-AUC, average precision),
    exact sums of log-loss and Brier terms, calibration bins. Regression: exact sums of |error|,
    error², target and target².
    """

    n: int
    confusion: np.ndarray | None = None
    scores: tuple[ScoreCounts, ...] = ()
    log_loss: Moments | None = None
    brier: Moments | None = None
    calibration: Calibration | None = None
    errors: Moments | None = None
    rows_seen: RowOverlap | None = None
    true_rank: np.ndarray | None = None
    residual_bins: BinnedMeans | None = None
    unlabelled: int = 0  # rows whose label has not arrived (left out of every sum above)

    def __add__(self, other: PerformanceSummary) -> PerformanceSummary:
        def add(a: Any, b: Any) -> Any:
            return None if a is None else a + b

        return PerformanceSummary(
            self.n + other.n, add(self.confusion, other.confusion), tuple(a + b for a, b in zip(self.scores, other.scores)),
            add(self.log_loss, other.log_loss), add(self.brier, other.brier), add(self.calibration, other.calibration),
            add(self.errors, other.errors), add(self.rows_seen, other.rows_seen), add(self.true_rank, other.true_rank),
            add(self.residual_bins, other.residual_bins), self.unlabelled + other.unlabelled,
        )


def summarise(batch: Batch, plan: Plan, o: PerformanceOptions) -> PerformanceSummary:
    """Summarise one chunk of labels and predictions (and which training rows it holds, when the model has a row sketch)."""
    seen = RowOverlap.of(batch.frame, plan.row_sketch) if plan.row_sketch is not None else None
    return dataclasses.replace(_summarise(batch.with_labels(), plan, o), rows_seen=seen, unlabelled=batch.unlabelled)


def _summarise(batch: Batch, plan: Plan, o: PerformanceOptions) -> PerformanceSummary:
    n = len(batch)
    if plan.task == "regression":
        y = batch.y.astype(float)
        err = y - batch.y_pred.astype(float)
        sq = err**2
        return PerformanceSummary(n, errors=Moments.of(abs_err=np.abs(err), sq_err=sq, y=y, y2=y**2, sq_err2=sq**2,
                                                       sq_err_y=sq * y, sq_err_y2=sq * y**2, y3=y**3, y4=y**4),
                                  residual_bins=BinnedMeans.of(batch.y_pred.astype(float), err))
    classes = plan.classes
    assert classes is not None
    index = {c: i for i, c in enumerate(classes.tolist())}
    t = np.array([index[v] for v in batch.y.tolist()]) if n else np.zeros(0, dtype=int)
    p = np.array([index[v] for v in batch.y_pred.tolist()]) if n else np.zeros(0, dtype=int)
    k = len(classes)
    confusion = np.bincount(t * k + p, minlength=k * k).reshape(k, k).astype(np.int64)
    proba = batch.y_proba
    if proba is None:
        return PerformanceSummary(n, confusion)
    true_p = proba[np.arange(n), t]
    loss = -np.log(np.clip(true_p, 1e-15, 1))
    log_loss = Moments.of(sum=loss, squares=loss**2)
    if plan.task == "binary":
        j = index[plan.positive_label]
        y01 = (t == j).astype(int)
        score = proba[:, j]
        brier = (score - y01) ** 2
        return PerformanceSummary(n, confusion, (ScoreCounts.of(score, y01),), log_loss, Moments.of(sum=brier, squares=brier**2),
                                  Calibration.of(y01, score, n_bins=o.calibration_bins))
    onehot = (t[:, None] == np.arange(k)[None, :]).astype(float)
    top = proba.argmax(axis=1)
    brier = np.sum((proba - onehot) ** 2, axis=1)
    ranked = np.argsort(proba, axis=1, kind="mergesort")[:, ::-1]  # scikit-learn's top_k_accuracy_score order (ties: higher index first)
    true_rank = np.bincount(np.argmax(ranked == t[:, None], axis=1), minlength=k).astype(np.int64)
    return PerformanceSummary(n, confusion, tuple(ScoreCounts.of(proba[:, c], (t == c).astype(int)) for c in range(k)), log_loss,
                              Moments.of(sum=brier, squares=brier**2),
                              Calibration.of(top == t, proba.max(axis=1), n_bins=o.calibration_bins), true_rank=true_rank)


def _confusion_metrics(cm: np.ndarray, classes: np.ndarray, positive: Any) -> dict[str, Any]:
    """Accuracy, balanced accuracy, precision, recall and F1 (scikit-learn's definitions, zero_division=0).

    ``cm`` is one confusion matrix (floats come back) or a stack of them, shape ``(..., k, k)``
    (arrays come back, one value per matrix: a bootstrap's draws).
    """
    cm = np.asarray(cm)
    n = cm.sum(axis=(-2, -1))
    support, predicted, hit = cm.sum(axis=-1), cm.sum(axis=-2), np.diagonal(cm, axis1=-2, axis2=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(support > 0, hit / np.where(support > 0, support, 1), 0.0)
        precision = np.where(predicted > 0, hit / np.where(predicted > 0, predicted, 1), 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / np.where(precision + recall > 0, precision + recall, 1), 0.0)
        present = support > 0
        m: dict[str, Any] = {"accuracy": hit.sum(axis=-1) / n,
                             "balanced_accuracy": np.where(present, recall, 0).sum(axis=-1) / present.sum(axis=-1)}
        if positive is not None:
            j = int(np.flatnonzero(classes == positive)[0])
            m.update(precision=precision[..., j], recall=recall[..., j], f1=f1[..., j])
        else:
            seen = (support > 0) | (predicted > 0)
            m.update({f"{k}_macro": np.where(seen, v, 0).sum(axis=-1) / seen.sum(axis=-1)
                      for k, v in (("precision", precision), ("recall", recall), ("f1", f1))})
            m.update({f"{k}_weighted": (v * support).sum(axis=-1) / support.sum(axis=-1)
                      for k, v in (("precision", precision), ("recall", recall), ("f1", f1))})
        m["majority_class_accuracy"] = support.max(axis=-1) / n
    return {k: float(v) for k, v in m.items()} if cm.ndim == 2 else m


#: The level of every interval of this check.
LEVEL = 0.95
#: Bootstrap rounds of the confusion-matrix metrics and the calibration error (seeded; cheap: counts, not rows).
ROUNDS = 2000


def _confusion_intervals(cm: np.ndarray, classes: np.ndarray, positive: Any, rng: np.random.Generator) -> dict[str, Interval]:
    """Wilson intervals for accuracy, precision and recall; a seeded bootstrap of the confusion matrix for the rest."""
    n = int(cm.sum())
    def wilson(k: int, m: int) -> Interval:
        lo, hi = wilson_interval(k, m)
        return Interval(float(lo), float(hi), "Wilson")

    out = {"accuracy": wilson(int(np.trace(cm)), n)}
    if positive is not None:
        j = int(np.flatnonzero(classes == positive)[0])
        out["precision"] = wilson(int(cm[j, j]), int(cm[:, j].sum()))
        out["recall"] = wilson(int(cm[j, j]), int(cm[j].sum()))
    draws = rng.multinomial(n, cm.ravel() / n, size=ROUNDS).reshape(ROUNDS, *cm.shape)
    boot = _confusion_metrics(draws, classes, positive)
    for name in ("balanced_accuracy", "f1", "precision_macro", "recall_macro", "f1_macro", "precision_weighted",
                 "recall_weighted", "f1_weighted"):
        if name in boot:
            lo, hi = np.percentile(boot[name], [100 * (1 - LEVEL) / 2, 100 * (1 + LEVEL) / 2])
            out[name] = Interval(float(lo), float(hi), f"bootstrap of the confusion matrix ({ROUNDS:,} rounds, seeded)")
    return out


def _score_intervals(s: PerformanceSummary, m: Mapping[str, Any], binary: bool, rng: np.random.Generator) -> dict[str, Interval]:
    """DeLong for ROC-AUC, Boyd's logit interval for PR-AUC, normal for Brier and log-loss, a bootstrap for ECE."""
    out: dict[str, Interval] = {}
    z = z_of(LEVEL)
    if "roc_auc" in m:
        if binary:
            out["roc_auc"] = Interval(*s.scores[0].roc_auc_interval(level=LEVEL), "DeLong")
        else:  # the mean of one-vs-rest AUCs: its standard error is at most the mean of theirs
            _auc, lo, hi = macro_roc_auc(s.scores, level=LEVEL)
            out["roc_auc"] = Interval(lo, hi, "DeLong per class, combined conservatively (errors added as if perfectly correlated)")
    if "pr_auc" in m:
        out["pr_auc"] = Interval(*s.scores[0].average_precision_interval(level=LEVEL), "logit (Boyd, Eng & Page 2013)")
    for name, moments in (("brier", s.brier), ("log_loss", s.log_loss)):
        assert moments is not None
        mean, squares = moments.mean("sum", s.n), moments.mean("squares", s.n)
        if mean is not None and squares is not None and s.n > 1:
            sd = float(np.sqrt(max(float(squares - mean * mean), 0.0) * s.n / (s.n - 1)))
            out[name] = Interval(float(mean) - z * sd / np.sqrt(s.n), float(mean) + z * sd / np.sqrt(s.n), "normal (t-like)")
    assert s.calibration is not None
    out["ece"] = Interval(*s.calibration.error_interval(rng, rounds=ROUNDS, level=LEVEL),
                          f"basic bootstrap of the calibration bins ({ROUNDS:,} rounds, seeded)")
    return out


def _per_class(s: PerformanceSummary, classes: np.ndarray, rng: np.random.Generator) -> tuple[Mapping[str, Any], ...]:
    """Each class against the rest: support, precision and recall (Wilson), F1 (bootstrap of the confusion matrix), ROC-AUC (DeLong)."""
    cm = s.confusion
    assert cm is not None
    n = int(cm.sum())
    support, predicted, hit = cm.sum(axis=1), cm.sum(axis=0), np.diagonal(cm)
    draws = rng.multinomial(n, cm.ravel() / n, size=ROUNDS).reshape(ROUNDS, *cm.shape).astype(float)
    d_hit, d_support, d_predicted = np.diagonal(draws, axis1=1, axis2=2), draws.sum(axis=2), draws.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        d_f1 = np.where(d_support + d_predicted > 0, 2 * d_hit / (d_support + d_predicted), 0.0)
    p_lo, p_hi = wilson_interval(hit, predicted)
    r_lo, r_hi = wilson_interval(hit, support)
    out = []
    for c, label in enumerate(classes):
        f1 = 2 * hit[c] / (support[c] + predicted[c]) if support[c] + predicted[c] else 0.0
        f_lo, f_hi = np.percentile(d_f1[:, c], [100 * (1 - LEVEL) / 2, 100 * (1 + LEVEL) / 2])
        row: dict[str, Any] = {"class": str(label), "support": int(support[c]),
                               "precision": float(hit[c] / predicted[c]) if predicted[c] else 0.0,
                               "precision_ci": (float(p_lo[c]), float(p_hi[c])),
                               "recall": float(hit[c] / support[c]) if support[c] else 0.0,
                               "recall_ci": (float(r_lo[c]), float(r_hi[c])),
                               "f1": float(f1), "f1_ci": (float(f_lo), float(f_hi))}
        if s.scores and support[c] and support[c] < n:
            row["roc_auc"] = s.scores[c].roc_auc()
            row["roc_auc_ci"] = s.scores[c].roc_auc_interval(level=LEVEL)
        out.append(row)
    return tuple(out)


def _top_k(s: PerformanceSummary, intervals: dict[str, Interval]) -> dict[str, float]:
    """Top-k accuracy for k = 2 … min(5, classes − 1): the true class among the k most probable (Wilson intervals, added)."""
    if s.true_rank is None:
        return {}
    out = {}
    hits = np.cumsum(s.true_rank)
    for k in range(2, min(5, len(hits) - 1) + 1):
        out[f"top_{k}_accuracy"] = float(hits[k - 1] / s.n)
        lo, hi = wilson_interval(int(hits[k - 1]), s.n)
        intervals[f"top_{k}_accuracy"] = Interval(float(lo), float(hi), "Wilson")
    return out


def _class_table(a: PerformanceAnalysis) -> Table:
    rows = [[r["class"], r["support"], Estimate(r["precision"], *r["precision_ci"]), Estimate(r["recall"], *r["recall_ci"]),
             Estimate(r["f1"], *r["f1_ci"]), Estimate(r["roc_auc"], *r["roc_auc_ci"]) if "roc_auc" in r else None]
            for r in a.per_class]
    return Table("Each class against the rest", ["class", "support", "precision (95 % CI)", "recall (95 % CI)", "F1 (95 % CI)",
                                                 "ROC-AUC (95 % CI)"], rows, formats=["text", "int", "3f", "3f", "3f", "3f"],
                 note="Precision and recall: Wilson intervals; F1: a seeded bootstrap of the confusion matrix "
                      f"({ROUNDS:,} rounds); ROC-AUC: the class's probability against the rest, DeLong's interval. The macro "
                      "averages weigh each class alike, the weighted ones by support (scikit-learn's average='macro' and "
                      "'weighted').")


def _residual_deciles(a: PerformanceAnalysis) -> tuple[list[Table], list[Figure]]:
    """Mean residual by decile of the prediction, with t intervals: a regressor biased in part of its range shows here."""
    rows, labels, values, lows, highs = [], [], [], [], []
    for i, d in enumerate(a.residual_deciles, start=1):
        half = float(z_of(LEVEL)) * d["sd_y"] / np.sqrt(d["n"]) if d["n"] > 1 else float("nan")
        rows.append([i, f"{number(d['lo'])} to {number(d['hi'])}", d["n"], d["mean_x"], Estimate(d["mean_y"], d["mean_y"] - half,
                                                                                           d["mean_y"] + half)])
        labels.append(f"{i}: {number(d['lo'])}–{number(d['hi'])}")
        values.append(d["mean_y"])
        lows.append(d["mean_y"] - half)
        highs.append(d["mean_y"] + half)
    if not rows:
        return [], []
    table = Table("Residuals by decile of the prediction", ["decile", "predicted", "rows", "mean prediction",
                                                             "mean residual (95 % CI)"], rows,
                  formats=["int", "text", "int", "", ""],
                  note="Rows cut into ten bins of about equal size by their prediction (bin edges on a fixed grid within 0.4 % "
                       "of the exact deciles, so chunks and machines agree); residual = true − predicted (positive: the "
                       "model under-predicts in that range). Normal intervals from exact sums.")
    figure = Figure("Mean residual by decile of the prediction",
                    bar_chart(labels, values, lows=lows, highs=highs, reference=0.0, reference_label="no bias",
                              xlabel="mean of true − predicted (95 % interval)"),
                    "A model without systematic error has every interval around 0.")
    return [table], [figure]


def _discordant(cm: np.ndarray) -> tuple[int, int]:
    """Rows only the model gets right, and rows only "always predict the majority class" gets right."""
    top = int(np.argmax(cm.sum(axis=1)))
    only_model = int(np.trace(cm) - cm[top, top])
    only_majority = int(cm[top].sum() - cm[top, top])
    return only_model, only_majority


def _headline(numbers: str, findings: list[Finding]) -> str:
    """The check's one line: the numbers, led by the reason when something warns or fails, and what is undecided."""
    bad = [f for f in findings if f.status in ("fail", "warn")]
    undecided = [f.key.replace("_", "-").upper() if f.key == "roc_auc" else f.key.upper() if f.key == "ece" else f.key
                 for f in findings if f.status == "inconclusive"]
    tail = f"; inconclusive: {', '.join(undecided)}" if undecided else ""
    if not bad:
        return numbers + tail
    worst = [f for f in bad if f.status == "fail"] or bad
    reasons = "; ".join(f.message.split(":")[0].split(" (")[0].rstrip(".") for f in worst[:2])
    return f"{reasons} — {numbers}{tail}"


def _evaluation(ctx: AuditContext, s: PerformanceSummary) -> Evaluation:
    """Is the audit data held out from training? What the training record's row sketch tells (or why nothing)."""
    record = ctx.training_record
    sketch = usable_row_sketch(record, [*ctx.features, ctx.roles.target]) if record is not None else None
    found = s.rows_seen.result(sketch) if s.rows_seen is not None and sketch is not None else None
    if found is None:
        why = ("the model has no training record (raudit.track_training)" if record is None else
               "its training record holds no row sketch of the training data, or the audit data lacks its columns")
        return Evaluation(False, why)
    return Evaluation(True, overlap=found)


def _evaluation_findings(e: Evaluation, scores: list[tuple[str, float]],
                         o: PerformanceOptions) -> tuple[list[Finding], dict[str, dict[str, str]], dict[str, Any]]:
    """Say what raudit can tell of the evaluation data, and warn on scores too good to be true."""
    findings = []
    found = e.overlap
    if found is None:
        why = e.reason
        findings.append(Finding("pass", f"Evaluation data provenance unknown: {why}, so raudit cannot tell whether the audit "
                                        "data was held out from training. Treat these scores as held-out only if you know it was.",
                                "evaluation_data"))
        evidence = {"what": "accuracy measured on the audit data; evaluation data provenance unknown (held out or not)",
                    "status": "partial"}
        held: dict[str, Any] = {"known": False, "reason": why}
    else:
        held = {"known": True, "sampled_training_rows": found.sampled, "found_in_audit_data": found.found,
                "share": found.share, "share_upper_95": found.upper, "identical": found.identical}
        if found.identical:
            findings.append(Finding("warn", f"The audit data is the training data: its rows are the {found.training_rows:,} rows "
                                            "the training record describes. These scores measure fit, not performance on new data.",
                                    "evaluation_data"))
            evidence = {"what": "accuracy measured on the training data itself, not on held-out data", "status": "partial"}
        elif found.found == 0:
            findings.append(Finding("pass", f"Held out: none of {found.sampled:,} sampled training rows occurs in the audit data, so "
                                            f"at most {found.upper:.1%} of the training rows are in it (95 % bound, from the "
                                            "training record's row sketch).", "evaluation_data"))
            evidence = {"what": f"accuracy measured on data held out from training (no sampled training row in it; at most "
                                f"{found.upper:.1%} overlap, 95 % bound)", "status": "evidence"}
        else:
            findings.append(Finding("warn", f"The audit data overlaps the training data: {found.found:,} of {found.sampled:,} sampled "
                                            f"training rows occur in it (about {found.share:.0%} of the training rows). Scores on "
                                            "rows the model was trained on are optimistic.", "evaluation_data"))
            evidence = {"what": f"accuracy measured on data that overlaps the training data (about {found.share:.0%})", "status": "partial"}
    for name, value in scores:
        if np.isfinite(value) and value >= o.near_perfect:
            findings.append(Finding("warn", f"Near-perfect {name} {value:.3f} (at or above {o.near_perfect}): check that the audit "
                                            "data is not the training data and that no input leaks the label.", "near_perfect"))
            break
    return findings, {"EU-AIA-15.1": evidence}, held
