"""The ledger's charts: a headline metric over time (with its thresholds and status changes) and a model's status strip.

Metric charts are :func:`raudit.report.svg.xy_chart`, the report's own chart code; their labels come from
:data:`raudit.ledger.headline.HEADLINES`, never from a report. The strip is a row of small squares, one per
audit, coloured by status.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape
from typing import Any

from markupsafe import Markup

from raudit.ledger.headline import HEADLINES, describe
from raudit.report.format import number
from raudit.report.svg import Series, xy_chart

__all__ = ["metric_charts", "strip", "STATUS_COLORS"]

#: The report's status colours (``raudit/templates/report.css``).
STATUS_COLORS = {"pass": "#1f7a3d", "inconclusive": "#3d5a80", "warn": "#a15c00", "fail": "#b3261e", "error": "#6b21a8",
                 "skipped": "#6b7280"}
_ORDER = {h.key: i for i, h in enumerate(HEADLINES)}


#: At most this many status changes are marked on a chart (the latest ones; the timeline lists them all).
MAX_MARKS = 100


def _day(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() / 86400.0


def _threshold_series(key: str, limits: Sequence[float | None], x0: float, x1: float) -> list[Series]:
    h = describe(key)
    side = "below" if h.higher_is_better else "above"
    out = []
    for level, value, color in (("warn", limits[0], STATUS_COLORS["warn"]), ("fail", limits[1], STATUS_COLORS["fail"])):
        if value is not None:
            out.append(Series([x0, x1], [value, value], label=f"{level} {side} {number(value)}", color=color))
    return out


def _padded(values: Sequence[float]) -> tuple[float, float]:
    """The y range of a chart: the values and thresholds with 8 % room, and some height when they are all equal."""
    lo, hi = min(values), max(values)
    room = (hi - lo) * 0.08 or max(abs(hi) * 0.05, 0.01)
    return lo - room, hi + room


def _points(audits: Sequence[Mapping[str, Any]], days: Sequence[float], key: str) -> tuple[list[float], list[float]]:
    """Days since the first audit and values of the audits that hold ``key``."""
    xs, ys = [], []
    for a, day in zip(audits, days):
        if key in a["headline"]:
            xs.append(day)
            ys.append(a["headline"][key])
    return xs, ys


def _chart(key: str, audits: Sequence[Mapping[str, Any]], days: Sequence[float], limits: Mapping[str, Any],
           changed: Sequence[int], total_changes: int) -> dict[str, Any]:
    xs, ys = _points(audits, days, key)
    latest_limits = limits.get(key)
    series = [Series(xs, ys, label=describe(key).label, color="#3b6ea5")]
    if latest_limits is not None:
        series += _threshold_series(key, latest_limits, min(xs), max(max(xs), min(xs) + 1))
    marks = list(zip(*_points([audits[i] for i in changed], [days[i] for i in changed], key)))
    if marks:
        series.append(Series([m[0] for m in marks], [m[1] for m in marks], label="status changed", kind="scatter",
                             sizes=[4.5] * len(marks), color="#111827"))
    svg = xy_chart(series, xlabel=f"days since the first audit ({audits[0]['created_at'][:10]})", ylabel=describe(key).label,
                   ylim=_padded([y for s in series for y in s.y]), width=640, height=260)
    return {"key": key, "title": f"{describe(key).label} ({key})", "svg": Markup(svg),  # noqa: S704 - xy_chart escapes its text
            "caption": f"{len(xs):,} audits; thresholds as the latest audit ran with them"
                       + _marks_caption(len(marks), total_changes)}


def _marks_caption(marked: int, total: int) -> str:
    if not marked:
        return ""
    if marked < total:
        return f"; ● marks the latest {marked:,} of the {total:,} audits whose status changed (the timeline lists them all)"
    return f"; ● marks the {marked:,} audits whose status changed"


def metric_charts(audits: Sequence[Mapping[str, Any]], limits: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One chart per headline metric the audits hold, in :data:`HEADLINES` order: title, SVG and caption.

    ``limits``: each metric's ``[warn, fail]`` thresholds, drawn as lines. The audits whose status differs from the
    previous one's are marked (the latest :data:`MAX_MARKS`).
    """
    if not audits:
        return []
    start = _day(audits[0]["created_at"])
    days = [_day(a["created_at"]) - start for a in audits]
    keys = sorted({k for a in audits for k in a["headline"]}, key=lambda k: (_ORDER.get(k, len(_ORDER)), k))
    changed = [i for i, a in enumerate(audits) if a.get("previous_status") not in (None, a["status"])]
    return [_chart(key, audits, days, limits, changed[-MAX_MARKS:], len(changed)) for key in keys]


def strip(statuses: Sequence[Mapping[str, Any]]) -> Markup:
    """A row of squares, one per audit (oldest first), coloured by status, each titled with its date and status."""
    size, gap = 9, 2
    width = max(1, len(statuses) * (size + gap))
    cells = [f'<rect x="{i * (size + gap)}" y="0" width="{size}" height="{size * 2}" fill="{STATUS_COLORS.get(s["status"], "#9ca3af")}">'
             f'<title>{escape(str(s["created_at"]))}: {escape(str(s["status"]))}</title></rect>' for i, s in enumerate(statuses)]
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" class="strip" viewBox="0 0 {width} {size * 2}" width="{width}" '  # noqa: S704
                  f'height="{size * 2}" role="img" aria-label="status of the latest audits">{"".join(cells)}</svg>')
