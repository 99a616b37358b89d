"""Giskard 2.x's numerical-perturbation detector on the models raudit's robustness benchmark uses, for comparison.

Giskard needs numpy 1.26 and scipy 1.11, so it runs in its own venv, without raudit:

    python3 -m venv /tmp/giskard-venv && /tmp/giskard-venv/bin/pip install giskard==2.19.2 scikit-learn
    OMP_NUM_THREADS=1 /tmp/giskard-venv/bin/python benchmarks/giskard_compare.py example   # the quickstart's model
    OMP_NUM_THREADS=1 /tmp/giskard-venv/bin/python benchmarks/giskard_compare.py adult     # UCI Adult, as bench_robustness.py

The models are refitted here from the same data, split and code (numpy 1.26 cannot unpickle numpy 2's);
``--proba FILE`` compares their probabilities with those the raudit venv's model gives (``bench_robustness.py
--save-proba FILE``), to show it is the same model. The detector multiplies each numeric input by 1.01, by
0.99, and adds Gaussian noise N(0, 0.01), one column at a time, on up to 1,000 of the rows whose value changed
(integers are rounded, so small changes of a whole number change nothing), and flags a column when at least
5 % of the decisions change. The threshold is set to 1e-9 here so that every rate is printed, not only those
above 5 %.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def example() -> tuple[object, pd.DataFrame, list[str], str]:
    """The quickstart's model and its audit rows (examples/quickstart.sh must have run)."""
    sys.path.insert(0, str(ROOT / "examples"))
    from sklearn.model_selection import train_test_split
    from train_model import DEFAULT_EXCLUDE, build_pipeline

    df = pd.read_csv(ROOT / "examples" / "data" / "credit.csv")
    train, _ = train_test_split(df, test_size=0.3, random_state=0, stratify=df["approved"])
    features = [c for c in train.columns if c not in (*DEFAULT_EXCLUDE.split(","), "approved")]
    model = build_pipeline(train[features]).fit(train[features], train["approved"])
    return model, pd.read_csv(ROOT / "examples" / "model" / "audit.csv"), features, "approved"


def adult() -> tuple[object, pd.DataFrame, list[str], str]:
    """bench_robustness.py's Adult pipeline and test split."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_robustness import adult_model

    model, test, features = adult_model(ROOT.parent / "shared" / "datasets" / "adult.csv")
    return model, test, features, "income"


def detect(model: object, data: pd.DataFrame, features: list[str], target: str) -> None:
    """Run the detector, print its time and every (column, transformation) flip rate."""
    import giskard
    from giskard.scanner.robustness.numerical_perturbation_detector import NumericalPerturbationDetector

    data = data[[*features, target]].assign(**{target: data[target].astype(str)}).reset_index(drop=True)
    wrapped = giskard.Model(model=lambda df: model.predict_proba(df[features]),  # type: ignore[attr-defined]
                            model_type="classification", classification_labels=[str(c) for c in model.classes_],  # type: ignore[attr-defined]
                            feature_names=features)
    categorical = [c for c in features if not pd.api.types.is_numeric_dtype(data[c])]
    dataset = giskard.Dataset(data, target=target, cat_columns=categorical)
    print(f"giskard {giskard.__version__}, numpy {np.__version__}; {len(data):,} rows; numeric inputs: "
          f"{', '.join(c for c in features if c not in categorical)}; load average {os.getloadavg()[0]:.2f}")
    t0 = time.perf_counter()
    issues = NumericalPerturbationDetector(threshold=1e-9).run(wrapped, dataset, features=features)
    print(f"detector: {time.perf_counter() - t0:.2f} s; (column, transformation) pairs with a flip: {len(issues)}")
    for issue in sorted(issues, key=lambda i: (i.features[0], _name(i.transformation_fn))):
        meta = issue.meta
        print(f"  {issue.features[0]:>24} {_name(issue.transformation_fn):>14}: {meta['failed_size']:>4} of "
              f"{meta['slice_size']:>4} = {meta['fail_rate']:.4f}")


def _name(fn: object) -> str:
    return f"x {fn.factor:g}" if hasattr(fn, "factor") else f"+ N(0, {getattr(fn, 'std', '?')})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("which", choices=["example", "adult"])
    parser.add_argument("--proba", help="a .npy of the same model's predict_proba on the same rows, from raudit's venv")
    args = parser.parse_args()
    logging.getLogger("giskard").setLevel(logging.WARNING)
    model, data, features, target = example() if args.which == "example" else adult()
    if args.proba:
        theirs = np.load(args.proba)
        print(f"largest difference from raudit's venv's probabilities: {np.abs(model.predict_proba(data[features]) - theirs).max():.2e}")
    detect(model, data, features, target)


if __name__ == "__main__":
    main()
