"""Row fingerprints: was the audit data held out from training, or does it share rows with it.

A training record (:func:`raudit.track_training`) stores a *bottom-k sketch*
of the training rows: the ``k`` smallest 64-bit hashes of the distinct rows,
a uniform random sample of them that holds no data. At audit time every audit
row is hashed the same way, and the share of sampled training rows found in
the audit data estimates how much of the training data the audit contains.
When none of ``k`` sampled rows is found, at most ``3/k`` of the training rows
can be in the audit data (the rule of three, 95 %); that is what lets the
report say "held out".

Values are normalised before hashing so that a CSV round trip does not change
a row: numbers (and booleans) as float64 (``1``, ``1.0`` and ``True`` agree),
missing values as one marker, everything else as text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["row_hashes", "sketch", "Overlap", "overlap"]

#: Sampled training rows kept in a training record (16 KB as hex).
SKETCH_SIZE = 1024


def row_hashes(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """One uint64 hash per row over ``columns``, insensitive to the dtype changes a CSV round trip makes."""
    normal: dict[str, np.ndarray] = {}
    for col in columns:
        values = frame[col]
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            normal[col] = values.astype("float64").to_numpy(na_value=np.nan) + 0.0  # -0.0 hashes as 0.0
        else:
            normal[col] = values.astype(object).where(values.notna(), "\x00missing").astype(str).to_numpy()
    table = pd.DataFrame(normal, columns=list(columns))
    return pd.util.hash_pandas_object(table, index=False, categorize=False).to_numpy(dtype=np.uint64)


def sketch(frame: pd.DataFrame, columns: Sequence[str], *, k: int = SKETCH_SIZE) -> dict[str, Any]:
    """The bottom-``k`` sketch of ``frame``'s distinct rows, for a training record (no data values, only hashes)."""
    hashes = np.unique(row_hashes(frame, columns))
    return {"method": "bottom-k of 64-bit row hashes (pandas hash_pandas_object of normalised values)",
            "columns": list(columns), "rows": int(len(frame)), "distinct_rows": int(len(hashes)),
            "k": int(min(k, len(hashes))), "hashes": [f"{h:016x}" for h in hashes[:k]]}


@dataclass(frozen=True)
class Overlap:
    """How much of the training data the audit data contains, from a training record's sketch."""

    sampled: int
    found: int
    training_rows: int
    audit_rows: int
    identical: bool

    @property
    def share(self) -> float:
        """Estimated share of the (distinct) training rows present in the audit data."""
        return self.found / self.sampled if self.sampled else float("nan")

    @property
    def upper(self) -> float:
        """95 % upper bound of that share (exact binomial; the rule of three when none is found)."""
        from scipy.stats import beta

        if self.found >= self.sampled:
            return 1.0
        return float(beta.ppf(0.95, self.found + 1, self.sampled - self.found))


@dataclass(frozen=True)
class RowOverlap:
    """Which of a training sketch's sampled rows a chunk holds, and the chunk's smallest row hashes; mergeable with ``+``."""

    found: np.ndarray
    smallest: np.ndarray
    rows: int

    @classmethod
    def of(cls, frame: pd.DataFrame, fingerprint: Mapping[str, Any]) -> RowOverlap:
        """Compare one chunk with a training record's sketch (its columns must all be in ``frame``)."""
        hashes = np.unique(row_hashes(frame, fingerprint["columns"]))
        sample = np.array([int(h, 16) for h in fingerprint["hashes"]], dtype=np.uint64)
        return cls(np.isin(sample, hashes), hashes[: len(sample)], len(frame))

    def __add__(self, other: RowOverlap) -> RowOverlap:
        smallest = np.unique(np.concatenate([self.smallest, other.smallest]))[: len(self.found)]
        return RowOverlap(self.found | other.found, smallest, self.rows + other.rows)

    def result(self, fingerprint: Mapping[str, Any]) -> Overlap:
        """How much of the training data the audit data holds."""
        sample = np.sort(np.array([int(h, 16) for h in fingerprint["hashes"]], dtype=np.uint64))
        # the same distinct rows have the same k smallest hashes and the same number of rows
        identical = self.rows == fingerprint.get("rows") and bool(np.array_equal(self.smallest, sample))
        return Overlap(len(sample), int(self.found.sum()), int(fingerprint.get("rows", 0)), self.rows, identical)


def usable(record: Mapping[str, Any] | None, columns: Sequence[str]) -> Mapping[str, Any] | None:
    """The training record's row sketch, when it has one and ``columns`` hold all of its columns."""
    fp = (record or {}).get("data_fingerprint")
    if not isinstance(fp, Mapping) or not fp.get("hashes") or any(c not in columns for c in fp.get("columns", [])):
        return None
    return fp


def overlap(record: Mapping[str, Any], frame: pd.DataFrame) -> Overlap | None:
    """Compare the audit data with a training record's sketch; ``None`` when the record has none or columns are missing."""
    fp = usable(record, list(frame.columns))
    return None if fp is None else RowOverlap.of(frame, fp).result(fp)
