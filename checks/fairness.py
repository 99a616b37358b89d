"""Fairness: disaggregated metrics with uncertainty, disparities, mitigation cost and proxies.

For each sensitive feature and each intersection of two, the check computes
per-group rates from confusion counts (mergeable; see ``_groups``), Wilson
intervals for every rate, seeded bootstrap intervals for ratios, differences
and AUC, and a significance test for each disparity against the reference
group (chi-square, or Fisher's exact for small counts) with Holm's correction
across the groups of a feature.

Status rule for a disparity: **fail** when it breaks its threshold and is
significant; **warn** when it breaks the threshold but the evidence is weak
(not significant); groups smaller than ``min_group_size`` are reported but
not judged and do not count in the headline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from raudit.checks._groups import GroupCounts, Grouping, group_labels, make_groupings

from raudit import Check, CheckResult, ConfigError, Figure, Finding, Options, Table, option, worst
from raudit._context import AuditContext
from raudit._results import Status
from raudit._stats import cramers_v, holm, two_proportion_pvalue, wilson_interval
from raudit._svg import PALETTE, bar_chart

#: disparity -> (rate it compares, kind, option key of its threshold, label, plain words)
DISPARITIES: dict[str, tuple[str, str, str, str, str]] = {
    "selection_rate": ("selection_rate", "ratio", "selection_rate_ratio_min", "selection-rate ratio (four-fifths rule)", "Selection rate"),
    "tpr": ("tpr", "difference", "tpr_difference_max", "TPR difference (equal opportunity)", "True-positive rate"),
    "fpr": ("fpr", "difference", "fpr_difference_max", "FPR difference (equalized odds)", "False-positive rate"),
    "ppv": ("ppv", "difference", "ppv_difference_max", "PPV difference (predictive parity)", "Precision (PPV)"),
    "fpr_ratio": ("fpr", "ratio", "fpr_ratio_min", "FPR ratio", "False-positive rate"),
    "fnr_ratio": ("fnr", "ratio", "fnr_ratio_min", "FNR ratio", "False-negative rate"),
}


@dataclass
class Disparity:
    """One group compared with its reference group on one metric."""

    grouping: str
    group: str
    reference: str
    metric: str
    kind: str
    group_value: float
    reference_value: float
    value: float
    ci: tuple[float, float]
    threshold: float | None
    p_raw: float
    p_holm: float = float("nan")
    test: str = ""
    n_group: int = 0
    n_reference: int = 0
    status: Status = "pass"
    reason: str = ""
    intersection: bool = False

    @property
    def breaks(self) -> bool:
        """Whether the value is beyond its threshold: below it (ratio), above it (ratio_above), outside ± (difference)."""
        if self.threshold is None or not np.isfinite(self.value):
            return False
        if self.kind == "ratio":
            return self.value < self.threshold
        if self.kind == "ratio_above":
            return self.value > self.threshold
        return abs(self.value) > self.threshold


def _p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _f(v: float, digits: int = 3) -> str:
    return "—" if v is None or not np.isfinite(v) else f"{v:.{digits}f}"


def _ci(lo: float, hi: float, digits: int = 3) -> str:
    return "—" if not (np.isfinite(lo) and np.isfinite(hi)) else f"{lo:.{digits}f}–{hi:.{digits}f}"


@dataclass(frozen=True)
class FairnessOptions(Options):
    """Groups, thresholds and statistics of the fairness check."""

    min_group_size: int = option(30, "groups with fewer rows are shown but not judged", ge=1)
    intersections: bool = option(True, "also compare the groups of every pair of sensitive features")
    bins: Mapping[str, tuple[float, ...]] = option({}, "bin edges per numeric sensitive column, e.g. { age = [18, 30, 45, 60, 100] } "
                                                       "(default: quartiles)")
    reference: Mapping[str, str | int | float] = option({}, "reference group per sensitive column, e.g. { sex = \"Male\" } "
                                                            "(default: the largest group)")
    selection_rate_ratio_min: float | None = option(0.8, "selection-rate ratio below this is a disparity (four-fifths rule)",
                                                    gt=0, le=1)
    tpr_difference_max: float | None = option(0.1, "true-positive-rate difference beyond ± this is a disparity "
                                                   "(equal opportunity)", ge=0, le=1)
    fpr_difference_max: float | None = option(0.1, "false-positive-rate difference beyond ± this is a disparity "
                                                   "(equalized odds)", ge=0, le=1)
    ppv_difference_max: float | None = option(0.1, "precision (PPV) difference beyond ± this is a disparity (predictive parity)",
                                              ge=0, le=1)
    fpr_ratio_min: float | None = option(None, "false-positive-rate ratio below this is a disparity (unset: reported only)",
                                         gt=0, le=1)
    fnr_ratio_min: float | None = option(None, "false-negative-rate ratio below this is a disparity (unset: reported only)",
                                         gt=0, le=1)
    mae_ratio_max: float | None = option(1.25, "regression: a group's mean absolute error above this multiple of the "
                                               "reference group's is a disparity", ge=1)
    alpha: float = option(0.05, "significance level of the tests (after Holm's correction)", gt=0, lt=1)
    bootstrap_rounds: int = option(500, "bootstrap rounds of the intervals of ratios, differences and AUC", ge=0, le=100_000)
    mitigation: bool = option(True, "estimate what group-specific thresholds (fairlearn ThresholdOptimizer) would change")
    proxy_warn: float = option(0.3, "Cramér's V between an input and a sensitive attribute at or above which the input "
                                    "is flagged as a proxy", gt=0, le=1)
    max_findings: int = option(12, "disparity findings listed before the rest is summarised in one line", ge=1)


class FairnessCheck(Check):
    """Group metrics, disparities with intervals and significance, mitigation cost, proxies."""

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

    def validate(self, ctx: AuditContext, options: FairnessOptions) -> None:  # noqa: D102
        sensitive = list(ctx.sensitive.columns)
        for col, edges in options.bins.items():
            where = f"[check.fairness].bins.{col}"
            if col not in ctx.data.columns:
                raise ConfigError(f"{where}: there is no column {col!r}", hint=f"sensitive columns: {', '.join(sensitive)}")
            if not pd.api.types.is_numeric_dtype(ctx.data[col]):
                raise ConfigError(f"{where}: column {col!r} is not numeric, so it cannot be binned",
                                  hint="bins apply to numeric columns; text columns are grouped by their values")
            if len(edges) < 2 or any(b <= a for a, b in zip(edges, edges[1:])):
                raise ConfigError(f"{where} must be at least two strictly ascending edges; got {list(edges)}")
        groupings = make_groupings(ctx.sensitive, bins=options.bins, intersections="pairs" if options.intersections else "none")
        names = {g.name: g for g in groupings}
        for col, group in options.reference.items():
            where = f"[check.fairness].reference.{col}"
            if col not in names:
                raise ConfigError(f"{where}: {col!r} is not a sensitive feature or intersection of this audit",
                                  hint=f"groupings: {', '.join(names)}")
            present = sorted(pd.unique(names[col].labels).tolist())
            if str(group) not in present:
                import difflib

                close = difflib.get_close_matches(str(group), present, n=1)
                raise ConfigError(f"{where}: group {group!r} does not occur in the data",
                                  hint=(f"did you mean {close[0]!r}? " if close else "") + f"groups: {_short(present)}")


    def run(self, ctx: AuditContext, options: FairnessOptions) -> CheckResult:  # noqa: D102
        o = options
        groupings = make_groupings(ctx.sensitive, bins=o.bins, intersections="pairs" if o.intersections else "none")
        rng = ctx.rng("fairness")
        findings: list[Finding] = []
        tables: list[Table] = []
        figures: list[Figure] = []
        metrics: dict[str, Any] = {}
        details: dict[str, Any] = {"groupings": {}, "disparities": []}
        disparities: list[Disparity] = []

        if ctx.task == "regression":
            for grouping in groupings:
                disparities += self._regression(ctx, grouping, o, rng, tables, details)
        else:
            for outcome, y01, yhat01, score in _outcomes(ctx):
                prefix = "" if outcome is None else f"class {outcome}: "
                for grouping in groupings:
                    ds = self._classification(ctx, grouping, o, rng, y01, yhat01, score, prefix, tables, figures, details, metrics)
                    disparities += ds

        for d in disparities:
            _judge(d, o)
        details["disparities"] = [_disparity_dict(d) for d in disparities]
        findings += _findings(disparities, o)
        judged = [d for d in disparities if d.status != "skipped" and d.metric == "selection_rate"]
        for label, pool in (("", [d for d in judged if not d.intersection]),
                            ("intersection_", [d for d in judged if d.intersection])):
            finite = [d for d in pool if np.isfinite(d.value)]
            if finite:
                w = min(finite, key=lambda d: d.value)
                metrics[f"worst_{label}selection_rate_ratio"] = w.value
                metrics[f"worst_{label}selection_rate_ratio_group"] = f"{w.grouping}: {w.group} vs {w.reference}"
        if ctx.task != "regression":
            tables.insert(0, _disparity_table(disparities))

        if ctx.task == "binary" and ctx.y_score is not None and o.mitigation:
            tables.append(_mitigation(ctx, groupings, rng, details))
        elif o.mitigation:
            details["mitigation"] = {"skipped": "needs a binary classifier with scores (predicted probabilities)"}
        proxy_table, proxy_findings = _proxies(ctx, o, details)
        if proxy_table is not None:
            tables.append(proxy_table)
        findings += proxy_findings

        counts = {s: sum(d.status == s for d in disparities) for s in ("fail", "warn", "skipped")}
        worst_text = (
            f"worst selection-rate ratio {metrics['worst_selection_rate_ratio']:.2f} ({metrics['worst_selection_rate_ratio_group']}); "
            if "worst_selection_rate_ratio" in metrics else ""
        )
        summary = (
            f"{worst_text}{counts['fail']} disparity(ies) fail, {counts['warn']} warn"
            f"{', ' + str(counts['skipped']) + ' not judged (small groups)' if counts['skipped'] else ''}"
        )
        metrics.update({"disparities_failed": counts["fail"], "disparities_warned": counts["warn"]})
        status = worst([f.status for f in findings]) if findings else "pass"
        return CheckResult(name=self.name, title=self.title, status=status, summary=summary, metrics=metrics,
                           findings=findings, tables=tables, figures=figures, details=details)

    # -- classification -------------------------------------------------------------------------
    def _classification(
        self, ctx: AuditContext, grouping: Grouping, o: FairnessOptions, rng: np.random.Generator,
        y01: np.ndarray, yhat01: np.ndarray, score: np.ndarray | None, prefix: str,
        tables: list[Table], figures: list[Figure], details: dict[str, Any], metrics: dict[str, Any],
    ) -> list[Disparity]:
        gc = GroupCounts.from_arrays(grouping.labels.to_numpy(), y01, yhat01, score)
        name = prefix + grouping.name
        n = gc.n
        rates = gc.rates()
        ci = {r: wilson_interval(*gc.rate_counts(r)) for r in gc.RATE_CELLS}
        auc, ece = gc.auc(), gc.calibration_error()
        ref = _reference(gc.groups, n, o.reference.get(grouping.name))
        big = n >= o.min_group_size
        boot = _bootstrap_cells(gc, o.bootstrap_rounds, rng)
        auc_ci = _bootstrap_auc(gc, min(o.bootstrap_rounds, 200), rng)

        # whole-feature summaries over all groups, as fairlearn defines them
        sr, tpr, fpr = rates["selection_rate"], rates["tpr"], rates["fpr"]
        whole = {
            "demographic_parity_difference": float(np.nanmax(sr) - np.nanmin(sr)),
            "demographic_parity_ratio": float(np.nanmin(sr) / np.nanmax(sr)) if np.nanmax(sr) > 0 else float("nan"),
            "equalized_odds_difference": float(max(np.nanmax(tpr) - np.nanmin(tpr), np.nanmax(fpr) - np.nanmin(fpr))),
            "equalized_odds_ratio": float(min(np.nanmin(tpr) / np.nanmax(tpr), np.nanmin(fpr) / np.nanmax(fpr))),
        }
        for k, v in whole.items():
            metrics[f"{name}.{k}"] = v

        groups_detail = []
        for i, g in enumerate(gc.groups):
            row: dict[str, Any] = {"group": g, "n": int(n[i]), "share": float(n[i] / n.sum()), "reference": i == ref,
                                   "judged": bool(big[i]), "roc_auc": auc[i], "roc_auc_ci": auc_ci[i], "ece": ece[i]}
            for r in gc.RATE_CELLS:
                row[r] = rates[r][i]
                row[r + "_ci"] = (ci[r][0][i], ci[r][1][i])
            groups_detail.append(row)
        details["groupings"][name] = {"how": grouping.how, "reference": gc.groups[ref], "groups": groups_detail, **whole}

        def note(i: int) -> str:
            return "reference" if i == ref else ("" if big[i] else f"too small to judge (< {o.min_group_size})")

        order = np.argsort(-n, kind="stable")
        tables.append(Table(
            f"{name}: outcomes by group",
            ["group", "n", "share", "base rate", "selection rate (95 % CI)", "accuracy", "ROC-AUC (95 % CI)", "calibration error", "note"],
            [[gc.groups[i], int(n[i]), float(n[i] / n.sum()), rates["base_rate"][i],
              f"{_f(sr[i])} ({_ci(ci['selection_rate'][0][i], ci['selection_rate'][1][i])})",
              rates["accuracy"][i], f"{_f(auc[i])} ({_ci(*auc_ci[i])})", ece[i], note(i)] for i in order],
            note=f"Groups: {grouping.how}. Missing values form the group 'missing'.", section=name,
        ))
        tables.append(Table(
            f"{name}: error rates by group",
            ["group", "TPR (95 % CI)", "FPR (95 % CI)", "FNR", "TNR", "PPV (95 % CI)", "NPV"],
            [[gc.groups[i], f"{_f(tpr[i])} ({_ci(ci['tpr'][0][i], ci['tpr'][1][i])})",
              f"{_f(fpr[i])} ({_ci(ci['fpr'][0][i], ci['fpr'][1][i])})", rates["fnr"][i], rates["tnr"][i],
              f"{_f(rates['ppv'][i])} ({_ci(ci['ppv'][0][i], ci['ppv'][1][i])})", rates["npv"][i]] for i in order],
            note="Intervals are Wilson 95 % score intervals; AUC intervals are a seeded bootstrap.", section=name,
        ))
        shown = [i for i in order if n[i] > 0][:20]
        colors = [PALETTE[0] if big[i] else "#9ca3af" for i in shown]
        for metric, words in (("selection_rate", "selection rate"), ("tpr", "true-positive rate"), ("fpr", "false-positive rate")):
            if metric != "selection_rate" and grouping.intersection:  # intersections: selection rate only
                continue
            figures.append(Figure(
                f"{name}: {words} by group",
                bar_chart([f"{gc.groups[i]} (n={n[i]:,})" for i in shown], [rates[metric][i] for i in shown],
                          lows=[ci[metric][0][i] for i in shown], highs=[ci[metric][1][i] for i in shown],
                          reference=rates[metric][ref], reference_label=f"reference: {gc.groups[ref]}",
                          colors=colors, xmin=0.0, xmax=1.0, xlabel=f"{words} (95 % Wilson interval)"),
                "Grey bars are groups too small to judge." if not big[shown].all() else "", section=name,
            ))

        out: list[Disparity] = []
        boot_rates = gc.rates(boot) if boot is not None else None
        for disparity, (metric, kind, key, _label, _words) in DISPARITIES.items():
            family: list[Disparity] = []
            for i, g in enumerate(gc.groups):
                if i == ref:
                    continue
                a, b = rates[metric][i], rates[metric][ref]
                with np.errstate(invalid="ignore", divide="ignore"):
                    value = a / b if kind == "ratio" else a - b
                    lo = hi = float("nan")
                    if boot_rates is not None:
                        mine, theirs = boot_rates[metric][:, i], boot_rates[metric][:, ref]
                        draws = mine / theirs if kind == "ratio" else mine - theirs
                        draws = draws[np.isfinite(draws)]
                        if len(draws):
                            lo, hi = np.percentile(draws, [2.5, 97.5])
                k1, n1 = (int(x[i]) for x in gc.rate_counts(metric))
                k2, n2 = (int(x[ref]) for x in gc.rate_counts(metric))
                p, test = two_proportion_pvalue(k1, n1, k2, n2)
                family.append(Disparity(name, g, gc.groups[ref], disparity, kind, float(a), float(b), float(value),
                                        (float(lo), float(hi)), getattr(o, key), p, test=test, n_group=int(n[i]),
                                        n_reference=int(n[ref]), intersection=grouping.intersection))
            for d, ph in zip(family, holm([d.p_raw for d in family])):
                d.p_holm = float(ph)
            out += family
        return out

    # -- regression ------------------------------------------------------------------------------
    def _regression(
        self, ctx: AuditContext, grouping: Grouping, o: FairnessOptions, rng: np.random.Generator,
        tables: list[Table], details: dict[str, Any],
    ) -> list[Disparity]:
        from scipy import stats

        err = np.abs(ctx.y - ctx.y_pred.astype(float))
        frame = pd.DataFrame({"g": grouping.labels.to_numpy(), "err": err, "sq": err**2, "pred": ctx.y_pred.astype(float), "y": ctx.y})
        agg = frame.groupby("g", sort=True).agg(n=("err", "size"), mean_prediction=("pred", "mean"), mean_target=("y", "mean"),
                                                mae=("err", "mean"), mse=("sq", "mean"))
        agg["rmse"] = np.sqrt(agg["mse"])
        groups = tuple(agg.index.astype(str))
        n = agg["n"].to_numpy()
        ref = _reference(groups, n, o.reference.get(grouping.name))
        tables.append(Table(
            f"{grouping.name}: errors by group", ["group", "n", "mean prediction", "mean target", "MAE", "RMSE", "note"],
            [[g, int(r.n), r.mean_prediction, r.mean_target, r.mae, r.rmse,
              "reference" if i == ref else ("" if r.n >= o.min_group_size else "too small to judge")]
             for i, (g, r) in enumerate(agg.iterrows())],
            note=f"Groups: {grouping.how}.", section=grouping.name,
        ))
        details["groupings"][grouping.name] = {"how": grouping.how, "reference": groups[ref],
                                               "groups": agg.reset_index().to_dict(orient="records")}
        by_group = {g: frame.loc[frame.g == g, "err"].to_numpy() for g in groups}
        family = []
        ref_err = by_group[groups[ref]]
        for i, g in enumerate(groups):
            if i == ref:
                continue
            e = by_group[g]
            value = e.mean() / ref_err.mean() if ref_err.mean() > 0 else float("nan")
            rounds = o.bootstrap_rounds
            bg = rng.choice(e, size=(rounds, len(e))).mean(axis=1)
            br = rng.choice(ref_err, size=(rounds, len(ref_err))).mean(axis=1)
            lo, hi = np.percentile(bg / br, [2.5, 97.5])
            p = float(stats.ttest_ind(e, ref_err, equal_var=False).pvalue) if len(e) > 1 else float("nan")
            family.append(Disparity(grouping.name, g, groups[ref], "mae", "ratio_above", float(e.mean()), float(ref_err.mean()),
                                    float(value), (float(lo), float(hi)), o.mae_ratio_max, p, test="Welch t-test",
                                    n_group=len(e), n_reference=len(ref_err), intersection=grouping.intersection))
        for d, ph in zip(family, holm([d.p_raw for d in family])):
            d.p_holm = float(ph)
        return family


def _outcomes(ctx: AuditContext) -> list[tuple[Any, np.ndarray, np.ndarray, np.ndarray | None]]:
    """Binary outcomes to analyse: the positive class, or each class one-vs-rest."""
    assert ctx.classes is not None
    if ctx.task == "binary":
        return [(None, (ctx.y == ctx.positive_label).astype(int), (ctx.y_pred == ctx.positive_label).astype(int), ctx.y_score)]
    out = []
    for j, c in enumerate(ctx.classes):
        score = ctx.y_proba[:, j] if ctx.y_proba is not None else None
        out.append((c, (ctx.y == c).astype(int), (ctx.y_pred == c).astype(int), score))
    return out


def _short(items: Sequence[str], limit: int = 12) -> str:
    return ", ".join(repr(i) for i in items[:limit]) + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _reference(groups: Sequence[str], n: np.ndarray, configured: str | int | float | None) -> int:
    if configured is not None:
        return list(groups).index(str(configured))
    return int(np.argmax(n))


def _bootstrap_cells(gc: GroupCounts, rounds: int, rng: np.random.Generator) -> np.ndarray | None:
    """Stratified bootstrap of each group's confusion cells: shape (rounds, n_groups, 4)."""
    if rounds <= 0:
        return None
    out = np.zeros((rounds, len(gc.groups), 4), dtype=np.int64)
    for i, cells in enumerate(gc.cells):
        total = int(cells.sum())
        if total:
            out[:, i, :] = rng.multinomial(total, cells / total, size=rounds)
    return out


def _bootstrap_auc(gc: GroupCounts, rounds: int, rng: np.random.Generator) -> list[tuple[float, float]]:
    """Percentile interval of each group's AUC from resampled score histograms."""
    if gc.hist is None or rounds <= 0:
        return [(float("nan"), float("nan"))] * len(gc.groups)
    out = []
    for i in range(len(gc.groups)):
        h = gc.hist[i]
        npos, nneg = int(h[1].sum()), int(h[0].sum())
        if npos == 0 or nneg == 0:
            out.append((float("nan"), float("nan")))
            continue
        draws = np.stack([rng.multinomial(nneg, h[0] / nneg, size=rounds), rng.multinomial(npos, h[1] / npos, size=rounds)], axis=1)
        values = gc.auc(draws)
        lo, hi = np.percentile(values, [2.5, 97.5])
        out.append((float(lo), float(hi)))
    return out


def _judge(d: Disparity, o: FairnessOptions) -> None:
    small = min(d.n_group, d.n_reference) < o.min_group_size
    breaks = d.breaks
    if small:
        d.status, d.reason = "skipped", f"group too small to judge (n = {d.n_group} < {o.min_group_size})"
    elif d.threshold is None:
        d.status, d.reason = "pass", "reported only: no threshold configured"
    elif not breaks:
        d.status, d.reason = "pass", "within threshold"
    elif np.isfinite(d.p_holm) and d.p_holm < o.alpha:
        d.status, d.reason = "fail", f"significant, {_p_text(d.p_holm)} (Holm-adjusted, {d.test})"
    else:
        d.status, d.reason = "warn", (
            f"not significant ({_p_text(d.p_holm)}, Holm-adjusted, {d.test}), so the evidence is weak"
            if np.isfinite(d.p_holm) else "no test possible, so the evidence is weak")


def _sentence(d: Disparity) -> str:
    _rate, kind, key, label, words = DISPARITIES.get(d.metric, ("mae", "ratio_above", "mae_ratio_max", "MAE ratio", "Mean absolute error"))
    if d.kind == "ratio":
        body = (f"{words} for {d.group} is {d.value:.2f} of {d.reference}'s ({d.group_value:.3f} vs {d.reference_value:.3f}; "
                f"95 % CI of the ratio {_ci(*d.ci, digits=2)}), below the threshold {d.threshold} ({label})")
    elif d.kind == "ratio_above":
        body = (f"Mean absolute error for {d.group} is {d.value:.2f}× {d.reference}'s ({d.group_value:.4g} vs {d.reference_value:.4g}; "
                f"95 % CI {_ci(*d.ci, digits=2)}), above the threshold {d.threshold}")
    else:
        body = (f"{words} for {d.group} is {d.group_value:.3f} vs {d.reference_value:.3f} for {d.reference} "
                f"(difference {d.value:+.3f}, 95 % CI {_ci(*d.ci)}), beyond ±{d.threshold} ({label})")
    return f"[{d.grouping}] {body}; {d.reason}."


def _findings(disparities: list[Disparity], o: FairnessOptions) -> list[Finding]:
    bad = [d for d in disparities if d.status in ("fail", "warn")]
    bad.sort(key=lambda d: (d.status != "fail", d.intersection,
                            -abs(np.log(d.value)) if d.kind.startswith("ratio") and d.value > 0 else -abs(d.value)))
    out = [Finding(d.status, _sentence(d), f"{d.grouping}/{d.group}/{d.metric}") for d in bad[: o.max_findings]]
    if len(bad) > o.max_findings:
        more = len(bad) - o.max_findings
        out.append(Finding("warn", f"{more} more disparities beyond thresholds are listed in the disparity table.", "more"))
    names = sorted({d.grouping for d in disparities})
    for name in names:
        rows = [d for d in disparities if d.grouping == name]
        if not any(d.status in ("fail", "warn") for d in rows):
            judged = {d.group for d in rows if d.status != "skipped"}
            skipped = {d.group for d in rows if d.status == "skipped"}
            text = f"[{name}] No disparity beyond the thresholds ({len(judged)} group(s) compared with the reference"
            text += f"; {len(skipped)} too small to judge)." if skipped else ")."
            out.append(Finding("pass", text, f"{name}/ok"))
    return out


def _disparity_table(ds: list[Disparity]) -> Table:
    """All comparisons of single features; for intersections only those that warn or fail (all are in the JSON)."""
    shown = [d for d in ds if not d.intersection or d.status in ("fail", "warn")]
    omitted = len(ds) - len(shown)
    return Table(
        "Disparities against each reference group",
        ["grouping", "group vs reference", "metric", "group", "reference", "disparity (95 % CI)", "threshold", "p (Holm)", "status"],
        [[d.grouping, f"{d.group} vs {d.reference}", DISPARITIES[d.metric][3], d.group_value, d.reference_value,
          f"{_f(d.value)} ({_ci(*d.ci)})", d.threshold, _p_text(d.p_holm) if np.isfinite(d.p_holm) else "—", d.status]
         for d in shown],
        note=(f"{omitted} intersection comparisons that pass or are too small to judge are omitted here; report.json lists all. "
              if omitted else "")
        + "Ratios are group ÷ reference; differences are group − reference. Intervals: seeded stratified bootstrap. "
             "Tests: chi-square, or Fisher's exact when an expected count is below 5; Holm-adjusted across a feature's groups. "
             "fail = breaks the threshold and significant; warn = breaks it without significant evidence; skipped = group too small.",
        section="Disparities",
    )


def _disparity_dict(d: Disparity) -> dict[str, Any]:
    return {
        "grouping": d.grouping, "group": d.group, "reference": d.reference, "metric": d.metric, "kind": d.kind,
        "group_value": d.group_value, "reference_value": d.reference_value, "value": d.value, "ci": list(d.ci),
        "threshold": d.threshold, "p": d.p_raw, "p_holm": d.p_holm, "test": d.test, "n_group": d.n_group,
        "n_reference": d.n_reference, "status": d.status, "reason": d.reason,
    }


# -- mitigation ------------------------------------------------------------------------------------
def _mitigation(ctx: AuditContext, groupings: list[Grouping], rng: np.random.Generator, details: dict[str, Any]) -> Table:
    """Estimate what fairlearn's ThresholdOptimizer would buy, cross-fitted on the audit data."""
    from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference
    from fairlearn.postprocessing import ThresholdOptimizer
    from sklearn.model_selection import StratifiedKFold

    y01 = (ctx.y == ctx.positive_label).astype(int)
    yhat = (ctx.y_pred == ctx.positive_label).astype(int)
    score = ctx.y_score
    assert score is not None
    X = score.reshape(-1, 1)
    rows, record = [], []
    seed = int(rng.integers(2**31 - 1))
    for grouping in [g for g in groupings if not g.intersection][:3]:
        sf = grouping.labels.to_numpy()
        before = {
            "accuracy": float((yhat == y01).mean()),
            "demographic_parity_difference": float(demographic_parity_difference(y01, yhat, sensitive_features=sf)),
            "equalized_odds_difference": float(equalized_odds_difference(y01, yhat, sensitive_features=sf)),
        }
        for constraint in ("demographic_parity", "equalized_odds"):
            after_pred = np.empty_like(y01)
            strata = pd.Series(sf).astype(str) + "|" + pd.Series(y01).astype(str)
            try:
                folds = StratifiedKFold(n_splits=2, shuffle=True, random_state=seed)
                small = strata.map(strata.value_counts()) < 2
                strata = strata.where(~small, "rare")
                for train, test in folds.split(X, strata):
                    opt = ThresholdOptimizer(estimator=_ScoreColumn().fit(X, y01), constraints=constraint,
                                             objective="accuracy_score", prefit=True, predict_method="predict_proba")
                    opt.fit(X[train], y01[train], sensitive_features=sf[train])
                    after_pred[test] = opt.predict(X[test], sensitive_features=sf[test], random_state=seed)
            except Exception as exc:  # fairlearn refuses e.g. groups unseen in a fold
                record.append({"grouping": grouping.name, "constraint": constraint, "skipped": f"{type(exc).__name__}: {exc}"})
                rows.append([grouping.name, constraint.replace("_", " "), before["accuracy"], None,
                             before["demographic_parity_difference"], None, before["equalized_odds_difference"], None,
                             f"skipped: {exc}"[:120]])
                continue
            after = {
                "accuracy": float((after_pred == y01).mean()),
                "demographic_parity_difference": float(demographic_parity_difference(y01, after_pred, sensitive_features=sf)),
                "equalized_odds_difference": float(equalized_odds_difference(y01, after_pred, sensitive_features=sf)),
            }
            record.append({"grouping": grouping.name, "constraint": constraint, "before": before, "after": after})
            rows.append([grouping.name, constraint.replace("_", " "), before["accuracy"], after["accuracy"],
                         before["demographic_parity_difference"], after["demographic_parity_difference"],
                         before["equalized_odds_difference"], after["equalized_odds_difference"], ""])
    details["mitigation"] = record
    return Table(
        "Mitigation estimate: group-specific thresholds (fairlearn ThresholdOptimizer)",
        ["feature", "constraint", "accuracy before", "accuracy after", "DP difference before", "DP difference after",
         "EO difference before", "EO difference after", "note"],
        rows,
        note="An estimate, not a change: thresholds were fitted on one half of the audit data and applied to the other "
             "(2-fold cross-fitting, seeded), using the model's scores and the sensitive feature at decision time. "
             "The audited model is unchanged. DP = demographic parity, EO = equalized odds (fairlearn's definitions).",
        section="Mitigation estimate",
    )


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
def _proxies(ctx: AuditContext, o: FairnessOptions, details: dict[str, Any]) -> tuple[Table | None, list[Finding]]:
    """Which inputs most strongly predict each sensitive attribute (Cramér's V)."""
    # model inputs; for recorded decisions, every column but the target, the decisions and the sensitive ones
    inputs = [c for c in ctx.X.columns if ctx.model is not None or c not in ctx.sensitive.columns]
    rows, findings, record = [], [], {}
    for attr in ctx.sensitive.columns:
        target, _ = group_labels(ctx.sensitive[attr], bins=o.bins.get(attr))
        scores = []
        for col in inputs:
            if col == attr or col == ctx.config.text_column:  # free text: every value its own category, V ≈ 1 by construction
                continue
            labels, _ = group_labels(ctx.data[col], n_quantiles=10)
            scores.append((cramers_v(labels.to_numpy(), target.to_numpy()), col))
        scores.sort(key=lambda t: (-t[0], t[1]))
        record[attr] = [{"column": c, "cramers_v": v} for v, c in scores]
        for v, c in scores[:5]:
            rows.append([attr, c, v, "strong" if v >= o.proxy_warn else ("moderate" if v >= 0.2 else "weak")])
        strong = [(v, c) for v, c in scores if v >= o.proxy_warn]
        if strong:
            listed = ", ".join(f"{c} (V = {v:.2f})" for v, c in strong[:3])
            findings.append(Finding("warn", f"[{attr}] Strong proxies: {listed}. A model can treat groups differently through "
                                            f"these columns without seeing {attr}.", f"proxy/{attr}"))
        if ctx.model is not None and attr in inputs:
            findings.append(Finding("warn", f"[{attr}] The model takes the sensitive attribute {attr} directly as an input.",
                                    f"direct/{attr}"))
    details["proxies"] = record
    if not rows:
        return None, findings
    return Table("Proxy candidates: association of each input with each sensitive attribute (top 5)",
                 ["sensitive attribute", "input column", "Cramér's V", "strength"], rows,
                 note="Cramér's V between the input (numeric inputs in 10 quantile bins) and the sensitive groups; "
                      f"0 = unrelated, 1 = the input determines the group. Strong: V ≥ {o.proxy_warn}.",
                 section="Proxies"), findings
