"""Text explanations: which words drive a text model, overall and per group (SHAP), LIME on chosen rows, and agreement.

SHAP's Partition explainer over a text masker (the model's own tokenizer for
Hugging Face models, words otherwise) attributes the explained output to the
pieces of each text of a seeded sample stratified by label and the first
sensitive feature; pieces are joined back into words. LIME's text explainer
explains a few chosen rows; the two are compared word by word. Identity terms
(the counterfactual check's lists) among the most influential words warn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from raudit.checks._explaining import check_explain_class, check_lime_rows, explained_class, lime_rows, strata, stratified_sample
from raudit.checks._swaps import BUILTIN
from raudit.checks._text_attribution import explain_tokens, lime_words, word_totals, words
from raudit.plugin import (
    PALETTE,
    AuditContext,
    Check,
    CheckResult,
    ConfigError,
    Facts,
    Figure,
    Finding,
    Options,
    Table,
    bar_chart,
    option,
)

#: Every term of the built-in swap lists, lower-cased: an identity term the model should not lean on.
IDENTITY_TERMS = frozenset(t.lower() for sl in BUILTIN.values() for pair in sl.pairs for t in pair)


@dataclass(frozen=True)
class TextExplanationsOptions(Options):
    """Sample sizes, budgets and thresholds of the text explanations check."""

    sample_size: int = option(30, "texts explained with SHAP: a seeded sample stratified by label and the first sensitive "
                                  "feature", ge=1)
    max_evals: int = option(300, "model evaluations SHAP's Partition explainer spends per text", ge=10)
    output: str = option("probability", "explained output: \"probability\" or \"log-odds\" of the explained class")
    explain_class: str | None = option(None, "class whose probability is explained (default: the positive class, or each "
                                             "row's predicted class for multiclass)")
    lime_rows: tuple[int, ...] = option((), "explicit 0-based row positions LIME explains (default: the most confident each "
                                           "way, the most uncertain and misclassified rows)", ge=0)
    lime_misclassified: int = option(2, "misclassified rows added to LIME's rows", ge=0, le=50)
    lime_samples: int = option(500, "perturbed texts LIME draws per explained row", ge=50)
    top_words: int = option(15, "most influential words listed overall and per group", ge=1, le=100)
    identity_top: int = option(10, "an identity term (a word of the counterfactual check's built-in lists) among this many "
                                   "most influential words warns", ge=0)
    additivity_tolerance: float = option(1e-3, "largest |sum of SHAP values + base − model output| that passes, relative to "
                                               "the output's scale", gt=0, le=1)
    agreement_warn: float = option(0.3, "mean SHAP–LIME rank correlation of word weights below this warns", ge=-1, le=1)
    top_k: int = option(3, "top-k words compared between SHAP and LIME", ge=1)

    def check(self, *, name: str) -> None:  # noqa: D102
        if self.output not in ("probability", "log-odds"):
            raise ConfigError(f"[check.{name}].output must be \"probability\" or \"log-odds\"; got {self.output!r}")


class TextExplanationsCheck(Check):
    """Token attributions (SHAP Partition explainer, LIME text) for models that read free text."""

    name = "text_explanations"
    title = "Explanations (text)"
    order = 31
    evidence = {
        "EU-AIA-13.3.b.iv": "SHAP and LIME explanations of outputs, per word",
        "EU-AIA-IV.2.b": "which words drive the model",
        "NIST-MEASURE-2.9": "global, per-group and local explanations of a text model, their agreement",
    }
    requires = frozenset({"model", "labels", "proba", "text"})
    Options = TextExplanationsOptions

    def validate(self, facts: Facts, options: TextExplanationsOptions) -> None:  # noqa: D102
        check_explain_class(facts, options.explain_class, "text_explanations")
        check_lime_rows(facts, options.lime_rows, "text_explanations")
        if facts.roles.text_column not in facts.features:
            raise ConfigError(f"text column {facts.roles.text_column!r} is not one of the model's inputs",
                              hint="name the column of texts the model reads with --text-column")

    def run(self, ctx: AuditContext, options: TextExplanationsOptions) -> CheckResult:  # noqa: D102
        o = options
        assert ctx.model is not None and ctx.classes is not None
        column = str(ctx.roles.text_column)
        class_index, label = explained_class(ctx, o.explain_class)
        rows = stratified_sample(strata(ctx), o.sample_size, ctx.rng("text_explanations"))
        ci = [int(class_index) if np.ndim(class_index) == 0 else int(np.asarray(class_index)[r]) for r in rows]
        attr = explain_tokens(ctx.model, ctx.sample.X, rows, column, ci, log_odds=o.output == "log-odds", label=label,
                              max_evals=o.max_evals)
        per_row = [word_totals(words(t, v)) for t, v in zip(attr.tokens, attr.values)]
        glob = _aggregate(per_row)
        findings: list[Finding] = []
        tables: list[Table] = []
        figures: list[Figure] = []
        errors = attr.additivity_errors
        max_error = float(errors.max()) if len(errors) else 0.0
        scale = max(float(np.abs(attr.output).max()) if len(errors) else 1.0, 1.0)
        ok = max_error <= o.additivity_tolerance * scale
        findings.append(Finding(
            "pass" if ok else "warn",
            (f"Additivity: token attributions plus the base value reproduce the model output ({attr.output_space}) on the "
             f"{len(rows)} explained texts within {max_error:.2e} (tolerance {o.additivity_tolerance * scale:.1e}).") if ok else
            (f"Additivity does not hold: token attributions plus the base value differ from the model output by up to "
             f"{max_error:.3g}; treat the attributions as approximate."), "additivity"))
        top = glob.head(o.top_words)
        tables.append(Table(
            "Most influential words overall", ["rank", "word", "mean |SHAP| per text", "mean SHAP where present", "texts"],
            [[i + 1, w, r.mean_abs, r.mean_present, int(r.texts)] for i, (w, r) in enumerate(top.iterrows())],
            note=f"Method: {attr.method}. Output explained: {attr.output_space}. Pieces are joined into lower-cased words; "
                 f"sample: {len(rows)} texts stratified by label and "
                 f"{ctx.sensitive_columns[0] if ctx.sensitive_columns else 'label'} (seeded). Mean |SHAP| per text averages over "
                 "every explained text (0 where the word is absent).", section="Most influential words"))
        if len(top):
            figures.append(Figure("Mean |SHAP| per word", bar_chart(list(top.index), list(top.mean_abs),
                                                                    xlabel=f"mean |SHAP| per text ({attr.output_space})"),
                                  section="Most influential words"))
        ranked = list(glob.index[: o.identity_top])
        identity = [w for w in ranked if w in IDENTITY_TERMS]
        if o.identity_top:
            findings.append(Finding(
                "warn" if identity else "pass",
                (f"Identity terms are among the {o.identity_top} most influential words: "
                 + ", ".join(f"{w!r} (rank {ranked.index(w) + 1}, mean SHAP {glob.loc[w, 'mean_present']:+.3g} where present)"
                             for w in identity) + ". The counterfactual check tests whether swapping them changes decisions.")
                if identity else
                f"No identity term (pronoun, gendered noun or listed first name) is among the {o.identity_top} most influential words.",
                "identity"))
        group_details = _per_group(ctx, rows, per_row, o, tables)
        lime_details, agreement = self._lime(ctx, o, column, figures, findings)
        metrics: dict[str, Any] = {"sample_size": len(rows), "additivity_max_error": max_error, **agreement}
        summary = (f"top words: {', '.join(list(glob.index[:3]))}; SHAP Partition on {len(rows)} texts"
                   + (f"; SHAP–LIME rank agreement {agreement['lime_shap_spearman_mean']:.2f}" if "lime_shap_spearman_mean" in agreement
                      else ""))
        details = {"method": attr.method, "output_space": attr.output_space, "explained_class": label,
                   "global": [{"word": w, **{k: float(v) for k, v in r.items()}} for w, r in glob.head(100).iterrows()],
                   "per_group": group_details, "lime": lime_details,
                   "rows": [{"row": int(ctx.sample.positions[r]), "tokens": list(t), "values": list(v), "base": b, "output": out}
                            for r, t, v, b, out in zip(attr.rows, attr.tokens, attr.values, attr.base, attr.output)]}
        return self.result(findings=findings, summary=summary, metrics=metrics, tables=tables, figures=figures, details=details)

    def _lime(self, ctx: AuditContext, o: TextExplanationsOptions, column: str, figures: list[Figure],
              findings: list[Finding]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        from scipy.stats import spearmanr

        assert ctx.model is not None and ctx.classes is not None
        chosen = lime_rows(ctx, o.lime_rows, o.lime_misclassified)
        if not chosen:
            return [], {}
        class_names = [str(c) for c in ctx.classes]
        class_index, label = explained_class(ctx, o.explain_class)
        cis = [int(class_index) if np.ndim(class_index) == 0 else int(np.asarray(class_index)[r]) for r, _ in chosen]
        shap_rows = explain_tokens(ctx.model, ctx.sample.X, [r for r, _ in chosen], column, cis, log_odds=False, label=label,
                                   max_evals=o.max_evals)
        details, agree, overlap = [], [], []
        for j, ((row, why), c) in enumerate(zip(chosen, cis)):
            lime = lime_words(ctx.model, ctx.sample.X, row, column, c, class_names, seed=ctx.seed, samples=o.lime_samples)
            shap_w = word_totals(words(shap_rows.tokens[j], shap_rows.values[j]))
            common = sorted(set(lime) | set(shap_w))
            a = np.array([lime.get(w, 0.0) for w in common])
            b = np.array([shap_w.get(w, 0.0) for w in common])
            rho = float(spearmanr(a, b).statistic) if len(common) > 2 and np.ptp(a) > 0 and np.ptp(b) > 0 else float("nan")
            k = min(o.top_k, len(common)) or 1
            top_l = {common[i] for i in np.argsort(-np.abs(a))[:k]}
            top_s = {common[i] for i in np.argsort(-np.abs(b))[:k]}
            agree.append(rho)
            overlap.append(len(top_l & top_s) / k)
            order = sorted(lime, key=lambda w: -abs(lime[w]))[:8]
            S = ctx.sample
            position = int(S.positions[row])
            name = ctx.row_name(position, None if ctx.id_column is None else S.frame[ctx.id_column].iloc[row])
            text = str(S.X[column].iloc[row])
            title = f"{name[0].upper()}{name[1:]} ({why}): predicted {S.y_pred[row]}, actual {S.y[row]}"
            figures.append(Figure(f"LIME — {title}",
                                  bar_chart(order, [lime[w] for w in order],
                                            colors=[PALETTE[0] if lime[w] >= 0 else PALETTE[3] for w in order],
                                            xlabel=f"LIME weight toward {class_names[c]}"),
                                  f"Text: “{text[:200]}{'…' if len(text) > 200 else ''}”. SHAP vs LIME rank correlation "
                                  f"{rho:.2f}, top-{k} overlap {len(top_l & top_s) / k:.0%}.", section=f"LIME: row {position} ({why})"))
            details.append({"row": position, "why": why, "text": text, "lime_weights": lime, "shap_word_values": shap_w,
                            "spearman_lime_shap": rho, "top_k_overlap": len(top_l & top_s) / k})
        metrics = {"lime_rows": len(chosen), "lime_shap_spearman_mean": float(np.nanmean(agree)) if np.isfinite(agree).any() else None,
                   "lime_shap_top_k_overlap_mean": float(np.mean(overlap))}
        mean_rho = metrics["lime_shap_spearman_mean"]
        if mean_rho is not None:
            findings.append(Finding(
                "pass" if mean_rho >= o.agreement_warn else "warn",
                f"SHAP and LIME {'agree' if mean_rho >= o.agreement_warn else 'disagree'} on the words of the {len(chosen)} "
                f"explained rows: mean rank correlation {mean_rho:.2f} (warn below {o.agreement_warn}), top-{o.top_k} overlap "
                f"{metrics['lime_shap_top_k_overlap_mean']:.0%}. LIME explains the probability of the class locally with "
                f"{o.lime_samples} perturbed texts (words removed); SHAP masks pieces hierarchically.", "agreement"))
        return details, metrics



def _aggregate(per_row: list[dict[str, float]]) -> pd.DataFrame:
    """Per word: mean |SHAP| per text (0 where absent), mean SHAP where present, number of texts; sorted by the first."""
    n = max(len(per_row), 1)
    total_abs: dict[str, float] = {}
    total: dict[str, float] = {}
    count: dict[str, int] = {}
    for d in per_row:
        for w, v in d.items():
            total_abs[w] = total_abs.get(w, 0.0) + abs(v)
            total[w] = total.get(w, 0.0) + v
            count[w] = count.get(w, 0) + 1
    frame = pd.DataFrame({"mean_abs": {w: total_abs[w] / n for w in total_abs},
                          "mean_present": {w: total[w] / count[w] for w in total},
                          "texts": {w: count[w] for w in count}}, columns=["mean_abs", "mean_present", "texts"])
    return frame.sort_values(["mean_abs", "texts"], ascending=[False, False], kind="stable") if len(frame) else frame


def _per_group(ctx: AuditContext, rows: np.ndarray, per_row: list[dict[str, float]], o: TextExplanationsOptions,
               tables: list[Table]) -> dict[str, Any]:
    details: dict[str, Any] = {}
    for col in ctx.sensitive_columns:
        g = np.asarray(ctx.sample.groups[col])[rows]
        out = {}
        table_rows = []
        for name in sorted(set(g.tolist())):
            members = [per_row[i] for i in np.flatnonzero(g == name)]
            frame = _aggregate(members).head(o.top_words)
            out[name] = {"texts": len(members), "top": [{"word": w, "mean_abs": float(r.mean_abs)} for w, r in frame.iterrows()]}
            table_rows.append([name, len(members), ", ".join(f"{w} ({r.mean_abs:.3g})" for w, r in frame.head(10).iterrows())])
        details[col] = out
        tables.append(Table(f"Most influential words by {col}", ["group", "explained texts", "top words (mean |SHAP| per text)"],
                            table_rows, note="Words the model leans on within each group's explained texts; a word that "
                                             "matters for one group only deserves a look.", section="By sensitive group"))
    return details

