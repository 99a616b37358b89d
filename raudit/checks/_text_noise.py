"""Seeded rewrites of a text that should not change what it says: typos, case, punctuation, whitespace.

Each rewrite keeps the words a reader sees (the counterfactual check's identity swaps change who a
text is about; these change only how it is typed):

``typo``
    A share of the words of three or more letters get one typo each (at least one word per text):
    two neighbouring letters swapped, a letter dropped or a letter doubled, chosen at random.
``case``
    The whole text in lower case, UPPER CASE or Title Case, chosen at random per text.
``punctuation``
    Every punctuation mark removed.
``whitespace``
    Some spaces doubled (each with probability one half, at least one) and a space added at the end.

Every choice comes from the generator passed in, so the same seed gives the same texts.

Examples
--------
>>> import numpy as np
>>> rewrite("He paid, on time.", "punctuation", np.random.default_rng(0))
'He paid on time'
>>> rewrite("He paid", "whitespace", np.random.default_rng(0)).endswith(" ")
True
"""

from __future__ import annotations

import re
import string
from typing import Literal

import numpy as np

__all__ = ["TextPerturbation", "TEXT_PERTURBATIONS", "rewrite"]

TextPerturbation = Literal["typo", "case", "punctuation", "whitespace"]
#: What each rewrite does, as the report says it.
TEXT_PERTURBATIONS: dict[str, str] = {
    "typo": "typos in a share of the words (neighbouring letters swapped, a letter dropped or doubled)",
    "case": "the whole text in lower, UPPER or Title case",
    "punctuation": "punctuation removed",
    "whitespace": "spaces doubled and a trailing space",
}

_WORD = re.compile(r"[^\W\d_]{3,}")
_PUNCT = re.compile("[" + re.escape(string.punctuation) + "]")


def rewrite(text: str, how: TextPerturbation, rng: np.random.Generator, *, typo_rate: float = 0.1) -> str:
    """``text`` rewritten one way (see the module docstring), with choices drawn from ``rng``."""
    if how == "typo":
        return _typos(text, rng, typo_rate)
    if how == "case":
        return [text.lower(), text.upper(), text.title()][int(rng.integers(3))]
    if how == "punctuation":
        return _PUNCT.sub("", text)
    spaces = [m.start() for m in re.finditer(" ", text)]
    if not spaces:
        return text + " "
    double = rng.random(len(spaces)) < 0.5
    double[int(rng.integers(len(spaces)))] = True
    out = list(text)
    for at, d in zip(spaces, double):
        if d:
            out[at] = "  "
    return "".join(out) + " "


def _typos(text: str, rng: np.random.Generator, rate: float) -> str:
    words = list(_WORD.finditer(text))
    if not words:
        return text
    hit = rng.random(len(words)) < rate
    hit[int(rng.integers(len(words)))] = True
    out, last = [], 0
    for match, typo in zip(words, hit):
        out.append(text[last: match.start()])
        out.append(_typo(match.group(0), rng) if typo else match.group(0))
        last = match.end()
    out.append(text[last:])
    return "".join(out)


def _typo(word: str, rng: np.random.Generator) -> str:
    """One typo in a word of three or more letters (never the first letter, so the word stays recognisable)."""
    kind = int(rng.integers(3))
    i = int(rng.integers(1, len(word) - 1)) if kind == 0 else int(rng.integers(1, len(word)))
    if kind == 0:  # swap letters i and i + 1
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == 1:  # drop letter i
        return word[:i] + word[i + 1:]
    return word[: i + 1] + word[i] + word[i + 1:]  # double letter i
