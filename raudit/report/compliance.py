"""The requirements a report provides evidence for, and the matrix at its end.

Each check declares, in its ``evidence`` class attribute, which requirement
ids it provides evidence for. The matrix maps every requirement of the
catalogue to the sections that cover it and their status, and names those no
check covers. The catalogue paraphrases the texts; it is a map for a
reviewer, not legal advice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from raudit.config import MODEL_CARD_FIELDS
from raudit.report.results import CheckResult

__all__ = ["REQUIREMENTS", "compliance_matrix", "model_card_section"]

#: id -> (framework, title)
REQUIREMENTS: dict[str, tuple[str, str]] = {
    "EU-AIA-10.2.f": ("EU AI Act", "Art. 10(2)(f): examination of data in view of possible biases"),
    "EU-AIA-10.2.g": ("EU AI Act", "Art. 10(2)(g): measures to detect, prevent and mitigate biases"),
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

#: Evidence the report itself provides (lineage appendix, model card), beside the checks.
REPORT_EVIDENCE: dict[str, tuple[str, str]] = {
    "EU-AIA-IV.2.d": ("lineage", "sha256 and size of the audited files, library versions (provenance itself: the lineage check)"),
    "EU-AIA-IV.2.g": ("lineage", "dated report with its configuration and digest"),
    "NIST-MEASURE-2.1": ("lineage", "data, configuration and tool versions recorded"),
    "NIST-MEASURE-2.8": ("lineage", "traceable, verifiable report (raudit verify)"),
}

#: Order of a requirement's combined status, least to most severe (``inconclusive``: a check's interval straddles its
#: threshold, see raudit.stats.judgement).
ROW_ORDER = ("skipped", "pass", "partial", "inconclusive", "warn", "fail", "error")


def _combine(statuses: Sequence[str]) -> str:
    """The most severe status of a requirement's evidence (``partial`` and ``inconclusive`` rank between pass and warn)."""
    return max(statuses, key=ROW_ORDER.index)


def compliance_matrix(
    results: Sequence[CheckResult], evidence: Mapping[str, Mapping[str, str]], *, model_card: Mapping[str, Any]
) -> dict[str, Any]:  # size: one row per requirement, combining every check's evidence for it
    """Build the requirement -> evidence -> status matrix.

    Parameters
    ----------
    results : the checks' results
    evidence : check name -> {requirement id: what the check shows}
    model_card : the model card section (its gaps decide Annex IV(1)'s status)
    """
    by_name = {r.name: r for r in results}
    rows = []
    known = dict(REQUIREMENTS)
    for per_check in evidence.values():
        for rid in per_check:
            known.setdefault(rid, ("plugin", rid))
    for r in results:
        for rid in r.evidence:
            known.setdefault(rid, ("plugin", rid))
    for rid, (framework, title) in known.items():
        sections, statuses = [], []
        for name, result in by_name.items():
            declared = evidence.get(name, {})
            if result.status == "skipped" or (rid not in declared and rid not in result.evidence):
                continue
            if rid in result.evidence:  # what this run showed, when it differs from the declaration
                what, status = result.evidence[rid]["what"], result.evidence[rid]["status"]
            else:
                what, status = declared[rid], result.status
            sections.append({"section": result.title, "anchor": f"check-{name}", "what": what, "status": status})
            statuses.append(status)
        if rid in REPORT_EVIDENCE:
            anchor, what = REPORT_EVIDENCE[rid]
            sections.append({"section": "Lineage", "anchor": anchor, "what": what, "status": "pass"})
            statuses.append("pass")
        if rid == "EU-AIA-IV.1" and model_card.get("fields"):
            status = "partial" if model_card.get("gaps") else "pass"
            sections.append({"section": "Model card", "anchor": "model-card", "what": "intended and out-of-scope uses"
                             + (f"; missing: {', '.join(model_card['gaps'])}" if model_card.get("gaps") else ""), "status": status})
            statuses.append(status)
        rows.append({"id": rid, "framework": framework, "requirement": title, "evidence": sections,
                     "status": _combine(statuses) if statuses else "not covered"})
    uncovered = [r["requirement"] for r in rows if r["status"] == "not covered"]
    return {"rows": rows, "not_covered": uncovered,
            "note": "A map of where this report holds evidence, not a legal assessment; the catalogue paraphrases the texts."}


def model_card_section(card: Mapping[str, Any]) -> dict[str, Any]:
    """The model card as rendered: given fields in a fixed order, and the gaps."""
    fields = [{"key": k, "label": label, "value": card[k]} for k, label in MODEL_CARD_FIELDS.items() if card.get(k)]
    gaps = [label for k, label in MODEL_CARD_FIELDS.items() if not card.get(k)]
    return {"fields": fields, "gaps": gaps}
