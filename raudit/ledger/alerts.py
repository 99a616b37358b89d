"""Alerts: a JSON POST to each webhook when a model's status worsens or a headline metric crosses its threshold.

After an audit entry is added, it is compared with the previous audit of the same model. Nothing is sent
for a model's first audit or when nothing worsened. Each delivery is retried (with a growing pause) on a
connection error, a timeout, a 429 or a 5xx answer, and recorded in the ledger's ``deliveries`` table with
its attempts and outcome; a failed delivery never fails the audit or the ``ledger add`` that caused it.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from raudit.errors import InputError
from raudit.ledger import entry as E
from raudit.ledger.headline import crossed
from raudit.ledger.schema import deliveries, entries, webhooks
from raudit.ledger.store import Added, Ledger
from raudit.report.results import STATUS_ORDER

__all__ = ["Delivery", "add_webhook", "remove_webhook", "list_webhooks", "worsened", "alert", "RETRY_DELAYS"]

#: Pauses (seconds) before the second, third, ... attempt of a delivery.
RETRY_DELAYS: tuple[float, ...] = (1.0, 4.0)
#: Seconds to wait for a webhook's answer.
TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Delivery:
    """One alert sent (or tried) to one webhook."""

    url: str
    entry_seq: int
    attempts: int
    outcome: str
    http_status: int | None
    error: str | None


def _rank(status: str | None) -> int:
    """Severity for "worsened": skipped counts as pass (a check not run is not a regression)."""
    if status is None or status == "skipped":
        return STATUS_ORDER.index("pass")
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else 0


def _check_url(url: str) -> str:
    if not url.startswith(("http://", "https://")) or len(url) > 2000 or any(ch.isspace() for ch in url):
        raise InputError(f"webhook {url!r} is not an http(s) URL", hint="e.g. https://hooks.example.org/raudit")
    return url


def add_webhook(ledger: Ledger, url: str) -> None:
    """Send alerts of this ledger to ``url`` too (no effect if it is already there)."""
    _check_url(url)
    with ledger.engine.begin() as c:
        if c.execute(sa.select(webhooks.c.id).where(webhooks.c.url == url)).first() is None:
            c.execute(webhooks.insert().values(url=url, added_at=E.now()))


def remove_webhook(ledger: Ledger, url: str) -> bool:
    """Stop sending alerts to ``url``; return whether it was there."""
    with ledger.engine.begin() as c:
        return bool(c.execute(webhooks.delete().where(webhooks.c.url == url)).rowcount)


def list_webhooks(ledger: Ledger) -> list[str]:
    """The webhooks alerts go to."""
    with ledger.engine.connect() as c:
        return list(c.execute(sa.select(webhooks.c.url).order_by(webhooks.c.id)).scalars())


def worsened(previous: Mapping[Any, Any] | None, added: Added) -> dict[str, Any] | None:
    """The alert for ``added`` against the model's ``previous`` audit row, or ``None`` when nothing worsened."""
    if previous is None:
        return None
    a = added.audit
    old_checks = json.loads(previous["checks"])
    checks = [{"check": name, "old": old_checks.get(name), "new": status} for name, status in a.checks.items()
              if _rank(status) > _rank(old_checks.get(name))]
    metrics = crossed(json.loads(previous["headline"]), a.headline, a.limits)
    status_worse = _rank(a.status) > _rank(previous["status"])
    if not (status_worse or checks or metrics):
        return None
    return {
        "event": "raudit.ledger.worsened",
        "model": {"id": a.model_id, "name": a.model_name, "version": a.model_version, "sha256": a.model_sha256},
        "entry": {"seq": added.seq, "digest": added.digest, "created_at": a.created_at, "status": a.status,
                  "signature": added.signature},
        "previous": {"seq": previous["seq"], "created_at": previous["created_at"], "status": previous["status"]},
        "status": {"old": previous["status"], "new": a.status, "worsened": status_worse},
        "checks": checks, "metrics": metrics,
    }


def _post(url: str, body: bytes) -> tuple[int | None, str | None, bool]:
    """(HTTP status, error, worth retrying)."""
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "raudit-ledger"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 - http(s) only, checked when added
            return response.status, None, False
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code} {exc.reason}", exc.code == 429 or exc.code >= 500
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, f"{type(exc).__name__}: {reason}", True


def _deliver(url: str, seq: int, payload: str, delays: Sequence[float]) -> tuple[Delivery, str, str]:
    first = E.now()
    attempts, status, error = 0, None, None
    for attempt in range(len(delays) + 1):
        if attempt:
            time.sleep(delays[attempt - 1])
        attempts += 1
        status, error, again = _post(url, payload.encode("utf-8"))
        if error is None or not again:
            break
    outcome = "delivered" if error is None else "failed"
    return Delivery(url, seq, attempts, outcome, status, error), first, E.now()


def alert(ledger: Ledger, added: Sequence[Added], *, delays: Sequence[float] | None = None) -> list[Delivery]:
    """Send the alerts of newly ``added`` entries to every webhook; record and return each delivery.

    ``delays``: the pauses between attempts (default :data:`RETRY_DELAYS`).
    """
    delays = RETRY_DELAYS if delays is None else delays
    urls = list_webhooks(ledger)
    if not urls or not added:
        return []
    out: list[Delivery] = []
    for a in added:
        with ledger.engine.connect() as c:
            previous = c.execute(sa.select(entries.c.seq, entries.c.status, entries.c.checks, entries.c.headline, entries.c.created_at)
                                 .where(entries.c.model_id == a.audit.model_id, entries.c.kind == "audit", entries.c.seq < a.seq)
                                 .order_by(entries.c.seq.desc()).limit(1)).mappings().first()
        event = worsened(previous, a)
        if event is None:
            continue
        payload = E.canonical(event)
        for url in urls:
            delivery, first, last = _deliver(url, a.seq, payload, delays)
            with ledger.engine.begin() as c:
                c.execute(deliveries.insert().values(entry_seq=a.seq, url=url, payload=payload, attempts=delivery.attempts,
                                                     outcome=delivery.outcome, http_status=delivery.http_status,
                                                     error=delivery.error, first_at=first, last_at=last))
            out.append(delivery)
    return out
