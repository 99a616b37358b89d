"""Champion vs challenger on the same rows, and the arms of an A/B test: comparisons with a release gate.

Two steps, as in a check. :func:`analyse_pair` and :func:`analyse_arms` return
frozen dataclasses of numbers; :func:`present_pair` and :func:`present_arms`
turn them into :class:`CheckResult` sections (``gate`` first, then the
side-by-side comparisons), so a comparison is an ordinary :class:`Report` that
every renderer (HTML, PDF, JSON, JUnit, Markdown) already knows.

The gate (non-inferiority, by intervals). The challenger **fails** when

- the whole interval of a performance metric's change lies beyond its margin
  (accuracy, ROC-AUC, F1 lower; expected calibration error higher): accuracy
  by Bonett and Price's paired interval, ROC-AUC by DeLong's, F1 and
  calibration error by a paired bootstrap; or
- the whole interval of a judged disparity's move away from parity lies
  beyond its margin (the disparities the fairness check has a threshold for:
  by default the selection-rate ratio, TPR, FPR and PPV differences of each
  group against its reference group; paired bootstrap, the intervals of a
  feature's groups holding jointly, Bonferroni); or
- **on its own** it fails a threshold of the fairness check (a disparity
  whose interval lies wholly beyond it, judged exactly as its own audit
  would: its own reference group, Holm-adjusted intervals) or of the
  performance check (ROC-AUC, calibration error), whatever the change.

A change whose interval straddles its margin, or a challenger that is
inconclusive on its own, is **inconclusive** (the data cannot tell; counted
as ``--inconclusive`` says); a performance warn threshold broken on its own
**warns**. The tests beside each interval (McNemar, DeLong, bootstrap,
Holm-adjusted) say whether anything changed at all; they are shown, not used
for the status. An improvement beyond a margin (the whole interval closer to
parity) is listed with the regressions, in the gate's one-line summary.

Groups and reference groups are
formed as in the fairness check, from its ``[check.fairness]`` options (bins,
reference groups, intersections, ``min_group_size``); rates are those of the
favourable outcome; an unconfigured reference group is the champion's (or
the control arm's) most favoured group of adequate size, the same group for
both sides. The gate measures a disparity's distance from parity whichever
member of the pair it harms (``1 - min(r, 1/r)`` for a ratio ``r``, ``|d|``
for a difference ``d``): the reference is fixed by the champion, so a
challenger that turns against the reference group moves the other groups
into their "favour", which the fairness check reads as an advantage but the
gate must still see.

The paired bootstrap resamples rows with replacement, the same draw for both
models, so the intervals account for the two models being scored on the same
rows. A/B arms are independent samples: each arm is resampled within itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from raudit.errors import InputError
from raudit.options import Options, option
from raudit.report.format import interval
from raudit.report.results import CheckResult, Estimate, Figure, Finding, Status, Table, worst
from raudit.stats.counts import ScoreCounts
from raudit.stats.disparity import Comparison, compare_groups
from raudit.stats.estimate import Tested
from raudit.stats.groups import DISPARITIES, REGRESSION_DISPARITIES, GroupCounts, choose_reference, favourable_rates
from raudit.stats.inference import holm, two_proportion_pvalue, wilson_interval
from raudit.stats.judgement import Verdict, family_level, judge
from raudit.stats.paired import (
    DeLongResult,
    McNemarResult,
    bootstrap_p,
    bootstrap_weights,
    delong,
    mcnemar,
    paired_difference_interval,
)

__all__ = ["EVIDENCE", "CompareOptions", "Pair", "MetricChange", "GroupChange", "DisparityChange", "PairAnalysis",
           "ArmRate", "ArmsAnalysis", "analyse_pair", "present_pair", "analyse_arms", "present_arms"]


@dataclass(frozen=True)
class CompareOptions(Options):
    """Margins and statistics of ``raudit compare``: the ``[compare]`` table of raudit.toml.

    Why these defaults. A margin is the loss a team accepts for the other
    gains of a new model. One point of accuracy or ROC-AUC is about what
    retraining the same model on fresh data moves by, and less than anyone
    would ship a model to win back. F1 moves with the decision threshold, so
    it gets two points. Calibration error gets one point: the performance
    check warns at 5. Disparity margins are a quarter of the slack the
    fairness check's default thresholds allow (0.2 under the four-fifths rule,
    0.1 for rate differences), so a challenger cannot use up a quarter of the
    room to the threshold unnoticed.
    """

    accuracy_margin: float = option(0.01, "the challenger fails if its accuracy is lower by more than this across the whole "
                                          "interval (Bonett–Price, paired)", ge=0, le=1)
    roc_auc_margin: float = option(0.01, "… if its ROC-AUC is lower by more than this across the interval (DeLong)", ge=0, le=1)
    f1_margin: float = option(0.02, "… if its F1 is lower by more than this across the interval (paired bootstrap)", ge=0, le=1)
    ece_margin: float = option(0.01, "… if its expected calibration error is higher by more than this across the "
                                     "interval (paired bootstrap)", ge=0, le=1)
    class_recall_margin: float = option(0.05, "multiclass: … if a class's recall is lower by more than this across the "
                                              "interval (paired bootstrap; the classes' intervals hold jointly)", ge=0, le=1)
    mae_margin: float = option(0.05, "regression: … if its mean absolute error is higher by more than this share of the "
                                     "champion's across the interval (paired t on the absolute errors)", ge=0)
    rmse_margin: float = option(0.05, "regression: … if its RMSE is higher by more than this share of the champion's across "
                                      "the interval (paired bootstrap)", ge=0)
    ratio_margin: float = option(0.05, "… if a ratio disparity (selection-rate ratio; regression: MAE and prediction-to-target "
                                       "ratios) of a group moves further from parity (1) by more than this across the interval",
                                 ge=0, le=1)
    difference_margin: float = option(0.025, "… if a difference disparity (TPR, FPR, PPV difference) of a group moves further "
                                             "from parity (0) by more than this across the interval", ge=0, le=1)
    alpha: float = option(0.05, "significance level of every test; intervals are at 1 − alpha", gt=0, lt=1)
    bootstrap_rounds: int = option(500, "bootstrap rounds (rows resampled jointly for both models; within each arm for A/B)",
                                   ge=50, le=100_000)
    max_findings: int = option(20, "worse comparisons listed one per line in the gate before the rest is counted", ge=1)
    control_arm: str | None = option(None, "A/B logs: the arm the others are compared with (default: the first in sorted order)")


# -- analysis ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricChange:
    """One metric of both models, the difference (``b - a``), its interval and test, and the verdict."""

    name: str
    label: str
    a: float
    b: float
    delta: float
    low: float
    high: float
    p: float
    test: str
    higher_is_better: bool
    margin: float | None
    status: Status
    reason: str

    @property
    def worsening(self) -> float:
        """How much worse ``b`` is than ``a`` (negative: better)."""
        return -self.delta if self.higher_is_better else self.delta


@dataclass(frozen=True)
class GroupChange:
    """Rates of one group under both models: ``rates[name] = (a, b, delta, low, high)``."""

    grouping: str
    group: str
    n: int
    reference: bool
    judged: bool
    rates: Mapping[str, tuple[float, float, float, float, float]]


@dataclass(frozen=True)
class DisparityChange:
    """One group's disparity against its reference group under both models, and how it moved.

    ``gap_a``/``gap_b`` are the distances from parity (``1 - min(r, 1/r)``,
    ``|d|``); ``worsening = gap_b - gap_a`` with its interval and
    (Holm-adjusted) p-value. ``arm`` names the
    A/B arm compared with the control arm (empty for two models).
    """

    grouping: str
    group: str
    reference: str
    metric: str
    kind: str
    value_a: float
    value_b: float
    gap_a: float
    gap_b: float
    worsening: float
    low: float
    high: float
    p: float
    p_holm: float
    margin: float
    n_group: int
    n_reference: int
    status: Status
    reason: str
    arm: str = ""
    level: float = 0.95
    outcome: str = ""

    @property
    def improvement(self) -> bool:
        """Closer to parity by more than the margin, across the whole interval."""
        return bool(np.isfinite(self.high) and self.high < -self.margin)


@dataclass(frozen=True)
class OwnDisparity:
    """One model's own disparity (group against reference), judged against the fairness check's threshold."""

    model: str
    grouping: str
    group: str
    reference: str
    comparison: Comparison
    outcome: str = ""


@dataclass(frozen=True)
class OwnMetric:
    """One model's own performance metric with its interval, judged against the performance check's thresholds."""

    model: str
    name: str
    label: str
    value: float
    low: float
    high: float
    method: str
    verdict: Verdict


@dataclass(frozen=True)
class PairAnalysis:
    """Two models on the same rows."""

    n: int
    names: tuple[str, str]
    metrics: tuple[MetricChange, ...]
    groups: tuple[GroupChange, ...]
    disparities: tuple[DisparityChange, ...]
    mcnemar: McNemarResult | None
    delong: DeLongResult | None
    rounds: int
    level: float
    how: Mapping[str, str]
    own_disparities: tuple[OwnDisparity, ...] = ()
    own_metrics: tuple[OwnMetric, ...] = ()
    task: str = "binary"
    paired: Mapping[str, Any] = dataclasses.field(default_factory=dict)


def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(num, dtype=float) / np.asarray(den, dtype=float)


def _overall(cells: np.ndarray) -> dict[str, np.ndarray]:
    """Headline rates from confusion cells ``(..., 4)`` = tn, fp, fn, tp."""
    tn, fp, fn, tp = (cells[..., i].astype(float) for i in range(4))
    n = tn + fp + fn + tp
    return {"accuracy": _div(tn + tp, n), "f1": _div(2 * tp, 2 * tp + fp + fn), "precision": _div(tp, tp + fp),
            "recall": _div(tp, tp + fn), "selection_rate": _div(tp + fp, n)}


def _interval(draws: np.ndarray, level: float) -> tuple[float, float]:
    d = np.asarray(draws, dtype=float)
    d = d[np.isfinite(d)]
    if not len(d):
        return float("nan"), float("nan")
    lo, hi = np.percentile(d, [50 * (1 - level), 50 * (1 + level)])
    return float(lo), float(hi)


def _gap(value: np.ndarray, kind: str) -> np.ndarray:
    """Distance from parity, whichever member of the pair it harms: ``1 - min(r, 1/r)`` for a ratio, ``|d|`` for a difference.

    Examples
    --------
    >>> _gap(np.array([0.8, 1.25]), "ratio").round(3).tolist(), _gap(np.array([-0.1, 0.1]), "difference").tolist()
    ([0.2, 0.2], [0.1, 0.1])
    """
    v = np.asarray(value, dtype=float)
    if kind == "ratio":
        with np.errstate(invalid="ignore", divide="ignore"):
            return 1 - np.minimum(v, 1 / v)
    return np.abs(v)


def _ece_bins(score: np.ndarray, n_bins: int) -> np.ndarray:
    """Equal-width bin of each score, as the performance check bins them."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    return np.clip(np.digitize(score, edges[1:-1], right=True), 0, n_bins - 1)


def _ece(bins: np.ndarray, err: np.ndarray, weights: np.ndarray | None, n_bins: int) -> float:
    """Expected calibration error from each row's bin and ``score - label``: ``sum_b |sum err_b| / n``."""
    w = np.ones(len(err)) if weights is None else weights
    return float(np.abs(np.bincount(bins, weights=w * err, minlength=n_bins)).sum() / w.sum())


def _judge(worsening: float, low: float, high: float, margin: float | None, level: float) -> tuple[Status, str]:
    """A worsening (challenger worse when positive) judged by its interval against the margin (:func:`raudit.stats.judgement.judge`).

    *fail* when the whole interval lies beyond the margin (worse by more than it), *pass* when the
    whole interval lies within it, *inconclusive* when it straddles the margin.
    """
    if margin is None:
        return "pass", "reported only"
    if not np.isfinite(worsening):
        return "skipped", "undefined for these data"
    v = judge(worsening, low, high, harmful="above", fail=margin, level=level, what="the worsening")
    words = {"fail": f"worse by more than the margin {margin:.3g} across the whole interval",
             "pass": f"within the margin {margin:.3g} across the whole interval",
             "inconclusive": f"the interval straddles the margin {margin:.3g}: the data cannot tell"}
    return v.status, words.get(v.status, v.reason)


def _disparity_changes(
    grouping: str, groups: Sequence[str], ref: int, cells_a: np.ndarray, cells_b: np.ndarray,
    boot_a: np.ndarray, boot_b: np.ndarray, fairness: Any, o: CompareOptions, *, fav_positive: bool | None, test: str, arm: str = "",
    family_size: int | None = None, outcome: str = "",
) -> list[DisparityChange]:
    """Each judged disparity of each group under ``a`` and ``b``, with a bootstrap interval and Holm-adjusted p."""
    from raudit.stats.groups import GroupCounts

    gc = GroupCounts(tuple(groups), cells_a)

    def rates(cells: np.ndarray) -> dict[str, np.ndarray]:
        out = dict(gc.rates(cells))
        out["favourable_rate"] = favourable_rates(gc, fav_positive, cells)
        return out

    ra, rb, bra, brb = rates(cells_a), rates(cells_b), rates(boot_a), rates(boot_b)
    sizes = Sizes(cells_a.sum(axis=1), cells_b.sum(axis=1), fairness.min_group_size)
    level = family_level(1 - o.alpha, family_size or max(len(groups) - 1, 1))  # a grouping's comparisons hold jointly (Bonferroni)
    out: list[DisparityChange] = []
    for key, spec in DISPARITIES.items():
        if getattr(fairness, spec.threshold_key) is None:  # the audit does not judge it, so neither does the gate
            continue
        margin = o.ratio_margin if spec.kind == "ratio" else o.difference_margin
        out += changes_of(grouping, groups, ref, key, spec.kind, (ra[spec.rate], rb[spec.rate], bra[spec.rate], brb[spec.rate]),
                          sizes, margin, level, arm=arm, outcome=outcome)
    return out


@dataclass(frozen=True)
class Sizes:
    """Rows of each group under both sides (the same rows for two models; each arm's own for A/B), and the judged minimum."""

    a: np.ndarray
    b: np.ndarray
    minimum: int


def changes_of(grouping: str, groups: Sequence[str], ref: int, key: str, kind: str,
               values: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], sizes: Sizes, margin: float, level: float, *,
               arm: str = "", outcome: str = "") -> list[DisparityChange]:
    """One disparity of every group against ``ref`` under both sides, and the change of its distance from parity, judged.

    The change gets a bootstrap interval at ``level`` and is judged against ``margin``; the bootstrap p-values are
    Holm-adjusted across the groups. ``values`` are the per-group rates (or errors) of both sides, shape
    ``(n_groups,)``, and their bootstrap draws, ``(rounds, n_groups)``; a ratio disparity is group ÷ reference, a
    difference group − reference.
    """
    ra, rb, bra, brb = values
    n_reference = int(min(sizes.a[ref], sizes.b[ref]))
    family: list[tuple[str, float, float, float, float, float, float, float, int]] = []
    for i, g in enumerate(groups):
        if i == ref:
            continue
        with np.errstate(invalid="ignore", divide="ignore"):
            if kind == "ratio":
                va, vb, da, db = ra[i] / ra[ref], rb[i] / rb[ref], bra[:, i] / bra[:, ref], brb[:, i] / brb[:, ref]
            else:
                va, vb, da, db = ra[i] - ra[ref], rb[i] - rb[ref], bra[:, i] - bra[:, ref], brb[:, i] - brb[:, ref]
        ga, gb = float(_gap(va, kind)), float(_gap(vb, kind))
        draws = _gap(db, kind) - _gap(da, kind)
        lo, hi = _interval(draws, level)
        family.append((g, float(va), float(vb), ga, gb, lo, hi, bootstrap_p(draws), int(min(sizes.a[i], sizes.b[i]))))
    out = []
    for (g, va, vb, ga, gb, lo, hi, p, n_group), ph in zip(family, holm([row[7] for row in family])):
        worsening = gb - ga
        if min(n_group, n_reference) < sizes.minimum:
            status: Status = "skipped"
            reason = f"not judged: a group is too small (n = {min(n_group, n_reference):,} < {sizes.minimum})"
        else:
            status, reason = _judge(worsening, lo, hi, margin, level)
        out.append(DisparityChange(grouping, g, groups[ref], key, kind, va, vb, ga, gb, worsening, lo, hi, p, float(ph),
                                   margin, n_group, n_reference, status, reason, arm, level, outcome))
    return out


def _codes(labels: Any) -> tuple[list[str], np.ndarray]:
    names, codes = np.unique(np.asarray(labels, dtype=object).astype(str), return_inverse=True)
    return names.tolist(), codes.astype(np.int64)


@dataclass(frozen=True)
class Pair:
    """Two binary classifiers scored on the same rows.

    Attributes
    ----------
    y : ndarray of shape (n_samples,)
        1 for the positive class.
    a, b : ndarray of shape (n_samples,)
        0/1 decisions of the champion (``a``) and the challenger (``b``).
    score_a, score_b : ndarray of shape (n_samples,) or None
        Positive-class probabilities (ROC-AUC and calibration need both).
    sensitive : DataFrame
        Sensitive columns; groups are formed as the fairness check forms them.
    names : (str, str)
        How the two models are called in tables.
    """

    y: np.ndarray
    a: np.ndarray
    b: np.ndarray
    score_a: np.ndarray | None
    score_b: np.ndarray | None
    sensitive: Any
    names: tuple[str, str] = ("champion", "challenger")

    @property
    def has_scores(self) -> bool:
        """Both models give probabilities."""
        return self.score_a is not None and self.score_b is not None


@dataclass(frozen=True)
class _Counts:
    """Joint (label, champion, challenger) cell counts per grouping, for the rows and for each bootstrap draw."""

    point: list[np.ndarray]
    draws: list[np.ndarray]
    ece_draws: np.ndarray

    @staticmethod
    def split(flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Joint (..., G*8) counts → champion and challenger confusion cells (..., G, 4)."""
        c = flat.reshape(*flat.shape[:-1], -1, 2, 2, 2)  # group, y, a, b
        return c.sum(axis=-1).reshape(*flat.shape[:-1], -1, 4), c.sum(axis=-2).reshape(*flat.shape[:-1], -1, 4)


def analyse_pair(pair: Pair, *, fairness: Any, options: CompareOptions, rng: np.random.Generator, calibration_bins: int = 10,
                 favourable_is_positive: bool = True, bins: Mapping[str, Sequence[float]] | None = None,
                 performance: Any = None) -> PairAnalysis:
    """Compare two binary classifiers scored on the same rows.

    Parameters
    ----------
    pair : Pair
    fairness : FairnessOptions
        Groups (bins, reference, intersections, min size) and which
        disparities are judged.
    options : CompareOptions
    rng : Generator
        Seeded; the bootstrap is reproducible.
    calibration_bins : int
        Bins of the calibration error (the performance check's setting).
    favourable_is_positive : bool
        Whether the positive class is the outcome a person wants (it sets
        the direction of harm, as in the fairness check).
    bins : mapping, optional
        Bin edges of numeric sensitive columns.
    performance : PerformanceOptions, optional
        Thresholds of ROC-AUC and calibration error: each model's own values are judged against them.
    """
    from raudit.stats.groups import make_groupings

    o = options
    groupings = make_groupings(pair.sensitive, bins=bins or {}, intersections="pairs" if fairness.intersections else "none")
    own: list[OwnDisparity] = []
    coded = [(g, *_codes(g.labels.to_numpy())) for g in groupings]
    counts = _pair_counts(pair, coded, o.bootstrap_rounds, rng, calibration_bins)
    metrics, mc, dl = _metric_changes(pair, counts, o, calibration_bins)
    groups: list[GroupChange] = []
    disparities: list[DisparityChange] = []
    for k, (grouping, gnames, gcodes) in enumerate(coded, start=1):
        g_changes, ref, cells = _group_changes(pair, grouping.name, gnames, gcodes, counts, k, fairness, favourable_is_positive,
                                               1 - o.alpha)
        groups += g_changes
        ca, cb, bka, bkb = cells
        disparities += _disparity_changes(grouping.name, gnames, ref, ca, cb, bka, bkb, fairness, o,
                                          fav_positive=favourable_is_positive, test="paired bootstrap")
        for model, cells_m in zip(pair.names, (ca, cb)):
            own += _own_disparities(model, grouping.name, gnames, cells_m, fairness, favourable_is_positive)
    return PairAnalysis(len(pair.y), pair.names, tuple(metrics), tuple(groups), tuple(disparities), mc, dl, o.bootstrap_rounds,
                        1 - o.alpha, {g.name: g.how for g, _n, _c in coded}, tuple(own),
                        _own_metrics(pair, counts, performance, calibration_bins) if performance is not None else ())


def _own_disparities(model: str, grouping: str, gnames: list[str], cells: np.ndarray, fairness: Any,
                     favourable_is_positive: bool) -> list[OwnDisparity]:
    """One model's disparities judged as its own audit judges them (its own reference group, the fairness check's thresholds)."""
    gc = GroupCounts(tuple(gnames), cells)
    size = cells.sum(axis=1)
    ref, _rule = choose_reference(gnames, size, size >= fairness.min_group_size, favourable_rates(gc, favourable_is_positive, cells),
                                  fairness.reference.get(grouping), favoured="highest")
    thresholds = {metric: getattr(fairness, spec.threshold_key) for metric, spec in DISPARITIES.items()}
    return [OwnDisparity(model, grouping, gnames[c.group], gnames[c.reference], c)
            for c in compare_groups(gc, ref, favourable_is_positive, thresholds, alpha=fairness.alpha,
                                    min_group_size=fairness.min_group_size)]


def _own_metrics(pair: Pair, counts: _Counts, performance: Any, calibration_bins: int) -> tuple[OwnMetric, ...]:
    """Each model's ROC-AUC (DeLong) and calibration error (basic bootstrap) against the performance check's thresholds."""
    if not pair.has_scores:
        return ()
    y01 = np.asarray(pair.y, dtype=np.int64)
    out = []
    for j, (model, score) in enumerate(zip(pair.names, (pair.score_a, pair.score_b))):
        s = np.asarray(score, float)
        sc = ScoreCounts.of(s, y01)
        auc, (lo, hi) = sc.roc_auc(), sc.roc_auc_interval(level=0.95)
        out.append(OwnMetric(model, "roc_auc", "ROC-AUC", auc, lo, hi, "DeLong",
                             judge(auc, lo, hi, harmful="below", warn=performance.roc_auc_warn, fail=performance.roc_auc_fail,
                                   n=len(y01), what="ROC-AUC")))
        ece = _ece(_ece_bins(s, calibration_bins), s - y01, None, calibration_bins)
        q_lo, q_hi = np.percentile(counts.ece_draws[:, j], [2.5, 97.5])
        lo, hi = max(0.0, 2 * ece - float(q_hi)), max(0.0, 2 * ece - float(q_lo))
        out.append(OwnMetric(model, "ece", "Expected calibration error", ece, lo, hi, "basic bootstrap",
                             judge(ece, lo, hi, harmful="above", warn=performance.ece_warn, fail=performance.ece_fail,
                                   n=len(y01), what="the calibration error")))
    return tuple(out)


def _pair_counts(pair: Pair, coded: list[tuple[Any, list[str], np.ndarray]], rounds: int, rng: np.random.Generator,
                 calibration_bins: int) -> _Counts:
    """Cell counts of the rows and of ``rounds`` paired bootstrap draws (rows resampled jointly for both models)."""
    y01, pa, pb = (np.asarray(v, dtype=np.int64) for v in (pair.y, pair.a, pair.b))
    joint = y01 * 4 + pa * 2 + pb  # (y, a, b) cells; with a group code in front for each grouping
    codes = [joint] + [gcodes * 8 + joint for _g, _names, gcodes in coded]
    sizes = [8] + [8 * len(names_) for _g, names_, _c in coded]
    draws = [np.empty((rounds, s)) for s in sizes]
    ece_draws = np.empty((rounds, 2))
    if pair.has_scores:
        bins_a, bins_b = (_ece_bins(np.asarray(s, float), calibration_bins) for s in (pair.score_a, pair.score_b))
        err_a, err_b = np.asarray(pair.score_a, float) - y01, np.asarray(pair.score_b, float) - y01
    for r, w in enumerate(bootstrap_weights(len(y01), rounds, rng)):
        for k, c in enumerate(codes):
            draws[k][r] = np.bincount(c, weights=w, minlength=sizes[k])
        if pair.has_scores:
            ece_draws[r] = (_ece(bins_a, err_a, w, calibration_bins), _ece(bins_b, err_b, w, calibration_bins))
    point = [np.bincount(c, minlength=s).astype(float) for c, s in zip(codes, sizes)]
    return _Counts(point, draws, ece_draws)


def _metric_changes(pair: Pair, counts: _Counts, o: CompareOptions,
                    calibration_bins: int) -> tuple[list[MetricChange], McNemarResult, DeLongResult | None]:
    """Each headline metric of both models, its paired change with an interval and a test, judged against its margin."""
    y01, pa, pb = (np.asarray(v, dtype=np.int64) for v in (pair.y, pair.a, pair.b))
    level = 1 - o.alpha
    (cell_a,), (cell_b,) = counts.split(counts.point[0])
    boot_a, boot_b = (x[:, 0] for x in counts.split(counts.draws[0]))
    ma, mb, ba, bb = _overall(cell_a), _overall(cell_b), _overall(boot_a), _overall(boot_b)
    metrics: list[MetricChange] = []
    mc = mcnemar(int(((pa == y01) & (pb != y01)).sum()), int(((pa != y01) & (pb == y01)).sum()))
    margins = {"accuracy": o.accuracy_margin, "f1": o.f1_margin}
    labels = {"accuracy": "Accuracy", "f1": "F1", "precision": "Precision", "recall": "Recall (TPR)",
              "selection_rate": "Selection rate"}
    dl: DeLongResult | None = None
    if pair.has_scores and 0 < y01.sum() < len(y01):
        dl = delong(y01, np.asarray(pair.score_a, float), np.asarray(pair.score_b, float), level=level)
        status, reason = _judge(-dl.delta, -dl.high, -dl.low, o.roc_auc_margin, level)
        metrics.append(MetricChange("roc_auc", "ROC-AUC", dl.auc_a, dl.auc_b, dl.delta, dl.low, dl.high, dl.pvalue,
                                    "DeLong's test", True, o.roc_auc_margin, status, reason))
    for key, label in labels.items():
        delta, draws = float(mb[key] - ma[key]), bb[key] - ba[key]
        lo, hi = _interval(draws, level)
        if key == "accuracy":  # the analytic paired interval that goes with McNemar's test (a bootstrap is coarse on few discordant rows)
            lo, hi = paired_difference_interval(mc.only_b, mc.only_a, len(y01), level=level)
        p, test = (mc.pvalue, f"McNemar's test, {mc.method}") if key == "accuracy" else (bootstrap_p(draws), "paired bootstrap")
        margin = margins.get(key)
        status, reason = _judge(-delta, -hi, -lo, margin, level)
        metrics.append(MetricChange(key, label, float(ma[key]), float(mb[key]), delta, lo, hi, p, test, True, margin, status, reason))
    if pair.has_scores:
        y = np.asarray(pair.y, float)
        ea, eb = (_ece(_ece_bins(np.asarray(s, float), calibration_bins), np.asarray(s, float) - y, None, calibration_bins)
                  for s in (pair.score_a, pair.score_b))
        draws = counts.ece_draws[:, 1] - counts.ece_draws[:, 0]
        lo, hi = _interval(draws, level)
        p = bootstrap_p(draws)
        status, reason = _judge(eb - ea, lo, hi, o.ece_margin, level)
        metrics.append(MetricChange("ece", "Expected calibration error", ea, eb, eb - ea, lo, hi, p, "paired bootstrap", False,
                                    o.ece_margin, status, reason))
    order = {"accuracy": 0, "roc_auc": 1, "f1": 2, "ece": 3}
    metrics.sort(key=lambda m: order.get(m.name, 9))
    return metrics, mc, dl


def _group_changes(pair: Pair, grouping: str, gnames: list[str], gcodes: np.ndarray, counts: _Counts, k: int, fairness: Any,
                   favourable_is_positive: bool, level: float) -> tuple[list[GroupChange], int, tuple[np.ndarray, ...]]:
    """Rates of each group of one grouping under both models, with paired intervals; the reference group; the cells."""
    ca, cb = counts.split(counts.point[k])
    bka, bkb = counts.split(counts.draws[k])
    gc = GroupCounts(tuple(gnames), ca)
    ra, rb, bra, brb = gc.rates(ca), gc.rates(cb), gc.rates(bka), gc.rates(bkb)
    size = ca.sum(axis=1)
    ref, _rule = choose_reference(gnames, size, size >= fairness.min_group_size, favourable_rates(gc, favourable_is_positive, ca),
                                  fairness.reference.get(grouping), favoured="highest")
    y01 = np.asarray(pair.y, dtype=np.int64)
    out = []
    for i, g in enumerate(gnames):
        rates: dict[str, tuple[float, float, float, float, float]] = {}
        for rate in ("selection_rate", "tpr", "fpr", "accuracy"):
            lo, hi = _interval(brb[rate][:, i] - bra[rate][:, i], level)
            rates[rate] = (float(ra[rate][i]), float(rb[rate][i]), float(rb[rate][i] - ra[rate][i]), lo, hi)
        rows = gcodes == i
        if pair.has_scores and size[i] >= fairness.min_group_size and 0 < y01[rows].sum() < rows.sum():
            d = delong(y01[rows], np.asarray(pair.score_a, float)[rows], np.asarray(pair.score_b, float)[rows], level=level)
            rates["roc_auc"] = (d.auc_a, d.auc_b, d.delta, d.low, d.high)
        out.append(GroupChange(grouping, g, int(size[i]), i == ref, bool(size[i] >= fairness.min_group_size), rates))
    return out, ref, (ca, cb, bka, bkb)


@dataclass(frozen=True)
class ArmRate:
    """Outcome and decision rates of one arm (and group), with the test against the control arm."""

    arm: str
    grouping: str
    group: str
    n: int
    outcome: Tested
    decision: Tested
    test: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (flat keys: ``outcome_rate``, ``outcome_ci``, ``outcome_p``, ``outcome_p_holm``, the same for decisions)."""
        out: dict[str, Any] = {"arm": self.arm, "grouping": self.grouping, "group": self.group, "n": self.n}
        for name, t in (("outcome", self.outcome), ("decision", self.decision)):
            out.update({f"{name}_rate": t.value, f"{name}_ci": t.ci, f"{name}_p": t.p, f"{name}_p_holm": t.p_holm})
        return {**out, "test": self.test}


@dataclass(frozen=True)
class ArmsAnalysis:
    """Two or more arms of an A/B test (independent samples)."""

    arms: tuple[str, ...]
    control: str
    n: Mapping[str, int]
    rates: tuple[ArmRate, ...]
    disparities: tuple[DisparityChange, ...]
    rounds: int
    level: float
    how: Mapping[str, str]


def analyse_arms(
    arm: np.ndarray, y01: np.ndarray, d01: np.ndarray, sensitive: Any, *, fairness: Any, options: CompareOptions,
    rng: np.random.Generator, favourable_is_positive: bool = True, bins: Mapping[str, Sequence[float]] | None = None,
) -> ArmsAnalysis:  # size: the arms' counts and bootstrap share their arrays; rates and disparities have their own functions
    """Compare the arms of an A/B log: rates per arm and group with tests, and each arm's disparities against the control's.

    Parameters
    ----------
    arm : ndarray of shape (n_samples,)
        The arm of each row; at least two arms.
    y01, d01 : ndarray of shape (n_samples,)
        Observed outcome and recorded decision, 1 for the positive class.
    sensitive : DataFrame
    fairness : FairnessOptions
    options : CompareOptions
    rng : Generator
    favourable_is_positive : bool
        Whether the positive class is the outcome a person wants.

    Returns
    -------
    ArmsAnalysis

    Raises
    ------
    InputError
        Fewer than two arms, or a ``control_arm`` that is not one of them.
    """
    from raudit.stats.groups import make_groupings

    o = options
    arms, acodes = _codes(arm)
    if len(arms) < 2:
        raise InputError(f"the arm column has {len(arms)} arm(s) ({', '.join(arms)}); an A/B comparison needs two or more")
    control = o.control_arm if o.control_arm is not None else arms[0]
    if control not in arms:
        raise InputError(f"[compare].control_arm {control!r} is not an arm of the log", hint=f"arms: {', '.join(arms)}")
    c = arms.index(control)
    y01, d01 = np.asarray(y01, dtype=np.int64), np.asarray(d01, dtype=np.int64)
    groupings = make_groupings(sensitive, bins=bins or {}, intersections="pairs" if fairness.intersections else "none")
    coded = [(g.name, g.how, *_codes(g.labels.to_numpy())) for g in groupings]
    k = len(arms)
    cell = 2 * y01 + d01
    codes = [acodes * 4 + cell] + [(acodes * len(gn) + gc) * 4 + cell for _n, _h, gn, gc in coded]
    sizes = [4 * k] + [4 * k * len(gn) for _n, _h, gn, _gc in coded]
    point = [np.bincount(cd, minlength=s).astype(float) for cd, s in zip(codes, sizes)]
    counts = [np.empty((o.bootstrap_rounds, s)) for s in sizes[1:]]
    for r, w in enumerate(bootstrap_weights(len(y01), o.bootstrap_rounds, rng, strata=acodes)):
        for j, cd in enumerate(codes[1:]):
            counts[j][r] = np.bincount(cd, weights=w, minlength=sizes[j + 1])
    overall = point[0].reshape(k, 4)
    rates = [_arm_rate(arms[a], "", "", overall[a], overall[c], arms[a] == control) for a in range(k)]
    disparities: list[DisparityChange] = []
    for j, (gname, _how, gnames, _gc) in enumerate(coded, start=1):
        cells = point[j].reshape(k, len(gnames), 4)
        boot = counts[j - 1].reshape(o.bootstrap_rounds, k, len(gnames), 4)
        rates += [_arm_rate(arms[a], gname, g, cells[a, i], cells[c, i], a == c) for i, g in enumerate(gnames) for a in range(k)]
        size = cells[c].sum(axis=1)
        favourable = favourable_rates(GroupCounts(tuple(gnames), cells[c]), favourable_is_positive, cells[c])
        ref, _rule = choose_reference(gnames, size, size >= fairness.min_group_size, favourable, fairness.reference.get(gname),
                                      favoured="highest")
        for a in range(k):
            if a != c:
                disparities += _disparity_changes(gname, gnames, ref, cells[c], cells[a], boot[:, c], boot[:, a], fairness, o,
                                                  fav_positive=favourable_is_positive, test="bootstrap within arms", arm=arms[a])
    n = {arms[a]: int(overall[a].sum()) for a in range(k)}
    return ArmsAnalysis(tuple(arms), control, n, _holm_arms(rates, control), tuple(disparities), o.bootstrap_rounds, 1 - o.alpha,
                        {name: how for name, how, _gn, _gc in coded})


def _arm_rate(arm_name: str, grouping: str, group: str, cells: np.ndarray, control_cells: np.ndarray, is_control: bool) -> ArmRate:
    """Outcome and decision rates of one arm (and group) with Wilson intervals, tested against the control arm's."""
    tn, fp, fn, tp = (int(x) for x in cells)
    ctn, cfp, cfn, ctp = (int(x) for x in control_cells)
    size, csize = tn + fp + fn + tp, ctn + cfp + cfn + ctp
    po, to = two_proportion_pvalue(fn + tp, size, cfn + ctp, csize) if not is_control else (float("nan"), "")
    pd_, td = two_proportion_pvalue(fp + tp, size, cfp + ctp, csize) if not is_control else (float("nan"), "")
    lo_o, hi_o = wilson_interval(fn + tp, size)
    lo_d, hi_d = wilson_interval(fp + tp, size)
    tests = sorted({t for t in (to, td) if t and t != "none"})
    outcome = Tested((fn + tp) / size if size else float("nan"), (float(lo_o), float(hi_o)), po, to)
    decision = Tested((fp + tp) / size if size else float("nan"), (float(lo_d), float(hi_d)), pd_, td)
    return ArmRate(arm_name, grouping, group, size, outcome, decision, " / ".join(tests))


def _holm_arms(rates: list[ArmRate], control: str) -> tuple[ArmRate, ...]:
    """Holm across the arms (and groups) of one grouping that are tested against the control, for each rate."""
    families: dict[str, list[int]] = {}
    for i, r in enumerate(rates):
        if r.arm != control:
            families.setdefault(r.grouping, []).append(i)
    out = list(rates)
    for idx in families.values():
        ho = holm([rates[i].outcome.p for i in idx])
        hd = holm([rates[i].decision.p for i in idx])
        for i, po, pd_ in zip(idx, ho, hd):
            rate = out[i]
            out[i] = dataclasses.replace(rate, outcome=dataclasses.replace(rate.outcome, p_holm=float(po)),
                                         decision=dataclasses.replace(rate.decision, p_holm=float(pd_)))
    return tuple(out)


# -- presentation -----------------------------------------------------------------------------------


def _signed(v: float, digits: int = 3) -> str:
    """A difference with its sign: ``+0.032``, ``-0.011``."""
    return "—" if v is None or not np.isfinite(v) else f"{v:+.{digits}f}"


def _metric_sentence(m: MetricChange, level: float) -> str:
    if m.delta == 0:
        return f"{m.label} is {m.a:.4g} for both models (margin {m.margin:.3g}); {m.reason}."
    return (f"{m.label} {'drops' if m.delta < 0 else 'rises'} from {m.a:.3f} (champion) to {m.b:.3f} (challenger): "
            f"{_signed(m.delta)} ({level:.0%} CI {interval(m.low, m.high)}); margin {m.margin:.3g}; {m.reason}.")


def metric_label(metric: str) -> str:
    """A disparity's name, for a classifier's or a regressor's comparisons."""
    if metric == "group_loss":
        return "mean loss against the bound (bounded group loss)"
    return (DISPARITIES.get(metric) or REGRESSION_DISPARITIES[metric]).label


def _disparity_label(d: DisparityChange) -> str:
    return (f"'{d.outcome}': " if d.outcome else "") + metric_label(d.metric)


def _disparity_sentence(d: DisparityChange, level: float) -> str:
    value = (lambda v: f"{v:.2f}") if d.kind == "ratio" else _signed
    who = f"[arm {d.arm}] " if d.arm else ""
    base = "the control arm" if d.arm else "the champion"
    other = f"arm {d.arm}" if d.arm else "the challenger"
    moved = "further from" if d.worsening > 0 else "closer to"
    return (f"{who}[{d.grouping}] {_disparity_label(d)} of {d.group} vs {d.reference}: {value(d.value_a)} under {base}, "
            f"{value(d.value_b)} under {other}: {abs(d.worsening):.3f} {moved} parity "
            f"({level:.0%} CI of the change {interval(d.low, d.high)}; margin {d.margin:g}); {d.reason}.")


#: The rule each disparity is judged by in the fairness check, for sentences.
RULES = {"selection_rate": "the four-fifths rule", "tpr": "equal opportunity", "fpr": "equalized odds (false positives)",
         "ppv": "predictive parity", "fpr_ratio": "the false-positive-rate ratio threshold",
         "fnr_ratio": "the false-negative-rate ratio threshold", "mean_ratio": "calibration in the large",
         "mae": "the error-ratio threshold", "rmse": "the RMSE-ratio threshold", "prediction_ks": "distributional parity",
         "group_loss": "the bounded group loss"}


def _own_sentence(d: OwnDisparity) -> str:
    c = d.comparison
    value = f"{c.value:.3f}×" if c.kind == "ratio" else f"{c.value:+.3f}"
    word = {"fail": "fails", "inconclusive": "is inconclusive on", "warn": "warns on", "pass": "passes"}[c.verdict.status]
    view = f"'{d.outcome}': " if d.outcome else ""
    return (f"[{d.grouping}] {d.model} on its own: {view}{metric_label(c.metric).split(' (')[0]} of {d.group} vs {d.reference} "
            f"{value} ({c.level * 100:.3g} % CI {interval(*c.ci)}): {word} {RULES[c.metric]}; {c.verdict.explained}.")


def _own_metric_sentence(m: OwnMetric) -> str:
    return f"{m.model} on its own: {m.label} {m.value:.3f} ({m.method}): {m.verdict.explained}."


def _improvement_sentence(d: DisparityChange, level: float) -> str:
    value = (lambda v: f"{v:.2f}") if d.kind == "ratio" else _signed
    other = f"arm {d.arm}" if d.arm else "the challenger"
    return (f"Improvement: [{d.grouping}] {_disparity_label(d)} of {d.group} vs {d.reference}: {value(d.value_a)} → "
            f"{value(d.value_b)} under {other}, {abs(d.worsening):.3f} closer to parity ({d.level * 100:.3g} % CI of the change "
            f"{interval(d.low, d.high)}; beyond the margin {d.margin:g} across the whole interval).")


# size: one sentence for every combination of what changed and what the challenger is on its own
def _verdict(subject: str, metrics: Sequence[MetricChange], disparities: Sequence[DisparityChange], n_text: str,
             own_d: Sequence[OwnDisparity], own_m: Sequence[OwnMetric]) -> Finding:
    def count(items: Sequence[Any], status: str, attr: str = "status") -> int:
        return sum(getattr(x, attr) == status for x in items)

    own_status = [d.comparison.verdict.status for d in own_d] + [m.verdict.status for m in own_m]
    status = worst([*(m.status for m in metrics), *(d.status for d in disparities), *own_status] or ["pass"])
    own_fail = sorted({d.grouping for d in own_d if d.comparison.verdict.status == "fail"})
    own_metric_fail = [m.label for m in own_m if m.verdict.status == "fail"]
    parts = []
    for word, st in (("worse beyond its margin", "fail"), ("inconclusive against its margin", "inconclusive")):
        k_m, k_d = count(metrics, st), count(disparities, st)
        if k_m or k_d:
            parts.append(f"{k_m} performance metric(s) and {k_d} disparity(ies) {word}")
    if own_fail:
        parts.append(f"on its own it fails the fairness thresholds for {', '.join(own_fail)}")
    if own_metric_fail:
        parts.append(f"on its own its {', '.join(own_metric_fail)} fails the performance threshold")
    undecided = sorted({d.grouping for d in own_d if d.comparison.verdict.status == "inconclusive"})
    if undecided:
        parts.append(f"on its own it is inconclusive on the fairness thresholds for {', '.join(undecided)}")
    judged_m = sum(m.margin is not None and m.status != "skipped" for m in metrics)
    judged_d = sum(d.status != "skipped" for d in disparities)
    if status == "fail":
        return Finding("fail", f"{subject} FAILS the release gate: {'; '.join(parts)} ({n_text}).", "verdict")
    if status in ("warn", "inconclusive"):
        word = "passes the release gate with warnings" if status == "warn" else "cannot be cleared: the data cannot tell"
        warned = [m.label for m in own_m if m.verdict.status == "warn"]
        extra = [f"on its own its {', '.join(warned)} warns"] if warned else []
        return Finding(status, f"{subject} {word}: {'; '.join(parts + extra)} ({n_text}).", "verdict")
    return Finding("pass", f"{subject} passes the release gate: none of {judged_m} performance metric(s) is worse and none of "
                           f"{judged_d} judged disparity(ies) moves further from parity beyond its margin, and on its own it "
                           f"meets the thresholds ({n_text}).", "verdict")


# size: the gate's findings: the challenger on its own, every worse metric and disparity, the improvements, capped
def _gate(subject: str, metrics: Sequence[MetricChange], disparities: Sequence[DisparityChange], n_text: str, level: float,
          o: CompareOptions, options: Mapping[str, Any], *, own_d: Sequence[OwnDisparity] = (),
          own_m: Sequence[OwnMetric] = ()) -> CheckResult:
    verdict = _verdict(subject, metrics, disparities, n_text, own_d, own_m)
    rank = {"fail": 0, "warn": 1, "inconclusive": 2}
    worse: list[tuple[int, bool, Finding]] = []
    for grouping in dict.fromkeys(d.grouping for d in own_d):
        bad = sorted((d for d in own_d if d.grouping == grouping and d.comparison.verdict.status in rank),
                     key=lambda d: (rank[d.comparison.verdict.status], list(RULES).index(d.comparison.metric)))
        if bad:
            worse.append((rank[bad[0].comparison.verdict.status], " × " in grouping,
                          Finding(bad[0].comparison.verdict.status, _own_sentence(bad[0]), f"own/{grouping}")))
    for om in own_m:
        if om.verdict.status in rank:
            worse.append((rank[om.verdict.status], False, Finding(om.verdict.status, _own_metric_sentence(om), f"own/{om.name}")))
    for m in metrics:
        if m.status in rank:
            worse.append((rank[m.status], False, Finding(m.status, _metric_sentence(m, level), f"performance/{m.name}")))
    noisy = [d for d in disparities if d.status == "inconclusive" and " × " in d.grouping]
    for d in disparities:
        if d.status in rank and d not in noisy:
            key = f"{d.arm + '/' if d.arm else ''}{d.grouping}/{d.group}/{d.outcome + '/' if d.outcome else ''}{d.metric}"
            worse.append((rank[d.status], " × " in d.grouping, Finding(d.status, _disparity_sentence(d, d.level), key)))
    if noisy:
        worse.append((2, True, Finding("inconclusive", f"{len(noisy)} intersection comparison(s) are inconclusive: their intervals "
                                                       "straddle the margin (small intersections move by chance); see the "
                                                       "disparity tables.", "intersections")))
    worse.sort(key=lambda t: (t[0], t[1]))
    findings = [verdict] + [f for _r, _i, f in worse[: o.max_findings]]
    if len(worse) > o.max_findings:
        findings.append(Finding("warn", f"{len(worse) - o.max_findings} more comparisons beyond or straddling their margins are in "
                                        "the tables below and in report.json.", "more"))
    better = [d for d in disparities if d.improvement and d.status != "skipped"]
    findings += [Finding("pass", _improvement_sentence(d, d.level),
                         f"improvement/{d.grouping}/{d.group}/{d.outcome + '/' if d.outcome else ''}{d.metric}")
                 for d in sorted(better, key=lambda d: (" × " in d.grouping, d.worsening))[: o.max_findings]]
    for m in metrics:
        if m.margin is not None and m.status == "pass":
            findings.append(Finding("pass", _metric_sentence(m, level), f"performance/{m.name}"))
    for grouping in dict.fromkeys(d.grouping for d in disparities):
        rows = [d for d in disparities if d.grouping == grouping]
        if not any(d.status in rank for d in rows):
            judged = sum(d.status == "pass" for d in rows)
            skipped = sum(d.status == "skipped" for d in rows)
            findings.append(Finding("pass", f"[{grouping}] No judged disparity moves further from parity beyond its margin "
                                            f"({judged} comparison(s)" + (f"; {skipped} not judged: small groups)." if skipped else ")."),
                                    f"{grouping}/ok"))
    counts = {s: sum(f.status == s for f in findings[1:]) for s in ("fail", "warn", "inconclusive")}
    regressions = [f"{d.grouping}: {d.group} {_disparity_label(d).split(' (')[0]}" for d in disparities
                   if d.status == "fail" and " × " not in d.grouping]
    summary = verdict.message.split(":")[0]
    if regressions:
        summary += f"; regressions: {', '.join(regressions[:4])}" + (" …" if len(regressions) > 4 else "")
    if better:
        named = [f"{d.grouping}: {d.group} {_disparity_label(d).split(' (')[0]} {d.value_a:.2f} → {d.value_b:.2f}" for d in better]
        summary += "; improvements: " + ", ".join(named[:3]) + (" …" if len(named) > 3 else "")
    return CheckResult(
        name="gate", title="Release gate", status=verdict.status, summary=summary,
        metrics={"comparisons_failed": counts["fail"], "comparisons_warned": counts["warn"],
                 "comparisons_inconclusive": counts["inconclusive"], "improvements": len(better)},
        findings=findings, options=options,
    )


def _number(v: float) -> float | None:
    return v if v is not None and np.isfinite(v) else None


def _disparity_tables(disparities: Sequence[DisparityChange], level: float, a: str, b: str) -> list[Table]:
    """The disparities beyond a margin or of single features (standard), and all of them (appendix)."""
    arm = any(d.arm for d in disparities)
    columns = [*(["arm"] if arm else []), "grouping", "group vs reference", "disparity", a, b,
               "change in distance from parity (joint CI)", "margin", "p (Holm)", "status"]
    formats = [*(["text"] if arm else []), "text", "text", "text", "3f", "3f", "3f", "", "p", "text"]

    def row(d: DisparityChange) -> list[Any]:
        return [*([d.arm] if arm else []), d.grouping, f"{d.group} vs {d.reference}", _disparity_label(d), _number(d.value_a),
                _number(d.value_b), Estimate(_number(d.worsening), _number(d.low), _number(d.high)), d.margin,
                _number(d.p_holm), d.status]

    note = ("Distance from parity: 1 − min(r, 1/r) for a ratio r, |d| for a difference d, whichever member of the pair it "
            "harms; a positive change is worse. Ratios are group ÷ reference, differences group − reference, of the favourable "
            "outcome's rates, as in the fairness check. Intervals: bootstrap, holding jointly for the groups of a feature "
            "(Bonferroni: the level is in the interval's header of report.json); fail = the whole interval beyond the margin, "
            "inconclusive = it straddles the margin. p (Holm): a bootstrap test of any change, Holm-adjusted, shown beside.")
    shown = [d for d in disparities if " × " not in d.grouping or d.status in ("fail", "warn")]
    return [Table("Disparities: champion and challenger" if not arm else "Disparities: each arm and the control arm", columns,
                  [row(d) for d in shown], note=note, section="Disparities", formats=formats),
            Table("Every disparity compared", columns, [row(d) for d in disparities], note=note, section="Disparities",
                  formats=formats, appendix=True)]


def present_pair(analysis: PairAnalysis, options: CompareOptions, *, fairness_options: Mapping[str, Any]) -> list[CheckResult]:
    """Sections of a champion-vs-challenger report: the gate, then performance and groups side by side."""
    n_text = f"paired on {analysis.n:,} rows; {analysis.rounds} bootstrap rounds"
    effective = {**options.to_dict(), **{f"fairness.{k}": v for k, v in fairness_options.items()
                                         if k in ("min_group_size", "intersections", "bins", "reference")}}
    challenger = analysis.names[1]
    gate = _gate("The challenger", analysis.metrics, analysis.disparities, n_text, analysis.level, options, effective,
                 own_d=[d for d in analysis.own_disparities if d.model == challenger],
                 own_m=[m for m in analysis.own_metrics if m.model == challenger])
    performance = _performance_section(analysis)
    if not analysis.groups:
        note = Finding("skipped", "No sensitive columns were given, so no group was compared (use --sensitive).", "groups")
        gate = dataclasses.replace(gate, findings=(*gate.findings, note))
        return [gate, performance, CheckResult(name="comparison.fairness", title="Groups, side by side", status="skipped",
                                               summary=f"Skipped: {note.message}")]
    return [gate, performance, _groups_section(analysis)]


# size: one table, one figure and the details of the paired performance comparison
def _performance_section(analysis: PairAnalysis) -> CheckResult:
    from raudit.report.svg import bar_chart

    a, b = analysis.names
    level = analysis.level
    gated = [m for m in analysis.metrics if m.margin is not None]
    mc = analysis.mcnemar
    figures = [Figure(
        "Challenger − champion, with intervals",
        bar_chart([m.label for m in gated], [m.delta for m in gated], lows=[m.low for m in gated], highs=[m.high for m in gated],
                  reference=0.0, reference_label="no change", xlabel=f"difference ({level:.0%} interval)"),
        {"binary": "ROC-AUC: DeLong's interval; the others: paired bootstrap. For calibration error, higher is worse.",
         "multiclass": "Accuracy: Bonett–Price; macro-F1 and each class's recall: paired bootstrap.",
         "regression": "MAE: paired t interval; RMSE: paired bootstrap. For errors, higher is worse (in the target's units)."}
        .get(analysis.task, ""),
    )] if gated else []
    return CheckResult(
        name="comparison.performance", title="Performance, side by side", status=worst(m.status for m in gated) if gated else "pass",
        summary="; ".join(f"{m.label} {m.a:.3f} → {m.b:.3f}" for m in gated),
        metrics={f"{m.name}.{which}": value for m in gated for which, value in
                 (("champion", m.a), ("challenger", m.b), ("delta", m.delta))},
        tables=[Table("Metrics of both models", ["metric", a, b, f"difference ({level:.0%} CI)", "p", "test", "margin", "status"],
                      [[m.label, _number(m.a), _number(m.b), Estimate(_number(m.delta), _number(m.low), _number(m.high)),
                        _number(m.p), m.test, m.margin, m.status if m.margin is not None else "reported"] for m in analysis.metrics],
                      formats=["text", *(["", "", ""] if analysis.task == "regression" else ["3f", "3f", "3f"]), "p", "text", "",
                               "text"],
                      note=f"Difference = challenger − champion on the same {analysis.n:,} rows. {_how_compared(analysis)} "
                           "A metric fails when the whole interval of its change is worse than its margin, passes when "
                           "the whole interval is within it, and is inconclusive when the interval straddles the margin; the "
                           "tests are shown beside.")],
        figures=figures,
        details={"mcnemar": mc.__dict__ if mc is not None else None, "delong": analysis.delong.__dict__ if analysis.delong else None,
                 "n": analysis.n, "task": analysis.task, "metrics": [m.__dict__ for m in analysis.metrics], **analysis.paired},
    )


def _how_compared(analysis: PairAnalysis) -> str:
    """How each metric of the performance table was compared, in the report's words."""
    mc, rounds = analysis.mcnemar, analysis.rounds
    mcnemar = ("" if mc is None else
               f"Accuracy: Bonett–Price paired interval and McNemar's test; {mc.only_a:,} rows only the champion gets right, "
               f"{mc.only_b:,} only the challenger ({mc.method}; exact below 25 discordant rows, else chi-square with Edwards' "
               "continuity correction).")
    if analysis.task == "multiclass":
        return (f"{mcnemar.replace('Accuracy:', 'Accuracy (right or wrong, whatever the class):')} Macro-F1, balanced accuracy and "
                f"each class's recall: paired bootstrap, {rounds} rounds, rows resampled jointly; the classes' recall intervals "
                "hold jointly (Bonferroni).")
    if analysis.task == "regression":
        return ("MAE: a paired t-test on the rows' differences of absolute error (t interval), Wilcoxon's signed-rank test "
                f"beside; RMSE and R²: paired bootstrap, {rounds} rounds, rows resampled jointly. The margins of MAE and RMSE are "
                "shares of the champion's values (mae_margin, rmse_margin), in the target's units in the table.")
    return (f"{mcnemar} ROC-AUC: DeLong's test (fast form of Sun & Xu 2014). F1, calibration error and the rest: paired "
            f"bootstrap, {rounds} rounds, rows resampled jointly.")


def _groups_section(analysis: PairAnalysis) -> CheckResult:
    tables = _disparity_tables(analysis.disparities, analysis.level, *analysis.names)
    figures: list[Figure] = []
    for grouping in dict.fromkeys(g.grouping for g in analysis.groups):
        rows = sorted((g for g in analysis.groups if g.grouping == grouping), key=lambda g: -g.n)
        tables.append(_group_table(analysis, grouping, rows))
        if " × " not in grouping:
            figures.append(_group_figure(analysis, grouping, rows))
    statuses = [d.status for d in analysis.disparities if d.status != "skipped"]
    counts = {s: statuses.count(s) for s in ("fail", "warn")}
    return CheckResult(
        name="comparison.fairness", title="Groups, side by side", status=worst(statuses) if statuses else "pass",
        summary=f"{counts['fail']} disparity(ies) further from parity beyond the margin across the whole interval, "
                f"{statuses.count('inconclusive')} inconclusive, of {len(statuses)} judged",
        metrics={"disparities_failed": counts["fail"], "disparities_warned": counts["warn"], "disparities_judged": len(statuses)},
        tables=tables, figures=figures,
        details={"disparities": [d.__dict__ for d in analysis.disparities],
                 "groups": [{**g.__dict__, "rates": dict(g.rates)} for g in analysis.groups]},
    )


def _group_table(analysis: PairAnalysis, grouping: str, rows: list[GroupChange]) -> Table:
    def change(g: GroupChange, rate: str) -> Estimate | None:
        if rate not in g.rates:
            return None
        _ra, _rb, d, lo, hi = g.rates[rate]
        return Estimate(_number(d), _number(lo), _number(hi))

    if analysis.task == "regression":
        return Table(
            f"{grouping}: challenger − champion by group",
            ["group", "n", "MAE, champion", "MAE, challenger", "MAE change", "RMSE change", "mean error change", "note"],
            [[g.group, g.n, _number(g.rates["mae"][0]), _number(g.rates["mae"][1]), change(g, "mae"), change(g, "rmse"),
              change(g, "mean_error"), "reference" if g.reference else ("" if g.judged else "too small to judge")] for g in rows],
            formats=["text", "int", "", "", "", "", "", "text"],
            note=f"Groups: {analysis.how.get(grouping, '')}. Changes are challenger − champion with {analysis.level:.0%} intervals "
                 "(paired bootstrap). Mean error = mean prediction − mean target (negative: under-predicted).",
            section=grouping, appendix=" × " in grouping,
        )

    return Table(
        f"{grouping}: challenger − champion by group",
        ["group", "n", "selection rate, champion", "selection rate, challenger", "selection rate change", "TPR change",
         "FPR change", "accuracy change", "ROC-AUC change", "note"],
        [[g.group, g.n, _number(g.rates["selection_rate"][0]), _number(g.rates["selection_rate"][1]),
          change(g, "selection_rate"), change(g, "tpr"), change(g, "fpr"), change(g, "accuracy"), change(g, "roc_auc"),
          "reference" if g.reference else ("" if g.judged else "too small to judge")] for g in rows],
        formats=["text", "int", "3f", "3f", "3f", "3f", "3f", "3f", "3f", "text"],
        note=f"Groups: {analysis.how.get(grouping, '')}. Changes are challenger − champion with {analysis.level:.0%} intervals "
             "(paired bootstrap; ROC-AUC: DeLong, for groups large enough to judge).",
        section=grouping, appendix=" × " in grouping,
    )


def _group_figure(analysis: PairAnalysis, grouping: str, rows: list[GroupChange]) -> Figure:
    from raudit.report.svg import bar_chart

    shown = [g for g in rows if g.n > 0][:20]
    rate, words = ("mae", "mean absolute error") if analysis.task == "regression" else ("selection_rate", "selection rate")
    return Figure(
        f"{grouping}: change in {words} by group",
        bar_chart([f"{g.group} (n={g.n:,})" for g in shown], [g.rates[rate][2] for g in shown],
                  lows=[g.rates[rate][3] for g in shown], highs=[g.rates[rate][4] for g in shown],
                  reference=0.0, reference_label="no change", colors=["#3b6ea5" if g.judged else "#9ca3af" for g in shown],
                  xlabel=f"challenger − champion {words} ({analysis.level:.0%} interval)"),
        "Grey bars are groups too small to judge." if not all(g.judged for g in shown) else "", section=grouping,
    )


# size: the gate, the rates section and the disparities section of an A/B report
def present_arms(analysis: ArmsAnalysis, options: CompareOptions, *, fairness_options: Mapping[str, Any]) -> list[CheckResult]:
    """Sections of an A/B report: the gate, then rates per arm and group with tests."""
    level = analysis.level
    sizes = ", ".join(f"{arm} {n:,}" for arm, n in analysis.n.items())
    n_text = f"arms compared with control {analysis.control!r}; rows per arm: {sizes}; bootstrap within arms"
    effective = {**options.to_dict(), **{f"fairness.{k}": v for k, v in fairness_options.items()
                                         if k in ("min_group_size", "intersections", "bins", "reference")}}
    others = [arm for arm in analysis.arms if arm != analysis.control]
    subject = f"Arm {others[0]!r}" if len(others) == 1 else f"{len(others)} arms"
    gate = _gate(subject, [], analysis.disparities, n_text, level, options, effective)

    tables = [_arm_table(analysis, grouping) for grouping in dict.fromkeys(r.grouping for r in analysis.rates)]
    tested = [r for r in analysis.rates if r.arm != analysis.control]
    significant = sum(np.isfinite(r.decision.p_holm) and r.decision.p_holm < options.alpha for r in tested)
    rates = CheckResult(
        name="ab.rates", title="Outcome and decision rates by arm", status="pass",
        summary=f"{significant} of {len(tested)} decision-rate differences from the control arm are significant after Holm's "
                "correction",
        metrics={**{f"{r.arm}.decision_rate": r.decision.value for r in analysis.rates if not r.grouping},
                 **{f"{r.arm}.outcome_rate": r.outcome.value for r in analysis.rates if not r.grouping}},
        tables=tables, details={"rates": [r.to_dict() for r in analysis.rates], "control": analysis.control},
    )
    statuses = [d.status for d in analysis.disparities if d.status != "skipped"]
    fairness = CheckResult(
        name="ab.fairness", title="Disparities by arm", status=worst(statuses) if statuses else "pass",
        summary=f"{statuses.count('fail')} disparity(ies) further from parity than under the control arm beyond the margin "
                f"across the whole interval, {statuses.count('inconclusive')} inconclusive, of {len(statuses)} judged",
        tables=_disparity_tables(analysis.disparities, level, f"control ({analysis.control})", "arm"),
        details={"disparities": [d.__dict__ for d in analysis.disparities]},
    )
    return [gate, rates, fairness]


def _arm_table(analysis: ArmsAnalysis, grouping: str) -> Table:
    """Outcome and decision rates per arm (and group of ``grouping``; ``""``: all rows), each tested against the control."""
    level = analysis.level
    rows = sorted((r for r in analysis.rates if r.grouping == grouping), key=lambda r: (r.group, r.arm))
    by_group = ["group"] if grouping else []
    return Table(
        "By arm" if not grouping else f"{grouping}: by arm and group",
        [*by_group, "arm", "n", f"outcome rate ({level:.0%} CI)", "p vs control (Holm)",
         f"decision rate ({level:.0%} CI)", "p vs control (Holm)", "test"],
        [[*([r.group] if grouping else []), r.arm + (" (control)" if r.arm == analysis.control else ""), r.n,
          Estimate(_number(r.outcome.value), *r.outcome.ci), _number(r.outcome.p_holm),
          Estimate(_number(r.decision.value), *r.decision.ci), _number(r.decision.p_holm), r.test or "—"] for r in rows],
        formats=[*(["text"] if grouping else []), "text", "int", "3f", "p", "3f", "p", "text"],
        note="Each arm against the control arm (independent samples): chi-square, or Fisher's exact test when an expected "
             "count is below 5; Holm-adjusted across the arms" + (" and groups of this feature" if grouping else "")
             + ". Intervals: Wilson." + (f" Groups: {analysis.how.get(grouping, '')}." if grouping else ""),
        section="Rates" if not grouping else grouping, appendix=" × " in grouping,
    )


#: Requirements a comparison gives evidence for (see ``raudit.report.compliance``).
EVIDENCE: dict[str, dict[str, str]] = {
    "gate": {
        "EU-AIA-IV.2.g": "the new model validated against the one in use on the same data, incl. discriminatory impact",
        "NIST-MEASURE-2.5": "non-inferiority of performance, with paired tests",
        "NIST-MEASURE-2.11": "disparities of both models compared, with paired intervals and tests",
    },
    "ab.rates": {"NIST-MEASURE-2.4": "decisions and outcomes of the arms in production compared, with tests"},
}
