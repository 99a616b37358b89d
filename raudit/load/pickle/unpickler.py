"""Open pickle and joblib model files without running code nobody reviewed.

A pickle is a small program: it imports globals by name and calls them. raudit
reads it with its own unpickler, in the manner of
``torch.load(weights_only=True)`` (``torch/_weights_only_unpickler.py``) and
skops (``skops/io/_audit.py``):

* **Exact allow-list.** Every global is looked up in
  :mod:`raudit.load.pickle.allowlist`, a reviewed table of ``(module, qualname)`` pairs;
  the object is imported and checked to *be* what the entry says (a class
  defined under that name, or that exact function). No prefixes, no
  patterns, no module objects, never ``__builtins__``, nothing from raudit.
* **Every operation is checked, not only imports.** ``REDUCE`` may call only
  reviewed constructors and reconstructors, each through an argument check
  (:mod:`raudit.load.pickle.review`); ``NEWOBJ`` may instantiate only allowed
  classes whose ``__new__`` is reviewed; ``BUILD`` restores state with a
  ``__dict__`` update or a *reviewed* ``__setstate__`` looked up on the class
  (never on the instance); scipy.stats distributions, whose
  ``__setstate__`` execs pickled text, are rebuilt with scipy's public
  constructor instead. Appends and item assignments go to plain lists and
  dicts only, and keys are checked for hash bombs. Persistent ids,
  extension codes and out-of-band buffers are refused.
* **joblib** files: the raw array bytes joblib writes after each
  ``NumpyArrayWrapper`` are read here, after checking shape, dtype and size;
  arrays of Python objects are read by this same unpickler.
* **Bounded resources** (:class:`Limits`): compressed files are decompressed
  as a stream with an output cap, lengths are checked against what the file
  can still hold before anything is allocated, and opcodes, memo entries,
  integer sizes, nesting depth and shared-reference blow-up are capped.
  Exceeding a cap is an :class:`~raudit.InputError` that names the cap and
  how to raise it.

The loader's policy is built per call from frozen tables; nothing a pickle
can reach is on the allow-list, so one load cannot change the next.
``trust=True`` (``--trust-model``) skips all of this and calls ``joblib.load``.
"""

from __future__ import annotations

import _compat_pickle
import bz2
import gzip
import importlib
import io
import lzma
import pickle
import sys
import types
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from struct import unpack
from types import MappingProxyType
from typing import IO, Any, Final

from raudit.config import DEFAULT_LIMITS, LIMIT_NAMES, Limits, parse_limits
from raudit.errors import InputError
from raudit.load.pickle import allowlist as A
from raudit.load.pickle.review import (
    CALL_CHECKS,
    RECONSTRUCTORS,
    Bad,
    Ctx,
    HashCosts,
    check_loaded,
    check_state,
    rebuild_distribution,
    ufunc,
)

__all__ = ["safe_load", "Limits", "Policy", "parse_limits", "skops_trusted_types", "check_loaded_model", "DEFAULT_LIMITS"]

GiB: Final = 1 << 30
_CHUNK: Final = 16 << 20

# Snapshots of the Python 2 name mappings pickle applies to protocol 0-2 streams (read-only: nothing can remap names).
_NAME_MAPPING: Final = MappingProxyType(dict(_compat_pickle.NAME_MAPPING))
_IMPORT_MAPPING: Final = MappingProxyType(dict(_compat_pickle.IMPORT_MAPPING))


class _TooBig(Exception):
    """A cap of :class:`Limits` was reached: (what, number, limit name)."""


class _Refused:
    """Stands in for what a refused global would have built; it runs nothing."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


# ---------------------------------------------------------------------------------------------- the byte stream

class _Stream:
    """The pickle bytes (decompressed on the fly), counted against a cap and checked before big reads."""

    def __init__(self, raw: IO[bytes], inner: IO[bytes] | None, *, cap: int, size: int | None, compression: str | None) -> None:
        self._raw, self._f = raw, inner or raw
        self.cap, self.size, self.compression = cap, size, compression
        self.produced = 0

    def room(self) -> int:
        """How many more bytes may still be read (exact for plain files, the cap for compressed ones)."""
        left = self.cap - self.produced
        if self.size is not None:
            left = min(left, self.size - self.produced)
        return left

    def _need(self, n: int) -> None:
        if n > self.room():
            if self.size is not None and n > self.size - self.produced:
                raise pickle.UnpicklingError(f"the pickle declares {n:,} bytes but only {self.size - self.produced:,} remain "
                                             "in the file (truncated or forged)")
            raise _TooBig(("decompressed bytes", self.produced + n, "bytes"))

    def read(self, n: int = -1) -> bytes:
        if n < 0:
            n = self.room()
        if n > 4096:  # a length the pickle declared: check it against what the file (or the cap) can still hold first
            self._need(n)
        data = self._f.read(n)
        self.produced += len(data)
        if self.produced > self.cap:
            raise _TooBig(("decompressed bytes", self.produced, "bytes"))
        return data

    def readline(self) -> bytes:
        line = self._f.readline(min(self.room(), 1 << 26) + 1)
        self.produced += len(line)
        if self.produced > self.cap:
            raise _TooBig(("decompressed bytes", self.produced, "bytes"))
        return line

    def readinto_array(self, out: Any) -> None:
        """Fill a NumPy array's memory from the stream, in chunks."""
        view = memoryview(out.view("u1"))  # bytes of any dtype (datetime64 has no buffer format of its own)
        self._need(len(view))
        pos = 0
        while pos < len(view):
            n = self._f.readinto(view[pos:pos + _CHUNK])  # type: ignore[attr-defined]
            if not n:
                raise pickle.UnpicklingError("the file ends inside an array's data (truncated)")
            pos += n
        self.produced += pos


class _ZlibReader(io.RawIOBase):
    """joblib's zlib files, decompressed as a stream (``max_length``: never more than asked for)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw, self._d, self._pending = raw, zlib.decompressobj(), b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        view = memoryview(b).cast("B")
        while True:
            if self._pending:
                data = self._d.decompress(self._pending, len(view))
                self._pending = self._d.unconsumed_tail
            elif self._d.eof:
                return 0
            else:
                chunk = self._raw.read(1 << 16)
                if not chunk:
                    data = self._d.flush(len(view)) if not self._d.eof else b""
                    if not data:
                        return 0
                else:
                    data = self._d.decompress(chunk, len(view))
                    self._pending = self._d.unconsumed_tail
            if data:
                view[: len(data)] = data
                return len(data)


_MAGIC: Final = ((b"\x1f\x8b", "gzip"), (b"BZh", "bz2"), (b"\xfd7zXZ\x00", "xz"), (b"]\x00\x00", "lzma"),
                 (b"\x04\x22\x4d\x18", "lz4"), (b"ZF", "joblib<0.10 zlib"))


def _compression(head: bytes) -> str | None:
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if head[:1] == b"x" and len(head) > 1 and (head[0] * 256 + head[1]) % 31 == 0:
        return "zlib"
    return None


def _open(path: Path, raw: IO[bytes], limits: Limits) -> _Stream:
    size = path.stat().st_size
    head = raw.read(8)
    raw.seek(0)
    kind = _compression(head)
    cap = limits.bytes_for(size)
    if kind is None:
        return _Stream(raw, None, cap=cap, size=size, compression=None)
    inner: Any
    if kind == "gzip":
        inner = gzip.GzipFile(fileobj=raw, mode="rb")
    elif kind == "bz2":
        inner = bz2.BZ2File(raw, "rb")
    elif kind in ("xz", "lzma"):
        inner = lzma.LZMAFile(raw, "rb", format=lzma.FORMAT_XZ if kind == "xz" else lzma.FORMAT_ALONE)
    elif kind == "zlib":
        inner = io.BufferedReader(_ZlibReader(raw), buffer_size=1 << 16)
    else:
        raise InputError(f"model file {path} is {kind}-compressed, which raudit cannot open safely",
                         hint="re-save it with joblib.dump(model, path, compress=3) (zlib) or without compression")
    return _Stream(raw, inner, cap=cap, size=None, compression=kind)


# ---------------------------------------------------------------------------------------------- policy and resolution

@dataclass(frozen=True)
class _Resolved:
    obj: Any            # what find_class returns (a checked wrapper for FUNCTION entries)
    real: Any           # the imported object
    kind: str
    name: str           # module.qualname as pickled
    key: str            # module:qualname identity
    section: str | None = None


def _owner(cls: type, attr: str) -> type | None:
    """The class in ``cls``'s MRO whose own ``__dict__`` defines ``attr`` (not the instance's)."""
    for klass in cls.__mro__:
        if attr in vars(klass):
            return klass
    return None


def _qual(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


_SECTIONS: Final = MappingProxyType({
    "distributions": frozenset((e.module, e.qualname) for e in A.DISTRIBUTIONS),
    "dist_metrics": frozenset((e.module, e.qualname) for e in A.DIST_METRICS),
})


@dataclass(frozen=True)
class Policy:
    """What one load may use: the reviewed table plus the user's exact globals and (loud) module prefixes."""

    extra_globals: frozenset[tuple[str, str]] = frozenset()
    extra_modules: tuple[str, ...] = ()

    @classmethod
    def from_user(cls, allow_globals: Iterable[str] = (), allow_modules: Iterable[str] = ()) -> Policy:
        """Parse ``module:Name`` (or ``module.Name``) globals and module prefixes given by the user."""
        pairs = set()
        for text in allow_globals:
            module, sep, name = str(text).strip().partition(":")
            if not sep:
                module, _, name = str(text).strip().rpartition(".")
            if not module or not name or not all(p.isidentifier() for p in (module.split(".") + name.split("."))):
                raise InputError(f"--allow-global {text!r} is not module:Name", hint="e.g. --allow-global mypackage.features:Clipper")
            pairs.add((module, name))
        prefixes = tuple(str(m).strip() for m in allow_modules if str(m).strip())
        for item in [m for m, _ in pairs] + list(prefixes):
            if item == "raudit" or item.startswith("raudit."):
                raise InputError(f"raudit's own modules cannot be allowed for a pickle ({item})",
                                 hint="a model never needs them; a pickle that names them is an attack on the loader")
        return cls(frozenset(pairs), prefixes)

    def allows_function(self, fn: Any) -> bool:
        """Whether the user allowed this function by name (it may then be held by a model, e.g. a FunctionTransformer's func)."""
        module, name = getattr(fn, "__module__", None), getattr(fn, "__qualname__", None)
        return isinstance(module, str) and isinstance(name, str) and self.user_allows(module, name) is not None

    def user_allows(self, module: str, name: str) -> str | None:
        """``"global"``/``"module"`` when the user allowed ``module.name``, else None."""
        if (module, name) in self.extra_globals:
            return "global"
        if any(module == p or module.startswith(p + ".") for p in self.extra_modules):
            return "module"
        return None


class _Resolver(Ctx):
    """Resolves names to checked objects for one load, and answers the checks' questions by identity."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.hashes = HashCosts()
        self.budget: _Budget | None = None
        self._by_name: dict[tuple[str, str], _Resolved] = {}
        self._by_id: dict[int, _Resolved] = {}
        self._refs: dict[int, Any] = {}

    # -- resolution
    def resolve(self, module: str, name: str) -> _Resolved:
        """The checked object for a pickled global; raises :class:`Bad` with the reason when refused."""
        key = (module, name)
        hit = self._by_name.get(key)
        if hit is not None:
            return hit
        entry = A.by_name(module, name)
        if entry is not None:
            resolved = self._from_entry(entry)
        elif A.is_ufunc_name(module, name):
            obj = ufunc(module, name)
            resolved = _Resolved(obj, obj, A.REFERENCE, f"{module}.{name}", f"{module}:{name}")
        else:
            how = self.policy.user_allows(module, name)
            if how is None:
                raise Bad("not in raudit's allow-list")
            resolved = self._from_user(module, name, how)
        self._by_name[key] = resolved
        self._by_id[id(resolved.obj)] = resolved
        self._refs[id(resolved.obj)] = resolved.obj
        return resolved

    def _import(self, module: str, qualname: str) -> Any:
        try:
            obj: Any = importlib.import_module(module)
            for part in qualname.split("."):
                obj = getattr(obj, part)
        except (ImportError, AttributeError) as exc:
            raise ModuleNotFoundError(f"{module}.{qualname}: {exc}") from None
        if isinstance(obj, types.ModuleType):
            raise Bad("it is a module object")
        return obj

    def _from_entry(self, entry: A.Entry) -> _Resolved:
        want = entry.identity
        obj = self._import(*want)  # an old alias (numpy.core...) is imported where the reviewed object lives
        if entry.kind in (A.CLASS, A.CALL):
            if not isinstance(obj, type) or (obj.__module__, obj.__qualname__) != want:
                raise Bad(f"it resolves to {_describe(obj)}, not the class {want[0]}.{want[1]} raudit reviewed "
                          "(the library changed: update raudit/load/pickle/allowlist.py)")
        elif isinstance(obj, type) or not _same_function(obj, want):
            raise Bad(f"it resolves to {_describe(obj)}, not the function {want[0]}.{want[1]} raudit reviewed")
        key = f"{want[0]}:{want[1]}"
        section = next((s for s, names in _SECTIONS.items() if (entry.module, entry.qualname) in names), None)
        handed = obj
        if entry.kind == A.FUNCTION:
            check = RECONSTRUCTORS.get(key)
            if check is None:  # every FUNCTION entry has a checked wrapper (a test keeps it so)
                raise Bad("no argument check is registered for it")
            handed = _wrap(self, check, obj, entry.name)
        return _Resolved(handed, obj, entry.kind, entry.name, key, section)

    def _from_user(self, module: str, name: str, how: str) -> _Resolved:
        obj = self._import(module, name)
        if isinstance(obj, type):
            own = (obj.__module__, obj.__qualname__)
            kind = A.CALL
        elif callable(obj) and isinstance(getattr(obj, "__qualname__", None), str):
            own = (getattr(obj, "__module__", None) or "", obj.__qualname__)
            kind = A.FUNCTION
        else:
            raise Bad(f"it is {_describe(obj)}, neither a class nor a function")
        if own[0] == "raudit" or own[0].startswith("raudit."):
            raise Bad("it is part of raudit itself")
        if how == "global" and own != (module, name):
            raise Bad(f"it is a re-export of {own[0]}.{own[1]}: allow that exact name instead")
        if how == "module" and not self.policy.user_allows(own[0], own[1]):
            raise Bad(f"it is a re-export of {own[0]}.{own[1]}, outside the allowed module prefixes")
        if how == "module" and (A.known_gadget(module, name) or A.known_gadget(*own)):
            raise Bad("it is a known gadget (picklescan's and modelscan's lists, raudit/load/pickle/allowlist.py GADGETS), "
                      "which --allow-module does not allow; allow it by exact name with --allow-global if you reviewed it")
        return _Resolved(obj, obj, kind, f"{module}.{name}", f"{own[0]}:{own[1]}", "user")

    def charge(self, cost: int) -> None:
        """Count ``cost`` units of work (hashing) against the opcode cap."""
        if self.budget is not None:
            self.budget.charge(cost)

    # -- questions from checks and from the unpickler
    def known(self, obj: Any) -> _Resolved | None:
        """The resolution an object on the pickle's stack came from (by identity), if any."""
        return self._by_id.get(id(obj)) if self._refs.get(id(obj)) is obj else None

    def class_entry(self, cls: type) -> _Resolved | None:
        """The allow-list resolution of a class, looked up by its own name and checked by identity."""
        hit = self.known(cls)
        if hit is not None:
            return hit if hit.kind in (A.CLASS, A.CALL) else None
        module, qualname = cls.__module__, cls.__qualname__
        if A.by_name(module, qualname) is None and self.policy.user_allows(module, qualname) is None:
            return None
        try:
            resolved = self.resolve(module, qualname)
        except (Bad, ImportError):
            return None
        return resolved if resolved.real is cls and resolved.kind in (A.CLASS, A.CALL) else None

    def allowed_class(self, obj: Any, *, section: str | None = None) -> bool:  # noqa: D102
        if not isinstance(obj, type):
            return False
        hit = self.class_entry(obj)
        return hit is not None and (section is None or hit.section == section)

    def allowed_reference(self, obj: Any) -> bool:  # noqa: D102
        hit = self.known(obj)
        return hit is not None and hit.kind == A.REFERENCE and callable(obj) and not isinstance(obj, type)

    def real(self, obj: Any) -> Any:  # noqa: D102
        hit = self.known(obj)
        return hit.real if hit is not None else obj

    def hand_out(self, fn: Callable[..., Any], name: str) -> Callable[..., Any]:  # noqa: D102
        resolved = _Resolved(fn, fn, A.FUNCTION, name, name.replace(".", ":", 1))
        self._by_id[id(fn)] = resolved
        self._refs[id(fn)] = fn
        return fn


def _same_function(obj: Any, want: tuple[str, str]) -> bool:
    if isinstance(obj, types.ModuleType):
        return False
    qualname = getattr(obj, "__qualname__", None)
    if isinstance(qualname, str):
        return (getattr(obj, "__module__", None), qualname) == want or (
            want[1].startswith("__pyx_") and getattr(obj, "__module__", None) == want[0] and qualname.endswith(want[1]))
    # a singleton value (pandas.NA): its class must come from the same package
    return type(obj).__module__.split(".")[0] == want[0].split(".")[0] and not callable(obj)


def _describe(obj: Any) -> str:
    if isinstance(obj, types.ModuleType):
        return f"the module {obj.__name__}"
    if isinstance(obj, type):
        return f"the class {_qual(obj)}"
    name = getattr(obj, "__qualname__", None)
    if isinstance(name, str):
        return f"{getattr(obj, '__module__', '?')}.{name} ({type(obj).__name__})"
    return f"a {_qual(type(obj))} object"


def _wrap(ctx: Ctx, check: Callable[[Ctx, Any, tuple[Any, ...]], Any], real: Any, name: str) -> Callable[..., Any]:
    def checked(*args: Any, **kwargs: Any) -> Any:
        if kwargs:
            raise Bad(f"{name} is called with keyword arguments")
        return check(ctx, real, args)

    checked.__qualname__ = checked.__name__ = f"checked {name}"
    return checked


# ---------------------------------------------------------------------------------------------- the unpickler

class _Budget:
    __slots__ = ("ops", "limits")

    def __init__(self, limits: Limits) -> None:
        self.ops = 0
        self.limits = limits

    def charge(self, cost: int) -> None:
        """Count work beyond one step (hashing a key of ``cost`` items) as opcodes: total work stays within the cap."""
        self.ops += cost - 1
        if self.ops > self.limits.max_opcodes:
            raise _TooBig(("pickle opcodes (hashing counted)", self.ops, "opcodes"))


_P: Any = pickle._Unpickler  # type: ignore[attr-defined]


class _Unpickler(_P):  # type: ignore[misc, valid-type]
    """CPython's pure-Python unpickler with every opcode that can run code, allocate or mutate replaced."""

    def __init__(self, stream: _Stream, resolver: _Resolver, budget: _Budget, refused: list[str], reasons: dict[str, str]) -> None:
        super().__init__(stream, fix_imports=True)
        self._stream, self._resolver, self._budget = stream, resolver, budget
        self._refused, self._reasons = refused, reasons

    # -- the loop: count every opcode; only reviewed opcodes exist in the table
    def load(self) -> Any:
        self._unframer = pickle._Unframer(self._file_read, self._file_readline)  # type: ignore[attr-defined]
        self.read = self._unframer.read
        self.readinto = self._unframer.readinto
        self.readline = self._unframer.readline
        self.metastack: list[list[Any]] = []
        self.stack: list[Any] = []
        self.append = self.stack.append
        self.proto = 0
        read, dispatch, budget = self.read, _DISPATCH, self._budget
        cap = budget.limits.max_opcodes
        try:
            while True:
                key = read(1)
                if not key:
                    raise EOFError
                budget.ops += 1
                if budget.ops > cap:
                    raise _TooBig(("pickle opcodes", budget.ops, "opcodes"))
                handler = dispatch.get(key[0])
                if handler is None:
                    raise pickle.UnpicklingError(_unknown_opcode(key))
                handler(self)
        except pickle._Stop as stop:  # type: ignore[attr-defined]
            return stop.value

    def _refuse(self, name: str, reason: str) -> _Refused:
        if name not in self._reasons:
            self._refused.append(name)
            self._reasons[name] = reason
        return _Refused(name)

    # -- imports
    def find_class(self, module: str, name: str) -> Any:
        if self.proto < 3:
            if (module, name) in _NAME_MAPPING:
                module, name = _NAME_MAPPING[(module, name)]
            elif module in _IMPORT_MAPPING:
                module = _IMPORT_MAPPING[module]
        try:
            return self._resolver.resolve(module, name).obj
        except Bad as exc:
            return self._refuse(f"{module}.{name}", str(exc))

    # -- sizes
    def load_proto(self) -> None:
        proto = self.read(1)[0]
        if not 0 <= proto <= 5:
            raise pickle.UnpicklingError(f"unsupported pickle protocol {proto}")
        self.proto = proto

    def load_frame(self) -> None:
        (size,) = unpack("<Q", self.read(8))
        self._stream._need(size)
        self._unframer.load_frame(size)

    def _long_size(self, n: int) -> None:
        if n > self._budget.limits.max_long_bytes:
            raise _TooBig(("bytes in one integer", n, "long_bytes"))

    def load_int(self) -> None:
        line = self.readline()
        self._long_size(len(line) // 2)
        self.append(False if line == b"00\n" else True if line == b"01\n" else int(line, 0))

    def load_long(self) -> None:
        line = self.readline()[:-1]
        self._long_size(len(line) // 2)
        if line and line[-1] == ord("L"):
            line = line[:-1]
        self.append(int(line, 0))

    def load_long4(self) -> None:
        (n,) = unpack("<i", self.read(4))
        if n < 0:
            raise pickle.UnpicklingError("LONG4 with a negative byte count")
        self._long_size(n)
        self.append(pickle.decode_long(self.read(n)))

    def load_bytearray8(self) -> None:
        (n,) = unpack("<Q", self.read(8))
        self.append(bytearray(self.read(n)))  # read() checks n against what the file can hold before allocating

    # -- memo
    def _memo_room(self) -> None:
        if len(self.memo) >= self._budget.limits.max_memo:
            raise _TooBig(("memo entries", len(self.memo) + 1, "memo"))

    def load_put(self) -> None:
        self._memo_room()
        _P.load_put(self)

    def load_binput(self) -> None:
        self._memo_room()
        _P.load_binput(self)

    def load_long_binput(self) -> None:
        self._memo_room()
        _P.load_long_binput(self)

    def load_memoize(self) -> None:
        self._memo_room()
        _P.load_memoize(self)

    # -- containers: plain lists, dicts and sets only; keys checked for hash bombs
    def load_dict(self) -> None:
        items = self.pop_mark()
        for k in items[::2]:
            self._hash(k)
        self.append({items[i]: items[i + 1] for i in range(0, len(items), 2)})

    def load_frozenset(self) -> None:
        items = self.pop_mark()
        for k in items:
            self._hash(k)
        self.append(frozenset(items))

    def _hash(self, key: Any) -> None:
        """Check a key (once per object) and charge what hashing it costs."""
        self._budget.charge(self._resolver.hashes.cost(key))

    def _target(self, obj: Any, kind: type) -> None:
        t = type(obj)
        if t is kind or isinstance(obj, _Refused):
            return
        if isinstance(obj, kind) and self._resolver.class_entry(t) is not None:
            method = "__setitem__" if kind is dict else "extend"
            if kind is dict and getattr(t, method) in (dict.__setitem__, OrderedDict.__setitem__):
                return
            if kind is list and t.extend is list.extend and t.append is list.append:
                return
        raise pickle.UnpicklingError(f"the pickle adds items to a {_qual(t)}, not a plain {kind.__name__}")

    def load_append(self) -> None:
        value = self.stack.pop()
        self._target(self.stack[-1], list)
        if not isinstance(self.stack[-1], _Refused):
            list.append(self.stack[-1], value)

    def load_appends(self) -> None:
        items = self.pop_mark()
        self._target(self.stack[-1], list)
        if not isinstance(self.stack[-1], _Refused):
            list.extend(self.stack[-1], items)

    def load_setitem(self) -> None:
        value = self.stack.pop()
        key = self.stack.pop()
        self._setitems([key, value])

    def load_setitems(self) -> None:
        self._setitems(self.pop_mark())

    def _setitems(self, items: list[Any]) -> None:
        target = self.stack[-1]
        self._target(target, dict)
        if isinstance(target, _Refused):
            return
        setitem = type(target).__setitem__
        for i in range(0, len(items), 2):
            self._hash(items[i])
            setitem(target, items[i], items[i + 1])

    def load_additems(self) -> None:
        items = self.pop_mark()
        target = self.stack[-1]
        if type(target) is not set:
            raise pickle.UnpicklingError(f"the pickle adds set items to a {_qual(type(target))}")
        for k in items:
            self._hash(k)
        target.update(items)

    # -- calls, instances, state
    def load_reduce(self) -> None:
        args = self.stack.pop()
        self.stack[-1] = self._call(self.stack[-1], args)

    def load_newobj(self) -> None:
        args = self.stack.pop()
        cls = self.stack.pop()
        self.append(self._new(cls, args, {}))

    def load_newobj_ex(self) -> None:
        kwargs = self.stack.pop()
        args = self.stack.pop()
        cls = self.stack.pop()
        self.append(self._new(cls, args, kwargs))

    def load_inst(self) -> None:
        module = self.readline()[:-1].decode("ascii")
        name = self.readline()[:-1].decode("ascii")
        klass = self.find_class(module, name)
        self._instantiate(klass, tuple(self.pop_mark()))

    def load_obj(self) -> None:
        args = self.pop_mark()
        cls = args.pop(0)
        self._instantiate(cls, tuple(args))

    def _instantiate(self, klass: Any, args: tuple[Any, ...]) -> None:
        self.append(self._call(klass, args) if args else self._new(klass, (), {}))

    def _call(self, func: Any, args: Any) -> Any:
        if isinstance(func, _Refused) or (type(args) is tuple and any(isinstance(a, _Refused) for a in args)):
            return _Refused(getattr(func, "name", "?"))
        if type(args) is not tuple:
            raise pickle.UnpicklingError("REDUCE arguments must be a tuple")
        hit = self._resolver.known(func)
        if hit is None or hit.kind not in (A.CALL, A.FUNCTION):
            what = hit.name if hit is not None else _describe(func)
            return self._refuse(what, "the pickle calls it while loading, but it is not a reviewed constructor or "
                                      "reconstructor")
        try:
            if hit.kind == A.CALL:
                check = CALL_CHECKS.get(hit.key)
                if check is not None:
                    check(self._resolver, args)
                elif hit.section != "user":
                    raise Bad("no argument check is registered for it")
                return self._new_via(func, hit, lambda: func(*args))
            return func(*args)
        except Bad as exc:
            return self._refuse(hit.name, str(exc))

    def _new(self, cls: Any, args: Any, kwargs: Any) -> Any:
        if isinstance(cls, _Refused):
            return _Refused(cls.name)
        if type(args) is not tuple or type(kwargs) is not dict:
            raise pickle.UnpicklingError("NEWOBJ arguments must be a tuple and a dict")
        hit = self._resolver.class_entry(cls) if isinstance(cls, type) else None
        if hit is None:
            return self._refuse(_describe(cls).removeprefix("the class "), "the pickle creates an instance of it, but it is "
                                                                            "not an allowed class")
        if hit.kind == A.CALL and hit.section != "user":  # its __new__ takes the constructor's arguments: same check
            check = CALL_CHECKS.get(hit.key)
            try:
                if check is None or kwargs:
                    raise Bad("it is created with arguments raudit does not check")
                check(self._resolver, args)
            except Bad as exc:
                return self._refuse(hit.name, str(exc))
        return self._new_via(cls, hit, lambda: cls.__new__(cls, *args, **kwargs), args=args, kwargs=kwargs)

    def _new_via(self, cls: type, hit: _Resolved, make: Callable[[], Any], *, args: tuple[Any, ...] = (),
                 kwargs: Mapping[str, Any] | None = None) -> Any:
        owner = _owner(cls, "__new__")
        owner_name = _qual(owner) if owner is not None else "builtins.object"
        if hit.kind == A.CLASS and owner not in (None, object):
            if owner_name not in A.NEW:
                return self._refuse(hit.name, f"creating it runs {owner_name}.__new__, which raudit has not reviewed")
            if owner_name.startswith("scipy.") and (args or kwargs):
                return self._refuse(hit.name, "a scipy distribution is created with arguments")
        return make()

    def load_build(self) -> None:
        state = self.stack.pop()
        inst = self.stack[-1]
        if isinstance(inst, _Refused):
            return
        cls = type(inst)
        hit = self._resolver.class_entry(cls)
        if hit is None:
            self.stack[-1] = self._refuse(_qual(cls), "the pickle restores the state of an instance of it, but it is not "
                                                      "an allowed class")
            return
        owner = _owner(cls, "__setstate__")
        try:
            if owner is None:
                _plain_build(inst, state)
            elif _qual(owner) == A.DISTRIBUTION_SETSTATE and hit.section == "distributions":
                rebuild_distribution(inst, state)
            elif _qual(owner) in A.SETSTATE:
                check_state(_qual(owner), self._resolver, state)
                vars(owner)["__setstate__"](inst, state)
            else:
                self.stack[-1] = self._refuse(hit.name, f"its __setstate__ (defined by {_qual(owner)}) runs code on load "
                                                        "that raudit has not reviewed")
                return
        except Bad as exc:
            self.stack[-1] = self._refuse(hit.name, str(exc))
            return
        if hit.key == "joblib.numpy_pickle:NumpyArrayWrapper":
            self.stack[-1] = self._joblib_array(inst)

    # -- joblib's raw arrays
    def _joblib_array(self, wrapper: Any) -> Any:  # size: reads a joblib array record field by field from the stream, each checked
        import numpy as np

        state = vars(wrapper)
        dtype, shape, order = state.get("dtype"), state.get("shape"), state.get("order", "C")
        if state.get("subclass") not in (np.ndarray, np.matrix, np.memmap) or not isinstance(dtype, np.dtype) \
                or type(shape) is not tuple or order not in ("C", "F"):
            raise pickle.UnpicklingError("a joblib array header has the wrong subclass, dtype, shape or order")
        count = 1
        for n in shape:
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
                raise pickle.UnpicklingError("a joblib array dimension is not a non-negative integer")
            count *= int(n)
        frame = self._unframer.current_frame
        if frame is not None and frame.tell() < len(frame.getbuffer()):
            raise pickle.UnpicklingError("joblib array data starts inside a pickle frame (corrupt file)")
        self._unframer.current_frame = None
        if dtype.hasobject:
            inner = _Unpickler(self._stream, self._resolver, self._budget, self._refused, self._reasons)
            array = inner.load()
            if isinstance(array, _Refused):
                return array
            if not isinstance(array, np.ndarray) or array.shape != tuple(int(n) for n in shape):
                raise pickle.UnpicklingError("a joblib object array does not match its header")
            return array
        if state.get("numpy_array_alignment_bytes") is not None:
            pad = self._stream.read(1)
            if not pad or pad[0] > 64:
                raise pickle.UnpicklingError("a joblib array's alignment padding is corrupt")
            self._stream.read(pad[0])
        self._stream._need(count * dtype.itemsize)
        array = np.empty(count, dtype=dtype)
        self._stream.readinto_array(array)
        array = array.reshape(shape[::-1]).transpose() if order == "F" else array.reshape(shape)
        if array.dtype.byteorder not in ("=", "|") and array.dtype.byteorder != {"little": "<", "big": ">"}[sys.byteorder]:
            array = array.byteswap().view(array.dtype.newbyteorder("="))
        return array


def _unknown_opcode(key: bytes) -> str:
    import pickletools

    op = pickletools.code2op.get(key.decode("latin-1"))  # type: ignore[attr-defined]
    if op is None:
        return f"byte {key!r} is not a pickle opcode"
    why = {"PERSID": "a persistent id", "BINPERSID": "a persistent id", "EXT1": "an extension-registry code",
           "EXT2": "an extension-registry code", "EXT4": "an extension-registry code", "NEXT_BUFFER": "an out-of-band buffer"}
    return f"opcode {op.name} ({why.get(op.name, 'unsupported')}) is refused: a model file never needs it"


def _plain_build(inst: Any, state: Any) -> None:
    """Pickle's default state restore: ``__dict__`` update (and slot attributes), string keys only."""
    slotstate = None
    if type(state) is tuple and len(state) == 2:
        state, slotstate = state
    if state is not None and type(state) is not dict or slotstate is not None and type(slotstate) is not dict:
        raise Bad("its pickled state is not a dict of attributes")
    if state:
        if not all(type(k) is str for k in state):
            raise Bad("its pickled attribute names are not strings")
        target = inst.__dict__
        for k, v in state.items():
            target[sys.intern(k)] = v
    if slotstate:
        for k, v in slotstate.items():
            if type(k) is not str or k.startswith("__"):  # never __class__, __dict__, ...
                raise Bad(f"its pickled slot name {k!r} is not a plain attribute name")
            setattr(inst, k, v)


_REPLACED: Final = ("load_proto", "load_frame", "load_int", "load_long", "load_long4", "load_bytearray8", "load_put",
                    "load_binput", "load_long_binput", "load_memoize", "load_dict", "load_frozenset", "load_append",
                    "load_appends", "load_setitem", "load_setitems", "load_additems", "load_reduce", "load_newobj",
                    "load_newobj_ex", "load_inst", "load_obj", "load_build")
#: Opcodes CPython implements safely as is (pure data; globals go through find_class above).
_KEPT: Final = ("load_none", "load_false", "load_true", "load_binint", "load_binint1", "load_binint2", "load_long1",
                "load_float", "load_binfloat", "load_string", "load_binstring", "load_binbytes", "load_unicode",
                "load_binunicode", "load_binunicode8", "load_binbytes8", "load_readonly_buffer", "load_short_binstring",
                "load_short_binbytes", "load_short_binunicode", "load_tuple", "load_empty_tuple", "load_tuple1",
                "load_tuple2", "load_tuple3", "load_empty_list", "load_empty_dictionary", "load_empty_set", "load_list",
                "load_global", "load_stack_global", "load_pop", "load_pop_mark", "load_dup", "load_get", "load_binget",
                "load_long_binget", "load_mark", "load_stop")
#: Refused: persistent ids (PERSID, BINPERSID), extension registry (EXT1/2/4), out-of-band buffers (NEXT_BUFFER).
_DISPATCH: Final = MappingProxyType({
    code: getattr(_Unpickler, fn.__name__)
    for code, fn in _P.dispatch.items() if fn.__name__ in _REPLACED + _KEPT
})


# ---------------------------------------------------------------------------------------------- entry points

def _refusal(path: Path, refused: list[str], reasons: Mapping[str, str]) -> InputError:
    listed = "; ".join(f"{name} ({reasons[name]})" for name in refused)
    return InputError(
        f"refusing to load {path}: the pickle would use {len(refused)} global(s) raudit does not allow: {listed}",
        hint="a pickle can run code while it loads. If you have reviewed where this file came from, rerun with "
             "--trust-model; to allow one exact class or function you trust, --allow-global module:Name. Saving the model "
             "with skops (skops.io.dump) avoids pickles altogether",
    )


def _too_big(path: Path, what: str, number: int, limit: str, limits: Limits, size: int) -> InputError:
    value = getattr(limits, LIMIT_NAMES[limit])
    if limit == "bytes":
        value = limits.bytes_for(size)
    return InputError(
        f"refusing to load {path}: it needs more than {value:,} {what} (reached {number:,}); raudit caps this so that a "
        "hostile file cannot exhaust memory or time",
        hint=f"if the file is a model you expect to be this large, raise the cap with --load-limit {limit}=N (or "
             f"load_limits = {{{limit} = N}} in raudit.toml), or skip inspection with --trust-model",
    )


# size: the safe load in the order its guarantees need: open, cap, unpickle, review, report
def safe_load(path: Path, *, allow_globals: Iterable[str] = (), allow_modules: Iterable[str] = (), trust: bool = False,
              limits: Limits | None = None) -> tuple[Any, dict[str, Any]]:
    """Load a pickle/joblib file under the policy above.

    Parameters
    ----------
    path : Path
    allow_globals : iterable of str
        Exact ``module:Name`` globals the user allows (``--allow-global``).
    allow_modules : iterable of str
        Module prefixes the user allows (``--allow-module``; loud).
    trust : bool
        Skip inspection and load with ``joblib.load`` (``--trust-model``).
    limits : Limits, optional

    Returns
    -------
    obj : object
    info : dict
        What was inspected and decided (for the report).

    Raises
    ------
    InputError
        Refused globals or operations (named), a cap reached (named, with how
        to raise it), or a corrupt file.
    """
    limits = limits or DEFAULT_LIMITS
    policy = Policy.from_user(allow_globals, allow_modules)
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"model file {path} is empty")
    with path.open("rb") as raw:
        kind = _compression(raw.read(8))
    info: dict[str, Any] = {"compressed": kind is not None, "compression": kind, "trusted_by_user": trust,
                            "allowed_globals": sorted(f"{m}:{n}" for m, n in policy.extra_globals),
                            "allowed_modules": list(policy.extra_modules)}
    if trust:
        import joblib

        try:
            obj = joblib.load(path)
        except Exception as exc:
            raise InputError(f"cannot load {path} (trusted, uninspected): {type(exc).__name__}: {exc}") from None
        info["decision"] = "loaded without inspection (--trust-model)"
        return obj, info

    refused: list[str] = []
    reasons: dict[str, str] = {}
    resolver = _Resolver(policy)
    budget = _Budget(limits)
    resolver.budget = budget
    stream: _Stream | None = None
    try:
        with path.open("rb") as raw:
            stream = _open(path, raw, limits)
            obj = _Unpickler(stream, resolver, budget, refused, reasons).load()
            if not refused:
                check_loaded(obj, max_depth=limits.max_depth, max_expansion=limits.max_expansion, allowed=policy.allows_function)
    except InputError:
        raise
    except _TooBig as exc:
        what, number, limit = exc.args[0]
        raise _too_big(path, what, number, limit, limits, size) from None
    except Bad as exc:
        if refused:
            raise _refusal(path, refused, reasons) from None
        raise InputError(f"refusing to load {path}: {exc}",
                         hint="the file does not look like a model raudit can open safely; if you trust it, --trust-model") from None
    except (MemoryError, RecursionError) as exc:
        if refused:
            raise _refusal(path, refused, reasons) from None
        raise InputError(f"refusing to load {path}: it exhausts {'memory' if isinstance(exc, MemoryError) else 'the stack'}",
                         hint="if the file is a model you trust, --trust-model") from None
    except Exception as exc:
        if refused:  # a stand-in upset a later constructor: the refusal is the real news
            raise _refusal(path, refused, reasons) from None
        if isinstance(exc, ModuleNotFoundError):
            raise InputError(f"model file {path} needs code that is not installed here: {exc}",
                             hint="install the library the model was trained with (same version), then rerun") from None
        where = f" (after {stream.produced:,} bytes)" if stream is not None else ""
        raise InputError(f"model file {path} is corrupt, truncated or not a pickle{where}: {type(exc).__name__}: {exc}",
                         hint="re-save the model with joblib.dump(model, path)") from None
    if refused:
        raise _refusal(path, refused, reasons)
    info["opcodes"] = budget.ops
    info["decompressed_bytes"] = stream.produced if stream is not None else None
    info["globals_seen"] = sorted(r.name for r in resolver._by_name.values())
    extra = ""
    if policy.extra_globals or policy.extra_modules:
        extra = " plus what the user allowed: " + ", ".join(info["allowed_globals"] + [f"{m}.*" for m in policy.extra_modules])
    info["decision"] = "inspected: every global is in raudit's exact allow-list" + extra
    return obj, info


def check_loaded_model(obj: Any, *, limits: Limits | None = None, allow_globals: Iterable[str] = ()) -> None:
    """The post-load checks (depth, blow-up, tree indices, reviewed state) for a model loaded another way (skops).

    Raises
    ------
    InputError
        When a check fails.
    """
    limits = limits or DEFAULT_LIMITS
    policy = Policy.from_user(allow_globals)
    try:
        check_loaded(obj, max_depth=limits.max_depth, max_expansion=limits.max_expansion, allowed=policy.allows_function)
    except Bad as exc:
        raise InputError(f"refusing the loaded model: {exc}") from None


def skops_trusted_types() -> list[str]:
    """The reviewed types to pass to ``skops.io.load(trusted=...)``: raudit's allow-list, minus what skops would mishandle.

    skops builds an object with ``cls.__new__(cls)`` and calls its
    ``__setstate__``, so only classes whose ``__new__`` and ``__setstate__``
    are reviewed go in (not scipy.stats distributions, whose
    ``__setstate__`` execs pickled text); plus the reviewed REFERENCE
    functions skops stores by name.
    """
    out = []
    for e in A.ENTRIES:
        if e.alias_of:
            continue
        if e.kind == A.REFERENCE:
            out.append(e.name)
            continue
        if e.kind not in (A.CLASS, A.CALL):
            continue
        try:
            cls = importlib.import_module(e.module)
            for part in e.qualname.split("."):
                cls = getattr(cls, part)
        except (ImportError, AttributeError):
            continue
        if not isinstance(cls, type) or (cls.__module__, cls.__qualname__) != (e.module, e.qualname):
            continue
        setstate, new = _owner(cls, "__setstate__"), _owner(cls, "__new__")
        if setstate is not None and _qual(setstate) not in A.SETSTATE:
            continue
        if new not in (None, object) and _qual(new) not in A.NEW and e.kind != A.CALL:
            continue
        out.append(e.name)
    return out


