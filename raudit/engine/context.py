"""What a check sees: the facts of the first pass (before anything is predicted), then the audit context.

:class:`Facts` is what the first pass established: the roles of the columns, the task and classes,
the groups of every sensitive column, the row count, the reference. Checks validate their options
against it before any prediction (``Check.validate``). :class:`AuditContext` adds what the second
pass computed: each check's merged summary, the seeded sample with its predictions, and (only for
data in memory) the whole data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from raudit.engine.passes import Batch, EngineInfo, FirstPass, Plan, row_keys
from raudit.engine.roles import Roles
from raudit.load.adapters import ModelAdapter, Task, label_text
from raudit.stats.groups import GroupSpec

if TYPE_CHECKING:
    from raudit.engine.members import Members
    from raudit.engine.profile import Profile

__all__ = ["Facts", "AuditContext"]


@dataclass(frozen=True)
class Facts:
    """What the first pass established, before anything is predicted.

    Attributes
    ----------
    plan : Plan
        Roles, task, classes, group specs, seed and sample size (what every chunk is summarised with).
    profile : FirstPass
        The value counts of every profiled column.
    reference : Profile or None
        The drift check's reference profile (``--reference``).
    has_model : bool
        A model is audited (not recorded decisions).
    has_scores : bool
        Predicted probabilities exist (a classifier with ``predict_proba``, or recorded scores).
    in_memory : bool
        The whole data is in memory: checks that need it (``requires = {"data"}``) can run.
    sources : mapping
        Paths of the input files (``"model"``, ``"data"``, ``"reference"``), ``None`` for in-memory inputs.
    training_record : mapping or None
        The model's training record (``<model file>.raudit.json``), if it has one.
    group_values : mapping
        Each sensitive column's distinct values as the data holds them (``None`` as a value: missing
        ones; ``None`` for the column: too many distinct texts to keep).
    has_members : bool
        The model's training rows were given (``--train-data``): checks that need them
        (``requires = {"members"}``) can run.
    """

    plan: Plan
    profile: FirstPass
    reference: Profile | None = None
    has_model: bool = True
    has_scores: bool = True
    in_memory: bool = True
    sources: Mapping[str, str | None] = field(default_factory=dict)
    training_record: Mapping[str, Any] | None = None
    group_values: Mapping[str, tuple[Any, ...] | None] = field(default_factory=dict)
    has_members: bool = False

    @property
    def roles(self) -> Roles:
        """The resolved role of each column."""
        return self.plan.roles

    @property
    def task(self) -> Task:
        """``"binary"``, ``"multiclass"`` or ``"regression"``."""
        return self.plan.task  # type: ignore[return-value]

    @property
    def classes(self) -> np.ndarray | None:
        """The class labels (``None`` for regression)."""
        return self.plan.classes

    @property
    def positive_label(self) -> Any:
        """The positive class of a binary task."""
        return self.plan.roles.positive_label

    @property
    def favourable(self) -> Any:
        """The favourable class: the configured one, else the positive class of a binary task; ``None`` otherwise."""
        return self.plan.roles.favourable

    @property
    def n_rows(self) -> int:
        """Rows in the whole data."""
        return self.profile.rows

    @property
    def features(self) -> tuple[str, ...]:
        """The model's input columns (for recorded decisions: the context columns)."""
        return self.plan.roles.features

    @property
    def groupings(self) -> tuple[GroupSpec, ...]:
        """How each sensitive column becomes groups (bins fixed from the whole column)."""
        return self.plan.specs

    @property
    def sensitive_columns(self) -> tuple[str, ...]:
        """The sensitive columns."""
        return self.plan.roles.sensitive

    @property
    def seed(self) -> int:
        """The audit's seed."""
        return self.plan.seed

    def sampled_positions(self) -> np.ndarray:
        """The 0-based positions of the rows the seeded sample will hold, ascending (computed from the seed alone)."""
        keys = row_keys(np.arange(self.n_rows, dtype=np.int64), self.plan.seed)
        return np.sort(np.argsort(keys, kind="stable")[: self.plan.sample_rows])

    def group_names(self, column: str) -> tuple[str, ...] | None:
        """The groups a sensitive column forms in the data, from the first pass; ``None`` when it cannot tell."""
        from raudit.stats.groups import apply_spec

        values = self.group_values.get(column)
        if values is None:
            return None
        spec = next(s for s in self.plan.specs if s.column == column)
        return tuple(sorted(set(apply_spec(pd.Series(values, dtype=object if None in values else None), spec).tolist())))

    def unmet(self, requires: frozenset[str]) -> str | None:  # size: one clause per need a check can declare
        """Why a check that needs ``requires`` cannot run on this audit, or ``None`` when it can."""
        if "model" in requires and not self.has_model:
            return "needs a model file; this audit has recorded predictions only"
        if "labels" in requires and self.task == "regression":
            return "applies to classifiers only"
        if "labels" in requires and self.plan.unlabelled:
            return (f"needs a label on every row it reads, and {self.plan.unlabelled:,} of {self.plan.rows:,} rows have none "
                    "yet (the target's value is missing)")
        if "proba" in requires and not self.has_scores:
            return "needs predicted probabilities, which the model does not give"
        if "sensitive" in requires and not self.sensitive_columns:
            return "no sensitive columns given (use --sensitive)"
        if "data" in requires and not self.in_memory:
            return "needs the whole data in memory; this audit streamed it (run without --engine stream/dask to include it)"
        if "reference" in requires and self.reference is None:
            return "no reference given (use --reference with a file from `raudit profile`, or a CSV/Parquet reference)"
        if "text" in requires and self.roles.text_column is None:
            return "needs a model that reads free text and the column that holds it (--text-column)"
        if "members" in requires and not self.has_members:
            return ("needs the rows the model was trained on (--train-data FILE, or train_data in raudit.toml): without them "
                    "raudit cannot tell members of the training data from non-members, and it never guesses")
        return None


@dataclass(frozen=True)
class AuditContext:
    """Everything a check may read; built once per audit.

    Built-in checks read only :attr:`summaries` (what their ``summarise`` added up over every
    chunk) and :attr:`sample`, so their numbers are the same whether the data was in memory,
    streamed or distributed. The whole data (:attr:`data`, :attr:`X`, :attr:`y`, ...) is there
    only when it was in memory (:attr:`in_memory`), for checks that need it (``requires = {"data"}``).

    Attributes
    ----------
    facts : Facts
        What the first pass established (roles, task, classes, groups, reference); its fields are
        also this context's properties.
    model : ModelAdapter or None
        ``None`` when auditing recorded predictions without a model.
    summaries : mapping
        Check name → that check's merged summary.
    sample : Batch
        A uniform seeded sample of rows (all rows when there are at most ``sample_rows``), in data
        order, with their predictions and group labels.
    engine : EngineInfo
        How the rows were read (in memory, streamed, Dask), chunks and workers.
    id_column : str or None
        The column identifying rows; ``None``: rows are named by their 0-based position.
    data, X, y, sensitive, y_pred, y_proba : optional
        The whole data and predictions, only for an in-memory audit. In a decision log whose labels have not all
        arrived (``facts.plan.unlabelled``), ``y`` holds a placeholder class on those rows; the sample's
        ``labelled`` says which rows have a label and ``sample.with_labels()`` keeps only them.
    members : Members or None
        The model's training rows (``--train-data``): a seeded sample of them, predicted, and which
        sampled audit rows are also training rows; ``None`` when none were given.
    """

    facts: Facts
    model: ModelAdapter | None
    summaries: Mapping[str, Any]
    sample: Batch
    engine: EngineInfo
    id_column: str | None = None
    data: pd.DataFrame | None = None
    X: pd.DataFrame | None = None
    y: np.ndarray | None = None
    sensitive: pd.DataFrame | None = None
    y_pred: np.ndarray | None = None
    y_proba: np.ndarray | None = None
    members: Members | None = None

    # the facts, read through
    @property
    def roles(self) -> Roles:
        """The resolved role of each column (target, sensitive, inputs, text, decisions)."""
        return self.facts.roles

    @property
    def plan(self) -> Plan:
        """What every chunk was summarised with."""
        return self.facts.plan

    @property
    def task(self) -> Task:
        """``"binary"``, ``"multiclass"`` or ``"regression"``."""
        return self.facts.task

    @property
    def classes(self) -> np.ndarray | None:
        """The class labels (``None`` for regression)."""
        return self.facts.classes

    @property
    def positive_label(self) -> Any:
        """The positive class of a binary task."""
        return self.facts.positive_label

    @property
    def favourable(self) -> Any:
        """The favourable class (the outcome a person wants); ``None`` for regression and unconfigured multiclass tasks."""
        return self.facts.favourable

    @property
    def n_rows(self) -> int:
        """Rows in the whole data."""
        return self.facts.n_rows

    @property
    def features(self) -> tuple[str, ...]:
        """The model's input columns (for recorded decisions: the context columns)."""
        return self.facts.features

    @property
    def groupings(self) -> tuple[GroupSpec, ...]:
        """How each sensitive column becomes groups."""
        return self.facts.groupings

    @property
    def sensitive_columns(self) -> tuple[str, ...]:
        """The sensitive columns."""
        return self.facts.sensitive_columns

    @property
    def profile(self) -> FirstPass:
        """The first pass: value counts of the profiled columns."""
        return self.facts.profile

    @property
    def reference(self) -> Profile | None:
        """The reference profile the drift check compares with (``--reference``)."""
        return self.facts.reference

    @property
    def sources(self) -> Mapping[str, str | None]:
        """Paths of the input files (``"model"``, ``"data"``, ``"reference"``)."""
        return self.facts.sources

    @property
    def training_record(self) -> Mapping[str, Any] | None:
        """The model's training record (``<model file>.raudit.json``), if it has one."""
        return self.facts.training_record

    @property
    def seed(self) -> int:
        """The audit's seed."""
        return self.facts.seed

    @property
    def in_memory(self) -> bool:
        """True when the whole data is available as a DataFrame (:attr:`data`)."""
        return self.data is not None

    def row_name(self, position: int, row_id: Any = None) -> str:
        """How the report names one row: its id (when there is an id column), with its 0-based position."""
        if self.id_column is None:
            return f"row {position} (0-based position)"
        return f"{self.id_column} {label_text(row_id)} (row {position}, 0-based)"

    def score(self, batch: Batch) -> np.ndarray | None:
        """Probability of the positive class for the rows of ``batch`` (binary tasks only)."""
        if self.task != "binary" or batch.y_proba is None or self.classes is None:
            return None
        return batch.y_proba[:, int(np.flatnonzero(self.classes == self.positive_label)[0])]

    @property
    def y_score(self) -> np.ndarray | None:
        """Probability of the positive class for the whole data (in-memory audits of binary tasks)."""
        if self.task != "binary" or self.y_proba is None or self.classes is None:
            return None
        return self.y_proba[:, int(np.flatnonzero(self.classes == self.positive_label)[0])]

    def rng(self, salt: str) -> np.random.Generator:
        """Return a generator seeded from the audit seed and a per-use ``salt``.

        Different checks get independent but reproducible streams.
        """
        return np.random.default_rng([self.seed, *salt.encode()])
