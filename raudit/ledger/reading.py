"""Reading the ledger for people and programs: the models, a model's audits, one audit, two side by side.

Every function returns plain data (dicts, lists, strings, numbers) that the web pages and the JSON API
show as it is. Only the audit views read the stored files; the lists read the indexed columns.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from raudit.ledger import entry as E
from raudit.ledger.schema import deliveries, entries
from raudit.ledger.store import Ledger

__all__ = ["models", "model", "audit", "stored_file", "head", "STRIP"]

#: How many of a model's latest audits its trend strip shows.
STRIP = 30

_LIGHT = (entries.c.seq, entries.c.digest, entries.c.model_id, entries.c.model_name, entries.c.model_version, entries.c.model_sha256,
          entries.c.data_sha256, entries.c.created_at, entries.c.recorded_at, entries.c.status, entries.c.checks, entries.c.headline,
          entries.c.limits, entries.c.signature, entries.c.key_id, entries.c.title, entries.c.name_source)


def _days_since(when: str, now: datetime) -> int:
    then = datetime.strptime(when, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return max(0, (now - then).days)


def _light(row: Mapping[Any, Any], *, parse: bool = True) -> dict[str, Any]:
    """An entry's indexed fields; with ``parse`` false, ``checks`` and ``limits`` stay JSON text (``checks_json``, ``limits_json``)."""
    out = {"seq": row["seq"], "digest": row["digest"], "model_id": row["model_id"], "model_name": row["model_name"],
           "version": row["model_version"], "model_sha256": row["model_sha256"], "data_sha256": row["data_sha256"],
           "created_at": row["created_at"], "recorded_at": row["recorded_at"], "status": row["status"],
           "headline": json.loads(row["headline"]), "signature": row["signature"], "key_id": row["key_id"], "title": row["title"],
           "name_source": row["name_source"]}
    if parse:
        out.update({"checks": json.loads(row["checks"]), "limits": json.loads(row["limits"])})
    else:
        out.update({"checks_json": row["checks"], "limits_json": row["limits"]})
    return out


def models(ledger: Ledger, *, stale_days: int = 90, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every model: its name, number of audits, latest audit, the statuses of its last :data:`STRIP` audits, staleness."""
    when = now or datetime.now(UTC)
    out: dict[str, dict[str, Any]] = {}
    with ledger.engine.connect() as c:
        rows = c.execute(sa.select(entries.c.seq, entries.c.model_id, entries.c.model_name, entries.c.model_version,
                                   entries.c.created_at, entries.c.status, entries.c.signature)
                         .where(entries.c.kind == "audit").order_by(entries.c.seq)).mappings()
        for r in rows:
            m = out.setdefault(r["model_id"], {"id": r["model_id"], "name": r["model_name"], "audits": 0, "strip": []})
            m["audits"] += 1
            m["latest"] = {"seq": r["seq"], "status": r["status"], "created_at": r["created_at"], "version": r["model_version"],
                           "signature": r["signature"]}
            m["strip"].append({"seq": r["seq"], "status": r["status"], "created_at": r["created_at"]})
            del m["strip"][:-STRIP]
    for m in out.values():
        m["days_since"] = _days_since(m["latest"]["created_at"], when)
        m["stale"] = m["days_since"] >= stale_days
    return sorted(out.values(), key=lambda m: (str(m["name"]).casefold(), m["id"]))


def model(ledger: Ledger, model_id: str, *, parse: bool = True) -> dict[str, Any] | None:
    """One model's audits in chain order (indexed fields only) and its versions; ``None`` when there is no such model.

    With ``parse`` false, each audit's check statuses and thresholds stay JSON text (a page of 2,000 audits needs only
    the latest thresholds).
    """
    with ledger.engine.connect() as c:
        query = sa.select(*_LIGHT).where(entries.c.model_id == model_id, entries.c.kind == "audit").order_by(entries.c.seq)
        rows = [_light(r, parse=parse) for r in c.execute(query).mappings()]
    if not rows:
        return None
    versions: dict[str, dict[str, Any]] = {}
    previous: dict[str, Any] | None = None
    for r in rows:
        r["previous_status"] = previous["status"] if previous else None
        r["previous_seq"] = previous["seq"] if previous else None
        previous = r
        v = versions.setdefault(r["version"], {"version": r["version"], "model_sha256": r["model_sha256"], "audits": 0,
                                               "first": r["created_at"], "last": r["created_at"]})
        v["audits"] += 1
        v["last"] = max(v["last"], r["created_at"])
    return {"id": model_id, "name": rows[-1]["model_name"], "audits": rows, "versions": list(versions.values())}


def audit(ledger: Ledger, seq: int) -> dict[str, Any] | None:
    """One audit entry: its indexed fields, its report body, its model's previous audit (seq) and its alert deliveries."""
    with ledger.engine.connect() as c:
        row = c.execute(sa.select(*_LIGHT, entries.c.report, entries.c.prev_digest, entries.c.html_sha256, entries.c.envelope_sha256)
                        .where(entries.c.seq == seq, entries.c.kind == "audit")).mappings().first()
        if row is None:
            return None
        previous = c.execute(sa.select(entries.c.seq).where(entries.c.model_id == row["model_id"], entries.c.kind == "audit",
                                                            entries.c.seq < seq).order_by(entries.c.seq.desc()).limit(1)).scalar()
        sent = [dict(d) for d in c.execute(sa.select(deliveries.c.url, deliveries.c.attempts, deliveries.c.outcome,
                                                     deliveries.c.http_status, deliveries.c.error, deliveries.c.last_at)
                                           .where(deliveries.c.entry_seq == seq).order_by(deliveries.c.id)).mappings()]
    out = _light(row)
    out.update({"prev_digest": row["prev_digest"], "has_html": row["html_sha256"] is not None,
                "has_envelope": row["envelope_sha256"] is not None, "report": json.loads(bytes(row["report"]).decode("utf-8")),
                "previous_seq": previous, "deliveries": sent})
    return out


def stored_file(ledger: Ledger, seq: int, name: str) -> bytes | None:
    """A stored file of an audit entry (``report.json``, ``report.intoto.json`` or ``report.html``), or ``None``."""
    column = {E.REPORT: entries.c.report, E.ENVELOPE: entries.c.envelope, E.HTML: entries.c.html}[name]
    with ledger.engine.connect() as c:
        data = c.execute(sa.select(column).where(entries.c.seq == seq, entries.c.kind == "audit")).scalar()
    return None if data is None else bytes(data)


def head(ledger: Ledger) -> dict[str, Any]:
    """The chain's length and head digest, and how many audits and tombstones it holds."""
    with ledger.engine.connect() as c:
        counts: dict[str, int] = dict(c.execute(sa.select(entries.c.kind, sa.func.count()).group_by(entries.c.kind)).all())
        last = c.execute(sa.select(entries.c.seq, entries.c.digest).order_by(entries.c.seq.desc()).limit(1)).first()
    return {"entries": last[0] if last else 0, "head": last[1] if last else E.GENESIS, "audits": counts.get("audit", 0),
            "tombstones": counts.get("tombstone", 0)}
