"""Audits of data larger than one wants in memory: time, peak memory and report size, one CLI process per run.

Data: UCI Adult resampled with replacement (seeded) to 1,000,000 rows, written as CSV and Parquet; a
HistGradientBoosting pipeline trained on a 70 % split of the original rows (sex, race and fnlwgt left out of the
model; sex and race sensitive). For the recorded-decisions runs the model's decisions and scores on Adult are
resampled to 10,000,000 rows and written as one Parquet file of row groups (no model at audit time).

Each run is one ``raudit`` process (interpreter start-up and imports included). Memory is the peak resident set of
the ``raudit`` process (``/usr/bin/time``'s maximum RSS) and, for Dask runs, the peak of the whole process tree
(scheduler, nanny and worker processes) sampled every 50 ms with psutil. The engine's own phase timings come from
the report's ``lineage.engine.timings_s``. The raudit processes get the thread pools a user gets (OpenMP and BLAS
as the libraries choose; on Dask, one thread per worker process) unless ``--omp N`` pins them; the script's own model
training is pinned to one thread.

    .venv/bin/python benchmarks/bench_scale.py [--adult PATH] [--rows N] [--prediction-rows N] [--skip-full] [--omp N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import psutil
import pyarrow as pa
import pyarrow.parquet as pq
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
RAUDIT = [str(Path(sys.executable).parent / "raudit")]
ENV = {"CODECARBON_LOG_LEVEL": "error"}  # thread pools as a user gets them, unless --omp pins them


def _computed(path: Path) -> str:
    """What the checks computed (not their durations), as canonical JSON."""
    checks = json.loads(path.read_text())["checks"]
    keys = ("name", "status", "summary", "metrics", "findings", "tables", "details")
    return json.dumps([{k: c.get(k) for k in keys} for c in checks], sort_keys=True)


def _tree_rss(pid: int) -> int:
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def run(label: str, args: list[str], out: Path) -> dict[str, object]:
    """Run one raudit process; print and return wall time, peak RSS (process and tree) and what it wrote."""
    timing = out.with_suffix(".time")
    env = {**os.environ, **ENV}
    t0 = time.perf_counter()
    proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", str(timing), *RAUDIT, *args, "--out", str(out)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak_tree = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_tree
        while not done.is_set():
            peak_tree = max(peak_tree, _tree_rss(proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    done.set()
    sampler.join()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{label}: exit {proc.returncode}\n{stdout}\n{stderr}")
    peak = int(timing.read_text().split()[-1]) * 1024
    report = json.loads((out / "report.json").read_text())
    engine = report["lineage"].get("engine", {})
    html = out / "report.html"
    result = {"label": label, "wall_s": wall, "peak_mb": peak / 1e6, "tree_mb": peak_tree / 1e6,
              "html_kb": html.stat().st_size / 1e3 if html.exists() else None,
              "json_kb": (out / "report.json").stat().st_size / 1e3, "engine": engine}
    timings = ", ".join(f"{k} {v:.1f} s" for k, v in engine.get("timings_s", {}).items())
    html_size = f", HTML {result['html_kb']:.0f} KB" if result["html_kb"] is not None else ""
    print(f"{label}: {wall:.1f} s, peak RSS {peak / 1e6:,.0f} MB (process tree {peak_tree / 1e6:,.0f} MB), "
          f"JSON {result['json_kb']:.0f} KB{html_size}; engine {engine.get('engine')} "
          f"({engine.get('chunks')} chunks, {engine.get('workers')} workers, decisions {engine.get('decisions')}); {timings}",
          flush=True)
    return result


def _write_predictions(path: Path, proba: np.ndarray, frame: pd.DataFrame, rows: int, *, seed: int) -> None:
    """``rows`` recorded decisions resampled from ``frame`` and the model's scores, written in row groups of 1,000,000."""
    rng = np.random.default_rng(seed)
    schema = None
    writer = None
    labels = frame["income"].to_numpy()
    for start in range(0, rows, 1_000_000):
        n = min(1_000_000, rows - start)
        idx = rng.integers(0, len(frame), size=n)
        score = proba[idx]
        table = pa.table({"income": labels[idx], "sex": frame["sex"].to_numpy()[idx], "race": frame["race"].to_numpy()[idx],
                          "decision": np.where(score >= 0.5, ">50K", "<=50K"), "score": score})
        if writer is None:
            schema = table.schema
            writer = pq.ParquetWriter(path, schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--adult", type=Path, default=ROOT.parent / "shared" / "datasets" / "adult.csv")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--prediction-rows", type=int, default=10_000_000)
    parser.add_argument("--skip-full", action="store_true", help="leave out the audit with every check")
    parser.add_argument("--omp", type=int, help="pin the raudit processes' BLAS/OpenMP pools to this many threads")
    args = parser.parse_args()
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        if args.omp is not None:
            ENV[name] = str(args.omp)
        else:
            os.environ.pop(name, None)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}, numpy {np.__version__}, "
          f"pandas {pd.__version__}, pyarrow {pa.__version__}; raudit's thread pools "
          f"{'pinned to ' + str(args.omp) if args.omp else 'as the libraries choose (not pinned)'}; load average "
          f"{os.getloadavg()[0]:.1f} at the start", flush=True)

    # raudit --help: start-up cost of the CLI
    helps = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([*RAUDIT, "--help"], check=True, capture_output=True, env={**os.environ, **ENV})
        helps.append(time.perf_counter() - t0)
    print(f"raudit --help: median {statistics.median(helps):.2f} s of 5 ({', '.join(f'{t:.2f}' for t in helps)})", flush=True)

    df = pd.read_csv(args.adult).drop(columns=["split"])
    train, _ = train_test_split(df, test_size=0.3, random_state=0, stratify=df["income"])
    features = [c for c in df.columns if c not in ("income", "sex", "race", "fnlwgt")]
    cat = [c for c in features if not pd.api.types.is_numeric_dtype(df[c])]
    pre = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), cat),
                             ("num", StandardScaler(), [c for c in features if c not in cat])])
    with threadpool_limits(1), tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp_name:
        tmp = Path(tmp_name)
        model = Pipeline([("pre", pre), ("m", HistGradientBoostingClassifier(random_state=0))])
        model.fit(train[features], train["income"])
        model_path = tmp / "model.joblib"
        joblib.dump(model, model_path)

        big = df.sample(n=args.rows, replace=True, random_state=0).reset_index(drop=True)
        csv, parquet = tmp / "big.csv", tmp / "big.parquet"
        big.to_csv(csv, index=False)
        big.to_parquet(parquet, row_group_size=200_000)
        print(f"data: {len(big):,} rows x {big.shape[1]} columns; CSV {csv.stat().st_size / 1e6:.0f} MB, "
              f"Parquet {parquet.stat().st_size / 1e6:.0f} MB", flush=True)
        proba = model.predict_proba(df[features])[:, 1]
        preds = tmp / "decisions.parquet"
        _write_predictions(preds, proba, df, args.prediction_rows, seed=0)
        print(f"recorded decisions: {args.prediction_rows:,} rows x 5 columns, Parquet "
              f"{preds.stat().st_size / 1e6:.0f} MB", flush=True)
        del big

        common = ["--target", "income", "--sensitive", "sex,race", "--fail-on", "never"]
        fairness = [*common, "--checks", "fairness", "--format", "json"]
        m, n = str(model_path), f"{args.rows:,} rows"
        results = [
            run(f"fairness only, {n} CSV, in memory", [m, str(csv), *fairness, "--engine", "memory"], tmp / "r1"),
            run(f"fairness only, {n} CSV, streamed", [m, str(csv), *fairness, "--engine", "stream"], tmp / "r2"),
            run(f"fairness only, {n} Parquet, streamed", [m, str(parquet), *fairness, "--engine", "stream"], tmp / "r3"),
            run(f"fairness only, {n} Parquet, Dask LocalCluster", [m, str(parquet), *fairness, "--engine", "dask"], tmp / "r4"),
        ]
        same = {_computed(tmp / f"r{i}" / "report.json") for i in (1, 2, 3, 4)}
        print(f"  fairness results identical across the four runs: {len(same) == 1}", flush=True)
        if not args.skip_full:
            results.append(run(f"every check, {args.rows:,} rows CSV, streamed, HTML + JSON",
                               [str(model_path), str(csv), *common, "--format", "html,json", "--engine", "stream"], tmp / "r5"))
        decisions = ["--predictions", str(preds), "--y-pred", "decision", "--y-score", "score", "--positive-label", ">50K",
                     *common, "--format", "html,json"]
        results.append(run(f"recorded decisions, {args.prediction_rows:,} rows Parquet, streamed",
                           [*decisions, "--engine", "stream"], tmp / "r6"))
        results.append(run(f"recorded decisions, {args.prediction_rows:,} rows Parquet, Dask LocalCluster",
                           [*decisions, "--engine", "dask"], tmp / "r7"))
        same = {_computed(tmp / f"r{i}" / "report.json") for i in (6, 7)}
        print(f"  recorded-decision results identical streamed and on Dask: {len(same) == 1}", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
