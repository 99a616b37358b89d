"""Weights & Biases: log a report to a run, as ``--attach-to wandb:ENTITY/PROJECT``.

Optional: needs ``pip install 'raudit[wandb]'``. One new run (job type
``raudit``) per report holds the report files as an artifact of type
``raudit-report``, the headline metrics in its summary (the same numbers as
MLflow gets, see :func:`raudit.integrations.mlflow.headline`), and the status, report
sha256 and raudit version as config values and tags. W&B reads its usual
environment: ``WANDB_API_KEY``, ``WANDB_MODE=offline`` (nothing leaves the
machine; ``wandb sync`` uploads later), ``WANDB_DIR``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from raudit.errors import InputError, import_optional

__all__ = ["parse_target", "attach_report"]

_TARGET = re.compile(r"^wandb:([A-Za-z0-9][\w.-]*)/([\w.-]+)$")


def parse_target(target: str) -> tuple[str, str]:
    """Split ``wandb:ENTITY/PROJECT`` into its parts, checking that wandb is installed.

    Raises
    ------
    InputError
        A malformed target, or wandb missing.

    Examples
    --------
    >>> parse_target("wandb:acme/credit-risk")  # doctest: +SKIP
    ('acme', 'credit-risk')
    """
    m = _TARGET.match(target)
    if not m:
        raise InputError(f"--attach-to {target!r} is not wandb:ENTITY/PROJECT", hint="e.g. --attach-to wandb:acme/credit-risk")
    import_optional("wandb", needed_by="--attach-to wandb:… needs Weights & Biases", install="raudit[wandb]")
    return m.group(1), m.group(2)


def attach_report(report: Any, files: Iterable[Path], *, target: str) -> dict[str, Any]:
    """Log the report files, headline metrics and tags to a new W&B run in ``target``.

    Parameters
    ----------
    report : Report
    files : the written report files (one artifact of type ``raudit-report``)
    target : ``wandb:ENTITY/PROJECT``

    Returns
    -------
    dict
        ``run_path`` (entity/project/run id), ``artifacts`` (file names), ``tags``, ``mode``.
    """
    entity, project = parse_target(target)
    import wandb

    from raudit.integrations.mlflow import headline

    metrics, facts = headline(report)
    digest, version = facts["raudit.report_sha256"], facts["raudit.version"]
    tags = ["raudit", f"raudit-status:{report.status}", f"raudit-version:{version}"[:64], f"raudit-sha256:{digest[:16]}"]
    files = list(files)
    try:
        run = wandb.init(entity=entity, project=project, job_type="raudit", name=f"raudit: {report.title}", tags=tags,
                         config=facts, settings=wandb.Settings(silent=True, console="off", x_disable_stats=True))
        artifact = wandb.Artifact("raudit-report", type="raudit-report",
                                  metadata={**facts, "title": report.title, "files": [f.name for f in files]})
        for f in files:
            artifact.add_file(str(f), name=f.name)
        run.log_artifact(artifact)
        run.summary.update(metrics)
        run_path = "/".join(run.path) if isinstance(run.path, (list, tuple)) else str(run.path)
        mode = "offline" if run.offline else "online"
        run.finish()
        wandb.teardown()  # finish() returns before the run file is written; teardown waits for W&B's service to flush it
    except Exception as exc:
        raise InputError(f"cannot log the report to W&B {entity}/{project}: {type(exc).__name__}: {exc}",
                         hint="check WANDB_API_KEY and the entity/project, or set WANDB_MODE=offline and `wandb sync` later") from None
    return {"run_path": run_path, "artifacts": [f.name for f in files], "tags": tags, "mode": mode}
