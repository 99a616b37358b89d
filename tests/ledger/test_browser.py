"""A real browser (Debian's Chromium driven by Playwright) on every page kind of raudit serve: what a person sees.

The server runs in this process on 127.0.0.1 (uvicorn on a free port); Chromium is started with no network
beyond it. Screenshots go to the test's folder, and to ``$RAUDIT_SCREENSHOTS`` when set (to look at them).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from raudit.ledger.store import open_ledger
from raudit.serve.app import create_app
from raudit.serve.text import inert
from raudit.trust.signing import load_public_key
from tests.ledger._sets import HOSTILE, make_set

playwright_api = pytest.importorskip("playwright.sync_api", reason="the browser test needs playwright (raudit[dev])")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed (scripts/setup.sh dev)")]


@pytest.fixture
def server(tmp_path, keys) -> Iterator[str]:
    import uvicorn

    ledger = open_ledger(str(tmp_path / "raudit-ledger.db"))
    trusted = [load_public_key(keys["raudit.pub"])]
    for i, (day, extra) in enumerate([("2026-09-01", {}), ("2026-10-01", {"roc_auc": 0.74}), ("2026-11-01", {"roc_auc": 0.72}),
                                      ("2026-12-01", {"fairness": "fail", "ratio": 0.7, "roc_auc": 0.66, "performance": "warn"})]):
        ledger.add([make_set(key=keys["raudit"] if i % 2 == 0 else None, created=f"{day}T09:00:00+00:00", group=HOSTILE,
                             model_name=HOSTILE, **extra)], trusted)
    ledger.add([make_set(created="2025-06-01T00:00:00+00:00", model="churn.joblib")])
    config = uvicorn.Config(create_app(ledger, stale_days=90), host="127.0.0.1", port=0, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    port = srv.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)
    ledger.close()


def test_a_person_sees_models_charts_badges_and_hostile_text_as_text(server, tmp_path):
    shots = [tmp_path] + ([Path(os.environ["RAUDIT_SCREENSHOTS"])] if os.environ.get("RAUDIT_SCREENSHOTS") else [])
    problems: list[str] = []
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
        page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))

        def visit(path: str, name: str) -> None:
            response = page.goto(server + path)
            assert response is not None and response.status == 200, path
            page.wait_for_load_state("load")
            for d in shots:
                d.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(d / f"ledger-{name}.png"), full_page=True)

        shown = inert(HOSTILE)  # the bidi override and controls as visible escapes, the markup as text
        visit("/", "models")
        link = page.get_by_role("link", name=shown, exact=True)
        assert link.count() == 1 and link.inner_text() == shown
        assert page.locator("table.models .badge.fail").inner_text() == "FAIL"
        assert page.locator("svg.strip rect").count() == 5
        assert "not audited for" in page.locator("tr.stale").inner_text()  # churn.joblib, audited in 2025

        link.click()
        page.wait_for_load_state("load")
        for d in shots:
            page.screenshot(path=str(d / "ledger-model.png"), full_page=True)
        charts = page.locator("figure.chart")
        assert charts.count() >= 4 and page.locator("figure.chart svg polyline").count() >= 4
        assert "fail below 0.8" in charts.nth(3).inner_text() or "fail below 0.8" in page.inner_text("main")
        assert page.locator("tr.changed .change").inner_text() == "pass → fail"
        assert page.locator("table.timeline .badge").count() == 4

        visit("/audits/4", "audit")
        text = page.inner_text("main")
        assert "fairness: pass → fail" in text and shown in text and "unsigned" in text
        assert page.locator("h1 .badge.fail").inner_text() == "FAIL"
        frame = page.frame_locator("iframe.report")
        assert "Responsible-AI audit" in frame.locator("body").inner_text()  # the stored report, sandboxed
        page.locator("iframe.report").scroll_into_view_if_needed()
        for d in shots:
            page.locator("iframe.report").screenshot(path=str(d / "ledger-audit-report-frame.png"))

        visit("/audits/3", "audit-signed")
        assert "signed, verified" in page.inner_text("main")
        visit("/compare?a=3&b=4", "compare")
        assert page.locator("table.compare .badge.fail").count() >= 2
        visit("/audits/4/report.html", "report")
        assert "Responsible-AI audit" in page.inner_text("body")
        assert page.evaluate("() => document.querySelectorAll('script').length") == 0
        browser.close()
    assert problems == []
