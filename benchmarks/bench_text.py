"""Text classifiers on 10,000 loan notes: inference throughput per batch size, and the time of a whole audit.

Models are made locally (tests/text_models.py): the test-size BERT (2 layers, hidden 32) fine-tuned for 150 seeded
steps, and a BERT-mini-size one (4 layers, hidden 256, ~4.8M parameters with this 300-word vocabulary) fine-tuned the
same way, to show how throughput scales with model size. Threads are pinned with threadpoolctl and torch.set_num_threads.

    .venv/bin/python benchmarks/bench_text.py [--rows 10000] [--threads 2] [--out /tmp/bench_text]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def throughput(adapter, notes: list[str], batch: int) -> tuple[float, float]:
    """Texts per second of wall time and of this process's CPU time (the machine may be shared), warm.

    torch picks and caches CPU kernels per tensor shape: the first pass over texts of new lengths is several times
    slower, so one untimed pass over the same texts comes first.
    """
    adapter.batch_size = batch
    adapter.proba_texts(notes)  # warm-up: every shape once
    t0, c0 = time.perf_counter(), time.process_time()
    adapter.proba_texts(notes)
    return len(notes) / (time.perf_counter() - t0), len(notes) / (time.process_time() - c0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench_text"))
    parser.add_argument("--skip-mini-audit", action="store_true")
    parser.add_argument("--no-audits", action="store_true", help="measure throughput only")
    args = parser.parse_args()
    import torch
    from threadpoolctl import threadpool_limits
    from transformers import BertConfig, BertForSequenceClassification

    from raudit.load.models import load_model
    from tests.text_models import make_texts, save_hf, train_bert

    args.out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(args.threads)
    results: dict[str, object] = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                                  "load_average_at_start": os.getloadavg(),
                                  "threads": args.threads, "rows": args.rows, "torch": torch.__version__}
    with threadpool_limits(args.threads):
        train = make_texts(2000, seed=1, bias=0.6)
        data = make_texts(args.rows, seed=2)
        data.to_csv(args.out / "notes.csv", index=False)
        notes = data["note"].tolist()
        results["mean_note_chars"] = float(data["note"].str.len().mean())
        tiny, tok = train_bert(train, seed=0, steps=150)
        save_hf(tiny, tok, args.out / "tiny")
        torch.manual_seed(0)
        mini_cfg = BertConfig(vocab_size=len(tok), hidden_size=256, num_hidden_layers=4, num_attention_heads=4,
                              intermediate_size=1024, max_position_embeddings=64, id2label={0: "0", 1: "1"}, label2id={"0": 0, "1": 1})
        mini = BertForSequenceClassification(mini_cfg)
        save_hf(mini.eval(), tok, args.out / "mini")
        for name in ("tiny", "mini"):
            adapter = load_model(args.out / name, text_column="note")
            params = sum(p.numel() for p in adapter.model.parameters())
            tokens = [len(tok(n)["input_ids"]) for n in notes[:500]]
            rates = {b: throughput(adapter, notes[:1000], b) for b in (1, 8, 32, 128)}  # 1,000 texts per batch size
            adapter = load_model(args.out / name, text_column="note")  # fresh: its first pass is cold, as in an audit
            passes = []
            for _ in range(2):  # all rows at the default batch size: cold, then warm
                t0, c0 = time.perf_counter(), time.process_time()
                adapter.proba_texts(notes)
                passes.append((round(time.perf_counter() - t0, 1), round(time.process_time() - c0, 1)))
            results[name] = {"parameters": params, "mean_tokens": float(sum(tokens) / len(tokens)),
                             "texts_per_wall_s_by_batch_on_1000": {str(b): round(r[0], 1) for b, r in rates.items()},
                             "texts_per_cpu_s_by_batch_on_1000": {str(b): round(r[1], 1) for b, r in rates.items()},
                             f"wall_cpu_s_for_{len(notes)}_texts_at_batch_32_cold_then_warm": passes}
            print(name, results[name], flush=True)
    # whole audits, each its own process (wall time includes start-up and imports)
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "CODECARBON_LOG_LEVEL": "error"}
    runs = [] if args.no_audits else [("tiny", "html,pdf,json"), ("tiny", "json")] + ([] if args.skip_mini_audit else [("mini", "json")])
    for name, formats in runs:
        out = args.out / f"report-{name}-{formats.replace(',', '-')}"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "raudit.cli", str(args.out / name), str(args.out / "notes.csv"), "--text-column",
                               "note", "--target", "escalated", "--sensitive", "sex", "--format", formats, "--out", str(out),
                               "--quiet"], env=env, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        report = json.loads((out / "report.json").read_text()) if (out / "report.json").exists() else {}
        per_check = {c["name"]: round(c["duration_s"], 1) for c in report.get("checks", [])}
        results[f"audit_{name}_{formats}"] = {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "peak_rss_mb": after.ru_maxrss // 1024,
                                              "exit": done.returncode, "checks_s": per_check,
                                              "stderr": done.stderr[-300:]}
        print(name, formats, results[f"audit_{name}_{formats}"], flush=True)
    results["load_average_at_end"] = os.getloadavg()
    (args.out / "results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
