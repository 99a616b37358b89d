"""Identity-term swap lists and the word-boundary, case-preserving substitution the counterfactual check applies.

Each list pairs terms of two sides, position by position. A text is swapped
whole: every listed term of either side becomes its counterpart ("He said his
wife" → "She said her husband"), and the text counts in the direction of the
side most of its listed terms belong to. A single term pair swaps that term
alone ("he" → "she"). Where one term
has two counterparts (``her`` is both ``his`` and ``him``), the first listed
pair decides the way back, and the counterfactual text may read oddly
("saw his"): it still names the other identity, which is what is tested.

Sources
-------
``gender``
    Gendered pronouns, nouns and titles, curated for raudit in the manner of
    the pair lists of counterfactual data augmentation (Lu et al., 2018,
    "Gender Bias in Neural Natural Language Processing"; Zhao et al., 2018,
    WinoBias). ``Mr`` becomes ``Ms`` (not ``Mrs``), which says nothing of
    marital status; ``Mrs`` and ``Ms`` both become ``Mr``.
``names_sex`` and ``names_race``
    The 36 first names of Bertrand & Mullainathan (2004), "Are Emily and Greg
    More Employable than Lakisha and Jamal? A Field Experiment on Labor Market
    Discrimination", American Economic Review 94(4), Table 8: nine
    distinctively White and nine distinctively African-American names of each
    sex, chosen by the authors from Massachusetts birth certificates.
    ``names_sex`` swaps female and male names within the same racial
    association; ``names_race`` swaps White- and African-American-associated
    names within the same sex. Some names are also ordinary words or places
    ("Kenya", "Jay", "Brad"): a text using them so is changed too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

__all__ = ["SwapList", "BUILTIN", "swap_text", "case_like", "majority_side"]


@dataclass(frozen=True)
class SwapList:
    """Aligned term pairs of two sides.

    Attributes
    ----------
    name : str
    sides : tuple of (str, str)
        How the two sides are called in the report.
    pairs : tuple of (str, str)
        ``(term of side 0, counterpart of side 1)``.
    source : str
    """

    name: str
    sides: tuple[str, str]
    pairs: tuple[tuple[str, str], ...]
    source: str

    def mapping(self, direction: int) -> dict[str, str]:
        """Lower-cased term → replacement for direction 0 (side 0 → side 1) or 1; the first pair wins for a repeated term."""
        out: dict[str, str] = {}
        for pair in self.pairs:
            src, dst = (pair[0], pair[1]) if direction == 0 else (pair[1], pair[0])
            out.setdefault(src.lower(), dst)
        return out

    def both(self) -> dict[str, str]:
        """Both directions at once (a full swap: "his wife" → "her husband"); a term on both sides keeps side 0's counterpart."""
        return {**self.mapping(1), **self.mapping(0)}

    def side_of(self, term: str) -> int:
        """0 or 1: the side a (lower-cased) term belongs to (side 0 when it is on both)."""
        return 0 if term in self.mapping(0) else 1

    def label(self, direction: int) -> str:
        """E.g. ``"masculine → feminine"``."""
        a, b = self.sides if direction == 0 else self.sides[::-1]
        return f"{a} → {b}"


def _pairs(left: str, right: str) -> tuple[tuple[str, str], ...]:
    a, b = left.split(), right.split()
    assert len(a) == len(b), (a, b)
    return tuple(zip(a, b))


_WHITE_F = "Emily Anne Jill Allison Sarah Meredith Laurie Carrie Kristen"
_WHITE_M = "Neil Geoffrey Brett Brendan Greg Todd Matthew Jay Brad"
_BLACK_F = "Aisha Keisha Tamika Lakisha Tanisha Latoya Kenya Latonya Ebony"
_BLACK_M = "Rasheed Tremayne Kareem Darnell Tyrone Jamal Hakim Leroy Jermaine"

BUILTIN: dict[str, SwapList] = {
    "gender": SwapList(
        "gender", ("masculine", "feminine"),
        _pairs("he his him himself his man men boy boys male males father fathers dad son sons brother brothers "
               "husband husbands boyfriend mr mr sir gentleman gentlemen uncle nephew grandfather grandson king prince "
               "widower stepfather stepson businessman chairman spokesman policeman",
               "she her her herself hers woman women girl girls female females mother mothers mom daughter daughters "
               "sister sisters wife wives girlfriend ms mrs madam lady ladies aunt niece grandmother granddaughter queen "
               "princess widow stepmother stepdaughter businesswoman chairwoman spokeswoman policewoman"),
        "gendered pronouns, nouns and titles curated for raudit after the pair lists of Lu et al. (2018) and Zhao et al. (2018)"),
    "names_sex": SwapList(
        "names_sex", ("male names", "female names"),
        _pairs(f"{_WHITE_M} {_BLACK_M}", f"{_WHITE_F} {_BLACK_F}"),
        "first names of Bertrand & Mullainathan (2004), Table 8; swapped within the same racial association"),
    "names_race": SwapList(
        "names_race", ("White-associated names", "African-American-associated names"),
        _pairs(f"{_WHITE_F} {_WHITE_M}", f"{_BLACK_F} {_BLACK_M}"),
        "first names of Bertrand & Mullainathan (2004), Table 8; swapped within the same sex"),
}


def case_like(source: str, replacement: str) -> str:
    """Write ``replacement`` in the case of ``source``: ``HE`` → ``SHE``, ``He`` → ``She``, ``he`` → ``she``.

    Examples
    --------
    >>> case_like("His", "her"), case_like("MR", "ms"), case_like("emily", "Neil")
    ('Her', 'MS', 'neil')
    """
    if len(source) > 1 and source.isupper():
        return replacement.upper()
    if source[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement.lower()


@dataclass(frozen=True)
class _Pattern:
    mapping: tuple[tuple[str, str], ...]

    @cached_property
    def regex(self) -> re.Pattern[str]:
        terms = sorted((t for t, _ in self.mapping), key=len, reverse=True)
        return re.compile(r"\b(" + "|".join(re.escape(t) for t in terms) + r")\b", re.IGNORECASE)


_CACHE: dict[tuple[tuple[str, str], ...], _Pattern] = {}


def _pattern(mapping: dict[str, str]) -> re.Pattern[str]:
    key = tuple(sorted(mapping.items()))
    pattern = _CACHE.get(key)
    if pattern is None:
        pattern = _CACHE.setdefault(key, _Pattern(key))
    return pattern.regex


def majority_side(text: str, swap_list: SwapList) -> int:
    """The side (0 or 1) most of the listed terms in ``text`` belong to; a tie goes to the first term's side; -1 for none.

    Examples
    --------
    >>> majority_side("She met him and his father", BUILTIN["gender"]), majority_side("no one", BUILTIN["gender"])
    (0, -1)
    """
    sides = [swap_list.side_of(m.group(0).lower()) for m in _pattern(swap_list.both()).finditer(text)]
    if not sides:
        return -1
    ones = sum(sides)
    return sides[0] if 2 * ones == len(sides) else int(2 * ones > len(sides))


def swap_text(text: str, mapping: dict[str, str]) -> tuple[str, int]:
    """Replace every listed term (whole words, any case) by its counterpart in the source's case, in one pass.

    Returns the new text and the number of replacements.

    Examples
    --------
    >>> swap_text("He said his wife, Mrs Smith, saw HIM.", BUILTIN["gender"].both())
    ('She said her husband, Mr Smith, saw HER.', 5)
    >>> swap_text("He said his wife saw him.", BUILTIN["gender"].mapping(0))
    ('She said her wife saw her.', 3)
    >>> swap_text("The shepherd", {"he": "she"})
    ('The shepherd', 0)
    """
    return _pattern(mapping).subn(lambda m: case_like(m.group(0), mapping[m.group(0).lower()]), text)
