"""Text classifiers: Hugging Face model folders and scikit-learn text pipelines.

A Hugging Face folder (``config.json``, ``*.safetensors`` weights, tokenizer
files) is inspected before transformers sees it, and loaded with
``AutoModelForSequenceClassification`` under rules that keep "opening a model
runs nothing unreviewed" true:

=====================================  ===============================================================
what the folder holds                  what raudit does
=====================================  ===============================================================
``auto_map`` in ``config.json`` or     refused (exit 2): it asks for the author's Python code; loading
``tokenizer_config.json``              the stock class instead would audit a different model
an architecture or tokenizer class     refused: same reason (``trust_remote_code`` is never set)
transformers does not ship
an architecture that is not a          refused: a freshly initialised head would be audited
sequence classifier
``*.safetensors`` weights              loaded (safetensors holds tensors only)
only ``.bin``/``.pt``/``.pth`` weights refused unless ``--trust-model``; then ``torch.load(weights_only=True)``
weights missing for some layers        refused: those layers would be random
=====================================  ===============================================================

Nothing is downloaded: ``HF_HUB_OFFLINE``/``TRANSFORMERS_OFFLINE`` are forced
and every ``from_pretrained`` call is ``local_files_only=True``.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from raudit.errors import InputError, import_optional
from raudit.load.adapters import ModelAdapter, SklearnAdapter, Task

__all__ = ["TextClassifierAdapter", "SklearnTextAdapter", "is_hf_directory", "inspect_hf_directory", "load_hf_text", "as_text_model",
           "text_column_of"]

#: Weight files that are pickles (torch.save): refused unless the user trusts the folder.
PICKLED_WEIGHTS = (".bin", ".pt", ".pth", ".ckpt", ".pkl")
#: Tokenizer files transformers reads without running code (JSON, plain vocabularies, SentencePiece protobufs).
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "vocab.json", "merges.txt", "spiece.model", "sentencepiece.bpe.model",
                   "tokenizer.model")
#: Largest JSON config raudit parses before loading (a real one is a few kB).
MAX_CONFIG_BYTES = 10 * 2**20
DEFAULT_BATCH_SIZE = 32


def is_hf_directory(path: Path) -> bool:
    """Whether ``path`` is a folder holding a Hugging Face ``config.json``."""
    return path.is_dir() and (path / "config.json").is_file()


def _read_json(path: Path) -> dict[str, Any]:
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise InputError(f"{path} is {path.stat().st_size:,} bytes, too large for a model configuration")
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise InputError(f"{path} must hold a JSON object")
    return value


def _transformers() -> Any:
    """Import transformers offline and quiet (the environment is set before the import)."""
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY", "HF_HUB_DISABLE_PROGRESS_BARS"):
        os.environ[key] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    transformers: Any = import_optional("transformers", needed_by="Hugging Face model folders need transformers",
                                         install="raudit[text]")
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    return transformers


# size: a reviewed list of checks over every file a Hugging Face folder may hold
def inspect_hf_directory(path: Path, *, trust: bool) -> dict[str, Any]:
    """Read a model folder's configs and list its files, refusing what would run code or audit another model.

    Parameters
    ----------
    path : Path
        The folder (holds ``config.json``).
    trust : bool
        ``--trust-model``: allow pickled ``.bin``/``.pt`` weights (still read with ``weights_only=True``).

    Returns
    -------
    dict
        ``model_type``, ``architecture``, ``weights`` (file names), ``weights_format``
        (``"safetensors"`` or ``"torch.load(weights_only=True)"``), ``tokenizer_files``.

    Raises
    ------
    InputError
        ``auto_map`` (custom code), an architecture or tokenizer class transformers does not ship, an architecture
        that is not a sequence classifier, pickled weights without ``--trust-model``, missing weights or tokenizer.
    """
    refuse_links_out(path)
    config = _read_json(path / "config.json")
    remote = "custom code nobody reviewed; raudit never sets trust_remote_code, and loading the stock class instead " \
             "would audit a different model than its author meant"
    how = "audit a model whose architecture transformers ships (e.g. re-save it with save_pretrained from the stock class), " \
          "or export it to ONNX and audit the .onnx file"
    if "auto_map" in config:
        raise InputError(f"{path / 'config.json'} asks for {remote} (auto_map: {_short(config['auto_map'])})", hint=how)
    transformers = _transformers()
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES
    from transformers.models.auto.modeling_auto import MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES as CLASSIFIERS

    model_type = config.get("model_type")
    if model_type not in CONFIG_MAPPING_NAMES:
        raise InputError(f"{path / 'config.json'}: model_type {model_type!r} is not an architecture transformers "
                         f"{transformers.__version__} ships; loading it would need {remote}", hint=how)
    expected = CLASSIFIERS.get(str(model_type))
    if expected is None:
        raise InputError(f"{path}: transformers has no sequence classifier for model_type {model_type!r}",
                         hint="raudit audits text classifiers (AutoModelForSequenceClassification)")
    architectures = config.get("architectures") or [expected]
    if not isinstance(architectures, list) or not all(isinstance(a, str) for a in architectures):
        raise InputError(f"{path / 'config.json'}: architectures must be a list of class names; got {architectures!r}")
    for arch in architectures:
        if not isinstance(getattr(transformers, arch, None), type):
            raise InputError(f"{path / 'config.json'}: architecture {arch!r} is not a class transformers ships; "
                             f"it needs {remote}", hint=how)
        if arch != expected:
            raise InputError(f"{path / 'config.json'}: the model is a {arch}, not a sequence classifier ({expected}); "
                             "loading it as one would attach a new, untrained classification head and audit that",
                             hint="audit the fine-tuned classifier's folder (its config names ...ForSequenceClassification)")
    tok_config_path = path / "tokenizer_config.json"
    tokenizer_class = None
    if tok_config_path.is_file():
        tok_config = _read_json(tok_config_path)
        if "auto_map" in tok_config:
            raise InputError(f"{tok_config_path} asks for a tokenizer with {remote} (auto_map: {_short(tok_config['auto_map'])})",
                             hint=how)
        tokenizer_class = tok_config.get("tokenizer_class")
        if tokenizer_class is not None and not isinstance(getattr(transformers, str(tokenizer_class), None), type):
            raise InputError(f"{tok_config_path}: tokenizer_class {tokenizer_class!r} is not a class transformers ships; "
                             f"it needs {remote}", hint=how)
    tokenizer_files = sorted(p.name for p in path.iterdir() if p.name in TOKENIZER_FILES)
    if not tokenizer_files:
        raise InputError(f"{path} has no tokenizer files ({', '.join(TOKENIZER_FILES[:3])}, ...)",
                         hint="save the tokenizer into the same folder: tokenizer.save_pretrained(folder)")
    if (path / "tokenizer.json").is_file():
        check_tokenizer_patterns(path / "tokenizer.json")
    safe = sorted(p.name for p in path.glob("*.safetensors"))
    pickled = sorted(p.name for p in path.iterdir() if p.suffix in PICKLED_WEIGHTS)
    if safe:
        weights, fmt = safe, "safetensors"
    elif pickled:
        if not trust:
            raise InputError(
                f"{path} holds its weights only as pickles ({', '.join(pickled)}); unpickling can run code, so raudit "
                "refuses them by default",
                hint="convert them to safetensors (model.save_pretrained(folder, safe_serialization=True)), or, if you "
                     "trust the folder's source, rerun with --trust-model: raudit then reads them with "
                     "torch.load(weights_only=True), which builds tensors only")
        weights, fmt = pickled, "torch.load(weights_only=True)"
    else:
        raise InputError(f"{path} has a config.json but no weights (*.safetensors)",
                         hint="save the model into the folder with model.save_pretrained(folder)")
    return {"model_type": model_type, "architecture": architectures[0], "weights": weights, "weights_format": fmt,
            "tokenizer_files": tokenizer_files, "tokenizer_class": tokenizer_class}


def refuse_links_out(folder: Path) -> None:
    """Refuse a model folder holding a symbolic link that resolves outside it (weights read from anywhere on the machine).

    Raises
    ------
    InputError
        Naming the link and where it points.
    """
    root = folder.resolve()
    for item in folder.rglob("*"):
        if item.is_symlink():
            target = item.resolve()
            if target != root and root not in target.parents:
                raise InputError(f"{item} is a symbolic link to {target}, outside the model's folder {folder}: raudit reads "
                                 "a model folder's files only from inside it",
                                 hint="copy the file into the folder instead of linking to it")


#: Pre-tokenizer patterns of widely used tokenizers, reviewed as they are (they use lookahead, which the
#: general rule refuses, in a way that cannot backtrack exponentially): GPT-2's and RoBERTa's byte-level split.
KNOWN_PATTERNS: Final = frozenset({
    r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+",
})


def _patterns(node: Any, depth: int = 0) -> list[str]:
    if depth > 40:
        return []
    if isinstance(node, dict):
        found = [v for k, v in node.items() if k == "Regex" and isinstance(v, str)]
        return found + [p for k, v in node.items() for p in _patterns(v, depth + 1)]
    if isinstance(node, list):
        return [p for v in node for p in _patterns(v, depth + 1)]
    return []


def check_tokenizer_patterns(path: Path) -> None:
    r"""Refuse a ``tokenizer.json`` whose regular expressions (``Split``, ``Replace``) can make the tokenizer hang or panic.

    The Rust tokenizers run them with a backtracking engine (Oniguruma); the rule is
    :func:`raudit.load.pickle.state.check_pattern`'s, with ``\\p{..}`` classes read as one character.

    Raises
    ------
    InputError
        Naming the pattern and what is wrong with it.
    """
    from raudit.load.pickle.state import PATTERN_HINT, StateError, check_pattern, state_review

    if not state_review():
        return
    for pattern in _patterns(_read_json(path)):
        if pattern in KNOWN_PATTERNS:
            continue
        plain = re.sub(r"\\[pP]\{[A-Za-z_ =]+\}", "a", pattern)
        try:
            check_pattern(plain, f"{path} pattern")
        except StateError as exc:
            raise InputError(f"refusing {path}: {exc} ({pattern!r})", hint=PATTERN_HINT) from None


def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@dataclass
class TextClassifierAdapter(ModelAdapter):
    """A Hugging Face sequence classifier reading one text column.

    ``predict_proba`` tokenizes the texts in batches of ``batch_size``
    (sorted by length, so a batch pads little), runs the model without
    gradients on the GPU when there is one, and returns the softmax of the
    logits in the order of ``classes_`` (from the config's ``id2label``).

    ``predict`` and ``predict_proba`` on the same texts, one right after the
    other (as the audit context asks for both), share one forward pass: the
    first keeps its logits for the next call of the *other* method only, so
    repeated calls of one method (the energy check's timing) always compute.
    """

    tokenizer: Any = None
    text_column: str = "text"
    batch_size: int = DEFAULT_BATCH_SIZE
    max_length: int = 512
    device: str = "cpu"
    _handoff: tuple[str, int, np.ndarray] | None = field(default=None, repr=False)

    def _shared_logits(self, texts: list[str], method: str) -> np.ndarray:
        """Logits of ``texts``, taken from the other method's call just before when it saw the same texts."""
        key = hash(tuple(texts))
        handoff, self._handoff = self._handoff, None
        if handoff is not None and handoff[0] != method and handoff[1] == key:
            return handoff[2]
        z = self.logits(texts)
        self._handoff = (method, key, z)
        return z

    def texts(self, X: pd.DataFrame) -> list[str]:
        """The text column of ``X`` as a list of strings (missing values become empty texts)."""
        return X[self.text_column].fillna("").astype(str).tolist()

    def logits(self, texts: list[str]) -> np.ndarray:
        """Raw model outputs of shape ``(n_texts, n_labels)``."""
        import torch

        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.empty((len(texts), int(self.model.config.num_labels)), dtype=float)
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                idx = order[start : start + self.batch_size]
                enc = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True, max_length=self.max_length,
                                     return_tensors="pt")
                enc = {k: v.to(self.device) for k, v in enc.items()}
                out[idx] = self.model(**enc).logits.float().cpu().numpy()
        return out

    def proba_texts(self, texts: list[str]) -> np.ndarray:
        """Class probabilities for a list of texts, shape ``(n_texts, n_classes)``."""
        return _softmax(self.logits(texts))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray | None:  # noqa: D102
        if self.task == "regression":
            return None
        return _softmax(self._shared_logits(self.texts(X), "predict_proba"))

    def predict(self, X: pd.DataFrame) -> np.ndarray:  # noqa: D102
        z = self._shared_logits(self.texts(X), "predict")
        if self.task == "regression":
            return z[:, 0]
        assert self.classes_ is not None
        return self.classes_[z.argmax(axis=1)]

    def describe(self) -> dict[str, Any]:  # noqa: D102
        return {**super().describe(), "text_column": self.text_column, "batch_size": self.batch_size,
                "max_length": self.max_length, "device": self.device}


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _classes(config: Any) -> np.ndarray:
    """Class labels from ``id2label``: integers for transformers' default ``LABEL_i`` names and for digit strings."""
    n = int(config.num_labels)
    names = [str(config.id2label.get(i, f"LABEL_{i}")) for i in range(n)]
    if all(name == f"LABEL_{i}" for i, name in enumerate(names)):
        return np.arange(n)
    if all(name.lstrip("-").isdigit() for name in names):
        return np.array([int(name) for name in names])
    return np.array(names, dtype=object)


# size: inspect, then build config, tokenizer and weights, each step with its own refusal
def load_hf_text(path: Path, *, text_column: str | None, trust: bool, batch_size: int = DEFAULT_BATCH_SIZE) -> TextClassifierAdapter:
    """Load a local Hugging Face text classifier folder (offline, no custom code) as a :class:`ModelAdapter`.

    Parameters
    ----------
    path : Path
        Folder with ``config.json``, weights and tokenizer files.
    text_column : str
        The data column holding the texts (``--text-column``).
    trust : bool
        ``--trust-model``: allow pickled weights, read with ``torch.load(weights_only=True)``.
    batch_size : int
        Texts per forward pass.

    Raises
    ------
    InputError
        See :func:`inspect_hf_directory`; also no text column, a load failure, or weights missing for some layers.
    """
    if text_column is None:
        raise InputError(f"{path} is a Hugging Face text classifier: raudit needs the data column that holds the texts",
                         hint="name it with --text-column COLUMN (or text_column = \"...\" in raudit.toml)")
    plan = inspect_hf_directory(path, trust=trust)
    transformers = _transformers()
    import_optional("torch", needed_by="Hugging Face models need PyTorch", install="raudit[torch,text]")
    common = {"trust_remote_code": False, "local_files_only": True}
    try:
        config = transformers.AutoConfig.from_pretrained(str(path), **common)
        model, loading = transformers.AutoModelForSequenceClassification.from_pretrained(
            str(path), config=config, use_safetensors=plan["weights_format"] == "safetensors", weights_only=True,
            output_loading_info=True, **common)
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(path), **common)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"cannot load the Hugging Face model in {path}: {type(exc).__name__}: {str(exc)[:400]}") from None
    missing = list(loading.get("missing_keys") or []) + [str(k) for k in loading.get("mismatched_keys") or []]
    if missing:
        raise InputError(f"{path}: the weights lack {len(missing)} tensor(s) the {plan['architecture']} needs "
                         f"({', '.join(missing[:4])}{', ...' if len(missing) > 4 else ''}); transformers would initialise "
                         "them at random, so the audit would judge a different model",
                         hint="save the fine-tuned model itself with model.save_pretrained(folder)")
    device = _device()
    model.to(device).eval()
    task: Task
    if config.problem_type == "regression" or int(config.num_labels) == 1:
        task, classes = "regression", None
    else:
        classes = _classes(config)
        task = "binary" if len(classes) == 2 else "multiclass"
    limit = getattr(tokenizer, "model_max_length", 512)
    max_length = int(min(limit if isinstance(limit, int) else 512, getattr(config, "max_position_embeddings", 512) or 512, 4096))
    info = {"format": f"Hugging Face folder ({plan['architecture']}, {plan['weights_format']})",
            "loader": "transformers AutoModelForSequenceClassification + AutoTokenizer (local_files_only, offline, "
                      "trust_remote_code=False)",
            "trust": ("pickled weights read with torch.load(weights_only=True) after --trust-model"
                      if plan["weights_format"] != "safetensors" else "safetensors weights and JSON configs: no code runs"),
            "weights": plan["weights"], "tokenizer_files": plan["tokenizer_files"], "transformers": transformers.__version__}
    return TextClassifierAdapter(model=model, task=task, classes_=classes, feature_names=(text_column,), load_info=info,
                                 tokenizer=tokenizer, text_column=text_column, batch_size=batch_size, max_length=max_length,
                                 device=device)


@dataclass
class SklearnTextAdapter(SklearnAdapter):
    """A scikit-learn text pipeline (e.g. TfidfVectorizer + LogisticRegression) fitted on a column of texts."""

    text_column: str = "text"

    def _input(self, X: pd.DataFrame) -> Any:
        if hasattr(self.model, "feature_names_in_"):  # fitted on a DataFrame (e.g. a ColumnTransformer): give it the frame
            return X
        return X[self.text_column].fillna("").astype(str)

    def describe(self) -> dict[str, Any]:  # noqa: D102
        return {**super().describe(), "text_column": self.text_column}


def as_text_model(adapter: ModelAdapter, text_column: str | None) -> ModelAdapter:
    """Make a scikit-learn adapter read ``text_column`` as its texts; other adapters are returned as they are."""
    if text_column is None or type(adapter) is not SklearnAdapter:
        return adapter
    names = adapter.feature_names if hasattr(adapter.model, "feature_names_in_") else (text_column,)
    return SklearnTextAdapter(model=adapter.model, task=adapter.task, classes_=adapter.classes_, feature_names=names,
                              load_info={**adapter.load_info, "text_column": text_column}, text_column=text_column)


def text_column_of(ctx: Any) -> str | None:
    """The audit's text column when the model reads free text (``--text-column``), else ``None``."""
    column = getattr(ctx.config, "text_column", None)
    return column if column is not None and column in ctx.X.columns else None
