"""Tampering with a stored ledger: ``raudit ledger verify`` names the entry and exits 1 (SQLite and PostgreSQL)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from raudit.cli import main
from raudit.ledger.schema import entries
from raudit.ledger.store import open_ledger
from raudit.trust.signing import load_public_key
from tests.ledger._sets import make_set


def verify(ledger_url, *extra):
    return CliRunner().invoke(main, ["ledger", "verify", "--ledger", str(ledger_url), *map(str, extra)], catch_exceptions=False)


@pytest.fixture
def five(ledger_url, keys):
    """A ledger of five signed audits of one model, its status worsening at entry 4."""
    trusted = [load_public_key(keys["raudit.pub"])]
    with open_ledger(ledger_url) as ledger:
        for i in range(5):
            ledger.add([make_set(key=keys["raudit"], created=f"2026-01-0{i + 1}T10:00:00+00:00", roc_auc=0.8 - i / 20,
                                 performance="fail" if i >= 3 else "pass")], trusted)
    res = verify(ledger_url, "--key", keys["raudit.pub"])
    assert res.exit_code == 0 and "5 entries (5 audits), 5 signature(s) verified, 0 problem(s)" in res.output, res.output
    return ledger_url


def tamper(ledger_url, *statements):
    with open_ledger(ledger_url) as ledger, ledger.engine.begin() as c:
        for s in statements:
            c.execute(s)


def failing(res):
    """The entry numbers named on FAIL lines."""
    assert res.exit_code == 1, res.output
    return {int(n) for n in re.findall(r"^FAIL entry (\d+):", res.output, flags=re.M)}


def test_editing_a_stored_status_names_the_entry(five):
    tamper(five, entries.update().where(entries.c.seq == 4).values(status="pass"))
    res = verify(five)
    assert failing(res) == {4}
    assert "stored fields do not hash to its recorded digest" in res.output and 'status: stored "pass", report says "fail"' in res.output


def test_editing_the_stored_report_names_the_entry(five):
    with open_ledger(five) as ledger, ledger.engine.connect() as c:
        report = bytes(c.execute(sa.select(entries.c.report).where(entries.c.seq == 2)).scalar())
    tamper(five, entries.update().where(entries.c.seq == 2).values(report=report.replace(b'"fail"', b'"pass"')))
    res = verify(five)
    assert failing(res) == {2} and "the stored report.json is not the one recorded" in res.output


def test_deleting_an_entry_names_it(five):
    tamper(five, entries.delete().where(entries.c.seq == 3))
    res = verify(five)
    assert failing(res) == {3} and "entry 3: is missing" in res.output


def test_deleting_the_last_entry_names_it(five):
    tamper(five, entries.delete().where(entries.c.seq == 5))
    res = verify(five)
    assert failing(res) == {5} and "entries 5–5 were deleted from the end" in res.output


def test_reordering_two_entries_names_them(five):
    tamper(five, entries.update().where(entries.c.seq == 2).values(seq=-2),
           entries.update().where(entries.c.seq == 3).values(seq=2),
           entries.update().where(entries.c.seq == -2).values(seq=3))
    res = verify(five)
    assert {2, 3} <= failing(res) <= {2, 3, 4} and "entry 2: (credit.joblib" in res.output and "does not follow entry 1" in res.output


def test_a_report_validly_signed_by_another_key_names_the_entry(five, keys):
    """Swap entry 2's files for a set signed by someone else, recording their key too: verify with --key still names it."""
    other = make_set(key=keys["other"], created="2026-01-02T10:00:00+00:00", roc_auc=0.95)  # a better-looking report
    with open_ledger(five) as ledger:
        ledger.trust(load_public_key(keys["other.pub"]))
    tamper(five, entries.update().where(entries.c.seq == 2).values(
        report=other.files["report.json"], envelope=other.files["report.intoto.json"], html=other.files["report.html"]))
    res = verify(five, "--key", keys["raudit.pub"])
    assert failing(res) == {2}
    assert "not among the trusted keys" in res.output and "the stored report.json is not the one recorded" in res.output


def test_a_rewritten_history_is_caught_by_an_earlier_head(five, keys):
    """Someone who recomputes every digest after an edit passes the chain check, but not --head from an earlier verify."""
    from raudit.ledger import entry as E
    from raudit.ledger.store import row_record

    head = re.search(r"^head ([0-9a-f]{64})", verify(five).output, flags=re.M).group(1)
    with open_ledger(five) as ledger, ledger.engine.begin() as c:
        prev = E.GENESIS
        for row in c.execute(sa.select(entries).order_by(entries.c.seq)).mappings().all():
            rec = row_record({**row, "prev_digest": prev, "recorded_at": "2026-02-01T00:00:00.000000Z"})
            prev = E.digest_of(rec)
            c.execute(entries.update().where(entries.c.seq == row["seq"]).values(prev_digest=rec["prev"], digest=prev,
                                                                                  recorded_at=rec["recorded_at"]))
        c.execute(sa.text("UPDATE head SET digest = :d"), {"d": prev})
    assert verify(five).exit_code == 0  # internally consistent again
    res = verify(five, "--head", head)
    assert res.exit_code == 1 and "does not pass through the head" in res.output
