"""Robustness: how little has to change before a decision flips — and for whom.

On a seeded subset of the audit's sample, every input column (never a sensitive one) is perturbed
the way the data itself varies:

- **numbers** move up and down by relative steps (±1 %, ±5 %, ±10 % of the value) and by steps of
  the column's spread (±0.05 … ±1 IQR), clipped to the observed range, whole numbers kept whole;
  per step, the share of decisions that flip (Wilson interval) and the mean absolute score change;
- the **smallest move that flips** each row's decision, per column, is found by bisection (to
  ``tolerance`` spreads) and summarised: the median, and the share of rows flipped by a move of at
  most 1 % / 5 % of the value or 0.1 IQR — how close to the boundary people are;
- **categories** are swapped for every other observed category (the share of rows some category
  flips) and for one drawn by frequency (a flip rate); **missing values** are tried where the
  column has them in the data;
- **joint noise** on every numeric column at once, at Giskard's settings (±1 % multiply, Gaussian
  noise of 0.01) and larger, for comparison;
- a **text** column gets typos, case, punctuation and whitespace rewrites (seeded);
- per **sensitive group and intersection**, the flip rate under the headline noise (±1 % on every
  number; typos for text), compared with the reference group (the largest group, or the configured
  one): the ratio (Katz) and the difference (Newcombe) with intervals Bonferroni-adjusted across the
  grouping's groups, and a two-proportion test, Holm-adjusted.

Every rate counts the rows a perturbation changed. Judgement (``judge`` of the toolkit, the one
rule): each numeric column's flip rate at the smallest relative and the smallest spread step, and
each text rewrite's, **fails** when its whole interval (Bonferroni-adjusted across every rate
judged) lies above ``flip_rate_max``, **passes** when it lies below, and is **inconclusive** when it
straddles it. A group **fails** when the whole interval of its ratio to the reference lies above
``group_ratio_max``, that of the difference above ``group_difference_min``, and the Holm-adjusted
test is significant; it passes when either interval lies within. A category swap is a large change,
not noise: reported, not judged; so are missing values and the joint noise (the group comparison
judges it).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Literal

import numpy as np

from raudit.checks._flips import (
    CategoryFlips,
    NoiseFlips,
    NumericFlips,
    Step,
    categorical_flips,
    joint_flips,
    missing_flips,
    numeric_flips,
    text_flips,
)
from raudit.checks._perturb import ColumnPlan, Predictor, plan_column
from raudit.checks._robustness_view import details, figures, findings, metrics, summary, tables
from raudit.checks._text_noise import TEXT_PERTURBATIONS, TextPerturbation, rewrite
from raudit.plugin import (
    AuditContext,
    Check,
    CheckResult,
    ConfigError,
    Facts,
    Options,
    Status,
    Tested,
    Verdict,
    choose_reference,
    difference_interval,
    family_level,
    holm,
    judge,
    option,
    p_value,
    ratio_interval,
    single_threaded,
    two_proportion_pvalue,
    wilson_interval,
    worst,
    z_of,
)

__all__ = ["RobustnessCheck", "RobustnessOptions", "RobustnessAnalysis", "Rate", "StepRow", "Within", "NumericColumn",
           "CategoryColumn", "Perturbation", "GroupRow"]

LEVEL = 0.95


@dataclass(frozen=True)
class RobustnessOptions(Options):
    """Perturbation sizes, sample, thresholds and groups of the robustness check."""

    max_rows: int = option(1000, "rows of the audit's sample whose every column is perturbed (a seeded subset when the sample "
                                 "is larger)", ge=10)
    noise_rows: int = option(20_000, "rows of the sample given the joint noise (one prediction per row and level; the group "
                                     "comparison uses them; never fewer than max_rows)", ge=10)
    relative_steps: tuple[float, ...] = option((0.01, 0.05, 0.1), "moves of a number by a share of itself (0.01: ±1 %); the "
                                                                  "smallest is judged", gt=0, le=10)
    spread_steps: tuple[float, ...] = option((0.05, 0.1, 0.25, 0.5, 1.0), "moves of a number in units of its spread (0.05: "
                                                                          "±0.05 IQR); the smallest is judged", gt=0, le=100)
    spread: Literal["iqr", "std"] = option("iqr", "the unit of spread steps: the IQR (the standard deviation where the IQR is "
                                                  "0), or the standard deviation")
    tolerance: float = option(0.001, "precision of the smallest flipping move found by bisection, in spreads (whole numbers: "
                                     "at least 1)", gt=0, le=1)
    within_relative: tuple[float, ...] = option((0.01, 0.05), "report the share of rows a move of at most this share of the "
                                                              "value flips", gt=0, le=10)
    within_spread: tuple[float, ...] = option((0.1,), "report the share of rows a move of at most this many spreads flips "
                                                      "(the first is also shown per group)", gt=0, le=100)
    max_categories: int = option(15, "categories tried per categorical column (the most frequent); the rarer ones are left "
                                     "out of the swaps", ge=2)
    joint_multiply: tuple[float, ...] = option((0.01, 0.05, 0.1), "joint noise: every number multiplied by 1 ± this (a seeded "
                                                                  "random sign per value); the smallest is compared per group; "
                                                                  "0.01 is Giskard's setting", gt=0, le=10)
    joint_gaussian: tuple[float, ...] = option((0.01,), "joint noise: Gaussian noise of this standard deviation added to every "
                                                        "number (0.01 absolute is Giskard's setting)", gt=0)
    gaussian_units: Literal["absolute", "spread"] = option("absolute", "joint_gaussian in the columns' own units (as Giskard) "
                                                                       "or in spreads")
    text: tuple[TextPerturbation, ...] = option(("typo", "case", "punctuation", "whitespace"),
                                                "rewrites of the text column (text models): typo, case, punctuation, whitespace")
    typo_rate: float = option(0.1, "share of the words (3+ letters) given a typo (at least one per text)", gt=0, le=1)
    flip_rate_max: float = option(0.05, "flip rate at the smallest step (or a text rewrite) above which a column fails "
                                        "(Giskard's threshold)", gt=0, lt=1)
    group_ratio_max: float = option(1.25, "ratio of a group's flip rate to the reference group's above which, with "
                                          "group_difference_min, the group fails (the four-fifths rule, inverted)", ge=1)
    group_difference_min: float = option(0.02, "difference of flip rates (group − reference) above which, with "
                                               "group_ratio_max, the group fails: two decisions in a hundred (ratios of "
                                               "negligible rates are not harm)", ge=0, lt=1)
    min_group_size: int = option(100, "groups with fewer rows are shown but not judged (flip rates are small: fewer rows "
                                      "cannot tell a difference of group_difference_min)", ge=1)
    intersections: bool = option(True, "also compare the groups of every pair of sensitive features")
    reference: Mapping[str, str | int | float] = option({}, "reference group per sensitive feature or intersection, e.g. "
                                                            "{ sex = \"Male\" } (default: the largest group)")
    alpha: float = option(0.05, "significance level of the group tests (after Holm's correction)", gt=0, lt=1)
    exclude: tuple[str, ...] = option((), "input columns never perturbed (the sensitive ones never are)")
    batch_rows: int = option(200_000, "rows the model predicts in one call at most", ge=100)
    max_findings: int = option(6, "failing columns or groups listed one by one before the rest is summed up", ge=1)

    def check(self, *, name: str) -> None:  # noqa: D102
        if not self.relative_steps and not self.spread_steps:
            raise ConfigError(f"[check.{name}]: relative_steps and spread_steps are both empty, so no number would be perturbed",
                              hint="keep at least one step, e.g. relative_steps = [0.01]")


# -- the analysis: numbers only ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rate:
    """``k`` of ``n`` rows, with the 95 % Wilson interval; where judged, the family-level interval and the verdict."""

    k: int
    n: int
    low: float
    high: float
    verdict: Verdict | None = None
    judged_ci: tuple[float, float] | None = None

    @property
    def value(self) -> float:
        """The share ``k / n`` (NaN without rows)."""
        return self.k / self.n if self.n else float("nan")


def _rate(flags: np.ndarray) -> Rate:
    k, n = int(np.sum(flags)), len(flags)
    lo, hi = wilson_interval(k, n)
    return Rate(k, n, float(lo), float(hi))


def _median(values: np.ndarray) -> float:
    """The median, where ``inf`` (no flip found) may be one of the middle values; NaN for no values."""
    v = np.sort(values[~np.isnan(values)])
    if len(v) == 0:
        return float("nan")
    a, b = v[(len(v) - 1) // 2], v[len(v) // 2]
    return float(b) if np.isinf(b) else float((a + b) / 2)


def _mean(values: np.ndarray) -> Tested:
    """Mean with its 95 % t interval (NaN without finite values)."""
    from scipy import stats

    v = values[np.isfinite(values)]
    if len(v) == 0:
        return Tested(float("nan"))
    m = float(v.mean())
    if len(v) < 2 or float(v.std(ddof=1)) == 0:
        return Tested(m, (m, m))
    half = float(stats.t.ppf(0.975, len(v) - 1)) * float(v.std(ddof=1)) / np.sqrt(len(v))
    return Tested(m, (m - half, m + half))


@dataclass(frozen=True)
class StepRow:
    """One step of one numeric column."""

    label: str
    kind: str
    size: float
    moved: int
    up: int
    down: int
    rate: Rate
    change: Tested


@dataclass(frozen=True)
class Within:
    """The share of rows flipped by a move of at most ``size`` (a share of the value, or spreads)."""

    label: str
    kind: Literal["relative", "spread"]
    size: float
    rate: Rate


@dataclass(frozen=True)
class NumericColumn:
    """A numeric column: its steps, the smallest flipping moves, and its verdict."""

    flips: NumericFlips
    steps: tuple[StepRow, ...]
    within: tuple[Within, ...]
    anywhere: Rate
    median: float
    median_spreads: float
    status: Status

    @property
    def name(self) -> str:
        """The column."""
        return self.flips.plan.name

    @property
    def fragility(self) -> float:
        """The largest flip rate among the judged steps (most fragile first)."""
        return max((s.rate.value for s in self.steps if s.rate.verdict is not None and s.rate.n), default=0.0)


@dataclass(frozen=True)
class CategoryColumn:
    """A categorical column's swaps."""

    flips: CategoryFlips
    swap: Rate
    any: Rate
    change: Tested


@dataclass(frozen=True)
class Perturbation:
    """A perturbation of every row at once (joint noise, missing values of a column, a text rewrite)."""

    flips: NoiseFlips
    kind: Literal["joint", "missing", "text"]
    moved: int
    rate: Rate
    change: Tested
    about: str = ""


@dataclass(frozen=True)
class GroupRow:
    """One group under one headline perturbation, compared with its grouping's reference group."""

    grouping: str
    perturbation: str
    group: str
    intersection: bool
    rate: Rate
    within: Rate | None
    median_spreads: float
    reference: str
    is_reference: bool
    ratio: Tested
    difference: Tested
    status: Status
    reason: str


@dataclass(frozen=True)
class RobustnessAnalysis:
    """Everything the check measured, judged, and what it cost."""

    positions: np.ndarray
    noise_positions: np.ndarray
    rows_sample: int
    numeric: tuple[NumericColumn, ...]
    categorical: tuple[CategoryColumn, ...]
    perturbations: tuple[Perturbation, ...]
    groups: tuple[GroupRow, ...]
    not_perturbed: tuple[tuple[str, str], ...]
    calls: int
    predicted: int
    seconds: float
    score_words: str
    family: int
    headline: tuple[str, ...] = ()
    closest: Within | None = None


class RobustnessCheck(Check):
    """Decision flips under small perturbations of each input, the smallest flipping change, joint noise, per group."""

    name = "robustness"
    title = "Robustness"
    order = 24
    evidence = {
        "EU-AIA-15.1": "robustness: how little each input has to change before a decision flips, with intervals",
        "EU-AIA-15.4": "decisions under small errors and inconsistencies of the inputs (steps, noise, missing values, typos)",
        "NIST-MEASURE-2.5": "reliability: decisions stable under perturbations the data could hold",
        "NIST-MEASURE-2.6": "robustness metrics: flip rates, the smallest flipping change, joint noise",
        "NIST-MEASURE-2.11": "whether decisions of a protected group flip more often than the reference group's",
    }
    requires = frozenset({"model", "labels"})
    Options = RobustnessOptions

    def validate(self, facts: Facts, options: RobustnessOptions) -> None:  # noqa: D102
        unknown = [c for c in options.exclude if c not in facts.features]
        if unknown:
            raise ConfigError(f"[check.robustness].exclude names {unknown}, which are not input columns of the model",
                              hint=f"input columns: {', '.join(map(str, facts.features))}")
        groupings: dict[str, tuple[str, ...]] = {c: (c,) for c in facts.sensitive_columns}
        groupings.update({f"{a} × {b}": (a, b) for a, b in combinations(facts.sensitive_columns, 2)})
        for key, group in options.reference.items():
            if key not in groupings:
                raise ConfigError(f"[check.robustness].reference: {key!r} is not a sensitive feature or intersection of this audit",
                                  hint=f"choose one of: {', '.join(groupings) or '(no sensitive columns)'}")
            parts = str(group).split(" & ")
            for member, part in zip(groupings[key], parts):
                names = facts.group_names(member)
                if names is not None and part not in names:
                    raise ConfigError(f"[check.robustness].reference.{key}: {part!r} is not a group of {member!r}",
                                      hint=f"groups of {member}: {', '.join(names)}")

    def analyse(self, ctx: AuditContext, options: RobustnessOptions) -> RobustnessAnalysis:
        """Perturb the sampled rows (threads pinned: the model is called in large batches), measure and judge the flips."""
        with single_threaded():
            return _analyse(ctx, options)

    def present(self, a: RobustnessAnalysis, options: RobustnessOptions) -> CheckResult:
        """Findings (failing columns, rewrites and groups; what is inconclusive), the tables and figures."""
        found = findings(a, options)
        return self.result(findings=found, summary=summary(a, found), metrics=metrics(a), tables=tables(a, options),
                           figures=figures(a, options), details=details(a))


# -- analyse -------------------------------------------------------------------------------------------------------------
def _analyse(ctx: AuditContext, o: RobustnessOptions) -> RobustnessAnalysis:
    """Choose the rows, plan the columns, run every stage, then judge."""
    started = time.perf_counter()
    n_sample = len(ctx.sample)
    chosen = ctx.rng("robustness").permutation(n_sample)[: max(o.noise_rows, o.max_rows)]  # the first max_rows: every column
    m = min(o.max_rows, len(chosen))
    frame = ctx.sample.X.iloc[chosen].reset_index(drop=True)
    plans, skipped = _plans(ctx, frame, o)
    predictor = Predictor(ctx, frame, batch_rows=o.batch_rows)
    steps = [Step("relative", s) for s in sorted(set(o.relative_steps))] + [Step("spread", s) for s in sorted(set(o.spread_steps))]
    numeric, categories, noise, missing, text = _stages(ctx, predictor, plans, steps, m, o)
    perturbations = ([_perturbation(f, "joint") for f in noise] + [_perturbation(f, "missing") for f in missing]
                     + [_perturbation(f, "text", TEXT_PERTURBATIONS[f.label]) for f in text])
    numeric_cols, perturbations, family = _judge_rates(numeric, perturbations, steps, o)
    groups, headline = _groups(ctx, chosen, numeric_cols, noise, text, o)
    return RobustnessAnalysis(
        positions=ctx.sample.positions[chosen[:m]], noise_positions=ctx.sample.positions[chosen],
        rows_sample=n_sample, numeric=tuple(numeric_cols),
        categorical=tuple(_category(c) for c in categories), perturbations=tuple(perturbations), groups=tuple(groups),
        not_perturbed=tuple(skipped), calls=predictor.calls, predicted=predictor.rows, seconds=time.perf_counter() - started,
        score_words=_score_words(ctx, predictor), family=family, headline=tuple(headline), closest=_closest_share(numeric_cols, o))


def _stages(ctx: AuditContext, predictor: Predictor, plans: list[ColumnPlan], steps: list[Step], m: int,
            o: RobustnessOptions) -> tuple[list[NumericFlips], list[CategoryFlips], list[NoiseFlips], list[NoiseFlips],
                                           list[NoiseFlips]]:
    """Every perturbation, stage by stage: steps and bisection, categories, joint noise, missing values, text."""
    movable = [p for p in plans if p.kind != "categorical" and p.skipped is None]
    swappable = [p for p in plans if p.kind == "categorical" and p.skipped is None]
    numeric = numeric_flips(predictor, movable, steps, rows=m, tolerance=o.tolerance) if movable else []
    categories = categorical_flips(predictor, swappable, rows=m, max_categories=o.max_categories,
                                   rng=ctx.rng("robustness/categories")) if swappable else []
    noise = _joint(ctx, predictor, movable, o)
    missing = missing_flips(predictor, [p for p in plans if p.has_missing], rows=m)
    return numeric, categories, noise, missing, _text(ctx, predictor, predictor.frame.iloc[:m], o)


def _score_words(ctx: AuditContext, predictor: Predictor) -> str:
    if not predictor.proba:
        return "no score (the model gives none)"
    return f"the probability of {ctx.positive_label}" if ctx.task == "binary" else "the probability of the class first predicted"


def _closest_share(numeric: list[NumericColumn], o: RobustnessOptions) -> Within | None:
    """The share of rows some numeric column flips with a move of at most the first ``within_spread`` spreads."""
    spreads = _closest(numeric)
    if spreads is None or not o.within_spread:
        return None
    size = o.within_spread[0]
    return Within(f"within {size:g} spread", "spread", size, _rate(spreads <= size * (1 + 1e-9)))


def _plans(ctx: AuditContext, frame: Any, o: RobustnessOptions) -> tuple[list[ColumnPlan], list[tuple[str, str]]]:
    """The plan of each input column that may be perturbed; why the others are not."""
    plans, skipped = [], []
    for column in ctx.features:
        if column in ctx.sensitive_columns:
            skipped.append((column, "sensitive: never perturbed (whether changing it changes decisions is the counterfactual "
                                    "question)"))
        elif column == ctx.roles.text_column:
            continue  # rewritten as text, see _text
        elif column in o.exclude:
            skipped.append((column, "excluded by [check.robustness].exclude"))
        else:
            plan = plan_column(column, ctx.profile.values[column], frame[column], spread=o.spread)
            plans.append(plan)
            if plan.skipped is not None and not plan.has_missing:
                skipped.append((column, plan.skipped))
    return plans, skipped


def _joint(ctx: AuditContext, predictor: Predictor, plans: list[ColumnPlan], o: RobustnessOptions) -> list[NoiseFlips]:
    """Joint noise on every numeric column at each level (random draws seeded per level, see ``_flips.noise_values``)."""
    if not plans:
        return []
    unit = "" if o.gaussian_units == "absolute" else " spreads"
    levels: list[tuple[str, Literal["multiply", "gaussian"], float, np.random.Generator]] = [
        (f"×(1 ± {s:g}) on every number", "multiply", s, ctx.rng(f"robustness/joint/multiply/{s!r}"))
        for s in sorted(set(o.joint_multiply))]
    levels += [(f"+ N(0, {s:g}{unit}) on every number", "gaussian", s, ctx.rng(f"robustness/joint/gaussian/{s!r}"))
               for s in sorted(set(o.joint_gaussian))]
    return joint_flips(predictor, plans, levels, units=o.gaussian_units)


def _text(ctx: AuditContext, predictor: Predictor, frame: Any, o: RobustnessOptions) -> list[NoiseFlips]:
    """The text column rewritten each way (texts drawn in row order from a generator seeded per rewrite)."""
    column = ctx.roles.text_column
    if column is None or column not in frame.columns or not o.text:
        return []
    texts = frame[column].fillna("").astype(str).tolist()
    rewrites = []
    for how in dict.fromkeys(o.text):
        rng = ctx.rng(f"robustness/text/{how}")
        rewrites.append((how, [rewrite(t, how, rng, typo_rate=o.typo_rate) for t in texts]))
    return text_flips(predictor, str(column), rewrites)


def _perturbation(f: NoiseFlips, kind: Literal["joint", "missing", "text"], about: str = "") -> Perturbation:
    """A perturbation's flip rate among the rows it changed (as Giskard counts; an unchanged row cannot flip)."""
    return Perturbation(f, kind, int(f.changed.sum()), _rate(f.flipped[f.changed]), _mean(f.change[f.changed]), about)


def _category(c: CategoryFlips) -> CategoryColumn:
    return CategoryColumn(c, _rate(c.swap_flipped), _rate(c.any_flip), _mean(c.swap_change))


def _wilson_rows(p: float, z: float, threshold: float) -> int | None:
    """About how many rows would put the Wilson interval of a share ``p`` (staying put) wholly on one side of ``threshold``.

    ``judge``'s estimate assumes a symmetric interval; a Wilson interval near 0 is not (0 flips in 125 rows, at the
    99.4 % level: the upper end is 5.8 %, the symmetric estimate says 42 rows would clear 5 %, it takes 147). ``None``
    when ``p`` is the threshold.
    """
    if not np.isfinite(p) or p == threshold:
        return None

    def clear(n: int) -> bool:
        lo, hi = wilson_interval(np.asarray(p * n), n, z=z)
        return bool(hi < threshold) if p < threshold else bool(lo > threshold)

    top = 1
    while not clear(top):
        top *= 2
        if top > 2**40:
            return None
    bottom = top // 2
    while top - bottom > 1:
        mid = (top + bottom) // 2
        bottom, top = (bottom, mid) if clear(mid) else (mid, top)
    return top


def _smallest_steps(steps: list[Step]) -> set[int]:
    """The positions of the smallest relative and the smallest spread step (the judged ones)."""
    return {next(i for i, s in enumerate(steps) if s.kind == kind) for kind in ("relative", "spread")
            if any(s.kind == kind for s in steps)}


def _judge_rates(numeric: list[NumericFlips], perturbations: list[Perturbation], steps: list[Step],
                 o: RobustnessOptions) -> tuple[list[NumericColumn], list[Perturbation], int]:
    """Judge the smallest relative and spread step of every numeric column and every text rewrite, as one family.

    A step's flip rate counts the rows whose value moved; a step that moved no row (1 % of small whole numbers) is
    not judged and not in the family.
    """
    judged_steps = _smallest_steps(steps)
    rates = [[_rate(s.flipped[s.moved]) for s in f.steps] for f in numeric]
    family = (sum(rates[j][k].n > 0 for j in range(len(numeric)) for k in judged_steps)
              + sum(p.kind == "text" and p.rate.n > 0 for p in perturbations))
    level = family_level(LEVEL, family)
    z = z_of(level)

    def judged(rate: Rate, what: str) -> Rate:
        lo, hi = wilson_interval(rate.k, rate.n, z=z)
        verdict = judge(rate.value, float(lo), float(hi), harmful="above", fail=o.flip_rate_max, n=rate.n, what=what, level=level)
        if verdict.status == "inconclusive":  # a Wilson interval is not symmetric near 0: count the rows it needs
            verdict = Verdict(verdict.status, verdict.reason, _wilson_rows(rate.value, z, o.flip_rate_max))
        return Rate(rate.k, rate.n, rate.low, rate.high, verdict, (float(lo), float(hi)))

    columns = []
    for f, column_rates in zip(numeric, rates):
        labels = [s.step.label(f.plan.spread_name) for s in f.steps]
        rows = [StepRow(label, s.step.kind, s.step.size, int(s.moved.sum()), s.up, s.down,
                        judged(rate, f"the flip rate of {f.plan.name} at {label}") if k in judged_steps else rate,
                        _mean(s.change[s.moved])) for k, (s, rate, label) in enumerate(zip(f.steps, column_rates, labels))]
        columns.append(_numeric_column(f, tuple(rows), o))
    out = [p if p.kind != "text" else Perturbation(p.flips, p.kind, p.moved, judged(p.rate, f"the flip rate under {p.flips.label}"),
                                                   p.change, p.about) for p in perturbations]
    return columns, out, family


def _numeric_column(f: NumericFlips, steps: tuple[StepRow, ...], o: RobustnessOptions) -> NumericColumn:
    """The smallest flipping moves summarised: medians, the shares within each size, the column's verdict."""
    present = ~np.isnan(f.value)
    d = f.distance[present]
    x = np.abs(f.value[present])
    eps = 1 + 1e-9  # a move found at exactly a step's size counts as within it
    within = [Within(f"within {s * 100:g} %", "relative", s, _rate(d <= s * x * eps)) for s in o.within_relative]
    within += [Within(f"within {s:g} {f.plan.spread_name}", "spread", s, _rate(d <= s * f.plan.spread * eps))
               for s in o.within_spread]
    median = _median(d)
    status = worst(s.rate.verdict.status for s in steps if s.rate.verdict is not None)
    return NumericColumn(f, steps, tuple(within), _rate(np.isfinite(d)), median, median / f.plan.spread, status)


def _groupings(ctx: AuditContext, chosen: np.ndarray, o: RobustnessOptions) -> list[tuple[str, np.ndarray, bool]]:
    """(name, group label per perturbed row, is an intersection) for each sensitive feature, then each pair."""
    labels = {c: np.asarray(ctx.sample.groups[c], dtype=object)[chosen].astype(str) for c in ctx.sensitive_columns}
    out = [(c, labels[c], False) for c in ctx.sensitive_columns]
    if o.intersections:
        out += [(f"{a} × {b}", np.char.add(np.char.add(labels[a], " & "), labels[b]).astype(object), True)
                for a, b in combinations(ctx.sensitive_columns, 2)]
    return out


def _groups(ctx: AuditContext, chosen: np.ndarray, numeric: list[NumericColumn], noise: list[NoiseFlips],
            text: list[NoiseFlips], o: RobustnessOptions) -> tuple[list[GroupRow], list[str]]:
    """Per group: the flip rate under each headline perturbation, compared with the reference group; closeness to the boundary."""
    headlines = ([noise[0]] if noise else []) + [t for t in text if t.label == "typo"][:1]
    spreads = _closest(numeric)
    rows: list[GroupRow] = []
    for name, labels, intersection in _groupings(ctx, chosen, o):
        for head in headlines:
            rows += _compare(name, labels, intersection, head, spreads, o)
    return rows, [h.label for h in headlines]


def _closest(numeric: list[NumericColumn]) -> np.ndarray | None:
    """Per row, the smallest flipping move over the numeric columns, in spreads (``inf``: none flips it)."""
    if not numeric:
        return None
    per = np.column_stack([c.flips.distance / c.flips.plan.spread for c in numeric])
    per[np.isnan(per)] = np.inf  # a missing value: no move of it
    return per.min(axis=1)


def _compare(name: str, labels: np.ndarray, intersection: bool, head: NoiseFlips, spreads: np.ndarray | None,
             o: RobustnessOptions) -> list[GroupRow]:
    """One grouping under one perturbation: rates, ratio and difference to the reference, Holm-adjusted tests, verdicts."""
    everyone = labels[: len(head.flipped)].astype(object)
    mine = everyone.copy()
    mine[~head.changed] = None  # counted: the rows the perturbation changed
    groups = sorted(set(everyone.tolist()))
    n = np.array([int((mine == g).sum()) for g in groups])
    k = np.array([int(head.flipped[mine == g].sum()) for g in groups])
    judged = n >= o.min_group_size
    size = np.array([int((everyone == g).sum()) for g in groups])  # the reference: the largest group
    ref, _ = choose_reference(groups, size, judged, size.astype(float), o.reference.get(name), favoured=None)
    family = [i for i in range(len(groups)) if judged[i] and i != ref]
    level = family_level(LEVEL, len(family))
    tests = {i: two_proportion_pvalue(int(k[i]), int(n[i]), int(k[ref]), int(n[ref])) for i in family}
    adjusted = dict(zip(family, holm([tests[i][0] for i in family])))
    out = []
    for i, g in enumerate(groups):
        ratio, lo, hi = _ratio(int(k[i]), int(n[i]), int(k[ref]), int(n[ref]), level)
        dlo, dhi = (float(v) for v in difference_interval(int(k[i]), int(n[i]), int(k[ref]), int(n[ref]), level=level))
        diff = k[i] / n[i] - k[ref] / n[ref] if n[i] and n[ref] else float("nan")
        p, test = tests.get(i, (float("nan"), ""))
        tested, difference = Tested(ratio, (lo, hi), p, test, float(adjusted.get(i, float("nan")))), Tested(diff, (dlo, dhi))
        status, reason = _group_verdict(i == ref, bool(judged[i]), int(n[i]), tested, difference, level, o)
        within, median = _group_closeness(labels, g, spreads, o)
        out.append(GroupRow(name, head.label, g, intersection, _rate(head.flipped[mine == g]), within, median, groups[ref],
                            i == ref, tested, difference, status, reason))
    return out


def _ratio(k1: int, n1: int, k2: int, n2: int, level: float) -> tuple[float, float, float]:
    """A flip-rate ratio and its Katz interval (:func:`raudit.plugin.ratio_interval`).

    NaN when either group is empty or neither flipped; when one count is 0, the ratio of the half-row corrected
    counts the interval is built from, so that it lies inside it.
    """
    if n1 <= 0 or n2 <= 0 or (k1 == 0 and k2 == 0):
        return float("nan"), float("nan"), float("nan")
    lo, hi = (float(v) for v in ratio_interval(k1, n1, k2, n2, level=level))
    add = 0.5 if min(k1, k2) == 0 else 0.0
    return ((k1 + add) / (n1 + add)) / ((k2 + add) / (n2 + add)), lo, hi


def _group_closeness(labels: np.ndarray, group: str, spreads: np.ndarray | None, o: RobustnessOptions) -> tuple[Rate | None, float]:
    """The group's share of rows flipped within the first ``within_spread`` spreads, and its median smallest move."""
    if spreads is None:
        return None, float("nan")
    near = spreads[labels[: len(spreads)] == group]
    within = _rate(near <= o.within_spread[0] * (1 + 1e-9)) if o.within_spread else None
    return within, _median(near)


def _group_verdict(reference: bool, judged: bool, n: int, ratio: Tested, difference: Tested, level: float,
                   o: RobustnessOptions) -> tuple[Status, str]:
    """Less robust = a ratio beyond ``group_ratio_max`` *and* a difference beyond ``group_difference_min``, both established.

    Pass when either interval lies wholly on its acceptable side; fail when both lie wholly beyond and the
    Holm-adjusted test is significant; inconclusive otherwise.
    """
    if reference:
        return "pass", "reference group"
    if not judged:
        return "skipped", f"too small to judge ({n} < {o.min_group_size} rows)"
    by_difference = judge(difference.value, difference.low, difference.high, harmful="above", fail=o.group_difference_min, n=n,
                          what="the difference of flip rates", level=level)
    by_ratio = judge(ratio.value, ratio.low, ratio.high, harmful="above", fail=o.group_ratio_max, n=n,
                     what="the ratio of flip rates", level=level)
    for v, what in ((by_ratio, "ratio"), (by_difference, "difference")):
        if v.status == "pass":
            return "pass", f"the {what}'s {v.reason.removeprefix('its ')}"
    if by_ratio.status == "fail" and by_difference.status == "fail":
        if np.isfinite(ratio.p_holm) and ratio.p_holm < o.alpha:
            return "fail", (f"the ratio's {by_ratio.reason.removeprefix('its ')} and the difference's "
                            f"{by_difference.reason.removeprefix('its ')}; {ratio.test} test significant after Holm "
                            f"({p_value(ratio.p_holm)})")
        return "inconclusive", (f"ratio and difference lie beyond their thresholds, but the {ratio.test} test is not "
                                f"significant after Holm ({p_value(ratio.p_holm)})")
    unsure = by_difference if by_difference.status != "fail" else by_ratio
    about = f"; about {unsure.rows_to_decide:,} rows would decide it" if unsure.rows_to_decide else ""
    return "inconclusive", f"the {'difference' if unsure is by_difference else 'ratio'}'s {unsure.reason.removeprefix('its ')}{about}"
