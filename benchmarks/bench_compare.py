"""Wall time and peak memory of `raudit compare` on the example, against auditing both models separately.

The champion is the example model; the challenger is the same pipeline trained with --seed 1 (written to
/tmp/raudit-bench/challenger/ on the first run). Each row is one CLI process (start-up and imports included).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_compare.py
(run examples/quickstart.sh first, so examples/model/ exists)
"""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHAMPION, DATA = ROOT / "examples/model/model.joblib", ROOT / "examples/model/audit.csv"
BENCH = Path("/tmp/raudit-bench")
CHALLENGER = BENCH / "challenger" / "model.joblib"
CONFIG = ["--config", str(ROOT / "examples/raudit.toml"), "-q", "--fail-on", "never"]


def timed(*args: str) -> tuple[float, float]:
    """Run one CLI process; return its wall time (s) and peak RSS (MB)."""
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # child: exec the CLI so its rusage is its own
        os.execv(sys.executable, [sys.executable, "-m", "raudit.cli", *args])
    _, status, usage = os.wait4(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, args
    return time.perf_counter() - t0, usage.ru_maxrss / 1024


def row(label: str, runs: list[list[str]]) -> None:
    times, peaks = zip(*(timed(*r) for r in runs))
    print(f"{label:<52} {sum(times):6.1f} s   peak RSS {max(peaks):5.0f} MB")


def main() -> None:
    if not CHAMPION.exists():
        sys.exit("run examples/quickstart.sh first")
    if not CHALLENGER.exists():
        subprocess.run([sys.executable, str(ROOT / "examples/train_model.py"), "--data", str(ROOT / "examples/data/credit.csv"),
                        "--target", "approved", "--out", str(CHALLENGER.parent), "--seed", "1"], check=True, capture_output=True)
    rows = sum(1 for _ in DATA.open()) - 1
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; data: {rows:,} rows")
    out = str(BENCH / "out")
    both = [str(CHAMPION), str(CHALLENGER)]
    row("compare, json", [["compare", *both, str(DATA), *CONFIG, "--format", "json", "--out", out]])
    row("compare, html+pdf+json", [["compare", *both, str(DATA), *CONFIG, "--out", out]])
    row("two audits, all checks, json", [[m, str(DATA), *CONFIG, "--format", "json", "--out", out] for m in both])
    row("two audits, performance+fairness, json",
        [[m, str(DATA), *CONFIG, "--format", "json", "--checks", "performance,fairness", "--out", out] for m in both])
    row("two audits, all checks, html+pdf+json", [[m, str(DATA), *CONFIG, "--out", out] for m in both])


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    main()
