"""Explanations: what drives the model (SHAP per input column), per group, LIME for chosen rows, and agreement.

Attributions are computed on a seeded sample stratified by label and the
first sensitive feature; the sample sizes are in the report.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from raudit.checks._attribution import Attribution, explain, fast_explainer, predict_function
from raudit.checks._explaining import check_explain_class, check_lime_rows, explained_class, lime_rows, strata, stratified_sample
from raudit.checks._tabular import TabularCodec
from raudit.plugin import (
    PALETTE,
    AuditContext,
    Check,
    CheckResult,
    Facts,
    Figure,
    Finding,
    Options,
    Series,
    Status,
    Table,
    bar_chart,
    beeswarm,
    label_text,
    number,
    option,
    single_threaded,
    slug,
    xy_chart,
)


@dataclass(frozen=True)
class ExplanationsOptions(Options):
    """Sample sizes, LIME rows and the thresholds of the explanations check."""

    sample_size: int = option(1000, "rows explained with a fast (tree or linear) explainer; a seeded sample stratified by "
                                    "label and the first sensitive feature", ge=10)
    background_size: int = option(100, "rows used as SHAP's reference distribution with a fast explainer", ge=1)
    agnostic_sample_size: int = option(200, "rows explained when only the slow model-agnostic explainer applies", ge=10)
    agnostic_background_size: int = option(50, "reference rows for the model-agnostic explainer", ge=1)
    explain_class: str | None = option(None, "class whose probability is explained (default: the positive class, or each "
                                             "row's predicted class for multiclass)")
    lime_rows: tuple[int, ...] = option((), "explicit 0-based row positions LIME explains (default: the most confident "
                                           "each way, the most uncertain and misclassified rows)", ge=0)
    lime_misclassified: int = option(2, "misclassified rows (largest errors for regression) added to LIME's rows", ge=0, le=50)
    lime_samples: int = option(1000, "perturbed samples LIME draws per explained row", ge=100)
    top_k: int = option(3, "top-k columns compared between SHAP and LIME", ge=1)
    agreement_warn: float = option(0.5, "mean SHAP–LIME rank correlation below this warns", ge=-1, le=1)
    stability_warn: float = option(0.8, "mean rank correlation of LIME between two seeds below this warns", ge=-1, le=1)
    additivity_tolerance: float = option(1e-3, "relative tolerance of SHAP's additivity (attributions + base = output)",
                                         gt=0, le=1)
    sensitive_share_fail: float = option(0.2, "share of the total attribution on a sensitive column the model takes "
                                              "directly above which the check fails (any direct use warns)", ge=0, le=1)
    dependence_plots: int = option(3, "dependence plots drawn for the most important columns", ge=0, le=20)


class ExplanationsCheck(Check):
    """SHAP global and per-group attributions per input column; LIME for chosen rows; agreement and stability."""

    name = "explanations"
    title = "Explanations"
    order = 30
    evidence = {
        "EU-AIA-13.3.b.iv": "SHAP and LIME explanations of outputs",
        "EU-AIA-IV.2.b": "which inputs drive the model",
        "NIST-MEASURE-2.9": "global, per-group and local explanations, their agreement",
    }
    requires = frozenset({"model"})
    Options = ExplanationsOptions

    def unmet(self, facts: Facts | AuditContext) -> str | None:  # noqa: D102
        if facts.roles.text_column is not None:
            return "the model reads free text, which per-column attributions do not explain: see the text_explanations check"
        return super().unmet(facts)

    def validate(self, facts: Facts, options: ExplanationsOptions) -> None:  # noqa: D102
        check_explain_class(facts, options.explain_class, "explanations")
        check_lime_rows(facts, options.lime_rows, "explanations")

    def analyse(self, ctx: AuditContext, options: ExplanationsOptions) -> ExplanationsAnalysis:
        """SHAP on a stratified sample, per-group shares, LIME on chosen rows (SHAP and LIME predict many small batches)."""
        with single_threaded():  # thread pools only cost time here
            return _analyse(ctx, options)

    def present(self, a: ExplanationsAnalysis, options: ExplanationsOptions) -> CheckResult:
        """Additivity, global importance, direct use of sensitive columns, per-group differences, LIME and agreement."""
        o, attr = options, a.attr
        columns, order, mean_abs = list(attr.columns), a.order, a.mean_abs
        total = mean_abs.sum() or 1.0
        metrics: dict[str, Any] = {"sample_size": len(a.sample), "background_size": a.background_size,
                                   "additivity_max_error": attr.additivity_error}
        findings = [_additivity(a, o)]
        tables = [Table(
            "Global importance: mean |SHAP| per input column",
            ["rank", "column", "mean |SHAP|", "share of total"],
            [[r + 1, columns[i], mean_abs[i], mean_abs[i] / total] for r, i in enumerate(order)], formats=["int", "text", "", "%"],
            note=f"Method: {attr.method}. Why: {attr.reason}. Output explained: {attr.output_space}. "
                 f"Sample: {len(a.sample):,} rows stratified by label and {a.stratified_by} "
                 f"(seeded); background: {a.background_size:,} rows.", section="Global importance",
        )]
        figures = _global_figures(a, o)
        findings += _sensitive_use(a, total, o, metrics)
        group_tables, group_findings, group_details = _per_group(a)
        tables += group_tables
        findings += group_findings
        lime_tables, lime_figures, lime_findings, agreement = _present_lime(a, o)
        tables += lime_tables
        figures += lime_figures
        findings += lime_findings
        metrics.update(agreement)
        summary = (f"top drivers: {', '.join(columns[i] for i in order[:3])} ({attr.method.split(' on ')[0]})"
                   + (f"; SHAP–LIME rank agreement {agreement['lime_shap_spearman_mean']:.2f}"
                      if "lime_shap_spearman_mean" in agreement else ""))
        reasons = [f.message.split(":")[0].rstrip(".") for f in findings if f.status in ("fail", "warn")]
        if reasons:
            summary = "; ".join(dict.fromkeys(reasons)) + " — " + summary
        return self.result(
            findings=findings, summary=summary, metrics=metrics, tables=tables, figures=figures,
            details={
                "method": attr.method, "reason": attr.reason, "output_space": attr.output_space,
                "global": [{"column": columns[i], "mean_abs_shap": mean_abs[i]} for i in order],
                "per_group": group_details, "lime": [r.to_dict() for r in a.lime],
                "explained_class": a.class_label,
            },
        )


@dataclass(frozen=True)
class GroupShares:
    """Each group's share of the attribution per column, for one sensitive column (groups of at least 10 sampled rows)."""

    column: str
    shares: pd.DataFrame
    counts: Mapping[str, int]

    @property
    def spread(self) -> pd.Series:
        """Per input column, the largest minus the smallest group share, largest first."""
        return (self.shares.max(axis=1) - self.shares.min(axis=1)).sort_values(ascending=False)


@dataclass(frozen=True)
class LimeRow:
    """One row LIME explained (twice, with two seeds), beside its SHAP values."""

    position: int
    row_id: Any
    name: str
    why: str
    prediction: Any
    actual: Any
    values: pd.Series
    weights: np.ndarray
    weights_other_seed: np.ndarray
    shap: np.ndarray
    descriptions: Mapping[int, str]
    columns: tuple[str, ...]
    top_k: int

    def _top(self, w: np.ndarray) -> set[int]:
        return set(np.argsort(-np.abs(w))[: self.top_k].tolist())

    @property
    def spearman_shap(self) -> float:
        """Rank correlation of LIME's weights with SHAP's values."""
        return _spearman(self.weights, self.shap)

    @property
    def spearman_seeds(self) -> float:
        """Rank correlation of LIME's weights between its two seeds."""
        return _spearman(self.weights, self.weights_other_seed)

    @property
    def overlap(self) -> float:
        """Share of LIME's top-k columns among SHAP's top k."""
        return len(self._top(self.weights) & self._top(self.shap)) / self.top_k

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"row": self.position, "id": None if self.row_id is None else label_text(self.row_id), "why": self.why,
                "prediction": self.prediction, "actual": self.actual,
                "lime_weights": dict(zip(self.columns, self.weights)),
                "lime_weights_other_seed": dict(zip(self.columns, self.weights_other_seed)),
                "shap_values": dict(zip(self.columns, self.shap)), "spearman_lime_shap": self.spearman_shap,
                "spearman_lime_seeds": self.spearman_seeds, "top_k_overlap": self.overlap,
                "top_k_overlap_seeds": len(self._top(self.weights) & self._top(self.weights_other_seed)) / self.top_k}


@dataclass(frozen=True)
class ExplanationsAnalysis:
    """Everything the explanations check computed: SHAP on the sample, shares per group, LIME rows."""

    attr: Attribution
    sample: pd.DataFrame
    background_size: int
    class_label: str
    stratified_by: str
    mean_abs: np.ndarray
    order: np.ndarray
    sensitive_columns: tuple[str, ...]
    groups: tuple[GroupShares, ...]
    lime: tuple[LimeRow, ...]
    lime_skipped: bool
    lime_classification: bool
    lime_medians: bool
    id_column: str | None


def _analyse(ctx: AuditContext, o: ExplanationsOptions) -> ExplanationsAnalysis:
    assert ctx.model is not None
    # scikit-learn, XGBoost and LightGBM models are explained directly (fast paths); others through their adapter
    native = type(ctx.model.model).__module__.split(".")[0] in ("sklearn", "xgboost", "lightgbm")
    model = ctx.model.model if native else ctx.model
    rng = ctx.rng("explanations")
    class_index, class_label = explained_class(ctx, o.explain_class)
    attr, sample, background = _shap(ctx, model, o, rng, strata(ctx), class_index, class_label)
    mean_abs = np.abs(attr.values).mean(axis=0)
    lime, skipped, medians = _lime(ctx, model, o, sample, class_index, class_label)
    return ExplanationsAnalysis(
        attr, sample, len(background), class_label, ctx.sensitive_columns[0] if ctx.sensitive_columns else "label", mean_abs,
        np.argsort(-mean_abs, kind="stable"), ctx.sensitive_columns, _group_shares(ctx, sample, attr), tuple(lime), skipped,
        ctx.task != "regression", medians, ctx.id_column)


def _shap(ctx: AuditContext, model: Any, o: ExplanationsOptions, rng: np.random.Generator, row_strata: np.ndarray,
          class_index: Any, class_label: str) -> tuple[Attribution, pd.DataFrame, pd.DataFrame]:
    fast = fast_explainer(model, ctx.sample.X) is not None
    n_sample = o.sample_size if fast else o.agnostic_sample_size
    n_background = o.background_size if fast else o.agnostic_background_size
    idx = stratified_sample(row_strata, n_sample, rng)
    bg_idx = stratified_sample(row_strata, n_background, rng)
    sample, background = ctx.sample.X.iloc[idx], ctx.sample.X.iloc[bg_idx]
    ci = class_index if np.ndim(class_index) == 0 else np.asarray(class_index)[idx]
    attr = explain(model, sample, background, task=ctx.task, class_index=ci, class_label=class_label, seed=ctx.seed)
    return attr, sample, background


def _additivity(a: ExplanationsAnalysis, o: ExplanationsOptions) -> Finding:
    attr = a.attr
    scale = max(float(np.abs(attr.output).max()), 1.0)
    ok = attr.additivity_error <= o.additivity_tolerance * scale
    error = "less than one billionth" if attr.additivity_error < 1e-9 else number(attr.additivity_error)
    return Finding(
        "pass" if ok else "warn",
        f"Additivity holds: attributions plus the base value reproduce the model output ({attr.output_space}) on the "
        f"{len(a.sample):,} sampled rows; the largest difference is {error} (tolerance {number(o.additivity_tolerance * scale)})."
        if ok else
        f"Additivity does not hold: attributions plus the base value differ from the model output by up to "
        f"{error} (tolerance {number(o.additivity_tolerance * scale)}); treat the attributions as approximate.",
        "additivity",
    )


def _global_figures(a: ExplanationsAnalysis, o: ExplanationsOptions) -> list[Figure]:
    attr, columns = a.attr, list(a.attr.columns)
    top = a.order[:15]
    return [
        Figure("Mean |SHAP| per input column", bar_chart([columns[i] for i in top], [a.mean_abs[i] for i in top],
                                                         xlabel=f"mean |SHAP| ({attr.output_space})"), section="Global importance"),
        Figure(
            "SHAP summary (beeswarm)",
            beeswarm([columns[i] for i in top], attr.values[:, top], _value_ranks(a.sample, [columns[i] for i in top]),
                     xlabel=f"SHAP value ({attr.output_space})", max_points=200),
            "One dot per sampled row (at most 200 drawn per column); colour from blue (low value of the column) to red "
            "(high); grey: categories.", section="Global importance",
        ),
        *_dependence(a.sample, attr, a.order[: o.dependence_plots]),
    ]


def _sensitive_use(a: ExplanationsAnalysis, total: float, o: ExplanationsOptions, metrics: dict[str, Any]) -> list[Finding]:
    out = []
    for col in a.sensitive_columns:
        if col in a.attr.columns:
            share = a.mean_abs[a.attr.columns.index(col)] / total
            metrics[f"sensitive_share.{slug(col)}"] = share
            status: Status = "fail" if share > o.sensitive_share_fail else "warn"
            out.append(Finding(status, f"The model uses {col} directly: it carries {share:.1%} of the total attribution "
                                       f"(fail above {o.sensitive_share_fail:.0%}).", f"direct/{col}"))
    if not out and a.sensitive_columns:
        out.append(Finding("pass", "The model takes none of the sensitive columns as input "
                                   "(proxies may still carry them: see the fairness check).", "direct"))
    return out


def _lime(ctx: AuditContext, model: Any, o: ExplanationsOptions, sample: pd.DataFrame, class_index: Any,
          class_label: str) -> tuple[list[LimeRow], bool, bool]:
    """LIME twice (two seeds) on each chosen row, and SHAP on the same rows; whether it was skipped, whether gaps were filled."""
    rows = lime_rows(ctx, o.lime_rows, o.lime_misclassified)
    if ctx.task != "regression" and ctx.sample.y_proba is None:
        return [], True, False
    codec = TabularCodec.fit(pd.concat([sample, ctx.sample.X.iloc[[r for r, _ in rows]]]))
    explainers, medians = _lime_explainers(codec, sample, regression=ctx.task == "regression", seed=ctx.seed)
    cis: list[int | None] = [None] * len(rows) if ctx.task == "regression" else [
        int(class_index) if np.ndim(class_index) == 0 else int(np.asarray(class_index)[r]) for r, _ in rows]
    row_ci = None if ctx.task == "regression" else (cis[0] if np.ndim(class_index) == 0 else np.asarray(cis))
    row_attr = explain(model, ctx.sample.X.iloc[[r for r, _ in rows]], sample.iloc[: o.background_size], task=ctx.task,
                       class_index=row_ci, class_label=class_label, seed=ctx.seed)
    out = []
    for j, ((row, why), ci) in enumerate(zip(rows, cis)):
        codes = codec.encode(ctx.sample.X.iloc[[row]])[0]
        if medians is not None:
            codes = np.where(np.isnan(codes), medians, codes)
        weights, descriptions = _lime_weights(explainers, codec, codes, predict_function(model, codec, task=ctx.task, class_index=ci),
                                              regression=ctx.task == "regression", samples=o.lime_samples)
        row_id = None if ctx.id_column is None else ctx.sample.frame[ctx.id_column].iloc[row]
        out.append(LimeRow(int(ctx.sample.positions[row]), row_id, ctx.row_name(int(ctx.sample.positions[row]), row_id), why,
                           ctx.sample.y_pred[row], ctx.sample.y[row], ctx.sample.X.iloc[row], weights[0], weights[1],
                           row_attr.values[j], descriptions, tuple(codec.columns), o.top_k))
    return out, False, medians is not None


def _lime_explainers(codec: TabularCodec, sample: pd.DataFrame, *, regression: bool, seed: int) -> tuple[tuple[Any, Any], Any]:
    """Two LIME explainers (seeds ``seed`` and ``seed + 1``) on the encoded sample; numeric gaps get the column's median."""
    from lime.lime_tabular import LimeTabularExplainer

    train = codec.encode(sample)
    gaps = np.isnan(train)
    medians = None
    if gaps.any():  # LIME's discretiser cannot take NaN (said in the report)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing column has no median
            medians = np.nan_to_num(np.nanmedian(train, axis=0))
        train = np.where(gaps, medians, train)
    cat_idx = codec.categorical_indices
    names = {i: ["missing" if v is None else str(v) for v in codec.categories[i]] for i in cat_idx}

    def explainer(s: int) -> Any:
        return LimeTabularExplainer(train, mode="regression" if regression else "classification", feature_names=list(codec.columns),
                                    categorical_features=cat_idx, categorical_names=names, discretize_continuous=True,
                                    random_state=s)

    return (explainer(seed), explainer(seed + 1)), medians


def _lime_weights(explainers: tuple[Any, Any], codec: TabularCodec, codes: np.ndarray, f: Any, *, regression: bool,
                  samples: int) -> tuple[list[np.ndarray], dict[int, str]]:
    """Each explainer's weight per column for one encoded row, and LIME's description of each column's condition."""
    fn = (lambda z: f(z)) if regression else (lambda z: np.column_stack([1 - f(z), f(z)]))
    weights = []
    descriptions: dict[int, str] = {}
    for ex in explainers:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            e = ex.explain_instance(codes, fn, labels=None if regression else (1,), num_features=len(codec.columns),
                                    num_samples=samples)
        w = np.zeros(len(codec.columns))
        for feat, weight in e.as_map()[1]:  # LIME keys a regression's weights 1 as well
            w[feat] = weight
        weights.append(w)
        if not descriptions:
            descriptions = {feat: text for (text, _), (feat, _) in zip(e.as_list(label=1), e.as_map()[1])}
    return weights, descriptions


def _present_lime(a: ExplanationsAnalysis, o: ExplanationsOptions) -> tuple[list[Table], list[Figure], list[Finding], dict[str, Any]]:
    if a.lime_skipped:
        return [], [], [Finding("skipped", "LIME needs predicted probabilities, which the model does not give: "
                                           "no local explanations or SHAP–LIME agreement.", "agreement")], {}
    tables, figures = [], []
    k = o.top_k
    toward = f"LIME weight toward {a.class_label if a.lime_classification else 'the prediction'}"
    for r in a.lime:
        order = np.argsort(-np.abs(r.weights))[:8]
        title = f"{r.name[0].upper() + r.name[1:]}, {r.why}: predicted {r.prediction}, actual {r.actual}"
        figures.append(Figure(
            f"LIME — {title}",
            bar_chart([r.descriptions.get(i, r.columns[i]) for i in order], [r.weights[i] for i in order],
                      colors=[PALETTE[0] if r.weights[i] >= 0 else PALETTE[3] for i in order], xlabel=toward),
            f"SHAP vs LIME rank correlation {r.spearman_shap:.2f}, top-{k} overlap {r.overlap:.0%}; "
            f"LIME rerun with another seed: rank correlation {r.spearman_seeds:.2f}.",
            section=f"LIME: {r.name}", appendix=True,
        ))
        tables.append(Table(f"{title}: values, LIME weight and SHAP value per column", ["column", "value", "LIME weight", "SHAP value"],
                            [[c, r.values[c] if not isinstance(r.values[c], float) or np.isfinite(r.values[c]) else None,
                              r.weights[i], r.shap[i]] for i, c in enumerate(r.columns)],
                            formats=["text", "", "", ""], section=f"LIME: {r.name}", appendix=True))
    if not a.lime:
        return tables, figures, [], {}
    tables.insert(0, Table(
        "LIME: the explained rows and how well SHAP and LIME agree on them",
        ["row", "why chosen", "predicted", "actual", "SHAP–LIME rank correlation", f"top-{k} overlap", "LIME across seeds"],
        [[r.name, r.why, label_text(r.prediction), label_text(r.actual), r.spearman_shap, r.overlap, r.spearman_seeds]
         for r in a.lime], formats=["text", "text", "text", "text", "2f", "%", "2f"],
        note=("Rows are named by the id column " + repr(a.id_column) + " and their 0-based position." if a.id_column else
              "Rows are named by their 0-based position in the data file (no id column; set id_column to name one).")
        + " Each row's LIME weights and SHAP values are in the HTML report (under More) and report.json.",
        section="LIME: local explanations"))
    return tables, figures, *_agreement(a, o)


def _agreement(a: ExplanationsAnalysis, o: ExplanationsOptions) -> tuple[list[Finding], dict[str, Any]]:
    k = o.top_k
    agreement = {"lime_rows": len(a.lime), "lime_shap_spearman_mean": float(np.nanmean([r.spearman_shap for r in a.lime])),
                 "lime_shap_top_k_overlap_mean": float(np.mean([r.overlap for r in a.lime])),
                 "lime_seed_spearman_mean": float(np.nanmean([r.spearman_seeds for r in a.lime]))}
    mean, seeds = agreement["lime_shap_spearman_mean"], agreement["lime_seed_spearman_mean"]
    findings = [
        Finding("pass" if mean >= o.agreement_warn else "warn",
                f"SHAP and LIME {'agree' if mean >= o.agreement_warn else 'disagree'} on the {len(a.lime)} explained rows: mean rank "
                f"correlation {mean:.2f} (warn below {o.agreement_warn}), top-{k} overlap "
                f"{agreement['lime_shap_top_k_overlap_mean']:.0%}. LIME explains the "
                f"{('probability of ' + a.class_label) if a.lime_classification else 'prediction'} locally; "
                f"SHAP explains {a.attr.output_space}."
                + (" Missing numeric values were set to the column median for LIME, which cannot take gaps."
                   if a.lime_medians else ""), "agreement"),
        Finding("pass" if seeds >= o.stability_warn else "warn",
                f"LIME is {'stable' if seeds >= o.stability_warn else 'unstable'} across seeds: mean rank correlation {seeds:.2f} "
                f"between two runs with {o.lime_samples:,} samples each (warn below {o.stability_warn}).", "stability"),
    ]
    return findings, agreement


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import spearmanr

    if np.all(a == a[0]) or np.all(b == b[0]):
        return float("nan")
    return float(spearmanr(a, b).statistic)





def _value_ranks(sample: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """Percentile rank of each value within its column (NaN for categories), for colouring."""
    out = np.full((len(sample), len(cols)), np.nan)
    for j, c in enumerate(cols):
        if pd.api.types.is_numeric_dtype(sample[c]):
            out[:, j] = sample[c].rank(pct=True).to_numpy()
    return out


def _dependence(sample: pd.DataFrame, attr: Attribution, cols: np.ndarray, *, max_points: int = 300) -> list[Figure]:
    figures = []
    shown = np.unique(np.linspace(0, len(sample) - 1, min(len(sample), max_points)).astype(int))
    for i in cols:
        c = attr.columns[i]
        if pd.api.types.is_numeric_dtype(sample[c]):
            svg = xy_chart([Series(sample[c].to_numpy(dtype=float)[shown], attr.values[shown, i], kind="scatter")],
                           xlabel=c, ylabel=f"SHAP value of {c}", hline=0.0)
        else:
            means = pd.Series(attr.values[:, i], index=sample[c].astype(str).to_numpy()).groupby(level=0).mean().sort_values()
            svg = bar_chart(list(means.index), list(means.values), xlabel=f"mean SHAP value of {c}",
                            colors=[PALETTE[0] if v >= 0 else PALETTE[3] for v in means.values])
        figures.append(Figure(f"Dependence: {c}", svg, f"How the column's value moves its attribution ({len(shown)} sampled rows "
                                                         "drawn; categories: mean over the whole sample).",
                              section="Dependence", appendix=True))
    return figures


def _group_shares(ctx: AuditContext, sample: pd.DataFrame, attr: Attribution) -> tuple[GroupShares, ...]:
    """Per sensitive column, each group's mean |SHAP| per column divided by its total (groups of 10 sampled rows or more)."""
    out = []
    positions = ctx.sample.X.index.get_indexer(sample.index)
    for col in ctx.sensitive_columns:
        g = ctx.sample.groups[col][positions]
        names, counts = np.unique(g, return_counts=True)
        keep = [nm for nm, cnt in zip(names, counts) if cnt >= 10]
        if len(keep) < 2:
            continue
        shares = {}
        for nm in keep:
            m = np.abs(attr.values[g == nm]).mean(axis=0)
            shares[nm] = m / (m.sum() or 1.0)
        out.append(GroupShares(col, pd.DataFrame(shares, index=list(attr.columns)),
                               {str(nm): int(cnt) for nm, cnt in zip(names, counts)}))
    return tuple(out)


def _per_group(a: ExplanationsAnalysis) -> tuple[list[Table], list[Finding], dict[str, Any]]:
    tables, findings, details = [], [], {}
    order = list(np.array(a.attr.columns)[a.order])
    for gs in a.groups:
        col, frame, spread = gs.column, gs.shares, gs.spread
        keep = list(frame.columns)
        tables.append(Table(
            f"Share of attribution per column, by {col}", ["column", *keep, "max − min"],
            [[c, *[frame.loc[c, nm] for nm in keep], spread[c]] for c in order],
            note=f"Each group's mean |SHAP| per column divided by its total; groups with fewer than 10 sampled rows omitted "
                 f"({', '.join(f'{nm}: {cnt}' for nm, cnt in gs.counts.items())} rows sampled).",
            section="By sensitive group", appendix=True, formats=["text", *(["%"] * len(keep)), "%"],
        ))
        top = spread.index[0]
        hi, lo = frame.loc[top].idxmax(), frame.loc[top].idxmin()
        findings.append(Finding(
            "pass",
            f"[{col}] Importance differs most for {top}: {frame.loc[top, hi]:.1%} of the attribution for {hi} vs "
            f"{frame.loc[top, lo]:.1%} for {lo}.", f"group_diff/{col}"))
        details[col] = {"shares": frame.to_dict(), "largest_difference": {"column": top, "spread": spread[top]}}
    return tables, findings, details
