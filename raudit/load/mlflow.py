"""MLflow in both directions: load a model by URI, attach a report to a model version or run.

Optional: needs ``pip install raudit[mlflow]``. Uses whatever tracking URI
MLflow resolves (``MLFLOW_TRACKING_URI``, else MLflow's local default), so it
works with a local sqlite/file store and with any tracking server.

Loading stays safe: the sklearn flavour's pickle is read with raudit's
restricted unpickler (see ``_safe_pickle``); a pyfunc-only model runs its own
code when loaded and therefore needs ``--trust-model``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from raudit.errors import InputError, RauditError

__all__ = ["is_mlflow_uri", "load_mlflow_model", "attach_report", "headline"]

URI_PATTERN = re.compile(r"^(models|runs):/")


def is_mlflow_uri(value: Any) -> bool:
    """True for ``models:/NAME/VERSION`` (or ``@alias``) and ``runs:/RUN_ID/PATH`` URIs."""
    return isinstance(value, str) and bool(URI_PATTERN.match(value))


def _mlflow() -> Any:
    try:
        import mlflow
    except ImportError:
        raise InputError("MLflow URIs and --attach need MLflow", hint="pip install 'raudit[mlflow]'") from None
    return mlflow


def _redact(uri: str) -> str:
    return re.sub(r"//[^/@]*@", "//***@", uri)


def load_mlflow_model(uri: str, *, trust: bool = False, allow: tuple[str, ...] = (), features: tuple[str, ...] | None = None,
                      allow_globals: tuple[str, ...] = (), limits: Any = None) -> Any:
    """Load a model from MLflow and return a :class:`ModelAdapter` whose ``load_info`` records where it came from."""
    mlflow = _mlflow()
    import yaml

    from raudit.load.adapters import adapt
    from raudit.report.lineage import sha256_file

    try:
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri))
    except Exception as exc:
        raise InputError(f"cannot fetch {uri} from MLflow ({_redact(mlflow.get_tracking_uri())}): {type(exc).__name__}: {exc}",
                         hint="check the name/version and MLFLOW_TRACKING_URI") from None
    mlmodel = local / "MLmodel"
    if not mlmodel.is_file():
        raise InputError(f"{uri} is not an MLflow model (no MLmodel file)")
    spec = yaml.safe_load(mlmodel.read_text(encoding="utf-8")) or {}
    flavors = spec.get("flavors", {})
    info: dict[str, Any] = {"mlflow_uri": uri, "tracking_uri": _redact(mlflow.get_tracking_uri()), "run_id": spec.get("run_id"),
                            "flavors": sorted(flavors)}
    m = re.match(r"^models:/([^/@]+)/(\d+)$", uri)
    if m:
        info.update({"registered_model": m.group(1), "model_version": m.group(2)})
    if "sklearn" in flavors:
        sk = flavors["sklearn"]
        path = local / sk.get("pickled_model", "model.pkl")
        fmt = sk.get("serialization_format", "cloudpickle")
        from raudit.load.models import load_model

        adapter = load_model(path, features=features, trust=trust, allow=allow, allow_globals=allow_globals, limits=limits)
        adapter.load_info.update({"format": f"MLflow sklearn flavour ({fmt})", **info, "artifact_sha256": sha256_file(path)})
        return adapter
    if not trust:
        raise InputError(f"{uri} has no sklearn flavour (flavours: {', '.join(sorted(flavors))}); loading it as a pyfunc runs "
                         "code from the model's artifacts", hint="review the model, then rerun with --trust-model")
    model = mlflow.pyfunc.load_model(uri)
    adapter = adapt(_PyfuncClassifierShim(model), features=features)
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


def _metric_key(text: str) -> str:
    key = re.sub(r"[^0-9A-Za-z_\-. /]", "_", text.replace("×", "x"))
    return key[:250]


def headline(report: Any) -> tuple[dict[str, float], dict[str, str]]:
    """The numbers and tags an experiment tracker gets: every finite numeric metric, the status, digest and version.

    Returns
    -------
    metrics : dict
        ``raudit.CHECK.METRIC`` → value.
    tags : dict
        ``raudit.status``, ``raudit.report_sha256``, ``raudit.version``, each
        check's status, and the fairness headline.
    """
    body = report.to_dict()
    metrics = {}
    for check in report.results:
        for key, value in check.metrics.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                metrics[_metric_key(f"raudit.{check.name}.{key}")] = float(value)
    tags = {
        "raudit.status": report.status,
        "raudit.report_sha256": body["integrity"]["digest"],
        "raudit.version": body["lineage"].get("versions", {}).get("raudit", ""),
    }
    for check in report.results:
        tags[f"raudit.{check.name}.status"] = check.status
    fair = next((c for c in report.results if c.name == "fairness"), None)
    if fair is not None:
        for key in ("worst_selection_rate_ratio", "worst_selection_rate_ratio_group", "disparities_failed"):
            if key in fair.metrics:
                tags[f"raudit.fairness.{key}"] = str(fair.metrics[key])
    return metrics, tags


def attach_report(report: Any, files: Iterable[Path], *, target: str | None, model_uri: str | None) -> dict[str, Any]:
    """Log the report files, headline metrics and tags to MLflow.

    Parameters
    ----------
    report : Report
    files : the written report files (logged as artifacts under ``raudit/``)
    target : ``models:/NAME/VERSION``, ``runs:/RUN_ID``, a bare run id, or ``None``
        to attach to the model the audit loaded (``model_uri``).

    Returns
    -------
    dict
        ``run_id``, and ``model``/``version`` when a model version was tagged.
    """
    mlflow = _mlflow()
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    where = target or model_uri
    if not where:
        raise InputError("--attach needs a model loaded from MLflow (models:/NAME/VERSION), or name one with --attach-to")
    name = version = None
    try:
        m = re.match(r"^models:/([^/@]+)/(\d+)$", where)
        if m:
            name, version = m.group(1), m.group(2)
            run_id = client.get_model_version(name, version).run_id
            if not run_id:
                raise InputError(f"model version {where} has no run to attach artifacts to")
        else:
            run_id = where.removeprefix("runs:/").split("/")[0]
            client.get_run(run_id)
    except RauditError:
        raise
    except Exception as exc:
        raise InputError(f"cannot attach to {where} on {_redact(mlflow.get_tracking_uri())}: {type(exc).__name__}: {exc}",
                         hint="use models:/NAME/VERSION or a run id that exists on this tracking server") from None

    for f in files:
        client.log_artifact(run_id, str(f), artifact_path="raudit")
    metrics, tags = headline(report)
    for key, number in sorted(metrics.items()):
        client.log_metric(run_id, key, number)
    for key, value in tags.items():
        client.set_tag(run_id, key, value)
        if name is not None:
            client.set_model_version_tag(name, version, key, value)
    return {"run_id": run_id, "model": name, "version": version, "artifacts": [f.name for f in files], "tags": tags}
