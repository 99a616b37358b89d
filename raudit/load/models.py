"""Read a model file and a data file, with errors that say how to fix them."""

from __future__ import annotations

import csv
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from raudit.errors import InputError
from raudit.load.adapters import ModelAdapter, adapt

__all__ = ["load_model", "load_data", "check_unique_columns", "DATA_SUFFIXES", "MODEL_SUFFIXES"]

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
    task: str | None = None, torch_class: str | None = None, torch_output: str = "auto",
    allow_globals: tuple[str, ...] = (), limits: Any = None, text_column: str | None = None, batch_size: int | None = None,
) -> ModelAdapter:
    """Load a fitted model from ``path`` and wrap it in a :class:`ModelAdapter`.

    Parameters
    ----------
    path : str or Path
        A ``.joblib``/``.pkl`` pickle (inspected before anything in it runs),
        a ``.skops``, TorchScript, ``.onnx`` or Keras 3 ``.keras`` file, or a
        Hugging Face model folder (see :mod:`raudit.load.text`).
    features : tuple of str, optional
        Input columns for a model that does not record them.
    trust : bool
        Skip the inspection (``--trust-model``), after the user reviewed the file.
    allow : tuple of str
        Module prefixes a pickle may import anything from (``--allow-module``):
        loud, it prints a warning and is recorded in the load info.
    allow_globals : tuple of str
        Exact ``module:Name`` globals a pickle or skops file may use beyond
        raudit's reviewed allow-list (``--allow-global``).
    limits : raudit.load.pickle.unpickler.Limits or mapping, optional
        Caps on decompressed size, opcodes, memo, integer size, nesting
        (``--load-limit``); defaults in :class:`raudit.load.pickle.unpickler.Limits`.
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
    from raudit.load.pickle.unpickler import Limits, parse_limits

    load_limits = limits if isinstance(limits, Limits) else parse_limits(limits)
    if allow and not trust:
        _warn(f"--allow-module {', '.join(allow)}: a pickle may import ANY class or function under "
              f"{'these modules' if len(allow) > 1 else 'this module'}, not only reviewed ones; prefer --allow-global "
              "module:Name for the exact globals you reviewed")
    folder = Path(path)
    if folder.is_dir():
        from raudit.load.text import is_hf_directory, load_hf_text

        if not is_hf_directory(folder):
            raise InputError(f"model folder {folder} has no config.json",
                             hint="raudit reads Hugging Face model folders (config.json, *.safetensors, tokenizer files) "
                                  "and single model files")
        text_adapter = load_hf_text(folder, text_column=text_column, trust=trust, **({"batch_size": batch_size} if batch_size else {}))
        text_adapter.load_info["path"] = str(folder)
        return text_adapter
    p = _existing_file(path, "model")
    if p.suffix == ".keras":
        from raudit.load.keras import load_keras

        keras_adapter = load_keras(p, task=task or "classification", features=features, trust=trust)
        keras_adapter.load_info["path"] = str(p)
        keras_adapter.batch_size = batch_size or keras_adapter.batch_size
        return keras_adapter
    with p.open("rb") as fh:
        head = fh.read(4)
    if p.suffix in TORCH_SUFFIXES:
        from raudit.load.torch import load_torch

        torch_adapter = load_torch(p, task=task or "classification", torch_class=torch_class, output=torch_output, features=features,
                                   trust=trust, limits=load_limits)
        torch_adapter.load_info["path"] = str(p)
        torch_adapter.batch_size = batch_size or torch_adapter.batch_size
        return torch_adapter
    if p.suffix == ".onnx":
        from raudit.load.torch import load_onnx

        onnx_adapter = load_onnx(p, task=task, features=features, trust=trust)
        onnx_adapter.load_info["path"] = str(p)
        return onnx_adapter
    if p.suffix == ".skops" or (head.startswith(b"PK") and p.suffix not in (".joblib", ".pkl", ".pickle")):
        obj, info = _load_skops(p, trust=trust, allow_globals=allow_globals, limits=load_limits)
    elif p.suffix in (".joblib", ".pkl", ".pickle") or head[:1] == b"\x80":
        from raudit.load.pickle.unpickler import safe_load

        obj, scan = safe_load(p, allow_globals=allow_globals, allow_modules=allow, trust=trust, limits=load_limits)
        info = {"format": "pickle/joblib" + (f" ({scan['compression']}-compressed)" if scan["compressed"] else ""),
                "loader": "raudit restricted unpickler (exact allow-list, joblib-compatible)" if not trust else "joblib.load",
                "trust": scan["decision"], "globals_seen": scan.get("globals_seen"),
                "allowed_globals": scan["allowed_globals"], "allowed_modules": scan["allowed_modules"]}
    else:
        raise InputError(
            f"unsupported model file {p.name!r}",
            hint=f"raudit reads {', '.join(MODEL_SUFFIXES)} files; save the model with joblib.dump or skops.io.dump",
        )
    info["path"] = str(p)
    from raudit.load.text import as_text_model

    return as_text_model(adapt(obj, load_info=info, features=features), text_column)


def _warn(message: str) -> None:
    """A loud notice on standard error (also for the Python API): a trust setting the user chose."""
    print(f"raudit: warning: {message}", file=sys.stderr)


def _load_skops(p: Path, *, trust: bool, allow_globals: tuple[str, ...], limits: Any) -> tuple[Any, dict[str, Any]]:
    """Load a ``.skops`` file trusting raudit's reviewed types (and the user's exact globals), nothing else."""
    import skops.io as sio

    from raudit.load.pickle.unpickler import check_loaded_model, skops_trusted_types

    try:
        with zipfile.ZipFile(p) as zf:
            unpacked = sum(i.file_size for i in zf.infolist())
        untrusted = sio.get_untrusted_types(file=p)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputError(f"model file {p} is not a valid skops file: {exc}") from None
    cap = limits.bytes_for(p.stat().st_size)
    if unpacked > cap and not trust:
        raise InputError(f"refusing to load {p}: its entries unpack to {unpacked:,} bytes, more than the {cap:,} raudit allows",
                         hint="if the model is this large, raise the cap with --load-limit bytes=N, or --trust-model")
    user = {g.replace(":", ".") for g in allow_globals}
    reviewed = set(skops_trusted_types()) | user
    left = [t for t in untrusted if t not in reviewed]
    if left and not trust:
        raise InputError(
            f"refusing to load skops file {p}: it contains types neither skops nor raudit's reviewed allow-list trusts: "
            f"{', '.join(left)}",
            hint="skops builds these with their __setstate__ (e.g. a scipy.stats distribution's execs text from the file); "
                 "allow one exact type you reviewed with --allow-global module:Name, or, if you trust the file, --trust-model",
        )
    try:
        obj = sio.load(p, trusted=untrusted)
    except Exception as exc:  # skops raises many types for bad content
        raise InputError(f"cannot load skops file {p}: {type(exc).__name__}: {exc}") from None
    if not trust:
        check_loaded_model(obj, limits=limits)
    extra = [t for t in untrusted if t in user]
    trusted_text = "all types, trusted by the user (--trust-model)" if trust else \
        "skops' default types plus raudit's reviewed allow-list" + (f" plus {', '.join(extra)} (--allow-global)" if extra else "")
    info: dict[str, Any] = {"format": "skops", "loader": "skops.io.load", "trust": f"no pickle; builds only {trusted_text}",
                            "types_beyond_skops_defaults": list(untrusted)}
    return obj, info


def load_data(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet file into a DataFrame.

    The CSV delimiter is sniffed (comma, semicolon, tab or pipe) from the
    header; duplicate column names are an error rather than pandas' silent
    ``x.1`` renaming.

    Raises
    ------
    InputError
        Missing, unreadable, unparsable or empty files, or duplicate column names.
    """
    p = _existing_file(path, "data")
    suffix = p.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            check_unique_columns(pq.read_schema(p).names, where=str(p))
            df = pd.read_parquet(p)
        elif suffix in (".csv", ".txt", ".tsv", ""):
            header = _header_line(p)
            sep = "\t" if suffix == ".tsv" else _sniff_delimiter(header)
            check_unique_columns(next(csv.reader([header], delimiter=sep), []), where=str(p))
            df = pd.read_csv(p, sep=sep, low_memory=False)
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


def check_unique_columns(columns: Sequence[Any], *, where: str) -> None:
    """Refuse duplicate column names: pandas would rename the second ``x`` to ``x.1`` and the model could read the wrong one.

    Raises
    ------
    InputError
        Naming each duplicated column.
    """
    names = [str(c) for c in columns]
    seen: dict[str, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    dup = [n for n, k in seen.items() if k > 1]
    if dup:
        raise InputError(f"{where} has duplicate column names: {', '.join(repr(d) for d in dup)}",
                         hint="give every column a unique name; raudit will not guess which one the model should read")


def _header_line(p: Path) -> str:
    with p.open("rb") as fh:
        raw = fh.readline(1 << 20)
    try:
        return raw.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError:
        raise InputError(f"data file {p} is not UTF-8 text", hint="save the CSV as UTF-8") from None


def _sniff_delimiter(header: str) -> str:
    """The delimiter of a CSV header: comma unless another candidate splits the header into more fields."""
    counts = {sep: len(next(csv.reader([header], delimiter=sep), [])) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=lambda sep: (counts[sep], sep == ","))
    return best if counts[best] > counts[","] else ","
