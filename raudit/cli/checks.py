"""``raudit checks``: the available checks and their options."""

from __future__ import annotations

from typing import Any

import click

from raudit.cli.output import terminal_text

__all__ = ["checks_command", "options_markdown"]


@click.command("checks")
@click.option("--options", "show_options", is_flag=True, help="Also list every option of each check: type, default, range, meaning.")
@click.option("--markdown", is_flag=True, help="Print the options as Markdown tables, one per check.")
def checks_command(show_options: bool, markdown: bool) -> None:
    """List every available check with its source package and version."""
    from raudit.api.plugins import discover

    plugins = discover()
    if markdown:
        click.echo(options_markdown(plugins), nl=False)
        return
    name_w = max((len(p.name) for p in plugins), default=4)  # columns as wide as their longest entry, so they align
    source_w = max((len(f"{p.package} {p.version}") for p in plugins), default=6)
    for p in plugins:
        source = f"{p.package} {p.version}"
        if p.check is None:
            click.echo(terminal_text(f"{p.name:<{name_w}}  {source:<{source_w}}  FAILED TO LOAD: {p.error}"))
            continue
        needs = ", ".join(sorted(p.check.requires)) or "-"
        click.echo(terminal_text(f"{p.name:<{name_w}}  {source:<{source_w}}  {p.check.title}  (needs: {needs})"))
        if show_options:
            from raudit.options import describe

            for d in describe(p.check.Options):
                bounds = f", {d.range}" if d.range else ""
                click.echo(f"    {d.name} = {d.default_text}  ({d.type}{bounds})\n        {d.doc}")


def options_markdown(plugins: Any) -> str:
    """Markdown option tables, one per check, generated from each check's :class:`raudit.Options`."""
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

