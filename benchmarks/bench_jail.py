"""The jail's cost: start-up (fork + confinement + the result's way back), and an audit with and without it.

    .venv/bin/python benchmarks/bench_jail.py --model examples/model/model.joblib --data examples/model/audit.csv \
        --config examples/raudit.toml [--repeat 3]

Without the jail means ``raudit.sandbox.jail.available`` patched to False (the model side runs in this process,
as on a platform that cannot fork); everything else is the same call of ``raudit.audit``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings

import raudit
from raudit.config import JailLimits
from raudit.sandbox import jail
from raudit.sandbox.jail import run_jailed


def startup(repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run_jailed(lambda: None, model="nothing", limits=JailLimits())
        out.append(time.perf_counter() - t0)
    return out


def audit(args: argparse.Namespace, *, jailed: bool) -> float:
    real = jail.available
    if not jailed:
        jail.available = lambda: False  # type: ignore[assignment]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            raudit.audit(args.model, args.data, config=args.config, checks=args.checks.split(",") if args.checks else None)
            return time.perf_counter() - t0
    finally:
        jail.available = real  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--config")
    parser.add_argument("--checks")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    s = startup(10)
    print(f"start-up (fork, confine, send back None): median {statistics.median(s) * 1000:.1f} ms, max {max(s) * 1000:.1f} ms")
    audit(args, jailed=False)  # warm the imports and caches once
    plain, jailed = [], []
    for _ in range(args.repeat):  # interleaved, so that the load of other sessions falls on both alike
        plain.append(audit(args, jailed=False))
        jailed.append(audit(args, jailed=True))
    p, j = statistics.median(plain), statistics.median(jailed)
    print(f"audit without the jail: median {p:.2f} s {sorted(round(x, 2) for x in plain)}")
    print(f"audit in the jail:      median {j:.2f} s {sorted(round(x, 2) for x in jailed)}  ({(j / p - 1) * 100:+.1f} %)")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
