"""Small, deterministic SVG charts with no plotting library.

Every text that reaches the SVG is XML-escaped here, so column names and
category values cannot inject markup. Output is byte-identical for identical
inputs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

__all__ = ["bar_chart", "xy_chart", "Series", "PALETTE"]

PALETTE = ("#3b6ea5", "#d9822b", "#3a9a5b", "#b8434d", "#7a5ea8", "#8c6d46", "#c25d9e", "#6b7280")
_FONT = 'font-family="DejaVu Sans, Arial, sans-serif" font-size="11"'


def _fmt(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _tick_label(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1000 or abs(v) < 0.01:
        return f"{v:.2g}"
    return f"{v:.3g}"


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if not math.isfinite(lo) or not math.isfinite(hi):
        return [0.0, 1.0]
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((s * mag for s in (1, 2, 2.5, 5, 10) if s * mag >= raw), default=10 * mag)
    start = math.floor(lo / step) * step
    ticks = []
    t = start
    while t <= hi + step * 1e-9:
        if t >= lo - step * 1e-9:
            ticks.append(round(t, 12))
        t += step
    return ticks


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    xlabel: str = "",
    lows: Sequence[float] | None = None,
    highs: Sequence[float] | None = None,
    reference: float | None = None,
    reference_label: str = "",
    threshold: float | None = None,
    threshold_label: str = "",
    colors: Sequence[str] | None = None,
    xmin: float | None = None,
    xmax: float | None = None,
    width: int = 640,
) -> str:  # size: draws every part of a bar chart (axes, ticks, bars, whiskers, labels) in SVG order
    """Draw horizontal bars, optionally with interval whiskers, a reference line and a threshold line.

    Parameters
    ----------
    labels, values : sequences of equal length
    lows, highs : sequences, optional
        Interval ends drawn as whiskers.
    reference : float, optional
        A vertical dashed line (a reference group's value, say), labelled to its right.
    threshold : float, optional
        A vertical dotted line (the four-fifths line, say), labelled to its left.

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    n = len(labels)
    vals = [0.0 if (v is None or not math.isfinite(v)) else float(v) for v in values]
    ends = vals + [v for v in [*(lows or []), *(highs or [])] if v is not None and math.isfinite(v)]
    ends += [v for v in (reference, threshold) if v is not None and math.isfinite(v)]
    lo = min([0.0, *ends]) if xmin is None else xmin
    hi = max([0.0, *ends]) if xmax is None else xmax
    if hi <= lo:
        hi = lo + 1.0
    label_w = min(260, 12 + 6.5 * max((len(str(lab)) for lab in labels), default=4))
    row_h, top, bottom, right = 22, 12, 40, 20
    height = top + bottom + row_h * max(n, 1)
    plot_w = width - label_w - right

    def x(v: float) -> float:
        return label_w + (v - lo) / (hi - lo) * plot_w

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" {_FONT}>'
    ]
    for t in _nice_ticks(lo, hi):
        out.append(
            f'<line x1="{_fmt(x(t))}" y1="{top}" x2="{_fmt(x(t))}" y2="{height - bottom}" stroke="#e5e7eb"/>'
            f'<text x="{_fmt(x(t))}" y="{height - bottom + 14}" text-anchor="middle" fill="#374151">'
            f"{escape(_tick_label(t))}</text>"
        )
    for i, (lab, v) in enumerate(zip(labels, vals)):
        y0 = top + i * row_h
        color = (colors[i] if colors else PALETTE[0])
        x0, x1 = sorted((x(0.0 if lo <= 0 <= hi else lo), x(v)))
        out.append(
            f'<text x="{_fmt(label_w - 6)}" y="{_fmt(y0 + row_h / 2 + 4)}" text-anchor="end" fill="#111827">'
            f"{escape(str(lab)[:40])}</text>"
            f'<rect x="{_fmt(x0)}" y="{_fmt(y0 + 4)}" width="{_fmt(max(x1 - x0, 0.5))}" height="{row_h - 8}" '
            f'fill="{color}"><title>{escape(str(lab))}: {escape(_tick_label(v))}</title></rect>'
        )
        if lows is not None and highs is not None:
            a, b = lows[i], highs[i]
            if a is not None and b is not None and math.isfinite(a) and math.isfinite(b):
                ym = _fmt(y0 + row_h / 2)
                out.append(
                    f'<line x1="{_fmt(x(a))}" y1="{ym}" x2="{_fmt(x(b))}" y2="{ym}" stroke="#111827" stroke-width="1.5"/>'
                    f'<line x1="{_fmt(x(a))}" y1="{_fmt(y0 + 6)}" x2="{_fmt(x(a))}" y2="{_fmt(y0 + row_h - 6)}" stroke="#111827"/>'
                    f'<line x1="{_fmt(x(b))}" y1="{_fmt(y0 + 6)}" x2="{_fmt(x(b))}" y2="{_fmt(y0 + row_h - 6)}" stroke="#111827"/>'
                )
    if reference is not None:
        out.append(
            f'<line x1="{_fmt(x(reference))}" y1="{top - 4}" x2="{_fmt(x(reference))}" y2="{height - bottom}" '
            f'stroke="#b8434d" stroke-dasharray="4 3" stroke-width="1.5"/>'
        )
        if reference_label:
            out.append(
                f'<text x="{_fmt(x(reference) + 3)}" y="{top + 2}" fill="#b8434d">{escape(reference_label)}</text>'
            )
    if threshold is not None and math.isfinite(threshold):
        out.append(
            f'<line x1="{_fmt(x(threshold))}" y1="{top - 4}" x2="{_fmt(x(threshold))}" y2="{height - bottom}" '
            f'stroke="#a15c00" stroke-dasharray="1.5 2.5" stroke-width="1.8"/>'
        )
        if threshold_label:
            out.append(
                f'<text x="{_fmt(x(threshold) - 3)}" y="{top + 2}" text-anchor="end" fill="#a15c00">{escape(threshold_label)}</text>'
            )
    if xlabel:
        out.append(
            f'<text x="{_fmt(label_w + plot_w / 2)}" y="{height - 6}" text-anchor="middle" fill="#374151">'
            f"{escape(xlabel)}</text>"
        )
    out.append("</svg>")
    return "".join(out)


@dataclass(frozen=True)
class Series:
    """One series of an :func:`xy_chart`.

    Parameters
    ----------
    x, y : sequences of float
    label : str
    kind : {"line", "scatter"}
    sizes : sequence of float, optional
        Marker radii for scatter points (e.g. bin counts).
    color : str, optional
    """

    x: Iterable[float]
    y: Iterable[float]
    label: str = ""
    kind: str = "line"
    sizes: Iterable[float] | None = None
    color: str | None = None


def xy_chart(
    series: Sequence[Series],
    *,
    xlabel: str = "",
    ylabel: str = "",
    diagonal: bool = False,
    hline: float | None = None,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    width: int = 480,
    height: int = 320,
) -> str:  # size: draws every part of an x-y chart (axes, ticks, series, lines, legend) in SVG order
    """Draw lines and scatter points on shared axes.

    Parameters
    ----------
    series : sequence of Series
    diagonal : bool
        Draw the ``y = x`` line (perfect calibration).
    hline : float, optional
        Draw a horizontal line at this ``y`` (e.g. zero residual).

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    xs = [float(v) for s in series for v in s.x if v is not None and math.isfinite(v)]
    ys = [float(v) for s in series for v in s.y if v is not None and math.isfinite(v)]
    x0, x1 = xlim or (min(xs, default=0.0), max(xs, default=1.0))
    y0, y1 = ylim or (min(ys, default=0.0), max(ys, default=1.0))
    if x1 <= x0:
        x1 = x0 + 1.0
    if y1 <= y0:
        y1 = y0 + 1.0
    left, right, top, bottom = 56, 16, 14, 44
    pw, ph = width - left - right, height - top - bottom

    def px(v: float) -> float:
        return left + (v - x0) / (x1 - x0) * pw

    def py(v: float) -> float:
        return top + (1 - (v - y0) / (y1 - y0)) * ph

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" {_FONT}>',
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#9ca3af"/>',
    ]
    for t in _nice_ticks(x0, x1):
        out.append(
            f'<line x1="{_fmt(px(t))}" y1="{top}" x2="{_fmt(px(t))}" y2="{top + ph}" stroke="#f0f1f3"/>'
            f'<text x="{_fmt(px(t))}" y="{top + ph + 14}" text-anchor="middle" fill="#374151">{escape(_tick_label(t))}</text>'
        )
    for t in _nice_ticks(y0, y1):
        out.append(
            f'<line x1="{left}" y1="{_fmt(py(t))}" x2="{left + pw}" y2="{_fmt(py(t))}" stroke="#f0f1f3"/>'
            f'<text x="{left - 4}" y="{_fmt(py(t) + 4)}" text-anchor="end" fill="#374151">{escape(_tick_label(t))}</text>'
        )
    if diagonal:
        a, b = max(x0, y0), min(x1, y1)
        out.append(
            f'<line x1="{_fmt(px(a))}" y1="{_fmt(py(a))}" x2="{_fmt(px(b))}" y2="{_fmt(py(b))}" '
            f'stroke="#9ca3af" stroke-dasharray="4 3"/>'
        )
    if hline is not None and y0 <= hline <= y1:
        out.append(
            f'<line x1="{left}" y1="{_fmt(py(hline))}" x2="{left + pw}" y2="{_fmt(py(hline))}" '
            f'stroke="#9ca3af" stroke-dasharray="4 3"/>'
        )
    for i, s in enumerate(series):
        color = s.color or PALETTE[i % len(PALETTE)]
        pts = [
            (float(a), float(b))
            for a, b in zip(s.x, s.y)
            if a is not None and b is not None and math.isfinite(a) and math.isfinite(b)
        ]
        if s.kind == "line" and pts:
            path = " ".join(f"{_fmt(px(a))},{_fmt(py(b))}" for a, b in pts)
            out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        if s.kind == "scatter" or (s.kind == "line" and len(pts) < 30):
            sizes = list(s.sizes) if s.sizes is not None else [2.5 if s.kind == "scatter" else 3.0] * len(pts)
            for (a, b), r in zip(pts, sizes):
                out.append(
                    f'<circle cx="{_fmt(px(a))}" cy="{_fmt(py(b))}" r="{_fmt(r)}" fill="{color}" fill-opacity="0.6"/>'
                )
    legend = [s for s in series if s.label]
    for i, s in enumerate(legend):
        color = s.color or PALETTE[series.index(s) % len(PALETTE)]
        out.append(
            f'<rect x="{left + 8}" y="{top + 6 + 14 * i}" width="10" height="10" fill="{color}"/>'
            f'<text x="{left + 22}" y="{top + 15 + 14 * i}" fill="#111827">{escape(s.label)}</text>'
        )
    if xlabel:
        out.append(
            f'<text x="{_fmt(left + pw / 2)}" y="{height - 8}" text-anchor="middle" fill="#374151">{escape(xlabel)}</text>'
        )
    if ylabel:
        out.append(
            f'<text transform="translate(14 {_fmt(top + ph / 2)}) rotate(-90)" text-anchor="middle" '
            f'fill="#374151">{escape(ylabel)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _ramp(t: float) -> str:
    """Blue (0) to red (1) through grey; NaN gives neutral grey."""
    if t is None or not math.isfinite(t):
        return "#9ca3af"
    a, b = (59, 110, 165), (184, 67, 77)
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b))


def beeswarm(
    labels: Sequence[str], values: Any, color_ranks: Any, *,
    xlabel: str = "", width: int = 640, max_points: int = 400,
) -> str:
    """A compact beeswarm-style summary: one row per feature, one dot per sample.

    Parameters
    ----------
    labels : sequence of str
        Feature names, top to bottom.
    values : array-like of shape (n_samples, n_features)
        Attribution of each sample to each feature (x position).
    color_ranks : array-like of shape (n_samples, n_features)
        Percentile of the feature value in [0, 1] (colour), NaN for grey.
    max_points : int
        At most this many samples are drawn per feature (evenly spaced rows).
    """
    import numpy as np

    v = np.asarray(values, dtype=float)
    ranks = np.asarray(color_ranks, dtype=float)
    n = v.shape[0]
    keep = np.unique(np.linspace(0, n - 1, min(n, max_points)).astype(int)) if n else np.array([], dtype=int)
    lo, hi = (float(np.nanmin(v)), float(np.nanmax(v))) if v.size else (0.0, 1.0)
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi <= lo:
        hi = lo + 1.0
    label_w = min(220, 12 + 6.5 * max((len(str(lab)) for lab in labels), default=4))
    row_h, top, bottom, right = 22, 10, 40, 16
    height = top + bottom + row_h * max(len(labels), 1)
    plot_w = width - label_w - right

    def x(val: float) -> float:
        return label_w + (val - lo) / (hi - lo) * plot_w

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" {_FONT}>']
    for t in _nice_ticks(lo, hi):
        out.append(f'<line x1="{_fmt(x(t))}" y1="{top}" x2="{_fmt(x(t))}" y2="{height - bottom}" stroke="#e5e7eb"/>'
                   f'<text x="{_fmt(x(t))}" y="{height - bottom + 14}" text-anchor="middle" fill="#374151">{escape(_tick_label(t))}</text>')
    out.append(f'<line x1="{_fmt(x(0))}" y1="{top}" x2="{_fmt(x(0))}" y2="{height - bottom}" stroke="#6b7280"/>')
    for j, lab in enumerate(labels):
        y0 = top + j * row_h + row_h / 2
        out.append(f'<text x="{_fmt(label_w - 6)}" y="{_fmt(y0 + 4)}" text-anchor="end" fill="#111827">{escape(str(lab)[:36])}</text>')
        col = v[keep, j]
        # deterministic jitter: spread points that share an x-pixel bucket
        buckets: dict[int, int] = {}
        for i, val in zip(keep, col):
            if not math.isfinite(val):
                continue
            b = int(x(val) // 3)
            k = buckets.get(b, 0)
            buckets[b] = k + 1
            dy = ((k % 7) - 3) * 2.2
            out.append(f'<circle cx="{_fmt(x(val))}" cy="{_fmt(y0 + dy)}" r="1.8" fill="{_ramp(ranks[i, j])}" fill-opacity="0.75"/>')
    if xlabel:
        out.append(f'<text x="{_fmt(label_w + plot_w / 2)}" y="{height - 6}" text-anchor="middle" fill="#374151">{escape(xlabel)}</text>')
    out.append("</svg>")
    return "".join(out)
