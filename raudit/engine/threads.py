"""Pin BLAS and OpenMP to one thread where raudit predicts in small batches or measures latency.

On a small machine, libraries that start a thread pool per call spend more
time waking threads than computing: single-row ``predict_proba`` of a
gradient-boosting pipeline took 1.1 s at p95 with OpenMP unpinned on two cores
and 15 ms pinned (shared/STACK.md). Users do not set ``OMP_NUM_THREADS``, so
raudit limits the pools itself, through threadpoolctl, around that work.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["single_threaded", "PINNED"]

#: How the report describes the pinning.
PINNED = "BLAS and OpenMP thread pools limited to one thread (threadpoolctl) while measuring"


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """Limit every BLAS and OpenMP pool threadpoolctl finds to one thread inside the block."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield
