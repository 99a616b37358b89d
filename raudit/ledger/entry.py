"""What a ledger entry records, read from a report set, and the digest that chains it to the entry before.

An entry's digest is the sha256 of the canonical JSON (sorted keys, no spaces) of its :func:`record`:
its position (``seq``), the previous entry's digest (``prev``), its kind, when it was recorded, the indexed
fields and the sha256 of every stored file. The files themselves are covered through their hashes, so
``raudit ledger verify`` recomputes every layer: file bytes → file hashes → record → digest → the next
entry's ``prev``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from raudit.errors import InputError
from raudit.ledger.headline import headline_metrics, thresholds

__all__ = ["Audit", "GENESIS", "REPORT", "ENVELOPE", "HTML", "Kind", "SignatureState", "canonical", "digest_of", "record",
           "read_audit", "model_id", "sha256", "now"]

#: ``prev`` of the first entry.
GENESIS = "0" * 64
#: The file names of a stored report set.
REPORT, ENVELOPE, HTML = "report.json", "report.intoto.json", "report.html"
#: What an entry is: an audit (a report set) or a tombstone (a signed record of entries removed by retention).
Kind = Literal["audit", "tombstone"]
#: A stored report's signature: verified on ingest with a trusted key, or none.
SignatureState = Literal["verified", "unsigned"]

_STATUSES = ("pass", "inconclusive", "warn", "fail", "error", "skipped")
_SHA = re.compile(r"[0-9a-f]{64}")


def canonical(value: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 kept, no NaN."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256(data: bytes | str | None) -> str | None:
    """Hex sha256 of bytes or UTF-8 text; ``None`` for ``None``."""
    if data is None:
        return None
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def digest_of(rec: Mapping[str, Any]) -> str:
    """The digest of an entry: sha256 of its record's canonical JSON."""
    return hashlib.sha256(canonical(rec).encode("utf-8")).hexdigest()


def now() -> str:
    """The current UTC time as the ledger writes times (``2026-12-06T10:00:00.123456Z``, sorts as text)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def model_id(name: str) -> str:
    """A short stable identifier of a model name, used in URLs (the name itself is untrusted text)."""
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Audit:
    """The indexed fields of an audit entry, all read from its report (``model_name`` may come from a flag).

    Attributes
    ----------
    model_name, model_version : str
        The MLflow registry name and version when the model came from the registry; else the name given
        (``--model-name``) or the model file's name, and the first 12 hex digits of the model's sha256.
    name_source : {"registry", "given", "file", "data"}
    model_sha256, data_sha256 : str or None
    created_at : str
        When the report was made (its ``lineage.created_utc``).
    title, status : str
    checks : dict
        Check name → status.
    headline : dict
        ``check.metric`` → value (:mod:`raudit.ledger.headline`).
    limits : dict
        ``check.metric`` → ``[warn, fail]`` thresholds the audit ran with.
    """

    model_name: str
    model_version: str
    name_source: str
    model_sha256: str | None
    data_sha256: str | None
    created_at: str
    title: str
    status: str
    checks: dict[str, str] = field(default_factory=dict)
    headline: dict[str, float] = field(default_factory=dict)
    limits: dict[str, list[float | None]] = field(default_factory=dict)

    @property
    def model_id(self) -> str:
        """See :func:`model_id`."""
        return model_id(self.model_name)


def record(*, seq: int, prev: str, kind: str, recorded_at: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The record whose canonical JSON an entry's digest hashes (``fields``: the kind's own fields)."""
    return {"v": 1, "seq": seq, "prev": prev, "kind": kind, "recorded_at": recorded_at, **fields}


def _shape_error(where: str, what: str) -> InputError:
    return InputError(f"{where} is not a raudit report: {what}", hint="give a report.json written by raudit")


# size: one refusal per field the ledger reads, each naming where the report is wrong
def _checked(body: Any, where: str) -> tuple[list[Mapping[str, Any]], Mapping[str, Any]]:
    """The checks and lineage of a report body, after checking the shape of every field the ledger reads or shows."""
    if not isinstance(body, Mapping):
        raise _shape_error(where, "not a JSON object")
    version = body.get("schema_version")
    if not isinstance(version, str) or version.split(".")[0] != "2":
        raise _shape_error(where, f"schema_version {version!r}, this ledger reads 2.x")
    if body.get("status") not in _STATUSES or not isinstance(body.get("title"), str):
        raise _shape_error(where, "no valid status or title")
    checks, lineage = body.get("checks"), body.get("lineage")
    if not isinstance(checks, list) or not isinstance(lineage, Mapping):
        raise _shape_error(where, "checks is not a list or lineage not an object")
    for i, c in enumerate(checks):
        ok = (isinstance(c, Mapping) and isinstance(c.get("name"), str) and c.get("status") in _STATUSES
              and isinstance(c.get("metrics"), Mapping) and isinstance(c.get("options"), Mapping)
              and isinstance(c.get("findings"), list) and isinstance(c.get("summary"), str) and isinstance(c.get("title"), str))
        if not ok:
            raise _shape_error(where, f"checks[{i}] lacks a name, title, status, summary, metrics, options or findings of the right type")
        for f in c["findings"]:
            if not (isinstance(f, Mapping) and f.get("status") in _STATUSES and isinstance(f.get("message"), str)
                    and isinstance(f.get("key"), str)):
                raise _shape_error(where, f"a finding of checks[{i}] ({c['name']!r}) is not {{status, message, key}}")
    for key in ("model_file", "data_file"):
        entry = lineage.get(key)
        if entry is not None and not (isinstance(entry, Mapping) and _SHA.fullmatch(str(entry.get("sha256")))
                                      and isinstance(entry.get("name"), str)):
            raise _shape_error(where, f"lineage.{key} has no name and sha256")
    if not isinstance(lineage.get("created_utc"), str):
        raise _shape_error(where, "lineage.created_utc is missing")
    return checks, lineage


def _created(text: str, where: str) -> str:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _shape_error(where, f"lineage.created_utc {text!r} is not a time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _model_sha(model_file: Any, model: Mapping[str, Any]) -> str | None:
    if model_file:
        return str(model_file["sha256"])
    artifact = model.get("artifact_sha256")
    return artifact if isinstance(artifact, str) and _SHA.fullmatch(artifact) else None


def _identity(lineage: Mapping[str, Any], model_name: str | None) -> tuple[str, str, str, str | None]:
    """(name, version, where the name came from, model sha256)."""
    found = lineage.get("model")
    model: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    model_file = lineage.get("model_file") or None
    sha = _model_sha(model_file, model)
    registered = model.get("registered_model") if isinstance(model.get("registered_model"), str) else None
    version = str(model["model_version"]) if registered and model.get("model_version") is not None else None
    version = version or (sha or "")[:12] or "no model file"
    if model_name is not None:
        return model_name, version, "given", sha
    if registered:
        return registered, version, "registry", sha
    if model_file:
        return str(model_file["name"]), version, "file", sha
    data = lineage.get("data_file") or None
    return (f"decisions in {data['name']}" if data else "unnamed model"), version, "data", sha


def read_audit(body: Any, *, model_name: str | None = None, where: str = "report.json") -> Audit:
    """Read an audit entry's indexed fields from a report body (raises :class:`InputError` on a wrong shape).

    Examples
    --------
    >>> read_audit(json.loads(path.read_text())).status  # doctest: +SKIP
    'fail'
    """
    checks, lineage = _checked(body, where)
    if model_name is not None and not model_name.strip():
        raise InputError("--model-name is empty", hint="give the model's name, e.g. --model-name credit-scoring")
    name, version, source, model_sha = _identity(lineage, model_name)
    if any("\x00" in text for text in (name, version, body["title"])):
        raise _shape_error(where, "a model name, version or title holds a NUL character")
    data = lineage.get("data_file") or None
    return Audit(
        model_name=name, model_version=version, name_source=source, model_sha256=model_sha,
        data_sha256=data["sha256"] if data else None, created_at=_created(lineage["created_utc"], where),
        title=body["title"], status=body["status"], checks={str(c["name"]): str(c["status"]) for c in checks},
        headline=headline_metrics(checks), limits=thresholds(checks),
    )
