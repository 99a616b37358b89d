"""Text explanations: which words drive a text model, overall and per group (SHAP), LIME on chosen rows, and agreement.

SHAP's Partition explainer over a text masker (the model's own tokenizer for
Hugging Face models, words otherwise) attributes the explained output to the
pieces of each text of a seeded sample stratified by label and the first
sensitive feature; pieces are joined back into words. LIME's text explainer
explains a few chosen rows; the two are compared word by word. Identity terms
(the counterfactual check's lists) among the most influential words warn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from raudit.checks._explaining import check_explain_class, check_lime_rows, explained_class, lime_rows, strata, stratified_sample
from raudit.checks._swaps import BUILTIN
from raudit.checks._text_attribution import TokenAttribution, explain_tokens, lime_words, word_totals, words
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

    def analyse(self, ctx: AuditContext, options: TextExplanationsOptions) -> TextAnalysis:
        """SHAP per token on a stratified sample of texts, summed into words; LIME's words on chosen rows beside SHAP's."""
        o = options
        assert ctx.model is not None and ctx.classes is not None
        column = str(ctx.roles.text_column)
        class_index, label = explained_class(ctx, o.explain_class)
        rows = stratified_sample(strata(ctx), o.sample_size, ctx.rng("text_explanations"))
        ci = [int(class_index) if np.ndim(class_index) == 0 else int(np.asarray(class_index)[r]) for r in rows]
        attr = explain_tokens(ctx.model, ctx.sample.X, rows, column, ci, log_odds=o.output == "log-odds", label=label,
                              max_evals=o.max_evals)
        per_row = [word_totals(words(tk, v)) for tk, v in zip(attr.tokens, attr.values)]
        groups = {col: np.asarray(ctx.sample.groups[col])[rows] for col in ctx.sensitive_columns}
        positions = [int(ctx.sample.positions[r]) for r in attr.rows]
        return TextAnalysis(attr, rows, positions, per_row, groups, label,
                            ctx.sensitive_columns[0] if ctx.sensitive_columns else "label", tuple(_lime(ctx, o, column)))

    def present(self, a: TextAnalysis, options: TextExplanationsOptions) -> CheckResult:
        """Additivity, the most influential words overall and per group, identity terms among them, LIME and agreement."""
        o, attr = options, a.attr
        glob = _aggregate(a.per_row)
        findings = [_additivity(a, o)]
        top = glob.head(o.top_words)
        tables = [Table(
            "Most influential words overall", ["rank", "word", "mean |SHAP| per text", "mean SHAP where present", "texts"],
            [[i + 1, w, r.mean_abs, r.mean_present, int(r.texts)] for i, (w, r) in enumerate(top.iterrows())],
            note=f"Method: {attr.method}. Output explained: {attr.output_space}. Pieces are joined into lower-cased words; "
                 f"sample: {len(a.rows)} texts stratified by label and {a.stratified_by} (seeded). Mean |SHAP| per text "
                 "averages over every explained text (0 where the word is absent).", section="Most influential words")]
        figures = []
        if len(top):
            figures.append(Figure("Mean |SHAP| per word", bar_chart(list(top.index), list(top.mean_abs),
                                                                    xlabel=f"mean |SHAP| per text ({attr.output_space})"),
                                  section="Most influential words"))
        if o.identity_top:
            findings.append(_identity(glob, o))
        group_tables, group_details = _per_group(a, o)
        tables += group_tables
        lime_figures, lime_findings, agreement = _present_lime(a, o)
        figures += lime_figures
        findings += lime_findings
        metrics: dict[str, Any] = {"sample_size": len(a.rows), "additivity_max_error": a.max_error, **agreement}
        summary = (f"top words: {', '.join(list(glob.index[:3]))}; SHAP Partition on {len(a.rows)} texts"
                   + (f"; SHAP–LIME rank agreement {agreement['lime_shap_spearman_mean']:.2f}" if "lime_shap_spearman_mean" in agreement
                      else ""))
        details = {"method": attr.method, "output_space": attr.output_space, "explained_class": a.label,
                   "global": [{"word": w, **{k: float(v) for k, v in r.items()}} for w, r in glob.head(100).iterrows()],
                   "per_group": group_details, "lime": [r.to_dict() for r in a.lime],
                   "rows": [{"row": pos, "tokens": list(tk), "values": list(v), "base": b, "output": out}
                            for pos, tk, v, b, out in zip(a.positions, attr.tokens, attr.values, attr.base, attr.output)]}
        return self.result(findings=findings, summary=summary, metrics=metrics, tables=tables, figures=figures, details=details)


@dataclass(frozen=True)
class LimeText:
    """One text LIME explained (words removed), beside SHAP's word values."""

    position: int
    name: str
    why: str
    prediction: Any
    actual: Any
    text: str
    class_name: str
    lime: Mapping[str, float]
    shap: Mapping[str, float]
    top_k: int

    @property
    def _vectors(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        common = sorted(set(self.lime) | set(self.shap))
        return common, np.array([self.lime.get(w, 0.0) for w in common]), np.array([self.shap.get(w, 0.0) for w in common])

    @property
    def spearman(self) -> float:
        """Rank correlation of LIME's and SHAP's word weights (NaN when either is constant or fewer than 3 words)."""
        from scipy.stats import spearmanr

        common, a, b = self._vectors
        return float(spearmanr(a, b).statistic) if len(common) > 2 and np.ptp(a) > 0 and np.ptp(b) > 0 else float("nan")

    @property
    def k(self) -> int:
        """How many top words are compared (at most the words there are)."""
        return min(self.top_k, len(self._vectors[0])) or 1

    @property
    def overlap(self) -> float:
        """Share of LIME's top-k words among SHAP's top k."""
        common, a, b = self._vectors
        top_l = {common[i] for i in np.argsort(-np.abs(a))[: self.k]}
        top_s = {common[i] for i in np.argsort(-np.abs(b))[: self.k]}
        return len(top_l & top_s) / self.k

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"row": self.position, "why": self.why, "text": self.text, "lime_weights": dict(self.lime),
                "shap_word_values": dict(self.shap), "spearman_lime_shap": self.spearman, "top_k_overlap": self.overlap}


@dataclass(frozen=True)
class TextAnalysis:
    """Token attributions of the sampled texts (and their words), the group of each, LIME rows."""

    attr: TokenAttribution
    rows: np.ndarray
    positions: list[int]
    per_row: list[dict[str, float]]
    groups: Mapping[str, np.ndarray]
    label: str
    stratified_by: str
    lime: tuple[LimeText, ...]

    @property
    def max_error(self) -> float:
        """The largest additivity error over the explained texts."""
        return float(self.attr.additivity_errors.max()) if len(self.attr.additivity_errors) else 0.0


def _additivity(a: TextAnalysis, o: TextExplanationsOptions) -> Finding:
    attr = a.attr
    scale = max(float(np.abs(attr.output).max()) if len(attr.additivity_errors) else 1.0, 1.0)
    ok = a.max_error <= o.additivity_tolerance * scale
    return Finding(
        "pass" if ok else "warn",
        (f"Additivity: token attributions plus the base value reproduce the model output ({attr.output_space}) on the "
         f"{len(a.rows)} explained texts within {a.max_error:.2e} (tolerance {o.additivity_tolerance * scale:.1e}).") if ok else
        (f"Additivity does not hold: token attributions plus the base value differ from the model output by up to "
         f"{a.max_error:.3g}; treat the attributions as approximate."), "additivity")


def _identity(glob: pd.DataFrame, o: TextExplanationsOptions) -> Finding:
    ranked = list(glob.index[: o.identity_top])
    identity = [w for w in ranked if w in IDENTITY_TERMS]
    return Finding(
        "warn" if identity else "pass",
        (f"Identity terms are among the {o.identity_top} most influential words: "
         + ", ".join(f"{w!r} (rank {ranked.index(w) + 1}, mean SHAP {glob.loc[w, 'mean_present']:+.3g} where present)"
                     for w in identity) + ". The counterfactual check tests whether swapping them changes decisions.")
        if identity else
        f"No identity term (pronoun, gendered noun or listed first name) is among the {o.identity_top} most influential words.",
        "identity")


def _lime(ctx: AuditContext, o: TextExplanationsOptions, column: str) -> list[LimeText]:
    assert ctx.model is not None and ctx.classes is not None
    chosen = lime_rows(ctx, o.lime_rows, o.lime_misclassified)
    if not chosen:
        return []
    class_names = [str(c) for c in ctx.classes]
    class_index, label = explained_class(ctx, o.explain_class)
    cis = [int(class_index) if np.ndim(class_index) == 0 else int(np.asarray(class_index)[r]) for r, _ in chosen]
    shap_rows = explain_tokens(ctx.model, ctx.sample.X, [r for r, _ in chosen], column, cis, log_odds=False, label=label,
                               max_evals=o.max_evals)
    S, out = ctx.sample, []
    for j, ((row, why), c) in enumerate(zip(chosen, cis)):
        lime = lime_words(ctx.model, S.X, row, column, c, class_names, seed=ctx.seed, samples=o.lime_samples)
        position = int(S.positions[row])
        name = ctx.row_name(position, None if ctx.id_column is None else S.frame[ctx.id_column].iloc[row])
        out.append(LimeText(position, name, why, S.y_pred[row], S.y[row], str(S.X[column].iloc[row]), class_names[c], lime,
                            word_totals(words(shap_rows.tokens[j], shap_rows.values[j])), o.top_k))
    return out


def _present_lime(a: TextAnalysis, o: TextExplanationsOptions) -> tuple[list[Figure], list[Finding], dict[str, Any]]:
    if not a.lime:
        return [], [], {}
    figures = []
    for r in a.lime:
        order = sorted(r.lime, key=lambda w: -abs(r.lime[w]))[:8]
        title = f"{r.name[0].upper()}{r.name[1:]} ({r.why}): predicted {r.prediction}, actual {r.actual}"
        figures.append(Figure(f"LIME — {title}",
                              bar_chart(order, [r.lime[w] for w in order],
                                        colors=[PALETTE[0] if r.lime[w] >= 0 else PALETTE[3] for w in order],
                                        xlabel=f"LIME weight toward {r.class_name}"),
                              f"Text: “{r.text[:200]}{'…' if len(r.text) > 200 else ''}”. SHAP vs LIME rank correlation "
                              f"{r.spearman:.2f}, top-{r.k} overlap {r.overlap:.0%}.", section=f"LIME: row {r.position} ({r.why})"))
    agree = [r.spearman for r in a.lime]
    metrics = {"lime_rows": len(a.lime), "lime_shap_spearman_mean": float(np.nanmean(agree)) if np.isfinite(agree).any() else None,
               "lime_shap_top_k_overlap_mean": float(np.mean([r.overlap for r in a.lime]))}
    mean_rho = metrics["lime_shap_spearman_mean"]
    findings = []
    if mean_rho is not None:
        findings.append(Finding(
            "pass" if mean_rho >= o.agreement_warn else "warn",
            f"SHAP and LIME {'agree' if mean_rho >= o.agreement_warn else 'disagree'} on the words of the {len(a.lime)} "
            f"explained rows: mean rank correlation {mean_rho:.2f} (warn below {o.agreement_warn}), top-{o.top_k} overlap "
            f"{metrics['lime_shap_top_k_overlap_mean']:.0%}. LIME explains the probability of the class locally with "
            f"{o.lime_samples} perturbed texts (words removed); SHAP masks pieces hierarchically.", "agreement"))
    return figures, findings, metrics


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


def _per_group(a: TextAnalysis, o: TextExplanationsOptions) -> tuple[list[Table], dict[str, Any]]:
    details: dict[str, Any] = {}
    tables = []
    for col, g in a.groups.items():
        out = {}
        table_rows = []
        for name in sorted(set(g.tolist())):
            members = [a.per_row[i] for i in np.flatnonzero(g == name)]
            frame = _aggregate(members).head(o.top_words)
            out[name] = {"texts": len(members), "top": [{"word": w, "mean_abs": float(r.mean_abs)} for w, r in frame.iterrows()]}
            table_rows.append([name, len(members), ", ".join(f"{w} ({r.mean_abs:.3g})" for w, r in frame.head(10).iterrows())])
        details[col] = out
        tables.append(Table(f"Most influential words by {col}", ["group", "explained texts", "top words (mean |SHAP| per text)"],
                            table_rows, note="Words the model leans on within each group's explained texts; a word that "
                                             "matters for one group only deserves a look.", section="By sensitive group"))
    return tables, details
