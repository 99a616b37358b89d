"""An example third-party raudit check, installed as its own package.

Install it (``pip install examples/plugin``) and ``raudit checks`` lists
``class_balance``; every audit then has its section. It has the shape of every
built-in check and imports only the public toolkit, :mod:`raudit.plugin`:

- ``summarise`` counts each chunk's labels: a mergeable summary, so the check
  gives the same numbers in memory, streamed and on a Dask cluster;
- ``analyse`` turns the summed counts into numbers; ``present`` into the report.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from raudit.plugin import AuditContext, Batch, Check, CheckResult, Finding, Options, Plan, Table, option


@dataclass(frozen=True)
class ClassBalanceOptions(Options):
    """Options of the class-balance check (set them in ``[check.class_balance]``)."""

    min_rows: int = option(50, "rows the rarest class needs, below which the check warns", ge=1)


@dataclass(frozen=True)
class ClassCounts:
    """Rows per class: the counts of two chunks add up to the counts of both (a mergeable summary)."""

    rows: Counter[str]

    def __add__(self, other: ClassCounts) -> ClassCounts:
        return ClassCounts(self.rows + other.rows)


class ClassBalance(Check):
    """Warn when the rarest class has fewer rows than ``min_rows``."""

    name = "class_balance"
    title = "Class balance (example plugin)"
    requires = frozenset({"labels"})
    Options = ClassBalanceOptions

    def summarise(self, batch: Batch, plan: Plan, options: ClassBalanceOptions) -> ClassCounts:
        return ClassCounts(Counter(str(label) for label in batch.y.tolist()))

    def analyse(self, ctx: AuditContext, options: ClassBalanceOptions) -> dict[str, int]:
        counts: ClassCounts = ctx.summaries[self.name]
        return dict(sorted(counts.rows.items()))

    def present(self, rows: dict[str, int], options: ClassBalanceOptions) -> CheckResult:
        rarest = min(rows.values())
        ok = rarest >= options.min_rows
        finding = Finding(
            "pass" if ok else "warn",
            f"The rarest class has {rarest} rows ({'at least' if ok else 'fewer than'} {options.min_rows}).",
            "rarest_class",
        )
        table = Table("Rows per class", ["class", "rows"], [[label, n] for label, n in rows.items()])
        return self.result(findings=[finding], summary=f"rarest class: {rarest} rows",
                           metrics={"rarest_class_rows": rarest}, tables=[table])
