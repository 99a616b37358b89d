"""Peak memory of the drift check streamed over a large decision log in weekly windows (issue 24).

Data (seeded, written into a temporary directory): a reference decision log of 50,000 rows, and a current log of
``--rows`` rows over ``--weeks`` weeks (time order, row groups of 1,000,000) with inputs x1, x2, sex, a score, the
decision, the label and a timestamp; x2 drifts a little every week. Each run is one ``raudit`` process streaming the
log in chunks of ``--chunk-rows`` rows, windows of 7 days; peak RSS is ``/usr/bin/time``'s maximum resident set.
The same audit of only the first chunk's rows (one chunk, one window) is the floor: "one chunk plus the summaries".

    .venv/bin/python benchmarks/bench_windows_memory.py [--rows N] [--weeks N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

RAUDIT = [str(Path(sys.executable).parent / "raudit")]
ENV = {"CODECARBON_LOG_LEVEL": "error", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _rows(rng: np.random.Generator, n: int, start: float, span: float, shift: float) -> dict[str, np.ndarray]:
    sex = rng.choice(np.array(["F", "M"]), n)
    x1, x2 = rng.normal(size=n), rng.normal(loc=shift, size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(1.5 * x1 + x2 - 0.5)))).astype(np.int64)
    score = 1 / (1 + np.exp(-(2.5 * x1 + 0.5 * x2)))
    ts = pd.Timestamp("2026-01-05") + pd.to_timedelta(np.sort(start + rng.random(n) * span), unit="D")
    return {"ts": ts.to_numpy(), "x1": x1, "x2": x2, "sex": sex, "score": score,
            "decision": (score >= 0.5).astype(np.int64), "y": y}


def write_logs(folder: Path, rows: int, weeks: int, *, seed: int = 0) -> tuple[Path, Path]:
    """The reference (50,000 rows, CSV) and the current log (Parquet, in time order, row groups of 1,000,000)."""
    rng = np.random.default_rng(seed)
    reference = folder / "reference.csv"
    pd.DataFrame(_rows(rng, 50_000, 0.0, 7.0, 0.0)).drop(columns="ts").to_csv(reference, index=False)
    log = folder / f"log-{rows}.parquet"
    days = 7.0 * weeks
    writer = None
    for start in range(0, rows, 1_000_000):
        n = min(1_000_000, rows - start)
        t0 = days * start / rows
        table = pa.table(_rows(rng, n, 14.0 + t0, days * n / rows, 0.02 * t0 / 7))
        if writer is None:
            writer = pq.ParquetWriter(log, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()
    return reference, log


def run(label: str, log: Path, reference: Path, out: Path, chunk_rows: int) -> dict[str, float]:
    """One streamed drift audit in weekly windows; wall time, peak RSS, windows."""
    cmd = ["/usr/bin/time", "-f", "%M", "-o", str(out.with_suffix(".rss")), *RAUDIT, "--predictions", str(log),
           "--y-pred", "decision", "--y-score", "score", "--target", "y", "--sensitive", "sex", "--reference",
           str(reference), "--time-column", "ts", "--window", "7D", "--checks", "drift", "--engine", "stream",
           "--chunk-rows", str(chunk_rows), "--format", "json", "--seed", "0", "--out", str(out)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env={**os.environ, **ENV}, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{label}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    peak = int(out.with_suffix(".rss").read_text().split()[-1]) / 1024
    report = json.loads((out / "report.json").read_text())
    drift = next(c for c in report["checks"] if c["name"] == "drift")
    windows = len(drift["details"].get("windows", {}).get("items", []))
    engine = report["lineage"]["engine"]
    print(f"{label}: {wall:.1f} s, peak RSS {peak:,.0f} MB, {windows} windows, {engine['chunks']} chunks, "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)
    return {"wall_s": wall, "peak_mb": peak, "windows": windows}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--weeks", type=int, default=20)
    parser.add_argument("--chunk-rows", type=int, default=200_000)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = args.keep or Path(tmp_name)
        tmp.mkdir(parents=True, exist_ok=True)
        reference, log = tmp / "reference.csv", tmp / f"log-{args.rows}.parquet"
        if not (reference.exists() and log.exists()):
            reference, log = write_logs(tmp, args.rows, args.weeks)
        first = tmp / "first-chunk.parquet"
        pq.write_table(pq.ParquetFile(log).read_row_group(0).slice(0, args.chunk_rows), first)
        print(f"{args.rows:,} rows over {args.weeks} weeks, {log.stat().st_size / 1e6:.0f} MB Parquet; "
              f"chunks of {args.chunk_rows:,}", flush=True)
        run(f"one chunk ({args.chunk_rows:,} rows)", first, reference, tmp / "one", args.chunk_rows)
        run(f"the whole log ({args.rows:,} rows)", log, reference, tmp / "whole", args.chunk_rows)


if __name__ == "__main__":
    main()
