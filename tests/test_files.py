"""Report sets are written all-or-nothing; operating-system refusals are exit-2 errors that say what to do."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import raudit
import raudit.report.files as files_module
from raudit.cli import main
from raudit.report.files import write_set

OLD = {"report.html": b"old html", "report.pdf": b"old pdf", "report.json": b"old json"}
NEW = {"report.html": b"new html", "report.pdf": b"new pdf", "report.json": b"new json"}


def _folder(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    for name, data in OLD.items():
        (out / name).write_bytes(data)
    return out


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_new_set_replaces_the_old_one_and_leaves_no_temporary_files(tmp_path):
    out = _folder(tmp_path)
    written = write_set(out, NEW)
    assert [p.name for p in written] == list(NEW)
    assert _snapshot(out) == NEW


def test_stale_formats_of_an_earlier_run_go_with_the_swap(tmp_path):
    out = _folder(tmp_path)
    (out / "notes.txt").write_text("mine")
    write_set(out, {"report.json": b"new json"}, replaces=OLD)
    assert _snapshot(out) == {"notes.txt": b"mine", "report.json": b"new json"}


def test_disk_full_while_writing_the_second_file_keeps_the_old_set(tmp_path, monkeypatch):
    out = _folder(tmp_path)
    real = files_module._write_temp
    calls = []

    def full(folder, name, data):
        calls.append(name)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(folder, name, data)

    monkeypatch.setattr(files_module, "_write_temp", full)
    with pytest.raises(raudit.InputError, match="No space left on device") as info:
        write_set(out, NEW, replaces=OLD)
    assert "free some space" in str(info.value)
    assert _snapshot(out) == OLD, "the previous set must stay intact, with no temporary files"


def test_a_failure_in_the_middle_of_the_swap_rolls_back(tmp_path, monkeypatch):
    out = _folder(tmp_path)
    real = os.replace
    moved = []

    def flaky(src, dst):
        if str(src).endswith(".raudit-new"):
            moved.append(dst)
            if len(moved) == 2:
                raise OSError(errno.EIO, "Input/output error")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(raudit.InputError, match="Input/output error"):
        write_set(out, NEW, replaces=OLD)
    assert _snapshot(out) == OLD


def test_a_folder_where_a_report_file_should_go_is_refused_before_anything_changes(tmp_path):
    out = _folder(tmp_path)
    (out / "report.json").unlink()
    (out / "report.json").mkdir()
    with pytest.raises(raudit.InputError, match="a folder of that name is in the way"):
        write_set(out, NEW, replaces=OLD)
    assert (out / "report.html").read_bytes() == b"old html" and (out / "report.json").is_dir()
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.json", "report.pdf"]


@pytest.mark.parametrize("where,message", [
    ("afile", "is a file"),  # click refuses it while parsing --out
    ("afile/sub", "Not a directory"),
    ("/sys/raudit-cannot-write-here", "Operation not permitted"),  # sysfs refuses new entries, even to root
])
def test_unwritable_output_folders_exit_2_with_the_path(files, tmp_path, where, message):
    (tmp_path / "afile").write_text("x")
    out = tmp_path / where
    res = CliRunner().invoke(main, [str(files["model"]), str(files["data"]), "--target", "approved", "--sensitive", "sex",
                                    "--checks", "performance", "--format", "json", "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert message in res.output and str(out) in res.output and "Traceback" not in res.output
    assert "bug in raudit" not in res.output


def test_cli_keeps_the_previous_set_when_a_report_file_is_a_folder(files, tmp_path):
    out = _folder(tmp_path)
    (out / "report.json").unlink()
    (out / "report.json").mkdir()
    res = CliRunner().invoke(main, [str(files["model"]), str(files["data"]), "--target", "approved", "--sensitive", "sex",
                                    "--checks", "performance", "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert (out / "report.html").read_bytes() == b"old html" and (out / "report.pdf").read_bytes() == b"old pdf"
