"""raudit: audit a trained model and write a responsible-AI governance report.

Examples
--------
>>> import raudit
>>> report = raudit.audit("model.joblib", "data.csv", target="approved",
...                       sensitive=["sex"])  # doctest: +SKIP
>>> report.save("audit.html")  # doctest: +SKIP
"""

from typing import TYPE_CHECKING, Any

from raudit._errors import ConfigError, InputError, RauditError
from raudit._version import __version__

# Everything else is imported on first use (PEP 562), so that `raudit --help` and `raudit checks` do not pay
# for pandas, scikit-learn and the report renderers.
_LAZY = {
    "ModelAdapter": "raudit._adapters", "adapt": "raudit._adapters", "audit": "raudit._api", "compare": "raudit._compare",
    "compare_arms": "raudit._compare", "AuditConfig": "raudit._config", "AuditContext": "raudit._context",
    "track_training": "raudit._energy", "Options": "raudit._options", "option": "raudit._options", "Check": "raudit._plugins",
    "Report": "raudit._report", "CheckResult": "raudit._results", "Estimate": "raudit._results", "Figure": "raudit._results",
    "Finding": "raudit._results", "Table": "raudit._results", "grade": "raudit._results", "worst": "raudit._results",
    "verify": "raudit._verify",
}

if TYPE_CHECKING:
    from raudit._adapters import ModelAdapter, adapt
    from raudit._api import audit
    from raudit._compare import compare, compare_arms
    from raudit._config import AuditConfig
    from raudit._context import AuditContext
    from raudit._energy import track_training
    from raudit._options import Options, option
    from raudit._plugins import Check
    from raudit._report import Report
    from raudit._results import CheckResult, Estimate, Figure, Finding, Table, grade, worst
    from raudit._verify import verify


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'raudit' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "AuditConfig",
    "AuditContext",
    "Check",
    "CheckResult",
    "ConfigError",
    "Estimate",
    "Figure",
    "Finding",
    "InputError",
    "ModelAdapter",
    "Options",
    "RauditError",
    "Report",
    "Table",
    "__version__",
    "adapt",
    "audit",
    "compare",
    "compare_arms",
    "track_training",
    "grade",
    "option",
    "verify",
    "worst",
]
