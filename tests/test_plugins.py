"""The plugin contract: isolation of failing checks, third-party packages, the autoload switch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import raudit
import raudit.api.audit
from raudit.api.plugins import PluginInfo, discover
from raudit.engine.check import Check

ROOT = Path(__file__).resolve().parents[1]


class Raises(Check):
    name = "raises"
    title = "A check that raises"

    def run(self, ctx, options):
        raise ZeroDivisionError("boom in a plugin")


class NeedsModel(Check):
    name = "needs_model"
    title = "Needs a model"
    requires = frozenset({"model"})

    def run(self, ctx, options):  # pragma: no cover - must be skipped
        raise AssertionError("should have been skipped")


def test_a_raising_check_becomes_an_error_section(monkeypatch, binary_model, credit):
    real = discover()
    fake = [PluginInfo("raises", "fake-pkg", "9.9", "x:Raises", check=Raises), *real]
    monkeypatch.setattr(raudit.api.audit, "discover", lambda: fake)
    report = raudit.audit(binary_model, credit, target="approved", sensitive=["sex"], checks=["raises", "performance"])
    assert report["raises"].status == "error"
    assert "ZeroDivisionError: boom in a plugin" in report["raises"].summary
    assert report["performance"].status == "pass"
    assert report.status == "error" and report.exit_code("fail") == 1
    html = report.render("html").decode()
    assert "boom in a plugin" in html and "Performance" in html
    assert report["raises"].duration_s >= 0 and report["performance"].duration_s > 0


def test_a_plugin_that_fails_to_load_is_reported(monkeypatch, binary_model, credit):
    fake = [PluginInfo("broken", "broken-pkg", "1.0", "broken:Nope", error="ImportError: no module named broken"), *discover()]
    monkeypatch.setattr(raudit.api.audit, "discover", lambda: fake)
    report = raudit.audit(binary_model, credit, target="approved", sensitive=["sex"], checks=["broken", "performance"])
    assert report["broken"].status == "error"
    assert "broken-pkg" in report["broken"].findings[0].message


def test_unmet_requirements_skip_with_reason(monkeypatch, credit):
    fake = [PluginInfo("needs_model", "p", "1", "x", check=NeedsModel)]
    monkeypatch.setattr(raudit.api.audit, "discover", lambda: fake)
    data = credit.assign(decision=credit.approved.sample(frac=1, random_state=0).to_numpy())
    report = raudit.audit(None, data, target="approved", sensitive=["sex"], y_pred="decision")
    assert report["needs_model"].status == "skipped"
    assert "model file" in report["needs_model"].summary


class NeedsData(Check):
    name = "needs_data"
    title = "Reads the whole data"
    requires = frozenset({"data"})

    def run(self, ctx, options):
        return self.result(summary=f"{len(ctx.data)} rows", metrics={"rows": len(ctx.data)})


def test_a_check_needing_the_whole_data_runs_in_memory_and_is_skipped_when_streamed(monkeypatch, credit, tmp_path):
    monkeypatch.setattr(raudit.api.audit, "discover", lambda: [PluginInfo("needs_data", "p", "1", "x", check=NeedsData)])
    data = credit.assign(decision=credit.approved.sample(frac=1, random_state=0).to_numpy())
    data.to_csv(tmp_path / "d.csv", index=False)
    common = {"target": "approved", "sensitive": ["sex"], "y_pred": "decision"}
    whole = raudit.audit(None, tmp_path / "d.csv", **common)
    assert whole["needs_data"].status == "pass" and whole["needs_data"].metrics["rows"] == len(data)
    streamed = raudit.audit(None, tmp_path / "d.csv", config={"engine": "stream", "chunk_rows": 500}, **common)
    assert streamed["needs_data"].status == "skipped"
    assert "needs the whole data in memory; this audit streamed it" in streamed["needs_data"].summary


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory):
    """The example plugin package, installed (without touching the venv) into a folder."""
    site = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "--target", str(site), str(ROOT / "examples" / "plugin")],
        check=True, capture_output=True,
    )
    return site


def _raudit(args, site, tmp_path, **env):
    environ = {**os.environ, "PYTHONPATH": str(site), **env}
    return subprocess.run([sys.executable, "-m", "raudit.cli", *map(str, args)], capture_output=True, text=True,
                          env=environ, cwd=tmp_path)


def test_installed_third_party_plugin_appears_in_the_report(plugin_site, files, tmp_path):
    listed = _raudit(["checks"], plugin_site, tmp_path)
    assert "class_balance" in listed.stdout and "raudit-example-plugin 0.1.0" in listed.stdout
    done = _raudit([files["model"], files["data"], "--target", "approved", "--sensitive", "sex", "--format", "json,html",
                    "--checks", "performance,class_balance",
                    "--out", tmp_path / "out"], plugin_site, tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    section = next(c for c in report["checks"] if c["name"] == "class_balance")
    assert section["package"] == "raudit-example-plugin" and section["version"] == "0.1.0"
    assert section["metrics"]["rarest_class_rows"] > 1000
    assert "raudit-example-plugin" in report["lineage"]["versions"]
    html = (tmp_path / "out" / "report.html").read_text()
    assert "Class balance (example plugin)" in html
    assert 'data-plugin-partial="class_balance"' in html  # the plugin's own template partial was used


def test_autoload_switch_keeps_only_builtin_checks(plugin_site, tmp_path):
    listed = _raudit(["checks"], plugin_site, tmp_path, RAUDIT_DISABLE_PLUGIN_AUTOLOAD="1")
    assert "class_balance" not in listed.stdout and "performance" in listed.stdout
