"""The Dask engine: the same two passes as in memory, on the partitions of a Dask cluster.

Each partition (a file, or a block of rows of one) is read on a worker, profiled, predicted and
summarised there; only the summaries travel back and are added up on the client, as a tree. The
model is never unpickled on the client's terms: its file's bytes go to the workers, which open
them with raudit's own safe loader (the same inspection, allow-list and trust settings).
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Mapping
from typing import Any

import pandas as pd

from raudit._engine import ChunkSummary, FirstPass, Plan, fold, profile_chunk, summarise_chunk
from raudit._errors import InputError
from raudit._source import Source

__all__ = ["dask_profile", "dask_summaries", "client_for"]


def client_for(scheduler: str | None) -> Any:
    """A ``distributed.Client``: to ``scheduler`` when given, else to a LocalCluster of one single-threaded worker per core."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError("--engine dask needs Dask", hint="pip install 'raudit[dask]'") from None
    if scheduler:
        try:
            return Client(scheduler, timeout=30)
        except OSError as exc:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {exc}",
                             hint="check the address (tcp://host:8786) and that the scheduler runs") from None
    cluster = LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True, dashboard_address=None)
    return Client(cluster)


def _partitions(source: Source, columns: list[str]) -> list[Any]:
    """Delayed pandas partitions of the source, in order."""
    import dask.dataframe as dd

    if source.kind == "frame":
        assert source.frame is not None
        frame = source.frame[columns]
        parts = max(1, min(os.cpu_count() or 1, len(frame) // 100_000 + 1))
        return list(dd.from_pandas(frame, npartitions=parts, sort=False).to_delayed())
    dtypes = {c: t for c, t in source.dtypes.items() if c in columns}
    if source.kind == "parquet":
        ddf = dd.read_parquet(list(source.paths), columns=columns, split_row_groups="adaptive")
    else:
        ddf = dd.read_csv(list(source.paths), sep=source.delimiter, usecols=columns, dtype=dtypes,
                          blocksize=64 * 2**20, assume_missing=False)
    return list(ddf.to_delayed())


def _typed(frame: pd.DataFrame, source: Source) -> pd.DataFrame:
    from raudit._source import _typed as cast

    return cast(frame, source.dtypes) if source.dtypes else frame


def _profile_part(frame: pd.DataFrame, columns: Mapping[str, bool], source: Source) -> FirstPass:
    return profile_chunk(_typed(frame, source), columns)


def _length(frame: pd.DataFrame) -> int:
    return len(frame)


def dask_profile(source: Source, columns: Mapping[str, bool], *, client: Any) -> FirstPass:
    """The first pass on the cluster: each partition's profile, added up on the client."""
    import dask

    parts = _partitions(source, list(columns))
    profiles = [dask.delayed(_profile_part)(p, dict(columns), source) for p in parts]
    return fold(dask.compute(*profiles, scheduler=client.get))


_MODELS: dict[str, Any] = {}


def _worker_model(blob: bytes | None, load: Mapping[str, Any]) -> Any:
    """Open the model on a worker through raudit's safe loader, once per worker and model."""
    if blob is None:
        return None
    import hashlib
    import tempfile
    from pathlib import Path

    from raudit._loading import load_model

    key = hashlib.sha256(blob).hexdigest()
    if key not in _MODELS:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"model{load['suffix']}"
            path.write_bytes(blob)
            _MODELS[key] = load_model(path, **{k: v for k, v in load.items() if k != "suffix"})
    return _MODELS[key]


def _summarise_part(frame: pd.DataFrame, offset: int, blob: bytes | None, load: Mapping[str, Any], model: Any, plan: Plan,
                    decisions: str, source: Source) -> ChunkSummary:
    adapter = model if model is not None else _worker_model(blob, load)
    summary, _batch = summarise_chunk(_typed(frame, source).reset_index(drop=True), offset, adapter, plan, decisions=decisions)
    return summary


def dask_summaries(source: Source, model: Any, plan: Plan, *, client: Any) -> tuple[ChunkSummary, int, int, str, None]:
    """The second pass on the cluster. The model travels as its file's bytes and is opened on each worker by the safe loader."""
    import dask

    parts = _partitions(source, list(plan.columns))
    lengths = dask.compute(*[dask.delayed(_length)(p) for p in parts], scheduler=client.get)
    offsets = [sum(lengths[:i]) for i in range(len(lengths))]
    blob, load, local = _model_payload(model)
    blob_future = client.scatter(blob, broadcast=True) if blob is not None else None
    workers = len(client.scheduler_info().get("workers", {}))
    for decisions in ("derived", "predict"):
        tasks = [dask.delayed(_summarise_part)(p, off, blob_future, load, local, plan, decisions, source)
                 for p, off in zip(parts, offsets)]
        t0 = time.perf_counter()
        summaries = dask.compute(*tasks, scheduler=client.get)
        t1 = time.perf_counter()
        merged = fold(summaries)
        reduce = time.perf_counter() - t1
        if merged.decisions != "disagree":
            break
    # per-partition seconds add up over workers; the wall time of the cluster pass is "compute"
    merged = dataclasses.replace(merged, seconds={**merged.seconds, "compute on workers (wall)": t1 - t0, "reduce": reduce})
    return merged, len(parts), workers, merged.decisions, None


def _model_payload(model: Any) -> tuple[bytes | None, dict[str, Any], Any]:
    """What a worker needs to open the model itself: the file's bytes and how it was loaded; else the in-memory adapter."""
    if model is None:
        return None, {}, None
    path = model.load_info.get("path")
    if path and os.path.isfile(path):
        from pathlib import Path

        settings = dict(model.load_settings)
        return Path(path).read_bytes(), {"suffix": Path(path).suffix, **settings}, None
    return None, {}, model  # an estimator given in memory (Python API): pickled by Dask like any argument
