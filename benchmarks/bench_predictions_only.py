"""The predictions-only fairness audit of a 10,000,000-row decision log against the floor a user could write.

Issue 24's bar: ``raudit --predictions LOG --y-pred decision --target income --sensitive sex,race --checks
fairness`` within 1.2x of reading the same columns with pyarrow and computing the same per-group selection
rate, TPR and FPR with a pandas group-by (per sex, per race and per sex x race, as raudit reports them).

Data (seeded, written into a temporary directory, never into the repository): ``--rows`` decisions in one Parquet
file of row groups of 1,000,000 rows: ``income`` and ``decision`` as the strings ">50K" / "<=50K", ``score`` (a
probability), ``sex`` (2 values) and ``race`` (5 values), with selection and error rates that differ by group.

Both sides run as their own process (interpreter start-up and imports included), alternating baseline, raudit,
baseline, raudit, ... for ``--rounds`` rounds; the medians are compared. Both sides' per-group numbers are compared
(counts exactly, rates to the last digit). ``--profile`` also runs raudit once under cProfile and prints where the
time goes.

    .venv/bin/python benchmarks/bench_predictions_only.py [--rows N] [--rounds N] [--profile] [--keep DIR]
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
import time
from pathlib import Path

import numpy as np

RAUDIT = [str(Path(sys.executable).parent / "raudit")]
ENV = {"CODECARBON_LOG_LEVEL": "error", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
POS = ">50K"


def write_log(path: Path, rows: int, *, seed: int = 0) -> None:
    """``rows`` seeded decisions in row groups of 1,000,000 (group-dependent base, selection and error rates)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    sexes = np.array(["Female", "Male"])
    races = np.array(["White", "Black", "Asian-Pac-Islander", "Amer-Indian-Eskimo", "Other"])
    writer = None
    for start in range(0, rows, 1_000_000):
        n = min(1_000_000, rows - start)
        sex = rng.choice(2, size=n, p=[0.33, 0.67])
        race = rng.choice(5, size=n, p=[0.85, 0.1, 0.03, 0.01, 0.01])
        y = rng.random(n) < np.where(sex == 1, 0.31, 0.11) + 0.02 * (race == 2)
        score = np.clip(0.55 * y + rng.normal(0.22 + 0.04 * sex, 0.18, n), 0, 1)
        decision = score >= 0.5
        table = pa.table({"income": np.where(y, POS, "<=50K"), "sex": sexes[sex], "race": races[race],
                          "decision": np.where(decision, POS, "<=50K"), "score": score})
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()


def baseline(path: Path, out: Path) -> None:
    """The floor: pyarrow reads the log's columns, pandas groups by sex, race and both; writes the numbers as JSON.

    raudit reads every column of the log (the score is a context column to it, checked as a proxy of the sensitive
    attributes), so the floor reads them too, and uses four.
    """
    import pandas as pd
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    t = pq.read_table(path, columns=["income", "decision", "sex", "race", "score"])  # every column raudit reads
    frame = pd.DataFrame({"sex": t["sex"].to_pandas(), "race": t["race"].to_pandas(),
                          "y": pc.equal(t["income"], POS).to_numpy(zero_copy_only=False),
                          "d": pc.equal(t["decision"], POS).to_numpy(zero_copy_only=False)})
    frame["tp"] = frame["y"] & frame["d"]
    result = {}
    for keys in (["sex"], ["race"], ["sex", "race"]):
        g = frame.groupby(keys, observed=True, sort=True)[["y", "d", "tp"]].sum()
        g["n"] = frame.groupby(keys, observed=True, sort=True).size()
        for key, row in g.iterrows():
            name = " & ".join(key) if isinstance(key, tuple) else str(key)
            n, pos, sel, tp = int(row["n"]), int(row["y"]), int(row["d"]), int(row["tp"])
            result[f"{' × '.join(keys)}|{name}"] = {"n": n, "selection_rate": sel / n, "tpr": tp / pos,
                                                   "fpr": (sel - tp) / (n - pos)}
    out.write_text(json.dumps(result, sort_keys=True))


def raudit_numbers(report: Path) -> dict[str, dict[str, float]]:
    """Per grouping and group: rows, selection rate, TPR and FPR, from raudit's JSON report."""
    check = next(c for c in json.loads(report.read_text())["checks"] if c["name"] == "fairness")
    tables = {t["title"]: t["rows"] for t in check["tables"]}
    result = {}
    for grouping in ("sex", "race", "sex × race"):
        errors = {row[0]: row for row in tables[f"{grouping}: error rates by group"]}
        for row in tables[f"{grouping}: outcomes by group"]:
            result[f"{grouping}|{row[0]}"] = {"n": row[1], "selection_rate": row[4]["value"],
                                             "tpr": errors[row[0]][1]["value"], "fpr": errors[row[0]][2]["value"]}
    return result


def _timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env={**os.environ, **ENV}, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"exit {proc.returncode}: {' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--keep", type=Path, help="write (or reuse) the log in this directory")
    parser.add_argument("--baseline", nargs=2, type=Path, metavar=("LOG", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline:
        baseline(*args.baseline)
        return
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = args.keep or Path(tmp_name)
        tmp.mkdir(parents=True, exist_ok=True)
        log = tmp / f"log-{args.rows}.parquet"
        if not log.exists():
            write_log(log, args.rows)
        print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
              f"{args.rows:,} rows, {log.stat().st_size / 1e6:.0f} MB Parquet; load average {os.getloadavg()[0]:.2f}",
              flush=True)
        audit = [*RAUDIT, "--predictions", str(log), "--y-pred", "decision", "--target", "income",
                 "--positive-label", POS, "--sensitive", "sex,race", "--checks", "fairness", "--format", "json",
                 "--seed", "0", "--out", str(tmp / "raudit")]
        floor = [sys.executable, __file__, "--baseline", str(log), str(tmp / "baseline.json")]
        times: dict[str, list[float]] = {"baseline": [], "raudit": []}
        loads = []
        for r in range(args.rounds):
            times["baseline"].append(_timed(floor))
            times["raudit"].append(_timed(audit))
            loads.append(os.getloadavg()[0])
            print(f"round {r + 1}: baseline {times['baseline'][-1]:.2f} s, raudit {times['raudit'][-1]:.2f} s, "
                  f"load average {loads[-1]:.2f}", flush=True)
        base, ours = statistics.median(times["baseline"]), statistics.median(times["raudit"])
        print(f"medians: baseline {base:.2f} s, raudit {ours:.2f} s: {ours / base:.2f}x; "
              f"load average {min(loads):.2f}-{max(loads):.2f}")
        expected = json.loads((tmp / "baseline.json").read_text())
        got = raudit_numbers(tmp / "raudit" / "report.json")
        same = expected == got
        print(f"same numbers (counts exactly, rates to the last digit): {same}")
        if not same:
            for k in sorted(set(expected) | set(got)):
                if expected.get(k) != got.get(k):
                    print(f"  {k}: baseline {expected.get(k)}, raudit {got.get(k)}")
        if args.profile:
            prof = tmp / "raudit.prof"
            subprocess.run([sys.executable, "-m", "cProfile", "-o", str(prof), *audit],
                           env={**os.environ, **ENV}, capture_output=True, check=False)
            import pstats

            pstats.Stats(str(prof)).sort_stats("cumulative").print_stats(45)
            pstats.Stats(str(prof)).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
