"""``raudit MODEL DATA --ledger``: the written, signed report set goes into the ledger; impossible choices stop before any work."""

from __future__ import annotations

from click.testing import CliRunner

from raudit.cli import main
from raudit.ledger.store import open_ledger
from raudit.ledger.verify import verify_ledger


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_an_audit_adds_its_signed_report_set_to_the_ledger(files, keys, tmp_path, ledger_url):
    common = [files["model"], files["data"], "--target", "approved", "--sensitive", "sex", "--checks", "performance,fairness",
              "--format", "json,html", "--sign-key", keys["raudit"], "--ledger", ledger_url, "--ledger-model", "credit scoring"]
    res = run(*common, "--out", tmp_path / "a")
    assert res.exit_code == 1, res.output  # the credit data fails fairness for sex; the exit code is the audit's
    assert "Added entry 1 to the ledger" in res.output and "credit scoring" in res.output and "signature verified" in res.output
    with open_ledger(ledger_url) as ledger:
        result = verify_ledger(ledger)
        from raudit.ledger.reading import models

        listed = models(ledger)
    assert result.ok and result.signed == 1, result.problems
    assert [(m["name"], m["latest"]["status"]) for m in listed] == [("credit scoring", "fail")]


def test_ledger_needs_the_json_report_and_is_checked_before_any_work(files, tmp_path):
    res = run(files["model"], files["data"], "--target", "approved", "--format", "html", "--out", tmp_path / "o",
              "--ledger", tmp_path / "l.db")
    assert res.exit_code == 2 and "needs report.json" in res.output and not (tmp_path / "o").exists()
    res = run(files["model"], files["data"], "--target", "approved", "--out", tmp_path / "o", "--ledger", "mysql://x@127.0.0.1/db")
    assert res.exit_code == 2 and "SQLite file or a PostgreSQL URL" in res.output and not (tmp_path / "o").exists()
