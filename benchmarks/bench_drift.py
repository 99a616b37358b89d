"""Time and size of a reference profile and of the drift check on UCI Adult: its 30 % test split and 1,000,000 rows.

The model (HistGradientBoosting in a pipeline, sex, race and fnlwgt left out) is trained on the 70 % split, which is
profiled as the reference. The audited data is the 30 % split (14,653 rows), then Adult resampled with replacement to
1,000,000 rows (seeded). Threads are pinned to one with threadpoolctl. For each size: the time to build a profile of
the rows in process (the model's predictions included), its JSON size, the drift check's own time (it profiles the
audited rows, then compares) and the whole audit call; at 1,000,000 rows also a profile built from ten chunks of
100,000 rows, which must equal the one-piece profile byte for byte.

    .venv/bin/python benchmarks/bench_drift.py [--adult PATH]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

import raudit
from raudit.api.prepare import profile_of
from raudit.config import AuditConfig
from raudit.engine.profile import Profile, profile_frame
from raudit.load.adapters import adapt

ROOT = Path(__file__).resolve().parents[1]
SENSITIVE = ["sex", "race"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--adult", type=Path, default=ROOT.parent / "shared" / "datasets" / "adult.csv")
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    df = pd.read_csv(args.adult).drop(columns=["split"])
    train, test = train_test_split(df, test_size=0.3, random_state=0, stratify=df["income"])
    features = [c for c in df.columns if c not in ("income", "sex", "race", "fnlwgt")]
    cat = [c for c in features if not pd.api.types.is_numeric_dtype(df[c])]
    pre = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), cat),
                             ("num", StandardScaler(), [c for c in features if c not in cat])])
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"numpy {np.__version__}, pandas {pd.__version__}; threads pinned to 1 (threadpoolctl)")
    with threadpool_limits(1), tempfile.TemporaryDirectory() as tmp:
        model = Pipeline([("pre", pre), ("m", HistGradientBoostingClassifier(random_state=0))])
        model.fit(train[features], train["income"])
        model_path = Path(tmp) / "model.joblib"
        joblib.dump(model, model_path)
        adapter = adapt(model)
        config = AuditConfig.from_mapping({"target": "income", "sensitive": list(SENSITIVE)})
        t0 = time.perf_counter()
        reference, _roles = profile_of(adapter, train, config)
        ref_path = Path(tmp) / "reference.profile.json"
        ref_path.write_text(reference.to_json(), encoding="utf-8")
        print(f"reference: the 70 % split, {len(train):,} rows: profile {time.perf_counter() - t0:.2f} s, "
              f"{ref_path.stat().st_size / 1024:.1f} KB")
        big = df.sample(n=args.rows, replace=True, random_state=0).reset_index(drop=True)
        def profile(data: pd.DataFrame, pred: np.ndarray, proba: np.ndarray, rows: slice) -> Profile:
            return profile_frame(data.iloc[rows], inputs=features, sensitive=SENSITIVE, target="income",
                                 y=data["income"].to_numpy()[rows], y_pred=pred[rows], y_score=proba[rows], task="binary",
                                 classes=list(model.classes_), positive_label=model.classes_[1])

        for label, data in ((f"30 % test split, {len(test):,} rows", test), (f"Adult resampled, {len(big):,} rows", big)):
            X = data[list(model.feature_names_in_)]
            t0 = time.perf_counter()
            proba, pred = model.predict_proba(X)[:, 1], model.predict(X)
            predict = time.perf_counter() - t0

            t0 = time.perf_counter()
            whole = profile(data, pred, proba, slice(None))
            build = time.perf_counter() - t0
            size = len(whole.to_json().encode("utf-8"))
            t0 = time.perf_counter()
            report = raudit.audit(model_path, data, target="income", sensitive=SENSITIVE, checks=["drift"], reference=ref_path)
            wall = time.perf_counter() - t0
            r = report["drift"]
            print(f"{label}: profile {build:.2f} s (+ {predict:.2f} s for the model's predict and predict_proba), "
                  f"{size / 1024:.1f} KB; drift check {r.duration_s:.2f} s (audit call {wall:.1f} s, includes loading and "
                  f"predicting once); status {r.status}, {r.metrics['columns_compared']} columns, max PSI {r.metrics['max_psi']:.4f}")
            if len(data) >= 1_000_000:
                t0 = time.perf_counter()
                chunks = None
                for start in range(0, len(data), 100_000):
                    p = profile(data, pred, proba, slice(start, start + 100_000))
                    chunks = p if chunks is None else chunks + p
                chunked = time.perf_counter() - t0
                assert chunks is not None and chunks.to_json() == whole.to_json()
                print(f"  ten chunks of 100,000 rows, profiled and merged: {chunked:.2f} s; equal to the one-piece profile "
                      "byte for byte")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
