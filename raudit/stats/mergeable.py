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
    """Add up summaries pairwise, as a tree, starting from ``zero``, as they arrive.

    The order of an exact sum does not change it; the tree keeps the merges balanced. The items are consumed one at a
    time and at most one partial sum per power of two is held (a binary counter), so folding a stream of chunk
    summaries holds about log2(chunks) of them, never all. The tree is the one of pairing neighbours level by level
    (the odd one out carried up): ``((0+1)+(2+3))+4`` for five items.

    Examples
    --------
    >>> fold([1, 2, 3, 4], 0)
    10
    """
    stack: list[tuple[int, M]] = []  # (items summed, partial sum); sizes strictly decreasing powers of two
    for item in items:
        size, acc = 1, item
        while stack and stack[-1][0] == size:
            _, left = stack.pop()
            acc, size = left + acc, size * 2
        stack.append((size, acc))
    if not stack:
        return zero
    _, acc = stack.pop()
    while stack:
        _, left = stack.pop()
        acc = left + acc
    return zero + acc
