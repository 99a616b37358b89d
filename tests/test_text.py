"""Hugging Face text classifiers from a local folder: safe loading, offline, audits end to end, hostile folders refused.

The models are made here: a WordPiece tokenizer trained on generated loan notes and a 2-layer, hidden-32 BERT fine-tuned
for a few seeded steps (tests/text_models.py). One is trained to treat notes about women ("she", "her") differently.
"""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import raudit
from raudit import InputError
from raudit.cli import main
from raudit.load.models import load_model
from tests.text_models import make_texts, save_hf, train_bert, train_tfidf

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

QUICK = {"text_explanations": {"sample_size": 8, "max_evals": 120, "lime_samples": 200, "lime_misclassified": 1},
         "counterfactual": {"max_rows": 400}, "fairness": {"mitigation": False},
         "energy": {"latency_calls": 10, "min_measure_s": 0.2}}


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    d = tmp_path_factory.mktemp("hf")
    fair_model, fair_tok = train_bert(make_texts(800, seed=1), seed=0, steps=150, id2label={0: "routine", 1: "escalate"})
    biased_model, biased_tok = train_bert(make_texts(800, seed=1, bias=0.6), seed=0, steps=150)
    test = make_texts(400, seed=2)
    test["escalated"] = test["escalated"].map({0: "routine", 1: "escalate"})
    test.to_csv(d / "notes.csv", index=False)
    make_texts(400, seed=2).to_csv(d / "notes01.csv", index=False)
    return {"fair": save_hf(fair_model, fair_tok, d / "fair"), "biased": save_hf(biased_model, biased_tok, d / "biased"),
            "data": d / "notes.csv", "data01": d / "notes01.csv", "dir": d, "fair_model": fair_model, "fair_tok": fair_tok}


def _copy(src, dst, *, drop=(), edit=None, file="config.json"):
    shutil.copytree(src, dst)
    for name in drop:
        (dst / name).unlink()
    if edit is not None:
        config = json.loads((dst / file).read_text())
        edit(config)
        (dst / file).write_text(json.dumps(config))
    return dst


def test_adapter_matches_transformers_and_reads_labels_from_id2label(folders):
    adapter = load_model(folders["fair"], text_column="note")
    assert adapter.task == "binary" and list(adapter.classes_) == ["routine", "escalate"]
    assert adapter.feature_names == ("note",)
    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"
    notes = pd.read_csv(folders["data"])["note"].tolist()[:50]
    enc = folders["fair_tok"](notes, padding=True, truncation=True, return_tensors="pt")
    with torch.no_grad():
        expected = torch.softmax(folders["fair_model"](**enc).logits, dim=-1).numpy()
    got = adapter.predict_proba(pd.DataFrame({"note": notes}))
    assert np.allclose(got, expected, atol=1e-5), "batched, length-sorted inference must equal one padded batch"
    d = adapter.describe()
    assert d["text_column"] == "note" and d["batch_size"] == 32 and "safetensors" in d["format"]
    adapter.batch_size = 7
    assert np.allclose(adapter.predict_proba(pd.DataFrame({"note": notes})), expected, atol=1e-5)


def test_predict_after_predict_proba_shares_one_forward_pass_but_repeats_compute(folders, monkeypatch):
    adapter = load_model(folders["fair"], text_column="note")
    X = pd.read_csv(folders["data"])[["note"]].iloc[:40]
    calls = []
    real = adapter.logits
    monkeypatch.setattr(adapter, "logits", lambda texts: calls.append(len(texts)) or real(texts))
    proba = adapter.predict_proba(X)
    labels = adapter.predict(X)
    assert calls == [40] and list(labels) == list(adapter.classes_[proba.argmax(axis=1)])
    adapter.predict(X)
    adapter.predict(X)  # the energy check times repeated calls: each one computes
    assert calls == [40, 40, 40]
    adapter.predict_proba(X.iloc[:5])  # other texts: computed
    assert calls == [40, 40, 40, 5]


def test_transformers_is_called_offline_without_remote_code(folders, monkeypatch):
    import transformers

    calls = []
    for name in ("AutoConfig", "AutoModelForSequenceClassification", "AutoTokenizer"):
        cls = getattr(transformers, name)
        real = cls.from_pretrained.__func__

        def spy(klass, *args, _real=real, _name=name, **kwargs):
            calls.append((_name, kwargs))
            return _real(klass, *args, **kwargs)

        monkeypatch.setattr(cls, "from_pretrained", classmethod(spy))
    load_model(folders["fair"], text_column="note")
    assert {n for n, _ in calls} == {"AutoConfig", "AutoModelForSequenceClassification", "AutoTokenizer"}
    for name, kwargs in calls:  # AutoTokenizer's own AutoConfig call included
        assert kwargs.get("trust_remote_code") is False and kwargs.get("local_files_only") is True, (name, kwargs)


def test_counterfactual_catches_the_model_trained_to_treat_she_differently(folders):
    report = raudit.audit(folders["biased"], folders["data01"], target="escalated", sensitive=["sex"],
                          checks=["counterfactual"], config={"text_column": "note", "check": QUICK})
    result = report["counterfactual"]
    assert result.status == "fail"
    swaps = {s["swap"]: s for s in result.details["swaps"] if s["list"] == "gender"}
    assert swaps["masculine → feminine"]["status"] == "fail" and swaps["masculine → feminine"]["mean_score_change"] < 0


def test_counterfactual_passes_the_model_that_was_not(folders):
    check = {**QUICK, "counterfactual": {**QUICK.get("counterfactual", {}), "flip_rate_max": 0.05}}
    report = raudit.audit(folders["fair"], folders["data"], target="escalated", sensitive=["sex"],
                          checks=["counterfactual"], config={"text_column": "note", "check": check})
    assert report["counterfactual"].status == "pass", [f.message for f in report["counterfactual"].findings]
    # at the default 2 %, 0 flips in under 200 texts cannot rule 2 % out at the joint level: inconclusive, never pass
    strict = raudit.audit(folders["fair"], folders["data"], target="escalated", sensitive=["sex"],
                          checks=["counterfactual"], config={"text_column": "note", "check": QUICK})
    assert strict["counterfactual"].status in ("pass", "inconclusive")


def test_token_attributions_satisfy_shap_additivity(folders):
    report = raudit.audit(folders["biased"], folders["data01"], target="escalated", sensitive=["sex"],
                          checks=["text_explanations", "explanations"], config={"text_column": "note", "check": QUICK})
    result = report["text_explanations"]
    assert result.status in ("pass", "warn") and result.metrics["additivity_max_error"] < 1e-6
    for row in result.details["rows"]:
        assert sum(row["values"]) + row["base"] == pytest.approx(row["output"], abs=1e-6)
    top = [w["word"] for w in result.details["global"][:5]]
    assert {"she", "her"} & set(top), top  # the biased model leans on the pronouns
    assert any(f.key == "identity" and f.status == "warn" for f in result.findings)
    assert set(result.details["per_group"]["sex"]) == {"F", "M"}
    assert report["explanations"].status == "skipped" and "text_explanations" in report["explanations"].summary


def test_a_streamed_text_audit_gives_the_in_memory_numbers(folders):
    """Chunks of 64 texts: the same predictions, group counts, swaps and word attributions as reading the file whole."""
    def numbers(engine):
        report = raudit.audit(folders["biased"], folders["data01"], target="escalated", sensitive=["sex"],
                              checks=["performance", "fairness", "counterfactual", "text_explanations"],
                              config={"text_column": "note", "check": QUICK, "engine": engine, "chunk_rows": 64})
        assert report.to_dict()["lineage"]["engine"]["engine"] == engine
        assert {r.status for r in report.results} <= {"pass", "warn", "fail"}, [(r.name, r.summary) for r in report.results]
        return json.dumps([{k: c[k] for k in ("name", "status", "summary", "metrics", "findings", "tables", "details")}
                           for c in report.to_dict()["checks"]], sort_keys=True, default=str)

    assert numbers("stream") == numbers("memory")


def test_text_audit_end_to_end_writes_html_pdf_and_json(folders, tmp_path):
    out = tmp_path / "report"
    res = CliRunner().invoke(main, [str(folders["fair"]), str(folders["data"]), "--text-column", "note", "--target", "escalated",
                                    "--sensitive", "sex", "--out", str(out), "--config", str(_toml(tmp_path)), "--batch-size", "16"])
    assert res.exit_code == 0, res.output  # the fair model passes
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.json", "report.pdf"]
    report = json.loads((out / "report.json").read_text())
    status = {c["name"]: c["status"] for c in report["checks"]}
    assert status["explanations"] == "skipped" and "error" not in status.values(), status
    assert report["config"]["text_column"] == "note"
    assert report["lineage"]["model"]["batch_size"] == 16 and report["config"]["batch_size"] == 16
    energy = next(c for c in report["checks"] if c["name"] == "energy")
    assert energy["details"]["inference"]["model_batch_size"] == 16 and "batches of 16" in json.dumps(energy["tables"])
    assert len(report["lineage"]["model_file"]["sha256"]) == 64  # the folder's files, hashed together
    html = (out / "report.html").read_text()
    assert "Counterfactual fairness (text)" in html and "Explanations (text)" in html
    done = CliRunner().invoke(main, ["verify", str(out / "report.json")])
    assert done.exit_code == 0, done.output


def _toml(tmp_path):
    lines = []
    for check, options in QUICK.items():
        lines.append(f"[check.{check}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in options.items()]
    path = tmp_path / "raudit.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _cli(folder, data, tmp_path, *extra):
    return CliRunner().invoke(main, [str(folder), str(data), "--text-column", "note", "--target", "escalated",
                                     "--out", str(tmp_path / "o"), "--checks", "performance", *extra])


def _bin_only(src, dst):
    from safetensors.torch import load_file

    _copy(src, dst, drop=["model.safetensors"])
    torch.save(load_file(str(src / "model.safetensors")), dst / "pytorch_model.bin")
    return dst


HOSTILE = [
    ("config_auto_map", lambda s, d: _copy(s, d, edit=lambda c: c.update(auto_map={"AutoModelForSequenceClassification": "modeling_x.X"})),
     "config.json asks for custom code nobody reviewed"),
    ("tokenizer_auto_map", lambda s, d: _copy(s, d, file="tokenizer_config.json",
                                             edit=lambda c: c.update(auto_map={"AutoTokenizer": ["tok.MyTok", None]})),
     "tokenizer_config.json asks for a tokenizer with custom code"),
    ("unknown_architecture", lambda s, d: _copy(s, d, edit=lambda c: c.update(architectures=["BertWithBackdoor"])),
     "architecture 'BertWithBackdoor' is not a class transformers ships"),
    ("unknown_model_type", lambda s, d: _copy(s, d, edit=lambda c: c.update(model_type="my-bert")),
     "model_type 'my-bert' is not an architecture transformers"),
    ("unknown_tokenizer_class",
     lambda s, d: _copy(s, d, file="tokenizer_config.json", edit=lambda c: c.update(tokenizer_class="EvilTokenizer")),
     "tokenizer_class 'EvilTokenizer' is not a class transformers ships"),
    ("not_a_classifier", lambda s, d: _copy(s, d, edit=lambda c: c.update(architectures=["BertForMaskedLM"])),
     "not a sequence classifier"),
    ("bin_pickle_only", _bin_only, "holds its weights only as pickles (pytorch_model.bin)"),
    ("no_weights", lambda s, d: _copy(s, d, drop=["model.safetensors"]), "no weights"),
    ("no_tokenizer", lambda s, d: _copy(s, d, drop=["tokenizer.json"]), "no tokenizer files"),
]


@pytest.mark.parametrize("case,make,message", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_or_broken_folders_exit_2(folders, tmp_path, case, make, message):
    folder = make(folders["fair"], tmp_path / case)
    res = _cli(folder, folders["data"], tmp_path)
    assert res.exit_code == 2, res.output
    assert message in res.output and "Traceback" not in res.output
    assert not (tmp_path / "o").exists()


def test_missing_head_weights_are_refused(folders, tmp_path):
    from safetensors.torch import load_file, save_file

    folder = _copy(folders["fair"], tmp_path / "headless")
    weights = {k: v for k, v in load_file(str(folder / "model.safetensors")).items() if not k.startswith("classifier")}
    save_file(weights, str(folder / "model.safetensors"), metadata={"format": "pt"})
    with pytest.raises(InputError, match="initialise them at random"):
        load_model(folder, text_column="note")


def test_bin_weights_with_trust_model_go_through_weights_only_torch_load(folders, tmp_path, monkeypatch):
    folder = _bin_only(folders["fair"], tmp_path / "bin")
    seen = []
    real = torch.load

    def spy(*args, **kwargs):
        seen.append(kwargs.get("weights_only"))
        return real(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    adapter = load_model(folder, text_column="note", trust_model=True)
    assert seen and all(w is True for w in seen)
    assert "weights_only=True" in adapter.load_info["trust"]
    notes = pd.read_csv(folders["data"])[["note"]].iloc[:20]
    assert np.allclose(adapter.predict_proba(notes), load_model(folders["fair"], text_column="note").predict_proba(notes), atol=1e-6)


def test_a_model_folder_needs_the_text_column(folders, tmp_path):
    res = CliRunner().invoke(main, [str(folders["fair"]), str(folders["data"]), "--target", "escalated", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "--text-column" in res.output
    res = _cli(folders["fair"], folders["data"], tmp_path, "--text-column", "comment")
    assert res.exit_code == 2 and "'comment'" in res.output


def test_sklearn_text_pipeline_through_the_safe_pickle_path(tmp_path, folders):
    import joblib

    train = make_texts(800, seed=1, bias=0.6)
    joblib.dump(train_tfidf(train), tmp_path / "tfidf.joblib")
    report = raudit.audit(tmp_path / "tfidf.joblib", folders["data01"], target="escalated", sensitive=["sex"],
                          checks=["performance", "fairness", "counterfactual", "text_explanations", "energy"],
                          config={"text_column": "note", "check": QUICK})
    assert report.lineage["model"]["format"] == "pickle/joblib" and report.lineage["model"]["text_column"] == "note"
    assert "restricted unpickler" in report.lineage["model"]["loader"]
    assert report["counterfactual"].status == "fail" and report["fairness"].status != "error"
    assert report["fairness"].details["proxies"]["sex"] == []  # the text column is no proxy candidate: each text is its own category
    assert report["text_explanations"].metrics["additivity_max_error"] < 1e-6
    assert report["energy"].details["training"]["source"] == "refit"  # the clone is refitted on the text column
