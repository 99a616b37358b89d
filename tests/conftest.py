"""Shared fixtures: tiny models trained in seconds on the example generator's data."""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"
sys.path.insert(0, str(ROOT / "examples"))

from make_credit_data import make_credit_data  # noqa: E402

LOOPBACK = ("127.", "::1", "localhost")

# The suite's audits fork their jailed child, as the command line's do. tqdm's monitor thread (started by the first
# progress bar in this process, shap's for one) would otherwise run beside every later audit and send it down the
# fresh-interpreter path (raudit.sandbox.jail.start_method), which tests/test_jail.py exercises on purpose.
import tqdm  # noqa: E402

tqdm.tqdm.monitor_interval = 0


#: Words the evidence map must never use for a provision: raudit gives evidence, never compliance (issue 21).
NOT_EVIDENCE = ("pass", "passing", "passed", "compliant", "complies")


def scan_evidence_map(html: str) -> None:
    """Fail when the evidence map of a rendered report calls a provision passed or compliant."""
    import re

    start = html.find('id="compliance"')
    if start < 0:
        return
    section = html[start:html.find("</section>", start)]
    words = set(re.findall(r"[a-z]+", re.sub(r"<[^>]+>", " ", section).lower()))
    assert not words & set(NOT_EVIDENCE), f"the evidence map says {sorted(words & set(NOT_EVIDENCE))}"


@pytest.fixture(autouse=True)
def _evidence_never_compliance(monkeypatch):
    """Every report the suite renders: no provision of its evidence map is called passed or compliant, no row says pass."""
    from raudit.api import assemble
    from raudit.report import html, renderers
    from raudit.report.compliance import ROW_STATUSES

    real_render, real_matrix = html.render_html, assemble.compliance_matrix

    def render(report, *args, **kwargs):
        out = real_render(report, *args, **kwargs)
        scan_evidence_map(out)
        return out

    def matrix(*args, **kwargs):
        out = real_matrix(*args, **kwargs)
        assert all(r["status"] in ROW_STATUSES for r in out["rows"]), [r["status"] for r in out["rows"]]
        assert set(out["counts"]) == set(ROW_STATUSES)
        return out

    monkeypatch.setattr(html, "render_html", render)
    monkeypatch.setattr(renderers, "render_html", render)
    monkeypatch.setattr(assemble, "compliance_matrix", matrix)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Nothing leaves the machine: any connection or name lookup beyond loopback fails the test."""
    real_connect, real_connect_ex, real_getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

    def local(address) -> bool:
        if not isinstance(address, tuple):  # AF_UNIX paths
            return True
        return str(address[0]).startswith(LOOPBACK)

    def connect(self, address, *args):
        if not local(address):
            raise AssertionError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address, *args)

    def connect_ex(self, address, *args):
        if not local(address):
            raise AssertionError(f"test tried to reach the network: {address!r}")
        return real_connect_ex(self, address, *args)

    def getaddrinfo(host, *args, **kwargs):
        try:
            ipaddress.ip_address(host)  # a literal address needs no lookup; connect() judges it
        except ValueError:
            literal = False
        else:
            literal = True
        if host not in (None, "") and not literal and not str(host).startswith(LOOPBACK):
            raise AssertionError(f"test tried to look up a host name: {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


FEATURES = ["age", "zip_region", "income", "debt_to_income", "previous_defaults", "home_ownership"]


@pytest.fixture(scope="session")
def credit() -> pd.DataFrame:
    """3,000 rows of the example lending data."""
    return make_credit_data(3000, seed=1)


def _pipeline(X: pd.DataFrame) -> Pipeline:
    cat = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    num = [c for c in X.columns if c not in cat]
    pre = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), cat), ("num", StandardScaler(), num)])
    return Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=500))])


@pytest.fixture(scope="session")
def binary_model(credit: pd.DataFrame) -> Pipeline:
    """A fitted logistic-regression pipeline on string and numeric columns."""
    return _pipeline(credit[FEATURES]).fit(credit[FEATURES], credit["approved"])


@pytest.fixture(scope="session")
def files(tmp_path_factory: pytest.TempPathFactory, credit: pd.DataFrame, binary_model: Pipeline) -> dict[str, Path]:
    """The binary model and its data saved to disk (joblib + CSV)."""
    d = tmp_path_factory.mktemp("inputs")
    joblib.dump(binary_model, d / "model.joblib")
    credit.to_csv(d / "data.csv", index=False)
    return {"model": d / "model.joblib", "data": d / "data.csv", "dir": d}


@pytest.fixture(scope="session")
def multiclass() -> tuple[LogisticRegression, pd.DataFrame]:
    """A three-class logistic regression and its data (with a sensitive column)."""
    rng = np.random.default_rng(3)
    n = 900
    X = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    y = np.where(X.x1 + 0.5 * rng.normal(size=n) > 0.5, "high", np.where(X.x2 > 0, "mid", "low"))
    model = LogisticRegression(max_iter=500).fit(X, y)
    data = X.assign(grade=y, sex=rng.choice(["F", "M"], size=n))
    return model, data


@pytest.fixture(scope="session")
def regression() -> tuple[RandomForestRegressor, pd.DataFrame]:
    """A small random-forest regressor and its data."""
    rng = np.random.default_rng(4)
    n = 600
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.uniform(size=n)})
    y = 2 * X.a + X.b + rng.normal(scale=0.3, size=n)
    model = RandomForestRegressor(n_estimators=20, random_state=0).fit(X, y)
    return model, X.assign(price=y, sex=rng.choice(["F", "M"], size=n))


@pytest.fixture(scope="module")
def signed_cache(tmp_path_factory):
    """Where a test module's signed report set is built once (tests/_signed.py)."""
    return tmp_path_factory.mktemp("signed")


@pytest.fixture
def signed(signed_cache, files, tmp_path):
    """A fresh copy of the signed report set (see tests._signed.signed_set)."""
    from tests._signed import signed_set

    return signed_set(signed_cache, files, tmp_path)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run a test marked ``own_process`` in a pytest process of its own, and fail here if it fails there.

    A Dask client started in the test process leaves threads running (Dask's offload pool and event loop) for the rest
    of the session; with other threads alive, raudit starts its jailed child as a fresh interpreter (a fork could inherit
    a held lock), and the tests that observe the model side through a monkeypatch in this process would then see
    nothing. The child runs under this conftest, network guard included.
    """
    if pyfuncitem.get_closest_marker("own_process") is None or os.environ.get("RAUDIT_OWN_PROCESS"):
        return None
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "own_process", pyfuncitem.nodeid],
                          cwd=root, env={**os.environ, "RAUDIT_OWN_PROCESS": "1"}, capture_output=True, text=True)
    assert done.returncode == 0 and " passed" in done.stdout, done.stdout[-6000:] + done.stderr[-3000:]
    return True
