"""--attach-to wandb:ENTITY/PROJECT in W&B's offline mode: what the run holds, read back from its offline run file."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from raudit.cli import main


def _records(path: Path) -> list[bytes]:
    """The records of a .wandb file: a 7-byte header (":W&B", magic, version), then LevelDB-log blocks of 32 KiB whose
    records are (crc32, length, type) + data, type 1 whole, 2/3/4 first/middle/last piece."""
    data = path.read_bytes()
    assert data[:4] == b":W&B"
    pos, out, buf = 7, [], b""
    while pos + 7 <= len(data):
        left = 32768 - pos % 32768
        if left < 7:
            pos += left
            continue
        length, kind = int.from_bytes(data[pos + 4:pos + 6], "little"), data[pos + 6]
        chunk = data[pos + 7:pos + 7 + length]
        pos += 7 + length
        if kind == 1:
            out.append(chunk)
        elif kind == 2:
            buf = chunk
        elif kind in (3, 4):
            buf += chunk
            if kind == 4:
                out.append(buf)
    return out


def _logged(run_dir: Path) -> dict:
    from wandb.proto import wandb_internal_pb2 as pb

    (run_file,) = run_dir.glob("wandb/offline-run-*/run-*.wandb")
    found: dict = {"summary": {}, "artifacts": []}
    for data in _records(run_file):
        record = pb.Record()
        record.ParseFromString(data)
        kind = record.WhichOneof("record_type")
        if kind == "run":
            found["run"] = record.run
            found["config"] = {u.key: json.loads(u.value_json) for u in record.run.config.update}
        elif kind == "artifact":
            found["artifacts"].append(record.artifact)
        elif kind == "summary":
            found["summary"].update({u.key: json.loads(u.value_json) for u in record.summary.update if u.key})
    return found


@pytest.fixture
def offline(tmp_path, monkeypatch):
    pytest.importorskip("wandb")
    for var, sub in (("WANDB_DIR", "runs"), ("WANDB_CACHE_DIR", "cache"), ("WANDB_DATA_DIR", "data"), ("WANDB_CONFIG_DIR", "config")):
        (tmp_path / sub).mkdir()
        monkeypatch.setenv(var, str(tmp_path / sub))
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    return tmp_path / "runs"


def test_attach_to_wandb_logs_files_metrics_and_tags_offline(files, tmp_path, offline):
    out = tmp_path / "out"
    res = CliRunner().invoke(main, [str(files["model"]), str(files["data"]), "--target", "approved", "--sensitive", "sex",
                                    "--checks", "performance", "--format", "json,md", "--out", str(out),
                                    "--attach-to", "wandb:acme/credit-risk"])
    assert res.exit_code == 0, res.output
    assert "Attached 2 report file(s), metrics and tags to W&B run acme/credit-risk/" in res.output
    report = json.loads((out / "report.json").read_text())
    logged = _logged(offline)
    run = logged["run"]
    assert (run.entity, run.project, run.job_type) == ("acme", "credit-risk", "raudit")
    digest = report["integrity"]["digest"]
    assert set(run.tags) == {"raudit", f"raudit-status:{report['status']}", f"raudit-version:{report['lineage']['versions']['raudit']}",
                             f"raudit-sha256:{digest[:16]}"}
    assert logged["config"]["raudit.status"] == report["status"] and logged["config"]["raudit.report_sha256"] == digest
    assert logged["config"]["raudit.version"] == report["lineage"]["versions"]["raudit"]
    accuracy = report["checks"][0]["metrics"]["accuracy"]
    assert logged["summary"]["raudit.performance.accuracy"] == pytest.approx(accuracy)
    (artifact,) = logged["artifacts"]
    assert artifact.type == "raudit-report" and json.loads(artifact.metadata)["raudit.report_sha256"] == digest
    contents = {c.path: c for c in artifact.manifest.contents}
    assert sorted(contents) == ["report.json", "report.md"]
    for name, entry in contents.items():
        data = (out / name).read_bytes()
        assert entry.size == len(data) and entry.digest == base64.b64encode(hashlib.md5(data).digest()).decode()


def test_wandb_target_is_checked_before_any_work(files, tmp_path, offline):
    out = tmp_path / "out"
    res = CliRunner().invoke(main, [str(files["model"]), str(files["data"]), "--target", "approved", "--out", str(out),
                                    "--attach-to", "wandb:no-project"])
    assert res.exit_code == 2 and "is not wandb:ENTITY/PROJECT" in res.output and not out.exists()
    assert not list(offline.glob("wandb/offline-run-*")), "no run was started"


def test_without_wandb_the_error_says_how_to_install_it(files, tmp_path):
    blocker = ("import sys\nfrom importlib.abc import MetaPathFinder\n"
               "class NoWandb(MetaPathFinder):\n"
               "    def find_spec(self, name, path=None, target=None):\n"
               "        if name.split('.')[0] == 'wandb':\n"
               "            raise ModuleNotFoundError(name)\n"
               "sys.meta_path.insert(0, NoWandb())\nfrom raudit.cli import main\nmain()\n")
    done = subprocess.run([sys.executable, "-c", blocker, str(files["model"]), str(files["data"]), "--target", "approved",
                           "--out", str(tmp_path / "o"), "--attach-to", "wandb:acme/credit"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2 and "pip install 'raudit[wandb]'" in done.stderr and not (tmp_path / "o").exists()
