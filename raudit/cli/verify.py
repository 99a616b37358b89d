"""``raudit verify`` and ``raudit keygen``: signed report sets."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from raudit.cli.output import EXIT_FAILED, EXIT_OK, error_text, terminal_text
from raudit.errors import RauditError

__all__ = ["verify_command", "keygen_command"]


@click.command("verify")
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
        click.echo(f"raudit: error: {error_text(exc)}", err=True)
        sys.exit(exc.exit_code)
    for what, ok, detail in results:
        mark = click.style("OK  " if ok else "FAIL", fg="green" if ok else "red", bold=True)
        click.echo(f"{mark} {terminal_text(what)}: {terminal_text(detail)}")
    if key is None:
        click.echo(UNSIGNED_NOTE)
        if envelope_path(report).is_file():
            click.echo(f"{terminal_text(envelope_path(report).name)} is next to the report: give --key with the signer's "
                       "public key to check its signature.")
    sys.exit(EXIT_OK if all(ok for _, ok, _ in results) else EXIT_FAILED)


@click.command("keygen")
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
        click.echo(f"raudit: error: {error_text(exc)}", err=True)
        sys.exit(exc.exit_code)
    locked = "encrypted with $" + PASSPHRASE_ENV if os.environ.get(PASSPHRASE_ENV) else f"unencrypted (set {PASSPHRASE_ENV} to encrypt)"
    click.echo(f"Wrote private key {terminal_text(private)} (mode 0600, {locked}): keep it secret")
    click.echo(f"Wrote public key {terminal_text(public)}: give it to whoever verifies (key id {kid})")
    click.echo(f"Sign: raudit MODEL DATA --sign-key {terminal_text(private)}   "
               f"Verify: raudit verify report.json --key {terminal_text(public)}")

