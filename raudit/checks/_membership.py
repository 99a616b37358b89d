"""Membership-inference attacks for the privacy check: the rows compared, the per-row signals, the attacks, their power.

Every attack gives each row a *membership score* (higher: "this row was in the training data"). The
rows are a balanced, seeded sample of members (the training rows) and non-members (the audit rows).

- **loss** (Yeom et al. 2018): the log-probability the model gives the true label (minus the loss);
- **confidence** (Salem et al. 2019): the highest predicted probability (needs no label);
- **modified entropy** (Song and Mittal 2021): minus ``−(1 − p_y) log p_y − Σ_{i≠y} p_i log(1 − p_i)``;
- **attack model** (TensorFlow Privacy's trained attack): a gradient-boosted classifier on those
  signals, the correctness and the class, cross-fitted (each row scored by a model that did not
  train on it);
- **label only** (Yeom et al.'s gap attack): 1 when the decision is right, else 0 — the attack on
  recorded decisions without scores;
- **reference models** (offline LiRA, Carlini et al. 2022, with a fixed variance): the target's
  logit of the true label minus the mean logit of ``k`` reference models refitted, on audit rows only,
  with the model's own hyper-parameters. The rows are split in two folds; the reference models of
  one fold are fitted on random halves of the *other* fold's non-members, so no row is ever scored by
  a model that saw it. With a variance shared by all rows, the LiRA likelihood ratio ranks rows as
  this difference does (Watson et al. 2022's difficulty calibration).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from raudit.plugin import AuditContext, Batch, Operating, Separation, epsilon_lower_bound, label_text, measure

#: Probabilities are clipped here before a logarithm (0 and 1 happen: nearest neighbours, pure leaves).
TINY = 1e-300
#: The two FPRs every attack is read at (Carlini et al. 2022).
LOW_FPR, HIGH_FPR = 0.001, 0.01


@dataclass(frozen=True)
class Rows:
    """The rows the attacks score: members first, then non-members, balanced and seeded.

    Attributes
    ----------
    member : ndarray of bool
    y, y_pred : ndarray
        True labels and the model's decisions.
    proba : ndarray of shape (n, n_classes) or None
    X : DataFrame
        The model's inputs (for the reference models).
    groups : mapping of str to ndarray
        Each grouping's label per row: sensitive columns, their pairs (``a × b``), the class.
    names : tuple of str
        How each member row is named in the report (its id, else its row in the training data).
    fold : ndarray of int
        0 or 1, half of the members and half of the non-members each (for the reference models).
    """

    member: np.ndarray
    y: np.ndarray
    y_pred: np.ndarray
    proba: np.ndarray | None
    X: pd.DataFrame
    groups: Mapping[str, np.ndarray]
    names: tuple[str, ...]
    fold: np.ndarray

    @property
    def n_members(self) -> int:
        """Members compared."""
        return int(self.member.sum())


def _take(batch: Batch, rows: np.ndarray) -> Batch:
    return batch.take(np.sort(rows))


def evaluation_rows(ctx: AuditContext, *, max_rows: int, intersections: bool) -> tuple[Rows, dict[str, int]]:
    """Balanced, seeded members and non-members, leaving out rows that are in both; and what was left out."""
    assert ctx.members is not None
    m = ctx.members
    rng = ctx.rng("privacy.rows")
    members, nonmembers = _balanced(m.batch, m.duplicates, ctx.sample, m.in_training, max_rows, rng)
    both = (members, nonmembers)
    member = np.r_[np.ones(len(members), bool), np.zeros(len(nonmembers), bool)]
    proba = None if members.y_proba is None or nonmembers.y_proba is None else np.vstack([members.y_proba, nonmembers.y_proba])
    y = np.concatenate([b.y for b in both])
    groups = _groupings(both, ctx.sensitive_columns, y, intersections=intersections)
    fold = np.empty(len(member), dtype=np.int64)
    for mask in (member, ~member):
        idx = np.flatnonzero(mask)
        fold[idx] = rng.permutation(len(idx)) % 2
    rows = Rows(member, y, np.concatenate([b.y_pred for b in both]), proba,
                pd.concat([b.X for b in both], ignore_index=True), groups, _names(ctx, members), fold)
    left_out = {"audit_rows_in_training_data": len(m.in_training), "training_rows_equal_to_audit_rows": len(m.duplicates),
                "members_available": len(m.batch) - len(m.duplicates), "nonmembers_available": len(ctx.sample) - len(m.in_training)}
    return rows, left_out


def _balanced(members: Batch, duplicates: np.ndarray, nonmembers: Batch, in_training: np.ndarray, max_rows: int,
              rng: np.random.Generator) -> tuple[Batch, Batch]:
    """Members and non-members less the rows in both, each cut to the same seeded size."""
    members = _take(members, np.flatnonzero(~np.isin(members.positions, duplicates)))
    nonmembers = _take(nonmembers, np.flatnonzero(~np.isin(nonmembers.positions, in_training)))
    n = min(len(members), len(nonmembers), max_rows)
    return tuple(_take(b, rng.choice(len(b), n, replace=False)) if len(b) > n else b for b in (members, nonmembers))  # type: ignore[return-value]


def _groupings(both: tuple[Batch, Batch], sensitive: tuple[str, ...], y: np.ndarray, *, intersections: bool) -> dict[str, np.ndarray]:
    """Each sensitive column's group per row, every pair's (``a × b``: ``x & y``), and the class."""
    groups: dict[str, np.ndarray] = {k: np.concatenate([b.groups[k] for b in both]).astype(str) for k in sensitive}
    if intersections:
        for i, a in enumerate(sensitive):
            for b in sensitive[i + 1:]:
                groups[f"{a} × {b}"] = np.char.add(np.char.add(groups[a], " & "), groups[b])
    groups["class"] = np.array([label_text(v) for v in y], dtype=str)
    return groups


def _names(ctx: AuditContext, members: Batch) -> tuple[str, ...]:
    column = ctx.id_column
    if column is not None and column in members.frame.columns:
        return tuple(f"{column} {label_text(v)}" for v in members.frame[column].tolist())
    return tuple(f"training row {p} (0-based)" for p in members.positions.tolist())


# -- per-row signals ---------------------------------------------------------------------------------------------
def class_index(classes: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Column of each label in ``classes`` (-1 for a label not there)."""
    return pd.Index(list(classes)).get_indexer(list(y))


def true_class(proba: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The probability of the true label and the sum of the others (0 for a label the model lacks)."""
    onehot = np.zeros_like(proba, dtype=bool)
    ok = index >= 0
    onehot[np.flatnonzero(ok), index[ok]] = True
    return np.where(onehot, proba, 0.0).sum(axis=1), np.where(onehot, 0.0, proba).sum(axis=1)


def logit(proba: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``log p_y − log Σ_{i≠y} p_i``, each side clipped at :data:`TINY` (Carlini et al.'s scaled logit)."""
    p_y, rest = true_class(proba, index)
    return np.log(np.maximum(p_y, TINY)) - np.log(np.maximum(rest, TINY))


def signal_scores(rows: Rows, classes: np.ndarray) -> dict[str, np.ndarray]:
    """Membership scores that need no retraining: loss, confidence, modified entropy (with scores); label only (always)."""
    out: dict[str, np.ndarray] = {}
    if rows.proba is not None:
        proba = rows.proba
        index = class_index(classes, rows.y)
        p_y, _ = true_class(proba, index)
        log = lambda x: np.log(np.maximum(x, TINY))  # noqa: E731
        others = np.where(np.arange(proba.shape[1])[None, :] == index[:, None], 0.0, proba * log(1 - proba))
        out["loss"] = log(p_y)
        out["confidence"] = proba.max(axis=1)
        out["modified_entropy"] = (1 - p_y) * log(p_y) + others.sum(axis=1)
    out["label_only"] = (rows.y_pred == rows.y).astype(float)
    return out


def attack_model_scores(rows: Rows, signals: Mapping[str, np.ndarray], classes: np.ndarray, *, folds: int, seed: int) -> np.ndarray:
    """Out-of-fold membership probabilities of a gradient-boosted classifier on the signals, correctness and class."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold

    features = np.column_stack([signals["loss"], signals["confidence"], signals["modified_entropy"], signals["label_only"],
                                class_index(classes, rows.y)])
    target = rows.member.astype(int)
    out = np.empty(len(target))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(features, target):
        model = HistGradientBoostingClassifier(max_iter=100, max_leaf_nodes=15, learning_rate=0.1, early_stopping=False,
                                               random_state=seed).fit(features[train], target[train])
        out[test] = model.predict_proba(features[test])[:, 1]
    return out


# -- the reference-model attack ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReferenceCost:
    """What the reference models cost: how many, on how many rows, the time and the measured energy."""

    models: int
    rows_per_model: int
    seconds: float
    measurement: Mapping[str, Any]


def refittable(model: Any) -> str | None:
    """Why ``model`` cannot be refitted (``None`` when a scikit-learn clone of it can be made)."""
    from sklearn.base import clone

    try:
        clone(model)
    except Exception as exc:
        return (f"the model cannot be refitted ({type(exc).__name__}: {str(exc)[:120]}): the reference-model attack needs a "
                "scikit-learn-compatible estimator (scikit-learn, XGBoost, LightGBM), so it was not run")
    return None


def _fresh(model: Any, seed: int) -> Any:
    """A clone with its own seed, no cache folder and no parallel jobs (its parameters came from the model file)."""
    from sklearn.base import clone

    twin = clone(model)
    params = twin.get_params(deep=True)
    off: dict[str, Any] = {k: (None if k.split("__")[-1] == "memory" else 1) for k in params
                           if k.split("__")[-1] in ("memory", "n_jobs") and params[k] is not None}
    off.update({k: seed for k in params if k.split("__")[-1] in ("random_state", "seed") and isinstance(params[k], (int, type(None)))})
    return twin.set_params(**off)


def reference_scores(model: Any, rows: Rows, classes: np.ndarray, *, k: int, seed: int, country: str,
                     text_column: str | None = None) -> tuple[np.ndarray, ReferenceCost]:
    """The target's logit of the true label minus the mean logit of the reference models that never saw the row.

    ``k`` models, half per fold (the odd one to fold 0): those scoring fold ``f`` are each fitted on a
    seeded half of the non-members of the other fold. The fits and predictions run under codecarbon.
    """
    assert rows.proba is not None
    rng = np.random.default_rng([seed, *b"privacy.reference"])
    index = class_index(classes, rows.y)
    target = logit(rows.proba, index)
    X = rows.X[text_column] if text_column is not None else rows.X
    plan = [(f, rng.choice(pool, size=max(len(pool) // 2, 1), replace=False))
            for i in range(k) for f in [i % 2] for pool in [np.flatnonzero(~rows.member & (rows.fold != f))]]

    def fit_and_score() -> np.ndarray:
        sums, counts = np.zeros(len(target)), np.zeros(len(target))
        for i, (f, train) in enumerate(plan):
            twin = _fresh(model, seed + i).fit(X.iloc[np.sort(train)], rows.y[np.sort(train)])
            scored = np.flatnonzero(rows.fold == f)
            proba = np.asarray(twin.predict_proba(X.iloc[scored]), dtype=float)
            sums[scored] += logit(proba, class_index(np.asarray(twin.classes_), rows.y[scored]))
            counts[scored] += 1
        return sums / np.maximum(counts, 1)

    t0 = time.perf_counter()
    reference, measured = measure(fit_and_score, country=country)
    cost = ReferenceCost(k, int(np.mean([len(t) for _, t in plan])), time.perf_counter() - t0, measured.to_dict())
    return target - reference, cost


# -- how well a score separates members from non-members ------------------------------------------------------
@dataclass(frozen=True)
class Leakage:
    """One attack's power on one set of rows, with intervals at ``level``.

    ``auc_ci`` and ``advantage_ci``: stratified bootstrap percentiles; the TPRs: Clopper–Pearson;
    ``epsilon``: :func:`raudit.plugin.epsilon_lower_bound` at the 0.1 % and 1 % FPR thresholds (the larger).
    """

    members: int
    nonmembers: int
    level: float
    auc: float
    auc_ci: tuple[float, float]
    auc_var: float
    advantage: float
    advantage_ci: tuple[float, float]
    low: Operating
    high: Operating
    tpr_low_ci: tuple[float, float]
    tpr_high_ci: tuple[float, float]
    epsilon: float


def leakage(scores: np.ndarray, member: np.ndarray, *, level: float, replicates: int, rng: np.random.Generator,
            delta: float) -> Leakage:
    """Measure one attack on one set of rows."""
    sep = Separation.of(scores[member], scores[~member])
    aucs, advantages = sep.bootstrap(rng, replicates)
    tail = (1 - level) / 2 * 100
    low, high = sep.at_fpr(LOW_FPR), sep.at_fpr(HIGH_FPR)
    eps = max(epsilon_lower_bound(op, level=level, delta=delta) for op in (low, high))

    def pct(a: np.ndarray) -> tuple[float, float]:
        a = a[np.isfinite(a)]
        return (float(np.percentile(a, tail)), float(np.percentile(a, 100 - tail))) if len(a) else (math.nan, math.nan)

    return Leakage(sep.positives, sep.negatives, level, sep.auc(), pct(aucs), sep.delong_variance(), sep.advantage(),
                   pct(advantages), low, high, low.tpr_interval(level), high.tpr_interval(level), eps)


def exposed(scores: np.ndarray, rows: Rows, count: int) -> list[tuple[str, float, float]]:
    """The members the attack is surest of: name, score, and the share of non-members scoring at least as high."""
    members = np.flatnonzero(rows.member)
    negatives = np.sort(scores[~rows.member])
    order = members[np.argsort(-scores[members], kind="stable")][:count]
    as_high = (len(negatives) - np.searchsorted(negatives, scores[order], "left")) / max(len(negatives), 1)
    return [(rows.names[i], float(scores[i]), float(share)) for i, share in zip(order, as_high)]

