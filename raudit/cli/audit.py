"""``raudit MODEL DATA``: the audit command."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from raudit.cli.output import exit_with, make_progress
from raudit.cli.shared import check_outputs, emit, raw_config

__all__ = ["audit_command"]


@click.command("audit")
@click.argument("paths", nargs=-1, metavar="MODEL DATA")
@click.option("--target", help="Label column (detected when it is the one column the model does not take).")
@click.option("--sensitive", help="Comma-separated sensitive columns, e.g. sex,race (guessed by name if omitted).")
@click.option("--features", help="Comma-separated model input columns, for models that do not record them.")
@click.option("--task", type=click.Choice(["classification", "regression"]),
              help="For PyTorch/ONNX models, which cannot say [default: classification].")
@click.option("--torch-class", help="module:Class of a torch.save state dict (built with no arguments).")
@click.option("--text-column", help="Column of free text a text classifier reads (Hugging Face folder, scikit-learn text pipeline).")
@click.option("--batch-size", type=click.IntRange(min=1),
              help="Rows per forward pass of Hugging Face, Keras and PyTorch models [default: 32 for text, 4096 otherwise].")
@click.option("--positive-label", help="Positive class of a binary classifier (default: the model's second class).")
@click.option("--favourable", help="The outcome a person wants (e.g. 1 or approved); fairness is judged in the direction "
                                   "of harm relative to it [default: the positive class].")
@click.option("--engine", type=click.Choice(["auto", "memory", "stream", "dask"]),
              help="Read the data all at once, in chunks, or on a Dask cluster; same numbers [default: auto: in memory "
                   "for one file up to 256 MB].")
@click.option("--chunk-rows", type=int, help="Rows per chunk when streaming [default: 200,000].")
@click.option("--scheduler", help="Dask scheduler address (tcp://host:8786) for --engine dask [default: a local cluster].")
@click.option("--detail", type=click.Choice(["summary", "standard", "full"]),
              help="How much the HTML and PDF show: summary (about 3 pages with the sign-off), standard, full (every table in "
                   "the PDF) [default: standard].")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), help="Output folder [default: raudit-report].")
@click.option("--format", "formats", help="Comma-separated report formats: html,pdf,json,junit,md [default: html,pdf,json].")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help="A raudit.toml file; flags override it.")
@click.option("--checks", help="Comma-separated allow-list of checks to run (see `raudit checks`).")
@click.option("--fail-on", type=click.Choice(["fail", "warn", "never"]), help="Status that makes the exit code 1 [default: fail].")
@click.option("--inconclusive", type=click.Choice(["warn", "fail"]),
              help="How a judgement whose interval straddles its threshold counts: warn, or fail (strict) [default: warn].")
@click.option("--seed", type=int, help="Seed for samples and bootstraps [default: 0].")
@click.option("--predictions", "predictions", type=click.Path(dir_okay=False, path_type=Path),
              help="Audit recorded decisions in this data file (no model).")
@click.option("--y-pred", help="Column of recorded decisions (with --predictions).")
@click.option("--y-score", help="Column of recorded scores, binary only (with --predictions).")
@click.option("--country", help="Electricity grid for CO₂ (ISO 3166 alpha-3, e.g. FRA) [default: USA].")
@click.option("--emissions", "emissions_file", type=click.Path(dir_okay=False, path_type=Path),
              help="A codecarbon emissions.csv recorded when the model was trained.")
@click.option("--no-refit", is_flag=True, help="Do not re-measure training energy by refitting a clone of the model.")
@click.option("-v", "--verbose", is_flag=True, help="Show the logs of codecarbon and other libraries.")
@click.option("--attach", is_flag=True, help="Log the report to the MLflow model version the audit loaded (models:/NAME/VERSION).")
@click.option("--attach-to", help="Log the report to this MLflow model version (models:/NAME/VERSION) or run id, "
                                 "or to Weights & Biases (wandb:ENTITY/PROJECT).")
@click.option("--trust-model", is_flag=True, default=None,
              help="Load the model file without inspecting it (only after you reviewed where it came from).")
@click.option("--allow-module", "allow_modules", multiple=True,
              help="Let a pickled model import ANYTHING under this module (repeatable; loud: prefer --allow-global).")
@click.option("--allow-global", "allow_globals", multiple=True, metavar="MODULE:NAME",
              help="Let a pickled or skops model use this exact class or function you reviewed (repeatable).")
@click.option("--load-limit", "load_limits", multiple=True, metavar="NAME=VALUE",
              help="Raise a cap on opening the model, e.g. bytes=16GiB or opcodes=200000000 (repeatable).")
@click.option("--jail-limit", "jail_limits", multiple=True, metavar="NAME=VALUE",
              help="Change a limit of the jailed process that opens and calls the model: memory=8GiB, cpu=2h, wall=2h "
                   "(repeatable) [default: 3/4 of RAM, 4 h, 4 h].")
@click.option("--template-dir", type=click.Path(file_okay=False, exists=True), help="Folder of templates overriding the built-in ones.")
@click.option("--reference", help="Drift reference: a profile from `raudit profile` (.json) or a CSV/Parquet file (a decision "
                                 "log too, with --predictions: its recorded decisions and scores are its outputs).")
@click.option("--time-column", help="Column of timestamps (a decision log's time): never an input; --window splits by it.")
@click.option("--window", help="Drift per window of the data, as a timeline: 1D, 7D (weeks from Monday), 1M (calendar "
                               "months), kD / kW / kM, by --time-column; or a number N: every N rows.")
@click.option("--train-data", type=click.Path(dir_okay=False, path_type=Path),
              help="The rows the model was trained on (CSV/Parquet, the audit data's columns): the privacy check compares "
                   "the model on them with the audit rows.")
@click.option("--sign-key", type=click.Path(dir_okay=False, path_type=Path),
              help="Ed25519 private key (raudit keygen): sign the report set into report.intoto.json.")
@click.option("--ledger", metavar="PATH|URL",
              help="Add the written report set to this audit ledger (an SQLite file or postgresql://...; needs raudit[ledger]).")
@click.option("--ledger-model", metavar="NAME",
              help="The model's name in the ledger [default: the MLflow registry name, else the model file's name].")
@click.option("--strict", is_flag=True, help="Stop when a check plugin fails to load.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def audit_command(paths: tuple[str, ...], **opts: Any) -> None:
    """Audit MODEL on labelled DATA and write report.html, report.pdf and report.json."""
    exit_with(lambda: _audit(paths, **opts), debug=opts["debug"])


# size: turns the command line's flags into one config and one call, refusing impossible combinations
def _audit(paths: tuple[str, ...], **opts: Any) -> int:
    from raudit.api.audit import Invocation, audit
    from raudit.config import AuditConfig
    from raudit.errors import InputError

    if opts["predictions"] is not None:
        if paths:
            raise InputError("give either MODEL DATA or --predictions DATA, not both")
        model_path, data_path = None, opts["predictions"]
    elif len(paths) != 2:
        raise InputError(
            f"expected MODEL and DATA, got {len(paths)} path(s)",
            hint="usage: raudit MODEL DATA [OPTIONS]  (or raudit --predictions DATA --y-pred COL)",
        )
    else:
        model_path, data_path = paths

    raw, trust_sources = raw_config(opts)
    energy = {"country": opts["country"], "emissions_file": str(opts["emissions_file"]) if opts["emissions_file"] else None,
              "refit": False if opts["no_refit"] else None, "verbose": True if opts["verbose"] else None}
    energy = {k: v for k, v in energy.items() if v is not None}
    if energy:
        if opts["emissions_file"] is not None and not opts["emissions_file"].is_file():
            raise InputError(f"emissions file not found: {opts['emissions_file']}", hint="give the emissions.csv codecarbon wrote")
        checks_table = dict(raw.get("check", {}))
        checks_table["energy"] = {**checks_table.get("energy", {}), **energy}
        raw["check"] = checks_table
    config = AuditConfig.from_mapping(raw, source=str(opts["config_path"] or "command line"))
    check_outputs(config, opts, trust_sources)

    quiet = opts["quiet"]
    progress = make_progress(quiet)
    t0 = time.perf_counter()
    if opts["strict"]:
        from raudit.api.plugins import discover

        discover(strict=True)
    how = Invocation(command=["raudit", *sys.argv[1:]], trust_sources=trust_sources, progress=progress)
    report = audit(model_path, data_path, config=config, y_pred=opts["y_pred"], y_score=opts["y_score"], invocation=how)
    if progress is not None:
        progress.stop()
    return emit(report, config, opts, t0, model_uri=str(model_path) if model_path is not None else None)

