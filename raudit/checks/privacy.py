"""Privacy: does the model leak which rows it was trained on? Membership-inference attacks, per group.

The check compares the model on its training rows (*members*, ``--train-data``) with the audit rows
(*non-members*, held out), on a balanced seeded sample of each. Several attacks
(:mod:`raudit.checks._membership`) score every row; each attack's power is measured by its ROC-AUC
(bootstrap interval), its advantage ``max(TPR − FPR)`` (bootstrap interval), its TPR at 0.1 % and 1 %
FPR (Clopper–Pearson bounds) and the differential-privacy ε those rates imply
(:func:`raudit.plugin.epsilon_lower_bound`). The strongest attack is then measured per sensitive
group, intersection and class, and each group is tested for leaking more than the rest (DeLong's
test of two independent AUCs, one-sided, Holm across groups).

Judgement (:func:`raudit.plugin.judge`): the TPR at 1 % FPR and the advantage of every attack against
their warn and fail thresholds, with intervals Bonferroni-adjusted across the attacks; the same for
every group with enough rows, adjusted across the groups. An attack only *lower-bounds* what an
adversary can learn: a pass is no proof of privacy, and the report says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from raudit.checks._membership import (
    HIGH_FPR,
    LOW_FPR,
    Leakage,
    ReferenceCost,
    Rows,
    attack_model_scores,
    evaluation_rows,
    exposed,
    leakage,
    reference_scores,
    refittable,
    signal_scores,
)
from raudit.plugin import (
    DEFAULT_COUNTRY,
    AuditContext,
    Check,
    CheckResult,
    ConfigError,
    Estimate,
    Facts,
    Figure,
    Finding,
    Options,
    Separation,
    Series,
    Status,
    Table,
    Verdict,
    bar_chart,
    family_level,
    grid_countries,
    holm,
    interval,
    judge,
    method_description,
    option,
    p_value,
    percent,
    quantity,
    slug,
    worst,
    xy_chart,
)

#: The attacks, in the order the report lists them, with how it names each.
ATTACKS: Mapping[str, str] = {
    "loss": "loss threshold (Yeom et al. 2018)",
    "confidence": "confidence threshold (Salem et al. 2019)",
    "modified_entropy": "modified entropy (Song and Mittal 2021)",
    "attack_model": "attack model on the signals, cross-fitted",
    "reference": "reference models (offline LiRA, Carlini et al. 2022)",
    "label_only": "label only: right or wrong (Yeom et al. 2018)",
}

#: Share of the sampled audit rows also in the training rows above which the check warns (they are left out either way;
#: above 5 % the audit is refused before it starts).
WARN_SHARED = 0.01
#: Groups with fewer members or non-members than this are left out of the per-group table (no AUC to speak of).
MIN_SHOWN = 10

LOWER_BOUND = ("These attacks give an empirical lower bound on what the model leaks about who was in its training data, "
               "not a proof of privacy: a stronger attack, more reference models or an attacker who knows more may do better. "
               "A pass says these attacks did no better than the thresholds on these rows.")


@dataclass(frozen=True)
class PrivacyOptions(Options):
    """Thresholds and sizes of the privacy check."""

    tpr_at_1pct_fpr_warn: float = option(0.03, "an attack's TPR at 1 % FPR above this warns (chance: 0.01)", ge=0, le=1)
    tpr_at_1pct_fpr_fail: float = option(0.10, "an attack's TPR at 1 % FPR above this fails", ge=0, le=1)
    advantage_warn: float = option(0.10, "an attack's advantage max(TPR − FPR) above this warns (chance: 0)", ge=0, le=1)
    advantage_fail: float = option(0.25, "an attack's advantage above this fails", ge=0, le=1)
    confidence: float = option(0.95, "level of the intervals, Bonferroni-adjusted across the attacks and across the groups",
                               gt=0.5, lt=1)
    max_rows: int = option(50_000, "members and non-members compared, each (a balanced seeded sample; at most the audit's "
                                   "sample_rows)", ge=50)
    bootstrap: int = option(500, "bootstrap resamples of the AUC and advantage intervals", ge=100, le=100_000)
    reference_models: int = option(4, "reference models refitted for the reference-model attack (0 turns it off)", ge=0, le=64)
    attack_model_folds: int = option(5, "folds of the cross-fitted attack model", ge=2, le=20)
    min_group_rows: int = option(200, "groups with fewer members or non-members are shown, not judged (under 10: left out)",
                                 ge=10)
    intersections: bool = option(True, "also measure the groups of every pair of sensitive features")
    exposed_records: int = option(10, "most exposed training rows listed in the appendix (by id, never by value)", ge=0, le=1000)
    delta: float = option(1e-5, "δ of the empirical (ε, δ) lower bound", ge=0, lt=1)
    country: str = option(DEFAULT_COUNTRY, "electricity grid for the CO₂ of the reference-model refits (ISO 3166 alpha-3)")

    thresholds: ClassVar[Mapping[str, str]] = {"tpr_at_1pct_fpr": "lower", "advantage": "lower"}


@dataclass(frozen=True)
class Judged:
    """One attack's leakage on a set of rows, and its two verdicts (``None``: shown, not judged)."""

    leak: Leakage
    tpr: Verdict | None
    advantage: Verdict | None

    @property
    def status(self) -> Status:
        """The worse of the two verdicts; ``"skipped"`` when not judged."""
        if self.tpr is None or self.advantage is None:
            return "skipped"
        return worst([self.tpr.status, self.advantage.status])


@dataclass(frozen=True)
class GroupLeak:
    """The strongest attack on one group: its leakage, the one-sided test against the rest, its verdicts."""

    grouping: str
    group: str
    judged: Judged
    p: float = math.nan
    p_holm: float = math.nan


@dataclass(frozen=True)
class PrivacyAnalysis:
    """Every attack's leakage and verdicts, the strongest attack per group, the most exposed records, the costs."""

    attacks: Mapping[str, Judged]
    headline: str
    groups: tuple[GroupLeak, ...]
    exposed: tuple[tuple[str, float, float], ...]
    rows: Mapping[str, int]
    roc: Mapping[str, tuple[np.ndarray, np.ndarray]]
    group_level: float
    confidence: float = 0.95
    reference: ReferenceCost | None = None
    reference_skipped: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


def _judge(leak: Leakage, o: PrivacyOptions, *, judged: bool = True) -> Judged:
    if not judged:
        return Judged(leak, None, None)
    tpr = judge(leak.high.tpr, *leak.tpr_high_ci, harmful="above", warn=o.tpr_at_1pct_fpr_warn, fail=o.tpr_at_1pct_fpr_fail,
                n=leak.members + leak.nonmembers, what="the TPR at 1 % FPR", level=leak.level)
    adv = judge(leak.advantage, *leak.advantage_ci, harmful="above", warn=o.advantage_warn, fail=o.advantage_fail,
                n=leak.members + leak.nonmembers, what="the advantage", level=leak.level)
    return Judged(leak, tpr, adv)


class PrivacyCheck(Check):
    """Membership inference: how well attacks tell the training rows from held-out rows, overall and per group."""

    name = "privacy"
    title = "Privacy: membership inference"
    order = 35
    requires = frozenset({"labels", "members"})
    evidence = {
        "EU-AIA-10.5": "membership-inference attacks measure how much the model reveals about who was in its training data "
                       "(an empirical lower bound), overall and per sensitive group",
        "EU-AIA-IV.2.d": "the training rows named, hashed in the lineage, and compared with the audit rows",
        "EU-AIA-15.1": "resistance to membership inference, one confidentiality attack on the model",
        "NIST-MEASURE-2.10": "privacy risk measured: attack AUC, advantage, TPR at low FPR, empirical ε, per group",
    }
    Options = PrivacyOptions

    def validate(self, facts: Facts, options: PrivacyOptions) -> None:  # noqa: D102
        if options.country not in grid_countries():
            raise ConfigError(f"unknown electricity grid country {options.country!r} ([check.privacy].country)",
                              hint="use an ISO 3166 alpha-3 code such as USA, FRA, DEU, GBR")

    def analyse(self, ctx: AuditContext, options: PrivacyOptions) -> PrivacyAnalysis:
        """Score the balanced rows with every attack that can run, measure and judge each, then the strongest per group."""
        o = options
        rows, left_out = evaluation_rows(ctx, max_rows=o.max_rows, intersections=o.intersections)
        if rows.n_members < 10:
            raise ValueError(f"only {rows.n_members} member and non-member rows each remain after leaving out shared rows; "
                             "the attacks need at least 10 of each")
        assert ctx.classes is not None
        scores = signal_scores(rows, ctx.classes)
        if "loss" in scores:
            scores["attack_model"] = attack_model_scores(rows, scores, ctx.classes, folds=o.attack_model_folds, seed=ctx.seed)
        cost, skipped = None, _reference_unmet(ctx, rows, o)
        if not skipped:
            assert ctx.model is not None
            scores["reference"], cost = reference_scores(ctx.model.model, rows, ctx.classes, k=o.reference_models, seed=ctx.seed,
                                                         country=o.country, text_column=_text_column(ctx))
        scores = {k: scores[k] for k in ATTACKS if k in scores}
        level = family_level(o.confidence, len(scores))
        rng = ctx.rng("privacy.bootstrap")
        attacks = {k: _judge(leakage(s, rows.member, level=level, replicates=o.bootstrap, rng=rng, delta=o.delta), o)
                   for k, s in scores.items()}
        headline = max(attacks, key=lambda k: (attacks[k].leak.auc, -list(ATTACKS).index(k)))
        groups, group_level = _groups(scores[headline], rows, o, rng)
        roc = {k: _roc_points(s, rows.member) for k, s in scores.items()}
        info = {**left_out, "members": rows.n_members, "nonmembers": int((~rows.member).sum()),
                "training_rows": ctx.members.rows if ctx.members else 0}
        return PrivacyAnalysis(attacks, headline, groups, tuple(exposed(scores[headline], rows, o.exposed_records)), info, roc,
                               group_level, o.confidence, cost, skipped)

    def present(self, a: PrivacyAnalysis, options: PrivacyOptions) -> CheckResult:
        """Findings (the verdict of each attack, the most exposed group, costs, the lower-bound caveat), tables, figures."""
        findings = [*_attack_findings(a), *_group_findings(a), _reference_finding(a), _rows_finding(a),
                    Finding("pass", LOWER_BOUND, "lower_bound")]
        head = a.attacks[a.headline].leak
        epsilon = max(j.leak.epsilon for j in a.attacks.values())
        metrics: dict[str, Any] = {"auc": head.auc, "advantage": head.advantage, "tpr_at_1pct_fpr": head.high.tpr,
                                   "tpr_at_0.1pct_fpr": head.low.tpr, "epsilon_lower_bound": epsilon,
                                   "members": a.rows["members"], "nonmembers": a.rows["nonmembers"]}
        for k, j in a.attacks.items():
            metrics.update({f"auc.{k}": j.leak.auc, f"advantage.{k}": j.leak.advantage, f"tpr_at_1pct_fpr.{k}": j.leak.high.tpr})
        exposed_group = _most_exposed(a)
        if exposed_group is not None:
            metrics["most_exposed_group_auc"] = exposed_group.judged.leak.auc
        summary = (f"strongest attack ({ATTACKS[a.headline].split(' (')[0]}): AUC {head.auc:.3f}, TPR {percent(head.high.tpr, 2)} at "
                   f"1 % FPR, advantage {head.advantage:.3f}, ε ≥ {metrics['epsilon_lower_bound']:.2f}"
                   + (f"; most exposed: {exposed_group.grouping} = {exposed_group.group} (AUC {exposed_group.judged.leak.auc:.3f})"
                      if exposed_group is not None else "") + " — an empirical lower bound, not a proof of privacy")
        return self.result(findings=findings, summary=summary, metrics=metrics, tables=_tables(a, options), figures=_figures(a),
                           details=_details(a))


def _text_column(ctx: AuditContext) -> str | None:
    column = getattr(ctx.model, "text_column", None)
    return column if column is not None and not hasattr(ctx.model.model if ctx.model else None, "feature_names_in_") else None


def _reference_unmet(ctx: AuditContext, rows: Rows, o: PrivacyOptions) -> str:
    """Why the reference-model attack does not run ("" when it does)."""
    if o.reference_models == 0:
        return "turned off (reference_models = 0)"
    if ctx.model is None:
        return "the audit has recorded decisions, not a model to refit"
    if rows.proba is None:
        return "the model gives no probabilities"
    return refittable(ctx.model.model) or ""


def _groups(scores: np.ndarray, rows: Rows, o: PrivacyOptions, rng: np.random.Generator) -> tuple[tuple[GroupLeak, ...], float]:
    """The strongest attack per group: leakage, a one-sided DeLong test against the rest (Holm), verdicts at the family level."""
    cells = []
    for grouping, labels in rows.groups.items():
        for group in sorted(set(labels.tolist())):
            mask = labels == group
            n_pos, n_neg = int((mask & rows.member).sum()), int((mask & ~rows.member).sum())
            if min(n_pos, n_neg) >= MIN_SHOWN:
                cells.append((grouping, group, mask, min(n_pos, n_neg) >= o.min_group_rows))
    level = family_level(o.confidence, max(sum(judged for *_, judged in cells), 1))
    out, pvalues = [], []
    for grouping, group, mask, judged in cells:
        leak = leakage(scores[mask], rows.member[mask], level=level, replicates=o.bootstrap, rng=rng, delta=o.delta)
        rest = Separation.of(scores[~mask & rows.member], scores[~mask & ~rows.member]) if (~mask).sum() else None
        p = _greater(leak, rest) if judged and rest is not None and rest.positives > 1 and rest.negatives > 1 else math.nan
        pvalues.append(p)
        out.append(GroupLeak(grouping, group, _judge(leak, o, judged=judged), p))
    adjusted = holm(pvalues) if pvalues else np.array([])
    return tuple(GroupLeak(g.grouping, g.group, g.judged, g.p, float(ph)) for g, ph in zip(out, adjusted)), level


def _greater(leak: Leakage, rest: Separation) -> float:
    """One-sided p-value that the group's AUC exceeds the rest's (DeLong variances of two independent samples)."""
    from scipy.stats import norm

    var = leak.auc_var + rest.delong_variance()
    if not (var > 0 and math.isfinite(var)):
        return math.nan
    return float(norm.sf((leak.auc - rest.auc()) / math.sqrt(var)))


def _roc_points(scores: np.ndarray, member: np.ndarray, *, points: int = 200) -> tuple[np.ndarray, np.ndarray]:
    fpr, tpr, _ = Separation.of(scores[member], scores[~member]).roc()
    if len(fpr) > points:
        keep = np.unique(np.r_[np.linspace(0, len(fpr) - 1, points).astype(int), len(fpr) - 1])
        fpr, tpr = fpr[keep], tpr[keep]
    return fpr, tpr


def _most_exposed(a: PrivacyAnalysis) -> GroupLeak | None:
    """The group whose AUC interval has the highest lower end (a small group needs a clear signal to top the list)."""
    pool = [g for g in a.groups if g.grouping != "class" and min(g.judged.leak.members, g.judged.leak.nonmembers) >= MIN_SHOWN]
    return max(pool, key=lambda g: (g.judged.leak.auc_ci[0], g.judged.leak.auc), default=None)


# -- presenting ----------------------------------------------------------------------------------------------------
def _attack_findings(a: PrivacyAnalysis) -> list[Finding]:
    out = []
    for k, j in a.attacks.items():
        leak = j.leak
        assert j.tpr is not None and j.advantage is not None
        tpr_text = (f"TPR at 1 % FPR {percent(leak.high.tpr, 2)} (Clopper–Pearson {interval(*leak.tpr_high_ci)}; "
                    f"{j.tpr.reason})")
        adv_text = f"advantage {leak.advantage:.3f} (bootstrap {interval(*leak.advantage_ci)}; {j.advantage.reason})"
        decide = [v.rows_to_decide for v in (j.tpr, j.advantage) if v.status == "inconclusive" and v.rows_to_decide]
        more = f" About {max(decide):,} rows would likely decide it." if decide else ""
        out.append(Finding(j.status, f"{ATTACKS[k][0].upper()}{ATTACKS[k][1:]}: AUC {leak.auc:.3f} "
                                     f"({interval(*leak.auc_ci)}), {tpr_text}, {adv_text}.{more}", f"attack/{k}"))
    return out


def _group_findings(a: PrivacyAnalysis) -> list[Finding]:
    out = []
    top = _most_exposed(a)
    if top is not None:
        leak = top.judged.leak
        more = "leaks significantly more" if top.p_holm < 1 - a.confidence else "does not leak significantly more"
        test = (f"it {more} than the rest of the rows (one-sided DeLong test: {p_value(top.p)}, {p_value(top.p_holm)} after Holm "
                "across the groups)" if math.isfinite(top.p_holm) else "too few rows to test it against the rest")
        verdicts = "; ".join(f"{v.reason}" for v in (top.judged.tpr, top.judged.advantage) if v is not None and v.status != "pass")
        out.append(Finding(top.judged.status if top.judged.status in ("warn", "fail") else "pass",
                           f"Most exposed group ({ATTACKS[a.headline].split(' (')[0]} attack): {top.grouping} = {top.group}, AUC "
                           f"{leak.auc:.3f} ({interval(*leak.auc_ci)}), TPR at 1 % FPR {percent(leak.high.tpr, 2)}, advantage "
                           f"{leak.advantage:.3f} on {leak.members:,} members and {leak.nonmembers:,} non-members; {test}"
                           + (f"; {verdicts}" if verdicts else "") + ".", "most_exposed_group"))
    for g in a.groups:  # a group changes the check's status only when its whole interval lies beyond a threshold
        if g is top or g.judged.status not in ("warn", "fail"):
            continue
        reasons = "; ".join(v.reason for v in (g.judged.tpr, g.judged.advantage) if v is not None and v.status != "pass")
        out.append(Finding(g.judged.status, f"Group {g.grouping} = {g.group}: AUC {g.judged.leak.auc:.3f}, TPR at 1 % FPR "
                                            f"{percent(g.judged.leak.high.tpr, 2)}, advantage {g.judged.leak.advantage:.3f} "
                                            f"({reasons}).", f"group/{slug(g.grouping)}/{slug(g.group)}"))
    return out


def _reference_finding(a: PrivacyAnalysis) -> Finding:
    c = a.reference
    if c is None:
        return Finding("skipped", f"Reference-model attack not run: {a.reference_skipped}.", "reference")
    m = c.measurement
    return Finding("pass", f"Reference-model attack: {c.models} clones of the model refitted on about {c.rows_per_model:,} audit "
                           f"(non-member) rows each, in {quantity(c.seconds, 's')}, {quantity(m['energy_kwh'], 'kWh')} and "
                           f"{quantity(m['emissions_kg'], 'kg')} CO₂e ({method_description(m['cpu_mode']).split(':')[0]}; grid "
                           f"{m['country_iso_code']}). They are fitted on fewer rows than the model was, so the attack is "
                           "weaker than one with reference models as large as the model.", "reference")


def _rows_finding(a: PrivacyAnalysis) -> Finding:
    r = a.rows
    shared = (f" {r['audit_rows_in_training_data']:,} sampled audit row(s) also appear in the training data and "
              f"{r['training_rows_equal_to_audit_rows']:,} sampled training row(s) equal an audit row: they are left out "
              "(a row in both is no non-member)." if r["audit_rows_in_training_data"] or r["training_rows_equal_to_audit_rows"] else "")
    share = r["audit_rows_in_training_data"] / max(r["nonmembers_available"] + r["audit_rows_in_training_data"], 1)
    status: Status = "warn" if share > WARN_SHARED else "pass"  # natural duplicates (0.14 % in Adult's own split) are said, not warned
    return Finding(status, f"Compared {r['members']:,} training rows (members, a seeded sample of the {r['training_rows']:,}) with "
                           f"{r['nonmembers']:,} audit rows (non-members), balanced and seeded; the attacks work on these sampled "
                           f"rows whatever the engine (in memory, streamed or Dask).{shared}", "rows")


def _tables(a: PrivacyAnalysis, o: PrivacyOptions) -> list[Table]:
    level = next(iter(a.attacks.values())).leak.level
    rows = []
    for k, j in a.attacks.items():
        leak = j.leak
        rows.append([ATTACKS[k], _est(leak.auc, leak.auc_ci), _est(leak.advantage, leak.advantage_ci),
                     _est(leak.low.tpr, leak.tpr_low_ci), _est(leak.high.tpr, leak.tpr_high_ci), leak.epsilon, j.status])
    attacks = Table("Membership-inference attacks", ["attack", "ROC-AUC", "advantage", "TPR at 0.1 % FPR", "TPR at 1 % FPR",
                                                    "ε lower bound", "status"], rows,
                    formats=["text", "3f", "3f", "3f", "3f", "3f", "text"],
                    note=f"{a.rows['members']:,} members and {a.rows['nonmembers']:,} non-members. Intervals at {level:.2%} "
                         f"(95 % Bonferroni-adjusted across {len(a.attacks)} attacks): AUC and advantage by a stratified bootstrap "
                         f"({o.bootstrap} resamples), TPRs by Clopper–Pearson. Thresholds: TPR at 1 % FPR warn above "
                         f"{o.tpr_at_1pct_fpr_warn:g}, fail above {o.tpr_at_1pct_fpr_fail:g}; advantage warn above {o.advantage_warn:g}, "
                         f"fail above {o.advantage_fail:g}. ε ≥ max(ln((TPR_lo − δ) / FPR_hi), ln((1 − FPR_hi − δ) / (1 − TPR_lo))) "
                         f"at the 0.1 % and 1 % FPR thresholds, δ = {o.delta:g}.")
    def group_table(title: str, rows: Sequence[GroupLeak], *, appendix: bool) -> Table:
        return Table(title, ["grouping", "group", "members", "non-members", "ROC-AUC", "TPR at 1 % FPR", "advantage",
                             "ε lower bound", "p (more than the rest, Holm)", "status"],
                     [[g.grouping, g.group, g.judged.leak.members, g.judged.leak.nonmembers, _est(g.judged.leak.auc, g.judged.leak.auc_ci),
                       _est(g.judged.leak.high.tpr, g.judged.leak.tpr_high_ci), _est(g.judged.leak.advantage, g.judged.leak.advantage_ci),
                       g.judged.leak.epsilon, g.p_holm, g.judged.status if g.judged.tpr is not None else "not judged"] for g in rows],
                     formats=["text", "text", "int", "int", "3f", "3f", "3f", "3f", "p", "text"], section="Per group", appendix=appendix,
                     note=f"Intervals at {a.group_level:.2%} (95 % Bonferroni-adjusted across the judged groups); groups with fewer "
                          f"than {o.min_group_rows} members or non-members are shown, not judged. A group turns the check to warn "
                          "or fail only when its whole interval lies beyond a threshold; an inconclusive group is shown here "
                          "without changing the check's status. p: one-sided DeLong test that the group's AUC exceeds that of "
                          "all other rows, Holm-adjusted across the groups.")

    headline = ATTACKS[a.headline].split(" (")[0]
    single = [g for g in a.groups if " × " not in g.grouping]
    groups = group_table(f"The strongest attack per group ({headline})", single, appendix=False)
    pairs = [g for g in a.groups if " × " in g.grouping]
    tables = [attacks, groups]
    if pairs:  # intersections: in the appendix, as the fairness check keeps them
        tables.append(group_table(f"The strongest attack per intersection of two sensitive features ({headline})", pairs,
                                  appendix=True))
    if a.exposed:
        tables.append(Table("Most exposed training rows", ["training row", "attack score", "non-members scoring as high"],
                            [[name, score, share] for name, score, share in a.exposed], formats=["text", "", "%"], appendix=True,
                            section="Most exposed records",
                            note=f"The members the {ATTACKS[a.headline].split(' (')[0]} attack is surest of, named by id (or row), "
                                 "never by their values: an attacker would single these out first."))
    return tables


def _est(value: float, ci: tuple[float, float]) -> Estimate:
    return Estimate(value, ci[0], ci[1])


def _figures(a: PrivacyAnalysis) -> list[Figure]:
    series = [Series(list(fpr), list(tpr), label=k.replace("_", " ")) for k, (fpr, tpr) in a.roc.items()]
    roc = Figure("ROC curves of the attacks", xy_chart(series, xlabel="false-positive rate (non-members called members)",
                                                       ylabel="true-positive rate (members found)", diagonal=True,
                                                       xlim=(0, 1), ylim=(0, 1)),
                 "The diagonal is chance. A curve rising steeply at the left finds members with few false alarms.")
    shown = [g for g in a.groups if g.grouping != "class"][:40]
    figures = [roc]
    if shown:
        figures.append(Figure("Attack ROC-AUC per group", bar_chart(
            [f"{g.grouping}: {g.group}" for g in shown], [g.judged.leak.auc for g in shown],
            lows=[g.judged.leak.auc_ci[0] for g in shown], highs=[g.judged.leak.auc_ci[1] for g in shown],
            reference=0.5, reference_label="chance", xlabel="ROC-AUC", xmin=0.0, xmax=1.0),
            f"The {ATTACKS[a.headline].split(' (')[0]} attack per group, with bootstrap intervals.", section="Per group"))
    return figures


def _details(a: PrivacyAnalysis) -> dict[str, Any]:
    def leak(j: Judged) -> dict[str, Any]:
        x = j.leak
        return {"members": x.members, "nonmembers": x.nonmembers, "level": x.level, "auc": x.auc, "auc_ci": list(x.auc_ci),
                "advantage": x.advantage, "advantage_ci": list(x.advantage_ci),
                "tpr_at_0.1pct_fpr": x.low.tpr, "tpr_at_0.1pct_fpr_ci": list(x.tpr_low_ci), "fpr_at_0.1pct": x.low.fpr,
                "tpr_at_1pct_fpr": x.high.tpr, "tpr_at_1pct_fpr_ci": list(x.tpr_high_ci), "fpr_at_1pct": x.high.fpr,
                "epsilon_lower_bound": x.epsilon, "status": j.status,
                "verdicts": {k: {"status": v.status, "reason": v.reason, "rows_to_decide": v.rows_to_decide}
                             for k, v in (("tpr_at_1pct_fpr", j.tpr), ("advantage", j.advantage)) if v is not None}}

    top = _most_exposed(a)
    return {"attacks": {k: leak(j) for k, j in a.attacks.items()}, "headline_attack": a.headline,
            "groups": [{"grouping": g.grouping, "group": g.group, **leak(g.judged), "p_more_than_rest": g.p, "p_holm": g.p_holm}
                       for g in a.groups],
            "most_exposed_group": None if top is None else {"grouping": top.grouping, "group": top.group},
            "rows": dict(a.rows), "operating_points": {"low_fpr": LOW_FPR, "high_fpr": HIGH_FPR},
            "reference": None if a.reference is None else {"models": a.reference.models, "rows_per_model": a.reference.rows_per_model,
                                                           "seconds": a.reference.seconds, "measurement": dict(a.reference.measurement)},
            "reference_skipped": a.reference_skipped, "lower_bound": LOWER_BOUND,
            "exposed_records": [{"row": n, "score": s, "nonmembers_as_high": f} for n, s, f in a.exposed]}


__all__: Sequence[str] = ["PrivacyCheck", "PrivacyOptions", "PrivacyAnalysis"]
