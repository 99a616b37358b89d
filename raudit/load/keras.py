"""Keras 3 ``.keras`` files, inspected before loading and run on the torch backend (TensorFlow not needed).

A ``.keras`` file is a zip of ``config.json`` (the architecture), ``metadata.json``
and ``model.weights.h5``. raudit reads ``config.json`` as plain JSON first and
allows exactly the objects listed in :data:`ALLOWED`: every ``{"module",
"class_name"}`` entry must name one of them. Anything else (a ``Lambda`` layer,
which carries Python bytecode; a custom layer registered by the author's code;
``TorchModuleWrapper``, which holds a pickled torch module) stops the audit with
exit code 2 and is named in the message. The model is then loaded with
``keras.saving.load_model(path, compile=False, safe_mode=True)``: the training
configuration (optimizer, loss, metrics) is never deserialised.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from raudit.errors import InputError, import_optional
from raudit.load.adapters import Task
from raudit.load.torch import TorchAdapter

__all__ = ["ALLOWED", "inspect_keras", "load_keras", "KerasAdapter"]

_LAYERS = {
    # core and dense
    "InputLayer", "Input", "Dense", "EinsumDense", "Activation", "Embedding", "Masking", "Identity",
    # regularisation and normalisation
    "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout", "GaussianNoise", "AlphaDropout",
    "BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization", "Normalization", "Rescaling",
    # shape
    "Flatten", "Reshape", "Permute", "RepeatVector", "Cropping1D", "Cropping2D", "ZeroPadding1D", "ZeroPadding2D",
    "UpSampling1D", "UpSampling2D",
    # merging
    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
    # convolution and pooling
    "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "SeparableConv1D", "SeparableConv2D",
    "DepthwiseConv1D", "DepthwiseConv2D", "MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
    # recurrent and attention
    "SimpleRNN", "LSTM", "GRU", "Bidirectional", "TimeDistributed", "Attention", "AdditiveAttention",
    "MultiHeadAttention", "GroupQueryAttention",
    # activations as layers
    "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax",
    # preprocessing held in the graph (vocabularies and statistics are data in the config)
    "CategoryEncoding", "Hashing", "IntegerLookup", "StringLookup", "Discretization", "TextVectorization",
}
_INITIALIZERS = {
    "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform", "LecunNormal", "Zeros", "Ones", "Constant",
    "RandomNormal", "RandomUniform", "TruncatedNormal", "Orthogonal", "OrthogonalInitializer", "Identity",
    "IdentityInitializer", "VarianceScaling",
}
_MODELS = {"Sequential", "Functional", "Model"}

#: Exactly what a ``.keras`` config may name: module -> (allowed class names, why they are safe).
ALLOWED: dict[str, tuple[frozenset[str], str]] = {
    "keras": (frozenset(_MODELS | {"DTypePolicy", "FloatDTypePolicy"}),
              "model containers and dtype policies: structure only"),
    "keras.models": (frozenset(_MODELS), "model containers"),
    "keras.src.models.functional": (frozenset({"Functional"}), "the functional-API container"),
    "keras.src.models.sequential": (frozenset({"Sequential"}), "the sequential container"),
    "keras.layers": (frozenset(_LAYERS), "built-in layers whose config is numbers, shapes and names (Lambda, "
                                         "TorchModuleWrapper, TFSMLayer, JaxLayer and FlaxLayer are left out: they carry "
                                         "code or pickles)"),
    "keras.initializers": (frozenset(_INITIALIZERS), "weight initialisers (unused on load: the weights come from the file)"),
    "keras.regularizers": (frozenset({"L1", "L2", "L1L2", "OrthogonalRegularizer"}), "penalties used only in training"),
    "keras.constraints": (frozenset({"MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm"}), "weight constraints used only in training"),
}
#: Keras' own markers for values inside a config (tensors of the functional graph, arrays, slices): data, not code.
DATA_MARKERS = frozenset({"__keras_tensor__", "__tensor__", "__numpy__", "__bytes__", "__slice__", "__ellipsis__"})
#: Activation functions a config may name as a serialised function object.
ACTIVATIONS = frozenset({"relu", "relu6", "sigmoid", "softmax", "log_softmax", "tanh", "linear", "gelu", "elu", "selu", "softplus",
                         "softsign", "swish", "silu", "exponential", "hard_sigmoid", "hard_silu", "leaky_relu", "mish"})
MAX_CONFIG_BYTES = 20 * 2**20


def _walk(node: Any, where: str, out: list[str]) -> None:  # size: a reviewed walk over every node kind of a Keras config
    """Collect a description of every object in ``node`` that :data:`ALLOWED` does not list."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            _walk(item, f"{where}[{i}]", out)
        return
    if not isinstance(node, dict):
        return
    if "class_name" in node:
        name, module = node.get("class_name"), node.get("module")
        registered = node.get("registered_name")
        label = f"{node.get('config', {}).get('name', '?') if isinstance(node.get('config'), dict) else '?'}"
        if name in DATA_MARKERS:
            pass
        elif name == "__lambda__":
            out.append(f"Python bytecode (__lambda__) at {where}")
        elif name == "function":
            fn = node.get("config")
            if not (module in ("keras.activations", "builtins") and fn in ACTIVATIONS):
                out.append(f"function {module}.{fn} at {where}")
        elif module in ALLOWED and name in ALLOWED[module][0] and registered in (None, name):
            pass
        elif name == "Lambda":
            out.append(f"Lambda layer {label!r} (Python bytecode)")
        else:
            out.append(f"{module or '(no module)'}.{name} {label!r}" + (f" (registered as {registered!r})" if registered else ""))
    for key, value in node.items():
        if key == "compile_config":  # never deserialised: raudit loads with compile=False
            continue
        _walk(value, f"{where}.{key}", out)


def inspect_keras(path: Path) -> dict[str, Any]:
    """Read a ``.keras`` zip's config as JSON and refuse anything :data:`ALLOWED` does not list.

    Returns
    -------
    dict
        ``members`` of the zip, ``keras_version`` that saved it, ``layers`` (class names, in order).

    Raises
    ------
    InputError
        Not a zip, no ``config.json``, or objects outside the allow-list (each one named).
    """
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise InputError(f"{path} is not a Keras 3 .keras file (not a zip archive)",
                         hint="save the model with model.save('model.keras') in Keras 3") from None
    with archive:
        members = archive.namelist()
        if "config.json" not in members:
            raise InputError(f"{path} has no config.json: not a Keras 3 .keras file", hint="save it with model.save('model.keras')")
        if archive.getinfo("config.json").file_size > MAX_CONFIG_BYTES:
            raise InputError(f"{path}: config.json is too large to be a model architecture")
        try:
            config = json.loads(archive.read("config.json").decode("utf-8"))
            metadata = json.loads(archive.read("metadata.json").decode("utf-8")) if "metadata.json" in members else {}
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: config.json is not valid JSON: {exc}") from None
    refused: list[str] = []
    _walk(config, "config", refused)
    if refused:
        raise InputError(
            f"{path} holds objects raudit does not load without review: {'; '.join(refused[:8])}"
            + (f" and {len(refused) - 8} more" if len(refused) > 8 else "")
            + ". A Lambda layer carries Python bytecode and a custom class runs its author's code",
            hint="rebuild the model from built-in layers, or export it to ONNX and audit the .onnx file; if you wrote "
                 "the model yourself, --trust-model loads Lambda layers (keras safe_mode off), and custom classes still "
                 "need to be registered in keras by your own code")
    layers = [layer.get("class_name") for layer in config.get("config", {}).get("layers", []) if isinstance(layer, dict)]
    return {"members": members, "keras_version": metadata.get("keras_version"), "layers": layers}


def _keras() -> Any:
    os.environ.setdefault("KERAS_BACKEND", "torch")  # only takes effect before keras is first imported
    return import_optional("keras", needed_by=".keras files need Keras 3", install="raudit[keras,torch]")


@dataclass
class KerasAdapter(TorchAdapter):
    """A Keras 3 model as a classifier (softmax or sigmoid of its output, as for torch) or a regressor."""

    def _forward(self, X: pd.DataFrame) -> np.ndarray:
        keras = _keras()
        data = X.to_numpy(dtype=np.float32)
        outs = [keras.ops.convert_to_numpy(self.model(data[start : start + self.batch_size], training=False))
                for start in range(0, len(data), self.batch_size)]
        out = np.concatenate(outs) if outs else np.empty((0, 1), dtype=np.float32)
        return out.reshape(len(data), -1).astype(float)


def load_keras(path: Path, *, task: str, features: tuple[str, ...] | None, trust: bool) -> KerasAdapter:
    """Inspect, then load a ``.keras`` file with ``safe_mode=True`` (``False`` only with ``--trust-model``) and ``compile=False``.

    Parameters
    ----------
    task : {"classification", "regression"}
    features : tuple of str, optional
        The model's input columns (default: the data's numeric non-target, non-sensitive columns).
    trust : bool
        ``--trust-model``: skip the allow-list and let keras deserialise Lambda layers.
    """
    summary = inspect_keras(path) if not trust else {"layers": None}
    keras = _keras()
    try:
        model = keras.saving.load_model(str(path), compile=False, safe_mode=not trust)
    except Exception as exc:
        raise InputError(f"cannot load Keras file {path}: {type(exc).__name__}: {str(exc)[:400]}") from None
    shape = model.output_shape if not isinstance(model.output_shape, list) else model.output_shape[0]
    n_out = int(shape[-1] or 1)
    n_in = model.input_shape[-1] if not isinstance(model.input_shape, list) else None
    if features is not None and n_in is not None and n_in != len(features):
        raise InputError(f"the Keras model takes {n_in} inputs but {len(features)} feature columns were named",
                         hint="name the model's input columns in order with --features a,b,c")
    kind: Task
    if task == "regression":
        classes, kind = None, "regression"
    else:
        classes = np.arange(max(n_out, 2))
        kind = "binary" if len(classes) == 2 else "multiclass"
    info = {"format": "Keras 3 (.keras)", "loader": f"keras.saving.load_model(compile=False, safe_mode={not trust}) on the "
                                                   f"{keras.backend.backend()} backend",
            "trust": "config.json checked against raudit's allow-list of built-in keras objects before loading"
            if not trust else "--trust-model: allow-list skipped, keras safe_mode off (Lambda layers deserialised)",
            "keras": keras.__version__, "layers": summary["layers"]}
    return KerasAdapter(model=model, task=kind, classes_=classes, feature_names=features, load_info=info, output="auto")
