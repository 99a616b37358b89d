"""Open pickle and joblib model files without running code nobody reviewed.

A pickle can import and call anything while it loads. raudit therefore

1. reads the file's opcode stream *without executing it* (``pickletools``)
   and lists every global it would import, refusing any outside an
   allow-list of the modules a model legitimately needs; and
2. loads it with an unpickler whose ``find_class`` enforces the same policy
   on every global actually requested, so nothing the static pass could not
   see (joblib interleaves raw array bytes with the pickle stream) slips
   through.

Compressed joblib files (zlib, gzip, bz2, xz, lzma) are decompressed in memory
first. ``trust=True`` (``--trust-model``) skips both steps; ``allow`` adds
module prefixes (``--allow-module``).
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import pickletools
import re
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from raudit._errors import InputError

__all__ = ["scan_globals", "refused_globals", "safe_load", "ALLOWED_MODULES"]

#: Packages a scikit-learn-compatible model legitimately needs.
ALLOWED_MODULES = ("sklearn", "numpy", "scipy", "pandas", "xgboost", "lightgbm", "joblib", "collections", "copyreg",
                   "datetime", "_codecs", "decimal", "fractions", "functools", "re", "enum", "uuid", "skorch", "torch",
                   "_operator")
#: Builtins that construct plain data and cannot reach the system.
SAFE_BUILTINS = {"set", "frozenset", "dict", "list", "tuple", "slice", "range", "complex", "bytearray", "bytes", "int",
                 "float", "str", "bool", "object", "type", "NoneType", "Ellipsis", "NotImplemented", "property"}
#: Names of allowed packages that match the danger pattern below but only rebuild data.
SAFE_EXCEPTIONS = {"re._compile", "joblib.numpy_pickle.NumpyArrayWrapper", "copyreg._reconstructor", "_codecs.encode"}
#: Modules allowed only on request (need a reviewed reason): skorch and torch.
OPT_IN = ("skorch", "torch")
#: Functions and submodules of allowed packages that read, write, fetch or run things.
DANGEROUS_NAME = re.compile(
    r"(^|_)(load|loads|save|savez|read|write|open|dump|dumps|fromfile|tofile|memmap|fetch|download|urlopen|exec|eval|"
    r"system|popen|spawn|compile|import|genfromtxt|loadtxt|savetxt|to_pickle|read_pickle|DataSource|call|run|getattr|"
    r"setattr|delattr|globals|locals|vars|input|breakpoint|attrgetter|methodcaller)($|_)", re.IGNORECASE)
DANGEROUS_MODULE = re.compile(r"(^|\.)(io|testing|datasets|f2py|distutils|ctypeslib|_pytest|subprocess|os|sys|parallel|"
                              r"memory|hub|onnx|cpp_extension|jit|package|serialization)(\.|$)")


def _decompressed(raw: bytes) -> bytes:
    """Undo joblib's compression (by magic bytes); plain pickles pass through."""
    try:
        if raw[:2] == b"\x1f\x8b":
            return gzip.decompress(raw)
        if raw[:3] == b"BZh":
            return bz2.decompress(raw)
        if raw[:6] == b"\xfd7zXZ\x00":
            return lzma.decompress(raw, format=lzma.FORMAT_XZ)
        if raw[:3] == b"]\x00\x00":
            return lzma.decompress(raw, format=lzma.FORMAT_ALONE)
        if raw[:1] == b"x" and len(raw) > 1 and (raw[0] * 256 + raw[1]) % 31 == 0:
            return zlib.decompress(raw)
        if raw[:4] == b"\x04\x22\x4d\x18":
            raise InputError("this model file is lz4-compressed, which raudit cannot inspect safely",
                             hint="re-save it with joblib.dump(model, path, compress=3) (zlib) or without compression")
    except (OSError, EOFError, lzma.LZMAError, zlib.error, ValueError) as exc:
        raise InputError(f"the model file is compressed but corrupt or truncated: {exc}",
                         hint="re-save the model with joblib.dump(model, path)") from None
    return raw


_STRING_OPS = {"SHORT_BINUNICODE", "BINUNICODE", "UNICODE", "BINUNICODE8", "SHORT_BINSTRING", "BINSTRING", "STRING"}
_MARK = object()


def scan_globals(data: bytes) -> tuple[list[tuple[str, str]], bool]:
    """List the ``module.name`` globals a pickle stream imports, without executing it.

    A small stack machine follows each opcode's documented stack effect
    (``pickletools``), keeping only strings, so ``STACK_GLOBAL`` (protocol 4+)
    is resolved to the module and name it would import.

    Returns
    -------
    globals : list of (module, name)
        In stream order, without duplicates.
    complete : bool
        False when the scan stopped early (joblib's raw array bytes, or a
        truncated stream); the restricted unpickler still checks the rest.
    """
    found: list[tuple[str, str]] = []
    wrapper = ("joblib.numpy_pickle", "NumpyArrayWrapper")
    stream = io.BytesIO(data)
    try:
        while stream.tell() < len(data):
            stack: list[Any] = []
            memo: dict[Any, Any] = {}
            for op, arg, _pos in pickletools.genops(stream):
                name = op.name
                if name in _STRING_OPS:
                    stack.append(str(arg))
                elif name == "MEMOIZE":
                    memo[len(memo)] = stack[-1] if stack else None
                elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
                    memo[arg] = stack[-1] if stack else None
                elif name in ("GET", "BINGET", "LONG_BINGET"):
                    stack.append(memo.get(arg))
                elif name == "STACK_GLOBAL":
                    module, attr = (stack[-2], stack[-1]) if len(stack) >= 2 else (None, None)
                    del stack[-2:]
                    found.append((module, attr) if isinstance(module, str) and isinstance(attr, str) else ("<computed>", "<computed>"))
                    if found[-1] == wrapper:
                        return list(dict.fromkeys(found)), False
                    stack.append(None)
                elif name in ("GLOBAL", "INST"):
                    module, _, attr = str(arg).partition(" ")
                    found.append((module, attr))
                    if found[-1] == wrapper:
                        # joblib writes raw array bytes after this object: opcodes end here
                        return list(dict.fromkeys(found)), False
                    if name == "INST":
                        _pop_to_mark(stack)
                    stack.append(None)
                elif name == "MARK":
                    stack.append(_MARK)
                else:
                    before = op.stack_before
                    if pickletools.markobject in before:
                        _pop_to_mark(stack)
                        del stack[len(stack) - before.index(pickletools.markobject):]
                    elif before:
                        del stack[len(stack) - len(before):]
                    stack.extend([None] * len(op.stack_after))
    except Exception:
        return list(dict.fromkeys(found)), False
    return list(dict.fromkeys(found)), True


def _pop_to_mark(stack: list[Any]) -> None:
    while stack and stack[-1] is not _MARK:
        stack.pop()
    if stack:
        stack.pop()


def _allowed(module: str, name: str, allow: Iterable[str]) -> bool:
    import _compat_pickle

    module, name = _compat_pickle.NAME_MAPPING.get((module, name), (module, name))  # protocol 0-2 Python 2 names
    module = _compat_pickle.IMPORT_MAPPING.get(module, module)
    full = f"{module}.{name}"
    if "." in name or not module:
        return False
    extra = tuple(allow)
    if module == "builtins":
        return name in SAFE_BUILTINS or f"builtins.{name}" in extra
    top = module.split(".")[0]
    if any(module == a or module.startswith(a + ".") or full == a for a in extra):
        return True
    if full in SAFE_EXCEPTIONS:
        return True
    if top in OPT_IN or top not in ALLOWED_MODULES:
        return False
    if top == "joblib":
        return False
    return not DANGEROUS_NAME.search(name) and not DANGEROUS_MODULE.search(module.removeprefix(top))


def refused_globals(found: Iterable[tuple[str, str]], allow: Iterable[str] = ()) -> list[str]:
    """The ``(module, name)`` globals from ``found`` that the policy refuses, as ``module.name``."""
    allow = tuple(allow)
    return [f"{m}.{n}" for m, n in found if not _allowed(m, n, allow)]


def _refusal(path: Path, refused: list[str]) -> InputError:
    return InputError(
        f"refusing to load {path}: the pickle would import {len(refused)} global(s) outside what a model needs: "
        + ", ".join(refused),
        hint="a pickle can run code while it loads. If you have reviewed where this file came from, rerun with "
             "--trust-model, or allow a module you trust with --allow-module NAME",
    )


class _Refused:
    """Stands in for a refused global while the rest of the file is read: it runs nothing."""

    def __new__(cls, *args: Any, **kwargs: Any) -> _Refused:
        return object.__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __call__(self, *args: Any, **kwargs: Any) -> _Refused:
        return _Refused()

    def __setstate__(self, state: Any) -> None:
        pass


def safe_load(path: Path, *, allow: Iterable[str] = (), trust: bool = False) -> tuple[Any, dict[str, Any]]:
    """Load a pickle/joblib file under the policy above.

    Returns
    -------
    obj : object
    info : dict
        What was inspected and decided (for the report).
    """
    import joblib.numpy_pickle as jnp

    allow = tuple(allow)
    raw = path.read_bytes()
    data = _decompressed(raw)
    info: dict[str, Any] = {"compressed": data is not raw, "trusted_by_user": trust, "allowed_modules": list(allow)}
    if not data:
        raise InputError(f"model file {path} is empty")
    if not trust:
        found, complete = scan_globals(data)
        info["globals_seen"] = [f"{m}.{n}" for m, n in found]
        info["static_scan_complete"] = complete
        refused = refused_globals(found, allow)
        if refused:
            raise _refusal(path, refused)

    refused_late: list[str] = []

    class Restricted(jnp.NumpyUnpickler):  # type: ignore[misc]
        """joblib's unpickler, but a refused global yields an inert stand-in instead of being imported."""

        def find_class(self, module: str, name: str) -> Any:
            if not trust and not _allowed(module, name, allow):
                refused_late.append(f"{module}.{name}")
                return _Refused
            return super().find_class(module, name)

    try:
        unpickler = Restricted(str(path), io.BytesIO(data), ensure_native_byte_order=True)
    except TypeError:  # joblib < 1.5 has no ensure_native_byte_order
        unpickler = Restricted(str(path), io.BytesIO(data))
    try:
        obj = unpickler.load()
    except Exception as exc:
        if refused_late:  # a stand-in upset a later constructor: the refusal is the real news
            raise _refusal(path, list(dict.fromkeys(refused_late))) from None
        if isinstance(exc, (ModuleNotFoundError, AttributeError)):
            raise InputError(f"model file {path} needs code that is not installed here: {exc}",
                             hint="install the library the model was trained with (same version), then rerun") from None
        raise InputError(f"model file {path} is corrupt, truncated or not a pickle: {type(exc).__name__}: {exc}",
                         hint="re-save the model with joblib.dump(model, path)") from None
    if refused_late:
        raise _refusal(path, list(dict.fromkeys(refused_late)))
    info["decision"] = "loaded without inspection (--trust-model)" if trust else \
        "inspected: every global is in the allow-list" + (f" (plus {', '.join(allow)})" if allow else "")
    return obj, info

