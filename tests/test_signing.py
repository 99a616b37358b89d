"""Signing report sets: keygen, --sign-key, the DSSE/in-toto envelope, and what a signing failure leaves behind."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import shutil
import stat
import subprocess
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key

import raudit
from raudit.errors import InputError
from raudit.report.write import write_report
from raudit.trust import signing as _signing
from raudit.trust.digest import content_digest
from tests._signed import run


@pytest.fixture(scope="module")
def small_report():
    """The gold test's fixed report, with a complete configuration (so it matches the schema)."""
    from tests.test_gold import _report

    return dataclasses.replace(_report("standard"), config={
        **raudit.AuditConfig.from_mapping({"target": "y", "sensitive": ["sex"]}).to_dict(), "sensitive_guessed": False})


def _payload(envelope_path):
    envelope = json.loads(envelope_path.read_text())
    return envelope, json.loads(base64.b64decode(envelope["payload"]))


# -- keygen ---------------------------------------------------------------------------------------

def test_keygen_writes_a_0600_pkcs8_key_and_its_public_key_and_never_overwrites(tmp_path, monkeypatch):
    monkeypatch.delenv(_signing.PASSPHRASE_ENV, raising=False)
    key = tmp_path / "raudit.key"
    res = run("keygen", key)
    assert res.exit_code == 0, res.output
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_text().startswith("-----BEGIN PRIVATE KEY-----")  # PKCS#8, unencrypted
    pub = tmp_path / "raudit.key.pub"
    assert pub.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    private = serialization.load_pem_private_key(key.read_bytes(), password=None)
    assert isinstance(private, Ed25519PrivateKey)
    der = private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert f"key id {hashlib.sha256(der).hexdigest()}" in res.output
    assert "unencrypted (set RAUDIT_KEY_PASSPHRASE to encrypt)" in res.output

    before = key.read_bytes(), pub.read_bytes()
    again = run("keygen", key)
    assert again.exit_code == 2 and "already exists" in again.output and "never overwrites" in again.output
    assert (key.read_bytes(), pub.read_bytes()) == before
    key.unlink()  # only the .pub is left: still refused, nothing written
    again = run("keygen", key)
    assert again.exit_code == 2 and "raudit.key.pub already exists" in again.output and not key.exists()
    missing = run("keygen", tmp_path / "no" / "such" / "k.key")
    assert missing.exit_code == 2 and "cannot create" in missing.output


def test_key_id_is_what_openssl_computes(tmp_path):
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    _, pub, kid = _signing.generate_key(tmp_path / "k.key")
    der = subprocess.run([openssl, "pkey", "-pubin", "-in", str(pub), "-outform", "DER"], capture_output=True, check=True).stdout
    assert hashlib.sha256(der).hexdigest() == kid


def test_a_passphrase_in_the_environment_encrypts_the_key_and_unlocks_it(tmp_path, monkeypatch, small_report):
    monkeypatch.setenv(_signing.PASSPHRASE_ENV, "correct horse")
    key = tmp_path / "locked.key"
    res = run("keygen", key)
    assert res.exit_code == 0 and "encrypted with $RAUDIT_KEY_PASSPHRASE" in res.output
    assert key.read_text().startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    small_report.save(tmp_path / "a.json", sign_key=key)
    assert (tmp_path / "a.intoto.json").is_file()

    monkeypatch.setenv(_signing.PASSPHRASE_ENV, "wrong")
    with pytest.raises(InputError, match="wrong passphrase"):
        _signing.load_private_key(key)
    monkeypatch.delenv(_signing.PASSPHRASE_ENV)
    with pytest.raises(InputError, match="is encrypted") as err:
        _signing.load_private_key(key)
    assert "RAUDIT_KEY_PASSPHRASE" in str(err.value)


# -- what --sign-key writes -------------------------------------------------------------------------

def test_sign_key_writes_a_dsse_envelope_of_an_in_toto_statement_over_the_whole_set(signed):
    out = signed / "out"
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.intoto.json", "report.json", "report.pdf"]
    envelope, statement = _payload(out / "report.intoto.json")
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == _signing.PREDICATE_TYPE
    assert {s["name"]: s["digest"]["sha256"] for s in statement["subject"]} == {
        name: hashlib.sha256((out / name).read_bytes()).hexdigest() for name in ("report.html", "report.json", "report.pdf")}

    body = json.loads((out / "report.json").read_text())
    predicate = statement["predicate"]
    assert predicate["report"]["contentDigest"]["sha256"] == body["integrity"]["digest"] == content_digest(body)
    assert predicate["report"]["status"] == body["status"] and predicate["report"]["createdAt"] == body["lineage"]["created_utc"]
    assert predicate["checks"] == [{"name": c["name"], "status": c["status"]} for c in body["checks"]]
    assert predicate["inputs"]["model"] == {"name": "model.joblib",
                                            "digest": {"sha256": hashlib.sha256((signed / "model.joblib").read_bytes()).hexdigest()}}
    assert predicate["inputs"]["data"]["digest"]["sha256"] == hashlib.sha256((signed / "data.csv").read_bytes()).hexdigest()
    public = _signing.load_public_key(signed / "raudit.key.pub")
    assert predicate["signer"]["keyId"] == envelope["signatures"][0]["keyid"] == _signing.key_id(public)
    assert predicate["signer"]["version"] == raudit.__version__
    datetime.strptime(predicate["signer"]["signedAt"], "%Y-%m-%dT%H:%M:%SZ")
    # the signature is over DSSE's pre-authentication encoding of the exact payload bytes
    public.verify(base64.b64decode(envelope["signatures"][0]["sig"]),
                  _signing.pae(envelope["payloadType"], base64.b64decode(envelope["payload"])))


def test_pae_is_the_dsse_encoding():
    assert _signing.pae("application/vnd.in-toto+json", b"{}") == b"DSSEv1 28 application/vnd.in-toto+json 2 {}"
    assert _signing.pae("t", "é".encode()) == b"DSSEv1 1 t 2 \xc3\xa9"  # lengths in bytes


def test_an_independent_dsse_implementation_reads_our_envelopes_and_we_read_its(signed):
    dsse = pytest.importorskip("securesystemslib.dsse")
    from securesystemslib.signer import CryptoSigner, SSlibKey

    public = _signing.load_public_key(signed / "raudit.key.pub")
    kid = _signing.key_id(public)
    ours = dsse.Envelope.from_dict(json.loads((signed / "out" / "report.intoto.json").read_text()))
    accepted = ours.verify([SSlibKey.from_crypto(public, keyid=kid)], 1)
    assert list(accepted) == [kid]

    payload = base64.b64decode(json.loads((signed / "out" / "report.intoto.json").read_text())["payload"])
    theirs = dsse.Envelope(payload=payload, payload_type="application/vnd.in-toto+json", signatures={})
    theirs.sign(CryptoSigner(_signing.load_private_key(signed / "raudit.key"), SSlibKey.from_crypto(public, keyid=kid)))
    statement = _signing.verify_envelope(json.dumps(theirs.to_dict()).encode(), public)
    assert statement.key_id == kid and "report.json" in statement.subjects


def test_ed25519_signatures_are_deterministic(small_report, tmp_path):
    _signing.generate_key(tmp_path / "k.key")
    data = small_report.render("json")
    when = datetime(2026, 1, 1, tzinfo=UTC)
    one = _signing.sign_statement({"report.json": data}, json.loads(data), tmp_path / "k.key", signed_at=when)
    two = _signing.sign_statement({"report.json": data}, json.loads(data), tmp_path / "k.key", signed_at=when)
    assert one == two


def test_report_save_signs_a_json_report_that_verify_accepts(small_report, tmp_path):
    _, pub, _ = _signing.generate_key(tmp_path / "k.key")
    saved = small_report.save(tmp_path / "audit.json", sign_key=tmp_path / "k.key")
    assert saved == tmp_path / "audit.json" and (tmp_path / "audit.intoto.json").is_file()
    results = {what: ok for what, ok, _ in raudit.verify(saved, key=pub)}
    assert results == {"report content": True, "signature": True, "signed file audit.json": True, "signed content digest": True,
                       "model file": False, "data file": False}  # the fixed report names inputs that do not exist here
    with pytest.raises(InputError, match="signs a .json report"):
        small_report.save(tmp_path / "audit.html", sign_key=tmp_path / "k.key")
    assert not (tmp_path / "audit.html").exists()


def test_a_signing_failure_writes_nothing(small_report, tmp_path, monkeypatch):
    _signing.generate_key(tmp_path / "k.key")
    out = tmp_path / "out"
    with pytest.raises(InputError, match="needs report.json"):
        write_report(small_report, out, ("html",), sign_key=tmp_path / "k.key")
    assert not out.exists()

    def broken(*args, **kwargs):
        raise RuntimeError("simulated signing failure")

    monkeypatch.setattr(_signing, "sign_statement", broken)
    with pytest.raises(RuntimeError):
        write_report(small_report, out, ("json", "html"), sign_key=tmp_path / "k.key")
    assert not out.exists()


def test_the_signature_is_part_of_the_set_an_all_or_nothing_write_replaces(small_report, tmp_path, monkeypatch):
    from raudit.report.write import SIGNATURE_FILE

    assert _signing.envelope_path("report.json").name == SIGNATURE_FILE
    _signing.generate_key(tmp_path / "k.key")
    out = tmp_path / "out"
    write_report(small_report, out, ("json", "html"), sign_key=tmp_path / "k.key")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(before) == ["report.html", "report.intoto.json", "report.json"]

    def broken(*args, **kwargs):
        raise RuntimeError("simulated signing failure")

    with monkeypatch.context() as m:
        m.setattr(_signing, "sign_statement", broken)
        with pytest.raises(RuntimeError):
            write_report(small_report, out, ("json",), sign_key=tmp_path / "k.key")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # the previous signed set, untouched

    write_report(small_report, out, ("json", "html"))  # an unsigned run: no stale signature beside it
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.json"]


# -- bad keys and options are exit 2 before any work -------------------------------------------------

def test_bad_sign_key_or_options_exit_2_before_the_audit_runs(files, tmp_path):
    _signing.generate_key(tmp_path / "k.key")
    rsa = tmp_path / "rsa.key"
    rsa.write_bytes(generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    garbage = tmp_path / "garbage.key"
    garbage.write_text("not a key")
    base = [files["model"], files["data"], "--target", "approved", "--sensitive", "sex", "--checks", "performance"]
    cases = {
        "missing": (["--sign-key", tmp_path / "nope.key"], "signing key not found"),
        "public key": (["--sign-key", tmp_path / "k.key.pub"], "give the private key"),
        "garbage": (["--sign-key", garbage], "is not a PEM private key"),
        "rsa": (["--sign-key", rsa], "not Ed25519"),
        "no json": (["--sign-key", tmp_path / "k.key", "--format", "html"], "needs report.json"),
        "stdout": (["--sign-key", tmp_path / "k.key", "--out", "-", "--format", "json"], "--sign-key signs a report set"),
    }
    for name, (extra, message) in cases.items():
        out = tmp_path / f"out-{name.replace(' ', '-')}"
        res = run(*base, "--out", out, *extra) if "--out" not in extra else run(*base, *extra)
        assert res.exit_code == 2, (name, res.output)
        assert message in res.output and "Traceback" not in res.output, (name, res.output)
        assert "raudit: audited" not in res.output and not out.exists(), name


def test_sign_key_from_the_config_file(files, tmp_path):
    _signing.generate_key(tmp_path / "k.key")
    cfg = tmp_path / "raudit.toml"
    cfg.write_text(f'sign_key = "{tmp_path / "k.key"}"\nformats = ["json"]\nchecks = ["performance"]\n')
    res = run(files["model"], files["data"], "--target", "approved", "--sensitive", "sex", "--config", cfg,
              "--out", tmp_path / "out")
    assert res.exit_code == 0, res.output
    assert "Wrote" in res.output and "report.intoto.json" in res.output
    ok = run("verify", tmp_path / "out" / "report.json", "--key", tmp_path / "k.key.pub")
    assert ok.exit_code == 0, ok.output


def test_the_signature_is_attached_to_mlflow_with_the_reports(files, binary_model, tmp_path, monkeypatch):
    pytest.importorskip("mlflow")
    import mlflow.sklearn
    from mlflow.tracking import MlflowClient

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    with mlflow.start_run() as active:
        mlflow.sklearn.log_model(binary_model, name="model", registered_model_name="signed", pip_requirements=["scikit-learn"],
                                 serialization_format="cloudpickle")
    _signing.generate_key(tmp_path / "k.key")
    res = run("models:/signed/1", files["data"], "--target", "approved", "--sensitive", "sex", "--checks", "performance",
              "--format", "json,html", "--out", tmp_path / "out", "--sign-key", tmp_path / "k.key", "--attach")
    assert res.exit_code == 0, res.output
    assert "Attached 3 report file(s)" in res.output
    names = sorted(a.path.split("/")[-1] for a in MlflowClient().list_artifacts(active.info.run_id, "raudit"))
    assert names == ["report.html", "report.intoto.json", "report.json"]
