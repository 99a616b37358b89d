"""The jail's cost: start-up (fork + confinement + the result's way back), and an audit with and without it.

    .venv/bin/python benchmarks/bench_jail.py --model examples/model/model.joblib --data examples/model/audit.csv \
        --config examples/raudit.toml [--repeat 3]
    .venv/bin/python benchmarks/bench_jail.py --adult-rows 1000000 --checks fairness [--repeat 2]

``--adult-rows N`` builds what ``bench_scale.py`` audits (UCI Adult resampled to N rows, a HistGradientBoosting
pipeline trained on a 70 % split; sex and race sensitive) in a temporary folder and audits that instead. The jailed
child's own peak address space (``VmPeak``, what ``RLIMIT_AS`` caps), peak resident set and CPU time are read by
the child at its end and printed, to set the jail's default limits from.

Without the jail means ``raudit.sandbox.jail.available`` patched to False (the model side runs in this process,
as on a platform that cannot fork); everything else is the same call of ``raudit.audit``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import raudit
from raudit.config import JailLimits
from raudit.sandbox import jail
from raudit.sandbox.jail import run_jailed


def startup(repeat: int, *, spawn: bool = False) -> list[float]:
    """Seconds to run nothing in the jail: forked, or (``spawn``: another thread runs) a fresh interpreter."""
    import threading

    stop = threading.Event()
    if spawn:
        threading.Thread(target=stop.wait, daemon=True).start()
    out = []
    try:
        for _ in range(repeat):
            t0 = time.perf_counter()
            run_jailed(lambda: None, model="nothing", limits=JailLimits())
            out.append(time.perf_counter() - t0)
    finally:
        stop.set()
    return out


def _measured(run: object) -> object:
    """Wrap the child's work: after it, print the child's peak address space, peak RSS and CPU time (relayed here)."""

    def wrapped(work: object) -> object:
        try:
            return run(work)  # type: ignore[operator]
        finally:
            status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
            use = resource.getrusage(resource.RUSAGE_SELF)
            print(f"CHILD VmPeak {status['VmPeak'].strip()} VmHWM {status['VmHWM'].strip()} "
                  f"cpu {use.ru_utime + use.ru_stime:.1f} s", file=sys.stderr)

    return wrapped


#: CPU seconds (user + system, this process and its waited-for children) of each audit, by jailed or not.
CPU: dict[bool, list[float]] = {False: [], True: []}


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def audit(args: argparse.Namespace, *, jailed: bool) -> float:
    real = jail.available
    if not jailed:
        jail.available = lambda: False  # type: ignore[assignment]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0, c0 = time.perf_counter(), _cpu()
            raudit.audit(args.model, args.data, config=args.config, checks=args.checks.split(",") if args.checks else None,
                         **args.extra)
            wall = time.perf_counter() - t0
            CPU[jailed].append(_cpu() - c0)
            return wall
    finally:
        jail.available = real  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model")
    parser.add_argument("--data")
    parser.add_argument("--adult-rows", type=int, help="audit UCI Adult resampled to this many rows (as bench_scale.py)")
    parser.add_argument("--adult", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "datasets" / "adult.csv")
    parser.add_argument("--config")
    parser.add_argument("--checks")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    args.extra = {}
    jail._in_a_fresh_thread = _measured(jail._in_a_fresh_thread)  # type: ignore[assignment]  # the forked child inherits it
    if args.adult_rows:
        with tempfile.TemporaryDirectory() as tmp:
            args.model, args.data = _adult(args.adult, args.adult_rows, Path(tmp))
            args.extra = {"target": "income", "sensitive": ["sex", "race"]}
            args.config = {"engine": "memory"}
            _measure(args)
        return
    _measure(args)


def _adult(adult: Path, rows: int, tmp: Path) -> tuple[str, str]:
    import joblib
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    df = pd.read_csv(adult).drop(columns=["split"])
    train, _ = train_test_split(df, test_size=0.3, random_state=0, stratify=df["income"])
    features = [c for c in df.columns if c not in ("income", "sex", "race", "fnlwgt")]
    cat = [c for c in features if not pd.api.types.is_numeric_dtype(df[c])]
    pre = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), cat),
                             ("num", StandardScaler(), [c for c in features if c not in cat])])
    model = Pipeline([("pre", pre), ("m", HistGradientBoostingClassifier(random_state=0))]).fit(train[features], train["income"])
    joblib.dump(model, tmp / "model.joblib")
    df.sample(n=rows, replace=True, random_state=0).reset_index(drop=True).to_parquet(tmp / "big.parquet")
    print(f"data: Adult resampled to {rows:,} rows (Parquet), HistGradientBoosting pipeline", flush=True)
    return str(tmp / "model.joblib"), str(tmp / "big.parquet")


def _measure(args: argparse.Namespace) -> None:
    print(f"load average before: {os.getloadavg()}")
    s = startup(10)
    print(f"start-up (fork, confine, send back None): median {statistics.median(s) * 1000:.1f} ms, max {max(s) * 1000:.1f} ms")
    s = startup(5, spawn=True)
    print(f"start-up with another thread running (a fresh interpreter): median {statistics.median(s):.2f} s, max {max(s):.2f} s")
    audit(args, jailed=False)  # warm the imports and caches once
    plain, jailed = [], []
    for _ in range(args.repeat):  # interleaved, so that the load of other sessions falls on both alike
        plain.append(audit(args, jailed=False))
        jailed.append(audit(args, jailed=True))
    p, j = statistics.median(plain), statistics.median(jailed)
    print(f"audit without the jail: median {p:.2f} s {sorted(round(x, 2) for x in plain)}")
    print(f"audit in the jail:      median {j:.2f} s {sorted(round(x, 2) for x in jailed)}  ({(j / p - 1) * 100:+.1f} %)")
    cp, cj = statistics.median(CPU[False][1:]), statistics.median(CPU[True])  # [1:]: without the warm-up
    print(f"CPU seconds without the jail: median {cp:.2f} {sorted(round(x, 2) for x in CPU[False][1:])}")
    print(f"CPU seconds in the jail:      median {cj:.2f} {sorted(round(x, 2) for x in CPU[True])}  ({(cj / cp - 1) * 100:+.1f} %)")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
