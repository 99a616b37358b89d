"""The ``raudit`` command line.

``raudit MODEL DATA [OPTIONS]`` audits a model; ``raudit checks`` lists the
available checks. Exit codes: 0 passed under the ``--fail-on`` policy, 1 a
check failed, 2 bad usage or input, 3 internal error.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path
from typing import Any

import click

from raudit.errors import RauditError

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


def _terminal_text(value: object) -> str:
    """Return ``value`` as text that cannot drive the terminal it is printed to.

    Group values, column names, file names and the messages quoting them come
    from untrusted data. Every character that is not printable — ANSI escape
    sequences (clear the screen, paint a fake green PASS), ``\\r`` (overwrite
    the line), BEL, other C0 and C1 controls, line separators, bidirectional
    overrides (reorder what the reader sees), zero-width characters — becomes a
    visible escape such as ``\\x1b`` or ``\\u202e``, newlines included, so
    one value stays on its line. Every output path of the CLI goes through it.

    Examples
    --------
    >>> print(_terminal_text("F\\x1b[2J\\rPASS"))
    F\\x1b[2J\\rPASS
    """
    text = str(value)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def _error_text(exc: BaseException) -> str:
    """An error's message and hint, each made safe for the terminal (a message cannot forge a hint line)."""
    if isinstance(exc, RauditError):
        message = _terminal_text(exc.args[0] if exc.args else "")
        return message + (f"\n  hint: {_terminal_text(exc.hint)}" if exc.hint else "")
    return _terminal_text(exc)


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: Any = None, line: str | None = None) -> None:
    """Print a Python warning through :func:`_terminal_text`: libraries' warnings can quote column names and values."""
    click.echo(f"{_terminal_text(filename)}:{lineno}: {category.__name__}: {_terminal_text(message)}", err=True)


def _csv(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(v.strip() for v in value.split(",") if v.strip())


def _limits(values: tuple[str, ...]) -> dict[str, str] | None:
    """``--load-limit NAME=VALUE`` flags as a mapping (validated with the config)."""
    from raudit.errors import InputError

    out = {}
    for v in values:
        name, sep, value = v.partition("=")
        if not sep:
            raise InputError(f"--load-limit {v!r} is not NAME=VALUE", hint="e.g. --load-limit bytes=16GiB")
        out[name.strip()] = value.strip()
    return out or None


class _DefaultGroup(click.Group):
    """A group whose default command is ``audit``: ``raudit MODEL DATA`` works."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["audit", *args]
        return super().parse_args(ctx, args)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """``raudit --help`` lists the audit's options too: ``raudit MODEL DATA`` is what most people run."""
        super().format_options(ctx, formatter)
        audit = self.commands["audit"]
        rows = [row for p in audit.get_params(ctx) if (row := p.get_help_record(ctx)) is not None]
        with formatter.section("Audit options (raudit MODEL DATA [OPTIONS])"):
            formatter.write_dl(rows)


@click.group(cls=_DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="raudit", prog_name="raudit")
def main() -> None:
    """Audit a trained model and write a responsible-AI report (HTML, PDF, JSON).

    \b
    Usage:
      raudit MODEL DATA [OPTIONS]        audit a saved model on labelled data
      raudit --predictions DATA --y-pred COL [OPTIONS]
                                         audit recorded decisions, no model
      raudit profile DATA --model M -o reference.profile.json
                                         summarise reference data for drift
      raudit checks                      list the available checks
      raudit verify report.json          check a report and its inputs are unaltered
      raudit keygen raudit.key           make a key pair for --sign-key and verify --key

    \b
    Example:
      raudit model.joblib data.csv --target income --sensitive sex,race

    Exit codes: 0 passed, 1 a check failed under --fail-on, 2 bad usage or
    input, 3 internal error.
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
@click.option("--favourable", help="The outcome a person wants (e.g. 1 or approved); fairness is judged in the direction "
                                   "of harm relative to it [default: the positive class].")
@click.option("--engine", type=click.Choice(["auto", "memory", "stream", "dask"]),
              help="Read the data all at once, in chunks, or on a Dask cluster; same numbers [default: auto: in memory "
                   "for one file up to 256 MB].")
@click.option("--chunk-rows", type=int, help="Rows per chunk when streaming [default: 200,000].")
@click.option("--scheduler", help="Dask scheduler address (tcp://host:8786) for --engine dask [default: a local cluster].")
@click.option("--detail", type=click.Choice(["summary", "standard", "full"]),
              help="How much the HTML and PDF show: summary (2 pages), standard, full (every table in the PDF) [default: standard].")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), help="Output folder [default: raudit-report].")
@click.option("--format", "formats", help="Comma-separated report formats: html,pdf,json,junit,md [default: html,pdf,json].")
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
@click.option("--template-dir", type=click.Path(file_okay=False, exists=True), help="Folder of templates overriding the built-in ones.")
@click.option("--reference", help="Drift reference: a profile from `raudit profile` (.json) or a CSV/Parquet file.")
@click.option("--sign-key", type=click.Path(dir_okay=False, path_type=Path),
              help="Ed25519 private key (raudit keygen): sign the report set into report.intoto.json.")
@click.option("--strict", is_flag=True, help="Stop when a check plugin fails to load.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def audit_command(paths: tuple[str, ...], **opts: Any) -> None:
    """Audit MODEL on labelled DATA and write report.html, report.pdf and report.json."""
    _exit_with(lambda: _audit(paths, **opts), debug=opts["debug"])


def _exit_with(run: Any, *, debug: bool) -> None:
    """Run ``run()`` and exit with its code: 2 for bad input (message, no traceback), 3 for an internal error."""
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            code = run()
    except RauditError as exc:
        click.echo(f"raudit: error: {_error_text(exc)}", err=True)
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, click.exceptions.Exit):
        raise
    except Exception as exc:
        if debug:
            raise
        click.echo(
            f"raudit: internal error: {type(exc).__name__}: {_error_text(exc)}\n"
            "  This is a bug in raudit or a plugin; rerun with --debug for the traceback and report it.",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)
    sys.exit(code)


def _raw_config(opts: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The ``--config`` file's table with the given flags on top, and where each trust setting came from.

    The table is validated later, by :class:`AuditConfig`.
    """
    from raudit.config import TRUST_KEYS, load_config_file

    raw = load_config_file(opts["config_path"]) if opts["config_path"] else {}
    flag_values = {
        "target": opts["target"],
        "sensitive": _csv(opts["sensitive"]),
        "features": _csv(opts["features"]),
        "positive_label": opts["positive_label"],
        "favourable": opts.get("favourable"),
        "detail": opts.get("detail"),
        "engine": opts.get("engine"),
        "chunk_rows": opts.get("chunk_rows"),
        "scheduler": opts.get("scheduler"),
        "reference": opts.get("reference"),
        "task": opts.get("task"),
        "torch_class": opts.get("torch_class"),
        "text_column": opts.get("text_column"),
        "batch_size": opts.get("batch_size"),
        "formats": _csv(opts["formats"]),
        "checks": _csv(opts.get("checks")),
        "fail_on": opts["fail_on"],
        "seed": opts["seed"],
        "out": str(opts["out"]) if opts["out"] is not None else None,
        "trust_model": True if opts["trust_model"] else None,
        "allow_modules": tuple(opts["allow_modules"]) or None,
        "allow_globals": tuple(opts.get("allow_globals") or ()) or None,
        "load_limits": _limits(opts.get("load_limits") or ()),
        "sign_key": str(opts["sign_key"]) if opts.get("sign_key") is not None else None,
    }
    trust_sources = {k: "command line" if flag_values.get(k) is not None else str(opts["config_path"])
                     for k in TRUST_KEYS if flag_values.get(k) is not None or k in raw}
    return {**raw, **{k: v for k, v in flag_values.items() if v is not None}}, trust_sources


def _audit(paths: tuple[str, ...], **opts: Any) -> int:
    from raudit.api.audit import audit
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

    raw, trust_sources = _raw_config(opts)
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
    _check_outputs(config, opts, trust_sources)

    quiet = opts["quiet"]
    progress = _make_progress(quiet)
    t0 = time.perf_counter()
    if opts["strict"]:
        from raudit.engine.check import discover

        discover(strict=True)
    report = audit(
        model_path,
        data_path,
        config=config,
        y_pred=opts["y_pred"],
        y_score=opts["y_score"],
        progress=progress,
        command=["raudit", *sys.argv[1:]],
        trust_sources=trust_sources,
    )
    if progress is not None:
        progress.stop()
    return _emit(report, config, opts, t0, model_uri=str(model_path) if model_path is not None else None)


def _check_outputs(config: Any, opts: dict[str, Any], trust_sources: dict[str, str]) -> None:
    """Refuse impossible output choices and say which trust settings are in force, before any work (exit 2, nothing written)."""
    from raudit.config import trust_notices, trust_settings
    from raudit.errors import InputError

    if config.out == "-" and len(config.formats) != 1:
        raise InputError("--out - writes one report to standard output; choose it with --format json (or html, pdf, junit, md)")
    for notice in trust_notices(trust_settings(config, trust_sources)):
        click.echo(f"raudit: notice: {_terminal_text(notice)}", err=True)  # even with --quiet: inspection is off or wider
    if config.sign_key is not None:
        from raudit.trust.signing import load_private_key

        if config.out == "-" or "json" not in config.formats:
            raise InputError("--sign-key signs a report set written to a folder, and needs report.json in it",
                             hint="use --out DIR with json among --format (raudit verify checks the signature from report.json)")
        load_private_key(config.sign_key)  # a bad key or passphrase is exit 2 before any work
    if str(opts.get("attach_to") or "").startswith("wandb:"):
        from raudit.integrations.wandb import parse_target

        parse_target(opts["attach_to"])


def _emit(report: Any, config: Any, opts: dict[str, Any], t0: float, *, model_uri: str | None) -> int:
    """Write the report (or print it with ``--out -``), say what was written, attach it; return the exit code."""
    from raudit.report.html import write_reports

    quiet = opts["quiet"]
    out = Path(config.out)
    formats = tuple(report.config["formats"])
    if config.out == "-":
        from raudit.report.html import render

        stdout = sys.stdout.buffer
        stdout.write(render(report, formats[0], template_dir=opts["template_dir"]))
        stdout.flush()
        return report.exit_code(config.fail_on)
    written = write_reports(report, out, formats, template_dir=opts["template_dir"], sign_key=config.sign_key)
    if not quiet:
        _print_summary(report, written, time.perf_counter() - t0, config.fail_on)
    if str(opts.get("attach_to") or "").startswith("wandb:"):
        from raudit.integrations.wandb import attach_report as attach_wandb

        logged = attach_wandb(report, written, target=opts["attach_to"])
        if not quiet:
            click.echo(f"Attached {len(logged['artifacts'])} report file(s), metrics and tags to W&B run "
                       f"{_terminal_text(logged['run_path'])}")
    elif opts.get("attach") or opts.get("attach_to"):
        from raudit.load.mlflow import attach_report, is_mlflow_uri

        done = attach_report(report, written, target=opts["attach_to"],
                             model_uri=model_uri if is_mlflow_uri(model_uri) else None)
        if not quiet:
            where = f"model {done['model']} version {done['version']} (run {done['run_id']})" if done["model"] else f"run {done['run_id']}"
            click.echo(f"Attached {len(done['artifacts'])} report file(s), metrics and tags to MLflow {_terminal_text(where)}")
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
    width = max((len(_terminal_text(r.name)) for r in report.results), default=8)
    click.echo(f"raudit: audited {report.lineage['data_shape']['rows']:,} rows in {seconds:.1f} s")
    if report.config.get("sensitive_guessed"):
        guessed = ", ".join(_terminal_text(c) for c in report.config["sensitive"])
        click.echo(f"raudit: note: sensitive columns guessed from their names: {guessed}; confirm them with --sensitive")
    for r in report.results:
        mark = click.style(f"{marks[r.status]:<5}", fg=colors[r.status], bold=True)
        click.echo(f"  {mark} {_terminal_text(r.name):<{width}}  {_terminal_text(r.summary)}")
    for p in written:
        click.echo(f"Wrote {_terminal_text(p)} ({_size(p.stat().st_size)})")
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
@click.option("--key", type=click.Path(path_type=Path),
              help="The signer's public key (KEY.pub from raudit keygen): check the signed report set.")
@click.option("--model", type=click.Path(path_type=Path), help="Model file to compare (default: the path the report recorded).")
@click.option("--data", type=click.Path(path_type=Path), help="Data file to compare (default: the path the report recorded).")
def verify_command(report: Path, key: Path | None, model: Path | None, data: Path | None) -> None:
    """Check that REPORT (a report.json) is unaltered and its inputs still match their hashes.

    With --key, check the signature in report.intoto.json and every signed file
    next to REPORT. Without it, only a digest that anyone can recompute is
    checked: that detects accidental change, not tampering.

    Exit code 0 when everything matches, 1 when something differs, 2 on bad input.
    """
    from raudit.api.verify import UNSIGNED_NOTE, verify
    from raudit.trust.signing import envelope_path

    try:
        results = verify(report, key=key, model=model, data=data)
    except RauditError as exc:
        click.echo(f"raudit: error: {_error_text(exc)}", err=True)
        sys.exit(exc.exit_code)
    for what, ok, detail in results:
        mark = click.style("OK  " if ok else "FAIL", fg="green" if ok else "red", bold=True)
        click.echo(f"{mark} {_terminal_text(what)}: {_terminal_text(detail)}")
    if key is None:
        click.echo(UNSIGNED_NOTE)
        if envelope_path(report).is_file():
            click.echo(f"{_terminal_text(envelope_path(report).name)} is next to the report: give --key with the signer's "
                       "public key to check its signature.")
    sys.exit(EXIT_OK if all(ok for _, ok, _ in results) else EXIT_FAILED)


@main.command("profile")
@click.argument("data", type=click.Path(path_type=Path), metavar="DATA")
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

    The profile holds aggregates only (counts, exact sums, histograms on a fixed
    grid), no row of the data. Exit codes: 0 written, 2 bad input (nothing
    written), 3 internal error.
    """
    def run() -> int:
        _profile(data, **opts)
        return EXIT_OK

    _exit_with(run, debug=opts["debug"])


def _profile(data: Path, **opts: Any) -> None:
    from raudit.api.audit import load_any_model
    from raudit.config import AuditConfig
    from raudit.engine.profile import make_profile
    from raudit.errors import InputError
    from raudit.load.models import load_data
    from raudit.report.files import write_atomic
    from raudit.stats.sketch import SketchParams

    out = opts["out"]
    if out != "-" and Path(out).is_dir():
        raise InputError(f"-o {out} is a folder", hint="give the profile's file name, e.g. -o reference.profile.json")
    raw = {"target": opts["target"], "sensitive": _csv(opts["sensitive"]), "features": _csv(opts["features"]),
           "positive_label": opts["positive_label"], "task": opts["task"], "torch_class": opts["torch_class"],
           "text_column": opts["text_column"], "trust_model": True if opts["trust_model"] else None,
           "allow_modules": tuple(opts["allow_modules"]) or None}
    config = AuditConfig.from_mapping({k: v for k, v in raw.items() if v is not None}, source="command line")
    model, model_path, _ = load_any_model(opts["model_path"], config)
    df = load_data(data)
    if not config.sensitive:
        from raudit.engine.context import guess_sensitive

        config = config.replace(sensitive=guess_sensitive(list(df.columns), exclude=(config.target or "",)))
        if config.sensitive and not opts["quiet"]:
            click.echo(f"raudit: sensitive columns guessed from their names: {_terminal_text(', '.join(config.sensitive))} "
                       "(name them with --sensitive)", err=True)
    profile = make_profile(model, df, config, data_path=data, model_path=model_path,
                           params=SketchParams(max_distinct=opts["max_distinct"]))
    text = profile.to_json().encode("utf-8")
    if out == "-":
        sys.stdout.buffer.write(text)
        sys.stdout.flush()
        return
    write_atomic(Path(out), text)
    if not opts["quiet"]:
        sensitive = [c.name for c in profile.columns if "sensitive" in c.roles]
        click.echo(f"Wrote {_terminal_text(out)} ({_size(len(text))}): {profile.rows:,} rows, {len(profile.columns)} "
                   f"columns ({_terminal_text(', '.join(sensitive) or 'no')} sensitive), "
                   + ("the model's outputs and per-group error counts" if profile.has_predictions else "no model outputs")
                   + ". Aggregates only: no row of the data is in it.")


@main.command("keygen")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def keygen_command(path: Path) -> None:
    """Write a new Ed25519 signing key to PATH and its public key to PATH.pub.

    PATH is PEM PKCS#8 with mode 0600; keep it secret and give PATH.pub to whoever
    verifies. It is unencrypted unless RAUDIT_KEY_PASSPHRASE is set, which then
    also unlocks it for --sign-key. Existing files are never overwritten.
    """
    import os

    from raudit.trust.signing import PASSPHRASE_ENV, generate_key

    try:
        private, public, kid = generate_key(path)
    except RauditError as exc:
        click.echo(f"raudit: error: {_error_text(exc)}", err=True)
        sys.exit(exc.exit_code)
    locked = "encrypted with $" + PASSPHRASE_ENV if os.environ.get(PASSPHRASE_ENV) else f"unencrypted (set {PASSPHRASE_ENV} to encrypt)"
    click.echo(f"Wrote private key {_terminal_text(private)} (mode 0600, {locked}): keep it secret")
    click.echo(f"Wrote public key {_terminal_text(public)}: give it to whoever verifies (key id {kid})")
    click.echo(f"Sign: raudit MODEL DATA --sign-key {_terminal_text(private)}   "
               f"Verify: raudit verify report.json --key {_terminal_text(public)}")


@main.command("checks")
@click.option("--options", "show_options", is_flag=True, help="Also list every option of each check: type, default, range, meaning.")
@click.option("--markdown", is_flag=True, help="Print the options as the Markdown tables of the README.")
def checks_command(show_options: bool, markdown: bool) -> None:
    """List every available check with its source package and version."""
    from raudit.engine.check import discover

    plugins = discover()
    if markdown:
        click.echo(options_markdown(plugins), nl=False)
        return
    for p in plugins:
        if p.check is None:
            click.echo(_terminal_text(f"{p.name:<14} {p.package} {p.version}  FAILED TO LOAD: {p.error}"))
            continue
        needs = ", ".join(sorted(p.check.requires)) or "-"
        click.echo(_terminal_text(f"{p.name:<14} {p.package} {p.version:<10} {p.check.title}  (needs: {needs})"))
        if show_options:
            from raudit.options import describe

            for d in describe(p.check.Options):
                bounds = f", {d.range}" if d.range else ""
                click.echo(f"    {d.name} = {d.default_text}  ({d.type}{bounds})\n        {d.doc}")


def options_markdown(plugins: Any) -> str:
    """The README's option tables, generated from each check's :class:`raudit.Options` (a test keeps the README in sync)."""
    from raudit.options import describe

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


def _register() -> None:
    """Commands that live in their own modules (imported here, but nothing heavy at import time)."""
    from raudit.cli.compare import compare_command, diff_command

    main.add_command(compare_command)
    main.add_command(diff_command)


_register()


if __name__ == "__main__":  # pragma: no cover
    main()
