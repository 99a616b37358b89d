"""PyTorch models (TorchScript, or weights saved with ``torch.save`` plus their class) and ONNX graphs.

Both sit behind the same :class:`ModelAdapter` methods as scikit-learn models.
The input is the data's numeric columns other than the target and the
sensitive ones, in file order, unless ``--features`` names them.
"""

from __future__ import annotations

import importlib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from raudit._adapters import ModelAdapter, Task
from raudit._errors import InputError

__all__ = ["load_torch", "load_onnx", "TorchAdapter", "OnnxAdapter", "OnnxScoresAdapter", "is_torchscript"]


def is_torchscript(path: Path) -> bool:
    """TorchScript archives hold ``code/`` and ``constants.pkl``; plain ``torch.save`` files do not."""
    try:
        names = zipfile.ZipFile(path).namelist()
    except zipfile.BadZipFile:
        return False
    return any("/code/" in n for n in names) and any(n.endswith("constants.pkl") for n in names)


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise InputError("this model file needs PyTorch", hint="pip install 'raudit[torch]' (torch==2.13.0)") from None
    return torch


@dataclass
class TorchAdapter(ModelAdapter):
    """A torch module as a classifier (softmax or sigmoid of its output) or a regressor."""

    output: str = "auto"
    batch_size: int = 4096

    def _forward(self, X: pd.DataFrame) -> np.ndarray:
        torch = _torch()
        data = X.to_numpy(dtype=np.float32)
        device = "cuda" if torch.cuda.is_available() else "cpu"
        self.model.to(device)
        outs = []
        with torch.no_grad():
            for start in range(0, len(data), self.batch_size):
                batch = torch.from_numpy(data[start : start + self.batch_size]).to(device)
                outs.append(self.model(batch).float().cpu().numpy())
        out = np.concatenate(outs) if outs else np.empty((0, 1), dtype=np.float32)
        return out.reshape(len(data), -1).astype(float)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray | None:  # noqa: D102
        if self.task == "regression":
            return None
        out = self._forward(X)
        probabilities = self.output == "probabilities" or (
            self.output == "auto" and np.all((out >= 0) & (out <= 1)) and (out.shape[1] == 1 or np.allclose(out.sum(axis=1), 1, atol=1e-4)))
        if out.shape[1] == 1:
            p = out[:, 0] if probabilities else 1 / (1 + np.exp(-out[:, 0]))
            return np.column_stack([1 - p, p])
        if probabilities:
            return out / out.sum(axis=1, keepdims=True)
        z = out - out.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X: pd.DataFrame) -> np.ndarray:  # noqa: D102
        if self.task == "regression":
            return self._forward(X)[:, 0]
        proba = self.predict_proba(X)
        assert proba is not None and self.classes_ is not None
        return self.classes_[proba.argmax(axis=1)]


def load_torch(path: Path, *, task: str, torch_class: str | None, output: str, features: tuple[str, ...] | None) -> TorchAdapter:
    """Load TorchScript (``torch.jit.load``) or a ``torch.save`` state dict (``weights_only=True``) with its class.

    Parameters
    ----------
    task : {"classification", "regression"}
    torch_class : "module:Class", optional
        The ``nn.Module`` to build for a state dict (your code, imported).
    output : {"auto", "logits", "probabilities"}
    """
    torch = _torch()
    if is_torchscript(path):
        try:
            module = torch.jit.load(str(path), map_location="cpu")
        except Exception as exc:
            raise InputError(f"cannot load TorchScript file {path}: {type(exc).__name__}: {exc}") from None
        info = {"format": "TorchScript", "loader": "torch.jit.load", "trust": "TorchScript runs no Python code on load"}
    else:
        try:
            state = torch.load(str(path), map_location="cpu", weights_only=True)
        except Exception as exc:
            raise InputError(f"cannot load {path} with torch.load(weights_only=True): {type(exc).__name__}: {str(exc)[:300]}",
                             hint="raudit loads torch.save files as weights only; export the model with torch.jit.script "
                                  "or save a state_dict and name its class with --torch-class module:Class") from None
        if not isinstance(state, dict):
            raise InputError(f"{path} holds a {type(state).__name__}, not a state dict")
        if torch_class is None:
            raise InputError(f"{path} holds weights only (a state dict of {len(state)} tensors); raudit needs the module's class",
                             hint="name it with --torch-class package.module:ClassName (built with no arguments), or "
                                  "export the model with torch.jit.script")
        module_name, _, cls_name = torch_class.partition(":")
        try:
            cls = getattr(importlib.import_module(module_name), cls_name)
            module = cls()
            module.load_state_dict(state)
        except Exception as exc:
            raise InputError(f"cannot build {torch_class} from {path}: {type(exc).__name__}: {exc}") from None
        info = {"format": "torch.save state dict", "loader": f"torch.load(weights_only=True) into {torch_class}",
                "trust": "weights only: no code from the file runs; the class is your code"}
    module.eval()
    n_out = _output_size(module, features)
    kind: Task
    if task == "regression":
        classes, kind = None, "regression"
    else:
        classes = np.arange(max(n_out or 2, 2))
        kind = "binary" if len(classes) == 2 else "multiclass"
    return TorchAdapter(model=module, task=kind, classes_=classes, feature_names=features, load_info={**info, "output": output},
                        output=output)


def _output_size(module: Any, features: tuple[str, ...] | None) -> int | None:
    """Output width from a dry run on zeros when the input width is known (else from the last Linear layer)."""
    torch = _torch()
    linears = [m for m in module.modules() if isinstance(m, torch.nn.Linear)] if hasattr(module, "modules") else []
    n_in = len(features) if features else (linears[0].in_features if linears else None)
    if n_in is None:
        return linears[-1].out_features if linears else None
    with torch.no_grad():
        return int(module(torch.zeros(1, n_in)).reshape(1, -1).shape[1])


@dataclass
class OnnxAdapter(ModelAdapter):
    """An ONNX graph run by onnxruntime; per-column inputs are fed by name, a single input gets the feature matrix."""

    session: Any = None
    label_output: str | None = None
    proba_output: str | None = None

    def _feed(self, X: pd.DataFrame) -> dict[str, Any]:
        inputs = self.session.get_inputs()
        if len(inputs) == 1 and inputs[0].name not in X.columns:
            return {inputs[0].name: X.to_numpy(dtype=np.float32)}
        feed = {}
        for i in inputs:
            col = X[i.name]
            if "string" in i.type:
                feed[i.name] = col.astype(str).to_numpy().reshape(-1, 1)
            elif "int64" in i.type:
                feed[i.name] = col.to_numpy(dtype=np.int64).reshape(-1, 1)
            elif "double" in i.type:
                feed[i.name] = col.to_numpy(dtype=np.float64).reshape(-1, 1)
            else:
                feed[i.name] = col.to_numpy(dtype=np.float32).reshape(-1, 1)
        return feed

    def _run(self, X: pd.DataFrame) -> dict[str, Any]:
        names = [o.name for o in self.session.get_outputs()]
        return dict(zip(names, self.session.run(None, self._feed(X))))

    def predict(self, X: pd.DataFrame) -> np.ndarray:  # noqa: D102
        out = self._run(X)
        if self.task == "regression" or self.label_output is None:
            return np.asarray(next(iter(out.values()))).reshape(len(X), -1)[:, 0].astype(float)
        return np.asarray(out[self.label_output]).reshape(-1)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray | None:  # noqa: D102
        if self.task == "regression" or self.proba_output is None:
            return None
        raw = self._run(X)[self.proba_output]
        assert self.classes_ is not None
        if isinstance(raw, list):  # ZipMap: one {class: probability} per row
            proba = np.array([[row[c] for c in self.classes_.tolist()] for row in raw], dtype=float)
        else:
            proba = np.asarray(raw, dtype=float)
        return proba / proba.sum(axis=1, keepdims=True)


@dataclass
class OnnxScoresAdapter(TorchAdapter):
    """An ONNX graph with one score output and no label output (exported from Keras or torch): read like a torch module."""

    def _forward(self, X: pd.DataFrame) -> np.ndarray:
        data = X.to_numpy(dtype=np.float32)
        name = self.model.get_inputs()[0].name
        outs = [np.asarray(self.model.run(None, {name: data[i : i + self.batch_size]})[0])
                for i in range(0, len(data), self.batch_size)]
        out = np.concatenate(outs) if outs else np.empty((0, 1), dtype=np.float32)
        return out.reshape(len(data), -1).astype(float)


def load_onnx(path: Path, *, task: str | None, features: tuple[str, ...] | None) -> OnnxAdapter | OnnxScoresAdapter:
    """Open an ONNX model with onnxruntime (CPU); read inputs, outputs and classes from the graph.

    A graph with a label output is a classifier (skl2onnx). A graph with one
    score output and no label (Keras' ``model.export(format="onnx")``,
    ``torch.onnx``) is a classifier when the output has two or more columns or
    ``task`` is ``"classification"`` (softmax or sigmoid of the scores, as for
    torch), else a regressor.
    """
    try:
        import onnxruntime as ort
    except ImportError:
        raise InputError("ONNX models need onnxruntime", hint="pip install onnxruntime") from None
    try:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise InputError(f"cannot open ONNX model {path}: {type(exc).__name__}: {str(exc)[:300]}") from None
    inputs = session.get_inputs()
    outputs = session.get_outputs()
    label = next((o.name for o in outputs if "label" in o.name.lower()), None)
    proba = next((o.name for o in outputs if "prob" in o.name.lower()), None)
    names = tuple(i.name for i in inputs) if len(inputs) > 1 else features
    info = {"format": "ONNX", "loader": "onnxruntime.InferenceSession (CPU)", "trust": "an ONNX graph runs no Python code",
            "inputs": [f"{i.name} {i.type} {i.shape}" for i in inputs], "outputs": [o.name for o in outputs]}
    adapter = OnnxAdapter(model=session, task="regression", feature_names=names, load_info=info, session=session,
                          label_output=label, proba_output=proba)
    if task == "regression":
        return adapter
    if label is None:
        width = outputs[0].shape[-1] if len(outputs) == 1 and outputs[0].shape else None
        if len(inputs) == 1 and len(outputs) == 1 and ((isinstance(width, int) and width >= 2) or task == "classification"):
            n = max(width if isinstance(width, int) else 1, 2)
            return OnnxScoresAdapter(model=session, task="binary" if n == 2 else "multiclass", classes_=np.arange(n),
                                     feature_names=names, load_info={**info, "output": "auto (softmax/sigmoid of the scores "
                                                                                       "unless they are probabilities)"})
        return adapter
    # classes: from a probe run's ZipMap keys, else 0..k-1
    adapter.task = "binary"
    probe_cols = names or tuple(f"x{i}" for i in range(int(inputs[0].shape[1] or 1)))
    probe = pd.DataFrame({c: [0] for c in probe_cols})
    if len(inputs) > 1:
        for i in inputs:
            if "string" in i.type:
                probe[i.name] = [""]
    try:
        raw = adapter._run(probe)[proba] if proba else None
    except Exception:
        raw = None
    if isinstance(raw, list) and raw:
        classes = np.array(sorted(raw[0].keys()))
    elif raw is not None:
        classes = np.arange(np.asarray(raw).shape[1])
    else:
        classes = np.array([0, 1])
    adapter.classes_ = classes
    adapter.task = "binary" if len(classes) == 2 else "multiclass"
    return adapter
