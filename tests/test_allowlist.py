"""The allow-list is what it says: exact, resolvable, reviewed entry by entry, and nothing from raudit on it."""

from __future__ import annotations

import pickle
import struct
import types

import numpy as np
import pytest

import raudit
from raudit.load.pickle import allowlist as A
from raudit.load.pickle.review import CALL_CHECKS, RECONSTRUCTORS, Bad
from raudit.load.pickle.unpickler import Policy, _owner, _qual, _Resolver, safe_load, skops_trusted_types


def test_every_entry_resolves_to_exactly_the_reviewed_object():
    resolver = _Resolver(Policy())
    for e in A.ENTRIES:
        hit = resolver.resolve(e.module, e.qualname)
        assert not isinstance(hit.real, types.ModuleType), e
        if e.kind in (A.CLASS, A.CALL):
            assert isinstance(hit.real, type) and (hit.real.__module__, hit.real.__qualname__) == e.identity, e
        else:
            assert not isinstance(hit.real, type), e


def test_each_entry_has_a_reason_and_nothing_comes_from_raudit():
    names = [(e.module, e.qualname) for e in A.ENTRIES]
    assert len(names) == len(set(names))
    for e in A.ENTRIES:
        assert len(e.reason) >= 15, e
        assert not e.module.startswith("raudit") and "*" not in e.module + e.qualname, e


def test_every_function_and_every_called_class_has_its_argument_check():
    for e in A.ENTRIES:
        key = ":".join(e.identity)
        if e.kind == A.FUNCTION:
            assert key in RECONSTRUCTORS, e
        if e.kind == A.CALL:
            assert key in CALL_CHECKS, e


def test_every_class_restores_state_only_through_reviewed_code(tmp_path):
    resolver = _Resolver(Policy())
    unreviewed_new = []
    distributions = {(e.module, e.qualname) for e in A.DISTRIBUTIONS}
    for e in A.ENTRIES:
        if e.kind not in (A.CLASS, A.CALL):
            continue
        cls = resolver.resolve(e.module, e.qualname).real
        setstate = _owner(cls, "__setstate__")
        if (e.module, e.qualname) in distributions:
            assert _qual(setstate) == A.DISTRIBUTION_SETSTATE, e  # rebuilt, never called
        elif setstate is not None and _qual(setstate) not in A.SETSTATE:
            assert _qual(setstate) == "numpy.generic", e  # scalar types: only referred to; BUILD on a scalar is refused
        new = _owner(cls, "__new__")
        if e.kind == A.CLASS and new not in (None, object) and _qual(new) not in A.NEW:
            unreviewed_new.append(e)
    # classes with an unreviewed __new__ (numpy scalar and dtype types, pandas indexes) are only referred to or built by
    # reviewed reconstructors: a pickle that instantiates one directly is refused
    assert {e.module for e in unreviewed_new} <= {"numpy", "numpy.dtypes", "pandas", "pandas.arrays", "numpy.random._mt19937",
                                                  "numpy.random._pcg64", "numpy.random._philox", "numpy.random._sfc64",
                                                  "numpy.random.bit_generator", "numpy.random.mtrand", "numpy.random._generator",
                                                  "pandas.core.internals.managers", "sklearn.neighbors._kd_tree",
                                                  "sklearn.neighbors._ball_tree", "numpy.ma",
                                                  "zoneinfo"}, unreviewed_new  # ZoneInfo: only through its _unpickle
    for e in unreviewed_new:
        with pytest.raises(raudit.InputError, match="__new__"):
            safe_load(_newobj_pickle(tmp_path, e))


def test_restoring_state_through_an_unreviewed_setstate_is_refused(tmp_path):
    scalar = pickle.dumps(np.float64(1.5), protocol=2)[2:-1]
    path = tmp_path / "scalar_build.pkl"
    path.write_bytes(b"\x80\x02" + scalar + b"}" + b"b" + b".")  # BUILD with a state on a numpy scalar
    with pytest.raises(raudit.InputError, match="numpy.generic"):
        safe_load(path)


def _newobj_pickle(tmp_path, e):
    path = tmp_path / "newobj.pkl"
    body = b"X" + struct.pack("<I", len(e.module)) + e.module.encode() + b"X" + struct.pack("<I", len(e.qualname)) + e.qualname.encode()
    path.write_bytes(b"\x80\x04" + body + b"\x93" + b")" + b"\x81" + b".")
    return path


def test_ufuncs_only_by_name_in_numpy_and_scipy_special_and_only_real_ufuncs():
    resolver = _Resolver(Policy())
    assert resolver.resolve("numpy", "log1p").real is np.log1p
    assert resolver.resolve("numpy", "log1p").kind == A.REFERENCE
    for module, name in [("numpy", "load"), ("numpy", "testing"), ("os", "system"), ("numpy", "_NoValue")]:
        with pytest.raises(Bad):
            resolver.resolve(module, name)


def test_skops_gets_the_reviewed_types_but_never_an_exec_ing_setstate():
    trusted = set(skops_trusted_types())
    assert {"sklearn.tree._tree.Tree", "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor", "numpy.dtype",
            "sklearn.utils._bunch.Bunch", "sklearn.neighbors._kd_tree.KDTree"} <= trusted
    assert not trusted & {e.name for e in A.DISTRIBUTIONS}
    assert not any(t.startswith(("raudit", "builtins.getattr", "copyreg", "skorch")) for t in trusted)
