"""The one rule every summary follows: it adds up.

A summary of some rows supports ``a + b`` (the summary of both sets of rows), associatively, and has
a zero (the summary of no rows). Integer counts and exact sums (:mod:`raudit.stats.exact`) make the
sum independent of how the rows were split, so in-memory, streamed and Dask audits agree to the bit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, Self, TypeVar

__all__ = ["Mergeable", "fold"]


class Mergeable(Protocol):
    """A summary of rows: ``a + b`` summarises both sets of rows (associative; a zero exists)."""

    def __add__(self, other: Self, /) -> Self:  # noqa: D105
        ...


M = TypeVar("M", bound=Mergeable)


def fold(items: Iterable[M], zero: M) -> M:
    """Add up summaries pairwise, as a tree, starting from ``zero``.

    The order of an exact sum does not change it; the tree keeps the merges balanced.

    Examples
    --------
    >>> fold([1, 2, 3, 4], 0)
    10
    """
    level = list(items)
    if not level:
        return zero
    while len(level) > 1:
        level = [level[i] + level[i + 1] if i + 1 < len(level) else level[i] for i in range(0, len(level), 2)]
    return zero + level[0]
