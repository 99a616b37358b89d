"""What leaving unlabelled rows in a decision log costs: main vs this branch on a labelled log, and a log with gaps.

Three runs alternate for ``--rounds`` rounds, each its own process (imports included), through the CLI
(``raudit --predictions LOG --y-pred decision --y-score score --target income --sensitive sex,race --checks
fairness,performance``, streamed Parquet):

- ``main, labelled``: ``--before``'s raudit (another worktree) on the fully labelled log;
- ``branch, labelled``: this raudit on the same log (its metrics must equal main's: nothing changes for a labelled log);
- ``branch, 30 % unlabelled``: this raudit on the same log whose last 30 % of rows have no label (main refuses it).

Data (seeded, in a temporary directory, never in the repository): ``--rows`` decisions in row groups of 500,000,
labels and decisions as ">50K" / "<=50K", a score, ``sex`` (2 values) and ``race`` (5 values).

    .venv/bin/python benchmarks/bench_unlabelled.py --before /work/main [--rows N] [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ENV = {"CODECARBON_LOG_LEVEL": "error", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
POS = ">50K"


def write_log(path: Path, rows: int, *, unlabelled: float, seed: int = 0) -> None:
    """``rows`` seeded decisions; the last ``unlabelled`` share of rows without a label (null)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    sexes = np.array(["Female", "Male"])
    races = np.array(["White", "Black", "Asian-Pac-Islander", "Amer-Indian-Eskimo", "Other"])
    cut = int(rows * (1 - unlabelled))
    writer = None
    for start in range(0, rows, 500_000):
        n = min(500_000, rows - start)
        sex = rng.choice(2, size=n, p=[0.33, 0.67])
        race = rng.choice(5, size=n, p=[0.85, 0.1, 0.03, 0.01, 0.01])
        y = rng.random(n) < np.where(sex == 1, 0.31, 0.11) + 0.02 * (race == 2)
        score = np.clip(0.55 * y + rng.normal(0.22 + 0.04 * sex, 0.18, n), 0, 1)
        label = np.where(y, POS, "<=50K").astype(object)
        label[np.arange(start, start + n) >= cut] = None
        table = pa.table({"income": pa.array(label, type=pa.string()), "sex": sexes[sex], "race": races[race],
                          "decision": np.where(score >= 0.5, POS, "<=50K"), "score": score})
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()


def run(raudit: str, log: Path, out: Path) -> tuple[float, dict]:
    """One audit in its own process: wall seconds and the checks' metrics."""
    cmd = [raudit, "--predictions", str(log), "--y-pred", "decision", "--y-score", "score", "--target", "income",
           "--sensitive", "sex,race", "--checks", "fairness,performance", "--engine", "stream", "--format", "json",
           "--out", str(out), "--fail-on", "never"]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env={**os.environ, **ENV}, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    report = json.loads((out / "report.json").read_text())
    return seconds, {c["name"]: c["metrics"] for c in report["checks"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="a worktree of main with its own .venv")
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    a = parser.parse_args()
    here = str(Path(sys.executable).parent / "raudit")
    before = str(a.before / ".venv" / "bin" / "raudit")
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        write_log(d / "labelled.parquet", a.rows, unlabelled=0.0)
        write_log(d / "gaps.parquet", a.rows, unlabelled=0.3)
        runs = {"main, labelled": (before, d / "labelled.parquet"), "branch, labelled": (here, d / "labelled.parquet"),
                "branch, 30 % unlabelled": (here, d / "gaps.parquet")}
        times: dict[str, list[float]] = {k: [] for k in runs}
        metrics: dict[str, dict] = {}
        loads = []
        for _ in range(a.rounds):
            for name, (exe, log) in runs.items():
                loads.append(os.getloadavg()[0])
                seconds, metrics[name] = run(exe, log, d / "out")
                times[name].append(seconds)
        same = metrics["main, labelled"] == metrics["branch, labelled"]
        print(f"rows {a.rows:,}, rounds {a.rounds}, load average {min(loads):.1f}-{max(loads):.1f}")
        for name, ts in times.items():
            print(f"{name:26s} {', '.join(f'{t:.1f}' for t in ts)}  median {statistics.median(ts):.1f} s")
        print(f"labelled log: branch metrics equal main's: {same}")
        gaps = metrics["branch, 30 % unlabelled"]
        print(f"30 % unlabelled: accuracy {gaps['performance'].get('accuracy'):.4f} (labelled rows), "
              f"worst selection-rate ratio {gaps['fairness'].get('worst_selection_rate_ratio'):.4f} (every row)")


if __name__ == "__main__":
    main()
