"""The loader's policy cannot be changed by what it loads; users extend it exactly, or loudly."""

from __future__ import annotations

import _compat_pickle
import pickle
import sys
import textwrap
from types import MappingProxyType

import joblib
import numpy as np
import pytest
from click.testing import CliRunner

import raudit
from raudit.cli import main
from raudit.load.models import load_model
from raudit.load.pickle import allowlist as _allowlist
from raudit.load.pickle import review as _pickle_checks
from raudit.load.pickle import unpickler as _safe_pickle
from tests.attacks import ATTACKS, Target


def _snapshot():
    return (tuple(_allowlist.ENTRIES), dict(_allowlist.SETSTATE), dict(_allowlist.NEW), dict(_allowlist._BY_NAME),
            dict(_safe_pickle._DISPATCH), dict(_safe_pickle._NAME_MAPPING), _safe_pickle.DEFAULT_LIMITS,
            dict(_pickle_checks.CALL_CHECKS), dict(_pickle_checks.RECONSTRUCTORS), dict(_compat_pickle.NAME_MAPPING))


def _raudit_modules():
    return {k: v for k, v in sys.modules.items() if k == "raudit" or k.startswith("raudit.")}


def test_the_policy_is_made_of_read_only_values():
    for table in (_allowlist.SETSTATE, _allowlist.NEW, _allowlist.UFUNC_MODULES, _allowlist._BY_NAME, _safe_pickle._DISPATCH,
                  _safe_pickle._NAME_MAPPING, _pickle_checks.CALL_CHECKS, _pickle_checks.RECONSTRUCTORS):
        assert isinstance(table, MappingProxyType)
        with pytest.raises(TypeError):
            table["x"] = 1  # type: ignore[index]
    assert isinstance(_allowlist.ENTRIES, tuple)
    with pytest.raises(AttributeError):
        _allowlist.ENTRIES[0].kind = "function"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        _safe_pickle.DEFAULT_LIMITS.max_bytes = 0  # type: ignore[misc]


def test_one_malicious_load_cannot_change_the_next(tmp_path, files):
    """Run every quick attack of the corpus (policy tampering included), then: same policy, still refuses, still loads."""
    before, modules = _snapshot(), _raudit_modules()
    for a in ATTACKS.values():
        if a.slow:
            continue
        target = Target(tmp_path / a.name)
        target.dir.mkdir()
        target.sentinel.write_bytes(b"precious")
        path = a.build(target)
        with pytest.raises(raudit.InputError):
            load_model(path, load_limits=dict(s.split("=", 1) for s in a.limits))
        assert not target.marker.exists()
    assert _snapshot() == before
    assert all(sys.modules.get(k) is v for k, v in modules.items())  # no raudit module replaced
    # the next malicious file is still refused, and a benign one still loads without a trust flag
    target = Target(tmp_path / "after")
    target.dir.mkdir()
    with pytest.raises(raudit.InputError, match="posix.system"):
        load_model(ATTACKS["os_system_protocol_4"].build(target))
    assert not target.marker.exists()
    assert "exact allow-list" in load_model(files["model"]).load_info["trust"]


def test_tampering_attempts_name_raudit_and_are_refused_before_anything_runs(tmp_path):
    for name in ("rebind_raudit_module_global", "mutate_the_allow_list", "remap_python2_names",
                 "replace_raudit_module_in_sys_modules"):
        target = Target(tmp_path / name)
        target.dir.mkdir()
        with pytest.raises(raudit.InputError) as info:
            load_model(ATTACKS[name].build(target))
        assert ATTACKS[name].expect in str(info.value)
        assert not target.marker.exists()


USER_CODE = textwrap.dedent('''
    import numpy as np
    from sklearn.base import BaseEstimator, TransformerMixin

    class Clipper(TransformerMixin, BaseEstimator):
        def __init__(self, low=-3.0, high=3.0):
            self.low, self.high = low, high

        def fit(self, X, y=None):
            return self

        def transform(self, X):
            return np.clip(X, self.low, self.high)

    class Stateful(Clipper):
        def __setstate__(self, state):
            self.__dict__.update(state)

    clip_alias = Clipper
''')


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    (tmp_path / "raudit_user_code.py").write_text(USER_CODE)
    monkeypatch.syspath_prepend(str(tmp_path))
    import raudit_user_code

    yield raudit_user_code
    sys.modules.pop("raudit_user_code", None)


def _user_model(user_module, cls_name="Clipper"):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    return make_pipeline(getattr(user_module, cls_name)(), LogisticRegression()).fit(X, (X[:, 0] > 0).astype(int)), X


def test_allow_global_admits_one_exact_class(user_module, tmp_path, files):
    model, X = _user_model(user_module)
    path = tmp_path / "user.joblib"
    joblib.dump(model, path)
    with pytest.raises(raudit.InputError, match="raudit_user_code.Clipper") as info:
        load_model(path)
    assert "--allow-global" in str(info.value)
    adapter = load_model(path, allow_globals=("raudit_user_code:Clipper",))
    np.testing.assert_array_equal(adapter.model.predict_proba(X), model.predict_proba(X))
    assert "raudit_user_code:Clipper" in adapter.load_info["trust"] and adapter.load_info["allowed_globals"] == ["raudit_user_code:Clipper"]
    # exact: another name of the same class, a whole module or raudit itself are not what was allowed
    with pytest.raises(_pickle_checks.Bad, match="re-export"):
        _safe_pickle._Resolver(_safe_pickle.Policy.from_user(["raudit_user_code:clip_alias"])).resolve("raudit_user_code", "clip_alias")
    with pytest.raises(raudit.InputError, match="raudit's own modules"):
        load_model(path, allow_globals=("raudit.load.pickle.unpickler:safe_load",))
    # a class whose __setstate__ raudit has not reviewed stays refused even when allowed: only --trust-model loads it
    stateful, _ = _user_model(user_module, "Stateful")
    joblib.dump(stateful, tmp_path / "stateful.joblib")
    with pytest.raises(raudit.InputError, match="__setstate__"):
        load_model(tmp_path / "stateful.joblib", allow_globals=("raudit_user_code:Stateful",))
    assert load_model(tmp_path / "stateful.joblib", trust_model=True).task == "binary"


def test_allow_global_from_the_cli_and_the_config_file(user_module, tmp_path, credit):
    model, _ = _user_model(user_module)
    data = credit.iloc[:200][["income", "debt_to_income", "sex", "approved"]].rename(columns={"income": "a", "debt_to_income": "b"})
    model.fit(data[["a", "b"]], data.approved)
    joblib.dump(model, tmp_path / "m.joblib")
    data.to_csv(tmp_path / "d.csv", index=False)
    args = [str(tmp_path / "m.joblib"), str(tmp_path / "d.csv"), "--target", "approved", "--checks", "performance",
            "--format", "json", "--sensitive", "sex", "--features", "a,b"]
    refused = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "r0")])
    assert refused.exit_code == 2 and "raudit_user_code.Clipper" in refused.output
    ok = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "r1"), "--allow-global", "raudit_user_code:Clipper"])
    assert ok.exit_code == 0, ok.output
    (tmp_path / "raudit.toml").write_text('allow_globals = ["raudit_user_code:Clipper"]\nload_limits = {bytes = "1GiB"}\n')
    ok = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "r2"), "--config", str(tmp_path / "raudit.toml")])
    assert ok.exit_code == 0, ok.output


def test_load_limits_are_validated_and_named(tmp_path, files):
    res = CliRunner().invoke(main, [str(files["model"]), str(files["data"]), "--target", "approved", "--load-limit", "speed=9"])
    assert res.exit_code == 2 and "unknown load limit 'speed'" in res.output
    res = CliRunner().invoke(main, [str(files["model"]), str(files["data"]), "--target", "approved", "--load-limit", "bytes=-1"])
    assert res.exit_code == 2 and "positive" in res.output
    small = tmp_path / "big.pkl"
    small.write_bytes(pickle.dumps(np.zeros(100_000), protocol=5))
    with pytest.raises(raudit.InputError, match="--load-limit bytes=") as info:
        load_model(small, load_limits={"bytes": "10KiB"})
    assert "10,240" in str(info.value)
    assert _safe_pickle.parse_limits({"bytes": "2GiB", "opcodes": "1e6"}) == _safe_pickle.Limits(max_bytes=2 << 30, max_opcodes=10**6)


def test_the_docs_state_the_defaults_and_sentences_the_loader_uses():
    """A claim is a test: the trust how-to's table quotes the caps and the trust sentences the code produces."""
    from pathlib import Path

    section = (Path(__file__).resolve().parents[1] / "docs" / "howto" / "trust.md").read_text()
    limits = _safe_pickle.Limits()
    assert limits.bytes_for(1) == 2 << 30 and limits.bytes_for(10 << 30) == 100 * (10 << 30)
    assert "`max(2 GiB, 100 × file size)`" in section and f"({limits.max_opcodes // 1_000_000} million)" in section
    for name in _safe_pickle.LIMIT_NAMES:
        assert f"`{name}`" in section
    from raudit.load.torch import ONNX_TRUST, TORCHSCRIPT_TRUST

    plain = section.replace("`", "")
    assert f"TorchScript code inspected: {TORCHSCRIPT_TRUST}" in plain and ONNX_TRUST in plain
