"""Schema migrations: an empty store is created at the current revision; a previous-schema store is refused until upgraded."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory
from click.testing import CliRunner

from raudit.cli import main
from raudit.ledger import entry as E
from raudit.ledger.alerts import add_webhook, list_webhooks
from raudit.ledger.schema import REVISION, metadata
from raudit.ledger.signatures import Checked
from raudit.ledger.store import audit_fields, engine_for, migrate, open_ledger
from tests.ledger._sets import body, make_set


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_the_code_reads_the_revision_the_migrations_end_at():
    config = Config()
    config.set_main_option("script_location", str(Path(E.__file__).parent / "migrations"))
    assert ScriptDirectory.from_config(config).get_current_head() == REVISION


def test_an_empty_store_is_created_with_exactly_the_tables_the_code_reads(ledger_url):
    with open_ledger(ledger_url) as ledger:
        inspector = sa.inspect(ledger.engine)
        made = {t: {c["name"] for c in inspector.get_columns(t)} for t in inspector.get_table_names() if t != "alembic_version"}
        with ledger.engine.connect() as c:
            assert c.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == REVISION
    assert made == {t.name: {c.name for c in t.columns} for t in metadata.tables.values()}


def _write_at_0001(ledger_url: str) -> str:
    """A store as raudit wrote it at revision 0001 (before alerts): two chained entries, by that revision's tables."""
    engine = engine_for(ledger_url, create=True)
    migrate(engine, "0001")
    prev = E.GENESIS
    with engine.begin() as c:
        for seq, report_set in ((1, make_set()), (2, make_set(fairness="fail", ratio=0.7))):
            audit = E.read_audit(body(report_set))
            rec = E.record(seq=seq, prev=prev, kind="audit", recorded_at=E.now(),
                           fields=audit_fields(audit, Checked(body(report_set), "unsigned", None,
                                                        {n: E.sha256(report_set.files.get(n)) for n in (E.REPORT, E.ENVELOPE, E.HTML)})))
            digest = E.digest_of(rec)
            m = rec["model"]
            c.execute(sa.text(
                "INSERT INTO entries (seq, kind, prev_digest, digest, recorded_at, model_id, model_name, model_version, "
                "name_source, model_sha256, data_sha256, created_at, title, status, checks, headline, limits, signature, key_id, "
                "report_sha256, envelope_sha256, html_sha256, report, html) VALUES (:seq, 'audit', :prev, :digest, :at, :mid, "
                ":name, :version, :source, :msha, :dsha, :created, :title, :status, :checks, :headline, :limits, 'unsigned', "
                "NULL, :rsha, NULL, :hsha, :report, :html)"),
                {"seq": seq, "prev": prev, "digest": digest, "at": rec["recorded_at"], "mid": m["id"], "name": m["name"],
                 "version": m["version"], "source": m["name_source"], "msha": m["sha256"], "dsha": rec["data_sha256"],
                 "created": rec["created_at"], "title": rec["title"], "status": rec["status"], "checks": E.canonical(rec["checks"]),
                 "headline": E.canonical(rec["headline"]), "limits": E.canonical(rec["limits"]), "rsha": rec["files"]["report.json"],
                 "hsha": rec["files"]["report.html"], "report": report_set.files["report.json"], "html": report_set.files["report.html"]})
            prev = digest
        c.execute(sa.text("UPDATE head SET seq = 2, digest = :d WHERE id = 1"), {"d": prev})
    engine.dispose()
    return prev


def test_a_previous_schema_store_is_refused_then_upgraded_with_its_history_intact(ledger_url, tmp_path):
    head = _write_at_0001(ledger_url)
    make_set(tmp_path / "set")
    res = run("ledger", "add", tmp_path / "set" / "report.json", "--ledger", ledger_url)
    assert res.exit_code == 2 and "schema revision 0001; this raudit uses 0002" in res.output and "raudit ledger upgrade" in res.output
    res = run("ledger", "upgrade", "--ledger", ledger_url)
    assert res.exit_code == 0 and f"revision {REVISION}" in res.output
    res = run("ledger", "verify", "--ledger", ledger_url, "--head", head)
    assert res.exit_code == 0 and "2 entries (2 audits)" in res.output, res.output
    with open_ledger(ledger_url) as ledger:  # what revision 0002 added works on the upgraded store
        add_webhook(ledger, "http://127.0.0.1:9/hook")
        assert list_webhooks(ledger) == ["http://127.0.0.1:9/hook"]
        assert ledger.add([make_set()])[0].seq == 3


def test_a_store_newer_than_this_raudit_is_refused(ledger_url):
    with open_ledger(ledger_url) as ledger, ledger.engine.begin() as c:
        c.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    res = run("ledger", "verify", "--ledger", ledger_url)
    assert res.exit_code == 2 and "newer than this raudit's" in res.output
