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

from raudit.config import AuditConfig, load_config_file, trust_notices, trust_settings
from raudit.engine.check import Check, PluginInfo, discover
from raudit.engine.context import AuditContext, build_context
from raudit.errors import ConfigError, InputError
from raudit.load.adapters import ModelAdapter, adapt
from raudit.load.models import load_data, load_model
from raudit.options import Options
from raudit.report.compliance import MODEL_CARD_FIELDS, compliance_matrix
from raudit.report.lineage import collect_lineage, model_params
from raudit.report.report import Report
from raudit.report.results import CheckResult, Finding

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


def configured(config: AuditConfig | Mapping[str, Any] | str | Path | None, **overrides: Any) -> AuditConfig:
    """The config from ``config`` (object, mapping or raudit.toml path) with the keyword arguments that are not None applied."""
    cfg = _as_config(config)
    given = {k: tuple(v) if k in ("sensitive", "checks") else v for k, v in overrides.items() if v is not None}
    return cfg.replace(**given) if given else cfg


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
    reference: str | Path | None = None,
    progress: Progress | None = None,
    command: list[str] | None = None,
    trust_sources: Mapping[str, str] | None = None,
    client: Any = None,
) -> Report:
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
    progress : Progress, optional
        Receives events while checks run.
    command : list of str, optional
        The command line, recorded in the lineage.
    client : distributed.Client, optional
        With ``engine = "dask"``: the cluster to run on (default: the
        configured ``scheduler``, else a LocalCluster sized to the machine).
    trust_sources : mapping of str to str, optional
        Where ``trust_model`` and ``allow_modules`` came from (``"command line"``
        or a config file's path), recorded in the lineage; the CLI passes it.
        Otherwise a ``raudit.toml`` given as ``config`` is named, with a warning
        when it turns inspection off or widens it.

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
    cfg = configured(config, target=target, sensitive=sensitive, checks=checks, seed=seed, trust_model=trust_model,
                     reference=str(reference) if reference is not None else None)
    sources = resolved_trust(config, cfg, trust_model, trust_sources)

    plugins = discover()
    planned = plan_checks(plugins, cfg)

    source, engine, data_paths = _data_source(data, cfg)
    adapter, model_path, mlflow_uri = load_any_model(model, cfg)
    from raudit.integrations.energy import read_training_record

    reference_profile = None
    if cfg.reference is not None:
        from raudit.engine.profile import load_reference

        reference_profile = load_reference(cfg.reference, model=adapter, config=cfg, model_path=model_path)

    owned = None
    if engine == "dask" and client is None:
        from raudit.engine.dask import client_for

        client = owned = client_for(cfg.scheduler)
    try:
        ctx, cfg = build_context(adapter, source, cfg, planned=planned, y_pred_column=y_pred, y_score_column=y_score,
                                 sources={"model": str(model_path) if model_path else mlflow_uri,
                                          "data": data_paths[0] if len(data_paths) == 1 else None,
                                          **({"reference": cfg.reference} if cfg.reference else {})},
                                 training_record=read_training_record(model_path) if model_path else None,
                                 engine=engine, client=client, reference=reference_profile)
    finally:
        if owned is not None:
            cluster = getattr(owned, "cluster", None)
            owned.close()
            if cluster is not None:
                cluster.close()


    from raudit.report.html import templates_sha256

    lineage = collect_lineage(
        model_path=model_path,
        data_path=data_paths[0] if len(data_paths) == 1 else None,
        data_shape=(ctx.n_rows, len(source.columns)),
        model_description=adapter.describe() if adapter else None,
        model_params=model_params(adapter.model) if adapter else None,
        plugin_packages=sorted({item.plugin.package for item in planned}),
        templates_sha256=templates_sha256(),
        seed=cfg.seed,
        command=command,
    )
    lineage["trust_settings"] = trust_settings(cfg, sources)
    if len(data_paths) > 1:
        from raudit.report.lineage import file_info

        lineage["data_files"] = [file_info(p) for p in data_paths]
    lineage["engine"] = {"engine": ctx.engine.engine, "source": ctx.engine.source, "chunks": ctx.engine.chunks,
                         "workers": ctx.engine.workers, "decisions": ctx.engine.decisions,
                         "decisions_checked_rows": ctx.engine.checked, "sample_rows": len(ctx.sample),
                         "description": ctx.engine.describe(rows=ctx.n_rows, sample_rows=len(ctx.sample)),
                         "timings_s": {k: round(v, 3) for k, v in ctx.engine.timings.items()}}
    validate_checks(ctx, planned)
    results = run_checks(ctx, planned, progress=progress)
    card = model_card_section(cfg.model_card)
    evidence = {item.plugin.name: dict(item.plugin.check.evidence) for item in planned if item.plugin.check is not None}
    return Report(results=tuple(results), lineage=lineage, config=cfg.to_dict(), model_card=card,
                  compliance=compliance_matrix(results, evidence, model_card=card))


#: auto engine: a single data file larger than this is streamed rather than read whole.
STREAM_ABOVE_BYTES = 256 * 2**20


def _data_source(data: Any, cfg: AuditConfig) -> tuple[Any, str, list[str]]:
    """The rows to audit as a DataFrame or a streaming Source, the engine that reads them, and the data files."""
    from raudit.load.data import open_source

    if isinstance(data, pd.DataFrame) or not isinstance(data, (str, Path, list, tuple)):
        if cfg.engine in ("stream",):
            raise InputError("--engine stream reads files; this data is already a DataFrame in memory",
                             hint="pass the file path instead, or use the default engine")
        frame = _as_frame(data)
        return frame, ("dask" if cfg.engine == "dask" else "memory"), []
    text = [str(d) for d in data] if isinstance(data, (list, tuple)) else [str(data)]
    single = len(text) == 1 and not any(ch in text[0] for ch in "*?[") and "://" not in text[0]
    engine = cfg.engine
    if engine == "auto":
        engine = "memory" if single and Path(text[0]).is_file() and Path(text[0]).stat().st_size <= STREAM_ABOVE_BYTES else "stream"
    if engine == "memory":
        if not single:
            raise InputError("several data files need --engine stream or dask", hint="or concatenate them first")
        return load_data(Path(text[0])), "memory", text
    source = open_source(text[0] if len(text) == 1 else text, chunk_rows=cfg.chunk_rows)
    return source, engine, list(source.paths)


def load_any_model(model: Any | str | Path | None, cfg: AuditConfig) -> tuple[ModelAdapter | None, Path | None, str | None]:
    """Load ``model`` (estimator, file path or MLflow URI) through the safe loaders as ``cfg`` allows.

    Returns
    -------
    adapter : ModelAdapter or None
        ``None`` when ``model`` is None (recorded predictions).
    model_path : Path or None
        The model file, when ``model`` is one.
    mlflow_uri : str or None
        The MLflow URI, when ``model`` is one.
    """
    from raudit.load.mlflow import is_mlflow_uri

    mlflow_uri: str | None = model if isinstance(model, str) and is_mlflow_uri(model) else None
    model_path = Path(model) if isinstance(model, (str, Path)) and not mlflow_uri else None
    if mlflow_uri is not None:
        from raudit.load.mlflow import load_mlflow_model
        from raudit.load.text import as_text_model

        adapter: ModelAdapter | None = as_text_model(load_mlflow_model(mlflow_uri, trust=cfg.trust_model, allow=cfg.allow_modules,
                                                                       features=cfg.features, allow_globals=cfg.allow_globals,
                                                                       limits=cfg.load_limits), cfg.text_column)
    elif model_path is not None:
        adapter = load_model(model_path, features=cfg.features, trust=cfg.trust_model, allow=cfg.allow_modules,
                             task=cfg.task, torch_class=cfg.torch_class, torch_output=cfg.torch_output,
                             allow_globals=cfg.allow_globals, limits=cfg.load_limits, text_column=cfg.text_column,
                             batch_size=cfg.batch_size)
        adapter.load_settings = {"features": cfg.features, "trust": cfg.trust_model, "allow": cfg.allow_modules,
                                 "task": cfg.task, "torch_class": cfg.torch_class, "torch_output": cfg.torch_output,
                                 "allow_globals": cfg.allow_globals, "limits": cfg.load_limits,
                                 "text_column": cfg.text_column, "batch_size": cfg.batch_size}
    elif model is not None:
        from raudit.load.text import as_text_model

        adapter = as_text_model(adapt(model, features=cfg.features), cfg.text_column)
    else:
        adapter = None
    return adapter, model_path, mlflow_uri


def resolved_trust(config: Any, cfg: AuditConfig, trust_model: bool | None,
                   trust_sources: Mapping[str, str] | None) -> dict[str, str]:
    """Where each trust setting came from (the CLI passes it; from Python it is derived, with a warning for each notice)."""
    if trust_sources is not None:
        return dict(trust_sources)
    sources = _trust_sources(config, cfg, trust_model)
    import warnings

    for notice in trust_notices(trust_settings(cfg, sources)):
        warnings.warn(f"raudit: {notice}", UserWarning, stacklevel=3)
    return sources


def _trust_sources(config: Any, cfg: AuditConfig, trust_model: bool | None) -> dict[str, str]:
    """Where the trust settings of a Python API call came from: a setting that is on came from a file or the API."""
    sources: dict[str, str] = {}
    for key in ("trust_model", "allow_modules", "allow_globals", "load_limits"):
        if key == "trust_model" and trust_model is not None:
            sources[key] = "Python API"
        elif getattr(cfg, key):
            sources[key] = str(config) if isinstance(config, (str, Path)) else "Python API"
    return sources


def model_card_section(card: Mapping[str, Any]) -> dict[str, Any]:
    """The model card as rendered: given fields in a fixed order, and the gaps."""
    fields = [{"key": k, "label": label, "value": card[k]} for k, label in MODEL_CARD_FIELDS.items() if card.get(k)]
    gaps = [label for k, label in MODEL_CARD_FIELDS.items() if not card.get(k)]
    return {"fields": fields, "gaps": gaps}


def _as_frame(data: Any) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise ConfigError(f"data must be a pandas DataFrame or a file path; got {type(data).__name__}")
    from raudit.load.models import check_unique_columns

    check_unique_columns(list(data.columns), where="the DataFrame")
    df = data.copy()
    df.columns = [str(c) for c in df.columns]
    return df
