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
    reference = "reference.profile.json"   # drift: a `raudit profile` file or a CSV/Parquet file

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

from raudit.errors import ConfigError, InputError

__all__ = ["AuditConfig", "FailOn", "Format", "load_config_file", "FORMATS", "DEFAULT_FORMATS", "JunitWarningsAs", "TRUST_KEYS",
           "trust_settings", "trust_notices"]

FailOn = Literal["fail", "warn", "never"]
Detail = Literal["summary", "standard", "full"]
Engine = Literal["auto", "memory", "stream", "dask"]
Format = Literal["html", "pdf", "json", "junit", "md"]
FORMATS: tuple[str, ...] = get_args(Format)
#: What a run writes when no format is chosen (junit and md are asked for by name).
DEFAULT_FORMATS: tuple[str, ...] = ("html", "pdf", "json")
#: How a ``warn`` becomes a JUnit test case: a ``<failure>``, a ``<skipped>`` or a plain pass.
JunitWarningsAs = Literal["failure", "skipped", "passed"]


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
    favourable : str, int, float, bool or None
        The outcome a person wants (approved, hired, not flagged); fairness
        is judged in the direction of harm relative to it. Default: the
        positive class of a binary classifier; for multiclass, none (each
        class is compared both ways).
    id_column : str or None
        A column that identifies rows (an application id), shown wherever
        the report points at single rows; default: a unique column named
        ``id`` or ``*_id`` that the model does not take, else row positions
        (0-based).
    checks : tuple of str or None
        Allow-list of check names; ``None`` runs every available check.
    fail_on : {"fail", "warn", "never"}
        Which status makes the CLI exit with code 1.
    formats : tuple of {"html", "pdf", "json", "junit", "md"}
        Default html, pdf and json; ``junit`` and ``md`` are the CI outputs
        (``raudit.report.ci``).
    out : str
        Output folder.
    detail : {"summary", "standard", "full"}
        How much the HTML and PDF show: the verdict and findings (summary),
        plus each check's key tables and figures (standard), plus every
        table in the PDF too (full). The JSON always holds everything.
    seed : int
        Seed for every random choice (samples, bootstraps); 0 or more.
    max_groups : int
        Most distinct values a categorical sensitive column may have (an id
        column given as sensitive is a mistake, not thousands of groups).
    bins : mapping of str to tuple of float
        Bin edges per numeric sensitive column, e.g. ``{"age": (18, 30, 45, 60, 100)}``
        (default: quartiles of the whole column).
    sample_rows : int
        Rows of the seeded uniform sample that explanations, the mitigation
        estimate, latency and the energy refit work on (all rows when fewer).
    engine : {"auto", "memory", "stream", "dask"}
        How rows are read: all at once, in chunks of ``chunk_rows``, or as
        partitions on a Dask cluster (``scheduler``; default a local cluster).
        ``auto``: in memory for a DataFrame or one file under 256 MB, streamed
        otherwise. Every engine gives the same numbers.
    chunk_rows : int
    scheduler : str or None
        Address of a Dask scheduler (``tcp://host:8786``) for ``engine = "dask"``.
    trust_model : bool
        Load a model file without inspecting it (after the user reviewed it).
    allow_modules : tuple of str
        Module prefixes a pickled model may import anything from (loud: a
        warning is printed and the report records it).
    allow_globals : tuple of str
        Exact ``module:Name`` globals a pickled or skops model may use beyond
        raudit's reviewed allow-list.
    load_limits : mapping
        Caps on what opening the model may cost (``bytes``, ``opcodes``,
        ``memo``, ``long_bytes``, ``depth``, ``expansion``); see
        :class:`raudit.load.pickle.unpickler.Limits`.
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
    reference : str or None
        The drift check's reference: a profile written by ``raudit profile``
        (``.json``) or a CSV/Parquet file profiled the same way.
    sign_key : str or None
        Ed25519 private key that signs the report set (``--sign-key``; see
        ``raudit keygen``).
    junit_warnings_as : {"skipped", "failure", "passed"}
        How a warning appears in ``report.junit.xml`` (default skipped: visible,
        not failing; ``"failure"`` matches ``fail_on = "warn"``).
    compare : mapping
        The ``[compare]`` table: margins of ``raudit compare`` (validated by
        ``raudit.comparison.api.CompareOptions``).
    """

    target: str | None = None
    sensitive: tuple[str, ...] = ()
    sensitive_guessed: bool = False
    features: tuple[str, ...] | None = None
    positive_label: str | None = None
    favourable: str | int | float | bool | None = None
    id_column: str | None = None
    checks: tuple[str, ...] | None = None
    fail_on: FailOn = "fail"
    formats: tuple[Format, ...] = DEFAULT_FORMATS  # type: ignore[assignment]
    out: str = "raudit-report"
    detail: Detail = "standard"
    seed: int = 0
    max_groups: int = 50
    bins: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    sample_rows: int = 50_000
    engine: Engine = "auto"
    chunk_rows: int = 200_000
    scheduler: str | None = None
    trust_model: bool = False
    allow_modules: tuple[str, ...] = ()
    allow_globals: tuple[str, ...] = ()
    load_limits: Mapping[str, Any] = field(default_factory=dict)
    task: str | None = None
    torch_class: str | None = None
    torch_output: str = "auto"
    text_column: str | None = None
    batch_size: int | None = None
    model_card: Mapping[str, Any] = field(default_factory=dict)
    check_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    reference: str | None = None
    sign_key: str | None = None
    junit_warnings_as: JunitWarningsAs = "skipped"
    compare: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.fail_on not in get_args(FailOn):
            raise ConfigError(f"fail_on must be one of {', '.join(get_args(FailOn))}; got {self.fail_on!r}")
        bad = [f for f in self.formats if f not in FORMATS]
        if bad:
            raise ConfigError(f"unknown report format {bad[0]!r}; choose from {', '.join(FORMATS)}")
        if self.detail not in get_args(Detail):
            raise ConfigError(f"detail must be one of {', '.join(get_args(Detail))}; got {self.detail!r}")
        if not self.formats:
            raise ConfigError("no report format chosen; use --format html,pdf,json")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or self.seed < 0:
            raise ConfigError(f"seed must be a whole number ≥ 0; got {self.seed!r}")
        if not isinstance(self.max_groups, int) or isinstance(self.max_groups, bool) or self.max_groups < 2:
            raise ConfigError(f"max_groups must be a whole number ≥ 2; got {self.max_groups!r}")
        for key, low in (("sample_rows", 100), ("chunk_rows", 1)):
            value = getattr(self, key)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ConfigError(f"{key} must be a whole number ≥ {low:,}; got {value!r}")
        if self.engine not in get_args(Engine):
            raise ConfigError(f"engine must be one of {', '.join(get_args(Engine))}; got {self.engine!r}")
        if self.scheduler is not None and self.engine != "dask":
            raise ConfigError("a Dask scheduler address needs engine = \"dask\" (--engine dask)")
        if self.task not in (None, "classification", "regression"):
            raise ConfigError(f"task must be classification or regression; got {self.task!r}")
        if self.torch_output not in ("auto", "logits", "probabilities"):
            raise ConfigError(f"torch_output must be auto, logits or probabilities; got {self.torch_output!r}")
        if self.junit_warnings_as not in get_args(JunitWarningsAs):
            raise ConfigError(f"junit_warnings_as must be one of {', '.join(get_args(JunitWarningsAs))}; "
                              f"got {self.junit_warnings_as!r}")
        if self.target is not None and self.target in self.sensitive:
            raise ConfigError(f"column {self.target!r} is both the target and a sensitive feature")
        if self.load_limits:
            from raudit.load.pickle.unpickler import parse_limits

            parse_limits(self.load_limits)
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
        out["bins"] = {k: list(v) for k, v in self.bins.items()}
        out["model_card"] = dict(self.model_card)
        out["compare"] = dict(self.compare)
        out["load_limits"] = dict(self.load_limits)
        for key in ("sensitive", "formats", "features", "checks", "allow_modules", "allow_globals"):
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
            elif key == "compare":
                if not isinstance(value, Mapping):
                    raise ConfigError(f"{source}: [compare] must be a table of options, e.g. accuracy_margin = 0.01")
                kwargs["compare"] = dict(value)
            elif key == "load_limits":
                if not isinstance(value, Mapping):
                    raise ConfigError(f"{source}: load_limits must be a table, e.g. load_limits = {{bytes = \"16GiB\"}}")
                kwargs["load_limits"] = dict(value)
            elif key in names:
                kwargs[key] = _coerce(key, value, source)
            else:
                close = [n for n in sorted(names | {"check"}) if n.startswith(key[:3])]
                hint = f"did you mean {close[0]!r}?" if close else f"valid keys: {', '.join(sorted(names | {'check'}))}"
                raise ConfigError(f"{source}: unknown key {key!r}", hint=hint)
        return cls(**kwargs)


def _coerce(key: str, value: Any, source: str) -> Any:
    """Check one top-level value's type and turn lists into tuples."""
    list_keys = {"sensitive", "features", "checks", "formats", "allow_modules", "allow_globals"}
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
    if key == "favourable":
        if not isinstance(value, (str, int, float, bool)):
            raise ConfigError(f"{source}: favourable must be a class label (text or number); got {value!r}")
        return value
    if key == "bins":
        return _bins(value, source)
    if key in ("seed", "max_groups", "sample_rows", "chunk_rows", "batch_size"):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConfigError(f"{source}: {key} must be a whole number; got {value!r}")
        return value
    if not isinstance(value, str):
        raise ConfigError(f"{source}: {key} must be a string; got {value!r}")
    return value


#: Settings that decide how much of a model file raudit inspects; where each came from is reported.
TRUST_KEYS = ("trust_model", "allow_modules", "allow_globals", "load_limits")
#: Sources of a setting that are not a file: a notice is printed only for a file.
_NOT_FILES = ("default", "command line", "Python API")


def trust_settings(config: AuditConfig, sources: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Each trust setting of ``config`` with where it came from, as the report's lineage records it.

    Parameters
    ----------
    sources : mapping of str to str
        Key → ``"command line"``, ``"Python API"`` or the config file's path; a
        key it lacks is ``"default"``.

    Examples
    --------
    >>> trust_settings(AuditConfig(trust_model=True), {"trust_model": "raudit.toml"})["trust_model"]
    {'value': True, 'source': 'raudit.toml'}
    """
    out: dict[str, dict[str, Any]] = {
        "trust_model": {"value": config.trust_model, "source": sources.get("trust_model", "default")},
        "allow_modules": {"value": list(config.allow_modules), "source": sources.get("allow_modules", "default")},
    }
    if config.allow_globals:  # recorded only when set, like the load limits
        out["allow_globals"] = {"value": list(config.allow_globals), "source": sources.get("allow_globals", "default")}
    if config.load_limits:
        out["load_limits"] = {"value": dict(config.load_limits), "source": sources.get("load_limits", "default")}
    return out


def trust_notices(settings: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One line for each trust setting that a config file (not a flag) turns on or widens."""
    notices = []
    for key, entry in settings.items():
        source, value = entry["source"], entry["value"]
        if source in _NOT_FILES or not value:
            continue
        if key == "trust_model":
            notices.append(f"{source} sets trust_model = true: the model file is loaded without inspection")
        elif key == "allow_globals":
            notices.append(f"{source} sets allow_globals = {list(value)}: a pickled model may import and call these "
                           "beyond the reviewed list")
        elif key == "load_limits":
            notices.append(f"{source} sets load_limits = {dict(value)}: the caps on what opening a model file may use change")
        else:
            notices.append(f"{source} sets {key} = {list(value)}: a pickled model may import these modules "
                           "beyond the reviewed defaults")
    return notices


def _bins(value: Any, source: str) -> dict[str, tuple[float, ...]]:
    """``bins = { age = [18, 30, 60, 100] }``: finite, strictly ascending edges, at least two."""
    import math

    if not isinstance(value, Mapping):
        raise ConfigError(f"{source}: bins must be a table of column = [edges], e.g. bins = {{ age = [18, 30, 45, 60, 100] }}")
    out = {}
    for col, edges in value.items():
        where = f"{source}: bins.{col}"
        if not isinstance(edges, (list, tuple)) or not all(isinstance(e, (int, float)) and not isinstance(e, bool) for e in edges):
            raise ConfigError(f"{where} must be a list of numbers; got {edges!r}")
        if not all(math.isfinite(e) for e in edges):
            raise ConfigError(f"{where} must be finite numbers; got {list(edges)}")
        if len(edges) < 2 or any(b <= a for a, b in zip(edges, edges[1:])):
            raise ConfigError(f"{where} must be at least two strictly ascending edges; got {list(edges)}")
        out[str(col)] = tuple(float(e) for e in edges)
    return out


def _model_card(value: Any, source: str) -> dict[str, Any]:
    from raudit.report.compliance import MODEL_CARD_FIELDS

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
