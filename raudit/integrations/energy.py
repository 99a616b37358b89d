"""Energy and CO₂ measured with codecarbon, offline only, and the training-time tracker.

Nothing here touches the network: only codecarbon's ``OfflineEmissionsTracker``
is used, it writes no file (``save_to_file=False``), and its logs are silenced
unless raudit runs verbose.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["Measurement", "grid_countries", "measure", "read_training_record", "track_training", "sidecar_path", "DEFAULT_COUNTRY",
           "method_description"]

#: Grid used when none is configured (stated in every report).
DEFAULT_COUNTRY = "USA"
SIDECAR_SUFFIX = ".raudit.json"


@dataclass(frozen=True)
class Measurement:
    """What codecarbon measured for one block of work.

    Attributes
    ----------
    duration_s : float
    energy_kwh : float
    emissions_kg : float
        CO₂-equivalent.
    cpu_power_w, ram_power_w : float
        Mean power codecarbon attributed to CPU and RAM.
    cpu_mode : str
        How CPU power was obtained (``intel_rapl``, ``cpu_load``, ``constant``, …).
    cpu_model : str
    cpu_count : int
    ram_gb : float
    gpu_model : str
    country_iso_code : str
    grid_g_per_kwh : float
        Carbon intensity implied by the measurement.
    tracking_mode : str
    codecarbon_version : str
    """

    duration_s: float
    energy_kwh: float
    emissions_kg: float
    cpu_power_w: float
    ram_power_w: float
    cpu_mode: str
    cpu_model: str
    cpu_count: int
    ram_gb: float
    gpu_model: str
    country_iso_code: str
    grid_g_per_kwh: float
    tracking_mode: str
    codecarbon_version: str

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return asdict(self)


def grid_countries() -> frozenset[str]:
    """ISO 3166 alpha-3 codes codecarbon knows the grid carbon intensity of (read from its package data, offline)."""
    from importlib.resources import files

    data = json.loads(files("codecarbon").joinpath("data/private_infra/global_energy_mix.json").read_text(encoding="utf-8"))
    return frozenset(data)


def method_description(cpu_mode: str) -> str:
    """Plain words for codecarbon's CPU power mode."""
    return {
        "intel_rapl": "RAPL energy counters read from the CPU (package and, where available, DRAM)",
        "intel_power_gadget": "Intel Power Gadget readings",
        "cpu_load": "an estimate: CPU load × the CPU's thermal design power (TDP); no power meter was read",
        "constant": "an estimate: a constant share of a default TDP; the CPU model was not recognised",
        "tdp": "an estimate from the CPU's thermal design power (TDP); no power meter was read",
    }.get(cpu_mode, f"codecarbon mode {cpu_mode!r}")


@contextlib.contextmanager
def _quiet(verbose: bool) -> Iterator[None]:
    """Silence codecarbon (its ``log_level`` argument alone leaves two lines; the variable does not)."""
    logger = logging.getLogger("codecarbon")
    old_level, old_env = logger.level, os.environ.get("CODECARBON_LOG_LEVEL")
    if not verbose:
        logger.setLevel(logging.ERROR)
        os.environ["CODECARBON_LOG_LEVEL"] = "error"
    try:
        yield
    finally:
        logger.setLevel(old_level)
        if not verbose:
            if old_env is None:
                os.environ.pop("CODECARBON_LOG_LEVEL", None)
            else:
                os.environ["CODECARBON_LOG_LEVEL"] = old_env


def _cpu_brand() -> dict[str, str]:
    """What codecarbon asks py-cpuinfo for (the CPU's name), read from ``/proc/cpuinfo`` in this process.

    py-cpuinfo starts a second Python to find it, which the jail does not allow.
    """
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    return {"brand_raw": value.strip()}
    except OSError:
        pass
    return {"brand_raw": ""}


def _tracker(country: str, output_dir: str, *, verbose: bool) -> Any:
    from codecarbon import OfflineEmissionsTracker

    from raudit.sandbox.jail import current

    if current() is not None:
        import cpuinfo

        cpuinfo.get_cpu_info = _cpu_brand

    return OfflineEmissionsTracker(
        country_iso_code=country,
        save_to_file=False,
        output_dir=output_dir,
        log_level="info" if verbose else "error",
        allow_multiple_runs=True,
        measure_power_secs=1,
        tracking_mode="machine",
    )


def _measurement(tracker: Any, duration: float) -> Measurement:
    d = tracker.final_emissions_data
    cpu = next((h for h in getattr(tracker, "_hardware", []) if type(h).__name__ == "CPU"), None)
    energy = float(d.energy_consumed)
    return Measurement(
        duration_s=duration,
        energy_kwh=energy,
        emissions_kg=float(d.emissions),
        cpu_power_w=float(d.cpu_power),
        ram_power_w=float(d.ram_power),
        cpu_mode=str(getattr(cpu, "_mode", "unknown")),
        cpu_model=str(d.cpu_model),
        cpu_count=int(d.cpu_count),
        ram_gb=round(float(d.ram_total_size), 2),
        gpu_model=str(d.gpu_model or ""),
        country_iso_code=str(d.country_iso_code),
        grid_g_per_kwh=float(d.emissions) / energy * 1000 if energy > 0 else float("nan"),
        tracking_mode=str(d.tracking_mode),
        codecarbon_version=str(d.codecarbon_version),
    )


@contextlib.contextmanager
def _measuring(country: str, verbose: bool) -> Iterator[list[Measurement]]:
    """Track the block with codecarbon; on a normal exit its measurement is appended to the yielded list.

    Any file codecarbon might write goes to a temporary folder that is removed.
    """
    out: list[Measurement] = []
    with tempfile.TemporaryDirectory(prefix="raudit-codecarbon-") as tmp, _quiet(verbose):
        tracker = _tracker(country, tmp, verbose=verbose)
        tracker.start()
        t0 = time.perf_counter()
        try:
            yield out
        finally:
            duration = time.perf_counter() - t0
            tracker.stop()
        out.append(_measurement(tracker, duration))


def measure(fn: Callable[[], Any], *, country: str = DEFAULT_COUNTRY, verbose: bool = False) -> tuple[Any, Measurement]:
    """Run ``fn()`` under codecarbon's offline tracker; return its result and the measurement."""
    with _measuring(country, verbose) as measured:
        result = fn()
    return result, measured[0]


def read_training_record(model_path: str | Path) -> dict[str, Any] | None:
    """The training record next to a model file, or ``None`` when there is none.

    Raises
    ------
    InputError
        The record exists but is not a raudit training record.
    """
    from raudit.errors import InputError

    path = sidecar_path(model_path)
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read the training record {path}: {exc}",
                         hint="delete or regenerate it with raudit.track_training") from None
    if not isinstance(record, dict) or record.get("kind") != "raudit training record" or not isinstance(record.get("measurement"), dict):
        raise InputError(f"{path} is not a raudit training record", hint="delete it, or regenerate it with raudit.track_training")
    return record


def sidecar_path(model_path: str | Path) -> Path:
    """The training record written next to a model file: ``model.joblib.raudit.json``."""
    return Path(str(model_path) + SIDECAR_SUFFIX)


class track_training(contextlib.ContextDecorator):  # noqa: N801 - used like a function
    """Measure training energy and write a sidecar that later audits of the model pick up.

    Use it around your own training code, as a context manager or decorator;
    save the model inside the block (or before the decorated function
    returns) so the record can name the model file's hash.

    Parameters
    ----------
    model_path : str or Path
        Where the model will be saved; the record goes to
        ``<model_path>.raudit.json``.
    data : DataFrame or path, optional
        The training data (features and label). Its sha256 and a sketch of
        1,024 of its row hashes (no values) are recorded, so that an audit
        can tell whether its data was held out from training.
    params : mapping, optional
        Anything worth recording (hyper-parameters, purpose).
    country : str
        ISO code of the electricity grid (default ``"USA"``).

    Examples
    --------
    >>> with raudit.track_training("model.joblib", data=train_df):  # doctest: +SKIP
    ...     model.fit(X, y)
    ...     joblib.dump(model, "model.joblib")
    """

    def __init__(self, model_path: str | Path, *, data: Any = None, params: Mapping[str, Any] | None = None,
                 country: str = DEFAULT_COUNTRY, verbose: bool = False) -> None:
        self.model_path = Path(model_path)
        self.data, self.params, self.country, self.verbose = data, dict(params or {}), country, verbose
        self.record: dict[str, Any] | None = None

    def __enter__(self) -> track_training:
        self._stack = contextlib.ExitStack()
        self._measured = self._stack.enter_context(_measuring(self.country, self.verbose))
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self._stack.__exit__(exc_type, exc, tb)
        if exc_type is not None:
            return  # a failed training run leaves no record
        from raudit._version import __version__
        from raudit.report.lineage import git_info
        from raudit.trust.digest import sha256_file

        m = self._measured[0]
        self.record = {
            "kind": "raudit training record",
            "created_utc": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "raudit_version": __version__,
            "model_file": self.model_path.name,
            "model_sha256": sha256_file(self.model_path) if self.model_path.is_file() else None,
            "measurement": m.to_dict(),
            "params": self.params,
            "data_sha256": _data_hash(self.data),
            "data_fingerprint": _fingerprint(self.data),
            "git": git_info(self.model_path) if self.model_path.parent.exists() else None,
        }
        from raudit.report.files import write_atomic

        self.model_path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(sidecar_path(self.model_path), (json.dumps(self.record, indent=2, default=str) + "\n").encode())


def _fingerprint(data: Any) -> dict[str, Any] | None:
    """A bottom-k sketch of the training rows (hashes only), so an audit can tell whether its data was held out."""
    import pandas as pd

    from raudit.engine.rows import sketch

    if isinstance(data, (str, os.PathLike)):
        from raudit.load.data import load_data

        data = load_data(Path(data))
    if not isinstance(data, pd.DataFrame):
        return None
    data = data.rename(columns=str)
    return sketch(data, list(data.columns))


def _data_hash(data: Any) -> str | None:
    if data is None:
        return None
    if isinstance(data, (str, os.PathLike)):
        from raudit.trust.digest import sha256_file

        return sha256_file(Path(data))
    import hashlib

    import pandas as pd

    if isinstance(data, pd.DataFrame):
        values = pd.util.hash_pandas_object(data, index=True).to_numpy()
        return hashlib.sha256(values.tobytes() + "|".join(map(str, data.columns)).encode()).hexdigest()
    import numpy as np

    return hashlib.sha256(np.ascontiguousarray(data).tobytes()).hexdigest()
