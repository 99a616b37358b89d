"""CI outputs of any report: JUnit XML for test dashboards, Markdown for job summaries and PR comments.

Both are pure functions ``Report -> bytes`` that :func:`raudit.report.html.render`
calls for ``--format junit`` and ``--format md``; they read nothing but the
report.

JUnit mapping (one ``<testsuite>`` inside ``<testsuites>``):

- one ``<testcase>`` per check (``classname="raudit"``, ``name`` = the check)
  and one per judged finding of that check (``classname="raudit.CHECK"``,
  ``name`` = the finding's key, numbered when a key repeats);
- ``fail`` → ``<failure>``, ``error`` → ``<error>``, ``skipped`` →
  ``<skipped>``, ``pass`` → an empty test case; ``warn`` → as the config's
  ``junit_warnings_as`` says (``"skipped"`` by default, ``"failure"`` or
  ``"passed"``);
- findings that are themselves ``skipped`` (nothing was judged) are left out;
- the report's status, digest, raudit version and input hashes are
  ``<properties>`` of the suite.

The Markdown summary stays under :data:`MARKDOWN_LIMIT` bytes whatever the
report holds: findings are listed worst first until the budget is spent, and
the rest is counted.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET

if TYPE_CHECKING:
    from raudit.report.report import Report

__all__ = ["to_junit", "to_markdown", "CI_FORMATS", "MARKDOWN_LIMIT"]

#: Upper bound of the Markdown summary, in bytes (GitHub's job-summary and comment limits are 1 MiB and 65,536 characters).
MARKDOWN_LIMIT = 60_000

_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MARKS = {"pass": "✅ PASS", "inconclusive": "❔ INCONCLUSIVE", "warn": "⚠️ WARN", "fail": "❌ FAIL", "error": "💥 ERROR",
          "skipped": "⏭️ SKIPPED"}
_SEVERITY = {"error": 0, "fail": 1, "warn": 2, "inconclusive": 3, "pass": 4, "skipped": 5}


def _xml_text(text: Any) -> str:
    """Text without the characters XML 1.0 cannot hold (ElementTree escapes the rest)."""
    return _NOT_XML.sub("\ufffd", str(text))


def _outcome(case: ET.Element, status: str, message: str, warnings_as: str, inconclusive: str = "warn") -> str:
    """Add the child that gives ``case`` its JUnit outcome; return that outcome.

    An inconclusive case is a warning, or a failure under the strict ``inconclusive = "fail"`` policy.
    """
    kind = {"fail": "failure", "error": "error", "skipped": "skipped"}.get(status)
    if status == "inconclusive" and inconclusive == "fail":
        kind = "failure"
    elif status in ("warn", "inconclusive"):
        kind = {"failure": "failure", "skipped": "skipped"}.get(warnings_as)
    if kind is None:
        return "passed"
    child = ET.SubElement(case, kind, message=_xml_text(message[:1000]), type=status)
    child.text = _xml_text(message)
    return kind


def to_junit(report: Report) -> bytes:
    """Return ``report`` as a JUnit XML document (the dialect Jenkins and GitLab read).

    Examples
    --------
    >>> from raudit import CheckResult, Finding, Report
    >>> r = Report([CheckResult("performance", "Performance", "fail", findings=[Finding("fail", "AUC 0.55", "roc_auc")])])
    >>> b'<failure message="AUC 0.55" type="fail">' in to_junit(r)
    True
    """
    warnings_as = str(report.config.get("junit_warnings_as", "skipped"))
    inconclusive = str(report.config.get("inconclusive", "warn"))
    lineage: Mapping[str, Any] = report.lineage
    facts = {"raudit.status": report.status, "raudit.report_sha256": report.to_dict()["integrity"]["digest"],
             "raudit.version": str(lineage.get("versions", {}).get("raudit", "")), "raudit.junit_warnings_as": warnings_as}
    for key in ("model_file", "challenger_file", "data_file"):
        info = lineage.get(key)
        if isinstance(info, Mapping):
            facts[f"raudit.{key}.sha256"] = str(info.get("sha256", ""))
    suite = ET.Element("testsuite", name=_xml_text(report.title))
    props = ET.SubElement(suite, "properties")
    for name, value in facts.items():
        ET.SubElement(props, "property", name=name, value=_xml_text(value))
    tally = {"failure": 0, "error": 0, "skipped": 0, "passed": 0}
    total_time = 0.0
    for r in report.results:
        case = ET.SubElement(suite, "testcase", name=_xml_text(r.name), classname="raudit", time=f"{r.duration_s:.3f}")
        tally[_outcome(case, r.status, r.summary or f"{r.title}: {r.status}", warnings_as, inconclusive)] += 1
        total_time += r.duration_s
        seen: dict[str, int] = {}
        for i, f in enumerate(r.findings, 1):
            if f.status == "skipped":
                continue
            base = f.key or f"finding {i}"
            seen[base] = seen.get(base, 0) + 1
            name = base if seen[base] == 1 else f"{base} #{seen[base]}"
            case = ET.SubElement(suite, "testcase", name=_xml_text(name), classname=_xml_text(f"raudit.{r.name}"), time="0")
            tally[_outcome(case, f.status, f.message, warnings_as, inconclusive)] += 1
    tests = sum(tally.values())
    suite.attrib.update(tests=str(tests), failures=str(tally["failure"]), errors=str(tally["error"]),
                        skipped=str(tally["skipped"]), time=f"{total_time:.3f}")
    created = report.lineage.get("created_utc")
    if created:
        suite.set("timestamp", str(created))
    root = ET.Element("testsuites", name="raudit", tests=str(tests), failures=str(tally["failure"]),
                      errors=str(tally["error"]), time=f"{total_time:.3f}")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#!])")


def _md(text: Any, limit: int = 400) -> str:
    """One line of untrusted text made inert in Markdown (no markup, no HTML, no @-mentions)."""
    one = " ".join(str(text).split())
    if len(one) > limit:
        one = one[: limit - 1] + "…"
    return html.escape(_MD_SPECIAL.sub(r"\\\1", one), quote=False).replace("@", "&#64;")


def to_markdown(report: Report) -> bytes:  # size: the Markdown summary's parts in reading order, within a byte budget
    """Return a short Markdown summary of ``report`` (for a CI job summary or a pull-request comment).

    The verdict and exit code, one row per check, then the findings that are
    not passes (worst first) while the text stays under
    :data:`MARKDOWN_LIMIT` bytes; the rest is counted, never cut mid-line.

    Examples
    --------
    >>> from raudit import CheckResult, Report
    >>> md = to_markdown(Report([CheckResult("performance", "Performance", "pass", summary="AUC 0.91")]))
    >>> md.decode().splitlines()[0]
    '## raudit: Responsible-AI audit — ✅ PASS'
    """
    body = report.to_dict()
    fail_on = str(report.config.get("fail_on", "fail"))
    code = report.exit_code()
    lineage: Mapping[str, Any] = report.lineage
    head = [f"## raudit: {_md(report.title)} — {_MARKS[report.status]}", ""]
    inputs = []
    for label, key in (("model", "model_file"), ("challenger", "challenger_file"), ("data", "data_file")):
        info = lineage.get(key)
        if isinstance(info, Mapping) and info.get("name"):
            inputs.append(f"{label} {_md(info['name'], 120)}")
    shape = lineage.get("data_shape") or {}
    rows = f" ({shape['rows']:,} rows)" if isinstance(shape, Mapping) and isinstance(shape.get("rows"), int) else ""
    head.append(f"**{'Passed' if code == 0 else 'Failed'}** under `fail_on = {fail_on}` (exit code {code})"
                + (" · " + " · ".join(inputs) + rows if inputs else ""))
    head += ["", "| status | check | headline |", "|---|---|---|"]
    head += [f"| {_MARKS[r.status]} | {_md(r.title, 80)} | {_md(r.summary, 300)} |" for r in report.results]
    digest = body["integrity"]["digest"]
    tail = ["", f"<sub>raudit {_md(lineage.get('versions', {}).get('raudit', ''))} · report sha256 `{digest}` · "
                "every table and figure is in the HTML and JSON reports (`--format html,json`)</sub>", ""]
    notable = sorted(((f.status, r.title, f.message) for r in report.results for f in r.findings
                      if f.status in ("error", "fail", "warn", "inconclusive")), key=lambda t: _SEVERITY[t[0]])
    lines = list(head)
    if notable:
        lines += ["", "### Findings to look at", ""]
    budget = MARKDOWN_LIMIT - len("\n".join(lines + tail).encode("utf-8")) - 200
    shown = 0
    for status, title, message in notable:
        line = f"- {_MARKS[status]} **{_md(title, 80)}**: {_md(message, 600)}"
        size = len(line.encode("utf-8")) + 1
        if size > budget:
            break
        lines.append(line)
        budget -= size
        shown += 1
    if shown < len(notable):
        lines.append(f"- … and {len(notable) - shown} more finding(s) to look at in the full report.")
    return "\n".join(lines + tail).encode("utf-8")


#: ``--format`` name → renderer.
CI_FORMATS: dict[str, Callable[[Report], bytes]] = {"junit": to_junit, "md": to_markdown}
