"""Attach a report to MLflow: its files as artifacts, its headline metrics and tags, on a model version or a run.

Optional: needs ``pip install raudit[mlflow]``. Uses whatever tracking URI MLflow resolves
(``MLFLOW_TRACKING_URI``, else MLflow's local default), so it works with a local sqlite/file store
and with any tracking server.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from raudit.errors import InputError, RauditError
from raudit.load.mlflow import mlflow_module, redact

__all__ = ["attach_report", "headline"]


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
    mlflow = mlflow_module()
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
        raise InputError(f"cannot attach to {where} on {redact(mlflow.get_tracking_uri())}: {type(exc).__name__}: {exc}",
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
