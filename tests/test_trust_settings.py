"""A config file that turns model inspection off or widens it says so on stderr; the report records where each trust setting came from."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import raudit
from raudit.cli import main

NOTICE = "raudit: notice: {file} sets trust_model = true: the model file is loaded without inspection"


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _audit(files, tmp_path, *extra: object):
    out = tmp_path / "out"
    res = run(files["model"], files["data"], "--target", "approved", "--sensitive", "sex", "--checks", "performance",
              "--format", "json,html", "--out", out, *extra)
    assert res.exit_code == 0, res.output
    return res, json.loads((out / "report.json").read_text()), (out / "report.html").read_text()


def test_trust_model_from_a_config_file_prints_a_notice_even_quiet_and_is_recorded(files, tmp_path):
    cfg = tmp_path / "raudit.toml"
    cfg.write_text("trust_model = true\n")
    res, report, html = _audit(files, tmp_path, "--config", cfg, "--quiet")
    assert NOTICE.format(file=cfg) in res.stderr and res.stdout == ""
    assert report["lineage"]["trust_settings"] == {"trust_model": {"value": True, "source": str(cfg)},
                                                   "allow_modules": {"value": [], "source": "default"}}
    assert report["lineage"]["model"]["trust"] == "loaded without inspection (--trust-model)"
    decision = html.index("Trust decision: loaded without inspection")
    settings = html.index(f"Trust settings: <code>trust_model = true</code> (from {cfg})")
    assert 0 < settings - decision < 200  # next to the trust decision, in the lineage section
    assert html.index('id="lineage"') < decision


def test_allow_modules_from_a_config_file_prints_a_notice(files, tmp_path):
    cfg = tmp_path / "raudit.toml"
    cfg.write_text('allow_modules = ["collections"]\n')
    res, report, html = _audit(files, tmp_path, "--config", cfg)
    assert f"raudit: notice: {cfg} sets allow_modules = ['collections']: a pickled model may import" in res.stderr
    assert report["lineage"]["trust_settings"]["allow_modules"] == {"value": ["collections"], "source": str(cfg)}
    assert f'<code>allow_modules = ["collections"]</code> (from {cfg})' in html


def test_the_same_settings_as_flags_print_no_notice_and_are_recorded_as_the_command_line(files, tmp_path):
    cfg = tmp_path / "raudit.toml"
    cfg.write_text("trust_model = true\n")
    res, report, _ = _audit(files, tmp_path, "--trust-model", "--config", cfg, "--allow-module", "collections")
    assert "notice" not in res.stderr
    assert report["lineage"]["trust_settings"] == {"trust_model": {"value": True, "source": "command line"},
                                                   "allow_modules": {"value": ["collections"], "source": "command line"}}


def test_defaults_print_no_notice(files, tmp_path):
    cfg = tmp_path / "raudit.toml"
    cfg.write_text("trust_model = false\n")
    res, report, html = _audit(files, tmp_path, "--config", cfg)
    assert "notice" not in res.stderr
    assert report["lineage"]["trust_settings"]["trust_model"] == {"value": False, "source": str(cfg)}
    assert "<code>trust_model = false</code> (from" in html


def test_the_python_api_warns_for_a_config_file_and_records_the_source(files, tmp_path):
    cfg = tmp_path / "raudit.toml"
    cfg.write_text('trust_model = true\ntarget = "approved"\nsensitive = ["sex"]\nchecks = ["performance"]\n')
    with pytest.warns(UserWarning, match="sets trust_model = true: the model file is loaded without inspection"):
        report = raudit.audit(files["model"], files["data"], config=cfg)
    assert report.lineage["trust_settings"]["trust_model"] == {"value": True, "source": str(cfg)}
    direct = raudit.audit(files["model"], files["data"], target="approved", sensitive=["sex"], checks=["performance"],
                          trust_model=True)
    assert direct.lineage["trust_settings"]["trust_model"] == {"value": True, "source": "Python API"}


def test_allow_globals_and_load_limits_from_a_config_file_print_a_notice(files, tmp_path):
    cfg = tmp_path / "raudit.toml"
    cfg.write_text('allow_globals = ["collections:OrderedDict"]\nload_limits = {bytes = "1GiB"}\n')
    res = CliRunner().invoke(main, [str(files["model"]), str(files["data"]), "--target", "approved",
                                    "--sensitive", "sex", "--checks", "performance", "--format", "json",
                                    "--quiet", "--config", str(cfg), "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "sets allow_globals = ['collections:OrderedDict']" in res.stderr and "sets load_limits" in res.stderr
    lineage = json.loads((tmp_path / "o" / "report.json").read_text())["lineage"]["trust_settings"]
    assert lineage["allow_globals"] == {"value": ["collections:OrderedDict"], "source": str(cfg)}
