"""Opening a model file never runs code nobody reviewed; legitimate models still load."""

from __future__ import annotations

import builtins
import json
import os
import pickle
import subprocess

import joblib
import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import raudit
from raudit.cli import main
from raudit.load.pickle.review import Bad
from raudit.load.pickle.unpickler import Policy, _Resolver, safe_load
from tests.conftest import FEATURES


class Payload:
    """Creates the marker file if it is ever unpickled."""

    def __init__(self, marker, how="os"):
        self.marker, self.how = str(marker), how

    def __reduce__(self):
        if self.how == "os":
            return os.system, (f"touch {self.marker}",)
        if self.how == "exec":
            return builtins.exec, (f"open({self.marker!r}, 'w').close()",)
        if self.how == "eval":
            return builtins.eval, (f"open({self.marker!r}, 'w')",)
        return subprocess.call, (["touch", self.marker],)


def _fitted():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    return make_pipeline(StandardScaler(), LogisticRegression()).fit(X, (X[:, 0] > 0).astype(int))


def _cases(tmp_path):
    marker = tmp_path / "PWNED"
    cases = {}
    for proto in range(6):
        p = tmp_path / f"plain_p{proto}.pkl"
        p.write_bytes(pickle.dumps(Payload(marker, "os"), protocol=proto))
        cases[p.name] = p
    for how in ("exec", "eval", "subprocess"):
        p = tmp_path / f"{how}.pkl"
        p.write_bytes(pickle.dumps(Payload(marker, how)))
        cases[p.name] = p
    for compress in (3, ("gzip", 3), ("bz2", 3), ("xz", 3), ("lzma", 3)):
        name = compress if isinstance(compress, int) else compress[0]
        p = tmp_path / f"compressed_{name}.joblib"
        joblib.dump(Payload(marker), p, compress=compress)
        cases[p.name] = p
    # nested inside a legitimate-looking fitted pipeline, after its numpy arrays (joblib writes raw array bytes)
    model = _fitted()
    model[-1].calibration_ = Payload(marker, "subprocess")
    p = tmp_path / "nested_in_estimator.joblib"
    joblib.dump(model, p)
    cases[p.name] = p
    p = tmp_path / "nested_compressed.joblib"
    joblib.dump(model, p, compress=3)
    cases[p.name] = p
    return marker, cases


def test_malicious_pickles_are_refused_and_never_run(tmp_path):
    marker, cases = _cases(tmp_path)
    for name, path in cases.items():
        with pytest.raises(raudit.InputError) as info:
            safe_load(path)
        message = str(info.value)
        assert "refusing to load" in message and "--trust-model" in message, name
        refused = ("posix.system", "os.system", "builtins.exec", "builtins.eval", "subprocess.call")
        assert any(g in message for g in refused), (name, message)
        assert not marker.exists(), f"{name} ran its payload"


def test_cli_refuses_with_exit_2_and_names_each_global(tmp_path, files):
    marker, cases = _cases(tmp_path)
    for name in ("plain_p5.pkl", "nested_in_estimator.joblib", "compressed_gzip.joblib"):
        res = CliRunner().invoke(main, [str(cases[name]), str(files["data"]), "--target", "approved", "--out", str(tmp_path / "o")])
        assert res.exit_code == 2, res.output
        assert "refusing to load" in res.output and "Traceback" not in res.output
        assert not marker.exists() and not (tmp_path / "o").exists()


def test_refusal_lists_every_refused_global_without_running_them(tmp_path):
    marker = tmp_path / "PWNED"
    path = tmp_path / "two.pkl"
    path.write_bytes(pickle.dumps([Payload(marker, "subprocess"), Payload(marker, "eval")], protocol=4))
    with pytest.raises(raudit.InputError) as info:
        safe_load(path)
    assert "subprocess.call" in str(info.value) and "builtins.eval" in str(info.value)
    assert not marker.exists()


@pytest.mark.parametrize("module, name", [("numpy", "load"), ("pandas", "read_pickle"), ("builtins", "getattr"),
                                          ("sklearn.pipeline", "Pipeline.__init__"), ("subprocess", "call"),
                                          ("sklearn.utils._testing", "check_output"), ("numpy", "__builtins__")])
def test_names_outside_the_allow_list_are_refused(module, name):
    resolver = _Resolver(Policy())
    if (module, name) == ("builtins", "getattr"):  # on the list, but only as scipy's narrow bound-method case
        with pytest.raises(Bad, match="_entropy"):
            resolver.resolve(module, name).obj(object(), "system")
        return
    with pytest.raises(Bad):
        resolver.resolve(module, name)
    assert resolver.resolve("sklearn.linear_model._logistic", "LogisticRegression").real is LogisticRegression


def test_trust_model_and_allow_module(tmp_path, files, capsys):
    from raudit.load.models import load_model

    marker = tmp_path / "ran"
    bad = tmp_path / "x.pkl"
    bad.write_bytes(pickle.dumps(Payload(marker, "subprocess")))
    with pytest.raises(raudit.InputError):
        safe_load(bad)
    # the user allowed the whole module: a prefix widens the list, but a known gadget stays refused (issue 20) ...
    with pytest.raises(raudit.InputError, match="known gadget"):
        safe_load(bad, allow_modules=("subprocess",))
    assert not marker.exists()
    obj, info = safe_load(bad, allow_globals=("subprocess:call",))  # ... unless it is allowed by its exact name: it runs
    assert marker.exists() and "subprocess" in info["decision"]
    marker.unlink()
    obj, info = safe_load(bad, trust=True)
    assert marker.exists() and "without inspection" in info["decision"]
    marker.unlink()
    # --allow-module is loud: a warning on stderr, and the report's load info records it
    with pytest.raises(raudit.InputError):  # refused (a known gadget), after the warning
        load_model(bad, allow_modules=("subprocess",))
    assert "warning: --allow-module subprocess" in capsys.readouterr().err
    adapter = load_model(files["model"], allow_modules=("numpy.random",))
    assert adapter.load_info["allowed_modules"] == ["numpy.random"] and "numpy.random.*" in adapter.load_info["trust"]


@pytest.mark.parametrize("compress", [0, 3, ("gzip", 3), ("xz", 3)])
def test_legitimate_sklearn_pipeline_loads(tmp_path, binary_model, compress):
    p = tmp_path / "ok.joblib"
    joblib.dump(binary_model, p, compress=compress)
    obj, info = safe_load(p)
    assert type(obj) is type(binary_model) and info["compressed"] == (compress != 0)
    assert "every global is in raudit's exact allow-list" in info["decision"]


@pytest.mark.parametrize("kind", ["xgboost", "lightgbm"])
def test_xgboost_and_lightgbm_load_and_audit_end_to_end(tmp_path, credit, kind):
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder

    if kind == "xgboost":
        from xgboost import XGBClassifier as Model

        params = {"n_estimators": 30, "max_depth": 3, "random_state": 0}
    else:
        from lightgbm import LGBMClassifier as Model

        params = {"n_estimators": 30, "random_state": 0, "verbose": -1}
    data = credit.iloc[:1500]
    pre = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["zip_region", "home_ownership"])],
                            remainder="passthrough")
    model = make_pipeline(pre, Model(**params)).fit(data[FEATURES], data.approved)
    path = tmp_path / f"{kind}.joblib"
    joblib.dump(model, path)
    data.to_csv(tmp_path / "d.csv", index=False)
    report = raudit.audit(path, tmp_path / "d.csv", target="approved", sensitive=["sex"],
                          checks=["performance", "fairness", "explanations"],
                          config={"check": {"explanations": {"sample_size": 200, "lime_samples": 300}}})
    assert report["performance"].status != "error" and report["fairness"].status != "error"
    exp = report["explanations"]
    assert "TreeExplainer" in exp.details["method"], exp.summary
    assert exp.metrics["additivity_max_error"] < 1e-3
    assert report.lineage["model"]["loader"].startswith("raudit restricted unpickler")


def test_skops_trusts_raudit_reviewed_types_and_lists_the_rest(tmp_path, credit):
    import skops.io as sio
    from scipy.stats import loguniform
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import RandomizedSearchCV

    from raudit.load.models import load_model

    data = credit.iloc[:500]
    X = data[["income", "debt_to_income"]]
    sio.dump(LogisticRegression(max_iter=300).fit(X, data.approved), tmp_path / "lr.skops")
    assert load_model(tmp_path / "lr.skops").load_info["format"] == "skops"
    hgb = HistGradientBoostingClassifier(max_iter=5).fit(X, data.approved)
    sio.dump(hgb, tmp_path / "hgb.skops")
    assert sio.get_untrusted_types(file=tmp_path / "hgb.skops")  # skops alone would want --trust-model (TreePredictor)
    loaded = load_model(tmp_path / "hgb.skops")  # raudit's reviewed list covers it
    assert loaded.task == "binary" and (loaded.model.predict_proba(X) == hgb.predict_proba(X)).all()
    assert "reviewed allow-list" in loaded.load_info["trust"]
    # a type neither skops nor raudit trusts is refused by name: a scipy distribution, whose __setstate__ execs text
    search = RandomizedSearchCV(LogisticRegression(), {"C": loguniform(0.1, 10)}, n_iter=2, cv=2, random_state=0).fit(X, data.approved)
    sio.dump(search, tmp_path / "search.skops")
    with pytest.raises(raudit.InputError, match="--trust-model") as info:
        load_model(tmp_path / "search.skops")
    assert "scipy.stats._continuous_distns.reciprocal_gen" in str(info.value)
    assert load_model(tmp_path / "search.skops", trust_model=True).task == "binary"


def test_report_states_format_loader_and_trust_decision(files, tmp_path):
    res = CliRunner().invoke(main, [str(files["model"]), str(files["data"]), "--target", "approved", "--sensitive", "sex",
                                    "--checks", "performance", "--format", "json,html", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    model = json.loads((tmp_path / "report.json").read_text())["lineage"]["model"]
    assert model["format"] == "pickle/joblib" and "restricted unpickler" in model["loader"]
    assert "allow-list" in model["trust"]
    assert "allow-list" in (tmp_path / "report.html").read_text()


@pytest.mark.parametrize("how", ["joblib", "joblib-zlib", "pickle-5", "pickle-2"])
def test_arrays_of_every_dtype_kind_round_trip(tmp_path, how):
    """joblib's raw arrays are read by raudit: datetimes, strings, bytes, complex, structured, Fortran order, 0-d, empty."""
    import pandas as pd

    obj = {"t": np.array(["2020-01-01", "2021-06-01"], dtype="M8[ns]"), "td": np.array([1, 2], dtype="m8[s]"),
           "f16": np.arange(3, dtype=np.float16), "s": np.array(["ab", "c"]), "b": np.array([b"x", b"yz"]),
           "c": np.array([1 + 2j]), "empty": np.empty((0, 3)), "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
           "big_endian": np.arange(3, dtype=">i4"), "struct": np.zeros(2, dtype=[("a", "<f8"), ("b", "<i4")]),
           "zero_d": np.array(5.0), "objects": np.array(["a", 1, None], dtype=object),
           "frame": pd.DataFrame({"t": pd.to_datetime(["2020-01-01"]), "x": [1], "s": ["a"]})}
    path = tmp_path / "arrays.bin"
    if how.startswith("joblib"):
        joblib.dump(obj, path, compress=3 if how.endswith("zlib") else 0)
    else:
        path.write_bytes(pickle.dumps(obj, protocol=int(how[-1])))
    got, _ = safe_load(path)
    for key, value in obj.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(got[key], value)
        else:
            np.testing.assert_array_equal(got[key], value)
            assert got[key].shape == value.shape


@pytest.mark.parametrize("protocol", [0, 2, 5])
def test_dates_and_metadata_routing_requests_load(tmp_path, protocol):
    """Models may carry datetimes (a training timestamp) and, with metadata routing on, request objects."""
    import datetime

    import pandas as pd
    import sklearn

    X = np.random.default_rng(0).normal(size=(20, 2))
    with sklearn.config_context(enable_metadata_routing=True):
        model = LogisticRegression().set_fit_request(sample_weight=True).fit(X, (X[:, 0] > 0).astype(int))
    model.trained_at_ = datetime.datetime(2026, 11, 25, 9, 30, tzinfo=datetime.UTC)
    obj = {"model": model, "day": datetime.date(2026, 1, 2), "delta": datetime.timedelta(3, 4, 5),
           "stamp": pd.Timestamp("2026-01-01", tz="UTC"), "span": pd.Timedelta("1D")}
    path = tmp_path / "dated.pkl"
    path.write_bytes(pickle.dumps(obj, protocol=protocol))
    got, _ = safe_load(path)
    assert got["model"].trained_at_ == model.trained_at_ and got["stamp"] == obj["stamp"] and got["span"] == obj["span"]
    assert got["day"] == obj["day"] and got["delta"] == obj["delta"]
    np.testing.assert_array_equal(got["model"].predict(X), model.predict(X))
