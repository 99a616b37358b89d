"""Load-time and peak-memory cost of raudit's restricted unpickler, against the old loader and plain joblib.load.

Models: (a) the example model (``examples/train_model.py`` on the example
lending data, 20,000 rows), (b) a random forest of fully grown trees whose
joblib file is about ``--forest-mb`` MB, (c) the same forest compressed with
zlib (joblib ``compress=3``). Loaders:

* ``joblib``: ``joblib.load`` (no inspection: the floor);
* ``old``: raudit's loader before this change (``git show <ref>:raudit/load/pickle/unpickler.py``);
* ``new``: ``raudit.load.pickle.unpickler.safe_load`` (exact allow-list, every operation checked, post-load checks).

Each measurement runs in a fresh process (so peak RSS belongs to one load),
threads pinned to one (threadpoolctl and the *_NUM_THREADS variables); the
table gives the median of ``--repeats`` runs and the peak RSS growth over the
process's RSS just before loading (``VmHWM`` after resetting it through
``/proc/self/clear_refs``; Linux only). Also prints the compression ratio of the
model zoo's joblib files (for the decompression cap's default).

    .venv/bin/python benchmarks/bench_loading.py --forest-mb 500 --repeats 3
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

ROOT = Path(__file__).resolve().parents[1]
THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def child(method: str, path: str, old_module: str) -> None:
    """Load ``path`` once with ``method`` and print seconds and peak RSS growth as JSON."""
    from threadpoolctl import threadpool_limits

    sys.path.insert(0, str(ROOT))
    import joblib  # noqa: F401 - imported before the baseline, as every loader needs it
    import numpy  # noqa: F401
    import sklearn.ensemble  # noqa: F401

    if method == "old":
        sys.path.insert(0, str(Path(old_module).parent))
        import old_safe_pickle as loader  # type: ignore[import-not-found]
    elif method == "new":
        from raudit.load.pickle import unpickler as loader
    with threadpool_limits(1):
        with open("/proc/self/clear_refs", "w") as fh:  # reset the peak-RSS mark (VmHWM) to the current RSS
            fh.write("5")
        base = _status_mb("VmRSS")
        t0 = time.perf_counter()
        if method == "joblib":
            import joblib

            obj = joblib.load(path)
        else:
            obj, _ = loader.safe_load(Path(path))
        seconds = time.perf_counter() - t0
    peak = _status_mb("VmHWM")  # not ru_maxrss: Linux carries the parent's value into a forked child
    print(json.dumps({"seconds": seconds, "peak_growth_mb": peak - base, "type": type(obj).__name__}))


def _measure(method: str, path: Path, old_module: Path, repeats: int) -> dict[str, float]:
    runs = []
    for _ in range(repeats):
        done = subprocess.run([sys.executable, __file__, "--child", method, str(path), str(old_module)], capture_output=True,
                              text=True, env={**os.environ, **THREADS}, cwd=ROOT, timeout=1800)
        if done.returncode != 0:
            raise RuntimeError(done.stderr[-2000:])
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {"seconds": statistics.median(r["seconds"] for r in runs),
            "peak_growth_mb": statistics.median(r["peak_growth_mb"] for r in runs), "runs": [round(r["seconds"], 3) for r in runs]}


def _example_model(folder: Path) -> Path:
    env = {**os.environ, **THREADS}
    subprocess.run([sys.executable, "examples/make_credit_data.py", "--out", str(folder / "credit.csv")], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    subprocess.run([sys.executable, "examples/train_model.py", "--data", str(folder / "credit.csv"), "--target", "approved",
                    "--out", str(folder / "model")], cwd=ROOT, env=env, check=True, capture_output=True)
    return folder / "model" / "model.joblib"


def _forest(folder: Path, megabytes: int) -> tuple[Path, Path, int]:
    import joblib
    import numpy as np
    from sklearn.ensemble import RandomForestClassifier
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    n_rows = 120_000
    X = rng.normal(size=(n_rows, 20)).astype(np.float32)
    y = (X[:, 0] + rng.normal(scale=2.0, size=n_rows) > 0).astype(int)  # noisy labels: fully grown, deep trees
    with threadpool_limits(1):
        probe = RandomForestClassifier(n_estimators=2, random_state=0, n_jobs=2).fit(X, y)
        per_tree = len(__import__("pickle").dumps(probe)) / 2
        n_trees = max(2, round(megabytes * 1e6 / per_tree))
        forest = RandomForestClassifier(n_estimators=n_trees, random_state=0, n_jobs=2).fit(X, y)
    plain, packed = folder / "forest.joblib", folder / "forest_zlib.joblib"
    joblib.dump(forest, plain)
    joblib.dump(forest, packed, compress=3)
    return plain, packed, n_trees


def _zoo_ratios(folder: Path) -> dict[str, dict[str, float]]:
    import warnings

    import joblib

    sys.path.insert(0, str(ROOT))
    from tests.zoo import build_zoo

    out: dict[str, dict[str, float]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = build_zoo()
    for method in ("zlib", "gzip", "bz2", "xz", "lzma"):
        ratios = []
        for case in cases:
            raw, packed = folder / "raw.joblib", folder / "packed.joblib"
            joblib.dump(case.model, raw)
            joblib.dump(case.model, packed, compress=(method, 9))
            ratios.append(raw.stat().st_size / packed.stat().st_size)
        out[method] = {"median": statistics.median(ratios), "max": max(ratios)}
    return out


def main() -> int:
    """Build the models, measure each loader, print a Markdown table and write JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", nargs=3, metavar=("METHOD", "PATH", "OLD"), help=argparse.SUPPRESS)
    parser.add_argument("--forest-mb", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--old-ref", default="main", help="git ref of the old loader [main]")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        old = folder / "old" / "old_safe_pickle.py"
        old.parent.mkdir()
        old.write_text(subprocess.run(["git", "show", f"{args.old_ref}:raudit/load/pickle/unpickler.py"], cwd=ROOT, check=True,
                                      capture_output=True, text=True).stdout)
        example = _example_model(folder)
        models = {f"example model ({example.stat().st_size / 1e6:.2f} MB)": example}
        plain, packed, n_trees = _forest(folder, args.forest_mb)
        models[f"random forest ({n_trees} trees, {plain.stat().st_size / 1e6:.0f} MB joblib)"] = plain
        models[f"same forest, zlib ({packed.stat().st_size / 1e6:.0f} MB)"] = packed
        results: dict[str, dict[str, dict[str, float]]] = {}
        for label, path in models.items():
            results[label] = {m: _measure(m, path, old, args.repeats) for m in ("joblib", "old", "new")}
        ratios = _zoo_ratios(folder)
    print("| model | joblib.load | old loader | new loader | new vs old | new vs joblib |")
    print("|---|---|---|---|---|---|")
    for label, r in results.items():
        j, o, n = r["joblib"], r["old"], r["new"]
        print(f"| {label} | {j['seconds']:.3f} s, {j['peak_growth_mb']:.0f} MB | {o['seconds']:.3f} s, {o['peak_growth_mb']:.0f} MB "
              f"| {n['seconds']:.3f} s, {n['peak_growth_mb']:.0f} MB | {n['seconds'] / o['seconds']:.2f}× | "
              f"{n['seconds'] / j['seconds']:.2f}× |")
    print("\ncompression ratio of the zoo's joblib files (level 9):",
          ", ".join(f"{m} median {v['median']:.1f}×, max {v['max']:.1f}×" for m, v in ratios.items()))
    if args.json:
        args.json.write_text(json.dumps({"results": results, "zoo_compression": ratios}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
