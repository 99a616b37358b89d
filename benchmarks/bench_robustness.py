"""Time the robustness check: UCI Adult (HistGradientBoosting, 1,000 sampled rows × all 12 inputs) or the quickstart model.

``adult`` (default): the model (one-hot + HistGradientBoosting in a pipeline, like bench_explanations.py) takes
every column but the label and the two sensitive ones (sex, race); the audit data is the 30 % test split (14,653
rows). The check perturbs 1,000 of its rows in every input column (steps, bisection, every category) and all
14,653 with the joint noise (``noise_rows`` = 20,000 caps it). ``example``: the quickstart's model on its 6,000
audit rows with examples/raudit.toml (examples/quickstart.sh must have run). Prints the check's time (median of
``--repeat`` runs), its model calls and rows predicted, the load average while measuring (other sessions share
the machine), and the flip rates of ``x 1.01`` and ``x 0.99`` per column, to set beside giskard_compare.py's.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_robustness.py [adult|example] [--repeat N] [--save-proba F.npy]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

ROOT = Path(__file__).resolve().parents[1]


def adult_model(path: Path) -> tuple[Pipeline, pd.DataFrame, list[str]]:
    """The fitted pipeline, the 30 % test split and the model's input columns."""
    df = pd.read_csv(path).drop(columns=["split"])
    df["income"] = df["income"].str.rstrip(".")
    train, test = train_test_split(df, test_size=0.3, random_state=0, stratify=df["income"])
    features = [c for c in df.columns if c not in ("income", "sex", "race")]
    cat = [c for c in features if not pd.api.types.is_numeric_dtype(df[c])]
    pre = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), cat)],
                            remainder="passthrough")
    model = Pipeline([("pre", pre), ("m", HistGradientBoostingClassifier(random_state=0))])
    return model.fit(train[features], train["income"]), test, features


def _setup(which: str) -> tuple[Any, pd.DataFrame, list[str], dict[str, Any]]:
    if which == "adult":
        model, test, features = adult_model(ROOT.parent / "shared" / "datasets" / "adult.csv")
        return model, test, features, {"target": "income", "sensitive": ["sex", "race"]}
    import joblib

    model = joblib.load(ROOT / "examples" / "model" / "model.joblib")  # our own file: no need for raudit's safe loader here
    config = tomllib.loads((ROOT / "examples" / "raudit.toml").read_text())
    return model, pd.read_csv(ROOT / "examples" / "model" / "audit.csv"), list(model.feature_names_in_), config


def main() -> None:
    import numpy as np

    import raudit  # here, so that giskard_compare.py (another venv, no raudit) can import adult_model

    parser = argparse.ArgumentParser()
    parser.add_argument("which", nargs="?", choices=["adult", "example"], default="adult")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--save-proba", type=Path, help="save the model's predict_proba on the audit rows (giskard_compare.py)")
    args = parser.parse_args()
    model, data, features, config = _setup(args.which)
    if args.save_proba:
        np.save(args.save_proba, model.predict_proba(data[features]))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
    print(f"audit rows: {len(data):,}; {len(features)} input columns: {', '.join(features)}")
    checks, loads = [], []
    for _ in range(args.repeat):
        loads.append(os.getloadavg()[0])
        report = raudit.audit(model, data, config={**config, "checks": ["robustness"]})
        checks.append(report["robustness"].duration_s)
    r = report["robustness"]
    m, d = r.metrics, r.details
    print(f"robustness check: {statistics.median(checks):.2f} s median of {args.repeat} (runs: "
          f"{', '.join(f'{c:.2f}' for c in checks)}); load average (1 min) at each start: {', '.join(f'{v:.2f}' for v in loads)}")
    print(f"rows perturbed in every column: {m['rows_perturbed']:,}; rows given joint noise: {m['rows_noise']:,}; "
          f"model calls: {m['model_calls']}; rows predicted: {m['rows_predicted']:,}")
    print(f"status {r.status}: {r.summary}")
    for c in d["columns"]:
        one = next(s for s in c["steps"] if s["step"] == "±1 %")
        rate = "—" if one["rate"] is None else f"{one['rate']:.4f}"
        print(f"  {c['column']:>24}: x 1.01 {one['flips_up']:>3} / x 0.99 {one['flips_down']:>3} of {one['rows']:,} moved; "
              f"±1 % either way {rate} ({one['status']}); bisection rounds {c['bisection_rounds']}")
    for p in d["perturbations"]:
        rate = "—" if p["rate"] is None else f"{p['rate']:.4f}"
        print(f"  {p['perturbation']}: {p['flips']:,} of {p['rows']:,} changed rows ({rate})")


if __name__ == "__main__":
    main()
