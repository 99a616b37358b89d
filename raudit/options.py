"""Typed, validated, self-documenting check options.

A check declares its options as a frozen dataclass deriving from
:class:`Options`, one field per option, each made with :func:`option` (a
default, one line of documentation and an optional range)::

    @dataclass(frozen=True)
    class RowCountOptions(Options):
        min_rows: int = option(100, "rows below which the check warns", ge=1)

The types come from the annotations (``int``, ``float``, ``bool``, ``str``,
``Literal[...]``, ``tuple[T, ...]``, ``Mapping[str, T]`` and ``T | None``).
:meth:`Options.parse` checks a user's ``[check.NAME]`` table against them
before any work starts, so a mistake is an exit-2 error naming the key;
:func:`describe` turns the same declaration into the documentation that
``raudit checks --options`` prints and the documentation lists.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Self, get_args, get_origin, get_type_hints

from raudit.errors import ConfigError

__all__ = ["Options", "option", "describe", "OptionDoc"]


def option(default: Any, doc: str, *, ge: float | None = None, gt: float | None = None, le: float | None = None,
           lt: float | None = None) -> Any:
    """Declare one option: its default, a one-line description and an optional numeric range.

    Parameters
    ----------
    default : object
        The value used when the user does not set the option. Tables
        (dicts) are copied for each instance.
    doc : str
        One line for ``raudit checks --options`` and the documentation.
    ge, gt, le, lt : float, optional
        Bounds a number (or each number of a list) must respect.

    Examples
    --------
    >>> @dataclass(frozen=True)
    ... class O(Options):
    ...     alpha: float = option(0.05, "significance level", gt=0, lt=1)
    >>> O.parse({"alpha": 0.01}, check="x").alpha
    0.01
    """
    meta = {"doc": doc, "ge": ge, "gt": gt, "le": le, "lt": lt}
    if isinstance(default, (dict, list, set)):
        template = copy.deepcopy(default)
        return field(default_factory=lambda: copy.deepcopy(template), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Options:
    """Base of every check's options: a frozen dataclass whose fields are made with :func:`option`.

    Subclasses may override :meth:`check` to validate relations between
    fields (e.g. a warn threshold beyond its fail threshold).
    """

    @classmethod
    def parse(cls, given: Mapping[str, Any], *, check: str, table: str | None = None) -> Self:
        """Build the options from a user's table, validating names, types and ranges.

        Parameters
        ----------
        given : mapping
            The ``[check.NAME]`` table (only the options the user set).
        check : str
            The check's name, for messages.
        table : str, optional
            The TOML table the options come from, for messages (default ``check.NAME``).

        Raises
        ------
        ConfigError
            An unknown option (with the closest known one), a value of the
            wrong type or out of range; the message names ``[check.NAME].key``.
        """
        where_doc = " (see `raudit checks --options`)" if table is None else ""
        table = table or f"check.{check}"
        if not isinstance(given, Mapping):
            raise ConfigError(f"[{table}] must be a table of options; got {given!r}")
        known = {f.name: f for f in dataclasses.fields(cls)}
        hints = get_type_hints(cls)
        values = {}
        for key, value in given.items():
            if key not in known:
                import difflib

                close = difflib.get_close_matches(str(key), list(known), n=1)
                hint = (f"did you mean {close[0]!r}? " if close else "") + (
                    f"known options: {', '.join(known)}" if known else "this check takes no options")
                raise ConfigError(f"[{table}]: unknown option {key!r}", hint=hint + where_doc)
            where = f"[{table}].{key}"
            values[key] = _within(_convert(value, hints[key], where), known[key].metadata, where)
        instance = cls(**values)
        instance.check(name=check)
        return instance

    #: Warn/fail pairs ``{metric}_warn`` and ``{metric}_fail`` kept in order by :meth:`check`: metric -> ``"higher"`` when
    #: higher values are better (the fail threshold may not be above the warn one), ``"lower"`` when lower values are.
    thresholds: ClassVar[Mapping[str, str]] = {}

    def check(self, *, name: str) -> None:
        """Validate relations between fields; raise :class:`ConfigError` naming the keys.

        Default: the :attr:`thresholds` pairs are in order (a value never fails before it warns). A subclass that checks
        more calls ``super().check(name=name)``.
        """
        for metric, better in self.thresholds.items():
            warn, fail = getattr(self, f"{metric}_warn"), getattr(self, f"{metric}_fail")
            if warn is None or fail is None or not ((fail > warn) if better == "higher" else (fail < warn)):
                continue
            side, sign = ("above", "≤") if better == "higher" else ("below", "≥")
            raise ConfigError(f"[check.{name}]: {metric}_fail ({fail}) is {side} {metric}_warn ({warn}); a value would fail "
                              "before it warns", hint=f"set {metric}_fail {sign} {metric}_warn")

    def to_dict(self) -> dict[str, Any]:
        """Return the effective options as plain JSON-ready values."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (typing.Union, types.UnionType)


def _convert(value: Any, tp: Any, where: str) -> Any:  # size: one branch per option type an Options dataclass may declare
    """Check ``value`` against the annotation ``tp``; return it in the declared form (lists become tuples)."""
    if _is_union(tp):
        args = [a for a in get_args(tp) if a is not type(None)]
        optional = len(args) < len(get_args(tp))
        if optional and (value is None or (value is False and bool not in args)):  # TOML has no null: false turns it off
            return None
        errors = []
        for arg in args:
            try:
                return _convert(value, arg, where)
            except ConfigError as exc:
                errors.append(exc)
        raise errors[0]
    origin = get_origin(tp)
    if origin is Literal:
        if value not in get_args(tp):
            raise ConfigError(f"{where} must be one of {', '.join(repr(a) for a in get_args(tp))}; got {value!r}")
        return value
    if origin is tuple:
        item = get_args(tp)[0]
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where} must be a list of {_type_words(item)}s; got {value!r}")
        return tuple(_convert(v, item, f"{where}[{i}]") for i, v in enumerate(value))
    if origin in (Mapping, dict) or tp in (Mapping, dict):
        key_type, item = get_args(tp) or (str, Any)
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where} must be a table (e.g. {{ column = ... }}); got {value!r}")
        return {str(k): _convert(v, item, f"{where}.{k}") for k, v in value.items()}
    if tp is Any:
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false; got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be a whole number; got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where} must be a number; got {value!r}")
        if not math.isfinite(value):
            raise ConfigError(f"{where} must be a finite number; got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be text; got {value!r}")
        return value
    raise TypeError(f"{where}: option type {tp!r} is not supported")  # a check author's mistake, not the user's


def _within(value: Any, meta: Mapping[str, Any], where: str) -> Any:
    """Check every number in ``value`` against the field's bounds."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            _within(v, meta, f"{where}.{k}")
        return value
    if isinstance(value, tuple):
        for i, v in enumerate(value):
            _within(v, meta, f"{where}[{i}]")
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = _range_words(meta)
        ok = ((meta["ge"] is None or value >= meta["ge"]) and (meta["gt"] is None or value > meta["gt"])
              and (meta["le"] is None or value <= meta["le"]) and (meta["lt"] is None or value < meta["lt"]))
        if not ok:
            raise ConfigError(f"{where} must be {text}; got {value!r}", hint=meta["doc"])
    return value


def _range_words(meta: Mapping[str, Any]) -> str:
    parts = [f"{sym} {meta[k]:g}" for k, sym in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")) if meta.get(k) is not None]
    return " and ".join(parts)


def _type_words(tp: Any) -> str:
    """Plain words for an option's type."""
    if _is_union(tp):
        args = [a for a in get_args(tp) if a is not type(None)]
        words = list(dict.fromkeys(_type_words(float if a is int and float in args else a) for a in args))
        return " or ".join(words + (["false (off)"] if len(args) < len(get_args(tp)) else []))
    origin = get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(f'"{a}"' if isinstance(a, str) else str(a) for a in get_args(tp))
    if origin is tuple:
        return f"list of {_type_words(get_args(tp)[0])}s"
    if origin in (Mapping, dict):
        return f"table: column → {_type_words(get_args(tp)[1])}"
    return {bool: "true/false", int: "whole number", float: "number", str: "text"}.get(tp, str(tp))


@dataclass(frozen=True)
class OptionDoc:
    """One option as documented: name, type in words, default, range, description."""

    name: str
    type: str
    default: Any
    range: str
    doc: str

    @property
    def default_text(self) -> str:
        """The default as a user would write it in raudit.toml (``false`` for an option that is off)."""
        return _toml(self.default)


def _toml(value: Any) -> str:
    if value is None:
        return "false"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    return repr(value)


def describe(options: type[Options]) -> list[OptionDoc]:
    """Document each option of an :class:`Options` class, in declaration order.

    Examples
    --------
    >>> @dataclass(frozen=True)
    ... class O(Options):
    ...     alpha: float = option(0.05, "significance level", gt=0, lt=1)
    >>> describe(O)[0].type, describe(O)[0].range
    ('number', '> 0 and < 1')
    """
    hints = get_type_hints(options)
    defaults = options()
    return [OptionDoc(f.name, _type_words(hints[f.name]), _plain(getattr(defaults, f.name)), _range_words(f.metadata),
                      f.metadata.get("doc", "")) for f in dataclasses.fields(options)]
