"""raudit: audit a trained model and write a responsible-AI governance report.

Examples
--------
>>> import raudit
>>> report = raudit.audit("model.joblib", "data.csv", target="approved",
...                       sensitive=["sex"])  # doctest: +SKIP
>>> report.save("audit.html")  # doctest: +SKIP
"""

from raudit._adapters import ModelAdapter, adapt
from raudit._api import audit
from raudit._config import AuditConfig
from raudit._context import AuditContext
from raudit._energy import track_training
from raudit._errors import ConfigError, InputError, RauditError
from raudit._options import Options, option
from raudit._plugins import Check
from raudit._report import Report
from raudit._results import CheckResult, Estimate, Figure, Finding, Table, grade, worst
from raudit._verify import verify
from raudit._version import __version__

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
    "track_training",
    "grade",
    "option",
    "verify",
    "worst",
]
