"""The rendered HTML of a fixed report equals the gold file (templates change only on purpose).

One gold file per detail level. Regenerate after an intended template change with
``RAUDIT_UPDATE_GOLD=1 pytest tests/test_gold.py`` and review the diff of ``tests/gold/report-*.html``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from raudit import CheckResult, Estimate, Figure, Finding, Report, Table
from raudit.report.compliance import compliance_matrix, model_card_section
from raudit.report.html import render_html
from raudit.report.svg import bar_chart

GOLD = Path(__file__).parent / "gold"


def _report(detail: str) -> Report:
    result = CheckResult(
        name="performance", title="Performance", status="warn", summary="accuracy 0.812, ROC-AUC 0.690",
        metrics={"accuracy": 0.8123456, "roc_auc": 0.69, "rows": 12345},
        findings=[Finding("warn", "ROC-AUC is 0.690 (warn below 0.7, fail below 0.6).", "roc_auc"),
                  Finding("pass", "Accuracy 0.812 beats always predicting the majority class (0.700).", "baseline")],
        tables=[Table("Confusion matrix", ["true \\ predicted", "0", "1"], [["0", 700, 50], ["1", 138, 112]],
                      note="rows: true label", section="Details", formats=["text", "int", "int"]),
                Table("Rates by group", ["group", "rate (95 % CI)", "p"], [["<i>A</i>", Estimate(0.41234, 0.4, 0.43), 0.0004]],
                      formats=["text", "3f", "p"], section="Appendix part", appendix=True)],
        figures=[Figure("Bars", bar_chart(["<b>a</b>", "b"], [0.3, 0.7], lows=[0.2, 0.6], highs=[0.4, 0.8], reference=0.5),
                        "A caption", section="Details"),
                 Figure("More bars", bar_chart(["c"], [0.1]), section="Appendix part", appendix=True)],
        options={"roc_auc_warn": 0.7}, package="raudit", version="0.0-gold", duration_s=1.25,
    )
    card = model_card_section({"intended_use": "Testing templates.", "owners": ["QA <qa@example.com>"]})
    lineage = {
        "created_utc": "2026-01-01T00:00:00+00:00",
        "model_file": {"path": "m.joblib", "name": "m.joblib", "bytes": 10, "sha256": "0" * 64, "git": None},
        "data_file": {"path": "d.csv", "name": "d.csv", "bytes": 20, "sha256": "1" * 64, "git": None},
        "data_shape": {"rows": 1000, "columns": 5},
        "model": {"class": "sklearn.linear_model.LogisticRegression", "task": "binary", "classes": [0, 1],
                  "features": ["x1", "x2"], "format": "pickle/joblib", "loader": "test", "trust": "test"},
        "model_params": {"C": "1.0"},
        "versions": {"python": "3.x", "raudit": "0.0-gold"},
        "platform": {"system": "Linux", "release": "x", "machine": "x86_64", "python_implementation": "CPython"},
        "seed": 0, "command": "raudit m.joblib d.csv", "templates_sha256": "2" * 64,
        "jail": {"process": "a separate child process; the report is rendered and written by the parent from plain data",
                 "start": "forked from raudit's process (no other thread of it was running Python)",
                 "in_force": ["an empty network namespace", "Landlock: writes only in a private temporary folder"],
                 "missing": ["seccomp: libseccomp is not installed"],
                 "limits": {"memory_bytes": 8 * 2**30, "cpu_seconds": 7200, "wall_seconds": 14400}},
        "engine": {"engine": "memory", "description": "Read whole into memory; decisions from the model's predict() on every row; "
                                                      "explanations, mitigation and latency use every row."},
    }
    config = {"target": "y", "sensitive": ["sex"], "sensitive_guessed": False, "seed": 0, "detail": detail, "fail_on": "fail",
              "favourable": None}
    return Report(results=(result,), lineage=lineage, config=config, model_card=card,
                  compliance=compliance_matrix([result], {"performance": {"EU-AIA-15.3": "accuracy metrics"}}, model_card=card,
                                                lineage=lineage, signed=False))


@pytest.mark.parametrize("detail", ["summary", "standard", "full"])
def test_rendered_html_equals_gold(detail):
    html = render_html(_report(detail))
    gold = GOLD / f"report-{detail}.html"
    if os.environ.get("RAUDIT_UPDATE_GOLD"):
        gold.write_text(html, encoding="utf-8")
    assert html == gold.read_text(encoding="utf-8"), "templates changed: review, then RAUDIT_UPDATE_GOLD=1 to accept"


def test_detail_levels_differ_as_documented():
    summary, standard, full = (render_html(_report(d)) for d in ("summary", "standard", "full"))
    assert 'id="check-performance"' not in summary and "Evidence map (summary)" in summary
    assert 'id="check-performance"' in standard and "<details class=\"more\">" in standard
    assert "Rates by group" in standard and "0.412 (0.400–0.430)" in standard and "p &lt; 0.001" in standard
    def body(html: str) -> str:  # from the report's root to its configuration: the same markup, only the detail class differs
        start, end = html.index('<div class="raudit'), html.index('<details class="config" open>')
        return html[start:end].replace("detail-full", "detail-standard").replace("detail: full", "detail: standard")

    assert body(full) == body(standard)
