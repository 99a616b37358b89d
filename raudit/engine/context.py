"""The audit context: data split once, predictions computed once, shared by all checks."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from raudit.config import AuditConfig
from raudit.engine.passes import Batch, EngineInfo, FirstPass, Plan
from raudit.errors import ConfigError, InputError
from raudit.load.adapters import ModelAdapter, Task, _label
from raudit.load.data import Source
from raudit.stats.counts import ValueCounts
from raudit.stats.groups import GroupSpec

if TYPE_CHECKING:
    from raudit.engine.profile import Profile as ReferenceProfile

__all__ = ["AuditContext", "build_context", "guess_sensitive"]

#: Text columns with more distinct values than this are left out of crosstabs (proxies): an id or free text.
CROSSTAB_CAP = 1_000

#: Column names that usually hold protected attributes (matched as whole words).
SENSITIVE_NAME_PATTERN = re.compile(
    r"(^|[_\W])(sex|gender|race|ethnicity|ethnic|age|religion|nationality|native[_-]?country|"
    r"disability|marital[_-]?status|pregnan\w*|sexual[_-]?orientation)($|[_\W])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class AuditContext:
    """Everything a check may read; built once per audit.

    Built-in checks read only :attr:`summaries` (what their ``summarise`` added up over every
    chunk) and :attr:`sample`, so their numbers are the same whether the data was in memory,
    streamed or distributed. The whole data (:attr:`data`, :attr:`X`, :attr:`y`, ...) is there
    only when it was in memory (``in_memory``), for checks that need it (``requires = {"data"}``).

    Attributes
    ----------
    config : AuditConfig
    model : ModelAdapter or None
        ``None`` when auditing recorded predictions without a model.
    task : {"binary", "multiclass", "regression"}
    classes : ndarray or None
    positive_label : object or None
        The positive class for binary tasks.
    favourable : object or None
        The favourable class (the outcome a person wants): the configured one, else the positive
        class of a binary task; ``None`` for regression and unconfigured multiclass tasks.
    n_rows : int
    features : tuple of str
        The model's input columns (for recorded decisions: the context columns).
    groupings : tuple of GroupSpec
        How each sensitive column becomes groups (bins fixed from the whole column).
    summaries : mapping
        Check name → that check's merged summary.
    sample : Batch
        A uniform seeded sample of rows (all rows when there are at most ``sample_rows``), in data
        order, with their predictions and group labels.
    profile : FirstPass
        The first pass: value counts of the profiled columns.
    engine : EngineInfo
        How the rows were read (in memory, streamed, Dask), chunks and workers.
    sources : mapping
        Paths of the input files (``"model"``, ``"data"``, ``"reference"``), ``None`` for in-memory inputs.
    reference : Profile or None
        The reference profile the drift check compares with (``--reference``).
    training_record : mapping or None
        The model's training record (``<model file>.raudit.json``), if it has one.
    id_column : str or None
        The column identifying rows; ``None``: rows are named by their 0-based position.
    data, X, y, sensitive, y_pred, y_proba : optional
        The whole data and predictions, only for an in-memory audit.
    """

    config: AuditConfig
    model: ModelAdapter | None
    task: Task
    classes: np.ndarray | None
    positive_label: Any
    favourable: Any
    n_rows: int
    features: tuple[str, ...]
    groupings: tuple[GroupSpec, ...]
    summaries: Mapping[str, Any]
    sample: Batch
    profile: FirstPass
    engine: EngineInfo
    sources: Mapping[str, str | None] = field(default_factory=dict)
    training_record: Mapping[str, Any] | None = None
    id_column: str | None = None
    reference: ReferenceProfile | None = None
    data: pd.DataFrame | None = None
    X: pd.DataFrame | None = None
    y: np.ndarray | None = None
    sensitive: pd.DataFrame | None = None
    y_pred: np.ndarray | None = None
    y_proba: np.ndarray | None = None

    @property
    def in_memory(self) -> bool:
        """True when the whole data is available as a DataFrame (:attr:`data`)."""
        return self.data is not None

    @property
    def seed(self) -> int:
        """The audit's seed."""
        return self.config.seed

    @property
    def sensitive_columns(self) -> tuple[str, ...]:
        """The sensitive columns."""
        return tuple(self.config.sensitive)

    def row_name(self, position: int, row_id: Any = None) -> str:
        """How the report names one row: its id (when there is an id column), with its 0-based position."""
        if self.id_column is None:
            return f"row {position} (0-based position)"
        return f"{self.id_column} {_label(row_id)} (row {position}, 0-based)"

    def score(self, batch: Batch) -> np.ndarray | None:
        """Probability of the positive class for the rows of ``batch`` (binary tasks only)."""
        if self.task != "binary" or batch.y_proba is None or self.classes is None:
            return None
        return batch.y_proba[:, int(np.flatnonzero(self.classes == self.positive_label)[0])]

    @property
    def y_score(self) -> np.ndarray | None:
        """Probability of the positive class for the whole data (in-memory audits of binary tasks)."""
        if self.task != "binary" or self.y_proba is None or self.classes is None:
            return None
        return self.y_proba[:, int(np.flatnonzero(self.classes == self.positive_label)[0])]

    def rng(self, salt: str) -> np.random.Generator:
        """Return a generator seeded from the audit seed and a per-use ``salt``.

        Different checks get independent but reproducible streams.
        """
        return np.random.default_rng([self.config.seed, *salt.encode()])


def guess_sensitive(columns: Sequence[str], *, exclude: Sequence[str] = ()) -> tuple[str, ...]:
    """Suggest sensitive columns by name.

    Examples
    --------
    >>> guess_sensitive(["age", "income", "sex", "race_code", "usage"])
    ('age', 'sex', 'race_code')
    """
    return tuple(c for c in columns if c not in exclude and SENSITIVE_NAME_PATTERN.search(c))


def _resolve_target(config: AuditConfig, columns: Sequence[str], features: Sequence[str] | None) -> str:
    if config.target is not None:
        if config.target not in columns:
            raise _not_in_data(f"target column {config.target!r} is not in the data", [config.target], columns)
        return config.target
    if features is None:
        raise InputError(
            "cannot detect the target: the model does not record its input columns",
            hint="name the label column with --target COLUMN",
        )
    left = [c for c in columns if c not in features and c not in config.sensitive]
    if len(left) == 1:
        return left[0]
    raise InputError(
        "cannot detect the target column: "
        + (f"{len(left)} columns are not model inputs ({_list(left)})" if left else "every column is a model input"),
        hint="name the label column with --target COLUMN",
    )


def _list(items: Sequence[str], limit: int = 12) -> str:
    shown = ", ".join(repr(i) for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _not_in_data(message: str, asked: Sequence[str], columns: Sequence[str]) -> InputError:
    """An error for columns the data lacks, suggesting the closest names first (case-insensitive)."""
    import difflib

    lower = {c.lower(): c for c in columns}
    close = []
    for name in asked:
        match = lower.get(name.lower()) or next(iter(difflib.get_close_matches(name.lower(), list(lower), n=1, cutoff=0.6)), None)
        if match is not None:
            close.append(f"{name!r} → {lower.get(match, match)!r}")
    hint = (f"did you mean {', '.join(close)}? " if close else "") + f"the data has {len(columns)} columns: {_list(columns)}"
    return InputError(message, hint=hint)


def build_context(
    model: ModelAdapter | None,
    data: pd.DataFrame | Source,
    config: AuditConfig,
    *,
    planned: Sequence[Any] = (),
    y_pred_column: str | None = None,
    y_score_column: str | None = None,
    sources: Mapping[str, str | None] | None = None,
    training_record: Mapping[str, Any] | None = None,
    engine: str = "memory",
    client: Any = None,
    reference: ReferenceProfile | None = None,
) -> tuple[AuditContext, AuditConfig]:
    """Validate the data against the model, then run the engine's two passes (see :mod:`raudit.engine.passes`).

    Parameters
    ----------
    data : DataFrame or Source
        Rows in memory, or files to stream.
    planned : sequence of PlannedCheck
        The checks of this audit; those that can summarise chunks do so in the second pass.
    engine : {"memory", "stream", "dask"}
    client : distributed.Client, optional
        For the Dask engine (default: a LocalCluster sized to the machine).
    reference : Profile, optional
        The drift check's reference profile.

    Returns the context and the config with the target and sensitive columns resolved (detected
    or guessed ones filled in).

    Raises
    ------
    InputError
        Missing target or feature columns, missing labels, a target with one class, labels the
        model does not know, a model that fails to predict, a sensitive column with too many
        groups, or data the engine cannot read.
    """
    from raudit.stats.groups import spec_for

    timings: dict[str, float] = {}
    source = data if isinstance(data, Source) else Source("frame", tuple(str(c) for c in data.columns), frame=data,
                                                          chunk_rows=config.chunk_rows)
    if source.kind == "frame" and (source.frame is None or source.frame.empty):
        raise InputError("the data has no rows")
    columns = list(source.columns)
    features = config.features or (model.feature_names if model is not None else None)
    target = _resolve_target(config, columns, features)
    if config.sensitive:
        missing = [c for c in config.sensitive if c not in columns]
        if missing:
            raise _not_in_data(f"sensitive column(s) not in the data: {_list(missing)}", missing, columns)
    else:
        guessed = guess_sensitive(columns, exclude=(target,))
        config = config.replace(sensitive=guessed, sensitive_guessed=bool(guessed))
    config = config.replace(target=target)
    for col in config.bins:
        if col not in config.sensitive:
            raise ConfigError(f"bins.{col}: {col!r} is not a sensitive column of this audit",
                              hint=f"sensitive columns: {', '.join(config.sensitive) or 'none'}")
    if model is None:  # recorded decisions: every other column is context, never the decisions themselves
        if y_pred_column is None:
            raise InputError("auditing recorded predictions needs --y-pred COLUMN")
        for pcol in (y_pred_column, y_score_column):
            if pcol is not None and pcol not in columns:
                raise _not_in_data(f"prediction column {pcol!r} is not in the data", [pcol], columns)
        inputs = tuple(c for c in columns if c not in (target, y_pred_column, y_score_column))
    else:
        inputs = _model_inputs(model, columns, target, config)
    id_column = _configured_id(config, columns)

    # pass 1: value counts of every column the audit groups, bins or checks
    numeric = _numeric_columns(source)
    profiled = {c: numeric[c] for c in dict.fromkeys([target, *config.sensitive, *inputs,
                                                      *([y_pred_column] if y_pred_column else [])])}
    t0 = time.perf_counter()
    profile, lengths = _run_profile(source, profiled, engine=engine, client=client)
    timings["pass 1: read and profile"] = time.perf_counter() - t0
    if profile.rows == 0:
        raise InputError("the data has no rows")
    target_counts = profile.values[target]
    if target_counts.missing:
        raise InputError(f"target column {target!r} has {target_counts.missing} missing value(s)",
                         hint="drop or fill the unlabelled rows before the audit")
    _check_group_counts(profile, config)
    task, classes, positive, favourable = _task(model, target, target_counts, config, profile, y_pred_column,
                                                _dtype(source, target))
    specs = tuple(spec_for(c, profile.values[c], bins=config.bins.get(c)) for c in config.sensitive)
    summarising = tuple((p.plugin.name, p.check, p.options) for p in planned
                        if p.check is not None and type(p.check).summarise is not _base_summarise()
                        and not _unmet_before(p.check, model=model, task=task, config=config, reference=reference))
    from raudit.engine.rows import usable

    sketch = usable(training_record, columns)
    needed = tuple(dict.fromkeys([target, *config.sensitive, *inputs, *(sketch["columns"] if sketch else []),
                                  *([id_column] if id_column else []),
                                  *([y_pred_column] if y_pred_column else []), *([y_score_column] if y_score_column else [])]))
    # proxy candidates: numbers (in deciles) and columns of few categories; never free text (each text its own category)
    input_specs = tuple((c, spec_for(c, profile.values[c], max_categories=10, n_quantiles=10)
                         if c != config.text_column
                         and (profile.values[c].numeric or (profile.values[c].exact and profile.values[c].distinct <= CROSSTAB_CAP))
                         else None) for c in inputs)
    plan = Plan(target=target, features=inputs, task=task, classes=classes, specs=specs, y_pred_column=y_pred_column,
                y_score_column=y_score_column, columns=needed, seed=config.seed, sample_rows=config.sample_rows,
                checks=summarising, rows=profile.rows, positive_label=positive, favourable=favourable, input_specs=input_specs,
                row_sketch=sketch, reference_params=None if reference is None else reference.params)

    # pass 2: predictions once, each check's summary, the sample
    t0 = time.perf_counter()
    summary, chunks, workers, decisions, whole = _run_summaries(source, model, plan, engine=engine, client=client,
                                                                lengths=lengths)
    timings["pass 2"] = time.perf_counter() - t0
    timings.update({f"pass 2: {k}": v for k, v in summary.seconds.items()})
    sample = summary.sample.in_position_order if summary.sample is not None else None
    assert sample is not None
    in_memory = whole is not None
    if id_column is None and in_memory:
        id_column = _guessed_id(whole.frame, inputs, target)
    described = source.description if engine != "dask" else (
        "an in-memory DataFrame" if source.kind == "frame" else f"{len(source.paths)} {source.kind.upper()} file(s)")
    info = EngineInfo(engine="memory" if source.kind == "frame" and engine != "dask" else engine, source=described,
                      chunks=chunks, workers=workers, decisions=decisions, timings=timings, checked=summary.checked)
    ctx = AuditContext(
        config=config, model=model, task=task, classes=classes, positive_label=positive, favourable=favourable,
        n_rows=profile.rows, features=inputs, groupings=specs, summaries=summary.summaries, sample=sample,
        profile=profile, engine=info, sources=dict(sources or {}), training_record=training_record, id_column=id_column,
        reference=reference,
        data=source.frame if in_memory else None,
        X=whole.X if in_memory else None, y=whole.y if in_memory else None,
        sensitive=source.frame[list(config.sensitive)] if in_memory and source.frame is not None else None,
        y_pred=whole.y_pred if in_memory else None, y_proba=whole.y_proba if in_memory else None,
    )
    return ctx, config


def _unmet_before(check: Any, *, model: ModelAdapter | None, task: str, config: AuditConfig, reference: Any) -> bool:
    """Whether a check will be skipped for a reason known before the second pass (then it need not summarise)."""
    needs = check.requires
    return bool(("model" in needs and model is None) or ("labels" in needs and task == "regression")
                or ("sensitive" in needs and not config.sensitive) or ("reference" in needs and reference is None))


def _base_summarise() -> Any:
    from raudit.engine.check import Check

    return Check.summarise


def _dtype(source: Source, column: str) -> str:
    return str(source.frame[column].dtype) if source.frame is not None else source.dtypes.get(column, "str")


def _numeric_columns(source: Source) -> dict[str, bool]:
    """Whether each column is numeric (booleans count as categories), from the frame or the file-wide dtypes."""
    if source.frame is not None:
        frame = source.frame
        return {str(c): bool(pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]))
                for c in frame.columns}
    return {c: source.dtypes.get(c, "str") in ("int64", "float64", "int32", "float32") for c in source.columns}


def _run_profile(source: Source, columns: Mapping[str, bool], *, engine: str, client: Any) -> tuple[FirstPass, tuple[int, ...]]:
    """The first pass; returns the profile and, on Dask, each partition's rows (else empty)."""
    from raudit.engine.passes import fold, profile_chunk

    if engine == "dask":
        from raudit.engine.dask import dask_profile

        return dask_profile(source, columns, client=client)
    return fold(profile_chunk(chunk, columns) for chunk in source.chunks(list(columns))), ()


def _run_summaries(source: Source, model: ModelAdapter | None, plan: Plan, *, engine: str,
                   client: Any, lengths: tuple[int, ...] = ()) -> tuple[Any, int, int, str, Any]:
    """The second pass; returns the merged summary, chunks, workers, how decisions were made, the whole batch (in memory)."""
    from raudit.engine.passes import ChunkSummary, summarise_chunk

    if engine == "dask":
        from raudit.engine.dask import dask_summaries

        return dask_summaries(source, model, plan, client=client, lengths=lengths)
    for decisions in ("derived", "predict"):  # predict() disagreeing with the probabilities anywhere: predict() everywhere
        merged: ChunkSummary | None = None
        chunks = offset = 0
        outputs: list[tuple[Any, ...]] = []  # in memory: each slice's labels, decisions, probabilities, groups
        read = reduce = 0.0
        t0 = time.perf_counter()
        for chunk in source.chunks(list(plan.columns)):
            read += time.perf_counter() - t0
            part, batch = summarise_chunk(chunk, offset, model, plan, decisions=decisions)
            t1 = time.perf_counter()
            merged = part if merged is None else merged + part  # fold as we go: memory stays one chunk plus the summaries
            reduce += time.perf_counter() - t1
            if source.kind == "frame":
                outputs.append((batch.y, batch.y_pred, batch.y_proba, batch.groups))
            offset += len(chunk)
            chunks += 1
            t0 = time.perf_counter()
        assert merged is not None
        if merged.decisions != "disagree":
            break
    assert merged is not None
    whole = _whole(source, plan, outputs) if outputs else None
    final = dataclasses.replace(merged, seconds={**merged.seconds, "read": read, "reduce": reduce})
    return final, chunks, 0, final.decisions, whole


def _whole(source: Source, plan: Plan, outputs: list[tuple[Any, ...]]) -> Batch:
    """The in-memory data as one batch: the source's own frame (not a copy of its slices) and the slices' outputs."""
    assert source.frame is not None
    frame = source.frame[list(plan.columns)]
    ys, preds, probas, groups = zip(*outputs)
    return Batch(np.arange(len(frame), dtype=np.int64), frame, frame[list(plan.features)], np.concatenate(ys),
                 np.concatenate(preds), None if probas[0] is None else np.concatenate(probas),
                 {k: np.concatenate([g[k] for g in groups]) for k in groups[0]})


def _check_group_counts(profile: FirstPass, config: AuditConfig) -> None:
    """A categorical sensitive column with more distinct values than ``config.max_groups`` is an input error.

    Numeric columns are binned (quartiles by default, or the configured ``bins``), so only
    categorical ones can explode into thousands of groups (an id column given as sensitive, say).
    """
    for col in config.sensitive:
        counts = profile.values[col]
        if counts.numeric:
            continue
        k = counts.distinct
        if k > config.max_groups:
            guessed = " (it was guessed from its name: name the sensitive columns with --sensitive)" if config.sensitive_guessed else ""
            many = f"{k:,}" if counts.exact else f"more than {k - 1:,}"
            raise InputError(
                f"sensitive column {col!r} has {many} distinct values; groups that small cannot be compared{guessed}",
                hint=f"is {col!r} an id? Choose another sensitive column, merge its categories, or raise max_groups "
                     f"(now {config.max_groups}) in raudit.toml",
            )


def _model_inputs(model: ModelAdapter, columns: Sequence[str], target: str, config: AuditConfig) -> tuple[str, ...]:
    features = config.features or model.feature_names
    if features is None:
        n = getattr(model.model, "n_features_in_", None)
        raise InputError(
            f"the model does not record which columns it takes{f' (it takes {n} unnamed inputs)' if n else ''}; raudit will "
            "not guess them from the data's column order",
            hint="name the model's input columns, in the order it was trained on, with --features a,b,c "
                 "(or fit the model on a DataFrame so that it records them)",
        )
    missing = [c for c in features if c not in columns]
    if missing:
        raise _not_in_data(f"the data lacks {len(missing)} column(s) the model needs: {_list(missing)}", missing, list(columns))
    n = getattr(model.model, "n_features_in_", None)
    if n is not None and n != len(features):
        raise InputError(f"the model takes {n} inputs but --features names {len(features)}",
                         hint="name exactly the model's input columns, in training order")
    if target in features:
        raise InputError(f"the target {target!r} is one of the model's inputs", hint="choose the label column with --target")
    return tuple(features)


def _task(model: ModelAdapter | None, target: str, counts: ValueCounts, config: AuditConfig, profile: FirstPass,
          y_pred_column: str | None, target_dtype: str) -> tuple[Task, np.ndarray | None, Any, Any]:
    """The task, the classes, the positive and the favourable class, checked against the target's values."""
    classes: np.ndarray | None
    if model is None:
        if target_dtype.startswith("float") and counts.distinct > 20:
            return "regression", None, None, None
        if not counts.exact:
            raise InputError(f"target column {target!r} has more than {counts.distinct - 1:,} distinct texts: not labels")
        if counts.numeric:
            classes = counts.values.astype(np.int64) if target_dtype.startswith(("int", "uint")) else counts.values.copy()
        else:
            classes = np.array(sorted(counts.values.tolist(), key=str), dtype=object)
        task: Task = "binary" if len(classes) == 2 else "multiclass"
        if y_pred_column is not None:
            decisions = profile.values[y_pred_column]
            _as_target_labels(decisions.values, classes, y_pred_column, target)
    else:
        task, classes = model.task, model.classes_
        if task == "regression":
            if not counts.numeric:
                raise InputError(f"target column {target!r} is not numeric, but the model is a regressor")
            return "regression", None, None, None
        assert classes is not None
        if counts.exact:
            _align_labels(counts.values, classes, target)
    if classes is None or len(classes) < 2 or (counts.exact and counts.distinct < 2):
        only = counts.values[0] if counts.exact and counts.distinct else "?"
        raise InputError(f"target column {target!r} has a single class ({_label(only)!r}) in the data",
                         hint="a classifier cannot be audited on one class; use data with both outcomes")
    positive = _positive_label(config.positive_label, classes) if task == "binary" else None
    return task, classes, positive, _favourable(config.favourable, classes, positive)


def _align_labels(y: np.ndarray, classes: np.ndarray, target: str) -> np.ndarray:
    """Express the target in the model's label type; error on unknown labels."""
    known = set(classes.tolist())
    values = pd.unique(y)
    if all(v in known for v in values):
        return y
    as_str = {str(c): c for c in classes.tolist()}
    if all(str(v) in as_str for v in values):
        return np.array([as_str[str(v)] for v in y], dtype=classes.dtype)
    unknown = [_label(v) for v in values if v not in known and str(v) not in as_str]
    raise InputError(
        f"target column {target!r} holds labels the model does not predict: {unknown[:5]!r}",
        hint=f"the model's classes are {[_label(c) for c in classes]!r}; check --target",
    )


def _positive_label(configured: str | None, classes: np.ndarray) -> Any:
    if configured is None:
        return classes[1]
    for c in classes:
        if str(c) == str(configured):
            return c
    raise InputError(f"positive label {configured!r} is not one of the model's classes {[_label(c) for c in classes]!r}")


def _as_target_labels(decisions: np.ndarray, classes: np.ndarray, column: str, target: str) -> np.ndarray:
    """Express recorded decisions in the target's labels, comparing values (0.0 is the label 0), not their text.

    Raises
    ------
    InputError
        Decisions the target never takes, or missing decisions.
    """
    values = pd.Series(decisions)
    if values.isna().any():
        raise InputError(f"decision column {column!r} has {int(values.isna().sum())} missing value(s)",
                         hint="every audited row needs a recorded decision; drop the rows without one")
    numeric = pd.api.types.is_numeric_dtype(values) and pd.api.types.is_numeric_dtype(pd.Series(classes))
    lookup: dict[Any, Any]
    key: pd.Series
    if numeric:
        lookup, key = {float(c): c for c in classes.tolist()}, values.astype(float)
    else:
        lookup, key = {str(c): c for c in classes.tolist()}, values.astype(str)
    unknown = sorted({v for v in pd.unique(key) if v not in lookup}, key=str)
    if unknown:
        raise InputError(
            f"decision column {column!r} holds values the target {target!r} never has: {[_label(u) for u in unknown[:5]]}",
            hint=f"the target's labels are {[_label(c) for c in classes.tolist()]}; decisions must use the same labels "
                 "(check --y-pred and --target)",
        )
    return np.array([lookup[v] for v in key.tolist()], dtype=classes.dtype)


ID_NAME = re.compile(r"(^|[_\W])id$", re.IGNORECASE)


def _configured_id(config: AuditConfig, columns: Sequence[str]) -> str | None:
    if config.id_column is not None and config.id_column not in columns:
        raise _not_in_data(f"id column {config.id_column!r} is not in the data", [config.id_column], list(columns))
    return config.id_column


def _guessed_id(frame: pd.DataFrame, inputs: Sequence[str], target: str) -> str | None:
    """A unique ``id``/``*_id`` column that is not an input (in-memory data only: checking uniqueness needs all of it)."""
    for col in frame.columns:
        if ID_NAME.search(str(col)) and col not in inputs and col != target and frame[col].notna().all() and frame[col].is_unique:
            return str(col)
    return None


def _favourable(configured: Any, classes: np.ndarray, positive: Any) -> Any:
    """The favourable class: the configured one (matched by value or text), else the positive class."""
    if configured is None:
        return positive
    for c in classes.tolist():
        if c == configured or str(c) == str(configured):
            return c
    raise InputError(f"favourable outcome {configured!r} is not one of the classes {[_label(c) for c in classes]!r}",
                     hint="set favourable to the class a person wants (e.g. favourable = 1 or favourable = \"approved\")")
