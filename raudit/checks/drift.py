"""Drift: does the audited data still look like the reference the model was built and approved on.

The check compares the audit's data and the model's outputs on it with a
reference profile (``raudit profile``; or a raw reference file, profiled with
the same code). Both sides are summarised by the same mergeable sketches
(:mod:`raudit.stats.sketch`), so every number here is a function of two profiles:
the same whether the reference came as a profile or as a raw file, and
whether either was summarised in one piece or in chunks.

Four families of shifts, each tested and corrected for multiple testing with
Holm's method within the family:

* **data**: each model input and sensitive column: PSI on reference-quantile
  bins, Kolmogorov–Smirnov and Wasserstein (normalised by the reference
  standard deviation) for numbers; PSI, chi-square and Jensen–Shannon for
  categories, with new and vanished categories; the change of the missing rate;
* **outputs**: the model's score and decisions (prediction drift), the label
  (label drift), accuracy, ROC-AUC or MAE (performance drift);
* **fairness** (one family per sensitive feature): each group's selection
  rate, TPR and FPR then and now, with a Newcombe interval and a
  two-proportion test (shown); judged is the change of each group's *gap* to
  the reference group (the reference's largest), so a shift every group
  shares is prediction drift, not fairness drift; and whether the worst
  selection-rate ratio (lowest group ÷ highest) fell, with a bootstrap interval.
  A multiclass model gets the same per class, each class against the rest (the
  profile's per-class group counts), each class's family at ``alpha`` divided
  by the number of classes (Bonferroni across the classes). A regressor gets,
  per group, the PSI of its predictions and the relative rise of its mean
  absolute error (judged, one family per feature), and the change of its mean
  residual (Welch interval, shown).

Judgement, as in every check (:func:`raudit.plugin.judge`): each shift's
effect (PSI, a change of a missing rate, a fall of accuracy or ROC-AUC, a
rise of the MAE, a change of a group's gap) gets an interval, and the
intervals of a family hold jointly (Bonferroni). A shift **fails** or
**warns** when its whole interval lies beyond the fail or warn threshold, is
**inconclusive** when the interval straddles one, and passes when it lies
wholly within. PSI's interval is a basic bootstrap of the bin counts (PSI is
biased upwards on small samples). The tests (KS, chi-square, two-proportion,
Holm-adjusted within the family) say whether anything moved at all; they are
shown, not judged. A group gap that narrowed warns instead of failing (the
group is not worse off), and a group change whose 95 % interval is too wide to
tell a change of the threshold's size from noise is shown, not judged
(``precision``). When the reference holds the model's training rows (the
training record's row sketch, recorded in the profile), performance drift is
not judged: it would be the gap between in-sample and held-out performance.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar

import numpy as np

from raudit.checks._estimate import PerformanceEstimate, calibration_of, estimate
from raudit.checks._timeline import estimate_details, estimate_parts, timeline_parts, window_details
from raudit.checks._windows import Windows, parse_window, spending_alpha, window_keys, window_label
from raudit.plugin import (
    MISSING,
    PALETTE,
    AuditContext,
    Batch,
    CategoricalShift,
    CategoricalSketch,
    Check,
    CheckResult,
    ColumnProfile,
    ConfigError,
    Estimate,
    Facts,
    Figure,
    Finding,
    GroupCounts,
    GroupErrors,
    ModelInfo,
    NumericShift,
    NumericSketch,
    Options,
    Plan,
    Profile,
    Series,
    Sketch,
    Status,
    Table,
    Tested,
    bar_chart,
    categorical_shift,
    cdf_points,
    difference_interval,
    family_level,
    fine_group_values,
    fixed,
    holm,
    interval,
    judge,
    numeric_shift,
    option,
    percent,
    profile_batch,
    psi_interval,
    regroup,
    slug,
    two_proportion_pvalue,
    wilson_interval,
    worst,
    xy_chart,
    z_of,
)

Z95 = 1.959963984540054
RATES = {"selection_rate": "selection rate", "tpr": "TPR", "fpr": "FPR"}
#: The statuses a shift is listed with, most severe first.
JUDGED = ("fail", "warn", "inconclusive")
RATE_TITLES = {"selection_rate": "Selection rate", "tpr": "TPR", "fpr": "FPR"}


@dataclass(frozen=True)
class DriftOptions(Options):
    """Thresholds and statistics of the drift check."""

    psi_warn: float = option(0.1, "PSI at or above this warns (columns, scores, decisions, labels)", ge=0)
    psi_fail: float = option(0.25, "PSI at or above this fails when the shift is significant", ge=0)
    psi_bins: int = option(10, "reference-quantile bins of a numeric column's PSI", ge=2, le=100)
    missing_rate_warn: float = option(0.05, "change in a column's share of missing values at or beyond ± this warns",
                                      ge=0, le=1)
    missing_rate_fail: float = option(0.1, "change in a column's share of missing values at or beyond ± this fails "
                                           "when significant", ge=0, le=1)
    accuracy_drop_warn: float = option(0.02, "fall in accuracy at or beyond this warns", ge=0, le=1)
    accuracy_drop_fail: float = option(0.05, "fall in accuracy at or beyond this fails when significant", ge=0, le=1)
    roc_auc_drop_warn: float = option(0.02, "fall in ROC-AUC at or beyond this warns", ge=0, le=1)
    roc_auc_drop_fail: float = option(0.05, "fall in ROC-AUC at or beyond this fails when significant", ge=0, le=1)
    mae_increase_warn: float = option(0.1, "regression: relative rise of the mean absolute error at or beyond this warns",
                                      ge=0)
    mae_increase_fail: float = option(0.25, "regression: relative rise of the mean absolute error at or beyond this "
                                            "fails when significant", ge=0)
    gap_change_max: float = option(0.1, "change of a group's gap to the reference's largest group (in selection rate, TPR "
                                        "or FPR) beyond ± this is a fairness shift: fail when significant and the gap "
                                        "widened, else warn", ge=0, le=1)
    ratio_drop_max: float = option(0.1, "fall of a feature's worst selection-rate ratio (lowest ÷ highest group) beyond "
                                        "this is a fairness shift (fail when its interval excludes 0, else warn)", ge=0, le=1)
    precision: float = option(0.5, "a group's gap change is judged only when the half-width of its 95 % interval is at "
                                   "most this share of gap_change_max; wider: too few rows, shown but not judged",
                                   gt=0, le=1)
    min_group_size: int = option(30, "groups with fewer rows then or now are shown but not judged", ge=1)
    bins: Mapping[str, tuple[float, ...]] = option({}, "bin edges per numeric sensitive column, e.g. { age = [18, 30, 45, "
                                                       "60, 100] } (default: the reference's quartiles)")
    alpha: float = option(0.05, "significance level of the tests (after Holm's correction within each family)", gt=0, lt=1)
    bootstrap_rounds: int = option(1000, "bootstrap rounds of the interval of the worst selection-rate ratio's change",
                                   ge=0, le=100_000)
    window_rounds: int = option(4096, "most bootstrap rounds of a window's PSI interval; a window's level that needs more "
                                      "(the late windows' spent alpha) uses the draws' normal approximation", ge=100,
                                      le=200_000)
    figures: int = option(4, "distribution charts drawn for the most drifted columns (those that warn or fail; the "
                             "single most drifted when none does)", ge=0, le=50)
    max_findings: int = option(12, "column findings listed before the rest is summarised in one line", ge=1)
    window: str = option("", "compare each window of the data with the reference, as a timeline: 1D, 7D (weeks from "
                             "Monday), 1M (calendar months), kD, kW, kM by the time column (--time-column), or N (every N "
                             "rows); window k is judged at alpha / (k (k + 1)) (alpha spending)")

    thresholds: ClassVar[Mapping[str, str]] = {"psi": "lower", "missing_rate": "lower", "accuracy_drop": "lower",
                                               "roc_auc_drop": "lower", "mae_increase": "lower"}

    def check(self, *, name: str) -> None:  # noqa: D102
        super().check(name=name)
        parse_window(self.window)


# -- what the analysis returns -------------------------------------------------------------------------
@dataclass(frozen=True)
class Judged:
    """A shift with its interval, its test and its verdict (the interval decides; the test is shown)."""

    effect: float
    p: float
    p_holm: float
    status: Status
    reason: str
    ci: tuple[float, float] = (math.nan, math.nan)
    level: float = 0.95


@dataclass(frozen=True)
class ColumnDrift:
    """One column, reference vs current."""

    name: str
    roles: tuple[str, ...]
    kind: str
    numeric: NumericShift | None
    categorical: CategoricalShift | None
    missing_ref: float
    missing_cur: float
    distribution: Judged | None
    missing: Judged | None
    note: str = ""
    mean_ref: float = float("nan")
    mean_cur: float = float("nan")

    @property
    def psi(self) -> float:
        """The column's PSI (NaN when not compared)."""
        shift = self.numeric or self.categorical
        return shift.psi if shift is not None else float("nan")

    @property
    def status(self) -> Status:
        """The worse of its distribution and missing-rate verdicts."""
        found = [j.status for j in (self.distribution, self.missing) if j is not None]
        return "fail" if self.note.startswith("type changed") else worst(found)


@dataclass(frozen=True)
class OutputDrift:
    """A model output, the label, or a performance metric, reference vs current."""

    key: str
    label: str
    reference: float
    current: float
    change: float
    ci: tuple[float, float]
    test: str
    judged: Judged
    numeric: NumericShift | None = None
    categorical: CategoricalShift | None = None


@dataclass(frozen=True)
class GroupRateDrift:
    """One group's rate then and now, and its gap to the reference group then and now.

    ``change`` is the change of the group's own rate (Newcombe interval,
    two-proportion test: shown); ``judged`` is about the change of its gap to
    the reference group (``gap_change``), which a shift shared by every group
    leaves alone.
    """

    grouping: str
    group: str
    rate: str
    reference_group: str
    n_ref: int
    n_cur: int
    reference: float
    current: float
    change: Tested
    ci_ref: tuple[float, float]
    ci_cur: tuple[float, float]
    gap_ref: float
    gap_cur: float
    gap_change: float
    gap_ci: tuple[float, float]
    judged: Judged | None


@dataclass(frozen=True)
class RatioDrift:
    """A sensitive feature's worst selection-rate ratio (lowest ÷ highest group) then and now."""

    grouping: str
    reference: float
    current: float
    change: float
    ci: tuple[float, float]
    groups_ref: tuple[str, str]
    groups_cur: tuple[str, str]
    status: Status
    reason: str


@dataclass(frozen=True)
class FeatureDrift:
    """Fairness drift of one sensitive feature."""

    grouping: str
    how: str
    rates: tuple[GroupRateDrift, ...]
    ratio: RatioDrift | None
    unmatched: tuple[tuple[str, int, int], ...]
    skipped: str = ""


@dataclass(frozen=True)
class GroupErrorDrift:
    """A regressor's predictions and errors in one group then and now: prediction and residual drift per group.

    ``psi`` judges the shift of the group's predictions (the drift check's PSI thresholds); ``mae_rise`` the relative
    rise of its mean absolute error (the MAE thresholds); the change of its mean residual is shown with a Welch interval.
    Either is ``None`` for a group too small to judge.
    """

    grouping: str
    group: str
    n_ref: int
    n_cur: int
    prediction: tuple[float, float]
    residual: tuple[float, float]
    residual_change: Tested
    mae: tuple[float, float]
    psi: Judged | None
    mae_rise: Judged | None


@dataclass(frozen=True)
class ErrorGroupsDrift:
    """Prediction and residual drift of each group of one sensitive feature (regressors)."""

    grouping: str
    how: str
    groups: tuple[GroupErrorDrift, ...]
    skipped: str = ""


@dataclass(frozen=True)
class DriftAnalysis:
    """Everything the drift check found, as numbers."""

    columns: tuple[ColumnDrift, ...]
    outputs: tuple[OutputDrift, ...]
    fairness: tuple[FeatureDrift, ...]
    notes: tuple[tuple[Status, str, str], ...]
    reference: Mapping[str, Any]
    current_rows: int
    reference_profile: Profile = field(repr=False, compare=False)
    current_profile: Profile = field(repr=False, compare=False)
    estimate: PerformanceEstimate | None = None
    windows: tuple[WindowDrift, ...] = ()
    window: str = ""
    error_groups: tuple[ErrorGroupsDrift, ...] = ()


@dataclass(frozen=True)
class WindowDrift:
    """One window of the data against the reference, judged at the window's share of alpha (see ``_windows``)."""

    key: int
    label: str
    rows: int
    alpha: float
    columns: tuple[ColumnDrift, ...]
    outputs: tuple[OutputDrift, ...]
    fairness: tuple[FeatureDrift, ...]
    estimate: PerformanceEstimate | None
    unlabelled: int = 0  # rows whose label has not arrived: in data, decisions, selection rates and the estimate only

    @property
    def status(self) -> Status:
        """The worst verdict of the window's shifts, fairness changes and estimates."""
        found: list[Status] = [c.status for c in self.columns] + [o.judged.status for o in self.outputs]
        for f in self.fairness:
            found += [r.judged.status for r in f.rates if r.judged is not None]
            found += [f.ratio.status] if f.ratio is not None else []
        found += [self.estimate.status] if self.estimate is not None else []
        return worst([s for s in found if s != "skipped"]) if found else "pass"


# -- the check ---------------------------------------------------------------------------------------
class DriftCheck(Check):
    """Data, prediction, performance and fairness drift against a reference profile."""

    name = "drift"
    title = "Drift"
    order = 25
    requires = frozenset({"reference"})
    evidence = {
        "EU-AIA-72": "the audited data and the model's outputs compared with the reference it was approved on",
        "EU-AIA-IV.9": "a drift comparison against a recorded reference profile (input to the monitoring plan)",
        "NIST-MEASURE-2.4": "data, prediction and performance drift measured against a reference",
        "NIST-MEASURE-4.2": "whether the system still performs as intended on deployment data",
        "NIST-MEASURE-4.3": "performance and fairness changes identified and documented with tests",
    }
    Options = DriftOptions

    def validate(self, facts: Facts, options: DriftOptions) -> None:  # noqa: D102
        spec = parse_window(options.window)
        if spec is not None and spec.by_time and facts.roles.time_column is None:
            raise ConfigError(f"[check.drift].window {options.window!r} splits the rows by time, and no time column is named",
                              hint="name the column of timestamps with --time-column (time_column in raudit.toml), or "
                                   "give the window as a number of rows")
        for col, edges in options.bins.items():
            where = f"[check.drift].bins.{col}"
            if col not in facts.sensitive_columns:
                raise ConfigError(f"{where}: {col!r} is not a sensitive column of this audit",
                                  hint=f"sensitive columns: {', '.join(facts.sensitive_columns) or 'none'}")
            ref = facts.reference.column(col) if facts.reference is not None else None
            if ref is not None and not isinstance(ref.sketch, NumericSketch):
                raise ConfigError(f"{where}: column {col!r} is not numeric in the reference, so it cannot be binned")
            if len(edges) < 2 or any(b <= a for a, b in zip(edges, edges[1:])):
                raise ConfigError(f"{where} must be at least two strictly ascending edges; got {list(edges)}")

    def summarise(self, batch: Batch, plan: Plan, options: DriftOptions) -> Profile | Windows:
        """The current side, chunk by chunk: a profile of the audited rows and the model's outputs on them (profiles add up).

        With a ``window``, one profile per window the chunk's rows fall in (they add up window by window).
        """
        spec = parse_window(options.window)
        if spec is None:
            return profile_batch(batch, plan, params=plan.reference_params, strata=plan.reference_strata)
        keys = window_keys(batch, plan, spec)
        return Windows(spec, {int(k): profile_batch(batch.take(np.flatnonzero(keys == k)), plan, params=plan.reference_params,
                                                    strata=plan.reference_strata) for k in np.unique(keys)})

    def analyse(self, ctx: AuditContext, options: DriftOptions) -> DriftAnalysis:  # noqa: D102
        assert ctx.reference is not None
        return analyse(ctx, ctx.reference, options)

    def present(self, analysis: DriftAnalysis, options: DriftOptions) -> CheckResult:  # noqa: D102
        return present(analysis, options, self)


# size: the whole-data comparison, the notes on what it compares, the estimate and the windows, in one record
def analyse(ctx: AuditContext, reference: Profile, o: DriftOptions) -> DriftAnalysis:
    """Compare the audit's data and model outputs (the check's summary over every chunk) with ``reference`` (numbers only)."""
    summary = ctx.summaries["drift"]
    current: Profile = summary.whole() if isinstance(summary, Windows) else summary
    notes: list[tuple[Status, str, str]] = []
    model_path = ctx.sources.get("model")
    current_model = None if ctx.model is None else ModelInfo.of(ctx.model, model_path)
    if reference.model is not None and current_model is not None and reference.model.sha256 and current_model.sha256 \
            and reference.model.sha256 != current_model.sha256:
        notes.append(("warn", f"The reference was profiled with another model file ({reference.model.name}, sha256 "
                              f"{reference.model.sha256[:12]}…) than the audited one ({current_model.name}, "
                              f"{current_model.sha256[:12]}…): prediction, performance and fairness drift compare two "
                              "models, not one model on two datasets.", "model"))
    if reference.target is not None and ctx.roles.target is not None and reference.target != ctx.roles.target:
        notes.append(("warn", f"The reference's label column is {reference.target!r}, the audit's {ctx.roles.target!r}.",
                      "target"))
    if current.unlabelled_rows:
        notes.append(_unlabelled_note(current, summary))
    rng = ctx.rng("drift")
    model_audit = ctx.model is not None
    columns = _data_drift(reference, current, o, notes, rng, model_audit=model_audit)
    outputs = _output_drift(reference, current, o, notes, rng)
    fairness = _fairness_drift(reference, current, o, rng, notes)
    cal = calibration_of(reference, ctx.rng("drift/calibration"))
    coarse = partial(_coarse_groups, reference, o)
    est = None if cal is None else estimate(cal, reference, current, o, ctx.rng("drift/estimate"),
                                            level=family_level(1 - o.alpha, 2), coarse=coarse)
    windows = _window_drift(ctx, summary, reference, o, cal, model_audit) if isinstance(summary, Windows) else []
    info = {
        "profile": ctx.sources.get("reference"),
        "sources": [{"name": s.name, "sha256": s.sha256, "bytes": s.bytes} for s in reference.sources],
        "model": None if reference.model is None else {"class": reference.model.model_class, "name": reference.model.name,
                                                        "sha256": reference.model.sha256},
        "rows": reference.rows,
        "raudit_version": reference.raudit_version,
        "relative_accuracy": reference.params.relative_accuracy,
        "max_distinct": reference.params.max_distinct,
    }
    return DriftAnalysis(tuple(columns), tuple(outputs), tuple(fairness), tuple(notes), info, current.rows,
                         reference, current, est, tuple(windows), summary.spec.text if isinstance(summary, Windows) else "",
                         tuple(_regression_group_drift(reference, current, o, rng)))


def _unlabelled_note(current: Profile, summary: Profile | Windows) -> tuple[Status, str, str]:
    """What rows whose label has not arrived count in (and per window, how many there are)."""
    text = (f"Label-based drift not measured on {current.unlabelled_rows:,} of {current.rows:,} rows: they have no label yet. "
            "They count in data, decision and score drift, selection rates and the estimated performance; accuracy, ROC-AUC, "
            f"TPR and FPR (their drift included) use the {current.labelled_rows:,} labelled rows")
    if isinstance(summary, Windows):
        parts = [(window_label(summary.spec, k), p) for k, p in sorted(summary.profiles.items()) if p.unlabelled_rows]
        none = [label for label, p in parts if not p.labelled_rows]
        text += (f"; {len(parts)} window(s) hold unlabelled rows" + (f", {len(none)} of them no labelled row (the estimate "
                 f"alone is shown there: {', '.join(none[:6])}{', ...' if len(none) > 6 else ''})" if none else "")
                 + "; the timeline counts them per window")
    return "skipped", text + ".", "unlabelled_rows"


def _window_drift(ctx: AuditContext, summary: Windows, reference: Profile, o: DriftOptions, cal: Any,
                  model_audit: bool) -> list[WindowDrift]:
    """Each window against the reference, the k-th (in time order) at alpha / (k (k + 1)) (see ``_windows``)."""
    coarse = partial(_coarse_groups, reference, o)
    out = []
    for k, key in enumerate(sorted(summary.profiles), start=1):
        part, ok = summary.profiles[key], dataclasses.replace(o, alpha=spending_alpha(o.alpha, k))
        r, scratch = ctx.rng(f"drift/window/{key}"), list[tuple[Status, str, str]]()
        est = None if cal is None else estimate(cal, reference, part, ok, r, level=family_level(1 - ok.alpha, 2), coarse=coarse)
        out.append(WindowDrift(
            key, window_label(summary.spec, key), part.rows, ok.alpha,
            tuple(_data_drift(reference, part, ok, scratch, r, model_audit=model_audit, windowed=True)),
            tuple(_output_drift(reference, part, ok, scratch, r, windowed=True)),
            tuple(_fairness_drift(reference, part, ok, r, scratch)), est, part.unlabelled_rows))
    return out


def _coarse_groups(reference: Profile, o: DriftOptions, column: str, fine: Sequence[str]) -> list[str] | None:
    """The groups that a sensitive column's fine groups fall into, as the fairness comparison bins them (None: not comparable)."""
    ref_col, g_ref = reference.column(column), reference.groups.get(column)
    if ref_col is None or g_ref is None:
        return None
    if not isinstance(ref_col.sketch, NumericSketch):
        return list(fine)
    sub = reference.params.sub_buckets
    v_ref = fine_group_values(g_ref, sub)
    edges = list(o.bins.get(column) or _quartile_edges(v_ref, g_ref.n))
    if len(edges) < 2:
        edges = [float(np.nanmin(v_ref)), float(np.nanmax(v_ref))] if np.isfinite(v_ref).any() else [0.0, 1.0]
    values = fine_group_values(GroupCounts(tuple(fine), np.zeros((len(fine), 4), dtype=np.int64)), sub)
    return _coarse_names(values, edges)


@dataclass(frozen=True)
class _Test:
    """A shift before it is judged: its effect (harmful when large), an interval function and its test."""

    effect: float
    bounds: Callable[[float], tuple[float, float]]
    p: float
    warn: float
    fail: float


def _judge_family(tests: Sequence[_Test], o: DriftOptions) -> list[Judged]:
    """Judge a family of shifts by their intervals, which hold jointly at ``1 − alpha`` (Bonferroni).

    Each effect is a size in the harmful direction (PSI, a fall of accuracy, a change of a missing
    rate); its interval at level ``1 − alpha/m`` is judged against the warn and fail thresholds
    (:func:`raudit.plugin.judge`): fail or warn when the whole interval lies beyond, pass when it
    lies wholly below the warn threshold, inconclusive when it straddles one. The p-value of each
    test (is there any change at all?) is Holm-adjusted and shown, not judged.
    """
    level = family_level(1 - o.alpha, len(tests))
    adjusted = holm([t.p for t in tests]) if tests else np.array([])
    out = []
    for t, ph in zip(tests, adjusted):
        if math.isnan(t.effect):
            out.append(Judged(t.effect, t.p, float(ph), "pass", "not measurable", level=level))
            continue
        lo, hi = t.bounds(level)
        v = judge(t.effect, lo, hi, harmful="above", warn=t.warn, fail=t.fail, level=level, what="the shift")
        out.append(Judged(float(t.effect), float(t.p), float(ph), v.status, v.reason, (float(lo), float(hi)), level))
    return out


def _size(lo: float, hi: float) -> tuple[float, float]:
    """The interval of ``|x|`` from the interval of ``x``."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return math.nan, math.nan
    if lo <= 0 <= hi:
        return 0.0, max(-lo, hi)
    return min(abs(lo), abs(hi)), max(abs(lo), abs(hi))


# -- data ---------------------------------------------------------------------------------------------
# size: pairs the columns of both profiles and tests their distributions and missing rates as one family
def _data_drift(ref: Profile, cur: Profile, o: DriftOptions, notes: list[tuple[Status, str, str]], rng: np.random.Generator,
                *, model_audit: bool, windowed: bool = False) -> list[ColumnDrift]:
    pending: list[dict[str, Any]] = []
    absent = [c for c in cur.columns if ref.column(c.name) is None]
    if absent:
        # a model input or a sensitive column the reference lacks is a gap; with recorded decisions every other
        # column is context, and the reference may well not hold it
        gap = [c for c in absent if "sensitive" in c.roles or (model_audit and "input" in c.roles)]
        notes.append(("warn" if gap else "pass",
                      f"{len(absent)} column(s) of the audit are not in the reference profile, so not compared: "
                      + ", ".join(f"{c.name} ({'/'.join(c.roles)})" for c in absent[:12]) + (" …" if len(absent) > 12 else "")
                      + ".", "absent"))
    for col in cur.columns:
        rc = ref.column(col.name)
        if rc is not None:
            pending.append(_column_shift(rc, col, o))
    tests: list[_Test] = []
    for row in pending:
        shift = row["numeric"] or row["categorical"]
        row["dist_index"] = None
        if shift is not None and math.isfinite(shift.psi):
            p = shift.ks_p if isinstance(shift, NumericShift) else shift.chi2_p
            row["dist_index"] = len(tests)
            tests.append(_Test(shift.psi, _psi_bounds(shift, rng, o, windowed), p, o.psi_warn, o.psi_fail))
        row["miss_index"] = None
        a_col, b_col = ref.column(row["name"]), cur.column(row["name"])
        assert a_col is not None and b_col is not None
        a, b = a_col.sketch, b_col.sketch
        if (a.missing or b.missing) and a.n and b.n:
            p, _ = two_proportion_pvalue(a.missing, a.n, b.missing, b.n)
            row["miss_index"] = len(tests)
            counts = (a.missing, a.n, b.missing, b.n)
            tests.append(_Test(abs(b.missing_rate - a.missing_rate), partial(_change_size, counts), p, o.missing_rate_warn,
                               o.missing_rate_fail))
    judged = _judge_family(tests, o)
    out = []
    for row in pending:
        di, mi = row.pop("dist_index"), row.pop("miss_index")
        out.append(ColumnDrift(distribution=None if di is None else judged[di], missing=None if mi is None else judged[mi],
                               **row))
    return out


def _psi_bounds(shift: NumericShift | CategoricalShift, rng: np.random.Generator,
                o: DriftOptions, windowed: bool = False) -> Callable[[float], tuple[float, float]]:
    """The PSI interval of a shift, at a level (a basic bootstrap of its bin counts)."""
    if isinstance(shift, NumericShift):
        ref, cur = np.array(shift.bin_counts_ref), np.array(shift.bin_counts_cur)
    else:
        ref, cur = np.array(shift.counts_ref), np.array(shift.counts_cur)
    return lambda level: psi_interval(ref, cur, rng, level=level, rounds=o.bootstrap_rounds,
                                      max_rounds=o.window_rounds if windowed else 200_000)


def _column_shift(rc: ColumnProfile, col: ColumnProfile, o: DriftOptions) -> dict[str, Any]:
    """One column's shift, reference vs current (numeric or categorical), before it is tested; a changed type is noted."""
    a, b = rc.sketch, col.sketch
    row: dict[str, Any] = {"name": col.name, "roles": col.roles, "kind": b.kind, "missing_ref": a.missing_rate,
                           "missing_cur": b.missing_rate, "numeric": None, "categorical": None, "note": ""}
    if a.kind != b.kind and a.count and b.count:
        row["note"] = f"type changed: {a.kind} in the reference, {b.kind} now"
    elif isinstance(a, NumericSketch) and isinstance(b, NumericSketch):
        row["numeric"] = numeric_shift(a, b, psi_bins=o.psi_bins)
        row["mean_ref"], row["mean_cur"] = a.mean, b.mean
    elif isinstance(a, CategoricalSketch) and isinstance(b, CategoricalSketch):
        row["categorical"] = categorical_shift(a, b)
    return row


# -- model outputs, label and performance -----------------------------------------------------------------
def _newcombe(k1: int, n1: int, k2: int, n2: int, *, level: float = 0.95) -> tuple[float, float]:
    """Newcombe's hybrid score interval of the change ``k2/n2 - k1/n1`` (independent samples)."""
    if n1 == 0 or n2 == 0:
        return float("nan"), float("nan")
    lo, hi = difference_interval(k2, n2, k1, n1, level=level)
    return float(lo), float(hi)


def _auc_se(auc: float, n_pos: int, n_neg: int) -> float:
    """Hanley–McNeil (1982) standard error of a ROC-AUC."""
    if n_pos == 0 or n_neg == 0 or not math.isfinite(auc):
        return float("nan")
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    return math.sqrt((auc * (1 - auc) + (n_pos - 1) * (q1 - auc**2) + (n_neg - 1) * (q2 - auc**2)) / (n_pos * n_neg))


def _sketch_shift(a: Sketch, b: Sketch, bins: int) -> tuple[NumericShift | None, CategoricalShift | None]:
    if isinstance(a, NumericSketch) and isinstance(b, NumericSketch):
        return numeric_shift(a, b, psi_bins=bins), None
    if isinstance(a, CategoricalSketch) and isinstance(b, CategoricalSketch):
        return None, categorical_shift(a, b)
    return None, None


# size: scores, decisions, labels and performance as one family
def _output_drift(ref: Profile, cur: Profile, o: DriftOptions, notes: list[tuple[Status, str, str]],
                  rng: np.random.Generator, *, windowed: bool = False) -> list[OutputDrift]:
    raw: list[dict[str, Any]] = []
    tests: list[_Test] = []

    def distribution(key: str, label: str, a: Sketch | None, b: Sketch | None) -> None:
        if a is None or b is None:
            return
        num, cat = _sketch_shift(a, b, o.psi_bins)
        shift = num or cat
        if shift is None or not math.isfinite(shift.psi):
            return
        p, test = (shift.ks_p, "Kolmogorov–Smirnov") if isinstance(shift, NumericShift) else (shift.chi2_p, "chi-square")
        mean_a = a.mean if isinstance(a, NumericSketch) else float("nan")
        mean_b = b.mean if isinstance(b, NumericSketch) else float("nan")
        raw.append({"key": key, "label": label, "reference": mean_a, "current": mean_b, "change": mean_b - mean_a,
                    "ci": (float("nan"), float("nan")), "test": test, "numeric": num, "categorical": cat})
        tests.append(_Test(shift.psi, _psi_bounds(shift, rng, o, windowed), p, o.psi_warn, o.psi_fail))

    if not ref.has_predictions:
        notes.append(("skipped", "The reference profile holds no model outputs (it was made without a model): prediction, "
                                 "performance and fairness drift are not measured.", "outputs"))
    else:
        distribution("score", "Score (probability of the positive class)", ref.score, cur.score)
        distribution("prediction", "Predicted class" if ref.task != "regression" else "Predicted value",
                     ref.prediction, cur.prediction)
    distribution("label", "Label (class balance)" if ref.task != "regression" else "Label", ref.label, cur.label)
    if ref.positive_label != cur.positive_label and None not in (ref.positive_label, cur.positive_label):
        notes.append(("warn", f"The reference's positive class is {ref.positive_label!r}, the audit's {cur.positive_label!r}: "
                              "performance and fairness drift are not compared.", "positive_label"))
    elif ref.has_predictions:
        for row, test in _performance_drift(ref, cur, o):
            raw.append(row)
            tests.append(test)
    judged = _judge_family(tests, o)
    in_sample = _in_sample(ref)
    if in_sample:
        notes.append(("skipped", f"Performance drift is not judged: {in_sample}. A fall from there to the audit data is the "
                                 "gap between in-sample and held-out performance, not drift; profile held-out data (a "
                                 "validation split) as the reference.", "in_sample"))
        judged = [dataclasses.replace(j, status="skipped", reason="not judged: the reference holds training rows")
                  if r["key"] in PERFORMANCE else j for r, j in zip(raw, judged)]
    return [OutputDrift(judged=j, **r) for r, j in zip(raw, judged)]


#: The outputs that are performance metrics, not judged when the reference holds the model's training rows.
PERFORMANCE = ("accuracy", "roc_auc", "mae")


def _in_sample(ref: Profile) -> str:
    """Why the reference's performance is in-sample (it holds the model's training rows), or "" when it is not known to be."""
    seen = ref.training_overlap
    if not seen or not seen.get("found"):
        return ""
    if seen.get("identical"):
        return "the reference is the model's training data (its training record's row sketch says so)"
    return (f"the reference holds the model's training rows ({seen['found']:,} of {seen['sampled']:,} sampled training rows "
            "occur in it, by the training record's row sketch)")


# size: three performance comparisons, each with its own interval and test
def _performance_drift(ref: Profile, cur: Profile, o: DriftOptions) -> list[tuple[dict[str, Any], _Test]]:
    """Accuracy (Newcombe), ROC-AUC (Hanley–McNeil) and MAE (Welch z) then and now; each judged by its fall (or rise)."""
    from scipy.stats import norm

    out = []
    n_ref, n_cur = ref.labelled_rows, cur.labelled_rows  # rows whose label has not arrived have no accuracy
    if ref.correct is not None and cur.correct is not None and n_ref and n_cur:
        a, b = ref.correct / n_ref, cur.correct / n_cur
        p, test = two_proportion_pvalue(ref.correct, n_ref, cur.correct, n_cur)
        counts = (ref.correct, n_ref, cur.correct, n_cur)
        out.append(({"key": "accuracy", "label": "Accuracy", "reference": a, "current": b, "change": b - a,
                     "ci": _newcombe(*counts), "test": test},
                    _Test(a - b, partial(_fall, counts), p, o.accuracy_drop_warn, o.accuracy_drop_fail)))
    if ref.overall is not None and cur.overall is not None and ref.overall.hist is not None and cur.overall.hist is not None:
        a, b = float(ref.overall.auc()[0]), float(cur.overall.auc()[0])
        se = math.hypot(_auc_se(a, *_pos_neg(ref.overall)), _auc_se(b, *_pos_neg(cur.overall)))
        if math.isfinite(se) and se > 0:
            p = float(2 * norm.sf(abs(b - a) / se))
            out.append(({"key": "roc_auc", "label": "ROC-AUC", "reference": a, "current": b, "change": b - a,
                         "ci": (b - a - Z95 * se, b - a + Z95 * se), "test": "Hanley–McNeil z"},
                        _Test(a - b, partial(_normal, a - b, se), p, o.roc_auc_drop_warn, o.roc_auc_drop_fail)))
    if ref.abs_error is not None and cur.abs_error is not None and ref.abs_error.count and cur.abs_error.count:
        a, b = ref.abs_error.mean, cur.abs_error.mean
        se = math.hypot(ref.abs_error.std / math.sqrt(ref.abs_error.count), cur.abs_error.std / math.sqrt(cur.abs_error.count))
        p = float(2 * norm.sf(abs(b - a) / se)) if se > 0 else (0.0 if b != a else 1.0)
        rise = (b - a) / a if a > 0 else (math.inf if b > 0 else 0.0)
        out.append(({"key": "mae", "label": "Mean absolute error", "reference": a, "current": b, "change": b - a,
                     "ci": (b - a - Z95 * se, b - a + Z95 * se), "test": "Welch z"},
                    _Test(rise, partial(_normal, rise, se / a if a > 0 else math.nan), p, o.mae_increase_warn,
                          o.mae_increase_fail)))
    return out


def _change_size(counts: tuple[int, int, int, int], level: float) -> tuple[float, float]:
    """The interval of the size of a rate's change (Newcombe), at ``level``."""
    return _size(*_newcombe(*counts, level=level))


def _fall(counts: tuple[int, int, int, int], level: float) -> tuple[float, float]:
    """The interval of a rate's fall (reference − current; Newcombe), at ``level``."""
    lo, hi = _newcombe(*counts, level=level)
    return -hi, -lo


def _normal(centre: float, se: float, level: float) -> tuple[float, float]:
    """``centre ± z · se`` at ``level``."""
    z = z_of(level)
    return centre - z * se, centre + z * se


def _pos_neg(gc: GroupCounts) -> tuple[int, int]:
    tn, fp, fn, tp = (int(v) for v in gc.cells[0])
    return fn + tp, tn + fp


# -- fairness -------------------------------------------------------------------------------------------
def _edge(v: float) -> str:
    return f"{v:.4g}"


def _coarse_names(values: np.ndarray, edges: Sequence[float]) -> list[str]:
    """Bin names of numeric positions, as the fairness check names its bins."""
    e = np.asarray(edges, dtype=float)
    names = [f"[{_edge(a)}, {_edge(b)}{']' if i == len(e) - 2 else ')'}" for i, (a, b) in enumerate(zip(e[:-1], e[1:]))]
    idx = np.searchsorted(e, values, side="right") - 1
    idx = np.where(values == e[-1], len(e) - 2, idx)
    out = []
    for v, i in zip(values.tolist(), idx.tolist()):
        if not math.isfinite(v):
            out.append(MISSING)
        elif 0 <= i < len(names):
            out.append(names[i])
        else:
            out.append("< " + _edge(e[0]) if i < 0 else "> " + _edge(e[-1]))
    return out


def _quartile_edges(values: np.ndarray, counts: np.ndarray) -> list[float]:
    ok = np.isfinite(values) & (counts > 0)
    v, c = values[ok], counts[ok]
    if not len(v):
        return []
    order = np.argsort(v)
    v, c = v[order], c[order]
    cum = np.cumsum(c)
    qs = [v[int(np.searchsorted(cum, max(math.ceil(q * cum[-1]), 1)))] for q in (0.25, 0.5, 0.75)]
    return sorted(set([float(v[0]), *map(float, qs), float(v[-1])]))


def _bootstrap_ratio(cells_ref: np.ndarray, cells_cur: np.ndarray, rounds: int, rng: np.random.Generator, *,
                     level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of the change of min/max selection rate (groups resampled independently, each side)."""
    if rounds <= 0:
        return float("nan"), float("nan")

    def draws(cells: np.ndarray) -> np.ndarray:
        out = np.zeros((rounds, len(cells)))
        for i, row in enumerate(cells):
            total = int(row.sum())
            sel = int(row[1] + row[3])
            out[:, i] = rng.binomial(total, sel / total, size=rounds) / total
        with np.errstate(invalid="ignore", divide="ignore"):
            return out.min(axis=1) / out.max(axis=1)

    change = draws(cells_cur) - draws(cells_ref)
    change = change[np.isfinite(change)]
    if not len(change):
        return float("nan"), float("nan")
    lo, hi = np.percentile(change, [50 * (1 - level), 50 * (1 + level)])
    return float(lo), float(hi)


# size: regroups each sensitive column's fine counts to common bins before comparing
def _fairness_drift(ref: Profile, cur: Profile, o: DriftOptions, rng: np.random.Generator,
                    notes: list[tuple[Status, str, str]]) -> list[FeatureDrift]:
    if ref.task == "multiclass" and cur.task == "multiclass" and ref.has_predictions and ref.has_labels:
        return _class_fairness_drift(ref, cur, o, rng, notes)
    if ref.task != "binary" or cur.task != "binary" or not ref.groups:
        if ref.has_predictions and ref.has_labels and ref.task == "regression" and not ref.error_groups:
            notes.append(("skipped", "The reference profile holds no per-group errors (it was made by an earlier raudit): "
                                     "profile the reference again to compare each group's predictions and errors.", "fairness"))
        return []
    if ref.positive_label != cur.positive_label:
        return []
    return [_column_fairness(col, ref, ref.groups.get(col.name), cur.groups.get(col.name), o, rng)
            for col in cur.columns if "sensitive" in col.roles]


def _class_fairness_drift(ref: Profile, cur: Profile, o: DriftOptions, rng: np.random.Generator,
                          notes: list[tuple[Status, str, str]]) -> list[FeatureDrift]:
    """Multiclass: each class against the rest, per sensitive column, as a binary model's groups (Bonferroni across classes)."""
    if not ref.class_groups or ref.classes is None:
        notes.append(("skipped", "The reference profile holds no per-class group counts (it was made by an earlier raudit): "
                                 "profile the reference again to compare each class's rates per group.", "fairness"))
        return []
    per_class = dataclasses.replace(o, alpha=o.alpha / len(ref.classes))  # the classes' families hold jointly
    out = []
    for c in ref.classes:
        for col in cur.columns:
            if "sensitive" in col.roles:
                g_ref, g_cur = ref.class_groups.get(col.name, {}).get(c), cur.class_groups.get(col.name, {}).get(c)
                out.append(_column_fairness(col, ref, g_ref, g_cur, per_class, rng, label=f"{col.name}, class {c}"))
    return out


def _column_fairness(col: ColumnProfile, ref: Profile, g_ref: GroupCounts | None, g_cur: GroupCounts | None, o: DriftOptions,
                     rng: np.random.Generator, *, label: str = "") -> FeatureDrift:
    """One sensitive column's groups then and now (numbers binned at the reference's quartiles or the configured edges)."""
    name = col.name
    if g_ref is None or g_cur is None:
        return FeatureDrift(label or name, "", (), None, (), skipped=(
            "not compared: the reference holds no group counts for it" if g_ref is None else
            f"not compared: more than {ref.params.max_distinct} groups"))
    names, how = _binning(col, ref, g_ref, g_cur, o)
    if names is not None:
        g_ref, g_cur = regroup(g_ref, names[0]), regroup(g_cur, names[1])
    return _feature(label or name, how, g_ref, g_cur, o, rng)


def _binning(col: ColumnProfile, ref: Profile, g_ref: GroupCounts | GroupErrors, g_cur: GroupCounts | GroupErrors,
             o: DriftOptions) -> tuple[tuple[list[str], list[str]] | None, str]:
    """The coarse group of each fine group, then and now, of a numeric sensitive column (None: categories as recorded)."""
    name = col.name
    ref_col = ref.column(name)
    if not (isinstance(col.sketch, NumericSketch) and ref_col is not None and isinstance(ref_col.sketch, NumericSketch)):
        return None, "categories as recorded"
    sub = ref.params.sub_buckets
    v_ref = fine_group_values(g_ref, sub)  # type: ignore[arg-type]  # reads the group names only
    edges = list(o.bins.get(name) or _quartile_edges(v_ref, g_ref.n))
    how = (f"binned at the configured edges {', '.join(_edge(e) for e in edges)}" if name in o.bins else
           f"binned at the reference's quartiles ({', '.join(_edge(e) for e in edges)}), applied to both")
    if len(edges) < 2:
        edges = [float(np.nanmin(v_ref)), float(np.nanmax(v_ref))] if np.isfinite(v_ref).any() else [0.0, 1.0]
    return (_coarse_names(v_ref, edges), _coarse_names(fine_group_values(g_cur, sub), edges)), how  # type: ignore[arg-type]


def _regression_group_drift(ref: Profile, cur: Profile, o: DriftOptions, rng: np.random.Generator) -> list[ErrorGroupsDrift]:
    """A regressor's predictions and errors per group of each sensitive feature, then and now (one family per feature)."""
    if ref.task != "regression" or cur.task != "regression" or not ref.error_groups:
        return []
    out = []
    for col in cur.columns:
        if "sensitive" not in col.roles:
            continue
        e_ref, e_cur = ref.error_groups.get(col.name), cur.error_groups.get(col.name)
        if e_ref is None or e_cur is None:
            out.append(ErrorGroupsDrift(col.name, "", (), skipped=(
                "not compared: the reference holds no group errors for it" if e_ref is None else
                f"not compared: more than {ref.params.max_distinct} groups")))
            continue
        names, how = _binning(col, ref, e_ref, e_cur, o)
        if names is not None:
            e_ref, e_cur = e_ref.regroup(names[0]), e_cur.regroup(names[1])
        out.append(_error_groups(col.name, how, e_ref, e_cur, o, rng))
    return out


def _residual_moments(ge: GroupErrors) -> tuple[np.ndarray, np.ndarray]:
    """Each group's mean residual (target − prediction) and its variance, from the exact sums."""
    mean = ge.mean("target") - ge.mean("prediction")
    var = (ge.covariance("target", "target", "target2") + ge.covariance("prediction", "prediction", "prediction2")
           - 2 * ge.covariance("prediction", "target", "cross"))
    return mean, var


def _error_groups(name: str, how: str, e_ref: GroupErrors, e_cur: GroupErrors, o: DriftOptions,
                  rng: np.random.Generator) -> ErrorGroupsDrift:
    """Each common group's prediction PSI and MAE rise (judged, one family) and mean residual change (shown)."""
    rows, tests = [], []
    for g in (g for g in e_ref.groups if g in e_cur.groups):
        i, j = e_ref.groups.index(g), e_cur.groups.index(g)
        row = _error_row(name, g, e_ref, i, e_cur, j)
        rows.append(row)
        if min(row["n_ref"], row["n_cur"]) >= max(o.min_group_size, 2):
            tests += [(row, key, t) for key, t in _error_tests(e_ref, i, e_cur, j, o, rng).items()]
    judged = _judge_family([t for _r, _k, t in tests], o)
    verdicts: dict[tuple[int, str], Judged] = {(id(r), k): v for (r, k, _t), v in zip(tests, judged)}
    groups = tuple(GroupErrorDrift(**r, psi=verdicts.get((id(r), "psi")), mae_rise=verdicts.get((id(r), "mae_rise")))
                   for r in rows)
    return ErrorGroupsDrift(name, how, groups)


def _error_row(name: str, g: str, e_ref: GroupErrors, i: int, e_cur: GroupErrors, j: int) -> dict[str, Any]:
    """One group's mean prediction, mean residual (with the Welch interval of its change) and MAE, then and now."""
    from scipy.stats import norm

    (r_ref, v_ref), (r_cur, v_cur) = _residual_moments(e_ref), _residual_moments(e_cur)
    n1, n2 = int(e_ref.n[i]), int(e_cur.n[j])
    se = math.sqrt(v_ref[i] / n1 + v_cur[j] / n2) if min(n1, n2) > 1 else math.nan
    change = float(r_cur[j] - r_ref[i])
    p = float(2 * norm.sf(abs(change) / se)) if se > 0 else (0.0 if change else 1.0)
    return {"grouping": name, "group": g, "n_ref": n1, "n_cur": n2,
            "prediction": (float(e_ref.mean("prediction")[i]), float(e_cur.mean("prediction")[j])),
            "residual": (float(r_ref[i]), float(r_cur[j])),
            "residual_change": Tested(change, (change - Z95 * se, change + Z95 * se), p, "Welch z"),
            "mae": (float(e_ref.mean("abs_error")[i]), float(e_cur.mean("abs_error")[j]))}


def _error_tests(e_ref: GroupErrors, i: int, e_cur: GroupErrors, j: int, o: DriftOptions,
                 rng: np.random.Generator) -> dict[str, _Test]:
    """The PSI of one group's predictions and the relative rise of its MAE, before they are judged."""
    from scipy.stats import norm

    n1, n2 = int(e_ref.n[i]), int(e_cur.n[j])
    shift = numeric_shift(e_ref.predictions[i], e_cur.predictions[j], psi_bins=o.psi_bins)
    a, b = float(e_ref.mean("abs_error")[i]), float(e_cur.mean("abs_error")[j])
    sd1, sd2 = (math.sqrt(max(float(e.covariance("abs_error", "abs_error", "sq_error")[k]), 0.0))
                for e, k in ((e_ref, i), (e_cur, j)))
    se = math.hypot(sd1 / math.sqrt(n1), sd2 / math.sqrt(n2))
    rise = (b - a) / a if a > 0 else math.nan
    p = float(2 * norm.sf(abs(b - a) / se)) if se > 0 else (0.0 if b != a else 1.0)
    return {"psi": _Test(shift.psi, _psi_bounds(shift, rng, o), shift.ks_p, o.psi_warn, o.psi_fail),
            "mae_rise": _Test(rise, partial(_normal, rise, se / a if a > 0 else math.nan), p, o.mae_increase_warn,
                              o.mae_increase_fail)}


def _gap_change(cells: Sequence[tuple[int, int]], *, level: float = 0.95) -> tuple[float, tuple[float, float], float]:
    """Change of a gap between two proportions: ``(k1/n1 - k2/n2) now - (k3/n3 - k4/n4) then``.

    ``cells`` = (group now, reference group now, group then, reference group
    then) as ``(k, n)``. Interval and z-test are Agresti–Caffo-adjusted Wald:
    one success and one failure added to each of the four proportions.
    """
    from scipy.stats import norm

    (k1, n1), (k2, n2), (k3, n3), (k4, n4) = cells
    if min(n1, n2, n3, n4) == 0:
        return float("nan"), (float("nan"), float("nan")), float("nan")
    est = (k1 / n1 - k2 / n2) - (k3 / n3 - k4 / n4)
    adj = [(k + 1) / (n + 2) for k, n in cells]
    centre = (adj[0] - adj[1]) - (adj[2] - adj[3])
    se = math.sqrt(sum(q * (1 - q) / (n + 2) for q, (_, n) in zip(adj, cells)))
    p = float(2 * norm.sf(abs(centre) / se))
    z = z_of(level)
    return est, (centre - z * se, centre + z * se), p


def _feature(name: str, how: str, g_ref: GroupCounts, g_cur: GroupCounts, o: DriftOptions,
             rng: np.random.Generator) -> FeatureDrift:  # size: assembles the per-rate rows, their Holm family and the ratio of one feature
    common = [g for g in g_ref.groups if g in g_cur.groups]
    unmatched = tuple((g, int(g_ref.n[g_ref.groups.index(g)]) if g in g_ref.groups else 0,
                       int(g_cur.n[g_cur.groups.index(g)]) if g in g_cur.groups else 0)
                      for g in sorted(set(g_ref.groups) ^ set(g_cur.groups)))
    if not common:
        return FeatureDrift(name, how, (), None, unmatched, skipped="not compared: no group occurs in both")
    ref_group = max(common, key=lambda g: (int(g_ref.n[g_ref.groups.index(g)]), g))
    level = family_level(1 - o.alpha, len(RATES) * (len(common) - 1))  # the family: every group's gap, every rate
    raw = [row for rate in RATES for row in _rate_rows(rate, common, ref_group, g_ref, g_cur, level)]
    tested = [r for r in raw if r["group"] != ref_group]
    adjusted = dict(zip(map(id, tested), holm([r["gap_p"] for r in tested]))) if tested else {}
    n0 = min(int(g_ref.n[g_ref.groups.index(ref_group)]), int(g_cur.n[g_cur.groups.index(ref_group)]))
    rates = []
    for r in raw:
        gap_p = r.pop("gap_p")
        judged = None if r["group"] == ref_group else _judge_gap(r, gap_p, float(adjusted[id(r)]), n0, o, level)
        rates.append(GroupRateDrift(grouping=name, reference_group=ref_group, judged=judged, **r))
    big = [g for g in common if min(int(g_ref.n[g_ref.groups.index(g)]), int(g_cur.n[g_cur.groups.index(g)])) >= o.min_group_size]
    ratio = _ratio_drift(name, big, g_ref, g_cur, o, rng) if len(big) >= 2 else None
    return FeatureDrift(name, how, tuple(rates), ratio, unmatched)


def _rate_rows(rate: str, common: list[str], ref_group: str, g_ref: GroupCounts, g_cur: GroupCounts,
               level: float) -> list[dict[str, Any]]:
    """Each common group's ``rate`` then and now, its change, and the change of its gap to the reference group."""
    k_ref, n_ref = g_ref.rate_counts(rate)
    k_cur, n_cur = g_cur.rate_counts(rate)
    i0, j0 = g_ref.groups.index(ref_group), g_cur.groups.index(ref_group)
    rows = []
    for g in common:
        i, j = g_ref.groups.index(g), g_cur.groups.index(g)
        k1, n1, k2, n2 = int(k_ref[i]), int(n_ref[i]), int(k_cur[j]), int(n_cur[j])
        p, test = two_proportion_pvalue(k1, n1, k2, n2)
        a = k1 / n1 if n1 else float("nan")
        b = k2 / n2 if n2 else float("nan")
        a0 = k_ref[i0] / n_ref[i0] if n_ref[i0] else float("nan")
        b0 = k_cur[j0] / n_cur[j0] if n_cur[j0] else float("nan")
        row: dict[str, Any] = {
            "group": g, "rate": rate, "n_ref": int(g_ref.n[i]), "n_cur": int(g_cur.n[j]), "reference": a, "current": b,
            "change": Tested(b - a, _newcombe(k1, n1, k2, n2), p, test),
            "ci_ref": tuple(map(float, wilson_interval(k1, n1))), "ci_cur": tuple(map(float, wilson_interval(k2, n2))),
            "gap_ref": float(a - a0), "gap_cur": float(b - b0), "gap_change": float("nan"), "gap_ci": (float("nan"),) * 2,
            "gap_p": float("nan"),
        }
        if g != ref_group:
            row["gap_change"], row["gap_ci"], row["gap_p"] = _gap_change(
                [(k2, n2), (int(k_cur[j0]), int(n_cur[j0])), (k1, n1), (int(k_ref[i0]), int(n_ref[i0]))], level=level)
        rows.append(row)
    return rows


def _judge_gap(r: Mapping[str, Any], p: float, p_holm: float, n_reference: int, o: DriftOptions, level: float) -> Judged:
    """A gap change judged by its interval: too small a group or too imprecise a change is not judged; a narrowed gap never fails."""
    effect = abs(r["gap_change"])
    lo, hi = _size(*r["gap_ci"])
    half95 = (r["gap_ci"][1] - r["gap_ci"][0]) / 2 * Z95 / z_of(level)  # the precision rule reads the 95 % interval
    status: Status
    if min(r["n_ref"], r["n_cur"], n_reference) < o.min_group_size:
        status, reason = "skipped", f"group too small to judge (fewer than {o.min_group_size} rows then or now)"
    elif not half95 <= o.precision * o.gap_change_max:
        status, reason = "skipped", (f"too few rows to judge a change of ±{o.gap_change_max:g} (95 % interval "
                                     f"±{half95:.3f}, wider than ±{o.precision * o.gap_change_max:g})")
    else:
        v = judge(effect, lo, hi, harmful="above", fail=o.gap_change_max, level=level, what="the gap's change")
        status, reason = v.status, v.reason
        if status == "fail" and abs(r["gap_cur"]) <= abs(r["gap_ref"]):
            status, reason = "warn", reason + "; the gap narrowed, so the group is not worse off than before"
        elif status == "fail":
            reason += "; the gap widened"
    return Judged(effect, p, p_holm, status, reason, (lo, hi), level)


def _selection_cells(gc: GroupCounts) -> np.ndarray:
    """Confusion cells whose selection counts (fp + tp of n) include the rows whose label has not arrived."""
    if gc.unlabelled is None:
        return gc.cells
    return gc.cells + np.column_stack([gc.unlabelled, np.zeros_like(gc.unlabelled)])


def _ratio_drift(name: str, big: list[str], g_ref: GroupCounts, g_cur: GroupCounts, o: DriftOptions,
                 rng: np.random.Generator) -> RatioDrift:
    """The worst selection-rate ratio (lowest ÷ highest group of adequate size) then and now, with a bootstrap interval."""
    cr = _selection_cells(g_ref)[[g_ref.groups.index(g) for g in big]]
    cc = _selection_cells(g_cur)[[g_cur.groups.index(g) for g in big]]
    sr_ref = (cr[:, 1] + cr[:, 3]) / cr.sum(axis=1)
    sr_cur = (cc[:, 1] + cc[:, 3]) / cc.sum(axis=1)
    then = float(sr_ref.min() / sr_ref.max()) if sr_ref.max() > 0 else float("nan")
    now = float(sr_cur.min() / sr_cur.max()) if sr_cur.max() > 0 else float("nan")
    lo, hi = _bootstrap_ratio(cr, cc, o.bootstrap_rounds, rng, level=1 - o.alpha)
    status: Status
    if not (math.isfinite(then) and math.isfinite(now)):
        status, reason = "pass", "not measurable (no group is selected)"
    else:
        v = judge(then - now, -hi, -lo, harmful="above", fail=o.ratio_drop_max, level=1 - o.alpha, what="the fall")
        status, reason = v.status, "its fall: " + v.reason

    def pick(sr: np.ndarray) -> tuple[str, str]:
        return big[int(np.argmin(sr))], big[int(np.argmax(sr))]

    return RatioDrift(name, then, now, now - then, (lo, hi), pick(sr_ref), pick(sr_cur), status, reason)


# -- presentation ------------------------------------------------------------------------------------
# size: one sentence per kind of column shift (type change, numeric, categorical, missing rate)
def _column_sentence(c: ColumnDrift) -> str:
    parts = []
    if c.note:
        return f"[{c.name}] The column's {c.note}; its distributions cannot be compared."
    d = c.distribution
    if d is not None and d.status in JUDGED:
        if c.numeric is not None:
            s = c.numeric
            parts.append(f"distribution shifted: PSI {s.psi:.3f}, KS {s.ks:.3f}, Wasserstein {s.wasserstein_norm:.3f} reference "
                         f"standard deviations; mean {c.mean_ref:.4g} → {c.mean_cur:.4g}; {d.reason}")
        elif c.categorical is not None:
            s2 = c.categorical
            parts.append(f"category shares shifted: PSI {s2.psi:.3f}, Jensen–Shannon {s2.js:.3f}, chi-square {s2.chi2:.1f}; "
                         f"{d.reason}")
    m = c.missing
    if m is not None and m.status in JUDGED:
        parts.append(f"missing values {percent(c.missing_ref)} → {percent(c.missing_cur)}; {m.reason}")
    if c.categorical is not None and (c.categorical.new or c.categorical.vanished):
        n = c.categorical.n_cur
        new = ", ".join(f"{k!r} ({percent(v / n)})" for k, v in c.categorical.new[:5])
        gone = ", ".join(repr(k) for k, _ in c.categorical.vanished[:5])
        parts.append("; ".join(x for x in (f"new categories: {new}" if new else "", f"vanished: {gone}" if gone else "") if x))
    return f"[{c.name}] " + "; ".join(parts) + "."


def present(a: DriftAnalysis, o: DriftOptions, check: Check) -> CheckResult:  # size: composes the sections; each has its own function
    """Turn the analysis into findings, tables, figures and metrics (the only place numbers are formatted)."""
    findings: list[Finding] = [Finding(s, text, key) for s, text, key in a.notes]
    findings += _data_findings(a.columns, o)
    tables: list[Table] = [_data_table(a.columns, o)]
    findings += [Finding(out.judged.status, _output_sentence(out), f"output/{out.key}") for out in a.outputs]
    if a.outputs:
        tables.append(_output_table(a.outputs))
    fairness_figures: list[Figure] = []
    for feat in a.fairness:
        findings += _fairness_findings(feat, o)
        if not feat.skipped:
            tables.append(_fairness_table(feat))
            fairness_figures.append(_fairness_figure(feat))
    for eg in a.error_groups:
        findings += _error_group_findings(eg, o)
        if not eg.skipped:
            tables.append(_error_group_table(eg))
    # figures in section order (the renderer orders sections by first appearance): columns, score, fairness
    figures = _drift_figures(a, o) + fairness_figures
    if a.estimate is not None:
        more, est_tables = estimate_parts(a.estimate)
        findings += more
        tables += est_tables
    if a.windows:
        more, window_tables, window_figures = timeline_parts(a.windows, a.window, o)
        findings += more
        tables += window_tables
        figures += window_figures
    tables.append(_reference_table(a))
    metrics = _metrics(a)
    status = worst([f.status for f in findings]) if findings else "pass"
    counts = {s: sum(c.status == s for c in a.columns) for s in JUDGED}
    fair = [r for feat in a.fairness for r in feat.rates]
    summary = (f"{len(a.columns)} column(s) compared: {counts['fail']} drifted (fail), {counts['warn']} warn"
               + (f", {counts['inconclusive']} inconclusive" if counts["inconclusive"] else "") + "; "
               + (f"max PSI {metrics['max_psi']:.3f}; " if "max_psi" in metrics else "")
               + ", ".join(f"{o_.key} {o_.judged.status}" for o_ in a.outputs)
               + (f"; fairness: {sum(r.judged is not None and r.judged.status == 'fail' for r in fair)} group gap shift(s) fail"
                  if fair else ""))
    return check.result(findings=findings, status=status, summary=summary, metrics=metrics, tables=tables, figures=figures,
                        details=_details(a))


# size: the findings of the data part in reading order
def _data_findings(columns: Sequence[ColumnDrift], o: DriftOptions) -> list[Finding]:
    """The drifted columns, worst first (up to ``max_findings``), new categories too few to matter, or all clear."""
    findings = []
    bad = sorted([c for c in columns if c.status in JUDGED],
                 key=lambda c: (JUDGED.index(c.status), -(c.psi if math.isfinite(c.psi) else 0)))
    for c in bad[: o.max_findings]:
        findings.append(Finding(c.status, _column_sentence(c), f"column/{c.name}"))
    if len(bad) > o.max_findings:
        findings.append(Finding("warn", f"{len(bad) - o.max_findings} more drifted or undecided columns are listed in the data "
                                        "drift table.", "column/more"))
    for c in columns:
        if c.status == "pass" and c.categorical is not None and c.categorical.new:
            findings.append(Finding("pass", _column_sentence(c) + " Too few rows to matter at the thresholds.", f"new/{c.name}"))
    small = [c.name for c in columns if c.status == "pass" and c.distribution is not None and
             math.isfinite(c.distribution.p_holm) and c.distribution.p_holm < o.alpha]
    if not bad and columns:
        text = f"No data drift beyond the thresholds in {len(columns)} compared column(s)"
        text += (f"; significant but small shifts in {', '.join(small)}: their whole intervals lie within the thresholds, "
                 "shown in the table." if small else ".")
        findings.append(Finding("pass", text, "data/ok"))
    return findings


def _fairness_findings(feat: FeatureDrift, o: DriftOptions) -> list[Finding]:
    """One sensitive feature: the groups whose gap to the reference group moved, its worst ratio, or all clear."""
    if feat.skipped:
        return [Finding("skipped", f"[{feat.grouping}] Fairness drift {feat.skipped}.", f"fairness/{feat.grouping}")]
    findings = []
    flagged = [r for r in feat.rates if r.judged is not None and r.judged.status in JUDGED]
    flagged.sort(key=lambda r: (JUDGED.index(r.judged.status) if r.judged is not None else 9, -abs(r.gap_change)))
    for r in flagged[: o.max_findings]:
        assert r.judged is not None
        findings.append(Finding(
            r.judged.status,
            f"[{feat.grouping}] {RATE_TITLES[r.rate]} of {r.group} relative to {r.reference_group}: gap "
            f"{r.gap_ref:+.3f} → {r.gap_cur:+.3f} (change {r.gap_change:+.3f}, {r.judged.level * 100:.3g} % CI "
            f"{interval(*r.gap_ci)}); its own "
            f"{RATES[r.rate]} {fixed(r.reference)} → {fixed(r.current)}; {r.judged.reason}.",
            f"fairness/{feat.grouping}/{r.group}/{r.rate}"))
    if len(flagged) > o.max_findings:
        findings.append(Finding("warn", f"[{feat.grouping}] {len(flagged) - o.max_findings} more group shifts are in the "
                                        "fairness drift table.", f"fairness/{feat.grouping}/more"))
    if feat.ratio is not None:
        rd = feat.ratio
        crossed = " — now below the four-fifths line" if rd.current < 0.8 <= rd.reference else ""
        findings.append(Finding(rd.status,
                                f"[{feat.grouping}] Worst selection-rate ratio {fixed(rd.reference)} ({rd.groups_ref[0]} ÷ "
                                f"{rd.groups_ref[1]}) → {fixed(rd.current)} ({rd.groups_cur[0]} ÷ {rd.groups_cur[1]}), change "
                                f"{rd.change:+.3f} (95 % CI {interval(*rd.ci)}){crossed}; {rd.reason}.",
                                f"fairness/{feat.grouping}/ratio"))
    if not flagged:
        findings.append(Finding("pass", _fairness_clear(feat, o), f"fairness/{feat.grouping}/ok"))
    return findings


def _error_group_findings(eg: ErrorGroupsDrift, o: DriftOptions) -> list[Finding]:
    """A regressor's groups whose predictions shifted or whose errors rose, or all clear."""
    if eg.skipped:
        return [Finding("skipped", f"[{eg.grouping}] Prediction and residual drift per group {eg.skipped}.",
                        f"errors/{eg.grouping}")]
    findings = []
    for g in eg.groups:
        for key, j in (("psi", g.psi), ("mae_rise", g.mae_rise)):
            if j is None or j.status not in JUDGED:
                continue
            what = (f"predictions shifted: PSI {j.effect:.3f} ({j.level * 100:.3g} % CI {interval(*j.ci)}), mean "
                    f"{g.prediction[0]:.4g} → {g.prediction[1]:.4g}" if key == "psi" else
                    f"mean absolute error {g.mae[0]:.4g} → {g.mae[1]:.4g}, a rise of {j.effect:+.1%} ({j.level * 100:.3g} % "
                    f"CI {j.ci[0]:+.1%} to {j.ci[1]:+.1%})")
            findings.append(Finding(j.status, f"[{eg.grouping}] {g.group} ({g.n_ref:,} → {g.n_cur:,} rows): {what}; "
                                              f"mean residual {g.residual[0]:+.4g} "
                                              f"→ {g.residual[1]:+.4g}; {j.reason}.", f"errors/{eg.grouping}/{g.group}/{key}"))
    if not findings:
        judged = sum(g.psi is not None for g in eg.groups)
        findings.append(Finding("pass", f"[{eg.grouping}] No group's predictions shifted (PSI) or errors rose (MAE) beyond the "
                                        f"thresholds: {judged} of {len(eg.groups)} group(s) judged, every interval within "
                                        f"(PSI {o.psi_warn:g}, MAE rise {o.mae_increase_warn:.0%}).", f"errors/{eg.grouping}/ok"))
    return findings


def _error_group_table(eg: ErrorGroupsDrift) -> Table:
    rows = [[f"{g.group} ({g.n_ref:,} → {g.n_cur:,})", f"{g.prediction[0]:.4g} → {g.prediction[1]:.4g}",
             None if g.psi is None else Estimate(g.psi.effect, *g.psi.ci), f"{g.residual[0]:+.4g} → {g.residual[1]:+.4g}",
             Estimate(g.residual_change.value, *g.residual_change.ci), f"{g.mae[0]:.4g} → {g.mae[1]:.4g}",
             None if g.mae_rise is None else Estimate(g.mae_rise.effect, *g.mae_rise.ci),
             worst([j.status for j in (g.psi, g.mae_rise) if j is not None]) if g.psi is not None else "too small to judge"]
            for g in eg.groups]
    return Table(f"{eg.grouping}: predictions and errors per group then → now",
                 ["group (rows)", "mean prediction", "PSI of predictions", "mean residual", "residual change",
                  "MAE", "MAE rise", "status"], rows, formats=["text", "text", "3f", "text", "", "text", "3f", "text"],
                 note=f"Groups: {eg.how}; rows then → now in brackets. Residual = target − prediction. Judged, as one family "
                      "across this feature's groups (Bonferroni): the PSI of each group's predictions (basic bootstrap "
                      "interval) against psi_warn / psi_fail, and the relative rise of its mean absolute error (normal "
                      "interval) against mae_increase_warn / mae_increase_fail. The change of the mean residual (a group "
                      "now under- or over-estimated) has a 95 % Welch interval and is shown, not judged. From exact "
                      "per-group sums and prediction sketches: the same streamed or in memory.",
                 section="Prediction and residual drift per group", appendix=True)


def _fairness_clear(feat: FeatureDrift, o: DriftOptions) -> str:
    moved = [r for r in feat.rates if r.judged is not None and r.judged.status == "pass" and r.judged.p_holm < o.alpha]
    together = [r for r in feat.rates if abs(r.change.value) > o.gap_change_max and r.change.p < o.alpha]
    text = (f"[{feat.grouping}] No group's selection rate, TPR or FPR gap to {feat.rates[0].reference_group} "
            f"moved beyond ±{o.gap_change_max:g}: every judged interval lies within it")
    if together:
        text += (f"; the groups' own rates moved together ({len(together)} rate(s) by more than "
                 f"{o.gap_change_max:g}: see prediction and performance drift)")
    if moved:
        text += f"; {len(moved)} significant but small gap change(s), within ±{o.gap_change_max:g}, are shown in the table"
    unjudged = [r for r in feat.rates if r.judged is not None and r.judged.status == "skipped"]
    if unjudged:
        text += f"; {len(unjudged)} gap change(s) not judged (too few rows)"
    return text + "."


def _drift_figures(a: DriftAnalysis, o: DriftOptions) -> list[Figure]:
    """The most drifted columns (at least one), then the score's distribution."""
    finite = sorted([c for c in a.columns if math.isfinite(c.psi)], key=lambda c: -c.psi)
    ranked = [c for c in finite if c.status in JUDGED][: o.figures] or finite[: min(1, o.figures)]
    figures = [_column_figure(c, a) for c in ranked]
    score = next((x for x in a.outputs if x.key == "score"), None)
    if score is not None and a.reference_profile.score is not None and a.current_profile.score is not None:
        figures.append(_cdf_figure("Score distribution, reference vs current", a.reference_profile.score,
                                   a.current_profile.score, "score (probability of the positive class)",
                                   "Predictions, label and performance"))
    return figures


def _output_sentence(out: OutputDrift) -> str:
    if out.numeric is not None or out.categorical is not None:
        s = out.numeric or out.categorical
        assert s is not None
        extra = (f"KS {out.numeric.ks:.3f}, mean {out.reference:.4g} → {out.current:.4g}" if out.numeric is not None
                 else f"chi-square {out.categorical.chi2:.1f}" if out.categorical is not None else "")
        shares = ""
        if out.categorical is not None:
            c = out.categorical
            shares = "; shares " + ", ".join(f"{lab} {percent(r / max(c.n_ref, 1))} → {percent(k / max(c.n_cur, 1))}"
                                              for lab, r, k in list(zip(c.labels, c.counts_ref, c.counts_cur))[:6])
        return f"{out.label}: PSI {s.psi:.3f} ({extra}{shares}); {out.judged.reason}."
    return (f"{out.label}: {out.reference:.4g} → {out.current:.4g} (change {out.change:+.4f}, 95 % CI {interval(*out.ci, digits=4)}, "
            f"{out.test}); {out.judged.reason}.")


# size: one table row per column, its test depending on the column's kind
def _data_table(columns: Sequence[ColumnDrift], o: DriftOptions) -> Table:
    rows = []
    for c in sorted(columns, key=lambda c: -(c.psi if math.isfinite(c.psi) else -1)):
        why = c.note or (c.distribution.reason if c.distribution is not None else "")
        if c.numeric is not None:
            s = c.numeric
            test = f"KS {s.ks:.3f}" + (f" (+≤{s.ks_bound:.3f})" if s.ks_bound else "")
            other = f"W₁/σ {s.wasserstein_norm:.3f}" + (f" (±{s.wasserstein_norm_bound:.3f})" if s.wasserstein_norm_bound else "")
        elif c.categorical is not None:
            s2 = c.categorical
            test, other = f"χ² {s2.chi2:.1f} (df {s2.dof})", f"JS {s2.js:.3f}"
            if s2.hashed:
                why += "; more categories than the profile keeps: compared on hash buckets, names not kept"
            if s2.new:
                why += "; new: " + ", ".join(k for k, _ in s2.new[:5]) + (" …" if len(s2.new) > 5 else "")
            if s2.vanished:
                why += "; vanished: " + ", ".join(k for k, _ in s2.vanished[:5]) + (" …" if len(s2.vanished) > 5 else "")
        else:
            test = other = "—"
        if c.missing is not None and c.missing.status != "pass":
            why += f"; missing rate: {c.missing.reason}"
        d = c.distribution
        rows.append([c.name, f"{'/'.join(c.roles)}, {c.kind}", c.psi if math.isfinite(c.psi) else None, test, other,
                     d.p_holm if d is not None else None, f"{percent(c.missing_ref)} → {percent(c.missing_cur)}", c.status, why])
    return Table(
        "Data drift by column", ["column", "role, type", "PSI", "test", "distance", "p (Holm)", "missing", "status", "why"], rows,
        formats=["text", "text", "3f", "text", "text", "p", "text", "text", "text"],
        note=(f"PSI on {o.psi_bins} reference-quantile bins (numbers) or on categories, a proportion of 0 counted as "
              "0.0001; KS = Kolmogorov–Smirnov statistic (asymptotic p), W₁/σ = Wasserstein distance ÷ the reference "
              "standard deviation, χ² = chi-square test of homogeneity (categories with an expected count under 5 pooled), "
              "JS = Jensen–Shannon distance (base 2). A numeric column with more distinct values than the profile keeps is "
              "compared on its bucket grid: the KS statistic may be larger by up to the bound shown, W₁/σ off by up to ±. "
              f"Holm-adjusted across all columns. fail = PSI ≥ {o.psi_fail:g} and significant; warn = PSI ≥ {o.psi_warn:g}, "
              f"or beyond a threshold without significant evidence; missing-rate changes: ±{o.missing_rate_warn:g} / "
              f"±{o.missing_rate_fail:g}."),
        section="Data drift",
    )


def _output_table(outputs: Sequence[OutputDrift]) -> Table:
    rows = []
    for out in outputs:
        shift = out.numeric or out.categorical
        change: Any = f"PSI {shift.psi:.3f}" if shift is not None else Estimate(out.change, *out.ci)
        rows.append([out.label, out.reference, out.current, change, out.test, out.judged.p_holm, out.judged.status])
    return Table("Predictions, label and performance, reference vs current",
                 ["what", "reference", "current", "change (95 % CI)", "test", "p (Holm)", "status"], rows,
                 formats=["text", "", "", "4f", "text", "p", "text"],
                 note="Score, decision and label distributions are judged by PSI like the columns (reference and current "
                      "show means of numeric outputs); accuracy with a Newcombe interval and a chi-square/Fisher test; "
                      "ROC-AUC with the Hanley–McNeil standard error (from 1,000-bin score histograms); MAE with a Welch z "
                      "interval. Holm-adjusted across this table; the intervals are not.",
                 section="Predictions, label and performance")


def _fairness_table(feat: FeatureDrift) -> Table:
    rows: list[list[Any]] = []
    for r in sorted(feat.rates, key=lambda r: (list(RATES).index(r.rate), r.group)):
        gap = "reference" if r.judged is None else f"{fixed(r.gap_ref)} → {fixed(r.gap_cur)}"
        rows.append([f"{r.group} ({r.n_ref:,} → {r.n_cur:,})", RATES[r.rate], Estimate(r.reference, *r.ci_ref),
                     Estimate(r.current, *r.ci_cur), Estimate(r.change.value, *r.change.ci), gap,
                     None if r.judged is None else Estimate(r.gap_change, *r.gap_ci),
                     None if r.judged is None else r.judged.p_holm, "—" if r.judged is None else r.judged.status])
    for g, n1, n2 in feat.unmatched:
        rows.append([f"{g} ({n1:,} → {n2:,})", "—", None, None, None, "only in the " + ("reference" if n1 else "current data"),
                     None, None, "—"])
    ref = feat.rates[0].reference_group if feat.rates else "—"
    note = (f"Groups: {feat.how}; rows then → now in brackets. then, now: the rate with its 95 % Wilson interval; change: "
            "now − then with a 95 % Newcombe interval (shown, not judged: a shift every group shares is prediction drift). "
            f"gap: the group's rate − {ref}'s (the reference's largest group), then → now; its change, with an Agresti–Caffo "
            "95 % interval and a z-test Holm-adjusted across this feature's groups and rates, is what is judged.")
    if feat.ratio is not None:
        rd = feat.ratio
        note += (f" Worst selection-rate ratio (lowest ÷ highest group): {fixed(rd.reference)} → {fixed(rd.current)} "
                 f"(95 % bootstrap interval of the change {interval(*rd.ci)}): {rd.status}.")
    return Table(f"{feat.grouping}: group rates then → now",
                 ["group (rows)", "rate", "then", "now", "change", f"gap to {ref}", "gap change", "p (Holm)", "status"], rows,
                 formats=["text", "text", "3f", "3f", "3f", "text", "3f", "p", "text"], note=note, section="Fairness drift",
                 appendix=True)


def _fairness_figure(feat: FeatureDrift) -> Figure:
    """The rate whose gap moved most among the flagged ones (the selection rate when none is), per group then and now."""
    flagged = [r for r in feat.rates if r.judged is not None and r.judged.status in JUDGED]
    rate = max(flagged, key=lambda r: abs(r.gap_change)).rate if flagged else "selection_rate"
    labels, values, lows, highs, colors = [], [], [], [], []
    for r in feat.rates:
        if r.rate != rate:
            continue
        for when, v, ci, color in (("then", r.reference, r.ci_ref, PALETTE[7]), ("now", r.current, r.ci_cur, PALETTE[0])):
            labels.append(f"{r.group} · {when}")
            values.append(v)
            lows.append(ci[0])
            highs.append(ci[1])
            colors.append(color)
    svg = bar_chart(labels, values, lows=lows, highs=highs, colors=colors, xlabel=RATES[rate], xmin=0, xmax=1)
    what = {"selection_rate": "share of the group the model selects", "tpr": "share of the group's positives the model "
            "selects (true-positive rate)", "fpr": "share of the group's negatives the model selects (false-positive rate)"}
    return Figure(f"{feat.grouping}: {RATES[rate]} per group, then (grey) and now (blue)", svg,
                  f"Bars: {what[rate]}; whiskers: 95 % Wilson intervals."
                  + (" Charted because its gap to the reference group moved most." if flagged else ""),
                  section="Fairness drift")


def _cdf_figure(title: str, ref: NumericSketch, cur: NumericSketch, xlabel: str, section: str) -> Figure:
    xr, yr = cdf_points(ref)
    xc, yc = cdf_points(cur)
    svg = xy_chart([Series(xr, yr, label="reference", color=PALETTE[7]), Series(xc, yc, label="current", color=PALETTE[0])],
                   xlabel=xlabel, ylabel="share of rows ≤ x", ylim=(0, 1))
    return Figure(title, svg, "Cumulative distributions; the largest vertical gap is the Kolmogorov–Smirnov statistic. "
                              "From the profiles (bucket representatives where a column has many distinct values).",
                  section=section)


def _column_figure(c: ColumnDrift, a: DriftAnalysis) -> Figure:
    ref_col, cur_col = a.reference_profile.column(c.name), a.current_profile.column(c.name)
    assert ref_col is not None and cur_col is not None
    if isinstance(ref_col.sketch, NumericSketch) and isinstance(cur_col.sketch, NumericSketch):
        return _cdf_figure(f"{c.name}: reference vs current (PSI {c.psi:.3f})", ref_col.sketch, cur_col.sketch, c.name,
                           "Most drifted columns")
    s = c.categorical
    assert s is not None
    share_r = np.array(s.counts_ref) / max(s.n_ref, 1)
    share_c = np.array(s.counts_cur) / max(s.n_cur, 1)
    top = np.argsort(-np.maximum(share_r, share_c), kind="stable")[:10]
    labels, values, colors = [], [], []
    for i in top:
        labels += [f"{s.labels[i]} · reference", f"{s.labels[i]} · current"]
        values += [float(share_r[i]), float(share_c[i])]
        colors += [PALETTE[7], PALETTE[0]]
    return Figure(f"{c.name}: reference vs current (PSI {c.psi:.3f})",
                  bar_chart(labels, values, colors=colors, xlabel="share of rows", xmin=0),
                  "Share of each category (the 10 largest), reference (grey) and current (blue).", section="Most drifted columns")


def _reference_table(a: DriftAnalysis) -> Table:
    r = a.reference
    rows: list[list[Any]] = [["reference given", r["profile"] or "—"], ["reference rows", r["rows"]],
                             ["current rows", a.current_rows], ["profiled by raudit", r["raudit_version"]]]
    for s in r["sources"]:
        rows.append([f"source file {s['name']}", f"sha256 {s['sha256']}"])
    if r["model"] is not None:
        rows.append(["model", f"{r['model']['class']}" + (f" ({r['model']['name']}, sha256 {r['model']['sha256']})"
                                                         if r["model"]["sha256"] else "")])
    rows.append(["sketch accuracy", f"exact up to {r['max_distinct']} distinct values per column; beyond, buckets within "
                                    f"±{100 * r['relative_accuracy']:.2f} % of each value"])
    return Table("Reference", ["", ""], rows, note="A profile holds aggregates only, no row of the data.", section="Reference",
                 formats=["text", "text"], appendix=True)


def _metrics(a: DriftAnalysis) -> dict[str, Any]:  # size: one metric per compared output and fairness ratio
    m: dict[str, Any] = {
        "columns_compared": len(a.columns),
        "columns_failed": sum(c.status == "fail" for c in a.columns),
        "columns_warned": sum(c.status == "warn" for c in a.columns),
    }
    psis = [c.psi for c in a.columns if math.isfinite(c.psi)]
    if psis:
        m["max_psi"] = max(psis)
    for out in a.outputs:
        if out.numeric is not None or out.categorical is not None:
            s = out.numeric or out.categorical
            assert s is not None
            m[f"{out.key}_psi"] = s.psi
        else:
            m[f"{out.key}_reference"], m[f"{out.key}_current"], m[f"{out.key}_change"] = out.reference, out.current, out.change
    rates = [r for f in a.fairness for r in f.rates]
    if a.fairness:
        m["fairness_shifts_failed"] = sum(r.judged is not None and r.judged.status == "fail" for r in rates)
        m["fairness_shifts_warned"] = sum(r.judged is not None and r.judged.status == "warn" for r in rates)
    for f in a.fairness:
        if f.ratio is not None:
            m[f"worst_selection_rate_ratio_change.{slug(f.grouping)}"] = f.ratio.change
    if a.estimate is not None:
        for e in a.estimate.metrics:
            m[f"estimated_{e.metric}"] = e.estimate
            m[f"estimated_{e.metric}_weighted"] = e.weighted
    if a.windows:
        m["windows"] = len(a.windows)
        m["windows_failed"] = sum(w.status == "fail" for w in a.windows)
        first = next((w for w in a.windows if w.status == "fail"), None)
        if first is not None:
            m["first_failing_window"] = first.label
    return m


def _judged_dict(j: Judged | None) -> dict[str, Any] | None:
    return None if j is None else {"effect": j.effect, "effect_ci": list(j.ci), "ci_level": j.level, "p": j.p, "p_holm": j.p_holm,
                                   "status": j.status, "reason": j.reason}


def _details(a: DriftAnalysis) -> dict[str, Any]:  # size: the JSON details mirror the analysis records field by field
    cols = []
    for c in a.columns:
        row: dict[str, Any] = {"name": c.name, "roles": list(c.roles), "kind": c.kind, "status": c.status, "note": c.note,
                               "missing_rate_reference": c.missing_ref, "missing_rate_current": c.missing_cur,
                               "distribution": _judged_dict(c.distribution), "missing": _judged_dict(c.missing)}
        if c.numeric is not None:
            s = c.numeric
            row.update({"psi": s.psi, "psi_bins_reference": list(s.bin_counts_ref), "psi_bins_current": list(s.bin_counts_cur),
                        "psi_edges": list(s.edges), "ks": s.ks, "ks_p": s.ks_p, "ks_bound": s.ks_bound,
                        "wasserstein": s.wasserstein, "wasserstein_bound": s.wasserstein_bound,
                        "wasserstein_norm": s.wasserstein_norm, "wasserstein_norm_bound": s.wasserstein_norm_bound,
                        "exact": s.exact, "mean_reference": c.mean_ref, "mean_current": c.mean_cur})
        if c.categorical is not None:
            s2 = c.categorical
            row.update({"psi": s2.psi, "js": s2.js, "chi2": s2.chi2, "chi2_p": s2.chi2_p, "dof": s2.dof,
                        "pooled_categories": s2.pooled, "hashed": s2.hashed,
                        "new_categories": [list(x) for x in s2.new], "vanished_categories": [list(x) for x in s2.vanished]})
        cols.append(row)
    outs = []
    for out in a.outputs:
        row = {"key": out.key, "label": out.label, "reference": out.reference, "current": out.current, "change": out.change,
               "ci": list(out.ci), "test": out.test, **(_judged_dict(out.judged) or {})}
        if out.numeric is not None:
            row.update({"psi": out.numeric.psi, "ks": out.numeric.ks, "ks_bound": out.numeric.ks_bound})
        if out.categorical is not None:
            row.update({"psi": out.categorical.psi, "chi2": out.categorical.chi2, "js": out.categorical.js})
        outs.append(row)
    fair = {}
    for f in a.fairness:
        fair[f.grouping] = {
            "how": f.how, "skipped": f.skipped,
            "reference_group": f.rates[0].reference_group if f.rates else None,
            "rates": [{"group": r.group, "rate": r.rate, "n_reference": r.n_ref, "n_current": r.n_cur, "reference": r.reference,
                       "current": r.current, "change": r.change.value, "ci": list(r.change.ci), "p": r.change.p, "test": r.change.test,
                       "gap_reference": r.gap_ref, "gap_current": r.gap_cur, "gap_change": r.gap_change,
                       "gap_ci": list(r.gap_ci), "judged": _judged_dict(r.judged)} for r in f.rates],
            "worst_selection_rate_ratio": None if f.ratio is None else {
                "reference": f.ratio.reference, "current": f.ratio.current, "change": f.ratio.change, "ci": list(f.ratio.ci),
                "groups_reference": list(f.ratio.groups_ref), "groups_current": list(f.ratio.groups_cur),
                "status": f.ratio.status, "reason": f.ratio.reason},
            "unmatched_groups": [list(u) for u in f.unmatched],
        }
    result: dict[str, Any] = {"reference": dict(a.reference), "current_rows": a.current_rows, "columns": cols, "outputs": outs,
                               "fairness": fair, "notes": [{"status": s, "message": m, "key": k} for s, m, k in a.notes]}
    if a.error_groups:
        result["error_groups"] = {eg.grouping: {"how": eg.how, "skipped": eg.skipped, "groups": [
            {"group": g.group, "n_reference": g.n_ref, "n_current": g.n_cur, "mean_prediction": list(g.prediction),
             "mean_residual": list(g.residual), "residual_change": g.residual_change.value,
             "residual_change_ci": list(g.residual_change.ci), "residual_change_p": g.residual_change.p, "mae": list(g.mae),
             "prediction_psi": _judged_dict(g.psi), "mae_rise": _judged_dict(g.mae_rise)} for g in eg.groups]}
            for eg in a.error_groups}
    if a.estimate is not None:
        result["estimate"] = estimate_details(a.estimate)
    if a.windows:
        first = next((w for w in a.windows if w.status == "fail"), None)
        result["windows"] = {"window": a.window, "first_failing": None if first is None else first.label,
                             "items": [window_details(w, _judged_dict) for w in a.windows]}
    return result
