"""The privacy check on UCI Adult: time, peak memory, attack AUC and TPR at 1 % FPR, for the example model and an overfit one.

Each model is trained on Adult's own training split (32,561 rows: the members) and audited on its test split
(16,281 rows: the non-members) with only the privacy check, k = 4 reference models (the default), in a child
process whose peak RSS is read. The time is the check's own (``duration_s``: rows balanced, every attack, the
reference refits, bootstraps, per-group) and the whole audit's wall time (load, both passes, the training rows'
pass, report assembly).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_privacy.py
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ADULT = ROOT.parent / "shared" / "datasets" / "adult.csv"
SENSITIVE = ["sex", "race"]


def models() -> dict[str, object]:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import Pipeline

    sys.path.insert(0, str(ROOT / "examples"))
    from train_model import build_pipeline

    def example(X):
        return build_pipeline(X)

    def overfit(X):  # unpruned trees, no bootstrap: every training row sits alone in a leaf of every tree
        pipe = build_pipeline(X)
        return Pipeline([pipe.steps[0], ("model", RandomForestClassifier(100, bootstrap=False, max_features=0.5, random_state=0))])

    return {"example (HistGradientBoosting)": example, "overfit (unpruned random forest)": overfit}


def run(label: str, build, out: Path) -> None:
    """In a child process: train, audit with the privacy check only, write the numbers to ``out``."""
    import pandas as pd

    import raudit

    data = pd.read_csv(ADULT)
    train, test = data[data["split"] == "train"].drop(columns="split"), data[data["split"] != "train"].drop(columns="split")
    features = [c for c in train.columns if c not in ("income", "fnlwgt", *SENSITIVE)]
    model = build(train[features]).fit(train[features], train["income"])
    t0 = time.perf_counter()
    report = raudit.audit(model, test, target="income", sensitive=SENSITIVE, checks=["privacy"], train_data=train)
    wall = time.perf_counter() - t0
    p = report["privacy"]
    head = p.details["attacks"][p.details["headline_attack"]]
    out.write_text(json.dumps({"label": label, "wall": wall, "check": p.duration_s, "status": p.status, "rows": p.details["rows"],
                               "headline": p.details["headline_attack"], "auc": head["auc"], "auc_ci": head["auc_ci"],
                               "tpr1": head["tpr_at_1pct_fpr"], "tpr1_ci": head["tpr_at_1pct_fpr_ci"],
                               "attacks": {k: (a["auc"], a["tpr_at_1pct_fpr"]) for k, a in p.details["attacks"].items()},
                               "reference_s": p.details["reference"]["seconds"], "group": p.details["most_exposed_group"],
                               "epsilon": p.metrics["epsilon_lower_bound"],
                               "timings": report.lineage["engine"]["timings_s"]}))


def main() -> None:
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}; load average before: {os.getloadavg()}")
    for label, build in models().items():
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "result.json"
            pid = os.fork()
            if pid == 0:
                code = 0
                try:
                    run(label, build, out)
                except BaseException:
                    import traceback

                    traceback.print_exc()
                    code = 1
                finally:
                    os._exit(code)
            _, status, usage = os.wait4(pid, 0)
            r = json.loads(out.read_text())
        rows = r["rows"]
        print(f"\n{label}: status {r['status']}; {rows['members']:,} members vs {rows['nonmembers']:,} non-members "
              f"(of {rows['training_rows']:,} training rows; {rows['audit_rows_in_training_data']} audit rows also in training, "
              "left out)")
        print(f"  privacy check {r['check']:.1f} s (reference refits {r['reference_s']:.1f} s); whole audit {r['wall']:.1f} s; "
              f"peak RSS {usage.ru_maxrss / 1024:.0f} MB")
        print(f"  strongest attack {r['headline']}: AUC {r['auc']:.3f} ({r['auc_ci'][0]:.3f}-{r['auc_ci'][1]:.3f}), TPR at 1 % FPR "
              f"{r['tpr1']:.2%} ({r['tpr1_ci'][0]:.2%}-{r['tpr1_ci'][1]:.2%}); eps >= {r['epsilon']:.2f}; most exposed {r['group']}")
        print("  every attack (AUC, TPR@1%FPR): " + ", ".join(f"{k} {a:.3f}/{t:.2%}" for k, (a, t) in r["attacks"].items()))
        print(f"  engine timings: {r['timings']}")
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
