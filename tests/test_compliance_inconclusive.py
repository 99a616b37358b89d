"""A check that is inconclusive (its interval straddles a threshold) has a place in the compliance map and its summary."""

from __future__ import annotations

from raudit import CheckResult, Finding, Report
from raudit.report.compliance import compliance_matrix, model_card_section
from raudit.report.html import render_html


def _results(*statuses):
    return [CheckResult(name=f"c{i}", title=f"Check {i}", status=s, findings=[Finding(s, "x")]) for i, s in enumerate(statuses)]


def test_inconclusive_evidence_ranks_between_pass_and_warn():
    card = model_card_section({})
    rows = lambda results: {r["id"]: r["status"] for r in compliance_matrix(  # noqa: E731
        results, {r.name: {"NIST-MEASURE-2.6": "robustness"} for r in results}, model_card=card)["rows"]}
    assert rows(_results("inconclusive"))["NIST-MEASURE-2.6"] == "inconclusive"
    assert rows(_results("pass", "inconclusive"))["NIST-MEASURE-2.6"] == "inconclusive"
    assert rows(_results("inconclusive", "warn"))["NIST-MEASURE-2.6"] == "warn"


def test_the_summary_counts_inconclusive_requirements():
    from tests.test_gold import _report

    gold = _report("summary")  # the gold report's lineage and config, at summary detail
    results = _results("inconclusive")
    compliance = compliance_matrix(results, {"c0": {"NIST-MEASURE-2.6": "robustness"}}, model_card=gold.model_card)
    html = render_html(Report(results=tuple(results), lineage=gold.lineage, config=gold.config, model_card=gold.model_card,
                              compliance=compliance))
    words = " ".join(html.split())
    assert f"Of {len(compliance['rows'])} requirements: 0 with failing evidence, 0 warning, 1 inconclusive, 1 partial," in words
    assert "1 warning, 1 partial," in " ".join(render_html(gold).split())  # none inconclusive: the sentence as it was
