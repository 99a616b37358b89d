"""``raudit compare`` and ``raudit diff``: the commands, thin layers over :mod:`raudit.api.compare` and :mod:`raudit.report.diff`.

Nothing heavy is imported here at import time (``raudit --help`` stays fast).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from raudit.cli.output import error_text, exit_with
from raudit.cli.shared import check_outputs, emit, raw_config

__all__ = ["compare_command", "diff_command"]


@click.command("compare")
@click.argument("paths", nargs=-1, metavar="CHAMPION CHALLENGER DATA")
@click.option("--predictions", type=click.Path(dir_okay=False, path_type=Path),
              help="Compare the arms of an A/B log of recorded decisions instead of two models (with --arm and --y-pred).")
@click.option("--arm", help="Column naming each row's arm (with --predictions); two or more arms, independent samples.")
@click.option("--y-pred", help="Column of recorded decisions (with --predictions).")
@click.option("--target", help="Label (outcome) column.")
@click.option("--sensitive", help="Comma-separated sensitive columns, e.g. sex,race (guessed by name if omitted).")
@click.option("--features", help="Comma-separated model input columns, for models that do not record them.")
@click.option("--positive-label", help="Positive class (default: the models' second class).")
@click.option("--favourable", help="The outcome a person wants (e.g. 1 or approved); disparities are judged in the direction "
                                   "of harm relative to it [default: the positive class].")
@click.option("--detail", type=click.Choice(["summary", "standard", "full"]),
              help="How much the HTML and PDF show [default: standard].")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), help="Output folder [default: raudit-report].")
@click.option("--format", "formats", help="Comma-separated report formats: html,pdf,json,junit,md [default: html,pdf,json].")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="A raudit.toml file: margins in [compare], groups in [check.fairness]; flags override it.")
@click.option("--fail-on", type=click.Choice(["fail", "warn", "never"]), help="Status that makes the exit code 1 [default: fail].")
@click.option("--inconclusive", type=click.Choice(["warn", "fail"]),
              help="How a judgement whose interval straddles its threshold counts: warn, or fail (strict) [default: warn].")
@click.option("--seed", type=int, help="Seed of the bootstrap [default: 0].")
@click.option("--trust-model", is_flag=True, default=None,
              help="Load the model files without inspecting them (only after you reviewed where they came from).")
@click.option("--allow-module", "allow_modules", multiple=True,
              help="A module a pickled model may import beyond the defaults (repeatable).")
@click.option("--sign-key", type=click.Path(dir_okay=False, path_type=Path),
              help="Ed25519 private key (raudit keygen): sign the report set into report.intoto.json.")
@click.option("--attach-to", help="Log the report to an MLflow model version or run, or to W&B (wandb:ENTITY/PROJECT).")
@click.option("--template-dir", type=click.Path(file_okay=False, exists=True), help="Folder of templates overriding the built-in ones.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def compare_command(paths: tuple[str, ...], **opts: Any) -> None:
    """Compare CHALLENGER with CHAMPION on labelled DATA and gate the release.

    \b
    raudit compare champion.joblib challenger.joblib data.csv --target approved --sensitive sex
    raudit compare --predictions ab_log.csv --arm arm --y-pred decision --target repaid --sensitive sex

    The challenger fails when a performance metric is worse beyond its margin,
    or a disparity moves further from parity beyond its margin, with
    significant evidence (margins: [compare] in raudit.toml). Exit codes: 0
    passed, 1 failed under --fail-on, 2 bad usage or input, 3 internal error.
    """
    exit_with(lambda: _compare(paths, **opts), debug=opts["debug"])


def _compare(paths: tuple[str, ...], **opts: Any) -> int:
    from raudit.api.compare import compare, compare_arms
    from raudit.config import AuditConfig
    from raudit.errors import InputError

    if opts["predictions"] is not None:
        if paths:
            raise InputError("give either CHAMPION CHALLENGER DATA or --predictions LOG, not both")
        if not opts["arm"] or not opts["y_pred"]:
            raise InputError("an A/B comparison needs --arm COLUMN and --y-pred COLUMN",
                             hint="raudit compare --predictions ab_log.csv --arm arm --y-pred decision --target outcome")
    elif len(paths) != 3:
        raise InputError(f"expected CHAMPION, CHALLENGER and DATA, got {len(paths)} path(s)",
                         hint="usage: raudit compare CHAMPION CHALLENGER DATA [OPTIONS]  (or --predictions LOG --arm COL --y-pred COL)")
    elif opts["arm"] or opts["y_pred"]:
        raise InputError("--arm and --y-pred go with --predictions LOG (an A/B log), not with two models")
    raw, trust_sources = raw_config(opts)
    config = AuditConfig.from_mapping(raw, source=str(opts["config_path"] or "command line"))
    check_outputs(config, opts, trust_sources)
    t0 = time.perf_counter()
    command = ["raudit", *sys.argv[1:]]
    if opts["predictions"] is not None:
        report = compare_arms(opts["predictions"], arm=opts["arm"], y_pred=opts["y_pred"], config=config, command=command)
        return emit(report, config, opts, t0, model_uri=None)
    champion, challenger, data = paths
    report = compare(champion, challenger, data, config=config, command=command, trust_sources=trust_sources)
    return emit(report, config, opts, t0, model_uri=None)


@click.command("diff")
@click.argument("old", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "md"]), default="text", show_default=True,
              help="What to print on standard output.")
@click.option("--force", is_flag=True, help="Compare reports of different targets or data all the same.")
def diff_command(old: Path, new: Path, fmt: str, force: bool) -> None:
    """Show what changed between two saved reports (OLD and NEW report.json): statuses, metrics, findings, inputs.

    Reports of different targets or data are refused (exit 2) unless --force.
    Exit code 0 when the diff was printed (empty or not), 2 on bad input.
    """
    from raudit.errors import RauditError
    from raudit.report.diff import diff_files, render_diff

    try:
        result = diff_files(old, new, force=force)
    except RauditError as exc:
        click.echo(f"raudit: error: {error_text(exc)}", err=True)
        sys.exit(exc.exit_code)
    click.echo(render_diff(result, fmt), nl=False)

