"""Adding report sets: signatures verified on ingest, unsigned ones stored as such, all or nothing, one chain under concurrent writers."""

from __future__ import annotations

import json
import threading

import pytest
from click.testing import CliRunner

from raudit.cli import main
from raudit.errors import InputError
from raudit.ledger import entry as E
from raudit.ledger.signatures import Refused
from raudit.ledger.store import ReportSet, open_ledger
from raudit.ledger.verify import verify_ledger
from raudit.trust.signing import load_public_key
from tests.ledger._sets import body, make_set


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_entries_chain_each_digest_to_the_previous_one(ledger_url, keys):
    with open_ledger(ledger_url) as ledger:
        added = ledger.add([make_set(key=keys["raudit"]), make_set(performance="warn", roc_auc=0.65)],
                           [load_public_key(keys["raudit.pub"])])
        added += ledger.add([make_set(fairness="fail", ratio=0.7)])
        result = verify_ledger(ledger)
    assert [a.seq for a in added] == [1, 2, 3]
    assert [a.signature for a in added] == ["verified", "unsigned", "unsigned"]
    assert result.ok and (result.entries, result.audits, result.signed) == (3, 3, 1), result.problems
    assert result.head == added[-1].digest  # the head is the last entry's digest
    # each digest is the sha256 of a record naming the previous digest: recompute entry 2's by hand
    assert added[1].audit.status == "warn" and added[2].audit.checks == {"performance": "pass", "fairness": "fail"}
    assert added[2].audit.headline == {"performance.accuracy": 0.84, "performance.roc_auc": 0.8, "performance.ece": 0.02,
                                       "fairness.worst_selection_rate_ratio": 0.7}
    assert added[2].audit.limits["performance.roc_auc"] == [0.7, 0.6]
    assert added[2].audit.limits["fairness.worst_selection_rate_ratio"] == [None, 0.8]


def test_a_bad_signature_is_refused_and_nothing_is_stored(ledger_url, keys, tmp_path):
    good = make_set(tmp_path / "good", key=keys["raudit"])
    forged = dict(make_set(key=keys["raudit"], accuracy=0.99).files)
    forged["report.intoto.json"] = good.files["report.intoto.json"]  # a valid envelope of another report
    with open_ledger(ledger_url) as ledger:
        with pytest.raises(Refused, match="report.json differs from the signed one|signed content digest"):
            ledger.add([good, ReportSet(forged)], [load_public_key(keys["raudit.pub"])])
        with pytest.raises(Refused, match="signed by key .* not among the trusted keys"):
            ledger.add([make_set(key=keys["other"])], [load_public_key(keys["raudit.pub"])])
        assert verify_ledger(ledger).entries == 0  # all or nothing: the good set was not added either
    folder = tmp_path / "bad"
    make_set(folder, key=keys["raudit"])
    (folder / "report.html").write_text("<p>edited after signing</p>")
    res = run("ledger", "add", folder / "report.json", "--ledger", ledger_url, "--key", keys["raudit.pub"])
    assert res.exit_code == 1 and "report.html differs from the signed one" in res.output


def test_a_signed_report_needs_a_known_key_and_an_unsigned_one_is_stored_as_unsigned(ledger_url, keys, tmp_path):
    make_set(tmp_path / "signed", key=keys["raudit"])
    make_set(tmp_path / "plain")
    res = run("ledger", "add", tmp_path / "signed" / "report.json", "--ledger", ledger_url)
    assert res.exit_code == 2 and "no public key to check it was given" in res.output and "--key" in res.output
    res = run("ledger", "add", tmp_path / "signed" / "report.json", "--ledger", ledger_url, "--key", keys["raudit.pub"])
    assert res.exit_code == 0 and "signature verified" in res.output, res.output
    # the key is now recorded: the next signed report needs no --key
    res = run("ledger", "add", tmp_path / "signed" / "report.json", tmp_path / "plain" / "report.json", "--ledger", ledger_url)
    assert res.exit_code == 0 and "entry 2" in res.output and "entry 3" in res.output and ", unsigned;" in res.output


def test_a_report_that_is_not_a_raudit_report_is_refused_with_where(ledger_url, tmp_path):
    edited = body(make_set())
    edited["checks"][0]["status"] = "great"
    from raudit.trust.digest import content_digest

    edited["integrity"]["digest"] = content_digest(edited)
    with open_ledger(ledger_url) as ledger:
        with pytest.raises(InputError, match=r"checks\[0\]"):
            ledger.add([ReportSet({"report.json": json.dumps(edited).encode()})])
        with pytest.raises(Refused, match="does not match its integrity digest"):
            tampered = body(make_set(fairness="fail"))
            tampered["status"] = "pass"  # edited, its integrity digest not recomputed
            ledger.add([ReportSet({"report.json": json.dumps(tampered).encode()})])
        with pytest.raises(InputError, match="NUL character"):  # PostgreSQL text cannot hold it: refused on both
            ledger.add([make_set(model_name="credit\x00")])
    (tmp_path / "report.json").write_text("{not json")
    res = run("ledger", "add", tmp_path / "report.json", "--ledger", ledger_url)
    assert res.exit_code == 2 and "is not JSON" in res.output


def test_model_identity_registry_then_given_name_then_file():
    registry = body(make_set())
    registry["lineage"]["model"] = {"registered_model": "credit", "model_version": "7"}
    read = E.read_audit(registry)
    assert (read.model_name, read.model_version, read.name_source) == ("credit", "7", "registry")
    given = E.read_audit(body(make_set()), model_name="scoring")
    assert (given.model_name, given.name_source) == ("scoring", "given") and len(given.model_version) == 12
    file = E.read_audit(body(make_set(model="credit-v2.joblib")))
    assert (file.model_name, file.name_source) == ("credit-v2.joblib", "file")
    assert file.model_version == file.model_sha256[:12]


def test_concurrent_writers_extend_one_chain(ledger_url):
    sets = [make_set(accuracy=0.5 + i / 100) for i in range(6)]
    with open_ledger(ledger_url):
        pass  # create it once, before the writers race

    def write(part):
        with open_ledger(ledger_url) as ledger:
            for s in part:
                ledger.add([s])

    threads = [threading.Thread(target=write, args=(sets[i::2],)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open_ledger(ledger_url) as ledger:
        result = verify_ledger(ledger)
    assert result.ok and result.entries == 6, result.problems


def test_unsupported_urls_and_missing_ledgers_are_exit_2(tmp_path):
    res = run("ledger", "verify", "--ledger", tmp_path / "none.db")
    assert res.exit_code == 2 and "no ledger at" in res.output
    res = run("ledger", "verify", "--ledger", "mysql://u@127.0.0.1/x")
    assert res.exit_code == 2 and "SQLite file or a PostgreSQL URL" in res.output
    res = run("ledger", "add", tmp_path / "missing.json", "--ledger", tmp_path / "l.db")
    assert res.exit_code == 2
