"""``raudit ledger``: add report sets to the audit ledger, verify it, apply retention, manage alert webhooks, migrate it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from raudit.cli.output import EXIT_FAILED, EXIT_OK, exit_with, terminal_text

__all__ = ["ledger_group", "ledger_option", "open_for_cli", "print_added"]

#: The environment variable ``--ledger`` falls back to (handy for a PostgreSQL URL with a password).
LEDGER_ENV = "RAUDIT_LEDGER"


def ledger_option(f: Any) -> Any:
    """``--ledger PATH|URL`` (or ``$RAUDIT_LEDGER``), required."""
    return click.option("--ledger", "ledger", envvar=LEDGER_ENV, required=True, metavar="PATH|URL",
                        help=f"The ledger: an SQLite file (raudit-ledger.db) or postgresql://user@host/db [env: {LEDGER_ENV}].")(f)


def open_for_cli(where: str, *, create: bool = True, what: str = "the audit ledger") -> Any:
    """Check the extra is installed, then open the ledger (exit 2 with the install line or what is wrong)."""
    from raudit.ledger import require

    require(what)
    from raudit.ledger.store import open_ledger

    return open_ledger(where, create=create)


def _public_keys(paths: tuple[Path, ...]) -> list[Any]:
    from raudit.trust.signing import load_public_key

    return [load_public_key(p) for p in paths]


def print_added(added: list[Any], deliveries: list[Any], where: str) -> None:
    """Say what was added and which alerts went out."""
    for a in added:
        signed = f"signature verified (key {a.key_id[:16]}…)" if a.signature == "verified" else "unsigned"
        click.echo(f"Added entry {a.seq} to the ledger {terminal_text(where)}: {terminal_text(a.audit.model_name)} "
                   f"{terminal_text(a.audit.model_version)}, {a.audit.status}, {signed}; digest {a.digest[:16]}…")
    for d in deliveries:
        if d.outcome == "delivered":
            click.echo(f"Alert for entry {d.entry_seq} delivered to {terminal_text(d.url)} ({d.attempts} attempt(s))")
        else:
            click.echo(f"raudit: warning: alert for entry {d.entry_seq} to {terminal_text(d.url)} failed after {d.attempts} "
                       f"attempt(s): {terminal_text(d.error)} (recorded in the ledger)", err=True)


@click.group("ledger")
def ledger_group() -> None:
    """The audit ledger: every report of every model in one tamper-evident store (needs raudit[ledger]).

    \b
    raudit ledger add report.json --ledger raudit-ledger.db --key raudit.key.pub
    raudit ledger verify --ledger raudit-ledger.db
    raudit serve --ledger raudit-ledger.db
    """


@ledger_group.command("add")
@click.argument("reports", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@ledger_option
@click.option("--key", "keys", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="A signer's public key (KEY.pub from raudit keygen) to verify signed reports with (repeatable).")
@click.option("--model-name", help="The model's name in the ledger [default: the MLflow registry name, else the model file's name].")
@click.option("--schema", is_flag=True, help="Also validate each report against the whole JSON Schema (as raudit verify does).")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def add_command(reports: tuple[Path, ...], ledger: str, keys: tuple[Path, ...], model_name: str | None, schema: bool,
                debug: bool) -> None:
    """Add report sets (REPORT: a report.json; its report.intoto.json and report.html beside it come too).

    A signed report is verified first (a bad signature is refused, exit 1); an unsigned one is stored as
    unsigned. All the reports are added, or none.
    """
    def run() -> int:
        store = open_for_cli(ledger)
        with store:
            from raudit.ledger.alerts import alert
            from raudit.ledger.store import ReportSet

            sets = [ReportSet.from_folder(r, model_name=model_name) for r in reports]
            added = store.add(sets, _public_keys(keys), schema=schema)
            print_added(added, alert(store, added), store.shown)
        return EXIT_OK

    exit_with(run, debug=debug)


@ledger_group.command("verify")
@ledger_option
@click.option("--key", "keys", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Trust only these public keys for report and tombstone signatures (repeatable) "
                   "[default: the keys the ledger recorded].")
@click.option("--head", "head_digest", help="A head digest printed by an earlier verify: check the chain still passes through it.")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def verify_command(ledger: str, keys: tuple[Path, ...], head_digest: str | None, debug: bool) -> None:
    """Recompute the hash chain, every stored file's sha256, every report's fields and signature.

    Exit code 0 when the ledger is intact, 1 naming each entry that broke, 2 on bad input.
    """
    def run() -> int:
        store = open_for_cli(ledger, create=False)
        with store:
            from raudit.ledger.verify import verify_ledger

            result = verify_ledger(store, keys=_public_keys(keys) or None, head_digest=head_digest)
            shown = store.shown
        for problem in result.problems:
            click.echo(f"{click.style('FAIL', fg='red', bold=True)} {terminal_text(problem)}")
        mark = click.style("OK  " if result.ok else "FAIL", fg="green" if result.ok else "red", bold=True)
        bridged = f", {result.tombstones} tombstone(s) for {result.removed} removed entries" if result.tombstones else ""
        click.echo(f"{mark} ledger {terminal_text(shown)}: {result.entries} entries ({result.audits} audits{bridged}), "
                   f"{result.signed} signature(s) verified, {len(result.problems)} problem(s)")
        click.echo(f"head {result.head}: keep it where the ledger's writers cannot edit it; verify --head checks the chain still "
                   "passes through it")
        if result.keys_from == "ledger":
            click.echo("note: signatures were checked with the keys the ledger recorded; give --key with the public keys you "
                       "trust to check them against those instead.")
        return EXIT_OK if result.ok else EXIT_FAILED

    exit_with(run, debug=debug)


@ledger_group.command("prune")
@ledger_option
@click.option("--sign-key", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The ledger's Ed25519 private key (raudit keygen) that signs the tombstone.")
@click.option("--keep-days", type=click.IntRange(min=0), help="Remove audits older than this many days ...")
@click.option("--keep-per-model", type=click.IntRange(min=1), help="... that are not among each model's newest N audits.")
@click.option("--dry-run", is_flag=True, help="Say what would be removed; change nothing.")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def prune_command(ledger: str, sign_key: Path, keep_days: int | None, keep_per_model: int | None, dry_run: bool, debug: bool) -> None:
    """Apply a retention policy: remove old audits and append a signed tombstone, so the chain still verifies."""
    def run() -> int:
        from raudit.trust.signing import load_private_key

        key = load_private_key(sign_key)
        store = open_for_cli(ledger, create=False)
        with store:
            from raudit.ledger.retention import prune

            done = prune(store, key, keep_days=keep_days, keep_per_model=keep_per_model, dry_run=dry_run)
        listed = ", ".join(map(str, done.removed[:20])) + (" …" if len(done.removed) > 20 else "")
        if dry_run:
            click.echo(f"Would remove {len(done.removed)} audit entries{': ' + listed if listed else ''}")
        elif done.tombstone is None:
            click.echo("Nothing to remove under this policy")
        else:
            click.echo(f"Removed {len(done.removed)} audit entries ({listed}); signed tombstone: entry {done.tombstone}")
        return EXIT_OK

    exit_with(run, debug=debug)


@ledger_group.command("webhook")
@ledger_option
@click.option("--add", "add_url", metavar="URL", help="Send alerts to this URL (a JSON POST) too.")
@click.option("--remove", "remove_url", metavar="URL", help="Stop sending alerts to this URL.")
def webhook_command(ledger: str, add_url: str | None, remove_url: str | None) -> None:
    """List, add or remove the webhooks alerted when a model's status worsens or a headline metric crosses its threshold."""
    def run() -> int:
        from raudit.errors import InputError

        store = open_for_cli(ledger)
        with store:
            from raudit.ledger.alerts import add_webhook, list_webhooks, remove_webhook

            if add_url:
                add_webhook(store, add_url)
            if remove_url and not remove_webhook(store, remove_url):
                raise InputError(f"no webhook {remove_url!r} in this ledger", hint="raudit ledger webhook lists them")
            urls = list_webhooks(store)
        click.echo("\n".join(terminal_text(u) for u in urls) if urls else "No webhooks: alerts are not sent")
        return EXIT_OK

    exit_with(run, debug=False)


@ledger_group.command("upgrade")
@ledger_option
def upgrade_command(ledger: str) -> None:
    """Migrate a ledger made by an older raudit to this raudit's schema (back it up first)."""
    def run() -> int:
        from raudit.ledger import require

        require()
        from raudit.ledger.schema import REVISION
        from raudit.ledger.store import display_url, engine_for, migrate

        engine = engine_for(ledger, create=False)
        try:
            migrate(engine)
        finally:
            engine.dispose()
        click.echo(f"The ledger {terminal_text(display_url(engine.url))} is at schema revision {REVISION}")
        return EXIT_OK

    exit_with(run, debug=False)
