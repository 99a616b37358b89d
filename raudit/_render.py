"""Turn a :class:`Report` into HTML, PDF or JSON bytes; write files atomically.

Templates only render: all numbers are computed before they get here.
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from raudit._errors import InputError

if TYPE_CHECKING:
    import jinja2

    from raudit._report import Report

__all__ = ["render", "render_html", "render_pdf", "write_reports", "REPORT_FILES", "templates_dir", "templates_sha256"]


def templates_dir() -> Path:
    """Return the folder holding the built-in templates (``raudit.templates``)."""
    return Path(str(files("raudit.templates")))


@cache
def templates_sha256() -> str:
    """Hash of every built-in template and stylesheet (recorded in lineage)."""
    from raudit._lineage import tree_hash

    root = templates_dir()
    return tree_hash((p for p in root.rglob("*") if p.is_file() and p.suffix in (".j2", ".css")), root=root)


def _num(value: Any, digits: int = 4) -> str:
    """Format a number for people: 4 significant digits, thousands separators."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "—"
        if value != 0 and abs(value) < 1e-3:
            return f"{value:.{digits - 1}e}"
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.{digits}g}"
    return str(value)


def plugin_template_dirs() -> tuple[str, ...]:
    """``templates/`` folders shipped inside third-party check packages (for their ``checks/NAME.html.j2``)."""
    from raudit._plugins import discover

    found = []
    for p in discover():
        if p.check is None or p.package == "raudit":
            continue
        package = p.check.__module__.split(".")[0]
        try:
            folder = files(package) / "templates"
        except (ModuleNotFoundError, TypeError):
            continue
        if folder.is_dir():
            found.append(str(folder))
    return tuple(dict.fromkeys(found))


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
    env.filters["num"] = _num
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

    env = _environment(template_dir, plugin_template_dirs())
    css = (templates_dir() / "report.css").read_text(encoding="utf-8")
    view = report.to_dict()
    for check in view["checks"]:
        check["blocks"] = _blocks(check["tables"], check["figures"])
    try:
        return env.get_template("report.html.j2").render(report=view, css=css, standalone=standalone)
    except jinja2.TemplateError as exc:
        if not template_dir:
            raise  # a built-in template failing is a bug in raudit
        where = getattr(exc, "filename", None) or getattr(exc, "name", None) or "a template"
        line = getattr(exc, "lineno", None)
        raise InputError(f"rendering with --template-dir {template_dir} failed in {where}{f', line {line}' if line else ''}: "
                         f"{type(exc).__name__}: {exc.message or exc}",
                         hint="fix the template in --template-dir, or remove it to use the built-in one") from None


def _blocks(tables: list[dict[str, Any]], figures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Group tables and figures by section, sections in order of first appearance."""
    blocks: dict[str, dict[str, Any]] = {}
    for kind, items in (("tables", tables), ("figures", figures)):
        for item in items:
            block = blocks.setdefault(item["section"], {"section": item["section"], "tables": [], "figures": []})
            block[kind].append(item)
    return sorted(blocks.values(), key=lambda b: min(
        [i for i, t in enumerate(tables) if t["section"] == b["section"]] +
        [i + 0.5 for i, f in enumerate(figures) if f["section"] == b["section"]]))


def render_pdf(html: str) -> bytes:
    """Render HTML to PDF bytes with WeasyPrint (no network: URLs are refused)."""
    import logging

    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)

    def no_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
        raise ValueError(f"raudit reports load no external resources ({url})")

    return weasyprint.HTML(string=html, url_fetcher=no_fetch, base_url=".").write_pdf()


def render(report: Report, fmt: str, *, template_dir: str | None = None, html: str | None = None) -> bytes:
    """Return the report as bytes in ``fmt``: ``"html"``, ``"pdf"``, ``"json"``, ``"junit"`` or ``"md"``.

    ``html`` is the report already rendered as HTML, so that HTML and PDF share one rendering.
    """
    if fmt == "json":
        return report.to_json().encode("utf-8")
    if fmt in ("html", "pdf"):
        html = html if html is not None else render_html(report, template_dir=template_dir)
        return html.encode("utf-8") if fmt == "html" else render_pdf(html)
    if fmt in ("junit", "md"):
        from raudit._ci_formats import CI_FORMATS

        return CI_FORMATS[fmt](report)
    raise InputError(f"unknown report format {fmt!r}", hint="use a .html, .pdf or .json file name")


#: The file each format is written to in the output folder (the whole set is replaced together).
REPORT_FILES = {"html": "report.html", "pdf": "report.pdf", "json": "report.json", "junit": "report.junit.xml", "md": "report.md"}


def write_reports(report: Report, out: Path, formats: tuple[str, ...], *, template_dir: str | None = None) -> list[Path]:
    """Render every format, then write them all-or-nothing (see ``raudit._files.write_set``).

    Report files of formats not asked for this time are removed with the
    swap, so the folder never holds a mix of two runs.
    """
    from raudit._files import write_set

    html = render_html(report, template_dir=template_dir) if {"html", "pdf"} & set(formats) else None
    rendered = {REPORT_FILES[fmt]: render(report, fmt, html=html) for fmt in formats}
    return write_set(out, rendered, replaces=REPORT_FILES.values())
