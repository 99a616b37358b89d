"""Find and load the checks: every class registered under the ``raudit.checks`` entry-point group.

Built-in checks use the same door as third-party ones: they are listed as entry points in raudit's
own ``pyproject.toml``. Discovery happens when an audit starts, never at import time. Set
``RAUDIT_DISABLE_PLUGIN_AUTOLOAD=1`` to load only raudit's own checks.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from importlib.resources import files

from raudit.engine.check import Check
from raudit.errors import RauditError

__all__ = ["PluginInfo", "discover", "builtin", "plugin_template_dirs", "ENTRY_POINT_GROUP"]

ENTRY_POINT_GROUP = "raudit.checks"


@dataclass(frozen=True)
class PluginInfo:
    """A discovered check, or one that failed to load."""

    name: str
    package: str
    version: str
    value: str
    check: type[Check] | None = None
    error: str = ""


def _entry_points() -> list[EntryPoint]:
    return sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)


def discover(*, strict: bool = False) -> list[PluginInfo]:
    """Find and load every check registered under ``raudit.checks`` (once per process: the result is cached).

    Parameters
    ----------
    strict : bool
        Raise instead of reporting a plugin that fails to load.

    Returns
    -------
    list of PluginInfo
        Sorted by check order, then name. Failed plugins carry ``error``.
    """
    only_builtin = os.environ.get("RAUDIT_DISABLE_PLUGIN_AUTOLOAD", "") not in ("", "0")
    found = list(_discover(only_builtin))
    failed = [p for p in found if p.check is None]
    if strict and failed:
        p = failed[0]
        raise RauditError(f"check plugin {p.name!r} from package {p.package} failed to load: {p.error}")
    return found


def builtin(name: str) -> type[Check]:
    """One of raudit's own checks, by name, through the same entry points (``raudit compare`` reads their options).

    Raises
    ------
    RauditError
        The check is not installed or failed to load (a broken installation of raudit).
    """
    for p in _discover(True):
        if p.name == name and p.check is not None:
            return p.check
    raise RauditError(f"raudit's own {name!r} check is not installed", hint="reinstall raudit (pip install --force-reinstall raudit)")


@functools.cache
def _discover(only_builtin: bool) -> tuple[PluginInfo, ...]:
    found: list[PluginInfo] = []
    seen: set[str] = set()
    for ep in _entry_points():
        if ep.name in seen:  # the same distribution visible twice on sys.path: first wins
            continue
        seen.add(ep.name)
        dist = ep.dist
        package = dist.name if dist is not None else "?"
        version = dist.version if dist is not None else "?"
        if only_builtin and package != "raudit":
            continue
        try:
            cls = ep.load()
            if not (isinstance(cls, type) and issubclass(cls, Check)) or not cls.name:
                raise TypeError(f"{ep.value} is not a raudit.Check subclass with a name")
            found.append(PluginInfo(ep.name, package, version, ep.value, check=cls))
        except Exception as exc:
            found.append(PluginInfo(ep.name, package, version, ep.value, error=f"{type(exc).__name__}: {exc}"))
    found.sort(key=lambda p: (p.check.order if p.check else 1000, p.name))
    return tuple(found)


def plugin_template_dirs() -> tuple[str, ...]:
    """``templates/`` folders shipped inside third-party check packages (for their ``checks/NAME.html.j2``)."""
    found = []
    for p in discover():
        if p.check is None or p.package == "raudit":
            continue
        package = p.check.__module__.split(".")[0]
        try:
            folder = files(package) / "templates"
        except (ModuleNotFoundError, TypeError):
            continue
        if folder.is_dir():
            found.append(str(folder))
    return tuple(dict.fromkeys(found))
