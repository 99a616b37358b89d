"""Counterfactual fairness for text: swapping "he" for "she", or one name for another, must not change the decision.

Each text of a seeded sample that contains a listed identity term is rewritten
with the terms swapped (whole words, case kept; see ``_swaps`` for the lists
and their sources) and predicted again; nothing else in the row changes. Per
swap the check reports how many decisions flip (Wilson interval) and the mean
change of the score (t interval), and judges them like the fairness check
judges disparities: **fail** when a swap is beyond its threshold and the
evidence is significant after Holm's correction across swaps; **warn** when
it is beyond the threshold without significant evidence; swaps that change
fewer than ``min_texts`` texts are reported but not judged.

The tests: a flip rate is judged significant by McNemar's exact test (are
flips in one direction, e.g. approved → refused, more common than in the
other?), a score change by a one-sample t-test of the paired changes. Flips
that go both ways evenly are arbitrariness, not a systematic penalty: they warn.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from raudit.checks._swaps import BUILTIN, SwapList, case_like, majority_side, swap_text
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
    Status,
    Table,
    Tested,
    bar_chart,
    family_level,
    holm,
    judge,
    option,
    wilson_interval,
    worst,
    z_of,
)


@dataclass(frozen=True)
class CounterfactualOptions(Options):
    """Swap lists, sample size and thresholds of the counterfactual check."""

    lists: tuple[str, ...] = option(("gender", "names_sex", "names_race"),
                                    "built-in swap lists: gender (pronouns, nouns, titles), names_sex and names_race (first "
                                    "names of Bertrand & Mullainathan 2004); [] for none")
    custom: tuple[str, ...] = option((), "your own swap list as \"term=counterpart\" pairs, e.g. [\"church=mosque\", "
                                         "\"christian=muslim\"]; applied both ways, whole words, case kept")
    per_term: bool = option(True, "also judge each term pair alone (he → she, her → his, ...), not only whole lists")
    max_rows: int = option(2000, "rows sampled (seeded) for the swaps; a text without a listed term is left out", ge=10)
    min_texts: int = option(30, "swaps that change fewer texts are reported but not judged", ge=1)
    flip_rate_max: float | None = option(0.02, "share of swapped texts whose decision flips above which a swap is a "
                                               "disparity (1 decision in 50)", ge=0, le=1)
    score_change_max: float | None = option(0.02, "mean change of the score (probability) beyond ± this is a disparity "
                                                  "(2 percentage points)", ge=0, le=1)
    alpha: float = option(0.05, "1 − the joint level of the judged swaps' intervals (Bonferroni), and the significance level "
                                "of the tests shown beside (Holm across swaps)", gt=0, lt=1)
    examples: int = option(5, "rewritten texts with the largest score change shown per list", ge=0, le=50)
    max_findings: int = option(12, "swap findings listed before the rest is summarised in one line", ge=1)

    def check(self, *, name: str) -> None:  # noqa: D102
        unknown = [n for n in self.lists if n not in BUILTIN]
        if unknown:
            raise ConfigError(f"[check.{name}].lists: unknown swap list(s) {unknown}", hint=f"built-in lists: {', '.join(BUILTIN)}")
        seen: set[str] = set()
        for i, pair in enumerate(self.custom):
            terms = [t.strip() for t in pair.split("=")]
            if len(terms) != 2 or not all(terms) or not all(_is_words(t) for t in terms):
                raise ConfigError(f"[check.{name}].custom[{i}] must be \"term=counterpart\" (letters, digits, spaces, ' or -); "
                                  f"got {pair!r}")
            for t in terms:
                if t.lower() in seen:
                    raise ConfigError(f"[check.{name}].custom[{i}]: {t!r} appears twice in the custom list",
                                      hint="each term may stand once; a swap runs both ways by itself")
                seen.add(t.lower())

    def swap_lists(self) -> list[SwapList]:
        """The built-in lists chosen, then the custom one."""
        out = [BUILTIN[n] for n in self.lists]
        if self.custom:
            pairs = tuple(tuple(t.strip() for t in p.split("=")) for p in self.custom)
            left = ", ".join(a for a, _ in pairs[:3]) + (", …" if len(pairs) > 3 else "")
            right = ", ".join(b for _, b in pairs[:3]) + (", …" if len(pairs) > 3 else "")
            out.append(SwapList("custom", (left, right), pairs, "the user's list in [check.counterfactual].custom"))  # type: ignore[arg-type]
        return out


def _is_words(term: str) -> bool:
    return all(ch.isalnum() or ch in " '-" for ch in term)


@dataclass(frozen=True)
class Swap:
    """One swap (a whole list in one direction, or one term pair) and what it did to the decisions.

    ``flip`` is the flip rate (Wilson interval, McNemar's exact test for binary decisions); ``change``
    the mean change of the score (t interval, one-sample t-test); both Holm-adjusted across swaps.
    """

    list_name: str
    label: str
    kind: str
    n: int
    flips: int
    to_negative: int
    to_positive: int
    flip: Tested
    change: Tested
    status: Status = "pass"
    reason: str = ""
    examples: tuple[Mapping[str, Any], ...] = ()
    change_sd: float = float("nan")
    level: float = 0.95

    @property
    def flip_rate(self) -> float:
        """Share of the swapped texts whose decision changed."""
        return self.flip.value


@dataclass(frozen=True)
class CounterfactualAnalysis:
    """Every swap, judged, and what was sampled."""

    swaps: tuple[Swap, ...]
    rows_sampled: int
    rows: int
    score_words: str
    sources: Mapping[str, str]


_NAN_TESTED = Tested(float("nan"), (float("nan"), float("nan")), float("nan"))


class CounterfactualCheck(Check):
    """Identity-term swaps in the text column: decision flips and score changes per swap, with intervals and tests."""

    name = "counterfactual"
    title = "Counterfactual fairness (text)"
    order = 22
    evidence = {
        "EU-AIA-10.2.f": "whether identity terms in the text change outcomes",
        "EU-AIA-IV.2.g": "counterfactual test of potentially discriminatory impact",
        "NIST-MEASURE-2.11": "counterfactual fairness with intervals and tests",
    }
    requires = frozenset({"model", "labels", "text"})
    Options = CounterfactualOptions

    def validate(self, facts: Facts, options: CounterfactualOptions) -> None:  # noqa: D102
        column = facts.roles.text_column
        if column not in facts.features:
            raise ConfigError(f"text column {column!r} is not one of the model's inputs ({', '.join(map(str, facts.features))})",
                              hint="name the column of texts the model reads with --text-column")

    # size: one loop over swap lists, directions and single terms; the measuring is in _measure
    def analyse(self, ctx: AuditContext, options: CounterfactualOptions) -> CounterfactualAnalysis:
        """Rewrite the sampled texts with each swap, predict them again, and measure and judge what changed."""
        o = options
        assert ctx.model is not None and ctx.classes is not None
        column = str(ctx.roles.text_column)
        n = len(ctx.sample)  # every row when there are at most sample_rows, else a uniform seeded sample of them
        rows = np.sort(ctx.rng("counterfactual").choice(n, size=o.max_rows, replace=False)) if n > o.max_rows else np.arange(n)
        texts = ctx.sample.X[column].iloc[rows].fillna("").astype(str).tolist()
        before_score, before_label = _scores(ctx, rows)
        swaps: list[Swap] = []
        for swap_list in o.swap_lists():
            full = swap_list.both()
            rewritten = [swap_text(t, full)[0] for t in texts]
            direction = np.array([majority_side(t, swap_list) for t in texts])
            changed = np.flatnonzero(direction >= 0)
            after_score, after_label = self._predict(ctx, rows[changed], [rewritten[i] for i in changed], column)
            for d in (0, 1):
                sel = direction[changed] == d
                idx = changed[sel]
                swaps.append(_measure(swap_list.name, swap_list.label(d), "list", ctx, rows[idx], before_score[idx],
                                      after_score[sel], before_label[idx], after_label[sel], [texts[i] for i in idx],
                                      [rewritten[i] for i in idx], o.examples))
            if not o.per_term:
                continue
            for d in (0, 1):
                for term, counterpart in swap_list.mapping(d).items():
                    single = {term: counterpart}
                    hits = [(i, new) for i in changed for new, k in [swap_text(texts[i], single)] if k]
                    if not hits:
                        continue
                    label = f"{case_like(counterpart, term)} → {counterpart}"
                    if len(hits) < o.min_texts:  # reported, not judged: no prediction spent on it
                        swaps.append(Swap(swap_list.name, label, "term", len(hits), 0, 0, 0, _NAN_TESTED, _NAN_TESTED))
                        continue
                    idx = np.array([i for i, _ in hits])
                    a_score, a_label = self._predict(ctx, rows[idx], [new for _, new in hits], column)
                    swaps.append(_measure(swap_list.name, label, "term", ctx, rows[idx], before_score[idx], a_score,
                                          before_label[idx], a_label, [texts[i] for i in idx], [new for _, new in hits], 0))
        tested = _holm(swaps, o.min_texts)
        level = family_level(1 - o.alpha, 2 * sum(s.n >= o.min_texts for s in tested))  # two intervals per judged swap
        judged = tuple(_judge(s, o, level) for s in tested)
        score_words = (f"probability of {ctx.positive_label}" if ctx.task == "binary"
                       else "probability of the originally predicted class")
        return CounterfactualAnalysis(judged, len(rows), ctx.n_rows, score_words, {sl.name: sl.source for sl in o.swap_lists()})

    def _predict(self, ctx: AuditContext, rows: np.ndarray, texts: list[str], column: str) -> tuple[np.ndarray, np.ndarray]:
        """Scores and labels of the rows with their text replaced (every other column as in the data)."""
        assert ctx.model is not None and ctx.classes is not None
        if len(rows) == 0:
            return np.empty(0), np.empty(0, dtype=ctx.classes.dtype)
        frame = ctx.sample.X.iloc[rows].copy()
        frame[column] = texts
        proba = ctx.model.predict_proba(frame)
        if proba is None:
            labels = np.asarray(ctx.model.predict(frame))
            return np.full(len(rows), np.nan), labels
        labels = ctx.classes[np.asarray(proba).argmax(axis=1)]
        if ctx.task == "binary":
            return proba[:, int(np.flatnonzero(ctx.classes == ctx.positive_label)[0])], labels
        original = _decision_index(ctx, rows)
        return proba[np.arange(len(rows)), original], labels

    def present(self, analysis: CounterfactualAnalysis, options: CounterfactualOptions) -> CheckResult:
        """Findings for the swaps beyond thresholds, the table of swaps, the score-change chart, examples."""
        o, swaps = options, analysis.swaps
        tables = [_swap_table(analysis, o), *_example_tables(swaps, o)]
        listed = [s for s in swaps if s.kind == "list" and s.n]
        figures = []
        if listed:
            figures.append(Figure(
                "Mean change of the score per swap",
                bar_chart([s.label for s in listed], [s.change.value for s in listed], lows=[s.change.low for s in listed],
                          highs=[s.change.high for s in listed], xlabel=f"mean change of the {analysis.score_words} (95 % CI)",
                          colors=[PALETTE[3] if s.status == "fail" else PALETTE[0] for s in listed]),
                "Negative: the rewritten texts score lower than the originals.", section="Swaps"))
        metrics = _metrics(analysis)
        judged = metrics["swaps_judged"]
        summary = (f"{metrics['swaps_failed']} swap(s) fail, {metrics['swaps_warned']} warn of {judged} judged"
                   + (f"; largest flip rate {metrics['max_flip_rate']:.1%} ({metrics['max_flip_rate_swap']})" if judged else ""))
        details = {"sources": dict(analysis.sources), "score": analysis.score_words, "swaps": [_swap_dict(s) for s in swaps]}
        return self.result(findings=_findings(analysis, o), summary=summary, metrics=metrics, tables=tables, figures=figures,
                           details=details)


def _findings(a: CounterfactualAnalysis, o: CounterfactualOptions) -> list[Finding]:
    """The swaps beyond thresholds (fail first, lists before terms, largest effect first), then each list's verdict."""
    swaps = a.swaps
    findings: list[Finding] = []
    bad = sorted([s for s in swaps if s.status in ("fail", "warn", "inconclusive")],
                 key=lambda s: (["fail", "warn", "inconclusive"].index(s.status), s.kind != "list",
                                -max(s.flip_rate, abs(np.nan_to_num(s.change.value)))))
    for s in bad[: o.max_findings]:
        findings.append(Finding(s.status, _sentence(s, a.score_words), f"{s.list_name}/{s.label}"))
    if len(bad) > o.max_findings:
        findings.append(Finding("warn", f"{len(bad) - o.max_findings} more swaps beyond or straddling thresholds are in the table.",
                                "more"))
    lists = list(a.sources)
    for name in lists:
        mine = [s for s in swaps if s.list_name == name]
        changed = sum(s.n for s in mine if s.kind == "list")
        if changed == 0:
            findings.append(Finding("skipped", f"[{name}] No sampled text contains a term of this list: nothing to test.",
                                    f"{name}/none"))
        elif not any(s.status in ("fail", "warn", "inconclusive") for s in mine):
            n_judged = sum(s.status != "skipped" for s in mine)
            findings.append(Finding("pass", f"[{name}] No swap beyond the thresholds: {changed:,} texts rewritten, "
                                            f"{n_judged} swap(s) judged.", f"{name}/ok"))
    if not lists:
        findings.append(Finding("skipped", "No swap list configured ([check.counterfactual].lists and custom are empty).", "none"))
    return findings


def _ci(lo: float, hi: float, digits: int = 3) -> str:
    return "—" if not (np.isfinite(lo) and np.isfinite(hi)) else f"{lo:.{digits}f}–{hi:.{digits}f}"


def _p(v: float) -> str:
    return "—" if not np.isfinite(v) else ("< 0.001" if v < 0.001 else f"{v:.3f}")


def _pct(v: float) -> str:
    return "—" if not np.isfinite(v) else f"{v:.1%}"


def _swap_table(a: CounterfactualAnalysis, o: CounterfactualOptions) -> Table:
    rows = [[s.list_name, s.label, s.n,
             f"{s.flips} ({_pct(s.flip_rate)}; {_ci(*s.flip.ci)})" if s.flips or np.isfinite(s.flip.low) else "—",
             f"{s.to_negative} / {s.to_positive}", _p(s.flip.p_holm),
             "—" if not np.isfinite(s.change.value) else f"{s.change.value:+.3f} ({s.change.low:+.3f} to {s.change.high:+.3f})",
             _p(s.change.p_holm),
             s.status] for s in a.swaps if s.n]
    return Table(
        "Swaps: decision flips and score change",
        ["list", "swap", "texts changed", "flips (rate; joint CI)", "to negative / positive", "p flips (McNemar, Holm)",
         f"mean change of the {a.score_words} (joint CI)", "p change (t-test, Holm)", "status"],
        rows,
        note=f"{a.rows_sampled:,} rows sampled (seeded) of {a.rows:,}; a swap counts only the texts it changes (swaps that "
             "change none are left out here and listed in report.json). Intervals: Wilson for the flip rate, t for the "
             f"mean change, holding jointly at {1 - o.alpha:.0%} across the judged swaps (Bonferroni). A list swaps "
             "every listed term of a text both ways; the text counts in the direction most of its terms point. Thresholds: "
             f"flip rate {o.flip_rate_max}, mean score change ±{o.score_change_max}; fail = a whole interval beyond a threshold; "
             "inconclusive = an interval straddles one; pass = both within; skipped = fewer than "
             f"{o.min_texts} texts. The tests (McNemar, t-test; Holm across swaps) are shown beside. Decision = the class of "
             "highest probability.",
        section="Swaps")


def _example_tables(swaps: tuple[Swap, ...], o: CounterfactualOptions) -> list[Table]:
    tables = []
    for name in dict.fromkeys(s.list_name for s in swaps):
        examples = sorted((e for s in swaps if s.list_name == name and s.kind == "list" for e in s.examples),
                          key=lambda e: -abs(e["change"]))[: o.examples]
        if examples:
            tables.append(Table(f"{name}: rewritten texts with the largest score change",
                                ["row", "original", "rewritten", "score before", "score after", "decision before → after"],
                                [[e["row"], e["original"], e["rewritten"], e["before"], e["after"], e["decisions"]]
                                 for e in examples], section="Examples"))
    return tables


def _metrics(a: CounterfactualAnalysis) -> dict[str, Any]:
    swaps = a.swaps
    judged = [s for s in swaps if s.status != "skipped"]
    metrics: dict[str, Any] = {"rows_sampled": a.rows_sampled, "swaps_judged": len(judged),
                               "swaps_failed": sum(s.status == "fail" for s in swaps),
                               "swaps_warned": sum(s.status == "warn" for s in swaps),
                               "swaps_inconclusive": sum(s.status == "inconclusive" for s in swaps)}
    if judged:
        worst_flip = max(judged, key=lambda s: s.flip_rate)
        metrics.update({"max_flip_rate": worst_flip.flip_rate, "max_flip_rate_swap": f"{worst_flip.list_name}: {worst_flip.label}"})
        finite = [s for s in judged if np.isfinite(s.change.value)]
        if finite:
            worst_change = max(finite, key=lambda s: abs(s.change.value))
            metrics.update({"max_abs_score_change": abs(worst_change.change.value),
                            "max_abs_score_change_swap": f"{worst_change.list_name}: {worst_change.label}"})
    return metrics


def _decision_index(ctx: AuditContext, rows: np.ndarray) -> np.ndarray:
    assert ctx.sample.y_proba is not None
    return np.asarray(ctx.sample.y_proba)[rows].argmax(axis=1)


def _scores(ctx: AuditContext, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Score and decision of the sampled rows as the context predicted them (no new prediction)."""
    assert ctx.classes is not None
    if ctx.sample.y_proba is None:
        return np.full(len(rows), np.nan), np.asarray(ctx.sample.y_pred)[rows]
    proba = np.asarray(ctx.sample.y_proba)[rows]
    labels = ctx.classes[proba.argmax(axis=1)]
    if ctx.task == "binary":
        return proba[:, int(np.flatnonzero(ctx.classes == ctx.positive_label)[0])], labels
    return proba.max(axis=1), labels


def _measure(list_name: str, label: str, kind: str, ctx: AuditContext, rows: np.ndarray, before: np.ndarray, after: np.ndarray,
             before_label: np.ndarray, after_label: np.ndarray, originals: list[str], rewritten: list[str], n_examples: int) -> Swap:
    """Flips (with McNemar's exact test for binary tasks) and the mean score change (t interval) of one swap."""
    from scipy import stats

    n = len(before)
    flipped = before_label != after_label
    k = int(flipped.sum())
    if ctx.task == "binary":
        to_neg = int((flipped & (before_label == ctx.positive_label)).sum())
        to_pos = k - to_neg
        flip_p = float(stats.binomtest(min(to_neg, to_pos), k, 0.5).pvalue) if k else 1.0  # McNemar's exact test
    else:
        to_neg, to_pos, flip_p = k, 0, float("nan")
    lo, hi = wilson_interval(k, n)
    delta = after - before
    if n and np.all(np.isfinite(delta)):
        mean = float(delta.mean())
        sd = float(delta.std(ddof=1)) if n > 1 else 0.0
        if sd == 0:
            change_ci, change_p = (mean, mean), (1.0 if mean == 0 else 0.0)
        else:
            half = float(stats.t.ppf(0.975, n - 1)) * sd / np.sqrt(n)
            change_ci, change_p = (mean - half, mean + half), float(stats.ttest_1samp(delta, 0.0).pvalue)
    else:
        mean, change_ci, change_p = float("nan"), (float("nan"), float("nan")), float("nan")
    examples = []
    if n_examples and n:
        for i in np.argsort(-np.abs(np.nan_to_num(delta)), kind="stable")[:n_examples]:
            examples.append({"row": int(ctx.sample.positions[rows[i]]), "original": _clip(originals[i]), "rewritten": _clip(rewritten[i]),
                             "before": float(before[i]), "after": float(after[i]), "change": float(np.nan_to_num(delta[i])),
                             "decisions": f"{before_label[i]} → {after_label[i]}"})
    flip = Tested(k / n if n else float("nan"), (float(lo), float(hi)), flip_p, "McNemar")
    return Swap(list_name, label, kind, n, k, to_neg, to_pos, flip, Tested(mean, change_ci, change_p, "t-test"),
                examples=tuple(examples), change_sd=sd if n and np.all(np.isfinite(delta)) else float("nan"))


def _clip(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _holm(swaps: list[Swap], min_texts: int) -> list[Swap]:
    """The swaps with their flip and score-change p-values Holm-adjusted across the swaps that can be judged."""
    family = [i for i, s in enumerate(swaps) if s.n >= min_texts]
    flips = holm([swaps[i].flip.p for i in family])
    changes = holm([swaps[i].change.p for i in family])
    out = list(swaps)
    for i, pf, pc in zip(family, flips, changes):
        s = out[i]
        out[i] = dataclasses.replace(s, flip=dataclasses.replace(s.flip, p_holm=float(pf)),
                                     change=dataclasses.replace(s.change, p_holm=float(pc)))
    return out


def _judge(s: Swap, o: CounterfactualOptions, level: float) -> Swap:
    """A swap's flip rate and |mean score change| judged by their intervals (:func:`raudit.plugin.judge`).

    The intervals of the judged swaps hold jointly at ``1 − alpha`` (Bonferroni over two per swap): fail
    when a whole interval lies beyond its threshold, inconclusive when one straddles it, pass when both
    lie within. McNemar's and the t-test's Holm-adjusted p-values are shown beside.
    """
    from scipy import stats

    if s.n < o.min_texts:
        return dataclasses.replace(s, status="skipped", reason=f"too few texts to judge ({s.n} < {o.min_texts})")
    lo, hi = (float(v) for v in wilson_interval(s.flips, s.n, z=z_of(level)))
    flip = dataclasses.replace(s.flip, ci=(lo, hi))
    change = s.change
    if np.isfinite(s.change_sd) and s.change_sd > 0 and s.n > 1:
        half = float(stats.t.ppf(1 - (1 - level) / 2, s.n - 1)) * s.change_sd / np.sqrt(s.n)
        change = dataclasses.replace(change, ci=(change.value - half, change.value + half))
    verdicts = []
    if o.flip_rate_max is not None:
        verdicts.append(("flip rate", judge(s.flip_rate, lo, hi, harmful="above", fail=o.flip_rate_max, n=s.n, level=level,
                                            what="the flip rate")))
    if o.score_change_max is not None and np.isfinite(change.value):
        c_lo, c_hi = _size(*change.ci)
        verdicts.append(("score change", judge(abs(change.value), c_lo, c_hi, harmful="above", fail=o.score_change_max, n=s.n,
                                               level=level, what="the size of the score change")))
    status = worst([v.status for _, v in verdicts]) if verdicts else "pass"
    reason = "; ".join(f"{what}: {v.explained}" for what, v in verdicts if v.status == status) or "within thresholds"
    return dataclasses.replace(s, flip=flip, change=change, status=status, reason=reason, level=level)


def _size(lo: float, hi: float) -> tuple[float, float]:
    """The interval of ``|x|`` from that of ``x``."""
    if lo <= 0 <= hi:
        return 0.0, max(-lo, hi)
    return min(abs(lo), abs(hi)), max(abs(lo), abs(hi))


def _sentence(s: Swap, score_words: str) -> str:
    ci = f"{s.level * 100:.3g} % CI"
    return (f"[{s.list_name}] Swapping {s.label} in {s.n:,} texts flips {s.flips} decision(s) "
            f"({s.flip_rate:.1%}, {ci} {s.flip.low:.1%}–{s.flip.high:.1%}; {s.to_negative} to negative, {s.to_positive} "
            f"to positive) and moves the {score_words} by {s.change.value:+.3f} on average "
            f"({ci} {s.change.low:+.3f} to {s.change.high:+.3f}); {s.reason}.")


def _swap_dict(s: Swap) -> dict[str, Any]:
    return {"list": s.list_name, "swap": s.label, "kind": s.kind, "texts": s.n, "flips": s.flips, "flip_rate": s.flip_rate,
            "flip_ci": list(s.flip.ci), "flips_to_negative": s.to_negative, "flips_to_positive": s.to_positive,
            "flip_p": s.flip.p, "flip_p_holm": s.flip.p_holm, "mean_score_change": s.change.value,
            "score_change_ci": list(s.change.ci), "score_change_p": s.change.p, "score_change_p_holm": s.change.p_holm,
            "status": s.status, "reason": s.reason, "ci_level": s.level}

