"""Plain, frozen data that checks return and renderers read.

A check never writes HTML: it returns a :class:`CheckResult` holding numbers,
tables, findings and SVG figures. Everything here serialises to JSON through
:meth:`CheckResult.to_dict`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "Status",
    "STATUS_ORDER",
    "Finding",
    "Table",
    "Figure",
    "Estimate",
    "CheckResult",
    "worst",
    "grade",
    "slug",
]

Status = Literal["pass", "inconclusive", "warn", "fail", "error", "skipped"]

#: What a metric key may look like: an identifier, dots allowed (``ratio.sex_x_ethnicity``).
METRIC_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")

#: Severity order used to combine statuses; later is worse. ``inconclusive``: the interval straddles a threshold,
#: so the data cannot tell pass from fail (see :func:`raudit.stats.judgement.judge`); it counts as a warning for the
#: exit code unless the ``inconclusive = "fail"`` policy is set.
STATUS_ORDER: tuple[Status, ...] = ("skipped", "pass", "inconclusive", "warn", "fail", "error")


def slug(name: str) -> str:
    """A name (a column, a grouping) as part of a metric key or finding key.

    Examples
    --------
    >>> slug("sex × ethnicity"), slug("Debt to income (%)")
    ('sex_x_ethnicity', 'debt_to_income')
    """
    return re.sub(r"[^0-9a-z_]+", "_", name.lower().replace(" × ", "_x_").replace(": ", ".")).strip("_") or "x"


def worst(statuses: Iterable[Status]) -> Status:
    """Return the most severe status, ``"pass"`` for an empty input.

    Examples
    --------
    >>> worst(["pass", "warn", "skipped"])
    'warn'
    """
    found = list(statuses)
    if not found:
        return "pass"
    return max(found, key=STATUS_ORDER.index)


def grade(
    value: float | None,
    *,
    warn: float | None,
    fail: float | None,
    higher_is_better: bool = True,
) -> Status:
    """Grade one number against a warn and a fail threshold.

    Parameters
    ----------
    value : float or None
        The measured value; ``None`` or NaN grades as ``"skipped"``.
    warn, fail : float or None
        Thresholds; ``None`` disables that level.
    higher_is_better : bool
        ``True`` when values below a threshold are bad (accuracy),
        ``False`` when values above it are bad (calibration error).

    Examples
    --------
    >>> grade(0.65, warn=0.7, fail=0.6)
    'warn'
    >>> grade(0.2, warn=0.05, fail=0.1, higher_is_better=False)
    'fail'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "skipped"

    def breaks(limit: float | None) -> bool:
        if limit is None:
            return False
        return value < limit if higher_is_better else value > limit

    if breaks(fail):
        return "fail"
    if breaks(warn):
        return "warn"
    return "pass"


@dataclass(frozen=True)
class Finding:
    """One statement a reviewer should read, with its status.

    Parameters
    ----------
    status : {"pass", "warn", "fail", "error", "skipped"}
    message : str
        Plain language, with the numbers behind it.
    key : str, optional
        A stable identifier (e.g. ``"roc_auc"``) for machines.
    """

    status: Status
    message: str
    key: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {"status": self.status, "message": self.message, "key": self.key}


@dataclass(frozen=True)
class Estimate:
    """A table cell holding an estimate and its interval, e.g. a rate with its 95 % Wilson interval.

    Kept as numbers in the JSON (``{"value": v, "ci": [lo, hi]}``) and
    rendered as ``v (lo–hi)``.
    """

    value: float | None
    lo: float | None = None
    hi: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {"value": _plain(self.value), "ci": [_plain(self.lo), _plain(self.hi)]}


@dataclass(frozen=True)
class Table:
    """A titled table of rows; cells are numbers, strings, :class:`Estimate` or ``None``.

    Parameters
    ----------
    title : str
        Also the table's caption.
    columns : sequence of str
    rows : sequence of sequence
        Each row has one cell per column.
    note : str, optional
        A caption shown under the table.
    section : str, optional
        Tables and figures sharing a section are rendered together under
        that heading, sections in order of first appearance.
    formats : sequence of str, optional
        One per column: how its numbers read (``""`` significant digits,
        ``"int"``, ``"3f"`` fixed decimals, ``"%"``, ``"p"`` p-values,
        ``"text"``); see :func:`raudit.report.format.cell`.
    appendix : bool
        Detail an engineer digs into: in the HTML inside a closed
        ``<details>``; in the PDF only with ``--detail full``.
    """

    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    note: str = ""
    section: str = ""
    formats: Sequence[str] = ()
    appendix: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", tuple(self.columns))
        object.__setattr__(self, "rows", tuple(tuple(_plain(c) for c in r) for r in self.rows))
        object.__setattr__(self, "formats", tuple(self.formats) or ("",) * len(self.columns))
        if len(self.formats) != len(self.columns):
            raise ValueError(f"table {self.title!r}: {len(self.formats)} formats for {len(self.columns)} columns")
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"table {self.title!r}: row {row!r} has {len(row)} cells, expected {len(self.columns)}")

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "title": self.title,
            "columns": list(self.columns),
            "formats": list(self.formats),
            "rows": [list(r) for r in self.rows],
            "note": self.note,
            "section": self.section,
            "appendix": self.appendix,
        }


@dataclass(frozen=True)
class Figure:
    """An SVG chart with its title and caption.

    The SVG goes into the HTML and PDF only; ``report.json`` keeps the
    figure's title and caption (the numbers behind it are in the tables and
    details).

    Parameters
    ----------
    title : str
    svg : str
        A complete ``<svg>`` element; text in it must already be escaped.
    caption : str, optional
    section : str, optional
        See :class:`Table`.
    appendix : bool
        See :class:`Table`.
    """

    title: str
    svg: str
    caption: str = ""
    section: str = ""
    appendix: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form (without the SVG)."""
        return {"title": self.title, "caption": self.caption, "section": self.section, "appendix": self.appendix}


@dataclass(frozen=True)
class CheckResult:
    """What one check found.

    Parameters
    ----------
    name : str
        The check's entry-point name.
    title : str
        A human heading for the report section.
    status : {"pass", "warn", "fail", "error", "skipped"}
    summary : str
        One line for the executive summary.
    metrics : mapping of str to number
        Headline numbers (JSON scalars).
    findings, tables, figures : sequences
        The body of the section, in reading order.
    details : mapping
        Any other JSON-serialisable data a machine may want.
    options : mapping
        The effective thresholds and options the check ran with.
    evidence : mapping, optional
        What this run shows for a compliance requirement, when it differs
        from the check's declared ``evidence``: requirement id →
        ``{"what": str, "status": "evidence" | "partial"}`` ("partial": evidence exists but is
        incomplete, e.g. provenance unknown). Evidence, never compliance: the check's verdict stays
        in its findings.
    """

    name: str
    title: str
    status: Status
    summary: str = ""
    metrics: Mapping[str, Any] = field(default_factory=dict)
    findings: Sequence[Finding] = ()
    tables: Sequence[Table] = ()
    figures: Sequence[Figure] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    evidence: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    package: str = ""
    version: str = ""
    duration_s: float = 0.0

    def __post_init__(self) -> None:
        if self.status not in STATUS_ORDER:
            raise ValueError(f"check {self.name!r}: unknown status {self.status!r}; use one of {STATUS_ORDER}")
        bad = [k for k in self.metrics if not METRIC_KEY.fullmatch(k)]
        if bad:
            raise ValueError(f"check {self.name!r}: metric keys must be identifiers like 'roc_auc' or 'ratio.sex' "
                             f"(letters, digits, _ and .); got {bad[:3]}")
        for rid, ev in self.evidence.items():
            if set(ev) != {"what", "status"} or ev["status"] not in ("evidence", "partial"):
                raise ValueError(f"check {self.name!r}: evidence[{rid!r}] must be {{'what': str, 'status': evidence|partial}} "
                                 "(evidence, never compliance: the check's verdict is in its findings)")
        object.__setattr__(self, "metrics", {k: _plain(v) for k, v in self.metrics.items()})
        object.__setattr__(self, "findings", tuple(self.findings))
        object.__setattr__(self, "tables", tuple(self.tables))
        object.__setattr__(self, "figures", tuple(self.figures))
        object.__setattr__(self, "details", _plain(dict(self.details)))
        object.__setattr__(self, "options", _plain(dict(self.options)))

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "name": self.name,
            "title": self.title,
            "status": self.status,
            "summary": self.summary,
            "package": self.package,
            "version": self.version,
            "duration_s": round(self.duration_s, 4),
            "metrics": dict(self.metrics),
            "findings": [f.to_dict() for f in self.findings],
            "tables": [t.to_dict() for t in self.tables],
            "figures": [f.to_dict() for f in self.figures],
            "details": self.details,
            "options": self.options,
            "evidence": {k: dict(v) for k, v in self.evidence.items()},
        }



def _plain(value: Any) -> Any:
    """Turn numpy scalars, arrays, tuples and NaN into JSON-ready Python values."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Estimate):
        return value.to_dict()
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return _plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return str(value)
