"""Time the explanations check on a 30 % test split of UCI Adult (≈14.6k rows), default sample sizes.

Two models: the fast path (HistGradientBoosting in a pipeline -> TreeExplainer)
and the model-agnostic path (a small MLP -> PermutationExplainer).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_explanations.py [--adult PATH]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import raudit

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--adult", type=Path, default=ROOT.parent / "shared" / "datasets" / "adult.csv")
    args = parser.parse_args()
    df = pd.read_csv(args.adult).drop(columns=["split"])
    df["income"] = df["income"].str.rstrip(".")
    train, test = train_test_split(df, test_size=0.3, random_state=0, stratify=df["income"])
    features = [c for c in df.columns if c not in ("income", "sex", "race", "fnlwgt")]
    cat = [c for c in features if not pd.api.types.is_numeric_dtype(df[c])]
    num = [c for c in features if c not in cat]
    pre = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), cat),
                             ("num", StandardScaler(), num)])
    models = {
        "HistGradientBoosting (tree path)": Pipeline([("pre", pre), ("m", HistGradientBoostingClassifier(random_state=0))]),
        "MLP (model-agnostic path)": Pipeline([("pre", pre), ("m", MLPClassifier((32,), max_iter=60, random_state=0))]),
    }
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
    print(f"audit rows: {len(test):,} (30 % split of {len(df):,}); {len(features)} input columns")
    for name, model in models.items():
        model.fit(train[features], train["income"])
        t0 = time.perf_counter()
        report = raudit.audit(model, test, target="income", sensitive=["sex", "race"], checks=["explanations"])
        wall = time.perf_counter() - t0
        r = report["explanations"]
        print(f"{name}: check {r.duration_s:.1f} s (audit call {wall:.1f} s, includes predicting once); "
              f"sample {r.metrics['sample_size']}, background {r.metrics['background_size']}, "
              f"LIME rows {r.metrics.get('lime_rows')}; method: {r.details['method']}; status {r.status}")


if __name__ == "__main__":
    main()
