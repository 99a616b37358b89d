"""The one writer: render the report in every format asked for, sign the set when a key is given, write it all-or-nothing.

``--out -`` writes the one format asked for to standard output instead.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from raudit.errors import InputError
from raudit.report.files import write_set
from raudit.report.renderers import RENDERERS, renderer_for_suffix, renderers_for

if TYPE_CHECKING:
    from raudit.report.report import Report

__all__ = ["write_report", "render_set", "save", "REPORT_FILES", "SIGNATURE_FILE"]

#: The file each format is written to in the output folder (the whole set is replaced together).
REPORT_FILES = {name: r.file_name for name, r in RENDERERS.items()}
#: The signature of a signed set (``raudit.trust.signing.envelope_path("report.json")``), part of the set it signs.
SIGNATURE_FILE = "report.intoto.json"
#: A reviewer's decision on the report (``raudit approve``): removed with the old set, since it was about the old report.
APPROVAL_FILE = "report.approval.json"


def render_set(report: Report, formats: Sequence[str], *, template_dir: str | None = None,
               sign_key: str | Path | None = None) -> dict[str, bytes]:
    """Every format's file name and bytes, plus ``report.intoto.json`` when ``sign_key`` is given (it needs the json format)."""
    renderers = renderers_for(formats, template_dir=template_dir)
    rendered = {r.file_name: r.render(report) for r in renderers if r.name != "json"}
    if any(r.name == "json" for r in renderers):  # last: it records the other files' sha256 (integrity.files)
        rendered[REPORT_FILES["json"]] = report.to_json(files={k: hashlib.sha256(v).hexdigest() for k, v in rendered.items()}).encode()
    if sign_key is not None:
        from raudit.trust.signing import sign_statement

        if REPORT_FILES["json"] not in rendered:
            raise InputError("a signed report set needs report.json (raudit verify checks the signature from it)",
                             hint="add json to --format, or leave out --sign-key")
        rendered[SIGNATURE_FILE] = sign_statement(rendered, json.loads(rendered[REPORT_FILES["json"]]), sign_key)
    return rendered


def write_report(report: Report, out: str | Path, formats: Sequence[str], *, template_dir: str | None = None,
                 sign_key: str | Path | None = None) -> list[Path]:
    """Write the report set into the folder ``out`` all-or-nothing (see :func:`raudit.report.files.write_set`).

    Report files of formats not asked for this time are removed with the swap, so the folder never
    holds a mix of two runs. With ``sign_key`` (an Ed25519 private key, see ``raudit keygen``) the
    set also gets ``report.intoto.json``, signed over the rendered bytes before anything is written
    (:mod:`raudit.trust.signing`); an unsigned run removes a previous run's signature with the rest
    of the old set. ``out = "-"`` writes the first format to standard output (nothing is signed).

    Returns
    -------
    list of Path
        The files written (empty for standard output).
    """
    if str(out) == "-":
        stdout = sys.stdout.buffer
        stdout.write(renderers_for(formats[:1], template_dir=template_dir)[0].render(report))
        stdout.flush()
        return []
    rendered = render_set(report, formats, template_dir=template_dir, sign_key=sign_key)
    return write_set(Path(out), rendered, replaces=[*REPORT_FILES.values(), SIGNATURE_FILE, APPROVAL_FILE])


def save(report: Report, path: str | Path, *, sign_key: str | Path | None = None) -> Path:
    """Write one report file, its format from the suffix; with ``sign_key``, a ``.json`` and its signature together."""
    from raudit.trust.signing import envelope_path, sign_statement

    p = Path(path)
    renderer = renderer_for_suffix(p.suffix)
    if sign_key is None:
        write_set(p.parent, {p.name: renderer.render(report)})
        return p
    if renderer.name != "json":
        raise InputError(f"sign_key signs a .json report (raudit verify checks the signature from it), not {p.name}",
                         hint="save the .json with sign_key; the command line (--sign-key) signs HTML and PDF as a set")
    data = renderer.render(report)
    envelope = sign_statement({p.name: data}, json.loads(data), sign_key)
    write_set(p.parent, {p.name: data, envelope_path(p).name: envelope})  # the report and its signature together
    return p
