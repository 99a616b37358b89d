"""``raudit serve``: the audit ledger as a web page and a read-only JSON API."""

from __future__ import annotations

import os
from pathlib import Path

import click

from raudit.cli.ledger import ledger_option, open_for_cli
from raudit.cli.output import EXIT_OK, exit_with, terminal_text

__all__ = ["serve_command"]


@click.command("serve")
@ledger_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback needs a token ($RAUDIT_LEDGER_TOKEN).")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option("--key", "keys", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="A public key trusted to sign posted reports (repeatable), besides those the ledger recorded.")
@click.option("--stale-days", default=90, show_default=True, type=click.IntRange(min=1),
              help="Flag models whose latest audit is this many days old.")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def serve_command(ledger: str, host: str, port: int, keys: tuple[Path, ...], stale_days: int, debug: bool) -> None:
    """Serve the ledger at http://127.0.0.1:8765: models, each model's audits over time, each audit, two side by side.

    Pages and GET /api/... are read-only. POST /api/audits adds a report set and needs the bearer token in
    $RAUDIT_LEDGER_TOKEN; without it, writing is disabled.
    """
    def run() -> int:
        from raudit.ledger import require

        require("raudit serve")
        from raudit.serve.run import TOKEN_ENV, check_bind, serve
        from raudit.trust.signing import load_public_key

        token = os.environ.get(TOKEN_ENV) or None
        store = open_for_cli(ledger, what="raudit serve")
        check_bind(host, token)
        trusted = [load_public_key(p) for p in keys]
        shown_host = f"[{host}]" if ":" in host else host
        click.echo(f"Serving the ledger {terminal_text(store.shown)} at http://{terminal_text(shown_host)}:{port}/ "
                   f"(writing {'needs the bearer token' if token else 'disabled: no token'}); Ctrl-C stops")
        with store:
            serve(store, host=host, port=port, token=token, keys=trusted, stale_days=stale_days)
        return EXIT_OK

    exit_with(run, debug=debug)
