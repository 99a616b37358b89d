"""Turn a :class:`Report` into HTML, PDF or JSON bytes; write files atomically.

Templates only render: all numbers are computed before they get here.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from raudit.errors import InputError

if TYPE_CHECKING:
    import jinja2

    from raudit.report.report import Report

__all__ = ["render", "render_html", "render_pdf", "write_reports", "REPORT_FILES", "templates_dir", "templates_sha256"]


def templates_dir() -> Path:
    """Return the folder holding the built-in templates (``raudit.templates``)."""
    return Path(str(files("raudit.templates")))


@cache
def templates_sha256() -> str:
    """Hash of every built-in template and stylesheet (recorded in lineage)."""
    from raudit.report.lineage import tree_hash

    root = templates_dir()
    return tree_hash((p for p in root.rglob("*") if p.is_file() and p.suffix in (".j2", ".css")), root=root)


def plugin_template_dirs() -> tuple[str, ...]:
    """``templates/`` folders shipped inside third-party check packages (for their ``checks/NAME.html.j2``)."""
    from raudit.engine.check import discover

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

    env = _environment(template_dir, plugin_template_dirs())
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


STATUS_WORDS = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "error": "ERROR", "skipped": "NOT RUN",
                "partial": "PARTIAL", "not covered": "NOT COVERED"}
#: How many metrics a check section shows in its body; more go to the "More" part.
KEY_METRICS = 12


def view(report: Report) -> dict[str, Any]:
    """What the templates print: the report's JSON body with every number already turned into text.

    Templates only render; this is where a table's cells are formatted (by
    their column's format, see :func:`raudit.report.format.cell`), figures get
    their SVG back, tables and figures are split into the section body and
    the "More" part (``appendix``), and the findings of every check that
    fail or warn are gathered for page 1.
    """
    from raudit.report.format import cell

    body = report.to_dict()
    detail = body["config"].get("detail", "standard")
    findings = []
    for check, result in zip(body["checks"], report.results):
        for f in check["findings"]:
            if f["status"] in ("fail", "error", "warn"):
                findings.append({**f, "check": check["title"], "anchor": f"check-{check['name']}"})
        for fig, obj in zip(check["figures"], result.figures):
            fig["svg"] = obj.svg
        for table in check["tables"]:
            table["cells"] = [[{"text": cell(v, fmt), "numeric": _numeric(v) and fmt != "text"}
                               for v, fmt in zip(row, table["formats"])] for row in table["rows"]]
        key = [t for t in check["tables"] if not t["appendix"]], [f for f in check["figures"] if not f["appendix"]]
        more = [t for t in check["tables"] if t["appendix"]], [f for f in check["figures"] if f["appendix"]]
        check["blocks"] = _blocks(*key)
        check["more_blocks"] = _blocks(*more)
        check["more_count"] = len(more[0]) + len(more[1])
        check["metric_rows"] = [{"key": k, "text": metric_text(k, v)} for k, v in check["metrics"].items()]
        check["metrics_in_body"] = len(check["metric_rows"]) <= KEY_METRICS
    order = {"fail": 0, "error": 1, "warn": 2}
    findings.sort(key=lambda f: order[f["status"]])
    versions = list((body["lineage"].get("versions") or {}).items())
    statuses = {s: [c["title"] for c in body["checks"] if c["status"] == s] for s in ("fail", "error", "warn", "pass", "skipped")}
    body["view"] = {
        "detail": detail,
        "findings": findings,
        "verdict": _verdict(statuses, report.exit_code(body["config"].get("fail_on", "fail")), body["config"].get("fail_on", "fail")),
        "status_words": STATUS_WORDS,
        "model_name": (body["lineage"].get("model_file") or {}).get("name")
        or ((body["lineage"].get("model") or {}).get("class") if body["lineage"].get("model") else "recorded predictions"),
        "data_name": (body["lineage"].get("data_file") or {}).get("name") or "an in-memory DataFrame",
        "versions": versions[: 4 if detail == "summary" else None],
        "versions_left": len(versions[4:]) if detail == "summary" else 0,
        "checks_run": [c for c in body["checks"] if c["status"] != "skipped"],
        "not_run": [{"name": c["name"], "title": c["title"], "why": c["summary"].removeprefix("Skipped: ").rstrip(".")}
                    for c in body["checks"] if c["status"] == "skipped"],
        "compliance_counts": {s: sum(r["status"] == s for r in body["compliance"].get("rows", []))
                              for s in ("fail", "warn", "partial", "pass", "not covered")},
    }
    return body


#: Metric-key endings that name a unit, and that unit.
UNITS = {"_kwh": "kWh", "_kg": "kg", "_s": "s", "_ms": "ms", "_w": "W"}


def metric_text(key: str, value: Any) -> str:
    """A metric for people: in its unit when the key names one (``…_kwh`` → ``78.1 µWh``), USD with a $ sign."""
    from raudit.report.format import number, quantity

    if isinstance(value, str) or value is None or isinstance(value, bool):
        return number(value) if not isinstance(value, str) else value
    for ending, unit in UNITS.items():
        if key.endswith(ending) and not key.endswith("_per" + ending):
            return quantity(value, unit) if unit != "ms" else f"{number(value, digits=3)} ms"
    if key.endswith("_usd"):
        return f"${number(value, digits=3)}"
    if isinstance(value, float) and 0 < abs(value) < 1e-6:
        return "< 0.000001"
    return number(value)


def _numeric(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)) or (isinstance(value, dict) and "value" in value)


def _verdict(statuses: dict[str, list[str]], code: int, fail_on: str) -> str:
    """One sentence: which checks fail, err, warn and pass, and what that means for the exit code."""
    parts = []
    for status, verb in (("fail", "fail"), ("error", "could not run"), ("warn", "warn"), ("pass", "pass")):
        names = statuses[status]
        if names:
            parts.append(f"{_join(names)} {verb if len(names) > 1 or status == 'error' else verb + 's'}")
    if statuses["skipped"]:
        parts.append(f"{_join(statuses['skipped'])} did not apply")
    gate = "passes" if code == 0 else "fails"
    return "; ".join(parts) + f". Under --fail-on {fail_on} the audit {gate} (exit code {code})."


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _blocks(tables: list[dict[str, Any]], figures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Group tables and figures by section, sections in order of first appearance."""
    blocks: dict[str, dict[str, Any]] = {}
    order: dict[str, float] = {}
    for kind, items in (("tables", tables), ("figures", figures)):
        for i, item in enumerate(items):
            block = blocks.setdefault(item["section"], {"section": item["section"], "tables": [], "figures": []})
            block[kind].append(item)
            order[item["section"]] = min(order.get(item["section"], float("inf")), i + (0.5 if kind == "figures" else 0))
    return sorted(blocks.values(), key=lambda b: order[b["section"]])


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
        from raudit.report.ci import CI_FORMATS

        return CI_FORMATS[fmt](report)
    raise InputError(f"unknown report format {fmt!r}", hint="use a .html, .pdf or .json file name")


#: The file each format is written to in the output folder (the whole set is replaced together).
REPORT_FILES = {"html": "report.html", "pdf": "report.pdf", "json": "report.json", "junit": "report.junit.xml", "md": "report.md"}


#: The signature of a signed set (``raudit.trust.signing.envelope_path("report.json")``), part of the set it signs.
SIGNATURE_FILE = "report.intoto.json"


def write_reports(report: Report, out: Path, formats: tuple[str, ...], *, template_dir: str | None = None,
                  sign_key: str | Path | None = None) -> list[Path]:
    """Render every format, then write them all-or-nothing (see ``raudit.report.files.write_set``).

    Report files of formats not asked for this time are removed with the
    swap, so the folder never holds a mix of two runs. With ``sign_key`` (an
    Ed25519 private key, see ``raudit keygen``) the set also gets
    ``report.intoto.json``, signed over the rendered bytes before anything is
    written (``raudit.trust.signing``); it needs the json format. An unsigned run
    removes a previous run's signature with the rest of the old set.
    """
    from raudit.report.files import write_set

    html = render_html(report, template_dir=template_dir) if {"html", "pdf"} & set(formats) else None
    rendered = {REPORT_FILES[fmt]: render(report, fmt, html=html) for fmt in formats}
    if sign_key is not None:
        from raudit.trust.signing import sign_statement

        if REPORT_FILES["json"] not in rendered:
            raise InputError("a signed report set needs report.json (raudit verify checks the signature from it)",
                             hint="add json to --format, or leave out --sign-key")
        rendered[SIGNATURE_FILE] = sign_statement(rendered, json.loads(rendered[REPORT_FILES["json"]]), sign_key)
    return write_set(out, rendered, replaces=[*REPORT_FILES.values(), SIGNATURE_FILE])
