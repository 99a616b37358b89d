"""The one place numbers become text: table cells, findings and headlines all use these functions.

Rules (a reviewer reads the report, not a console): thousands are grouped
(``171,701``), there is no scientific notation (tiny quantities get a smaller
unit instead: ``56 µWh``, not ``5.6e-08 kWh``), intervals read
``0.66–0.80``, p-values below 0.001 read ``p < 0.001``, and a missing value is
an em dash.

Examples
--------
>>> number(171701.3), number(0.81234), number(12345), number(None)
('171,701', '0.8123', '12,345', '—')
>>> quantity(5.6e-08, "kWh"), quantity(0.0123, "kg")
('56 µWh', '12.3 g')
>>> interval(0.6612, 0.8049, digits=2), interval(-0.349, -0.254), p_value(0.0004), p_value(0.0312)
('0.66–0.80', '-0.349 to -0.254', 'p < 0.001', 'p = 0.031')
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["number", "fixed", "percent", "interval", "p_value", "quantity", "cell"]

DASH = "—"

#: SI prefixes tried, largest first, for quantities too small to read in their base unit.
_PREFIXES = ((1.0, ""), (1e-3, "m"), (1e-6, "µ"), (1e-9, "n"), (1e-12, "p"))
#: Units whose next-smaller unit is not a plain SI prefix of the same symbol.
_SMALLER = {"kWh": (1e-3, "Wh"), "kg": (1e-3, "g")}


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def number(value: Any, *, digits: int = 4) -> str:
    """A number for people: ``digits`` significant digits, grouped thousands, never scientific notation."""
    if value is None:
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if not _finite(value):
        return DASH if not isinstance(value, (int, float)) or math.isnan(value) else ("∞" if value > 0 else "−∞")
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    decimals = max(digits - 1 - math.floor(math.log10(abs(value))), 0)
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text if text not in ("0", "-0") else f"{value:.{decimals + 2}f}".rstrip("0")


def fixed(value: Any, digits: int = 3) -> str:
    """A number with exactly ``digits`` decimals (rates and ratios in one table line up)."""
    return f"{value:.{digits}f}" if _finite(value) else DASH


def percent(value: Any, digits: int = 1) -> str:
    """A share as a percentage: ``0.123`` → ``12.3 %``."""
    return f"{value * 100:.{digits}f} %" if _finite(value) else DASH


def interval(lo: Any, hi: Any, *, digits: int = 3) -> str:
    """A confidence interval ``lo–hi`` with fixed decimals; an em dash when either end is unknown."""
    if not (_finite(lo) and _finite(hi)):
        return DASH
    if lo < 0 or hi < 0:  # "-0.35–-0.25" misreads; "-0.35 to -0.25" does not
        return f"{lo:.{digits}f} to {hi:.{digits}f}"
    return f"{lo:.{digits}f}–{hi:.{digits}f}"


def p_value(p: Any) -> str:
    """``p < 0.001`` or ``p = 0.031``; an em dash when no test was possible."""
    if not _finite(p):
        return DASH
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def quantity(value: Any, unit: str, *, digits: int = 3) -> str:
    """A physical quantity in the largest unit that keeps it at 1 or more (``kWh`` → ``Wh`` → ``mWh`` …).

    Values of 1 or more stay in ``unit``; smaller ones move to smaller units
    until the number reaches 1 (at most pico-). One unit per value, no
    scientific notation.
    """
    if not _finite(value):
        return DASH
    if value == 0 or abs(value) >= 1:
        return f"{number(value, digits=digits)} {unit}"
    scale, base = _SMALLER.get(unit, (1.0, unit))
    scaled = value / scale
    if abs(scaled) >= 1:
        return f"{number(scaled, digits=digits)} {base}"
    for factor, prefix in _PREFIXES[1:]:
        if abs(scaled / factor) >= 1:
            return f"{number(scaled / factor, digits=digits)} {prefix}{base}"
    return f"{number(scaled / _PREFIXES[-1][0], digits=digits)} {_PREFIXES[-1][1]}{base}"


def cell(value: Any, fmt: str = "") -> str:
    """Format one table cell by its column's format.

    Formats: ``""`` (:func:`number`), ``"int"``, ``"3f"`` / ``"2f"`` (:func:`fixed`),
    ``"%"`` (:func:`percent`), ``"p"`` (:func:`p_value`), ``"text"``. An
    estimate cell (a mapping with ``value`` and ``ci``) reads ``value (lo–hi)``.
    """
    if isinstance(value, dict) and "value" in value:
        lo, hi = value.get("ci") or (None, None)
        digits = int(fmt[0]) if fmt[:1].isdigit() else 3
        main = cell(value["value"], fmt)
        ci = interval(lo, hi, digits=digits)
        return main if ci == DASH else f"{main} ({ci})"
    if value is None:
        return DASH
    if isinstance(value, str) or fmt == "text":
        return str(value)
    if fmt == "int":
        return f"{int(value):,}" if _finite(value) else DASH
    if fmt.endswith("f") and fmt[:-1].isdigit():
        return fixed(value, int(fmt[:-1]))
    if fmt == "%":
        return percent(value)
    if fmt == "p":
        return p_value(value)
    return number(value)
