"""The ``raudit`` command line.

``raudit MODEL DATA [OPTIONS]`` audits a model; ``raudit checks`` lists the
available checks. Exit codes: 0 passed under the ``--fail-on`` policy, 1 a
check failed, 2 bad usage or input, 3 internal error.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from raudit._errors import RauditError

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


def _csv(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(v.strip() for v in value.split(",") if v.strip())


class _DefaultGroup(click.Group):
    """A group whose default command is ``audit``: ``raudit MODEL DATA`` works."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["audit", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="raudit", prog_name="raudit")
def main() -> None:
    """Audit a trained model and write a responsible-AI report (HTML, PDF, JSON).

    \b
    Usage:
      raudit MODEL DATA [OPTIONS]        audit a saved model on labelled data
      raudit --predictions DATA --y-pred COL [OPTIONS]
                                         audit recorded decisions, no model
      raudit checks                      list the available checks
      raudit verify report.json          check a report and its inputs are unaltered

    \b
    Example:
      raudit model.joblib data.csv --target income --sensitive sex,race

    Run `raudit audit --help` for every option. Exit codes: 0 passed, 1 a check
    failed under --fail-on, 2 bad usage or input, 3 internal error.
    """


@main.command("audit")
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
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), help="Output folder [default: raudit-report].")
@click.option("--format", "formats", help="Comma-separated report formats: html,pdf,json [default: all].")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help="A raudit.toml file; flags override it.")
@click.option("--checks", help="Comma-separated allow-list of checks to run (see `raudit checks`).")
@click.option("--fail-on", type=click.Choice(["fail", "warn", "never"]), help="Status that makes the exit code 1 [default: fail].")
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
@click.option("--attach-to", help="Log the report to this MLflow model version (models:/NAME/VERSION) or run id.")
@click.option("--trust-model", is_flag=True, default=None,
              help="Load the model file without inspecting it (only after you reviewed where it came from).")
@click.option("--allow-module", "allow_modules", multiple=True,
              help="A module a pickled model may import beyond the defaults (repeatable).")
@click.option("--template-dir", type=click.Path(file_okay=False, exists=True), help="Folder of templates overriding the built-in ones.")
@click.option("--strict", is_flag=True, help="Stop when a check plugin fails to load.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def audit_command(paths: tuple[str, ...], **opts: Any) -> None:
    """Audit MODEL on labelled DATA and write report.html, report.pdf and report.json."""
    try:
        code = _audit(paths, **opts)
    except RauditError as exc:
        click.echo(f"raudit: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, click.exceptions.Exit):
        raise
    except Exception as exc:
        if opts["debug"]:
            raise
        click.echo(
            f"raudit: internal error: {type(exc).__name__}: {exc}\n"
            "  This is a bug in raudit or a plugin; rerun with --debug for the traceback and report it.",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)
    sys.exit(code)


def _audit(paths: tuple[str, ...], **opts: Any) -> int:
    from raudit._api import audit
    from raudit._config import AuditConfig, load_config_file
    from raudit._errors import InputError
    from raudit._render import write_reports

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

    raw = load_config_file(opts["config_path"]) if opts["config_path"] else {}
    flag_values = {
        "target": opts["target"],
        "sensitive": _csv(opts["sensitive"]),
        "features": _csv(opts["features"]),
        "positive_label": opts["positive_label"],
        "task": opts["task"],
        "torch_class": opts["torch_class"],
        "text_column": opts["text_column"],
        "batch_size": opts["batch_size"],
        "formats": _csv(opts["formats"]),
        "checks": _csv(opts["checks"]),
        "fail_on": opts["fail_on"],
        "seed": opts["seed"],
        "out": str(opts["out"]) if opts["out"] is not None else None,
        "trust_model": True if opts["trust_model"] else None,
        "allow_modules": tuple(opts["allow_modules"]) or None,
    }
    raw = {**raw, **{k: v for k, v in flag_values.items() if v is not None}}
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
    if config.out == "-" and len(config.formats) != 1:
        raise InputError("--out - writes one report to standard output; choose it with --format json (or html, pdf)")

    quiet = opts["quiet"]
    progress = _make_progress(quiet)
    t0 = time.perf_counter()
    if opts["strict"]:
        from raudit._plugins import discover

        discover(strict=True)
    report = audit(
        model_path,
        data_path,
        config=config,
        y_pred=opts["y_pred"],
        y_score=opts["y_score"],
        progress=progress,
        command=["raudit", *sys.argv[1:]],
    )
    if progress is not None:
        progress.stop()
    out = Path(config.out)
    formats = tuple(report.config["formats"])
    if config.out == "-":
        from raudit._render import render

        stdout = sys.stdout.buffer
        stdout.write(render(report, formats[0], template_dir=opts["template_dir"]))
        stdout.flush()
        return report.exit_code(config.fail_on)
    written = write_reports(report, out, formats, template_dir=opts["template_dir"])
    if not quiet:
        _print_summary(report, written, time.perf_counter() - t0, config.fail_on)
    if opts["attach"] or opts["attach_to"]:
        from raudit._mlflow import attach_report, is_mlflow_uri

        done = attach_report(report, written, target=opts["attach_to"],
                             model_uri=str(model_path) if is_mlflow_uri(str(model_path)) else None)
        if not quiet:
            where = f"model {done['model']} version {done['version']} (run {done['run_id']})" if done["model"] else f"run {done['run_id']}"
            click.echo(f"Attached {len(done['artifacts'])} report file(s), metrics and tags to MLflow {where}")
    return report.exit_code(config.fail_on)


class _RichProgress:
    """A progress bar on standard error, shown only on a terminal."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(), console=Console(stderr=True), transient=True,
        )
        self._task: Any = None

    def start(self, total: int) -> None:
        self._progress.start()
        self._task = self._progress.add_task("checks", total=total)

    def check_started(self, name: str) -> None:
        self._progress.update(self._task, description=f"running {name}")

    def check_done(self, result: Any) -> None:
        self._progress.advance(self._task)

    def stop(self) -> None:
        self._progress.stop()


def _make_progress(quiet: bool) -> _RichProgress | None:
    if quiet or not sys.stderr.isatty():
        return None
    return _RichProgress()


def _print_summary(report: Any, written: list[Path], seconds: float, fail_on: str) -> None:
    marks = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "error": "ERROR", "skipped": "SKIP"}
    colors = {"pass": "green", "warn": "yellow", "fail": "red", "error": "magenta", "skipped": "bright_black"}
    width = max((len(r.name) for r in report.results), default=8)
    click.echo(f"raudit: audited {report.lineage['data_shape']['rows']:,} rows in {seconds:.1f} s")
    for r in report.results:
        mark = click.style(f"{marks[r.status]:<5}", fg=colors[r.status], bold=True)
        click.echo(f"  {mark} {r.name:<{width}}  {r.summary}")
    for p in written:
        click.echo(f"Wrote {p} ({_size(p.stat().st_size)})")
    code = report.exit_code(fail_on)
    verdict = "passed" if code == 0 else "FAILED"
    click.echo(f"Overall: {marks[report.status]} — {verdict} under --fail-on {fail_on} (exit code {code})")


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


@main.command("verify")
@click.argument("report", type=click.Path(path_type=Path))
@click.option("--model", type=click.Path(path_type=Path), help="Model file to compare (default: the path the report recorded).")
@click.option("--data", type=click.Path(path_type=Path), help="Data file to compare (default: the path the report recorded).")
def verify_command(report: Path, model: Path | None, data: Path | None) -> None:
    """Check that REPORT (a report.json) is unaltered and its inputs still match their hashes.

    Exit code 0 when everything matches, 1 when something differs, 2 on bad input.
    """
    from raudit._verify import verify

    try:
        results = verify(report, model=model, data=data)
    except RauditError as exc:
        click.echo(f"raudit: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    for what, ok, detail in results:
        mark = click.style("OK  " if ok else "FAIL", fg="green" if ok else "red", bold=True)
        click.echo(f"{mark} {what}: {detail}")
    sys.exit(EXIT_OK if all(ok for _, ok, _ in results) else EXIT_FAILED)


@main.command("checks")
@click.option("--options", "show_options", is_flag=True, help="Also list every option of each check: type, default, range, meaning.")
@click.option("--markdown", is_flag=True, help="Print the options as the Markdown tables of the README.")
def checks_command(show_options: bool, markdown: bool) -> None:
    """List every available check with its source package and version."""
    from raudit._plugins import discover

    plugins = discover()
    if markdown:
        click.echo(options_markdown(plugins), nl=False)
        return
    for p in plugins:
        if p.check is None:
            click.echo(f"{p.name:<14} {p.package} {p.version}  FAILED TO LOAD: {p.error}")
            continue
        needs = ", ".join(sorted(p.check.requires)) or "-"
        click.echo(f"{p.name:<14} {p.package} {p.version:<10} {p.check.title}  (needs: {needs})")
        if show_options:
            from raudit._options import describe

            for d in describe(p.check.Options):
                bounds = f", {d.range}" if d.range else ""
                click.echo(f"    {d.name} = {d.default_text}  ({d.type}{bounds})\n        {d.doc}")


def options_markdown(plugins: Any) -> str:
    """The README's option tables, generated from each check's :class:`raudit.Options` (a test keeps the README in sync)."""
    from raudit._options import describe

    lines = []
    for p in plugins:
        if p.check is None or p.package != "raudit":
            continue
        lines += [f"`[check.{p.name}]`", "", "| option | default | type | meaning |", "|---|---|---|---|"]
        for d in describe(p.check.Options):
            kind = d.type + (f", {d.range}" if d.range else "")
            lines.append(f"| `{d.name}` | `{d.default_text}` | {kind} | {d.doc} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    main()
