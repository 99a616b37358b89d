"""A signed report set built once per test module (inside a test, so under the network guard), copied per test."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner, Result

from raudit.cli import main


def run(*args: object) -> Result:
    """``raudit ARGS`` in this process; exceptions propagate (a bug is a traceback, not an exit code)."""
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _run(*args: object, code: int = 0) -> None:
    res = run(*args)
    assert res.exit_code == code, f"exit code {res.exit_code}: {res.output}"


def signed_set(cache: Path, files: dict[str, Path], tmp_path: Path) -> Path:
    """Return a folder holding, freshly copied for this test.

    ``model.joblib``, ``data.csv``; key pairs ``raudit.key``/``.pub`` and
    ``other.key``/``.pub``; ``out/`` (performance and fairness, json+html+pdf,
    signed with ``raudit.key``) and ``other/`` (performance only, json+html,
    signed with the same key).
    """
    built = work = cache / "set"  # the reports record their inputs' paths: build where they stay
    if not (cache / "done").exists():
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        shutil.copy(files["model"], work / "model.joblib")
        shutil.copy(files["data"], work / "data.csv")
        _run("keygen", work / "raudit.key")
        _run("keygen", work / "other.key")
        common = [work / "model.joblib", work / "data.csv", "--target", "approved", "--sensitive", "sex", "--quiet",
                  "--sign-key", work / "raudit.key"]
        _run(*common, "--checks", "performance,fairness", "--out", work / "out", code=1)  # the credit data fails fairness for sex
        _run(*common, "--checks", "performance", "--format", "json,html", "--out", work / "other", code=0)
        (cache / "done").touch()
    copy = tmp_path / "set"
    shutil.copytree(built, copy)
    return copy

