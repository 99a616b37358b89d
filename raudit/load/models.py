"""Read a model file and a data file, with errors that say how to fix them."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from raudit.config import Limits, LoadSettings
from raudit.errors import InputError
from raudit.load.adapters import ModelAdapter, adapt
from raudit.load.data import existing_file

__all__ = ["load_model", "MODEL_SUFFIXES"]

MODEL_SUFFIXES = (".joblib", ".pkl", ".pickle", ".skops", ".pt", ".pth", ".pts", ".torchscript", ".onnx", ".keras")
TORCH_SUFFIXES = (".pt", ".pth", ".pts", ".torchscript")



def load_model(path: str | Path, settings: LoadSettings | None = None, **fields: Any) -> ModelAdapter:
    """Load a fitted model from ``path`` and wrap it in a :class:`ModelAdapter`.

    Parameters
    ----------
    path : str or Path
        A ``.joblib``/``.pkl`` pickle (inspected before anything in it runs),
        a ``.skops``, TorchScript, ``.onnx`` or Keras 3 ``.keras`` file, or a
        Hugging Face model folder (see :mod:`raudit.load.text`).
    settings : LoadSettings, optional
        How to open it: trust, allowed globals and modules, caps, task, torch
        class, text column, batch size (:class:`raudit.config.LoadSettings`).
        The adapter keeps them (``load_settings``), so a Dask worker opens the
        same file the same way.
    **fields
        Fields of :class:`~raudit.config.LoadSettings` that replace those of
        ``settings`` (``load_model(path, trust_model=True)``).

    Raises
    ------
    InputError
        Missing, unreadable, corrupt, unsafe or unsupported files, or an object
        that is not a fitted model.
    """
    s = dataclasses.replace(settings or LoadSettings(), **fields)
    adapter = _open(Path(path), s)
    adapter.load_settings = s
    return adapter


def _open(path: Path, s: LoadSettings) -> ModelAdapter:  # size: one branch per model format, each a few lines
    """Open ``path`` with the loader its format needs (a folder, then by suffix and magic bytes)."""
    trust = s.trust_model
    if s.allow_modules and not trust:
        _warn(f"--allow-module {', '.join(s.allow_modules)}: a pickle may import ANY class or function under "
              f"{'these modules' if len(s.allow_modules) > 1 else 'this module'}, not only reviewed ones; prefer --allow-global "
              "module:Name for the exact globals you reviewed. Known gadgets under it (picklescan's and modelscan's lists) "
              "stay refused")
    if path.is_dir():
        from raudit.load.text import is_hf_directory, load_hf_text

        if not is_hf_directory(path):
            raise InputError(f"model folder {path} has no config.json",
                             hint="raudit reads Hugging Face model folders (config.json, *.safetensors, tokenizer files) "
                                  "and single model files")
        text_adapter = load_hf_text(path, text_column=s.text_column, trust=trust,
                                    **({"batch_size": s.batch_size} if s.batch_size else {}))
        text_adapter.load_info["path"] = str(path)
        return text_adapter
    p = existing_file(path, "model")
    if p.suffix == ".keras":
        from raudit.load.keras import load_keras

        keras_adapter = load_keras(p, task=s.task or "classification", features=s.features, trust=trust)
        keras_adapter.load_info["path"] = str(p)
        keras_adapter.batch_size = s.batch_size or keras_adapter.batch_size
        return keras_adapter
    with p.open("rb") as fh:
        head = fh.read(4)
    if p.suffix in TORCH_SUFFIXES:
        from raudit.load.torch import load_torch

        torch_adapter = load_torch(p, task=s.task or "classification", torch_class=s.torch_class, output=s.torch_output,
                                   features=s.features, trust=trust, limits=s.limits)
        torch_adapter.load_info["path"] = str(p)
        torch_adapter.batch_size = s.batch_size or torch_adapter.batch_size
        return torch_adapter
    if p.suffix == ".onnx":
        from raudit.load.torch import load_onnx

        onnx_adapter = load_onnx(p, task=s.task, features=s.features, trust=trust)
        onnx_adapter.load_info["path"] = str(p)
        return onnx_adapter
    if p.suffix == ".skops" or (head.startswith(b"PK") and p.suffix not in (".joblib", ".pkl", ".pickle")):
        obj, info = _load_skops(p, trust=trust, allow_globals=s.allow_globals, limits=s.limits)
    elif p.suffix in (".joblib", ".pkl", ".pickle") or head[:1] == b"\x80":
        from raudit.load.pickle.unpickler import safe_load

        obj, scan = safe_load(p, allow_globals=s.allow_globals, allow_modules=s.allow_modules, trust=trust, limits=s.limits)
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

    return as_text_model(adapt(obj, load_info=info, features=s.features), s.text_column)




def _warn(message: str) -> None:
    """A loud notice on standard error (also for the Python API): a trust setting the user chose."""
    print(f"raudit: warning: {message}", file=sys.stderr)


@contextlib.contextmanager
def _reviewed_boosters(*, enabled: bool) -> Iterator[None]:
    """While skops loads, an XGBoost or LightGBM Booster's state is checked before its ``__setstate__`` hands it to C++.

    skops calls ``__setstate__`` itself; for the time of one load the two classes' methods are wrapped
    (in the jailed process, which loads one model).
    """
    if not enabled:
        yield
        return
    from raudit.load.pickle.review import Bad, check_booster_state

    patched = []
    for module, library in (("xgboost.core", "xgboost"), ("lightgbm.basic", "lightgbm")):
        loaded = sys.modules.get(module)
        cls = getattr(loaded, "Booster", None) if loaded is not None else None
        if cls is None:
            try:
                cls = importlib.import_module(module).Booster
            except ImportError:
                continue
        original = cls.__setstate__

        def checked(self: Any, state: Any, _original: Any = original, _library: str = library) -> None:
            try:
                check_booster_state(_library, state)
            except Bad as exc:
                raise InputError(f"refusing the skops file's model: {exc}") from None
            _original(self, state)

        cls.__setstate__ = checked
        patched.append((cls, original))
    try:
        yield
    finally:
        for cls, original in patched:
            cls.__setstate__ = original


# size: every refusal of a skops file has its own message
def _load_skops(p: Path, *, trust: bool, allow_globals: tuple[str, ...], limits: Limits) -> tuple[Any, dict[str, Any]]:
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
        with _reviewed_boosters(enabled=not trust and any(t.startswith(("xgboost.", "lightgbm.")) for t in untrusted)):
            obj = sio.load(p, trusted=untrusted)
    except InputError:
        raise
    except Exception as exc:  # skops raises many types for bad content
        raise InputError(f"cannot load skops file {p}: {type(exc).__name__}: {exc}") from None
    if not trust:
        check_loaded_model(obj, limits=limits, allow_globals=allow_globals)
    extra = [t for t in untrusted if t in user]
    trusted_text = "all types, trusted by the user (--trust-model)" if trust else \
        "skops' default types plus raudit's reviewed allow-list" + (f" plus {', '.join(extra)} (--allow-global)" if extra else "")
    info: dict[str, Any] = {"format": "skops", "loader": "skops.io.load", "trust": f"no pickle; builds only {trusted_text}",
                            "types_beyond_skops_defaults": list(untrusted)}
    return obj, info
