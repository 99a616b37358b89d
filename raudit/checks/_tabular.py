"""Raw tabular columns as a numeric matrix and back (for SHAP's model-agnostic path and LIME).

Text and categorical columns become integer codes; ``decode`` turns a code
matrix back into a DataFrame with the original dtypes, so the model always
sees the data the way it was trained.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["TabularCodec"]


@dataclass(frozen=True)
class TabularCodec:
    """Encode a DataFrame's categorical columns as integer codes.

    Attributes
    ----------
    columns : tuple of str
    categories : dict of int to ndarray
        For each categorical column index, its categories (code ``k`` is
        ``categories[i][k]``). A column with missing values gets ``None`` as
        its last category, so missing is a category of its own; code ``-1``
        is a value never seen when fitting.
    dtypes : dict of str to dtype
    """

    columns: tuple[str, ...]
    categories: dict[int, np.ndarray]
    dtypes: dict[str, Any]

    @classmethod
    def fit(cls, X: pd.DataFrame) -> TabularCodec:
        """Learn the categories of every non-numeric column of ``X``."""
        cats = {}
        for i, c in enumerate(X.columns):
            if not pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c]):
                values = sorted(X[c].dropna().unique().tolist(), key=str)
                cats[i] = np.array(values + ([None] if X[c].isna().any() else []), dtype=object)
        return cls(tuple(X.columns), cats, {c: X[c].dtype for c in X.columns})

    @property
    def categorical_indices(self) -> list[int]:
        """Indices of the encoded (categorical) columns."""
        return sorted(self.categories)

    def encode(self, X: pd.DataFrame) -> np.ndarray:
        """Return a float matrix; categories become their codes (unknown/missing: -1)."""
        out = np.empty((len(X), len(self.columns)), dtype=float)
        for i, c in enumerate(self.columns):
            if i in self.categories:
                lookup = {v: k for k, v in enumerate(self.categories[i].tolist()) if v is not None}
                missing = len(self.categories[i]) - 1 if self.categories[i][-1] is None else -1
                out[:, i] = [missing if pd.isna(v) else lookup.get(v, -1) for v in X[c].tolist()]
            else:
                out[:, i] = X[c].to_numpy(dtype=float, na_value=np.nan)
        return out

    def decode(self, codes: np.ndarray) -> pd.DataFrame:
        """Return the DataFrame a code matrix stands for (codes are rounded to the nearest category)."""
        codes = np.atleast_2d(codes)
        data: dict[str, Any] = {}
        for i, c in enumerate(self.columns):
            if i in self.categories:
                cats = self.categories[i]
                k = np.clip(np.rint(codes[:, i]).astype(int), -1, len(cats) - 1)
                values = np.where(k >= 0, cats[np.maximum(k, 0)], None)
                data[c] = pd.Series(values, dtype=object).astype(self.dtypes[c]) if str(self.dtypes[c]) != "object" else values
            else:
                col = codes[:, i]
                if pd.api.types.is_integer_dtype(self.dtypes[c]) and not np.isnan(col).any():
                    data[c] = np.rint(col).astype(self.dtypes[c])
                else:
                    data[c] = col
        return pd.DataFrame(data, columns=list(self.columns))
