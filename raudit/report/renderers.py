"""Every report format is a renderer: a name, the file it is written to, and ``render(report) -> bytes``.

A new format is one class here and one entry in :data:`RENDERERS`; the writer
(:mod:`raudit.report.write`) and ``--format`` pick it up from there.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from raudit.errors import InputError
from raudit.report.html import render_html

if TYPE_CHECKING:
    from raudit.report.report import Report

__all__ = ["Renderer", "HtmlRenderer", "PdfRenderer", "JsonRenderer", "JunitRenderer", "MarkdownRenderer", "RENDERERS",
           "renderers_for", "renderer_for_suffix", "render_pdf", "UNKNOWN_FORMAT"]


#: The error for a format no renderer writes (raised for --format and for Report.save's suffix).
UNKNOWN_FORMAT = "unknown report format {fmt!r}"


class Renderer(Protocol):
    """A report format: its ``name`` (as ``--format`` says it), the ``file_name`` it is written to, and its bytes."""

    name: ClassVar[str]
    file_name: ClassVar[str]

    def render(self, report: Report) -> bytes:
        """The report in this format."""
        ...


@dataclass
class HtmlRenderer:
    """One self-contained HTML file (Jinja2 templates; a user's ``template_dir`` overrides built-in partials)."""

    name: ClassVar[str] = "html"
    file_name: ClassVar[str] = "report.html"
    template_dir: str | None = None
    _last: tuple[int, str] | None = field(default=None, repr=False)

    def text(self, report: Report) -> str:
        """The HTML as text; rendered once per report, so that the PDF shares the HTML's rendering."""
        if self._last is None or self._last[0] != id(report):
            self._last = (id(report), render_html(report, template_dir=self.template_dir))
        return self._last[1]

    def render(self, report: Report) -> bytes:  # noqa: D102
        return self.text(report).encode("utf-8")


def render_pdf(html: str) -> bytes:
    """Render HTML to PDF bytes with WeasyPrint (no network: URLs are refused)."""
    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)

    def no_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
        raise ValueError(f"raudit reports load no external resources ({url})")

    return weasyprint.HTML(string=html, url_fetcher=no_fetch, base_url=".").write_pdf()


@dataclass
class PdfRenderer:
    """The HTML report printed by WeasyPrint: the same markup, no JavaScript, no external resource."""

    name: ClassVar[str] = "pdf"
    file_name: ClassVar[str] = "report.pdf"
    html: HtmlRenderer = field(default_factory=HtmlRenderer)

    def render(self, report: Report) -> bytes:  # noqa: D102
        return render_pdf(self.html.text(report))


@dataclass
class JsonRenderer:
    """The versioned JSON form, indented and key-sorted (``raudit/schema/report.schema.json``)."""

    name: ClassVar[str] = "json"
    file_name: ClassVar[str] = "report.json"

    def render(self, report: Report) -> bytes:  # noqa: D102
        return report.to_json().encode("utf-8")


@dataclass
class JunitRenderer:
    """JUnit XML for CI test dashboards (:func:`raudit.report.ci.to_junit`)."""

    name: ClassVar[str] = "junit"
    file_name: ClassVar[str] = "report.junit.xml"

    def render(self, report: Report) -> bytes:  # noqa: D102
        from raudit.report.ci import to_junit

        return to_junit(report)


@dataclass
class MarkdownRenderer:
    """A short Markdown summary for CI job summaries and pull-request comments (:func:`raudit.report.ci.to_markdown`)."""

    name: ClassVar[str] = "md"
    file_name: ClassVar[str] = "report.md"

    def render(self, report: Report) -> bytes:  # noqa: D102
        from raudit.report.ci import to_markdown

        return to_markdown(report)


#: Every format, by its ``--format`` name.
RENDERERS: dict[str, type[Renderer]] = {r.name: r for r in (HtmlRenderer, PdfRenderer, JsonRenderer, JunitRenderer, MarkdownRenderer)}


def renderers_for(formats: Sequence[str], *, template_dir: str | None = None) -> list[Renderer]:
    """A renderer per format, in order; the PDF shares the HTML renderer (one rendering of the templates)."""
    html = HtmlRenderer(template_dir=template_dir)
    out: list[Renderer] = []
    for fmt in formats:
        if fmt not in RENDERERS:
            raise InputError(UNKNOWN_FORMAT.format(fmt=fmt), hint=f"choose from {', '.join(RENDERERS)}")
        out.append(html if fmt == "html" else PdfRenderer(html) if fmt == "pdf" else RENDERERS[fmt]())
    return out


def renderer_for_suffix(suffix: str) -> Renderer:
    """The renderer of a file name's suffix (``.html``, ``.pdf``, ``.json``), for :meth:`Report.save`."""
    fmt = suffix.lstrip(".").lower()
    if fmt not in ("html", "pdf", "json"):
        raise InputError(UNKNOWN_FORMAT.format(fmt=fmt), hint="use a .html, .pdf or .json file name")
    return renderers_for([fmt])[0]
