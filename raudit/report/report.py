"""The report: ordered check results, lineage and config; the one source of every renderer."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from raudit.config import FailOn, Inconclusive
from raudit.report.results import CheckResult, Status, worst
from raudit.trust.digest import content_digest

__all__ = ["Report", "SCHEMA_VERSION", "exit_code_for"]

#: Version of the JSON form; bump the major part on breaking changes.
SCHEMA_VERSION = "2.0"


def exit_code_for(statuses: Status | Iterable[Status], fail_on: FailOn, inconclusive: Inconclusive = "warn") -> int:
    """Return the CLI exit code for the checks' ``statuses`` under a ``fail_on`` and an ``inconclusive`` policy.

    A check that errored counts as failed: an audit that could not run a check cannot certify what it
    would have found. An inconclusive check counts as a warning, or as a failure under
    ``inconclusive = "fail"`` (a strict policy).

    Examples
    --------
    >>> exit_code_for("warn", "fail"), exit_code_for("warn", "warn")
    (0, 1)
    >>> exit_code_for(["pass", "inconclusive"], "fail"), exit_code_for(["pass", "inconclusive"], "fail", "fail")
    (0, 1)
    """
    if fail_on == "never":
        return 0
    failing = {"fail", "error"} | ({"warn", "inconclusive"} if fail_on == "warn" else set())
    if inconclusive == "fail":
        failing.add("inconclusive")
    found = {statuses} if isinstance(statuses, str) else set(statuses)
    return 1 if found & failing else 0


@dataclass(frozen=True)
class Report:
    """The result of an audit.

    Attributes
    ----------
    results : tuple of CheckResult
        In report order.
    lineage : dict
        Inputs, versions, platform, time, command (see ``raudit.report.lineage``).
    config : dict
        The effective configuration.
    model_card : dict
        ``fields`` (label and text of each given field) and ``gaps`` (fields missing).
    compliance : dict
        The requirement → evidence → status matrix (``raudit.report.compliance``).
    title : str
    template_dirs : tuple of str
        Template folders of third-party checks (for their ``checks/NAME.html.j2`` partials); not part
        of the JSON.
    """

    results: Sequence[CheckResult]
    lineage: Mapping[str, Any] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)
    model_card: Mapping[str, Any] = field(default_factory=dict)
    compliance: Mapping[str, Any] = field(default_factory=dict)
    title: str = "Responsible-AI audit"
    template_dirs: tuple[str, ...] = field(default=(), compare=False)

    @property
    def status(self) -> Status:
        """The worst status over all checks."""
        return worst(r.status for r in self.results)

    def __getitem__(self, name: str) -> CheckResult:
        """Return the result of the check called ``name``."""
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(f"no check named {name!r} in this report; it has {[r.name for r in self.results]}")

    def exit_code(self, fail_on: FailOn | None = None, inconclusive: Inconclusive | None = None) -> int:
        """Return the CLI exit code (0 passed, 1 failed) under ``fail_on`` and ``inconclusive`` (default: the report's config)."""
        return exit_code_for([r.status for r in self.results], fail_on or self.config.get("fail_on", "fail"),
                             inconclusive or self.config.get("inconclusive", "warn"))

    def to_dict(self, *, files: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Return the JSON form (see ``raudit/schema/report.schema.json``).

        ``integrity.digest`` is the sha256 of the canonical JSON of every
        other key; ``raudit verify`` recomputes it. ``files`` (file name →
        sha256 of the report's other files, written beside it) goes into
        ``integrity.files``, so that verify notices an edited HTML or PDF
        even in an unsigned set.
        """
        body = {
            "schema_version": SCHEMA_VERSION,
            "title": self.title,
            "status": self.status,
            "model_card": dict(self.model_card),
            "checks": [r.to_dict() for r in self.results],
            "compliance": dict(self.compliance),
            "lineage": dict(self.lineage),
            "config": dict(self.config),
        }
        body["integrity"] = {"algorithm": "sha256", "digest": content_digest(body),
                             **({"files": dict(sorted(files.items()))} if files else {})}
        return body

    def to_json(self, *, files: Mapping[str, str] | None = None) -> str:
        """Return the report as indented, key-sorted JSON text (``files``: see :meth:`to_dict`)."""
        return json.dumps(self.to_dict(files=files), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    def render(self, fmt: str) -> bytes:
        """Return the report as bytes in ``fmt`` (``"html"``, ``"pdf"``, ``"json"``, ``"junit"`` or ``"md"``)."""
        from raudit.report.renderers import renderers_for

        return renderers_for([fmt])[0].render(self)

    def save(self, path: str | Path, *, sign_key: str | Path | None = None) -> Path:
        """Write the report to ``path``; the format follows the suffix.

        The file is written atomically: a failure leaves no partial file.

        Parameters
        ----------
        path : path
            ``.html``, ``.pdf`` or ``.json``.
        sign_key : path, optional
            An Ed25519 private key (``raudit keygen``): also write a signature
            of the JSON report next to it (``audit.json`` → ``audit.intoto.json``),
            which ``raudit verify audit.json --key KEY.pub`` checks. JSON only.

        Examples
        --------
        >>> report.save("audit.html")  # doctest: +SKIP
        >>> report.save("audit.json", sign_key="raudit.key")  # doctest: +SKIP
        """
        from raudit.report.write import save

        return save(self, path, sign_key=sign_key)

    def _repr_html_(self) -> str:
        from raudit.report.html import render_html

        return render_html(self, standalone=False)
