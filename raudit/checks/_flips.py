"""The perturbations of the robustness check and the decisions they flip: steps, minimum flips, categories, noise.

Every function here takes a :class:`~raudit.checks._perturb.Predictor` (the rows and the model) and
the :class:`~raudit.checks._perturb.ColumnPlan` of the columns it perturbs, builds every perturbed
copy of a stage at once and asks the model once per stage (split only at ``batch_rows``).

Numbers (:func:`numeric_flips`)
    Each value is moved up and down by each step, a share of itself (*relative*: ``x · (1 ± s)``)
    or of the column's spread (``x ± s · IQR``), clipped to the observed range and rounded where the
    column holds whole numbers; a row *flips at a step* when either move changes its decision. Both
    moves to the ends of the observed range are tried too. The smallest move that flips a row, per
    direction, is then found by bisection between the largest tried move that does not flip it and
    the smallest that does, to ``tolerance`` spreads (one unit for whole numbers): the distance
    reported is a move that flips, and the decision's boundary lies within the tolerance below it.
Categories (:func:`categorical_flips`)
    Every row is tried with every other observed category (the ``max_categories`` most frequent):
    whether some category flips it, and the decision after a swap to a category drawn by frequency
    (seeded; read off the same predictions, no further call).
Missing values (:func:`missing_flips`)
    Where the data holds missing values in a column, each present value is set missing.
Joint noise (:func:`joint_flips`)
    All numeric columns at once: each value multiplied by ``1 + s`` or ``1 - s`` (a seeded random sign
    per value), or given Gaussian noise; clipped and rounded the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from raudit.checks._perturb import Block, ColumnPlan, Outcome, Predictor

__all__ = ["Step", "StepFlips", "NumericFlips", "CategoryFlips", "NoiseFlips", "numeric_flips", "categorical_flips",
           "missing_flips", "joint_flips", "text_flips", "noise_values", "MAX_BISECTIONS"]

#: Bisection rounds at most (a bracket halves each round: 2^-60 of the range is far below any tolerance).
MAX_BISECTIONS = 60


@dataclass(frozen=True)
class Step:
    """One perturbation size: a share of the value (``relative``) or of the column's spread (``spread``)."""

    kind: Literal["relative", "spread"]
    size: float

    def label(self, unit: str = "IQR") -> str:
        """``±1 %`` or ``±0.05 IQR``."""
        return f"±{self.size * 100:g} %" if self.kind == "relative" else f"±{self.size:g} {unit}"


@dataclass(frozen=True)
class StepFlips:
    """What one step did to a column's rows.

    Attributes
    ----------
    step : Step
    flipped : ndarray of bool, shape (n,)
        The decision changed when the value moved up or down by the step (False for missing values).
    up, down : int
        Rows flipped by the move up, by the move down.
    moved : ndarray of bool, shape (n,)
        The row's value moved, up or down (a whole number may round back to itself; a value at the end
        of the range cannot move past it; a relative step leaves 0 at 0): its flip rate counts these rows.
    change : ndarray of float, shape (n,)
        The larger absolute score change of the two moves (NaN for missing values or without scores).
    """

    step: Step
    flipped: np.ndarray
    up: int
    down: int
    moved: np.ndarray
    change: np.ndarray


@dataclass(frozen=True)
class NumericFlips:
    """A numeric column's steps and the smallest move that flips each row.

    Attributes
    ----------
    plan : ColumnPlan
    value : ndarray of float, shape (n,)
        The rows' values (NaN: missing, not perturbed).
    steps : tuple of StepFlips
    distance : ndarray of float, shape (n,)
        The smallest move found that flips the row's decision, in the column's units (``inf``: no move
        within the observed range flips it; NaN: the value is missing).
    direction : ndarray of int, shape (n,)
        +1 when that move is up, -1 down, 0 when none.
    rounds : int
        Bisection rounds run for this column.
    """

    plan: ColumnPlan
    value: np.ndarray
    steps: tuple[StepFlips, ...]
    distance: np.ndarray
    direction: np.ndarray
    rounds: int


@dataclass(frozen=True)
class CategoryFlips:
    """A categorical column's swaps.

    Attributes
    ----------
    plan : ColumnPlan
    tried : tuple
        The categories tried (the most frequent, at most ``max_categories``).
    any_flip : ndarray of bool, shape (n,)
        Some other tried category changes the row's decision.
    swap : ndarray of int, shape (n,)
        The category drawn for the frequency-weighted swap (index into ``tried``).
    swap_flipped : ndarray of bool, shape (n,)
        The decision changed after that swap.
    swap_change : ndarray of float, shape (n,)
        Absolute score change after that swap.
    """

    plan: ColumnPlan
    tried: tuple[object, ...]
    any_flip: np.ndarray
    swap: np.ndarray
    swap_flipped: np.ndarray
    swap_change: np.ndarray


@dataclass(frozen=True)
class NoiseFlips:
    """One perturbation applied to every row at once (joint noise, missing values, a text rewrite).

    Attributes
    ----------
    label : str
    changed : ndarray of bool, shape (n,)
        The row's inputs changed.
    flipped : ndarray of bool, shape (n,)
    change : ndarray of float, shape (n,)
        Absolute score change.
    """

    label: str
    changed: np.ndarray
    flipped: np.ndarray
    change: np.ndarray


def _values(predictor: Predictor, plan: ColumnPlan, rows: int | None = None) -> np.ndarray:
    return predictor.frame[plan.name].iloc[:rows].to_numpy(dtype=float, na_value=np.nan)


def _fit(plan: ColumnPlan, v: np.ndarray) -> np.ndarray:
    """Clip to the observed range; round where the column holds whole numbers."""
    v = np.clip(v, plan.low, plan.high)
    return np.rint(v) if plan.kind == "integer" else v


def numeric_flips(predictor: Predictor, plans: Sequence[ColumnPlan], steps: Sequence[Step], *, rows: int,
                  tolerance: float) -> list[NumericFlips]:
    """Every step of every numeric column on the first ``rows`` rows (one stage), then the smallest flipping moves.

    The smallest moves are found by bisection, one stage a round for every column at once.
    """
    base = predictor.base
    blocks, shapes, layouts = [], [], []
    for plan in plans:
        x = _values(predictor, plan, rows)
        present = np.flatnonzero(~np.isnan(x))
        xs = x[present]
        dist = np.stack([s.size * np.abs(xs) if s.kind == "relative" else np.full(len(xs), s.size * plan.spread) for s in steps]
                        + [np.full(len(xs), np.inf)])  # (K + 1, m): the last move goes to the end of the range
        moved = np.stack([_fit(plan, xs + dist), _fit(plan, xs - dist)])  # (2, K + 1, m)
        # predict each distinct new value of a row once: a move that rounds back or is clipped away changes nothing
        row = np.broadcast_to(np.arange(len(xs)), moved.shape).reshape(-1)
        value = moved.reshape(-1)
        keep = value != xs[row]
        pairs, inverse = np.unique(np.stack([row[keep], value[keep]]), axis=1, return_inverse=True)
        blocks.append(Block(present[pairs[0].astype(np.int64)], {plan.name: pairs[1]}))
        shapes.append((x, present, moved))
        layouts.append((keep, inverse.reshape(-1)))
    outcomes = predictor.run(blocks)
    brackets = []
    for (x, present, moved), (keep, inverse), out in zip(shapes, layouts, outcomes):
        copies = moved.shape[0] * moved.shape[1]
        label = np.tile(predictor.original[present], copies)
        score = np.tile(base.score[present], copies)
        label[keep], score[keep] = out.label[inverse], out.score[inverse]
        flip = (label != predictor.original[np.tile(present, copies)]).reshape(moved.shape)
        delta = np.abs(score - np.tile(base.score[present], copies)).reshape(moved.shape)
        gone = np.abs(moved - x[present])  # the effective move, after clipping and rounding
        first = np.where(flip, gone, np.inf).min(axis=1)  # (2, m): the smallest tried move that flips
        below = np.where(gone < first[:, None, :], gone, 0.0).max(axis=1)  # the largest tried move under it (none flips)
        brackets.append((below, first, flip, delta, gone))
    rounds = _bisect(predictor, plans, shapes, brackets, tolerance)
    results = []
    for plan, (x, present, _), (_, first, flip, delta, gone), r in zip(plans, shapes, brackets, rounds):
        n = len(x)
        step_flips = []
        for k, step in enumerate(steps):
            flipped = np.zeros(n, dtype=bool)
            flipped[present] = flip[0, k] | flip[1, k]
            change = np.full(n, np.nan)
            change[present] = np.maximum(delta[0, k], delta[1, k])
            moved = np.zeros(n, dtype=bool)
            moved[present] = (gone[0, k] > 0) | (gone[1, k] > 0)
            step_flips.append(StepFlips(step, flipped, int(flip[0, k].sum()), int(flip[1, k].sum()), moved, change))
        distance = np.full(n, np.nan)
        direction = np.zeros(n, dtype=np.int64)
        best = first.min(axis=0)
        distance[present] = best
        direction[present] = np.where(np.isfinite(best), np.where(first[0] <= first[1], 1, -1), 0)
        results.append(NumericFlips(plan, x, tuple(step_flips), distance, direction, r))
    return results


# size: one lockstep loop over every column, direction and row still being bisected, one model stage a round
def _bisect(predictor: Predictor, plans: Sequence[ColumnPlan], shapes: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
            brackets: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]], tolerance: float) -> list[int]:
    """Narrow each (direction, row) bracket ``below < boundary <= first`` in place until it is within the tolerance."""
    tol = [max(tolerance * p.spread, 1.0) if p.kind == "integer" else tolerance * p.spread for p in plans]
    rounds = [0] * len(plans)
    for _ in range(MAX_BISECTIONS):
        blocks, where = [], []
        for j, (plan, (x, rows, _), (below, first, *_rest)) in enumerate(zip(plans, shapes, brackets)):
            d, i = np.nonzero(np.isfinite(first) & (first - below > tol[j]))
            if len(i) == 0:
                continue
            mid = (below[d, i] + first[d, i]) / 2
            if plan.kind == "integer":
                mid = np.floor(mid)
            sign = np.where(d == 0, 1.0, -1.0)
            blocks.append(Block(rows[i], {plan.name: x[rows[i]] + sign * mid}))
            where.append((j, d, i, mid))
            rounds[j] += 1
        if not blocks:
            break
        for (j, d, i, mid), out in zip(where, predictor.run(blocks)):
            rows = shapes[j][1]
            flips = out.label != predictor.original[rows[i]]
            below, first = brackets[j][0], brackets[j][1]
            first[d[flips], i[flips]] = mid[flips]
            below[d[~flips], i[~flips]] = mid[~flips]
    return rounds


def categorical_flips(predictor: Predictor, plans: Sequence[ColumnPlan], *, rows: int, max_categories: int,
                      rng: np.random.Generator) -> list[CategoryFlips]:
    """Every row with every other tried category of every categorical column (one stage); a weighted swap read off it.

    The swap of row ``r`` is drawn with ``u = rng.random(n)`` (one draw per row, column by column):
    the first tried category whose cumulative frequency, among those the row does not hold, exceeds ``u[r]``.
    """
    n = min(rows, len(predictor.frame))
    blocks, layouts = [], []
    for plan in plans:
        tried = plan.categories[:max_categories]
        current = predictor.frame[plan.name].iloc[:n].astype(object)
        own = np.column_stack([current.eq(c).fillna(False).to_numpy(dtype=bool) for c in tried])
        at, cat = np.nonzero(~own)
        values = np.full(len(at), None, dtype=object)
        values[:] = [tried[c] for c in cat]
        blocks.append(Block(at, {plan.name: values}))
        layouts.append((tried, own, at, cat))
    results = []
    for plan, (tried, own, at, cat), out in zip(plans, layouts, predictor.run(blocks)):
        flip = np.zeros(own.shape, dtype=bool)
        flip[at, cat] = out.label != predictor.original[at]
        change = np.full(own.shape, np.nan)
        change[at, cat] = np.abs(out.score - predictor.base.score[at])
        weights = np.where(own, 0.0, np.array(plan.weights[: len(tried)], dtype=float))
        cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
        swap = np.minimum((rng.random(n)[:, None] >= cumulative).sum(axis=1), len(tried) - 1)
        every = np.arange(n)
        results.append(CategoryFlips(plan, tuple(tried), np.asarray(flip.any(axis=1)), swap, flip[every, swap],
                                     change[every, swap]))
    return results


def missing_flips(predictor: Predictor, plans: Sequence[ColumnPlan], *, rows: int) -> list[NoiseFlips]:
    """Each present value (first ``rows`` rows) of each column that has missing values in the data, set missing (one stage)."""
    n = min(rows, len(predictor.frame))
    blocks = []
    for plan in plans:
        at = np.flatnonzero(predictor.frame[plan.name].iloc[:n].notna().to_numpy())
        missing = np.full(len(at), np.nan) if plan.kind != "categorical" else np.full(len(at), None, dtype=object)
        blocks.append(Block(at, {plan.name: missing}))
    return [_noise(predictor, n, f"{plan.name} → missing", block, out, np.ones(len(block), dtype=bool))
            for plan, block, out in zip(plans, blocks, predictor.run(blocks))]


def noise_values(x: np.ndarray, plans: Sequence[ColumnPlan], kind: Literal["multiply", "gaussian"], level: float,
                 rng: np.random.Generator, *, units: Literal["absolute", "spread"] = "absolute") -> np.ndarray:
    """The noisy values of ``x`` (shape (n, p), columns in the order of ``plans``).

    ``multiply``: ``x · (1 + level · e)`` with ``e`` = ±1 drawn as ``rng.choice([-1.0, 1.0], size=(n, p))``;
    ``gaussian``: ``x + rng.normal(0, 1, size=(n, p)) · level`` (times each column's spread with
    ``units="spread"``). Then clipped to each column's observed range, and rounded where it holds
    whole numbers; missing values stay missing.
    """
    n, p = x.shape
    if kind == "multiply":
        noisy = x * (1 + level * rng.choice([-1.0, 1.0], size=(n, p)))
    else:
        scale = np.array([level * (pl.spread if units == "spread" else 1.0) for pl in plans])
        noisy = x + rng.normal(0.0, 1.0, size=(n, p)) * scale
    return np.column_stack([_fit(pl, noisy[:, j]) for j, pl in enumerate(plans)]) if p else noisy


def joint_flips(predictor: Predictor, plans: Sequence[ColumnPlan], levels: Sequence[tuple[str, Literal["multiply", "gaussian"],
                float, np.random.Generator]], *, units: Literal["absolute", "spread"]) -> list[NoiseFlips]:
    """Noise on every numeric column at once, one perturbation per ``(label, kind, level, rng)`` (one stage)."""
    x = np.column_stack([_values(predictor, p) for p in plans]) if plans else np.empty((len(predictor.frame), 0))
    blocks = []
    for _, kind, level, rng in levels:
        noisy = noise_values(x, plans, kind, level, rng, units=units)
        rows = np.flatnonzero(((noisy != x) & ~np.isnan(x)).any(axis=1))  # rows no value of which changed keep their decision
        blocks.append(Block(rows, {p.name: noisy[rows, j] for j, p in enumerate(plans)}))
    return [_noise(predictor, len(x), label, block, out, np.ones(len(block), dtype=bool))
            for (label, *_), block, out in zip(levels, blocks, predictor.run(blocks))]


def text_flips(predictor: Predictor, column: str, rewrites: Sequence[tuple[str, Sequence[str]]]) -> list[NoiseFlips]:
    """The first rows with their text replaced, one perturbation per ``(label, new texts)`` (one stage; as many rows as texts)."""
    old = predictor.frame[column].iloc[: len(rewrites[0][1]) if rewrites else 0].astype(object).to_numpy()
    rows = np.arange(len(old))
    blocks, moved = [], []
    for _, texts in rewrites:
        new = np.full(len(texts), None, dtype=object)
        new[:] = list(texts)
        blocks.append(Block(rows, {column: new}))
        moved.append(np.array([a != b for a, b in zip(old, new)], dtype=bool))
    return [_noise(predictor, len(rows), label, block, out, changed)
            for (label, _), block, out, changed in zip(rewrites, blocks, predictor.run(blocks), moved)]


def _noise(predictor: Predictor, n: int, label: str, block: Block, out: Outcome, moved: np.ndarray) -> NoiseFlips:
    """A perturbation's flips over the first ``n`` rows (rows not in the block did not change)."""
    rows = block.rows
    changed = np.zeros(n, dtype=bool)
    flipped = np.zeros(n, dtype=bool)
    change = np.zeros(n)
    changed[rows] = moved
    flipped[rows] = out.label != predictor.original[rows]
    change[rows] = np.abs(out.score - predictor.base.score[rows])
    return NoiseFlips(label, changed, flipped, change)
