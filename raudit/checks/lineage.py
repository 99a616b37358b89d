"""Lineage: is what was audited the versioned model and data? (git and DVC)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from raudit.plugin import (
    AuditContext,
    Check,
    CheckResult,
    Finding,
    Options,
    Table,
    git_info,
    option,
)


def md5_file(path: Path) -> str:
    """Hex md5 of a file (what DVC records for a file output)."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, lambda: hashlib.md5(usedforsecurity=False)).hexdigest()


def dvc_record(path: Path, *, max_up: int = 6) -> dict[str, Any] | None:
    """Find what DVC recorded for ``path``: its ``.dvc`` file, else a ``dvc.lock`` above it.

    Returns ``{"source": file, "path": recorded path, "md5": recorded md5}`` or ``None``.
    Scalars are read as text (``BaseLoader``): an md5 like ``0123…`` must not become a number.
    """
    import yaml

    target = path.resolve()
    sidecar = Path(str(path) + ".dvc")
    if sidecar.is_file():
        data = yaml.load(sidecar.read_text(encoding="utf-8"), Loader=yaml.BaseLoader) or {}
        for out in data.get("outs", []):
            if (sidecar.parent / out.get("path", "")).resolve() == target:
                return {"source": str(sidecar), "path": out.get("path"), "md5": out.get("md5"), "hash": out.get("hash", "md5")}
    folder = target.parent
    for _ in range(max_up):
        lock = folder / "dvc.lock"
        if lock.is_file():
            data = yaml.load(lock.read_text(encoding="utf-8"), Loader=yaml.BaseLoader) or {}
            for stage, spec in (data.get("stages") or {}).items():
                for out in spec.get("outs", []) or []:
                    if (folder / out.get("path", "")).resolve() == target:
                        return {"source": f"{lock} (stage {stage})", "path": out.get("path"), "md5": out.get("md5"),
                                "hash": out.get("hash", "md5")}
        if (folder / ".git").exists() or folder.parent == folder:
            break
        folder = folder.parent
    return None


JudgedStatus = Literal["pass", "warn", "fail"]


@dataclass(frozen=True)
class LineageOptions(Options):
    """What each provenance problem counts as."""

    dvc_mismatch: JudgedStatus = option("fail", "status when an input file differs from its DVC record")
    dirty: JudgedStatus = option("warn", "status when the git repository holding an input has uncommitted changes")
    untracked: JudgedStatus = option("warn", "status when an input file is tracked by neither git nor DVC "
                                             "(its provenance is not established)")


class LineageCheck(Check):
    """Compares each input file with what git and DVC recorded for it."""

    name = "lineage"
    title = "Lineage and provenance"
    order = 90
    Options = LineageOptions
    evidence = {
        "EU-AIA-IV.2.d": "data provenance: git and DVC records compared with the audited files",
        "NIST-MEASURE-2.1": "the exact data and model audited, traced to version control",
    }

    def analyse(self, ctx: AuditContext, options: LineageOptions) -> tuple[Traced, ...]:
        """Each input traced: given in memory, loaded from MLflow, or a file with its git state and DVC record."""
        return tuple(_trace(ctx, role, source) for role, source in ctx.sources.items()
                     if not (role == "model" and ctx.model is None))  # recorded decisions: no model was audited, none to trace

    # size: collects the per-input findings, the per-repository ones and the evidence in order
    def present(self, inputs: tuple[Traced, ...], options: LineageOptions) -> CheckResult:
        """A finding per provenance problem (or confirmation), the table of inputs, the compliance evidence."""
        findings = [f for i in inputs for f in _findings(i, options)]
        untraced = [i.role for i in inputs if i.untraced]
        dirty: dict[tuple[str, str], list[str]] = {}
        for i in inputs:
            if i.git is not None and i.git["dirty"]:
                dirty.setdefault((i.git["repository"], str(i.git["commit"])[:12]), []).append(i.role)
        for (repository, commit), roles in dirty.items():
            findings.append(Finding(options.dirty, f"The repository holding the {' and the '.join(roles)} ({repository}) has "
                                                   f"uncommitted changes at {commit}: the audit may not be reproducible from a "
                                                   "commit.", f"{'+'.join(roles)}/dirty"))
        files = [i for i in inputs if i.kind == "file" and i.untraced]
        if files:
            names = [f"the {i.role} file {Path(str(i.source)).name}" for i in files]
            one = len(names) == 1
            findings.append(Finding(options.untracked, f"Provenance not established: {' and '.join(names)} "
                                                       f"{'is' if one else 'are'} tracked by neither git nor DVC; only the sha256 "
                                                       f"in the lineage appendix identifies {'it' if one else 'them'}.",
                                    f"{'+'.join(i.role for i in files)}/untracked"))
        rows = [i.row() for i in inputs if i.kind == "file"]
        table = Table("Inputs and version control",
                      ["input", "file", "git commit", "tracked by git", "uncommitted changes", "DVC record"], rows,
                      formats=["text"] * 6)
        differ = sum(i.dvc_differs for i in inputs)
        evidence = {}
        if untraced or differ:
            what = (f"provenance not established for {', '.join(untraced)} (not under version control)" if untraced else
                    "an input differs from its DVC record")
            evidence = {rid: {"what": what, "status": "partial"} for rid in self.evidence}
        return self.result(findings=findings, summary=_summary(inputs, rows), tables=[table] if rows else [],
                           details={i.role: i.details() for i in inputs if i.kind != "memory"}, evidence=evidence)


@dataclass(frozen=True)
class Traced:
    """One input of the audit (``role``: model, data, reference) and what version control says of it."""

    role: str
    source: str | None
    kind: Literal["memory", "mlflow", "file"]
    git: Mapping[str, Any] | None = None
    dvc: Mapping[str, Any] | None = None
    actual_md5: str | None = None
    mlflow: Mapping[str, Any] | None = None

    @property
    def dvc_differs(self) -> bool:
        """The file is not the one its DVC record names."""
        return self.dvc is not None and self.dvc.get("md5") != self.actual_md5

    @property
    def untraced(self) -> bool:
        """Neither git nor DVC can say where the input came from (or it was given in memory)."""
        return self.kind == "memory" or (self.kind == "file" and self.dvc is None
                                         and (self.git is None or not self.git["file_tracked"]))

    def row(self) -> list[str]:
        """The input's row of the table."""
        git = self.git or {}
        return [self.role, Path(str(self.source)).name, git.get("commit", "—") and str(git.get("commit"))[:12],
                "yes" if git.get("file_tracked") else "no", "yes" if git.get("dirty") else ("no" if self.git else "—"),
                "—" if self.dvc is None else ("DIFFERS" if self.dvc_differs else "matches")]

    def details(self) -> dict[str, Any]:
        """The JSON details of the input."""
        if self.kind == "mlflow":
            return {"mlflow": dict(self.mlflow or {})}
        dvc = None if self.dvc is None else {**self.dvc, "actual_md5": self.actual_md5}
        return {"path": self.source, "git": self.git, "dvc": dvc}


def _trace(ctx: AuditContext, role: str, source: str | None) -> Traced:
    if not source:
        return Traced(role, None, "memory")
    if role == "model" and ctx.model is not None and ctx.model.load_info.get("mlflow_uri") == source:
        loaded = ctx.model.load_info
        return Traced(role, source, "mlflow", mlflow={k: loaded.get(k) for k in ("mlflow_uri", "run_id", "tracking_uri",
                                                                                  "artifact_sha256")})
    path = Path(source)
    dvc = dvc_record(path)
    return Traced(role, source, "file", git_info(path), dvc, md5_file(path) if dvc is not None else None)


def _findings(i: Traced, o: LineageOptions) -> list[Finding]:
    """What one input's own trace says (the repository-wide ones are added by the check)."""
    if i.kind == "memory":
        return [Finding(o.untracked, f"Provenance not established: the {i.role} was given in memory, so there is no file to "
                                     "trace to version control.", f"{i.role}/memory")]
    if i.kind == "mlflow":
        m = i.mlflow or {}
        return [Finding("pass", f"The model was loaded from MLflow {i.source} (run {m.get('run_id')}, tracking "
                                f"{m.get('tracking_uri')}); its artifact's sha256 is {str(m.get('artifact_sha256'))[:12]}….",
                        "model/mlflow")]
    if i.dvc is None:
        return []
    actual = str(i.actual_md5)
    if not i.dvc_differs:
        return [Finding("pass", f"The {i.role} file matches its DVC record ({i.dvc['source']}, md5 {actual[:12]}…).", f"{i.role}/dvc")]
    return [Finding(o.dvc_mismatch, f"The {i.role} file {Path(str(i.source)).name} is not the versioned one: DVC recorded md5 "
                                    f"{str(i.dvc.get('md5'))[:12]}… in {i.dvc['source']}, the audited file has {actual[:12]}…. "
                                    "Check out the versioned file (dvc checkout) or update the record.", f"{i.role}/dvc")]


def _summary(inputs: tuple[Traced, ...], rows: list[list[str]]) -> str:
    n = len(inputs)
    differ = sum(i.dvc_differs for i in inputs)
    untraced = [i.role for i in inputs if i.untraced]
    records = [r[5] for r in rows if r[5] != "—"]
    if differ:
        return f"{differ} input file(s) differ from their DVC record"
    if untraced:
        return f"provenance not established for {len(untraced)} of {n} inputs ({', '.join(untraced)}): not under version control"
    dvc_text = f"DVC: {records.count('matches')} match, {records.count('DIFFERS')} differ" if records else "no DVC records"
    return f"{n} of {n} inputs traced: {sum(1 for r in rows if r[3] == 'yes')} tracked by git; {dvc_text}"
