"""PyTorch (TorchScript, state dict, skorch) and ONNX models, each through a full audit."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import joblib
import numpy as np
import pytest

import raudit

torch = pytest.importorskip("torch")

NUMERIC = ["age", "income", "employment_years", "credit_history_months", "num_credit_lines", "debt_to_income",
           "previous_defaults", "loan_amount", "loan_term_months"]
QUICK = {"explanations": {"agnostic_sample_size": 40, "agnostic_background_size": 20, "lime_samples": 300,
                          "lime_misclassified": 1},
         "energy": {"latency_calls": 20, "min_measure_s": 0.2}}
MLP_SOURCE = textwrap.dedent('''
    import torch

    class MLP(torch.nn.Module):
        def __init__(self, n_in=9, n_out=2):
            super().__init__()
            self.scale = torch.nn.Parameter(torch.ones(n_in), requires_grad=False)
            self.net = torch.nn.Sequential(torch.nn.Linear(n_in, 16), torch.nn.ReLU(), torch.nn.Linear(16, n_out))

        def forward(self, x):
            return self.net(x / self.scale)
''')


@pytest.fixture(scope="module")
def mlp_module(tmp_path_factory):
    folder = tmp_path_factory.mktemp("usercode")
    (folder / "credit_mlp.py").write_text(MLP_SOURCE)
    sys.path.insert(0, str(folder))
    import credit_mlp

    yield credit_mlp
    sys.path.remove(str(folder))


@pytest.fixture(scope="module")
def data(credit):
    return credit.iloc[:1200]


@pytest.fixture(scope="module")
def trained(mlp_module, data):
    torch.manual_seed(0)
    model = mlp_module.MLP()
    X = torch.tensor(data[NUMERIC].to_numpy(dtype=np.float32))
    model.scale.copy_(X.abs().max(dim=0).values)
    y = torch.tensor(data.approved.to_numpy())
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(150):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(X), y)
        loss.backward()
        opt.step()
    return model.eval()


def _check(report, fmt):
    assert report.lineage["model"]["format"] == fmt
    for name in ("performance", "fairness", "explanations"):
        assert report[name].status not in ("error", "skipped"), (name, report[name].summary)
    assert report["performance"].metrics["roc_auc"] > 0.6
    assert "PermutationExplainer" in report["explanations"].details["method"]
    assert report["explanations"].metrics["additivity_max_error"] < 1e-6


def _audit(model_path, data, tmp_path, **config):
    data.to_csv(tmp_path / "d.csv", index=False)
    return raudit.audit(model_path, tmp_path / "d.csv", target="approved", sensitive=["sex", "ethnicity"],
                        checks=["performance", "fairness", "explanations", "energy"],
                        config={"features": NUMERIC, "check": QUICK, **config})


def test_torchscript_model_runs_a_full_audit(trained, data, tmp_path):
    path = tmp_path / "model.pt"
    torch.jit.script(trained).save(str(path))
    report = _audit(path, data, tmp_path)
    _check(report, "TorchScript")
    training = report["energy"].findings[0]
    assert training.status == "skipped" and "cannot be cloned" in training.message
    # the adapter's probabilities are the softmax of the module's logits
    X = torch.tensor(data[NUMERIC].to_numpy(dtype=np.float32))
    expected = torch.softmax(trained(X), dim=1)[:, 1].detach().numpy()
    from raudit.load.models import load_model

    adapter = load_model(path, features=tuple(NUMERIC))
    np.testing.assert_allclose(adapter.predict_proba(data[NUMERIC])[:, 1], expected, atol=1e-5)


def test_a_torchscript_model_without_features_is_exit_2_not_a_guess(trained, data, tmp_path):
    """README: raudit does not guess a torch model's inputs from the data's column order."""
    from click.testing import CliRunner

    from raudit.cli import main

    path = tmp_path / "model.pt"
    torch.jit.script(trained).save(str(path))
    data.to_csv(tmp_path / "d.csv", index=False)
    done = CliRunner().invoke(main, [str(path), str(tmp_path / "d.csv"), "--target", "approved", "--sensitive", "sex",
                                     "--out", str(tmp_path / "out")])
    assert done.exit_code == 2 and "does not record which columns it takes" in done.output and "--features" in done.output
    assert not (tmp_path / "out").exists()


def test_state_dict_needs_its_class_and_loads_weights_only(trained, data, tmp_path, mlp_module):
    path = tmp_path / "weights.pth"
    torch.save(trained.state_dict(), path)
    with pytest.raises(raudit.InputError, match="--torch-class"):
        _audit(path, data, tmp_path)
    report = _audit(path, data, tmp_path, torch_class="credit_mlp:MLP")
    _check(report, "torch.save state dict")
    assert "weights_only=True" in report.lineage["model"]["loader"]
    full = tmp_path / "full_module.pth"
    torch.save(trained, full)  # a whole pickled module: refused by weights_only loading
    with pytest.raises(raudit.InputError, match="weights_only"):
        _audit(full, data, tmp_path, torch_class="credit_mlp:MLP")


def test_skorch_model_needs_review_then_audits(mlp_module, data, tmp_path):
    from skorch import NeuralNetClassifier

    net = NeuralNetClassifier(mlp_module.MLP, max_epochs=5, lr=0.05, criterion=torch.nn.CrossEntropyLoss,
                              iterator_train__shuffle=True, verbose=0, train_split=None)
    X = (data[NUMERIC] / data[NUMERIC].abs().max()).to_numpy(dtype=np.float32)
    net.fit(X, data.approved.to_numpy())
    path = tmp_path / "skorch.pkl"
    joblib.dump(net, path)
    scaled = data.copy()
    scaled[NUMERIC] = scaled[NUMERIC] / data[NUMERIC].abs().max()
    with pytest.raises(raudit.InputError, match="refusing to load") as info:
        _audit(path, scaled, tmp_path)
    assert "credit_mlp.MLP" in str(info.value)  # the user's class is listed for review
    report = _audit(path, scaled, tmp_path, trust_model=True)
    assert report.lineage["model"]["class"] == "skorch.classifier.NeuralNetClassifier"
    assert report["performance"].status != "error" and report["fairness"].status != "error"
    assert report["explanations"].status not in ("error", "skipped")


def test_onnx_pipeline_with_string_inputs_runs_a_full_audit(data, tmp_path):
    pytest.importorskip("onnxruntime")
    from skl2onnx import to_onnx
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    cols = ["zip_region", "home_ownership", "income", "debt_to_income", "previous_defaults"]
    X = data[cols].copy()
    X[["income", "debt_to_income"]] = X[["income", "debt_to_income"]].astype(np.float32)
    X["previous_defaults"] = X["previous_defaults"].astype(np.float32)
    model = make_pipeline(ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), ["zip_region", "home_ownership"])],
                                            remainder="passthrough"),
                          RandomForestClassifier(n_estimators=20, max_depth=6, random_state=0)).fit(X, data.approved)
    onx = to_onnx(model, X[:1], target_opset=17)
    path = tmp_path / "model.onnx"
    path.write_bytes(onx.SerializeToString())
    report = raudit.audit(path, data, target="approved", sensitive=["sex"], checks=["performance", "fairness", "explanations"],
                          config={"check": QUICK})
    assert report.lineage["model"]["format"] == "ONNX"
    assert report.lineage["model"]["trust"].startswith("ONNX graph inspected: standard operator domains only")
    assert report["performance"].metrics["accuracy"] == pytest.approx((model.predict(X) == data.approved).mean(), abs=0.01)
    assert report["explanations"].status not in ("error", "skipped"), report["explanations"].summary


def test_torchscript_is_inspected_before_loading_and_the_report_says_what_runs(trained, tmp_path):
    from raudit.load.models import load_model

    path = tmp_path / "model.pt"
    torch.jit.script(trained).save(str(path))
    info = load_model(path, features=tuple(NUMERIC)).load_info
    assert info["trust"].startswith("TorchScript code inspected") and "no __setstate__ and only reviewed tensor ops" in info["trust"]
    assert info["trust"].endswith("runs no Python")


def test_every_standard_torch_layer_passes_the_torchscript_inspection(tmp_path):
    """The reviewed op list covers torch.nn's common layers (scripts/torchscript_ops.py --check agrees)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    try:
        from torchscript_ops import standard_modules
    finally:
        sys.path.pop(0)
    from raudit.load.torch import inspect_torchscript

    for i, module in enumerate(standard_modules()):
        path = tmp_path / f"m{i}.pt"
        torch.jit.save(torch.jit.script(module), str(path))
        assert inspect_torchscript(path, max_bytes=1 << 30)["code_files"] >= 1, type(module).__name__


def test_trust_model_skips_the_torchscript_inspection_and_says_so(tmp_path):
    from raudit.load.models import load_model
    from tests.attacks import ATTACKS, Target

    target = Target(tmp_path)
    target.sentinel.write_bytes(b"precious")
    path = ATTACKS["torchscript_from_file_in_forward"].build(target)
    with pytest.raises(raudit.InputError, match="torch.from_file"):
        load_model(path, features=("a", "b"))
    adapter = load_model(path, trust_model=True, task="regression")  # loads; its forward would write the file
    assert "not inspected" in adapter.load_info["trust"]


def test_onnx_with_external_data_inside_its_folder_opens(tmp_path):
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    from onnx import TensorProto, helper

    from raudit.load.models import load_model

    weights = helper.make_tensor("w", TensorProto.FLOAT, [2], [1.0, 2.0])
    graph = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])], [weights])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    (tmp_path / "m").mkdir()
    onnx.save(model, str(tmp_path / "m" / "model.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
              location="weights.bin", size_threshold=0)
    adapter = load_model(tmp_path / "m" / "model.onnx", task="regression", features=("a", "b"))
    assert "external data only from files inside the model's folder" in adapter.load_info["trust"]
    import pandas as pd

    np.testing.assert_allclose(adapter.predict(pd.DataFrame({"a": [1.0], "b": [1.0]})), [2.0])
