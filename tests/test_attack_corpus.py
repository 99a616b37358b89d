"""Every file of the attack corpus (tests/attacks.py) is refused, by the API and the CLI, and its payload never runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import raudit
from raudit.cli import main
from raudit.load.models import load_model
from tests.attacks import ATTACKS, Attack, Target

ROOT = Path(__file__).resolve().parents[1]
QUICK = [a for a in ATTACKS.values() if not a.slow]
SLOW = [a for a in ATTACKS.values() if a.slow]
LIVE = [a for a in QUICK if a.live]


def test_the_corpus_is_large_and_covers_every_class_of_attack():
    assert len(ATTACKS) >= 60, len(ATTACKS)
    names = " ".join(ATTACKS)
    for word in ("protocol_0", "protocol_5", "inst", "obj_opcode", "newobj_ex", "reexport", "builtins", "getattr", "ufunc",
                 "scipy", "skorch", "npzfile", "functools", "rebind", "mutate", "zlib", "gzip", "bz2", "xz", "lzma", "opcode",
                 "memo", "long", "pow", "hash", "laughs", "torchscript", "onnx", "skops", "nested_in_fitted_pipeline"):
        assert word in names, word
    assert all(a.doc for a in ATTACKS.values())


def _prepare(folder: Path) -> Target:
    folder.mkdir(parents=True, exist_ok=True)
    target = Target(folder)
    target.sentinel.write_bytes(b"precious")
    target.sentinel_dir.mkdir(exist_ok=True)
    (target.sentinel_dir / "keep").write_text("keep")
    return target


def _effects(target: Target) -> list[str]:
    out = []
    if target.marker.exists():
        out.append("the payload created its marker file")
    if not target.sentinel.exists() or target.sentinel.read_bytes() != b"precious":
        out.append("the sentinel file was changed or deleted")
    if not (target.sentinel_dir / "keep").exists():
        out.append("the sentinel folder was deleted")
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, tuple[Attack, Target, Path]]:
    """Every quick attack built once, each in its own folder with its own marker and sentinels."""
    root = tmp_path_factory.mktemp("corpus")
    built = {}
    for a in QUICK:
        target = _prepare(root / a.name)
        built[a.name] = (a, target, a.build(target))
    return built


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


@pytest.mark.parametrize("name", [a.name for a in QUICK])
def test_api_refuses_and_nothing_happens(corpus, name):
    a, target, path = corpus[name]
    limits = dict(s.split("=", 1) for s in a.limits)
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(60)
    t0 = time.perf_counter()
    try:
        with pytest.raises(raudit.InputError) as info:
            load_model(path, load_limits=limits)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert time.perf_counter() - t0 < 30, "refusing took too long"
    assert a.expect in str(info.value), str(info.value)
    assert info.value.exit_code == 2
    assert _effects(target) == []


@pytest.mark.parametrize("name", [a.name for a in QUICK])
def test_cli_exits_2_names_the_reason_and_writes_nothing(corpus, files, tmp_path, name):
    a, target, path = corpus[name]
    out = tmp_path / "report"
    flags = [f"--load-limit={limit}" for limit in a.limits]
    res = CliRunner().invoke(main, [str(path), str(files["data"]), "--target", "approved", "--out", str(out), *flags])
    assert res.exit_code == 2, res.output
    assert a.expect in res.output and "raudit: error:" in res.output
    assert "Traceback" not in res.output
    assert not out.exists()
    assert _effects(target) == []


_NAIVE = r'''
import json, pickle, sys
from pathlib import Path
results = {}
for name, path in json.loads(sys.argv[1]).items():
    p = Path(path)
    try:
        if p.suffix == ".skops":
            import skops.io as sio
            sio.load(p, trusted=sio.get_untrusted_types(file=p))
        elif p.suffix == ".pt":
            import torch
            torch.jit.load(str(p))
        elif p.suffix == ".joblib":
            import joblib
            joblib.load(p)
        else:
            with open(p, "rb") as fh:
                pickle.load(fh)
        results[name] = "loaded"
    except BaseException as exc:
        results[name] = type(exc).__name__
print(json.dumps(results))
'''


def test_live_attacks_really_work_against_a_plain_loader(tmp_path):
    """Control: the same files opened with pickle/joblib/skops/torch.jit (in a child process) do run their payload."""
    built = {}
    for a in LIVE:
        target = _prepare(tmp_path / a.name)
        built[a.name] = (target, a.build(target))
    done = subprocess.run([sys.executable, "-c", _NAIVE, json.dumps({k: str(p) for k, (_, p) in built.items()})],
                          capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]
    not_live = [name for name, (target, _) in built.items() if not _effects(target)]
    assert not not_live, f"these 'live' payloads did nothing under a plain loader: {not_live}"
    assert len(LIVE) >= 40


_PEAK_THEN_CLI = ("import atexit, sys; atexit.register(lambda: print(next(l for l in open('/proc/self/status') "
                  "if l.startswith('VmHWM')), file=sys.stderr)); from raudit.cli import main; main()")


@pytest.mark.slow
@pytest.mark.parametrize("name", [a.name for a in SLOW])
def test_default_caps_stop_bombs_in_bounded_time_and_memory(tmp_path, files, name):
    """With the default caps (no flag), a 16 GiB bomb or 100 million opcodes: exit 2 within minutes, bounded RSS."""
    a = ATTACKS[name]
    target = _prepare(tmp_path / "t")
    path = a.build(target)
    t0 = time.perf_counter()
    command = [sys.executable, "-c", _PEAK_THEN_CLI, str(path), str(files["data"]), "--target", "approved", "--out", str(tmp_path / "o")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
    seconds = time.perf_counter() - t0
    peak_mib = int(done.stderr.rsplit("VmHWM:", 1)[1].split()[0]) / 1024
    assert done.returncode == 2, done.stderr[-2000:]
    assert a.expect in done.stderr and "Traceback" not in done.stderr
    assert seconds < 180, seconds
    assert peak_mib < 3072, f"peak RSS {peak_mib:.0f} MiB"
    assert _effects(target) == []
