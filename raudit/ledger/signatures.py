"""Signatures in the ledger: a stored report set's (checked with :mod:`raudit.trust.signing`) and a tombstone's.

A report set's signature is the DSSE envelope ``raudit MODEL DATA --sign-key`` wrote; :func:`check_set`
runs the checks of ``raudit verify --key`` on the stored bytes: the envelope verifies with a trusted key,
it signs ``report.json`` and (when stored) ``report.html`` by their sha256, its content digest is the
report's, and the report's own ``integrity.digest`` matches its content.

A tombstone (what retention leaves where it removed entries) is signed the same way — Ed25519 over DSSE's
pre-authentication encoding — under its own payload type, so a tombstone signature can never pass for a
report's, nor the reverse.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from raudit.errors import InputError, RauditError
from raudit.ledger.entry import ENVELOPE, HTML, REPORT, canonical, sha256
from raudit.trust.digest import content_digest
from raudit.trust.signing import BadSignature, key_id, pae, verify_envelope

__all__ = ["Refused", "Checked", "check_set", "sign_tombstone", "tombstone_signature_ok", "TOMBSTONE_TYPE", "public_pem",
           "load_pem"]

#: DSSE payload type of a tombstone's signed content.
TOMBSTONE_TYPE = "application/vnd.raudit.ledger-tombstone+json"


class Refused(RauditError):
    """A report set whose signature does not verify: refused, never stored (exit code 1, as a failed verify)."""

    exit_code = 1


@dataclass(frozen=True)
class Checked:
    """A report set that may be stored: its parsed body, its signature state and the sha256 of each of its files."""

    body: Mapping[str, Any]
    signature: str
    key_id: str | None
    hashes: Mapping[str, str | None]


def public_pem(key: Ed25519PublicKey) -> str:
    """A public key as PEM text (how the ledger records the keys it has verified with)."""
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def load_pem(text: str) -> Ed25519PublicKey:
    """A public key from PEM text recorded in the ledger."""
    key = serialization.load_pem_public_key(text.encode("ascii"))
    if not isinstance(key, Ed25519PublicKey):
        raise InputError("a key recorded in the ledger is not an Ed25519 public key")
    return key


def _parse(report: bytes, where: str) -> dict[str, Any]:
    try:
        body = json.loads(report.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"{where} is not JSON ({type(exc).__name__})", hint="give the report.json raudit wrote") from None
    if not isinstance(body, dict):
        raise InputError(f"{where} is not a raudit report (not a JSON object)")
    return body


def _envelope_key(envelope: bytes) -> list[str]:
    """The key ids an envelope names (unverified: only to say which key is missing)."""
    try:
        doc = json.loads(envelope.decode("utf-8"))
        return sorted({str(s.get("keyid")) for s in doc.get("signatures", []) if isinstance(s, dict) and s.get("keyid")})
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, AttributeError):
        return []


# size: every way a stored set can differ from its signed statement gets its own refusal
def check_set(files: Mapping[str, bytes], keys: Sequence[Ed25519PublicKey], *, where: str = REPORT) -> Checked:
    """Check a report set's integrity digest and, when it is signed, its signature with one of ``keys``.

    Parameters
    ----------
    files : mapping of file name to bytes
        ``report.json`` and, when present, ``report.intoto.json`` and ``report.html``.
    keys : sequence of Ed25519PublicKey
        The keys trusted to sign reports.

    Raises
    ------
    Refused
        The signature does not verify, or the signed statement does not match the files (exit 1).
    raudit.InputError
        The report is not JSON, or it is signed by a key not among ``keys`` (exit 2: give the key).
    """
    body = _parse(files[REPORT], where)
    hashes = {name: sha256(files.get(name)) for name in (REPORT, ENVELOPE, HTML)}
    try:
        actual = content_digest(body)
    except ValueError:
        raise InputError(f"{where} holds NaN or Infinity, which raudit never writes in a report") from None
    recorded = (body.get("integrity") or {}).get("digest") if isinstance(body.get("integrity"), Mapping) else None
    if recorded != actual:
        raise Refused(f"{where}: its content does not match its integrity digest (recorded {recorded}, content hashes to {actual}): "
                      "the report was edited after it was written")
    envelope = files.get(ENVELOPE)
    if envelope is None:
        return Checked(body, "unsigned", None, hashes)
    if not keys:
        named = ", ".join(_envelope_key(envelope)) or "an unnamed key"
        raise InputError(f"{where} is signed (by {named}) but no public key to check it was given, and the ledger records none",
                         hint="give the signer's public key: --key raudit.key.pub")
    errors = []
    for key in keys:
        try:
            signed = verify_envelope(envelope, key)
        except BadSignature as exc:
            errors.append(str(exc))
            continue
        _match(signed.subjects, signed.predicate, hashes, actual, where)
        return Checked(body, "verified", signed.key_id, hashes)
    signers = _envelope_key(envelope)
    known = {key_id(k) for k in keys}
    if signers and not set(signers) & known:
        raise Refused(f"{where} is signed by key {', '.join(signers)}, which is not among the trusted keys "
                      f"({', '.join(sorted(k[:16] + '…' for k in known))}): refused")
    raise Refused(f"{where}: the signature does not verify: {errors[0]}")


def _match(subjects: Mapping[str, str], predicate: Mapping[str, Any], hashes: Mapping[str, str | None], actual: str,
           where: str) -> None:
    if REPORT not in subjects:
        raise Refused(f"{where}: the signature does not cover {REPORT}; it covers {', '.join(sorted(subjects))}")
    for name in (REPORT, HTML):
        held = hashes[name]
        if held is not None and name in subjects and held != subjects[name]:
            raise Refused(f"{where}: {name} differs from the signed one (signed sha256 {subjects[name]}, file has {held})")
        if held is not None and name not in subjects:
            raise Refused(f"{where}: {name} is not covered by the signature")
    report = predicate.get("report")
    signed_digest = (report.get("contentDigest") or {}).get("sha256") if isinstance(report, Mapping) else None
    if signed_digest != actual:
        raise Refused(f"{where}: the signed content digest {signed_digest} is not the report's {actual}")


def _tombstone_payload(content: Mapping[str, Any]) -> bytes:
    return pae(TOMBSTONE_TYPE, canonical(content).encode("utf-8"))


def sign_tombstone(content: Mapping[str, Any], key: Ed25519PrivateKey) -> dict[str, str]:
    """Sign a tombstone's content; return ``{"keyid": ..., "sig": base64}``."""
    return {"keyid": key_id(key.public_key()), "sig": base64.b64encode(key.sign(_tombstone_payload(content))).decode("ascii")}


def tombstone_signature_ok(content: Mapping[str, Any], signature: Any, keys: Sequence[Ed25519PublicKey]) -> str | None:
    """The key id that verifies a tombstone's signature, or ``None`` when none of ``keys`` does."""
    if not isinstance(signature, Mapping) or not isinstance(signature.get("sig"), str):
        return None
    try:
        sig = base64.b64decode(signature["sig"], validate=True)
    except (binascii.Error, ValueError):
        return None
    data = _tombstone_payload(content)
    for key in keys:
        try:
            key.verify(sig, data)
        except InvalidSignature:
            continue
        return key_id(key)
    return None
