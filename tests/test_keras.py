"""Keras 3 .keras files on the torch backend: inspected before loading, audited end to end; the ONNX export path too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from click.testing import CliRunner

import raudit
from raudit import InputError
from raudit.cli import main

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
pytest.importorskip("torch")

NUMERIC = ["age", "income", "employment_years", "credit_history_months", "num_credit_lines", "debt_to_income",
           "previous_defaults", "loan_amount", "loan_term_months"]
QUICK = {"energy": {"latency_calls": 20, "min_measure_s": 0.2, "refit": False}}


@pytest.fixture(scope="module")
def data(credit):
    return credit.iloc[:1500]


def _mlp(width: int, activation: str) -> object:
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((len(NUMERIC),)), keras.layers.Normalization(), keras.layers.Dense(16, activation="relu"),
                             keras.layers.Dropout(0.1), keras.layers.Dense(width, activation=activation)])


@pytest.fixture(scope="module")
def keras_files(tmp_path_factory, data):
    d = tmp_path_factory.mktemp("keras")
    X = data[NUMERIC].to_numpy(dtype="float32")
    y = data["approved"].to_numpy()
    model = _mlp(1, "sigmoid")
    model.layers[0].adapt(X)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(X, y, epochs=15, batch_size=64, verbose=0)
    model.save(d / "model.keras")
    softmax = _mlp(2, "softmax")
    softmax.layers[0].adapt(X)
    softmax.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    softmax.fit(X, y, epochs=15, batch_size=64, verbose=0)
    softmax.save(d / "softmax.keras")
    lam = keras.Sequential([keras.Input((len(NUMERIC),)), keras.layers.Lambda(lambda x: x / 1000.0),
                            keras.layers.Dense(1, activation="sigmoid")])
    lam.save(d / "lambda.keras")

    @keras.saving.register_keras_serializable(package="author_code")
    class Scale(keras.layers.Layer):
        def call(self, x):
            return x / 1000.0

    custom = keras.Sequential([keras.Input((len(NUMERIC),)), Scale(), keras.layers.Dense(1, activation="sigmoid")])
    custom.save(d / "custom.keras")
    data.to_csv(d / "data.csv", index=False)
    return {"dir": d, "model": model, "softmax": softmax, "X": X}


def test_keras_model_is_audited_end_to_end_on_the_torch_backend(keras_files, tmp_path):
    d = keras_files["dir"]
    report = raudit.audit(d / "model.keras", d / "data.csv", target="approved", sensitive=["sex"],
                          checks=["performance", "fairness", "energy"], config={"features": NUMERIC, "check": QUICK})
    assert report.lineage["model"]["format"] == "Keras 3 (.keras)"
    assert "safe_mode=True" in report.lineage["model"]["loader"] and "torch backend" in report.lineage["model"]["loader"]
    assert report["performance"].metrics["roc_auc"] > 0.65
    for name in ("performance", "fairness", "energy"):
        assert report[name].status not in ("error", "skipped"), (name, report[name].summary)
    # the adapter's probabilities are keras' own sigmoid outputs
    adapter = raudit.load.models.load_model(d / "model.keras", features=tuple(NUMERIC))
    X = keras_files["X"][:50]
    p = adapter.predict_proba(__import__("pandas").DataFrame(X, columns=NUMERIC))
    assert np.allclose(p[:, 1], keras_files["model"].predict(X, verbose=0)[:, 0], atol=1e-6)


def test_softmax_output_gives_two_classes(keras_files):
    import pandas as pd

    adapter = raudit.load.models.load_model(keras_files["dir"] / "softmax.keras", features=tuple(NUMERIC))
    assert adapter.task == "binary" and list(adapter.classes_) == [0, 1]
    X = keras_files["X"][:20]
    assert np.allclose(adapter.predict_proba(pd.DataFrame(X, columns=NUMERIC)), keras_files["softmax"].predict(X, verbose=0), atol=1e-6)


@pytest.mark.parametrize("name,message", [
    ("lambda.keras", "Lambda layer 'lambda'"),
    ("custom.keras", "registered as 'author_code>Scale'"),
])
def test_hostile_keras_files_exit_2_naming_the_object(keras_files, tmp_path, name, message):
    d = keras_files["dir"]
    res = CliRunner().invoke(main, [str(d / name), str(d / "data.csv"), "--target", "approved", "--features", ",".join(NUMERIC),
                                    "--out", str(tmp_path / "o")])
    assert res.exit_code == 2, res.output
    assert message in res.output and "Traceback" not in res.output
    assert not (tmp_path / "o").exists()


def test_lambda_is_refused_before_keras_reads_the_file(keras_files, monkeypatch):
    """The allow-list runs on the zip's JSON: keras' loader is never called for a refused file."""
    calls = []
    monkeypatch.setattr(keras.saving, "load_model", lambda *a, **k: calls.append(a))
    with pytest.raises(InputError, match="Python bytecode"):
        raudit.load.models.load_model(keras_files["dir"] / "lambda.keras", features=tuple(NUMERIC))
    assert calls == []


def test_keras_loads_with_safe_mode_and_without_the_training_configuration(keras_files, monkeypatch):
    real = keras.saving.load_model
    seen = []
    monkeypatch.setattr(keras.saving, "load_model", lambda *a, **k: seen.append(k) or real(*a, **k))
    raudit.load.models.load_model(keras_files["dir"] / "model.keras", features=tuple(NUMERIC))
    assert seen == [{"compile": False, "safe_mode": True}]
    assert keras.backend.backend() == "torch"


def test_trust_model_loads_a_lambda_layer_with_safe_mode_off(keras_files):
    adapter = raudit.load.models.load_model(keras_files["dir"] / "lambda.keras", features=tuple(NUMERIC), trust_model=True)
    assert "safe_mode=False" in adapter.load_info["loader"]


def test_training_configuration_is_not_deserialised(keras_files, tmp_path):
    """compile=False: an optimizer or loss the allow-list does not know never reaches keras."""
    src = keras_files["dir"] / "model.keras"
    out = tmp_path / "odd_loss.keras"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.namelist():
            body = zin.read(item)
            if item == "config.json":
                config = json.loads(body)
                config["compile_config"]["loss"] = {"module": "author_code", "class_name": "SecretLoss", "config": {},
                                                    "registered_name": "author_code>SecretLoss"}
                body = json.dumps(config).encode()
            zout.writestr(item, body)
    adapter = raudit.load.models.load_model(out, features=tuple(NUMERIC))
    assert adapter.task == "binary"


def test_not_a_keras_zip_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a Keras 3 .keras file"):
        raudit.load.models.load_model(bad)


def test_keras_exported_to_onnx_is_audited_as_a_classifier(keras_files, data, tmp_path):
    """The README's ONNX-from-Keras path: keras' own model.export(format="onnx") on the torch backend, then onnxruntime."""
    pytest.importorskip("onnxruntime")
    path = tmp_path / "model.onnx"
    keras_files["softmax"].export(str(path), format="onnx", verbose=False)
    adapter = raudit.load.models.load_model(path, features=tuple(NUMERIC))
    assert adapter.task == "binary"
    import pandas as pd

    X = keras_files["X"][:100]
    assert np.allclose(adapter.predict_proba(pd.DataFrame(X, columns=NUMERIC)), keras_files["softmax"].predict(X, verbose=0), atol=1e-5)
    report = raudit.audit(path, keras_files["dir"] / "data.csv", target="approved", sensitive=["sex"],
                          checks=["performance", "fairness"], config={"features": NUMERIC, "check": QUICK})
    assert report["performance"].metrics["roc_auc"] > 0.65


def test_one_column_onnx_scores_are_a_classifier_only_when_asked(keras_files, tmp_path):
    pytest.importorskip("onnxruntime")
    path = tmp_path / "sigmoid.onnx"
    keras_files["model"].export(str(path), format="onnx", verbose=False)
    assert raudit.load.models.load_model(path, features=tuple(NUMERIC)).task == "regression"
    adapter = raudit.load.models.load_model(path, features=tuple(NUMERIC), task="classification")
    import pandas as pd

    X = keras_files["X"][:30]
    assert adapter.task == "binary"
    assert np.allclose(adapter.predict_proba(pd.DataFrame(X, columns=NUMERIC))[:, 1], keras_files["model"].predict(X, verbose=0)[:, 0],
                       atol=1e-5)


def test_help_imports_neither_keras_nor_transformers():
    code = ("import sys\nfrom raudit.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('keras', 'transformers', 'tokenizers', 'tensorflow', 'torch') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


BLOCKER = """
import sys
from importlib.abc import MetaPathFinder

class NoExtras(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("keras", "transformers", "tokenizers", "safetensors"):
            raise ModuleNotFoundError(f"No module named {name!r} (blocked)")
        return None

sys.meta_path.insert(0, NoExtras())
from raudit.cli import main
main()
"""


def test_without_the_extras_the_error_says_what_to_install(keras_files, tmp_path):
    folder = tmp_path / "hf"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "bert"}')
    for model, extra in ((keras_files["dir"] / "model.keras", "raudit[keras"), (folder, "raudit[text]")):
        done = subprocess.run([sys.executable, "-c", BLOCKER, str(model), str(keras_files["dir"] / "data.csv"), "--target",
                               "approved", "--text-column", "note", "--out", str(tmp_path / "o")], capture_output=True, text=True)
        assert done.returncode == 2 and extra in done.stderr, done.stderr
