"""``raudit verify``: check a report is intact and its inputs are still the files it names.

Without a key, verify recomputes ``integrity.digest`` and checks the files
beside the report against the sha256 the report recorded for them
(``integrity.files``; or the statement of a signed set, its signature unchecked):
that detects accidental change only, since anyone who edits a report can
recompute the hashes. With
``key`` (the signer's public key) it checks the signed set written by
``--sign-key`` (``raudit.trust.signing``): the envelope's signature, every signed
file next to the report, the signed content digest, and the inputs against
their signed hashes.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from raudit.errors import InputError
from raudit.trust.digest import content_digest, sha256_file

__all__ = ["verify", "validate_report", "read_report", "UNSIGNED_NOTE"]

#: What verify says when no key is given.
UNSIGNED_NOTE = (
    "note: without --key this only detects accidental change: anyone who edits a report can recompute its "
    "digest. To detect tampering, sign the report set (raudit keygen raudit.key, then raudit MODEL DATA "
    "--sign-key raudit.key) and check it with raudit verify report.json --key raudit.key.pub."
)


@cache
def _schema() -> dict[str, Any]:
    text = (files("raudit.schema") / "report.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def validate_report(body: Any, *, where: str = "report") -> None:
    """Check a parsed report.json against the shipped JSON Schema.

    Raises
    ------
    raudit.InputError
        Naming the first (most relevant) problem and where it is.
    """
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    try:
        error = best_match(Draft202012Validator(_schema()).iter_errors(body))
    except RecursionError:
        raise InputError(f"{where} is nested too deeply to be a raudit report") from None
    if error is None:
        return
    at = "/".join(str(part) for part in error.absolute_path) or "the top level"
    message = error.message if len(error.message) <= 300 else error.message[:297] + "..."
    raise InputError(f"{where} is not a valid raudit report: at {at}: {message}",
                     hint="give a report.json written by raudit (see raudit/schema/report.schema.json)")


def read_report(p: Path) -> tuple[bytes, dict[str, Any]]:
    """A report.json's bytes and parsed body, validated against the report schema.

    Raises
    ------
    raudit.InputError
        Missing, unreadable, not JSON, or not a raudit report.
    """
    if not p.exists():
        raise InputError(f"report not found: {p}", hint="give the report.json written by raudit")
    if not p.is_file():
        raise InputError(f"report is not a file: {p}", hint="give the report.json written by raudit")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read report {p}: {exc.strerror}") from None
    try:
        body = json.loads(raw.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{p} is not valid JSON: {exc}") from None
    except RecursionError:
        raise InputError(f"{p} is nested too deeply to be a raudit report") from None
    validate_report(body, where=str(p))
    return raw, body


def verify(
    report_path: str | Path,
    *,
    key: str | Path | None = None,
    model: str | Path | None = None,
    data: str | Path | None = None,
    reviewer_key: str | Path | None = None,
) -> list[tuple[str, bool, str]]:  # size: the public API's docstring, then one check per recorded input in the order a reader verifies
    """Check a report.json's digest, its signature (with ``key``) and the hashes of its inputs.

    Parameters
    ----------
    report_path : path of a ``report.json``
        It is validated against the shipped JSON Schema first.
    key : path, optional
        The signer's Ed25519 public key (``KEY.pub`` from ``raudit keygen``).
        Checks ``report.intoto.json`` next to the report: its signature, that
        every signed file next to the report has its signed sha256, that the
        report's content digest is the signed one, and the inputs against the
        signed hashes. Without it only the unkeyed digest is checked, which
        anyone can recompute after editing the report (accidental change only).
    model, data : paths, optional
        Files to compare with the recorded hashes; by default the paths the
        report recorded (when they still exist).
    reviewer_key : path, optional
        The reviewer's public key: checks the signature of the decision
        beside the report (``report.approval.json``, from ``raudit approve``).
        Without it the decision is still read and matched to the report, its
        signature unchecked; with it, a missing decision is a failure.

    Returns
    -------
    list of (what, ok, detail)
        Everything matched when every ``ok`` is true.

    Raises
    ------
    raudit.InputError
        The report, the key or the envelope cannot be read or has the wrong shape.

    Examples
    --------
    >>> all(ok for _, ok, _ in raudit.verify("out/report.json", key="raudit.key.pub"))  # doctest: +SKIP
    True
    """
    p = Path(report_path)
    raw, body = read_report(p)
    try:
        actual = content_digest(body)
    except ValueError:  # NaN or Infinity, which raudit never writes
        raise InputError(f"{p} holds NaN or Infinity, which raudit never writes in a report") from None
    recorded = body["integrity"]["digest"]
    results = [("report content", actual == recorded,
                "digest matches" if actual == recorded else f"digest differs: recorded {recorded}, content hashes to {actual}")]
    expected: dict[str, tuple[str | None, str | None]] = {}  # role → (recorded path, sha256 to match)
    for role in ("model", "data"):
        entry = body["lineage"].get(f"{role}_file")
        expected[role] = (entry["path"], entry["sha256"]) if entry else (None, None)
    if key is not None:
        signed_inputs = _check_signed_set(p, raw, actual, key, results)
        if signed_inputs is None:
            return results
        expected = {role: (path, signed_inputs[role]) for role, (path, _) in expected.items()}
    elif body["integrity"].get("files"):
        _check_listed_files(p, body["integrity"]["files"], results)
    else:
        _check_unsigned_statement(p, raw, actual, results)
    _check_decision(p, raw, actual, reviewer_key, results)
    for role, given in (("model", model), ("data", data)):
        recorded_path, sha = expected[role]
        if sha is None:
            if given is not None:
                results.append((f"{role} file", False, f"the report records no {role} file"
                                + (" in its signed statement" if key is not None else "")))
            continue
        path = Path(given) if given is not None else Path(recorded_path or "")
        if not path.exists():
            results.append((f"{role} file", False, f"{path} not found (recorded sha256 {sha})"))
            continue
        digest = sha256_file(path)
        ok = digest == sha
        results.append((f"{role} file", ok, f"{path}: sha256 {'matches' if ok else 'differs'}"
                        + (" the signed one" if ok and key is not None else "")
                        + ("" if ok else f" (recorded {sha}, file has {digest})")))
    return results


def _check_signed_set(p: Path, raw: bytes, actual: str, key: str | Path,
                      results: list[tuple[str, bool, str]]) -> dict[str, str | None] | None:
    """Append the signature checks to ``results``; return the signed input hashes, or None if the signature fails."""
    from raudit.trust.signing import BadSignature, envelope_path, load_public_key, verify_envelope

    public = load_public_key(key)
    env_path = envelope_path(p)
    if not env_path.is_file():
        results.append(("signature", False, f"{env_path.name} not found next to the report: this report set was not signed, "
                                            "or its signature was removed"))
        return None
    try:
        envelope = env_path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {env_path}: {exc.strerror}") from None
    try:
        signed = verify_envelope(envelope, public)
    except BadSignature as exc:
        results.append(("signature", False, f"{env_path.name}: {exc}"))
        return None
    signer = signed.predicate.get("signer", {})
    results.append(("signature", True, f"{env_path.name}: valid Ed25519 signature by key {signed.key_id}"
                                       f" (signed {signer.get('signedAt')}, raudit {signer.get('version')})"))
    _check_statement(p, raw, actual, signed, results, signed_set=True)
    inputs = signed.predicate.get("inputs")
    out: dict[str, str | None] = {}
    for role in ("model", "data"):
        entry = inputs.get(role) if isinstance(inputs, dict) else None
        hashes = entry.get("digest") if isinstance(entry, dict) else None
        out[role] = hashes.get("sha256") if isinstance(hashes, dict) else None
    return out


def _check_decision(p: Path, raw: bytes, actual: str, key: str | Path | None, results: list[tuple[str, bool, str]]) -> None:
    """The reviewer's decision beside the report: its signature (with ``key``), and that it is about this report."""
    import hashlib

    from raudit.trust.approval import approval_path, describe, read_decision
    from raudit.trust.signing import BadSignature

    path = approval_path(p)
    if not path.is_file():
        if key is not None:
            results.append(("review decision", False, f"{path.name} not found next to the report: no decision was signed"))
        return
    try:
        d = read_decision(path, key=key)
    except BadSignature as exc:
        results.append(("review decision", False, f"{path.name}: {exc}"))
        return
    if d.report_sha256 != hashlib.sha256(raw).hexdigest() or d.content_digest != actual:
        results.append(("review decision", False, f"{path.name} is a decision on another version of this report (it names "
                                                  f"report sha256 {d.report_sha256}): the report changed after the decision"))
        return
    results.append(("review decision", True, describe(d)))


def _check_listed_files(p: Path, listed: dict[str, str], results: list[tuple[str, bool, str]]) -> None:
    """The report's other files (``integrity.files``) against the sha256 the report recorded for them."""
    for name, sha in sorted(listed.items()):
        path = p.parent / name
        if "/" in name or "\\" in name or name in ("", ".", "..") or not path.is_file():
            results.append((f"file {name}", False, f"missing next to the report (recorded sha256 {sha})"))
            continue
        digest = sha256_file(path)
        ok = digest == sha
        results.append((f"file {name}", ok, "sha256 matches the one the report recorded" if ok else
                        f"sha256 differs: recorded {sha}, file has {digest}"))


def _check_unsigned_statement(p: Path, raw: bytes, actual: str, results: list[tuple[str, bool, str]]) -> None:
    """Without a key: check the files and content digest the statement next to the report lists (its signature unchecked)."""
    from raudit.trust.signing import BadSignature, envelope_path, read_unverified

    env_path = envelope_path(p)
    if not env_path.is_file():
        return
    try:
        statement = read_unverified(env_path.read_bytes())
    except OSError as exc:
        raise InputError(f"cannot read {env_path}: {exc.strerror}") from None
    except BadSignature as exc:
        results.append(("statement", False, f"{env_path.name}: {exc}"))
        return
    _check_statement(p, raw, actual, statement, results, signed_set=False)


# size: each way a report set can differ from its statement gets its own line of the answer
def _check_statement(p: Path, raw: bytes, actual: str, signed: Any, results: list[tuple[str, bool, str]], *, signed_set: bool) -> None:
    """Every file the statement lists, and the report's content digest, against the statement's hashes."""
    import hashlib

    what = "signed" if signed_set else "listed"
    if p.name not in signed.subjects:
        results.append((f"{what} files", False, f"the statement does not cover {p.name}; it covers "
                                                f"{', '.join(sorted(signed.subjects))}"))
    for name, sha in sorted(signed.subjects.items()):
        path = p.parent / name
        if name == p.name:
            digest = hashlib.sha256(raw).hexdigest()
        elif path.is_file():
            digest = sha256_file(path)
        else:
            results.append((f"{what} file {name}", False, f"missing next to the report ({what} sha256 {sha})"))
            continue
        ok = digest == sha
        results.append((f"{what} file {name}", ok, f"sha256 matches the {what} one" if ok else
                        f"sha256 differs: {what} {sha}, file has {digest}"))
    from raudit.report.renderers import RENDERERS

    for sibling in (p.parent / r.file_name.replace("report", p.stem, 1) for r in RENDERERS.values()):  # every format raudit writes
        if sibling.name not in signed.subjects and (sibling.is_file() or sibling.is_symlink()):
            results.append((f"file {sibling.name}", False, "next to the report but not covered by the "
                            + ("signature" if signed_set else "statement")))
    report = signed.predicate.get("report")
    signed_digest = (report.get("contentDigest") or {}).get("sha256") if isinstance(report, dict) else None
    ok = signed_digest == actual
    results.append((f"{what} content digest", ok, f"the report's content is the {what} content" if ok else
                    f"differs: {what} {signed_digest}, report content hashes to {actual}"))
