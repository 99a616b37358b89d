"""Read a model file and a data file, with errors that say how to fix them."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

from raudit._adapters import ModelAdapter, adapt
from raudit._errors import InputError

__all__ = ["load_model", "load_data", "DATA_SUFFIXES", "MODEL_SUFFIXES"]

DATA_SUFFIXES = (".csv", ".parquet", ".pq")
MODEL_SUFFIXES = (".joblib", ".pkl", ".pickle", ".skops", ".pt", ".pth", ".pts", ".torchscript", ".onnx", ".keras")
TORCH_SUFFIXES = (".pt", ".pth", ".pts", ".torchscript")



def _existing_file(path: str | Path, what: str) -> Path:
    p = Path(path)
    if not p.exists():
        raise InputError(f"{what} file not found: {p}", hint=f"check the path; the current folder is {Path.cwd()}")
    if not p.is_file():
        raise InputError(f"{what} path is not a file: {p}")
    try:
        with p.open("rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise InputError(f"cannot read {what} file {p}: {exc.strerror}") from None
    return p


def load_model(
    path: str | Path, *, features: tuple[str, ...] | None = None, trust: bool = False, allow: tuple[str, ...] = (),
    task: str | None = None, torch_class: str | None = None, torch_output: str = "auto", text_column: str | None = None,
    batch_size: int | None = None,
) -> ModelAdapter:
    """Load a fitted model from ``path`` and wrap it in a :class:`ModelAdapter`.

    Parameters
    ----------
    path : str or Path
        A ``.joblib``/``.pkl`` pickle (inspected before anything in it runs),
        a ``.skops``, TorchScript, ``.onnx`` or Keras 3 ``.keras`` file, or a
        Hugging Face model folder (see :mod:`raudit._text`).
    features : tuple of str, optional
        Input columns for a model that does not record them.
    trust : bool
        Skip the inspection (``--trust-model``), after the user reviewed the file.
    allow : tuple of str
        Extra module prefixes a pickle may import (``--allow-module``).
    task : {"classification", "regression"}, optional
        For PyTorch and ONNX models, which cannot say (default classification).
    torch_class : "module:Class", optional
        The module class for a ``torch.save`` state dict.
    torch_output : {"auto", "logits", "probabilities"}
    text_column : str, optional
        The data column of texts for a text classifier (a Hugging Face folder
        or a scikit-learn text pipeline).
    batch_size : int, optional
        Rows per forward pass of a Hugging Face, Keras or PyTorch model.

    Raises
    ------
    InputError
        Missing, unreadable, corrupt, unsafe or unsupported files, or an object
        that is not a fitted model.
    """
    folder = Path(path)
    if folder.is_dir():
        from raudit._text import is_hf_directory, load_hf_text

        if not is_hf_directory(folder):
            raise InputError(f"model folder {folder} has no config.json",
                             hint="raudit reads Hugging Face model folders (config.json, *.safetensors, tokenizer files) "
                                  "and single model files")
        text_adapter = load_hf_text(folder, text_column=text_column, trust=trust, **({"batch_size": batch_size} if batch_size else {}))
        text_adapter.load_info["path"] = str(folder)
        return text_adapter
    p = _existing_file(path, "model")
    if p.suffix == ".keras":
        from raudit._keras import load_keras

        keras_adapter = load_keras(p, task=task or "classification", features=features, trust=trust)
        keras_adapter.load_info["path"] = str(p)
        keras_adapter.batch_size = batch_size or keras_adapter.batch_size
        return keras_adapter
    with p.open("rb") as fh:
        head = fh.read(4)
    if p.suffix in TORCH_SUFFIXES:
        from raudit._torch import load_torch

        torch_adapter = load_torch(p, task=task or "classification", torch_class=torch_class, output=torch_output, features=features)
        torch_adapter.load_info["path"] = str(p)
        torch_adapter.batch_size = batch_size or torch_adapter.batch_size
        return torch_adapter
    if p.suffix == ".onnx":
        from raudit._torch import load_onnx

        onnx_adapter = load_onnx(p, task=task, features=features)
        onnx_adapter.load_info["path"] = str(p)
        return onnx_adapter
    if p.suffix == ".skops" or (head.startswith(b"PK") and p.suffix not in (".joblib", ".pkl", ".pickle")):
        obj = _load_skops(p, trust=trust)
        info: dict[str, Any] = {"format": "skops", "loader": "skops.io.load",
                                "trust": "types skops does not trust by default were trusted by the user" if trust else
                                "only the types skops trusts by default"}
    elif p.suffix in (".joblib", ".pkl", ".pickle") or head[:1] == b"\x80":
        from raudit._safe_pickle import safe_load

        obj, scan = safe_load(p, allow=allow, trust=trust)
        info = {"format": "pickle/joblib" + (" (compressed)" if scan["compressed"] else ""),
                "loader": "raudit restricted unpickler (joblib-compatible)", "trust": scan["decision"],
                "globals_seen": scan.get("globals_seen")}
    else:
        raise InputError(
            f"unsupported model file {p.name!r}",
            hint=f"raudit reads {', '.join(MODEL_SUFFIXES)} files; save the model with joblib.dump or skops.io.dump",
        )
    info["path"] = str(p)
    from raudit._text import as_text_model

    return as_text_model(adapt(obj, load_info=info, features=features), text_column)


def _load_skops(p: Path, *, trust: bool) -> Any:
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(file=p)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputError(f"model file {p} is not a valid skops file: {exc}") from None
    if untrusted and not trust:  # skops' own default trust list; e.g. HistGradientBoosting's TreePredictor is not in it
        raise InputError(
            f"skops file {p} contains types skops does not trust by default: {', '.join(untrusted)}",
            hint="skops explains each (e.g. TreePredictor's unchecked node indices can crash the process); "
                 "if you made the file yourself or trust its source, rerun with --trust-model",
        )
    try:
        return sio.load(p, trusted=untrusted)
    except Exception as exc:  # skops raises many types for bad content
        raise InputError(f"cannot load skops file {p}: {type(exc).__name__}: {exc}") from None


def load_data(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet file into a DataFrame.

    Raises
    ------
    InputError
        Missing, unreadable, unparsable or empty files.
    """
    p = _existing_file(path, "data")
    suffix = p.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            df = pd.read_parquet(p)
        elif suffix in (".csv", ".txt", ".tsv", ""):
            df = pd.read_csv(p, sep="\t" if suffix == ".tsv" else ",", low_memory=False)
        else:
            raise InputError(f"unsupported data file {p.name!r}", hint="raudit reads .csv and .parquet files")
    except InputError:
        raise
    except pd.errors.EmptyDataError:
        raise InputError(f"data file {p} is empty", hint="the file must have a header row and at least one data row") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
        raise InputError(f"cannot parse data file {p}: {exc}".strip()) from None
    except ImportError as exc:
        raise InputError(f"reading {p.name} needs an extra library: {exc}", hint="pip install pyarrow") from None
    if df.empty:
        raise InputError(f"data file {p} has a header but no rows", hint="audit a file with at least one labelled row")
    df.columns = [str(c) for c in df.columns]
    return df
