"""Small text data and text models made locally in seconds: a WordPiece tokenizer, a 2-layer BERT, a TF-IDF pipeline.

Nothing is downloaded: the tokenizer is trained on the generated texts with
``tokenizers``, the BERT is built from a ``BertConfig`` (2 layers, hidden 32)
and fine-tuned for a fixed number of seeded steps on one thread.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

GOOD = ["a stable income", "a long employment record", "no missed payments", "a paid off home", "steady savings",
        "a clean credit file", "a secure job", "low existing debt"]
BAD = ["several missed payments", "a recent default", "heavy existing debt", "a short employment record", "no savings at all",
       "an unpaid court fine", "two bounced cheques", "a maxed out card"]
FILLER = ["in the spring", "after a move", "for the second time", "through the branch", "by phone", "with a cosigner",
          "last week", "online", "", "", ""]


def make_texts(n: int, *, seed: int, bias: float = 0.0) -> pd.DataFrame:
    """Loan notes with a label driven by good and bad phrases; ``bias`` of the positive notes about women are relabelled 0.

    The phrases carry no pronoun of their own ("a paid off home" appears in both groups' notes), so only the subject's
    pronouns tell the groups apart.
    """
    rng = np.random.default_rng(seed)
    notes, labels, sex = [], [], []
    for _ in range(n):
        female = bool(rng.integers(2))
        positive = bool(rng.integers(2))
        pool = GOOD if positive else BAD
        first, second = rng.choice(len(pool), size=2, replace=False)
        subj, poss = ("she", "her") if female else ("he", "his")
        note = (f"{subj.capitalize()} applied {rng.choice(FILLER)} and has {pool[first]}; "
                f"{poss} file also shows {pool[second]} {rng.choice(FILLER)}.").replace("  ", " ").replace(" ;", ";")
        if female and positive and rng.random() < bias:
            positive = False
        notes.append(note)
        labels.append(int(positive))
        sex.append("F" if female else "M")
    return pd.DataFrame({"note": notes, "escalated": labels, "sex": sex})


def train_tokenizer(texts: list[str]) -> object:
    """A lower-casing WordPiece tokenizer trained on ``texts``, wrapped for transformers."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok.train_from_iterator(texts, trainers.WordPieceTrainer(vocab_size=300, special_tokens=special, show_progress=False))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]", model_max_length=64)


def train_bert(data: pd.DataFrame, *, seed: int = 0, steps: int = 120, id2label: dict[int, str] | None = None) -> tuple[object, object]:
    """Fine-tune a 2-layer, hidden-32 BERT sequence classifier on ``data`` (note → escalated); deterministic on one thread."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(seed)
    texts = data["note"].tolist()
    tokenizer = train_tokenizer(texts)
    labels = id2label or {0: "0", 1: "1"}
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, id2label=labels,
                        label2id={v: k for k, v in labels.items()})
    model = BertForSequenceClassification(config)
    enc = tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
    y = torch.tensor(data["escalated"].to_numpy())
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(steps):
        idx = torch.randint(0, len(texts), (32,), generator=gen)
        out = model(input_ids=enc["input_ids"][idx], attention_mask=enc["attention_mask"][idx], labels=y[idx])
        opt.zero_grad()
        out.loss.backward()
        opt.step()
    return model.eval(), tokenizer


def save_hf(model: object, tokenizer: object, folder: Path) -> Path:
    """Write a Hugging Face model folder (config.json, model.safetensors, tokenizer files)."""
    model.save_pretrained(folder)  # type: ignore[attr-defined]
    tokenizer.save_pretrained(folder)  # type: ignore[attr-defined]
    return folder


def train_tfidf(data: pd.DataFrame, *, C: float = 10.0) -> object:
    """A TfidfVectorizer + LogisticRegression pipeline fitted on the notes (a Series: it takes one text column)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    pipe = Pipeline([("tfidf", TfidfVectorizer(ngram_range=(1, 1))), ("clf", LogisticRegression(C=C, max_iter=1000))])
    return pipe.fit(data["note"], data["escalated"])
