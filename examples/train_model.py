"""Train the example model: a scikit-learn pipeline saved with joblib.

Works on the generated lending data (default) and on any labelled CSV given
by path, e.g. UCI Adult::

    python examples/train_model.py --data ../shared/datasets/adult.csv \\
        --target income --exclude sex,race,fnlwgt --out examples/model-adult

It writes ``model.joblib``, ``audit.csv`` (the held-out rows the model
never saw, with the sensitive and id columns kept for the audit) and
``train.csv`` (the rows it was trained on, for the privacy check's
``train_data``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import joblib
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

DEFAULT_EXCLUDE = "applicant_id,sex,ethnicity"


def build_pipeline(X: pd.DataFrame, *, seed: int = 0) -> Pipeline:
    """One-hot encode the text columns, pass numbers through, gradient-boost."""
    categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    numeric = [c for c in X.columns if c not in categorical]
    pre = ColumnTransformer(
        [("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
         ("num", "passthrough", numeric)],
        verbose_feature_names_out=False,
    )
    clf = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.08, max_leaf_nodes=31, random_state=seed)
    return Pipeline([("preprocess", pre), ("model", clf)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("examples/data/credit.csv"))
    parser.add_argument("--target", default="approved")
    parser.add_argument("--exclude", default=DEFAULT_EXCLUDE, help="columns kept out of the model (sensitive, ids)")
    parser.add_argument("--out", type=Path, default=Path("examples/model"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    df = pd.read_csv(args.data)
    if "split" in df.columns:  # UCI Adult ships its own train/test split
        train, test = df[df["split"] == "train"].drop(columns="split"), df[df["split"] != "train"].drop(columns="split")
    else:
        train, test = train_test_split(df, test_size=0.3, random_state=args.seed, stratify=df[args.target])
    excluded = [c for c in args.exclude.split(",") if c in df.columns]
    features = [c for c in train.columns if c not in (*excluded, args.target)]
    model = build_pipeline(train[features], seed=args.seed).fit(train[features], train[args.target])

    args.out.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, args.out / "model.joblib")
    test.to_csv(args.out / "audit.csv", index=False)
    train.to_csv(args.out / "train.csv", index=False)  # the members, for the privacy check (train_data)
    acc = (model.predict(test[features]) == test[args.target]).mean()
    print(f"Trained on {len(train):,} rows, {len(features)} input columns; held-out accuracy {acc:.3f}")
    print(f"Wrote {args.out / 'model.joblib'}, {args.out / 'audit.csv'} ({len(test):,} rows) and {args.out / 'train.csv'} "
          f"({len(train):,} training rows)")


if __name__ == "__main__":
    main()
