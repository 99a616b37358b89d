"""The core audit needs none of the optional extras (torch, skorch, ONNX, MLflow, XGBoost, LightGBM, transformers, keras, dask, ledger)."""

from __future__ import annotations

import json
import subprocess
import sys

BLOCKER = """
import sys
from importlib.abc import MetaPathFinder

EXTRAS = ("torch", "skorch", "onnxruntime", "onnx", "skl2onnx", "mlflow", "xgboost", "lightgbm", "transformers", "tokenizers",
          "safetensors", "keras", "dask", "distributed", "sqlalchemy", "alembic", "psycopg", "starlette", "uvicorn")

class NoExtras(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in EXTRAS:
            raise ModuleNotFoundError(f"No module named {name!r} (blocked: extras not installed)")
        return None

sys.meta_path.insert(0, NoExtras())
from raudit.cli import main
main()
"""


def test_full_audit_runs_with_the_extras_unimportable(files, tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", BLOCKER, str(files["model"]), str(files["data"]), "--target", "approved", "--sensitive", "sex",
         "--out", str(tmp_path), "--format", "json,html"],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert done.returncode == 1, done.stderr  # fairness fails for sex on the credit data, as everywhere
    report = json.loads((tmp_path / "report.json").read_text())
    assert {c["name"]: c["status"] != "error" for c in report["checks"]} == dict.fromkeys(
        ["performance", "fairness", "counterfactual", "robustness", "drift", "explanations", "text_explanations", "privacy",
         "energy", "lineage"], True)


def test_an_mlflow_uri_without_mlflow_says_how_to_install_it(files, tmp_path):
    done = subprocess.run([sys.executable, "-c", BLOCKER, "models:/credit/1", str(files["data"]), "--target", "approved",
                           "--out", str(tmp_path / "o")], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2 and "pip install 'raudit[mlflow]'" in done.stderr
    torch_file = tmp_path / "m.pt"
    torch_file.write_bytes(b"PK\x03\x04not really")
    done = subprocess.run([sys.executable, "-c", BLOCKER, str(torch_file), str(files["data"]), "--target", "approved",
                           "--out", str(tmp_path / "o")], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2 and "raudit[torch]" in done.stderr


def test_engine_dask_without_dask_says_how_to_install_it(files, tmp_path):
    done = subprocess.run([sys.executable, "-c", BLOCKER, str(files["model"]), str(files["data"]), "--target", "approved",
                           "--engine", "dask", "--out", str(tmp_path / "o")], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2 and "pip install 'raudit[dask]'" in done.stderr, done.stderr
    assert not (tmp_path / "o").exists()
    streamed = subprocess.run([sys.executable, "-c", BLOCKER, str(files["model"]), str(files["data"]), "--target", "approved",
                               "--engine", "stream", "--checks", "performance", "--format", "json", "--out", str(tmp_path / "s")],
                              capture_output=True, text=True, cwd=tmp_path)
    assert streamed.returncode == 0, streamed.stderr  # streaming needs no extra


def test_the_ledger_and_serve_without_the_extra_say_how_to_install_it(files, tmp_path):
    runs = [["ledger", "verify", "--ledger", str(tmp_path / "l.db")], ["ledger", "add", str(tmp_path / "r.json"), "--ledger", "x.db"],
            ["serve", "--ledger", str(tmp_path / "l.db")],
            [str(files["model"]), str(files["data"]), "--target", "approved", "--format", "json", "--out", str(tmp_path / "o"),
             "--ledger", str(tmp_path / "l.db")]]
    (tmp_path / "r.json").write_text("{}")
    for args in runs:
        done = subprocess.run([sys.executable, "-c", BLOCKER, *args], capture_output=True, text=True, cwd=tmp_path)
        assert done.returncode == 2 and "pip install 'raudit[ledger]'" in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "o").exists() and not (tmp_path / "l.db").exists()  # refused before any work
