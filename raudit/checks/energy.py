"""Energy, latency and cost: what the model costs to train and to run, and how that was measured.

Training energy comes from the best source available: a record written at
training time by :func:`raudit.track_training`, a codecarbon ``emissions.csv``
the user points to, or a re-measurement (refit of a clone on the audit data,
on this machine). Inference is measured here. Every number says how it was
obtained.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from raudit.plugin import (
    DEFAULT_COUNTRY,
    PINNED,
    AuditContext,
    Check,
    CheckResult,
    ConfigError,
    Facts,
    Finding,
    InputError,
    Options,
    Table,
    grade,
    grid_countries,
    measure,
    method_description,
    number,
    option,
    quantity,
    sha256_file,
    single_threaded,
    training_record_path,
)

#: US EPA greenhouse-gas equivalencies: 400 g CO₂ per mile driven (≈ 0.249 kg/km), 8.22 g per smartphone charge.
KG_PER_KM = 0.4 / 1.609344
KG_PER_PHONE_CHARGE = 0.00822


def _equivalents(kg: float) -> str:
    return (f"About as much CO₂ as {quantity(kg / KG_PER_KM * 1000, 'm')} driven by an average petrol car, or "
            f"{number(kg / KG_PER_PHONE_CHARGE, digits=3)} smartphone charges (US EPA factors)")


@dataclass(frozen=True)
class EnergyOptions(Options):
    """Where the grid, the training record and the budgets come from."""

    country: str = option(DEFAULT_COUNTRY, "electricity grid for CO₂, ISO 3166 alpha-3 (e.g. FRA); also --country")
    emissions_file: str = option("", "a codecarbon emissions.csv recorded when the model was trained; also --emissions")
    refit: bool = option(True, "re-measure training energy by refitting a clone of the model on the audit data "
                               "when no training record exists (--no-refit turns it off)")
    refit_max_rows: int = option(50_000, "rows used for that refit", ge=1)
    latency_calls: int = option(100, "single-row predict() calls timed for the latency percentiles", ge=10, le=100_000)
    min_measure_s: float = option(1.0, "seconds of batch prediction measured for throughput and energy", gt=0, le=600)
    electricity_price_per_kwh: float = option(0.15, "electricity price, USD per kWh", ge=0)
    machine_price_per_hour: float = option(0.10, "machine price, USD per hour", ge=0)
    p95_latency_ms_warn: float | None = option(100.0, "single-row p95 latency above this (ms) warns", ge=0)
    p95_latency_ms_fail: float | None = option(None, "single-row p95 latency above this (ms) fails", ge=0)
    cost_per_prediction_warn: float | None = option(0.001, "cost per prediction above this (USD) warns", ge=0)
    cost_per_prediction_fail: float | None = option(None, "cost per prediction above this (USD) fails", ge=0)
    verbose: bool = option(False, "show codecarbon's own logs (also --verbose)")


class EnergyCheck(Check):
    """Training and inference energy, CO₂, latency, throughput and cost, measured offline."""

    name = "energy"
    title = "Energy, latency and cost"
    order = 40
    evidence = {
        "EU-AIA-XI.1.2.e": "training and inference energy (measured or estimated)",
        "NIST-MEASURE-2.12": "energy, CO₂ and cost with the method stated",
    }
    requires = frozenset({"model"})
    Options = EnergyOptions

    def validate(self, facts: Facts, options: EnergyOptions) -> None:  # noqa: D102
        known = grid_countries()
        if options.country not in known:
            import difflib

            close = difflib.get_close_matches(options.country.upper(), sorted(known), n=3)
            raise ConfigError(f"unknown electricity grid country {options.country!r} (--country / [check.energy].country)",
                              hint="use an ISO 3166 alpha-3 code such as USA, FRA, DEU, GBR"
                                   + (f"; close: {', '.join(close)}" if close else ""))
        if options.emissions_file:
            _read_emissions(Path(options.emissions_file))

    def analyse(self, ctx: AuditContext, options: EnergyOptions) -> EnergyAnalysis:
        """Training energy from the best source there is; latency, throughput and energy of inference measured here."""
        details: dict[str, Any] = {"country": options.country, "country_is_default": options.country == DEFAULT_COUNTRY}
        training = self._training(ctx, options, details)
        inference = _inference(ctx, options)
        details["inference_measurement"] = dict(inference.measurement)
        details["inference"] = {"latency_calls": inference.calls, "batch_rows": inference.batch_rows,
                                "predictions_measured": inference.predictions, "model_batch_size": inference.model_batch}
        return EnergyAnalysis(training, inference, details)

    def present(self, a: EnergyAnalysis, options: EnergyOptions) -> CheckResult:
        """Findings against the latency and cost budgets, how energy was measured, the tables, the headline."""
        o, inf, details = options, a.inference, a.details
        findings: list[Finding] = []
        tables: list[Table] = []
        metrics: dict[str, Any] = {}
        if a.training is not None:
            rec = a.training.record
            metrics.update({"training_energy_kwh": rec["energy_kwh"], "training_co2_kg": rec["emissions_kg"],
                            "training_duration_s": rec["duration_s"]})
            findings.append(Finding("pass", f"Training: {quantity(rec['energy_kwh'], 'kWh')}, {quantity(rec['emissions_kg'], 'kg')} "
                                            f"CO₂e over {quantity(rec['duration_s'], 's')} — source: {a.training.source}. "
                                            f"{_equivalents(rec['emissions_kg'])}. {a.training.note}", "training"))
            tables.append(_measurement_table("Training energy", rec, a.training.source, a.training.note))
        else:
            findings.append(Finding("skipped", f"Training energy unknown: {details['training_skipped']}", "training"))
        tables.append(_inference_table(inf, o))
        metrics.update(inf.metrics())
        p95 = inf.p95
        status = grade(p95, warn=o.p95_latency_ms_warn, fail=o.p95_latency_ms_fail, higher_is_better=False)
        over = "above" if status in ("warn", "fail") else "within"
        findings.append(Finding(status, f"Single-row latency p95 {number(p95, digits=3)} ms, {over} the {number(o.p95_latency_ms_warn)} ms "
                                        f"budget (p50 {number(inf.p50, digits=3)} ms, p99 {number(inf.p99, digits=3)} ms; {PINNED}).",
                                "latency"))
        status = grade(inf.cost_per_1000 / 1000, warn=o.cost_per_prediction_warn, fail=o.cost_per_prediction_fail,
                       higher_is_better=False)
        over = "above" if status in ("warn", "fail") else "within"
        findings.append(Finding(status, f"Estimated cost ${number(inf.cost_per_1000, digits=3)} per 1,000 batch "
                                        f"predictions, {over} the budget of ${number(o.cost_per_prediction_warn)} per prediction "
                                        f"(electricity ${number(o.electricity_price_per_kwh)} per kWh, machine "
                                        f"${number(o.machine_price_per_hour)} per hour).", "cost"))
        findings.append(_method_finding(inf.measurement, details["country_is_default"]))
        summary = (f"p95 latency {number(p95, digits=3)} ms, {inf.throughput:,.0f} rows per second, "
                   f"{quantity(inf.per_1000_kwh, 'kWh')} per 1,000 predictions"
                   + (f"; training {quantity(metrics['training_energy_kwh'], 'kWh')} ({a.training.source.split(':')[0]})"
                      if a.training else ""))
        reasons = [f.message.split(" (")[0] for f in findings if f.status in ("warn", "fail")]
        if reasons:
            summary = "; ".join(reasons) + " — " + summary
        return self.result(findings=findings, summary=summary, metrics=metrics, tables=tables, details=details)

    # -- training --------------------------------------------------------------------------------
    def _training(self, ctx: AuditContext, o: EnergyOptions, details: dict[str, Any]) -> Training | None:
        assert ctx.model is not None
        path = ctx.model.load_info.get("path")
        record = ctx.training_record
        if path and record is not None:
            m = record["measurement"]
            actual = sha256_file(path)
            match = record.get("model_sha256") in (None, actual)
            details["training"] = {"source": "training record", "matches_model_file": match,
                                   "record": {k: v for k, v in record.items() if k != "data_fingerprint"}}
            note = ("The record's model hash matches the audited file." if record.get("model_sha256") == actual else
                    "The record names no model hash." if record.get("model_sha256") is None else
                    "WARNING: the record's model hash does not match the audited file; it may describe another model.")
            return Training(f"training record {training_record_path(path).name} (measured during the original training, "
                            f"{method_description(m['cpu_mode']).split(':')[0]})", m, note)
        if o.emissions_file:
            return self._emissions_csv(Path(o.emissions_file), details)
        if not o.refit:
            details["training_skipped"] = "no training record or emissions file, and refitting is disabled (--no-refit)."
            return None
        return self._refit(ctx, o, details)

    def _emissions_csv(self, path: Path, details: dict[str, Any]) -> Training:
        runs, rec = _read_emissions(path)
        details["training"] = {"source": "emissions file", "path": str(path), "row": runs - 1, "run_id": rec.pop("run_id")}
        return Training(f"codecarbon emissions file {path.name} (last of {runs} run(s), measured by the user's own codecarbon run)",
                        rec, "How codecarbon obtained power in that run is not recorded in the file.")

    def _refit(self, ctx: AuditContext, o: EnergyOptions, details: dict[str, Any]) -> Training | None:
        from sklearn.base import clone

        assert ctx.model is not None
        try:
            twin = clone(ctx.model.model)
            # the clone's parameters came from the model file: no cache folder it names (Pipeline(memory=...)), no parallel jobs
            off = {k: (None if k.split("__")[-1] == "memory" else 1) for k in twin.get_params(deep=True)
                   if k.split("__")[-1] in ("memory", "n_jobs")}
            twin.set_params(**off)
        except Exception as exc:
            details["training_skipped"] = f"the model cannot be cloned for a refit ({type(exc).__name__}: {exc}); record training " \
                                          "energy with raudit.track_training or pass --emissions."
            return None
        sample = ctx.sample
        n = min(len(sample), o.refit_max_rows)
        rows = np.sort(ctx.rng("energy.refit").choice(len(sample), size=n, replace=False)) if n < len(sample) else np.arange(n)
        X, y = sample.X.iloc[rows], sample.y[rows]
        column = getattr(ctx.model, "text_column", None)
        if column is not None and not hasattr(ctx.model.model, "feature_names_in_"):  # a text pipeline fitted on one column
            X = X[column]
        try:
            _, m = measure(lambda: twin.fit(X, y), country=o.country, verbose=o.verbose)
        except Exception as exc:
            details["training_skipped"] = f"refitting a clone failed ({type(exc).__name__}: {exc})."
            return None
        details["training"] = {"source": "refit", "rows": n, "measurement": m.to_dict()}
        return Training("re-measurement: a clone refitted on the audit data on this machine",
                        m.to_dict(), f"This is not the original training run: it refits on {n:,} audit rows with this machine's "
                                     "hardware; the original data, hyper-parameter search and hardware may cost far more.")



@dataclass(frozen=True)
class Training:
    """Training energy: where it comes from (record, emissions file, refit), the measurement record, a note."""

    source: str
    record: Mapping[str, Any]
    note: str


@dataclass(frozen=True)
class Inference:
    """Latency percentiles (ms), batch throughput, and energy, CO₂ and cost per 1,000 predictions, measured here."""

    p50: float
    p95: float
    p99: float
    throughput: float
    per_1000_kwh: float
    per_1000_kg: float
    cost_per_1000: float
    calls: int
    batch_rows: int
    predictions: int
    model_batch: int | None
    measurement: Mapping[str, Any]

    def metrics(self) -> dict[str, float]:
        """The headline metrics of inference."""
        return {"latency_p50_ms": self.p50, "latency_p95_ms": self.p95, "latency_p99_ms": self.p99,
                "throughput_rows_per_s": self.throughput, "energy_per_1000_predictions_kwh": self.per_1000_kwh,
                "co2_per_1000_predictions_kg": self.per_1000_kg, "cost_per_1000_predictions_usd": self.cost_per_1000}


@dataclass(frozen=True)
class EnergyAnalysis:
    """Training (``None`` when unknown: ``details["training_skipped"]`` says why) and inference; details for the JSON."""

    training: Training | None
    inference: Inference
    details: Mapping[str, Any]


def _inference(ctx: AuditContext, o: EnergyOptions) -> Inference:
    """Time single-row predict() calls, then batch predictions for ``min_measure_s`` under codecarbon (threads pinned)."""
    assert ctx.model is not None
    model, X = ctx.model, ctx.sample.X
    calls = o.latency_calls
    times = np.empty(calls)
    rows = [X.iloc[[i % len(X)]] for i in range(calls)]
    with single_threaded():
        model.predict(rows[0])  # warm-up
        for i, row in enumerate(rows):
            t0 = time.perf_counter()
            model.predict(row)
            times[i] = time.perf_counter() - t0
    p50, p95, p99 = (float(v) * 1000 for v in np.percentile(times, [50, 95, 99]))
    batch = X.iloc[: min(len(X), 10_000)]

    def loop() -> int:
        done, t0 = 0, time.perf_counter()
        while True:
            model.predict(batch)
            done += len(batch)
            if time.perf_counter() - t0 >= o.min_measure_s:
                return done

    with single_threaded():
        predictions, m = measure(loop, country=o.country, verbose=o.verbose)
    throughput = predictions / m.duration_s
    per_1000_kwh = m.energy_kwh / predictions * 1000
    cost = per_1000_kwh * o.electricity_price_per_kwh + o.machine_price_per_hour * (1000 / throughput) / 3600
    model_batch = getattr(model, "batch_size", None)  # rows per forward pass inside the adapter (torch, keras, text)
    return Inference(p50, p95, p99, throughput, per_1000_kwh, m.emissions_kg / predictions * 1000, cost, calls, len(batch),
                     predictions, model_batch, m.to_dict())


def _inference_table(inf: Inference, o: EnergyOptions) -> Table:
    m = inf.measurement
    return Table(
        "Inference: latency, throughput, energy and cost measured on this machine", ["quantity", "value", "how"],
        [["single-row latency p50", f"{number(inf.p50, digits=3)} ms", f"{inf.calls} calls of predict() on one row"],
         ["single-row latency p95", f"{number(inf.p95, digits=3)} ms", ""],
         ["single-row latency p99", f"{number(inf.p99, digits=3)} ms", ""],
         ["batch throughput", f"{inf.throughput:,.0f} rows per second",
          f"predict() on {inf.batch_rows:,} rows, repeated for {m['duration_s']:.1f} s"
          + (f"; the model runs them in batches of {inf.model_batch}" if inf.model_batch else "")],
         ["energy per 1,000 predictions", quantity(inf.per_1000_kwh, "kWh"), method_description(m["cpu_mode"]).split(";")[0]],
         ["CO₂e per 1,000 predictions", quantity(inf.per_1000_kg, "kg"),
          f"grid {m['country_iso_code']}, {m['grid_g_per_kwh']:.0f} g per kWh"],
         ["cost per 1,000 predictions", f"${number(inf.cost_per_1000, digits=3)}",
          f"${number(o.electricity_price_per_kwh)} per kWh + ${number(o.machine_price_per_hour)} per hour of machine time"]],
        formats=["text", "text", "text"],
        note=f"{PINNED[0].upper() + PINNED[1:]}; latency includes the library's per-call overhead.",
    )


def _method_finding(m: Mapping[str, Any], default_country: bool) -> Finding:
    return Finding(
        "pass",
        f"How energy was measured: {method_description(m['cpu_mode'])}; hardware seen: {m['cpu_count']}× {m['cpu_model']}, "
        f"{number(m['ram_gb'], digits=3)} GB RAM{', GPU ' + m['gpu_model'] if m['gpu_model'] else ', no GPU'}; grid "
        f"{m['country_iso_code']} at {m['grid_g_per_kwh']:.0f} g CO₂e per kWh"
        f"{' (the default grid; set --country)' if default_country else ''}. "
        + ("TDP-based estimates can be off by a factor of two or more; compare models measured the same way, not absolute values."
           if m["cpu_mode"] != "intel_rapl" else "RAPL covers the CPU package and memory, not the whole machine."),
        "method")


def _read_emissions(path: Path) -> tuple[int, dict[str, Any]]:
    """Read the last run of a codecarbon ``emissions.csv``: the number of runs and that run as a measurement record.

    Raises
    ------
    InputError
        The file is missing, unreadable, binary, or not a codecarbon file.
    """
    hint = "give the emissions.csv that codecarbon wrote during training (--emissions FILE)"
    try:
        frame = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"cannot read the emissions file {path}: {exc}", hint=hint) from None
    need = {"duration", "emissions", "energy_consumed"}
    if frame.empty or not need <= set(frame.columns):
        raise InputError(f"{path} is not a codecarbon emissions file: it lacks {sorted(need - set(frame.columns)) or 'rows'}",
                         hint=hint)
    row = frame.iloc[-1]
    try:
        duration, energy, emissions = (float(row[k]) for k in ("duration", "energy_consumed", "emissions"))
    except (TypeError, ValueError):
        raise InputError(f"{path}: the last run's duration, energy_consumed and emissions must be numbers", hint=hint) from None
    if not all(np.isfinite(v) and v >= 0 for v in (duration, energy, emissions)):
        raise InputError(f"{path}: the last run's duration, energy_consumed and emissions must be finite and ≥ 0", hint=hint)

    def number(key: str) -> float:
        value = pd.to_numeric(row.get(key, np.nan), errors="coerce")
        return float(value) if pd.notna(value) else float("nan")

    rec = {
        "duration_s": duration, "energy_kwh": energy, "emissions_kg": emissions,
        "cpu_power_w": number("cpu_power"), "ram_power_w": number("ram_power"),
        "cpu_mode": "unknown", "cpu_model": str(row.get("cpu_model", "")), "cpu_count": int(np.nan_to_num(number("cpu_count"))),
        "ram_gb": number("ram_total_size"),
        "gpu_model": str(row.get("gpu_model")) if pd.notna(row.get("gpu_model", np.nan)) else "",
        "country_iso_code": str(row.get("country_iso_code", "")), "tracking_mode": str(row.get("tracking_mode", "")),
        "grid_g_per_kwh": emissions / energy * 1000 if energy else float("nan"),
        "codecarbon_version": str(row.get("codecarbon_version", "")),
        "run_id": str(row.get("run_id", "")),
    }
    return len(frame), rec


def _measurement_table(title: str, m: Mapping[str, Any], source: str, note: str) -> Table:
    return Table(title, ["quantity", "value"], [
        ["source", source], ["duration", quantity(m["duration_s"], "s")], ["energy", quantity(m["energy_kwh"], "kWh")],
        ["CO₂e", quantity(m["emissions_kg"], "kg")], ["mean CPU power", quantity(m["cpu_power_w"], "W")],
        ["mean RAM power", quantity(m["ram_power_w"], "W")],
        ["how CPU power was obtained", method_description(m["cpu_mode"]) if m["cpu_mode"] != "unknown" else "not recorded"],
        ["hardware", f"{m['cpu_count']}× {m['cpu_model']}, {number(m['ram_gb'], digits=3)} GB RAM"
                     + (f", GPU {m['gpu_model']}" if m["gpu_model"] else "")],
        ["grid", f"{m['country_iso_code']} ({m['grid_g_per_kwh']:.0f} g CO₂e per kWh)"],
    ], formats=["text", "text"], note=note)
