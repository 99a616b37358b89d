"""A reviewer's signed decision on a report: ``raudit approve`` writes it, ``raudit verify`` checks it.

The decision is an in-toto Statement v1 in a DSSE envelope signed with the reviewer's Ed25519 key
(the same envelope as a signed report set, :mod:`raudit.trust.signing`), written beside the report
as ``report.approval.json``. Its subject is ``report.json`` (the sha256 of its bytes); its
predicate names the reviewer, the decision (approve or reject), the accepted risks and a note, the
time, and the report's content digest and status, so a decision cannot be moved to another report
or survive an edit of this one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from raudit.errors import InputError

__all__ = ["DECISIONS", "APPROVAL_PREDICATE", "Decision", "approval_path", "decision_statement", "read_decision", "describe"]

#: What a reviewer can decide.
DECISIONS = ("approve", "reject")
#: The predicate type of a review decision (``.invalid``: see ``raudit.trust.signing.PREDICATE_TYPE``).
APPROVAL_PREDICATE = "https://raudit.invalid/attestation/review-decision/v1"


@dataclass(frozen=True)
class Decision:
    """A review decision read from ``report.approval.json``.

    Attributes
    ----------
    reviewer, decision, note : str
    accepted_risks : tuple of str
    decided_at : str
        UTC, ISO 8601.
    report_sha256 : str
        sha256 of the ``report.json`` bytes decided on.
    content_digest : str
        The report's content digest (``integrity.digest``) decided on.
    key_id : str
        The key that verified the signature, or the one the statement names when it was not checked.
    verified : bool
        Whether the signature was checked with the reviewer's public key.
    """

    reviewer: str
    decision: Literal["approve", "reject"]
    note: str
    accepted_risks: tuple[str, ...]
    decided_at: str
    report_sha256: str
    content_digest: str
    key_id: str
    verified: bool


def approval_path(report_path: str | Path) -> Path:
    """Where the decision on a report lives: ``report.json`` → ``report.approval.json``."""
    p = Path(report_path)
    return p.with_name(p.stem + ".approval.json")


def decision_statement(name: str, raw: bytes, body: Mapping[str, Any], *, reviewer: str, decision: str, note: str,
                       accepted_risks: Sequence[str], key_id: str, decided_at: datetime) -> dict[str, Any]:
    """The in-toto statement of a decision on the report ``name`` (its bytes ``raw``, its parsed ``body``)."""
    import hashlib

    from raudit.trust.digest import content_digest
    from raudit.trust.signing import STATEMENT_TYPE

    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": name, "digest": {"sha256": hashlib.sha256(raw).hexdigest()}}],
        "predicateType": APPROVAL_PREDICATE,
        "predicate": {
            "reviewer": reviewer, "decision": decision, "note": note, "acceptedRisks": list(accepted_risks),
            "decidedAt": decided_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "keyId": key_id,
            "report": {"contentDigest": {"sha256": content_digest(body)}, "status": body["status"], "title": body["title"],
                       "createdAt": body["lineage"].get("created_utc")},
        },
    }


def read_decision(path: str | Path, *, key: str | Path | None = None) -> Decision:
    """Read ``report.approval.json``; with ``key`` (the reviewer's public key) its signature is checked.

    Raises
    ------
    raudit.trust.signing.BadSignature
        The signature does not verify with ``key``, or the statement is not a review decision.
    raudit.InputError
        The file cannot be read or is not an envelope.
    """
    from raudit.trust.signing import STATEMENT_TYPE, BadSignature, load_public_key, open_body

    p = Path(path)
    try:
        envelope = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {p}: {exc.strerror}") from None
    body, kid = open_body(envelope, load_public_key(key) if key is not None else None)
    if not isinstance(body, Mapping) or body.get("_type") != STATEMENT_TYPE or body.get("predicateType") != APPROVAL_PREDICATE:
        raise BadSignature(f"{p.name} is not a raudit review decision (predicateType {APPROVAL_PREDICATE})")
    pred, subjects = body.get("predicate"), body.get("subject")
    try:
        assert isinstance(pred, Mapping) and isinstance(subjects, list) and len(subjects) == 1
        decision = pred["decision"]
        assert decision in DECISIONS and isinstance(pred["reviewer"], str)
        return Decision(pred["reviewer"], decision, str(pred.get("note", "")), tuple(map(str, pred.get("acceptedRisks", []))),
                        str(pred["decidedAt"]), str(subjects[0]["digest"]["sha256"]),
                        str(pred["report"]["contentDigest"]["sha256"]), kid or str(pred.get("keyId")), kid is not None)
    except (AssertionError, KeyError, TypeError, IndexError):
        raise BadSignature(f"{p.name} is a malformed review decision") from None


def describe(d: Decision) -> str:
    """One line: who decided what, when, and whether the signature was checked."""
    how = f"signature by key {d.key_id[:16]}… verified" if d.verified else "signature not checked (give --reviewer-key)"
    risks = f"; accepted risks: {'; '.join(d.accepted_risks)}" if d.accepted_risks else ""
    note = f"; note: {d.note}" if d.note else ""
    return f"{d.decision} by {d.reviewer} at {d.decided_at}{risks}{note} ({how})"
