"""Wall time and peak memory of the example audit (HTML + PDF + JSON), what each check adds, render time per detail level.

Runs the CLI in a child process per configuration and reads its peak RSS; then, in process, renders one audit's
HTML and PDF at each detail level (best of three) and counts the PDF's pages.

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
    render_times()


def render_times() -> None:
    """In process: audit once, then render the HTML and the PDF at each detail level (best of three); PDF pages."""
    import dataclasses
    import io

    from pypdf import PdfReader

    import raudit

    report = raudit.audit(MODEL, DATA, config=str(ROOT / "examples/raudit.toml"))
    for detail in ("summary", "standard", "full"):
        r = dataclasses.replace(report, config={**report.config, "detail": detail})
        times = {}
        for fmt in ("html", "pdf"):
            best = float("inf")
            for _ in range(3):
                t0 = time.perf_counter()
                body = r.render(fmt)
                best = min(best, time.perf_counter() - t0)
            times[fmt] = (best, len(body))
        pages = len(PdfReader(io.BytesIO(r.render("pdf"))).pages)
        print(f"detail {detail:<9} HTML {times['html'][0]:5.2f} s ({times['html'][1] / 1e3:,.0f} KB)   "
              f"PDF {times['pdf'][0]:5.2f} s ({times['pdf'][1] / 1e3:,.0f} KB, {pages} pages)")


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    main()
