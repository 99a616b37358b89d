"""Which metrics of each check are headline: charted over time on a model's page, and alerted on when they cross a threshold.

:data:`HEADLINES` is a plain table, one row per metric: the check's name, the key in its ``metrics``, a label,
the direction, and the names of the check's options that hold its warn and fail thresholds (read from the
report, so a ledger draws the thresholds each audit ran with). A check added later (privacy, robustness, a
plugin) adds its rows here; a check without rows is still stored, with its status.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Headline", "HEADLINES", "headline_metrics", "thresholds", "crossed"]


@dataclass(frozen=True)
class Headline:
    """One headline metric.

    Parameters
    ----------
    check, metric : str
        The check's name and the key in its ``metrics``.
    label : str
        What a person reads on a chart.
    higher_is_better : bool
    warn, fail : str or None
        Names of the check's options holding the warn and fail thresholds.
    """

    check: str
    metric: str
    label: str
    higher_is_better: bool = True
    warn: str | None = None
    fail: str | None = None

    @property
    def key(self) -> str:
        """``check.metric``, the key under which an entry stores the value."""
        return f"{self.check}.{self.metric}"


#: The headline metrics of the built-in checks, in the order a model's page charts them.
HEADLINES: tuple[Headline, ...] = (
    Headline("performance", "accuracy", "accuracy"),
    Headline("performance", "roc_auc", "ROC-AUC", warn="roc_auc_warn", fail="roc_auc_fail"),
    Headline("performance", "ece", "expected calibration error", higher_is_better=False, warn="ece_warn", fail="ece_fail"),
    Headline("performance", "r2", "R²", warn="r2_warn", fail="r2_fail"),
    Headline("fairness", "worst_selection_rate_ratio", "worst selection-rate ratio", fail="selection_rate_ratio_min"),
    Headline("drift", "max_psi", "largest PSI", higher_is_better=False, warn="psi_warn", fail="psi_fail"),
    Headline("counterfactual", "max_flip_rate", "largest counterfactual flip rate", higher_is_better=False,
             fail="flip_rate_max"),
    Headline("energy", "latency_p95_ms", "p95 latency (ms)", higher_is_better=False,
             warn="p95_latency_ms_warn", fail="p95_latency_ms_fail"),
)

_BY_KEY = {h.key: h for h in HEADLINES}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def headline_metrics(checks: Iterable[Mapping[str, Any]], table: Iterable[Headline] = HEADLINES) -> dict[str, float]:
    """The headline values a report's checks hold, ``check.metric`` → value (numbers only).

    Examples
    --------
    >>> headline_metrics([{"name": "drift", "metrics": {"max_psi": 0.3, "columns_compared": 4}}])
    {'drift.max_psi': 0.3}
    """
    wanted: dict[str, list[Headline]] = {}
    for h in table:
        wanted.setdefault(h.check, []).append(h)
    out: dict[str, float] = {}
    for check in checks:
        for h in wanted.get(str(check.get("name")), ()):
            value = _number((check.get("metrics") or {}).get(h.metric))
            if value is not None:
                out[h.key] = value
    return out


def thresholds(checks: Iterable[Mapping[str, Any]], table: Iterable[Headline] = HEADLINES) -> dict[str, list[float | None]]:
    """Each headline metric's ``[warn, fail]`` thresholds from the options its check ran with (``None`` where it has none)."""
    by_name = {str(c.get("name")): c.get("options") or {} for c in checks}
    out: dict[str, list[float | None]] = {}
    for h in table:
        options = by_name.get(h.check)
        if options is None:
            continue
        pair = [_number(options.get(h.warn)) if h.warn else None, _number(options.get(h.fail)) if h.fail else None]
        if pair != [None, None]:
            out[h.key] = pair
    return out


def describe(key: str) -> Headline:
    """The :class:`Headline` of ``check.metric`` (a bare one for a key no longer in the table)."""
    if key in _BY_KEY:
        return _BY_KEY[key]
    check, _, metric = key.partition(".")
    return Headline(check, metric, metric)


def _grade(value: float, pair: list[float | None], higher_is_better: bool) -> int:
    """0 within both thresholds, 1 beyond warn, 2 beyond fail."""
    def beyond(limit: float | None) -> bool:
        return limit is not None and (value < limit if higher_is_better else value > limit)

    return 2 if beyond(pair[1]) else 1 if beyond(pair[0]) else 0


def crossed(old: Mapping[str, float], new: Mapping[str, float], limits: Mapping[str, list[float | None]]) -> list[dict[str, Any]]:
    """Headline metrics that moved across a threshold into worse territory from ``old`` to ``new``.

    Examples
    --------
    >>> crossed({"drift.max_psi": 0.05}, {"drift.max_psi": 0.3}, {"drift.max_psi": [0.1, 0.25]})[0]["level"]
    'fail'
    """
    out = []
    for key, value in new.items():
        pair, before = limits.get(key), old.get(key)
        if pair is None or before is None:
            continue
        h = describe(key)
        was, now = _grade(before, pair, h.higher_is_better), _grade(value, pair, h.higher_is_better)
        if now > was:
            level = "fail" if now == 2 else "warn"
            out.append({"metric": key, "label": h.label, "old": before, "new": value, "level": level,
                        "threshold": pair[1] if now == 2 else pair[0]})
    return out
