"""What both explanation checks share: which class is explained, which rows LIME explains, the stratified SHAP sample.

A check explains rows of the audit's seeded sample; these helpers choose them and check, before
anything is predicted, that configured rows and classes exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from raudit.plugin import AuditContext, ConfigError, Facts

__all__ = ["check_explain_class", "explained_class", "check_lime_rows", "lime_rows", "strata", "stratified_sample"]


def check_explain_class(facts: Facts, configured: Any, check: str) -> None:
    """A configured ``explain_class`` must be one of the classes (exit 2 before anything is predicted)."""
    classes = facts.classes
    if configured is None or facts.task == "regression" or classes is None:
        return
    if not any(str(c) == str(configured) for c in classes):
        raise ConfigError(f"[check.{check}].explain_class {configured!r} is not one of {[str(c) for c in classes]}")


def explained_class(ctx: AuditContext, configured: Any) -> tuple[Any, str]:
    """Index of the explained class (scalar, or per sampled row for multiclass) and its label."""
    if ctx.task == "regression":
        return None, "the prediction"
    classes = ctx.classes
    assert classes is not None
    if configured is not None:
        return next(i for i, c in enumerate(classes) if str(c) == str(configured)), str(configured)
    if ctx.task == "binary":
        return int(np.flatnonzero(classes == ctx.positive_label)[0]), str(ctx.positive_label)
    lookup = {c: i for i, c in enumerate(classes.tolist())}
    return np.array([lookup[p] for p in ctx.sample.y_pred.tolist()]), "the predicted class"


def check_lime_rows(facts: Facts, rows: Sequence[int], check: str) -> None:
    """Configured LIME rows must be rows of the data and of the audit's sample (explanations run on the sample)."""
    bad = [r for r in rows if r >= facts.n_rows]
    if bad:
        raise ConfigError(f"[check.{check}].lime_rows {bad} are outside the data's {facts.n_rows:,} rows",
                          hint=f"row positions are 0-based: 0 to {facts.n_rows - 1}")
    if not rows:
        return
    sampled = set(facts.sampled_positions().tolist())
    absent = [r for r in rows if r not in sampled]
    if absent:
        raise ConfigError(f"[check.{check}].lime_rows {absent[:5]} are not among the {len(sampled):,} sampled rows",
                          hint=f"explanations work on a seeded sample of sample_rows = {facts.plan.sample_rows:,} rows; raise "
                               "sample_rows above the data's row count to choose any row")


def lime_rows(ctx: AuditContext, configured: Sequence[int], misclassified: int) -> list[tuple[int, str]]:
    """Rows LIME explains (positions in the sample): the configured ones, else chosen by what the model said.

    Explicit ones, else, among the sampled rows, the most confident each way, the most uncertain and the most
    confidently misclassified.
    """
    S = ctx.sample
    n = len(S)
    if configured:
        return [(int(np.searchsorted(S.positions, r)), "chosen") for r in configured]
    chosen: list[tuple[int, str]] = []

    def add(r: int, why: str) -> None:
        if r not in [c for c, _ in chosen]:
            chosen.append((int(r), why))

    if ctx.task == "regression":
        pred = S.y_pred.astype(float)
        add(int(np.argmax(pred)), "highest prediction")
        add(int(np.argmin(pred)), "lowest prediction")
        add(int(np.argsort(pred, kind="stable")[n // 2]), "median prediction")
        for r in np.argsort(-np.abs(S.y - pred), kind="stable")[: misclassified]:
            add(int(r), "largest error")
        return chosen
    score = ctx.score(S)
    if score is None and S.y_proba is not None:
        score = S.y_proba.max(axis=1)
    if score is None:
        return chosen
    if ctx.task == "binary":
        add(int(np.argmax(score)), "most confident positive")
        add(int(np.argmin(score)), "most confident negative")
        add(int(np.argmin(np.abs(score - 0.5))), "most uncertain")
    else:
        add(int(np.argmax(score)), "most confident")
        add(int(np.argmin(score)), "least confident")
    wrong = np.flatnonzero(S.y_pred != S.y)
    confidence = np.abs(score - 0.5) if ctx.task == "binary" else score
    for r in wrong[np.argsort(-confidence[wrong], kind="stable")][: misclassified]:
        add(int(r), "misclassified")
    return chosen


def strata(ctx: AuditContext) -> np.ndarray:
    y = ctx.sample.y
    label = pd.Series(y).astype(str) if ctx.task != "regression" else pd.Series(pd.qcut(y, 4, duplicates="drop")).astype(str)
    if ctx.sensitive_columns:
        label = label + "|" + ctx.sample.groups[ctx.sensitive_columns[0]].astype(str)
    return label.to_numpy()


def stratified_sample(strata: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Seeded sample of row positions, allocated to strata in proportion (largest remainders)."""
    n = len(strata)
    if size >= n:
        return np.arange(n)
    names, codes = np.unique(strata, return_inverse=True)
    counts = np.bincount(codes)
    quota = counts * size / n
    take = np.floor(quota).astype(int)
    rest = size - take.sum()
    take[np.argsort(-(quota - take), kind="stable")[:rest]] += 1
    out = [rng.choice(np.flatnonzero(codes == g), size=t, replace=False) for g, t in enumerate(take) if t]
    return np.sort(np.concatenate(out))
