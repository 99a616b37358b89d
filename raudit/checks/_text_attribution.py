"""Token attributions for text models: SHAP's Partition explainer over a text masker, LIME's text explainer, words.

The attribution record (STYLE.md §5), for texts whose token counts differ:
``tokens[i]`` and ``values[i]`` are parallel arrays of shape ``(n_tokens_i,)``
for explained row ``i``; ``base`` and ``output`` have shape ``(n_rows,)``, and
``output`` is the model output computed independently of shap, so additivity
(``values[i].sum() + base[i] == output[i]``) can be checked.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["TokenAttribution", "explain_tokens", "words", "lime_words", "row_function"]

_WORD = re.compile(r"\w", re.UNICODE)


@dataclass(frozen=True)
class TokenAttribution:
    """SHAP values per token for a set of texts.

    Attributes
    ----------
    rows : ndarray of shape (n_rows,)
        Row positions in the audited data.
    tokens : tuple of ndarray of str
        Per row, the text pieces as the masker split them (shape ``(n_tokens_i,)``).
    values : tuple of ndarray of float
        Per row, one SHAP value per piece (shape ``(n_tokens_i,)``).
    base : ndarray of shape (n_rows,)
        The output with every piece masked.
    output : ndarray of shape (n_rows,)
        The model output on the whole text, computed independently of shap.
    output_space : str
    method : str
    """

    rows: np.ndarray
    tokens: tuple[np.ndarray, ...]
    values: tuple[np.ndarray, ...]
    base: np.ndarray
    output: np.ndarray
    output_space: str
    method: str

    @property
    def additivity_errors(self) -> np.ndarray:
        """``|sum(values) + base - output|`` per row."""
        return np.array([abs(v.sum() + b - o) for v, b, o in zip(self.values, self.base, self.output)])


def row_function(model: Any, X: pd.DataFrame, row: int, column: str, class_index: int, *, log_odds: bool) -> Callable[[Any], np.ndarray]:
    """The explained output as a function of texts put in ``column`` of row ``row`` (the row's other columns kept)."""
    template = X.iloc[[row]]

    def f(texts: Any) -> np.ndarray:
        texts = [str(t) for t in np.asarray(texts, dtype=object).reshape(-1)]
        frame = template.loc[template.index.repeat(len(texts))].reset_index(drop=True)
        frame[column] = texts
        p = np.asarray(model.predict_proba(frame), dtype=float)[:, class_index]
        if log_odds:
            p = np.clip(p, 1e-12, 1 - 1e-12)
            return np.log(p / (1 - p))
        return p

    return f


def _masker(model: Any) -> tuple[Any, str]:
    """SHAP's text masker: the model's own tokenizer when it has one (Hugging Face), else words split on non-word characters."""
    from raudit.checks._attribution import _import_shap

    shap = _import_shap()
    tokenizer = getattr(model, "tokenizer", None)
    if tokenizer is not None:
        return shap.maskers.Text(tokenizer), f"the model's tokenizer ({type(tokenizer).__name__}), masked with its mask token"
    return shap.maskers.Text(r"\W+"), "words (split on non-word characters), masked with '...'"


def explain_tokens(model: Any, X: pd.DataFrame, rows: Sequence[int] | np.ndarray, column: str, class_index: Sequence[int], *,
                   log_odds: bool, label: str, max_evals: int, batch_size: int = 64) -> TokenAttribution:
    """SHAP values per token of ``column`` for the given rows (Partition explainer over a text masker).

    Parameters
    ----------
    model : ModelAdapter
    X : DataFrame
        The model's input columns.
    rows : sequence of int
        Row positions to explain.
    column : str
        The text column.
    class_index : sequence of int
        Per row, the class whose probability (or log-odds) is explained.
    log_odds : bool
        Explain log-odds instead of the probability.
    label : str
        How the explained class is named in the report.
    max_evals : int
        Model evaluations per text (SHAP's budget; more refines the hierarchy, additivity holds at any budget).
    """
    from raudit.checks._attribution import _import_shap

    shap = _import_shap()
    masker, how = _masker(model)
    tokens, values, base, output = [], [], [], []
    for row, ci in zip(rows, class_index):
        f = row_function(model, X, int(row), column, int(ci), log_odds=log_odds)
        text = str(X[column].iloc[int(row)]) if pd.notna(X[column].iloc[int(row)]) else ""
        explainer = shap.PartitionExplainer(f, masker)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exp = explainer([text], max_evals=max_evals, batch_size=batch_size, silent=True)
        tokens.append(np.asarray(exp.data[0], dtype=object).astype(str))
        values.append(np.asarray(exp.values[0], dtype=float).reshape(-1))
        base.append(float(np.asarray(exp.base_values).reshape(-1)[0]))
        output.append(float(f([text])[0]))
    space = f"{'log-odds' if log_odds else 'probability'} of {label}"
    return TokenAttribution(np.asarray(rows, dtype=int), tuple(tokens), tuple(values), np.array(base), np.array(output), space,
                            f"shap.PartitionExplainer over a text masker on {how}; max_evals={max_evals}")


def words(tokens: np.ndarray, values: np.ndarray) -> list[tuple[str, float]]:
    """Join sub-word pieces into words (a piece ending in whitespace closes a word), summing their values.

    Words are lower-cased; pieces with no letter or digit (punctuation, special tokens) are dropped.

    Examples
    --------
    >>> words(np.array(["", "The ", "app", "licant ", "paid", ". "]), np.array([0.0, 0.1, 0.2, 0.3, 0.4, 0.5]))
    [('the', 0.1), ('applicant', 0.5), ('paid', 0.4)]
    """
    out: list[tuple[str, float]] = []
    text, value = "", 0.0

    def close() -> None:
        word = re.sub(r"^\W+|\W+$", "", text.strip()).lower()
        if word and _WORD.search(word):
            out.append((word, value))

    for piece, v in zip(tokens, values):
        piece = str(piece)
        if (piece[:1].isspace() or not _WORD.search(piece)) and text:
            close()
            text, value = "", 0.0
        if not _WORD.search(piece):  # punctuation and special tokens: not a word
            continue
        text += piece
        value += float(v)
        if piece[-1:].isspace():
            close()
            text, value = "", 0.0
    close()
    return out


def word_totals(pairs: list[tuple[str, float]]) -> dict[str, float]:
    """Sum of the values of each word in one text."""
    out: dict[str, float] = {}
    for w, v in pairs:
        out[w] = out.get(w, 0.0) + v
    return out


def lime_words(model: Any, X: pd.DataFrame, row: int, column: str, class_index: int, class_names: list[str], *, seed: int,
               samples: int, num_features: int = 10) -> dict[str, float]:
    """LIME text weights (bag of words) toward the probability of ``class_index`` for one row."""
    from lime.lime_text import LimeTextExplainer

    prob = row_function(model, X, row, column, class_index, log_odds=False)

    def classifier_fn(texts: list[str]) -> np.ndarray:
        p = prob(texts)
        return np.column_stack([1 - p, p])

    explainer = LimeTextExplainer(class_names=["other", class_names[class_index]], random_state=seed, bow=True,
                                  split_expression=r"\W+")
    text = str(X[column].iloc[row]) if pd.notna(X[column].iloc[row]) else ""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exp = explainer.explain_instance(text, classifier_fn, labels=(1,), num_features=num_features, num_samples=samples)
    out: dict[str, float] = {}
    for w, v in exp.as_list(label=1):
        out[str(w).lower()] = out.get(str(w).lower(), 0.0) + float(v)
    return out
