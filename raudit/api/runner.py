"""Choose the checks of an audit, validate their options, run each in isolation.

1. :func:`plan_checks` applies the allow-list and parses every chosen check's options (before
   anything is loaded or read);
2. :func:`validate_checks` lets each check that will run validate what its options say about the
   data, against the facts of the first pass (before anything is predicted);
3. :func:`run_checks` runs them; a check that raises becomes an ``error`` section.
"""

from __future__ import annotations

import dataclasses
import difflib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from raudit.api.plugins import PluginInfo
from raudit.config import AuditConfig
from raudit.engine.check import Check
from raudit.engine.context import AuditContext, Facts
from raudit.errors import ConfigError
from raudit.options import Options
from raudit.report.results import CheckResult, Finding

__all__ = ["PlannedCheck", "Progress", "plan_checks", "validate_checks", "run_checks", "summarisers"]


class Progress(Protocol):
    """Receives progress events while checks run (the CLI draws a bar)."""

    def start(self, total: int) -> None:  # noqa: D102
        ...

    def check_started(self, name: str) -> None:  # noqa: D102
        ...

    def check_done(self, result: CheckResult) -> None:  # noqa: D102
        ...


@dataclass(frozen=True)
class PlannedCheck:
    """A check chosen for this audit, with its validated options (``None`` when its plugin failed to load)."""

    plugin: PluginInfo
    check: Check | None
    options: Options | None


def plan_checks(plugins: Sequence[PluginInfo], config: AuditConfig) -> list[PlannedCheck]:
    """Apply the allow-list and parse every chosen check's options, before anything is loaded.

    Raises
    ------
    ConfigError
        An allow-listed or configured check that does not exist, an unknown
        option, or an option of the wrong type or out of range.
    """
    names = [p.name for p in plugins]
    for asked in (*(config.checks or ()), *config.check_options):
        if asked not in names:
            close = difflib.get_close_matches(asked, names, n=1)
            raise ConfigError(f"unknown check {asked!r}", hint=(f"did you mean {close[0]!r}? " if close else "")
                              + f"available checks: {', '.join(names)} (see `raudit checks`)")
    planned = []
    for p in plugins:
        if config.checks is not None and p.name not in config.checks:
            continue
        if p.check is None:
            planned.append(PlannedCheck(p, None, None))
            continue
        planned.append(PlannedCheck(p, p.check(), p.check.Options.parse(config.options_for(p.name), check=p.name)))
    return planned


def validate_checks(facts: Facts, planned: Sequence[PlannedCheck]) -> None:
    """Let each check that will run validate what its options say about the data (exit 2 before anything is predicted)."""
    for item in planned:
        if item.check is not None and item.check.unmet(facts) is None:
            item.check.validate(facts, item.options)


def summarisers(planned: Sequence[PlannedCheck]) -> tuple[tuple[str, Check, Any], ...]:
    """The (name, check, options) of every loaded check, for the second pass to summarise chunks with."""
    return tuple((item.plugin.name, item.check, item.options) for item in planned if item.check is not None)


def run_checks(ctx: AuditContext, planned: Sequence[PlannedCheck], *, progress: Progress | None = None) -> list[CheckResult]:
    """Run each check in isolation; a check that raises becomes an ``error`` result."""
    results = []
    if progress:
        progress.start(len(planned))
    for item in planned:
        if progress:
            progress.check_started(item.plugin.name)
        t0 = time.perf_counter()
        result = _run_one(item, ctx)
        result = dataclasses.replace(result, package=item.plugin.package, version=item.plugin.version,
                                     duration_s=time.perf_counter() - t0)
        results.append(result)
        if progress:
            progress.check_done(result)
    return results


def _run_one(item: PlannedCheck, ctx: AuditContext) -> CheckResult:
    p, check = item.plugin, item.check
    title = p.check.title if p.check and p.check.title else p.name
    if check is None or item.options is None:
        return CheckResult(
            name=p.name, title=title, status="error",
            summary=f"plugin failed to load: {p.error}",
            findings=[Finding("error", f"The check plugin {p.name!r} from package {p.package} {p.version} failed to load: {p.error}")],
        )
    options = item.options.to_dict()
    reason = check.unmet(ctx.facts)
    if reason:
        return CheckResult(name=p.name, title=title, status="skipped", summary=f"Skipped: {reason}.", options=options)
    try:
        result = check.run(ctx, item.options)
        if not isinstance(result, CheckResult):
            raise TypeError(f"run() returned {type(result).__name__}, not a CheckResult")
        return dataclasses.replace(result, options=options)
    except MemoryError:
        raise  # the jail's memory limit: the audit stops (exit 2), it is not one check's error
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"
        return CheckResult(
            name=p.name, title=title, status="error",
            summary=f"The check raised an error: {message}",
            findings=[Finding("error", f"The check could not complete: {message}. The rest of the report is unaffected.")],
            options=options,
        )
