"""Multiclass and regression audits (performance + fairness) with main and with this branch, interleaved.

Issue 25 added per-class views, per-group confusion matrices, regression group errors with prediction sketches,
top-k ranks and residuals by decile to the summaries every chunk computes. This times ``raudit.audit`` on a
five-class classifier and on a regressor (synthetic data written once to Parquet, streamed in chunks) with two
checkouts, alternately, each run in its own process, and prints each run's wall time and the medians.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_tasks.py --before /work/main --rounds 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SETUP = """
import sys, joblib, numpy as np, pandas as pd
from sklearn.linear_model import LinearRegression, LogisticRegression
out, rows = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
X = pd.DataFrame({f"x{i}": rng.normal(size=rows) for i in range(4)})
group = rng.choice(["a", "b", "c", "d"], size=rows, p=[0.4, 0.3, 0.2, 0.1])
level = np.clip(np.round(X.x0 + 0.5 * X.x1 + rng.normal(scale=0.7, size=rows) + 2), 0, 4).astype(int)
fit = rng.random(rows) < 0.2
joblib.dump(LogisticRegression(max_iter=300).fit(X[fit], level[fit]), f"{out}/mc.joblib")
price = 3 * X.x0 - X.x2 + rng.normal(size=rows) + 20
joblib.dump(LinearRegression().fit(X[fit], price[fit]), f"{out}/reg.joblib")
X.assign(level=level, price=price, group=group).to_parquet(f"{out}/data.parquet", row_group_size=50_000)
"""

RUN = """
import sys, raudit
out, task = sys.argv[1], sys.argv[2]
target = "level" if task == "mc" else "price"
data = __import__("pandas").read_parquet(f"{out}/data.parquet").drop(columns=["price" if task == "mc" else "level"])
data.to_parquet(f"{out}/{task}.parquet", row_group_size=50_000)
raudit.audit(f"{out}/{task}.joblib", f"{out}/{task}.parquet", target=target, sensitive=["group"],
             checks=["performance", "fairness"], config={"engine": "stream", "chunk_rows": 50_000,
                                                         "check": {"fairness": {"mitigation": False}}})
"""


def once(checkout: Path, out: str, task: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(checkout), "OMP_NUM_THREADS": "1", "CODECARBON_LOG_LEVEL": "error",
           "PYTHONDONTWRITEBYTECODE": "1"}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", RUN, out, task], env=env, check=True, capture_output=True, cwd=out)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="a checkout of the older version")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rows", type=int, default=500_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([sys.executable, "-c", SETUP, out, str(args.rows)], check=True)
        for task in ("mc", "reg"):
            times: dict[str, list[float]] = {"before": [], "after": []}
            for _ in range(args.rounds):
                for name, checkout in (("before", args.before), ("after", ROOT)):
                    times[name].append(once(checkout, out, task))
            for name, ts in times.items():
                print(f"{task} {name}: {' '.join(f'{t:.1f}' for t in ts)} s, median {statistics.median(ts):.1f} s")
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
