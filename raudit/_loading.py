"""Read a model file and a data file, with errors that say how to fix them."""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from raudit._adapters import ModelAdapter, adapt
from raudit._errors import InputError

__all__ = ["load_model", "load_data", "check_unique_columns", "DATA_SUFFIXES", "MODEL_SUFFIXES"]

DATA_SUFFIXES = (".csv", ".parquet", ".pq")
MODEL_SUFFIXES = (".joblib", ".pkl", ".pickle", ".skops", ".pt", ".pth", ".pts", ".torchscript", ".onnx")
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
) -> ModelAdapter:
    """Load a fitted model from ``path`` and wrap it in a :class:`ModelAdapter`.

    Parameters
    ----------
    path : str or Path
        A ``.joblib``/``.pkl`` pickle (inspected before anything in it runs)
        or a ``.skops`` file.
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

    Raises
    ------
    InputError
        Missing, unreadable, corrupt, unsafe or unsupported files, or an object
        that is not a fitted model.
    """
    p = _existing_file(path, "model")
    with p.open("rb") as fh:
        head = fh.read(4)
    if p.suffix in TORCH_SUFFIXES:
        from raudit._torch import load_torch

        torch_adapter = load_torch(p, task=task or "classification", torch_class=torch_class, output=torch_output, features=features)
        torch_adapter.load_info["path"] = str(p)
        return torch_adapter
    if p.suffix == ".onnx":
        from raudit._torch import load_onnx

        onnx_adapter = load_onnx(p, task=task or "classification", features=features)
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
    return adapt(obj, load_info=info, features=features)


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
