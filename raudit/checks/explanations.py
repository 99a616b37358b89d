"""Explanations: what drives the model (SHAP per input column), per group, LIME for chosen rows, and agreement.

Attributions are computed on a seeded sample stratified by label and the
first sensitive feature; the sample sizes are in the report.
"""

from __future__ import annotations

import warnings
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

    def run(self, ctx: AuditContext, options: ExplanationsOptions) -> CheckResult:  # noqa: D102
        with single_threaded():  # SHAP and LIME predict in many small batches: thread pools only cost time here
            return self._run(ctx, options)

    def _run(self, ctx: AuditContext, options: ExplanationsOptions) -> CheckResult:
        o = options
        assert ctx.model is not None
        # scikit-learn, XGBoost and LightGBM models are explained directly (fast paths); others through their adapter
        native = type(ctx.model.model).__module__.split(".")[0] in ("sklearn", "xgboost", "lightgbm")
        model = ctx.model.model if native else ctx.model
        rng = ctx.rng("explanations")
        class_index, class_label = explained_class(ctx, o.explain_class)

        row_strata = strata(ctx)
        attr, sample, background = self._shap(ctx, model, o, rng, row_strata, class_index, class_label)
        columns = list(attr.columns)
        mean_abs = np.abs(attr.values).mean(axis=0)
        total = mean_abs.sum() or 1.0
        order = np.argsort(-mean_abs, kind="stable")
        findings: list[Finding] = []
        tables: list[Table] = []
        figures: list[Figure] = []
        metrics: dict[str, Any] = {"sample_size": len(sample), "background_size": len(background),
                                   "additivity_max_error": attr.additivity_error}

        scale = max(float(np.abs(attr.output).max()), 1.0)
        ok = attr.additivity_error <= o.additivity_tolerance * scale
        error = "less than one billionth" if attr.additivity_error < 1e-9 else number(attr.additivity_error)
        findings.append(Finding(
            "pass" if ok else "warn",
            f"Additivity holds: attributions plus the base value reproduce the model output ({attr.output_space}) on the "
            f"{len(sample):,} sampled rows; the largest difference is {error} (tolerance {number(o.additivity_tolerance * scale)})."
            if ok else
            f"Additivity does not hold: attributions plus the base value differ from the model output by up to "
            f"{error} (tolerance {number(o.additivity_tolerance * scale)}); treat the attributions as approximate.",
            "additivity",
        ))
        tables.append(Table(
            "Global importance: mean |SHAP| per input column",
            ["rank", "column", "mean |SHAP|", "share of total"],
            [[r + 1, columns[i], mean_abs[i], mean_abs[i] / total] for r, i in enumerate(order)], formats=["int", "text", "", "%"],
            note=f"Method: {attr.method}. Why: {attr.reason}. Output explained: {attr.output_space}. "
                 f"Sample: {len(sample):,} rows stratified by label and {ctx.sensitive_columns[0] if ctx.sensitive_columns else 'label'} "
                 f"(seeded); background: {len(background):,} rows.", section="Global importance",
        ))
        top = order[:15]
        figures.append(Figure("Mean |SHAP| per input column", bar_chart([columns[i] for i in top], [mean_abs[i] for i in top],
                                                                        xlabel=f"mean |SHAP| ({attr.output_space})"),
                              section="Global importance"))
        figures.append(Figure(
            "SHAP summary (beeswarm)",
            beeswarm([columns[i] for i in top], attr.values[:, top], _value_ranks(sample, [columns[i] for i in top]),
                     xlabel=f"SHAP value ({attr.output_space})", max_points=200),
            "One dot per sampled row (at most 200 drawn per column); colour from blue (low value of the column) to red "
            "(high); grey: categories.", section="Global importance",
        ))
        figures += _dependence(sample, attr, order[: o.dependence_plots])

        findings += self._sensitive_use(ctx, attr, mean_abs, total, o, metrics)
        group_tables, group_findings, group_details = _per_group(ctx, sample, attr, mean_abs)
        tables += group_tables
        findings += group_findings

        lime_details, lime_tables, lime_figures, lime_findings, agreement = self._lime(
            ctx, model, o, sample, attr, class_index, class_label)
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
                "per_group": group_details, "lime": lime_details,
                "explained_class": class_label,
            },
        )

    def _shap(self, ctx: AuditContext, model: Any, o: ExplanationsOptions, rng: np.random.Generator, strata: np.ndarray,
              class_index: Any, class_label: str) -> tuple[Attribution, pd.DataFrame, pd.DataFrame]:
        fast = fast_explainer(model, ctx.sample.X) is not None
        n_sample = o.sample_size if fast else o.agnostic_sample_size
        n_background = o.background_size if fast else o.agnostic_background_size
        idx = stratified_sample(strata, n_sample, rng)
        bg_idx = stratified_sample(strata, n_background, rng)
        sample, background = ctx.sample.X.iloc[idx], ctx.sample.X.iloc[bg_idx]
        ci = class_index if np.ndim(class_index) == 0 else np.asarray(class_index)[idx]
        attr = explain(model, sample, background, task=ctx.task, class_index=ci, class_label=class_label, seed=ctx.seed)
        return attr, sample, background

    def _sensitive_use(self, ctx: AuditContext, attr: Attribution, mean_abs: np.ndarray, total: float,
                       o: ExplanationsOptions, metrics: dict[str, Any]) -> list[Finding]:
        out = []
        for col in ctx.sensitive_columns:
            if col in attr.columns:
                share = mean_abs[attr.columns.index(col)] / total
                metrics[f"sensitive_share.{slug(col)}"] = share
                status: Status = "fail" if share > o.sensitive_share_fail else "warn"
                out.append(Finding(status, f"The model uses {col} directly: it carries {share:.1%} of the total attribution "
                                           f"(fail above {o.sensitive_share_fail:.0%}).", f"direct/{col}"))
        if not out and ctx.sensitive_columns:
            out.append(Finding("pass", "The model takes none of the sensitive columns as input "
                                       "(proxies may still carry them: see the fairness check).", "direct"))
        return out

    def _lime(self, ctx: AuditContext, model: Any, o: ExplanationsOptions, sample: pd.DataFrame, attr: Attribution,
              class_index: Any, class_label: str) -> tuple[list[dict[str, Any]], list[Table], list[Figure], list[Finding], dict[str, Any]]:
        from lime.lime_tabular import LimeTabularExplainer
        from scipy.stats import spearmanr

        rows = lime_rows(ctx, o.lime_rows, o.lime_misclassified)
        if ctx.task != "regression" and ctx.sample.y_proba is None:
            return [], [], [], [Finding("skipped", "LIME needs predicted probabilities, which the model does not give: "
                                                   "no local explanations or SHAP–LIME agreement.", "agreement")], {}
        codec = TabularCodec.fit(pd.concat([sample, ctx.sample.X.iloc[[r for r, _ in rows]]]))
        train = codec.encode(sample)
        # LIME's discretiser cannot take NaN: numeric gaps get the column's median (said in the report)
        gaps = np.isnan(train)
        medians = None
        if gaps.any():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing column has no median
                medians = np.nan_to_num(np.nanmedian(train, axis=0))
            train = np.where(gaps, medians, train)
        mode = "regression" if ctx.task == "regression" else "classification"
        cat_idx = codec.categorical_indices
        names = {i: ["missing" if v is None else str(v) for v in codec.categories[i]] for i in cat_idx}

        def lime_explainer(seed: int) -> Any:
            return LimeTabularExplainer(train, mode=mode, feature_names=list(codec.columns), categorical_features=cat_idx,
                                        categorical_names=names, discretize_continuous=True, random_state=seed)

        explainers = (lime_explainer(ctx.seed), lime_explainer(ctx.seed + 1))
        row_frame = ctx.sample.X.iloc[[r for r, _ in rows]]
        cis: list[int | None]
        if ctx.task == "regression":
            cis = [None] * len(rows)
        else:
            cis = [int(class_index) if np.ndim(class_index) == 0 else int(np.asarray(class_index)[r]) for r, _ in rows]
        row_ci = None if ctx.task == "regression" else (cis[0] if np.ndim(class_index) == 0 else np.asarray(cis))
        row_attr = explain(model, row_frame, sample.iloc[: o.background_size], task=ctx.task, class_index=row_ci,
                           class_label=class_label, seed=ctx.seed)
        details, tables, figures = [], [], []
        cases: list[list[Any]] = []
        agree, stable, overlap = [], [], []
        k = o.top_k
        for j, ((row, why), ci) in enumerate(zip(rows, cis)):
            codes = codec.encode(ctx.sample.X.iloc[[row]])[0]
            if medians is not None:
                codes = np.where(np.isnan(codes), medians, codes)
            f = predict_function(model, codec, task=ctx.task, class_index=ci)
            fn = (lambda z, f=f: f(z)) if mode == "regression" else (lambda z, f=f: np.column_stack([1 - f(z), f(z)]))
            weights = []
            descriptions: dict[int, str] = {}
            for ex in explainers:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    e = ex.explain_instance(codes, fn, labels=(1,) if mode == "classification" else None,
                                            num_features=len(codec.columns), num_samples=o.lime_samples)
                label = 1 if mode == "classification" else 0
                w = np.zeros(len(codec.columns))
                for feat, weight in e.as_map()[label if mode == "classification" else 1]:
                    w[feat] = weight
                weights.append(w)
                if not descriptions:
                    descriptions = {feat: text for (text, _), (feat, _) in zip(e.as_list(label=label if mode == "classification" else 1),
                                                                            e.as_map()[label if mode == "classification" else 1])}
            shap_row = row_attr.values[j]
            rho = _spearman(weights[0], shap_row, spearmanr)
            rho_seed = _spearman(weights[0], weights[1], spearmanr)
            top_lime = set(np.argsort(-np.abs(weights[0]))[:k])
            top_shap = set(np.argsort(-np.abs(shap_row))[:k])
            top_seed = set(np.argsort(-np.abs(weights[1]))[:k])
            ov = len(top_lime & top_shap) / k
            agree.append(rho)
            stable.append(rho_seed)
            overlap.append(ov)
            order = np.argsort(-np.abs(weights[0]))[:8]
            prediction = ctx.sample.y_pred[row]
            row_id = None if ctx.id_column is None else ctx.sample.frame[ctx.id_column].iloc[row]
            name = ctx.row_name(int(ctx.sample.positions[row]), row_id)
            title = f"{name[0].upper() + name[1:]}, {why}: predicted {prediction}, actual {ctx.sample.y[row]}"
            figures.append(Figure(
                f"LIME — {title}",
                bar_chart([descriptions.get(i, codec.columns[i]) for i in order], [weights[0][i] for i in order],
                          colors=[PALETTE[0] if weights[0][i] >= 0 else PALETTE[3] for i in order],
                          xlabel=f"LIME weight toward {class_label if mode == 'classification' else 'the prediction'}"),
                f"SHAP vs LIME rank correlation {rho:.2f}, top-{k} overlap {ov:.0%}; "
                f"LIME rerun with another seed: rank correlation {rho_seed:.2f}.",
                section=f"LIME: {name}", appendix=True,
            ))
            values = ctx.sample.X.iloc[row]
            tables.append(Table(f"{title}: values, LIME weight and SHAP value per column",
                                ["column", "value", "LIME weight", "SHAP value"],
                                [[c, values[c] if not isinstance(values[c], float) or np.isfinite(values[c]) else None,
                                  weights[0][i], shap_row[i]] for i, c in enumerate(codec.columns)],
                                formats=["text", "", "", ""], section=f"LIME: {name}", appendix=True))
            cases.append([name, why, label_text(prediction), label_text(ctx.sample.y[row]), rho, ov, rho_seed])
            details.append({"row": int(ctx.sample.positions[row]), "id": None if row_id is None else label_text(row_id), "why": why,
                            "prediction": prediction, "actual": ctx.sample.y[row],
                            "lime_weights": dict(zip(codec.columns, weights[0])),
                            "lime_weights_other_seed": dict(zip(codec.columns, weights[1])),
                            "shap_values": dict(zip(codec.columns, shap_row)), "spearman_lime_shap": rho,
                            "spearman_lime_seeds": rho_seed, "top_k_overlap": ov, "top_k_overlap_seeds": len(top_lime & top_seed) / k})
        agreement = {}
        findings = []
        if cases:
            tables.insert(0, Table(
                "LIME: the explained rows and how well SHAP and LIME agree on them",
                ["row", "why chosen", "predicted", "actual", "SHAP–LIME rank correlation", f"top-{k} overlap",
                 "LIME across seeds"], cases, formats=["text", "text", "text", "text", "2f", "%", "2f"],
                note=("Rows are named by the id column " + repr(ctx.id_column) + " and their 0-based position." if ctx.id_column else
                      "Rows are named by their 0-based position in the data file (no id column; set id_column to name one).")
                + " Each row's LIME weights and SHAP values are in the HTML report (under More) and report.json.",
                section="LIME: local explanations"))
        if rows:
            agreement = {"lime_rows": len(rows), "lime_shap_spearman_mean": float(np.nanmean(agree)),
                         "lime_shap_top_k_overlap_mean": float(np.mean(overlap)), "lime_seed_spearman_mean": float(np.nanmean(stable))}
            a, s = agreement["lime_shap_spearman_mean"], agreement["lime_seed_spearman_mean"]
            findings.append(Finding(
                "pass" if a >= o.agreement_warn else "warn",
                f"SHAP and LIME {'agree' if a >= o.agreement_warn else 'disagree'} on the {len(rows)} explained rows: mean rank "
                f"correlation {a:.2f} (warn below {o.agreement_warn}), top-{k} overlap {agreement['lime_shap_top_k_overlap_mean']:.0%}. "
                f"LIME explains the {('probability of ' + class_label) if mode == 'classification' else 'prediction'} locally; "
                f"SHAP explains {attr.output_space}."
                + (" Missing numeric values were set to the column median for LIME, which cannot take gaps."
                   if medians is not None else ""),
                "agreement"))
            findings.append(Finding(
                "pass" if s >= o.stability_warn else "warn",
                f"LIME is {'stable' if s >= o.stability_warn else 'unstable'} across seeds: "
                f"mean rank correlation {s:.2f} between two runs "
                f"with {o.lime_samples:,} samples each (warn below {o.stability_warn}).", "stability"))
        return details, tables, figures, findings, agreement


def _spearman(a: np.ndarray, b: np.ndarray, spearmanr: Any) -> float:
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


def _per_group(
    ctx: AuditContext, sample: pd.DataFrame, attr: Attribution, mean_abs: np.ndarray
) -> tuple[list[Table], list[Finding], dict[str, Any]]:
    tables, findings, details = [], [], {}
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
        frame = pd.DataFrame(shares, index=list(attr.columns))
        spread = (frame.max(axis=1) - frame.min(axis=1)).sort_values(ascending=False)
        order = list(np.array(attr.columns)[np.argsort(-mean_abs, kind="stable")])
        tables.append(Table(
            f"Share of attribution per column, by {col}", ["column", *keep, "max − min"],
            [[c, *[frame.loc[c, nm] for nm in keep], spread[c]] for c in order],
            note=f"Each group's mean |SHAP| per column divided by its total; groups with fewer than 10 sampled rows omitted "
                 f"({', '.join(f'{nm}: {cnt}' for nm, cnt in zip(names, counts))} rows sampled).",
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
