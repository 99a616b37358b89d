"""The Dask engine: the same two passes as in memory, on the partitions of a Dask cluster.

Each partition (a file, or a block of rows of one) is read on a worker, profiled, predicted and
summarised there; the summaries are added up there too, as an ordered tree, and one reaches the client. The
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

from raudit.config import LoadSettings
from raudit.engine.passes import ChunkSummary, FirstPass, Plan, profile_chunk, summarise_chunk
from raudit.errors import InputError, import_optional
from raudit.load.data import Source
from raudit.stats.mergeable import fold

__all__ = ["dask_profile", "dask_summaries", "client_for", "reconnected", "ClientAddress"]


def client_for(scheduler: str | None) -> Any:
    """A ``distributed.Client``: to ``scheduler`` when given, else to a LocalCluster of one single-threaded worker per core.

    In the jail (every audit) the LocalCluster's workers are threads of the jailed process, which may start no process
    and open no socket; outside it they are processes that talk TLS with a temporary key (``Security.temporary()``).
    """
    distributed = import_optional("distributed", needed_by="--engine dask needs Dask", install="raudit[dask]")
    Client, LocalCluster = distributed.Client, distributed.LocalCluster
    if scheduler:
        try:
            return Client(scheduler, timeout=30)
        except OSError as exc:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {exc}",
                             hint="check the address (tcp://host:8786) and that the scheduler runs") from None
    from raudit.sandbox.jail import current

    if current() is not None:  # in the jail: no new processes, so the workers are threads of the jailed process itself
        # An in-process address's IP is only a label; left unset, Dask finds one by "connecting" a UDP socket to
        # 8.8.8.8 (the jail has no network: a warning; raudit reaches for nothing it was not told to).
        manager = distributed.comm.inproc.global_manager
        if not getattr(manager, "_ip", None):
            manager._ip = "127.0.0.1"
        cluster = LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=False, dashboard_address=None)
        return Client(cluster)
    security = distributed.security.Security.temporary()  # TLS with a fresh key: no other local process can submit work
    cluster = LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True, dashboard_address=None,
                           security=security, protocol="tls://")
    return Client(cluster, security=security)


@dataclasses.dataclass(frozen=True)
class ClientAddress:
    """Where a Dask client's scheduler is and how to talk to it: what a jailed interpreter gets instead of the client."""

    address: str
    security: Any = None

    @classmethod
    def of(cls, client: Any) -> ClientAddress:
        """The address and security of a ``distributed.Client``."""
        return cls(client.scheduler.address, client.security)


def reconnected(client: Any) -> Any:
    """A new client of ``client``'s cluster (same address and security): a client made in another process cannot be used here.

    ``client`` is a ``distributed.Client`` or its :class:`ClientAddress`.
    """
    distributed = import_optional("distributed", needed_by="--engine dask needs Dask", install="raudit[dask]")
    where = client if isinstance(client, ClientAddress) else ClientAddress.of(client)
    return distributed.Client(where.address, security=where.security, set_as_default=False, timeout=30)


def _partitions(source: Source, columns: list[str]) -> list[Any]:
    """Delayed pandas partitions of the source, in order, of about ``chunk_rows`` rows each.

    Parquet: consecutive row groups of a file, read by pyarrow on the worker, until they hold ``chunk_rows`` rows (a
    larger row group is one partition: it is Parquet's unit of reading). CSV: blocks of the file's bytes, read by
    ``dask.dataframe.read_csv`` with the file-wide dtypes. The boundaries depend on the files alone, never on the
    columns read, so both passes see the same partitions.
    """
    if source.kind == "frame":
        import dask.dataframe as dd

        assert source.frame is not None
        frame = source.frame[columns]
        parts = max(1, -(-len(frame) // source.chunk_rows))
        return list(dd.from_pandas(frame, npartitions=parts, sort=False).to_delayed())
    if source.kind == "parquet":  # read inside the task that uses it, so that its time is measured there
        return [(path, groups, tuple(columns)) for path, groups in _row_group_parts(source)]
    import dask.dataframe as dd

    dtypes = {c: t for c, t in source.dtypes.items() if c in columns}
    ddf = dd.read_csv(list(source.paths), sep=source.delimiter, usecols=columns, dtype=dtypes,
                      blocksize=_csv_blocksize(source), assume_missing=False)
    return list(ddf.to_delayed())


def _csv_blocksize(source: Source) -> int:
    """Bytes per CSV partition for about ``chunk_rows`` rows, from the mean line length of the first file's first MiB."""
    from raudit.load.data import _open

    with _open(source.paths[0]) as fh:
        head = fh.read(2**20)
    lines = max(head.count(b"\n"), 1)
    return max(2**16, min(2**28, int(len(head) / lines * source.chunk_rows)))


def _row_group_parts(source: Source) -> list[tuple[str, tuple[int, ...]]]:
    """(file, row groups) of each partition: consecutive row groups up to ``chunk_rows`` rows, from the files' footers."""
    import pyarrow.parquet as pq

    from raudit.load.data import _open

    parts = []
    for path in source.paths:
        with _open(path) as fh:
            meta = pq.ParquetFile(fh).metadata
        group: list[int] = []
        rows = 0
        for i in range(meta.num_row_groups):
            group.append(i)
            rows += meta.row_group(i).num_rows
            if rows >= source.chunk_rows:
                parts.append((path, tuple(group)))
                group, rows = [], 0
        if group or meta.num_row_groups == 0:
            parts.append((path, tuple(group)))
    return parts


def _materialise(part: Any) -> tuple[pd.DataFrame, float | None]:
    """A partition's rows, and the seconds spent reading them here (None: read by an earlier Dask task)."""
    if not isinstance(part, tuple):
        return part, None
    import pyarrow.parquet as pq

    from raudit.load.data import _open

    path, groups, columns = part
    t0 = time.perf_counter()
    with _open(path) as fh:
        table = pq.ParquetFile(fh).read_row_groups(list(groups), columns=list(columns))
    frame = table.to_pandas()
    return frame, time.perf_counter() - t0


def _typed(frame: pd.DataFrame, source: Source) -> pd.DataFrame:
    from raudit.load.data import _typed as cast

    return cast(frame, source.dtypes) if source.dtypes else frame


def _profile_part(part: Any, columns: Mapping[str, bool], source: Source) -> FirstPass:
    frame, _ = _materialise(part)
    return profile_chunk(_typed(frame, source), columns)


def dask_profile(source: Source, columns: Mapping[str, bool], *, client: Any) -> tuple[FirstPass, tuple[int, ...]]:
    """The first pass on the cluster: each partition's profile, added up on the client; and each partition's rows."""
    import dask

    parts = _partitions(source, list(columns))
    profiles = dask.compute(*[dask.delayed(_profile_part)(p, dict(columns), source) for p in parts], scheduler=client.get)
    return fold(profiles, FirstPass.zero()), tuple(p.rows for p in profiles)


_MODELS: dict[str, Any] = {}


def _worker_model(blob: bytes | None, suffix: str, settings: LoadSettings | None) -> Any:
    """Open the model on a worker through raudit's safe loader, with the audit's load settings, once per worker and model."""
    if blob is None:
        return None
    import hashlib
    import tempfile
    from pathlib import Path

    from raudit.load.models import load_model

    key = hashlib.sha256(blob).hexdigest()
    if key not in _MODELS:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"model{suffix}"
            path.write_bytes(blob)
            _MODELS[key] = load_model(path, settings)
    return _MODELS[key]


def _summarise_part(part: Any, offset: int, payload: tuple[Any, str, LoadSettings | None], model: Any, plan: Plan,
                    decisions: str, source: Source) -> ChunkSummary:
    frame, read = _materialise(part)
    adapter = model if model is not None else _worker_model(*payload)
    summary, _batch = summarise_chunk(_typed(frame, source).reset_index(drop=True), offset, adapter, plan, decisions=decisions)
    return summary if read is None else dataclasses.replace(summary, seconds={"read": read, **summary.seconds})


def _merge(a: ChunkSummary, b: ChunkSummary) -> ChunkSummary:
    t0 = time.perf_counter()
    merged = a + b
    return dataclasses.replace(merged, seconds={**merged.seconds, "reduce": merged.seconds.get("reduce", 0.0)
                                                + time.perf_counter() - t0})


def _tree(tasks: list[Any]) -> Any:
    """Add neighbouring partitions' summaries pairwise on the workers, keeping their order, until one is left."""
    import dask

    level = tasks
    while len(level) > 1:
        level = [dask.delayed(_merge)(level[i], level[i + 1]) if i + 1 < len(level) else level[i]
                 for i in range(0, len(level), 2)]
    return level[0]


def dask_summaries(source: Source, model: Any, plan: Plan, *, client: Any,
                   lengths: tuple[int, ...]) -> tuple[ChunkSummary, int, int]:
    """The second pass on the cluster. The model travels as its file's bytes and is opened on each worker by the safe loader.

    ``lengths`` are the partitions' rows from the first pass (they give each partition its row offset). The summaries
    are added up on the workers, as an ordered tree, so that only one summary reaches the client.
    """
    import dask

    parts = _partitions(source, list(plan.columns))
    if len(parts) != len(lengths):
        raise InputError(f"the data changed between the two passes ({len(lengths)} partitions, then {len(parts)})",
                         hint="audit files that are not being written to")
    offsets = [sum(lengths[:i]) for i in range(len(lengths))]
    blob, suffix, settings, local = _model_payload(model)
    payload = (client.scatter(blob, broadcast=True) if blob is not None else None, suffix, settings)
    workers = len(client.scheduler_info().get("workers", {}))
    for decisions in ("derived", "predict"):
        tasks = [dask.delayed(_summarise_part)(p, off, payload, local, plan, decisions, source)
                 for p, off in zip(parts, offsets)]
        t0 = time.perf_counter()
        (merged,) = dask.compute(_tree(tasks), scheduler=client.get)
        wall = time.perf_counter() - t0
        if merged.decisions != "disagree":
            break
    if merged.rows != sum(lengths):
        raise InputError(f"the data changed between the two passes ({sum(lengths):,} rows, then {merged.rows:,})",
                         hint="audit files that are not being written to")
    # the per-partition seconds are worker time, summed over partitions; the pass's own wall time is apart
    seconds = {f"{k} (worker time, summed)": v for k, v in merged.seconds.items()}
    return dataclasses.replace(merged, seconds={"on the cluster (wall)": wall, **seconds}), len(parts), workers


def _model_payload(model: Any) -> tuple[bytes | None, str, LoadSettings | None, Any]:
    """What a worker needs to open the model itself: the file's bytes, suffix and load settings; else the in-memory adapter."""
    if model is None:
        return None, "", None, None
    path = model.load_info.get("path")
    if path and os.path.isfile(path) and model.load_settings is not None:
        from pathlib import Path

        return Path(path).read_bytes(), Path(path).suffix, model.load_settings, None
    return None, "", None, model  # an estimator given in memory (Python API): pickled by Dask like any argument
