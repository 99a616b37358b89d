"""The example's full audit (HTML + PDF + JSON) with two versions of raudit, interleaved, on the same machine and inputs.

Issue 21 asked that repeating measurements cost no more than before: this runs the CLI of a checkout of the older
version (``--before``, imported first on ``PYTHONPATH``) and of this one, alternately, ``--rounds`` times each, on the
example model and data, and reports each one's wall times and median. Each run is its own process (imports included).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_before_after.py --before /tmp/wt-before --rounds 5
(``git worktree add /tmp/wt-before <commit>`` first; examples/quickstart.sh first, so examples/model/ exists)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL, DATA = ROOT / "examples/model/model.joblib", ROOT / "examples/model/audit.csv"


def once(checkout: Path, out: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(checkout), "OMP_NUM_THREADS": "1", "CODECARBON_LOG_LEVEL": "error"}
    cmd = [sys.executable, "-c", "from raudit.cli import main; main()", str(MODEL), str(DATA), "--config",
           str(ROOT / "examples/raudit.toml"), "--out", str(out), "-q", "--fail-on", "never"]
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True, cwd=checkout)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="a checkout of the older version")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"before": [], "after": []}
    for r in range(args.rounds):
        for label, checkout in (("before", args.before), ("after", ROOT)) if r % 2 == 0 else (("after", ROOT), ("before", args.before)):
            times[label].append(once(checkout, Path("/tmp/raudit-bench-ab") / label))
            print(f"round {r + 1} {label:<6} {times[label][-1]:6.1f} s (load average {os.getloadavg()[0]:.2f})", flush=True)
    for label, t in times.items():
        print(f"{label:<6} median {statistics.median(t):6.1f} s   runs {', '.join(f'{x:.1f}' for x in t)}")


if __name__ == "__main__":
    main()
