"""The model side of every command runs in the jail (:mod:`raudit.sandbox`); the caller gets plain data back.

``audit``, ``compare`` and ``profile_of`` give :func:`model_side` a function that loads the model,
runs both passes and the checks and builds the :class:`~raudit.report.report.Report` (or the
profile); it runs in a confined child process. What the child needs from outside is looked up
first, in the parent: the git state of the inputs (the child cannot run git), the artifacts of an
MLflow model (the child may not talk to the tracking server or write its store) and, for the Dask
engine, the cluster (the child cannot start processes; it connects to the scheduler over TLS).
They travel with the work (:func:`_in_the_jail`), so a forked child and a fresh interpreter see the same.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from raudit.config import AuditConfig
from raudit.sandbox.confine import Network
from raudit.sandbox.jail import current, relay, run_jailed

__all__ = ["model_side", "model_name", "RelayProgress"]

T = TypeVar("T")


def model_name(model: Any) -> str:
    """How an error names the model: its path or URI, or what was given in memory."""
    if model is None:
        return "(none: recorded decisions)"
    if isinstance(model, (str, Path)):
        return str(model)
    return f"given in memory ({type(model).__module__}.{type(model).__qualname__})"


class RelayProgress:
    """The progress receiver inside the jail: each event goes to the parent's receiver."""

    def start(self, total: int) -> None:  # noqa: D102
        relay("progress", "start", total)

    def check_started(self, name: str) -> None:  # noqa: D102
        relay("progress", "check_started", name)

    def check_done(self, result: Any) -> None:  # noqa: D102
        relay("progress", "check_done", result)


def _paths(*items: Any) -> Iterable[str | Path | None]:
    for item in items:
        if isinstance(item, (list, tuple)):
            yield from (str(i) for i in item)
        elif isinstance(item, (str, Path)):
            yield item


def model_side(work: Callable[[], T], *, models: Iterable[Any], data: Any, config: AuditConfig, progress: Any = None,
               client: Any = None) -> T:
    """Run ``work()`` in the jail with the config's limits and return its result.

    Inside a jail already (a reference file profiled during an audit) it simply runs ``work()``.

    Raises
    ------
    raudit.sandbox.JailFailure
        The model crashed, hung or reached a limit (exit 2, naming it).
    """
    if current() is not None:
        return work()
    from raudit.load.mlflow import fetch_mlflow_models
    from raudit.report.lineage import remember_git

    models = list(models)
    git = remember_git(_paths(*models, data, config.reference, config.train_data))
    named = ", ".join(model_name(m) for m in models if m is not None) or "(none: recorded decisions)"
    # the Dask client talks to a scheduler the user named (or gave): TCP stays open; a LocalCluster runs inside the jail
    network: Network = "none"
    portable: dict[type, Callable[[Any], Any]] = {}
    if config.engine.engine == "dask":
        network = "open" if config.engine.scheduler is not None or client is not None else "local"
    if client is not None:
        from raudit.engine.dask import ClientAddress

        portable[type(client)] = ClientAddress.of
    with tempfile.TemporaryDirectory(prefix="raudit-mlflow-") as downloads:
        fetched = fetch_mlflow_models(models, downloads)
        result, _ = run_jailed(functools.partial(_in_the_jail, git, fetched, work), model=named, limits=config.load.jail,
                               network=network, progress=progress, portable=portable)
    return result


def _in_the_jail(git: Mapping[str, Any], fetched: Mapping[str, tuple[str, str]], work: Callable[[], T]) -> T:
    """In the jailed process: what the parent looked up (git states, fetched MLflow models), then the work."""
    from raudit.load.mlflow import recall_fetched
    from raudit.report.lineage import recall_git

    recall_git(git)
    recall_fetched(fetched)
    return work()
