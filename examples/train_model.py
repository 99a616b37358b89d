"""Train the example model: a scikit-learn pipeline saved with joblib.

Works on the generated lending data (default) and on any labelled CSV given
by path, e.g. UCI Adult::

    python examples/train_model.py --data ../shared/datasets/adult.csv \\
        --target income --exclude sex,race,fnlwgt --out examples/model-adult

It writes

- ``model.joblib``, trained inside :func:`raudit.track_training`, which records the training
  energy and a sketch of the training rows beside it (``model.joblib.raudit.json``): so an audit
  can say the audit data was held out, and report the real training energy;
- ``audit.csv``: the held-out rows (30 %) the model never saw, with the sensitive and id columns
  kept for the audit;
- ``validation.csv``: another held-out split (a seventh of the rest), the reference to profile for
  the drift check (``raudit profile``) -- never the training rows, whose in-sample performance
  would make any held-out data look like drift;
- ``train.csv``: the rows it was trained on (the privacy check's ``train_data``).
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

import raudit

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


def train(data: Path, *, target: str = "approved", exclude: str = DEFAULT_EXCLUDE, out: Path = Path("examples/model"),
          seed: int = 0) -> None:
    """Split ``data`` (train, validation, held-out audit rows), train under :func:`raudit.track_training`, write the files."""
    df = pd.read_csv(data)
    if "split" in df.columns:  # UCI Adult ships its own train/test split
        rest, test = df[df["split"] == "train"].drop(columns="split"), df[df["split"] != "train"].drop(columns="split")
    else:
        rest, test = train_test_split(df, test_size=0.3, random_state=seed, stratify=df[target])
    train_rows, validation = train_test_split(rest, test_size=1 / 7, random_state=seed, stratify=rest[target])
    excluded = [c for c in exclude.split(",") if c in df.columns]
    features = [c for c in train_rows.columns if c not in (*excluded, target)]

    out.mkdir(parents=True, exist_ok=True)
    path = out / "model.joblib"
    with raudit.track_training(path, data=train_rows[[*features, target]], params={"purpose": "raudit example"}):
        model = build_pipeline(train_rows[features], seed=seed).fit(train_rows[features], train_rows[target])
        joblib.dump(model, path)
    test.to_csv(out / "audit.csv", index=False)
    validation.to_csv(out / "validation.csv", index=False)
    train_rows.to_csv(out / "train.csv", index=False)
    acc = (model.predict(test[features]) == test[target]).mean()
    print(f"Trained on {len(train_rows):,} rows, {len(features)} input columns; held-out accuracy {acc:.3f}")
    print(f"Wrote {path} (with its training record), {out / 'audit.csv'} ({len(test):,} held-out rows), "
          f"{out / 'validation.csv'} ({len(validation):,} held-out rows for the drift reference) and "
          f"{out / 'train.csv'} ({len(train_rows):,} training rows)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("examples/data/credit.csv"))
    parser.add_argument("--target", default="approved")
    parser.add_argument("--exclude", default=DEFAULT_EXCLUDE, help="columns kept out of the model (sensitive, ids)")
    parser.add_argument("--out", type=Path, default=Path("examples/model"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    train(args.data, target=args.target, exclude=args.exclude, out=args.out, seed=args.seed)


if __name__ == "__main__":
    main()
