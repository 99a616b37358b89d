"""The reviewed state of a loaded model: what its attributes will make library code *do* when raudit calls it.

The allow-list reviews how each class is built; this module reviews what was restored into it, in the
manner of skops' per-type audit, for pickles and skops files alike (after loading, before anything
is called):

- **attributes that will be called** (``func``, ``inverse_func``, a scorer's ``_score_func``, a
  vectoriser's ``tokenizer``/``preprocessor``/``analyzer``, a metric or kernel given as a function,
  callbacks): reviewed functions only (the allow-list's ``REFERENCE`` entries, NumPy/SciPy ufuncs,
  what the user allowed by name), or absent; a scorer's ``_response_method`` is one of
  ``predict``/``predict_proba``/``decision_function``;
- **attributes that name places** (``memory``: a joblib cache folder, read with the plain
  unpickler when a pipeline is refitted; a vectoriser's ``input`` other than ``"content"``, which
  opens each row as a file): empty;
- **patterns** (``token_pattern``): refused unless in the subset a backtracking engine runs without
  blowing up (:func:`check_pattern`);
- **sizes**: ``range`` objects, n-gram ranges, a curve scorer's thresholds are bounded.

Unknown state is refused with the class and the attribute. :data:`STATE_REVIEW` switches the whole
review off, for the tests that prove the jail alone contains each attack.
"""

from __future__ import annotations

import functools
import re
import types
from collections.abc import Callable
from typing import Any, Final

__all__ = ["review_state", "check_pattern", "STATE_REVIEW", "MAX_RANGE", "reviewed_function", "PATTERN_HINT", "StateError", "state_review"]

#: The tests that prove the jail alone contains an attack switch this off; nothing else does.
STATE_REVIEW = True
#: Most items a ``range`` in a model may hold: a range is lazy, but code that receives it may make a list or array of it.
MAX_RANGE: Final = 10_000_000

_FUNCTIONS: Final = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.BuiltinMethodType,
                     functools.partial, staticmethod, classmethod)
_RESPONSE_METHODS: Final = frozenset({"predict", "predict_proba", "decision_function"})
#: Attributes library code calls with the data (a FunctionTransformer's ``func``, a vectoriser's ``tokenizer``, a
#: selector's ``score_func``): a class or a callable object there is a gadget (every allowed class is callable).
_CALLED: Final = frozenset({"func", "inverse_func", "tokenizer", "preprocessor", "analyzer", "score_func", "_score_func"})
_VECTORISERS: Final = frozenset({"CountVectorizer", "TfidfVectorizer", "HashingVectorizer"})
#: A pattern raudit accepts only when shorter than this.
_MAX_PATTERN: Final = 2_000
PATTERN_HINT: Final = ("use a pattern without repeated groups that themselves repeat or alternate, backreferences or "
                       "lookaround (the default (?u)\\b\\w\\w+\\b is fine); or audit a copy with a reviewed tokenizer")


class StateError(Exception):
    """A restored attribute raudit did not review (class, attribute, why)."""


def _name(obj: Any) -> str:
    t = obj if isinstance(obj, type) else type(obj)
    return f"{t.__module__}.{t.__qualname__}"


def state_review() -> bool:
    """Whether the reviewed-state checks run (always, but in the tests that prove the jail alone is enough)."""
    return STATE_REVIEW


def reviewed_function(fn: Any, allowed: Callable[[Any], bool]) -> bool:
    """Whether ``fn`` is a function raudit reviewed: an allow-list REFERENCE, a NumPy ufunc, or one the user allowed."""
    import numpy as np

    if type(fn) is np.ufunc:
        return True
    if isinstance(fn, functools.partial):
        return reviewed_function(fn.func, allowed) and not any(callable(a) and not isinstance(a, type)
                                                                for a in (*fn.args, *(fn.keywords or {}).values()))
    from raudit.load.pickle.allowlist import REFERENCE, by_name

    module, qualname = getattr(fn, "__module__", None), getattr(fn, "__qualname__", None)
    if isinstance(module, str) and isinstance(qualname, str):
        entry = by_name(module, qualname)
        if entry is not None and entry.kind == REFERENCE:
            import importlib

            target: Any = importlib.import_module(entry.identity[0])
            for part in entry.identity[1].split("."):
                target = getattr(target, part, None)
            if target is fn:
                return True
    return allowed(fn)


def _functions(value: Any, depth: int = 0) -> list[Any]:
    """Functions held by an attribute value, directly or in the dicts, lists and tuples it holds (not in other objects)."""
    if isinstance(value, _FUNCTIONS):
        return [value]
    if depth > 3:
        return []
    items: Any = ()
    if type(value) in (list, tuple, set, frozenset):
        items = value
    elif type(value) is dict:
        items = [*value.keys(), *value.values()]
    return [f for item in items for f in _functions(item, depth + 1)]


# ---------------------------------------------------------------------------------------------- patterns

def check_pattern(pattern: Any, where: str) -> None:
    """Refuse a regular expression a backtracking engine can take exponential time on.

    Accepted: literals, character classes, anchors, groups, alternation outside repetition, and
    repetition of single characters or of groups without repetition or alternation inside (a group
    that repeats at most once may hold both). Refused: repeated groups that themselves repeat or
    alternate (``(a+)+``, ``(a|a)*``: the classic catastrophic backtracking), backreferences,
    lookaround and conditionals (which can hide the same), and patterns over 2,000 characters.

    Raises
    ------
    StateError
        Naming ``where`` and the construct.
    """
    if pattern is None:
        return
    if not isinstance(pattern, str) or len(pattern) > _MAX_PATTERN:
        raise StateError(f"{where} is not a pattern of at most {_MAX_PATTERN:,} characters")
    from re import _constants as C  # type: ignore[attr-defined]
    from re import _parser as P  # type: ignore[attr-defined]

    try:
        parsed = P.parse(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        raise StateError(f"{where} {pattern!r} does not compile: {exc}") from None
    single = {C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN, C.CATEGORY}
    repeats = {C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", C.MAX_REPEAT)}

    def risky(items: Any) -> bool:  # holds a repeat or an alternation
        for op, av in items:
            if op in repeats or op is C.BRANCH:
                return True
            if op is C.SUBPATTERN and risky(av[3]):
                return True
            if op is getattr(C, "ATOMIC_GROUP", None) and risky(av):
                return True
        return False

    def walk(items: Any) -> None:
        for op, av in items:
            if op in single or op is C.AT:
                continue
            if op is C.SUBPATTERN:
                walk(av[3])
            elif op is C.BRANCH:
                for alternative in av[1]:
                    walk(alternative)
            elif op is getattr(C, "ATOMIC_GROUP", None):
                walk(av)
            elif op in repeats:
                lo, hi, sub = av
                if hi > 1 and not (len(sub) == 1 and sub[0][0] in single) and risky(sub):
                    raise StateError(f"{where} {pattern!r} repeats a group that itself repeats or alternates: a "
                                     "backtracking engine can take exponential time on ordinary text")
                walk(sub)
            else:
                raise StateError(f"{where} {pattern!r} uses {str(op).lower()} (a backreference, lookaround or "
                                 "conditional), which raudit does not accept in a model's pattern")

    walk(parsed)


# ---------------------------------------------------------------------------------------------- per class

def _vectoriser(cls: str, d: dict[str, Any]) -> None:
    if d.get("input", "content") != "content":
        raise StateError(f"{cls}.input is {d['input']!r}: the vectoriser would open each row's text as a file path")
    analyzer = d.get("analyzer", "word")
    if isinstance(analyzer, str) and analyzer not in ("word", "char", "char_wb"):
        raise StateError(f"{cls}.analyzer is {analyzer!r}, not word, char or char_wb")
    check_pattern(d.get("token_pattern"), f"{cls}.token_pattern")
    ngrams = d.get("ngram_range", (1, 1))
    if not (isinstance(ngrams, tuple) and len(ngrams) == 2 and all(type(n) is int for n in ngrams)
            and 1 <= ngrams[0] <= ngrams[1] <= 16):
        raise StateError(f"{cls}.ngram_range is {ngrams!r}, not (a, b) with 1 ≤ a ≤ b ≤ 16")
    for key, choices in (("decode_error", ("strict", "ignore", "replace")), ("strip_accents", (None, "ascii", "unicode"))):
        value = d.get(key, choices[0])
        if isinstance(value, str) or value is None:
            if value not in choices:
                raise StateError(f"{cls}.{key} is {value!r}, not one of {choices}")
    encoding = d.get("encoding", "utf-8")
    if not (isinstance(encoding, str) and len(encoding) <= 64):
        raise StateError(f"{cls}.encoding is not an encoding name")


def _scorer(cls: str, d: dict[str, Any]) -> None:  # size: one rule per scorer field a scorer calls or passes on
    import numpy as np

    method = d.get("_response_method", "predict")
    methods = tuple(method) if isinstance(method, (tuple, list)) else (method,)
    if not methods or not all(isinstance(m, str) and m in _RESPONSE_METHODS for m in methods):
        raise StateError(f"{cls}._response_method is {method!r}: a scorer may call only predict, predict_proba or "
                         "decision_function (it calls getattr(estimator, this))")
    if d.get("_sign", 1) not in (1, -1):
        raise StateError(f"{cls}._sign must be 1 or -1")
    kwargs = d.get("_kwargs", {})
    if type(kwargs) is not dict or not all(type(k) is str for k in kwargs):
        raise StateError(f"{cls}._kwargs must be a dict of keyword arguments")
    thresholds = d.get("_thresholds")
    if thresholds is not None:
        if isinstance(thresholds, np.ndarray):
            ok = thresholds.ndim == 1 and thresholds.size <= 10_000 and thresholds.dtype.kind == "f"
        else:
            ok = type(thresholds) is int and 1 <= thresholds <= 10_000
        if not ok:
            raise StateError(f"{cls}._thresholds must be at most 10,000 thresholds")


# size: one rule per kind of state that will be called, names a place, is a pattern or a size
def review_state(obj: Any, allowed: Callable[[Any], bool]) -> None:
    """Review what one loaded object holds (see the module docstring).

    Raises
    ------
    StateError
        Naming the class, the attribute and why.
    """
    if type(obj) is range:
        if len(obj) > MAX_RANGE:
            raise StateError(f"a range of {len(obj):,} items (more than {MAX_RANGE:,}) would be materialised when the model "
                             "predicts")
        return
    module = type(obj).__module__
    if not module.startswith(("sklearn.", "xgboost.", "lightgbm.", "skorch.")):
        return
    d = getattr(obj, "__dict__", None)
    if type(d) is not dict:
        return
    cls = _name(obj)
    for key, value in d.items():
        for fn in _functions(value):
            if not reviewed_function(fn, allowed):
                what = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', type(fn).__name__)}"
                raise StateError(f"{cls}.{key} holds the function {what}, which raudit has not reviewed: it would run when "
                                 "the audit calls the model")
        if key in _CALLED and value is not None and not isinstance(value, (str, *_FUNCTIONS)) and not reviewed_function(value, allowed):
            raise StateError(f"{cls}.{key} holds a {_name(value)}, which the model would call: only a reviewed function "
                             "(or nothing) may be called there")
        if key == "memory" and value is not None:
            raise StateError(f"{cls}.memory is {value!r}: a cache folder, read with the plain unpickler when the model is "
                             "refitted; a model file must not name a place")
    short = type(obj).__qualname__
    if short in _VECTORISERS:
        _vectoriser(cls, d)
    elif module == "sklearn.metrics._scorer" or short in ("_CurveScorer",):
        _scorer(cls, d)
