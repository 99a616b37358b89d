"""``raudit diff OLD NEW``: what changed between two saved reports, without the models.

:func:`diff_reports` compares two report bodies (``report.json``) of the same
schema major version: each check's status, its numeric metrics, its findings
(matched by ``(check, key)``, or the message when a finding has no key) and the
inputs' hashes. Reports of different targets or data are refused unless
``force``: their numbers do not measure the same thing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from raudit.errors import InputError

__all__ = ["ReportDiff", "diff_reports", "diff_files", "render_diff"]

#: Lineage entries whose sha256 a diff compares.
INPUTS = ("model_file", "challenger_file", "data_file")


@dataclass(frozen=True)
class ReportDiff:
    """What changed from ``old`` to ``new``.

    Attributes
    ----------
    status : tuple of (old, new) or None
        The overall status, when it changed.
    checks : list of (check, old status or None, new status or None)
        Checks whose status changed, appeared (old None) or disappeared (new None).
    metrics : list of (check, metric, old, new, delta)
        Numeric metrics that changed (``delta`` None when one side is missing or not a number).
    new_findings, resolved_findings : list of (check, key, status, message)
        Findings only in ``new`` / only in ``old``.
    changed_findings : list of (check, key, old status, new status, new message)
        Findings in both whose status changed.
    inputs : list of (input, old sha256 or None, new sha256 or None)
        Inputs whose hash changed.
    forced : list of str
        Why the reports would have been refused, when ``force`` overrode it.
    """

    status: tuple[str, str] | None = None
    checks: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    metrics: list[tuple[str, str, Any, Any, float | None]] = field(default_factory=list)
    new_findings: list[tuple[str, str, str, str]] = field(default_factory=list)
    resolved_findings: list[tuple[str, str, str, str]] = field(default_factory=list)
    changed_findings: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    inputs: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    forced: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when nothing changed."""
        return not (self.status or self.checks or self.metrics or self.new_findings or self.resolved_findings
                    or self.changed_findings or self.inputs)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "empty": self.empty,
            "status": list(self.status) if self.status else None,
            "checks": [{"check": c, "old": o, "new": n} for c, o, n in self.checks],
            "metrics": [{"check": c, "metric": m, "old": o, "new": n, "delta": d} for c, m, o, n, d in self.metrics],
            "new_findings": [{"check": c, "key": k, "status": s, "message": t} for c, k, s, t in self.new_findings],
            "resolved_findings": [{"check": c, "key": k, "status": s, "message": t} for c, k, s, t in self.resolved_findings],
            "changed_findings": [{"check": c, "key": k, "old": o, "new": n, "message": t} for c, k, o, n, t in self.changed_findings],
            "inputs": [{"input": i, "old": o, "new": n} for i, o, n in self.inputs],
            "forced": list(self.forced),
        }


def _major(body: Mapping[str, Any], where: str) -> str:
    version = body.get("schema_version")
    if not isinstance(version, str) or "." not in version:
        raise InputError(f"{where} is not a raudit report.json (no schema_version)", hint="give two report.json files raudit wrote")
    return version.split(".")[0]


def _sha(body: Mapping[str, Any], key: str) -> str | None:
    info = (body.get("lineage") or {}).get(key)
    return info.get("sha256") if isinstance(info, Mapping) else None


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


# size: compares every part two reports share (inputs, statuses, metrics, findings)
def diff_reports(old: Mapping[str, Any], new: Mapping[str, Any], *, force: bool = False,
                 names: tuple[str, str] = ("OLD", "NEW")) -> ReportDiff:
    """Compare two report bodies.

    Raises
    ------
    InputError
        Different schema major versions; different targets or data unless ``force``.

    Examples
    --------
    >>> body = {"schema_version": "1.0", "status": "pass", "checks": [], "lineage": {}, "config": {}}
    >>> diff_reports(body, body).empty
    True
    """
    major_old, major_new = _major(old, names[0]), _major(new, names[1])
    if major_old != major_new:
        raise InputError(f"{names[0]} has report schema {old['schema_version']} and {names[1]} {new['schema_version']}: "
                         "different major versions cannot be compared", hint="re-run the older audit with this raudit version")
    reasons = []
    target_old, target_new = (old.get("config") or {}).get("target"), (new.get("config") or {}).get("target")
    if target_old != target_new:
        reasons.append(f"the targets differ ({target_old!r} vs {target_new!r})")
    data_old, data_new = _sha(old, "data_file"), _sha(new, "data_file")
    if data_old != data_new:
        reasons.append(f"the data differ (sha256 {str(data_old)[:12]}… vs {str(data_new)[:12]}…)" if data_old and data_new
                       else "one report has no data file hash")
    if reasons and not force:
        raise InputError(f"refusing to compare {names[0]} and {names[1]}: " + "; ".join(reasons)
                         + "; their numbers do not measure the same thing",
                         hint="rerun both audits on the same data and target, or pass --force to compare them all the same")
    status = (str(old.get("status")), str(new.get("status"))) if old.get("status") != new.get("status") else None
    checks: list[tuple[str, str | None, str | None]] = []
    metrics: list[tuple[str, str, Any, Any, float | None]] = []
    added: list[tuple[str, str, str, str]] = []
    resolved: list[tuple[str, str, str, str]] = []
    changed: list[tuple[str, str, str, str, str]] = []
    checks_old = {c["name"]: c for c in old.get("checks", [])}
    checks_new = {c["name"]: c for c in new.get("checks", [])}
    for name in dict.fromkeys([*checks_old, *checks_new]):
        a, b = checks_old.get(name, {}), checks_new.get(name, {})
        if a.get("status") != b.get("status"):
            checks.append((name, a.get("status"), b.get("status")))
        ma, mb = a.get("metrics", {}), b.get("metrics", {})
        for metric in dict.fromkeys([*ma, *mb]):
            va, vb = ma.get(metric), mb.get(metric)
            if va != vb:
                metrics.append((name, metric, va, vb, vb - va if _number(va) and _number(vb) else None))
        fa = {f.get("key") or f.get("message"): f for f in a.get("findings", [])}
        fb = {f.get("key") or f.get("message"): f for f in b.get("findings", [])}
        for key, f in fb.items():
            if key not in fa:
                added.append((name, key, f["status"], f["message"]))
            elif fa[key]["status"] != f["status"]:
                changed.append((name, key, fa[key]["status"], f["status"], f["message"]))
        resolved.extend((name, key, f["status"], f["message"]) for key, f in fa.items() if key not in fb)
    inputs = [(key, _sha(old, key), _sha(new, key)) for key in INPUTS if _sha(old, key) != _sha(new, key)]
    return ReportDiff(status, checks, metrics, added, resolved, changed, inputs, reasons)


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise InputError(f"report not found: {path}", hint="give the report.json files of two runs")
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path} is not a JSON file: {exc}", hint="give report.json, not report.html") from None
    if not isinstance(body, dict):
        raise InputError(f"{path} is not a raudit report.json")
    return body


def diff_files(old: str | Path, new: str | Path, *, force: bool = False) -> ReportDiff:
    """Read and compare two ``report.json`` files (see :func:`diff_reports`)."""
    return diff_reports(_read(Path(old)), _read(Path(new)), force=force, names=(str(old), str(new)))


def _v(value: Any) -> str:
    if _number(value):
        return f"{value:.4g}" if isinstance(value, float) else f"{value:,}"
    return "—" if value is None else str(value)


def render_diff(d: ReportDiff, fmt: str = "text") -> str:  # size: one renderer per output form (text, JSON, Markdown)
    """Return the diff as ``"text"`` (for a terminal), ``"json"`` or ``"md"`` (a CI comment)."""
    if fmt == "json":
        return json.dumps(d.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    md = fmt == "md"
    if md:
        from raudit.report.ci import _md as esc
    else:
        def esc(text: Any, limit: int = 400) -> str:
            return " ".join(str(text).split())[:limit]
    if d.empty:
        return "No differences.\n" if not md else "### raudit diff\n\nNo differences.\n"
    lines = ["### raudit diff", ""] if md else []
    bullet = "- " if md else "  "

    def section(title: str, rows: list[str]) -> None:
        if rows:
            lines.extend([f"**{title}**" if md else f"{title}:", *[bullet + r for r in rows], ""])

    if d.forced:
        section("Compared with --force although", [esc(r) for r in d.forced])
    if d.status:
        section("Overall status", [f"{d.status[0]} → {d.status[1]}"])
    section("Check status", [f"{esc(c)}: {o or 'absent'} → {n or 'absent'}" for c, o, n in d.checks])
    section("Inputs", [f"{i}: {str(o)[:12] if o else 'none'} → {str(n)[:12] if n else 'none'}" for i, o, n in d.inputs])
    section("New findings", [f"[{s}] {esc(c)}: {esc(t)}" for c, _k, s, t in d.new_findings])
    section("Resolved findings", [f"[{s}] {esc(c)}: {esc(t)}" for c, _k, s, t in d.resolved_findings])
    section("Findings whose status changed", [f"{o} → {n} {esc(c)}: {esc(t)}" for c, _k, o, n, t in d.changed_findings])
    section("Metrics", [f"{esc(c)}.{esc(m)}: {_v(o)} → {_v(n)}" + (f" ({dv:+.4g})" if dv is not None else "")
                        for c, m, o, n, dv in d.metrics])
    return "\n".join(lines).rstrip("\n") + "\n"
