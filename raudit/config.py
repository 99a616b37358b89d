"""One validated, immutable configuration for an audit, split by concern.

CLI flags and an optional ``raudit.toml`` merge into :class:`AuditConfig`; flags win over the file.
Unknown keys are errors that name the key. The file is flat (every key at the top level, checks in
``[check.NAME]`` tables); the object groups the keys by what they decide:

- :class:`LoadSettings`: how the model file is opened (one object, sent as it is to Dask workers);
- :class:`DataRoles`: what the user says about the columns (target, sensitive, favourable outcome, ...);
- :class:`EngineSettings`: how the rows are read (in memory, streamed, on Dask) and sampled;
- :class:`OutputSettings`: what is written (formats, folder, detail, exit-code policy, signing key).

Nothing downstream writes back into the config: what a run *learns* (the detected target, guessed
sensitive columns, the positive class) is a separate frozen record (``raudit.engine.roles.Roles``).
The effective configuration is written into every report in the flat form.

A ``raudit.toml`` looks like::

    target = "approved"
    sensitive = ["sex", "ethnicity"]
    seed = 0
    fail_on = "fail"            # fail | warn | never
    formats = ["html", "pdf", "json"]
    out = "raudit-report"
    checks = ["performance"]    # allow-list; omit to run every check
    reference = "reference.profile.json"   # drift: a `raudit profile` file or a CSV/Parquet file
    train_data = "train.csv"    # privacy: the rows the model was trained on (members)
    # reference, train_data and emissions_file are relative to this file's folder

    [check.performance]
    roc_auc_warn = 0.75
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal, get_args

from raudit.errors import ConfigError, InputError

__all__ = ["AuditConfig", "LoadSettings", "DataRoles", "EngineSettings", "OutputSettings", "Limits", "parse_limits",
           "JailLimits", "parse_jail_limits", "JAIL_LIMIT_NAMES",
           "DEFAULT_LIMITS", "LIMIT_NAMES", "FailOn", "Inconclusive", "Format", "load_config_file", "FORMATS", "DEFAULT_FORMATS",
           "JunitWarningsAs", "TRUST_KEYS", "MODEL_CARD_FIELDS", "trust_settings", "trust_notices"]

FailOn = Literal["fail", "warn", "never"]
#: How an inconclusive judgement (an interval straddling a threshold) counts for the exit code.
Inconclusive = Literal["warn", "fail"]
Detail = Literal["summary", "standard", "full"]
Engine = Literal["auto", "memory", "stream", "dask"]
Format = Literal["html", "pdf", "json", "junit", "md"]
FORMATS: tuple[str, ...] = get_args(Format)
#: What a run writes when no format is chosen (junit and md are asked for by name).
DEFAULT_FORMATS: tuple[str, ...] = ("html", "pdf", "json")
#: How a ``warn`` becomes a JUnit test case: a ``<failure>``, a ``<skipped>`` or a plain pass.
JunitWarningsAs = Literal["failure", "skipped", "passed"]

#: The fields of the ``[model_card]`` table, with their labels in the report.
MODEL_CARD_FIELDS: Final[Mapping[str, str]] = MappingProxyType({
    "intended_use": "Intended use",
    "out_of_scope_uses": "Out-of-scope uses",
    "owners": "Owners",
    "training_data": "Training data",
    "limitations": "Limitations",
    "ethical_considerations": "Ethical considerations",
})

GiB: Final = 1 << 30


def _whole(value: Any, *, low: int, key: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ConfigError(f"{key} must be a whole number ≥ {low:,}; got {value!r}")


def _one_of(value: Any, choices: tuple[Any, ...], key: str) -> None:
    if value not in choices:
        raise ConfigError(f"{key} must be one of {', '.join(map(str, choices))}; got {value!r}")


# -- the safe loader's caps -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Limits:
    """Caps on what opening one model file may cost.

    Parameters
    ----------
    max_bytes : int, optional
        Bytes the pickle stream may hold once decompressed. Default
        ``max(2 GiB, 100 × the file's size)``: a model up to 2 GiB always
        loads whatever its compression ratio, and 100× is six times the
        highest ratio measured on real models (benchmarks/RESULTS.md: the
        zoo's joblib files compress 2.2× median and 17× at most, with xz at
        level 9; a 500 MB forest 5× with zlib); a decompression bomb (12 KB →
        16 GiB is ~1,000,000:1) stops at the cap, which also bounds what it can
        make raudit hold (it is streamed: ~150 MB peak) and the time spent
        (10-16 s for gzip, bz2 and xz bombs).
    max_opcodes : int
        Pickle instructions. Each costs about a microsecond in this
        pure-Python unpickler, so the default (30 million) bounds a hostile
        stream to well under a minute; real models use a few per array and per
        attribute (a million-word text vocabulary: 3 million).
    max_memo : int
        Memo entries (objects a pickle keeps to refer to again).
    max_long_bytes : int
        Bytes of one integer (a model's integers fit in 8; huge ones feed
        arithmetic bombs).
    max_depth : int
        Nesting depth of the loaded objects.
    max_expansion : int
        Objects counted once per path that reaches them (see
        :func:`raudit.load.pickle.review.check_loaded`).
    """

    max_bytes: int | None = None
    max_opcodes: int = 30_000_000
    max_memo: int = 20_000_000
    max_long_bytes: int = 1024
    max_depth: int = 1_000
    max_expansion: int = 200_000_000

    def bytes_for(self, file_size: int) -> int:
        """The decompressed-size cap for a file of ``file_size`` bytes."""
        return self.max_bytes if self.max_bytes is not None else max(2 * GiB, 100 * file_size)


DEFAULT_LIMITS: Final = Limits()
LIMIT_NAMES: Final = MappingProxyType({"bytes": "max_bytes", "opcodes": "max_opcodes", "memo": "max_memo",
                                        "long_bytes": "max_long_bytes", "depth": "max_depth", "expansion": "max_expansion"})


def parse_limits(raw: Mapping[str, Any] | Iterable[str] | None) -> Limits:
    """Limits from ``{"bytes": "8GiB", "opcodes": 2e8}`` or ``["bytes=8GiB", ...]`` (``--load-limit``).

    Raises
    ------
    InputError
        An unknown name or a value that is not a positive size.
    """
    if not raw:
        return DEFAULT_LIMITS
    items = raw.items() if isinstance(raw, Mapping) else [tuple(str(s).split("=", 1)) if "=" in str(s) else (str(s), "")
                                                           for s in raw]
    values: dict[str, int] = {}
    for name, value in items:
        key = LIMIT_NAMES.get(str(name).strip())
        if key is None:
            raise InputError(f"unknown load limit {name!r}", hint=f"choose from {', '.join(LIMIT_NAMES)}, e.g. "
                                                                   "--load-limit bytes=16GiB")
        values[key] = _size(value, str(name))
    return Limits(**values)


def _size(value: Any, name: str) -> int:
    text = str(value).strip().replace("_", "").replace(",", "")
    units = {"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}
    factor = 1
    for unit, f in units.items():
        if text.lower().endswith(unit):
            text, factor = text[: -len(unit)], f
            break
    try:
        number = float(text) if any(c in text for c in ".eE") else int(text)
    except ValueError:
        raise InputError(f"load limit {name} must be a positive number (e.g. 16GiB or 200000000); got {value!r}") from None
    if number <= 0:
        raise InputError(f"load limit {name} must be positive; got {value!r}")
    return int(number * factor)


# -- the jail's limits -------------------------------------------------------------------------------------------
def _physical_memory() -> int:
    """Bytes of RAM on this machine (8 GiB when the platform cannot say)."""
    import os

    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 8 * GiB


@dataclass(frozen=True)
class JailLimits:
    """What the jailed child that opens and calls the model may use (``--jail-limit``, ``jail_limits = {...}``).

    Parameters
    ----------
    memory : int or None
        Bytes of address space (``RLIMIT_AS``). Default: three quarters of the machine's RAM, so a
        model that allocates without bound stops with exit 2 before the machine swaps or the kernel's
        OOM killer picks another process. Measured (benchmarks/RESULTS.md, ``bench_jail.py``): the
        jailed child of the README's example audit peaks at 2.2 GiB of address space (0.37 GiB
        resident), of a 1 M-row fairness audit at 2.1 GiB (1.1 GiB resident).
    cpu : int
        CPU seconds (``RLIMIT_CPU``; all threads together). Default 4 hours: the jailed child used
        9 s of CPU for the example and 23 s for a 1 M-row fairness audit (about 600 times less), so
        only a model that loops, or an audit of hundreds of millions of rows, stops.
    wall : int
        Seconds of wall-clock time before raudit stops the child (it may be waiting, which costs no
        CPU). Default 4 hours, as ``cpu``.
    """

    memory: int | None = None
    cpu: int = 4 * 3600
    wall: int = 4 * 3600

    @property
    def memory_bytes(self) -> int:
        """The address-space cap in force (the default: three quarters of RAM)."""
        return self.memory if self.memory is not None else _physical_memory() * 3 // 4

    def describe(self) -> dict[str, Any]:
        """The limits as the lineage records them."""
        return {"memory_bytes": self.memory_bytes, "cpu_seconds": self.cpu, "wall_seconds": self.wall}


JAIL_LIMIT_NAMES: Final = ("memory", "cpu", "wall")


def _seconds(value: Any, name: str) -> int:
    text = str(value).strip().lower()
    factor = 1
    for unit, f in (("h", 3600), ("m", 60), ("s", 1)):
        if text.endswith(unit):
            text, factor = text[: -len(unit)], f
            break
    try:
        number = float(text)
    except ValueError:
        raise InputError(f"jail limit {name} must be a duration such as 600, 90s, 30m or 2h; got {value!r}") from None
    if not math.isfinite(number) or number * factor < 1:
        raise InputError(f"jail limit {name} must be at least one second; got {value!r}")
    return int(number * factor)


def parse_jail_limits(raw: Mapping[str, Any] | None) -> JailLimits:
    """Jail limits from ``{"memory": "8GiB", "cpu": "2h", "wall": 600}``.

    Raises
    ------
    InputError
        An unknown name, or a value that is not a positive size or duration.

    Examples
    --------
    >>> parse_jail_limits({"memory": "2GiB", "wall": "30m"}).wall
    1800
    """
    if not raw:
        return JailLimits()
    values: dict[str, Any] = {}
    for name, value in raw.items():
        key = str(name).strip()
        if key not in JAIL_LIMIT_NAMES:
            raise InputError(f"unknown jail limit {name!r}", hint="choose from memory, cpu, wall, e.g. --jail-limit memory=8GiB")
        values[key] = _size(value, f"jail {key}") if key == "memory" else _seconds(value, key)
    return JailLimits(**values)


# -- the four concerns -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LoadSettings:
    """How a model file is opened: one object, given as it is to every loader and to each Dask worker.

    Parameters
    ----------
    features : tuple of str or None
        The model's input columns when the model cannot say (e.g. it was fitted on a NumPy array).
    trust_model : bool
        Load a model file without inspecting it (after the user reviewed it).
    allow_modules : tuple of str
        Module prefixes a pickled model may import anything from (loud: a warning is printed and the
        report records it).
    allow_globals : tuple of str
        Exact ``module:Name`` globals a pickled or skops model may use beyond raudit's reviewed allow-list.
    load_limits : mapping
        Caps on what opening the model may cost (``bytes``, ``opcodes``, ``memo``, ``long_bytes``,
        ``depth``, ``expansion``), as given; :attr:`limits` is the parsed form (:class:`Limits`).
    task : {"classification", "regression"} or None
        For PyTorch and ONNX models, which do not say (default classification).
    torch_class : str or None
        ``module:Class`` to rebuild a ``torch.save`` state dict.
    torch_output : {"auto", "logits", "probabilities"}
        What a torch module's output is (auto: probabilities if in [0, 1] and rows sum to 1, else
        logits through softmax/sigmoid).
    text_column : str or None
        The column of free text a text classifier reads (a Hugging Face folder or a scikit-learn
        text pipeline); text-aware checks need it.
    batch_size : int or None
        Rows per forward pass for Hugging Face, Keras and PyTorch models (default 32 for text
        models, 4096 for the others); stated in the report.
    jail_limits : mapping
        Limits of the jailed child that opens and calls the model (``memory``, ``cpu``, ``wall``),
        as given; :attr:`jail` is the parsed form (:class:`JailLimits`). Dask workers apply them too.
    """

    features: tuple[str, ...] | None = None
    trust_model: bool = False
    allow_modules: tuple[str, ...] = ()
    allow_globals: tuple[str, ...] = ()
    load_limits: Mapping[str, Any] = field(default_factory=dict)
    task: str | None = None
    torch_class: str | None = None
    torch_output: str = "auto"
    text_column: str | None = None
    batch_size: int | None = None
    jail_limits: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.task not in (None, "classification", "regression"):
            raise ConfigError(f"task must be classification or regression; got {self.task!r}")
        if self.torch_output not in ("auto", "logits", "probabilities"):
            raise ConfigError(f"torch_output must be auto, logits or probabilities; got {self.torch_output!r}")
        if self.batch_size is not None:
            _whole(self.batch_size, low=1, key="batch_size")
        parse_limits(self.load_limits)
        parse_jail_limits(self.jail_limits)

    @property
    def limits(self) -> Limits:
        """The caps of the safe loader (:class:`Limits`)."""
        return parse_limits(self.load_limits)

    @property
    def jail(self) -> JailLimits:
        """The limits of the jailed child (:class:`JailLimits`)."""
        return parse_jail_limits(self.jail_limits)


@dataclass(frozen=True)
class DataRoles:
    """What the user says about the columns; what raudit then resolves is ``raudit.engine.roles.Roles``.

    Parameters
    ----------
    target : str or None
        The label column; ``None`` asks raudit to detect it.
    sensitive : tuple of str
        Sensitive-attribute columns (never given to the model); guessed from their names when empty.
    positive_label : str or None
        The positive class of a binary classifier; default the second of the model's ``classes_``.
    favourable : str, int, float, bool or None
        The outcome a person wants (approved, hired, not flagged); fairness is judged in the
        direction of harm relative to it. Default: the positive class of a binary classifier; for
        multiclass, none (each class is compared both ways).
    id_column : str or None
        A column that identifies rows (an application id), shown wherever the report points at
        single rows; default: a unique column named ``id`` or ``*_id`` that the model does not take,
        else row positions (0-based).
    time_column : str or None
        A column of timestamps (a decision log's time): never an input or context column; the drift
        check's ``window`` option splits the rows into time windows by it.
    max_groups : int
        Most distinct values a categorical sensitive column may have (an id column given as
        sensitive is a mistake, not thousands of groups).
    bins : mapping of str to tuple of float
        Bin edges per numeric sensitive column, e.g. ``{"age": (18, 30, 45, 60, 100)}`` (default:
        quartiles of the whole column).
    """

    target: str | None = None
    sensitive: tuple[str, ...] = ()
    positive_label: str | None = None
    favourable: str | int | float | bool | None = None
    id_column: str | None = None
    time_column: str | None = None
    max_groups: int = 50
    bins: Mapping[str, tuple[float, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _whole(self.max_groups, low=2, key="max_groups")
        if self.target is not None and self.target in self.sensitive:
            raise ConfigError(f"column {self.target!r} is both the target and a sensitive feature")


@dataclass(frozen=True)
class EngineSettings:
    """How the rows are read and sampled.

    Parameters
    ----------
    engine : {"auto", "memory", "stream", "dask"}
        All at once, in chunks of ``chunk_rows``, or as partitions on a Dask cluster (``scheduler``;
        default a local cluster). ``auto``: in memory for a DataFrame or one file under 256 MB,
        streamed otherwise. Every engine gives the same numbers.
    chunk_rows : int
    scheduler : str or None
        Address of a Dask scheduler (``tcp://host:8786``) for ``engine = "dask"``.
    sample_rows : int
        Rows of the seeded uniform sample that explanations, the mitigation estimate, latency and the
        energy refit work on (all rows when fewer).
    """

    engine: Engine = "auto"
    chunk_rows: int = 200_000
    scheduler: str | None = None
    sample_rows: int = 50_000

    def __post_init__(self) -> None:
        _whole(self.sample_rows, low=100, key="sample_rows")
        _whole(self.chunk_rows, low=1, key="chunk_rows")
        _one_of(self.engine, get_args(Engine), "engine")
        if self.scheduler is not None and self.engine != "dask":
            raise ConfigError("a Dask scheduler address needs engine = \"dask\" (--engine dask)")


@dataclass(frozen=True)
class OutputSettings:
    """What an audit writes and how its outcome becomes an exit code.

    Parameters
    ----------
    formats : tuple of {"html", "pdf", "json", "junit", "md"}
        Default html, pdf and json; ``junit`` and ``md`` are the CI outputs.
    out : str
        Output folder (``-`` writes the one format to standard output).
    detail : {"summary", "standard", "full"}
        How much the HTML and PDF show: the verdict and findings (summary), plus each check's key
        tables and figures (standard), plus every table in the PDF too (full). The JSON always holds
        everything.
    fail_on : {"fail", "warn", "never"}
        Which status makes the CLI exit with code 1.
    inconclusive : {"warn", "fail"}
        How a judgement whose interval straddles its threshold counts: as a warning (default), or as a
        failure (a strict policy: the release needs evidence that it passes).
    sign_key : str or None
        Ed25519 private key that signs the report set (``--sign-key``; see ``raudit keygen``).
    junit_warnings_as : {"skipped", "failure", "passed"}
        How a warning appears in ``report.junit.xml`` (default skipped: visible, not failing;
        ``"failure"`` matches ``fail_on = "warn"``).
    """

    formats: tuple[Format, ...] = DEFAULT_FORMATS  # type: ignore[assignment]
    out: str = "raudit-report"
    detail: Detail = "standard"
    fail_on: FailOn = "fail"
    inconclusive: Inconclusive = "warn"
    sign_key: str | None = None
    junit_warnings_as: JunitWarningsAs = "skipped"

    def __post_init__(self) -> None:
        _one_of(self.fail_on, get_args(FailOn), "fail_on")
        _one_of(self.inconclusive, get_args(Inconclusive), "inconclusive")
        bad = [f for f in self.formats if f not in FORMATS]
        if bad:
            raise ConfigError(f"unknown report format {bad[0]!r}; choose from {', '.join(FORMATS)}")
        _one_of(self.detail, get_args(Detail), "detail")
        if not self.formats:
            raise ConfigError("no report format chosen; use --format html,pdf,json")
        _one_of(self.junit_warnings_as, get_args(JunitWarningsAs), "junit_warnings_as")


#: Each flat key of a ``raudit.toml`` and the group that holds it.
_GROUPS: Final = {"load": LoadSettings, "roles": DataRoles, "engine": EngineSettings, "output": OutputSettings}
_KEY_GROUP: Final = MappingProxyType({f.name: group for group, cls in _GROUPS.items() for f in dataclasses.fields(cls)})
#: Keys whose values are lists of strings (a comma-separated string is accepted too).
_LIST_KEYS: Final = frozenset({"sensitive", "features", "checks", "formats", "allow_modules", "allow_globals"})
_WHOLE_KEYS: Final = frozenset({"seed", "max_groups", "sample_rows", "chunk_rows", "batch_size"})


@dataclass(frozen=True)
class AuditConfig:
    """The effective settings of one audit, grouped by concern.

    Build one with :meth:`from_mapping` (the flat keys of a ``raudit.toml``); :meth:`replace` takes
    flat keys too, and :meth:`to_dict` gives the flat form written into reports.

    Parameters
    ----------
    load : LoadSettings
    roles : DataRoles
    engine : EngineSettings
    output : OutputSettings
    seed : int
        Seed for every random choice (samples, bootstraps); 0 or more.
    checks : tuple of str or None
        Allow-list of check names; ``None`` runs every available check.
    check_options : mapping of str to mapping
        Per-check thresholds and options, keyed by check name.
    model_card : mapping
        The ``[model_card]`` table: intended use, out-of-scope uses, owners, training data,
        limitations, ethical considerations.
    reference : str or None
        The drift check's reference: a profile written by ``raudit profile`` (``.json``) or a
        CSV/Parquet file profiled the same way.
    compare : mapping
        The ``[compare]`` table: margins of ``raudit compare`` (validated by
        ``raudit.comparison.analysis.CompareOptions``).
    train_data : str or None
        The rows the model was trained on (a CSV or Parquet file with the audit data's columns):
        the privacy check compares the model on them (members) with the audit rows (non-members).

    Examples
    --------
    >>> cfg = AuditConfig.from_mapping({"target": "approved", "engine": "stream"})
    >>> cfg.roles.target, cfg.engine.engine, cfg.to_dict()["engine"]
    ('approved', 'stream', 'stream')
    """

    load: LoadSettings = field(default_factory=LoadSettings)
    roles: DataRoles = field(default_factory=DataRoles)
    engine: EngineSettings = field(default_factory=EngineSettings)
    output: OutputSettings = field(default_factory=OutputSettings)
    seed: int = 0
    checks: tuple[str, ...] | None = None
    check_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    model_card: Mapping[str, Any] = field(default_factory=dict)
    reference: str | None = None
    compare: Mapping[str, Any] = field(default_factory=dict)
    train_data: str | None = None

    def __post_init__(self) -> None:
        _whole(self.seed, low=0, key="seed")
        text = self.load.text_column
        if text is not None and text in (self.roles.target, *self.roles.sensitive):
            raise ConfigError(f"column {text!r} is the text column and also the target or a sensitive feature")

    def replace(self, **changes: Any) -> AuditConfig:
        """Return a copy with ``changes`` (flat keys, as in a ``raudit.toml``) applied and validated."""
        grouped: dict[str, dict[str, Any]] = {}
        top = {}
        for key, value in changes.items():
            if key in _KEY_GROUP:
                grouped.setdefault(_KEY_GROUP[key], {})[key] = value
            else:
                top[key] = value
        parts = {g: dataclasses.replace(getattr(self, g), **v) for g, v in grouped.items()}
        return dataclasses.replace(self, **parts, **top)

    def options_for(self, check: str) -> Mapping[str, Any]:
        """Return the user's options for one check (without defaults)."""
        return self.check_options.get(check, {})

    def to_dict(self) -> dict[str, Any]:
        """Return the flat JSON form written into the report."""
        out: dict[str, Any] = {}
        for group in _GROUPS:
            out.update(dataclasses.asdict(getattr(self, group)))
        out.update(seed=self.seed, checks=self.checks, reference=self.reference, train_data=self.train_data,
                   check_options={k: dict(v) for k, v in self.check_options.items()}, model_card=dict(self.model_card),
                   compare=dict(self.compare))
        out["bins"] = {k: list(v) for k, v in self.roles.bins.items()}
        out["load_limits"] = dict(self.load.load_limits)
        out["jail_limits"] = dict(self.load.jail_limits)
        for key in _LIST_KEYS:
            if out[key] is not None:
                out[key] = list(out[key])
        return out

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], *, source: str = "configuration") -> AuditConfig:
        """Build a config from a plain, flat mapping (a parsed TOML file, say).

        Unknown keys raise :class:`ConfigError` naming the key and ``source``.
        """
        names = set(_KEY_GROUP) | {f.name for f in dataclasses.fields(cls)} - set(_GROUPS) - {"check_options"}
        flat: dict[str, Any] = {}
        for key, value in raw.items():
            if key == "check":
                if not isinstance(value, Mapping) or not all(isinstance(v, Mapping) for v in value.values()):
                    raise ConfigError(f"{source}: [check.NAME] must be tables of options, e.g. [check.performance]")
                flat["check_options"] = {str(k): dict(v) for k, v in value.items()}
            elif key in _TABLES:
                flat[key] = _TABLES[key](value, source)
            elif key in names:
                flat[key] = _coerce(key, value, source)
            else:
                close = [n for n in sorted(names | {"check"}) if n.startswith(key[:3])]
                hint = f"did you mean {close[0]!r}?" if close else f"valid keys: {', '.join(sorted(names | {'check'}))}"
                raise ConfigError(f"{source}: unknown key {key!r}", hint=hint)
        return cls().replace(**flat)


def _coerce(key: str, value: Any, source: str) -> Any:  # size: one branch per kind of value a raudit.toml key holds
    """Check one top-level value's type and turn lists into tuples."""
    if key in _LIST_KEYS:
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
    if key in _WHOLE_KEYS:
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConfigError(f"{source}: {key} must be a whole number; got {value!r}")
        return value
    if not isinstance(value, str):
        raise ConfigError(f"{source}: {key} must be a string; got {value!r}")
    return value


def _table(what: str) -> Any:
    def read(value: Any, source: str) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{source}: {what}")
        return dict(value)

    return read


def _bins(value: Any, source: str) -> dict[str, tuple[float, ...]]:
    """``bins = { age = [18, 30, 60, 100] }``: finite, strictly ascending edges, at least two."""
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
    if not isinstance(value, Mapping):
        raise ConfigError(f"{source}: [model_card] must be a table")
    for key, v in value.items():
        if key == "general_purpose_ai":
            if not isinstance(v, bool):
                raise ConfigError(f"{source}: [model_card].general_purpose_ai must be true or false; got {v!r}")
            continue
        if key not in MODEL_CARD_FIELDS:
            raise ConfigError(f"{source}: unknown [model_card] field {key!r}",
                              hint=f"fields: {', '.join(MODEL_CARD_FIELDS)}, general_purpose_ai (true or false)")
        if not (isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v))):
            raise ConfigError(f"{source}: [model_card].{key} must be text or a list of texts")
    return dict(value)


#: The keys whose values are tables, and how each is read.
_TABLES: Final = {
    "model_card": _model_card,
    "compare": _table("[compare] must be a table of options, e.g. accuracy_margin = 0.01"),
    "load_limits": _table('load_limits must be a table, e.g. load_limits = {bytes = "16GiB"}'),
    "jail_limits": _table('jail_limits must be a table, e.g. jail_limits = {memory = "8GiB", wall = "2h"}'),
}


#: Settings that decide how much of a model file raudit inspects; where each came from is reported.
TRUST_KEYS = ("trust_model", "allow_modules", "allow_globals", "load_limits", "jail_limits")
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
    >>> cfg = AuditConfig.from_mapping({"trust_model": True})
    >>> trust_settings(cfg, {"trust_model": "raudit.toml"})["trust_model"]
    {'value': True, 'source': 'raudit.toml'}
    """
    load = config.load
    out: dict[str, dict[str, Any]] = {
        "trust_model": {"value": load.trust_model, "source": sources.get("trust_model", "default")},
        "allow_modules": {"value": list(load.allow_modules), "source": sources.get("allow_modules", "default")},
    }
    if load.allow_globals:  # recorded only when set, like the load limits
        out["allow_globals"] = {"value": list(load.allow_globals), "source": sources.get("allow_globals", "default")}
    if load.load_limits:
        out["load_limits"] = {"value": dict(load.load_limits), "source": sources.get("load_limits", "default")}
    if load.jail_limits:
        out["jail_limits"] = {"value": dict(load.jail_limits), "source": sources.get("jail_limits", "default")}
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
        elif key == "jail_limits":
            notices.append(f"{source} sets jail_limits = {dict(value)}: what the jailed model may use changes")
        else:
            notices.append(f"{source} sets {key} = {list(value)}: a pickled model may import these modules "
                           "beyond the reviewed defaults")
    return notices


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
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: not a UTF-8 text file") from None
    return _relative_to(raw, p.parent)


#: Keys whose values are files: a relative path in a raudit.toml is relative to the file's own folder.
PATH_KEYS: Final = ("reference", "train_data")


def _relative_to(raw: dict[str, Any], folder: Path) -> dict[str, Any]:
    """The config with relative file paths resolved against ``folder`` (the config file's), as readers of a config expect."""
    out = dict(raw)
    for key in PATH_KEYS:
        value = out.get(key)
        if isinstance(value, str) and value and "://" not in value and not Path(value).is_absolute():
            out[key] = str(folder / value)
    energy = (out.get("check") or {}).get("energy") if isinstance(out.get("check"), dict) else None
    if isinstance(energy, dict) and isinstance(energy.get("emissions_file"), str) and energy["emissions_file"] \
            and not Path(energy["emissions_file"]).is_absolute():
        out["check"] = {**out["check"], "energy": {**energy, "emissions_file": str(folder / energy["emissions_file"])}}
    return out
