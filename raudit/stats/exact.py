"""Sums of floats that do not depend on the order of the additions, so chunks merge to the last bit.

Adding floats rounds at every step: summing the same numbers in chunks of 10,000 or of 1,000,000
(or on several machines) gives results that differ in the last bits. raudit's numbers must not
depend on how the data was split, so every float it accumulates goes through :class:`ExactSum`:
each value is split into its binary exponent and an integer mantissa; mantissas are added as
integers per exponent (``np.bincount`` adds the high and low halves of each mantissa in blocks of
2**25 values, so every partial sum stays exactly representable below 2**53), and the per-exponent
integers combine into one integer multiple of ``2**-SCALE``. The result is the correctly rounded
sum, whatever the order.

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

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

__all__ = ["ExactSum", "SCALE"]

#: Exact sums are integers scaled by 2**SCALE (every float64 and its square is a multiple of 2**-2252).
SCALE = 2300


def _flush(acc: np.ndarray, shift_of_index: int, term_shift: int) -> int:
    """Python-int value of ``sum(acc[k] << (k + shift_of_index + term_shift))`` (``acc`` holds exact integers)."""
    total = 0
    for k in np.flatnonzero(acc):
        total += int(acc[k]) << (int(k) + shift_of_index + term_shift)
    return total


def _exact_sum(x: np.ndarray) -> int:
    """Exact ``sum(x) * 2**SCALE`` as a Python int (``x``: finite float64).

    Each value is ``m * 2**(e-53)`` with an integer mantissa ``|m| < 2**53``.
    Mantissas are split into a signed high and an unsigned low half of at
    most 27 bits and summed per exponent with ``np.bincount``; a block of at
    most 2**25 rows keeps every partial sum below 2**53, so the float
    additions inside bincount are exact. Blocks are combined in Python ints.
    """
    if x.size == 0:
        return 0
    total = 0
    block = 1 << 25
    for start in range(0, x.size, block):
        f, e = np.frexp(x[start:start + block])
        m = np.ldexp(f, 53).astype(np.int64)
        k = e.astype(np.int64) + 1073  # 0 ..
        hi = (m >> 26).astype(np.float64)
        lo = (m & ((1 << 26) - 1)).astype(np.float64)
        size = int(k.max()) + 1
        shift = -1073 - 53 + SCALE
        total += _flush(np.bincount(k, weights=hi, minlength=size).astype(np.int64), shift, 26)
        total += _flush(np.bincount(k, weights=lo, minlength=size).astype(np.int64), shift, 0)
    return total


def _exact_sum_of_squares(x: np.ndarray) -> int:
    """Exact ``sum(x * x) * 2**SCALE`` (the real squares, not their float64 roundings).

    ``|m|`` is split into three 18-bit limbs ``a, b, c``; ``m**2`` is five
    terms with coefficients below 2**37, summed per exponent in blocks of
    2**15 rows (partial sums stay below 2**53, so exact).
    """
    if x.size == 0:
        return 0
    total = 0
    block = 1 << 15
    mask = (1 << 18) - 1
    acc: dict[int, np.ndarray] = {}
    blocks = 0
    for start in range(0, x.size, block):
        f, e = np.frexp(x[start:start + block])
        m = np.abs(np.ldexp(f, 53).astype(np.int64))
        k = 2 * e.astype(np.int64) + 2146  # 0 ..
        a, b, c = m >> 36, (m >> 18) & mask, m & mask
        terms = {72: a * a, 54: 2 * a * b, 36: 2 * a * c + b * b, 18: 2 * b * c, 0: c * c}
        for shift, coef in terms.items():
            counts = np.bincount(k, weights=coef.astype(np.float64), minlength=4196).astype(np.int64)
            acc[shift] = acc[shift] + counts if shift in acc else counts
        blocks += 1
        if blocks == 256:  # int64 accumulators: 256 blocks × 2**52 < 2**63
            total += sum(_flush(v, -2146 - 106 + SCALE, s) for s, v in acc.items())
            acc, blocks = {}, 0
    total += sum(_flush(v, -2146 - 106 + SCALE, s) for s, v in acc.items())
    return total


@dataclass(frozen=True)
class ExactSum:
    """The exact sum of finite float64 values (or of their exact squares), mergeable with ``+``.

    Kept as one integer multiple of ``2**-SCALE``: addition is integer addition, so a sum is the
    same whatever the order and grouping of the values. Its JSON form is ``"<mantissa>p<exponent>"``,
    the value ``mantissa * 2**exponent`` with an odd mantissa.

    Examples
    --------
    >>> s = ExactSum.of(np.array([0.1, 0.2])) + ExactSum.of(np.array([-0.3]))
    >>> float(s) == float(Fraction(0.1) + Fraction(0.2) - Fraction(0.3))
    True
    """

    scaled: int = 0

    @classmethod
    def of(cls, x: np.ndarray) -> ExactSum:
        """Sum of the finite float64 values ``x``."""
        return cls(_exact_sum(np.asarray(x, dtype=np.float64)))

    @classmethod
    def of_squares(cls, x: np.ndarray) -> ExactSum:
        """Sum of the exact squares of the finite float64 values ``x``."""
        return cls(_exact_sum_of_squares(np.asarray(x, dtype=np.float64)))

    def __add__(self, other: ExactSum) -> ExactSum:
        return ExactSum(self.scaled + other.scaled)

    @property
    def fraction(self) -> Fraction:
        """The exact sum as a rational number."""
        return Fraction(self.scaled, 1 << SCALE)

    @property
    def value(self) -> float:
        """The sum, correctly rounded to a float."""
        return self.scaled / (1 << SCALE)  # int / int is correctly rounded

    def __float__(self) -> float:
        return self.value

    def to_json(self) -> str:
        """Return ``"<odd mantissa>p<exponent>"`` (``"0p0"`` for zero)."""
        if self.scaled == 0:
            return "0p0"
        zeros = (self.scaled & -self.scaled).bit_length() - 1
        return f"{self.scaled >> zeros}p{zeros - SCALE}"

    @classmethod
    def from_json(cls, text: str) -> ExactSum:
        """Read ``"<mantissa>p<exponent>"``."""
        mantissa, _, exponent = str(text).partition("p")
        if len(mantissa) > 1000 or len(exponent) > 6:
            raise ValueError(f"exact sum {text[:40]!r}… is too long to be a sum of float64 values")
        m, e = int(mantissa), int(exponent)
        if not -SCALE <= e <= 1200:  # a sum of up to 2**63 float64 values stays below 2**1100
            raise ValueError(f"exact sum {text!r} is out of the range of float64 sums")
        return cls(m << (e + SCALE))
