"""The plugin contract: a :class:`Check` class under the ``raudit.checks`` entry-point group.

Built-in checks use the same door as third-party ones: they are listed as
entry points in raudit's own ``pyproject.toml``. Discovery happens when an
audit starts, never at import time. Set ``RAUDIT_DISABLE_PLUGIN_AUTOLOAD=1``
to load only raudit's own checks.

A minimal plugin::

    from dataclasses import dataclass
    from raudit import Check, Finding, Options, option

    @dataclass(frozen=True)
    class RowCountOptions(Options):
        min_rows: int = option(100, "rows below which the check warns", ge=1)

    class RowCount(Check):
        name = "row_count"
        title = "Row count"
        Options = RowCountOptions

        def run(self, ctx, options):
            n = ctx.n_rows
            ok = n >= options.min_rows
            return self.result(findings=[Finding("pass" if ok else "warn", f"{n:,} rows")], metrics={"rows": n})

and in the plugin's ``pyproject.toml``::

    [project.entry-points."raudit.checks"]
    row_count = "my_package:RowCount"
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any, ClassVar

from raudit.errors import RauditError
from raudit.options import Options as OptionsBase
from raudit.report.results import CheckResult, Finding, Status, worst

if TYPE_CHECKING:
    from raudit.engine.context import AuditContext
    from raudit.engine.passes import Batch, Plan

__all__ = ["Check", "PluginInfo", "discover", "ENTRY_POINT_GROUP"]

ENTRY_POINT_GROUP = "raudit.checks"


class Check:
    """Base class of every check.

    Subclasses set the class attributes and implement :meth:`run`. A check
    computes and returns data; it never writes HTML or touches files.

    Attributes
    ----------
    name : str
        Unique, stable identifier (also the ``[check.NAME]`` config table).
    title : str
        Heading of the report section.
    order : int
        Position in the report (lower first); ties break on ``name``.
    requires : frozenset of str
        What the check needs: ``"model"`` (a model object, not only recorded
        predictions), ``"labels"`` (a classification task), ``"proba"``
        (predicted probabilities), ``"sensitive"`` (at least one sensitive
        column), ``"reference"`` (a reference profile, ``--reference``), ``"text"``
        (a model that reads a column of free text, named with ``--text-column``),
        ``"data"`` (the whole data in memory: ``ctx.data``, ``ctx.X``, ``ctx.y``...).
        A check whose needs are not met is skipped with the reason.
    Options : type
        The check's options: a frozen dataclass deriving from
        :class:`raudit.Options` whose fields are declared with
        :func:`raudit.option` (type, default, range, one line of doc). Users
        set them in ``[check.NAME]``; they are validated before any check runs.
    evidence : mapping of str to str
        Requirement ids (see ``raudit.report.compliance.REQUIREMENTS``) this check
        provides evidence for, each with what it shows.
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    order: ClassVar[int] = 100
    requires: ClassVar[frozenset[str]] = frozenset()
    Options: ClassVar[type[OptionsBase]] = OptionsBase
    evidence: ClassVar[Mapping[str, str]] = {}

    def validate(self, ctx: AuditContext, options: Any) -> None:
        """Check what the options say about the data (a reference group exists, say) before any check runs.

        Raise :class:`raudit.ConfigError` or :class:`raudit.InputError`: the
        audit stops with exit code 2 before any check runs. Default: nothing.
        """

    def summarise(self, batch: Batch, plan: Plan, options: Any) -> Any:
        """Optional: a mergeable summary of one chunk of rows, for audits of data of any size.

        Return an object supporting ``+`` (the summary of two chunks), or ``None``. raudit calls
        it on every chunk (in memory: once, on all rows; streamed or on Dask: per chunk or
        partition, possibly on another machine) and gives :meth:`run` the sum as
        ``ctx.summaries[self.name]``. Summaries made of integer counts and exact sums
        (:mod:`raudit.stats.exact`) make the check's numbers independent of the chunking.
        """
        return None

    def run(self, ctx: AuditContext, options: Any) -> CheckResult:
        """Compute the check on ``ctx`` with its validated ``options`` (an instance of :attr:`Options`)."""
        raise NotImplementedError

    def result(self, *, findings: Sequence[Finding] = (), status: Status | None = None, **fields: Any) -> CheckResult:
        """Build this check's :class:`CheckResult`; its status is the worst of ``findings`` unless given.

        The one way a check builds its result.
        """
        findings = tuple(findings)
        return CheckResult(name=self.name, title=self.title, status=status or worst(f.status for f in findings),
                           findings=findings, **fields)

    def unmet(self, ctx: AuditContext) -> str | None:
        """Return why this check cannot run on ``ctx``, or ``None`` when it can."""
        needs = self.requires
        if "model" in needs and ctx.model is None:
            return "needs a model file; this audit has recorded predictions only"
        if "labels" in needs and ctx.task == "regression":
            return "applies to classifiers only"
        if "proba" in needs and ctx.sample.y_proba is None:
            return "needs predicted probabilities, which the model does not give"
        if "sensitive" in needs and not ctx.config.sensitive:
            return "no sensitive columns given (use --sensitive)"
        if "data" in needs and not ctx.in_memory:
            return "needs the whole data in memory; this audit streamed it (run without --engine stream/dask to include it)"
        if "reference" in needs and ctx.reference is None:
            return "no reference given (use --reference with a file from `raudit profile`, or a CSV/Parquet reference)"
        if "text" in needs and ctx.config.text_column is None:
            return "needs a model that reads free text and the column that holds it (--text-column)"
        return None


@dataclass(frozen=True)
class PluginInfo:
    """A discovered check, or one that failed to load."""

    name: str
    package: str
    version: str
    value: str
    check: type[Check] | None = None
    error: str = ""


def _entry_points() -> list[EntryPoint]:
    return sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)


def discover(*, strict: bool = False) -> list[PluginInfo]:
    """Find and load every check registered under ``raudit.checks`` (once per process: the result is cached).

    Parameters
    ----------
    strict : bool
        Raise instead of reporting a plugin that fails to load.

    Returns
    -------
    list of PluginInfo
        Sorted by check order, then name. Failed plugins carry ``error``.
    """
    only_builtin = os.environ.get("RAUDIT_DISABLE_PLUGIN_AUTOLOAD", "") not in ("", "0")
    found = list(_discover(only_builtin))
    failed = [p for p in found if p.check is None]
    if strict and failed:
        p = failed[0]
        raise RauditError(f"check plugin {p.name!r} from package {p.package} failed to load: {p.error}")
    return found


@functools.cache
def _discover(only_builtin: bool) -> tuple[PluginInfo, ...]:
    found: list[PluginInfo] = []
    seen: set[str] = set()
    for ep in _entry_points():
        if ep.name in seen:  # the same distribution visible twice on sys.path: first wins
            continue
        seen.add(ep.name)
        dist = ep.dist
        package = dist.name if dist is not None else "?"
        version = dist.version if dist is not None else "?"
        if only_builtin and package != "raudit":
            continue
        try:
            cls = ep.load()
            if not (isinstance(cls, type) and issubclass(cls, Check)) or not cls.name:
                raise TypeError(f"{ep.value} is not a raudit.Check subclass with a name")
            found.append(PluginInfo(ep.name, package, version, ep.value, check=cls))
        except Exception as exc:
            found.append(PluginInfo(ep.name, package, version, ep.value, error=f"{type(exc).__name__}: {exc}"))
    found.sort(key=lambda p: (p.check.order if p.check else 1000, p.name))
    return tuple(found)
