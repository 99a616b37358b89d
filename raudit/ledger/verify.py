"""``raudit ledger verify``: recompute the chain, every stored file's hash, every report's fields and signature.

What a hash chain proves, and what it does not: any edit, deletion, insertion or reordering of entries
breaks a link or a digest, and :func:`verify_ledger` names the first entry where it shows. Someone who can
write to the database could recompute every digest after the entry they edit; the chain's **head** digest,
printed by ``raudit ledger verify`` and kept somewhere they cannot write (a CI log, a ticket), catches that:
``--head DIGEST`` checks the chain still passes through it. Signatures are checked against the keys given
(``--key``), or else the keys the ledger recorded when it verified them on ingest — which someone with write
access could also replace, so give ``--key`` for the strong answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from raudit.errors import InputError
from raudit.ledger import entry as E
from raudit.ledger.schema import entries, head
from raudit.ledger.signatures import Refused, check_set, tombstone_signature_ok
from raudit.ledger.store import Ledger, audit_fields, row_record

__all__ = ["Problem", "Verified", "verify_ledger"]


@dataclass(frozen=True)
class Problem:
    """Where the ledger broke: an entry's position (``None`` for the ledger as a whole) and what is wrong."""

    seq: int | None
    what: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.what}" if self.seq is not None else self.what


@dataclass
class Verified:
    """The outcome of :func:`verify_ledger`: counts, the head digest, and every problem found (none: intact)."""

    entries: int = 0
    audits: int = 0
    signed: int = 0
    tombstones: int = 0
    removed: int = 0
    head: str = E.GENESIS
    keys_from: str = "ledger"
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing broke."""
        return not self.problems


def _label(row: Mapping[Any, Any]) -> str:
    if row["kind"] == "tombstone":
        return "tombstone"
    return f"{row['model_name']} {row['model_version']}, audited {row['created_at']}"


def _removed(rows: Iterable[Mapping[Any, Any]]) -> dict[int, tuple[str, str, int]]:
    """Entries that tombstones record as removed: seq → (prev, digest, the tombstone's seq)."""
    out: dict[int, tuple[str, str, int]] = {}
    for row in rows:
        try:
            for r in json.loads(row["tombstone"]).get("removed", []):
                out[int(r["seq"])] = (str(r["prev"]), str(r["digest"]), row["seq"])
        except (ValueError, TypeError, KeyError, AttributeError):
            continue  # the walk reports the tombstone's digest or signature
    return out


def _check_audit(row: Mapping[Any, Any], rec: Mapping[str, Any], keys: Sequence[Ed25519PublicKey], out: Verified) -> None:
    seq = row["seq"]
    files = {name: bytes(row[col]) for name, col in ((E.REPORT, "report"), (E.ENVELOPE, "envelope"), (E.HTML, "html"))
             if row[col] is not None}
    for name, column in ((E.REPORT, "report_sha256"), (E.ENVELOPE, "envelope_sha256"), (E.HTML, "html_sha256")):
        if E.sha256(files.get(name)) != row[column]:
            out.problems.append(Problem(seq, f"the stored {name} is not the one recorded (recorded sha256 {row[column]}, "
                                             f"stored file {E.sha256(files.get(name))})"))
    if E.REPORT not in files:
        return
    try:
        checked = check_set(files, keys, where=f"its {E.REPORT}")
        audit = E.read_audit(checked.body, model_name=row["model_name"] if row["name_source"] == "given" else None, where=E.REPORT)
    except (Refused, InputError) as exc:
        out.problems.append(Problem(seq, str(exc).split("\n")[0]))
        return
    out.signed += checked.signature == "verified"
    derived = audit_fields(audit, checked)
    changed = [k for k in derived if derived[k] != rec.get(k)]
    if changed:
        detail = "; ".join(f"{k}: stored {_short(rec.get(k))}, report says {_short(derived[k])}" for k in changed[:4])
        out.problems.append(Problem(seq, f"its stored fields differ from its report: {detail}"))


def _short(value: Any) -> str:
    text = E.canonical(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _check_tombstone(row: Mapping[Any, Any], keys: Sequence[Ed25519PublicKey], out: Verified) -> None:
    try:
        content = json.loads(row["tombstone"])
        signature = content.pop("signature", None)
    except (ValueError, TypeError, AttributeError):
        out.problems.append(Problem(row["seq"], "the tombstone is not JSON"))
        return
    if tombstone_signature_ok(content, signature, keys) is None:
        signer = signature.get("keyid") if isinstance(signature, Mapping) else None
        out.problems.append(Problem(row["seq"], f"the tombstone's signature (key {signer}) does not verify with the trusted keys"))
    out.removed += len(content.get("removed", [])) if isinstance(content, dict) else 0


# size: one pass in chain order; each way an entry can break (gap, link, digest, files, fields, signature) is named
def verify_ledger(ledger: Ledger, *, keys: Sequence[Ed25519PublicKey] | None = None, head_digest: str | None = None) -> Verified:
    """Recompute the whole chain and every entry; return what broke, entry by entry.

    Parameters
    ----------
    ledger : Ledger
    keys : sequence of Ed25519PublicKey, optional
        The keys trusted to have signed reports and tombstones; default: the keys the ledger recorded.
    head_digest : str, optional
        A head digest printed by an earlier verify: the chain must still pass through it.
    """
    out = Verified(keys_from="given" if keys else "ledger")
    trusted = list(keys) if keys else ledger.recorded_keys()
    expected, seen = 1, {E.GENESIS}
    prev: str | None = E.GENESIS
    with ledger.engine.connect() as c:
        removed = _removed(c.execute(sa.select(entries.c.seq, entries.c.tombstone).where(entries.c.kind == "tombstone"))
                           .mappings())
        head_row = c.execute(sa.select(head.c.seq, head.c.digest)).mappings().one()
        rows = c.execution_options(yield_per=200).execute(sa.select(entries).order_by(entries.c.seq)).mappings()
        for row in rows:
            seq = row["seq"]
            while expected < seq:
                if expected in removed:
                    r_prev, r_digest, by = removed[expected]
                    if prev is not None and r_prev != prev:
                        out.problems.append(Problem(expected, f"removed by tombstone {by}, which records a previous digest "
                                                              f"{r_prev[:16]}… that is not entry {expected - 1}'s"))
                    prev = r_digest
                    seen.add(r_digest)
                else:
                    out.problems.append(Problem(expected, "is missing: it is not in the ledger and no tombstone records its removal "
                                                          "(deleted?)"))
                    prev = None
                expected += 1
            out.entries += 1
            where = f"({_label(row)})"
            if prev is not None and row["prev_digest"] != prev:
                out.problems.append(Problem(seq, f"{where} does not follow entry {seq - 1}: its previous digest "
                                                 f"{row['prev_digest'][:16]}… is not entry {seq - 1}'s {prev[:16]}… "
                                                 "(entries reordered, replaced or inserted)"))
            rec = row_record(row)
            if E.digest_of(rec) != row["digest"]:
                out.problems.append(Problem(seq, f"{where} its stored fields do not hash to its recorded digest: an indexed "
                                                 "field (status, metrics, model, time, signature) was edited"))
            if row["kind"] == "tombstone":
                out.tombstones += 1
                _check_tombstone(row, trusted, out)
            else:
                out.audits += 1
                _check_audit(row, rec, trusted, out)
            prev = row["digest"]
            seen.add(row["digest"])
            expected = seq + 1
    last = expected - 1
    out.head = prev or E.GENESIS
    if head_row["seq"] != last or head_row["digest"] != prev:
        missing = f"entries {last + 1}–{head_row['seq']} were deleted from the end" if head_row["seq"] > last else "the head row was edited"
        out.problems.append(Problem(head_row["seq"] if head_row["seq"] > last else None,
                                    f"the ledger's head records entry {head_row['seq']} ({head_row['digest'][:16]}…) but the chain "
                                    f"ends at entry {last} ({(prev or '')[:16]}…): {missing}"))
    if head_digest is not None and head_digest not in seen:
        out.problems.append(Problem(None, f"the chain does not pass through the head {head_digest[:16]}… you gave: the history up to "
                                          "it was rewritten (or it is another ledger's)"))
    return out
