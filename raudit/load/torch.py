"""PyTorch models (TorchScript, or weights saved with ``torch.save`` plus their class) and ONNX graphs.

Both sit behind the same :class:`ModelAdapter` methods as scikit-learn models.
Neither records its input columns (a multi-input ONNX graph names them):
``--features`` names them, in training order; raudit does not guess.
"""

from __future__ import annotations

import ast
import importlib
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Final

import numpy as np
import pandas as pd

from raudit.errors import InputError, import_optional
from raudit.load.adapters import ModelAdapter, Task

__all__ = ["load_torch", "load_onnx", "TorchAdapter", "OnnxAdapter", "OnnxScoresAdapter", "is_torchscript", "inspect_torchscript",
           "inspect_onnx", "TORCHSCRIPT_OPS", "PRIM_OPS", "ONNX_DOMAINS"]


def is_torchscript(path: Path) -> bool:
    """TorchScript archives hold ``code/`` and ``constants.pkl``; plain ``torch.save`` files do not."""
    try:
        names = zipfile.ZipFile(path).namelist()
    except zipfile.BadZipFile:
        return False
    return any("/code/" in n for n in names) and any(n.endswith("constants.pkl") for n in names)


def _torch() -> Any:
    return import_optional("torch", needed_by="this model file needs PyTorch", install="raudit[torch]")


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


#: What the report says of an inspected TorchScript archive (and the trust how-to quotes).
TORCHSCRIPT_TRUST: Final = "no __setstate__ and only reviewed tensor ops; runs no Python"
#: What the report says of an inspected ONNX model (and the trust how-to quotes).
ONNX_TRUST: Final = ("ONNX graph inspected: standard operator domains only, external data only from files inside the model's "
                     "folder; onnxruntime runs no Python")

#: ``torch.X`` / ``ops.aten.X`` ops TorchScript code may call: the ops torch.nn's standard layers use
#: (``scripts/torchscript_ops.py`` regenerates the list), each pure tensor or scalar math, shape handling, or
#: error reporting. Nothing here reads or writes files (``from_file``, ``save``, ``load`` are not on it), and
#: custom-op namespaces (``ops.<library>.*``) are refused.
TORCHSCRIPT_OPS: Final = frozenset("""
    __contains__ __derive_index __getitem__ __is__ __isnot__ __not__ __range_length _native_multi_head_attention
    _transformer_encoder_layer_fwd _upsample_bicubic2d_aa _upsample_bilinear2d_aa _upsample_lanczos2d_aa
    _upsample_nearest_exact1d _upsample_nearest_exact2d _upsample_nearest_exact3d abs adaptive_avg_pool1d
    adaptive_avg_pool2d adaptive_avg_pool3d adaptive_max_pool1d adaptive_max_pool2d add add_ addmm all alpha_dropout
    alpha_dropout_ any append arange argmax argmin avg_pool1d avg_pool2d avg_pool3d baddbmm batch_norm bilinear bmm cat
    celu celu_ chunk clamp clamp_max clamp_min contiguous conv1d conv2d conv3d conv_transpose1d conv_transpose2d
    conv_transpose3d cosine_similarity cumsum detach dim div dropout dropout_ einsum elu elu_ embedding embedding_bag eq
    exp expand expm1 feature_dropout feature_dropout_ flatten floor floordiv format ge gelu glu group_norm gru gt hardshrink
    hardsigmoid hardsigmoid_ hardswish hardswish_ hardtanh hardtanh_ index_select instance_norm is_autocast_enabled
    is_floating_point is_grad_enabled layer_norm le leaky_relu leaky_relu_ len linear list log log1p log_sigmoid
    log_softmax logsumexp lstm lt masked_fill masked_fill_ matmul max max_pool1d max_pool2d max_pool3d maximum mean min
    minimum mish mish_ mm mul ne neg norm numel ones ones_like pad pairwise_distance permute pixel_shuffle pow prelu
    reciprocal relu relu6 relu_ remainder repeat reshape rnn_relu rnn_tanh round rsqrt scaled_dot_product_attention select
    selu selu_ sigmoid sign silu silu_ size slice softmax softplus softsign split sqrt squeeze stack std sub sum t tanh
    tensor threshold threshold_ to transpose unflatten unsqueeze upsample_bicubic2d upsample_bilinear2d upsample_linear1d
    upsample_nearest1d upsample_nearest2d upsample_nearest3d upsample_trilinear3d var view warn where zeros zeros_like
    Tensor device dtype float float32 float64 int int64 long bool double half
""".split())
#: ``ops.prim.X`` TorchScript primitives: raising an error, reading a tensor's device/dtype/flags.
PRIM_OPS: Final = frozenset({"RaiseException", "device", "dtype", "is_nested", "requires_grad", "type", "NumToTensor",
                             "unchecked_cast", "Uninitialized", "layout", "is_cuda", "min", "max", "abs"})
#: Bare names TorchScript code may call (besides its own local variables): casts and compiler annotations.
_BARE_CALLS: Final = frozenset({"annotate", "bool", "float", "int", "str", "getattr", "range", "unchecked_cast",
                                "uninitialized", "len", "isinstance", "list", "tuple", "dict", "min", "max", "abs",
                                "round", "enumerate", "zip", "hasattr", "divmod"})


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _code_files(zf: zipfile.ZipFile) -> list[str]:
    return [n for n in zf.namelist() if "/code/" in n and n.endswith(".py")]


def torchscript_calls(zf: zipfile.ZipFile) -> set[str]:
    """Every ``torch.X`` and ``ops.ns.X`` name the archive's TorchScript code refers to."""
    names: set[str] = set()
    for name in _code_files(zf):
        for node in ast.walk(ast.parse(zf.read(name).decode("utf-8"))):
            parts = (_dotted(node) or "").split(".") if isinstance(node, ast.Attribute) else []
            if parts[:1] == ["torch"] and len(parts) >= 2:
                names.add(".".join(parts[:2]))
            elif parts[:1] == ["ops"] and len(parts) >= 3:
                names.add(".".join(parts[:3]))
    return names


def _pickle_globals(data: bytes) -> list[str]:
    """The globals a (TorchScript attribute) pickle names, read statically; never unpickled here."""
    import pickletools

    names: list[str] = []
    strings: list[str] = []
    try:
        for op, arg, _ in pickletools.genops(data):
            if op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
                strings.append(str(arg))
                if "torch.classes" in str(arg):  # however it is assembled (memo, STACK_GLOBAL), the name is in a string
                    names.append(str(arg))
            elif op.name == "GLOBAL":
                names.append(str(arg).replace(" ", "."))
            elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
                names.append(f"{strings[-2]}.{strings[-1]}")
    except Exception:  # noqa: BLE001 - an unreadable pickle is reported by torch.jit.load itself
        names.append("<unreadable>")
    return names


# size: a reviewed walk over every part of a TorchScript archive (code, pickles, constants)
def inspect_torchscript(path: Path, *, max_bytes: int) -> dict[str, Any]:
    """Read a TorchScript archive's code without running it; refuse what could run on load or touch files.

    ``torch.jit.load`` compiles the archive's ``code/`` (TorchScript, not
    Python) and, while restoring the module, calls any ``__setstate__`` the
    code defines. raudit parses every code file (``ast``, nothing executed) and
    refuses: a ``__setstate__``; any ``torch.*``/``ops.aten.*`` op outside
    :data:`TORCHSCRIPT_OPS` (e.g. ``torch.from_file``, which can write to a
    file); ``ops.prim.*`` outside :data:`PRIM_OPS`; custom-op namespaces
    (``ops.<library>.*``) and TorchBind classes (``__torch__.torch.classes``);
    imports; calls to methods or names the archive does not define.

    Returns
    -------
    dict
        ``code_files`` and the ``ops`` used, for the report.

    Raises
    ------
    InputError
        Naming each refused construct and the file it is in.
    """
    problems: list[str] = []
    used: set[str] = set()
    with zipfile.ZipFile(path) as zf:
        unpacked = sum(i.file_size for i in zf.infolist())
        if unpacked > max_bytes:
            raise InputError(f"refusing to load {path}: its entries unpack to {unpacked:,} bytes, more than the {max_bytes:,} "
                             "raudit allows", hint="if the model is this large, raise the cap with --load-limit bytes=N")
        files = _code_files(zf)
        trees = {}
        for name in files:
            try:
                trees[name] = ast.parse(zf.read(name).decode("utf-8"))
            except (SyntaxError, UnicodeDecodeError, ValueError, RecursionError, MemoryError) as exc:
                problems.append(f"{name}: unreadable TorchScript code ({type(exc).__name__})")
        for name in zf.namelist():  # the module's pickled attributes: torch's C++ unpickler builds what they name
            if name.endswith(("data.pkl", "constants.pkl")):
                problems.extend(f"{name}: {g} is a TorchBind (C++ extension) class" for g in _pickle_globals(zf.read(name))
                                if "torch.classes" in g)
    defined = {n.name for tree in trees.values() for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    for name, tree in trees.items():
        short = name.split("/code/", 1)[-1]
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                problems.append(f"{short}: an import")
            elif isinstance(node, ast.FunctionDef) and node.name in ("__setstate__", "__getstate__"):
                if node.name == "__setstate__":
                    problems.append(f"{short}: defines __setstate__, which torch.jit.load runs while loading")
            elif isinstance(node, ast.Attribute):
                dotted = _dotted(node)
                if dotted is None:
                    continue
                parts = dotted.split(".")
                if parts[0] == "torch" and len(parts) >= 2:
                    used.add(f"torch.{parts[1]}")
                    if parts[1] not in TORCHSCRIPT_OPS:
                        problems.append(f"{short}: torch.{parts[1]} is not a reviewed tensor op")
                elif parts[0] == "ops" and len(parts) >= 3:
                    used.add(".".join(parts[:3]))
                    allowed = TORCHSCRIPT_OPS if parts[1] == "aten" else PRIM_OPS if parts[1] == "prim" else frozenset()
                    if parts[2] not in allowed:
                        what = "a custom op" if parts[1] not in ("aten", "prim") else "not a reviewed op"
                        problems.append(f"{short}: {'.'.join(parts[:3])} is {what}")
                elif parts[0] == "__torch__" and parts[1:3] == ["torch", "classes"]:
                    problems.append(f"{short}: {'.'.join(parts[:5])} is a TorchBind (C++ extension) class")
            elif isinstance(node, ast.FunctionDef):
                local = {a.arg for a in node.args.args + node.args.kwonlyargs}
                local |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
                for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
                    func = call.func
                    if isinstance(func, ast.Name) and func.id not in local and func.id not in _BARE_CALLS:
                        problems.append(f"{short}: calls {func.id}(), which the archive does not define")
                    elif isinstance(func, ast.Attribute) and _dotted(func) is None and func.attr not in defined:
                        problems.append(f"{short}: calls a method .{func.attr}() the archive does not define")
                    elif isinstance(func, ast.Attribute):
                        root = (_dotted(func) or "").split(".")[0]
                        if root not in ("torch", "ops", "__torch__") and func.attr not in defined:
                            problems.append(f"{short}: calls a method .{func.attr}() the archive does not define")
    if problems:
        unique = list(dict.fromkeys(problems))
        raise InputError(
            f"refusing to load TorchScript file {path}: its code does what raudit does not allow on load: "
            + "; ".join(unique[:12]) + (f"; and {len(unique) - 12} more" if len(unique) > 12 else ""),
            hint="TorchScript runs the archive's code; raudit only loads archives whose code uses reviewed tensor ops and no "
                 "__setstate__. If you trust the file, rerun with --trust-model",
        )
    return {"code_files": len(trees), "ops": sorted(used)}


def load_torch(path: Path, *, task: str, torch_class: str | None, output: str, features: tuple[str, ...] | None,
               trust: bool = False, limits: Any = None) -> TorchAdapter:
    """Load TorchScript (after :func:`inspect_torchscript`) or a ``torch.save`` state dict (weights only) with its class.

    Parameters
    ----------
    task : {"classification", "regression"}
    torch_class : "module:Class", optional
        The ``nn.Module`` to build for a state dict (your code, imported).
    output : {"auto", "logits", "probabilities"}
    trust : bool
        Skip the TorchScript inspection (``--trust-model``).
    limits : raudit.config.Limits, optional
    """
    torch = _torch()
    if is_torchscript(path):
        if trust:
            trust_text = "trusted by the user (--trust-model): TorchScript code not inspected; torch.jit.load runs it"
        else:
            from raudit.config import DEFAULT_LIMITS

            seen = inspect_torchscript(path, max_bytes=(limits or DEFAULT_LIMITS).bytes_for(path.stat().st_size))
            trust_text = f"TorchScript code inspected ({seen['code_files']} files): {TORCHSCRIPT_TRUST}"
        try:
            module = torch.jit.load(str(path), map_location="cpu")
        except Exception as exc:
            raise InputError(f"cannot load TorchScript file {path}: {type(exc).__name__}: {exc}") from None
        info = {"format": "TorchScript", "loader": "torch.jit.load", "trust": trust_text}
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

    @property
    def has_proba(self) -> bool:  # noqa: D102
        return self.task != "regression" and self.proba_output is not None

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


#: Operator domains built into onnxruntime (standard ONNX, ONNX-ML, Microsoft's contrib ops): no custom-op library.
ONNX_DOMAINS: Final = frozenset({"", "ai.onnx", "ai.onnx.ml", "ai.onnx.preview.training", "com.microsoft",
                                 "com.microsoft.nchwc", "com.microsoft.experimental"})


# size: every way an ONNX external-data location can leave the model's folder is refused
def _external_location(model_dir: Path, tensor: Any, where: str) -> str | None:
    """Why a tensor's external-data entry is refused, or None when it names a file inside the model's folder."""
    entries = {e.key: e.value for e in tensor.external_data}
    location = entries.get("location", "")
    if not location or "\x00" in location:
        return f"{where}: external data with an empty or invalid location"
    if PurePosixPath(location).is_absolute() or PureWindowsPath(location).is_absolute() or PureWindowsPath(location).drive \
            or location.startswith(("/", "\\")) or os.path.isabs(location):
        return f"{where}: external data at an absolute path ({location!r})"
    if ".." in PurePosixPath(location.replace("\\", "/")).parts:
        return f"{where}: external data outside the model's folder ({location!r})"
    root = model_dir.resolve()
    target = (model_dir / location).resolve()
    if not target.is_relative_to(root):
        return f"{where}: external data {location!r} leads outside the model's folder (a symbolic link to {target})"
    if not target.is_file():
        return f"{where}: external data file {location!r} is missing or not a regular file"
    try:
        offset, length = int(entries.get("offset", 0)), int(entries.get("length", 0) or 0)
    except ValueError:
        return f"{where}: external data with a non-numeric offset or length"
    if offset < 0 or length < 0 or offset + length > target.stat().st_size:
        return f"{where}: external data reads past the end of {location!r}"
    return None


def inspect_onnx(path: Path) -> dict[str, Any]:  # size: a reviewed list of checks over an ONNX graph (domains, operators, external data)
    """Parse an ONNX model (protobuf only, external data not read) and refuse what onnxruntime should not open.

    Refused: external-data ``location`` values that are absolute, contain
    ``..``, lead outside the model's folder through a symbolic link, are
    missing, or read past the file's end (onnxruntime would read any file the
    process can); nodes and opset imports in domains other than
    :data:`ONNX_DOMAINS` or the model's own local functions (custom ops).

    Raises
    ------
    InputError
        Naming each problem.
    """
    onnx = import_optional("onnx", needed_by="inspecting ONNX models needs the onnx package", install="raudit[onnx]")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:
        raise InputError(f"cannot parse ONNX model {path}: {type(exc).__name__}: {str(exc)[:300]}") from None
    model_dir = path.parent
    local = {(f.domain, f.name) for f in model.functions}
    allowed = ONNX_DOMAINS | {d for d, _ in local}
    problems = [f"opset import of domain {o.domain!r} (a custom-op library)" for o in model.opset_import if o.domain not in allowed]
    external = 0

    def tensors(t: Any, where: str) -> None:
        nonlocal external
        if t.data_location == onnx.TensorProto.EXTERNAL:
            external += 1
            why = _external_location(model_dir, t, where)
            if why:
                problems.append(why)

    def graph(g: Any, where: str) -> None:
        for t in g.initializer:
            tensors(t, f"{where} initializer {t.name!r}")
        for st in g.sparse_initializer:
            tensors(st.values, f"{where} sparse initializer")
            tensors(st.indices, f"{where} sparse initializer indices")
        nodes(g.node, where)

    def nodes(items: Any, where: str) -> None:
        for n in items:
            if n.domain not in ONNX_DOMAINS and (n.domain, n.op_type) not in local:
                problems.append(f"{where} node {n.name or n.op_type!r}: op {n.op_type} of custom domain {n.domain!r}")
            for a in n.attribute:
                if a.HasField("t"):
                    tensors(a.t, f"{where} node {n.name!r} attribute {a.name}")
                for t in a.tensors:
                    tensors(t, f"{where} node {n.name!r} attribute {a.name}")
                if a.HasField("g"):
                    graph(a.g, f"{where} subgraph {a.name}")
                for sub in a.graphs:
                    graph(sub, f"{where} subgraph {a.name}")

    graph(model.graph, "graph")
    for f in model.functions:
        nodes(f.node, f"function {f.name!r}")
    if problems:
        unique = list(dict.fromkeys(problems))
        raise InputError(f"refusing to open ONNX model {path}: " + "; ".join(unique[:12])
                         + (f"; and {len(unique) - 12} more" if len(unique) > 12 else ""),
                         hint="keep external data files next to the model (relative names, no '..', no links out of the "
                              "folder) and use only standard operators; if you trust the file, rerun with --trust-model")
    return {"external_tensors": external, "domains": sorted({o.domain or "ai.onnx" for o in model.opset_import})}


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


# size: inspects, opens and classifies an ONNX model's outputs, each step with its own refusal
def load_onnx(path: Path, *, task: str | None, features: tuple[str, ...] | None, trust: bool = False) -> OnnxAdapter | OnnxScoresAdapter:
    """Open an ONNX model with onnxruntime (CPU) after :func:`inspect_onnx`; read inputs, outputs and classes from the graph.

    A graph with a label output is a classifier (skl2onnx). A graph with one
    score output and no label (Keras' ``model.export(format="onnx")``,
    ``torch.onnx``) is a classifier when the output has two or more columns or
    ``task`` is ``"classification"`` (softmax or sigmoid of the scores, as for
    torch), else a regressor.
    """
    ort = import_optional("onnxruntime", needed_by="ONNX models need onnxruntime", install="raudit[onnx]")
    seen = None if trust else inspect_onnx(path)
    try:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise InputError(f"cannot open ONNX model {path}: {type(exc).__name__}: {str(exc)[:300]}") from None
    inputs = session.get_inputs()
    outputs = session.get_outputs()
    label = next((o.name for o in outputs if "label" in o.name.lower()), None)
    proba = next((o.name for o in outputs if "prob" in o.name.lower()), None)
    names = tuple(i.name for i in inputs) if len(inputs) > 1 else features
    trust_text = "trusted by the user (--trust-model): not inspected" if seen is None else ONNX_TRUST
    info = {"format": "ONNX", "loader": "onnxruntime.InferenceSession (CPU)", "trust": trust_text,
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
