"""List the globals that real fitted models' pickles import, to regenerate and review raudit's allow-list.

Fits the model zoo of ``tests/zoo.py`` (every scikit-learn family, pipelines,
search CVs, XGBoost, LightGBM, pandas-3 string data), pickles each model with
every pickle protocol and with joblib, and walks the streams with CPython's
own pure-Python unpickler, instrumented to record

* each ``(module, qualname)`` global a stream imports, what it resolves to, and
  how the stream uses it (called with arguments, instantiated without
  ``__init__``, referenced as a value);
* the type of each object whose state is restored (``BUILD``) and which class
  defines the ``__setstate__`` that runs, and which defines ``__new__``.

Run it with a new library version and compare with ``raudit/load/pickle/allowlist.py``::

    .venv/bin/python scripts/allowlist_globals.py            # the table, for review
    .venv/bin/python scripts/allowlist_globals.py --check    # only what the allow-list lacks

Nothing here is trusted: the models are built on this machine by this script.
Entries still need a human's review (see the module docstring of
``raudit/load/pickle/allowlist.py``) before they go into the allow-list.
"""

from __future__ import annotations

import argparse
import io
import pickle
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _owner(cls: type, attr: str) -> str:
    for klass in cls.__mro__:
        if attr in vars(klass):
            return f"{klass.__module__}.{klass.__qualname__}"
    return "-"


class Record:
    """What the walks saw."""

    def __init__(self) -> None:
        self.globals: dict[tuple[str, str], dict[str, Any]] = {}
        self.built: dict[str, dict[str, Any]] = {}
        self.model = ""

    def seen_global(self, module: str, name: str, obj: Any) -> None:
        """A global a stream imported."""
        entry = self.globals.setdefault((module, name), {"obj": obj, "uses": set(), "models": set()})
        entry["models"].add(self.model)

    def use(self, obj: Any, how: str) -> None:
        """How the stream used an object it imported (call, new)."""
        for entry in self.globals.values():
            if entry["obj"] is obj:
                entry["uses"].add(how)

    def seen_build(self, inst: Any) -> None:
        """An object whose state the stream restored."""
        cls = type(inst)
        key = f"{cls.__module__}.{cls.__qualname__}"
        self.built.setdefault(key, {"cls": cls, "models": set()})["models"].add(self.model)


def _recording_unpickler(record: Record, base: type) -> type:
    class Recording(base):  # type: ignore[misc, valid-type]
        dispatch = base.dispatch.copy()

        def find_class(self, module: str, name: str) -> Any:
            obj = super().find_class(module, name)
            record.seen_global(module, name, obj)
            return obj

        def load_reduce(self) -> None:
            record.use(self.stack[-2], "call")
            base.load_reduce(self)

        def load_newobj(self) -> None:
            record.use(self.stack[-2], "new")
            base.load_newobj(self)

        def load_newobj_ex(self) -> None:
            record.use(self.stack[-3], "new")
            base.load_newobj_ex(self)

        def load_build(self) -> None:
            record.seen_build(self.stack[-2])
            base.load_build(self)

        dispatch[pickle.REDUCE[0]] = load_reduce
        dispatch[pickle.NEWOBJ[0]] = load_newobj
        dispatch[pickle.NEWOBJ_EX[0]] = load_newobj_ex
        dispatch[pickle.BUILD[0]] = load_build

    return Recording


def walk(cases: list[Any], *, protocols: tuple[int, ...] = (0, 1, 2, 3, 4, 5)) -> Record:
    """Pickle each case's model every way and record what loading it needs."""
    import joblib
    import joblib.numpy_pickle as jnp

    record = Record()
    plain = _recording_unpickler(record, pickle._Unpickler)  # type: ignore[attr-defined]
    job = _recording_unpickler(record, jnp.NumpyUnpickler)
    saved_inner = jnp.Unpickler
    jnp.Unpickler = plain  # joblib's nested unpickler for object arrays
    try:
        for case in cases:
            record.model = case.name
            for proto in protocols:
                plain(io.BytesIO(pickle.dumps(case.model, protocol=proto))).load()
            for compress in (0, 3):
                buf = io.BytesIO()
                joblib.dump(case.model, buf, compress=compress)
                buf.seek(0)
                if compress:
                    import zlib

                    buf = io.BytesIO(zlib.decompress(buf.getvalue()))
                job("", buf, ensure_native_byte_order=True).load()
    finally:
        jnp.Unpickler = saved_inner
    return record


def _kind(obj: Any, uses: set[str]) -> str:
    import numpy as np

    if isinstance(obj, np.ufunc):
        return "UFUNC"
    if isinstance(obj, type):
        return "CALL" if "call" in uses else "CLASS"
    if "call" in uses:
        return "FUNCTION"
    return "REFERENCE"


def report(record: Record, *, only_missing: bool) -> int:
    """Print the globals and built types (only those not allowed yet with ``only_missing``); return how many lack an entry."""
    import _compat_pickle

    from raudit.load.pickle import allowlist as _allowlist

    known = {(e.module, e.qualname) for e in _allowlist.ENTRIES}
    for (module, name), entry in list(record.globals.items()):  # Python 2 names, as pickle maps them for protocols 0-2
        new = _compat_pickle.NAME_MAPPING.get((module, name)) or (_compat_pickle.IMPORT_MAPPING.get(module, module), name)
        if new != (module, name):
            record.globals.pop((module, name))
            record.globals.setdefault(new, entry)
    missing = 0
    print("# globals imported by the zoo's pickles: (module, qualname, kind)  # resolves to; uses; __setstate__ / __new__ owners; models")
    for (module, name), entry in sorted(record.globals.items()):
        obj, uses = entry["obj"], entry["uses"]
        allowed = (module, name) in known or _allowlist.is_ufunc_name(module, name)
        missing += not allowed
        if only_missing and allowed:
            continue
        target = f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', type(obj).__name__)}"
        extra = ""
        if isinstance(obj, type):
            extra = f"; setstate {_owner(obj, '__setstate__')}; new {_owner(obj, '__new__')}"
        models = sorted(entry["models"])
        print(f'    ("{module}", "{name}", {_kind(obj, uses)}),  # -> {target}; uses {",".join(sorted(uses)) or "ref"}{extra}; '
              f'{len(models)} models e.g. {models[0]}' + ("" if allowed else "   <-- NOT IN THE ALLOW-LIST"))
    print("\n# types whose state is restored (BUILD): __setstate__ owner")
    for key, entry in sorted(record.built.items()):
        cls = entry["cls"]
        allowed = (cls.__module__, cls.__qualname__) in known
        missing += not allowed
        if only_missing and allowed:
            continue
        print(f"    {key}: setstate {_owner(cls, '__setstate__')}" + ("" if allowed else "   <-- NOT IN THE ALLOW-LIST"))
    return missing


def main() -> int:
    """Fit the zoo, walk its pickles, print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="print only what raudit/load/pickle/allowlist.py lacks; exit 1 if anything")
    parser.add_argument("--models", help="comma-separated zoo names (default: all)")
    args = parser.parse_args()
    from tests.zoo import build_zoo

    cases = build_zoo(args.models.split(",") if args.models else None)
    record = walk(cases)
    missing = report(record, only_missing=args.check)
    print(f"\n# {len(cases)} models, {len(record.globals)} globals, {len(record.built)} built types; {missing} not in the allow-list")
    return 1 if args.check and missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
