"""What raudit checks before it runs a reviewed constructor or reconstructor, and after a model is loaded.

The allow-list (:mod:`raudit.load.pickle.allowlist`) says *which* globals a pickle may
use; this module says *how*: for every ``CALL`` class and ``FUNCTION``
reconstructor, a check of the arguments a pickle passes (so ``bytearray(n)``
cannot allocate gigabytes, ``newObj(cls)`` cannot instantiate any class,
``getattr`` is only ever scipy's bound-method case); the safe rebuild of
scipy.stats distributions; and the checks of a loaded object graph (nesting
depth, shared-reference blow-up, and the node indices of decision trees,
whose compiled predict code trusts them).

A check raises :class:`Bad` with a sentence that ends up in the refusal.
"""

from __future__ import annotations

import inspect
import math
import types
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

from raudit.load.pickle import state
from raudit.load.pickle.state import MAX_RANGE, StateError, review_state

__all__ = ["Bad", "CALL_CHECKS", "RECONSTRUCTORS", "check_hashable", "HashCosts", "check_loaded", "rebuild_distribution", "Ctx",
           "MAX_RANGE", "nothing_allowed", "check_booster_state", "state_review_on"]

_INT_MAX: Final = 2**63 - 1


class Bad(Exception):
    """An argument or a state that the reviewed code was not reviewed for."""


class Ctx:
    """What a check may ask the loader: whether an object is an allowed class (of a given table section)."""

    def allowed_class(self, obj: Any, *, section: str | None = None) -> bool:  # pragma: no cover - interface
        """Whether ``obj`` is a class of the allow-list (of ``section``: "distributions", "dist_metrics", "reference")."""
        raise NotImplementedError

    def allowed_reference(self, obj: Any) -> bool:  # pragma: no cover - interface
        """Whether ``obj`` is a resolved REFERENCE function of the allow-list."""
        raise NotImplementedError

    def real(self, obj: Any) -> Any:  # pragma: no cover - interface
        """The reviewed function behind a wrapper the loader handed out, or ``obj``."""
        raise NotImplementedError

    def hand_out(self, fn: Callable[..., Any], name: str) -> Callable[..., Any]:  # pragma: no cover - interface
        """Let the pickle call ``fn`` (a checked reconstructor a reviewed reconstructor returned)."""
        raise NotImplementedError


def _name(obj: Any) -> str:
    if isinstance(obj, type):
        return f"{obj.__module__}.{obj.__qualname__}"
    return f"{type(obj).__module__}.{type(obj).__qualname__} object"


def _int(v: Any, what: str, lo: int = 0, hi: int = _INT_MAX) -> int:
    import numpy as np

    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not lo <= int(v) <= hi:
        raise Bad(f"{what} must be an integer in [{lo}, {hi}], got {_short(v)}")
    return int(v)


def _short(v: Any) -> str:
    text = repr(v) if isinstance(v, (str, bytes, int, float, type(None), bool)) else f"a {_name(v)}"
    return text if len(text) <= 80 else text[:77] + "..."


def _nargs(args: tuple[Any, ...], lo: int, hi: int, what: str) -> None:
    if not lo <= len(args) <= hi:
        raise Bad(f"{what} takes {lo}-{hi} arguments here, got {len(args)}")


def _plain(v: Any) -> bool:
    return v is None or isinstance(v, (bool, int, float, str)) and (not isinstance(v, str) or len(v) <= 1000)


# ---------------------------------------------------------------------------------------------- hashing bombs

class HashCosts:
    """What hashing each dict key or set item costs, computed once per object: O(1) amortised per use.

    Tuples and frozensets hash every element, recursively and without a cache: ``t0 = (); t1 =
    (t0, t0); ...`` is ~4 bytes of pickle per level and 2**depth work to hash, and one key of
    8,191 elements set 10 million times is hours of hashing. Each object's cost (1 + its elements'
    costs) is computed once, from its elements' remembered costs; the unpickler charges it against
    the opcode budget at every use. The objects are kept alive so their ids stay theirs.
    """

    def __init__(self, *, limit: int = 10_000) -> None:
        self.limit = limit
        self._cost: dict[int, int] = {}
        self._keep: list[Any] = []

    def cost(self, key: Any) -> int:
        """The hash cost of ``key`` (1 for anything hashed by identity or by its class)."""
        if type(key) not in (tuple, frozenset):
            return 1
        known = self._cost.get(id(key))
        if known is not None:
            return known
        todo: list[tuple[Any, bool]] = [(key, False)]
        while todo:
            item, ready = todo.pop()
            if id(item) in self._cost:
                continue
            inner = [x for x in item if type(x) in (tuple, frozenset)]
            if not ready:
                todo.append((item, True))
                todo.extend((x, False) for x in inner if id(x) not in self._cost)
                continue
            total = 1 + len(item) - len(inner) + sum(self._cost[id(x)] for x in inner)
            if total > self.limit:
                raise Bad(f"a dict key or set item nests more than {self.limit:,} tuples/frozensets (a hash bomb)")
            self._cost[id(item)] = total
            self._keep.append(item)
        return self._cost[id(key)]


def check_hashable(key: Any, *, limit: int = 10_000, costs: HashCosts | None = None) -> int:
    """Refuse a dict key or set item whose hash would visit more than ``limit`` nested items; return its cost.

    With ``costs`` (one per load) each object is walked once (see :class:`HashCosts`).
    """
    return (costs or HashCosts(limit=limit)).cost(key)


# ---------------------------------------------------------------------------------------------- constructors (CALL)

def _set_like(cls: type) -> Callable[[Ctx, tuple[Any, ...]], None]:
    def check(ctx: Ctx, args: tuple[Any, ...]) -> None:
        _nargs(args, 0, 1, cls.__name__)
        if args:
            if type(args[0]) not in (list, tuple):
                raise Bad(f"{cls.__name__}() of {_short(args[0])}: only a list or tuple of items")
            costs = getattr(ctx, "hashes", None)
            ctx_charge = getattr(ctx, "charge", None)
            total = sum(check_hashable(item, costs=costs) for item in args[0])
            if ctx_charge is not None:
                ctx_charge(total)
    return check


def _slice_or_range(ctx: Ctx, args: tuple[Any, ...]) -> None:
    _nargs(args, 1, 3, "slice/range")
    for a in args:
        if a is not None:
            _int(a, "slice/range bounds", -_INT_MAX, _INT_MAX)
    if state.STATE_REVIEW and all(a is not None for a in args) and len(range(*(int(a) for a in args))) > MAX_RANGE:
        raise Bad(f"range{tuple(int(a) for a in args)} holds more than {MAX_RANGE:,} items (it would be materialised "
                  "when the model predicts)")


def _complex(ctx: Ctx, args: tuple[Any, ...]) -> None:
    _nargs(args, 0, 2, "complex")
    if not all(isinstance(a, (int, float)) for a in args):
        raise Bad("complex() takes numbers only")


_CODECS: Final = frozenset({"latin1", "latin-1", "ascii", "utf-8", "utf8"})


def _bytes_like(what: str) -> Callable[[Ctx, tuple[Any, ...]], None]:
    def check(ctx: Ctx, args: tuple[Any, ...]) -> None:
        _nargs(args, 0, 2, what)
        if not args:
            return
        first = args[0]
        if len(args) == 2:
            if not isinstance(first, str) or args[1] not in _CODECS:
                raise Bad(f"{what}(str, encoding) with a latin1/ascii/utf-8 encoding only")
            return
        if isinstance(first, (bytes, bytearray)):
            return
        if type(first) is list and len(first) <= 1 << 20 and all(type(b) is int and 0 <= b < 256 for b in first):
            return
        raise Bad(f"{what}({_short(first)}): only bytes, a list of byte values or (str, encoding); never a size")
    return check


def _ordered_dict(ctx: Ctx, args: tuple[Any, ...]) -> None:
    _nargs(args, 0, 1, "OrderedDict")
    if args:
        if type(args[0]) is not list or not all(type(p) in (list, tuple) and len(p) == 2 for p in args[0]):
            raise Bad("OrderedDict() takes only a list of (key, value) pairs")
        for key, _ in args[0]:
            check_hashable(key, costs=getattr(ctx, "hashes", None))


def _defaultdict(ctx: Ctx, args: tuple[Any, ...]) -> None:
    _nargs(args, 0, 1, "defaultdict")
    from collections import OrderedDict

    if args and args[0] not in (None, list, dict, set, int, float, tuple, str, OrderedDict):
        raise Bad(f"defaultdict({_short(args[0])}): its factory must be a builtin container or number type")


def _partial(ctx: Ctx, args: tuple[Any, ...]) -> None:
    _nargs(args, 1, 1, "functools.partial")
    if not ctx.allowed_reference(args[0]):
        raise Bad(f"functools.partial({_short(args[0])}): only of a reviewed REFERENCE function")


def check_partial_state(ctx: Ctx, state: Any) -> None:
    """A ``functools.partial`` state: ``(func, args, keywords, namespace)`` around a reviewed function."""
    if type(state) is not tuple or len(state) != 4:
        raise Bad("functools.partial state must be (func, args, keywords, namespace)")
    func, fargs, kwds, ns = state
    if not ctx.allowed_reference(func):
        raise Bad(f"functools.partial of {_short(func)}: only of a reviewed REFERENCE function")
    if type(fargs) is not tuple or (kwds is not None and type(kwds) is not dict) or (ns is not None and type(ns) is not dict):
        raise Bad("functools.partial state has the wrong types")
    if kwds and not all(type(k) is str for k in kwds):
        raise Bad("functools.partial keywords must be strings")


def _dtype(ctx: Ctx, args: tuple[Any, ...]) -> None:
    import numpy as np

    _nargs(args, 1, 3, "numpy.dtype")
    first = args[0]
    if isinstance(first, str):
        if len(first) > 64:
            raise Bad("numpy.dtype() of an over-long type string")
    elif not (isinstance(first, type) and issubclass(first, np.generic) and ctx.allowed_class(first)):
        raise Bad(f"numpy.dtype({_short(first)}): only a type string or an allowed NumPy scalar type")
    if not all(isinstance(a, bool) for a in args[1:]):
        raise Bad("numpy.dtype() flags must be booleans")


def _tree(ctx: Ctx, args: tuple[Any, ...]) -> None:
    import numpy as np

    _nargs(args, 3, 3, "sklearn.tree._tree.Tree")
    n_features, n_classes, n_outputs = args
    _int(n_features, "Tree n_features", 1, 2**31 - 1)
    _int(n_outputs, "Tree n_outputs", 1, 2**20)
    if not isinstance(n_classes, np.ndarray) or n_classes.ndim != 1 or n_classes.dtype.kind not in "iu" \
            or len(n_classes) != int(n_outputs) or (len(n_classes) and (n_classes.min() < 1 or n_classes.max() > 2**31 - 1)):
        raise Bad("Tree n_classes must be one positive integer per output")


def _numbers(most: int, what: str) -> Callable[[Ctx, tuple[Any, ...]], None]:
    def check(ctx: Ctx, args: tuple[Any, ...]) -> None:
        _nargs(args, 0, most, what)
        if not all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in args):
            raise Bad(f"{what} takes numbers only")
    return check


def _string_dtype(ctx: Ctx, args: tuple[Any, ...]) -> None:
    _nargs(args, 0, 2, "pandas.StringDtype")
    if args and not (args[0] is None or isinstance(args[0], str)):
        raise Bad("StringDtype storage must be a string")
    if len(args) == 2:
        import pandas as pd

        if not (args[1] is pd.NA or isinstance(args[1], float)):
            raise Bad("StringDtype na_value must be pd.NA or NaN")


def _block_manager(ctx: Ctx, args: tuple[Any, ...]) -> None:
    _nargs(args, 0, 3, "BlockManager")
    if args and (type(args[0]) not in (tuple, list) or (len(args) > 1 and type(args[1]) is not list)):
        raise Bad("BlockManager(blocks, axes) takes a tuple of blocks and a list of indexes")


def _datetime(size: int, what: str) -> Callable[[Ctx, tuple[Any, ...]], None]:
    def check(ctx: Ctx, args: tuple[Any, ...]) -> None:
        import datetime

        _nargs(args, 1, 2, what)
        if not isinstance(args[0], bytes) or len(args[0]) != size:
            raise Bad(f"{what}() takes its {size}-byte pickled form")
        if len(args) == 2 and not isinstance(args[1], datetime.timezone):
            raise Bad(f"{what}() time zone must be a fixed-offset datetime.timezone")
    return check


def _timezone(ctx: Ctx, args: tuple[Any, ...]) -> None:
    import datetime

    _nargs(args, 1, 2, "datetime.timezone")
    if not isinstance(args[0], datetime.timedelta) or (len(args) == 2 and not isinstance(args[1], str)):
        raise Bad("datetime.timezone(timedelta[, name]) only")


#: Argument checks of the ``CALL`` classes, by ``module:qualname``.
CALL_CHECKS: Final[Mapping[str, Callable[[Ctx, tuple[Any, ...]], None]]] = MappingProxyType({
    "builtins:set": _set_like(set), "builtins:frozenset": _set_like(frozenset),
    "builtins:slice": _slice_or_range, "builtins:range": _slice_or_range, "builtins:complex": _complex,
    "builtins:bytes": _bytes_like("bytes"), "builtins:bytearray": _bytes_like("bytearray"),
    "collections:OrderedDict": _ordered_dict, "collections:defaultdict": _defaultdict, "functools:partial": _partial,
    "numpy:dtype": _dtype, "sklearn.tree._tree:Tree": _tree,
    "datetime:date": _datetime(4, "datetime.date"), "datetime:datetime": _datetime(10, "datetime.datetime"),
    "datetime:timedelta": _numbers(3, "datetime.timedelta"), "datetime:timezone": _timezone,
    **{f"sklearn._loss._loss:{name}": _numbers(1, name) for name in (
        "CyHalfBinomialLoss", "CyHalfSquaredError", "CyAbsoluteError", "CyHalfPoissonLoss", "CyHalfGammaLoss",
        "CyExponentialLoss", "CyHalfMultinomialLoss", "CyHuberLoss", "CyPinballLoss", "CyHalfTweedieLoss",
        "CyHalfTweedieLossIdentity")},
    **{f"sklearn.linear_model._sgd_fast:{name}": _numbers(1, name) for name in (
        "Hinge", "SquaredHinge", "ModifiedHuber", "EpsilonInsensitive", "SquaredEpsilonInsensitive")},
    "pandas:StringDtype": _string_dtype, "pandas.core.internals.managers:BlockManager": _block_manager,
})


# ---------------------------------------------------------------------------------------------- reconstructors (FUNCTION)

def _reconstructor(ctx: Ctx, real: Any, args: tuple[Any, ...]) -> Any:
    _nargs(args, 3, 3, "copyreg._reconstructor")
    cls, base, state = args
    if not ctx.allowed_class(cls):
        raise Bad(f"copyreg._reconstructor of {_short(cls)}, which is not an allowed class")
    if base not in (object, dict, list, set, tuple, int, float, str, bytes, frozenset) or not issubclass(cls, base):
        raise Bad(f"copyreg._reconstructor with base {_short(base)}: only object or a builtin type the class derives from")
    if base is object and state is not None:
        raise Bad("copyreg._reconstructor(cls, object, state) with a state")
    if base is not object:
        if type(state) not in (base, type(None)) and not (base is frozenset and type(state) in (list, tuple)):
            raise Bad("copyreg._reconstructor state must be a plain value of its base type")
        if type(state) in (dict, set, frozenset):
            for key in state:
                check_hashable(key, costs=getattr(ctx, "hashes", None))
    return real(cls, base, state)


def _encode(ctx: Ctx, real: Any, args: tuple[Any, ...]) -> Any:
    _nargs(args, 1, 2, "_codecs.encode")
    if not isinstance(args[0], str) or (len(args) == 2 and args[1] not in _CODECS):
        raise Bad("_codecs.encode(str, 'latin1') only")
    return real(*args)


def _reconstruct(ctx: Ctx, real: Any, args: tuple[Any, ...]) -> Any:
    import numpy as np

    _nargs(args, 3, 3, "numpy _reconstruct")
    subtype, shape, dtype = args
    if not (isinstance(subtype, type) and issubclass(subtype, np.ndarray) and ctx.allowed_class(subtype)):
        raise Bad(f"numpy _reconstruct of {_short(subtype)}: only allowed ndarray classes")
    if tuple(shape) != (0,) or dtype not in (b"b", "b"):
        raise Bad("numpy _reconstruct must start from an empty array (shape (0,), dtype 'b'), as NumPy writes it")
    return real(subtype, (0,), dtype)


def _no_objects(dtype: Any, what: str) -> None:
    import numpy as np

    if not isinstance(dtype, np.dtype) or dtype.hasobject:
        raise Bad(f"{what} needs a NumPy dtype without Python objects")


def _scalar(ctx: Ctx, real: Any, args: tuple[Any, ...]) -> Any:
    _nargs(args, 1, 2, "numpy scalar")
    _no_objects(args[0], "numpy scalar()")
    if len(args) == 2 and not isinstance(args[1], (bytes, bytearray)):
        raise Bad("numpy scalar() data must be bytes")
    return real(*args)


def _frombuffer(ctx: Ctx, real: Any, args: tuple[Any, ...]) -> Any:
    import pickle

    _nargs(args, 4, 4, "numpy _frombuffer")
    buf, dtype, shape, order = args
    if not isinstance(buf, (bytes, bytearray, memoryview, pickle.PickleBuffer)):
        raise Bad("numpy _frombuffer needs a bytes buffer")
    _no_objects(dtype, "numpy _frombuffer")
    if type(shape) is not tuple or order not in ("C", "F", "A"):
        raise Bad("numpy _frombuffer shape/order")
    for n in shape:
        _int(n, "array dimension")
    return real(buf, dtype, shape, order)


def ufunc(module: Any, name: Any) -> Any:
    """The ufunc ``module.name``, only from :data:`raudit.load.pickle.allowlist.UFUNC_MODULES` and only if it is a ``numpy.ufunc``."""
    import importlib

    import numpy as np

    from raudit.load.pickle.allowlist import UFUNC_MODULES, is_ufunc_name

    if not isinstance(module, str) or not isinstance(name, str) or not is_ufunc_name(module, name):
        raise Bad(f"ufunc {_short(module)}.{_short(name)} is outside the ufunc modules raudit allows")
    obj = vars(importlib.import_module(UFUNC_MODULES[module])).get(name)
    if type(obj) is not np.ufunc:
        raise Bad(f"{module}.{name} is not a NumPy ufunc")
    return obj


def _ufunc_reconstruct(ctx: Ctx, real: Any, args: tuple[Any, ...]) -> Any:
    _nargs(args, 2, 2, "_ufunc_reconstruct")
    return ufunc(*args)  # never numpy's own, which imports any module and returns any attribute


def _mareconstruct(ctx: Ctx, real: Any, args: tuple[Any, ...]) -> Any:
    import numpy as np

    _nargs(args, 4, 4, "numpy.ma _mareconstruct")
    subtype, baseclass, baseshape, basetype = args
    if not (isinstance(subtype, type) and issubclass(subtype, np.ma.MaskedArray) and ctx.allowed_class(subtype)) \
            or baseclass is not np.ndarray or tuple(baseshape) != (0,) or basetype not in (b"b", "b"):
        raise Bad("numpy.ma _mareconstruct must start from an empty MaskedArray, as NumPy writes it")
    return real(subtype, baseclass, (0,), basetype)


def _pyx_unpickle(module: str, name: str) -> Callable[[Ctx, Any, tuple[Any, ...]], Any]:
    def check(ctx: Ctx, real: Any, args: tuple[Any, ...]) -> Any:
        import importlib

        _nargs(args, 3, 3, f"__pyx_unpickle_{name}")
        if args[0] is not getattr(importlib.import_module(module), name):
            raise Bad(f"__pyx_unpickle_{name} builds {name} only")
        return real(*args)
    return check


def _seed_sequence(ctx: Ctx, real: Any, args: tuple[Any, ...]) -> Any:
    from numpy.random import SeedSequence

    _nargs(args, 3, 3, "__pyx_unpickle_SeedSequence")
    if args[0] is not SeedSequence:
        raise Bad("__pyx_unpickle_SeedSequence builds SeedSequence only")
    return real(*args)


def _bit_generator_class(ctx: Ctx, value: Any) -> Any:
    from numpy.random import _pickle

    classes = tuple(_pickle.BitGenerators.values())
    if isinstance(value, str) and value in _pickle.BitGenerators:
        return value
    if value in classes:
        return value
    raise Bad(f"{_short(value)} is not one of NumPy's bit generators")


def _bit_generator_ctor(ctx: Ctx, real: Any, args: tuple[Any, ...]) -> Any:
    _nargs(args, 0, 1, "__bit_generator_ctor")
    return real(*(_bit_generator_class(ctx, a) for a in args))


def _generator_ctor(what: str) -> Callable[[Ctx, Any, tuple[Any, ...]], Any]:
    def check(ctx: Ctx, real: Any, args: tuple[Any, ...]) -> Any:
        from numpy.random import BitGenerator, _pickle

        _nargs(args, 0, 2, what)
        if len(args) == 2 and ctx.real(args[1]) is not getattr(_pickle, "__bit_generator_ctor"):
            raise Bad(f"{what}'s second argument must be NumPy's __bit_generator_ctor")
        if args and not isinstance(args[0], BitGenerator):
            _bit_generator_class(ctx, args[0])
        return real(*args[:1])
    return check


def _ndarray_backed(ctx: Ctx, real: Any, args: tuple[Any, ...]) -> Any:
    from pandas._libs.arrays import NDArrayBacked

    _nargs(args, 3, 3, "__pyx_unpickle_NDArrayBacked")
    cls = args[0]
    if not (isinstance(cls, type) and issubclass(cls, NDArrayBacked) and ctx.allowed_class(cls)):
        raise Bad(f"__pyx_unpickle_NDArrayBacked of {_short(cls)}: only allowed pandas array classes")
    return real(*args)


def _unpickle_block(ctx: Ctx, real: Any, args: tuple[Any, ...]) -> Any:
    import numpy as np
    from pandas.api.extensions import ExtensionArray

    _nargs(args, 3, 3, "pandas _unpickle_block")
    values, placement, ndim = args
    if not isinstance(values, (np.ndarray, ExtensionArray)) or ndim not in (1, 2):
        raise Bad("pandas _unpickle_block takes an array and ndim 1 or 2")
    if not isinstance(placement, (slice, np.ndarray, list)):
        raise Bad("pandas _unpickle_block placement must be a slice or an array")
    return real(values, placement, ndim)


def _new_index(ctx: Ctx, real: Any, args: tuple[Any, ...]) -> Any:
    import pandas as pd

    _nargs(args, 2, 2, "pandas _new_Index")
    cls, d = args
    if not (isinstance(cls, type) and issubclass(cls, pd.Index) and ctx.allowed_class(cls)):
        raise Bad(f"pandas _new_Index of {_short(cls)}: only allowed Index classes")
    if type(d) is not dict or not all(type(k) is str for k in d):
        raise Bad("pandas _new_Index takes a dict of keyword arguments")
    return real(cls, d)


def _timestamp(ctx: Ctx, real: Any, args: tuple[Any, ...]) -> Any:
    import datetime

    _nargs(args, 2, 4, "pandas _unpickle_timestamp")
    value, freq, *rest = args
    tz = rest[0] if rest else None
    _int(value, "timestamp value", -(2**63), 2**63 - 1)
    import zoneinfo

    if freq is not None or not (tz is None or isinstance(tz, (datetime.timezone, zoneinfo.ZoneInfo))) \
            or not all(isinstance(r, int) for r in rest[1:]):
        raise Bad("pandas _unpickle_timestamp takes integers and a fixed-offset or named (zoneinfo) time zone")
    return real(*args)


def _timedelta(ctx: Ctx, real: Any, args: tuple[Any, ...]) -> Any:
    _nargs(args, 1, 2, "pandas _timedelta_unpickle")
    for a in args:
        _int(a, "timedelta value", -(2**63), 2**63 - 1)
    return real(*args)


def _restore_array(ctx: Ctx, real: Any, args: tuple[Any, ...]) -> Any:
    _nargs(args, 1, 1, "pyarrow _restore_array")
    array = real(*args)
    try:
        array.validate(full=True)
    except Exception as exc:  # pyarrow.lib.ArrowInvalid and friends
        raise Bad(f"pyarrow array fails validation: {exc}") from None
    return array


def _type_for_alias(ctx: Ctx, real: Any, args: tuple[Any, ...]) -> Any:
    _nargs(args, 1, 1, "pyarrow type_for_alias")
    if not isinstance(args[0], str) or len(args[0]) > 64:
        raise Bad("pyarrow type_for_alias takes a type name")
    return real(*args)


def _py_buffer(ctx: Ctx, real: Any, args: tuple[Any, ...]) -> Any:
    import pickle

    _nargs(args, 1, 1, "pyarrow py_buffer")
    if not isinstance(args[0], (bytes, bytearray, memoryview, pickle.PickleBuffer)):
        raise Bad("pyarrow py_buffer wraps bytes only")
    return real(*args)


def _new_obj(section: str | None, what: str) -> Callable[[Ctx, Any, tuple[Any, ...]], Any]:
    def check(ctx: Ctx, real: Any, args: tuple[Any, ...]) -> Any:
        _nargs(args, 1, 1, "newObj")
        cls = args[0]
        if section is None:
            import importlib

            module, _, name = what.partition(":")
            ok = cls is getattr(importlib.import_module(module), name)
        else:
            ok = ctx.allowed_class(cls, section=section)
        if not ok:
            raise Bad(f"newObj({_short(cls)}) creates {what} objects only")
        return real(cls)
    return check


def _zone(key: Any, from_cache: Any = 1) -> Any:
    """``ZoneInfo._unpickle(key, from_cache)`` for an IANA key only (zoneinfo refuses paths outside its folders)."""
    import re as _re
    import zoneinfo

    if not isinstance(key, str) or len(key) > 64 or not _re.fullmatch(r"[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*", key) \
            or from_cache not in (0, 1):
        raise Bad(f"zoneinfo.ZoneInfo._unpickle({_short(key)}, {_short(from_cache)}): only an IANA time-zone key")
    try:
        return zoneinfo.ZoneInfo._unpickle(key, from_cache)  # type: ignore[attr-defined]
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise Bad(f"time zone {key!r} is not known here: {exc}") from None


def _getattr(ctx: Ctx, real: Any, args: tuple[Any, ...]) -> Any:
    _nargs(args, 2, 2, "getattr")
    obj, name = args
    import zoneinfo

    if obj is zoneinfo.ZoneInfo and name == "_unpickle":
        return ctx.hand_out(_zone, "zoneinfo.ZoneInfo._unpickle")
    if name != "_entropy" or not ctx.allowed_class(type(obj), section="distributions"):
        raise Bad(f"getattr({_short(obj)}, {_short(name)}): only a scipy.stats distribution's _entropy method")
    for klass in type(obj).__mro__:
        if "_entropy" in vars(klass) and isinstance(vars(klass)["_entropy"], types.FunctionType):
            return types.MethodType(vars(klass)["_entropy"], obj)
    raise Bad("the distribution has no _entropy method")


#: Checked versions of the ``FUNCTION`` reconstructors, by the ``module:qualname`` of the real function.
RECONSTRUCTORS: Final[Mapping[str, Callable[[Ctx, Any, tuple[Any, ...]], Any]]] = MappingProxyType({
    "copyreg:_reconstructor": _reconstructor,
    "_codecs:encode": _encode,
    "builtins:getattr": _getattr,
    "numpy._core.multiarray:_reconstruct": _reconstruct,
    "numpy._core.multiarray:scalar": _scalar,
    "numpy._core.numeric:_frombuffer": _frombuffer,
    "numpy.core:_ufunc_reconstruct": _ufunc_reconstruct,
    "numpy.ma.core:_mareconstruct": _mareconstruct,
    "numpy.random.bit_generator:__pyx_unpickle_SeedSequence": _seed_sequence,
    "sklearn._loss._loss:__pyx_unpickle_CyHalfMultinomialLoss": _pyx_unpickle("sklearn._loss._loss", "CyHalfMultinomialLoss"),
    "numpy.random._pickle:__bit_generator_ctor": _bit_generator_ctor,
    "numpy.random._pickle:__randomstate_ctor": _generator_ctor("__randomstate_ctor"),
    "numpy.random._pickle:__generator_ctor": _generator_ctor("__generator_ctor"),
    "pandas._libs.arrays:__pyx_unpickle_NDArrayBacked": _ndarray_backed,
    "pandas._libs.internals:_unpickle_block": _unpickle_block,
    "pandas.core.indexes.base:_new_Index": _new_index,
    "pandas._libs.tslibs.timestamps:_unpickle_timestamp": _timestamp,
    "pandas._libs.tslibs.timedeltas:_timedelta_unpickle": _timedelta,
    "pyarrow.lib:_restore_array": _restore_array,
    "pyarrow.lib:type_for_alias": _type_for_alias,
    "pyarrow.lib:py_buffer": _py_buffer,
    "sklearn.neighbors._kd_tree:newObj": _new_obj(None, "sklearn.neighbors._kd_tree:KDTree"),
    "sklearn.neighbors._ball_tree:newObj": _new_obj(None, "sklearn.neighbors._ball_tree:BallTree"),
    "sklearn.metrics._dist_metrics:newObj": _new_obj("dist_metrics", "sklearn DistanceMetric"),
})


# ---------------------------------------------------------------------------------------------- state checks (BUILD)

def check_state(owner: str, ctx: Ctx, state: Any) -> None:
    """Checks of a state before a reviewed ``__setstate__`` (defined by ``owner``) receives it."""
    from raudit.load.pickle.allowlist import SETSTATE

    accepts, _ = SETSTATE[owner]
    if accepts == "dict" and type(state) is not dict:
        raise Bad(f"{owner}.__setstate__ takes a dict here, got {_short(state)}")
    if accepts == "tuple" and type(state) is not tuple:
        raise Bad(f"{owner}.__setstate__ takes a tuple here, got {_short(state)}")
    if owner == "functools.partial":
        check_partial_state(ctx, state)
    elif owner == "xgboost.core.Booster":
        check_booster_state("xgboost", state)
    elif owner == "lightgbm.basic.Booster":
        check_booster_state("lightgbm", state)


def check_booster_state(library: str, state: Any) -> None:
    """An XGBoost or LightGBM Booster's pickled state: its model, parsed and checked before the library's C++ sees it."""
    from raudit.load.pickle.boosters import BoosterError, check_lightgbm_text, check_xgboost_raw

    try:
        _check_booster(library, state, check_xgboost_raw, check_lightgbm_text)
    except BoosterError as exc:
        raise Bad(str(exc)) from None


def _check_booster(library: str, state: Any, check_xgboost_raw: Callable[[Any], None],
                   check_lightgbm_text: Callable[[str], None]) -> None:
    if type(state) is not dict:
        raise Bad(f"a {library} Booster's state is not a dict")
    if library == "xgboost":
        raw = state.get("handle")
        if not isinstance(raw, (bytearray, type(None))):
            raise Bad("an XGBoost Booster's state must hold its model as a bytearray")
        if raw is not None and state_review_on():
            check_xgboost_raw(raw)
        return
    model = state.get("_handle", state.get("handle"))
    if model is not None and not isinstance(model, str):
        raise Bad("a LightGBM Booster's state must hold its model as text")
    if model is not None and state_review_on():
        check_lightgbm_text(model)


def state_review_on() -> bool:
    """Whether the reviewed-state checks run (always, but in the tests that prove the jail alone is enough)."""
    return state.STATE_REVIEW


# ---------------------------------------------------------------------------------------------- scipy.stats distributions

# size: rebuilds a scipy distribution from reviewed parameters only, one check per field
def rebuild_distribution(inst: Any, state: Any) -> None:
    """Restore a scipy.stats distribution from a pickled state without running the pickle's text.

    scipy's own ``rv_generic.__setstate__`` restores the pickled ``__dict__``
    and then ``exec``-s its ``_parse_arg_template`` string. Instead raudit
    builds a fresh instance with scipy's public constructor from the pickled
    constructor parameters (plain numbers and strings, checked here; scipy
    itself checks ``shapes`` are identifiers), refuses the file if the
    pickled template differs from the one scipy generates, keeps only the
    pickled random state, and lets scipy attach its methods from *its* template.
    """
    import numpy as np

    cls = type(inst)
    if type(state) is not dict or type(state.get("_ctor_param")) is not dict:
        raise Bad(f"{_name(cls)} state has no constructor parameters (a scipy < 1.6 pickle?)")
    params = dict(state["_ctor_param"])
    for key in list(params):
        if key in state and key != "seed":
            params[key] = state[key]  # as rv_frozen does with dist._updated_ctor_param()
    accepted = inspect.signature(cls.__init__).parameters
    for key, value in params.items():
        if key not in accepted or key == "self":
            raise Bad(f"{_name(cls)} has no constructor parameter {key!r}")
        if key == "seed":
            if not (value is None or isinstance(value, (int, np.random.RandomState, np.random.Generator))):
                raise Bad(f"{_name(cls)} seed must be None, an int or a NumPy generator")
        elif key == "values":
            if value is not None:
                raise Bad(f"{_name(cls)} with values= (an rv_sample) is not rebuilt by raudit")
        elif not _plain(value) or (isinstance(value, float) and math.isnan(value) and key not in ("badvalue",)):
            raise Bad(f"{_name(cls)} constructor parameter {key}={_short(value)} is not a plain number or string")
    try:
        fresh = cls(**params)
    except Exception as exc:  # scipy refuses bad shapes with SyntaxError/TypeError/ValueError
        raise Bad(f"scipy refuses to build {_name(cls)} from the pickled parameters: {type(exc).__name__}: {exc}") from None
    if state.get("_parse_arg_template") != fresh._parse_arg_template:
        raise Bad(f"the pickled {_name(cls)} carries argument-parsing code that differs from what scipy generates for it "
                  "(scipy would exec it while loading)")
    data = fresh.__getstate__()
    random_state = state.get("_random_state")
    if isinstance(random_state, (np.random.RandomState, np.random.Generator)):
        data["_random_state"] = random_state
    inst.__dict__.clear()
    inst.__dict__.update(data)
    cls._attach_methods(inst)  # execs data["_parse_arg_template"], which is scipy's own, checked equal above


# ---------------------------------------------------------------------------------------------- the loaded graph

_LEAVES: Final = (str, bytes, bytearray, int, float, complex, bool, type(None), type, types.FunctionType,
                  types.BuiltinFunctionType)


def _children(obj: Any) -> tuple[list[Any], int]:
    """The objects ``obj`` refers to that can refer to others, and how many plain values it holds besides."""
    import numpy as np

    t = type(obj)
    if t in (list, tuple, set, frozenset):
        items: Any = obj
    elif isinstance(obj, dict):
        items = [*obj.keys(), *obj.values()]
    elif isinstance(obj, np.ndarray):
        if not obj.dtype.hasobject:
            return [], 0
        items = obj.ravel(order="K").tolist() if obj.ndim else [obj.item()]
    elif isinstance(obj, _LEAVES) or isinstance(obj, np.generic):
        return [], 0
    else:
        d = getattr(obj, "__dict__", None)
        items = list(d.values()) if type(d) is dict else []
        if isinstance(obj, (list, tuple)):
            items.extend(obj)
    inner = [x for x in items if not isinstance(x, _LEAVES)]
    return inner, len(items) - len(inner)


def nothing_allowed(fn: Any) -> bool:
    """No function beyond the reviewed ones (the default of :func:`check_loaded`)."""
    return False


def check_loaded(root: Any, *, max_depth: int, max_expansion: int, allowed: Callable[[Any], bool] = nothing_allowed) -> None:
    """Walk a loaded model once: nesting depth, shared-reference blow-up, tree indices, the reviewed state of each object.

    ``allowed`` says whether a function the user allowed by name (``--allow-global``) may be held.

    *Expansion* counts every object once per path that reaches it, as
    ``repr`` or a naive recursive walk would: a chain ``x1 = [x0, x0]``,
    ``x2 = [x1, x1]``, ... is small in memory but 2**n to print.
    """
    size: dict[int, int] = {}
    keep: list[Any] = []  # keeps visited objects alive so their ids stay unique during the walk
    stack: list[tuple[Any, int, list[Any] | None, int]] = [(root, 0, None, 0)]
    on_path: set[int] = set()
    while stack:
        obj, depth, inner, leaves = stack.pop()
        key = id(obj)
        if inner is not None:  # all children done: total up
            on_path.discard(key)
            total = 1 + leaves
            for child in inner:
                total += size.get(id(child), 1)
            if total > max_expansion:
                raise Bad(f"the model's object graph expands to more than {max_expansion:,} objects when walked "
                          "(shared references nested to blow up: a 'billion laughs' structure)")
            size[key] = total
            _check_object(obj, allowed)
            continue
        if key in size or key in on_path:
            continue
        if depth > max_depth:
            raise Bad(f"the model's objects nest more than {max_depth:,} levels deep")
        keep.append(obj)
        on_path.add(key)
        children, plain = _children(obj)
        stack.append((obj, depth, children, plain))
        for child in children:
            if id(child) not in size and id(child) not in on_path:
                stack.append((child, depth + 1, None, 0))


def _check_object(obj: Any, allowed: Callable[[Any], bool]) -> None:  # size: one reviewed rule per kind of object
    if not state.STATE_REVIEW:
        return
    try:
        review_state(obj, allowed)
    except StateError as exc:
        raise Bad(str(exc)) from None
    name = f"{type(obj).__module__}.{type(obj).__qualname__}"
    if name == "sklearn.tree._tree.Tree":
        check_tree(obj)
    elif name == "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor":
        check_tree_predictor(obj)
    elif name in ("sklearn.neighbors._kd_tree.KDTree", "sklearn.neighbors._ball_tree.BallTree"):
        check_binary_tree(obj)
    elif name.startswith("sklearn.") and hasattr(obj, "n_features_in_") and type(getattr(obj, "tree_", None)).__name__ == "Tree":
        if int(obj.tree_.n_features) != int(obj.n_features_in_):  # predict checks X against n_features_in_, the tree reads X
            raise Bad(f"a decision tree reads {obj.tree_.n_features} features but its estimator takes {obj.n_features_in_}")
    elif name.startswith("sklearn.ensemble._hist_gradient_boosting.") and hasattr(obj, "_predictors"):
        n = int(getattr(obj, "n_features_in_", 0))
        for predictors in obj._predictors:
            for pred in predictors:
                nodes = pred.nodes
                inner = nodes["is_leaf"] == 0
                if inner.any() and int(nodes["feature_idx"][inner].max()) >= n:
                    raise Bad(f"a HistGradientBoosting tree splits on feature {int(nodes['feature_idx'][inner].max())} of {n}")
    elif name.startswith("scipy.sparse.") and hasattr(obj, "check_format"):
        try:  # compressed sparse matrices restored by __dict__ update skip scipy's index checks; C++ kernels trust them
            obj.check_format(full_check=True)
        except Exception as exc:
            raise Bad(f"a sparse matrix has invalid indices: {exc}") from None


def check_tree(tree: Any) -> None:
    """A scikit-learn ``Tree``'s nodes point inside the tree, downwards only, at features it has.

    Its compiled ``predict`` follows child indices without bounds checks and
    loops until it reaches a leaf: an index out of range reads outside the
    node array, and an index pointing back loops forever.
    """
    import numpy as np

    n, capacity = int(tree.node_count), int(tree.capacity)
    if not 0 <= n <= capacity:
        raise Bad(f"a decision tree says it has {n} nodes but holds {capacity}")
    left, right, feature = tree.children_left, tree.children_right, tree.feature
    idx = np.arange(n)
    leaf = left == -1
    if np.any(leaf != (right == -1)):
        raise Bad("a decision tree node has exactly one child")
    inner = ~leaf
    if np.any((left[inner] <= idx[inner]) | (left[inner] >= n) | (right[inner] <= idx[inner]) | (right[inner] >= n)):
        raise Bad("a decision tree node's child index points outside the tree or back up it")
    if np.any((feature[inner] < 0) | (feature[inner] >= tree.n_features)):
        raise Bad("a decision tree node splits on a feature the tree does not have")
    if not np.all(np.isfinite(tree.threshold[inner])):
        raise Bad("a decision tree node has a split threshold that is not a finite number")


def check_tree_predictor(pred: Any) -> None:
    """A HistGradientBoosting ``TreePredictor``'s nodes point inside the tree, downwards, and at its bitsets."""
    import numpy as np

    nodes = getattr(pred, "nodes", None)
    if not isinstance(nodes, np.ndarray) or nodes.ndim != 1 or nodes.dtype.names is None \
            or not {"left", "right", "is_leaf", "feature_idx"} <= set(nodes.dtype.names):
        raise Bad("a HistGradientBoosting tree has no valid node array")
    n = len(nodes)
    idx = np.arange(n)
    inner = nodes["is_leaf"] == 0
    left, right = nodes["left"].astype(np.int64), nodes["right"].astype(np.int64)
    if np.any((left[inner] <= idx[inner]) | (left[inner] >= n) | (right[inner] <= idx[inner]) | (right[inner] >= n)):
        raise Bad("a HistGradientBoosting tree node's child index points outside the tree or back up it")
    if np.any(nodes["feature_idx"][inner] < 0):
        raise Bad("a HistGradientBoosting tree node has a negative feature index")
    if "is_categorical" in nodes.dtype.names:
        cat = inner & (nodes["is_categorical"] != 0)
        bitsets = getattr(pred, "raw_left_cat_bitsets", None)
        limit = len(bitsets) if isinstance(bitsets, np.ndarray) else 0
        if np.any(nodes["bitset_idx"][cat] >= limit):
            raise Bad("a HistGradientBoosting tree node points outside its category bitsets")


def check_binary_tree(tree: Any) -> None:
    """A KD/ball tree's index array points inside its data, and its nodes inside the index array."""
    import numpy as np

    data, idx_array, node_data, _ = tree.get_arrays()
    n = len(data)
    if len(idx_array) and (idx_array.min() < 0 or idx_array.max() >= n):
        raise Bad("a neighbors tree's index array points outside its data")
    if len(node_data):
        start, end = node_data["idx_start"], node_data["idx_end"]
        if np.any(start < 0) or np.any(end > len(idx_array)) or np.any(start > end):
            raise Bad("a neighbors tree's nodes point outside its index array")
