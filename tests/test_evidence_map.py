"""The evidence map: evidence, never compliance; every status derived from this run (issue 21)."""

from __future__ import annotations

import pytest

import raudit
from raudit.report.compliance import ROW_STATUSES, compliance_matrix
from raudit.report.results import CheckResult

from .conftest import NOT_EVIDENCE, scan_evidence_map


def _rows(report):
    return {r["id"]: r for r in report.compliance["rows"]}


@pytest.fixture(scope="module")
def report(binary_model, credit):
    return raudit.audit(binary_model, credit, target="approved", sensitive=["sex"], checks=["performance", "fairness"])


def test_no_provision_is_called_pass_and_the_counts_are_evidence(report):
    rows = _rows(report)
    assert {r["status"] for r in rows.values()} <= set(ROW_STATUSES)
    assert set(report.compliance["counts"]) == set(ROW_STATUSES)
    assert report["fairness"].status == "fail" and rows["NIST-MEASURE-2.11"]["status"] == "evidence provided", \
        "a failing fairness check is still evidence of having evaluated fairness"
    for detail in ("summary", "standard"):
        report.config["detail"] = detail  # type: ignore[index]
        html = report.render("html").decode()
        scan_evidence_map(html)
        assert "Evidence map" in html


def test_the_scan_would_catch_a_pass():
    with pytest.raises(AssertionError, match="pass"):
        scan_evidence_map('<section id="compliance"><td><span class="badge">PASS</span></td></section>')
    assert "passing" in NOT_EVIDENCE


def test_nothing_is_constant_signed_or_not_a_model_card_or_not(report):
    rows = _rows(report)
    assert rows["NIST-MEASURE-2.8"]["status"] == "partial evidence"  # unsigned: accidental change only
    assert "not signed" in rows["NIST-MEASURE-2.8"]["evidence"][0]["what"]
    signed = compliance_matrix(list(report.results), {}, model_card={}, lineage=report.lineage, signed=True)
    assert {r["id"]: r for r in signed["rows"]}["NIST-MEASURE-2.8"]["status"] == "evidence provided"
    assert rows["EU-AIA-IV.1"]["status"] == "no evidence from raudit"  # no model card given
    card = {"fields": [{"key": "intended_use", "label": "Intended use", "value": "x"}], "gaps": []}
    with_card = compliance_matrix(list(report.results), {}, model_card=card, lineage=report.lineage, signed=False)
    assert {r["id"]: r for r in with_card["rows"]}["EU-AIA-IV.1"]["status"] == "evidence provided"
    no_checks = compliance_matrix([], {}, model_card={}, lineage={}, signed=False)
    assert {r["status"] for r in no_checks["rows"]} <= {"no evidence from raudit", "not applicable", "partial evidence"}


def test_the_gpai_annex_does_not_apply_to_a_tabular_classifier_unless_the_card_says_so(binary_model, credit):
    plain = raudit.audit(binary_model, credit.head(600), target="approved", sensitive=["sex"], checks=["performance"])
    row = _rows(plain)["EU-AIA-XI.1.2.e"]
    assert row["status"] == "not applicable" and "general_purpose_ai = true" in row["why"]
    gpai = raudit.audit(binary_model, credit.head(600), target="approved", sensitive=["sex"], checks=["performance"],
                        config={"model_card": {"general_purpose_ai": True}})
    assert _rows(gpai)["EU-AIA-XI.1.2.e"]["status"] == "no evidence from raudit"  # applies; the energy check did not run


def test_a_provision_that_asks_for_a_judgement_is_partial_at_most(report):
    row = _rows(report)["EU-AIA-IV.4"]  # appropriateness of the metrics
    assert row["evidence"][0]["evidence"] == "evidence" and row["status"] == "partial evidence"
    assert "judgement" in row["why"]


def test_a_check_that_errs_gives_no_evidence():
    broken = CheckResult(name="performance", title="Performance", status="error", summary="boom")
    out = compliance_matrix([broken], {"performance": {"EU-AIA-15.3": "accuracy"}}, model_card={}, lineage={}, signed=False)
    row = {r["id"]: r for r in out["rows"]}["EU-AIA-15.3"]
    assert row["status"] == "no evidence from raudit" and "could not run" in row["evidence"][0]["what"]


def test_a_plugin_that_claims_a_pass_for_a_provision_is_refused():
    with pytest.raises(ValueError, match="evidence, never compliance"):
        CheckResult(name="x", title="X", status="pass", evidence={"EU-AIA-15.3": {"what": "all good", "status": "pass"}})


def test_a_bad_general_purpose_flag_is_a_config_error():
    with pytest.raises(raudit.ConfigError, match="general_purpose_ai must be true or false"):
        raudit.AuditConfig.from_mapping({"model_card": {"general_purpose_ai": "yes"}})


def test_an_inconclusive_check_is_evidence_like_any_other():
    undecided = CheckResult(name="robustness", title="Robustness", status="inconclusive", summary="straddles")
    out = compliance_matrix([undecided], {"robustness": {"NIST-MEASURE-2.6": "robustness measured"}}, model_card={}, lineage={},
                            signed=False)
    assert {r["id"]: r for r in out["rows"]}["NIST-MEASURE-2.6"]["status"] == "evidence provided"
