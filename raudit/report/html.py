"""The HTML report: Jinja2 templates (autoescaped) over the view of a report.

Templates only render: all numbers are computed and formatted before they get here (:mod:`raudit.report.view`).
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from raudit.errors import InputError
from raudit.report.view import view

if TYPE_CHECKING:
    import jinja2

    from raudit.report.report import Report

__all__ = ["render_html", "templates_dir", "templates_sha256"]


def templates_dir() -> Path:
    """Return the folder holding the built-in templates (``raudit.templates``)."""
    return Path(str(files("raudit.templates")))


@cache
def templates_sha256() -> str:
    """Hash of every built-in template and stylesheet (recorded in lineage)."""
    from raudit.trust.digest import tree_hash

    root = templates_dir()
    return tree_hash((p for p in root.rglob("*") if p.is_file() and p.suffix in (".j2", ".css")), root=root)


@cache
def _environment(extra_dir: str | None = None, plugin_dirs: tuple[str, ...] = ()) -> jinja2.Environment:
    import jinja2

    search = [extra_dir] if extra_dir else []
    env = jinja2.Environment(
        # a user's --template-dir first, then templates shipped by plugins, then raudit's own
        loader=jinja2.FileSystemLoader([*search, *plugin_dirs, str(templates_dir())]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    from raudit.report.format import number

    env.filters["num"] = number
    env.filters["tojson_pretty"] = lambda v: json.dumps(v, indent=2, sort_keys=True, ensure_ascii=False)
    return env


def render_html(report: Report, *, standalone: bool = True, template_dir: str | None = None) -> str:
    """Render the report as one self-contained HTML document.

    Parameters
    ----------
    standalone : bool
        ``False`` gives a fragment for notebooks (``_repr_html_``).
    template_dir : str, optional
        A folder whose templates override the built-in ones by name.
    """
    import jinja2

    env = _environment(template_dir, tuple(report.template_dirs))
    css = (templates_dir() / "report.css").read_text(encoding="utf-8")
    try:
        return env.get_template("report.html.j2").render(report=view(report), css=css, standalone=standalone)
    except jinja2.TemplateError as exc:
        if not template_dir:
            raise  # a built-in template failing is a bug in raudit
        where = getattr(exc, "filename", None) or getattr(exc, "name", None) or "a template"
        line = getattr(exc, "lineno", None)
        raise InputError(f"rendering with --template-dir {template_dir} failed in {where}{f', line {line}' if line else ''}: "
                         f"{type(exc).__name__}: {exc.message or exc}",
                         hint="fix the template in --template-dir, or remove it to use the built-in one") from None
