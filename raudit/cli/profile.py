"""``raudit profile DATA``: a reference profile for the drift check."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from raudit.cli.output import EXIT_OK, exit_with, size, terminal_text
from raudit.cli.shared import csv_list

__all__ = ["profile_command"]


@click.command("profile")
@click.argument("data", type=click.Path(path_type=Path), metavar="DATA", required=False)
@click.option("--predictions", type=click.Path(dir_okay=False, path_type=Path),
              help="Profile a decision log (instead of DATA): its recorded decisions (--y-pred) and scores (--y-score) "
                   "are kept as a model's outputs are.")
@click.option("--y-pred", help="Column of recorded decisions (with --predictions).")
@click.option("--y-score", help="Column of recorded scores of the positive class, binary only (with --predictions).")
@click.option("--time-column", help="Column of the log's timestamps: not an input, not profiled.")
@click.option("-o", "--out", "out", required=True, help="The profile file to write (.json; - writes to standard output).")
@click.option("--model", "model_path", help="Model file (or models:/NAME/VERSION): its decisions, scores and per-group "
                                            "error counts are profiled too.")
@click.option("--target", help="Label column (detected with a model when it is the one column the model does not take).")
@click.option("--sensitive", help="Comma-separated sensitive columns (guessed by name if omitted).")
@click.option("--features", help="Comma-separated input columns (default: the model's; without a model, every other column).")
@click.option("--positive-label", help="Positive class of a binary classifier (default: the model's second class).")
@click.option("--task", type=click.Choice(["classification", "regression"]), help="For PyTorch/ONNX models.")
@click.option("--torch-class", help="module:Class of a torch.save state dict.")
@click.option("--text-column", help="Column of free text a text classifier reads.")
@click.option("--trust-model", is_flag=True, default=None, help="Load the model file without inspecting it.")
@click.option("--allow-module", "allow_modules", multiple=True, help="A module a pickled model may import (repeatable).")
@click.option("--max-distinct", type=click.IntRange(1, 100_000), default=256, show_default=True,
              help="Distinct values or categories kept exactly per column; beyond, numbers go to a bucket grid and "
                   "category names are dropped (hash buckets).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def profile_command(data: Path, **opts: Any) -> None:
    """Summarise DATA (and a model's outputs on it) into a reference profile for the drift check.

    \b
    Example:
      raudit profile train.csv --model model.joblib --target approved --sensitive sex,ethnicity -o reference.profile.json
      raudit model.joblib current.csv --target approved --sensitive sex,ethnicity --reference reference.profile.json
      raudit profile --predictions january.parquet --y-pred decision --y-score score --target approved -o log.profile.json

    The profile holds aggregates only (counts, exact sums, histograms on a fixed
    grid), no row of the data. Exit codes: 0 written, 2 bad input (nothing
    written), 3 internal error.
    """
    def run() -> int:
        _profile(_log_or_data(data, opts), **opts)
        return EXIT_OK

    exit_with(run, debug=opts["debug"])


def _log_or_data(data: Path | None, opts: dict[str, Any]) -> Path:
    """DATA, or the decision log of --predictions (one of the two), with --y-pred given exactly for a log."""
    from raudit.errors import InputError

    if opts["predictions"] is not None:
        if data is not None:
            raise InputError("give either DATA or --predictions LOG, not both")
        if not opts["y_pred"]:
            raise InputError("--predictions needs --y-pred, the column of recorded decisions",
                             hint="e.g. raudit profile --predictions log.csv --y-pred decision --y-score score --target label "
                                  "-o log.profile.json")
        if opts["model_path"]:
            raise InputError("--predictions profiles recorded decisions; --model profiles a model's: give one of the two")
        return Path(opts["predictions"])
    if data is None:
        raise InputError("missing DATA (or --predictions LOG)", hint="usage: raudit profile DATA -o reference.profile.json")
    if opts["y_pred"] or opts["y_score"]:
        raise InputError("--y-pred and --y-score name columns of a decision log: give it with --predictions LOG")
    return data


def _profile(data: Path, **opts: Any) -> None:  # size: the flags into one config, the profile, and what was written
    from raudit.api.prepare import profile_of
    from raudit.config import AuditConfig
    from raudit.errors import InputError
    from raudit.report.files import write_atomic
    from raudit.stats.sketch import SketchParams

    out = opts["out"]
    if out != "-" and Path(out).is_dir():
        raise InputError(f"-o {out} is a folder", hint="give the profile's file name, e.g. -o reference.profile.json")
    raw = {"target": opts["target"], "sensitive": csv_list(opts["sensitive"]), "features": csv_list(opts["features"]),
           "positive_label": opts["positive_label"], "task": opts["task"], "torch_class": opts["torch_class"],
           "text_column": opts["text_column"], "trust_model": True if opts["trust_model"] else None,
           "allow_modules": tuple(opts["allow_modules"]) or None, "time_column": opts["time_column"]}
    config = AuditConfig.from_mapping({k: v for k, v in raw.items() if v is not None}, source="command line")
    profile, roles = profile_of(opts["model_path"], data, config, params=SketchParams(max_distinct=opts["max_distinct"]),
                                y_pred=opts["y_pred"], y_score=opts["y_score"])
    if roles.sensitive_guessed and not opts["quiet"]:
        click.echo(f"raudit: sensitive columns guessed from their names: {terminal_text(', '.join(roles.sensitive))} "
                   "(name them with --sensitive)", err=True)
    text = profile.to_json().encode("utf-8")
    if out == "-":
        sys.stdout.buffer.write(text)
        sys.stdout.flush()
        return
    write_atomic(Path(out), text)
    if not opts["quiet"]:
        sensitive = [c.name for c in profile.columns if "sensitive" in c.roles]
        click.echo(f"Wrote {terminal_text(out)} ({size(len(text))}): {profile.rows:,} rows, {len(profile.columns)} "
                   f"columns ({terminal_text(', '.join(sensitive) or 'no')} sensitive), "
                   + (("the recorded decisions" if opts["y_pred"] else "the model's outputs") + " and per-group error counts"
                      if profile.has_predictions else "no model outputs")
                   + ". Aggregates only: no row of the data is in it.")
