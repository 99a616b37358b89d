"""The model's training rows (*members*), for the privacy check: checked, predicted once, compared with the audit rows.

A membership-inference check compares the model's behaviour on rows it was trained on with rows it
never saw. The audit rows are the non-members; the user names the training rows (``--train-data``,
``train_data`` in ``raudit.toml``). raudit never guesses which rows were members.

- :func:`check_member_schema` (after the first pass, before anything is predicted): the training
  rows must have the audit's target, sensitive and input columns (and recorded decisions), each of
  the same kind (numbers or text) as in the audit data.
- :func:`read_members` (after the second pass): reads the training rows in chunks, predicts each
  row once with the same :class:`~raudit.engine.passes.Plan` (decisions, labels, groups), and keeps a
  seeded uniform sample of them (the same bottom-k :class:`~raudit.engine.passes.Sample` as the
  audit rows: memory stays one chunk plus the sample, the same rows whatever the chunking). On the
  way, every row is hashed (:func:`raudit.engine.rows.row_hashes`) and compared with the sampled
  audit rows (:class:`raudit.engine.rows.RowOverlap`): a row in both is no non-member. More than
  :data:`MAX_OVERLAP` of the sampled audit rows in the training rows is refused (the audit data is not
  held out); fewer are left out of the attacks, and the report says how many.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from raudit.engine.passes import Batch, ChunkSummary, Plan, summarise_chunk
from raudit.engine.rows import RowOverlap, row_hashes
from raudit.errors import InputError
from raudit.load.data import Source

__all__ = ["Members", "check_member_schema", "read_members", "member_columns", "MAX_OVERLAP", "TRAIN_DATA"]

#: Share of the sampled audit rows that may also be training rows; above it the audit is refused (not held out).
MAX_OVERLAP = 0.05
#: How errors name the training rows.
TRAIN_DATA = "training data (--train-data)"


@dataclass(frozen=True)
class Members:
    """The training rows as the privacy check sees them: a seeded sample, predicted, and their overlap with the audit rows.

    Attributes
    ----------
    batch : Batch
        The sampled member rows in file order, with predictions and group labels; ``positions`` are
        0-based row numbers in the training data.
    rows : int
        Training rows read.
    source : str
        The training data in words.
    columns : tuple of str
        The columns two rows are compared on: every column both files have (so two people who look alike to the
        model but differ elsewhere, in an id or a column the model ignores, are different rows).
    compared : int
        Sampled audit rows compared with every training row.
    in_training : ndarray of int64
        Positions (in the audit data) of the sampled audit rows found among the training rows.
    duplicates : ndarray of int64
        Positions (in the training data) of the sampled member rows equal to a sampled audit row.
    seconds : mapping
        Time spent reading, predicting and comparing.
    """

    batch: Batch
    rows: int
    source: str
    columns: tuple[str, ...]
    compared: int
    in_training: np.ndarray
    duplicates: np.ndarray
    seconds: Mapping[str, float] = field(default_factory=dict)

    @property
    def overlap_share(self) -> float:
        """Share of the sampled audit rows that are also training rows."""
        return len(self.in_training) / self.compared if self.compared else 0.0


def member_columns(plan: Plan, available: tuple[str, ...] | list[str], *, has_model: bool) -> tuple[str, ...]:
    """The columns read from the training rows: target, sensitive, inputs, decisions, then every other column the audit reads."""
    roles = plan.roles
    inputs = roles.features if has_model else tuple(c for c in roles.features if c in available)
    extra = [c for c in (roles.y_pred_column, roles.y_score_column) if c]
    return tuple(dict.fromkeys([roles.target, *roles.sensitive, *inputs, *extra, *(c for c in plan.columns if c in available)]))


def _compared_columns(plan: Plan, members: tuple[str, ...]) -> tuple[str, ...]:
    """Two rows are the same row when they agree on every column both files have (ids and columns the model ignores too)."""
    return tuple(c for c in plan.columns if c in members)


def check_member_schema(members: Source, audit_numeric: Mapping[str, bool], member_numeric: Mapping[str, bool],
                        plan: Plan, *, has_model: bool) -> None:
    """Refuse training rows that lack a column the audit uses, or hold another kind of value in one (exit 2).

    Parameters
    ----------
    members : Source
        The training rows.
    audit_numeric, member_numeric : mapping of str to bool
        Whether each column is numeric in the audit data and in the training data.

    Raises
    ------
    InputError
        Naming the missing columns, or the column whose kind differs.
    """
    roles = plan.roles
    needed = [roles.target, *roles.sensitive, *(roles.features if has_model else ()),
              *[c for c in (roles.y_pred_column, roles.y_score_column) if c]]
    missing = [c for c in dict.fromkeys(needed) if c not in members.columns]
    if missing:
        raise InputError(f"the {TRAIN_DATA} lacks column(s) {', '.join(map(repr, missing))} that the audit data has",
                         hint="give the rows the model was trained on, with the same target, sensitive and input columns "
                              "as the audit data")
    for col in member_columns(plan, members.columns, has_model=has_model):
        if col in audit_numeric and audit_numeric[col] != member_numeric.get(col, audit_numeric[col]):
            kind = {True: "numbers", False: "text"}
            raise InputError(f"column {col!r} holds {kind[member_numeric[col]]} in the {TRAIN_DATA} but "
                             f"{kind[audit_numeric[col]]} in the audit data: the two files have different schemas",
                             hint="give training rows read with the same schema as the audit rows")


def read_members(source: Source, model: Any, plan: Plan, *, audit_sample: Batch, decisions: str, has_model: bool) -> Members:
    """Predict the training rows once in chunks, keep a seeded sample of them, and find the audit rows among them.

    Parameters
    ----------
    source : Source
        The training rows.
    model : ModelAdapter or None
    plan : Plan
        The audit's plan (no check summarises the training rows).
    audit_sample : Batch
        The seeded sample of audit rows (the non-members the attacks use).
    decisions : {"derived", "predict", "recorded"}
        How the audit rows' decisions were made; the training rows' are made the same way.

    Raises
    ------
    InputError
        Labels the model does not know, a model that cannot predict the rows, or more than
        :data:`MAX_OVERLAP` of the sampled audit rows found among the training rows.
    """
    columns = member_columns(plan, source.columns, has_model=has_model)
    inputs = plan.features if has_model else tuple(c for c in plan.features if c in columns)
    member_plan = dataclasses.replace(plan, roles=dataclasses.replace(plan.roles, features=inputs), columns=columns, checks=(),
                                      row_sketch=None)
    compared = _compared_columns(plan, columns)
    audit_hashes = row_hashes(audit_sample.frame, compared)
    fingerprint = {"columns": list(compared), "hashes": [f"{h:016x}" for h in np.unique(audit_hashes)]}
    mode = "derived" if decisions == "derived" else "predict"
    t0 = time.perf_counter()
    while True:
        merged, overlap = ChunkSummary.zero(), None
        offset = 0
        for chunk in source.chunks(list(columns)):
            part, _batch = _summarise(chunk, offset, model, member_plan, mode)
            merged = merged + part
            here = RowOverlap.of(chunk, fingerprint)
            overlap = here if overlap is None else overlap + here
            offset += len(chunk)
        if merged.decisions != "disagree":
            break
        mode = "predict"  # predict() disagreed with the probabilities on a training row: predict() everywhere, as pass 2 does
    seconds = {"read, predict and compare": time.perf_counter() - t0}
    if merged.sample is None or merged.rows == 0:
        raise InputError(f"the {TRAIN_DATA} has no rows", hint="give the rows the model was trained on")
    found_hashes = np.array([int(h, 16) for h in fingerprint["hashes"]], dtype=np.uint64)[overlap.found] if overlap is not None \
        else np.array([], dtype=np.uint64)
    in_training = audit_sample.positions[np.isin(audit_hashes, found_hashes)]
    batch = merged.sample.in_position_order
    duplicates = batch.positions[np.isin(row_hashes(batch.frame, compared), audit_hashes)]
    members = Members(batch, merged.rows, source.description, compared, len(audit_sample), in_training, duplicates, seconds)
    if members.overlap_share > MAX_OVERLAP:
        raise InputError(f"{len(in_training):,} of the {len(audit_sample):,} sampled audit rows ({members.overlap_share:.1%}) are "
                         f"also in the {TRAIN_DATA}: the audit data is not held out, so it cannot stand for non-members "
                         f"(at most {MAX_OVERLAP:.0%} may be shared; equal rows compared on {', '.join(compared)})",
                         hint="audit on rows the model never saw, and give its training rows with --train-data")
    return members


def _summarise(chunk: Any, offset: int, model: Any, plan: Plan, mode: str) -> tuple[ChunkSummary, Batch]:
    try:
        return summarise_chunk(chunk, offset, model, plan, decisions=mode)
    except InputError as exc:
        raise InputError(f"{TRAIN_DATA}: {exc.args[0]}", hint=exc.hint) from None
