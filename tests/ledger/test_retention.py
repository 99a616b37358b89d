"""Retention: old audits are removed, a signed tombstone takes their place in the chain, and the chain still verifies."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from raudit.cli import main
from raudit.ledger.retention import prune
from raudit.ledger.schema import entries
from raudit.ledger.store import open_ledger
from raudit.ledger.verify import verify_ledger
from raudit.trust.signing import load_private_key, load_public_key
from tests.ledger._sets import make_set


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def history(ledger_url):
    """Two models: credit audited on 1 Jan, 1 Mar, 1 May, 1 Jul 2026; churn on 1 Feb 2026."""
    with open_ledger(ledger_url) as ledger:
        for month in ("01", "03", "05", "07"):
            ledger.add([make_set(created=f"2026-{month}-01T00:00:00+00:00")])
        ledger.add([make_set(created="2026-02-01T00:00:00+00:00", model="churn.joblib")])
    return ledger_url


def test_keep_days_and_keep_per_model_remove_only_what_both_allow(history, keys):
    key = load_private_key(keys["ledger"])
    with open_ledger(history) as ledger:
        now = datetime(2026, 8, 1, tzinfo=UTC)
        assert prune(ledger, key, keep_days=100, keep_per_model=1, dry_run=True, now=now).removed == [1, 2]
        done = prune(ledger, key, keep_days=100, keep_per_model=1, now=now)
        assert done.removed == [1, 2] and done.tombstone == 6  # churn's only audit is old but is its newest: kept
        result = verify_ledger(ledger)
        with ledger.engine.connect() as c:
            left = list(c.execute(sa.select(entries.c.seq).order_by(entries.c.seq)).scalars())
    assert left == [3, 4, 5, 6]
    assert result.ok and (result.audits, result.tombstones, result.removed) == (3, 1, 2), result.problems
    res = run("ledger", "verify", "--ledger", history, "--key", keys["ledger.pub"])
    assert res.exit_code == 0 and "1 tombstone(s) for 2 removed entries" in res.output, res.output


def test_a_tombstone_signed_by_an_untrusted_key_or_edited_breaks_verify(history, keys):
    with open_ledger(history) as ledger:
        prune(ledger, load_private_key(keys["other"]), keep_per_model=2)
    res = run("ledger", "verify", "--ledger", history, "--key", keys["ledger.pub"])
    assert res.exit_code == 1 and "entry 6: the tombstone's signature" in res.output  # not the ledger key given
    with open_ledger(history) as ledger, ledger.engine.begin() as c:
        text = c.execute(sa.select(entries.c.tombstone).where(entries.c.seq == 6)).scalar()
        content = json.loads(text)
        content["removed"][0]["digest"] = "0" * 64
        c.execute(entries.update().where(entries.c.seq == 6).values(tombstone=json.dumps(content)))
    res = run("ledger", "verify", "--ledger", history)
    assert res.exit_code == 1 and "entry 6:" in res.output and "entry 2:" in res.output


def test_prune_needs_a_policy_and_a_key(history, keys):
    res = run("ledger", "prune", "--ledger", history, "--sign-key", keys["ledger"])
    assert res.exit_code == 2 and "--keep-days or --keep-per-model" in res.output
    res = run("ledger", "prune", "--ledger", history, "--keep-days", "1")
    assert res.exit_code == 2 and "--sign-key" in res.output
    res = run("ledger", "prune", "--ledger", history, "--keep-per-model", "1", "--sign-key", keys["ledger"], "--dry-run")
    assert res.exit_code == 0 and "Would remove 3 audit entries: 1, 2, 3" in res.output
    with open_ledger(history) as ledger:
        assert verify_ledger(ledger, keys=[load_public_key(keys["ledger.pub"])]).entries == 5  # a dry run changes nothing
