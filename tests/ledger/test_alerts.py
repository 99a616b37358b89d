"""Alerts: a webhook on loopback receives a JSON POST when a model worsens, is retried, and nothing is sent when nothing worsened."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from raudit.cli import main
from raudit.ledger import alerts
from raudit.ledger.alerts import add_webhook, alert
from raudit.ledger.schema import deliveries
from raudit.ledger.store import open_ledger
from tests.ledger._sets import make_set


class Receiver:
    """An HTTP server on 127.0.0.1 that records each POST body and answers with the next status in ``answers`` (then 200)."""

    def __init__(self, answers: list[int]) -> None:
        self.answers, self.bodies = list(answers), []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                receiver.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(receiver.answers.pop(0) if receiver.answers else 200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(request) -> Iterator[Receiver]:
    r = Receiver(getattr(request, "param", []))
    yield r
    r.close()


def _recorded(ledger):
    with ledger.engine.connect() as c:
        return [dict(r) for r in c.execute(sa.select(deliveries).order_by(deliveries.c.id)).mappings()]


def test_a_worsened_status_is_delivered_once_and_recorded(ledger_url, receiver):
    with open_ledger(ledger_url) as ledger:
        add_webhook(ledger, receiver.url)
        first = ledger.add([make_set(created="2026-01-01T00:00:00+00:00")])
        assert alert(ledger, first, delays=(0.01,)) == []  # a model's first audit: nothing worsened
        same = ledger.add([make_set(created="2026-01-02T00:00:00+00:00", accuracy=0.83)])
        assert alert(ledger, same, delays=(0.01,)) == []  # a metric moved, nothing crossed
        worse = ledger.add([make_set(created="2026-01-03T00:00:00+00:00", fairness="fail", ratio=0.7)])
        sent = alert(ledger, worse, delays=(0.01,))
        recorded = _recorded(ledger)
    assert [(d.outcome, d.attempts, d.http_status) for d in sent] == [("delivered", 1, 200)]
    assert len(receiver.bodies) == 1
    event = receiver.bodies[0]
    assert event["status"] == {"old": "pass", "new": "fail", "worsened": True}
    assert event["checks"] == [{"check": "fairness", "old": "pass", "new": "fail"}]
    assert event["metrics"] == [{"metric": "fairness.worst_selection_rate_ratio", "label": "worst selection-rate ratio", "old": 0.9,
                                 "new": 0.7, "level": "fail", "threshold": 0.8}]
    assert (event["entry"]["seq"], event["previous"]["seq"]) == (3, 2)
    assert [(r["entry_seq"], r["outcome"], r["attempts"], r["url"]) for r in recorded] == [(3, "delivered", 1, receiver.url)]


@pytest.mark.parametrize("receiver", [[503, 429]], indirect=True)
def test_a_failing_webhook_is_retried_until_it_answers(ledger_url, receiver):
    with open_ledger(ledger_url) as ledger:
        add_webhook(ledger, receiver.url)
        ledger.add([make_set()])
        sent = alert(ledger, ledger.add([make_set(performance="warn", roc_auc=0.65)]), delays=(0.01, 0.01))
        recorded = _recorded(ledger)
    assert [(d.outcome, d.attempts, d.http_status) for d in sent] == [("delivered", 3, 200)]
    assert len(receiver.bodies) == 3 and receiver.bodies[0] == receiver.bodies[2]
    assert receiver.bodies[0]["metrics"][0]["metric"] == "performance.roc_auc"  # 0.8 → 0.65 crosses the warn line at 0.7
    assert recorded[0]["attempts"] == 3 and recorded[0]["outcome"] == "delivered"
    from starlette.testclient import TestClient

    from raudit.serve.app import create_app

    with open_ledger(ledger_url) as ledger:
        page = TestClient(create_app(ledger)).get("/audits/2").text
    assert "Alerts sent" in page and receiver.url in page and "delivered" in page


def test_no_answer_at_all_is_retried_and_recorded(ledger_url):
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/hook"
    with open_ledger(ledger_url) as ledger:
        add_webhook(ledger, closed)
        ledger.add([make_set()])
        sent = alert(ledger, ledger.add([make_set(fairness="fail", ratio=0.5)]), delays=(0.01, 0.01))
    assert [(d.outcome, d.attempts, d.http_status) for d in sent] == [("failed", 3, None)] and "refused" in sent[0].error


def test_a_check_that_worsens_alerts_even_when_the_overall_status_does_not():
    from raudit.ledger import entry as E
    from raudit.ledger.store import Added
    from tests.ledger._sets import body

    previous = {"seq": 1, "status": "fail", "created_at": "2026-01-01T00:00:00Z", "checks": '{"fairness":"fail","performance":"pass"}',
                "headline": '{"performance.roc_auc":0.8}'}
    new = E.read_audit(body(make_set(fairness="fail", performance="warn", roc_auc=0.75)))
    event = alerts.worsened(previous, Added(2, "d" * 64, new, "unsigned", None))
    assert event is not None and event["status"]["worsened"] is False
    assert event["checks"] == [{"check": "performance", "old": "pass", "new": "warn"}] and event["metrics"] == []
    same = E.read_audit(body(make_set(fairness="fail", roc_auc=0.75)))
    assert alerts.worsened(previous, Added(2, "d" * 64, same, "unsigned", None)) is None


@pytest.mark.parametrize("receiver", [[500, 500, 500, 500]], indirect=True)
def test_a_webhook_that_never_answers_is_recorded_as_failed_and_the_add_still_succeeds(ledger_url, receiver, tmp_path, monkeypatch):
    monkeypatch.setattr(alerts, "RETRY_DELAYS", (0.01, 0.01))
    res = CliRunner().invoke(main, ["ledger", "webhook", "--ledger", ledger_url, "--add", receiver.url])
    assert res.exit_code == 0 and receiver.url in res.output
    make_set(tmp_path / "a", created="2026-01-01T00:00:00+00:00")
    make_set(tmp_path / "b", created="2026-01-02T00:00:00+00:00", fairness="fail", ratio=0.6)
    runner = CliRunner()
    assert runner.invoke(main, ["ledger", "add", str(tmp_path / "a" / "report.json"), "--ledger", ledger_url]).exit_code == 0
    res = runner.invoke(main, ["ledger", "add", str(tmp_path / "b" / "report.json"), "--ledger", ledger_url])
    assert res.exit_code == 0 and "failed after 3 attempt(s): HTTP 500" in res.output, res.output
    with open_ledger(ledger_url) as ledger:
        assert [(r["outcome"], r["attempts"], r["http_status"]) for r in _recorded(ledger)] == [("failed", 3, 500)]
    assert len(receiver.bodies) == 3


def test_webhook_urls_are_checked(ledger_url):
    res = CliRunner().invoke(main, ["ledger", "webhook", "--ledger", ledger_url, "--add", "file:///etc/passwd"])
    assert res.exit_code == 2 and "not an http(s) URL" in res.output
