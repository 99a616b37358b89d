"""Run the two passes over a source of rows: in memory, streamed in chunks, or on a Dask cluster.

``Passes(source, model, engine=...)`` holds what both passes share. :meth:`Passes.first` resolves the
columns' roles, profiles the columns (pass 1) and fixes the :class:`~raudit.engine.passes.Plan`:
its result, :class:`~raudit.engine.context.Facts`, is what checks validate their options against,
before anything is predicted. :meth:`Passes.second` predicts every row once, lets each check
summarise each chunk and keeps the seeded sample (pass 2), and returns the
:class:`~raudit.engine.context.AuditContext`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from raudit.config import AuditConfig
from raudit.engine.context import AuditContext, Facts
from raudit.engine.passes import Batch, ChunkSummary, EngineInfo, FirstPass, Plan, profile_chunk, sample_limit, summarise_chunk
from raudit.engine.roles import Roles, check_group_counts, column_roles, guessed_id, label_roles
from raudit.errors import InputError
from raudit.load.adapters import ModelAdapter
from raudit.load.data import Source
from raudit.stats.groups import spec_for
from raudit.stats.mergeable import fold

if TYPE_CHECKING:
    from raudit.engine.profile import Profile

__all__ = ["Passes", "CROSSTAB_CAP", "NO_ROWS"]

#: The error for data without a row (found before reading, in memory, or after the first pass).
NO_ROWS = "the data has no rows"
#: Text columns with more distinct values than this are left out of crosstabs (proxies): an id or free text.
CROSSTAB_CAP = 1_000


class Passes:
    """The two passes over ``source`` with ``model`` (``None``: recorded decisions, or data described without a model).

    Parameters
    ----------
    source : Source
        The rows (a DataFrame in memory, or files read in chunks).
    model : ModelAdapter or None
    engine : {"memory", "stream", "dask"}
    client : distributed.Client, optional
        For the Dask engine.
    """

    def __init__(self, source: Source, model: ModelAdapter | None, *, engine: str = "memory", client: Any = None,
                 members: Source | None = None) -> None:
        if source.kind == "frame" and (source.frame is None or source.frame.empty):
            raise InputError(NO_ROWS)
        self.source, self.model, self.engine, self.client = source, model, engine, client
        self.members = members  # the model's training rows (--train-data), for the privacy check
        self._lengths: tuple[int, ...] = ()
        self._timings: dict[str, float] = {}

    @property
    def in_memory(self) -> bool:
        """The whole data will be in memory after the second pass."""
        return self.source.kind == "frame" and self.engine != "dask"

    # size: roles, the first pass, the labels and the plan, each checked in turn
    def first(self, config: AuditConfig, *, y_pred: str | None = None, y_score: str | None = None,
              reference: Profile | None = None, sources: Mapping[str, str | None] | None = None,
              training_record: Mapping[str, Any] | None = None) -> Facts:
        """Resolve the roles, profile the columns (pass 1) and plan the second pass.

        Raises
        ------
        InputError
            Missing target, sensitive, feature or decision columns; missing labels; a target with
            one class; labels the model does not know; a sensitive column with too many groups;
            data the engine cannot read.
        """
        from raudit.engine.rows import usable

        source = self.source
        columns = list(source.columns)
        roles = column_roles(config, columns, self.model, y_pred=y_pred, y_score=y_score)
        numeric = _numeric_columns(source)
        profiled = {c: numeric[c] for c in dict.fromkeys([roles.target, *roles.sensitive, *roles.features,
                                                          *([y_pred] if y_pred else [])])}
        t0 = time.perf_counter()
        profile = self._profile(profiled)
        self._timings["pass 1: read and profile"] = time.perf_counter() - t0
        if profile.rows == 0:
            raise InputError(NO_ROWS)
        labels = label_roles(self.model, roles, profile.values[roles.target], config,
                             decisions=profile.values[y_pred] if y_pred else None, target_dtype=_dtype(source, roles.target))
        check_group_counts(profile.values, roles, config.roles.max_groups)
        roles = dataclasses.replace(roles, positive_label=labels.positive_label, favourable=labels.favourable)
        sketch = usable(training_record, columns)
        shared = [c for c in columns if c in self.members.columns] if self.members is not None else []  # rows compared on all
        specs = tuple(spec_for(c, profile.values[c], bins=config.roles.bins.get(c)) for c in roles.sensitive)
        plan = Plan(roles=roles, task=labels.task, classes=labels.classes, specs=specs,
                    columns=_second_pass_columns(roles, sketch, shared), seed=config.seed, sample_rows=config.engine.sample_rows,
                    rows=profile.rows, input_specs=_input_specs(roles, profile),
                    sample_limit=sample_limit(profile.rows, config.seed, config.engine.sample_rows),
                    row_sketch=sketch, reference_params=None if reference is None else reference.params,
                    reference_strata=() if reference is None else tuple(spec for spec, _ in reference.strata.values()),
                    unlabelled=labels.unlabelled)
        has_scores = labels.task != "regression" and (self.model.has_proba if self.model is not None else y_score is not None)
        if self.members is not None:
            from raudit.engine.members import check_member_schema

            check_member_schema(self.members, numeric, _numeric_columns(self.members), plan, has_model=self.model is not None)
        return Facts(plan=plan, profile=profile, reference=reference, has_model=self.model is not None, has_scores=has_scores,
                     in_memory=self.in_memory, sources=dict(sources or {}), training_record=training_record,
                     group_values=_group_values(source, roles, profile), has_members=self.members is not None)

    # size: builds the context from the second pass's summary, sample and whole-data arrays
    def second(self, facts: Facts, planned: Sequence[Any] = ()) -> AuditContext:
        """Predict every row once, let each planned check summarise each chunk, keep the sample (pass 2).

        Parameters
        ----------
        planned : sequence of (name, Check, options)
            The checks of this audit; those that summarise and can run on ``facts`` do so here.
        """
        from raudit.engine.check import Check

        summarising = tuple((name, check, options) for name, check, options in planned
                            if type(check).summarise is not Check.summarise and check.unmet(facts) is None)
        plan = dataclasses.replace(facts.plan, checks=summarising)
        t0 = time.perf_counter()
        summary, chunks, workers, whole = self._summaries(plan)
        self._timings["pass 2"] = time.perf_counter() - t0
        self._timings.update({f"pass 2: {k}": v for k, v in summary.seconds.items()})
        assert summary.sample is not None
        sample = summary.sample.in_position_order
        roles = facts.roles
        id_column = roles.id_column or guessed_id(sample.frame, roles.id_candidates)
        source = self.source
        described = source.description if self.engine != "dask" else (
            "an in-memory DataFrame" if source.kind == "frame" else f"{len(source.paths)} {source.kind.upper()} file(s)")
        info = EngineInfo(engine="memory" if source.kind == "frame" and self.engine != "dask" else self.engine, source=described,
                          chunks=chunks, workers=workers, decisions=summary.decisions, timings=dict(self._timings),
                          checked=summary.checked)
        frame = source.frame if whole is not None else None
        members = None
        if self.members is not None:
            from raudit.engine.members import read_members

            members = read_members(self.members, self.model, dataclasses.replace(facts.plan, roles=dataclasses.replace(
                roles, id_column=id_column)), audit_sample=sample, decisions=summary.decisions, has_model=self.model is not None)
            info = dataclasses.replace(info, timings={**info.timings, **{f"training rows: {k}": v for k, v in members.seconds.items()}})
        return AuditContext(
            facts=facts, model=self.model, summaries=summary.summaries, sample=sample, engine=info, id_column=id_column,
            members=members,
            data=frame, X=whole.X if whole else None, y=whole.y if whole else None,
            sensitive=frame[list(roles.sensitive)] if frame is not None else None,
            y_pred=whole.y_pred if whole else None, y_proba=whole.y_proba if whole else None,
        )

    # -- the passes on each engine ----------------------------------------------------------------------------
    def _profile(self, columns: Mapping[str, bool]) -> FirstPass:
        if self.engine == "dask":
            from raudit.engine.dask import dask_profile

            profile, self._lengths = dask_profile(self.source, columns, client=self.client)
            return profile
        return fold((profile_chunk(chunk, columns) for chunk in self.source.chunks(list(columns))), FirstPass.zero())

    def _summaries(self, plan: Plan) -> tuple[ChunkSummary, int, int, Batch | None]:
        """The merged summary of every chunk, chunks, workers, and the whole data as one batch (in memory)."""
        if self.engine == "dask":
            from raudit.engine.dask import dask_summaries

            summary, chunks, workers = dask_summaries(self.source, self.model, plan, client=self.client, lengths=self._lengths)
            return summary, chunks, workers, None
        for decisions in ("derived", "predict"):  # predict() disagreeing with the probabilities anywhere: predict() everywhere
            merged, chunks, outputs = self._chunks(plan, decisions)
            if merged.decisions != "disagree":
                break
        return merged, chunks, 0, self._whole(plan, outputs) if outputs else None

    def _chunks(self, plan: Plan, decisions: str) -> tuple[ChunkSummary, int, list[tuple[Any, ...]]]:
        """One run of the second pass over the chunks, folding as they arrive (memory stays one chunk plus the summaries)."""
        merged = ChunkSummary.zero()
        chunks = offset = 0
        outputs: list[tuple[Any, ...]] = []  # in memory: each slice's labels, decisions, probabilities, groups
        read = reduce = 0.0
        t0 = time.perf_counter()
        for chunk in self.source.chunks(list(plan.columns)):
            read += time.perf_counter() - t0
            part, batch = summarise_chunk(chunk, offset, self.model, plan, decisions=decisions)
            t1 = time.perf_counter()
            merged = merged + part
            reduce += time.perf_counter() - t1
            if self.source.kind == "frame":
                outputs.append((batch.y, batch.y_pred, batch.y_proba, batch.groups))
            offset += len(chunk)
            chunks += 1
            t0 = time.perf_counter()
        return dataclasses.replace(merged, seconds={**merged.seconds, "read": read, "reduce": reduce}), chunks, outputs

    def _whole(self, plan: Plan, outputs: list[tuple[Any, ...]]) -> Batch:
        """The in-memory data as one batch: the source's own frame (not a copy of its slices) and the slices' outputs."""
        assert self.source.frame is not None
        frame = self.source.frame[list(plan.columns)]
        ys, preds, probas, groups = zip(*outputs)
        return Batch(np.arange(len(frame), dtype=np.int64), frame, frame[list(plan.features)], np.concatenate(ys),
                     np.concatenate(preds), None if probas[0] is None else np.concatenate(probas),
                     {k: np.concatenate([g[k] for g in groups]) for k in groups[0]})


def _second_pass_columns(roles: Roles, sketch: Mapping[str, Any] | None, shared: Sequence[str] = ()) -> tuple[str, ...]:
    """Columns read in pass 2; with training rows, also every column the two share (rows are compared on all of them)."""
    return tuple(dict.fromkeys([roles.target, *roles.sensitive, *roles.features, *(sketch["columns"] if sketch else []),
                                *([roles.id_column] if roles.id_column else roles.id_candidates),
                                *([roles.y_pred_column] if roles.y_pred_column else []),
                                *([roles.y_score_column] if roles.y_score_column else []),
                                *([roles.time_column] if roles.time_column else []), *shared]))


def _input_specs(roles: Roles, profile: FirstPass) -> tuple[tuple[str, Any], ...]:
    """Proxy candidates: numbers (in deciles) and columns of few categories; never free text (each text its own category)."""
    def spec(c: str) -> Any:
        counts = profile.values[c]
        if c != roles.text_column and (counts.numeric or (counts.exact and counts.distinct <= CROSSTAB_CAP)):
            return spec_for(c, counts, max_categories=10, n_quantiles=10)
        return None

    return tuple((c, spec(c)) for c in roles.features)


def _group_values(source: Source, roles: Roles, profile: FirstPass) -> dict[str, tuple[Any, ...] | None]:
    """Each sensitive column's distinct values as the data holds them (its dtype), ``None`` when too many to keep."""
    out: dict[str, tuple[Any, ...] | None] = {}
    for col in roles.sensitive:
        counts = profile.values[col]
        if not counts.exact and not counts.numeric:
            out[col] = None
            continue
        values = pd.Series(counts.values)
        dtype = _dtype(source, col)
        if counts.exact and dtype.startswith(("int", "uint")):
            values = values.astype(dtype)  # type: ignore[call-overload]
        out[col] = tuple(values.tolist()) + ((None,) if counts.missing else ())
    return out


def _dtype(source: Source, column: str) -> str:
    return str(source.frame[column].dtype) if source.frame is not None else source.dtypes.get(column, "str")


def _numeric_columns(source: Source) -> dict[str, bool]:
    """Whether each column is numeric (booleans count as categories), from the frame or the file-wide dtypes."""
    if source.frame is not None:
        frame = source.frame
        return {str(c): bool(pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]))
                for c in frame.columns}
    return {c: source.dtypes.get(c, "str") in ("int64", "float64", "int32", "float32") for c in source.columns}
