"""raudit: audit a trained model and write a responsible-AI governance report.

Examples
--------
>>> import raudit
>>> report = raudit.audit("model.joblib", "data.csv", target="approved",
...                       sensitive=["sex"])  # doctest: +SKIP
>>> report.save("audit.html")  # doctest: +SKIP
"""

from typing import TYPE_CHECKING, Any

from raudit._version import __version__
from raudit.errors import ConfigError, InputError, RauditError

# Everything else is imported on first use (PEP 562), so that `raudit --help` and `raudit checks` do not pay
# for pandas, scikit-learn and the report renderers.
_LAZY = {
    "ModelAdapter": "raudit.load.adapters", "adapt": "raudit.load.adapters",
    "audit": "raudit.api.audit", "verify": "raudit.api.verify", "approve": "raudit.api.approve",
    "compare": "raudit.api.compare", "compare_arms": "raudit.api.compare",
    "AuditConfig": "raudit.config", "Options": "raudit.options", "option": "raudit.options",
    "AuditContext": "raudit.engine.context", "Check": "raudit.engine.check",
    "track_training": "raudit.integrations.energy",
    "Report": "raudit.report.report", "CheckResult": "raudit.report.results", "Estimate": "raudit.report.results",
    "Figure": "raudit.report.results", "Finding": "raudit.report.results", "Table": "raudit.report.results",
    "grade": "raudit.report.results", "worst": "raudit.report.results",
}

if TYPE_CHECKING:
    from raudit.api.approve import approve
    from raudit.api.audit import audit
    from raudit.api.compare import compare, compare_arms
    from raudit.api.verify import verify
    from raudit.config import AuditConfig
    from raudit.engine.check import Check
    from raudit.engine.context import AuditContext
    from raudit.integrations.energy import track_training
    from raudit.load.adapters import ModelAdapter, adapt
    from raudit.options import Options, option
    from raudit.report.report import Report
    from raudit.report.results import CheckResult, Estimate, Figure, Finding, Table, grade, worst


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
    "approve",
    "audit",
    "compare",
    "compare_arms",
    "track_training",
    "grade",
    "option",
    "verify",
    "worst",
]
