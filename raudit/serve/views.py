"""What each page shows, as plain data built from :mod:`raudit.ledger.reading` (templates only render it)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from raudit.errors import InputError
from raudit.ledger import reading
from raudit.ledger.headline import describe
from raudit.ledger.store import Ledger
from raudit.report.diff import diff_reports
from raudit.report.format import number
from raudit.serve.charts import metric_charts, strip

__all__ = ["home", "model_page", "audit_page", "compare_page", "TIMELINE_ROWS"]

#: Rows of a model's timeline shown before "show all".
TIMELINE_ROWS = 200


def home(ledger: Ledger, *, stale_days: int) -> dict[str, Any]:
    """The models page: each model with its latest status, when it was last audited, its trend strip, staleness."""
    models = reading.models(ledger, stale_days=stale_days)
    for m in models:
        m["strip_svg"] = strip(m["strip"])
    return {"models": models, "stale_days": stale_days, "head": reading.head(ledger),
            "stale": sum(m["stale"] for m in models)}


def _headline_rows(headline: Mapping[str, float], limits: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for key, value in headline.items():
        h = describe(key)
        pair = limits.get(key) or [None, None]
        rows.append({"key": key, "label": h.label, "value": number(value),
                     "warn": number(pair[0]) if pair[0] is not None else "", "fail": number(pair[1]) if pair[1] is not None else "",
                     "direction": "higher is better" if h.higher_is_better else "lower is better"})
    return rows


def _latest_limits(audits: list[dict[str, Any]]) -> dict[str, Any]:
    """Each metric's thresholds as its latest audit ran with them (usually all in the last audit: one JSON parse)."""
    limits: dict[str, Any] = {}
    for a in reversed(audits):
        for key, pair in json.loads(a["limits_json"]).items():
            limits.setdefault(key, pair)
        if all(k in limits for k in audits[-1]["headline"]):
            break
    return limits


def model_page(ledger: Ledger, model_id: str, *, show_all: bool = False) -> dict[str, Any] | None:
    """A model's page: versions, the audits as a timeline (newest first), a chart per headline metric; ``None`` if unknown."""
    m = reading.model(ledger, model_id, parse=False)
    if m is None:
        return None
    audits = m["audits"]
    shown = list(reversed(audits)) if show_all else list(reversed(audits[-TIMELINE_ROWS:]))
    keys = [k for k in dict.fromkeys(k for a in audits[-TIMELINE_ROWS:] for k in a["headline"])]
    for a in shown:
        a["values"] = [number(a["headline"][k]) if k in a["headline"] else "" for k in keys]
        a["changed"] = a["previous_status"] is not None and a["previous_status"] != a["status"]
    return {"model": m, "timeline": shown, "hidden": len(audits) - len(shown), "columns": [describe(k).label for k in keys],
            "charts": metric_charts(audits, _latest_limits(audits)),
            "changes": sum(1 for a in audits if a["previous_status"] not in (None, a["status"]))}


def _diff(old: Mapping[str, Any], new: Mapping[str, Any], names: tuple[str, str]) -> dict[str, Any]:
    try:
        d = diff_reports(old, new, force=True, names=names)
    except InputError as exc:
        return {"error": str(exc).split("\n")[0]}
    body = d.to_dict()
    body["metric_rows"] = [{"check": c, "metric": k, "old": number(o) if o is not None else "—", "new": number(n) if n is not None else "—",
                            "delta": f"{dv:+.4g}" if dv is not None else ""} for c, k, o, n, dv in d.metrics]
    return body


def audit_page(ledger: Ledger, seq: int) -> dict[str, Any] | None:
    """An audit's page: fields, signature, checks, headline metrics, what changed since the model's previous audit."""
    a = reading.audit(ledger, seq)
    if a is None:
        return None
    report = a.pop("report")
    checks = [{"name": c["name"], "title": c["title"], "status": c["status"], "summary": c["summary"]} for c in report["checks"]]
    changes = None
    if a["previous_seq"] is not None:
        previous = reading.audit(ledger, a["previous_seq"])
        assert previous is not None
        changes = _diff(previous["report"], report, (f"entry {a['previous_seq']}", f"entry {seq}"))
    return {"audit": a, "checks": checks, "headline": _headline_rows(a["headline"], a["limits"]), "changes": changes}


def compare_page(ledger: Ledger, first: int, second: int) -> dict[str, Any] | None:
    """Two audits side by side: statuses per check, headline metrics, and the diff; ``None`` when either is unknown."""
    a, b = reading.audit(ledger, first), reading.audit(ledger, second)
    if a is None or b is None:
        return None
    names = list(dict.fromkeys([*a["checks"], *b["checks"]]))
    checks = [{"name": n, "a": a["checks"].get(n), "b": b["checks"].get(n)} for n in names]
    keys = list(dict.fromkeys([*a["headline"], *b["headline"]]))
    metrics = [{"label": describe(k).label, "key": k, "a": number(a["headline"][k]) if k in a["headline"] else "—",
                "b": number(b["headline"][k]) if k in b["headline"] else "—"} for k in keys]
    diff = _diff(a.pop("report"), b.pop("report"), (f"entry {first}", f"entry {second}"))
    return {"a": a, "b": b, "checks": checks, "metrics": metrics, "diff": diff}
