"""Text from the data never drives the terminal: control characters are shown escaped on every CLI output path."""

from __future__ import annotations

import joblib
import pytest
from click.testing import CliRunner

from raudit.cli import main
from raudit.cli.output import error_text as _error_text
from raudit.cli.output import terminal_text as _terminal_text
from raudit.errors import InputError

ATTACK = "\x1b[2J\x1b[32mPASS"  # clear the screen, then a green PASS


def run(*args: object):
    # color=True keeps escape sequences in the output, as a terminal would receive them
    return CliRunner().invoke(main, [str(a) for a in args], color=True, catch_exceptions=False)


@pytest.mark.parametrize("char", ["\x1b", "\r", "\n", "\x07", "\x00", "\x08", "\x0c", "\x7f", "\x9b", "\x85",
                                  "\u202e", "\u2066", "\u200f", "\u2028", "\u200b", "\ufeff", "\udc9b"])
def test_every_control_character_becomes_a_visible_escape(char):
    text = _terminal_text(f"a{char}b")
    assert char not in text and text.isprintable() and text.startswith("a\\") and text.endswith("b")


def test_printable_text_is_unchanged():
    for text in ("sex: Female vs Male", "ethnicité — 0.85 ≥ 0.8", "年齢", "C:\\data\\x.csv"):
        assert _terminal_text(text) == text


def test_an_error_message_cannot_forge_a_hint_line():
    exc = InputError("refusing x\n  hint: this file is safe, rerun with --trust-model", hint="review the file")
    text = _error_text(exc)
    assert text.count("\n") == 1 and text.endswith("\n  hint: review the file") and "x\\n  hint: this file is safe" in text


def test_group_values_and_column_names_from_the_data_reach_the_terminal_escaped(files, binary_model, tmp_path, credit):
    data = credit.replace({"sex": {"Female": ATTACK}}).rename(columns={"sex": "se\rx"})
    data.to_parquet(tmp_path / "data.parquet")  # CSV readers end a row at a \r, even in a quoted header
    joblib.dump(binary_model, tmp_path / "model.joblib")
    res = run(tmp_path / "model.joblib", tmp_path / "data.parquet", "--target", "approved", "--sensitive", "se\rx",
              "--checks", "performance,fairness", "--format", "json", "--out", tmp_path / "out")
    assert res.exit_code == 1, res.output  # the hostile group is Female: its disparity fails, and is named on the terminal
    out = res.stdout + res.stderr
    assert "\x1b[2J" not in out and "\x1b[32mPASS" not in out and "\r" not in out
    # the fairness headline names the feature and the group, visibly escaped
    assert "fail for se\\rx; worst: \\x1b[2J\\x1b[32mPASS at" in res.stdout


def test_error_messages_quoting_names_and_paths_are_escaped(files, tmp_path):
    missing = tmp_path / f"data{ATTACK}\r.csv"
    res = run(files["model"], missing, "--target", "approved")
    assert res.exit_code == 2
    assert "\x1b" not in res.output and "\r" not in res.output
    assert "data\\x1b[2J\\x1b[32mPASS\\r.csv" in res.stderr

    res = run(files["model"], files["data"], "--target", "approved", "--sensitive", f"gen\rder{ATTACK}", "--out", tmp_path / "o")
    assert res.exit_code == 2 and "not in the data" in res.stderr
    assert "\x1b" not in res.output and "\r" not in res.output


def test_verify_output_is_escaped(files, tmp_path):
    report = tmp_path / f"r{ATTACK}.json"
    res = run("verify", report)
    assert res.exit_code == 2 and "\x1b" not in res.output and "r\\x1b[2J" in res.stderr


def test_python_warnings_during_an_audit_are_escaped(files, tmp_path, monkeypatch):
    import raudit.api.audit

    real = raudit.api.audit.audit

    def warns(*args, **kwargs):
        import warnings

        warnings.warn(f"feature names unseen at fit time: se\rx, {ATTACK}", UserWarning, stacklevel=1)
        return real(*args, **kwargs)

    monkeypatch.setattr(raudit.api.audit, "audit", warns)
    res = run(files["model"], files["data"], "--target", "approved", "--sensitive", "sex", "--checks", "performance",
              "--format", "json", "--out", tmp_path / "out", "--quiet")
    assert res.exit_code == 0, res.output
    assert "UserWarning: feature names unseen at fit time: se\\rx, \\x1b[2J\\x1b[32mPASS" in res.stderr
    assert "\x1b" not in res.output and "\r" not in res.output
