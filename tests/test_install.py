"""The installed wheel, not the source tree, runs an audit (checks and templates inside it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_ships_checks_templates_schema_and_runs_an_audit(tmp_path, files):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)],
                   check=True, capture_output=True)
    wheel = next(dist.glob("raudit-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("raudit/checks/performance.py", "raudit/templates/report.html.j2", "raudit/templates/report.css",
                   "raudit/templates/checks/_generic.html.j2", "raudit/schema/report.schema.json",
                   "raudit/checks/drift.py", "raudit/schema/profile.schema.json", "raudit/serve/templates/model.html.j2",
                   "raudit/serve/static/ledger.css", "raudit/ledger/migrations/env.py",
                   "raudit/ledger/migrations/versions/0002_alerts.py"):
        assert needed in names, needed
    assert not any(n.startswith(("tests/", "examples/", "checks/", "templates/")) for n in names)

    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--target", str(site),
                    str(wheel)], check=True, capture_output=True)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    probe = subprocess.run(
        [sys.executable, "-c", "import raudit, raudit.checks.performance as p, raudit.report.html as r; "
         "print(raudit.__file__); print(p.__file__); print(r.templates_dir())"],
        capture_output=True, text=True, env=env, cwd=work, check=True,
    )
    for line in probe.stdout.split():
        assert line.startswith(str(site)), f"{line} is not from the installed wheel"
    done = subprocess.run(
        [sys.executable, "-m", "raudit.cli", str(files["model"]), str(files["data"]), "--target", "approved",
         "--sensitive", "sex", "--out", "out", "--format", "json,html"],
        capture_output=True, text=True, env=env, cwd=work,
    )
    assert done.returncode == 1, done.stderr  # sex fails fairness on the credit data
    report = json.loads((work / "out" / "report.json").read_text())
    assert report["checks"][0]["name"] == "performance" and report["checks"][0]["status"] == "pass"
    ledger = subprocess.run(  # the ledger's migrations and the server's templates and stylesheet come from the wheel
        [sys.executable, "-m", "raudit.cli", "ledger", "add", "out/report.json", "--ledger", "l.db"],
        capture_output=True, text=True, env=env, cwd=work,
    )
    assert ledger.returncode == 0 and "Added entry 1" in ledger.stdout, ledger.stderr
    page = subprocess.run(
        [sys.executable, "-c", "from starlette.testclient import TestClient; from raudit.ledger.store import open_ledger; "
         "from raudit.serve.app import create_app; c = TestClient(create_app(open_ledger('l.db'))); "
         "print(c.get('/').status_code, c.get('/static/ledger.css').status_code, c.get('/audits/1').status_code)"],
        capture_output=True, text=True, env=env, cwd=work,
    )
    assert page.stdout.split() == ["200", "200", "200"], page.stderr
