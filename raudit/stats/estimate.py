"""The record every judged number is: an estimate, its interval, and the test behind it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["Tested"]


@dataclass(frozen=True)
class Tested:
    """An estimate with its confidence interval and the p-value of its test (Holm-adjusted when in a family).

    Parameters
    ----------
    value : float
        The estimate (a rate, a change of a rate, a difference of two models' metrics, ...).
    ci : tuple of float
        The interval (its level is the check's; NaN when not computed).
    p : float
        The p-value of the test (NaN when not tested).
    test : str
        The test's name, as the report states it.
    p_holm : float
        ``p`` adjusted by Holm's method across the family it was tested in (NaN: no family).

    Examples
    --------
    >>> t = Tested(0.12, (0.08, 0.17), 0.003, "two-proportion z-test")
    >>> t.excludes(0.0), t.fields("flip")["flip_ci"]
    (True, [0.08, 0.17])
    """

    value: float
    ci: tuple[float, float] = (math.nan, math.nan)
    p: float = math.nan
    test: str = ""
    p_holm: float = math.nan

    @property
    def low(self) -> float:
        """The interval's lower end."""
        return self.ci[0]

    @property
    def high(self) -> float:
        """The interval's upper end."""
        return self.ci[1]

    def excludes(self, value: float) -> bool:
        """True when the interval lies wholly on one side of ``value``."""
        return bool(self.ci[0] > value or self.ci[1] < value)

    def fields(self, prefix: str) -> dict[str, Any]:
        """The record as flat JSON keys (``{prefix}``, ``{prefix}_ci``, ``{prefix}_p``, ``{prefix}_p_holm``)."""
        return {prefix: self.value, f"{prefix}_ci": list(self.ci), f"{prefix}_p": self.p, f"{prefix}_p_holm": self.p_holm}
