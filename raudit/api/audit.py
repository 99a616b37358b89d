"""The Python API: :func:`audit` runs the whole flow and returns a :class:`~raudit.report.report.Report`.

config → :func:`~raudit.api.prepare.prepare` (load, pass 1, validate, pass 2) → checks → report.
The CLI is a thin layer on top.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from raudit.api.assemble import assemble
from raudit.api.jailed import RelayProgress, model_side
from raudit.api.plugins import discover, plugin_template_dirs
from raudit.api.prepare import configured, prepare, resolved_trust
from raudit.api.runner import Progress, plan_checks, run_checks
from raudit.config import AuditConfig
from raudit.report.report import Report

__all__ = ["audit", "Invocation"]


@dataclass(frozen=True)
class Invocation:
    """How an audit was asked for, when not from plain Python: the CLI fills it.

    Attributes
    ----------
    command : list of str or None
        The command line, recorded in the lineage.
    trust_sources : mapping or None
        Where ``trust_model``, ``allow_modules``, ... came from (``"command line"`` or a config
        file's path), recorded in the lineage. Without it a ``raudit.toml`` given as ``config`` is
        named, with a warning when it turns inspection off or widens it.
    progress : Progress or None
        Receives events while checks run.
    """

    command: list[str] | None = None
    trust_sources: Mapping[str, str] | None = None
    progress: Progress | None = field(default=None, compare=False)


def audit(
    model: Any | str | Path | None,
    data: pd.DataFrame | str | Path,
    *,
    target: str | None = None,
    sensitive: Sequence[str] | None = None,
    config: AuditConfig | Mapping[str, Any] | str | Path | None = None,
    checks: Sequence[str] | None = None,
    seed: int | None = None,
    y_pred: str | None = None,
    y_score: str | None = None,
    trust_model: bool | None = None,
    reference: str | Path | None = None,
    train_data: pd.DataFrame | str | Path | None = None,
    client: Any = None,
    invocation: Invocation | None = None,
) -> Report:  # size: the public API's numpydoc docstring; the body is ten lines
    """Audit a model on labelled data and return a :class:`Report`.

    Parameters
    ----------
    model : estimator, ModelAdapter, path, MLflow URI or None
        A fitted scikit-learn-compatible model, the path of a saved one, or
        ``models:/NAME/VERSION`` / ``runs:/RUN_ID/PATH`` (needs ``raudit[mlflow]``).
        ``None`` audits the predictions recorded in ``data`` (see ``y_pred``).
    data : DataFrame, path, glob or list of paths
        Labelled data: a DataFrame, a CSV or Parquet file, a glob such as
        ``'decisions/2026-*.parquet'``, or a list of files (streamed). Columns
        the model does not take (sensitive attributes, ids) reach the checks,
        never the model.
    target : str, optional
        The label column; detected when it is the one non-input column.
    sensitive : sequence of str, optional
        Sensitive columns; guessed from column names when omitted (the
        report says so).
    config : AuditConfig, mapping or path of a ``raudit.toml``, optional
        Settings; the keyword arguments above override it.
    checks : sequence of str, optional
        Allow-list of checks to run.
    seed : int, optional
    y_pred, y_score : str, optional
        Columns of recorded decisions (and scores) when ``model`` is None.
    trust_model : bool, optional
        Load model files without inspecting them (only after reviewing them).
    reference : path, optional
        The drift check's reference: a profile from ``raudit profile`` or a
        CSV/Parquet file.
    train_data : DataFrame or path, optional
        The rows the model was trained on, with the audit data's columns
        (default: ``train_data`` of the config). The privacy check compares
        the model on them (members) with ``data`` (non-members); without
        them it is skipped.
    client : distributed.Client, optional
        With ``engine = "dask"``: the cluster to run on (default: the
        configured ``scheduler``, else a LocalCluster sized to the machine).
    invocation : Invocation, optional
        The command line, where the trust settings came from, a progress
        receiver (the CLI passes them).

    Returns
    -------
    Report

    Raises
    ------
    raudit.InputError
        Bad input; the message says what and how to fix it.

    Examples
    --------
    >>> report = raudit.audit(model, df, target="approved", sensitive=["sex"])  # doctest: +SKIP
    >>> report.status, report["performance"].metrics["roc_auc"]  # doctest: +SKIP
    """
    how = invocation or Invocation()
    cfg = configured(config, target=target, sensitive=sensitive, checks=checks, seed=seed, trust_model=trust_model,
                     reference=str(reference) if reference is not None else None,
                     train_data=str(train_data) if isinstance(train_data, (str, Path)) else None)
    sources = resolved_trust(config, cfg, trust_model, how.trust_sources)
    planned = plan_checks(discover(), cfg)
    template_dirs = plugin_template_dirs()
    train_frame = train_data if isinstance(train_data, pd.DataFrame) else None

    def model_side_of_the_audit() -> Report:  # runs in the jail: everything that opens or calls the model
        prepared = prepare(model, data, cfg, planned=planned, y_pred=y_pred, y_score=y_score, client=client,
                           command=how.command, trust_sources=sources, plugin_packages=[item.plugin.package for item in planned],
                           train_data=train_frame)
        results = run_checks(prepared.ctx, planned, progress=RelayProgress() if how.progress else None)
        evidence = {item.plugin.name: dict(item.plugin.check.evidence) for item in planned if item.plugin.check is not None}
        return assemble(results, lineage=prepared.lineage, config=cfg, roles=prepared.facts.roles, evidence=evidence,
                        template_dirs=template_dirs)

    return model_side(model_side_of_the_audit, models=[model], data=data, config=cfg, progress=how.progress, client=client)
