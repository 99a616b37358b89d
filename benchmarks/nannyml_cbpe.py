"""raudit's CBPE against NannyML's CBPE on the same chunks, and both against the hidden labels.

NannyML is not a dependency of raudit: it runs in its own virtual environment, given with ``--nannyml-python``
(e.g. ``python -m venv /tmp/nannyml-venv && /tmp/nannyml-venv/bin/pip install nannyml==0.13.1``). This script,
run with raudit's interpreter, writes a reference and an analysis decision log (synthetic, seeded: a score that
is miscalibrated, so that both tools calibrate, and under-weights an input x2 whose mean drifts over the chunks),
runs itself under NannyML's interpreter (``--as-nannyml``) to estimate with ``nannyml.CBPE`` per chunk of
``--chunk`` rows, and compares with raudit's estimate on the same chunks (the functions the drift check uses:
score tables of 1,000 bins, isotonic calibration of the bins, the expected confusion matrix), and with the
importance-weighted variant.

    .venv/bin/python benchmarks/nannyml_cbpe.py --nannyml-python /tmp/nannyml-venv/bin/python
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")


def make(n: int, seed: int, shift: np.ndarray | float = 0.0) -> pd.DataFrame:
    r = np.random.default_rng(seed)
    x1, x2 = r.normal(size=n), r.normal(size=n) + shift
    y = (r.random(n) < 1 / (1 + np.exp(-(1.5 * x1 + 1.0 * x2 - 0.5)))).astype(int)
    score = 1 / (1 + np.exp(-(2.5 * x1 + 0.5 * x2)))
    return pd.DataFrame({"x1": x1, "x2": x2, "score": score, "decision": (score >= 0.5).astype(int), "y": y})


def as_nannyml(folder: Path, chunk: int) -> None:
    import nannyml as nml

    ref, ana = pd.read_parquet(folder / "reference.parquet"), pd.read_parquet(folder / "analysis.parquet")
    t0 = time.perf_counter()
    est = nml.CBPE(y_pred_proba="score", y_pred="decision", y_true="y", problem_type="classification_binary",
                   metrics=list(METRICS), chunk_size=chunk)
    est.fit(ref)
    res = est.estimate(ana.drop(columns="y")).filter(period="analysis").to_df()
    seconds = time.perf_counter() - t0
    out = {m: [float(v) for v in res[(m, "value")]] for m in METRICS}
    out["calibrated"] = bool(est.needs_calibration)
    out["seconds"] = seconds
    out["version"] = nml.__version__
    (folder / "nannyml.json").write_text(json.dumps(out))


def raudit_chunks(ref: pd.DataFrame, ana: pd.DataFrame, chunk: int) -> tuple[dict[str, list[float]], dict[str, list[float]],
                                                                          dict[str, list[float]], list[tuple], float]:
    from raudit.stats.cbpe import (
        STRATA_BINS,
        ScoreTable,
        StrataTable,
        apply_correction,
        bootstrap_calibrations,
        calibrate,
        estimate_performance,
        weighted_correction,
    )
    from raudit.stats.groups import GroupSpec, apply_spec

    t0 = time.perf_counter()
    rng = np.random.default_rng(0)
    table = ScoreTable.of(np.zeros(len(ref)), ref.y.to_numpy(), ref.score.to_numpy()).counts[0]
    p = calibrate(table[1], table.sum(axis=0))
    rounds = bootstrap_calibrations(table, 200, rng)
    specs = {c: GroupSpec(c, tuple(np.quantile(ref[c], np.linspace(0, 1, 11))), "") for c in ("x1", "x2")}

    def strata(frame: pd.DataFrame, labels: bool) -> dict[str, StrataTable]:
        return {c: StrataTable.of(apply_spec(frame[c], s), frame.y.to_numpy() if labels else None, frame.score.to_numpy())
                for c, s in specs.items()}

    ref_strata = strata(ref, True)
    plain: dict[str, list[float]] = {m: [] for m in METRICS}
    weighted: dict[str, list[float]] = {m: [] for m in METRICS}
    realised: dict[str, list[float]] = {m: [] for m in METRICS}
    intervals = []
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

    for start in range(0, len(ana), chunk):
        part = ana.iloc[start: start + chunk]
        if len(part) < chunk:
            break
        d = ScoreTable.of(np.zeros(len(part)), part.decision.to_numpy(), part.score.to_numpy()).counts[0]
        e = estimate_performance(d, p, rounds, rng=rng)
        c = weighted_correction(ref_strata, strata(part, False), rounds=50, rng=rng)
        assert c is not None and c.delta.shape == (STRATA_BINS,)
        w = estimate_performance(d, apply_correction(p, c.delta), apply_correction(rounds, np.resize(c.delta_rounds, (200, STRATA_BINS))),
                                 rng=rng)
        y, yhat = part.y.to_numpy(), part.decision.to_numpy()
        real = {"accuracy": accuracy_score(y, yhat), "precision": precision_score(y, yhat), "recall": recall_score(y, yhat),
                "f1": f1_score(y, yhat), "roc_auc": roc_auc_score(y, part.score)}
        for m in METRICS:
            plain[m].append(e.values[m])
            weighted[m].append(w.values[m])
            realised[m].append(real[m])
        intervals.append(({m: e.interval(m) for m in METRICS}, {m: w.interval(m) for m in METRICS}))
    return plain, weighted, realised, intervals, time.perf_counter() - t0


def main() -> None:  # size: writes the data, runs NannyML in its venv, prints the comparison
    parser = argparse.ArgumentParser()
    parser.add_argument("--nannyml-python", help="python of a venv with nannyml installed")
    parser.add_argument("--as-nannyml", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--chunk", type=int, default=5000)
    parser.add_argument("--chunks", type=int, default=24)
    args = parser.parse_args()
    if args.as_nannyml:
        as_nannyml(args.as_nannyml, args.chunk)
        return
    ref = make(50_000, 1)
    shift = np.repeat(np.linspace(0, 1.5, args.chunks), args.chunk)
    ana = make(args.chunk * args.chunks, 2, shift)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ref.to_parquet(folder / "reference.parquet")
        ana.to_parquet(folder / "analysis.parquet")
        subprocess.run([args.nannyml_python, __file__, "--as-nannyml", str(folder), "--chunk", str(args.chunk)], check=True)
        nml = json.loads((folder / "nannyml.json").read_text())
    plain, weighted, realised, intervals, seconds = raudit_chunks(ref, ana, args.chunk)
    print(f"reference 50,000 rows; {args.chunks} chunks of {args.chunk:,} rows, x2 drifting 0 → 1.5; NannyML {nml['version']} "
          f"(calibrated: {nml['calibrated']}, {nml['seconds']:.2f} s), raudit {seconds:.2f} s (with the weighted variant)")
    print("| metric | max abs(raudit CBPE − NannyML CBPE) | mean abs | MAE CBPE vs realised | MAE weighted vs realised | "
          "coverage CBPE 95 % | coverage weighted 95 % |")
    print("|---|---|---|---|---|---|---|")
    for m in METRICS:
        a, b, w, r = (np.array(x[m]) for x in (plain, nml, weighted, realised))
        cov = [float(np.mean([iv[j][m][0] <= rr <= iv[j][m][1] for iv, rr in zip(intervals, r)])) for j in (0, 1)]
        print(f"| {m} | {np.abs(a - b).max():.2e} | {np.abs(a - b).mean():.2e} | {np.abs(a - r).mean():.4f} | "
              f"{np.abs(w - r).mean():.4f} | {cov[0]:.2f} | {cov[1]:.2f} |")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
