"""Retention: remove old audit entries and leave a signed tombstone, so the chain still verifies.

An audit entry is removed when it is older than ``keep_days`` (by when it was audited) and is not among
the newest ``keep_per_model`` audits of its model; with only one of the two, that one decides. The
tombstone, appended to the chain, records each removed entry's position, previous digest and digest, the
policy and the time, signed with the ledger key (Ed25519, ``raudit keygen``). ``raudit ledger verify``
then bridges each gap with the tombstone's record and checks its signature. Tombstones are never removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from raudit.errors import InputError
from raudit.ledger import entry as E
from raudit.ledger.schema import entries
from raudit.ledger.signatures import sign_tombstone
from raudit.ledger.store import Ledger

__all__ = ["Pruned", "prune"]


@dataclass(frozen=True)
class Pruned:
    """What :func:`prune` removed (positions), and the tombstone's position (``None`` when nothing was removed or a dry run)."""

    removed: list[int]
    tombstone: int | None


def _doomed(c: sa.Connection, keep_days: int | None, keep_per_model: int | None, now: datetime) -> list[int]:
    rows = c.execute(sa.select(entries.c.seq, entries.c.model_id, entries.c.created_at)
                     .where(entries.c.kind == "audit").order_by(entries.c.model_id, entries.c.seq.desc())).all()
    cutoff = (now - timedelta(days=keep_days)).strftime("%Y-%m-%dT%H:%M:%SZ") if keep_days is not None else None
    out, rank, current = [], 0, None
    for seq, mid, created in rows:
        rank = rank + 1 if mid == current else 1
        current = mid
        too_old = cutoff is None or created < cutoff
        beyond = keep_per_model is None or rank > keep_per_model
        if too_old and beyond:
            out.append(seq)
    return sorted(out)


def prune(ledger: Ledger, key: Ed25519PrivateKey, *, keep_days: int | None = None, keep_per_model: int | None = None,
          dry_run: bool = False, now: datetime | None = None) -> Pruned:
    """Remove audit entries under the retention policy and append one signed tombstone for them (one transaction).

    Parameters
    ----------
    ledger : Ledger
    key : Ed25519PrivateKey
        The ledger key that signs the tombstone; its public key is recorded as trusted.
    keep_days, keep_per_model : int, optional
        At least one. See the module docstring.
    dry_run : bool
        Say what would be removed; change nothing.

    Raises
    ------
    raudit.InputError
        Neither policy given, or a negative one.
    """
    if keep_days is None and keep_per_model is None:
        raise InputError("a retention policy needs --keep-days or --keep-per-model (or both)",
                         hint="e.g. raudit ledger prune --keep-days 730 --keep-per-model 10 --sign-key ledger.key")
    for name, value in (("keep_days", keep_days), ("keep_per_model", keep_per_model)):
        if value is not None and value < (0 if name == "keep_days" else 1):
            raise InputError(f"{name} must be {'0 or more' if name == 'keep_days' else '1 or more'}; got {value}")
    when = now or datetime.now(UTC)
    if dry_run:
        with ledger.engine.connect() as c:
            return Pruned(_doomed(c, keep_days, keep_per_model, when), None)
    ledger.trust(key.public_key())
    with ledger.appending() as (c, state):
        doomed = _doomed(c, keep_days, keep_per_model, when)
        if not doomed:
            return Pruned([], None)
        rows = c.execute(sa.select(entries.c.seq, entries.c.prev_digest, entries.c.digest).where(entries.c.seq.in_(doomed))
                         .order_by(entries.c.seq)).all()
        recorded_at = E.now()
        content = {"policy": {"keep_days": keep_days, "keep_per_model": keep_per_model},
                   "removed": [{"seq": s, "prev": p, "digest": d} for s, p, d in rows],
                   "seq": state[0] + 1, "prev": state[1], "recorded_at": recorded_at}
        tombstone = {**content, "signature": sign_tombstone(content, key)}
        rec = E.record(seq=state[0] + 1, prev=state[1], kind="tombstone", recorded_at=recorded_at, fields={"tombstone": tombstone})
        digest = E.digest_of(rec)
        c.execute(entries.delete().where(entries.c.seq.in_(doomed)))
        c.execute(entries.insert().values(seq=rec["seq"], kind="tombstone", prev_digest=rec["prev"], digest=digest,
                                          recorded_at=recorded_at, tombstone=E.canonical(tombstone)))
        state[0], state[1] = rec["seq"], digest
    return Pruned(doomed, rec["seq"])
