r"""Text from reports made inert on a web page.

Autoescaping (Jinja2) makes HTML in a group name or a column name show as text, and template syntax in
it is never evaluated (values are data, not templates). What escaping does not touch are characters that
change how a page *reads*: bidirectional overrides and isolates (which reorder what a person sees),
zero-width characters, other controls and line separators. :func:`inert` shows each as a visible escape
(``\u202e``), as the terminal output does (:func:`raudit.cli.output.terminal_text`).
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

__all__ = ["inert", "finalize"]


def inert(value: Any) -> str:
    r"""``value`` as text with every non-printable character (bidi controls, zero-width, C0/C1) as a visible escape.

    Examples
    --------
    >>> inert("abc\u202egpj.exe")
    'abc\\u202egpj.exe'
    """
    text = str(value)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def finalize(value: Any) -> Any:
    """Jinja2's ``finalize``: every ``{{ value }}`` passes through :func:`inert` before escaping (markup we built stays)."""
    if value is None:
        return ""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return inert(value)
