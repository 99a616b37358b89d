"""The reviewer's sign-off (raudit approve) and what raudit verify checks without a key (issue 21)."""

from __future__ import annotations

import json
import shutil

import pytest

from raudit.trust.approval import approval_path, read_decision
from tests._signed import run


@pytest.fixture(scope="module")
def unsigned_cache(tmp_path_factory, files):
    """An unsigned report set (json, html, pdf) and two key pairs, built once."""
    d = tmp_path_factory.mktemp("unsigned")
    shutil.copy(files["model"], d / "model.joblib")
    shutil.copy(files["data"], d / "data.csv")
    assert run(d / "model.joblib", d / "data.csv", "--target", "approved", "--sensitive", "sex", "--checks", "performance",
               "--out", d / "out", "--quiet").exit_code == 0
    for name in ("reviewer", "other"):
        assert run("keygen", d / f"{name}.key").exit_code == 0
    return d


@pytest.fixture
def folder(unsigned_cache, tmp_path):
    copy = tmp_path / "set"
    shutil.copytree(unsigned_cache, copy)
    return copy


def test_an_unsigned_set_records_its_files_and_verify_checks_them(folder):
    body = json.loads((folder / "out" / "report.json").read_text())
    assert set(body["integrity"]["files"]) == {"report.html", "report.pdf"}
    res = run("verify", folder / "out" / "report.json")
    assert res.exit_code == 0, res.output
    assert "OK   file report.html: sha256 matches the one the report recorded" in res.output
    assert "OK   file report.pdf: sha256 matches the one the report recorded" in res.output
    assert "only detects accidental change" in res.output


@pytest.mark.parametrize("name", ["report.html", "report.pdf"])
def test_without_a_key_an_edited_html_or_pdf_fails(folder, name):
    path = folder / "out" / name
    data = path.read_bytes()
    path.write_bytes(data.replace(b"FAIL", b"PASS") if b"FAIL" in data else data + b"\n")
    res = run("verify", folder / "out" / "report.json")
    assert res.exit_code == 1 and f"FAIL file {name}: sha256 differs" in res.output, res.output


def test_without_a_key_an_edited_json_fails(folder):
    path = folder / "out" / "report.json"
    body = json.loads(path.read_text())
    body["checks"][0]["status"] = "fail"
    path.write_text(json.dumps(body))
    res = run("verify", path)
    assert res.exit_code == 1 and "FAIL report content: digest differs" in res.output


def test_a_missing_sibling_fails(folder):
    (folder / "out" / "report.pdf").unlink()
    res = run("verify", folder / "out" / "report.json")
    assert res.exit_code == 1 and "FAIL file report.pdf: missing next to the report" in res.output


def test_the_html_and_the_pdf_show_the_digest_and_an_empty_sign_off_block(folder):
    from pypdf import PdfReader

    digest = json.loads((folder / "out" / "report.json").read_text())["integrity"]["digest"]
    html = (folder / "out" / "report.html").read_text()
    assert digest in html and 'id="sign-off"' in html and "☐ approve" in html
    pdf = "".join(page.extract_text() for page in PdfReader(folder / "out" / "report.pdf").pages).replace("\n", "").replace(" ", "")
    assert digest in pdf and "Reviewersign-off" in pdf


def _approve(folder, *extra, decision="approve", key="reviewer.key"):
    return run("approve", folder / "out" / "report.json", "--reviewer", "A. Reviewer <a@example.com>", "--decision", decision,
               "--note", "Fairness for sex is inconclusive; accepted with monitoring.", "--accept-risk", "sex inconclusive",
               "--sign-key", folder / key, *extra)


def test_a_signed_decision_is_written_beside_the_report_and_verified(folder):
    res = _approve(folder)
    assert res.exit_code == 0, res.output
    decision = read_decision(approval_path(folder / "out" / "report.json"), key=folder / "reviewer.key.pub")
    assert decision.verified and decision.decision == "approve" and decision.accepted_risks == ("sex inconclusive",)
    ok = run("verify", folder / "out" / "report.json", "--reviewer-key", folder / "reviewer.key.pub")
    assert ok.exit_code == 0 and "OK   review decision: approve by A. Reviewer <a@example.com>" in ok.output
    assert "verified" in ok.output
    unkeyed = run("verify", folder / "out" / "report.json")
    assert unkeyed.exit_code == 0 and "signature not checked (give --reviewer-key)" in unkeyed.output


def test_a_decision_checked_with_another_key_fails(folder):
    assert _approve(folder).exit_code == 0
    res = run("verify", folder / "out" / "report.json", "--reviewer-key", folder / "other.key.pub")
    assert res.exit_code == 1 and "FAIL review decision" in res.output and "no signature verifies" in res.output


def test_a_decision_does_not_survive_an_edit_of_the_report(folder):
    assert _approve(folder, decision="reject").exit_code == 0
    report = folder / "out" / "report.json"
    report.write_text(report.read_text().replace('"title"', '"title" ', 1))  # bytes change, content the same
    res = run("verify", report, "--reviewer-key", folder / "reviewer.key.pub")
    assert res.exit_code == 1 and "decision on another version of this report" in res.output


def test_a_decision_is_never_overwritten_and_bad_input_writes_nothing(folder):
    assert _approve(folder).exit_code == 0
    before = approval_path(folder / "out" / "report.json").read_bytes()
    again = _approve(folder, decision="reject")
    assert again.exit_code == 2 and "already holds a decision" in again.output
    assert approval_path(folder / "out" / "report.json").read_bytes() == before
    approval_path(folder / "out" / "report.json").unlink()
    assert _approve(folder, decision="maybe").exit_code == 2
    assert run("approve", folder / "out" / "report.json", "--reviewer", " ", "--decision", "approve", "--sign-key",
               folder / "reviewer.key").exit_code == 2
    assert _approve(folder, key="nope.key").exit_code == 2
    assert not approval_path(folder / "out" / "report.json").exists()


def test_a_reviewer_key_without_a_decision_fails_and_a_new_run_removes_the_old_decision(folder):
    res = run("verify", folder / "out" / "report.json", "--reviewer-key", folder / "reviewer.key.pub")
    assert res.exit_code == 1 and "report.approval.json not found" in res.output
    assert _approve(folder).exit_code == 0
    assert run(folder / "model.joblib", folder / "data.csv", "--target", "approved", "--sensitive", "sex", "--checks",
               "performance", "--out", folder / "out", "--quiet").exit_code == 0
    assert not approval_path(folder / "out" / "report.json").exists(), "a decision on the old report went with it"
