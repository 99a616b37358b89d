"""Fairness: disaggregated metrics with uncertainty, disparities judged in the direction of harm, mitigation cost, proxies.

For each sensitive feature and each intersection of two, the check counts
per-group confusion cells and score histograms (exact sums, mergeable across chunks),
then computes Wilson intervals for every rate, intervals for the ratios and
differences against the reference group, DeLong intervals for AUC,
and a parity test for each disparity (chi-square, or Fisher's exact for small
counts) with Holm's correction across the groups of a feature.

**Direction of harm.** A disparity counts only in the direction that harms
the group: receiving the favourable outcome (``favourable``, default the
positive class) less often, being wrongly denied it more often, being held
to a stricter standard (a higher precision of favourable decisions). A group
that is *advantaged* beyond a threshold is reported, never failed.

**Reference group.** Configured per grouping, else the *most favoured*
adequately sized group (the highest favourable-outcome rate among groups of
at least ``min_group_size`` rows; for regression, the lowest error), for
single features and intersections alike.

**Status of a disparity** (:func:`raudit.plugin.judge`): *fail* when its
whole interval lies beyond the threshold on the harmful side; *pass* when it
lies wholly on the acceptable side; *inconclusive* when it straddles the
threshold; *not judged* when a group is too small or the metric has no
threshold (reported only). The intervals of a feature's groups hold jointly
(Holm's step-down levels, :func:`raudit.plugin.compare_groups`), Katz's log
interval for ratios and Newcombe's for differences.
The parity test's Holm-adjusted p-value is reported beside, not used.

The check is split in two: :func:`analyse` turns the context into frozen
records of numbers; :func:`present` turns those into findings, tables and
figures (the only place numbers become text).
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Literal

import numpy as np
import pandas as pd

from raudit.plugin import (
    DISPARITIES,
    PALETTE,
    REGRESSION_DISPARITIES,
    AuditContext,
    Batch,
    Check,
    CheckResult,
    Comparison,
    ConfigError,
    Estimate,
    Facts,
    Figure,
    Finding,
    GroupConfusion,
    GroupCounts,
    GroupErrors,
    GroupSpec,
    Harm,
    Options,
    Outcome,
    Plan,
    ScoreCounts,
    Status,
    Table,
    bar_chart,
    bounded_group_loss,
    choose_reference,
    class_outcomes,
    compare_outcomes,
    compare_regression,
    favourable_rates,
    fixed,
    interval,
    number,
    numeric_shift,
    option,
    p_value,
    slug,
    spec_codes,
    thresholds_of,
    wilson_interval,
)


@dataclass(frozen=True)
class FairnessOptions(Options):
    """Groups, thresholds and statistics of the fairness check."""

    min_group_size: int = option(30, "groups with fewer rows are shown but not judged", ge=1)
    intersections: bool = option(True, "also compare the groups of every pair of sensitive features")
    reference: Mapping[str, str | int | float] = option({}, "reference group per sensitive feature or intersection, e.g. "
                                                            "{ sex = \"Male\" } (default: the most favoured group of at least "
                                                            "min_group_size rows)")
    selection_rate_ratio_min: float | None = option(0.8, "a group's favourable-outcome rate below this fraction of the "
                                                         "reference group's is a disparity (four-fifths rule)", gt=0, le=1)
    tpr_difference_max: float | None = option(0.1, "true-positive rate lower than the reference group's by more than this is "
                                                   "a disparity (equal opportunity)", ge=0, le=1)
    fpr_difference_max: float | None = option(0.1, "false-positive rate differing from the reference group's by more than "
                                                   "this, in the group's disfavour, is a disparity (equalized odds)", ge=0, le=1)
    ppv_difference_max: float | None = option(0.1, "precision of favourable decisions higher than the reference group's "
                                                   "by more than this (a stricter standard) is a disparity", ge=0, le=1)
    fpr_ratio_min: float | None = option(None, "false-positive-rate ratio beyond this in the group's disfavour is a "
                                               "disparity (false: reported only)", gt=0, le=1)
    fnr_ratio_min: float | None = option(None, "false-negative-rate ratio beyond this in the group's disfavour is a "
                                               "disparity (false: reported only)", gt=0, le=1)
    ordered_classes: tuple[str | int | float, ...] = option((), "multiclass: the classes from the least to the most "
                                                                "favourable, e.g. [\"low\", \"medium\", \"high\"]: each split "
                                                                "'at least X' is judged in the direction of harm (a group "
                                                                "pushed down the order is harmed); default: no order, each "
                                                                "class against the rest judged both ways")
    mae_ratio_max: float | None = option(1.25, "regression: a group's mean absolute error above this multiple of the "
                                               "reference group's is a disparity", ge=1)
    rmse_ratio_max: float | None = option(None, "regression: a group's root mean squared error above this multiple of the "
                                                "reference group's is a disparity (false: reported only)", ge=1)
    prediction_ratio_min: float | None = option(0.95, "regression: a group's mean prediction ÷ mean target (calibration in "
                                                      "the large) below this fraction of the reference group's, or above its "
                                                      "inverse, in the direction of favourable_direction, is a disparity: a "
                                                      "systematic under- or over-estimate", gt=0, le=1)
    favourable_direction: Literal["higher", "lower", "either"] = option(
        "either", "regression: whether a higher prediction is what a person wants (a credit limit), a lower one (a price, "
                  "a risk score), or either: which side of prediction_ratio_min harms")
    prediction_ks_max: float | None = option(None, "regression: a Kolmogorov–Smirnov distance between a group's predictions "
                                                   "and the reference group's above this is a disparity (distributional "
                                                   "parity; false: reported only)", gt=0, le=1)
    group_loss_max: float | None = option(None, "regression: bounded group loss (fairlearn): a group whose mean loss is above "
                                                "this bound, in the target's units, is a disparity (false: the worst group's "
                                                "loss is reported only)", gt=0)
    group_loss: Literal["absolute", "squared"] = option("absolute", "regression: the loss of group_loss_max, the absolute or "
                                                                    "the squared error")
    alpha: float = option(0.05, "1 − the joint confidence level of a feature's disparity intervals (Bonferroni), and the "
                                "significance level of the parity tests (after Holm's correction)", gt=0, lt=1)
    mitigation: bool = option(True, "estimate what group-specific thresholds (fairlearn ThresholdOptimizer) would change")
    proxy_warn: float = option(0.3, "Cramér's V between an input and a sensitive attribute at or above which the input "
                                    "is flagged as a proxy", gt=0, le=1)
    max_findings: int = option(12, "disparity lines listed per finding before the rest is counted", ge=1)


# -- analysis records ------------------------------------------------------------------------------
@dataclass(frozen=True)
class GroupingStats:
    """Per-group rates of one grouping (a sensitive feature or an intersection), for one binary outcome.

    ``name`` is the section's name (``"class high: sex"`` for one class of a multiclass model), ``grouping`` the
    grouping's (``"sex"``), ``outcome`` the view's key (``""``, ``"class high"``, ``"at least medium"``) and ``judged``
    whether its disparities are judged or reported only.
    """

    name: str
    how: str
    intersection: bool
    groups: tuple[str, ...]
    n: np.ndarray
    rates: Mapping[str, np.ndarray]
    low: Mapping[str, np.ndarray]
    high: Mapping[str, np.ndarray]
    auc: np.ndarray
    auc_low: np.ndarray
    auc_high: np.ndarray
    ece: np.ndarray
    judged: np.ndarray
    reference: int
    reference_rule: str
    summary: Mapping[str, float]
    grouping: str = ""
    outcome: str = ""
    judged_view: bool = True
    labelled: np.ndarray | None = None  # rows per group whose label has arrived (None: all of ``n``)


@dataclass(frozen=True)
class Disparity:
    """One group compared with its reference group on one metric, judged."""

    grouping: str
    group: str
    reference: str
    metric: str
    kind: Literal["ratio", "difference"]
    harm: Harm
    group_value: float
    reference_value: float
    value: float
    ci: tuple[float, float]
    threshold: float | None
    p: float
    p_holm: float
    test: str
    n_group: int
    n_reference: int
    intersection: bool
    status: Status
    reason: str
    level: float = 0.95
    rows_to_decide: int | None = None
    outcome: str = ""

    @property
    def bound(self) -> str:
        """The harmful side of the threshold, in symbols: ``< 0.8``, ``> 1.25``, ``< -0.1``, ``outside ±0.1``."""
        t = self.threshold
        if t is None:
            return "—"
        if self.metric in ("group_loss", "prediction_ks"):  # compared with a bound of its own, not a signed difference
            return f"> {number(t)}"
        if self.kind == "ratio":
            return {"lower": f"< {number(t)}", "higher": f"> {number(1 / t)}", "either": f"< {number(t)} or > {number(1 / t)}"}[self.harm]
        return {"lower": f"< -{number(t)}", "higher": f"> +{number(t)}", "either": f"outside ±{number(t)}"}[self.harm]

    @property
    def severity(self) -> float:
        """How far beyond its threshold, in the harmful direction (1 = at the threshold; larger is worse)."""
        if self.threshold is None or not np.isfinite(self.value):
            return 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.kind == "ratio":
                below = self.threshold / self.value if self.value > 0 else np.inf
                above = self.value * self.threshold
                return float({"lower": below, "higher": above, "either": max(below, above)}[self.harm])
            d = self.value / self.threshold if self.threshold > 0 else np.inf * np.sign(self.value)
            return float({"lower": -d, "higher": d, "either": abs(d)}[self.harm])


@dataclass(frozen=True)
class Proxy:
    """How strongly an input column predicts a sensitive attribute."""

    attribute: str
    column: str
    cramers_v: float


@dataclass(frozen=True)
class MitigationRow:
    """What fairlearn's ThresholdOptimizer would change for one grouping and constraint (cross-fitted estimate)."""

    grouping: str
    constraint: str
    before: Mapping[str, float]
    after: Mapping[str, float] | None
    skipped: str = ""


@dataclass(frozen=True)
class FairnessAnalysis:
    """Everything the fairness check computed: numbers only, no text meant for people but names."""

    task: str
    outcome: str
    favourable_is_positive: bool | None
    groupings: tuple[GroupingStats, ...]
    disparities: tuple[Disparity, ...]
    regression_groups: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    classes: tuple[str, ...] = ()
    ordered: tuple[str, ...] = ()
    confusions: Mapping[str, GroupConfusion] = field(default_factory=dict)
    class_gaps: Mapping[str, Mapping[str, Mapping[str, float]]] = field(default_factory=dict)
    mitigation: tuple[MitigationRow, ...] = ()
    mitigation_note: str = ""
    mitigation_rows: int = 0
    rows: int = 0
    proxies: Mapping[str, tuple[Proxy, ...]] = field(default_factory=dict)
    direct_use: tuple[str, ...] = ()
    unlabelled: int = 0  # rows whose label has not arrived: in selection rates, not in label-based rates


class FairnessCheck(Check):
    """Group metrics, disparities with intervals and significance in the direction of harm, mitigation cost, proxies."""

    name = "fairness"
    title = "Fairness"
    order = 20
    evidence = {
        "EU-AIA-10.2.f": "group outcomes and proxies of sensitive attributes",
        "EU-AIA-10.2.g": "disparities tested for significance; mitigation estimate",
        "EU-AIA-13.3.b.v": "performance per sensitive group and intersection",
        "EU-AIA-IV.2.g": "metrics of potentially discriminatory impact",
        "EU-AIA-IV.3": "accuracy for specific groups of persons",
        "NIST-MEASURE-2.11": "fairness metrics with intervals and tests",
    }
    requires = frozenset({"sensitive"})
    Options = FairnessOptions

    def validate(self, facts: Facts, options: FairnessOptions) -> None:  # noqa: D102
        groupings = {g.name: g for g in _grouping_plan(facts.groupings, options)}
        for col, group in options.reference.items():
            where = f"[check.fairness].reference.{col}"
            if col not in groupings:
                raise ConfigError(f"{where}: {col!r} is not a sensitive feature or intersection of this audit",
                                  hint=f"groupings: {', '.join(groupings)}")
            # an intersection's group is "a & b": each part must be a group of its column (whether the two occur together
            # is known after the second pass; analyse() then refuses a reference group without rows)
            parts = str(group).split(" & ") if groupings[col].intersection else [str(group)]
            for member, part in zip(groupings[col].members, parts):
                present = facts.group_names(member)
                if present is not None and (part not in present or len(parts) != len(groupings[col].members)):
                    close = difflib.get_close_matches(part, list(present), n=1)
                    raise ConfigError(f"{where}: group {group!r} does not occur in the data",
                                      hint=(f"did you mean {close[0]!r}? " if close else "")
                                      + f"groups of {member}: {_short(list(present))}")
        _validate_order(facts, options)

    def summarise(self, batch: Batch, plan: Plan, options: FairnessOptions) -> FairnessSummary:  # noqa: D102
        return summarise(batch, plan, options)

    def analyse(self, ctx: AuditContext, options: FairnessOptions) -> FairnessAnalysis:  # noqa: D102
        return analyse(ctx, options)

    def present(self, a: FairnessAnalysis, o: FairnessOptions) -> CheckResult:
        """Findings, tables and figures from the analysis."""
        findings = _unlabelled_findings(a) + _verdicts(a, o) + _base_rate_findings(a) + _proxy_findings(a, o)
        tables: list[Table] = []
        figures: list[Figure] = []
        if a.task == "regression":
            tables += _regression_tables(a, o)
        else:
            tables += _key_disparity_table(a, o)
            tables += _class_tables(a)
            leads = {id(next(g for g in a.groupings if g.grouping == name and g.judged_view))
                     for name in dict.fromkeys(g.grouping for g in a.groupings)}
            for g in a.groupings:
                tables += _group_tables(g, o, a, lead=id(g) in leads)
                figures += _group_figures(g, o, lead=id(g) in leads) if g.judged_view else []
            tables += _confusion_tables(a)
            tables.append(_disparity_table(a, o, appendix=True))
        if a.mitigation:
            tables.append(_mitigation_table(a))
        proxy = _proxy_table(a, o)
        if proxy is not None:
            tables.append(proxy)
        return self.result(findings=findings, summary=_headline(a, findings), metrics=_metrics(a), tables=tables,
                           figures=figures, details=_details(a))


#: Raised when ordered_classes does not list each class once.
ORDER_CLASSES = "[check.fairness].ordered_classes must list each of the model's classes once, from the least to the most favourable"


def _validate_order(facts: Facts, o: FairnessOptions) -> None:
    """``ordered_classes`` names every class of a multiclass model once, and is not set beside a favourable class."""
    if not o.ordered_classes:
        return
    where = "[check.fairness].ordered_classes"
    if facts.task != "multiclass":
        raise ConfigError(f"{where} orders the classes of a multiclass model; this model is {facts.task}",
                          hint="set favourable (the class a person wants) for a binary model, favourable_direction for a "
                               "regressor" if facts.task == "binary" else "set favourable_direction for a regressor")
    assert facts.classes is not None
    classes, given = [str(c) for c in facts.classes], [str(c) for c in o.ordered_classes]
    if sorted(given) != sorted(classes):
        raise ConfigError(f"{ORDER_CLASSES}; got {given} ({_order_problems(classes, given)})",
                          hint=f"the model's classes are {classes}")
    if facts.favourable is not None:
        raise ConfigError(f"{where} and favourable are both set: an order already says which way is favourable",
                          hint="keep ordered_classes (each split 'at least X' judged) or favourable (one class against the rest)")



def _order_problems(classes: list[str], given: list[str]) -> str:
    """What is wrong with an order that is not the classes each once: missing, unknown and repeated names."""
    missing, unknown = [c for c in classes if c not in given], [g for g in given if g not in classes]
    repeated = sorted({g for g in given if given.count(g) > 1})
    parts = [(missing, "missing"), (unknown, "not classes"), (repeated, "repeated")]
    return "; ".join(f"{what} {names}" for names, what in parts if names)

# -- summaries (one chunk; they add up) ---------------------------------------------------------------
@dataclass(frozen=True)
class FairnessSummary:
    """What the fairness check keeps of a chunk.

    Per-group counts per outcome and grouping, per-group confusion matrices (multiclass), per-group error sums and
    prediction sketches (regression), crosstabs of inputs and sensitive columns.
    """

    counts: Mapping[tuple[str, str], GroupCounts]
    errors: Mapping[str, GroupErrors]
    crosstabs: Mapping[tuple[str, str], Mapping[tuple[str, str], int]]
    confusions: Mapping[str, GroupConfusion] = field(default_factory=dict)

    def __add__(self, other: FairnessSummary) -> FairnessSummary:
        crosstabs = {}
        for k in dict.fromkeys([*self.crosstabs, *other.crosstabs]):
            a, b = self.crosstabs.get(k, {}), other.crosstabs.get(k, {})
            crosstabs[k] = {cell: a.get(cell, 0) + b.get(cell, 0) for cell in dict.fromkeys([*a, *b])}
        return FairnessSummary(_merged(self.counts, other.counts), _merged(self.errors, other.errors), crosstabs,
                               _merged(self.confusions, other.confusions))


def _merged(a: Mapping[Any, Any], b: Mapping[Any, Any]) -> dict[Any, Any]:
    """Two mappings of mergeable summaries, added key by key (a key of one only is kept as it is)."""
    return {k: a[k] + b[k] if k in a and k in b else a.get(k) or b[k] for k in dict.fromkeys([*a, *b])}


@dataclass(frozen=True)
class _Grouping:
    name: str
    how: str
    intersection: bool
    members: tuple[str, ...]


def _grouping_plan(specs: Sequence[GroupSpec], o: FairnessOptions) -> list[_Grouping]:
    """Each sensitive column, then every pair of them (when ``intersections``)."""
    out = [_Grouping(s.column, s.how, False, (s.column,)) for s in specs]
    if o.intersections:
        for a, b in combinations([s.column for s in specs], 2):
            out.append(_Grouping(f"{a} × {b}", f"intersection of {a} and {b}", True, (a, b)))
    return out


def _first_seen(batch: Batch, column: str) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize`` of a column's group labels (codes in order of first appearance), from its integer codes."""
    codes, names = batch.codes(column)
    text = [str(n) for n in names]
    if len(set(text)) < len(text):  # two codes, one label: factorise the labels themselves
        return pd.factorize(batch.groups[column], sort=False)
    first, seen = pd.factorize(np.asarray(codes), sort=False)
    return first, np.asarray(text, dtype=object)[seen]


def _codes(batch: Batch, g: _Grouping) -> tuple[np.ndarray, np.ndarray]:
    """The grouping's codes and names (``names[codes]`` are the labels, "a & b" for a pair), without text per row."""
    codes, names = batch.codes(g.members[0])
    names = np.asarray(names, dtype=object)
    for col in g.members[1:]:
        more, more_names = batch.codes(col)
        more_names = np.asarray(more_names, dtype=object)
        codes = np.asarray(codes, dtype=np.int64) * len(more_names) + more
        names = np.array([f"{a} & {b}" for a in names for b in more_names], dtype=object)
    return codes, names


def _named(coded: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Each row's group label (text) from its grouping's codes and names."""
    codes, names = coded
    return names[np.asarray(codes, dtype=np.int64)]


def _outcomes(task: str, classes: np.ndarray | None, positive: Any, favourable: Any, o: FairnessOptions) -> tuple[Outcome, ...]:
    """The binary views of the classifier (:func:`raudit.plugin.class_outcomes`): which are judged, in which direction."""
    assert classes is not None
    return class_outcomes(classes, binary=task == "binary", positive=positive, favourable=favourable,
                          ordered=o.ordered_classes if task == "multiclass" else ())


def _class_index(classes: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each value's index among the classes (labels are in the classes' type: the engine aligned them)."""
    return pd.Index(classes).get_indexer(pd.Index(values)).astype(np.int64)


def summarise(batch: Batch, plan: Plan, o: FairnessOptions) -> FairnessSummary:
    """Count one chunk.

    Per outcome and grouping, confusion cells and score histograms (and, for a multiclass model, each group's confusion
    matrix); for a regressor, per-group error sums and prediction sketches; crosstabs of inputs and sensitive columns.
    """
    groupings = _grouping_plan(plan.specs, o)
    coded = {g.name: _codes(batch, g) for g in groupings}  # integer codes: no label text per row where counts suffice
    counts: dict[tuple[str, str], GroupCounts] = {}
    errors: dict[str, GroupErrors] = {}
    confusions: dict[str, GroupConfusion] = {}
    if plan.task == "regression":
        for g in groupings:
            errors[g.name] = GroupErrors.from_arrays(_named(coded[g.name]), batch.y.astype(float), batch.y_pred.astype(float))
    else:
        assert plan.classes is not None
        y_index, p_index = _class_index(plan.classes, batch.y), _class_index(plan.classes, batch.y_pred)
        k = len(plan.classes)
        for outcome in _outcomes(plan.task, plan.classes, plan.positive_label, plan.favourable, o):
            side = np.isin(np.arange(k), outcome.members)
            y01, yhat01 = side[y_index].astype(int), side[p_index].astype(int)
            score = None if batch.y_proba is None else batch.y_proba[:, list(outcome.members)].sum(axis=1)
            for g in groupings:
                counts[(outcome.key, g.name)] = GroupCounts.from_codes(*coded[g.name], y01, yhat01, score,
                                                                       labelled=batch.labelled)
        if plan.task == "multiclass":
            confusions = {g.name: GroupConfusion.from_arrays(_named(coded[g.name]), y_index, p_index, k) for g in groupings}
    return FairnessSummary(counts, errors, _crosstabs(batch, plan), confusions)


def _crosstabs(batch: Batch, plan: Plan) -> dict[tuple[str, str], dict[tuple[str, str], int]]:
    """Counts of each (input bin, group) pair of each sensitive column and model input (for proxies)."""
    crosstabs = {}
    inputs = {col: spec_codes(batch.frame[col], spec) for col, spec in plan.input_specs if spec is not None}
    for spec in plan.specs if inputs else ():
        group_codes, group_names = _first_seen(batch, spec.column)
        width = len(group_names)
        for col, (codes, names) in inputs.items():
            if col == spec.column:
                continue
            cells = np.bincount(codes * width + group_codes, minlength=len(names) * width)
            crosstabs[(spec.column, col)] = {(str(names[k // width]), str(group_names[k % width])): int(cells[k])
                                             for k in np.flatnonzero(cells)}
    return crosstabs


# -- analysis ----------------------------------------------------------------------------------------
def analyse(ctx: AuditContext, o: FairnessOptions) -> FairnessAnalysis:
    """Compute every number of the fairness check from its summary and the sample (no formatting)."""
    summary: FairnessSummary = ctx.summaries["fairness"]
    groupings = _grouping_plan(ctx.groupings, o)
    rng = ctx.rng("fairness")
    proxies = _proxies(ctx, summary, o)
    if ctx.task == "regression":
        tables: dict[str, pd.DataFrame] = {}
        disparities: list[Disparity] = []
        for g in groupings:
            frame, ds = _regression(summary.errors[g.name], g, o)
            tables[g.name] = frame
            disparities += ds
        return FairnessAnalysis("regression", f"predictions of {ctx.roles.target}", None, (), tuple(disparities),
                                regression_groups=tables, **proxies)
    assert ctx.classes is not None
    outcomes = _outcomes(ctx.task, ctx.classes, ctx.positive_label, ctx.favourable, o)
    stats, found = _classification(summary, groupings, outcomes, o, _order(ctx.classes, o))
    fav = outcomes[0].favourable_is_positive if outcomes[0].judged else None
    outcome = _outcome_words(ctx, outcomes, o)
    mitigation, note = _mitigation_or_why_not(ctx, groupings, o, rng)
    classes = tuple(str(c) for c in ctx.classes)
    multiclass: dict[str, Any] = {} if ctx.task != "multiclass" else {
        "classes": classes, "ordered": tuple(str(c) for c in o.ordered_classes), "confusions": dict(summary.confusions),
        "class_gaps": {g.name: _class_gaps([s for s in stats if s.grouping == g.name and s.outcome.startswith("class ")])
                       for g in groupings}}
    return FairnessAnalysis(ctx.task, outcome, fav, tuple(stats), tuple(found), mitigation=mitigation,
                            mitigation_rows=len(ctx.sample.with_labels()), rows=ctx.n_rows, mitigation_note=note,
                            unlabelled=ctx.facts.plan.unlabelled, **multiclass, **proxies)


def _outcome_words(ctx: AuditContext, outcomes: Sequence[Outcome], o: FairnessOptions) -> str:
    """What the judged outcome is, in words: the favourable class, each class against the rest, or each level of an order."""
    target = ctx.roles.target
    judged = [x for x in outcomes if x.judged]
    if ctx.task == "binary" or not judged[0].key:
        return f"{target} = {ctx.favourable}"
    return f"{target} at or above each level of its order" if o.ordered_classes else f"each class of {target}, one against the rest"


def _mitigation_or_why_not(ctx: AuditContext, groupings: Sequence[_Grouping], o: FairnessOptions,
                           rng: np.random.Generator) -> tuple[tuple[MitigationRow, ...], str]:
    """The mitigation rows (a binary classifier with scores, mitigation on), or why there are none."""
    if not o.mitigation:
        return (), "turned off (mitigation = false)"
    if ctx.task != "binary" or ctx.score(ctx.sample) is None:
        return (), "needs a binary classifier with scores (predicted probabilities)"
    labelled = ctx.sample.with_labels()
    if len(np.unique(labelled.y)) < 2:
        return (), "needs labelled rows of both classes in the sample (the labels have not arrived)"
    return _mitigation(ctx, [g for g in groupings if not g.intersection][:3], rng), ""


def _classification(summary: FairnessSummary, groupings: Sequence[_Grouping], outcomes: Sequence[Outcome],
                    o: FairnessOptions, order: Sequence[int]) -> tuple[list[GroupingStats], list[Disparity]]:
    """Each grouping's views.

    One reference group for all of them, the judged views as one family per disparity (Holm across groups ×
    classes), the others reported only.
    """
    stats: list[GroupingStats] = []
    out: list[Disparity] = []
    judged = [x for x in outcomes if x.judged]
    fav = judged[0].favourable_is_positive
    for g in groupings:
        views = {x.key: summary.counts[(x.key, g.name)] for x in outcomes}
        ref, rule = _reference(views[judged[0].key], summary.confusions.get(g.name), fav, g, o, order)
        for family, thresholds, direction in ((judged, thresholds_of(DISPARITIES, o), fav),
                                              ([x for x in outcomes if not x.judged], {}, None)):
            if not family:
                continue
            compared = compare_outcomes([views[x.key] for x in family], ref, direction, thresholds, alpha=o.alpha,
                                        min_group_size=o.min_group_size)
            for x, comparisons in zip(family, compared):
                gc = views[x.key]
                stats.append(_group_stats(gc, g, x, ref, rule, o))
                out += [_disparity(g.name, gc.groups, c, g.intersection, x.key) for c in comparisons]
    return stats, out


def _reference(gc: GroupCounts, confusion: GroupConfusion | None, fav: bool | None, g: _Grouping, o: FairnessOptions,
               order: Sequence[int]) -> tuple[int, str]:
    """The grouping's reference group.

    Configured; else the most favoured group of adequate size (the highest favourable-outcome rate, or the highest
    mean predicted level of ordered classes); else, with no direction, the largest.
    """
    n = gc.n
    if order and confusion is not None:
        level = confusion.mean_levels(order)
        return choose_reference(gc.groups, n, n >= o.min_group_size, level, o.reference.get(g.name), favoured="highest")
    return choose_reference(gc.groups, n, n >= o.min_group_size, favourable_rates(gc, fav), o.reference.get(g.name),
                            favoured="highest" if fav is not None else None)


def _order(classes: Sequence[Any] | np.ndarray, o: FairnessOptions) -> list[int]:
    """The class indices of ``ordered_classes``, least favourable first (empty without an order)."""
    text = [str(c) for c in classes]
    return [text.index(str(c)) for c in o.ordered_classes]


def _group_stats(gc: GroupCounts, grouping: _Grouping, outcome: Outcome, ref: int, rule: str, o: FairnessOptions) -> GroupingStats:
    """Every rate of one view with its Wilson interval, each group's AUC with DeLong's, calibration error, summaries."""
    fav_positive = outcome.favourable_is_positive
    n = gc.n
    rates = dict(gc.rates())
    rates["favourable_rate"] = favourable_rates(gc, fav_positive)
    low, high = {}, {}
    for r in gc.RATE_CELLS:
        low[r], high[r] = wilson_interval(*gc.rate_counts(r))
    if fav_positive is False:
        low["favourable_rate"], high["favourable_rate"] = 1 - high["selection_rate"], 1 - low["selection_rate"]
    else:
        low["favourable_rate"], high["favourable_rate"] = low["selection_rate"], high["selection_rate"]
    auc_bounds = _auc_intervals(gc)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # no labelled row in any group: every error rate is NaN
        sr, tpr, fpr = rates["selection_rate"], rates["tpr"], rates["fpr"]
        summary = {
            "demographic_parity_difference": float(np.nanmax(sr) - np.nanmin(sr)),
            "demographic_parity_ratio": float(np.nanmin(sr) / np.nanmax(sr)) if np.nanmax(sr) > 0 else float("nan"),
            "equalized_odds_difference": float(max(np.nanmax(tpr) - np.nanmin(tpr), np.nanmax(fpr) - np.nanmin(fpr))),
            "equalized_odds_ratio": float(min(_safe_ratio(np.nanmin(tpr), np.nanmax(tpr)), _safe_ratio(np.nanmin(fpr), np.nanmax(fpr)))),
        }
    return GroupingStats(outcome.prefix + grouping.name, grouping.how, grouping.intersection, gc.groups, n, rates, low, high,
                         gc.auc(), np.array([b[0] for b in auc_bounds]), np.array([b[1] for b in auc_bounds]),
                         gc.calibration_error(), n >= o.min_group_size, ref, rule, summary, grouping.name, outcome.key,
                         outcome.judged, None if gc.unlabelled is None else gc.labelled)


def _class_gaps(views: Sequence[GroupingStats]) -> dict[str, dict[str, float]]:
    """Per rate, each class's largest gap between two groups (max − min over groups, as fairlearn's differences)."""
    out: dict[str, dict[str, float]] = {}
    for rate in ("selection_rate", "tpr", "fpr"):
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a class no group has: all-NaN rates
            out[rate] = {v.outcome.removeprefix("class "): float(np.nanmax(v.rates[rate]) - np.nanmin(v.rates[rate])) for v in views}
    return out


def _safe_ratio(a: float, b: float) -> float:
    return float(a / b) if b > 0 else float("nan")


def _disparity(grouping: str, groups: tuple[str, ...], c: Comparison, intersection: bool, outcome: str = "") -> Disparity:
    """A judged comparison (:func:`raudit.plugin.compare_groups`) under the grouping's names."""
    return Disparity(grouping, groups[c.group], groups[c.reference] if c.metric != "group_loss" else "the bound", c.metric,
                     c.kind, c.harm, c.a, c.b, c.value, c.ci, c.threshold, c.p, c.p_holm, c.test, c.n_group, c.n_reference,
                     intersection, c.verdict.status, c.verdict.reason, c.level, c.verdict.rows_to_decide, outcome)


def _auc_intervals(gc: GroupCounts) -> list[tuple[float, float]]:
    """Each group's DeLong interval of its ROC-AUC, from its score histogram (ties within a bin count half)."""
    if gc.hist is None:
        return [(float("nan"), float("nan"))] * len(gc.groups)
    bins = np.arange(gc.hist.shape[-1], dtype=float)
    return [ScoreCounts(bins, gc.hist[i][0].astype(np.int64), gc.hist[i][1].astype(np.int64)).roc_auc_interval()
            for i in range(len(gc.groups))]


def _regression(ge: GroupErrors, grouping: _Grouping, o: FairnessOptions) -> tuple[pd.DataFrame, list[Disparity]]:
    """A regressor's groups from exact sums.

    Errors, bias and calibration in the large, distances between prediction distributions, judged against the
    reference group (lowest MAE) and, with ``group_loss_max``, against the bound.
    """
    n = ge.n
    mae = ge.mean("abs_error")
    ref, rule = choose_reference(ge.groups, n, n >= o.min_group_size, mae, o.reference.get(grouping.name), favoured="lowest")
    direction = {"higher": True, "lower": False, "either": None}[o.favourable_direction]
    comparisons = compare_regression(ge, ref, thresholds_of(REGRESSION_DISPARITIES, o), favourable=direction, alpha=o.alpha,
                                     min_group_size=o.min_group_size)
    if o.group_loss_max is not None:
        comparisons += bounded_group_loss(ge, o.group_loss_max, loss=o.group_loss, alpha=o.alpha, min_group_size=o.min_group_size)
    mean_p, mean_y = ge.mean("prediction"), ge.mean("target")
    shifts = [numeric_shift(ge.predictions[ref], s) for s in ge.predictions]
    with np.errstate(invalid="ignore", divide="ignore"):
        frame = pd.DataFrame({"g": list(ge.groups), "n": n, "mean_prediction": mean_p, "mean_target": mean_y,
                              "mean_error": mean_p - mean_y,
                              "prediction_ratio": np.where((mean_p > 0) & (mean_y > 0), mean_p / mean_y, np.nan),
                              "mae": mae, "rmse": np.sqrt(ge.mean("sq_error")),
                              "ks": [s.ks for s in shifts], "wasserstein": [s.wasserstein_norm for s in shifts],
                              "reference": [i == ref for i in range(len(ge.groups))]}).set_index("g")
    frame.attrs.update({"how": grouping.how, "reference_rule": rule, "intersection": grouping.intersection})
    return frame, [_disparity(grouping.name, ge.groups, c, grouping.intersection) for c in comparisons]


# -- mitigation ------------------------------------------------------------------------------------
def _mitigation(ctx: AuditContext, groupings: list[_Grouping], rng: np.random.Generator) -> tuple[MitigationRow, ...]:
    """Estimate what fairlearn's ThresholdOptimizer would buy, cross-fitted on the audit's sample of rows."""
    from fairlearn.postprocessing import ThresholdOptimizer
    from sklearn.model_selection import StratifiedKFold

    sample = ctx.sample.with_labels()  # the labelled rows: what an error rate can be measured on
    score = ctx.score(sample)
    assert score is not None
    y = (sample.y == ctx.positive_label).astype(int)
    before_pred = (sample.y_pred == ctx.positive_label).astype(int)
    X = np.round(score, 3).reshape(-1, 1)  # thresholds searched on a 0.001 grid: 5x faster, stated in the table's note
    seed = int(rng.integers(2**31 - 1))
    out = []
    for grouping in groupings:
        sf = np.asarray(sample.groups[grouping.name], dtype=str)
        before = _dp_eo(sf, y, before_pred)
        for constraint in ("demographic_parity", "equalized_odds"):
            after_pred = np.empty_like(y)
            fold_strata = pd.Series(sf) + "|" + pd.Series(y).astype(str)
            small = fold_strata.map(fold_strata.value_counts()) < 2
            fold_strata = fold_strata.where(~small, "rare")
            try:
                folds = StratifiedKFold(n_splits=2, shuffle=True, random_state=seed)
                for train, test in folds.split(X, fold_strata):
                    opt = ThresholdOptimizer(estimator=_ScoreColumn().fit(X, y), constraints=constraint,
                                             objective="accuracy_score", prefit=True, predict_method="predict_proba")
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        opt.fit(X[train], y[train], sensitive_features=sf[train])
                        after_pred[test] = opt.predict(X[test], sensitive_features=sf[test], random_state=seed)
            except Exception as exc:  # fairlearn refuses e.g. groups unseen in a fold
                out.append(MitigationRow(grouping.name, constraint, before, None, f"{type(exc).__name__}: {exc}"[:200]))
                continue
            out.append(MitigationRow(grouping.name, constraint, before, _dp_eo(sf, y, after_pred)))
    return tuple(out)


def _dp_eo(groups: np.ndarray, y: np.ndarray, yhat: np.ndarray) -> dict[str, float]:
    """Accuracy and fairlearn's demographic-parity and equalized-odds differences, from per-group counts."""
    gc = GroupCounts.from_arrays(groups, y, yhat)
    r = gc.rates()
    with np.errstate(invalid="ignore"):
        return {
            "accuracy": float((yhat == y).mean()),
            "demographic_parity_difference": float(np.nanmax(r["selection_rate"]) - np.nanmin(r["selection_rate"])),
            "equalized_odds_difference": float(max(np.nanmax(r["tpr"]) - np.nanmin(r["tpr"]), np.nanmax(r["fpr"]) - np.nanmin(r["fpr"]))),
        }


class _ScoreColumn:
    """A pre-fitted 'estimator' whose input is the model's positive-class score."""

    _estimator_type = "classifier"

    def fit(self, X: np.ndarray, y: np.ndarray) -> _ScoreColumn:
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = 1
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        s = np.asarray(X, dtype=float)[:, 0]
        return np.column_stack([1 - s, s])

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (np.asarray(X, dtype=float)[:, 0] >= 0.5).astype(int)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {}

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import ClassifierTags, Tags, TargetTags

        return Tags(estimator_type="classifier", target_tags=TargetTags(required=True), classifier_tags=ClassifierTags())


# -- proxies ---------------------------------------------------------------------------------------
def _proxies(ctx: AuditContext, summary: FairnessSummary, o: FairnessOptions) -> dict[str, Any]:
    """Cramér's V of each input with each sensitive attribute, from the crosstabs, and direct use."""
    from scipy.stats.contingency import association

    out = {}
    for attr in ctx.sensitive_columns:
        scores = []
        for (a, col), cells in summary.crosstabs.items():
            if a != attr:
                continue
            rows = sorted({x for x, _ in cells})
            cols = sorted({g for _, g in cells})
            table = np.zeros((len(rows), len(cols)), dtype=np.int64)
            for (x, g), k in cells.items():
                table[rows.index(x), cols.index(g)] = k
            v = 0.0 if min(table.shape) < 2 else float(association(table, method="cramer"))
            scores.append(Proxy(attr, col, v))
        out[attr] = tuple(sorted(scores, key=lambda p: (-p.cramers_v, p.column)))
    inputs = [c for c in ctx.features if ctx.model is not None or c not in ctx.sensitive_columns]
    direct = tuple(a for a in ctx.sensitive_columns if ctx.model is not None and a in inputs)
    return {"proxies": out, "direct_use": direct}


# -- presentation ----------------------------------------------------------------------------------
def _short(items: Sequence[str], limit: int = 12) -> str:
    return ", ".join(repr(i) for i in items[:limit]) + (f" and {len(items) - limit} more" if len(items) > limit else "")


#: The name of the rule each comparison tests, for sentences ("fails the four-fifths rule").
RULES = {"selection_rate": "the four-fifths rule", "tpr": "equal opportunity", "fpr": "equalized odds (false positives)",
         "ppv": "predictive parity", "fpr_ratio": "the false-positive-rate ratio threshold",
         "fnr_ratio": "the false-negative-rate ratio threshold", "mae": "the error-ratio threshold",
         "rmse": "the RMSE-ratio threshold", "mean_ratio": "calibration in the large", "prediction_ks": "distributional parity",
         "group_loss": "the bounded group loss"}
#: Which comparison leads a grouping's verdict when several fail: the four-fifths rule first, as regulators read it.
PRIORITY = ("selection_rate", "tpr", "fpr", "ppv", "fnr_ratio", "fpr_ratio", "mean_ratio", "mae", "rmse", "group_loss",
            "prediction_ks")
#: The headline comparison of a grouping that passes ("Closest: ..."): the four-fifths rule, or a regressor's bias and error.
HEADLINE = ("selection_rate", "mean_ratio", "mae")


def _label(metric: str) -> str:
    """The comparison's name in tables."""
    if metric == "group_loss":
        return "mean loss against the bound (bounded group loss)"
    return (DISPARITIES.get(metric) or REGRESSION_DISPARITIES[metric]).label


def _ci_words(d: Disparity) -> str:
    """``95 % CI``, or a family's Holm level: ``98.3 % CI, Holm``."""
    return f"{d.level * 100:.3g} % CI" + (", Holm" if d.level > 0.95 + 1e-9 else "")


def _sentence(d: Disparity, outcome: str) -> str:  # size: one sentence per kind of comparison
    """One disparity in words: who, what, how much, how sure."""
    digits = 4 if d.metric in REGRESSION_DISPARITIES or d.metric == "group_loss" else 3
    a, b = number(d.group_value, digits=digits), number(d.reference_value, digits=digits)
    sure = f"parity test {p_value(d.p_holm)}, Holm" if np.isfinite(d.p_holm) else "no test possible"
    ci = f"{_ci_words(d)} {interval(*d.ci, digits=2 if d.kind == 'ratio' and d.metric != 'mean_ratio' else 3)}"
    if d.metric == "selection_rate":
        what = f"the favourable outcome ({outcome})" if not d.outcome else f"'{d.outcome}'"
        return (f"{d.group} receives {what} at {fixed(d.value)}× the rate of {d.reference} "
                f"({fixed(d.group_value)} vs {fixed(d.reference_value)}; {ci.replace(' CI ', ' CI of the ratio ')}; {sure})")
    view = f" for '{d.outcome}'" if d.outcome else ""
    if d.metric == "mean_ratio":
        return (f"{d.group}'s mean prediction is {fixed(d.group_value)}× its mean actual value, against {fixed(d.reference_value)}× "
                f"for {d.reference}: {fixed(d.value)}× ({ci}; a {abs(1 - d.value):.1%} systematic "
                f"{'under' if d.value < 1 else 'over'}-estimate relative to {d.reference}; {sure.replace('parity test', 'z-test')})")
    if d.metric == "prediction_ks":
        return (f"{d.group}'s predictions differ in distribution from {d.reference}'s by a Kolmogorov–Smirnov distance of "
                f"{d.value:.3f} ({ci}, Dvoretzky–Kiefer–Wolfowitz; {sure.replace('parity test', 'KS test')})")
    if d.metric == "group_loss":
        return f"{d.group}'s mean loss is {a} ({ci}) against the bound {b}"
    if d.kind == "ratio":
        return (f"{d.group} has a {_words(d.metric)}{view} of {a} vs {b} for {d.reference}, {fixed(d.value, 2)}× ({ci}; {sure})")
    return (f"{d.group} has a {_words(d.metric)}{view} of {a} vs {b} for {d.reference} (difference {d.value:+.3f}; {ci}; {sure})")


def _words(metric: str) -> str:
    return (DISPARITIES.get(metric) or REGRESSION_DISPARITIES[metric]).words


def _judgement(d: Disparity) -> str:
    what = "ratio" if d.kind == "ratio" else ("distance" if d.metric == "prediction_ks" else
                                              "loss" if d.metric == "group_loss" else "difference")
    where = {"<": "below", ">": "above"}.get(d.bound[:1], "")
    limit = f"a {what} {where} {d.bound[2:]}" if where else f"a {what} {d.bound}"
    if d.harm == "either" and d.threshold is not None:
        low, high = (d.threshold, 1 / d.threshold) if d.kind == "ratio" else (-d.threshold, d.threshold)
        limit = f"a {what} outside {number(low)} to {number(high)}"
    if d.status == "fail":
        return f"fails {RULES[d.metric]} ({limit}): the whole interval lies beyond it"
    if d.status == "inconclusive":
        decide = (f"; about {d.rows_to_decide:,} rows in these two groups (now {d.n_group + d.n_reference:,}) would likely "
                  "decide it" if d.rows_to_decide else "")
        return f"inconclusive on {RULES[d.metric]} ({limit}): the interval straddles the threshold{decide}"
    if d.status == "warn":
        return f"breaks the warn threshold of {RULES[d.metric]} ({limit})"
    return f"within {RULES[d.metric]}, which fails at {limit}: the whole interval lies on the acceptable side"


#: How a grouping's harmful comparisons are ordered: fails first, then warnings, then the undecided.
SEVERITY = ("fail", "warn", "inconclusive")


# size: one verdict per grouping and outcome, worst first, capped at max_findings
def _verdicts(a: FairnessAnalysis, o: FairnessOptions) -> list[Finding]:
    """One finding per grouping: the leading harmful or undecided disparity, or the closest call and why it passes."""
    out = []
    for name in dict.fromkeys(d.grouping for d in a.disparities):
        rows = [d for d in a.disparities if d.grouping == name]
        bad = sorted([d for d in rows if d.status in SEVERITY],
                     key=lambda d: (SEVERITY.index(d.status), PRIORITY.index(d.metric), -d.severity))
        judged = [d for d in rows if d.status != "skipped"]
        reference = rows[0].reference
        key = f"{slug(name)}.verdict"
        if bad:
            lead = bad[0]
            rest = ""
            if len(bad) > 1:
                others = bad[1:]
                what = ", ".join(dict.fromkeys(RULES[d.metric] for d in others))
                counts = ", ".join(f"{k} {s}" for s in SEVERITY if (k := sum(d.status == s for d in others)))
                rest = (f" Also for {name}: {len(others)} more disparit{'y' if len(others) == 1 else 'ies'} ({counts}) "
                        f"on {what}; see the disparity table.")
            out.append(Finding(lead.status, f"[{name}] {_sentence(lead, a.outcome)}: {_judgement(lead)}.{rest}", key))
        elif judged:
            ratios = [d for d in judged if d.metric in HEADLINE]
            closest = min(ratios, key=lambda d: -d.severity) if ratios else None
            compared = {d.group for d in judged if d.metric != "group_loss"}
            text = f"[{name}] No group is disadvantaged beyond the thresholds ({len(compared)} group(s) compared " \
                   f"with {reference}, {_rule_words(a, name)}; every interval lies on the acceptable side)"
            if closest is not None:
                text += f". Closest: {_sentence(closest, a.outcome)}: {_judgement(closest)}"
            out.append(Finding("pass", text + ".", key))
        else:
            out.append(Finding("skipped", f"[{name}] Not judged: every comparison with {reference} involves a group smaller than "
                                          f"{o.min_group_size} rows or a metric without a threshold.", key))
    return out


def _rule_words(a: FairnessAnalysis, name: str) -> str:
    for g in a.groupings:
        if name in (g.name, g.grouping):
            return g.reference_rule
    frame = a.regression_groups.get(name)
    return str(frame.attrs.get("reference_rule", "")) if frame is not None else ""


def _unlabelled_findings(a: FairnessAnalysis) -> list[Finding]:
    """Rows whose label has not arrived: what they count in, and what they are left out of."""
    if not a.unlabelled:
        return []
    whole = a.unlabelled >= a.rows
    left = ("every rate that needs a label (TPR, FPR, PPV, accuracy, AUC, calibration) and mitigation is not measured, "
            "as no row has one yet" if whole else
            "the rates that need one (TPR, FPR, PPV, accuracy, AUC, calibration) and mitigation use the "
            f"{a.rows - a.unlabelled:,} labelled rows, each group with its own count")
    return [Finding("skipped", f"Label-based rates not measured on {a.unlabelled:,} of {a.rows:,} rows: they have no label "
                               f"yet. Selection rates count every row; {left}.", key="unlabelled_rows")]


def _base_rate_findings(a: FairnessAnalysis) -> list[Finding]:
    """Where the labels' base rates differ by group: error-rate comparisons inherit whatever bias the labels carry."""
    differ = []
    for g in a.groupings:
        base = g.rates["base_rate"]
        ref = float(base[g.reference])
        judged = [i for i in range(len(g.groups)) if g.judged[i] and i != g.reference and np.isfinite(base[i])]
        if g.intersection or not g.judged_view or not ref > 0 or not judged:
            continue
        i = min(judged, key=lambda i: -abs(float(np.log(max(float(base[i]), 1e-12) / ref))))
        ratio = float(base[i]) / ref
        if not 0.8 <= ratio <= 1.25:
            differ.append(f"{g.groups[i]} {fixed(base[i])} vs {g.groups[g.reference]} {fixed(ref)} ({fixed(ratio, 2)}×, {g.name})")
    if not differ:
        return []
    return [Finding("pass", f"The labels' base rate ({a.outcome}) differs by group: {'; '.join(differ)}. If the labels record "
                            "past decisions, they may carry the bias under audit: comparisons of error rates against them (TPR, "
                            "FPR, PPV: equal opportunity, equalized odds, predictive parity) inherit it, while the "
                            "favourable-outcome ratio compares the model's decisions alone.", "base_rates")]


def _proxy_findings(a: FairnessAnalysis, o: FairnessOptions) -> list[Finding]:
    out = []
    for attr, proxies in a.proxies.items():
        strong = [p for p in proxies if p.cramers_v >= o.proxy_warn]
        if strong:
            listed = ", ".join(f"{p.column} (V = {p.cramers_v:.2f})" for p in strong[:3])
            out.append(Finding("warn", f"[{attr}] Strong proxies: {listed}. A model can treat groups differently through these "
                                       f"columns without seeing {attr}.", f"proxy.{slug(attr)}"))
    for attr in a.direct_use:
        out.append(Finding("warn", f"[{attr}] The model takes the sensitive attribute {attr} directly as an input.",
                           f"direct.{slug(attr)}"))
    return out


def _headline(a: FairnessAnalysis, findings: list[Finding]) -> str:  # size: one headline sentence whatever combination of findings there is
    verdicts = [f for f in findings if f.key.endswith(".verdict")]
    failing = [f.message.split("]")[0].lstrip("[") for f in verdicts if f.status == "fail"]
    warning = [f.message.split("]")[0].lstrip("[") for f in verdicts if f.status == "warn"]
    undecided = [f.message.split("]")[0].lstrip("[") for f in verdicts if f.status == "inconclusive"]
    single = [g for g in dict.fromkeys(d.grouping for d in a.disparities) if not any(d.intersection for d in a.disparities
                                                                                     if d.grouping == g)]
    parts = []
    if failing:
        parts.append(f"disparities fail for {', '.join(failing)}")
    if warning:
        parts.append(f"warn for {', '.join(warning)}")
    if undecided:
        parts.append(f"inconclusive for {', '.join(undecided)}")
    worst = _worst(a, intersection=False)
    if worst is not None and worst.status in SEVERITY:
        rate = f"rate of '{worst.outcome}'" if worst.outcome else "favourable-outcome rate"
        parts.append(f"worst: {worst.group} at {fixed(worst.value, 2)}× the {rate} of {worst.reference} ({worst.grouping})")
    if not parts:
        parts.append(f"no disparity beyond the thresholds across {len(single)} sensitive feature(s)")
    proxies = sum(f.key.startswith("proxy.") for f in findings)
    if proxies:
        parts.append(f"strong proxies for {proxies} attribute(s)")
    if a.direct_use:
        parts.append(f"the model takes {', '.join(a.direct_use)} directly")
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


def _worst(a: FairnessAnalysis, *, intersection: bool) -> Disparity | None:
    pool = [d for d in a.disparities if d.metric == "selection_rate" and d.intersection == intersection
            and d.status != "skipped" and np.isfinite(d.value)]
    return min(pool, key=lambda d: d.value) if pool else None


def _metrics(a: FairnessAnalysis) -> dict[str, Any]:
    m: dict[str, Any] = {}
    for g in a.groupings:
        for k, v in g.summary.items():
            m[f"{k}.{slug(g.name)}"] = v
    for label, intersection in (("", False), ("intersection_", True)):
        w = _worst(a, intersection=intersection)
        if w is not None:
            m[f"worst_{label}selection_rate_ratio"] = w.value
            m[f"worst_{label}selection_rate_ratio_group"] = f"{w.grouping}: {w.group} vs {w.reference}"
    m.update(_task_metrics(a))
    m["disparities_failed"] = sum(d.status == "fail" for d in a.disparities)
    m["disparities_warned"] = sum(d.status == "warn" for d in a.disparities)
    m["disparities_inconclusive"] = sum(d.status == "inconclusive" for d in a.disparities)
    m["disparities_not_judged"] = sum(d.status == "skipped" for d in a.disparities)
    return m


STATUS_WORDS = {"pass": "pass", "warn": "warn", "fail": "fail", "inconclusive": "inconclusive", "skipped": "not judged",
                "error": "error"}


def _key_disparity_table(a: FairnessAnalysis, o: FairnessOptions) -> list[Table]:
    """The key table, left out when no disparity of a single feature fails, warns or is inconclusive (no empty table)."""
    key = _disparity_table(a, o, appendix=False)
    return [key] if key.rows else []


def _disparity_table(a: FairnessAnalysis, o: FairnessOptions, *, appendix: bool) -> Table:
    """Key table: harmful or undecided disparities of single features. Appendix: every other comparison."""
    rows = [d for d in a.disparities if (d.status in SEVERITY and not d.intersection) != appendix]
    rows.sort(key=lambda d: (d.intersection, d.grouping, [*SEVERITY, "pass", "skipped"].index(d.status), -d.severity))
    columns = ["feature", "group vs reference", "metric", "group", "reference", "disparity (CI)", "harmful if",
               "parity p (Holm)", "status"]
    formats = ["text", "text", "text", "3f", "3f", "3f", "text", "p", "text"]
    views = any(d.outcome for d in a.disparities)
    if views:
        columns.insert(2, "outcome")
        formats.insert(2, "text")
    body = [[d.grouping, f"{d.group} vs {d.reference}", *([d.outcome] if views else []), _label(d.metric).split(" (")[0],
             d.group_value, d.reference_value, Estimate(d.value, *d.ci), d.bound, d.p_holm, STATUS_WORDS[d.status]]
            for d in rows]
    if appendix:
        return Table("Every other comparison with the reference groups", columns, body, formats=formats, section="All comparisons",
                     appendix=True, note="Intersections, and the comparisons that pass or are not judged (too small a group, "
                                          "or no threshold). Ratios are group ÷ reference; differences are group − reference.")
    if a.task == "regression":
        return Table("Disparities that fail or are inconclusive (single sensitive features)", columns, body, formats=formats,
                     section="Disparities", note=_regression_note(a, o))
    return Table(
        "Disparities that fail or are inconclusive (single sensitive features)", columns, body, formats=formats,
        section="Disparities",
        note=f"Outcome: {a.outcome}. Judged in the direction of harm only: a lower favourable-outcome rate, true- or "
             "false-positive rate, or a higher precision of favourable decisions (a stricter standard). Ratios are "
             "group ÷ reference; differences are group − reference. fail = the whole interval lies beyond the threshold on "
             "the harmful side; pass = it lies wholly on the acceptable side; inconclusive = it straddles the threshold (the "
             "data cannot tell). Intervals: Katz's log interval for ratios, Newcombe's for differences, at "
             f"{1 - o.alpha:.0%} jointly for a feature's groups (Bonferroni: 95 % with one comparison, 97.5 % with two, …). "
             "The parity p-value (chi-square, or Fisher's exact when an expected count is below 5; Holm-adjusted) tests for "
             "any difference at all; it is reported, not used for the status. Comparisons that pass or are not judged, and "
             "those of intersections, are in the table 'Every other comparison' (under More) and in report.json.",
    )


def _group_tables(g: GroupingStats, o: FairnessOptions, a: FairnessAnalysis, *, lead: bool = True) -> list[Table]:
    order = np.argsort(-g.n, kind="stable")

    def est(rate: str, i: int) -> Estimate:
        return Estimate(g.rates[rate][i], g.low[rate][i], g.high[rate][i])

    def note(i: int) -> str:
        return "reference" if i == g.reference else ("" if g.judged[i] else f"too small to judge (< {o.min_group_size})")

    total = g.n.sum()
    outcomes = Table(
        f"{g.name}: outcomes by group",
        ["group", "n", "share", "base rate", "favourable-outcome rate (95 % CI)", "accuracy", "ROC-AUC (95 % CI)",
         "calibration error", "note"],
        [[g.groups[i], int(g.n[i]), g.n[i] / total, g.rates["base_rate"][i], est("favourable_rate", i), g.rates["accuracy"][i],
          Estimate(g.auc[i], g.auc_low[i], g.auc_high[i]), g.ece[i], note(i)] for i in order],
        formats=["text", "int", "%", "3f", "3f", "3f", "3f", "3f", "text"],
        note=f"Groups: {g.how}; missing values form the group 'missing'. Reference: {g.groups[g.reference]} "
             f"({g.reference_rule}). Rates: 95 % Wilson intervals. AUC: from 1,000-bin score histograms (within 0.002 of "
             "the exact value), DeLong's interval.",
        section=g.name, appendix=g.intersection or not lead,
    )
    lab = [] if g.labelled is None else [int(g.labelled[i]) for i in order]  # shown only when some labels are missing
    errors = Table(
        f"{g.name}: error rates by group",
        ["group", *(["labelled rows"] if lab else []), "TPR (95 % CI)", "FPR (95 % CI)", "FNR", "TNR", "PPV (95 % CI)", "NPV"],
        [[g.groups[i], *([lab[j]] if lab else []), est("tpr", i), est("fpr", i), g.rates["fnr"][i], g.rates["tnr"][i],
          est("ppv", i), g.rates["npv"][i]] for j, i in enumerate(order)],
        formats=["text", *(["int"] if lab else []), "3f", "3f", "3f", "3f", "3f", "3f"],
        note="TPR = true-positive rate, FPR = false-positive rate, FNR/TNR their complements, PPV = precision, NPV = "
             "negative predictive value, all for the positive class" + (", on the rows whose label has arrived" if lab else "")
             + ". 95 % Wilson intervals.",
        section=g.name, appendix=True,
    )
    return [outcomes, errors]


# size: three charts, the four-fifths line on the first
def _group_figures(g: GroupingStats, o: FairnessOptions, *, lead: bool = True) -> list[Figure]:
    shown = [i for i in np.argsort(-g.n, kind="stable") if g.n[i] > 0][:20]
    colors = [PALETTE[0] if g.judged[i] else "#9ca3af" for i in shown]
    out = []
    for rate, words in (("favourable_rate", "favourable-outcome rate"), ("tpr", "true-positive rate"),
                        ("fpr", "false-positive rate")):
        if rate != "favourable_rate" and g.intersection:  # intersections: the favourable-outcome rate only
            continue
        ratio = o.selection_rate_ratio_min if rate == "favourable_rate" else None
        line = None if ratio is None else ratio * g.rates[rate][g.reference]
        out.append(Figure(
            f"{g.name}: {words} by group",
            bar_chart([f"{g.groups[i]} (n={g.n[i]:,})" for i in shown], [g.rates[rate][i] for i in shown],
                      lows=[g.low[rate][i] for i in shown], highs=[g.high[rate][i] for i in shown],
                      reference=g.rates[rate][g.reference], reference_label=f"reference: {g.groups[g.reference]}",
                      threshold=line, threshold_label="" if ratio is None else f"{ratio:g} × reference",
                      colors=colors, xmin=0.0, xmax=1.0, xlabel=f"{words} (95 % Wilson interval)"),
            ("Grey bars are groups too small to judge. " if not g.judged[shown].all() else "")
            + ("" if line is None else f"The dotted line is {ratio:g} × the reference group's rate (the four-fifths rule): a "
                                       "group below it is below the threshold; whether it fails is read from the ratio's "
                                       "own interval in the disparity table. ")
            + ("" if len(shown) == len(g.groups) else f"The {len(shown)} largest of {len(g.groups)} groups."),
            section=g.name, appendix=g.intersection or rate != "favourable_rate" or not lead,
        ))
    return out


def _regression_note(a: FairnessAnalysis, o: FairnessOptions) -> str:
    """What a regressor's disparity table holds and how each kind is judged."""
    return (f"Outcome: {a.outcome}. Ratios are group ÷ reference: MAE and RMSE ratios harmful when higher; the prediction-to-"
            "target ratio (calibration in the large) harmful on the side favourable_direction names (either side by default); "
            "KS distance of the predictions harmful when large; bounded group loss (group_loss_max): a group's own mean "
            "loss against the bound (normal interval). fail = the whole interval lies beyond the threshold on the "
            "harmful side; pass = wholly on the acceptable side; inconclusive = it straddles the threshold. Intervals: delta "
            "method on the log scale from each group's exact sums (ratios), Dvoretzky–Kiefer–Wolfowitz (KS), all at Holm's "
            f"step-down levels across a feature's groups (family {1 - o.alpha:.0%}). The p-values (Welch's t, z, KS test; "
            "Holm-adjusted) are reported, not used for the status. Passing and unjudged comparisons are in 'Every other "
            "comparison' (under More) and in report.json.")


def _regression_tables(a: FairnessAnalysis, o: FairnessOptions) -> list[Table]:
    out = _key_disparity_table(a, o)
    for name, agg in a.regression_groups.items():
        ref = str(agg.index[agg["reference"].to_numpy()][0])
        out.append(Table(
            f"{name}: predictions and errors by group",
            ["group", "n", "mean prediction", "mean target", "mean error", "prediction ÷ target", "MAE", "RMSE",
             f"KS vs {ref}", f"W₁/σ vs {ref}", "note"],
            [[str(g), int(r.n), r.mean_prediction, r.mean_target, r.mean_error, r.prediction_ratio, r.mae, r.rmse,
              None if r.reference else r.ks, None if r.reference else r.wasserstein,
              "reference" if r.reference else ("" if r.n >= o.min_group_size else "too small to judge")]
             for g, r in agg.iterrows()],
            formats=["text", "int", "", "", "", "3f", "", "", "3f", "3f", "text"],
            note=f"Groups: {agg.attrs['how']}. Reference: {ref} ({agg.attrs['reference_rule']}). Mean error = mean "
                 "prediction − mean target (negative: the group's values are under-predicted); prediction ÷ target = "
                 "calibration in the large (for positive means). KS = Kolmogorov–Smirnov distance between the group's "
                 "predictions and the reference group's; W₁/σ = their Wasserstein distance ÷ the reference group's standard "
                 "deviation of predictions (from mergeable sketches: exact up to 256 distinct values, else within the "
                 "bucket grid's 0.4 %). Every number comes from exact per-group sums, the same streamed or in memory.",
            section=name, appendix=bool(agg.attrs["intersection"]),
        ))
    out.append(_disparity_table(a, o, appendix=True))
    return out


def _class_tables(a: FairnessAnalysis) -> list[Table]:
    """A multiclass model's gaps between groups per class, with macro and worst-class summaries.

    With an order, also how often each group's rows are predicted below or above their true level.
    """
    out = []
    for name, gaps in a.class_gaps.items():
        if " × " in name:
            continue
        rows: list[list[Any]] = [[c, *(gaps[r][c] for r in gaps)] for c in a.classes]
        rows.append(["macro (mean over classes)", *(float(np.nanmean(list(gaps[r].values()))) for r in gaps)])
        rows.append(["worst class", *(_worst_class(gaps[r]) for r in gaps)])
        out.append(Table(f"{name}: the largest gap between two groups, class by class", ["class", "selection-rate gap",
                                                                                         "TPR gap", "FPR gap"], rows,
                         formats=["text", "3f", "3f", "3f"], section=name,
                         note="Each class against the rest: the highest group rate minus the lowest (fairlearn's "
                              "demographic-parity and equal-opportunity differences, one class at a time); macro = their "
                              "mean over the classes, worst = the largest and its class. Judged comparisons with intervals "
                              "are in the disparity table."))
    if a.ordered:
        out += [_moves_table(a, name, cm) for name, cm in a.confusions.items() if " × " not in name]
    return out


def _worst_class(gaps: Mapping[str, float]) -> str:
    """``0.210 (high)``: the largest gap and its class."""
    finite = {c: v for c, v in gaps.items() if np.isfinite(v)}
    return f"{fixed(max(finite.values()))} ({max(finite, key=finite.__getitem__)})" if finite else "—"


def _moves_table(a: FairnessAnalysis, name: str, cm: GroupConfusion) -> Table:
    order = [a.classes.index(c) for c in a.ordered]
    down, up = cm.moves(order)
    n = cm.n
    lo_d, hi_d = wilson_interval(down, n)
    lo_u, hi_u = wilson_interval(up, n)
    level = cm.mean_levels(order)
    rank = np.empty(len(order))
    rank[order] = np.arange(len(order))
    truth = (cm.matrix.sum(axis=2) * rank).sum(axis=1) / np.maximum(n, 1)
    rows = [[g, int(n[i]), Estimate(down[i] / n[i] if n[i] else None, lo_d[i], hi_d[i]),
             Estimate(up[i] / n[i] if n[i] else None, lo_u[i], hi_u[i]), level[i], truth[i]] for i, g in enumerate(cm.groups)]
    return Table(f"{name}: predicted below and above the true level ({' < '.join(a.ordered)})",
                 ["group", "n", "predicted lower (95 % CI)", "predicted higher (95 % CI)", "mean predicted level",
                  "mean true level"], rows, formats=["text", "int", "3f", "3f", "2f", "2f"], section=name,
                 note=f"Levels count from 0 ({a.ordered[0]}) to {len(a.ordered) - 1} ({a.ordered[-1]}). A group pushed down "
                      "the order is predicted lower more often than others; the judged comparisons are the splits 'at least X' "
                      "in the disparity table. 95 % Wilson intervals.")


def _confusion_tables(a: FairnessAnalysis) -> list[Table]:
    """One confusion matrix per group of each sensitive feature (appendix)."""
    out = []
    for name, cm in a.confusions.items():
        if " × " in name:
            continue
        rows = [[g, c, *map(int, cm.matrix[i, j])] for i, g in enumerate(cm.groups) for j, c in enumerate(a.classes)
                if cm.matrix[i].sum()]
        out.append(Table(f"{name}: confusion matrix by group (rows: group and true class, columns: predicted)",
                         ["group", "true \\ predicted", *a.classes], rows, formats=["text", "text", *(["int"] * len(a.classes))],
                         section=name, appendix=True))
    return out


def _task_metrics(a: FairnessAnalysis) -> dict[str, Any]:
    """Macro and worst-class gaps of a multiclass model; a regressor's worst group on each error and its bias."""
    m: dict[str, Any] = {}
    for name, gaps in a.class_gaps.items():
        for rate, by_class in gaps.items():
            values = [v for v in by_class.values() if np.isfinite(v)]
            if values:
                m[f"macro_{rate}_gap.{slug(name)}"] = float(np.mean(values))
                m[f"worst_class_{rate}_gap.{slug(name)}"] = float(max(values))
    for name, agg in a.regression_groups.items():
        m[f"worst_group_mae.{slug(name)}"] = float(agg["mae"].max())
        m[f"worst_group_rmse.{slug(name)}"] = float(agg["rmse"].max())
        ratio = agg["prediction_ratio"] / float(agg.loc[agg["reference"], "prediction_ratio"].iloc[0])
        if ratio.notna().any():
            m[f"lowest_prediction_ratio.{slug(name)}"] = float(ratio.min())
    return m


def _mitigation_table(a: FairnessAnalysis) -> Table:
    rows = []
    for m in a.mitigation:
        after = m.after or {}
        rows.append([m.grouping, m.constraint.replace("_", " "), m.before["accuracy"], after.get("accuracy"),
                     m.before["demographic_parity_difference"], after.get("demographic_parity_difference"),
                     m.before["equalized_odds_difference"], after.get("equalized_odds_difference"),
                     f"skipped: {m.skipped}" if m.skipped else ""])
    return Table(
        "Mitigation estimate: group-specific thresholds (fairlearn ThresholdOptimizer)",
        ["feature", "constraint", "accuracy before", "accuracy after", "DP difference before", "DP difference after",
         "EO difference before", "EO difference after", "note"], rows, formats=["text", "text"] + ["3f"] * 6 + ["text"],
        note="An estimate, not a change: thresholds were fitted on one half of "
             + (f"the {a.rows:,} audited rows" if a.mitigation_rows >= a.rows else
                f"a seeded uniform sample of {a.mitigation_rows:,} of the {a.rows:,} audited rows")
             + " and applied to the other half (2-fold cross-fitting, seeded), using the model's scores (on a 0.001 grid) and "
               "the sensitive feature at decision time. The audited model is unchanged. DP = demographic parity, EO = "
               "equalized odds (fairlearn's definitions).",
        section="Mitigation estimate",
    )


def _proxy_table(a: FairnessAnalysis, o: FairnessOptions) -> Table | None:
    rows = [[attr, p.column, p.cramers_v, "strong" if p.cramers_v >= o.proxy_warn else ("moderate" if p.cramers_v >= 0.2 else "weak")]
            for attr, proxies in a.proxies.items() for p in proxies[:3]]
    if not rows:
        return None
    return Table("Proxy candidates: the three inputs most associated with each sensitive attribute",
                 ["sensitive attribute", "input column", "Cramér's V", "strength"], rows, formats=["text", "text", "2f", "text"],
                 note="Cramér's V between the input (numeric inputs in 10 quantile bins) and the sensitive groups; "
                      f"0 = unrelated, 1 = the input determines the group. Strong: V ≥ {o.proxy_warn}. Every input is "
                      "in report.json.", section="Proxies")


def _details(a: FairnessAnalysis) -> dict[str, Any]:
    groupings: dict[str, Any] = {}
    for g in a.groupings:
        groups = []
        for i, name in enumerate(g.groups):
            row: dict[str, Any] = {"group": name, "n": int(g.n[i]), "share": float(g.n[i] / g.n.sum()), "reference": i == g.reference,
                                   "labelled": int((g.n if g.labelled is None else g.labelled)[i]),
                                   "judged": bool(g.judged[i]), "roc_auc": g.auc[i], "roc_auc_ci": (g.auc_low[i], g.auc_high[i]),
                                   "ece": g.ece[i]}
            for rate in g.rates:
                row[rate] = g.rates[rate][i]
                row[rate + "_ci"] = (g.low[rate][i], g.high[rate][i])
            groups.append(row)
        groupings[g.name] = {"how": g.how, "reference": g.groups[g.reference], "reference_rule": g.reference_rule,
                             "intersection": g.intersection, "groups": groups, **g.summary,
                             **({"grouping": g.grouping, "outcome": g.outcome, "judged": g.judged_view} if g.outcome else {})}
    for name, agg in a.regression_groups.items():
        groupings[name] = {"how": agg.attrs["how"], "reference": str(agg.index[agg["reference"].to_numpy()][0]),
                           "reference_rule": agg.attrs["reference_rule"],
                           "groups": agg.drop(columns=["reference"]).reset_index().rename(columns={"g": "group"}).to_dict(orient="records")}
    return {
        "outcome": a.outcome,
        "favourable_is_positive": a.favourable_is_positive,
        "groupings": groupings,
        "disparities": [{
            "grouping": d.grouping, "group": d.group, "reference": d.reference, "metric": d.metric, "kind": d.kind, "harm": d.harm,
            "group_value": d.group_value, "reference_value": d.reference_value, "value": d.value, "ci": list(d.ci),
            "threshold": d.threshold, "harmful_if": d.bound, "p": d.p, "p_holm": d.p_holm, "test": d.test, "n_group": d.n_group,
            "n_reference": d.n_reference, "intersection": d.intersection, "status": d.status, "reason": d.reason,
            "ci_level": d.level, "rows_to_decide": d.rows_to_decide, **({"outcome": d.outcome} if d.outcome else {}),
        } for d in a.disparities],
        **_class_details(a),
        "mitigation": [{"grouping": m.grouping, "constraint": m.constraint, "before": dict(m.before),
                        **({"after": dict(m.after)} if m.after else {"skipped": m.skipped})} for m in a.mitigation]
        or {"skipped": a.mitigation_note},
        "proxies": {attr: [{"column": p.column, "cramers_v": p.cramers_v} for p in ps] for attr, ps in a.proxies.items()},
        "direct_use": list(a.direct_use),
    }


def _class_details(a: FairnessAnalysis) -> dict[str, Any]:
    """A multiclass model's classes, their order, each group's confusion matrix and moves along the order, the class gaps."""
    if a.task != "multiclass":
        return {}
    out: dict[str, Any] = {"classes": list(a.classes), "ordered_classes": list(a.ordered) or None,
                           "class_gaps": {k: {r: dict(v) for r, v in gaps.items()} for k, gaps in a.class_gaps.items()}}
    matrices = {}
    for name, cm in a.confusions.items():
        rows = {g: cm.matrix[i].tolist() for i, g in enumerate(cm.groups)}
        if a.ordered:
            down, up = cm.moves([a.classes.index(c) for c in a.ordered])
            rows = {g: {"matrix": rows[g], "predicted_lower": int(down[i]), "predicted_higher": int(up[i])}
                    for i, g in enumerate(cm.groups)}
        matrices[name] = rows
    out["confusion_matrices"] = matrices
    return out
