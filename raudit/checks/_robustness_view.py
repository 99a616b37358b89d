"""How the robustness check's numbers read: findings, the headline, tables, figures and the JSON details.

The only place the robustness analysis becomes text (see ``robustness.py`` for what is measured).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from raudit.plugin import (
    PALETTE,
    Estimate,
    Figure,
    Finding,
    Series,
    Table,
    bar_chart,
    family_level,
    fixed,
    number,
    percent,
    slug,
    xy_chart,
)

if TYPE_CHECKING:
    from raudit.checks.robustness import GroupRow, NumericColumn, Rate, RobustnessAnalysis, RobustnessOptions

__all__ = ["findings", "summary", "metrics", "tables", "figures", "details"]

FIGURE_COLUMNS = 6


def _pct_ci(r: Rate) -> str:
    return f"{percent(r.value)} ({r.k:,} of {r.n:,}; 95 % CI {percent(r.low)}–{percent(r.high)})"


def _est(r: Rate | None) -> Estimate | None:
    return None if r is None else Estimate(r.value, r.low, r.high)


def _judged_step(c: NumericColumn) -> Any:
    """The column's worst judged step (fail before inconclusive before pass; then the highest rate)."""
    order = {"fail": 0, "inconclusive": 1, "warn": 1, "pass": 2, "skipped": 3}
    judged = [s for s in c.steps if s.rate.verdict is not None]
    return min(judged, key=lambda s: (order[s.rate.verdict.status], -s.rate.value))  # type: ignore[union-attr]


# -- findings ------------------------------------------------------------------------------------------------------------
def findings(a: RobustnessAnalysis, o: RobustnessOptions) -> list[Finding]:
    """Failing columns, rewrites and groups one by one; what is inconclusive in one finding; what passes summed up."""
    out = _failing_columns(a, o) + _failing_texts(a) + _failing_groups(a, o)
    unsure = _unsure_parts(a, o)
    if unsure:
        out.append(Finding("inconclusive", "An interval straddles its threshold — " + "; ".join(unsure) + ".", "inconclusive"))
    out += _passing(a, o)
    unmoved = [c.name for c in a.numeric if c.status == "skipped"]
    if unmoved:
        out.append(Finding("skipped", f"Not judged — the smallest steps move no value of {', '.join(unmoved)} (whole numbers round "
                                      "back to themselves); their larger steps are in the tables.", "columns.unmoved"))
    if a.not_perturbed:
        listed = "; ".join(f"{c}: {why}" for c, why in a.not_perturbed)
        out.append(Finding("skipped", f"Not perturbed — {listed}.", "not_perturbed"))
    if not a.numeric and not a.categorical and not any(p.kind == "text" for p in a.perturbations):
        out.append(Finding("skipped", "No input column could be perturbed: nothing to judge.", "nothing"))
    return out


def _failing_columns(a: RobustnessAnalysis, o: RobustnessOptions) -> list[Finding]:
    out = []
    failing = sorted((c for c in a.numeric if c.status == "fail"), key=lambda c: -c.fragility)
    for c in failing[: o.max_findings]:
        s = _judged_step(c)
        close = next((w for w in c.within if w.kind == "spread"), None)
        extra = (f" A move of at most {close.label.removeprefix('within ')} flips {percent(close.rate.value)} of the rows."
                 if close else "")
        out.append(Finding("fail", f"[{c.name}] Moving it by {s.label} flips {_pct_ci(s.rate)} of the decisions: "
                                   f"{s.rate.verdict.reason}.{extra}", f"column.{slug(c.name)}"))
    if len(failing) > o.max_findings:
        rest = ", ".join(c.name for c in failing[o.max_findings:])
        out.append(Finding("fail", f"{len(failing) - o.max_findings} more columns fail the same way: {rest}.", "column.more"))
    return out


def _failing_texts(a: RobustnessAnalysis) -> list[Finding]:
    return [Finding("fail", f"[text: {p.flips.label}] {p.about.capitalize()} flips {_pct_ci(p.rate)} of the decisions: "
                            f"{p.rate.verdict.reason}.", f"text.{p.flips.label}")
            for p in a.perturbations if p.kind == "text" and p.rate.verdict is not None and p.rate.verdict.status == "fail"]


def _group_sentence(g: GroupRow, reference: Rate) -> str:
    return (f"[{g.grouping}] Decisions for {g.group} flip {fixed(g.ratio.value, 2)}× as often as for {g.reference} under "
            f"{g.perturbation}: {percent(g.rate.value)} of {g.rate.n:,} rows against {percent(reference.value)} of "
            f"{reference.n:,} ({g.difference.value * 100:+.1f} points). Judged: {g.reason}.")


def _failing_groups(a: RobustnessAnalysis, o: RobustnessOptions) -> list[Finding]:
    failing = sorted((g for g in a.groups if g.status == "fail"), key=lambda g: (g.intersection, -g.ratio.value))
    references = {(g.grouping, g.perturbation): g.rate for g in a.groups if g.is_reference}
    out = [Finding("fail", _group_sentence(g, references[(g.grouping, g.perturbation)]),
                   f"group.{slug(g.grouping)}.{slug(g.group)}.{slug(g.perturbation)}") for g in failing[: o.max_findings]]
    if len(failing) > o.max_findings:
        out.append(Finding("fail", f"{len(failing) - o.max_findings} more groups fail the same way (in the group tables).",
                           "group.more"))
    return out


def _unsure_parts(a: RobustnessAnalysis, o: RobustnessOptions) -> list[str]:
    """One short clause per inconclusive column or rewrite, one for the inconclusive groups (the tables have the rest)."""
    parts = []
    for c in (c for c in a.numeric if c.status == "inconclusive"):
        s = _judged_step(c)
        verdict, (lo, hi) = s.rate.verdict, s.rate.judged_ci
        decide = f"; about {verdict.rows_to_decide:,} rows would decide" if verdict.rows_to_decide else ""
        parts.append(f"{c.name} at {s.label} flips {percent(s.rate.value)} of the decisions (interval {percent(lo)}–"
                     f"{percent(hi)} against {percent(o.flip_rate_max)}{decide})")
    for p in a.perturbations:
        if p.kind == "text" and p.rate.verdict is not None and p.rate.verdict.status == "inconclusive":
            lo, hi = p.rate.judged_ci or (float("nan"), float("nan"))
            parts.append(f"{p.flips.label} flips {percent(p.rate.value)} (interval {percent(lo)}–{percent(hi)})")
    unsure = [g for g in a.groups if g.status == "inconclusive"]
    if unsure:
        kinds = "intersections" if all(g.intersection for g in unsure) else "groups"
        parts.append(f"{len(unsure)} {kinds}: too few rows to tell whether they flip {o.group_ratio_max:g}× as often and "
                     f"{o.group_difference_min * 100:g} points more than their reference")
    return parts


def _passing(a: RobustnessAnalysis, o: RobustnessOptions) -> list[Finding]:
    return _passing_columns(a, o) + _passing_texts(a, o) + _passing_groups(a, o)


def _passing_columns(a: RobustnessAnalysis, o: RobustnessOptions) -> list[Finding]:
    passing = [c for c in a.numeric if c.status == "pass"]
    if not passing:
        return []
    top = max(passing, key=lambda c: c.fragility)
    s = _judged_step(top)
    return [Finding("pass", f"{len(passing)} numeric column(s) flip at most {percent(o.flip_rate_max)} of the decisions at the "
                            f"smallest steps, every interval wholly below it (the most fragile: {top.name}, "
                            f"{percent(s.rate.value)} at {s.label}).", "columns.pass")]


def _passing_texts(a: RobustnessAnalysis, o: RobustnessOptions) -> list[Finding]:
    texts = [p for p in a.perturbations if p.kind == "text" and p.rate.verdict and p.rate.verdict.status == "pass"]
    if not texts:
        return []
    return [Finding("pass", f"{len(texts)} text rewrite(s) ({', '.join(p.flips.label for p in texts)}) flip at most "
                            f"{percent(o.flip_rate_max)} of the decisions, every interval wholly below it.", "text.pass")]


def _passing_groups(a: RobustnessAnalysis, o: RobustnessOptions) -> list[Finding]:
    compared = [g for g in a.groups if not g.is_reference and g.status != "skipped"]
    if not compared or any(g.status != "pass" for g in compared):
        return []
    return [Finding("pass", f"No group's decisions flip more often than its reference group's beyond {o.group_ratio_max:g}× "
                            f"and {o.group_difference_min * 100:g} points under {', '.join(a.headline)} ({len(compared)} "
                            f"group(s) compared).", "groups.pass")]


def summary(a: RobustnessAnalysis, found: Sequence[Finding]) -> str:
    """The one line of the checks table (short: it shares a two-page summary with every other check)."""
    parts = []
    if a.numeric:
        top = max(a.numeric, key=lambda c: c.fragility)
        parts.append(f"{top.name} flips {percent(top.fragility)} at {_judged_step(top).label}")
    joint = [p for p in a.perturbations if p.kind == "joint"]
    if joint:
        level = float(joint[0].flips.label.split("± ")[1].split(")")[0])  # "×(1 ± 0.01) on every number"
        parts.append(f"±{level * 100:g} % noise {percent(joint[0].rate.value)}")
    bad = [g for g in a.groups if g.status == "fail"]
    if bad:
        parts.append(f"{len(bad)} group(s) less robust")
    parts.append(f"{a.calls:,} model calls")
    return "; ".join(parts)


def metrics(a: RobustnessAnalysis) -> dict[str, Any]:
    """Headline numbers for machines (no timings: the JSON stays the same for the same seed)."""
    m: dict[str, Any] = {"rows_perturbed": len(a.positions), "rows_noise": len(a.noise_positions), "model_calls": a.calls,
                         "rows_predicted": a.predicted,
                         "columns_failed": sum(c.status == "fail" for c in a.numeric),
                         "columns_inconclusive": sum(c.status == "inconclusive" for c in a.numeric),
                         "groups_failed": sum(g.status == "fail" for g in a.groups),
                         "groups_inconclusive": sum(g.status == "inconclusive" for g in a.groups)}
    if a.numeric:
        top = max(a.numeric, key=lambda c: c.fragility)
        m.update({"max_flip_rate": top.fragility, "max_flip_rate_column": top.name})
    joint = [p for p in a.perturbations if p.kind == "joint"]
    if joint:
        m["joint_flip_rate"] = joint[0].rate.value
    if a.closest is not None:
        m["share_flipping_within_spread"] = a.closest.rate.value
    m.update({f"flip_rate.{slug(c.name)}": c.fragility for c in a.numeric})  # per column, to track over time (MLflow, W&B)
    m.update({f"swap_flip_rate.{slug(c.flips.plan.name)}": c.swap.value for c in a.categorical})
    return m


# -- tables --------------------------------------------------------------------------------------------------------------
def tables(a: RobustnessAnalysis, o: RobustnessOptions) -> list[Table]:
    """Columns (judged steps, smallest flips), categories, joint noise and text, groups; every step in the appendix."""
    out: list[Table] = []
    numeric = sorted(a.numeric, key=lambda c: -c.fragility)
    if numeric:
        out += [_judged_table(numeric, a, o), _minimum_table(numeric, a, o)]
    if a.categorical:
        out.append(_category_table(a))
    text = [p for p in a.perturbations if p.kind == "text"]
    if text:
        out.append(_text_table(text, o))
    out += _group_tables(a, o)
    noise = [p for p in a.perturbations if p.kind != "text"]
    if noise:
        out.append(_noise_table(a, noise))
    if numeric:
        out.append(_steps_table(numeric, a))
    return out


def _judged_table(numeric: list[NumericColumn], a: RobustnessAnalysis, o: RobustnessOptions) -> Table:
    judged = [k for k, s in enumerate(numeric[0].steps) if s.rate.verdict is not None]
    heads = [numeric[0].steps[k].label.replace(numeric[0].flips.plan.spread_name, "spread") for k in judged]
    rows = [[c.name, c.flips.plan.kind, f"{number(c.flips.plan.spread)} ({c.flips.plan.spread_name})",
             *[_est(c.steps[k].rate) for k in judged], c.status] for c in numeric]
    return Table("Decisions flipped by the smallest moves, per numeric column (most fragile first)",
                 ["column", "kind", "spread", *[f"flip rate at {h}" for h in heads], "status"], rows,
                 formats=["text", "text", "text", *["3f"] * len(judged), "text"], section="Per input column",
                 note=f"A row flips when moving its value up or down by the step changes its decision; rates among the rows "
                      f"whose value moved, with 95 % Wilson intervals; judged against {o.flip_rate_max:g} with the interval "
                      f"widened to "
                      f"{_family_words(a)}. {a.rows_sample:,} sampled rows, {len(a.positions):,} perturbed.")


def _family_words(a: RobustnessAnalysis) -> str:
    return f"{family_level(0.95, a.family):.2%} (Bonferroni across the {a.family} rates judged)"


def _minimum_table(numeric: list[NumericColumn], a: RobustnessAnalysis, o: RobustnessOptions) -> Table:
    heads = [w.label for w in numeric[0].within]
    rows = [[c.name, c.median if np.isfinite(c.median) else "none within range",
             c.median_spreads if np.isfinite(c.median_spreads) else "—", *[_est(w.rate) for w in c.within], _est(c.anywhere)]
            for c in numeric]
    return Table("The smallest move that flips each row's decision, per numeric column",
                 ["column", "median move", "median (spreads)", *[f"share {h}" for h in heads], "share flipping in range"],
                 rows, formats=["text", "", "3f", *["3f"] * len(heads), "3f"], section="Per input column", appendix=True,
                 note=f"Bisection between the largest tried move that keeps the decision and the smallest that flips it, to "
                      f"{o.tolerance:g} spreads (whole numbers: 1); up or down, within the observed range. A median of 'none "
                      f"within range': most rows keep their decision whatever the value.")


def _category_table(a: RobustnessAnalysis) -> Table:
    rows = [[c.flips.plan.name, len(c.flips.tried), _est(c.swap), _est(c.any), c.change.value] for c in a.categorical]
    return Table("Categorical columns: swaps to other observed categories",
                 ["column", "categories tried", "flip rate, swap drawn by frequency", "share some category flips",
                  "mean |score change| of the swap"], rows, formats=["text", "int", "3f", "3f", "3f"],
                 section="Per input column", appendix=True,
                 note="A swap to another category is a large change, not noise: shown, not judged. Swaps are drawn (seeded) "
                      "among the categories a row does not hold, by their frequency in the data.")


def _noise_table(a: RobustnessAnalysis, noise: Sequence[Any]) -> Table:
    rows = [[p.flips.label, p.moved, _est(p.rate), p.change.value] for p in noise]
    return Table("Joint noise on every number, and missing values", ["perturbation", "rows changed", "flip rate",
                                                                     f"mean |change of {a.score_words}|"],
                 rows, formats=["text", "int", "3f", "3f"], section="Noise", appendix=True,
                 note="Joint noise moves every numeric column at once (multiply: a seeded random sign per value; Gaussian: "
                      "seeded draws), clipped to the observed range and rounded where whole. Shown for comparison, not "
                      "judged (the group comparison uses the first row). '→ missing' sets a present value missing, in "
                      "columns the data has missing values in.")


def _text_table(text: Sequence[Any], o: RobustnessOptions) -> Table:
    rows = [[p.flips.label, p.about, p.moved, _est(p.rate), p.change.value, p.rate.verdict.status] for p in text]
    return Table("Text rewrites", ["rewrite", "what", "texts changed", "flip rate", "mean |score change|", "status"], rows,
                 formats=["text", "text", "int", "3f", "3f", "text"], section="Text",
                 note=f"Seeded rewrites of the text column; judged against {o.flip_rate_max:g} like the columns' smallest steps.")


def _group_tables(a: RobustnessAnalysis, o: RobustnessOptions) -> list[Table]:
    """One table for the groups of each sensitive feature, one (under More) for the intersections; per headline perturbation."""
    out = []
    for head in a.headline:
        for intersection in (False, True):
            rows = [g for g in a.groups if g.intersection == intersection and g.perturbation == head]
            if rows:
                out.append(_group_table(rows, head, intersection, o))
    return out


def _group_table(rows: list[GroupRow], head: str, intersection: bool, o: RobustnessOptions) -> Table:
    within = rows[0].within is not None
    return Table(
        f"Decisions flipped by {head}, per {'intersection of two sensitive features' if intersection else 'group'}",
        ["feature", "group", "rows", "flip rate", "ratio to reference", "difference", "p (Holm)",
         *(["share flipping within 0.1 spread"] if within else []), "status"],
        [[g.grouping, g.group + (" (reference)" if g.is_reference else ""), g.rate.n, _est(g.rate),
          None if g.is_reference else Estimate(g.ratio.value, g.ratio.low, g.ratio.high),
          None if g.is_reference else Estimate(g.difference.value, g.difference.low, g.difference.high),
          None if g.is_reference else g.ratio.p_holm, *([_est(g.within)] if within else []), g.status] for g in rows],
        formats=["text", "text", "int", "3f", "2f", "3f", "p", *(["3f"] if within else []), "text"], section="Per group",
        appendix=intersection,
        note=f"Reference: the largest group of each feature, unless configured. Ratio (Katz) and difference (Newcombe) of "
             f"flip rates, their intervals Bonferroni-adjusted across the feature's groups; two-proportion test, "
             f"Holm-adjusted. A group fails when both intervals lie beyond {o.group_ratio_max:g}× and "
             f"{o.group_difference_min:g} and the test is significant, passes when either lies within; groups under "
             f"{o.min_group_size} rows are not judged.")


def _steps_table(numeric: list[NumericColumn], a: RobustnessAnalysis) -> Table:
    rows = [[c.name, s.label, s.moved, f"{s.up:,} / {s.down:,}", _est(s.rate), s.change.value] for c in numeric for s in c.steps]
    return Table("Every step of every numeric column", ["column", "step", "rows moved", "flips up / down", "flip rate",
                                                        f"mean |change of {a.score_words}|"], rows,
                 formats=["text", "text", "int", "text", "3f", "3f"], section="Per input column", appendix=True,
                 note="Rates count the rows whose value moved: a whole number may round back to itself, a relative step "
                      "leaves 0 at 0, and a value at the end of the observed range cannot move past it. The score change is "
                      "the larger of the two moves'.")


# -- figures -------------------------------------------------------------------------------------------------------------
def figures(a: RobustnessAnalysis, o: RobustnessOptions) -> list[Figure]:
    """Flip rate by move size per column (most fragile first), and per group under the headline noise."""
    return ([_column_figure(a, o)] if a.numeric else []) + [_group_figure(a, intersection) for intersection in (False, True)
                                                          if any(g.intersection == intersection for g in a.groups)]


def _column_figure(a: RobustnessAnalysis, o: RobustnessOptions) -> Figure:
    numeric = sorted(a.numeric, key=lambda c: -c.fragility)[:FIGURE_COLUMNS]
    kind = "spread" if any(s.kind == "spread" for s in numeric[0].steps) else "relative"
    scale = 100 if kind == "relative" else 1
    series = [Series([s.size * scale for s in c.steps if s.kind == kind], [s.rate.value for s in c.steps if s.kind == kind],
                     label=c.name) for c in numeric]
    top = max((max(s.y, default=0.0) for s in series), default=0.0)
    return Figure("Flip rate by size of the move, per column (the most fragile first)",
                  xy_chart(series, xlabel="move (spreads)" if kind == "spread" else "move (% of the value)",
                           ylabel="share of decisions flipped", hline=o.flip_rate_max,
                           ylim=(0.0, max(1.1 * top, 1.5 * o.flip_rate_max))),
                  f"Dashed: the fail threshold {o.flip_rate_max:g} (judged at the smallest step only).", section="Per input column")


def _group_figure(a: RobustnessAnalysis, intersection: bool) -> Figure:
    rows = [g for g in a.groups if g.intersection == intersection and g.perturbation == a.headline[0]]
    return Figure(
        f"Flip rate under {a.headline[0]}, per {'intersection of two sensitive features' if intersection else 'group'}",
        bar_chart([f"{g.grouping}: {g.group}" + (" (ref.)" if g.is_reference else "") for g in rows],
                  [g.rate.value for g in rows], lows=[g.rate.low for g in rows], highs=[g.rate.high for g in rows],
                  xlabel="share of decisions flipped (95 % CI)", colors=[PALETTE[3] if g.status == "fail" else PALETTE[0] for g in rows]),
        "Red: less robust than its reference group beyond the thresholds (see the tables).", section="Per group",
        appendix=True)


# -- details -------------------------------------------------------------------------------------------------------------
def _rate_dict(r: Rate | None) -> dict[str, Any] | None:
    if r is None:
        return None
    out: dict[str, Any] = {"flips": r.k, "rows": r.n, "rate": r.value, "ci": [r.low, r.high]}
    if r.verdict is not None:
        out.update({"status": r.verdict.status, "reason": r.verdict.reason, "judged_ci": list(r.judged_ci or ()),
                    "rows_to_decide": r.verdict.rows_to_decide})
    return out


def details(a: RobustnessAnalysis) -> dict[str, Any]:
    """Every number of the analysis, for report.json."""
    return {
        "rows_perturbed": len(a.positions), "rows_sample": a.rows_sample, "model_calls": a.calls, "rows_predicted": a.predicted,
        "score": a.score_words, "family": a.family, "headline": list(a.headline),
        "columns": [{"column": c.name, "kind": c.flips.plan.kind, "spread": c.flips.plan.spread,
                     "spread_unit": c.flips.plan.spread_name, "range": [c.flips.plan.low, c.flips.plan.high],
                     "status": c.status, "bisection_rounds": c.flips.rounds, "median_move": c.median,
                     "median_move_spreads": c.median_spreads, "flips_in_range": _rate_dict(c.anywhere),
                     "within": {w.label: _rate_dict(w.rate) for w in c.within},
                     "steps": [{"step": s.label, "kind": s.kind, "size": s.size, "moved": s.moved, "flips_up": s.up,
                                "flips_down": s.down, **(_rate_dict(s.rate) or {}), "mean_abs_score_change": s.change.value}
                               for s in c.steps]} for c in a.numeric],
        "categories": [{"column": c.flips.plan.name, "tried": [str(t) for t in c.flips.tried], "swap": _rate_dict(c.swap),
                        "some_category_flips": _rate_dict(c.any), "mean_abs_score_change": c.change.value}
                       for c in a.categorical],
        "perturbations": [{"perturbation": p.flips.label, "kind": p.kind, "rows_changed": p.moved, **(_rate_dict(p.rate) or {}),
                           "mean_abs_score_change": p.change.value} for p in a.perturbations],
        "groups": [{"grouping": g.grouping, "perturbation": g.perturbation, "group": g.group, "reference": g.reference,
                    "is_reference": g.is_reference, **(_rate_dict(g.rate) or {}), "ratio": g.ratio.value,
                    "ratio_ci": list(g.ratio.ci), "p": g.ratio.p, "test": g.ratio.test, "p_holm": g.ratio.p_holm,
                    "within": _rate_dict(g.within), "median_move_spreads": g.median_spreads, "status": g.status,
                    "reason": g.reason} for g in a.groups],
        "not_perturbed": [{"column": c, "why": why} for c, why in a.not_perturbed],
    }
