"""The one exception root of raudit, and its two kinds.

Every error raudit raises on purpose is a :class:`RauditError`. Its message
says what was wrong, where, and how to fix it; the CLI prints it without a
traceback and exits with :attr:`RauditError.exit_code`.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["RauditError", "InputError", "ConfigError", "import_optional"]


class RauditError(Exception):
    """Root of every error raudit raises on purpose.

    Parameters
    ----------
    message : str
        What went wrong, where, and how to fix it.
    hint : str, optional
        A separate line telling the user what to do next.
    """

    exit_code: int = 3

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def __str__(self) -> str:
        base = super().__str__()
        return f"{base}\n  hint: {self.hint}" if self.hint else base


class InputError(RauditError):
    """A model, data file or argument that raudit cannot use (exit code 2)."""

    exit_code = 2


class ConfigError(InputError):
    """A configuration key or value that is not valid (exit code 2)."""


def import_optional(module: str, *, needed_by: str, install: str) -> ModuleType:
    """Import an optional dependency, or stop with exit 2 saying what needs it and how to install it.

    Parameters
    ----------
    module : str
        The module to import, e.g. ``"onnxruntime"``.
    needed_by : str
        What needs it, as the sentence's subject: ``"ONNX models need onnxruntime"``.
    install : str
        The pip requirement that provides it, e.g. ``"raudit[onnx]"``.

    Examples
    --------
    >>> import_optional("json", needed_by="reading JSON needs json", install="json").__name__
    'json'
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        raise InputError(needed_by, hint=f"pip install '{install}'") from None
