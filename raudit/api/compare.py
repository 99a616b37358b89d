"""``raudit.compare`` and ``raudit.compare_arms``: the shared preparation, then the paired comparison and its gate.

The statistics and the gate are in :mod:`raudit.comparison.analysis`; this module prepares the rows
(once) and each model's predictions (once) through :func:`raudit.api.prepare.prepare`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from raudit._version import __version__
from raudit.api.assemble import assemble
from raudit.api.plugins import PluginInfo, builtin
from raudit.api.prepare import Prepared, configured, open_data, prepare, resolved_trust
from raudit.api.runner import PlannedCheck
from raudit.comparison.analysis import (
    EVIDENCE,
    CompareOptions,
    Pair,
    PairAnalysis,
    analyse_arms,
    analyse_pair,
    present_arms,
    present_pair,
)
from raudit.comparison.tasks import ClassPair, RegressionPair, analyse_class_pair, analyse_regression_pair
from raudit.config import AuditConfig, EngineSettings
from raudit.engine.roles import missing_labels
from raudit.errors import InputError
from raudit.load.any_model import model_source
from raudit.report.report import Report
from raudit.report.results import CheckResult

__all__ = ["compare", "compare_arms"]


def _fairness(cfg: AuditConfig) -> PlannedCheck:
    """The fairness check's options (groups, references, thresholds): a comparison judges the disparities that check judges."""
    check = builtin("fairness")
    options = check.Options.parse(cfg.options_for("fairness"), check="fairness")
    return PlannedCheck(PluginInfo("fairness", "raudit", __version__, ""), check(), options)


def in_memory(cfg: AuditConfig) -> EngineSettings:
    """A comparison reads its rows whole (both models, or every arm, are compared row by row)."""
    return EngineSettings(engine="memory", chunk_rows=cfg.engine.chunk_rows, sample_rows=cfg.engine.sample_rows)


def _without_engine(lineage: Mapping[str, Any]) -> dict[str, Any]:
    """A comparison reads its rows whole and once: its lineage has no engine section (nor the timings in it)."""
    return {k: v for k, v in lineage.items() if k != "engine"}


def model_names(a: Prepared, b: Prepared) -> tuple[str, str]:
    """Names that tell two models apart: registry URIs as given, else file names with as many parent folders as it takes.

    Examples: ``model.joblib`` and ``challenger.joblib``; ``v1/model.joblib`` and ``v2/model.joblib``;
    ``models:/credit/3`` and ``models:/credit/4``; ``in memory`` for a model object.
    """
    def parts(p: Prepared) -> tuple[str, ...]:
        path, uri = model_source(p.model)
        if path is not None:
            return path.resolve().parts
        return (str(uri),) if uri else ("in memory",)

    pa, pb = parts(a), parts(b)
    for k in range(1, max(len(pa), len(pb)) + 1):
        na, nb = "/".join(pa[-k:]), "/".join(pb[-k:])
        if na != nb:
            return na, nb
    if pa == ("in memory",):
        return "in memory", "in memory (another object)" if getattr(a.model, "model", a) is not getattr(b.model, "model", b) \
            else "in memory (the same object)"
    return "/".join(pa[-1:]), "/".join(pb[-1:]) + " (the same file)"


def _report(results: list[CheckResult], prepared: Prepared, cfg: AuditConfig, lineage: Mapping[str, Any], title: str) -> Report:
    results = [dataclasses.replace(r, package="raudit", version=__version__) for r in results]
    evidence = {k: v for k, v in EVIDENCE.items() if any(r.name == k for r in results)}
    return assemble(results, lineage=lineage, config=cfg, roles=prepared.facts.roles, evidence=evidence, title=title)


def compare(
    champion: Any,
    challenger: Any,
    data: Any,
    *,
    target: str | None = None,
    sensitive: Sequence[str] | None = None,
    config: Any = None,
    seed: int | None = None,
    trust_model: bool | None = None,
    command: list[str] | None = None,
    trust_sources: Mapping[str, str] | None = None,
) -> Report:  # size: the public API's docstring, then one preparation per model and the checks both must pass
    """Compare a challenger model with the champion on the same labelled data, and gate the release.

    Both models go through the same safe loaders; the data is read and
    validated once and each model predicts once. See
    :mod:`raudit.comparison.analysis` for the statistics and the gate.

    Parameters
    ----------
    champion, challenger : estimator, path or MLflow URI
        Two models of one task (the model in use, and the candidate): binary or multiclass classifiers
        predicting the same classes, or regressors.
    data : DataFrame or path
        Labelled data with the sensitive columns.
    target, sensitive, config, seed, trust_model, command, trust_sources
        As for :func:`raudit.audit`; margins come from the config's
        ``[compare]`` table (:class:`~raudit.comparison.analysis.CompareOptions`), groups from
        ``[check.fairness]``.

    Returns
    -------
    Report
        Sections ``gate``, ``comparison.performance``, ``comparison.fairness``;
        its status is the gate's verdict.

    Raises
    ------
    raudit.InputError
        Bad input, models of two different tasks, or classifiers that
        disagree on the classes.

    Examples
    --------
    >>> report = raudit.compare("champion.joblib", "challenger.joblib", "data.csv", target="approved")  # doctest: +SKIP
    >>> report["gate"].status  # doctest: +SKIP
    """
    cfg = configured(config, target=target, sensitive=sensitive, seed=seed, trust_model=trust_model)
    trust = resolved_trust(config, cfg, trust_model, trust_sources)
    options = CompareOptions.parse(cfg.compare, check="compare", table="compare")
    fairness = _fairness(cfg)
    performance = builtin("performance").Options.parse(cfg.options_for("performance"), check="performance")
    calibration_bins = int(performance.calibration_bins)  # type: ignore[attr-defined]
    if champion is None or challenger is None:
        raise InputError("raudit compare needs two models", hint="for recorded decisions of an A/B test use --predictions LOG --arm COL")
    from raudit.api.jailed import model_side

    return model_side(lambda: _compare(champion, challenger, data, cfg, options=options, fairness=fairness, trust=trust,
                                       command=command, calibration_bins=calibration_bins, performance=performance),
                      models=[champion, challenger], data=data, config=cfg)


# size: one preparation per model, the checks both must pass, then the paired analysis (runs in the jail)
def _compare(champion: Any, challenger: Any, data: Any, cfg: AuditConfig, *, options: CompareOptions, fairness: PlannedCheck,
             trust: Mapping[str, str], command: list[str] | None, calibration_bins: int, performance: Any) -> Report:
    opened = open_data(data, in_memory(cfg))
    a = prepare(champion, opened, cfg, validators=[fairness], command=command, trust_sources=trust)
    b = prepare(challenger, opened, cfg, command=command, trust_sources=trust)
    if a.ctx.task != b.ctx.task:
        raise InputError(f"the champion is a {a.ctx.task} model and the challenger a {b.ctx.task} model",
                         hint="compare two models of the same task, trained for the same target")
    if a.ctx.task != "regression":
        classes_a, classes_b = [str(c) for c in a.ctx.classes], [str(c) for c in b.ctx.classes]  # type: ignore[union-attr]
        if classes_a != classes_b:
            raise InputError(f"the models predict different classes: champion {classes_a}, challenger {classes_b}",
                             hint="compare models trained for the same target")
    names = tuple(f"{which} ({name})" for which, name in zip(("champion", "challenger"), model_names(a, b)))
    analysis = _analyse(a, b, names, cfg, fairness, options, performance, calibration_bins)  # type: ignore[arg-type]
    results = present_pair(analysis, options, fairness_options=fairness.options.to_dict())  # type: ignore[union-attr]
    from raudit.report.lineage import file_info, model_params

    assert b.model is not None
    lineage = {**_without_engine(a.lineage), "challenger_file": file_info(b.model_path) if b.model_path else None,
               "challenger_model": b.model.describe(), "challenger_params": model_params(b.model.model),
               "compared": {"champion": names[0], "challenger": names[1]}}
    return _report(results, a, cfg, lineage, "Champion vs challenger")


def _analyse(a: Prepared, b: Prepared, names: tuple[str, str], cfg: AuditConfig, fairness: PlannedCheck, options: CompareOptions,
             performance: Any, calibration_bins: int) -> PairAnalysis:
    """The paired comparison that fits the task: binary classifiers, multiclass classifiers or regressors."""
    ca, cb = a.ctx, b.ctx
    assert ca.y is not None and ca.y_pred is not None and cb.y_pred is not None
    rng = ca.rng("compare")
    if ca.task == "regression":
        pair = RegressionPair(np.asarray(ca.y, dtype=float), np.asarray(ca.y_pred, dtype=float), np.asarray(cb.y_pred, dtype=float),
                              ca.sensitive, names)
        return analyse_regression_pair(pair, fairness=fairness.options, options=options, rng=rng, performance=performance,
                                       bins=cfg.roles.bins)
    assert ca.classes is not None
    if ca.task == "multiclass":
        index = pd.Index(ca.classes)
        y, pa, pb = (index.get_indexer(pd.Index(v)) for v in (ca.y, ca.y_pred, cb.y_pred))
        cpair = ClassPair(y, pa, pb, ca.y_proba, cb.y_proba, ca.sensitive, tuple(str(c) for c in ca.classes), names)
        return analyse_class_pair(cpair, fairness=fairness.options, options=options, rng=rng, favourable=ca.favourable,
                                  performance=performance, bins=cfg.roles.bins)
    positive = ca.positive_label

    def is_positive(values: Any) -> np.ndarray:
        return (np.asarray(values) == positive).astype(int)

    bpair = Pair(is_positive(ca.y), is_positive(ca.y_pred), is_positive(cb.y_pred), ca.y_score, cb.y_score, ca.sensitive, names)
    return analyse_pair(bpair, fairness=fairness.options, options=options, rng=rng, calibration_bins=calibration_bins,
                        favourable_is_positive=bool(ca.favourable == positive), bins=cfg.roles.bins, performance=performance)


def compare_arms(
    data: Any,
    *,
    arm: str,
    y_pred: str,
    target: str | None = None,
    sensitive: Sequence[str] | None = None,
    config: Any = None,
    seed: int | None = None,
    command: list[str] | None = None,
) -> Report:
    """Compare the arms of an A/B test from a log of recorded decisions and outcomes.

    Parameters
    ----------
    data : DataFrame or path
        One row per decision: the arm, the decision, the observed outcome
        and the sensitive columns.
    arm : str
        The column naming each row's arm (two or more arms, independent samples).
    y_pred : str
        The column of recorded decisions (same values as the target).
    target, sensitive, config, seed, command
        As for :func:`raudit.audit`.

    Returns
    -------
    Report
        Sections ``gate``, ``ab.rates``, ``ab.fairness``.
    """
    cfg = configured(config, target=target, sensitive=sensitive, seed=seed)
    options = CompareOptions.parse(cfg.compare, check="compare", table="compare")
    fairness = _fairness(cfg)
    opened = open_data(data, in_memory(cfg))
    df = opened.source.frame
    assert df is not None
    if arm not in df.columns:
        raise InputError(f"arm column {arm!r} is not in the log", hint=f"the log has: {', '.join(map(repr, df.columns[:12]))}")
    if arm in (cfg.roles.target, y_pred, *cfg.roles.sensitive):
        raise InputError(f"--arm {arm!r} is also the target, the decisions or a sensitive column", hint="name the column of arms")
    if df[arm].isna().any():
        raise InputError(f"arm column {arm!r} has {int(df[arm].isna().sum())} missing value(s)", hint="every row needs its arm")
    prepared = prepare(None, opened, cfg, validators=[fairness], y_pred=y_pred, command=command, trust_sources={})
    if prepared.facts.plan.unlabelled:  # the arms are compared row by row on outcomes: every row needs its label
        raise missing_labels(prepared.facts.roles.target, prepared.facts.plan.unlabelled)
    ctx = prepared.ctx
    if ctx.task != "binary":
        raise InputError(f"the outcome {ctx.roles.target!r} has {len(ctx.classes) if ctx.classes is not None else 'many'} values; "
                         "an A/B comparison needs a binary outcome and decision")
    positive = ctx.positive_label
    assert ctx.y is not None and ctx.y_pred is not None
    analysis = analyse_arms(df[arm].astype(str).to_numpy(), (ctx.y == positive).astype(int), (ctx.y_pred == positive).astype(int),
                            ctx.sensitive, fairness=fairness.options, options=options, rng=ctx.rng("compare.arms"),
                            favourable_is_positive=str(ctx.favourable) == str(positive), bins=cfg.roles.bins)
    results = present_arms(analysis, options, fairness_options=fairness.options.to_dict())  # type: ignore[union-attr]
    lineage = {**_without_engine(prepared.lineage), "arms": {"column": arm, "control": analysis.control, "rows": dict(analysis.n)}}
    return _report(results, prepared, cfg, lineage, "A/B test: arms compared")
