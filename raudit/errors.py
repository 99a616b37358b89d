"""The one exception root of raudit, and its two kinds.

Every error raudit raises on purpose is a :class:`RauditError`. Its message
says what was wrong, where, and how to fix it; the CLI prints it without a
traceback and exits with :attr:`RauditError.exit_code`.
"""

from __future__ import annotations

__all__ = ["RauditError", "InputError", "ConfigError"]


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
