"""The Python API: :func:`audit` runs the whole flow and returns a :class:`Report`.

Config → load → context → checks → report. The CLI is a thin layer on top.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from raudit._adapters import ModelAdapter, adapt
from raudit._compliance import MODEL_CARD_FIELDS, compliance_matrix
from raudit._config import AuditConfig, load_config_file
from raudit._context import AuditContext, build_context
from raudit._errors import ConfigError
from raudit._lineage import collect_lineage, model_params
from raudit._loading import load_data, load_model
from raudit._options import Options
from raudit._plugins import Check, PluginInfo, discover
from raudit._report import Report
from raudit._results import CheckResult, Finding

__all__ = ["audit", "plan_checks", "validate_checks", "run_checks", "PlannedCheck", "Progress"]


class Progress(Protocol):
    """Receives progress events while checks run (the CLI draws a bar)."""

    def start(self, total: int) -> None:  # noqa: D102
        ...

    def check_started(self, name: str) -> None:  # noqa: D102
        ...

    def check_done(self, result: CheckResult) -> None:  # noqa: D102
        ...


def _as_config(config: AuditConfig | Mapping[str, Any] | str | Path | None) -> AuditConfig:
    if config is None:
        return AuditConfig()
    if isinstance(config, AuditConfig):
        return config
    if isinstance(config, (str, Path)):
        return AuditConfig.from_mapping(load_config_file(config), source=str(config))
    return AuditConfig.from_mapping(config)


@dataclass(frozen=True)
class PlannedCheck:
    """A check chosen for this audit, with its validated options (``None`` when its plugin failed to load)."""

    plugin: PluginInfo
    check: Check | None
    options: Options | None


def plan_checks(plugins: Sequence[PluginInfo], config: AuditConfig) -> list[PlannedCheck]:
    """Apply the allow-list and parse every chosen check's options, before anything is loaded.

    Raises
    ------
    ConfigError
        An allow-listed or configured check that does not exist, an unknown
        option, or an option of the wrong type or out of range.
    """
    names = [p.name for p in plugins]
    for asked in (*(config.checks or ()), *config.check_options):
        if asked not in names:
            import difflib

            close = difflib.get_close_matches(asked, names, n=1)
            raise ConfigError(f"unknown check {asked!r}", hint=(f"did you mean {close[0]!r}? " if close else "")
                              + f"available checks: {', '.join(names)} (see `raudit checks`)")
    planned = []
    for p in plugins:
        if config.checks is not None and p.name not in config.checks:
            continue
        if p.check is None:
            planned.append(PlannedCheck(p, None, None))
            continue
        planned.append(PlannedCheck(p, p.check(), p.check.Options.parse(config.options_for(p.name), check=p.name)))
    return planned


def validate_checks(ctx: AuditContext, planned: Sequence[PlannedCheck]) -> None:
    """Let each check that will run validate what its options say about the data (exit 2 before any check runs)."""
    for item in planned:
        if item.check is not None and item.check.unmet(ctx) is None:
            item.check.validate(ctx, item.options)


def run_checks(ctx: AuditContext, planned: Sequence[PlannedCheck], *, progress: Progress | None = None) -> list[CheckResult]:
    """Run each check in isolation; a check that raises becomes an ``error`` result."""
    results = []
    if progress:
        progress.start(len(planned))
    for item in planned:
        if progress:
            progress.check_started(item.plugin.name)
        t0 = time.perf_counter()
        result = _run_one(item, ctx)
        result = dataclasses.replace(result, package=item.plugin.package, version=item.plugin.version,
                                     duration_s=time.perf_counter() - t0)
        results.append(result)
        if progress:
            progress.check_done(result)
    return results


def _run_one(item: PlannedCheck, ctx: AuditContext) -> CheckResult:
    p, check = item.plugin, item.check
    title = p.check.title if p.check and p.check.title else p.name
    if check is None or item.options is None:
        return CheckResult(
            name=p.name, title=title, status="error",
            summary=f"plugin failed to load: {p.error}",
            findings=[Finding("error", f"The check plugin {p.name!r} from package {p.package} {p.version} failed to load: {p.error}")],
        )
    options = item.options.to_dict()
    reason = check.unmet(ctx)
    if reason:
        return CheckResult(name=p.name, title=title, status="skipped", summary=f"Skipped: {reason}.", options=options)
    try:
        result = check.run(ctx, item.options)
        if not isinstance(result, CheckResult):
            raise TypeError(f"run() returned {type(result).__name__}, not a CheckResult")
        return dataclasses.replace(result, options=options)
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"
        return CheckResult(
            name=p.name, title=title, status="error",
            summary=f"The check raised an error: {message}",
            findings=[Finding("error", f"The check could not complete: {message}. The rest of the report is unaffected.")],
            options=options,
        )


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
    progress: Progress | None = None,
    command: list[str] | None = None,
) -> Report:
    """Audit a model on labelled data and return a :class:`Report`.

    Parameters
    ----------
    model : estimator, ModelAdapter, path, MLflow URI or None
        A fitted scikit-learn-compatible model, the path of a saved one, or
        ``models:/NAME/VERSION`` / ``runs:/RUN_ID/PATH`` (needs ``raudit[mlflow]``).
        ``None`` audits the predictions recorded in ``data`` (see ``y_pred``).
    data : DataFrame or path
        Labelled data (CSV or Parquet path). Columns the model does not take
        (sensitive attributes, ids) reach the checks, never the model.
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
    progress : Progress, optional
        Receives events while checks run.
    command : list of str, optional
        The command line, recorded in the lineage.

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
    cfg = _as_config(config)
    overrides: dict[str, Any] = {}
    if target is not None:
        overrides["target"] = target
    if sensitive is not None:
        overrides["sensitive"] = tuple(sensitive)
    if checks is not None:
        overrides["checks"] = tuple(checks)
    if seed is not None:
        overrides["seed"] = seed
    if trust_model is not None:
        overrides["trust_model"] = trust_model
    cfg = cfg.replace(**overrides) if overrides else cfg

    plugins = discover()
    planned = plan_checks(plugins, cfg)

    from raudit._mlflow import is_mlflow_uri

    mlflow_uri: str | None = model if isinstance(model, str) and is_mlflow_uri(model) else None
    model_path = Path(model) if isinstance(model, (str, Path)) and not mlflow_uri else None
    data_path = Path(data) if isinstance(data, (str, Path)) else None
    df = load_data(data_path) if data_path is not None else _as_frame(data)
    if mlflow_uri is not None:
        from raudit._mlflow import load_mlflow_model

        adapter: ModelAdapter | None = load_mlflow_model(mlflow_uri, trust=cfg.trust_model, allow=cfg.allow_modules,
                                                         features=cfg.features)
    elif model_path is not None:
        adapter = load_model(model_path, features=cfg.features, trust=cfg.trust_model, allow=cfg.allow_modules,
                             task=cfg.task, torch_class=cfg.torch_class, torch_output=cfg.torch_output,
                             text_column=cfg.text_column, batch_size=cfg.batch_size)
    elif model is not None:
        from raudit._text import as_text_model

        adapter = as_text_model(adapt(model, features=cfg.features), cfg.text_column)
    else:
        adapter = None
    ctx, cfg = build_context(adapter, df, cfg, y_pred_column=y_pred, y_score_column=y_score,
                             sources={"model": str(model_path) if model_path else mlflow_uri,
                                      "data": str(data_path) if data_path else None})

    from raudit._render import templates_sha256

    lineage = collect_lineage(
        model_path=model_path,
        data_path=data_path,
        data_shape=df.shape,
        model_description=adapter.describe() if adapter else None,
        model_params=model_params(adapter.model) if adapter else None,
        plugin_packages=sorted({item.plugin.package for item in planned}),
        templates_sha256=templates_sha256(),
        seed=cfg.seed,
        command=command,
    )
    validate_checks(ctx, planned)
    results = run_checks(ctx, planned, progress=progress)
    card = model_card_section(cfg.model_card)
    evidence = {item.plugin.name: dict(item.plugin.check.evidence) for item in planned if item.plugin.check is not None}
    return Report(results=tuple(results), lineage=lineage, config=cfg.to_dict(), model_card=card,
                  compliance=compliance_matrix(results, evidence, model_card=card))


def model_card_section(card: Mapping[str, Any]) -> dict[str, Any]:
    """The model card as rendered: given fields in a fixed order, and the gaps."""
    fields = [{"key": k, "label": label, "value": card[k]} for k, label in MODEL_CARD_FIELDS.items() if card.get(k)]
    gaps = [label for k, label in MODEL_CARD_FIELDS.items() if not card.get(k)]
    return {"fields": fields, "gaps": gaps}


def _as_frame(data: Any) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise ConfigError(f"data must be a pandas DataFrame or a file path; got {type(data).__name__}")
    df = data.copy()
    df.columns = [str(c) for c in df.columns]
    return df
