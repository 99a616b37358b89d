"""Performance: how well the model predicts, and how well its probabilities are calibrated."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from raudit.plugin import (
    AuditContext,
    Batch,
    Check,
    CheckResult,
    ConfigError,
    ExactSum,
    Figure,
    Finding,
    Options,
    Overlap,
    Plan,
    RowOverlap,
    ScoreCounts,
    Series,
    Table,
    grade,
    number,
    option,
    usable_row_sketch,
    xy_chart,
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

    def check(self, *, name: str) -> None:  # noqa: D102
        for metric, higher_is_better in (("roc_auc", True), ("ece", False), ("r2", True)):
            warn, fail = getattr(self, f"{metric}_warn"), getattr(self, f"{metric}_fail")
            if (fail > warn) if higher_is_better else (fail < warn):
                raise ConfigError(f"[check.{name}]: {metric}_fail ({fail}) is {'above' if higher_is_better else 'below'} "
                                  f"{metric}_warn ({warn}); a value would fail before it warns",
                                  hint=f"set {metric}_fail {'≤' if higher_is_better else '≥'} {metric}_warn")


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
        if ctx.task == "regression":
            return _analyse_regression(ctx, s, evaluation)
        classes = ctx.classes
        assert classes is not None and s.confusion is not None
        m = _confusion_metrics(s.confusion, classes, ctx.positive_label if ctx.task == "binary" else None)
        bins: list[dict[str, float]] = []
        calib_of = ""
        if s.scores:
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
            m["brier"] = s.brier.value / s.n
            m["log_loss"] = s.log_loss.value / s.n
            m["ece"], bins = s.calibration.error()
        return PerformanceAnalysis(ctx.task, s.n, m, evaluation, tuple(str(c) for c in classes), s.confusion, bool(s.scores),
                                   calib_of, tuple(bins))

    def present(self, a: PerformanceAnalysis, options: PerformanceOptions) -> CheckResult:
        """Findings against the thresholds, the confusion matrix and reliability diagram (or residuals), the headline."""
        if a.task == "regression":
            return _present_regression(self, a, options)
        o, m = options, dict(a.metrics)
        findings: list[Finding] = []
        figures: list[Figure] = []
        if a.has_scores:
            figures.append(_reliability_diagram(a, o))
            auc = m.get("roc_auc")
            if auc is not None:
                bound = f" (within {number(m['roc_auc_error_bound'])}: too many distinct scores to keep each)" \
                    if "roc_auc_error_bound" in m else ""
                findings.append(Finding(grade(auc, warn=o.roc_auc_warn, fail=o.roc_auc_fail),
                                        f"ROC-AUC is {auc:.3f}{bound} (warn below {o.roc_auc_warn}, fail below {o.roc_auc_fail}).",
                                        "roc_auc"))
            ece = m["ece"]
            findings.append(Finding(
                grade(ece, warn=o.ece_warn, fail=o.ece_fail, higher_is_better=False),
                f"Expected calibration error is {ece:.3f}: predicted probabilities are off by {ece * 100:.1f} "
                f"percentage points on average (warn above {o.ece_warn}, fail above {o.ece_fail}).", "ece"))
        else:
            findings.append(Finding(
                "skipped", "The model gives no probabilities: ROC-AUC, PR-AUC, log-loss, Brier and calibration are not computed.",
                "proba"))
        majority = m["majority_class_accuracy"]
        beats = m["accuracy"] > majority
        findings.append(Finding(
            "pass" if beats else "warn",
            f"Accuracy {m['accuracy']:.3f} {'beats' if beats else 'does not beat'} always predicting the majority class ({majority:.3f}).",
            "baseline",
        ))
        assert a.confusion is not None
        labels = list(a.labels)
        table = Table("Confusion matrix (rows: true label, columns: predicted)", ["true \\ predicted", *labels],
                      [[lab, *map(int, row)] for lab, row in zip(labels, a.confusion)], formats=["text", *(["int"] * len(labels))])
        scores = [("accuracy", m["accuracy"]), *([("ROC-AUC", m["roc_auc"])] if "roc_auc" in m else [])]
        evaluation, evidence, held = _evaluation_findings(a.evaluation, scores, o)
        findings += evaluation
        headline = f"accuracy {m['accuracy']:.3f}" + (f", ROC-AUC {m['roc_auc']:.3f}" if "roc_auc" in m else "") + (
            f", ECE {m['ece']:.3f}" if "ece" in m else "")
        return self.result(
            findings=findings, summary=_headline(headline, findings), metrics=m, tables=[table], figures=figures,
            details={"calibration_bins": list(a.calibration_bins), "confusion_matrix": a.confusion, "labels": labels, "n": a.n,
                     "evaluation_data": held},
            evidence=evidence,
        )


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
    abs_err, sq_err, y_sum, y_sq = (x.fraction for x in s.errors)
    n = s.n
    sst = y_sq - y_sum * y_sum / n
    m = {
        "mae": float(abs_err / n),
        "rmse": float(np.sqrt(float(sq_err / n))),
        "r2": float(1 - sq_err / sst) if sst != 0 else float("nan"),
        "mean_target": float(y_sum / n),
    }
    shown = np.arange(len(ctx.sample))[:2000]
    pred = ctx.sample.y_pred.astype(float)[shown]
    return PerformanceAnalysis("regression", n, m, evaluation, residuals=(pred, ctx.sample.y[shown] - pred))


def _present_regression(check: PerformanceCheck, a: PerformanceAnalysis, o: PerformanceOptions) -> CheckResult:
    m = dict(a.metrics)
    status = grade(m["r2"], warn=o.r2_warn, fail=o.r2_fail)
    findings = [Finding(status, f"R² is {m['r2']:.3f} (warn below {o.r2_warn}, fail below {o.r2_fail}); "
                                f"MAE {number(m['mae'])}, RMSE {number(m['rmse'])}.", "r2")]
    assert a.residuals is not None
    pred, residual = a.residuals
    fig = Figure(
        "Residuals",
        xy_chart([Series(pred, residual, kind="scatter")], xlabel="predicted", ylabel="true − predicted", hline=0.0),
        f"{len(pred):,} of {a.n:,} rows (a seeded uniform sample). A pattern or funnel shape means errors depend on the prediction.",
    )
    evaluation, evidence, held = _evaluation_findings(a.evaluation, [("R²", m["r2"])], o)
    findings += evaluation
    return check.result(
        findings=findings, summary=_headline(f"R² {m['r2']:.3f}, MAE {number(m['mae'])}, RMSE {number(m['rmse'])}", findings),
        metrics=m, figures=[fig], details={"n": a.n, "evaluation_data": held}, evidence=evidence,
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
class PerformanceSummary:
    """What the performance check keeps of a chunk; every part adds up exactly.

    Classification: the confusion matrix, per-class score counts (ROC-AUC, average precision),
    exact sums of log-loss and Brier terms, calibration bins. Regression: exact sums of |error|,
    error², target and target².
    """

    n: int
    confusion: np.ndarray | None = None
    scores: tuple[ScoreCounts, ...] = ()
    log_loss: ExactSum | None = None
    brier: ExactSum | None = None
    calibration: Calibration | None = None
    errors: tuple[ExactSum, ExactSum, ExactSum, ExactSum] | None = None
    rows_seen: RowOverlap | None = None

    def __add__(self, other: PerformanceSummary) -> PerformanceSummary:
        def add(a: Any, b: Any) -> Any:
            return None if a is None else a + b

        return PerformanceSummary(
            self.n + other.n, add(self.confusion, other.confusion), tuple(a + b for a, b in zip(self.scores, other.scores)),
            add(self.log_loss, other.log_loss), add(self.brier, other.brier), add(self.calibration, other.calibration),
            None if self.errors is None else tuple(a + b for a, b in zip(self.errors, other.errors or ())),  # type: ignore[arg-type]
            add(self.rows_seen, other.rows_seen),
        )


def summarise(batch: Batch, plan: Plan, o: PerformanceOptions) -> PerformanceSummary:
    """Summarise one chunk of labels and predictions (and which training rows it holds, when the model has a row sketch)."""
    seen = RowOverlap.of(batch.frame, plan.row_sketch) if plan.row_sketch is not None else None
    return dataclasses.replace(_summarise(batch, plan, o), rows_seen=seen)


def _summarise(batch: Batch, plan: Plan, o: PerformanceOptions) -> PerformanceSummary:
    n = len(batch)
    if plan.task == "regression":
        err = batch.y - batch.y_pred.astype(float)
        return PerformanceSummary(n, errors=(ExactSum.of(np.abs(err)), ExactSum.of(err**2), ExactSum.of(batch.y),
                                             ExactSum.of(batch.y**2)))
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
    log_loss = ExactSum.of(-np.log(np.clip(true_p, 1e-15, 1)))
    if plan.task == "binary":
        j = index[plan.positive_label]
        y01 = (t == j).astype(int)
        score = proba[:, j]
        return PerformanceSummary(n, confusion, (ScoreCounts.of(score, y01),), log_loss, ExactSum.of((score - y01) ** 2),
                                  Calibration.of(y01, score, n_bins=o.calibration_bins))
    onehot = (t[:, None] == np.arange(k)[None, :]).astype(float)
    top = proba.argmax(axis=1)
    return PerformanceSummary(n, confusion, tuple(ScoreCounts.of(proba[:, c], (t == c).astype(int)) for c in range(k)), log_loss,
                              ExactSum.of(np.sum((proba - onehot) ** 2, axis=1)),
                              Calibration.of(top == t, proba.max(axis=1), n_bins=o.calibration_bins))


def _confusion_metrics(cm: np.ndarray, classes: np.ndarray, positive: Any) -> dict[str, Any]:
    """Accuracy, balanced accuracy, precision, recall and F1 from a confusion matrix (scikit-learn's definitions, zero_division=0)."""
    n = int(cm.sum())
    support, predicted, hit = cm.sum(axis=1), cm.sum(axis=0), np.diag(cm)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(support > 0, hit / np.where(support > 0, support, 1), 0.0)
        precision = np.where(predicted > 0, hit / np.where(predicted > 0, predicted, 1), 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / np.where(precision + recall > 0, precision + recall, 1), 0.0)
    m: dict[str, Any] = {"accuracy": float(hit.sum() / n), "balanced_accuracy": float(recall[support > 0].mean())}
    if positive is not None:
        j = int(np.flatnonzero(classes == positive)[0])
        m.update(precision=float(precision[j]), recall=float(recall[j]), f1=float(f1[j]))
    else:
        seen = (support > 0) | (predicted > 0)
        m.update(precision_macro=float(precision[seen].mean()), recall_macro=float(recall[seen].mean()),
                 f1_macro=float(f1[seen].mean()))
    m["majority_class_accuracy"] = float(support.max() / n)
    return m


def _headline(numbers: str, findings: list[Finding]) -> str:
    """The check's one line: the numbers, led by the reason when something warns or fails."""
    bad = [f for f in findings if f.status in ("fail", "warn")]
    if not bad:
        return numbers
    worst = [f for f in bad if f.status == "fail"] or bad
    reasons = "; ".join(f.message.split(":")[0].split(" (")[0].rstrip(".") for f in worst[:2])
    return f"{reasons} — {numbers}"


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
            evidence = {"what": "accuracy measured on the training data itself, not on held-out data", "status": "warn"}
        elif found.found == 0:
            findings.append(Finding("pass", f"Held out: none of {found.sampled:,} sampled training rows occurs in the audit data, so "
                                            f"at most {found.upper:.1%} of the training rows are in it (95 % bound, from the "
                                            "training record's row sketch).", "evaluation_data"))
            evidence = {"what": f"accuracy measured on data held out from training (no sampled training row in it; at most "
                                f"{found.upper:.1%} overlap, 95 % bound)", "status": "pass"}
        else:
            findings.append(Finding("warn", f"The audit data overlaps the training data: {found.found:,} of {found.sampled:,} sampled "
                                            f"training rows occur in it (about {found.share:.0%} of the training rows). Scores on "
                                            "rows the model was trained on are optimistic.", "evaluation_data"))
            evidence = {"what": f"accuracy measured on data that overlaps the training data (about {found.share:.0%})", "status": "warn"}
    for name, value in scores:
        if np.isfinite(value) and value >= o.near_perfect:
            findings.append(Finding("warn", f"Near-perfect {name} {value:.3f} (at or above {o.near_perfect}): check that the audit "
                                            "data is not the training data and that no input leaks the label.", "near_perfect"))
            break
    return findings, {"EU-AIA-15.1": evidence}, held
