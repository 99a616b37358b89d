"""Windows of the drift check: the audited rows split by time (or every N rows), one profile per window.

``--time-column ts --window 7D`` (or ``window = "7D"`` in ``[check.drift]``) gives each row the
window its timestamp falls in: ``kD`` windows of k days counted from Monday 1970-01-05 (so ``7D`` is
the ISO week, Monday to Sunday, and ``1D`` the calendar day), ``kW`` = ``7kD``, ``kM`` calendar
months counted from January 1970, and a plain number ``N`` every N rows (by position in the whole
data). A row's window depends on the row alone, never on the chunk it arrives in, so the profiles
of the windows merge exactly and every engine gives the same windows: streamed in one pass, with
memory for one chunk plus one profile per window.

**Multiplicity across windows: alpha spending in time order.** Within a window the families stay
as in the whole-data comparison (Bonferroni or Holm within each family). Across windows the k-th
window (in time order, counting windows with rows) is judged at ``alpha_k = alpha / (k (k + 1))``;
these sum to less than ``alpha`` over any number of windows, so the probability that the timeline
holds any false PASS or FAIL claim is at most ``alpha`` — the guarantee of a sequential monitor
(alpha spending, Lan and DeMets 1983) — and, unlike a Bonferroni family over all windows, a
window's verdict does not change when later windows are appended to the log: a team that audits
the log every week sees the same verdict for last week as it did then. The price is wider
intervals for late windows (the 20th window at ``alpha / 420``); the whole-data comparison, judged
as before at ``alpha``, keeps the power for slow drifts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from raudit.plugin import Batch, ConfigError, InputError, Plan, Profile

__all__ = ["WindowSpec", "parse_window", "window_keys", "window_label", "Windows", "spending_alpha"]

_PATTERN = re.compile(r"^\s*(\d+)\s*([DWM]?)\s*$", re.IGNORECASE)
#: Monday 1970-01-05, where k-day windows start counting (7D windows are ISO weeks).
_MONDAY_NS = np.int64(4 * 86_400 * 10**9)
_DAY_NS = 86_400 * 10**9


@dataclass(frozen=True)
class WindowSpec:
    """How rows are split into windows: ``size`` days, months or rows."""

    kind: Literal["days", "months", "rows"]
    size: int
    text: str

    @property
    def by_time(self) -> bool:
        """Whether the windows come from a time column."""
        return self.kind != "rows"


def parse_window(text: str) -> WindowSpec | None:
    """``"7D"`` → 7 days; ``"2W"`` → 14 days; ``"1M"`` → one month; ``"50000"`` → every 50,000 rows; ``""`` → None.

    Raises
    ------
    ConfigError
        Anything else.

    Examples
    --------
    >>> parse_window("7D")
    WindowSpec(kind='days', size=7, text='7D')
    >>> parse_window("10000").kind
    'rows'
    """
    if not text:
        return None
    m = _PATTERN.match(text)
    if m is None or int(m.group(1)) < 1:
        raise ConfigError(f"[check.drift].window {text!r} is not a window",
                          hint="use 1D (days), 7D (weeks from Monday), 1M (calendar months), kD, kW, kM, or a number N of rows")
    size, unit = int(m.group(1)), m.group(2).upper()
    if unit == "W":
        return WindowSpec("days", 7 * size, text.strip().upper())
    return WindowSpec({"D": "days", "M": "months", "": "rows"}[unit], size, text.strip().upper())  # type: ignore[arg-type]


def _timestamps(column: pd.Series) -> np.ndarray:
    """Nanoseconds since the epoch (UTC) of each value; NaT where missing or unreadable."""
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        values = column.dt.tz_convert("UTC").dt.tz_localize(None)
    elif pd.api.types.is_datetime64_any_dtype(column):
        values = column
    else:
        values = pd.to_datetime(column, errors="coerce", utc=True, format="mixed").dt.tz_localize(None)
    return values.to_numpy(dtype="datetime64[ns]").astype(np.int64)


def window_keys(batch: Batch, plan: Plan, spec: WindowSpec) -> np.ndarray:
    """Each row's window number (ordered in time); the same whatever the chunking.

    Raises
    ------
    InputError
        Rows whose time is missing or is not a date and time.
    """
    if spec.kind == "rows":
        return batch.positions // spec.size
    column = plan.roles.time_column
    assert column is not None
    ns = _timestamps(batch.frame[column])
    bad = ns == np.iinfo(np.int64).min
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise InputError(f"time column {column!r} has {int(bad.sum())} value(s) that are missing or not a date and time "
                         f"(the first at row {int(batch.positions[first])}: {batch.frame[column].iloc[first]!r})",
                         hint="give every row its time (ISO 8601, e.g. 2026-01-05T10:30:00), or drop those rows")
    if spec.kind == "days":
        return np.floor_divide(ns - _MONDAY_NS, spec.size * _DAY_NS)
    months = ns.astype("datetime64[ns]").astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    return np.floor_divide(months, spec.size)


def window_label(spec: WindowSpec, key: int) -> str:
    """The window's name: its first day (``2026-01-05``), month (``2026-01``) or rows (``rows 0–9,999``)."""
    if spec.kind == "rows":
        return f"rows {key * spec.size:,}–{(key + 1) * spec.size - 1:,}"
    if spec.kind == "days":
        start = np.datetime64(int(_MONDAY_NS + key * spec.size * _DAY_NS), "ns").astype("datetime64[D]")
        return str(start)
    return str(np.datetime64(int(key * spec.size), "M"))


@dataclass(frozen=True, eq=False)
class Windows:
    """One profile per window (mergeable: windows of two chunks add up key by key)."""

    spec: WindowSpec
    profiles: Mapping[int, Profile]

    def __add__(self, other: Windows) -> Windows:
        keys = sorted(set(self.profiles) | set(other.profiles))
        merged = {k: self.profiles[k] + other.profiles[k] if k in self.profiles and k in other.profiles
                  else self.profiles.get(k) or other.profiles[k] for k in keys}
        return Windows(self.spec, merged)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Windows) and self.spec == other.spec and list(self.profiles) == list(other.profiles) \
            and all(self.profiles[k] == other.profiles[k] for k in self.profiles)

    __hash__ = None  # type: ignore[assignment]

    def whole(self) -> Profile:
        """The profile of every row (the windows' profiles added up)."""
        parts = [self.profiles[k] for k in sorted(self.profiles)]
        total = parts[0]
        for p in parts[1:]:
            total = total + p
        return total


def spending_alpha(alpha: float, k: int) -> float:
    """The error rate spent on the k-th window (1-based): ``alpha / (k (k + 1))``; all windows together spend under ``alpha``.

    Examples
    --------
    >>> round(sum(spending_alpha(0.05, k) for k in range(1, 1000)), 5)
    0.04995
    """
    return alpha / (k * (k + 1))
