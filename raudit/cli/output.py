"""What the command line prints: text made safe for a terminal, errors without tracebacks, the summary, exit codes."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

import click

from raudit.errors import RauditError

__all__ = ["terminal_text", "error_text", "exit_with", "print_summary", "make_progress", "size",
           "EXIT_OK", "EXIT_FAILED", "EXIT_INPUT", "EXIT_INTERNAL"]

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


def terminal_text(value: object) -> str:
    """Return ``value`` as text that cannot drive the terminal it is printed to.

    Group values, column names, file names and the messages quoting them come
    from untrusted data. Every character that is not printable — ANSI escape
    sequences (clear the screen, paint a fake green PASS), ``\\r`` (overwrite
    the line), BEL, other C0 and C1 controls, line separators, bidirectional
    overrides (reorder what the reader sees), zero-width characters — becomes a
    visible escape such as ``\\x1b`` or ``\\u202e``, newlines included, so
    one value stays on its line. Every output path of the CLI goes through it.

    Examples
    --------
    >>> print(terminal_text("F\\x1b[2J\\rPASS"))
    F\\x1b[2J\\rPASS
    """
    text = str(value)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def error_text(exc: BaseException) -> str:
    """An error's message and hint, each made safe for the terminal (a message cannot forge a hint line)."""
    if isinstance(exc, RauditError):
        message = terminal_text(exc.args[0] if exc.args else "")
        return message + (f"\n  hint: {terminal_text(exc.hint)}" if exc.hint else "")
    return terminal_text(exc)


def show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: Any = None, line: str | None = None) -> None:
    """Print a Python warning through :func:`terminal_text`: libraries' warnings can quote column names and values."""
    click.echo(f"{terminal_text(filename)}:{lineno}: {category.__name__}: {terminal_text(message)}", err=True)


def exit_with(run: Any, *, debug: bool) -> None:
    """Run ``run()`` and exit with its code: 2 for bad input (message, no traceback), 3 for an internal error."""
    try:
        with warnings.catch_warnings():
            warnings.showwarning = show_warning
            code = run()
    except RauditError as exc:
        click.echo(f"raudit: error: {error_text(exc)}", err=True)
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, click.exceptions.Exit):
        raise
    except (SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # noqa: B036 - a library's BaseException (a tokenizers PanicException) is exit 3, never 1
        if debug:
            raise
        click.echo(
            f"raudit: internal error: {type(exc).__name__}: {error_text(exc)}\n"
            "  This is a bug in raudit, a plugin or a library it called (with this model); rerun with --debug for the "
            "traceback and report it.",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)
    sys.exit(code)


class RichProgress:
    """A progress bar on standard error, shown only on a terminal."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(), console=Console(stderr=True), transient=True,
        )
        self._task: Any = None

    def start(self, total: int) -> None:
        self._progress.start()
        self._task = self._progress.add_task("checks", total=total)

    def check_started(self, name: str) -> None:
        self._progress.update(self._task, description=f"running {name}")

    def check_done(self, result: Any) -> None:
        self._progress.advance(self._task)

    def stop(self) -> None:
        self._progress.stop()


def make_progress(quiet: bool) -> RichProgress | None:
    """A progress bar on standard error when it is a terminal and not ``--quiet``; else ``None``."""
    if quiet or not sys.stderr.isatty():
        return None
    return RichProgress()


def print_summary(report: Any, written: list[Path], seconds: float, fail_on: str) -> None:
    """What was audited, each check's status and headline, the files written, and the verdict with its exit code."""
    marks = {"pass": "PASS", "inconclusive": "UNSURE", "warn": "WARN", "fail": "FAIL", "error": "ERROR", "skipped": "SKIP"}
    colors = {"pass": "green", "inconclusive": "cyan", "warn": "yellow", "fail": "red", "error": "magenta", "skipped": "bright_black"}
    width = max((len(terminal_text(r.name)) for r in report.results), default=8)
    click.echo(f"raudit: audited {report.lineage['data_shape']['rows']:,} rows in {seconds:.1f} s")
    if report.config.get("sensitive_guessed"):
        guessed = ", ".join(terminal_text(c) for c in report.config["sensitive"])
        click.echo(f"raudit: note: sensitive columns guessed from their names: {guessed}; confirm them with --sensitive")
    for r in report.results:
        mark = click.style(f"{marks[r.status]:<6}", fg=colors[r.status], bold=True)
        click.echo(f"  {mark} {terminal_text(r.name):<{width}}  {terminal_text(r.summary)}")
    for p in written:
        click.echo(f"Wrote {terminal_text(p)} ({size(p.stat().st_size)})")
    code = report.exit_code(fail_on)
    verdict = "passed" if code == 0 else "FAILED"
    click.echo(f"Overall: {marks[report.status]} — {verdict} under --fail-on {fail_on} (exit code {code})")


def size(n: int) -> str:
    """A byte count for people: ``1.2 MB``."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)

