"""What the templates print: the report's JSON body with every number already turned into text.

Templates only render; this is where a table's cells are formatted (by their column's format, see
:func:`raudit.report.format.cell`), figures get their SVG back, tables and figures are split into
the section body and the "More" part (``appendix``), and the findings of every check that fail or
warn are gathered for page 1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from raudit.report.compliance import ROW_STATUSES
from raudit.report.format import cell, number, quantity

if TYPE_CHECKING:
    from raudit.report.report import Report

__all__ = ["view", "jail_view", "metric_text", "first_sentence", "STATUS_WORDS", "KEY_METRICS", "UNITS"]

STATUS_WORDS = {"pass": "PASS", "inconclusive": "INCONCLUSIVE", "warn": "WARN", "fail": "FAIL", "error": "ERROR", "skipped": "NOT RUN",
                "evidence provided": "EVIDENCE", "partial evidence": "PARTIAL EVIDENCE",
                "no evidence from raudit": "NO EVIDENCE", "not applicable": "NOT APPLICABLE"}
#: How many metrics a check section shows in its body; more go to the "More" part.
KEY_METRICS = 12


def view(report: Report) -> dict[str, Any]:  # size: the page-1 view: every field the template prints, in one place
    """What the templates print: the report's JSON body with every number already turned into text.

    Templates only render; this is where a table's cells are formatted (by
    their column's format, see :func:`raudit.report.format.cell`), figures get
    their SVG back, tables and figures are split into the section body and
    the "More" part (``appendix``), and the findings of every check that
    fail or warn are gathered for page 1.
    """
    body = report.to_dict()
    detail = body["config"].get("detail", "standard")
    fail_on = body["config"].get("fail_on", "fail")
    for check, result in zip(body["checks"], report.results):
        _check_view(check, result)
    order = {"fail": 0, "error": 1, "warn": 2, "inconclusive": 3}
    findings = sorted(({**f, "check": c["title"], "anchor": f"check-{c['name']}"} for c in body["checks"] for f in c["findings"]
                       if f["status"] in order), key=lambda f: order[f["status"]])
    if detail == "summary":  # the summary keeps each finding's first sentence: the verdict and its numbers
        findings = [{**f, "message": first_sentence(f["message"])} for f in findings]
    versions = list((body["lineage"].get("versions") or {}).items())
    statuses = {s: [c["title"] for c in body["checks"] if c["status"] == s]
                for s in ("fail", "error", "warn", "inconclusive", "pass", "skipped")}
    lineage = body["lineage"]
    body["view"] = {
        "detail": detail,
        "findings": findings,
        "verdict": _verdict(statuses, report.exit_code(), fail_on),
        "status_words": STATUS_WORDS,
        "model_name": (" vs ".join(lineage["compared"].values()) if lineage.get("compared") else None)
        or (lineage.get("model_file") or {}).get("name")
        or ((lineage.get("model") or {}).get("class") if lineage.get("model") else "recorded predictions"),
        "data_name": (lineage.get("data_file") or {}).get("name") or "an in-memory DataFrame",
        "versions": versions[: 4 if detail == "summary" else None],
        "versions_left": len(versions[4:]) if detail == "summary" else 0,
        "checks_run": [c for c in body["checks"] if c["status"] != "skipped"],
        "not_run": [{"name": c["name"], "title": c["title"], "why": c["summary"].removeprefix("Skipped: ").rstrip(".")}
                    for c in body["checks"] if c["status"] == "skipped"],
        "compliance_counts": {s: sum(r["status"] == s for r in body["compliance"].get("rows", [])) for s in ROW_STATUSES},
        "jail": jail_view(lineage.get("jail")),
    }
    return body


def _duration(seconds: float) -> str:
    """``14400`` → ``"4 h"``, ``900`` → ``"15 min"``, ``75`` → ``"75 s"``: whole hours or minutes where they are whole.

    Examples
    --------
    >>> _duration(14_400), _duration(900), _duration(75)
    ('4 h', '15 min', '75 s')
    """
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{number(seconds / size, digits=6)} {unit}"
    return f"{number(seconds, digits=6)} s"


def jail_view(jail: dict[str, Any] | None) -> dict[str, Any] | None:
    """The lineage's ``jail`` section as the report prints it: how the model's process started, what confined it, its limits."""
    if not jail:
        return None
    limits = jail.get("limits") or {}
    parts = []
    if limits.get("memory_bytes"):
        parts.append(f"memory {number(limits['memory_bytes'] / 2**30, digits=3)} GiB")
    for key, label in (("cpu_seconds", "CPU time"), ("wall_seconds", "wall time")):
        if limits.get(key):
            parts.append(f"{label} {_duration(limits[key])}")
    return {"process": jail.get("process", ""), "start": jail.get("start", ""), "in_force": list(jail.get("in_force", [])),
            "missing": list(jail.get("missing", [])), "limits": " · ".join(parts)}


def _check_view(check: dict[str, Any], result: Any) -> None:
    """One check's JSON body made printable: SVG back in its figures, cells formatted, body and "More" blocks, metrics."""
    for fig, obj in zip(check["figures"], result.figures):
        fig["svg"] = obj.svg
    for table in check["tables"]:
        table["cells"] = [[{"text": cell(v, fmt), "numeric": _numeric(v) and fmt != "text"}
                           for v, fmt in zip(row, table["formats"])] for row in table["rows"]]
    key = [t for t in check["tables"] if not t["appendix"]], [f for f in check["figures"] if not f["appendix"]]
    more = [t for t in check["tables"] if t["appendix"]], [f for f in check["figures"] if f["appendix"]]
    check["blocks"] = _blocks(*key)
    check["more_blocks"] = _blocks(*more)
    check["more_count"] = len(more[0]) + len(more[1])
    check["metric_rows"] = [{"key": k, "text": metric_text(k, v)} for k, v in check["metrics"].items()]
    check["metrics_in_body"] = len(check["metric_rows"]) <= KEY_METRICS


#: Metric-key endings that name a unit, and that unit.
UNITS = {"_kwh": "kWh", "_kg": "kg", "_s": "s", "_ms": "ms", "_w": "W"}


def metric_text(key: str, value: Any) -> str:
    """A metric for people: in its unit when the key names one (``…_kwh`` → ``78.1 µWh``), USD with a $ sign."""
    if isinstance(value, str) or value is None or isinstance(value, bool):
        return number(value) if not isinstance(value, str) else value
    for ending, unit in UNITS.items():
        if key.endswith(ending) and not key.endswith("_per" + ending):
            return quantity(value, unit) if unit != "ms" else f"{number(value, digits=3)} ms"
    if key.endswith("_usd"):
        return f"${number(value, digits=3)}"
    if isinstance(value, float) and 0 < abs(value) < 1e-6:
        return "< 0.000001"
    return number(value)


def _numeric(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)) or (isinstance(value, dict) and "value" in value)


def _verdict(statuses: dict[str, list[str]], code: int, fail_on: str) -> str:
    """One sentence: which checks fail, err, warn and pass, and what that means for the exit code."""
    parts = []
    for status, one, many in (("fail", "fails", "fail"), ("error", "could not run", "could not run"), ("warn", "warns", "warn"),
                              ("pass", "passes", "pass")):
        names = statuses[status]
        if names:
            parts.append(f"{_join(names)} {one if len(names) == 1 else many}")
        if status == "warn" and statuses["inconclusive"]:
            names = statuses["inconclusive"]
            parts.append(f"{_join(names)} {'are' if len(names) > 1 else 'is'} inconclusive (an interval straddles a threshold)")
    if statuses["skipped"]:
        parts.append(f"{_join(statuses['skipped'])} did not apply")
    gate = "passes" if code == 0 else "fails"
    return "; ".join(parts) + f". Under --fail-on {fail_on} the audit {gate} (exit code {code})."


def first_sentence(text: str) -> str:
    """The text up to the end of its first sentence (a full stop outside brackets, before a capital), whole if it has one.

    Examples
    --------
    >>> first_sentence("A fails (p < 0.001, Holm). Also for B: two more (1 fail).")
    'A fails (p < 0.001, Holm).'
    """
    depth = 0
    for i, ch in enumerate(text):
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(ch, 0)
        if ch == "." and depth == 0 and text[i + 1:i + 2] == " " and text[i + 2:i + 3].isupper():
            return text[: i + 1]
    return text


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _blocks(tables: list[dict[str, Any]], figures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Group tables and figures by section, sections in order of first appearance."""
    blocks: dict[str, dict[str, Any]] = {}
    order: dict[str, float] = {}
    for kind, items in (("tables", tables), ("figures", figures)):
        for i, item in enumerate(items):
            block = blocks.setdefault(item["section"], {"section": item["section"], "tables": [], "figures": []})
            block[kind].append(item)
            order[item["section"]] = min(order.get(item["section"], float("inf")), i + (0.5 if kind == "figures" else 0))
    return sorted(blocks.values(), key=lambda b: order[b["section"]])
