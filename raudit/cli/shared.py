"""What the audit and compare commands share: options into a config, output checks before any work, writing and attaching."""

from __future__ import annotations

import time
from typing import Any

import click

from raudit.cli.output import print_summary, terminal_text

__all__ = ["csv_list", "load_limits", "raw_config", "check_outputs", "emit"]


def csv_list(value: str | None) -> tuple[str, ...] | None:
    """``"a, b"`` as ``("a", "b")``; ``None`` stays ``None``."""
    if value is None:
        return None
    return tuple(v.strip() for v in value.split(",") if v.strip())


def load_limits(values: tuple[str, ...], *, flag: str = "--load-limit", example: str = "bytes=16GiB") -> dict[str, str] | None:
    """``--load-limit NAME=VALUE`` (or ``--jail-limit``) flags as a mapping (validated with the config)."""
    from raudit.errors import InputError

    out = {}
    for v in values:
        name, sep, value = v.partition("=")
        if not sep:
            raise InputError(f"{flag} {v!r} is not NAME=VALUE", hint=f"e.g. {flag} {example}")
        out[name.strip()] = value.strip()
    return out or None


def _text(value: Any) -> str | None:
    """A flag's path as text; ``None`` stays ``None``."""
    return None if value is None else str(value)


def raw_config(opts: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:  # size: one entry per flag of the config
    """The ``--config`` file's table with the given flags on top, and where each trust setting came from.

    The table is validated later, by :class:`AuditConfig`.
    """
    from raudit.config import TRUST_KEYS, load_config_file

    raw = load_config_file(opts["config_path"]) if opts["config_path"] else {}
    flag_values = {
        "target": opts["target"],
        "sensitive": csv_list(opts["sensitive"]),
        "features": csv_list(opts["features"]),
        "positive_label": opts["positive_label"],
        "favourable": opts.get("favourable"),
        "detail": opts.get("detail"),
        "engine": opts.get("engine"),
        "chunk_rows": opts.get("chunk_rows"),
        "scheduler": opts.get("scheduler"),
        "reference": opts.get("reference"),
        "time_column": opts.get("time_column"),
        "train_data": _text(opts.get("train_data")),
        "task": opts.get("task"),
        "torch_class": opts.get("torch_class"),
        "text_column": opts.get("text_column"),
        "batch_size": opts.get("batch_size"),
        "formats": csv_list(opts["formats"]),
        "checks": csv_list(opts.get("checks")),
        "fail_on": opts["fail_on"],
        "inconclusive": opts.get("inconclusive"),
        "seed": opts["seed"],
        "out": str(opts["out"]) if opts["out"] is not None else None,
        "trust_model": True if opts["trust_model"] else None,
        "allow_modules": tuple(opts["allow_modules"]) or None,
        "allow_globals": tuple(opts.get("allow_globals") or ()) or None,
        "load_limits": load_limits(opts.get("load_limits") or ()),
        "jail_limits": load_limits(opts.get("jail_limits") or (), flag="--jail-limit", example="memory=8GiB"),
        "sign_key": str(opts["sign_key"]) if opts.get("sign_key") is not None else None,
    }
    trust_sources = {k: "command line" if flag_values.get(k) is not None else str(opts["config_path"])
                     for k in TRUST_KEYS if flag_values.get(k) is not None or k in raw}
    merged = {**raw, **{k: v for k, v in flag_values.items() if v is not None}}
    if opts.get("window") is not None:  # --window is the drift check's window option
        checks = dict(merged.get("check", {}))
        checks["drift"] = {**checks.get("drift", {}), "window": opts["window"]}
        merged["check"] = checks
    return merged, trust_sources


def check_outputs(config: Any, opts: dict[str, Any], trust_sources: dict[str, str]) -> None:
    """Refuse impossible output choices and say which trust settings are in force, before any work (exit 2, nothing written)."""
    from raudit.config import trust_notices, trust_settings
    from raudit.errors import InputError

    output = config.output
    if output.out == "-" and len(output.formats) != 1:
        raise InputError("--out - writes one report to standard output; choose it with --format json (or html, pdf, junit, md)")
    for notice in trust_notices(trust_settings(config, trust_sources)):
        click.echo(f"raudit: notice: {terminal_text(notice)}", err=True)  # even with --quiet: inspection is off or wider
    if output.sign_key is not None:
        from raudit.trust.signing import load_private_key

        if output.out == "-" or "json" not in output.formats:
            raise InputError("--sign-key signs a report set written to a folder, and needs report.json in it",
                             hint="use --out DIR with json among --format (raudit verify checks the signature from report.json)")
        load_private_key(output.sign_key)  # a bad key or passphrase is exit 2 before any work
    if str(opts.get("attach_to") or "").startswith("wandb:"):
        from raudit.integrations.wandb import parse_target

        parse_target(opts["attach_to"])
    if opts.get("ledger"):
        if output.out == "-" or "json" not in output.formats:
            raise InputError("--ledger adds the written report set, and needs report.json in it",
                             hint="use --out DIR with json among --format")
        from raudit.cli.ledger import open_for_cli

        open_for_cli(opts["ledger"]).close()  # the extra, the URL and the schema are checked before any work


def emit(report: Any, config: Any, opts: dict[str, Any], t0: float, *, model_uri: str | None) -> int:
    """Write the report (or print it with ``--out -``), say what was written, attach it; return the exit code."""
    from raudit.report.write import write_report

    quiet = opts["quiet"]
    output = config.output
    written = write_report(report, output.out, output.formats, template_dir=opts["template_dir"], sign_key=output.sign_key)
    if output.out == "-":
        return report.exit_code(output.fail_on)
    if not quiet:
        print_summary(report, written, time.perf_counter() - t0, output.fail_on)
    if str(opts.get("attach_to") or "").startswith("wandb:"):
        from raudit.integrations.wandb import attach_report as attach_wandb

        logged = attach_wandb(report, written, target=opts["attach_to"])
        if not quiet:
            click.echo(f"Attached {len(logged['artifacts'])} report file(s), metrics and tags to W&B run "
                       f"{terminal_text(logged['run_path'])}")
    elif opts.get("attach") or opts.get("attach_to"):
        from raudit.integrations.mlflow import attach_report
        from raudit.load.mlflow import is_mlflow_uri

        done = attach_report(report, written, target=opts["attach_to"],
                             model_uri=model_uri if is_mlflow_uri(model_uri) else None)
        if not quiet:
            where = f"model {done['model']} version {done['version']} (run {done['run_id']})" if done["model"] else f"run {done['run_id']}"
            click.echo(f"Attached {len(done['artifacts'])} report file(s), metrics and tags to MLflow {terminal_text(where)}")
    if opts.get("ledger"):
        _add_to_ledger(written, opts, output.sign_key)
    return report.exit_code(output.fail_on)


def _add_to_ledger(written: list[Any], opts: dict[str, Any], sign_key: Any) -> None:
    """Add the written set to ``--ledger`` (its signature verified with the signing key's public half) and send alerts."""
    from pathlib import Path

    from raudit.cli.ledger import open_for_cli, print_added
    from raudit.ledger.alerts import alert
    from raudit.ledger.store import ReportSet

    report_json = next(Path(p) for p in written if Path(p).name == "report.json")
    keys = []
    if sign_key is not None:
        from raudit.trust.signing import load_private_key

        keys.append(load_private_key(sign_key).public_key())
    from raudit.errors import RauditError

    try:
        with open_for_cli(opts["ledger"]) as store:
            added = store.add([ReportSet.from_folder(report_json, model_name=opts.get("ledger_model"))], keys)
            deliveries = alert(store, added)
            shown = store.shown
    except RauditError as exc:
        error = type(exc)(f"the report set was written to {report_json.parent}, but not added to the ledger: {exc.args[0]}",
                          hint=f"add it when that is fixed: raudit ledger add {report_json} --ledger LEDGER")
        raise error from None
    if not opts["quiet"]:
        print_added(added, deliveries, shown)

