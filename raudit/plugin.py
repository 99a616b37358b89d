"""The public toolkit of a check: everything a check imports from raudit, built-in or third-party.

raudit's own checks import nothing else from raudit (a test and an import contract keep it so), so a
third-party check can do whatever a built-in one does. The names, by what a check does with them:

**The contract** — :class:`Check` (subclass it), :class:`Options` and :func:`option` (its typed
options), :class:`Facts` (what :meth:`Check.validate` sees: roles, task, classes, groups, before any
prediction), :class:`AuditContext` (what :meth:`Check.analyse` sees), :class:`Batch` and
:class:`Plan` (what :meth:`Check.summarise` sees, one chunk at a time; ``batch.codes(column)`` gives a sensitive
column's groups as integer codes, to count without text per row), :class:`Roles`,
:class:`ConfigError` and :class:`InputError` (bad options or data: exit 2).

**Mergeable summaries** — :class:`Mergeable` (the protocol: ``a + b``, with a zero), :func:`fold`,
:class:`ExactSum` (float sums independent of the order), :class:`ValueCounts`, :class:`ScoreCounts`
(ROC-AUC and average precision from counts; :func:`macro_roc_auc` of several one-vs-rest ones),
:class:`GroupCounts` (per-group confusion cells and score histograms, from labels or from codes:
``GroupCounts.from_codes``), :class:`GroupConfusion` (per-group confusion matrices of a multiclass model),
:class:`GroupErrors` (a regressor's per-group exact error sums and prediction sketches), :class:`GroupSpec` with
:func:`apply_spec` and :func:`spec_codes` (how a sensitive column becomes groups), :class:`RowOverlap` and
:func:`usable_row_sketch` (is the audit data held out?), :class:`Members` (the model's training rows, ``ctx.members``, for checks that
declare ``requires = {"members"}``).

**Disparities** — :data:`DISPARITIES`, :data:`REGRESSION_DISPARITIES` and :class:`DisparitySpec`
(which comparisons, their thresholds: :func:`thresholds_of`), :func:`harm_direction` (which side
harms the group), :func:`favourable_rates`, :func:`choose_reference` (the reference group),
:class:`Outcome` and :func:`class_outcomes` (the binary views of a multiclass model: one class
against the rest, or the splits of ordered classes), :func:`compare_groups`,
:func:`compare_outcomes` (Holm across groups × classes), :func:`compare_regression` and
:func:`bounded_group_loss` (a regressor's groups), all judged by :func:`judge_disparity`; the
fairlearn ``DisaggregatedResult`` idea made mergeable.

**Statistics** — :func:`wilson_interval`, :func:`clopper_pearson` (exact binomial interval),
:func:`log_normal_interval` and :func:`normal_interval` (delta-method intervals),
:func:`two_proportion_pvalue`, :func:`holm`, :func:`cramers_v`, :class:`Tested` (an estimate with its
interval and test, the record every check judges); :class:`Separation` and :class:`Operating` (how
well a score separates two samples: ROC, AUC with a bootstrap and DeLong's variance, advantage, TPR at
a low FPR) and :func:`epsilon_lower_bound` (the differential-privacy ε those rates imply).

**Performance without labels** — :class:`ScoreTable` (rows per outcome and score bin, mergeable),
:func:`calibrate` (isotonic, from counts), :func:`bootstrap_calibrations`, :func:`estimate_performance`
(CBPE: the expected confusion matrix and ROC-AUC with the spread of the realised value),
:class:`CbpeEstimate`, :data:`METRICS`, :class:`StrataTable` and :func:`weighted_correction` (the
importance-weighted, PAPE-style recalibration), :class:`Correction`.

**Judgement** — :func:`judge` (the one rule: pass or fail only where the whole interval lies on one
side of a threshold, else *inconclusive* with the rows that would likely decide it), :class:`Verdict`,
:data:`Harmful`, :func:`family_level` (Bonferroni-adjusted level of a family of intervals),
:func:`rows_to_decide`.

**Reference profiles and sketches** (drift-like checks) — :class:`Profile`, :class:`ColumnProfile`, :class:`ModelInfo`,
:func:`profile_frame`, :func:`profile_batch` (a chunk as the drift check profiles it),
:func:`fine_group_values`, :func:`regroup`, :class:`NumericSketch`,
:class:`CategoricalSketch`, :class:`Sketch`, :class:`SketchParams`, :func:`numeric_shift`,
:func:`categorical_shift`, :class:`NumericShift`, :class:`CategoricalShift`, :func:`cdf_points`,
:func:`psi_interval`, :func:`ks_interval` (the Kolmogorov–Smirnov distance's interval), :class:`BinnedMeans`
(means of one quantity by quantile bins of another, mergeable: residuals by decile of the prediction).

**Presenting** — :class:`CheckResult`, :class:`Finding`, :class:`Table`, :class:`Figure`,
:class:`Estimate`, :data:`Status`, :func:`worst`, :func:`grade`, :func:`slug`; the number formatter
(:func:`number`, :func:`fixed`, :func:`percent`, :func:`interval`, :func:`p_value`,
:func:`quantity`); the SVG charts (:func:`bar_chart`, :func:`xy_chart`, :class:`Series`,
:func:`beeswarm`, :data:`PALETTE`).

**Around the model** — :func:`label_text` (a class label for messages), :func:`single_threaded` and
:data:`PINNED` (BLAS/OpenMP pinned where a check predicts in small batches or times latency),
:func:`measure`, :func:`grid_countries`, :func:`method_description`, :data:`DEFAULT_COUNTRY` and
:func:`training_record_path` (energy), :func:`git_info` and :func:`sha256_file` (provenance),
:data:`MISSING` (the group of missing values).
"""

from __future__ import annotations

from raudit.engine.check import Check
from raudit.engine.context import AuditContext, Facts
from raudit.engine.members import Members
from raudit.engine.passes import Batch, Plan
from raudit.engine.profile import ColumnProfile, ModelInfo, Profile, fine_group_values, profile_batch, profile_frame, regroup
from raudit.engine.roles import Roles
from raudit.engine.rows import Overlap, RowOverlap
from raudit.engine.rows import usable as usable_row_sketch
from raudit.engine.threads import PINNED, single_threaded
from raudit.errors import ConfigError, InputError, RauditError
from raudit.integrations.energy import DEFAULT_COUNTRY, grid_countries, measure, method_description
from raudit.integrations.energy import sidecar_path as training_record_path
from raudit.load.adapters import label_text
from raudit.options import Options, option
from raudit.report.format import fixed, interval, number, p_value, percent, quantity
from raudit.report.lineage import git_info
from raudit.report.results import CheckResult, Estimate, Figure, Finding, Status, Table, grade, slug, worst
from raudit.report.svg import PALETTE, Series, bar_chart, beeswarm, xy_chart
from raudit.stats.cbpe import (
    METRICS,
    CbpeEstimate,
    Correction,
    ScoreTable,
    StrataTable,
    apply_correction,
    bootstrap_calibrations,
    calibrate,
    estimate_performance,
    weighted_correction,
)
from raudit.stats.counts import ScoreCounts, ValueCounts, macro_roc_auc
from raudit.stats.disparity import (
    Comparison,
    bounded_group_loss,
    compare_groups,
    compare_outcomes,
    compare_regression,
    family_bounds,
    judge_disparity,
    thresholds_of,
)
from raudit.stats.estimate import Tested
from raudit.stats.exact import ExactSum
from raudit.stats.groups import (
    DISPARITIES,
    MAE,
    MISSING,
    REGRESSION_DISPARITIES,
    DisparitySpec,
    GroupConfusion,
    GroupCounts,
    GroupErrors,
    GroupSpec,
    Harm,
    Outcome,
    apply_spec,
    choose_reference,
    class_outcomes,
    favourable_rates,
    harm_direction,
    spec_codes,
)
from raudit.stats.inference import (
    clopper_pearson,
    cramers_v,
    difference_interval,
    holm,
    log_normal_interval,
    normal_interval,
    ratio_interval,
    two_proportion_pvalue,
    wilson_interval,
    z_of,
)
from raudit.stats.judgement import Harmful, Verdict, family_intervals, family_level, holm_levels, judge, judge_band, rows_to_decide
from raudit.stats.mergeable import Mergeable, fold
from raudit.stats.paired import paired_difference_interval
from raudit.stats.roc import Operating, Separation, epsilon_lower_bound
from raudit.stats.sketch import (
    BinnedMeans,
    CategoricalShift,
    CategoricalSketch,
    NumericShift,
    NumericSketch,
    Sketch,
    SketchParams,
    categorical_shift,
    cdf_points,
    ks_interval,
    numeric_shift,
    psi_interval,
)
from raudit.trust.digest import sha256_file

__all__ = [
    # the contract
    "Check", "Options", "option", "Facts", "AuditContext", "Batch", "Plan", "Roles", "ConfigError", "InputError", "RauditError",
    # mergeable summaries
    "Mergeable", "fold", "ExactSum", "ValueCounts", "ScoreCounts", "macro_roc_auc", "GroupCounts", "GroupConfusion",
    "GroupErrors", "GroupSpec", "apply_spec", "spec_codes",
    "RowOverlap", "Overlap", "usable_row_sketch", "MISSING", "Members",
    # disparities
    "DISPARITIES", "MAE", "REGRESSION_DISPARITIES", "DisparitySpec", "Harm", "harm_direction", "favourable_rates",
    "choose_reference", "Outcome", "class_outcomes", "Comparison", "compare_groups", "compare_outcomes", "compare_regression",
    "bounded_group_loss", "thresholds_of", "family_bounds", "judge_disparity",
    # statistics
    "wilson_interval", "clopper_pearson", "ratio_interval", "difference_interval", "log_normal_interval", "normal_interval",
    "z_of", "two_proportion_pvalue", "holm",
    "cramers_v", "Tested", "paired_difference_interval",
    "Separation", "Operating", "epsilon_lower_bound",
    # performance without labels
    "ScoreTable", "StrataTable", "calibrate", "bootstrap_calibrations", "estimate_performance", "CbpeEstimate", "METRICS",
    "Correction", "weighted_correction", "apply_correction",
    # judgement: an interval against its thresholds, with an honest inconclusive
    "judge", "judge_band", "Verdict", "Harmful", "family_level", "holm_levels", "family_intervals", "rows_to_decide",
    # reference profiles and sketches
    "Profile", "ColumnProfile", "ModelInfo", "profile_frame", "profile_batch", "fine_group_values", "regroup", "Sketch", "NumericSketch",
    "CategoricalSketch",
    "NumericShift", "CategoricalShift", "numeric_shift", "categorical_shift", "cdf_points", "psi_interval", "ks_interval",
    "SketchParams", "BinnedMeans",
    # presenting
    "CheckResult", "Finding", "Table", "Figure", "Estimate", "Status", "worst", "grade", "slug",
    "number", "fixed", "percent", "interval", "p_value", "quantity",
    "bar_chart", "xy_chart", "Series", "beeswarm", "PALETTE",
    # around the model
    "label_text", "single_threaded", "PINNED", "measure", "grid_countries", "method_description", "DEFAULT_COUNTRY",
    "training_record_path", "git_info", "sha256_file",
]
