"""Wall time and peak memory of the example audit (HTML + PDF + JSON), and what each check adds.

Runs the CLI in a child process per configuration and reads its peak RSS.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_audit.py
(run examples/quickstart.sh first, so examples/model/ exists)
"""

from __future__ import annotations

import os
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL, DATA = ROOT / "examples/model/model.joblib", ROOT / "examples/model/audit.csv"


def run(label: str, *extra: str) -> None:
    out = Path("/tmp/raudit-bench") / label.replace(" ", "_")
    cmd = [sys.executable, "-m", "raudit.cli", str(MODEL), str(DATA), "--config", str(ROOT / "examples/raudit.toml"),
           "--out", str(out), "-q", "--fail-on", "never", *extra]
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # child: exec the CLI so its rusage is its own
        os.execv(sys.executable, cmd)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    assert os.waitstatus_to_exitcode(status) == 0, label
    print(f"{label:<38} {wall:6.1f} s   peak RSS {usage.ru_maxrss / 1024:6.0f} MB")


def main() -> None:
    if not MODEL.exists():
        sys.exit("run examples/quickstart.sh first")
    rows = sum(1 for _ in DATA.open()) - 1
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"data: {rows:,} rows x {len(DATA.open().readline().split(','))} columns")
    run("all checks, html+pdf+json")
    run("all checks, json only", "--format", "json")
    run("all but energy, json only", "--format", "json", "--checks", "performance,fairness,explanations,lineage")
    run("performance only, json", "--format", "json", "--checks", "performance")


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    main()
