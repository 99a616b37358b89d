"""The one preparation every command shares: config → load → pass 1 → plan → validate → pass 2 → context + lineage.

:func:`profile_of` (``raudit profile``, and a raw ``--reference`` file) is the same preparation
followed by a profile of what it read.

``raudit.audit``, ``raudit.compare``, ``raudit.compare_arms`` and ``raudit profile`` all call
:func:`prepare`; none of them repeats these steps. A raw ``--reference`` file is prepared by the
same function (then profiled).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import pandas as pd

from raudit.api.runner import PlannedCheck, summarisers, validate_checks
from raudit.config import AuditConfig, EngineSettings, load_config_file, trust_notices, trust_settings
from raudit.engine.check import Check
from raudit.engine.context import AuditContext, Facts
from raudit.engine.profile import FileInfo, ModelInfo, Profile, profile_batch, profile_context, profile_frame, read_profile, strata_specs
from raudit.engine.roles import Roles
from raudit.engine.run import Passes
from raudit.errors import ConfigError, InputError
from raudit.load.adapters import ModelAdapter
from raudit.load.any_model import model_source, open_model
from raudit.load.data import DATA_SUFFIXES, Source, check_unique_columns, load_data, open_source
from raudit.stats.mergeable import fold
from raudit.stats.sketch import SketchParams

__all__ = ["Prepared", "OpenedData", "open_data", "open_members", "prepare", "profile_of", "load_reference", "configured", "resolved_trust",
           "STREAM_ABOVE_BYTES"]

#: auto engine: a single data file larger than this is streamed rather than read whole.
STREAM_ABOVE_BYTES = 256 * 2**20


@dataclass(frozen=True)
class OpenedData:
    """The rows of an audit, opened once: their source, the engine that reads them, and the data files."""

    source: Source
    engine: str
    paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class Prepared:
    """What the preparation gives a command: the facts, the context (after the second pass) and the lineage.

    Attributes
    ----------
    facts : Facts
        What the first pass established (roles, task, classes, groups, reference).
    context : AuditContext or None
        The audit context; ``None`` when only the first pass ran (``passes=1``).
    lineage : mapping
        Inputs, versions, trust settings, engine: built once, read-only.
    model : ModelAdapter or None
    data : OpenedData
    """

    facts: Facts
    context: AuditContext | None
    lineage: Mapping[str, Any]
    model: ModelAdapter | None
    data: OpenedData

    @property
    def model_path(self) -> Path | None:
        """The model file or folder, when the model came from one (not from MLflow or memory)."""
        return model_source(self.model)[0]

    @property
    def ctx(self) -> AuditContext:
        """The audit context (the second pass ran)."""
        assert self.context is not None, "prepare(passes=1) has no audit context"
        return self.context


def configured(config: AuditConfig | Mapping[str, Any] | str | Path | None, **overrides: Any) -> AuditConfig:
    """The config from ``config`` (object, mapping or raudit.toml path) with the flat keys that are not None applied."""
    if config is None:
        cfg = AuditConfig()
    elif isinstance(config, AuditConfig):
        cfg = config
    elif isinstance(config, (str, Path)):
        cfg = AuditConfig.from_mapping(load_config_file(config), source=str(config))
    else:
        cfg = AuditConfig.from_mapping(config)
    given = {k: tuple(v) if k in ("sensitive", "checks") else v for k, v in overrides.items() if v is not None}
    return cfg.replace(**given) if given else cfg


def resolved_trust(config: Any, cfg: AuditConfig, trust_model: bool | None,
                   trust_sources: Mapping[str, str] | None) -> dict[str, str]:
    """Where each trust setting came from (the CLI passes it; from Python it is derived, with a warning for each notice)."""
    if trust_sources is not None:
        return dict(trust_sources)
    sources: dict[str, str] = {}
    for key in ("trust_model", "allow_modules", "allow_globals", "load_limits"):
        if key == "trust_model" and trust_model is not None:
            sources[key] = "Python API"
        elif getattr(cfg.load, key):
            sources[key] = str(config) if isinstance(config, (str, Path)) else "Python API"
    for notice in trust_notices(trust_settings(cfg, sources)):
        warnings.warn(f"raudit: {notice}", UserWarning, stacklevel=3)
    return sources


# size: one branch per kind of data a user can give (DataFrame, file, glob, list, URL)
def open_data(data: Any, settings: EngineSettings) -> OpenedData:
    """The rows to audit as a DataFrame or a streaming source, and the engine that reads them.

    Parameters
    ----------
    data : DataFrame, path, glob or list of paths
    settings : EngineSettings
        ``auto`` reads a DataFrame or one file up to :data:`STREAM_ABOVE_BYTES` whole, and streams otherwise.

    Raises
    ------
    InputError
        Missing or unreadable files, several files without a streaming engine, a DataFrame with
        ``--engine stream``.
    """
    if isinstance(data, OpenedData):
        return data
    if isinstance(data, pd.DataFrame) or not isinstance(data, (str, Path, list, tuple)):
        if settings.engine == "stream":
            raise InputError("--engine stream reads files; this data is already a DataFrame in memory",
                             hint="pass the file path instead, or use the default engine")
        return OpenedData(_frame_source(_as_frame(data), settings), "dask" if settings.engine == "dask" else "memory")
    text = [str(d) for d in data] if isinstance(data, (list, tuple)) else [str(data)]
    single = len(text) == 1 and not any(ch in text[0] for ch in "*?[") and "://" not in text[0]
    engine = settings.engine
    if engine == "auto":
        engine = "memory" if single and Path(text[0]).is_file() and Path(text[0]).stat().st_size <= STREAM_ABOVE_BYTES else "stream"
    if engine == "memory":
        if not single:
            raise InputError("several data files need --engine stream or dask", hint="or concatenate them first")
        return OpenedData(_frame_source(load_data(Path(text[0])), settings), "memory", tuple(text))
    source = open_source(text[0] if len(text) == 1 else text, chunk_rows=settings.chunk_rows)
    return OpenedData(source, engine, tuple(source.paths))


def _frame_source(frame: pd.DataFrame, settings: EngineSettings) -> Source:
    return Source("frame", tuple(str(c) for c in frame.columns), frame=frame, chunk_rows=settings.chunk_rows)


def _as_frame(data: Any) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise ConfigError(f"data must be a pandas DataFrame or a file path; got {type(data).__name__}")
    check_unique_columns(list(data.columns), where="the DataFrame")
    df = data.copy()
    df.columns = [str(c) for c in df.columns]
    return df


# size: documents every step of the one preparation; the body is those steps in order
def prepare(model: Any, data: Any, config: AuditConfig, *, planned: Sequence[PlannedCheck] = (),
            validators: Sequence[PlannedCheck] = (), y_pred: str | None = None, y_score: str | None = None,
            passes: int = 2, client: Any = None, command: list[str] | None = None,
            trust_sources: Mapping[str, str] | None = None, plugin_packages: Sequence[str] = (),
            train_data: Any = None) -> Prepared:
    """Load, read, validate and summarise: everything before the checks run.

    Parameters
    ----------
    model : estimator, ModelAdapter, path, MLflow URI or None
        ``None``: recorded decisions (``y_pred``), or, without them, data described without a model.
    data : DataFrame, path, glob, list of paths, or OpenedData
    config : AuditConfig
    planned : sequence of PlannedCheck
        The checks that will run: each validates its options after the first pass, and those that
        summarise do so in the second.
    validators : sequence of PlannedCheck
        Checks whose options are validated but which do not run (``raudit compare`` reads the
        fairness check's options).
    y_pred, y_score : str, optional
        Columns of recorded decisions and scores (audits without a model).
    passes : {1, 2}
        1: stop after the first pass and the validation (a profile of data without a model).
    client : distributed.Client, optional
        With ``engine = "dask"``: the cluster (default: the configured ``scheduler``, else a
        LocalCluster that is closed when the passes are done).
    command : list of str, optional
        The command line, recorded in the lineage.
    trust_sources : mapping, optional
        Where each trust setting came from (see :func:`resolved_trust`).
    plugin_packages : sequence of str
        Packages of the checks, whose versions the lineage records.
    train_data : DataFrame or path, optional
        The rows the model was trained on (default: ``config.train_data``), opened with the same
        roles as the audit data, for the privacy check.

    Raises
    ------
    raudit.InputError
        Bad input, before anything is predicted where the first pass can tell.
    """
    opened = open_data(data, config.engine)
    members = open_members(train_data if train_data is not None else config.train_data, config.engine)
    adapter = open_model(model, config.load)
    model_path, uri = model_source(adapter)
    reference = None if config.reference is None else load_reference(config.reference, model=adapter, config=config,
                                                                      y_pred=y_pred, y_score=y_score)
    from raudit.integrations.energy import read_training_record

    training_record = read_training_record(model_path) if model_path else None
    sources = {"model": str(model_path) if model_path else uri,
               "data": opened.paths[0] if len(opened.paths) == 1 else None,
               **({"reference": config.reference} if config.reference else {})}
    owned = None
    if opened.engine == "dask" and client is None:
        from raudit.engine.dask import client_for

        client = owned = client_for(config.engine.scheduler)
    elif opened.engine == "dask":
        from raudit.engine.dask import reconnected

        client = owned = reconnected(client)  # the caller's client belongs to the parent process: a new one, same cluster
    try:
        run = Passes(opened.source, adapter, engine=opened.engine, client=client, members=members.source if members else None)
        facts = run.first(config, y_pred=y_pred, y_score=y_score, reference=reference, sources=sources,
                          training_record=training_record)
        validate_checks(facts, [*validators, *planned])
        context = run.second(facts, summarisers(planned)) if passes == 2 else None
    finally:
        if owned is not None:
            cluster = getattr(owned, "cluster", None) if owned is not client or config.engine.scheduler is None else None
            owned.close()
            if cluster is not None:
                cluster.close()
    lineage = _lineage(adapter, opened, config, context, facts, command=command, trust_sources=trust_sources or {},
                       plugin_packages=plugin_packages, members=members)
    return Prepared(facts, context, lineage, adapter, opened)


def open_members(train_data: Any, settings: EngineSettings) -> OpenedData | None:
    """The model's training rows (``--train-data``), opened like audit data: whole when small, else streamed.

    They are read on this machine (a Dask audit reads them in chunks here too); errors name the training data.
    """
    if train_data is None:
        return None
    streamed = settings.engine in ("stream", "dask") and not isinstance(train_data, pd.DataFrame)
    engine: Literal["auto", "stream"] = "stream" if streamed else "auto"
    try:
        return open_data(train_data, EngineSettings(engine=engine, chunk_rows=settings.chunk_rows, sample_rows=settings.sample_rows))
    except InputError as exc:
        raise InputError(f"training data (--train-data): {exc.args[0]}", hint=exc.hint) from None


def _lineage(adapter: ModelAdapter | None, opened: OpenedData, config: AuditConfig, ctx: AuditContext | None, facts: Facts, *,
             command: list[str] | None, trust_sources: Mapping[str, str], plugin_packages: Sequence[str],
             members: OpenedData | None = None) -> Mapping[str, Any]:
    """The lineage appendix, built once: inputs and their hashes, versions, trust settings, how the rows were read."""
    from raudit.report.html import templates_sha256
    from raudit.report.lineage import collect_lineage, file_info, model_params

    model_path, _uri = model_source(adapter)
    paths = opened.paths
    lineage = collect_lineage(
        model_path=model_path, data_path=paths[0] if len(paths) == 1 else None,
        data_shape=(facts.n_rows, len(opened.source.columns)),
        model_description=adapter.describe() if adapter else None, model_params=model_params(adapter.model) if adapter else None,
        plugin_packages=sorted(set(plugin_packages)), templates_sha256=templates_sha256(), seed=config.seed, command=command,
    )
    lineage["trust_settings"] = trust_settings(config, trust_sources)
    lineage["jail"] = jail_lineage(config)
    if len(paths) > 1:
        lineage["data_files"] = [file_info(p) for p in paths]
    if members is not None:  # the training rows of the privacy check
        lineage["train_data_files"] = [file_info(p) for p in members.paths] if members.paths else "an in-memory DataFrame"
    if ctx is not None:
        e = ctx.engine
        lineage["engine"] = {"engine": e.engine, "source": e.source, "chunks": e.chunks, "workers": e.workers,
                             "decisions": e.decisions, "decisions_checked_rows": e.checked, "sample_rows": len(ctx.sample),
                             "description": e.describe(rows=ctx.n_rows, sample_rows=len(ctx.sample)),
                             "timings_s": {k: round(v, 3) for k, v in e.timings.items()}}
    return MappingProxyType(lineage)


def jail_lineage(config: AuditConfig) -> dict[str, Any]:
    """Which protections confined the process that opened and called the model (the lineage's ``jail``)."""
    from raudit.sandbox.confine import Protections
    from raudit.sandbox.jail import NO_JAIL, current

    protections = current() or Protections((), (NO_JAIL,), config.load.jail.describe())
    return protections.to_dict()


def load_reference(path: str | Path, *, model: ModelAdapter | None, config: AuditConfig, y_pred: str | None = None,
                   y_score: str | None = None) -> Profile:
    """The reference of an audit: a profile JSON, or a CSV/Parquet file prepared and profiled as ``raudit profile`` would.

    A raw file goes through :func:`prepare` with the audit's target, inputs and sensitive columns
    and its model (whose outputs on it are profiled), with the default sketch parameters, so it
    gives the same profile as ``raudit profile`` on it. In an audit of recorded decisions
    (``y_pred``, ``y_score``), a raw reference is a decision log too: its recorded decisions and
    scores, in columns of the same names, are its outputs.
    """
    p = Path(path)
    if p.suffix.lower() == ".json":
        return read_profile(p)
    if p.suffix.lower() not in DATA_SUFFIXES:
        raise InputError(f"reference {p.name!r} is neither a profile (.json) nor a data file",
                         hint=f"give a profile from `raudit profile` or a file ending in {', '.join(DATA_SUFFIXES)}")
    plain = config.replace(reference=None, engine="memory", scheduler=None)
    time_column = config.roles.time_column
    if time_column is not None and time_column not in open_source(str(p), chunk_rows=config.engine.chunk_rows).columns:
        plain = plain.replace(time_column=None)  # a reference need not say when its rows were logged
    try:
        return profile_of(model, p, plain, y_pred=None if model is not None else y_pred,
                          y_score=None if model is not None else y_score)[0]
    except InputError as exc:
        raise InputError(f"reference data {p.name}: {exc.args[0]}", hint=exc.hint) from None


def _sources(paths: Sequence[str]) -> list[FileInfo]:
    """The data files' names and hashes (none for a DataFrame or a remote URL)."""
    return [FileInfo.of(p) for p in paths if "://" not in p] if paths and all(Path(p).is_file() for p in paths) else []


def _training_overlap(ctx: AuditContext) -> dict[str, Any] | None:
    """How many of the model's training rows the profiled data holds (the training record's row sketch), or None."""
    from raudit.engine.rows import RowOverlap, usable

    record = ctx.training_record
    sketch = usable(record, [*ctx.features, ctx.roles.target]) if record is not None else None
    if sketch is None or ctx.data is None:
        return None
    found = RowOverlap.of(ctx.data, sketch).result(sketch)
    return {"sampled": found.sampled, "found": found.found, "identical": found.identical}


#: A profile (a drift reference) of a decision log with unlabelled rows is refused: it is the labelled baseline.
UNLABELLED_REFERENCE = ("target column {target!r} has {n} missing value(s): a profile, and a drift reference, is the labelled "
                        "baseline the current data is compared with and the performance estimate is calibrated on")


class _Profiler(Check):
    """The drift check's current side, as a summariser of the second pass: a decision log's profile, chunk by chunk."""

    name = "profile"

    def __init__(self, params: SketchParams | None) -> None:
        self.params = params

    def summarise(self, batch: Any, plan: Any, options: Any) -> Profile:  # noqa: D102
        return profile_batch(batch, plan, params=self.params, strata=strata_specs(plan.input_specs))


def profile_of(model: Any, data: Any, config: AuditConfig, *, params: SketchParams | None = None, y_pred: str | None = None,
               y_score: str | None = None) -> tuple[Profile, Roles]:
    """Profile ``data`` (and ``model``'s outputs on it) as an audit of it would see them.

    With a model the data goes through the audit's whole preparation (target, inputs, labels the
    model knows, both passes); without one, through the first pass (target, sensitive columns,
    labels), and every column but the target and the sensitive ones is an input (or
    ``features``): only data and labels are profiled. A model's outputs are profiled on the data
    read whole (in memory); data alone is read as the engine setting says (streamed when large).
    A decision log (``y_pred``, and ``y_score``, columns of recorded decisions and scores) is
    profiled as an audit of it sees it, outputs included, by both passes (streamed when large):
    the same profile as the drift check's current side of the same log.

    Returns
    -------
    profile : Profile
    roles : Roles
        The roles the preparation resolved (the sensitive columns, guessed or not).

    Raises
    ------
    InputError
        What an audit of the same data would reject.
    """
    if model is not None:
        config = config.replace(engine="memory", scheduler=None)
    from raudit.api.jailed import model_side

    return model_side(lambda: _profile_of(model, data, config, params, y_pred, y_score), models=[model], data=data,
                      config=config)


def _profile_of(model: Any, data: Any, config: AuditConfig, params: SketchParams | None, y_pred: str | None,
                y_score: str | None) -> tuple[Profile, Roles]:
    if model is None and y_pred is not None:
        from raudit.api.plugins import PluginInfo

        profiler = PlannedCheck(PluginInfo("profile", "raudit", "", ""), _Profiler(params), None)
        prepared = prepare(None, data, config, planned=[profiler], y_pred=y_pred, y_score=y_score)
        if prepared.facts.plan.unlabelled:
            raise InputError(UNLABELLED_REFERENCE.format(target=prepared.facts.roles.target, n=prepared.facts.plan.unlabelled),
                             hint="profile the rows whose labels have arrived (the audited log itself may keep unlabelled rows)")
        return prepared.ctx.summaries["profile"].with_sources(_sources(prepared.data.paths)), prepared.facts.roles
    prepared = prepare(model, data, config, passes=2 if model is not None else 1)
    sources = _sources(prepared.data.paths)
    if prepared.model is not None:
        info = ModelInfo.of(prepared.model, model_source(prepared.model)[0])
        profile = profile_context(prepared.ctx, params=params, model=info).with_sources(sources)
        return dataclasses.replace(profile, training_overlap=_training_overlap(prepared.ctx)), prepared.facts.roles
    facts, source = prepared.facts, prepared.data.source
    roles = facts.roles
    classes = None if facts.classes is None else list(facts.classes)
    parts = [profile_frame(chunk, inputs=roles.features, sensitive=roles.sensitive, target=roles.target,
                           y=chunk[roles.target].to_numpy(), task=facts.task, classes=classes,
                           positive_label=roles.positive_label, params=params)
             for chunk in source.chunks([*dict.fromkeys([roles.target, *roles.features, *roles.sensitive])])]
    return fold(parts[1:], parts[0]).with_sources(sources), roles

