"""raudit serve: every page kind and the JSON API, hostile report text rendered inert, strict policies, the token-guarded POST."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from raudit.cli import main
from raudit.ledger.alerts import add_webhook
from raudit.ledger.store import open_ledger
from raudit.serve.app import PAGE_CSP, REPORT_CSP, create_app
from raudit.serve.run import check_bind
from raudit.trust.signing import load_public_key
from tests.ledger._sets import HOSTILE, make_set

TOKEN = "t" * 32


@pytest.fixture
def served(ledger_url, keys):
    """A ledger of a hostile-named model (3 audits, worsening at the third, the first signed) and a plain one (stale)."""
    ledger = open_ledger(ledger_url)
    trusted = [load_public_key(keys["raudit.pub"])]
    ledger.add([make_set(key=keys["raudit"], created="2026-11-01T00:00:00+00:00", group=HOSTILE, model_name=HOSTILE)], trusted)
    ledger.add([make_set(created="2026-11-15T00:00:00+00:00", group=HOSTILE, model_name=HOSTILE, roc_auc=0.74)])
    ledger.add([make_set(created="2026-12-01T00:00:00+00:00", group=HOSTILE, model_name=HOSTILE, fairness="fail", ratio=0.7,
                         roc_auc=0.66, performance="warn")])
    ledger.add([make_set(created="2025-01-01T00:00:00+00:00", model="old.joblib")])
    client = TestClient(create_app(ledger, token=TOKEN, keys=trusted, stale_days=90))
    yield client, ledger
    ledger.close()


def _inert(html: str) -> None:
    """No hostile markup survives; it shows as text, with the bidi override and controls as visible escapes."""
    assert "<script>alert" not in html and "<img src=x" not in html and "\u202e" not in html and "\x07" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html and "{{ 7*7 }}{% raw %}" in html  # never evaluated
    assert "\\u202egpj.exe\\u200b\\x07" in html


def test_every_page_kind_renders_hostile_text_inert_under_a_strict_policy(served):
    client, _ = served
    models = client.get("/api/models").json()
    hostile = next(m for m in models if m["name"] == HOSTILE)
    pages = {"home": client.get("/"), "model": client.get(f"/models/{hostile['id']}"), "audit": client.get("/audits/3"),
             "compare": client.get("/compare?a=1&b=3")}
    for name, page in pages.items():
        assert page.status_code == 200, name
        assert page.headers["content-security-policy"] == PAGE_CSP  # default-src 'none' and no script-src: no script runs
        assert PAGE_CSP.startswith("default-src 'none';") and "script-src" not in PAGE_CSP
        assert page.headers["x-content-type-options"] == "nosniff"
        _inert(page.text)
    home, model, audit = pages["home"].text, pages["model"].text, pages["audit"].text
    assert "not audited for" in home and "1 model(s) not audited for 90 days or more" in home  # old.joblib
    assert model.count("<svg") >= 4 and "worst selection-rate ratio" in model and "fail below 0.8" in model
    assert "pass → fail" in model and "vs previous" in model
    assert 'class="badge fail"' in audit and "signed, verified" not in audit and "unsigned" in audit
    assert "fairness: pass → fail" in audit and "performance.roc_auc" in audit  # what changed since entry 2
    assert "signed, verified" in client.get("/audits/1").text
    assert client.get("/audits/99").status_code == 404 and client.get("/models/nope").status_code == 404


def test_stored_reports_are_served_sandboxed_and_the_api_returns_json(served):
    client, _ = served
    html = client.get("/audits/3/report.html")
    assert html.status_code == 200 and html.headers["content-security-policy"] == REPORT_CSP and "sandbox" in REPORT_CSP
    assert html.headers["content-type"].startswith("text/html")
    raw = client.get("/audits/3/report.json")
    assert raw.headers["content-type"] == "application/json" and json.loads(raw.content)["status"] == "fail"
    assert client.get("/audits/3/report.intoto.json").status_code == 404  # not signed
    assert client.get("/audits/1/report.intoto.json").status_code == 200
    assert client.get("/audits/3/../../etc").status_code == 404
    audit = client.get("/api/audits/3").json()
    assert audit["model_name"] == HOSTILE and audit["checks"] == {"performance": "warn", "fairness": "fail"}
    assert audit["previous_seq"] == 2 and audit["report"]["status"] == "fail"
    model = client.get(f"/api/models/{audit['model_id']}").json()
    assert [a["status"] for a in model["audits"]] == ["pass", "pass", "fail"]
    assert client.get("/api/compare?a=2&b=3").json()["diff"]["status"] == ["pass", "fail"]
    assert client.get("/api/head").json()["entries"] == 4
    assert client.post("/api/models").status_code == 405  # the API reads; only /api/audits takes a POST


def test_posting_a_report_set_needs_the_bearer_token(served, keys, ledger_url):
    client, ledger = served
    add_webhook(ledger, "http://127.0.0.1:9/unused")  # nothing worsens below: nothing is sent there
    report_set = make_set(key=keys["raudit"], created="2026-12-02T00:00:00+00:00", model="old.joblib")
    payload = {"files": {k: v.decode() for k, v in report_set.files.items()}}
    assert client.post("/api/audits", json=payload).status_code == 401
    assert client.post("/api/audits", json=payload, headers={"authorization": "Bearer wrong"}).status_code == 401
    done = client.post("/api/audits", json=payload, headers={"authorization": f"Bearer {TOKEN}"})
    assert done.status_code == 201 and done.json()["seq"] == 5 and done.json()["signature"] == "verified", done.text
    assert done.json()["alerts"] == []
    forged = dict(payload["files"], **{"report.json": payload["files"]["report.json"].replace('"pass"', '"fail"', 1)})
    bad = client.post("/api/audits", json={"files": forged}, headers={"authorization": f"Bearer {TOKEN}"})
    assert bad.status_code == 422 and "integrity digest" in bad.json()["error"]
    junk = client.post("/api/audits", content=b"[1,2", headers={"authorization": f"Bearer {TOKEN}"})
    assert junk.status_code == 400
    readonly = TestClient(create_app(ledger))
    assert readonly.post("/api/audits", json=payload).status_code == 403  # no token configured: writing is disabled


def test_the_server_refuses_a_non_loopback_address_without_a_token(tmp_path, monkeypatch):
    from raudit.errors import InputError

    check_bind("127.0.0.1", None)
    check_bind("::1", None)
    with pytest.raises(InputError, match="refusing to listen on 0.0.0.0 without a token"):
        check_bind("0.0.0.0", None)
    with pytest.raises(InputError, match="at least 16"):
        check_bind("127.0.0.1", "short")
    monkeypatch.delenv("RAUDIT_LEDGER_TOKEN", raising=False)
    res = CliRunner().invoke(main, ["serve", "--ledger", str(tmp_path / "l.db"), "--host", "0.0.0.0"])
    assert res.exit_code == 2 and "without a token" in res.output  # refused before anything listens


def test_a_chart_marks_the_latest_100_status_changes_and_draws_the_thresholds():
    from raudit.serve.charts import metric_charts

    audits, previous = [], None
    for i in range(150):
        status = "pass" if i % 2 else "warn"  # every audit after the first changes status
        audits.append({"created_at": f"2026-01-01T{i // 60:02d}:{i % 60:02d}:00Z", "status": status, "previous_status": previous,
                       "headline": {"performance.roc_auc": 0.72 + (i % 2) / 100}})
        previous = status
    (chart,) = metric_charts(audits, {"performance.roc_auc": [0.7, 0.6]})
    svg = str(chart["svg"])
    assert len(re.findall(r'<circle[^>]*fill="#111827"', svg)) == 100  # the markers (the metric's own points are a line)
    assert "latest 100 of the 149 audits whose status changed" in chart["caption"]
    assert "warn below 0.7" in svg and "fail below 0.6" in svg
