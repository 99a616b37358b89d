"""Signed report sets: an in-toto Statement v1 in a DSSE envelope, signed with Ed25519.

``raudit MODEL DATA --sign-key KEY`` writes ``report.intoto.json`` next to the
reports; ``raudit verify report.json --key KEY.pub`` checks it. The unkeyed
``integrity.digest`` inside ``report.json`` only detects accidental change:
anyone who edits a report can recompute it. A signature needs the private key.

Why this format
---------------
- **An established, interoperable format.** An in-toto Statement in a DSSE
  envelope is what in-toto, sigstore (``cosign attest``), SLSA provenance and
  OpenSSF model signing produce and read, so a policy engine can check the
  subjects (file name and sha256) and the predicate (statuses) with the tools
  it already has. The tests verify raudit's envelopes with an independent DSSE
  implementation (securesystemslib).
- **No canonicalisation.** DSSE signs the payload's exact bytes through its
  pre-authentication encoding ``PAE(type, body) = "DSSEv1" SP LEN(type) SP type
  SP LEN(body) SP body``: the verifier never re-serialises JSON (a classic
  source of signature bypasses), and the payload type is bound to the
  signature, so a payload cannot be reinterpreted as another type.
- **Ed25519** is deterministic (no per-signature random nonce to get wrong),
  has one parameter set and small keys, and ``cryptography`` (OpenSSL)
  implements it.

What is signed
--------------
Subjects: every report file of the set (``report.json``, ``report.html``,
``report.pdf``) by name and sha256. Predicate (:data:`PREDICATE_TYPE`): the
report's content digest, overall and per-check status, schema version and
creation time, the sha256 of its inputs (model, data), the raudit version that
signed, when it signed, and the key id. The key id is the sha256 of the public
key's DER SubjectPublicKeyInfo, the same as
``openssl pkey -pubin -in KEY.pub -outform DER | sha256sum``.

Keys are PEM files: PKCS#8 for the private key (written with mode 0600),
SubjectPublicKeyInfo for the public one. The private key is unencrypted unless
:data:`PASSPHRASE_ENV` is set when it is made; the same variable unlocks it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from raudit.errors import InputError

__all__ = [
    "PAYLOAD_TYPE", "STATEMENT_TYPE", "PREDICATE_TYPE", "PASSPHRASE_ENV", "BadSignature", "SignedStatement",
    "pae", "key_id", "generate_key", "load_private_key", "load_public_key", "envelope_path", "sign_statement", "read_unverified",
    "sign_body", "open_body",
    "verify_envelope",
]

#: DSSE payload type of an in-toto statement.
PAYLOAD_TYPE = "application/vnd.in-toto+json"
#: ``_type`` of an in-toto Statement v1.
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
#: What the predicate is. A TypeURI need not resolve; ``.invalid`` (RFC 2606) guarantees it names
#: no one else's site until raudit has a home of its own for the predicate's documentation.
PREDICATE_TYPE = "https://raudit.invalid/attestation/audit-report/v1"
#: Environment variable holding the passphrase of an encrypted private key.
PASSPHRASE_ENV = "RAUDIT_KEY_PASSPHRASE"


class BadSignature(Exception):
    """The envelope is well formed but does not verify (wrong key, tampered, not a raudit statement)."""


@dataclass(frozen=True)
class SignedStatement:
    """What a verified envelope vouches for.

    Attributes
    ----------
    subjects : dict of str to str
        File name → sha256 (hex) of every signed report file.
    predicate : dict
        The raudit predicate (see the module docstring).
    key_id : str
        sha256 of the public key that verified the signature.
    """

    subjects: Mapping[str, str]
    predicate: Mapping[str, Any]
    key_id: str


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: the exact bytes that are signed.

    Examples
    --------
    >>> pae("t", b"hi")
    b'DSSEv1 1 t 2 hi'
    """
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def key_id(public_key: Ed25519PublicKey) -> str:
    """Return the sha256 (hex) of the public key's DER SubjectPublicKeyInfo."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def envelope_path(report_path: str | Path) -> Path:
    """Where the signature of a report lives: ``report.json`` → ``report.intoto.json``."""
    p = Path(report_path)
    return p.with_name(p.stem + ".intoto.json")


def generate_key(path: str | Path) -> tuple[Path, Path, str]:
    """Write a new Ed25519 private key to ``path`` and its public key to ``path.pub``.

    The private key is PEM PKCS#8 with mode 0600, encrypted with the passphrase
    in ``RAUDIT_KEY_PASSPHRASE`` when that is set, unencrypted otherwise. An
    existing file is never overwritten.

    Returns
    -------
    (private key path, public key path, key id)

    Raises
    ------
    raudit.InputError
        Either file exists, or the folder is missing or not writable.
    """
    private_path = Path(path)
    public_path = Path(f"{private_path}.pub")
    for p in (private_path, public_path):
        if p.exists() or p.is_symlink():
            raise InputError(f"{p} already exists; raudit keygen never overwrites a key",
                             hint="choose another path, or move the old key away yourself")
    key = Ed25519PrivateKey.generate()
    passphrase = os.environ.get(PASSPHRASE_ENV, "").encode("utf-8")
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption())
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    _write_new(private_path, private_pem, 0o600)
    try:
        _write_new(public_path, public_pem, 0o644)
    except BaseException:
        private_path.unlink(missing_ok=True)
        raise
    return private_path, public_path, key_id(key.public_key())


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Create ``path`` (it must not exist) with ``mode`` and write ``data``."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise InputError(f"{path} already exists; raudit keygen never overwrites a key") from None
    except OSError as exc:
        raise InputError(f"cannot create {path}: {exc.strerror}", hint="check that the folder exists and is writable") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _read_key_file(path: str | Path, what: str) -> bytes:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{what} not found: {p}", hint="make a key pair with: raudit keygen raudit.key")
    try:
        return p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {what} {p}: {exc.strerror}") from None


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    """Read an Ed25519 private key (PEM PKCS#8, as ``raudit keygen`` writes it).

    An encrypted key is unlocked with the passphrase in ``RAUDIT_KEY_PASSPHRASE``.

    Raises
    ------
    raudit.InputError
        Missing or unreadable file, not a PEM private key, not Ed25519, or a
        missing or wrong passphrase.
    """
    data = _read_key_file(path, "signing key")
    passphrase = os.environ.get(PASSPHRASE_ENV, "").encode("utf-8") or None
    try:
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except TypeError:  # the key is encrypted
            if passphrase is None:
                raise InputError(f"signing key {path} is encrypted", hint=f"set {PASSPHRASE_ENV} to its passphrase") from None
            try:
                key = serialization.load_pem_private_key(data, password=passphrase)
            except ValueError:
                raise InputError(f"cannot unlock signing key {path}: wrong passphrase in {PASSPHRASE_ENV}") from None
    except (ValueError, UnsupportedAlgorithm):
        hint = "give the private key (not KEY.pub)" if b"PUBLIC KEY" in data else "make one with: raudit keygen raudit.key"
        raise InputError(f"{path} is not a PEM private key", hint=hint) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(f"signing key {path} is a {type(key).__name__.lstrip('_')}, not Ed25519",
                         hint="raudit signs with Ed25519; make a key with: raudit keygen raudit.key")
    return key


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    """Read an Ed25519 public key (PEM SubjectPublicKeyInfo, ``KEY.pub`` from ``raudit keygen``).

    Raises
    ------
    raudit.InputError
        Missing or unreadable file, a private key, not a PEM public key, or not Ed25519.
    """
    data = _read_key_file(path, "public key")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        if b"PRIVATE KEY" in data:
            raise InputError(f"{path} is a private key; verify with the public key",
                             hint="give KEY.pub, written next to the key by raudit keygen; the private key stays with the signer") from None
        raise InputError(f"{path} is not a PEM public key", hint="give KEY.pub, written by raudit keygen") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(f"public key {path} is a {type(key).__name__.lstrip('_')}, not Ed25519",
                         hint="raudit signatures are Ed25519; give the KEY.pub that raudit keygen wrote")
    return key


def _descriptor(entry: Any) -> dict[str, Any] | None:
    """An in-toto ResourceDescriptor (name and sha256) for a lineage file entry."""
    if not isinstance(entry, Mapping):
        return None
    return {"name": entry["name"], "digest": {"sha256": entry["sha256"]}}


def statement(files: Mapping[str, bytes], report_body: Mapping[str, Any], *, key: str, signed_at: datetime) -> dict[str, Any]:
    """Return the in-toto Statement v1 for a report set (see the module docstring)."""
    from raudit._version import __version__
    from raudit.trust.digest import content_digest

    lineage = report_body.get("lineage", {})
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": name, "digest": {"sha256": hashlib.sha256(data).hexdigest()}} for name, data in sorted(files.items())],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "report": {
                "schemaVersion": report_body["schema_version"],
                "status": report_body["status"],
                "createdAt": lineage.get("created_utc"),
                "contentDigest": {"sha256": content_digest(report_body)},
            },
            "checks": [{"name": c["name"], "status": c["status"]} for c in report_body["checks"]],
            "inputs": {"model": _descriptor(lineage.get("model_file")), "data": _descriptor(lineage.get("data_file"))},
            "signer": {"tool": "raudit", "version": __version__, "keyId": key,
                       "signedAt": signed_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")},
        },
    }


def sign_statement(
    files: Mapping[str, bytes],
    report_body: Mapping[str, Any],
    key: str | Path | Ed25519PrivateKey,
    *,
    signed_at: datetime | None = None,
) -> bytes:
    """Sign a report set; return the DSSE envelope as JSON bytes.

    Parameters
    ----------
    files : mapping of file name to bytes
        The rendered report files, as they will be written (the subjects).
    report_body : mapping
        The report's JSON form (its content digest and statuses go into the predicate).
    key : path or Ed25519PrivateKey
        The private key (see :func:`load_private_key`).
    signed_at : datetime, optional
        Recorded signing time; now by default.

    Examples
    --------
    >>> envelope = sign_statement({"report.json": data}, json.loads(data), "raudit.key")  # doctest: +SKIP
    """
    private = key if isinstance(key, Ed25519PrivateKey) else load_private_key(key)
    kid = key_id(private.public_key())
    return sign_body(statement(files, report_body, key=kid, signed_at=signed_at or datetime.now(UTC)), private)


def sign_body(body: Mapping[str, Any], private: Ed25519PrivateKey) -> bytes:
    """A DSSE envelope (JSON bytes) around an in-toto statement ``body``, signed with ``private``."""
    kid = key_id(private.public_key())
    payload = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    signature = private.sign(pae(PAYLOAD_TYPE, payload))
    envelope = {
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(payload).decode("ascii"),
        "signatures": [{"keyid": kid, "sig": base64.b64encode(signature).decode("ascii")}],
    }
    return (json.dumps(envelope, indent=2, sort_keys=True) + "\n").encode("utf-8")


def open_body(envelope: bytes, public_key: Ed25519PublicKey | None) -> tuple[Any, str | None]:
    """The statement an envelope carries, and the id of the key that verified it (``None``: not verified, no key given).

    Raises
    ------
    BadSignature
        Not an in-toto payload, no signature verifies with ``public_key``, or the payload is not JSON.
    raudit.InputError
        The envelope is not a DSSE envelope.
    """
    payload_type, payload, sigs, signatures = _parse_envelope(envelope)
    if payload_type != PAYLOAD_TYPE:
        raise BadSignature(f"payloadType is {payload_type!r}, not an in-toto statement ({PAYLOAD_TYPE})")
    kid = None
    if public_key is not None:
        kid = key_id(public_key)
        if not any(_verifies(public_key, sig, pae(payload_type, payload)) for sig in sigs):
            named = sorted({str(s.get("keyid")) for s in signatures if s.get("keyid")})
            other = f" (the envelope names key {', '.join(named)})" if named and kid not in named else ""
            raise BadSignature(f"no signature verifies with this key {kid}{other}: the file was changed after signing, "
                               "or it was signed with another key")
    try:
        return json.loads(payload.decode("utf-8")), kid
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise BadSignature("the payload is not JSON") from None


def _b64(text: Any, what: str) -> bytes:
    """Decode standard or URL-safe base64 (DSSE allows both)."""
    if not isinstance(text, str):
        raise InputError(f"malformed signature envelope: {what} is not a base64 string")
    try:
        return base64.b64decode(text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise InputError(f"malformed signature envelope: {what} is not valid base64") from None


# size: every way a DSSE envelope can be malformed or forged gets its own refusal
def read_unverified(envelope: bytes) -> SignedStatement:
    """The statement an envelope carries, its signature NOT checked: for detecting accidental change without a key.

    Anyone can write such a statement; only :func:`verify_envelope` with the signer's public key
    shows who did. ``key_id`` is the one the statement names.

    Raises
    ------
    BadSignature
        The payload is not a raudit in-toto statement.
    raudit.InputError
        The envelope is not a DSSE envelope.
    """
    return _statement(open_body(envelope, None)[0], None)


def _parse_envelope(envelope: bytes) -> tuple[str, bytes, list[bytes], list[dict[str, Any]]]:
    """A DSSE envelope's payload type, payload, signatures and signature entries (shape checked, nothing verified)."""
    try:
        doc = json.loads(envelope.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"malformed signature envelope: not JSON ({type(exc).__name__})") from None
    if not isinstance(doc, dict):
        raise InputError("malformed signature envelope: not a JSON object")
    missing = [k for k in ("payloadType", "payload", "signatures") if k not in doc]
    if missing:
        raise InputError(f"malformed signature envelope: no {', '.join(missing)}", hint="expected a DSSE envelope written by raudit")
    payload_type = doc["payloadType"]
    if not isinstance(payload_type, str):
        raise InputError("malformed signature envelope: payloadType is not a string")
    payload = _b64(doc["payload"], "payload")
    signatures = doc["signatures"]
    if not isinstance(signatures, list) or not signatures or not all(isinstance(s, dict) for s in signatures):
        raise InputError("malformed signature envelope: signatures is not a non-empty list of objects")
    return payload_type, payload, [_b64(s.get("sig"), "a signature") for s in signatures], signatures


def verify_envelope(envelope: bytes, public_key: Ed25519PublicKey) -> SignedStatement:
    """Check a DSSE envelope's Ed25519 signature and return the statement it vouches for.

    Parameters
    ----------
    envelope : bytes
        The content of ``report.intoto.json``.
    public_key : Ed25519PublicKey
        The signer's public key (see :func:`load_public_key`).

    Raises
    ------
    BadSignature
        The payload type is not an in-toto statement, no signature verifies with
        ``public_key``, or the signed payload is not a raudit statement.
    raudit.InputError
        The envelope is not a DSSE envelope (not JSON, missing fields, bad base64).
    """
    body, kid = open_body(envelope, public_key)
    return _statement(body, kid)


def _verifies(public_key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


def _statement(body: Any, kid: str | None) -> SignedStatement:  # size: checks every field of the statement against what it must name
    """Read the fields raudit needs from a verified statement; its shape was chosen by the signer."""
    if not isinstance(body, dict) or body.get("_type") != STATEMENT_TYPE:
        raise BadSignature(f"the signed payload is not an in-toto Statement v1 (_type {STATEMENT_TYPE})")
    if body.get("predicateType") != PREDICATE_TYPE:
        raise BadSignature(f"the statement's predicateType is {body.get('predicateType')!r}, not a raudit report ({PREDICATE_TYPE})")
    subjects: dict[str, str] = {}
    for s in body.get("subject") or []:
        name = s.get("name") if isinstance(s, dict) else None
        digest = s.get("digest") if isinstance(s, dict) else None
        sha = digest.get("sha256") if isinstance(digest, dict) else None
        if not isinstance(name, str) or not isinstance(sha, str) or name in ("", ".", "..") or "/" in name or "\\" in name:
            raise BadSignature(f"the statement has a subject that is not a file name with a sha256: {s!r}")
        subjects[name] = sha
    predicate = body.get("predicate")
    if not subjects or not isinstance(predicate, dict):
        raise BadSignature("the statement has no subjects or no predicate")
    signer = predicate.get("signer")
    named = signer.get("keyId") if isinstance(signer, dict) else None
    if kid is not None and named != kid:
        raise BadSignature(f"the statement names key {named}, but was verified with key {kid}")
    return SignedStatement(subjects=subjects, predicate=predicate, key_id=kid if kid is not None else str(named))
