"""Energy, latency and cost: what the model costs to train and to run, and how that was measured.

Training energy comes from the best source available: a record written at
training time by :func:`raudit.track_training`, a codecarbon ``emissions.csv``
the user points to, or a re-measurement (refit of a clone on the audit data,
on this machine). Inference is measured here. Every number says how it was
obtained.
"""

from __future__ import annotations

import os
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
    grid_countries,
    judge,
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
    latency_calls: int = option(100, "single-row predict() calls timed for the latency percentiles (split over the runs)",
                                ge=10, le=100_000)
    min_measure_s: float = option(1.0, "seconds of batch prediction measured for throughput and energy (split over the runs)",
                                  gt=0, le=600)
    runs: int = option(5, "repeated runs of the latency and inference measurements: the median run is reported, with the "
                          "range across runs as its interval", ge=3, le=100)
    refit_runs: int = option(3, "repeated refits when training energy is re-measured", ge=1, le=20)
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
        o, inf, details = options, a.inference, dict(a.details)
        findings: list[Finding] = []
        tables: list[Table] = []
        metrics: dict[str, Any] = {}
        if a.training is not None:
            rec = a.training.record
            prefix = "training" if a.training.label == "training" else "refit"  # a refit's energy is not training energy
            metrics.update({f"{prefix}_energy_kwh": rec["energy_kwh"], f"{prefix}_co2_kg": rec["emissions_kg"],
                            f"{prefix}_duration_s": rec["duration_s"]})
            findings.append(Finding("pass", f"{a.training.label[0].upper() + a.training.label[1:]}: "
                                            f"{quantity(rec['energy_kwh'], 'kWh')}, {quantity(rec['emissions_kg'], 'kg')} "
                                            f"CO₂e over {quantity(rec['duration_s'], 's')} — source: {a.training.source}. "
                                            f"{_equivalents(rec['emissions_kg'])}. {a.training.note}", "training"))
            tables.append(_measurement_table("Training energy" if a.training.label == "training" else
                                             a.training.label[0].upper() + a.training.label[1:], rec, a.training.source,
                                             a.training.note))
        else:
            findings.append(Finding("skipped", f"Training energy unknown: {details['training_skipped']}", "training"))
        tables.append(_inference_table(inf, o))
        metrics.update(inf.metrics())
        findings.append(_budget(inf.p95, "latency", f"Single-row latency p95 {_ms(inf.p95.median)} (median of {len(inf.p95.runs)} "
                                                    f"runs; range {_ms(inf.p95.low)} to {_ms(inf.p95.high)}; {PINNED})",
                                o.p95_latency_ms_warn, o.p95_latency_ms_fail, "ms"))
        findings.append(_budget(Spread(tuple(c / 1000 for c in inf.cost_per_1000.runs)), "cost",
                                f"Estimated cost ${number(inf.cost_per_1000.median, digits=3)} per 1,000 batch predictions "
                                f"(median of {len(inf.cost_per_1000.runs)} runs; electricity "
                                f"${number(o.electricity_price_per_kwh)} per kWh, machine ${number(o.machine_price_per_hour)} per hour)",
                                o.cost_per_prediction_warn, o.cost_per_prediction_fail, "USD per prediction"))
        if inf.load.contended:
            findings.append(Finding("warn", f"The machine was busy while raudit measured: the audit got {inf.load.cpu_share:.0%} of "
                                            f"a CPU (load average {_load(inf.load)} on {inf.load.cpus} CPUs), so latency and energy "
                                            "read high and vary; measure again on a quiet machine before relying on them.",
                                    "contended"))
        findings.append(_method_finding(inf.measurement, details["country_is_default"]))
        details["inference_spread"] = inf.spreads()
        details["load"] = inf.load.to_dict()
        summary = (f"p95 latency {_ms(inf.p95.median)} ({_ms(inf.p95.low)}–{_ms(inf.p95.high)}), "
                   f"{inf.throughput.median:,.0f} rows per second, {quantity(inf.per_1000_kwh.median, 'kWh')} per 1,000 predictions"
                   + (f"; {a.training.label} {quantity(a.training.record['energy_kwh'], 'kWh')}" if a.training else ""))
        reasons = [f.message.split(" (")[0] for f in findings if f.status in ("warn", "fail", "inconclusive")]
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
        runs = []
        try:
            for _ in range(o.refit_runs):
                runs.append(measure(lambda: twin.fit(X, y), country=o.country, verbose=o.verbose)[1])
        except Exception as exc:
            details["training_skipped"] = f"refitting a clone failed ({type(exc).__name__}: {exc})."
            return None
        energy = Spread(tuple(m.energy_kwh for m in runs))
        m = runs[int(np.argsort(energy.runs)[len(runs) // 2])]
        details["training"] = {"source": "refit", "rows": n, "measurement": m.to_dict(), "energy_kwh_runs": energy.to_dict()}
        spread = (f" Median of {len(runs)} refits; they ranged {quantity(energy.low, 'kWh')} to {quantity(energy.high, 'kWh')}."
                  if len(runs) > 1 else " One refit: its spread was not measured.")
        return Training("re-measurement: a clone refitted on the audit data on this machine", m.to_dict(),
                        f"This is not the original training run: it refits a clone of the model on {n:,} audit rows with "
                        "this machine's hardware; the original data, hyper-parameter search and hardware may cost far more. "
                        f"Record training with raudit.track_training, or pass --emissions, for the real figure.{spread}",
                        label=f"energy to refit a clone on {n:,} audit rows", energy=energy)



@dataclass(frozen=True)
class Training:
    """Training energy: where it comes from (record, emissions file, refit), the measurement record, a note.

    ``label`` names what the number is: "training" for a record or an emissions file, "energy to refit a
    clone on N audit rows" for a re-measurement; ``energy`` holds the refits' spread.
    """

    source: str
    record: Mapping[str, Any]
    note: str
    label: str = "training"
    energy: Spread | None = None


@dataclass(frozen=True)
class Spread:
    """A quantity measured in ``k`` runs: the median run, and the range across runs as its interval.

    The range of ``k`` runs covers the median of the runs' distribution with probability
    ``1 − 2 · 0.5**k`` (94 % for 5 runs): a distribution-free interval that no single slow run can
    move past the median.
    """

    runs: tuple[float, ...]

    @property
    def median(self) -> float:
        """The median run."""
        return float(np.median(self.runs))

    @property
    def low(self) -> float:
        """The fastest (smallest) run."""
        return float(min(self.runs))

    @property
    def high(self) -> float:
        """The slowest (largest) run."""
        return float(max(self.runs))

    @property
    def level(self) -> float:
        """The coverage of ``[low, high]`` for the median of the runs' distribution."""
        return 1 - 2 * 0.5 ** len(self.runs)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"median": self.median, "low": self.low, "high": self.high, "level": self.level, "runs": list(self.runs)}


@dataclass(frozen=True)
class Load:
    """How busy the machine was while raudit measured: the share of a CPU the process got, the load average."""

    cpu_share: float
    load_before: float | None
    load_after: float | None
    cpus: int

    @property
    def contended(self) -> bool:
        """Whether something else competed for the CPU: the process got less than 90 % of one while it timed predict()."""
        return self.cpu_share < 0.9

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"cpu_share": self.cpu_share, "load_average_before": self.load_before, "load_average_after": self.load_after,
                "cpus": self.cpus, "contended": self.contended}


@dataclass(frozen=True)
class Inference:
    """Latency percentiles (ms), batch throughput, energy, CO₂ and cost per 1,000 predictions: each over repeated runs."""

    p50: Spread
    p95: Spread
    p99: Spread
    throughput: Spread
    per_1000_kwh: Spread
    per_1000_kg: Spread
    cost_per_1000: Spread
    calls: int
    batch_rows: int
    predictions: int
    model_batch: int | None
    measurement: Mapping[str, Any]
    load: Load

    def metrics(self) -> dict[str, float]:
        """The headline metrics of inference (the median runs)."""
        return {"latency_p50_ms": self.p50.median, "latency_p95_ms": self.p95.median, "latency_p99_ms": self.p99.median,
                "throughput_rows_per_s": self.throughput.median, "energy_per_1000_predictions_kwh": self.per_1000_kwh.median,
                "co2_per_1000_predictions_kg": self.per_1000_kg.median, "cost_per_1000_predictions_usd": self.cost_per_1000.median}

    def spreads(self) -> dict[str, Any]:
        """Every measured quantity's runs, median and range (report.json)."""
        return {k: getattr(self, k).to_dict() for k in ("p50", "p95", "p99", "throughput", "per_1000_kwh", "per_1000_kg",
                                                        "cost_per_1000")}


@dataclass(frozen=True)
class EnergyAnalysis:
    """Training (``None`` when unknown: ``details["training_skipped"]`` says why) and inference; details for the JSON."""

    training: Training | None
    inference: Inference
    details: Mapping[str, Any]


def _inference(ctx: AuditContext, o: EnergyOptions) -> Inference:  # size: the latency runs, then the energy runs, with the load
    """Time single-row predict() calls, then batch predictions under codecarbon, each in ``runs`` runs (threads pinned)."""
    assert ctx.model is not None
    model, X = ctx.model, ctx.sample.X
    per_run = max(o.latency_calls // o.runs, 2)
    rows = [X.iloc[[i % len(X)]] for i in range(per_run * o.runs)]
    before = _load_average()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    percentiles = []
    with single_threaded():
        model.predict(rows[0])  # warm-up
        for r in range(o.runs):
            times = np.empty(per_run)
            for i, row in enumerate(rows[r * per_run:(r + 1) * per_run]):
                t0 = time.perf_counter()
                model.predict(row)
                times[i] = time.perf_counter() - t0
            percentiles.append(np.percentile(times, [50, 95, 99]) * 1000)
    share = (time.process_time() - cpu0) / (time.perf_counter() - wall0)  # pure computation: 1 CPU unless something competed
    batch = X.iloc[: min(len(X), 10_000)]

    def loop() -> int:
        done, t0 = 0, time.perf_counter()
        while True:
            model.predict(batch)
            done += len(batch)
            if time.perf_counter() - t0 >= o.min_measure_s / o.runs:
                return done

    runs = []
    with single_threaded():
        for _ in range(o.runs):
            runs.append(measure(loop, country=o.country, verbose=o.verbose))
    load = Load(share, before, _load_average(), os.cpu_count() or 1)
    throughput = [n / m.duration_s for n, m in runs]
    kwh = [m.energy_kwh / n * 1000 for n, m in runs]
    kg = [m.emissions_kg / n * 1000 for n, m in runs]
    cost = [e * o.electricity_price_per_kwh + o.machine_price_per_hour * (1000 / t) / 3600 for e, t in zip(kwh, throughput)]
    p50, p95, p99 = (Spread(tuple(float(p[j]) for p in percentiles)) for j in range(3))
    model_batch = getattr(model, "batch_size", None)  # rows per forward pass inside the adapter (torch, keras, text)
    median_run = runs[int(np.argsort(kwh)[len(kwh) // 2])][1]
    return Inference(p50, p95, p99, Spread(tuple(throughput)), Spread(tuple(kwh)), Spread(tuple(kg)), Spread(tuple(cost)),
                     per_run * o.runs, len(batch), sum(n for n, _ in runs), model_batch, median_run.to_dict(), load)


def _load_average() -> float | None:
    """The 1-minute load average (None where the platform has none)."""
    try:
        return float(os.getloadavg()[0])
    except (AttributeError, OSError):
        return None


def _inference_table(inf: Inference, o: EnergyOptions) -> Table:
    m = inf.measurement
    k = len(inf.p95.runs)

    def spread(x: Spread, fmt: Any) -> str:
        return f"{fmt(x.median)} ({fmt(x.low)} to {fmt(x.high)})"

    return Table(
        f"Inference: latency, throughput, energy and cost measured on this machine ({k} runs)", ["quantity", "median (range)", "how"],
        [["single-row latency p50", spread(inf.p50, _ms), f"{inf.calls // k} calls of predict() on one row per run"],
         ["single-row latency p95", spread(inf.p95, _ms), ""],
         ["single-row latency p99", spread(inf.p99, _ms), ""],
         ["batch throughput", spread(inf.throughput, lambda v: f"{v:,.0f}") + " rows per second",
          f"predict() on {inf.batch_rows:,} rows, repeated for about {o.min_measure_s / k:.2g} s per run"
          + (f"; the model runs them in batches of {inf.model_batch}" if inf.model_batch else "")],
         ["energy per 1,000 predictions", spread(inf.per_1000_kwh, lambda v: quantity(v, "kWh")),
          method_description(m["cpu_mode"]).split(";")[0]],
         ["CO₂e per 1,000 predictions", spread(inf.per_1000_kg, lambda v: quantity(v, "kg")),
          f"grid {m['country_iso_code']}, {m['grid_g_per_kwh']:.0f} g per kWh"],
         ["cost per 1,000 predictions", spread(inf.cost_per_1000, lambda v: f"${number(v, digits=3)}"),
          f"${number(o.electricity_price_per_kwh)} per kWh + ${number(o.machine_price_per_hour)} per hour of machine time"]],
        formats=["text", "text", "text"],
        note=f"{PINNED[0].upper() + PINNED[1:]}; latency includes the library's per-call overhead. Each quantity is the median "
             f"of {k} runs, with the range across runs: it covers the median run with {1 - 2 * 0.5 ** k:.0%} confidence, and no "
             f"single slow run can move the median. During the runs the audit got {inf.load.cpu_share:.0%} of a CPU (load "
             f"average {_load(inf.load)} on {inf.load.cpus} CPUs)"
             + ("; the machine was busy, so these read high." if inf.load.contended else "."),
    )


def _ms(value: float) -> str:
    return f"{number(value, digits=3)} ms"


def _load(load: Load) -> str:
    return " → ".join(f"{v:.2f}" for v in (load.load_before, load.load_after) if v is not None) or "unknown"


def _budget(spread: Spread, key: str, what: str, warn: float | None, fail: float | None, unit: str) -> Finding:
    """A measured quantity's runs against its budget (:func:`raudit.plugin.judge`): only a range wholly above it warns or fails."""
    if warn is None and fail is None:
        return Finding("pass", f"{what}: no budget set.", key)
    v = judge(spread.median, spread.low, spread.high, harmful="above", warn=warn, fail=fail, what=key, level=spread.level)
    budget = " and ".join(f"{word} above {number(t)} {unit}" for word, t in (("warn", warn), ("fail", fail)) if t is not None)
    return Finding(v.status, f"{what}: the range across runs {_judged_words[v.status]} ({budget}).", key)


_judged_words = {"pass": "lies wholly within the budget", "warn": "lies wholly above the warn budget",
                 "fail": "lies wholly above the fail budget",
                 "inconclusive": "straddles the budget, so one slow run cannot decide it: measure again on a quiet machine",
                 "skipped": "could not be measured"}


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
