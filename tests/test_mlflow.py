"""MLflow both ways, against a real sqlite backend and a real `mlflow server` on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from raudit.cli import main

mlflow = pytest.importorskip("mlflow")


def _log_model(model, name: str) -> str:
    import mlflow.sklearn

    with mlflow.start_run() as run:
        mlflow.sklearn.log_model(model, name="model", registered_model_name=name, pip_requirements=["scikit-learn"],
                                 serialization_format="cloudpickle")
    return run.info.run_id


def _audit_and_check(files, tmp_path, name: str):
    from mlflow.tracking import MlflowClient

    out = tmp_path / "out"
    res = CliRunner().invoke(main, [f"models:/{name}/1", str(files["data"]), "--target", "approved", "--sensitive", "sex",
                                    "--checks", "performance,fairness", "--out", str(out), "--format", "json,html,pdf",
                                    "--attach"])
    assert res.exit_code == 1, res.output  # sex fails fairness on the credit data; the report is attached all the same
    assert "Attached 3 report file(s)" in res.output
    client = MlflowClient()
    version = client.get_model_version(name, "1")
    import json

    report = json.loads((out / "report.json").read_text())
    assert version.tags["raudit.status"] == report["status"]
    assert version.tags["raudit.report_sha256"] == report["integrity"]["digest"]
    assert version.tags["raudit.version"] == report["lineage"]["versions"]["raudit"]
    assert "raudit.fairness.worst_selection_rate_ratio" in version.tags
    run = client.get_run(version.run_id)
    assert run.data.metrics["raudit.performance.accuracy"] == pytest.approx(report["checks"][0]["metrics"]["accuracy"])
    assert run.data.tags["raudit.status"] == report["status"]
    names = sorted(Path(a.path).name for a in client.list_artifacts(version.run_id, "raudit"))
    assert names == ["report.html", "report.json", "report.pdf"]
    local = client.download_artifacts(version.run_id, "raudit/report.json", str(tmp_path / "dl"))
    assert Path(local).read_bytes() == (out / "report.json").read_bytes()
    assert report["lineage"]["model"]["registered_model"] == name and report["lineage"]["model"]["mlflow_uri"] == f"models:/{name}/1"
    assert "restricted unpickler" in report["lineage"]["model"]["loader"]


def test_load_and_attach_with_a_local_sqlite_backend(files, binary_model, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI"])
    _log_model(binary_model, "credit")
    _audit_and_check(files, tmp_path, "credit")


def test_attach_to_an_unknown_version_is_a_clear_error(files, binary_model, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI"])
    res = CliRunner().invoke(main, ["models:/nope/3", str(files["data"]), "--target", "approved", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "cannot fetch models:/nope/3" in res.output and not (tmp_path / "o").exists()
    res = CliRunner().invoke(main, [str(files["model"]), str(files["data"]), "--target", "approved", "--sensitive", "sex",
                                    "--checks", "performance", "--format", "json", "--out", str(tmp_path / "o2"),
                                    "--attach-to", "models:/nope/3"])
    assert res.exit_code == 2 and "cannot attach to models:/nope/3" in res.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_load_and_attach_with_a_real_tracking_server(files, binary_model, tmp_path, monkeypatch):
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}", "--artifacts-destination", str(tmp_path / "artifacts")],
        stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(f"{url}/health", timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("mlflow server did not start: " + (tmp_path / "server.log").read_text()[-2000:])
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
        mlflow.set_tracking_uri(url)
        _log_model(binary_model, "credit-server")
        _audit_and_check(files, tmp_path, "credit-server")
        assert any((tmp_path / "artifacts").rglob("report.pdf")), "artifacts went through the server"
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
