"""``raudit verify``: check a report is intact and its inputs are still the files it names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from raudit._errors import InputError
from raudit._lineage import sha256_file
from raudit._report import content_digest

__all__ = ["verify"]


def verify(report_path: str | Path, *, model: str | Path | None = None, data: str | Path | None = None) -> list[tuple[str, bool, str]]:
    """Check a report.json's digest and the hashes of its inputs.

    Parameters
    ----------
    report_path : path of a ``report.json``
    model, data : paths, optional
        Files to compare with the recorded hashes; by default the paths the
        report recorded (when they still exist).

    Returns
    -------
    list of (what, ok, detail)
    """
    p = Path(report_path)
    if not p.is_file():
        raise InputError(f"report not found: {p}", hint="give the report.json written by raudit")
    try:
        body: dict[str, Any] = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{p} is not valid JSON: {exc}") from None
    if not isinstance(body, dict) or "integrity" not in body or "lineage" not in body:
        raise InputError(f"{p} is not a raudit report.json (no integrity digest)")
    results = []
    recorded = body["integrity"].get("digest")
    actual = content_digest(body)
    results.append(("report content", actual == recorded,
                    "digest matches" if actual == recorded else f"digest differs: recorded {recorded}, content hashes to {actual}"))
    for role, given in (("model", model), ("data", data)):
        entry = body["lineage"].get(f"{role}_file")
        if entry is None:
            if given is not None:
                results.append((f"{role} file", False, f"the report records no {role} file"))
            continue
        path = Path(given) if given is not None else Path(entry["path"])
        if not path.exists():
            results.append((f"{role} file", False, f"{path} not found (recorded sha256 {entry['sha256']})"))
            continue
        digest = sha256_file(path)
        ok = digest == entry["sha256"]
        results.append((f"{role} file", ok, f"{path}: sha256 {'matches' if ok else 'differs'}"
                        + ("" if ok else f" (recorded {entry['sha256']}, file has {digest})")))
    return results
