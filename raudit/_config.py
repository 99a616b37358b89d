"""One validated, immutable configuration for an audit.

CLI flags and an optional ``raudit.toml`` merge into :class:`AuditConfig`;
flags win over the file. Unknown keys are errors that name the key. The
effective configuration is written into every report.

A ``raudit.toml`` looks like::

    target = "approved"
    sensitive = ["sex", "ethnicity"]
    seed = 0
    fail_on = "fail"            # fail | warn | never
    formats = ["html", "pdf", "json"]
    out = "raudit-report"
    checks = ["performance"]    # allow-list; omit to run every check

    [check.performance]
    roc_auc_warn = 0.75
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from raudit._errors import ConfigError, InputError

__all__ = ["AuditConfig", "FailOn", "Format", "load_config_file", "FORMATS"]

FailOn = Literal["fail", "warn", "never"]
Format = Literal["html", "pdf", "json"]
FORMATS: tuple[str, ...] = get_args(Format)


@dataclass(frozen=True)
class AuditConfig:
    """The effective settings of one audit.

    Parameters
    ----------
    target : str or None
        The label column; ``None`` asks raudit to detect it.
    sensitive : tuple of str
        Sensitive-attribute columns (never given to the model).
    sensitive_guessed : bool
        True when ``sensitive`` was suggested from column names.
    features : tuple of str or None
        The model's input columns when the model cannot say (e.g. it was
        fitted on a NumPy array).
    positive_label : str or None
        The positive class of a binary classifier; default the second of
        the model's ``classes_``.
    checks : tuple of str or None
        Allow-list of check names; ``None`` runs every available check.
    fail_on : {"fail", "warn", "never"}
        Which status makes the CLI exit with code 1.
    formats : tuple of {"html", "pdf", "json"}
    out : str
        Output folder.
    seed : int
        Seed for every random choice (samples, bootstraps).
    trust_model : bool
        Load a model file without inspecting it (after the user reviewed it).
    allow_modules : tuple of str
        Extra modules a pickled model may import.
    task : {"classification", "regression"} or None
        For PyTorch and ONNX models, which do not say (default classification).
    torch_class : str or None
        ``module:Class`` to rebuild a ``torch.save`` state dict.
    torch_output : {"auto", "logits", "probabilities"}
        What a torch module's output is (auto: probabilities if in [0, 1] and
        rows sum to 1, else logits through softmax/sigmoid).
    text_column : str or None
        The column of free text a text classifier reads (a Hugging Face
        folder or a scikit-learn text pipeline); text-aware checks need it.
    batch_size : int or None
        Rows per forward pass for Hugging Face, Keras and PyTorch models
        (default 32 for text models, 4096 for the others); stated in the report.
    model_card : mapping
        The ``[model_card]`` table: intended use, out-of-scope uses, owners,
        training data, limitations, ethical considerations.
    check_options : mapping of str to mapping
        Per-check thresholds and options, keyed by check name.
    """

    target: str | None = None
    sensitive: tuple[str, ...] = ()
    sensitive_guessed: bool = False
    features: tuple[str, ...] | None = None
    positive_label: str | None = None
    checks: tuple[str, ...] | None = None
    fail_on: FailOn = "fail"
    formats: tuple[Format, ...] = FORMATS  # type: ignore[assignment]
    out: str = "raudit-report"
    seed: int = 0
    trust_model: bool = False
    allow_modules: tuple[str, ...] = ()
    task: str | None = None
    torch_class: str | None = None
    torch_output: str = "auto"
    text_column: str | None = None
    batch_size: int | None = None
    model_card: Mapping[str, Any] = field(default_factory=dict)
    check_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.fail_on not in get_args(FailOn):
            raise ConfigError(f"fail_on must be one of {', '.join(get_args(FailOn))}; got {self.fail_on!r}")
        bad = [f for f in self.formats if f not in FORMATS]
        if bad:
            raise ConfigError(f"unknown report format {bad[0]!r}; choose from {', '.join(FORMATS)}")
        if not self.formats:
            raise ConfigError("no report format chosen; use --format html,pdf,json")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise ConfigError(f"seed must be an integer; got {self.seed!r}")
        if self.task not in (None, "classification", "regression"):
            raise ConfigError(f"task must be classification or regression; got {self.task!r}")
        if self.torch_output not in ("auto", "logits", "probabilities"):
            raise ConfigError(f"torch_output must be auto, logits or probabilities; got {self.torch_output!r}")
        if self.target is not None and self.target in self.sensitive:
            raise ConfigError(f"column {self.target!r} is both the target and a sensitive feature")
        if self.batch_size is not None and (not isinstance(self.batch_size, int) or isinstance(self.batch_size, bool)
                                            or self.batch_size < 1):
            raise ConfigError(f"batch_size must be a whole number ≥ 1; got {self.batch_size!r}")
        if self.text_column is not None and self.text_column in (self.target, *self.sensitive):
            raise ConfigError(f"column {self.text_column!r} is the text column and also the target or a sensitive feature")

    def replace(self, **changes: Any) -> AuditConfig:
        """Return a copy with ``changes`` applied (and validated)."""
        return dataclasses.replace(self, **changes)

    def options_for(self, check: str) -> Mapping[str, Any]:
        """Return the user's options for one check (without defaults)."""
        return self.check_options.get(check, {})

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form written into the report."""
        out = dataclasses.asdict(self)
        out["check_options"] = {k: dict(v) for k, v in self.check_options.items()}
        out["model_card"] = dict(self.model_card)
        for key in ("sensitive", "formats", "features", "checks", "allow_modules"):
            if out[key] is not None:
                out[key] = list(out[key])
        return out

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], *, source: str = "configuration") -> AuditConfig:
        """Build a config from a plain mapping (a parsed TOML file, say).

        Unknown keys raise :class:`ConfigError` naming the key and ``source``.
        """
        names = {f.name for f in dataclasses.fields(cls)} - {"check_options", "sensitive_guessed"}
        kwargs: dict[str, Any] = {}
        for key, value in raw.items():
            if key == "check":
                if not isinstance(value, Mapping) or not all(isinstance(v, Mapping) for v in value.values()):
                    raise ConfigError(f"{source}: [check.NAME] must be tables of options, e.g. [check.performance]")
                kwargs["check_options"] = {str(k): dict(v) for k, v in value.items()}
            elif key == "model_card":
                kwargs["model_card"] = _model_card(value, source)
            elif key in names:
                kwargs[key] = _coerce(key, value, source)
            else:
                close = [n for n in sorted(names | {"check"}) if n.startswith(key[:3])]
                hint = f"did you mean {close[0]!r}?" if close else f"valid keys: {', '.join(sorted(names | {'check'}))}"
                raise ConfigError(f"{source}: unknown key {key!r}", hint=hint)
        return cls(**kwargs)


def _coerce(key: str, value: Any, source: str) -> Any:
    """Check one top-level value's type and turn lists into tuples."""
    list_keys = {"sensitive", "features", "checks", "formats", "allow_modules"}
    if key in list_keys:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{source}: {key} must be a list of strings; got {value!r}")
        return tuple(value)
    if key == "trust_model":
        if not isinstance(value, bool):
            raise ConfigError(f"{source}: trust_model must be true or false; got {value!r}")
        return value
    if key in ("seed", "batch_size"):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConfigError(f"{source}: {key} must be an integer; got {value!r}")
        return value
    if not isinstance(value, str):
        raise ConfigError(f"{source}: {key} must be a string; got {value!r}")
    return value


def _model_card(value: Any, source: str) -> dict[str, Any]:
    from raudit._compliance import MODEL_CARD_FIELDS

    if not isinstance(value, Mapping):
        raise ConfigError(f"{source}: [model_card] must be a table")
    for key, v in value.items():
        if key not in MODEL_CARD_FIELDS:
            raise ConfigError(f"{source}: unknown [model_card] field {key!r}", hint=f"fields: {', '.join(MODEL_CARD_FIELDS)}")
        if not (isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v))):
            raise ConfigError(f"{source}: [model_card].{key} must be text or a list of texts")
    return dict(value)


def load_config_file(path: str | Path) -> dict[str, Any]:
    """Read a ``raudit.toml`` into a plain dict (validated later).

    Raises
    ------
    InputError
        If the file is missing or is not valid TOML (with the line).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"config file not found: {p}", hint="check the path given to --config")
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: not a UTF-8 text file") from None
