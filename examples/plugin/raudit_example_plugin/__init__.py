"""An example third-party raudit check, installed as its own package.

Install it (``pip install examples/plugin``) and ``raudit checks`` lists
``class_balance``; every audit then has its section.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from raudit import Check, Finding, Options, Table, option


@dataclass(frozen=True)
class ClassBalanceOptions(Options):
    """Options of the class-balance check (set them in ``[check.class_balance]``)."""

    min_rows: int = option(50, "rows the rarest class needs, below which the check warns", ge=1)


class ClassBalance(Check):
    """Warn when the rarest class has fewer rows than ``min_rows``."""

    name = "class_balance"
    title = "Class balance (example plugin)"
    requires = frozenset({"labels"})
    Options = ClassBalanceOptions

    def run(self, ctx, options):
        labels, counts = np.unique(ctx.y, return_counts=True)
        rarest = int(counts.min())
        ok = rarest >= options.min_rows
        finding = Finding(
            "pass" if ok else "warn",
            f"The rarest class has {rarest} rows ({'at least' if ok else 'fewer than'} {options.min_rows}).",
            "rarest_class",
        )
        table = Table("Rows per class", ["class", "rows"], [[str(lab), int(c)] for lab, c in zip(labels, counts)])
        return self.result(findings=[finding], summary=f"rarest class: {rarest} rows",
                           metrics={"rarest_class_rows": rarest}, tables=[table])
