"""The ``raudit`` command line.

``raudit MODEL DATA [OPTIONS]`` audits a model; ``raudit checks`` lists the
available checks. Exit codes: 0 passed under the ``--fail-on`` policy, 1 a
check failed, 2 bad usage or input, 3 internal error.
"""

from __future__ import annotations

import click

from raudit.cli.audit import audit_command
from raudit.cli.checks import checks_command
from raudit.cli.compare import compare_command, diff_command
from raudit.cli.ledger import ledger_group
from raudit.cli.profile import profile_command
from raudit.cli.serve import serve_command
from raudit.cli.verify import approve_command, keygen_command, verify_command

__all__ = ["main"]


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
      raudit approve report.json --reviewer NAME --decision approve --sign-key KEY
                                         sign a reviewer's decision beside the report
      raudit ledger add|verify|prune     the audit ledger (raudit[ledger])
      raudit serve --ledger LEDGER       the ledger as a web page at http://127.0.0.1:8765

    \b
    Example:
      raudit model.joblib data.csv --target income --sensitive sex,race

    Exit codes: 0 passed, 1 a check failed under --fail-on, 2 bad usage or
    input, 3 internal error.
    """


for _command in (audit_command, verify_command, approve_command, profile_command, keygen_command, checks_command, compare_command,
                 diff_command, ledger_group, serve_command):
    main.add_command(_command)


if __name__ == "__main__":  # pragma: no cover
    main()
