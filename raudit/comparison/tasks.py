"""Champion vs challenger for multiclass and regression models: the paired statistics that fit each task, and the gate.

The gate is the one of :mod:`raudit.comparison.analysis` (the same records, the same sections, the
same rule: a change fails when its whole interval lies beyond its margin); what changes with the task
is what is compared and how.

**Multiclass.** Accuracy (right or wrong, whatever the class) by McNemar's test and Bonett and
Price's paired interval; macro-F1 (over every class of the model, scikit-learn's ``average="macro"``)
and each class's recall by a paired bootstrap, the classes' recall intervals holding jointly
(Bonferroni). The per-group gate judges the views the fairness check judges (each class against the
rest, the splits *at least X* of ``ordered_classes``, or the favourable class): every disparity with a
threshold, of every view and group, its change bootstrapped, the intervals of a grouping's views and
groups holding jointly. On its own the challenger is judged as its own audit would judge it
(:func:`raudit.stats.disparity.compare_outcomes`, its own reference group), and its macro one-vs-rest
ROC-AUC against the performance check's thresholds.

**Regression.** MAE by a paired t-test on the per-row differences of absolute error (its t interval
judged; Wilcoxon's signed-rank test beside), RMSE and R² by a paired bootstrap; the MAE and RMSE
margins are shares of the champion's values. The per-group gate judges each group's MAE, RMSE and
prediction-to-target ratios to its reference group (the champion's lowest-MAE group) that the fairness
check judges, their distance from parity bootstrapped. On its own the challenger is judged by
:func:`raudit.stats.disparity.compare_regression` (and the bounded group loss, when configured), and
its R² against the performance check's thresholds (paired-bootstrap interval). The distance between
prediction distributions is judged on the challenger's own (when ``prediction_ks_max`` is set), not as
a change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from raudit.comparison.analysis import (
    CompareOptions,
    DisparityChange,
    GroupChange,
    MetricChange,
    OwnDisparity,
    OwnMetric,
    PairAnalysis,
    Sizes,
    _codes,
    _disparity_changes,
    _interval,
    _judge,
    changes_of,
)
from raudit.stats.counts import ScoreCounts, macro_roc_auc
from raudit.stats.disparity import bounded_group_loss, compare_outcomes, compare_regression, thresholds_of
from raudit.stats.groups import (
    DISPARITIES,
    REGRESSION_DISPARITIES,
    GroupConfusion,
    GroupCounts,
    GroupErrors,
    Outcome,
    choose_reference,
    class_outcomes,
    favourable_rates,
    make_groupings,
    view_cells,
)
from raudit.stats.inference import holm
from raudit.stats.judgement import family_level, judge
from raudit.stats.paired import bootstrap_p, bootstrap_weights, mcnemar, paired_difference_interval, paired_t, wilcoxon_signed_rank

__all__ = ["ClassPair", "RegressionPair", "analyse_class_pair", "analyse_regression_pair"]


# -- multiclass -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClassPair:
    """Two classifiers of ``k`` classes scored on the same rows.

    Attributes
    ----------
    y, a, b : ndarray of int, shape (n_samples,)
        Class indices (into ``classes``) of the label, the champion's and the challenger's decisions.
    proba_a, proba_b : ndarray of shape (n_samples, k) or None
        Class probabilities (ROC-AUC needs them).
    sensitive : DataFrame
    classes : tuple of str
    names : (str, str)
    """

    y: np.ndarray
    a: np.ndarray
    b: np.ndarray
    proba_a: np.ndarray | None
    proba_b: np.ndarray | None
    sensitive: Any
    classes: tuple[str, ...]
    names: tuple[str, str] = ("champion", "challenger")


def _joint_counts(codes: Sequence[np.ndarray], sizes: Sequence[int], n: int, rounds: int,
                  rng: np.random.Generator) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Counts of each code for the rows, and for each of ``rounds`` paired bootstrap draws (rows resampled jointly)."""
    draws = [np.empty((rounds, s)) for s in sizes]
    for r, w in enumerate(bootstrap_weights(n, rounds, rng)):
        for k, c in enumerate(codes):
            draws[k][r] = np.bincount(c, weights=w, minlength=sizes[k])
    return [np.bincount(c, minlength=s).astype(float) for c, s in zip(codes, sizes)], draws


def class_scores(confusion: np.ndarray) -> dict[str, np.ndarray]:
    """Accuracy, balanced accuracy, macro-F1 and each class's recall of confusion matrices ``(..., k, k)``.

    Over every class of the model, with scikit-learn's conventions for a class no row has or predicts (its recall,
    precision or F1 is 0): ``f1_score(y, p, labels=classes, average="macro", zero_division=0)``.
    """
    c = np.asarray(confusion, dtype=float)
    hit = np.diagonal(c, axis1=-2, axis2=-1)
    support, predicted = c.sum(axis=-1), c.sum(axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(support > 0, hit / np.where(support > 0, support, 1), 0.0)
        precision = np.where(predicted > 0, hit / np.where(predicted > 0, predicted, 1), 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / np.where(precision + recall > 0, precision + recall, 1), 0.0)
        present = support > 0
        return {"accuracy": hit.sum(axis=-1) / c.sum(axis=(-2, -1)), "macro_f1": f1.mean(axis=-1),
                "balanced_accuracy": np.where(present, recall, 0).sum(axis=-1) / present.sum(axis=-1), "recall": recall}


def analyse_class_pair(pair: ClassPair, *, fairness: Any, options: CompareOptions, rng: np.random.Generator,
                       favourable: Any = None, performance: Any = None,
                       bins: Mapping[str, Sequence[float]] | None = None) -> PairAnalysis:
    """Compare two multiclass classifiers scored on the same rows (see the module docstring).

    Parameters
    ----------
    pair : ClassPair
    fairness : FairnessOptions
        Groups, reference groups, ``ordered_classes`` and which disparities are judged.
    options : CompareOptions
    rng : Generator
    favourable : class label, optional
        The favourable class (the fairness check's view of it).
    performance : PerformanceOptions, optional
        ROC-AUC thresholds: each model's own macro one-vs-rest ROC-AUC is judged against them.
    bins : mapping, optional
        Bin edges of numeric sensitive columns.
    """
    o, k = options, len(pair.classes)
    outcomes = [x for x in class_outcomes(pair.classes, binary=False, favourable=favourable, ordered=fairness.ordered_classes)
                if x.judged]
    order = [list(pair.classes).index(str(c)) for c in fairness.ordered_classes]
    groupings = make_groupings(pair.sensitive, bins=bins or {}, intersections="pairs" if fairness.intersections else "none")
    coded = [(g, *_codes(g.labels.to_numpy())) for g in groupings]
    y, a, b = (np.asarray(v, dtype=np.int64) for v in (pair.y, pair.a, pair.b))
    joint = (y * k + a) * k + b
    codes = [joint] + [gcodes * k**3 + joint for _g, _n, gcodes in coded]
    point, draws = _joint_counts(codes, [k**3] + [k**3 * len(n) for _g, n, _c in coded], len(y), o.bootstrap_rounds, rng)
    metrics, mc = _class_metrics(pair, point[0].reshape(k, k, k), draws[0].reshape(-1, k, k, k), o)
    groups: list[GroupChange] = []
    disparities: list[DisparityChange] = []
    own: list[OwnDisparity] = []
    for j, (grouping, gnames, _gcodes) in enumerate(coded, start=1):
        cube = point[j].reshape(len(gnames), k, k, k)  # group, y, a, b
        boot = draws[j].reshape(-1, len(gnames), k, k, k)
        g_groups, g_disparities, g_own = _grouping_changes(pair, grouping.name, gnames, cube, boot, outcomes, order, fairness, o)
        groups += g_groups
        disparities += g_disparities
        own += g_own
    own_metrics = _own_auc(pair, performance) if performance is not None else ()
    return PairAnalysis(len(y), pair.names, tuple(metrics), tuple(groups), tuple(disparities), mc, None, o.bootstrap_rounds,
                        1 - o.alpha, {g.name: g.how for g, _n, _c in coded}, tuple(own), own_metrics, task="multiclass")


def _grouping_changes(pair: ClassPair, grouping: str, gnames: Sequence[str], cube: np.ndarray, boot: np.ndarray,
                      outcomes: Sequence[Outcome], order: Sequence[int], fairness: Any,
                      o: CompareOptions) -> tuple[list[GroupChange], list[DisparityChange], list[OwnDisparity]]:
    """One grouping's changes per view (Holm across views × groups), its groups' rates, and each model's own disparities.

    ``cube`` holds the counts by (group, true class, champion's class, challenger's class); ``boot`` its
    bootstrap draws with a leading axis of rounds.
    """
    conf = (cube.sum(axis=3), cube.sum(axis=2))  # champion's and challenger's (group, y, decision) matrices
    boots = (boot.sum(axis=4), boot.sum(axis=3))
    ref = _class_reference(GroupConfusion(tuple(gnames), conf[0]), outcomes, order, fairness, grouping)
    groups: list[GroupChange] = []
    found: list[DisparityChange] = []
    for x in outcomes:
        ca, cb = (view_cells(c, x.members) for c in conf)
        bka, bkb = (view_cells(c, x.members) for c in boots)
        found += _disparity_changes(grouping, gnames, ref, ca, cb, bka, bkb, fairness, o, fav_positive=x.favourable_is_positive,
                                    test="paired bootstrap", family_size=len(outcomes) * max(len(gnames) - 1, 1), outcome=x.key)
        groups += _view_groups(f"{x.key}: {grouping}" if x.key else grouping, gnames, ref, ca, cb, bka, bkb, fairness, 1 - o.alpha)
    own = [d for model, matrix in zip(pair.names, conf)
           for d in _own_class_disparities(model, grouping, GroupConfusion(tuple(gnames), matrix), outcomes, order, fairness)]
    return groups, _holm_across_views(found), own


def _class_metrics(pair: ClassPair, cube: np.ndarray, boot: np.ndarray, o: CompareOptions) -> tuple[list[MetricChange], Any]:
    """Accuracy (McNemar, Bonett–Price), macro-F1 and balanced accuracy, and each class's recall (paired bootstrap)."""
    level = 1 - o.alpha
    y, a, b = (np.asarray(v, dtype=np.int64) for v in (pair.y, pair.a, pair.b))
    mc = mcnemar(int(((a == y) & (b != y)).sum()), int(((a != y) & (b == y)).sum()))
    sa, sb = class_scores(cube.sum(axis=2)), class_scores(cube.sum(axis=1))
    ba, bb = class_scores(boot.sum(axis=3)), class_scores(boot.sum(axis=2))
    lo, hi = paired_difference_interval(mc.only_b, mc.only_a, len(y), level=level)
    delta = float(sb["accuracy"] - sa["accuracy"])
    out = [MetricChange("accuracy", "Accuracy", float(sa["accuracy"]), float(sb["accuracy"]), delta, lo, hi, mc.pvalue,
                        f"McNemar's test, {mc.method}", True, o.accuracy_margin, *_judge(-delta, -hi, -lo, o.accuracy_margin, level))]
    for key, label, margin in (("macro_f1", "Macro-F1", o.f1_margin), ("balanced_accuracy", "Balanced accuracy", None)):
        delta, diffs = float(sb[key] - sa[key]), bb[key] - ba[key]
        lo, hi = _interval(diffs, level)
        out.append(MetricChange(key, label, float(sa[key]), float(sb[key]), delta, lo, hi, bootstrap_p(diffs), "paired bootstrap",
                                True, margin, *_judge(-delta, -hi, -lo, margin, level)))
    family = family_level(level, len(pair.classes))  # the classes' recall intervals hold jointly (Bonferroni)
    for i, c in enumerate(pair.classes):
        delta, diffs = float(sb["recall"][i] - sa["recall"][i]), bb["recall"][:, i] - ba["recall"][:, i]
        lo, hi = _interval(diffs, family)
        status, reason = _judge(-delta, -hi, -lo, o.class_recall_margin, family)
        out.append(MetricChange(f"recall.{c}", f"Recall of {c}", float(sa["recall"][i]), float(sb["recall"][i]), delta, lo, hi,
                                bootstrap_p(diffs), f"paired bootstrap ({family * 100:.3g} % joint)", True, o.class_recall_margin,
                                status, reason))
    return out, mc


def _class_reference(cm: GroupConfusion, outcomes: Sequence[Outcome], order: Sequence[int], fairness: Any, grouping: str) -> int:
    """The reference group, as the fairness check chooses it (from the champion: the same group for both models)."""
    n = cm.n
    judged = n >= fairness.min_group_size
    configured = fairness.reference.get(grouping)
    if order:
        return choose_reference(cm.groups, n, judged, cm.mean_levels(order), configured, favoured="highest")[0]
    fav = outcomes[0].favourable_is_positive
    gc = cm.outcome(outcomes[0].members)
    return choose_reference(cm.groups, n, judged, favourable_rates(gc, fav), configured,
                            favoured="highest" if fav is not None else None)[0]


def _holm_across_views(changes: list[DisparityChange]) -> list[DisparityChange]:
    """Holm's adjustment of the bootstrap p-values across every view and group of a grouping, per disparity."""
    out = list(changes)
    for metric in dict.fromkeys(d.metric for d in changes):
        idx = [i for i, d in enumerate(changes) if d.metric == metric]
        for i, p in zip(idx, holm([changes[i].p for i in idx])):
            out[i] = replace(out[i], p_holm=float(p))
    return out


def _view_groups(grouping: str, gnames: Sequence[str], ref: int, ca: np.ndarray, cb: np.ndarray, bka: np.ndarray, bkb: np.ndarray,
                 fairness: Any, level: float) -> list[GroupChange]:
    """Each group's rates of one view under both models, with paired bootstrap intervals of the change."""
    gc = GroupCounts(tuple(gnames), ca)
    ra, rb, bra, brb = gc.rates(ca), gc.rates(cb), gc.rates(bka), gc.rates(bkb)
    size = ca.sum(axis=1)
    out = []
    for i, g in enumerate(gnames):
        rates = {}
        for rate in ("selection_rate", "tpr", "fpr", "accuracy"):
            lo, hi = _interval(brb[rate][:, i] - bra[rate][:, i], level)
            rates[rate] = (float(ra[rate][i]), float(rb[rate][i]), float(rb[rate][i] - ra[rate][i]), lo, hi)
        out.append(GroupChange(grouping, g, int(size[i]), i == ref, bool(size[i] >= fairness.min_group_size), rates))
    return out


def _own_class_disparities(model: str, grouping: str, cm: GroupConfusion, outcomes: Sequence[Outcome], order: Sequence[int],
                           fairness: Any) -> list[OwnDisparity]:
    """One model's judged views as its own audit judges them: its own reference group, one Holm family across the views."""
    ref = _class_reference(cm, outcomes, order, fairness, grouping)
    views = [cm.outcome(x.members) for x in outcomes]
    compared = compare_outcomes(views, ref, outcomes[0].favourable_is_positive, thresholds_of(DISPARITIES, fairness),
                                alpha=fairness.alpha, min_group_size=fairness.min_group_size)
    return [OwnDisparity(model, grouping, cm.groups[c.group], cm.groups[c.reference], c, x.key)
            for x, comparisons in zip(outcomes, compared) for c in comparisons]


def _own_auc(pair: ClassPair, performance: Any) -> tuple[OwnMetric, ...]:
    """Each model's macro one-vs-rest ROC-AUC (DeLong per class, combined conservatively) against the performance thresholds."""
    out = []
    y = np.asarray(pair.y, dtype=np.int64)
    for model, proba in zip(pair.names, (pair.proba_a, pair.proba_b)):
        if proba is None or len(np.unique(y)) < len(pair.classes):
            continue
        scores = [ScoreCounts.of(np.asarray(proba)[:, c], (y == c).astype(np.int64)) for c in range(len(pair.classes))]
        auc, lo, hi = macro_roc_auc(scores, level=0.95)
        out.append(OwnMetric(model, "roc_auc", "ROC-AUC (macro, one vs rest)", auc, lo, hi, "DeLong per class, combined",
                             judge(auc, lo, hi, harmful="below", warn=performance.roc_auc_warn, fail=performance.roc_auc_fail,
                                   n=len(y), what="ROC-AUC")))
    return tuple(out)


# -- regression -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RegressionPair:
    """Two regressors scored on the same rows: targets ``y``, predictions ``a`` (champion) and ``b`` (challenger)."""

    y: np.ndarray
    a: np.ndarray
    b: np.ndarray
    sensitive: Any
    names: tuple[str, str] = ("champion", "challenger")


#: Per-row terms a regression comparison sums per group (and per bootstrap draw): both models' absolute and squared
#: errors and predictions, the target and its square.
TERMS = ("rows", "abs_a", "abs_b", "sq_a", "sq_b", "pred_a", "pred_b", "target", "target2")


def _terms(pair: RegressionPair) -> np.ndarray:
    y, a, b = (np.asarray(v, dtype=float) for v in (pair.y, pair.a, pair.b))
    return np.stack([np.ones_like(y), np.abs(y - a), np.abs(y - b), (y - a) ** 2, (y - b) ** 2, a, b, y, y * y])


def _sums(codes: np.ndarray, size: int, terms: np.ndarray, rng: np.random.Generator | None, rounds: int) -> np.ndarray:
    """Per group (and, with ``rng``, per bootstrap draw) sums of each term: ``(size, terms)`` or ``(rounds, size, terms)``."""
    if rng is None:
        return np.stack([np.bincount(codes, weights=t, minlength=size) for t in terms], axis=-1)
    out = np.empty((rounds, size, len(terms)))
    for r, w in enumerate(bootstrap_weights(len(codes), rounds, rng)):
        out[r] = np.stack([np.bincount(codes, weights=w * t, minlength=size) for t in terms], axis=-1)
    return out


def _stats(sums: np.ndarray) -> dict[str, np.ndarray]:
    """MAE, RMSE, mean error, prediction-to-target ratio and R² of both models from summed terms (last axis: :data:`TERMS`)."""
    t = {name: sums[..., i] for i, name in enumerate(TERMS)}
    with np.errstate(invalid="ignore", divide="ignore"):
        n = t["rows"]
        ybar = t["target"] / n
        sst = t["target2"] / n - ybar**2
        out = {}
        for m in ("a", "b"):
            pbar = t[f"pred_{m}"] / n
            out[f"mae_{m}"] = t[f"abs_{m}"] / n
            out[f"rmse_{m}"] = np.sqrt(t[f"sq_{m}"] / n)
            out[f"mean_error_{m}"] = pbar - ybar
            out[f"mean_ratio_{m}"] = np.where((pbar > 0) & (ybar > 0), pbar / ybar, np.nan)
            out[f"r2_{m}"] = 1 - (t[f"sq_{m}"] / n) / sst
        return out


def analyse_regression_pair(pair: RegressionPair, *, fairness: Any, options: CompareOptions, rng: np.random.Generator,
                            performance: Any = None, bins: Mapping[str, Sequence[float]] | None = None) -> PairAnalysis:
    """Compare two regressors scored on the same rows (see the module docstring).

    Parameters
    ----------
    pair : RegressionPair
    fairness : FairnessOptions
        Groups, reference groups, which disparities are judged, ``favourable_direction``, the bounded group loss.
    options : CompareOptions
    rng : Generator
    performance : PerformanceOptions, optional
        R² thresholds: each model's own R² is judged against them.
    bins : mapping, optional
    """
    o = options
    groupings = make_groupings(pair.sensitive, bins=bins or {}, intersections="pairs" if fairness.intersections else "none")
    coded = [(g, *_codes(g.labels.to_numpy())) for g in groupings]
    terms = _terms(pair)
    zeros = np.zeros(len(pair.y), dtype=np.int64)
    state = rng.bit_generator.state  # every grouping resamples the same rows in the same draws
    overall = (_sums(zeros, 1, terms, None, 0), _sums(zeros, 1, terms, _replay(rng, state), o.bootstrap_rounds))
    metrics, paired = _regression_metrics(pair, overall, o, performance)
    groups: list[GroupChange] = []
    disparities: list[DisparityChange] = []
    own: list[OwnDisparity] = []
    for grouping, gnames, gcodes in coded:
        point = _stats(_sums(gcodes, len(gnames), terms, None, 0))
        boot = _stats(_sums(gcodes, len(gnames), terms, _replay(rng, state), o.bootstrap_rounds))
        size = np.bincount(gcodes, minlength=len(gnames))
        ref = choose_reference(gnames, size, size >= fairness.min_group_size, point["mae_a"], fairness.reference.get(grouping.name),
                               favoured="lowest")[0]
        groups += _regression_groups(grouping.name, gnames, ref, point, boot, size, fairness, 1 - o.alpha)
        disparities += _regression_changes(grouping.name, gnames, ref, point, boot, size, fairness, o)
        labels = np.asarray(gnames, dtype=object)[gcodes]
        for model, pred in zip(pair.names, (pair.a, pair.b)):
            own += _own_regression(model, grouping.name, GroupErrors.from_arrays(labels, pair.y, pred), fairness)
    return PairAnalysis(len(pair.y), pair.names, tuple(metrics), tuple(groups), tuple(disparities), None, None,
                        o.bootstrap_rounds, 1 - o.alpha, {g.name: g.how for g, _n, _c in coded}, tuple(own),
                        _own_r2(pair, overall, performance), task="regression", paired=paired)


def _replay(rng: np.random.Generator, state: Mapping[str, Any]) -> np.random.Generator:
    """A generator at ``state``: each grouping draws the same bootstrap rows as the overall metrics (a paired design)."""
    g = np.random.Generator(type(rng.bit_generator)())
    g.bit_generator.state = state
    return g


def _regression_metrics(pair: RegressionPair, overall: tuple[np.ndarray, np.ndarray], o: CompareOptions,
                        performance: Any) -> tuple[list[MetricChange], dict[str, Any]]:
    """MAE (paired t, Wilcoxon beside), RMSE and R² (paired bootstrap), the mean error (paired t); margins scaled by the champion."""
    level = 1 - o.alpha
    y, a, b = (np.asarray(v, dtype=float) for v in (pair.y, pair.a, pair.b))
    point, boot = _stats(overall[0]), _stats(overall[1])
    d_abs = np.abs(y - b) - np.abs(y - a)
    t, w = paired_t(d_abs, level=level), wilcoxon_signed_rank(d_abs)
    mae_a, mae_b = float(point["mae_a"][0]), float(point["mae_b"][0])
    margin = o.mae_margin * mae_a
    out = [MetricChange("mae", "MAE", mae_a, mae_b, mae_b - mae_a, t.low, t.high, t.pvalue,
                        f"paired t-test (Wilcoxon signed-rank p = {w:.3g})", False, margin,
                        *_judge(mae_b - mae_a, t.low, t.high, margin, level))]
    rmse_a, rmse_b = float(point["rmse_a"][0]), float(point["rmse_b"][0])
    diffs = boot["rmse_b"][:, 0] - boot["rmse_a"][:, 0]
    lo, hi = _interval(diffs, level)
    margin = o.rmse_margin * rmse_a
    out.append(MetricChange("rmse", "RMSE", rmse_a, rmse_b, rmse_b - rmse_a, lo, hi, bootstrap_p(diffs), "paired bootstrap", False,
                            margin, *_judge(rmse_b - rmse_a, lo, hi, margin, level)))
    r2a, r2b = float(point["r2_a"][0]), float(point["r2_b"][0])
    diffs = boot["r2_b"][:, 0] - boot["r2_a"][:, 0]
    lo, hi = _interval(diffs, level)
    out.append(MetricChange("r2", "R²", r2a, r2b, r2b - r2a, lo, hi, bootstrap_p(diffs), "paired bootstrap", True, None,
                            *_judge(r2a - r2b, -hi, -lo, None, level)))
    bias = paired_t(b - a, level=level)
    out.append(MetricChange("mean_error", "Mean error (prediction − target)", float(point["mean_error_a"][0]),
                            float(point["mean_error_b"][0]), bias.mean, bias.low, bias.high, bias.pvalue, "paired t-test", False,
                            None, "pass", "reported only"))
    paired = {"paired_t_abs_error": t.__dict__, "wilcoxon_abs_error_p": w}
    return out, paired


def _regression_groups(grouping: str, gnames: Sequence[str], ref: int, point: Mapping[str, np.ndarray],
                       boot: Mapping[str, np.ndarray], size: np.ndarray, fairness: Any, level: float) -> list[GroupChange]:
    out = []
    for i, g in enumerate(gnames):
        rates = {}
        for key in ("mae", "rmse", "mean_error"):
            lo, hi = _interval(boot[f"{key}_b"][:, i] - boot[f"{key}_a"][:, i], level)
            va, vb = float(point[f"{key}_a"][i]), float(point[f"{key}_b"][i])
            rates[key] = (va, vb, vb - va, lo, hi)
        out.append(GroupChange(grouping, g, int(size[i]), i == ref, bool(size[i] >= fairness.min_group_size), rates))
    return out


def _regression_changes(grouping: str, gnames: Sequence[str], ref: int, point: Mapping[str, np.ndarray],
                        boot: Mapping[str, np.ndarray], size: np.ndarray, fairness: Any, o: CompareOptions) -> list[DisparityChange]:
    """Each ratio the fairness check judges for a regressor (MAE, RMSE, prediction ÷ target), its move from parity, judged."""
    thresholds = thresholds_of(REGRESSION_DISPARITIES, fairness)
    level = family_level(1 - o.alpha, max(len(gnames) - 1, 1))
    sizes = Sizes(size, size, fairness.min_group_size)
    out: list[DisparityChange] = []
    for metric in ("mean_ratio", "mae", "rmse"):
        if thresholds.get(metric) is None:  # the audit does not judge it, so neither does the gate
            continue
        values = (point[f"{metric}_a"], point[f"{metric}_b"], boot[f"{metric}_a"], boot[f"{metric}_b"])
        out += changes_of(grouping, gnames, ref, metric, "ratio", values, sizes, o.ratio_margin, level)
    return out


def _own_regression(model: str, grouping: str, ge: GroupErrors, fairness: Any) -> list[OwnDisparity]:
    """One regressor's groups judged as its own audit judges them (its own lowest-MAE reference group, the bound)."""
    n = ge.n
    ref = choose_reference(ge.groups, n, n >= fairness.min_group_size, ge.mean("abs_error"), fairness.reference.get(grouping),
                           favoured="lowest")[0]
    direction = {"higher": True, "lower": False, "either": None}[fairness.favourable_direction]
    found = compare_regression(ge, ref, thresholds_of(REGRESSION_DISPARITIES, fairness), favourable=direction,
                               alpha=fairness.alpha, min_group_size=fairness.min_group_size)
    if fairness.group_loss_max is not None:
        found += bounded_group_loss(ge, fairness.group_loss_max, loss=fairness.group_loss, alpha=fairness.alpha,
                                    min_group_size=fairness.min_group_size)
    return [OwnDisparity(model, grouping, ge.groups[c.group], ge.groups[c.reference] if c.metric != "group_loss" else "the bound", c)
            for c in found]


def _own_r2(pair: RegressionPair, overall: tuple[np.ndarray, np.ndarray], performance: Any) -> tuple[OwnMetric, ...]:
    """Each model's R² (its paired-bootstrap percentile interval) against the performance check's thresholds."""
    if performance is None:
        return ()
    point, boot = _stats(overall[0]), _stats(overall[1])
    out = []
    for model, m in zip(pair.names, ("a", "b")):
        value = float(point[f"r2_{m}"][0])
        lo, hi = _interval(boot[f"r2_{m}"][:, 0], 0.95)
        out.append(OwnMetric(model, "r2", "R²", value, lo, hi, "paired bootstrap",
                             judge(value, lo, hi, harmful="below", warn=performance.r2_warn, fail=performance.r2_fail,
                                   n=len(pair.y), what="R²")))
    return tuple(out)
