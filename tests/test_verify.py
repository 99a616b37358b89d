"""raudit verify, as an attacker would try it: forged reports, other keys, swapped envelopes, tampered files, bad input."""

from __future__ import annotations

import base64
import json
import shutil

import pytest

import raudit
from raudit.trust import signing as _signing
from raudit.trust.digest import content_digest
from tests._signed import run


def verify(signed, *extra: object, report: str = "out/report.json", key: str = "raudit.key.pub"):
    return run("verify", signed / report, "--key", signed / key, *extra)


def _forge(report_path):
    """What anyone can do without the key: edit a status, recompute the digest."""
    body = json.loads(report_path.read_text())
    body["status"] = "pass"
    for check in body["checks"]:
        check["status"] = "pass"
    body["integrity"]["digest"] = content_digest(body)
    report_path.write_text(json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def _resign(envelope_path, private_key, **changes):
    """An envelope signed with ``private_key`` over the same payload, with ``changes`` to the envelope or statement."""
    envelope = json.loads(envelope_path.read_text())
    statement = json.loads(base64.b64decode(envelope["payload"]))
    statement.update(changes.pop("statement", {}))
    payload = json.dumps(statement).encode()
    payload_type = changes.pop("payloadType", envelope["payloadType"])
    sig = private_key.sign(_signing.pae(payload_type, payload))
    keyid = changes.pop("keyid", _signing.key_id(private_key.public_key()))
    envelope_path.write_text(json.dumps({"payloadType": payload_type, "payload": base64.b64encode(payload).decode(),
                                         "signatures": [{"keyid": keyid, "sig": base64.b64encode(sig).decode()}]}))


# -- the good path and what verify says without a key -------------------------------------------------

def test_a_signed_set_verifies(signed):
    res = verify(signed)
    assert res.exit_code == 0, res.output
    for line in ("report content: digest matches", "signature: report.intoto.json: valid Ed25519 signature",
                 "signed file report.html: sha256 matches", "signed file report.json: sha256 matches",
                 "signed file report.pdf: sha256 matches", "signed content digest: the report's content is the signed content",
                 "model file:", "data file:"):
        assert f"OK   {line}" in res.output, (line, res.output)
    assert "FAIL" not in res.output and "accidental" not in res.output
    results = raudit.verify(signed / "out" / "report.json", key=signed / "raudit.key.pub")
    assert all(ok for _, ok, _ in results) and len(results) == 8


def test_without_a_key_verify_says_the_digest_detects_accidental_change_only(signed):
    res = run("verify", signed / "out" / "report.json")
    assert res.exit_code == 0, res.output
    assert "without --key this only detects accidental change: anyone who edits a report can recompute its digest" in res.output
    assert "raudit keygen raudit.key" in res.output and "--sign-key raudit.key" in res.output
    assert "report.intoto.json is next to the report: give --key" in res.output


# -- attacks ----------------------------------------------------------------------------------------

def test_a_forged_report_passes_the_unkeyed_digest_but_fails_with_the_key(signed):
    _forge(signed / "out" / "report.json")
    unkeyed = run("verify", signed / "out" / "report.json")
    assert unkeyed.exit_code == 0 and "only detects accidental change" in unkeyed.output  # exactly the weakness the note states
    res = verify(signed)
    assert res.exit_code == 1, res.output
    assert "FAIL signed file report.json: sha256 differs" in res.output
    assert "FAIL signed content digest: differs" in res.output


def test_report_json_edited_with_the_envelope_intact_fails(signed):
    report = signed / "out" / "report.json"
    report.write_text(report.read_text().replace('"status": "fail"', '"status": "pass"', 1))
    res = verify(signed)
    assert res.exit_code == 1, res.output
    assert "FAIL report content: digest differs" in res.output and "FAIL signed file report.json" in res.output
    # even a change that leaves the content the same (re-indented JSON) is a different signed file
    body = json.loads((signed / "other" / "report.json").read_text())
    (signed / "other" / "report.json").write_text(json.dumps(body))
    res = verify(signed, report="other/report.json")
    assert res.exit_code == 1 and "OK   report content" in res.output and "FAIL signed file report.json" in res.output


def test_a_set_signed_with_another_key_fails(signed):
    other = _signing.load_private_key(signed / "other.key")
    _forge(signed / "out" / "report.json")
    out = signed / "out"
    files = {p.name: p.read_bytes() for p in out.iterdir() if p.name != "report.intoto.json"}
    (out / "report.intoto.json").write_bytes(_signing.sign_statement(files, json.loads(files["report.json"]), other))
    res = verify(signed)
    assert res.exit_code == 1 and "FAIL signature" in res.output and "signed with another key" in res.output, res.output
    assert "signed file" not in res.output  # nothing is compared against an untrusted statement

    # the attacker's signature under the victim's key id changes nothing
    genuine = _signing.key_id(_signing.load_public_key(signed / "raudit.key.pub"))
    _resign(out / "report.intoto.json", other, keyid=genuine)
    res = verify(signed)
    assert res.exit_code == 1 and "FAIL signature" in res.output


def test_an_envelope_swapped_in_from_another_signed_report_fails(signed):
    shutil.copy(signed / "other" / "report.intoto.json", signed / "out" / "report.intoto.json")
    res = verify(signed)
    assert res.exit_code == 1, res.output
    assert "OK   signature" in res.output  # a genuine signature, by the right key: of another set
    assert "FAIL signed file report.json: sha256 differs" in res.output
    assert "FAIL signed content digest: differs" in res.output
    assert "FAIL file report.pdf: next to the report but not covered by the signature" in res.output


@pytest.mark.parametrize("name", ["report.html", "report.pdf"])
def test_a_tampered_html_or_pdf_fails(signed, name):
    path = signed / "out" / name
    data = path.read_bytes()
    path.write_bytes(data.replace(b"FAIL", b"PASS") if b"FAIL" in data else data + b"\n")
    res = verify(signed)
    assert res.exit_code == 1 and f"FAIL signed file {name}: sha256 differs" in res.output, res.output
    assert "OK   signed file report.json" in res.output


def test_a_missing_signed_file_is_reported(signed):
    (signed / "out" / "report.pdf").unlink()
    res = verify(signed)
    assert res.exit_code == 1 and "FAIL signed file report.pdf: missing next to the report" in res.output, res.output


def test_a_removed_signature_fails(signed):
    (signed / "out" / "report.intoto.json").unlink()
    res = verify(signed)
    assert res.exit_code == 1 and "report.intoto.json not found next to the report" in res.output, res.output


def test_a_wrong_payload_type_fails(signed):
    envelope = signed / "out" / "report.intoto.json"
    original = envelope.read_text()
    edited = json.loads(original)
    edited["payloadType"] = "application/json"  # the signature no longer matches either
    envelope.write_text(json.dumps(edited))
    res = verify(signed)
    assert res.exit_code == 1 and "payloadType is 'application/json', not an in-toto statement" in res.output, res.output
    # properly signed by the right key, but as another payload type: still not a raudit statement
    _resign(envelope, _signing.load_private_key(signed / "raudit.key"), payloadType="text/plain")
    res = verify(signed)
    assert res.exit_code == 1 and "payloadType is 'text/plain'" in res.output


def test_a_signed_statement_of_another_kind_fails(signed):
    key = _signing.load_private_key(signed / "raudit.key")
    envelope = signed / "out" / "report.intoto.json"
    _resign(envelope, key, statement={"predicateType": "https://slsa.dev/provenance/v1"})
    res = verify(signed)
    assert res.exit_code == 1 and "not a raudit report" in res.output
    _resign(envelope, key, statement={"predicateType": _signing.PREDICATE_TYPE, "_type": "https://in-toto.io/Statement/v0.1"})
    res = verify(signed)
    assert res.exit_code == 1 and "not an in-toto Statement v1" in res.output


def test_changed_inputs_fail_against_their_signed_hashes(signed):
    with (signed / "data.csv").open("a") as fh:
        fh.write("\n")
    res = verify(signed, "--data", signed / "data.csv", "--model", signed / "model.joblib")
    assert res.exit_code == 1, res.output
    assert "FAIL data file" in res.output and "differs" in res.output and "OK   model file" in res.output


# -- bad input: exit 2, a message, no traceback --------------------------------------------------------

def test_unreadable_keys_and_malformed_envelopes_are_exit_2(signed):
    (signed / "garbage.pub").write_text("not a key")
    cases = {
        "missing key": (("--key", signed / "nope.pub"), "public key not found"),
        "private key": (("--key", signed / "raudit.key"), "is a private key; verify with the public key"),
        "garbage key": (("--key", signed / "garbage.pub"), "is not a PEM public key"),
    }
    for name, (args, message) in cases.items():
        res = run("verify", signed / "out" / "report.json", *args)
        assert res.exit_code == 2 and message in res.output and "Traceback" not in res.output, (name, res.output)

    envelope = signed / "out" / "report.intoto.json"
    good = json.loads(envelope.read_text())
    envelopes = {
        "not json": (b"{not json", "not JSON"),
        "a list": (b"[]", "not a JSON object"),
        "no payload": (json.dumps({k: v for k, v in good.items() if k != "payload"}).encode(), "no payload"),
        "bad base64": (json.dumps({**good, "payload": "***"}).encode(), "payload is not valid base64"),
        "payload not a string": (json.dumps({**good, "payload": 5}).encode(), "payload is not a base64 string"),
        "no signatures": (json.dumps({**good, "signatures": []}).encode(), "signatures is not a non-empty list"),
        "signature not base64": (json.dumps({**good, "signatures": [{"sig": "%%"}]}).encode(), "a signature is not valid base64"),
        "binary": (b"\xff\xfe\x00", "not JSON"),
    }
    for name, (data, message) in envelopes.items():
        envelope.write_bytes(data)
        res = verify(signed)
        assert res.exit_code == 2, (name, res.output)
        assert "malformed signature envelope" in res.output and message in res.output and "Traceback" not in res.output, (name, res.output)


def _malformed(body):
    yield "integrity is a string", {**body, "integrity": "abc"}, "integrity"
    yield "integrity without digest", {**body, "integrity": {"algorithm": "sha256"}}, "'digest' is a required property"
    yield "digest is a number", {**body, "integrity": {"algorithm": "sha256", "digest": 5}}, "integrity/digest"
    yield "digest not hex", {**body, "integrity": {"algorithm": "sha256", "digest": "z" * 64}}, "integrity/digest"
    yield "other algorithm", {**body, "integrity": {"algorithm": "md5", "digest": "0" * 64}}, "integrity/algorithm"
    yield "no integrity", {k: v for k, v in body.items() if k != "integrity"}, "'integrity' is a required property"
    yield "lineage is a list", {**body, "lineage": []}, "lineage"
    yield "lineage is null", {**body, "lineage": None}, "lineage"
    yield "no lineage", {k: v for k, v in body.items() if k != "lineage"}, "'lineage' is a required property"
    yield "model_file a string", {**body, "lineage": {**body["lineage"], "model_file": "model.joblib"}}, "lineage/model_file"
    yield "data_file without sha256", {**body, "lineage": {**body["lineage"], "data_file": {
        k: v for k, v in body["lineage"]["data_file"].items() if k != "sha256"}}}, "lineage/data_file"
    yield "data_file sha256 a list", {**body, "lineage": {**body["lineage"], "data_file": {
        **body["lineage"]["data_file"], "sha256": [1]}}}, "lineage/data_file/sha256"
    yield "lineage missing data_shape", {**body, "lineage": {
        k: v for k, v in body["lineage"].items() if k != "data_shape"}}, "'data_shape' is a required property"
    yield "trust_settings wrong shape", {**body, "lineage": {**body["lineage"], "trust_settings": {"trust_model": True}}}, \
        "lineage/trust_settings/trust_model"
    yield "a check is a string", {**body, "checks": ["performance"]}, "checks/0"
    yield "top level array", [body], "the top level"
    yield "top level number", 3, "the top level"


def test_a_report_of_the_wrong_shape_is_exit_2_naming_the_problem(signed):
    body = json.loads((signed / "out" / "report.json").read_text())
    path = signed / "bad.json"
    cases = list(_malformed(body))
    assert len(cases) >= 15
    for name, bad, where in cases:
        path.write_text(json.dumps(bad))
        for args in ((), ("--key", signed / "raudit.key.pub")):
            res = run("verify", path, *args)
            assert res.exit_code == 2, (name, res.output)
            assert "is not a valid raudit report" in res.output and where in res.output, (name, res.output)
            assert "Traceback" not in res.output, name


def test_other_unreadable_reports_are_exit_2(signed):
    cases = {
        "deeply nested": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        "not json": ("{", "is not valid JSON"),
        "nan": (json.dumps(json.loads((signed / "out" / "report.json").read_text())).replace(
            '"accuracy": ', '"accuracy": NaN, "x": ', 1), "NaN or Infinity"),
    }
    for name, (text, message) in cases.items():
        (signed / "bad.json").write_text(text)
        res = run("verify", signed / "bad.json")
        assert res.exit_code == 2 and message in res.output and "Traceback" not in res.output, (name, res.output[-500:])
    (signed / "latin1.json").write_bytes(b"\xff\xfe")
    assert run("verify", signed / "latin1.json").exit_code == 2
    res = run("verify", signed / "out")
    assert res.exit_code == 2 and "report is not a file" in res.output
