"""The jail: everything that opens or calls a model runs in a child process that can only compute.

:func:`~raudit.sandbox.jail.run_jailed` forks a child, confines it
(:func:`~raudit.sandbox.confine.confine`: rlimits, an empty network namespace, Landlock, seccomp)
and returns what the child computed as plain data; a crash, a hang or a limit reached becomes an
:class:`~raudit.errors.InputError` that names the model. :class:`~raudit.sandbox.confine.Protections`
records which protections were in force (the report's lineage shows it).
"""

from raudit.sandbox.confine import Protections, confine
from raudit.sandbox.jail import JailFailure, run_jailed

__all__ = ["Protections", "confine", "run_jailed", "JailFailure"]
