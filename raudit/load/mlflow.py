"""Load a model from MLflow by URI (``models:/NAME/VERSION``, ``runs:/RUN_ID/PATH``).

Optional: needs ``pip install raudit[mlflow]``. Uses whatever tracking URI
MLflow resolves (``MLFLOW_TRACKING_URI``, else MLflow's local default), so it
works with a local sqlite/file store and with any tracking server.

Loading stays safe: the sklearn flavour's pickle is read with raudit's
restricted unpickler (:mod:`raudit.load.pickle.unpickler`); a pyfunc-only model runs its own
code when loaded and therefore needs ``--trust-model``.

In an audit the model's artifacts are fetched by raudit's own process (:func:`fetch_mlflow_models`:
MLflow's client talks to the tracking server and writes its store, which the jail forbids) and
the jailed child opens the downloaded copy (:func:`recall_fetched`); nothing of the model runs
while it is fetched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from raudit.config import LoadSettings
from raudit.errors import InputError, import_optional

__all__ = ["is_mlflow_uri", "load_mlflow_model", "mlflow_module", "redact", "fetch_mlflow_models", "recall_fetched"]

URI_PATTERN = re.compile(r"^(models|runs):/")

#: Models fetched before the jail started: URI → (local folder, redacted tracking URI).
_FETCHED: dict[str, tuple[str, str]] = {}


def is_mlflow_uri(value: Any) -> bool:
    """True for ``models:/NAME/VERSION`` (or ``@alias``) and ``runs:/RUN_ID/PATH`` URIs."""
    return isinstance(value, str) and bool(URI_PATTERN.match(value))


def mlflow_module() -> Any:
    """The ``mlflow`` module, or an error saying how to install it."""
    return import_optional("mlflow", needed_by="MLflow URIs and --attach need MLflow", install="raudit[mlflow]")


def redact(uri: str) -> str:
    """A tracking URI without the user and password it may hold."""
    return re.sub(r"//[^/@]*@", "//***@", uri)


def _download(mlflow: Any, uri: str, into: str | None = None) -> Path:
    try:
        return Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=into))
    except Exception as exc:
        raise InputError(f"cannot fetch {uri} from MLflow ({redact(mlflow.get_tracking_uri())}): {type(exc).__name__}: {exc}",
                         hint="check the name/version and MLFLOW_TRACKING_URI") from None


def fetch_mlflow_models(models: Iterable[Any], into: str | Path) -> dict[str, tuple[str, str]]:
    """Download the artifacts of every MLflow URI among ``models`` into a folder of ``into``, before the jail starts.

    Returns what :func:`recall_fetched` needs in the jailed process (URI → local folder, tracking URI).
    Only bytes are downloaded: no code of the model runs.
    """
    out: dict[str, tuple[str, str]] = {}
    for i, uri in enumerate(m for m in models if is_mlflow_uri(m)):
        if uri in out:
            continue
        mlflow = mlflow_module()
        folder = Path(into) / f"model-{i}"
        folder.mkdir(parents=True, exist_ok=True)
        out[uri] = (str(_download(mlflow, uri, str(folder))), redact(mlflow.get_tracking_uri()))
    return out


def recall_fetched(fetched: Mapping[str, tuple[str, str]]) -> None:
    """Open these URIs from the copies :func:`fetch_mlflow_models` downloaded (in the jailed process)."""
    _FETCHED.update(fetched)


def load_mlflow_model(uri: str, settings: LoadSettings) -> Any:
    """Load a model from MLflow and return a :class:`ModelAdapter` whose ``load_info`` records where it came from."""
    mlflow = mlflow_module()
    import yaml

    from raudit.load.adapters import adapt
    from raudit.trust.digest import sha256_file

    if uri in _FETCHED:
        where, tracking = _FETCHED[uri]
        local = Path(where)
    else:
        local, tracking = _download(mlflow, uri), redact(mlflow.get_tracking_uri())
    mlmodel = local / "MLmodel"
    if not mlmodel.is_file():
        raise InputError(f"{uri} is not an MLflow model (no MLmodel file)")
    spec = yaml.safe_load(mlmodel.read_text(encoding="utf-8")) or {}
    flavors = spec.get("flavors", {})
    info: dict[str, Any] = {"mlflow_uri": uri, "tracking_uri": tracking, "run_id": spec.get("run_id"),
                            "flavors": sorted(flavors)}
    m = re.match(r"^models:/([^/@]+)/(\d+)$", uri)
    if m:
        info.update({"registered_model": m.group(1), "model_version": m.group(2)})
    if "sklearn" in flavors:
        sk = flavors["sklearn"]
        path = local / sk.get("pickled_model", "model.pkl")
        fmt = sk.get("serialization_format", "cloudpickle")
        from raudit.load.models import load_model

        adapter = load_model(path, settings)
        adapter.load_info.update({"format": f"MLflow sklearn flavour ({fmt})", **info, "artifact_sha256": sha256_file(path)})
        return adapter
    if not settings.trust_model:
        raise InputError(f"{uri} has no sklearn flavour (flavours: {', '.join(sorted(flavors))}); loading it as a pyfunc runs "
                         "code from the model's artifacts", hint="review the model, then rerun with --trust-model")
    model = mlflow.pyfunc.load_model(str(local))
    adapter = adapt(_PyfuncClassifierShim(model), features=settings.features)
    adapter.load_info.update({"format": "MLflow pyfunc", "loader": "mlflow.pyfunc.load_model", "trust": "trusted by the user", **info})
    return adapter


class _PyfuncClassifierShim:
    """A pyfunc model as a predict-only estimator (no probabilities: pyfunc gives one output)."""

    def __init__(self, model: Any) -> None:
        self._model = model

    def predict(self, X: Any) -> Any:
        import numpy as np

        out = self._model.predict(X)
        return np.asarray(out.iloc[:, 0] if hasattr(out, "iloc") and getattr(out, "ndim", 1) == 2 else out)
