"""The provisions a report holds evidence for, and the map at its end: evidence, never compliance.

raudit measures; whether a provision of a law or framework is met is for the provider and the
reviewer to decide. So the map says, for each provision in the catalogue, what evidence this run
produced:

- **evidence provided**: a check that ran (or the report's own lineage) holds evidence for it;
- **partial evidence**: evidence exists but is incomplete (provenance unknown, the report unsigned),
  or the provision asks for a judgement raudit cannot make (an *appropriate* level, a *plan*);
- **no evidence from raudit**: no check that ran covers it; the evidence must come from elsewhere;
- **not applicable**: the provision does not apply to this kind of model (Annex XI applies to
  general-purpose AI models only, unless the model card says the model is one).

Every status is derived from this run: which checks ran, what they recorded, whether the report is
signed, the model card. A check's own verdict (pass, fail, …) stays in its section: failing
evidence is still evidence. The catalogue paraphrases the texts; it is a map for a reviewer, not
legal advice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from raudit.config import MODEL_CARD_FIELDS
from raudit.report.results import CheckResult

__all__ = ["REQUIREMENTS", "ROW_STATUSES", "compliance_matrix", "model_card_section"]

Evidence = Literal["evidence", "partial", "none"]
#: A provision's statuses, in the order the summary counts them.
ROW_STATUSES = ("evidence provided", "partial evidence", "no evidence from raudit", "not applicable")

#: id -> (framework, title)
REQUIREMENTS: dict[str, tuple[str, str]] = {
    "EU-AIA-10.2.f": ("EU AI Act", "Art. 10(2)(f): examination of data in view of possible biases"),
    "EU-AIA-10.2.g": ("EU AI Act", "Art. 10(2)(g): measures to detect, prevent and mitigate biases"),
    "EU-AIA-10.5": ("EU AI Act", "Art. 10(5): special categories of personal data processed only with safeguards, "
                                 "including state-of-the-art security and privacy-preserving measures"),
    "EU-AIA-13.3.b.ii": ("EU AI Act", "Art. 13(3)(b)(ii): level of accuracy, with its metrics, tested and validated"),
    "EU-AIA-13.3.b.iv": ("EU AI Act", "Art. 13(3)(b)(iv): information relevant to explain the system's output"),
    "EU-AIA-13.3.b.v": ("EU AI Act", "Art. 13(3)(b)(v): performance for the persons or groups it is used on"),
    "EU-AIA-14": ("EU AI Act", "Art. 14: human oversight measures"),
    "EU-AIA-15.1": ("EU AI Act", "Art. 15(1): appropriate level of accuracy, robustness and cybersecurity"),
    "EU-AIA-15.3": ("EU AI Act", "Art. 15(3): levels of accuracy and the accuracy metrics declared"),
    "EU-AIA-15.4": ("EU AI Act", "Art. 15(4): robustness to errors, faults and inconsistencies"),
    "EU-AIA-15.5": ("EU AI Act", "Art. 15(5): resilience against attempts to alter use or outputs (cybersecurity)"),
    "EU-AIA-72": ("EU AI Act", "Art. 72: post-market monitoring by providers"),
    "EU-AIA-IV.1": ("EU AI Act", "Annex IV(1): general description, intended purpose"),
    "EU-AIA-IV.2.b": ("EU AI Act", "Annex IV(2)(b): general logic of the system, key design choices"),
    "EU-AIA-IV.2.d": ("EU AI Act", "Annex IV(2)(d): data requirements, provenance and datasheets"),
    "EU-AIA-IV.2.g": ("EU AI Act", "Annex IV(2)(g): validation and testing procedures, metrics incl. discriminatory impact, "
                                   "dated test reports"),
    "EU-AIA-IV.3": ("EU AI Act", "Annex IV(3): capabilities and limitations, accuracy for specific groups, "
                                 "foreseeable unintended outcomes"),
    "EU-AIA-IV.4": ("EU AI Act", "Annex IV(4): appropriateness of the performance metrics"),
    "EU-AIA-IV.9": ("EU AI Act", "Annex IV(9): post-market monitoring plan"),
    "EU-AIA-XI.1.2.e": ("EU AI Act", "Annex XI §1(2)(e): known or estimated energy consumption (general-purpose AI models)"),
    "NIST-MEASURE-2.1": ("NIST AI RMF", "MEASURE 2.1: test sets, metrics and tools used are documented"),
    "NIST-MEASURE-2.3": ("NIST AI RMF", "MEASURE 2.3: performance measured for conditions like deployment"),
    "NIST-MEASURE-2.4": ("NIST AI RMF", "MEASURE 2.4: functionality and behaviour monitored in production"),
    "NIST-MEASURE-2.5": ("NIST AI RMF", "MEASURE 2.5: the system is demonstrated valid and reliable"),
    "NIST-MEASURE-2.6": ("NIST AI RMF", "MEASURE 2.6: safety risks evaluated; reliability and robustness measured"),
    "NIST-MEASURE-2.7": ("NIST AI RMF", "MEASURE 2.7: security and resilience evaluated"),
    "NIST-MEASURE-2.8": ("NIST AI RMF", "MEASURE 2.8: transparency and accountability risks examined"),
    "NIST-MEASURE-2.9": ("NIST AI RMF", "MEASURE 2.9: the model is explained, validated and documented"),
    "NIST-MEASURE-2.10": ("NIST AI RMF", "MEASURE 2.10: privacy risk examined"),
    "NIST-MEASURE-2.11": ("NIST AI RMF", "MEASURE 2.11: fairness and bias evaluated and documented"),
    "NIST-MEASURE-2.12": ("NIST AI RMF", "MEASURE 2.12: environmental impact and sustainability assessed"),
    "NIST-MEASURE-4.2": ("NIST AI RMF", "MEASURE 4.2: measurement results in deployment contexts validate that the system "
                                        "performs consistently as intended"),
    "NIST-MEASURE-4.3": ("NIST AI RMF", "MEASURE 4.3: measurable performance improvements or declines are identified and "
                                        "documented"),
}

#: Provisions that ask for a judgement (an appropriate level, measures, a plan): measurements are partial evidence at most.
JUDGEMENT: dict[str, str] = {
    "EU-AIA-10.2.g": "the measures themselves are the provider's",
    "EU-AIA-14": "oversight measures are the provider's",
    "EU-AIA-15.1": "whether the level is appropriate is the provider's judgement",
    "EU-AIA-72": "the monitoring system is the provider's",
    "EU-AIA-IV.4": "whether the metrics are appropriate is the provider's judgement",
    "EU-AIA-IV.9": "the plan itself is the provider's",
    "NIST-MEASURE-2.5": "validity and reliability are demonstrated by more than one audit",
}


@dataclass(frozen=True)
class Run:
    """What of this run, beyond the checks, bears on the map."""

    lineage: Mapping[str, Any]
    model_card: Mapping[str, Any]
    signed: bool
    general_purpose: bool


#: Provisions that apply only to some models: id -> (does it apply to this run?, why not).
APPLIES: dict[str, tuple[Callable[[Run], bool], str]] = {
    "EU-AIA-XI.1.2.e": (lambda run: run.general_purpose,
                        "Annex XI concerns general-purpose AI models; set general_purpose_ai = true in [model_card] if "
                        "this is one"),
}


def _report_evidence(rid: str, run: Run) -> tuple[str, str, Evidence] | None:  # size: a branch per provision
    """Evidence the report itself holds (lineage, signature, model card): (anchor, what, evidence), or None."""
    lineage = run.lineage
    files = [k for k in ("model_file", "data_file") if lineage.get(k)]
    if rid == "EU-AIA-IV.2.d":
        if not files:
            return None
        whole = len(files) == 2
        return ("lineage", "sha256 and size of the audited " + ("model and data files" if whole else files[0].replace("_", " "))
                + ("" if whole else "; the other input was given in memory and has no file hash"), "evidence" if whole else "partial")
    if rid == "EU-AIA-IV.2.g" and lineage.get("created_utc"):
        return "lineage", "a dated report (see the lineage) with its configuration and content digest", "evidence"
    if rid == "NIST-MEASURE-2.1" and lineage.get("versions"):
        return "lineage", f"data, configuration and {len(lineage['versions'])} library versions recorded", "evidence"
    if rid == "NIST-MEASURE-2.8":
        if run.signed:
            return "lineage", "report set signed (Ed25519): raudit verify with the public key detects any change", "evidence"
        return ("lineage", "content digest and file hashes recorded but not signed: raudit verify detects accidental change "
                           "only", "partial")
    if rid == "EU-AIA-IV.1" and run.model_card.get("fields"):
        gaps = run.model_card.get("gaps") or []
        return ("model-card", "intended and out-of-scope uses" + (f"; missing: {', '.join(gaps)}" if gaps else ""),
                "partial" if gaps else "evidence")
    return None


def _evidence_of(result: CheckResult, rid: str, declared: Mapping[str, str]) -> tuple[str, Evidence]:
    """What a check that ran shows for a provision: what, and how complete (an error shows nothing)."""
    if result.status == "error":
        return f"{declared.get(rid, result.title)} (the check could not run)", "none"
    if rid in result.evidence:  # what this run showed, when it differs from the declaration
        shown = result.evidence[rid]
        return shown["what"], "partial" if shown.get("status") == "partial" else "evidence"
    return declared[rid], "evidence"


def _row_status(sections: Sequence[Mapping[str, Any]], rid: str) -> str:
    kinds = {s["evidence"] for s in sections}
    if not kinds or kinds == {"none"}:
        return "no evidence from raudit"
    if "partial" in kinds or "none" in kinds or rid in JUDGEMENT:
        return "partial evidence"
    return "evidence provided"


def compliance_matrix(
    results: Sequence[CheckResult], evidence: Mapping[str, Mapping[str, str]], *, model_card: Mapping[str, Any],
    lineage: Mapping[str, Any], signed: bool, general_purpose: bool = False,
) -> dict[str, Any]:  # size: one row per provision, combining every check's evidence for it
    """Build the provision -> evidence map.

    Parameters
    ----------
    results : the checks' results
    evidence : check name -> {provision id: what the check shows}
    model_card : the model card section (its gaps make Annex IV(1)'s evidence partial)
    lineage : the report's lineage (file hashes, date, versions)
    signed : whether the report set is signed
    general_purpose : whether the model card says the model is a general-purpose AI model
    """
    run = Run(lineage, model_card, signed, general_purpose)
    known = {rid: v for rid, v in REQUIREMENTS.items()}
    for per_check in evidence.values():
        for rid in per_check:
            known.setdefault(rid, ("plugin", rid))
    for r in results:
        for rid in r.evidence:
            known.setdefault(rid, ("plugin", rid))
    rows = []
    for rid, (framework, title) in known.items():
        row: dict[str, Any] = {"id": rid, "framework": framework, "requirement": title, "evidence": []}
        applies, why_not = APPLIES.get(rid, (lambda run: True, ""))
        if not applies(run):
            rows.append({**row, "status": "not applicable", "why": why_not})
            continue
        for result in results:
            declared = evidence.get(result.name, {})
            if result.status == "skipped" or (rid not in declared and rid not in result.evidence):
                continue
            what, shown = _evidence_of(result, rid, declared)
            row["evidence"].append({"section": result.title, "anchor": f"check-{result.name}", "what": what, "evidence": shown})
        own = _report_evidence(rid, run)
        if own is not None:
            anchor, what, shown = own
            row["evidence"].append({"section": "Model card" if anchor == "model-card" else "Lineage", "anchor": anchor,
                                    "what": what, "evidence": shown})
        row["status"] = _row_status(row["evidence"], rid)
        if row["status"] == "partial evidence" and rid in JUDGEMENT:
            row["why"] = JUDGEMENT[rid]
        rows.append(row)
    counts = {s: sum(r["status"] == s for r in rows) for s in ROW_STATUSES}
    return {"rows": rows, "counts": counts,
            "not_covered": [r["requirement"] for r in rows if r["status"] == "no evidence from raudit"],
            "note": "Where this report holds evidence, never a finding of compliance: raudit measures, and whether a "
                    "provision is met is for the provider and the reviewer to decide. Failing evidence is still evidence: "
                    "each check's own verdict is in its section. The catalogue paraphrases the texts; it is not legal advice."}


def model_card_section(card: Mapping[str, Any]) -> dict[str, Any]:
    """The model card as rendered: given fields in a fixed order, and the gaps."""
    fields = [{"key": k, "label": label, "value": card[k]} for k, label in MODEL_CARD_FIELDS.items() if card.get(k)]
    gaps = [label for k, label in MODEL_CARD_FIELDS.items() if not card.get(k)]
    return {"fields": fields, "gaps": gaps}
