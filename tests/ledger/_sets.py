"""Report sets made without a model: real ``Report`` objects of chosen statuses and metrics, rendered and signed by raudit's writer."""

from __future__ import annotations

import hashlib
import inspect
import json
from pathlib import Path
from typing import Any

from raudit.config import AuditConfig
from raudit.ledger.store import ReportSet
from raudit.report.compliance import compliance_matrix, model_card_section
from raudit.report.lineage import collect_lineage
from raudit.report.report import Report
from raudit.report.results import CheckResult, Finding, Table, worst
from raudit.report.write import render_set

#: Text an attacker controls in a report: HTML, template syntax, a bidi override, a zero-width space, a control character.
HOSTILE = "<img src=x onerror=alert(1)><script>alert('x')</script>{{ 7*7 }}{% raw %}\u202egpj.exe\u200b\x07"


def _lineage(created: str, model: str, data: str) -> dict[str, Any]:
    lineage = collect_lineage(model_path=None, data_path=None, data_shape=(3000, 8), model_description=None, model_params=None,
                              plugin_packages=[], templates_sha256="c" * 64, seed=0, command=None)
    sha = lambda s: hashlib.sha256(s.encode()).hexdigest()  # noqa: E731
    lineage.update({"created_utc": created,
                    "model_file": {"path": f"/m/{model}", "name": model, "bytes": 10, "sha256": sha(model), "git": None},
                    "data_file": {"path": f"/d/{data}", "name": data, "bytes": 10, "sha256": sha(data), "git": None}})
    return lineage


def make_report(*, created: str = "2026-01-02T03:04:05+00:00", model: str = "credit.joblib", data: str = "data.csv",
                performance: str = "pass", fairness: str = "pass", accuracy: float = 0.84, roc_auc: float = 0.8, ratio: float = 0.9,
                group: str = "Female") -> Report:
    """A report with a performance and a fairness check of the given statuses and headline numbers."""
    results = [
        CheckResult("performance", "Performance", performance, summary=f"accuracy {accuracy:.3f}, ROC-AUC {roc_auc:.3f}",
                    metrics={"accuracy": accuracy, "roc_auc": roc_auc, "ece": 0.02},
                    options={"roc_auc_warn": 0.7, "roc_auc_fail": 0.6, "ece_warn": 0.05, "ece_fail": 0.1},
                    findings=[Finding(performance, f"ROC-AUC is {roc_auc:.3f}.", "roc_auc")]),
        CheckResult("fairness", "Fairness", fairness, summary=f"worst: {group} at {ratio:.2f}× the favourable rate",
                    metrics={"worst_selection_rate_ratio": ratio, "worst_selection_rate_ratio_group": f"sex: {group} vs Male"},
                    options={"selection_rate_ratio_min": 0.8},
                    findings=[Finding(fairness, f"{group} at {ratio:.2f}× the favourable-outcome rate of Male.", f"ratio.{group}")],
                    tables=[Table("Groups", ["group", "rate"], [[group, ratio * 0.5], ["Male", 0.5]], formats=["text", "3f"])]),
    ]
    assert worst(r.status for r in results) in ("pass", "warn", "fail")
    card = model_card_section({})
    lineage = _lineage(created, model, data)
    wanted = inspect.signature(compliance_matrix).parameters  # newer raudit builds the evidence map from the lineage too
    extra = {k: v for k, v in {"lineage": lineage, "signed": False}.items() if k in wanted}
    config = {**AuditConfig.from_mapping({"target": "approved", "sensitive": ("sex",)}).to_dict(), "target": "approved",
              "sensitive": ["sex"], "sensitive_guessed": False}
    return Report(results, lineage=lineage, config=config, model_card=card,
                  compliance=compliance_matrix(results, {}, model_card=card, **extra))


def make_set(folder: Path | None = None, *, key: Path | None = None, html: bool = True, model_name: str | None = None,
             **report: Any) -> ReportSet:
    """A report set (json, html, signed with ``key``) as bytes; written to ``folder`` too when given."""
    files = render_set(make_report(**report), ["json", "html"] if html else ["json"], sign_key=key)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (folder / name).write_bytes(data)
    return ReportSet(files, model_name, where=str(folder / "report.json") if folder else "report.json")


def body(report_set: ReportSet) -> dict[str, Any]:
    """The parsed report.json of a set."""
    return json.loads(report_set.files["report.json"])
