"""The jail: the model side runs in a confined child; a hostile model is refused (reviewed state) or contained (jail).

Every attack of ``tests/attacks.py``'s ``JAIL_ATTACKS`` is audited through the CLI twice: with the reviewed state
(refused while loading) and with it switched off, which proves the jail alone contains it: exit 2, a message naming
the model or the limit, no report written, no effect.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess

import pytest
from click.testing import CliRunner

import raudit
from raudit.cli import main
from raudit.config import JailLimits, parse_jail_limits
from raudit.load.pickle import state
from raudit.sandbox import jail as jail_module
from raudit.sandbox.confine import landlock_abi
from raudit.sandbox.jail import JailFailure, run_jailed
from tests.attacks import JAIL_ATTACKS
from tests.test_attack_corpus import _effects, _prepare

LINUX_JAIL = landlock_abi() >= 4
QUICK = [a for a in JAIL_ATTACKS.values() if not a.slow]


def _escape_attempts(outside: str) -> dict[str, str]:
    out = {}
    for what, attempt in (("write", lambda: open(outside, "w").close()),
                          ("socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM)),
                          ("process", lambda: subprocess.run(["true"], check=False)),
                          ("signal", lambda: os.kill(1, 0))):
        try:
            attempt()
            out[what] = "done"
        except OSError as exc:
            out[what] = type(exc).__name__
    import tempfile

    with tempfile.NamedTemporaryFile() as fh:
        fh.write(b"private")
        out["private temporary file"] = "done"
    return out


@pytest.mark.skipif(not LINUX_JAIL, reason="needs Landlock ABI ≥ 4 (Linux ≥ 6.7)")
def test_the_jailed_child_can_only_compute(tmp_path):
    outside = tmp_path / "escaped"
    result, protections = run_jailed(lambda: _escape_attempts(str(outside)), model="test", limits=JailLimits())
    assert result == {"write": "PermissionError", "socket": "PermissionError", "process": "PermissionError",
                      "signal": "PermissionError", "private temporary file": "done"}
    assert not outside.exists()
    text = " ".join(protections.in_force)
    for part in ("network namespace", "Landlock", "seccomp-bpf", "address space", "CPU seconds"):
        assert part in text, part
    assert protections.missing == ()


def test_a_crash_a_hang_and_an_allocation_end_in_exit_2_naming_the_model():
    with pytest.raises(JailFailure, match="crashed raudit's jailed process with a segmentation fault") as crash:
        run_jailed(lambda: os.kill(os.getpid(), 11), model="m.pkl", limits=JailLimits())
    assert "m.pkl" in str(crash.value) and crash.value.exit_code == 2
    with pytest.raises(JailFailure, match="wall-time limit of 2 s"):
        run_jailed(lambda: __import__("time").sleep(60), model="m.pkl", limits=parse_jail_limits({"wall": 2}))
    with pytest.raises(JailFailure, match="memory limit"):
        run_jailed(lambda: bytearray(3 << 30), model="m.pkl", limits=parse_jail_limits({"memory": "1GiB"}))


def test_errors_come_back_as_themselves_and_a_base_exception_is_exit_3(monkeypatch, files, tmp_path):
    with pytest.raises(raudit.InputError, match="bad input") as info:
        run_jailed(lambda: (_ for _ in ()).throw(raudit.InputError("bad input", hint="fix it")), model="m", limits=JailLimits())
    assert info.value.hint == "fix it"

    class PanicException(BaseException):  # as tokenizers' Rust panics are
        pass

    def panic(*args, **kwargs):
        raise PanicException("tokenizer panicked")

    monkeypatch.setattr("raudit.api.audit.run_checks", panic)
    res = CliRunner().invoke(main, [str(files["model"]), str(files["data"]), "--target", "approved", "--out", str(tmp_path / "o")])
    assert res.exit_code == 3, res.output
    assert "internal error" in res.output and "PanicException" in res.output and "tokenizer panicked" in res.output
    assert not (tmp_path / "o").exists()


def test_the_report_says_which_protections_were_in_force(files):
    report = raudit.audit(str(files["model"]), str(files["data"]), target="approved", sensitive=["sex"], checks=["performance"])
    jail = report.lineage["jail"]
    assert "separate child process" in jail["process"]
    if LINUX_JAIL:
        assert any("Landlock" in p for p in jail["in_force"]) and any("seccomp" in p for p in jail["in_force"])
    assert jail["limits"]["wall_seconds"] == JailLimits().wall
    from raudit.report.html import render_html

    html = render_html(report)  # the HTML's lineage prints the same section
    assert "Model's process" in html and "separate child process" in html
    from markupsafe import escape

    for protection in jail["in_force"]:
        assert str(escape(protection)) in html, protection
    assert JailLimits().wall == 4 * 3600 and "wall time 4 h" in html


def test_numbers_are_identical_with_and_without_the_jail(files, monkeypatch):
    def run():
        report = raudit.audit(str(files["model"]), str(files["data"]), target="approved", sensitive=["sex"],
                              checks=["performance", "fairness"])
        body = json.loads(report.to_json()) if hasattr(report, "to_json") else report.to_dict()
        return [{k: v for k, v in r.items() if k != "duration_s"} for r in body["checks"]]

    jailed = run()
    monkeypatch.setattr(jail_module, "available", lambda: False)
    with pytest.warns(UserWarning, match="no jail"):
        plain = run()
    assert jailed == plain


def _text_data(tmp_path, files):
    import pandas as pd

    df = pd.read_csv(files["data"]).head(400)
    df["note"] = ["the applicant reported a stable income and repaid every previous loan early" if i % 2
                  else "the applicant missed several payments and defaulted on an earlier loan" for i in range(len(df))]
    path = tmp_path / "text.csv"
    df.to_csv(path, index=False)
    return path


def _attack_params() -> list:
    """Every attack with the state review on and off; slow: the slow attacks, and the review-on run of an attack only
    the jail stops (a hostile graph: both runs end in the same limit, so the default run keeps the jail-alone one)."""
    out = []
    for a in JAIL_ATTACKS.values():
        for review in ("reviewed state", "jail alone"):
            slow = a.slow or (review == "reviewed state" and a.refused == a.contained)
            out.append(pytest.param(a.name, review, marks=pytest.mark.slow) if slow else (a.name, review))
    return out


@pytest.mark.parametrize("name,review", _attack_params())
def test_each_attack_is_refused_or_contained(files, tmp_path, monkeypatch, name, review):
    a = JAIL_ATTACKS[name]
    if review == "jail alone":
        if not LINUX_JAIL:
            pytest.skip("the jail needs Linux's Landlock here")
        monkeypatch.setattr(state, "STATE_REVIEW", False)
    target = _prepare(tmp_path / "t")
    path = a.build(target)
    data = _text_data(tmp_path, files) if "--text-column" in a.flags else files["data"]
    out = tmp_path / "report"
    res = CliRunner().invoke(main, [str(path), str(data), "--target", "approved", "--sensitive", "sex", "--out", str(out),
                                    "--checks", "performance", *a.flags, *(a.jail_flags if review == "jail alone" else ())])
    assert res.exit_code == (2 if review == "reviewed state" else a.contained_exit), res.output
    expect = a.refused if review == "reviewed state" else a.contained
    assert expect in res.output, res.output
    assert "Traceback" not in res.output
    assert not out.exists()
    assert _effects(target) == []


def test_the_private_folder_is_removed_afterwards():
    import tempfile

    folder, _ = run_jailed(tempfile.gettempdir, model="m", limits=JailLimits())
    assert "raudit-jail-" in folder and not os.path.exists(folder)


def test_allow_module_says_known_gadgets_stay_refused(files, tmp_path):
    res = CliRunner().invoke(main, [str(files["model"]), str(files["data"]), "--target", "approved", "--checks", "performance",
                                    "--allow-module", "sklearn", "--out", str(tmp_path / "o"), "--format", "json"])
    assert res.exit_code in (0, 1), res.output
    assert "Known gadgets under it" in res.output and "stay refused" in res.output


def test_a_profile_cannot_make_raudit_allocate_its_hash_buckets(tmp_path, files):
    from raudit.engine.profile import read_profile

    out = tmp_path / "ref.json"
    res = CliRunner().invoke(main, ["profile", str(files["data"]), "--target", "approved", "-o", str(out)])
    assert res.exit_code == 0, res.output
    body = json.loads(out.read_text())
    body["params"]["hash_buckets"] = 4_000_000_000
    out.write_text(json.dumps(body))
    with pytest.raises(raudit.InputError, match="hash_buckets must be at most 65,536"):
        read_profile(out)


def test_a_hugging_face_folder_with_a_link_out_is_refused(tmp_path):
    from raudit.load.text import refuse_links_out

    folder = tmp_path / "hf"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    secret = tmp_path / "secret.safetensors"
    secret.write_bytes(b"x")
    (folder / "model.safetensors").symlink_to(secret)
    with pytest.raises(raudit.InputError, match="outside the model's folder"):
        refuse_links_out(folder)
    (folder / "model.safetensors").unlink()
    (folder / "inner.json").symlink_to(folder / "config.json")  # a link inside the folder is fine
    refuse_links_out(folder)


def test_verify_key_refuses_unsigned_junit_and_markdown_siblings(signed):
    report = signed / "out" / "report.json"
    assert all(ok for _, ok, _ in raudit.verify(report, key=signed / "raudit.key.pub"))
    (signed / "out" / "report.md").write_text("# all checks passed\n")  # forged beside a signed set
    (signed / "out" / "report.junit.xml").write_text("<testsuites/>")
    results = raudit.verify(report, key=signed / "raudit.key.pub")
    flagged = {what for what, ok, _ in results if not ok}
    assert flagged == {"file report.md", "file report.junit.xml"}


def _held(lock):
    """A thread that holds ``lock`` until the returned event is set."""
    import threading

    release, held = threading.Event(), threading.Event()

    def hold():
        with lock:
            held.set()
            release.wait()

    thread = threading.Thread(target=hold, name="holds-a-lock", daemon=True)
    thread.start()
    held.wait()
    return thread, release


def test_an_audit_finishes_jailed_while_another_thread_holds_a_lock_the_model_needs(files, binary_model, monkeypatch):
    from tests.jail_helpers import LOCK, LockedModel

    model = LockedModel(binary_model)
    thread, release = _held(LOCK)
    try:
        assert jail_module.start_method()[0] == "spawn"
        report = raudit.audit(model, str(files["data"]), target="approved", sensitive=["sex"], checks=["performance"])
        # what a plain fork would have done: the child inherits the lock held, and waits for it until the wall limit
        monkeypatch.setattr(jail_module, "start_method", lambda: ("fork", "forked (forced by the test)"))
        with pytest.raises(JailFailure, match="wall-time limit of 3 s"):
            raudit.audit(model, str(files["data"]), target="approved", sensitive=["sex"], checks=["performance"],
                         config={"jail_limits": {"wall": 3}})
    finally:
        release.set()
        thread.join()
    jail = report.lineage["jail"]
    assert "fresh Python interpreter" in jail["start"] and "holds-a-lock" in jail["start"]
    if LINUX_JAIL:  # the fresh interpreter confines itself before it imports anything that starts threads
        assert jail["missing"] == [] and any("network namespace" in p for p in jail["in_force"])
    monkeypatch.undo()
    forked = raudit.audit(model, str(files["data"]), target="approved", sensitive=["sex"], checks=["performance"])
    assert forked.lineage["jail"]["start"].startswith("forked")
    strip = lambda r: [{k: v for k, v in c.items() if k != "duration_s"} for c in json.loads(r.to_json())["checks"]]  # noqa: E731
    assert strip(report) == strip(forked)


@pytest.mark.skipif(not LINUX_JAIL, reason="the escape attempts are refused by Landlock and seccomp")
def test_a_spawned_child_is_confined_as_a_forked_one(tmp_path):
    import threading

    outside = tmp_path / "escaped"
    thread, release = _held(threading.Lock())
    try:
        result, protections = run_jailed(lambda: _escape_attempts(str(outside)), model="test", limits=JailLimits())
    finally:
        release.set()
        thread.join()
    assert result == {"write": "PermissionError", "socket": "PermissionError", "process": "PermissionError",
                      "signal": "PermissionError", "private temporary file": "done"}
    assert not outside.exists() and protections.missing == () and "fresh Python interpreter" in protections.start


def test_a_spawned_child_that_crashes_or_cannot_be_sent_is_exit_2():
    import threading

    thread, release = _held(threading.Lock())
    try:
        with pytest.raises(JailFailure, match="segmentation fault"):
            run_jailed(lambda: os.kill(os.getpid(), 11), model="m.pkl", limits=JailLimits())
        with pytest.raises(raudit.InputError, match="cannot be sent to it") as info:
            lock = threading.Lock()
            run_jailed(lambda: lock.locked(), model="m.pkl", limits=JailLimits())  # the work holds a lock: it cannot pickle
        assert "files" in info.value.hint
    finally:
        release.set()
        thread.join()


def test_a_forked_child_runs_gnu_openmp_although_the_parent_started_its_pool():
    """libgomp keeps its pool in the thread that started it; a forked child's main thread would wait for it for ever."""
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_info, threadpool_limits

    rng = np.random.default_rng(0)
    X = rng.normal(size=(4000, 5))
    y = (X[:, 0] > 0).astype(int)
    with threadpool_limits(limits=2, user_api="openmp"):  # the parent's libgomp starts a pool of threads
        model = HistGradientBoostingClassifier(max_iter=10).fit(X, y)
        expected = int(model.predict(X).sum())

        def work():  # OpenMP's thread count is per thread: the child asks for a pool of 2 again
            with threadpool_limits(limits=2, user_api="openmp"):
                threads = {i["num_threads"] for i in threadpool_info() if i["internal_api"] == "openmp" and "gomp" in i["prefix"]}
                return threads, int(model.predict(X).sum())

        assert jail_module.start_method()[0] == "fork"
        (threads, total), _ = run_jailed(work, model="m", limits=parse_jail_limits({"wall": 60}))
    assert threads == {2} and total == expected


def test_a_work_thread_that_cannot_start_in_the_forked_child_does_not_hang_the_audit(monkeypatch):
    """Whatever keeps the child's work thread from starting (a lock of the parent's left held by the fork), the work runs."""
    import _thread

    monkeypatch.setattr(jail_module, "THREAD_START_S", 0.5)
    monkeypatch.setattr(_thread, "start_new_thread", lambda *a, **k: None)  # the thread never runs
    result, protections = run_jailed(lambda: 6 * 7, model="m", limits=parse_jail_limits({"wall": 30}))
    assert result == 42 and protections.start.startswith("forked")
    monkeypatch.setattr(_thread, "start_new_thread", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("can't start")))
    assert run_jailed(lambda: 6 * 7, model="m", limits=parse_jail_limits({"wall": 30}))[0] == 42


def test_the_command_line_forks_its_jailed_child(files, tmp_path):
    """raudit's command line runs no other Python thread when it starts the jail: the child is forked, not a new interpreter."""
    import sys
    from pathlib import Path

    out = tmp_path / "out"
    res = subprocess.run([str(Path(sys.executable).parent / "raudit"), str(files["model"]), str(files["data"]), "--target",
                          "approved", "--sensitive", "sex", "--checks", "performance", "--format", "json", "--out", str(out)],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode in (0, 1), res.stderr
    jail = json.loads((out / "report.json").read_text())["lineage"]["jail"]
    assert jail["start"].startswith("forked"), jail["start"]


_DASK_PROBE = r'''
import json, subprocess, sys
import distributed
distributed.utils._get_ip = lambda host, port, family: "127.0.0.1"  # no UDP probe of 8.8.8.8 (the suite stays offline)
from raudit.config import parse_jail_limits
from raudit.engine.dask import client_for
from raudit.sandbox.jail import run_jailed

def address():
    client = client_for(None)
    try:
        return str(client.scheduler.address)
    finally:
        client.close()
        client.cluster.close()

out = {"inside": run_jailed(address, model="m", limits=parse_jail_limits({"wall": 120}), network="local")[0]}
client = client_for(None)  # raudit's own process (a platform without the jail): worker processes over TLS
try:
    out["outside"] = str(client.scheduler.address)
    out["own"] = client.submit(sum, [1, 2]).result(timeout=60)  # raudit's own client has the key
    intruder = ("import sys\nfrom distributed import Client\nc = Client(sys.argv[1], timeout=8)\n"
                "print('SUBMITTED', c.submit(sum, [1, 2]).result(timeout=8))")
    for name, where in (("tls", out["outside"]), ("tcp", out["outside"].replace("tls://", "tcp://"))):
        res = subprocess.run([sys.executable, "-c", intruder, where], capture_output=True, text=True, timeout=120)
        out[name] = [res.returncode, "SUBMITTED" in res.stdout]
finally:
    client.close()
    client.cluster.close()
print("RESULT " + json.dumps(out))
'''


def test_no_other_process_can_submit_work_to_raudits_dask_cluster():
    """Jailed, raudit's cluster is in-process (no address another process can reach); unjailed, its scheduler speaks
    TLS with a temporary key, so a client from another local process without the key cannot connect.

    In a process of its own: Dask's loop threads would outlive the test and send every later audit of the suite
    down the fresh-interpreter path.
    """
    pytest.importorskip("distributed")
    import sys

    res = subprocess.run([sys.executable, "-c", _DASK_PROBE], capture_output=True, text=True, timeout=400)
    lines = [line for line in res.stdout.splitlines() if line.startswith("RESULT ")]
    assert res.returncode == 0 and lines, res.stdout[-1000:] + res.stderr[-2000:]
    out = json.loads(lines[-1].removeprefix("RESULT "))
    assert out["inside"].startswith("inproc://"), out
    assert out["outside"].startswith("tls://") and out["own"] == 3, out
    for protocol in ("tls", "tcp"):  # without the key, or without TLS at all: no connection, no task
        code, submitted = out[protocol]
        assert code != 0 and not submitted, (protocol, out)
