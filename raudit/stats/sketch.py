"""Mergeable, bounded, exactly reproducible summaries of one column (sketches).

A sketch summarises a chunk of values; ``a + b`` summarises the two chunks
together. Every number a sketch holds is an integer count or an exact sum, so
the summary of a dataset is **bit for bit the same whatever the chunking**
(one DataFrame, a file read in chunks, partitions on several machines), and
its size does not grow with the number of rows.

:class:`NumericSketch`
    count, missing (NaN and ±inf), the exact sum and sum of squares
    (:class:`ExactSum`), and either the exact count of each distinct value
    (while there are at most ``max_distinct`` of them) or counts on a fixed,
    data-independent grid of buckets: each binary octave ``[2**(e-1), 2**e)``
    is cut into ``sub_buckets`` equal parts (the layout of HdrHistogram), and
    negative values mirror positive ones. A bucket's representative is within
    a relative distance of ``1 / (2 * sub_buckets + 1)`` (0.39 % at the
    default 128) of every value in it, so quantiles carry that relative error
    bound. Minimum and maximum are the lowest and highest non-empty atom: exact
    in exact mode, bucket bounds otherwise.
:class:`CategoricalSketch`
    count, missing, and the exact count of each category while there are at
    most ``max_distinct`` of them; beyond the cap the category names are
    dropped and only counts in ``hash_buckets`` buckets of a sha256 of the
    name remain (new and vanished categories can no longer be named).

Both switches happen when the merged data has more than ``max_distinct``
distinct values, which depends only on the data, never on how it was
chunked. A column with more distinct values than the cap (an identifier,
say) therefore never has a single value in its sketch. Distances between two
sketches (PSI, Kolmogorov–Smirnov, Wasserstein, chi-square, Jensen–Shannon)
are computed here too, each with the bound of what the sketch approximates.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from raudit.stats.exact import ExactSum

__all__ = [
    "SketchParams", "NumericSketch", "CategoricalSketch", "Sketch", "sketch_column",
    "NumericShift", "CategoricalShift", "numeric_shift", "categorical_shift", "psi", "psi_interval", "sketch_from_json",
    "ks_interval", "BinnedMeans",
]

#: Bucket keys of positive values are offset so they are all > 0 (the smallest binary exponent is -1073).
_KEY_OFFSET_OCTAVES = 1074
#: Proportion given to an empty bin when a PSI term needs a logarithm (the value Evidently uses).
PSI_EPSILON = 1e-4


#: Upper bounds of the sketch parameters (also the ``maximum`` of each in ``raudit/schema/profile.schema.json``).
PARAM_BOUNDS: Final = {"max_distinct": 1_000_000, "sub_buckets": 4_096, "hash_buckets": 65_536}


@dataclass(frozen=True)
class SketchParams:
    """The grid and caps every sketch of one profile shares.

    Parameters
    ----------
    max_distinct : int
        Distinct values (numeric) or categories kept exactly; beyond it numbers
        go to the bucket grid and categories to hash buckets.
    sub_buckets : int
        Buckets per binary octave (a power of two); relative accuracy
        ``1 / (2 * sub_buckets + 1)``.
    hash_buckets : int
        Buckets of category counts beyond the cap.
    """

    max_distinct: int = 256
    sub_buckets: int = 128
    hash_buckets: int = 64

    def __post_init__(self) -> None:
        if self.sub_buckets < 1 or self.sub_buckets & (self.sub_buckets - 1):
            raise ValueError(f"sub_buckets must be a power of two; got {self.sub_buckets}")
        if self.max_distinct < 1 or self.hash_buckets < 2:
            raise ValueError("max_distinct must be ≥ 1 and hash_buckets ≥ 2")
        for name, most in PARAM_BOUNDS.items():  # the profile schema's maximums: a profile file cannot make raudit allocate more
            if getattr(self, name) > most:
                raise ValueError(f"{name} must be at most {most:,}; got {getattr(self, name):,}")

    @property
    def relative_accuracy(self) -> float:
        """Largest relative distance between a value and its bucket's representative."""
        return 1 / (2 * self.sub_buckets + 1)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {"max_distinct": self.max_distinct, "sub_buckets": self.sub_buckets, "hash_buckets": self.hash_buckets,
                "relative_accuracy": self.relative_accuracy}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> SketchParams:
        """Read the JSON form."""
        return cls(int(raw["max_distinct"]), int(raw["sub_buckets"]), int(raw["hash_buckets"]))


# -- the bucket grid -----------------------------------------------------------------------------------
def bucket_keys(x: np.ndarray, sub: int) -> np.ndarray:
    """Signed bucket key of each finite value: 0 for zero, ordered like the values.

    ``|x| = f * 2**e`` with ``f`` in [0.5, 1); the bucket is
    ``e * sub + floor((f - 0.5) * 2 * sub)``. Every step is exact in binary
    floating point, so a value's bucket never depends on the platform.
    """
    x = np.asarray(x, dtype=np.float64)
    f, e = np.frexp(np.abs(x))
    j = ((f - 0.5) * (2 * sub)).astype(np.int64)
    key = (e.astype(np.int64) + _KEY_OFFSET_OCTAVES) * sub + j
    return np.where(x > 0, key, np.where(x < 0, -key, 0))


def bucket_bounds(keys: np.ndarray, sub: int) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper value of each bucket (``[lo, hi)`` for positive keys, mirrored for negative).

    Among subnormal numbers (below 2.2e-308) buckets are narrower than the
    spacing of floats, so their bounds are rounded.
    """
    keys = np.asarray(keys, dtype=np.int64)
    a = np.abs(keys)
    e, j = a // sub - _KEY_OFFSET_OCTAVES, a % sub
    with np.errstate(over="ignore"):  # the top bucket's upper bound is 2**1024 = inf
        lo = np.ldexp(0.5 + j / (2 * sub), e)
        hi = np.ldexp(0.5 + (j + 1) / (2 * sub), e)
    lo, hi = np.where(keys == 0, 0.0, lo), np.where(keys == 0, 0.0, hi)
    return np.where(keys < 0, -hi, lo), np.where(keys < 0, -lo, hi)


def bucket_representatives(keys: np.ndarray, sub: int) -> np.ndarray:
    """The value standing for each bucket: ``2 lo hi / (lo + hi)``, within ``1/(2 sub + 1)`` of every value in it."""
    keys = np.asarray(keys, dtype=np.int64)
    a = np.abs(keys)
    e, j = a // sub - _KEY_OFFSET_OCTAVES, a % sub
    lo_m, hi_m = 0.5 + j / (2 * sub), 0.5 + (j + 1) / (2 * sub)  # mantissas in [0.5, 1]: no overflow
    rep = np.ldexp(2 * lo_m * hi_m / (lo_m + hi_m), e)
    return np.where(keys == 0, 0.0, np.where(keys < 0, -rep, rep))


def _merge_counts(keys: Sequence[np.ndarray], counts: Sequence[np.ndarray], dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    k = np.concatenate([np.asarray(a, dtype=dtype) for a in keys]) if keys else np.array([], dtype=dtype)
    c = np.concatenate([np.asarray(a, dtype=np.int64) for a in counts]) if counts else np.array([], dtype=np.int64)
    uniq, inv = np.unique(k, return_inverse=True)
    return uniq, np.bincount(inv, weights=c, minlength=len(uniq)).astype(np.int64) if len(uniq) else np.array([], dtype=np.int64)


def _runs(keys: np.ndarray, counts: np.ndarray) -> list[list[Any]]:
    """Encode sorted keys as maximal runs of consecutive keys: ``[[first_key, [counts...]], ...]``."""
    out: list[list[Any]] = []
    for k, c in zip(keys.tolist(), counts.tolist()):
        if out and out[-1][0] + len(out[-1][1]) == k:
            out[-1][1].append(c)
        else:
            out.append([k, [c]])
    return out


def _unruns(runs: Iterable[Sequence[Any]]) -> tuple[np.ndarray, np.ndarray]:
    keys: list[int] = []
    counts: list[int] = []
    for first, cs in runs:
        keys += range(int(first), int(first) + len(cs))
        counts += [int(c) for c in cs]
    k, c = np.array(keys, dtype=np.int64), np.array(counts, dtype=np.int64)
    if len(k) and (np.any(np.diff(k) <= 0) or np.any(c <= 0) or np.abs(k).max() > 2**40):
        raise ValueError("bucket runs must be ascending, in range, with positive counts")
    return k, c


# -- numeric ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _ColumnSketch:
    """What every column sketch has: values counted, missing ones counted apart; equal when their JSON is."""

    count: int
    missing: int

    def to_json(self) -> dict[str, Any]:  # noqa: D102
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.to_json() == other.to_json()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]

    @property
    def n(self) -> int:
        """Rows summarised, missing included."""
        return self.count + self.missing

    @property
    def missing_rate(self) -> float:
        """Share of missing values (NaN when there are no rows)."""
        return self.missing / self.n if self.n else float("nan")


@dataclass(frozen=True, eq=False)
class NumericSketch(_ColumnSketch):
    """Summary of a numeric column (see the module docstring).

    Attributes
    ----------
    count, missing : int
        Finite values; NaN, None and ±inf.
    total, squares : ExactSum
    values, value_counts : ndarray or None
        Sorted distinct values and their counts (exact mode), else None.
    keys, key_counts : ndarray or None
        Sorted non-empty bucket keys and their counts (bucket mode), else None.
    params : SketchParams
    """

    total: ExactSum
    squares: ExactSum
    values: np.ndarray | None
    value_counts: np.ndarray | None
    keys: np.ndarray | None
    key_counts: np.ndarray | None
    params: SketchParams = field(default_factory=SketchParams)

    kind = "numeric"

    @classmethod
    def of(cls, column: Any, params: SketchParams | None = None) -> NumericSketch:
        """Summarise one chunk of values."""
        params = params or SketchParams()
        x = pd.to_numeric(pd.Series(column), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        finite = np.isfinite(x)
        v = x[finite] + 0.0  # -0.0 becomes 0.0
        values, counts = np.unique(v, return_counts=True)
        sketch = cls(int(v.size), int(x.size - v.size), ExactSum.of(v), ExactSum.of_squares(v),
                     values, counts.astype(np.int64), None, None, params)
        return sketch._capped()

    def _capped(self) -> NumericSketch:
        if self.values is None or len(self.values) <= self.params.max_distinct:
            return self
        keys, counts = self.buckets()
        return NumericSketch(self.count, self.missing, self.total, self.squares, None, None, keys, counts, self.params)

    @property
    def exact(self) -> bool:
        """Whether every distinct value is kept."""
        return self.values is not None

    def buckets(self) -> tuple[np.ndarray, np.ndarray]:
        """Bucket keys and counts (derived from the values in exact mode)."""
        if self.keys is not None and self.key_counts is not None:
            return self.keys, self.key_counts
        assert self.values is not None and self.value_counts is not None
        return _merge_counts([bucket_keys(self.values, self.params.sub_buckets)], [self.value_counts], np.int64)

    def __add__(self, other: NumericSketch) -> NumericSketch:
        if self.params != other.params:
            raise ValueError("sketches made with different parameters cannot be merged")
        values: np.ndarray | None
        counts: np.ndarray | None
        keys: np.ndarray | None
        key_counts: np.ndarray | None
        if self.exact and other.exact:
            assert self.values is not None and other.values is not None
            assert self.value_counts is not None and other.value_counts is not None
            values, counts = _merge_counts([self.values, other.values], [self.value_counts, other.value_counts], np.float64)
            keys = key_counts = None
        else:
            (ka, ca), (kb, cb) = self.buckets(), other.buckets()
            keys, key_counts = _merge_counts([ka, kb], [ca, cb], np.int64)
            values = counts = None
        return NumericSketch(self.count + other.count, self.missing + other.missing, self.total + other.total,
                             self.squares + other.squares, values, counts, keys, key_counts, self.params)._capped()

    # -- what it tells ----------------------------------------------------------------------------
    @property
    def mean(self) -> float:
        """Mean of the finite values, correctly rounded from the exact sum."""
        return float(self.total.fraction / self.count) if self.count else float("nan")

    @property
    def std(self) -> float:
        """Population standard deviation (ddof=0), from exact moments (no cancellation)."""
        if not self.count:
            return float("nan")
        n = self.count
        var = (self.squares.fraction * n - self.total.fraction ** 2) / (n * n)
        return math.sqrt(float(var))

    def atoms(self) -> tuple[np.ndarray, np.ndarray]:
        """Positions and counts in value order: exact values, or bucket representatives."""
        if self.exact:
            assert self.values is not None and self.value_counts is not None
            return self.values, self.value_counts
        keys, counts = self.buckets()
        return bucket_representatives(keys, self.params.sub_buckets), counts

    @property
    def min(self) -> float:
        """Smallest value (lower bound of the lowest bucket in bucket mode)."""
        if not self.count:
            return float("nan")
        if self.exact:
            assert self.values is not None
            return float(self.values[0])
        keys, _ = self.buckets()
        return float(bucket_bounds(keys[:1], self.params.sub_buckets)[0][0])

    @property
    def max(self) -> float:
        """Largest value (upper bound of the highest bucket in bucket mode)."""
        if not self.count:
            return float("nan")
        if self.exact:
            assert self.values is not None
            return float(self.values[-1])
        keys, _ = self.buckets()
        return float(bucket_bounds(keys[-1:], self.params.sub_buckets)[1][0])

    def quantile(self, q: float) -> float:
        """The ``q`` quantile as the inverted CDF (numpy's ``method="inverted_cdf"``).

        Exact in exact mode; in bucket mode within a relative distance
        ``params.relative_accuracy`` of the exact order statistic.
        """
        if not self.count:
            return float("nan")
        pos, counts = self.atoms()
        rank = max(math.ceil(q * self.count), 1)
        return float(pos[int(np.searchsorted(np.cumsum(counts), rank))])

    # -- JSON ---------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """Return the JSON form (values exactly as float64 reprs)."""
        out: dict[str, Any] = {"kind": "numeric", "count": self.count, "missing": self.missing,
                               "sum": self.total.to_json(), "sum_of_squares": self.squares.to_json()}
        if self.exact:
            assert self.values is not None and self.value_counts is not None
            out["values"] = {"values": [float(v) for v in self.values], "counts": self.value_counts.tolist()}
        else:
            keys, counts = self.buckets()
            out["buckets"] = _runs(keys, counts)
        return out

    @classmethod
    def from_json(cls, raw: Mapping[str, Any], params: SketchParams) -> NumericSketch:
        """Read the JSON form (raises ``ValueError``/``KeyError``/``TypeError`` on a malformed one)."""
        count, missing = int(raw["count"]), int(raw["missing"])
        total, squares = ExactSum.from_json(raw["sum"]), ExactSum.from_json(raw["sum_of_squares"])
        if "values" in raw:
            values = np.array(raw["values"]["values"], dtype=np.float64)
            counts = np.array(raw["values"]["counts"], dtype=np.int64)
            if values.shape != counts.shape or int(counts.sum()) != count or np.any(np.diff(values) <= 0):
                raise ValueError("exact values must be ascending, one count each, adding up to count")
            return cls(count, missing, total, squares, values, counts, None, None, params)
        keys, counts = _unruns(raw["buckets"])
        if int(counts.sum()) != count:
            raise ValueError("bucket counts must add up to count")
        return cls(count, missing, total, squares, None, None, keys, counts, params)


# -- categorical -----------------------------------------------------------------------------------
def _hash_bucket(name: str, buckets: int) -> int:
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big") % buckets


@dataclass(frozen=True, eq=False)
class CategoricalSketch(_ColumnSketch):
    """Summary of a categorical column: category counts, or hash-bucket counts beyond the cap.

    Categories are compared as text (``str(value)``); missing values are
    counted apart.
    """

    counts: Mapping[str, int] | None
    hashed: np.ndarray | None
    params: SketchParams = field(default_factory=SketchParams)

    kind = "categorical"

    @classmethod
    def of(cls, column: Any, params: SketchParams | None = None) -> CategoricalSketch:
        """Summarise one chunk of values."""
        params = params or SketchParams()
        s = pd.Series(column)
        present = s[s.notna()]
        vc = present.astype(str).value_counts(sort=False)
        counts = {str(k): int(v) for k, v in vc.items()}
        return cls(int(len(present)), int(len(s) - len(present)), counts, None, params)._capped()

    def _capped(self) -> CategoricalSketch:
        if self.counts is None or len(self.counts) <= self.params.max_distinct:
            return self
        return CategoricalSketch(self.count, self.missing, None, self.hash_counts(), self.params)

    @property
    def exact(self) -> bool:
        """Whether category names are kept."""
        return self.counts is not None

    def hash_counts(self) -> np.ndarray:
        """Counts per hash bucket (derived from the categories in exact mode)."""
        if self.hashed is not None:
            return self.hashed
        assert self.counts is not None
        out = np.zeros(self.params.hash_buckets, dtype=np.int64)
        for name, c in self.counts.items():
            out[_hash_bucket(name, self.params.hash_buckets)] += c
        return out

    def __add__(self, other: CategoricalSketch) -> CategoricalSketch:
        if self.params != other.params:
            raise ValueError("sketches made with different parameters cannot be merged")
        if self.counts is not None and other.counts is not None:
            merged = dict(self.counts)
            for k, v in other.counts.items():
                merged[k] = merged.get(k, 0) + v
            return CategoricalSketch(self.count + other.count, self.missing + other.missing, merged, None, self.params)._capped()
        return CategoricalSketch(self.count + other.count, self.missing + other.missing, None,
                                 self.hash_counts() + other.hash_counts(), self.params)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form (categories sorted by name)."""
        out: dict[str, Any] = {"kind": "categorical", "count": self.count, "missing": self.missing}
        if self.counts is not None:
            out["categories"] = {k: self.counts[k] for k in sorted(self.counts)}
        else:
            out["hashed"] = self.hash_counts().tolist()
        return out

    @classmethod
    def from_json(cls, raw: Mapping[str, Any], params: SketchParams) -> CategoricalSketch:
        """Read the JSON form."""
        count, missing = int(raw["count"]), int(raw["missing"])
        if "categories" in raw:
            counts = {str(k): int(v) for k, v in raw["categories"].items()}
            if sum(counts.values()) != count or any(v <= 0 for v in counts.values()):
                raise ValueError("category counts must be positive and add up to count")
            return cls(count, missing, counts, None, params)
        hashed = np.array(raw["hashed"], dtype=np.int64)
        if hashed.shape != (params.hash_buckets,) or int(hashed.sum()) != count:
            raise ValueError(f"hashed counts must be {params.hash_buckets} numbers adding up to count")
        return cls(count, missing, None, hashed, params)


Sketch = NumericSketch | CategoricalSketch


def is_numeric_column(column: pd.Series) -> bool:
    """Whether a column is summarised as numbers (numeric dtype, not boolean)."""
    return bool(pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column))


def sketch_column(column: pd.Series, params: SketchParams | None = None) -> Sketch:
    """The sketch of a column: numeric for numeric dtypes, categorical otherwise."""
    if is_numeric_column(column):
        return NumericSketch.of(column, params)
    return CategoricalSketch.of(column, params)


def merge_sketches(a: Sketch, b: Sketch) -> Sketch:
    """``a + b``; a chunk with no values (all missing) of the other kind adopts the kind of the one that has values.

    Raises
    ------
    ValueError
        When both chunks hold values of different kinds.
    """
    if a.kind != b.kind:
        if a.count == 0:
            a = _empty_like(b, a.missing)
        elif b.count == 0:
            b = _empty_like(a, b.missing)
        else:
            raise ValueError(f"the column holds numbers in one chunk and text in another ({a.kind} vs {b.kind})")
    return a + b  # type: ignore[operator]


def _empty_like(s: Sketch, missing: int) -> Sketch:
    if isinstance(s, NumericSketch):
        return NumericSketch(0, missing, ExactSum(), ExactSum(), np.array([], dtype=np.float64),
                             np.array([], dtype=np.int64), None, None, s.params)
    return CategoricalSketch(0, missing, {}, None, s.params)


def sketch_from_json(raw: Mapping[str, Any], params: SketchParams) -> Sketch:
    """Read a sketch's JSON form (numeric or categorical)."""
    if raw.get("kind") == "numeric":
        return NumericSketch.from_json(raw, params)
    if raw.get("kind") == "categorical":
        return CategoricalSketch.from_json(raw, params)
    raise ValueError(f"unknown sketch kind {raw.get('kind')!r}")


# -- distances between two sketches ----------------------------------------------------------------------
def psi(ref: np.ndarray, cur: np.ndarray, *, epsilon: float | tuple[float, float] = PSI_EPSILON) -> float:
    """Population stability index of two count (or proportion) vectors over the same bins.

    ``sum((r - c) * ln(r / c))`` over proportions, a zero proportion replaced
    by ``epsilon`` (one value, or one for the reference and one for the current side).

    Examples
    --------
    >>> round(psi(np.array([50, 50]), np.array([40, 60])), 4)
    0.0405
    """
    r = np.asarray(ref, dtype=float)
    c = np.asarray(cur, dtype=float)
    eps_r, eps_c = epsilon if isinstance(epsilon, tuple) else (epsilon, epsilon)
    r, c = r / r.sum(), c / c.sum()
    r, c = np.where(r == 0, eps_r, r), np.where(c == 0, eps_c, c)
    return float(np.sum((r - c) * np.log(r / c)))


def psi_interval(ref: np.ndarray, cur: np.ndarray, rng: np.random.Generator, *, level: float = 0.95,
                 rounds: int = 1000, max_rounds: int = 200_000) -> tuple[float, float]:
    """A basic bootstrap interval of :func:`psi`, from the two count vectors (clipped at 0).

    Each side's counts are redrawn (multinomial, the bins held fixed) and the PSI recomputed. PSI is
    biased upwards on finite samples (about ``(bins − 1) · (1/n_ref + 1/n_cur)`` when nothing
    moved), so the basic interval ``2·PSI − quantiles`` is used, which corrects that to first order.
    The rounds grow with the level so that at least 20 draws lie beyond each end (``rounds`` is the
    least), at most ``max_rounds``, drawn in blocks of 4,096. Where a level needs more rounds than
    ``max_rounds`` allows, the draws' quantiles are their normal approximation (mean ± z·sd).

    Examples
    --------
    >>> lo, hi = psi_interval(np.array([500, 500]), np.array([400, 600]), np.random.default_rng(0))
    >>> bool(lo < psi(np.array([500, 500]), np.array([400, 600])) < hi)
    True
    """
    r, c = np.asarray(ref, dtype=float), np.asarray(cur, dtype=float)
    nr, nc = int(r.sum()), int(c.sum())
    if nr == 0 or nc == 0:
        return float("nan"), float("nan")
    tail = (1 - level) / 2
    needed = max(rounds, int(np.ceil(20 / tail)))
    total = int(min(needed, max_rounds))
    draws = []
    for start in range(0, total, 4096):
        size = min(4096, total - start)
        rd = rng.multinomial(nr, r / nr, size=size) / nr
        cd = rng.multinomial(nc, c / nc, size=size) / nc
        rd, cd = np.where(rd == 0, PSI_EPSILON, rd), np.where(cd == 0, PSI_EPSILON, cd)
        draws.append(np.sum((rd - cd) * np.log(rd / cd), axis=1))
    drawn = np.concatenate(draws)
    if needed > max_rounds:
        from raudit.stats.inference import z_of

        z = float(z_of(level))
        q_lo, q_hi = float(drawn.mean() - z * drawn.std(ddof=1)), float(drawn.mean() + z * drawn.std(ddof=1))
    else:
        q_lo, q_hi = np.quantile(drawn, [tail, 1 - tail])
    estimate = psi(r, c)
    return max(0.0, 2 * estimate - float(q_hi)), max(0.0, 2 * estimate - float(q_lo))


@dataclass(frozen=True)
class NumericShift:
    """How a numeric column moved between two sketches.

    Attributes
    ----------
    psi : float
        On ``len(bin_counts_ref)`` bins cut at reference quantiles.
    ks, ks_p : float
        Kolmogorov–Smirnov statistic and its asymptotic two-sided p-value.
    ks_bound : float
        The exact statistic lies in ``[ks, ks + ks_bound]`` (0 in exact mode).
    wasserstein, wasserstein_bound : float
        W1 distance of the summaries, and the largest difference from the
        exact W1 (0 in exact mode).
    wasserstein_norm, wasserstein_norm_bound : float
        The same divided by ``max(reference std, 0.001)`` (as Evidently does).
    exact : bool
        Both sides kept every distinct value.
    edges : tuple of float
        Upper edges of the PSI bins but the last (values ≤ edge go in the bin).
    """

    psi: float
    bin_counts_ref: tuple[int, ...]
    bin_counts_cur: tuple[int, ...]
    edges: tuple[float, ...]
    ks: float
    ks_p: float
    ks_bound: float
    wasserstein: float
    wasserstein_bound: float
    wasserstein_norm: float
    wasserstein_norm_bound: float
    exact: bool
    n_ref: int
    n_cur: int


def _aligned_atoms(ref: NumericSketch, cur: NumericSketch) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:
    """Common atom positions and both sides' counts on them (exact values, or buckets)."""
    if ref.exact and cur.exact:
        assert ref.values is not None and cur.values is not None
        assert ref.value_counts is not None and cur.value_counts is not None
        pos = np.union1d(ref.values, cur.values)
        r = np.zeros(len(pos), dtype=np.int64)
        c = np.zeros(len(pos), dtype=np.int64)
        r[np.searchsorted(pos, ref.values)] = ref.value_counts
        c[np.searchsorted(pos, cur.values)] = cur.value_counts
        return pos, r, c, np.zeros(len(pos)), True
    (kr, cr), (kc, cc) = ref.buckets(), cur.buckets()
    keys = np.union1d(kr, kc)
    r = np.zeros(len(keys), dtype=np.int64)
    c = np.zeros(len(keys), dtype=np.int64)
    r[np.searchsorted(keys, kr)] = cr
    c[np.searchsorted(keys, kc)] = cc
    lo, hi = bucket_bounds(keys, ref.params.sub_buckets)
    rep = bucket_representatives(keys, ref.params.sub_buckets)
    reach = np.maximum(np.abs(rep - lo), np.abs(hi - rep))  # farthest a value of the bucket is from its representative
    return rep, r, c, reach, False


def reference_bins(counts: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin index of each atom so that bins hold about equal shares of the reference (ties stay together)."""
    cum = np.cumsum(counts) / max(int(counts.sum()), 1)
    cuts = np.unique(np.searchsorted(cum, np.arange(1, n_bins) / n_bins - 1e-12))  # atom index closing each bin
    return np.searchsorted(cuts, np.arange(len(counts)), side="left")


def numeric_shift(ref: NumericSketch, cur: NumericSketch, *, psi_bins: int = 10) -> NumericShift:
    """Compare two numeric sketches (of the finite values; missing values are compared apart)."""
    from scipy.stats import distributions

    pos, r, c, reach, exact = _aligned_atoms(ref, cur)
    nr, nc = int(r.sum()), int(c.sum())
    if nr == 0 or nc == 0:
        nan = float("nan")
        return NumericShift(nan, (), (), (), nan, nan, nan, nan, nan, nan, nan, exact, nr, nc)
    bins = reference_bins(r, psi_bins)
    br = np.bincount(bins, weights=r).astype(np.int64)
    bc = np.bincount(bins, weights=c, minlength=len(br)).astype(np.int64)
    edges = tuple(float(pos[np.flatnonzero(bins == b)[-1]]) for b in range(len(br) - 1))
    fr, fc = np.cumsum(r) / nr, np.cumsum(c) / nc
    ks = float(np.max(np.abs(fr - fc)))
    en = nr * nc / (nr + nc)
    ks_p = float(np.clip(distributions.kstwo.sf(ks, np.round(en)), 0, 1))
    ks_bound = 0.0 if exact else float(np.max(np.maximum(r / nr, c / nc)))
    w = float(np.sum(np.abs(fr - fc)[:-1] * np.diff(pos))) if len(pos) > 1 else 0.0
    w_bound = 0.0 if exact else float(np.sum(reach * r) / nr + np.sum(reach * c) / nc)
    norm = max(ref.std, 0.001)
    return NumericShift(psi(br, bc), tuple(br.tolist()), tuple(bc.tolist()), edges, ks, ks_p, ks_bound, w, w_bound,
                        w / norm, w_bound / norm, exact, nr, nc)


def ks_interval(ks: np.ndarray | float, n1: np.ndarray | int, n2: np.ndarray | int, *, level: np.ndarray | float = 0.95,
                bound: np.ndarray | float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """An interval for the Kolmogorov–Smirnov distance ``sup |F1 − F2|`` of two distributions, from two samples.

    The sample statistic is off from the distance by at most the sum of the two empirical CDFs' own
    errors, and by the Dvoretzky–Kiefer–Wolfowitz inequality with Massart's constant each of those
    exceeds ``sqrt(ln(4 / α) / (2 n))`` with probability at most ``α / 2``; so ``ks ± (ε1 + ε2)``,
    clipped to [0, 1], holds at ``1 − α`` whatever the distributions (conservative: no asymptotics, no
    continuity). ``bound`` widens the upper end by what a bucketed sketch may hide
    (:attr:`NumericShift.ks_bound`). NaN where a sample is empty.

    Examples
    --------
    >>> lo, hi = ks_interval(0.3, 1000, 1000)
    >>> round(float(lo), 3), round(float(hi), 3)
    (0.206, 0.394)
    """
    ks, n1, n2, bound = (np.asarray(x, dtype=float) for x in (ks, n1, n2, bound))
    alpha = 1 - np.asarray(level, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        reach = np.sqrt(np.log(4 / alpha) / (2 * n1)) + np.sqrt(np.log(4 / alpha) / (2 * n2))
    empty = (n1 <= 0) | (n2 <= 0) | ~np.isfinite(ks)
    return np.where(empty, np.nan, np.clip(ks - reach, 0, 1)), np.where(empty, np.nan, np.clip(ks + bound + reach, 0, 1))


def cdf_points(sketch: NumericSketch, *, max_points: int = 200) -> tuple[list[float], list[float]]:
    """Points of the empirical CDF (at most ``max_points``, evenly spread), for charts."""
    pos, counts = sketch.atoms()
    if not len(pos):
        return [], []
    cum = np.cumsum(counts) / counts.sum()
    idx = np.unique(np.linspace(0, len(pos) - 1, min(len(pos), max_points)).round().astype(int))
    return pos[idx].tolist(), cum[idx].tolist()


@dataclass(frozen=True)
class CategoricalShift:
    """How a categorical column moved between two sketches.

    Attributes
    ----------
    labels : tuple of str
        Categories (or ``#hNN`` hash buckets), sorted.
    psi, js : float
        PSI, and the Jensen–Shannon distance with base-2 logarithms (0 to 1).
    chi2, chi2_p : float
        Pearson's chi-square test of homogeneity on the 2 × k table, after
        pooling categories whose expected count is below 5 (``pooled`` of them).
    new, vanished : tuple of (str, int)
        Categories only in the current data (with their current count), only
        in the reference (with its count). Empty when names are hashed.
    hashed : bool
        Names were beyond the cap on either side, so buckets were compared.
    """

    labels: tuple[str, ...]
    counts_ref: tuple[int, ...]
    counts_cur: tuple[int, ...]
    psi: float
    js: float
    chi2: float
    chi2_p: float
    dof: int
    pooled: int
    new: tuple[tuple[str, int], ...]
    vanished: tuple[tuple[str, int], ...]
    hashed: bool
    n_ref: int
    n_cur: int


def chi2_homogeneity(ref: np.ndarray, cur: np.ndarray) -> tuple[float, float, int, int]:
    """Chi-square test that two count vectors come from one distribution.

    Categories whose expected count is below 5 in either row are pooled into
    one (dropped if the pool is empty). Returns ``(chi2, p, dof, pooled)``;
    ``p = 1`` when fewer than two categories remain.
    """
    from scipy.stats import chi2_contingency

    r, c = np.asarray(ref, dtype=np.int64), np.asarray(cur, dtype=np.int64)
    nr, nc = r.sum(), c.sum()
    if nr == 0 or nc == 0:
        return float("nan"), float("nan"), 0, 0
    tot = r + c
    expected_min = np.minimum(nr, nc) * tot / (nr + nc)
    small = expected_min < 5
    table = np.vstack([r[~small], c[~small]])
    if small.any():
        table = np.column_stack([table, [r[small].sum(), c[small].sum()]])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 0.0, 1.0, 0, int(small.sum())
    stat, p, dof, _ = chi2_contingency(table, correction=False)
    return float(stat), float(p), int(dof), int(small.sum())


def categorical_shift(ref: CategoricalSketch, cur: CategoricalSketch) -> CategoricalShift:
    """Compare two categorical sketches (of the present values; missing values are compared apart)."""
    from scipy.spatial.distance import jensenshannon

    hashed = not (ref.exact and cur.exact)
    if hashed:
        labels = tuple(f"#h{i:02d}" for i in range(ref.params.hash_buckets))
        r, c = ref.hash_counts(), cur.hash_counts()
        new: tuple[tuple[str, int], ...] = ()
        vanished: tuple[tuple[str, int], ...] = ()
    else:
        assert ref.counts is not None and cur.counts is not None
        labels = tuple(sorted(set(ref.counts) | set(cur.counts)))
        r = np.array([ref.counts.get(k, 0) for k in labels], dtype=np.int64)
        c = np.array([cur.counts.get(k, 0) for k in labels], dtype=np.int64)
        new = tuple((k, cur.counts[k]) for k in labels if k not in ref.counts)
        vanished = tuple((k, ref.counts[k]) for k in labels if k not in cur.counts)
    nr, nc = int(r.sum()), int(c.sum())
    if nr == 0 or nc == 0:
        nan = float("nan")
        return CategoricalShift(labels, tuple(r.tolist()), tuple(c.tolist()), nan, nan, nan, nan, 0, 0, new, vanished,
                                hashed, nr, nc)
    chi2, p, dof, pooled = chi2_homogeneity(r, c)
    js = float(jensenshannon(r / nr, c / nc, base=2))
    return CategoricalShift(labels, tuple(r.tolist()), tuple(c.tolist()), psi(r, c), js, chi2, p, dof, pooled,
                            new, vanished, hashed, nr, nc)


@dataclass(frozen=True)
class BinnedMeans:
    """Rows and exact sums of ``x``, ``y`` and ``y²`` per bucket of ``x`` on the sketch grid; mergeable with ``+``.

    The buckets are data-independent (:func:`bucket_keys`), so chunks merge to the summary of the whole,
    bit for bit; :meth:`quantile_bins` then cuts the buckets into bins of about equal shares of rows (a
    bin's edges are bucket bounds: within ``1 / (2 * sub_buckets + 1)`` of the exact quantiles) and gives
    each bin's mean ``x`` and the mean and spread of ``y`` (a regressor's residuals by decile of its
    prediction, say).

    Examples
    --------
    >>> b = BinnedMeans.of(np.arange(100.0), np.ones(100)) + BinnedMeans.of(np.arange(100.0, 200.0), np.zeros(100))
    >>> [round(r["mean_y"], 2) for r in b.quantile_bins(2)]
    [1.0, 0.0]
    """

    keys: np.ndarray
    counts: np.ndarray
    sums: Mapping[str, tuple[ExactSum, ...]]
    sub_buckets: int = 128

    @classmethod
    def of(cls, x: np.ndarray, y: np.ndarray, *, sub_buckets: int = 128) -> BinnedMeans:
        """Summarise one chunk (finite ``x`` and ``y``)."""
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        keys, inverse, counts = np.unique(bucket_keys(x, sub_buckets), return_inverse=True, return_counts=True)
        order = np.argsort(inverse, kind="stable")
        rows = np.split(order, np.cumsum(counts)[:-1])
        terms = {"x": x, "y": y, "y2": y * y}
        return cls(keys.astype(np.int64), counts.astype(np.int64),
                   {k: tuple(ExactSum.of(v[r]) for r in rows) for k, v in terms.items()}, sub_buckets)

    def __add__(self, other: BinnedMeans) -> BinnedMeans:
        keys = np.union1d(self.keys, other.keys)
        counts = np.zeros(len(keys), dtype=np.int64)
        sums: dict[str, list[ExactSum]] = {k: [ExactSum() for _ in keys] for k in self.sums}
        for part in (self, other):
            at = np.searchsorted(keys, part.keys)
            counts[at] += part.counts
            for k, values in part.sums.items():
                for i, v in zip(at.tolist(), values):
                    sums[k][i] = sums[k][i] + v
        return BinnedMeans(keys, counts, {k: tuple(v) for k, v in sums.items()}, self.sub_buckets)

    def quantile_bins(self, n_bins: int) -> list[dict[str, float]]:
        """Bins of about ``1 / n_bins`` of the rows each (ties of a bucket stay together), in the order of ``x``.

        Each bin: ``lo`` and ``hi`` (bucket bounds), ``n``, ``mean_x``, ``mean_y`` and ``sd_y`` (``n − 1``
        denominator; NaN for one row).
        """
        if not len(self.keys):
            return []
        which = reference_bins(self.counts, n_bins)
        lo, hi = bucket_bounds(self.keys, self.sub_buckets)
        out = []
        for b in np.unique(which):
            idx = np.flatnonzero(which == b)
            n = int(self.counts[idx].sum())
            sx, sy, sy2 = (sum((self.sums[k][i] for i in idx.tolist()), ExactSum()).fraction for k in ("x", "y", "y2"))
            var = (sy2 - sy * sy / n) / (n - 1) if n > 1 else None
            out.append({"lo": float(min(lo[idx].min(), hi[idx].min())), "hi": float(max(lo[idx].max(), hi[idx].max())), "n": n,
                        "mean_x": float(sx / n), "mean_y": float(sy / n),
                        "sd_y": float(np.sqrt(max(float(var), 0.0))) if var is not None else float("nan")})
        return out
