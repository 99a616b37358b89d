"""``raudit verify`` and ``raudit keygen``: signed report sets."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from raudit.cli.output import EXIT_FAILED, EXIT_OK, error_text, terminal_text
from raudit.errors import RauditError

__all__ = ["verify_command", "keygen_command", "approve_command"]


@click.command("verify")
@click.argument("report", type=click.Path(path_type=Path))
@click.option("--key", type=click.Path(path_type=Path),
              help="The signer's public key (KEY.pub from raudit keygen): check the signed report set.")
@click.option("--model", type=click.Path(path_type=Path), help="Model file to compare (default: the path the report recorded).")
@click.option("--data", type=click.Path(path_type=Path), help="Data file to compare (default: the path the report recorded).")
@click.option("--reviewer-key", type=click.Path(path_type=Path),
              help="The reviewer's public key: check the signed decision (report.approval.json, from raudit approve).")
def verify_command(report: Path, key: Path | None, model: Path | None, data: Path | None, reviewer_key: Path | None) -> None:
    """Check that REPORT (a report.json) is unaltered and its inputs still match their hashes.

    With --key, check the signature in report.intoto.json and every signed file
    next to REPORT. Without it, the report's digest and the hashes it recorded
    of the files beside it are checked: that detects accidental change, not
    tampering, since anyone can recompute them. A reviewer's decision beside the
    report (raudit approve) is matched to the report; --reviewer-key also checks
    its signature.

    Exit code 0 when everything matches, 1 when something differs, 2 on bad input.
    """
    from raudit.api.verify import UNSIGNED_NOTE, verify
    from raudit.trust.signing import envelope_path

    try:
        results = verify(report, key=key, model=model, data=data, reviewer_key=reviewer_key)
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



@click.command("approve")
@click.argument("report", type=click.Path(path_type=Path))
@click.option("--reviewer", required=True, help='Who decides, e.g. "A. Reviewer <a.reviewer@example.com>".')
@click.option("--decision", required=True, type=click.Choice(["approve", "reject"]), help="The decision on the report.")
@click.option("--note", default="", help="Why (one paragraph).")
@click.option("--accept-risk", "accepted_risks", multiple=True, help="A risk accepted in deciding (repeat for more).")
@click.option("--sign-key", required=True, type=click.Path(path_type=Path),
              help="The reviewer's Ed25519 private key (raudit keygen).")
def approve_command(report: Path, reviewer: str, decision: str, note: str, accepted_risks: tuple[str, ...], sign_key: Path) -> None:
    """Sign a reviewer's decision on REPORT (a report.json) and write it beside it as report.approval.json.

    The decision names the report's sha256 and content digest, so it cannot be moved to another
    report and fails raudit verify once the report changes. An earlier decision is never
    overwritten. Exit code 0 when written, 2 on bad input (nothing is written).
    """
    from raudit.api.approve import approve

    try:
        out = approve(report, reviewer=reviewer, decision=decision, key=sign_key, note=note, accepted_risks=accepted_risks)
    except RauditError as exc:
        click.echo(f"raudit: error: {error_text(exc)}", err=True)
        sys.exit(exc.exit_code)
    click.echo(f"Wrote {terminal_text(out)}: {decision} by {terminal_text(reviewer)}. Check it with raudit verify "
               f"{terminal_text(report)} --reviewer-key KEY.pub")
