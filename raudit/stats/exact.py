"""Sums of floats that do not depend on the order of the additions, so chunks merge to the last bit.

Adding floats rounds at every step: summing the same numbers in chunks of
10,000 or of 1,000,000 (or on several machines) gives results that differ in
the last bits. raudit's numbers must not depend on how the data was split, so
every float it accumulates goes through one of two exact accumulators:

- :class:`ExactSum` for any finite floats: each value is split into its
  binary exponent and an integer mantissa; mantissas are added as integers per
  exponent (``np.bincount`` adds the high and low halves of each mantissa in
  blocks of 2**25 values, so every partial sum stays exactly representable
  below 2**53), and the per-exponent
  integers combine into one exact rational. The result is the correctly
  rounded sum, whatever the order.
- :func:`fixed_point` for values in [0, 1] (scores): each becomes an integer
  number of 2**-40 steps, summed as integers; the quantisation error is at
  most 2**-41 per value (about 5e-13), stated, and the sum is order-free.

Examples
--------
>>> import numpy as np
>>> x = np.array([1e16, 1.0, -1e16, 1.0])
>>> float(x.sum()), ExactSum.of(x).value  # numpy's sum loses a 1
(1.0, 2.0)
>>> (ExactSum.of(x[:2]) + ExactSum.of(x[2:])).value == ExactSum.of(x[::-1]).value
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

__all__ = ["ExactSum", "fixed_point", "FIXED_POINT_BITS"]

#: float64 exponents after ``np.frexp`` lie in [-1073, 1024]; shifted to non-negative bucket indices.
_OFFSET = 1074
_BUCKETS = _OFFSET + 1025
_HALF = 26
#: Rows per bincount call that keep every per-exponent partial sum below 2**53 (exact in float64):
#: the high halves are below 2**27 in size, so 2**25 of them sum below 2**52.
_CHUNK = 1 << 25
#: Resolution of :func:`fixed_point`: scores are counted in steps of 2**-40.
FIXED_POINT_BITS = 40


@dataclass(frozen=True)
class ExactSum:
    """The exact sum of a multiset of finite floats, mergeable with ``+``.

    Attributes
    ----------
    buckets : dict of int to int
        Per binary exponent ``e``, the integer sum of mantissas ``m`` where each value is ``m * 2**(e - 53)``.
    count : int
        How many values were added.
    """

    buckets: dict[int, int] = field(default_factory=dict)
    count: int = 0

    @classmethod
    def of(cls, values: np.ndarray) -> ExactSum:
        """Sum an array of finite floats exactly (NaN and infinities are an error: filter them first)."""
        x = np.asarray(values, dtype=np.float64).ravel()
        if not np.all(np.isfinite(x)):
            raise ValueError("ExactSum takes finite values only")
        out: dict[int, int] = {}
        for start in range(0, len(x), _CHUNK):
            part = x[start:start + _CHUNK]
            mantissa, exponent = np.frexp(part)
            m = (mantissa * 2.0**53).astype(np.int64)  # exact: |mantissa| < 1 has 53 significant bits
            e = exponent.astype(np.int64) + _OFFSET
            hi = np.bincount(e, weights=(m >> _HALF).astype(np.float64), minlength=_BUCKETS)
            lo = np.bincount(e, weights=(m & ((1 << _HALF) - 1)).astype(np.float64), minlength=_BUCKETS)
            for k in np.flatnonzero((hi != 0) | (lo != 0)):
                out[int(k)] = out.get(int(k), 0) + (int(hi[k]) << _HALF) + int(lo[k])
        return cls({k: v for k, v in out.items() if v}, int(len(x)))

    def __add__(self, other: ExactSum) -> ExactSum:
        merged = dict(self.buckets)
        for k, v in other.buckets.items():
            merged[k] = merged.get(k, 0) + v
        return ExactSum({k: v for k, v in merged.items() if v}, self.count + other.count)

    @property
    def fraction(self) -> Fraction:
        """The exact sum as a rational number."""
        total = Fraction(0)
        for k, v in self.buckets.items():
            total += Fraction(v) * Fraction(2) ** (k - _OFFSET - 53)
        return total

    @property
    def value(self) -> float:
        """The sum, correctly rounded to a float."""
        return float(self.fraction)


def fixed_point(scores: np.ndarray) -> np.ndarray:
    """Scores in [0, 1] as integer counts of 2**-40 steps (round half to even): integer sums are order-free."""
    return np.rint(np.asarray(scores, dtype=np.float64) * 2.0**FIXED_POINT_BITS).astype(np.int64)
