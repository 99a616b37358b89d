"""Performance: how well the model predicts, and how well its probabilities are calibrated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from raudit import Check, CheckResult, ConfigError, Figure, Finding, Options, Table, grade, option
from raudit._context import AuditContext
from raudit._format import number
from raudit._svg import Series, xy_chart


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

    def run(self, ctx: AuditContext, options: PerformanceOptions) -> CheckResult:  # noqa: D102
        if ctx.task == "regression":
            return self._regression(ctx, options)
        return self._classification(ctx, options)

    def _classification(self, ctx: AuditContext, o: PerformanceOptions) -> CheckResult:
        from sklearn import metrics as skm

        y, y_pred, classes = ctx.y, ctx.y_pred, ctx.classes
        assert classes is not None
        binary = ctx.task == "binary"
        m: dict[str, Any] = {
            "accuracy": skm.accuracy_score(y, y_pred),
            "balanced_accuracy": skm.balanced_accuracy_score(y, y_pred),
        }
        if binary:
            pos = ctx.positive_label
            m["precision"] = skm.precision_score(y, y_pred, pos_label=pos, zero_division=0)
            m["recall"] = skm.recall_score(y, y_pred, pos_label=pos, zero_division=0)
            m["f1"] = skm.f1_score(y, y_pred, pos_label=pos, zero_division=0)
        else:
            m["precision_macro"] = skm.precision_score(y, y_pred, average="macro", zero_division=0)
            m["recall_macro"] = skm.recall_score(y, y_pred, average="macro", zero_division=0)
            m["f1_macro"] = skm.f1_score(y, y_pred, average="macro", zero_division=0)
        majority = float(np.max(np.unique(y, return_counts=True)[1]) / len(y))
        m["majority_class_accuracy"] = majority

        findings: list[Finding] = []
        figures: list[Figure] = []
        bins: list[dict[str, float]] = []
        proba = ctx.y_proba
        if proba is not None:
            present = np.isin(classes, np.unique(y))
            if binary:
                y01 = (y == ctx.positive_label).astype(int)
                score = ctx.y_score
                assert score is not None
                m["roc_auc"] = skm.roc_auc_score(y01, score)
                m["pr_auc"] = skm.average_precision_score(y01, score)
                m["brier"] = skm.brier_score_loss(y01, score)
                ece, bins = expected_calibration_error(y01, score, n_bins=o.calibration_bins)
                calib_what = f"P({ctx.positive_label})"
            else:
                if present.all():
                    m["roc_auc"] = skm.roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=classes)
                onehot = (y[:, None] == classes[None, :]).astype(float)
                m["brier"] = float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))
                top = proba.argmax(axis=1)
                ece, bins = expected_calibration_error(classes[top] == y, proba.max(axis=1), n_bins=o.calibration_bins)
                calib_what = "confidence of the predicted class"
            m["log_loss"] = skm.log_loss(y, np.clip(proba, 1e-15, 1), labels=classes)
            m["ece"] = ece
            figures.append(Figure(
                "Reliability diagram",
                xy_chart(
                    [Series([b["mean_predicted"] for b in bins], [b["observed"] for b in bins], label="model",
                            sizes=[2.5 + 6 * (b["count"] / len(y)) ** 0.5 for b in bins])],
                    xlabel=f"mean predicted {calib_what}", ylabel="observed frequency",
                    diagonal=True, xlim=(0, 1), ylim=(0, 1),
                ),
                f"{o.calibration_bins} equal-width bins; point size grows with the bin's share of rows; "
                "the dashed diagonal is perfect calibration.",
            ))
            auc = m.get("roc_auc")
            status = grade(auc, warn=o.roc_auc_warn, fail=o.roc_auc_fail)
            if auc is not None:
                findings.append(Finding(
                    status, f"ROC-AUC is {auc:.3f} (warn below {o.roc_auc_warn}, fail below {o.roc_auc_fail}).", "roc_auc"))
            status = grade(ece, warn=o.ece_warn, fail=o.ece_fail, higher_is_better=False)
            findings.append(Finding(
                status,
                f"Expected calibration error is {ece:.3f}: predicted probabilities are off by {ece * 100:.1f} "
                f"percentage points on average (warn above {o.ece_warn}, fail above {o.ece_fail}).", "ece"))
        else:
            findings.append(Finding(
                "skipped", "The model gives no probabilities: ROC-AUC, PR-AUC, log-loss, Brier and calibration are not computed.",
                "proba"))

        beats = m["accuracy"] > majority
        findings.append(Finding(
            "pass" if beats else "warn",
            f"Accuracy {m['accuracy']:.3f} {'beats' if beats else 'does not beat'} always predicting the majority class ({majority:.3f}).",
            "baseline",
        ))
        cm = skm.confusion_matrix(y, y_pred, labels=classes)
        labels = [str(c) for c in classes]
        table = Table("Confusion matrix (rows: true label, columns: predicted)", ["true \\ predicted", *labels],
                      [[lab, *map(int, row)] for lab, row in zip(labels, cm)])
        scores = [("accuracy", m["accuracy"]), *([("ROC-AUC", m["roc_auc"])] if "roc_auc" in m else [])]
        evaluation, evidence, held = _evaluation(ctx, scores, o)
        findings += evaluation
        headline = f"accuracy {m['accuracy']:.3f}" + (f", ROC-AUC {m['roc_auc']:.3f}" if "roc_auc" in m else "") + (
            f", ECE {m['ece']:.3f}" if "ece" in m else "")
        return self.result(
            findings=findings, summary=_headline(headline, findings), metrics=m, tables=[table], figures=figures,
            details={"calibration_bins": bins, "confusion_matrix": cm, "labels": labels, "n": len(y), "evaluation_data": held},
            evidence=evidence,
        )

    def _regression(self, ctx: AuditContext, o: PerformanceOptions) -> CheckResult:
        from sklearn import metrics as skm

        y, pred = ctx.y, ctx.y_pred.astype(float)
        m = {
            "mae": skm.mean_absolute_error(y, pred),
            "rmse": float(np.sqrt(skm.mean_squared_error(y, pred))),
            "r2": skm.r2_score(y, pred),
            "mean_target": float(np.mean(y)),
        }
        status = grade(m["r2"], warn=o.r2_warn, fail=o.r2_fail)
        findings = [Finding(status, f"R² is {m['r2']:.3f} (warn below {o.r2_warn}, fail below {o.r2_fail}); "
                                    f"MAE {number(m['mae'])}, RMSE {number(m['rmse'])}.", "r2")]
        n_show = min(len(y), 2000)
        idx = np.sort(ctx.rng("performance.residuals").choice(len(y), size=n_show, replace=False))
        fig = Figure(
            "Residuals",
            xy_chart([Series(pred[idx], (y - pred)[idx], kind="scatter")], xlabel="predicted", ylabel="true − predicted", hline=0.0),
            f"{n_show:,} of {len(y):,} rows (seeded sample). A pattern or funnel shape means errors depend on the prediction.",
        )
        evaluation, evidence, held = _evaluation(ctx, [("R²", m["r2"])], o)
        findings += evaluation
        return self.result(
            findings=findings, summary=_headline(f"R² {m['r2']:.3f}, MAE {number(m['mae'])}, RMSE {number(m['rmse'])}", findings),
            metrics=m, figures=[fig], details={"n": len(y), "evaluation_data": held}, evidence=evidence,
        )


def _headline(numbers: str, findings: list[Finding]) -> str:
    """The check's one line: the numbers, led by the reason when something warns or fails."""
    bad = [f for f in findings if f.status in ("fail", "warn")]
    if not bad:
        return numbers
    worst = [f for f in bad if f.status == "fail"] or bad
    reasons = "; ".join(f.message.split(":")[0].split(" (")[0].rstrip(".") for f in worst[:2])
    return f"{reasons} — {numbers}"


def _evaluation(ctx: AuditContext, scores: list[tuple[str, float]],
                o: PerformanceOptions) -> tuple[list[Finding], dict[str, dict[str, str]], dict[str, Any]]:
    """Is the audit data held out from training? Say what raudit can tell, and warn on scores too good to be true."""
    from raudit._rows import overlap

    findings = []
    record = ctx.training_record
    found = overlap(record, ctx.data) if record is not None else None
    if found is None:
        why = ("the model has no training record (raudit.track_training)" if record is None else
               "its training record holds no row sketch of the training data, or the audit data lacks its columns")
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
