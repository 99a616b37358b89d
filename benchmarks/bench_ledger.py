"""The audit ledger at scale: ingest 10,000 generated audit entries, then serve a 2,000-audit model's page under load.

Entries are variations of one real report set (an audit of the example lending data with every default check, JSON
+ HTML, signed): per entry a model (5 models, so 2,000 audits each), a time (8 hours apart), a model version (a new
one every 100 audits), moving headline metrics and the statuses they imply; each set is re-signed. Generating them is
not timed; ``Ledger.add`` (signature verification, the shape check, the chain, the insert; batches of 100 per
transaction) is. Then ``raudit serve`` runs in its own process on 127.0.0.1 and a bounded loop of requests (one
client, then four concurrent) fetches the 2,000-audit model's page; p50/p95 of the wall time per request.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_ledger.py [--backend sqlite|postgresql|both] [--entries 10000]

PostgreSQL: a throwaway server started as in the tests (``tests/ledger/_postgres.py``), over TCP on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import http.client
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BENCH = Path("/tmp/raudit-bench/ledger")
MODELS = 5


def template() -> tuple[dict, bytes, Path, Path]:
    """A real signed report set (audited once, then cached): its JSON body, its HTML, the key and public key."""
    out = BENCH / "template"
    if not (out / "report.json").exists():
        sys.path.insert(0, str(ROOT / "examples"))
        import joblib
        from make_credit_data import make_credit_data
        from sklearn.compose import ColumnTransformer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import OneHotEncoder, StandardScaler

        shutil.rmtree(BENCH, ignore_errors=True)
        BENCH.mkdir(parents=True)
        data = make_credit_data(3000, seed=1)
        features = ["age", "zip_region", "income", "debt_to_income", "previous_defaults", "home_ownership"]
        cat = [c for c in features if data[c].dtype.kind not in "if"]
        pre = ColumnTransformer([("c", OneHotEncoder(handle_unknown="ignore"), cat),
                                 ("n", StandardScaler(), [c for c in features if c not in cat])])
        model = Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=500))]).fit(data[features], data["approved"])
        joblib.dump(model, BENCH / "model.joblib")
        data.to_csv(BENCH / "data.csv", index=False)
        subprocess.run([sys.executable, "-m", "raudit.cli", "keygen", str(BENCH / "k.key")], check=True, capture_output=True)
        subprocess.run([sys.executable, "-m", "raudit.cli", str(BENCH / "model.joblib"), str(BENCH / "data.csv"), "--target", "approved",
                        "--sensitive", "sex", "--format", "json,html", "--sign-key", str(BENCH / "k.key"), "--out", str(out), "-q",
                        "--fail-on", "never"], check=True)
    return json.loads((out / "report.json").read_text()), (out / "report.html").read_bytes(), BENCH / "k.key", BENCH / "k.key.pub"


def variation(body: dict, i: int, rng: random.Random) -> dict:
    """Entry ``i``: its model, time, version, metrics and statuses (only the parts that change are copied)."""
    from raudit.report.results import worst
    from raudit.trust.digest import content_digest

    m, k = i % MODELS, i // MODELS
    out = dict(body)
    lineage = dict(body["lineage"])
    version = k // 100
    lineage["created_utc"] = (datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=8 * k, minutes=m)).isoformat()
    lineage["model_file"] = {**lineage["model_file"], "name": f"model-{m}.joblib",
                             "sha256": hashlib.sha256(f"{m}/{version}".encode()).hexdigest()}
    lineage["data_file"] = {**lineage["data_file"], "sha256": hashlib.sha256(f"data/{k // 30}".encode()).hexdigest()}
    out["lineage"] = lineage
    checks = []
    for c in body["checks"]:
        if c["name"] == "performance":
            c = copy.deepcopy(c)
            c["metrics"]["accuracy"] = round(0.70 + 0.05 * rng.random(), 4)
            c["metrics"]["roc_auc"] = auc = round(0.62 + 0.15 * rng.random(), 4)
            c["status"] = "fail" if auc < 0.6 else "warn" if auc < 0.7 else "pass"
        elif c["name"] == "fairness":
            c = copy.deepcopy(c)
            c["metrics"]["worst_selection_rate_ratio"] = ratio = round(0.7 + 0.25 * rng.random(), 4)
            c["status"] = "fail" if ratio < 0.8 else "pass"
        checks.append(c)
    out["checks"] = checks
    out["status"] = worst(c["status"] for c in checks)
    out["integrity"] = {"algorithm": "sha256", "digest": content_digest(out)}
    return out


def generate(body: dict, html: bytes, key, start: int, count: int, rng: random.Random):
    from raudit.ledger.store import ReportSet
    from raudit.trust.signing import sign_statement

    sets = []
    for i in range(start, start + count):
        varied = variation(body, i, rng)
        data = (json.dumps(varied, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
        files = {"report.json": data, "report.html": html}
        files["report.intoto.json"] = sign_statement(files, varied, key)
        sets.append(ReportSet(files))
    return sets


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def ingest(url: str, entries: int) -> dict:
    from raudit.ledger.store import open_ledger
    from raudit.trust.signing import load_private_key, load_public_key

    body, html, key_path, pub_path = template()
    key, trusted = load_private_key(key_path), [load_public_key(pub_path)]
    rng = random.Random(0)
    timed, load = 0.0, [loadavg()]
    with open_ledger(url) as ledger:
        for start in range(0, entries, 100):
            batch = generate(body, html, key, start, min(100, entries - start), rng)
            t0 = time.perf_counter()
            ledger.add(batch, trusted)
            timed += time.perf_counter() - t0
        load.append(loadavg())
        t0 = time.perf_counter()
        from raudit.ledger.verify import verify_ledger

        result = verify_ledger(ledger)
        verify_s = time.perf_counter() - t0
    assert result.ok and result.entries == entries, result.problems[:3]
    return {"ingest_s": timed, "per_entry_ms": 1000 * timed / entries, "verify_s": verify_s, "load": load,
            "set_kb": (len(generate(body, html, key, 0, 1, random.Random(0))[0].files["report.json"]) + len(html)) / 1024}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str, times: list[float], n: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _ in range(n):
        t0 = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        data = response.read()
        times.append(time.perf_counter() - t0)
        assert response.status == 200 and len(data) > 1000, response.status
    conn.close()


def load_loop(url: str, entries: int) -> dict:
    """Serve in a separate process; fetch pages in a bounded loop (at most 200 requests per measurement)."""
    from raudit.ledger.reading import models
    from raudit.ledger.store import open_ledger

    with open_ledger(url) as ledger:
        model = next(m for m in models(ledger) if m["name"] == "model-0.joblib")
    port = _free_port()
    env = {**os.environ, "RAUDIT_LEDGER": url}
    server = subprocess.Popen([sys.executable, "-m", "raudit.cli", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        out: dict = {"audits": model["audits"], "load": [loadavg()]}
        for name, path in (("model page", f"/models/{model['id']}"), ("models page", "/"), ("audit page", f"/audits/{entries - 1}")):
            _get(port, path, [], 3)  # warm up
            times: list[float] = []
            _get(port, path, times, 100 if name == "model page" else 40)
            out[name] = times
        times = []
        threads = [threading.Thread(target=_get, args=(port, f"/models/{model['id']}", times, 50)) for _ in range(4)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        out["model page, 4 clients"] = times
        out["throughput_4"] = len(times) / (time.perf_counter() - t0)
        out["page_kb"] = len(http_get(port, f"/models/{model['id']}")) / 1024
        out["load"].append(loadavg())
        return out
    finally:
        server.terminate()
        server.wait(10)


def http_get(port: int, path: str) -> bytes:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path)
    data = conn.getresponse().read()
    conn.close()
    return data


def pct(times: list[float], q: float) -> float:
    return 1000 * statistics.quantiles(times, n=100)[int(q) - 1]


def run(backend: str, entries: int) -> None:
    cluster = None
    if backend == "sqlite":
        db = BENCH / "bench-ledger.db"
        for p in BENCH.glob("bench-ledger.db*"):
            p.unlink()
        url = str(db)
    else:
        from tests.ledger._postgres import Cluster, binaries

        cluster = Cluster(binaries()).start()
        url = cluster.create()
    try:
        done = ingest(url, entries)
        size = sum(p.stat().st_size for p in BENCH.glob("bench-ledger.db*")) if backend == "sqlite" else None
        print(f"\n[{backend}] ingest {entries:,} signed entries ({done['set_kb']:.0f} KB per set): {done['ingest_s']:.1f} s "
              f"({done['per_entry_ms']:.2f} ms per entry){f', database {size / 2**30:.2f} GiB' if size else ''}; "
              f"ledger verify of all: {done['verify_s']:.1f} s; load average {done['load'][0]} → {done['load'][1]}")
        served = load_loop(url, entries)
        for name in ("model page", "models page", "audit page", "model page, 4 clients"):
            t = served[name]
            print(f"[{backend}] {name:<24} n={len(t):>3}  p50 {pct(t, 50):6.1f} ms  p95 {pct(t, 95):6.1f} ms  max {1000 * max(t):6.1f} ms")
        print(f"[{backend}] model page: {served['audits']:,} audits, {served['page_kb']:.0f} KB; 4 clients: "
              f"{served['throughput_4']:.1f} pages/s; load average {served['load'][0]} → {served['load'][1]}")
    finally:
        if cluster is not None:
            cluster.stop()


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # a terminated run still stops its PostgreSQL server
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--entries", type=int, default=10_000)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; load average {loadavg()}")
    for backend in (["sqlite", "postgresql"] if args.backend == "both" else [args.backend]):
        run(backend, args.entries)


if __name__ == "__main__":
    main()
