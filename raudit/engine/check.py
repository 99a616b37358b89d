"""The check contract: one shape for every check, built-in or third-party.

A check is a :class:`Check` subclass registered under the ``raudit.checks`` entry-point group
(built-in checks are registered the same way in raudit's own ``pyproject.toml``). It has

- a typed options dataclass (:attr:`Check.Options`, fields made with :func:`raudit.plugin.option`);
- :meth:`Check.validate`, which checks what the options say about the data against the
  :class:`~raudit.engine.context.Facts` of the first pass, before anything is predicted;
- optionally :meth:`Check.summarise`, a mergeable summary of each chunk of rows (so that the check
  works on data of any size, streamed or on Dask, with the same numbers);
- :meth:`Check.analyse`, which turns the context into a frozen analysis (numbers only), and
  :meth:`Check.present`, which turns the analysis into a :class:`~raudit.report.results.CheckResult`
  (findings, tables, figures: the only place numbers become text).

:meth:`Check.run` composes the two; a check may override it instead (a small plugin, say).

A minimal plugin::

    from dataclasses import dataclass
    from raudit.plugin import Check, Finding, Options, option

    @dataclass(frozen=True)
    class RowCountOptions(Options):
        min_rows: int = option(100, "rows below which the check warns", ge=1)

    class RowCount(Check):
        name = "row_count"
        title = "Row count"
        Options = RowCountOptions

        def analyse(self, ctx, options):
            return ctx.n_rows

        def present(self, rows, options):
            ok = rows >= options.min_rows
            return self.result(findings=[Finding("pass" if ok else "warn", f"{rows:,} rows")], metrics={"rows": rows})

and in the plugin's ``pyproject.toml``::

    [project.entry-points."raudit.checks"]
    row_count = "my_package:RowCount"
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from raudit.options import Options as OptionsBase
from raudit.report.results import CheckResult, Finding, Status, worst

if TYPE_CHECKING:
    from raudit.engine.context import AuditContext, Facts
    from raudit.engine.passes import Batch, Plan
    from raudit.stats.mergeable import Mergeable

__all__ = ["Check"]


class Check:
    """Base class of every check.

    Subclasses set the class attributes and implement :meth:`analyse` and :meth:`present` (or
    :meth:`run`). A check computes and returns data; it never writes HTML or touches files.

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
        predictions), ``"labels"`` (a classification task with a label on every
        row: a decision log whose labels have not all arrived skips it), ``"proba"``
        (predicted probabilities), ``"sensitive"`` (at least one sensitive
        column), ``"reference"`` (a reference profile, ``--reference``), ``"text"``
        (a model that reads a column of free text, named with ``--text-column``),
        ``"data"`` (the whole data in memory: ``ctx.data``, ``ctx.X``, ``ctx.y``...),
        ``"members"`` (the model's training rows, ``--train-data``: ``ctx.members``).
        A check whose needs are not met is skipped with the reason.
    Options : type
        The check's options: a frozen dataclass deriving from
        :class:`raudit.plugin.Options` whose fields are declared with
        :func:`raudit.plugin.option` (type, default, range, one line of doc). Users
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

    def validate(self, facts: Facts, options: Any) -> None:
        """Check what the options say about the data (a reference group exists, say) before anything is predicted.

        ``facts`` is what the first pass established (:class:`~raudit.engine.context.Facts`: roles,
        task, classes, the groups of each sensitive column, the row count, the reference). Raise
        :class:`raudit.plugin.ConfigError` or :class:`raudit.plugin.InputError`: the audit stops with
        exit code 2 before any row is predicted. Default: nothing.
        """

    def summarise(self, batch: Batch, plan: Plan, options: Any) -> Mergeable:
        """Optional: a mergeable summary of one chunk of rows, for audits of data of any size.

        Return an object supporting ``+`` (the summary of two chunks; see
        :class:`raudit.plugin.Mergeable`). raudit calls it on every chunk (in memory: slices of
        the data; streamed or on Dask: per chunk or partition, possibly on another machine) and
        gives :meth:`analyse` the sum as ``ctx.summaries[self.name]``. Summaries made of integer
        counts and exact sums (:class:`raudit.plugin.ExactSum`) make the check's numbers
        independent of the chunking. Only called when the check can run (its ``requires`` are met).
        """
        raise NotImplementedError

    def analyse(self, ctx: AuditContext, options: Any) -> Any:
        """Compute the check's numbers from ``ctx`` (its summary, the sample): a frozen analysis, no text."""
        raise NotImplementedError(f"check {self.name!r} implements neither analyse()/present() nor run()")

    def present(self, analysis: Any, options: Any) -> CheckResult:
        """Turn the analysis into the check's :class:`CheckResult`: findings, tables and figures (use :meth:`result`)."""
        raise NotImplementedError(f"check {self.name!r} implements neither analyse()/present() nor run()")

    def run(self, ctx: AuditContext, options: Any) -> CheckResult:
        """Analyse, then present: the check's result on ``ctx`` with its validated ``options``."""
        return self.present(self.analyse(ctx, options), options)

    def result(self, *, findings: Sequence[Finding] = (), status: Status | None = None, **fields: Any) -> CheckResult:
        """Build this check's :class:`CheckResult`; its status is the worst of ``findings`` unless given.

        The one way a check builds its result.
        """
        findings = tuple(findings)
        return CheckResult(name=self.name, title=self.title, status=status or worst(f.status for f in findings),
                           findings=findings, **fields)

    def unmet(self, facts: Facts | AuditContext) -> str | None:
        """Return why this check cannot run on this audit, or ``None`` when it can."""
        from raudit.engine.context import AuditContext

        return (facts.facts if isinstance(facts, AuditContext) else facts).unmet(self.requires)
