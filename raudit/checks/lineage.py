"""Lineage: is what was audited the versioned model and data? (git and DVC)."""

from __future__ import annotations

import hashlib
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

    def run(self, ctx: AuditContext, options: LineageOptions) -> CheckResult:  # noqa: D102
        findings, rows, details = [], [], {}
        untraced: list[str] = []
        untracked_files: list[str] = []
        dirty: dict[tuple[str, str], list[str]] = {}
        for role, source in ctx.sources.items():
            if not source:
                findings.append(Finding(options.untracked, f"Provenance not established: the {role} was given in memory, so "
                                                           "there is no file to trace to version control.", f"{role}/memory"))
                untraced.append(role)
                continue
            if role == "model" and ctx.model is not None and ctx.model.load_info.get("mlflow_uri") == source:
                loaded = ctx.model.load_info
                findings.append(Finding("pass", f"The model was loaded from MLflow {source} (run {loaded.get('run_id')}, tracking "
                                                f"{loaded.get('tracking_uri')}); its artifact's sha256 is "
                                                f"{str(loaded.get('artifact_sha256'))[:12]}….", "model/mlflow"))
                details[role] = {"mlflow": {k: loaded.get(k) for k in ("mlflow_uri", "run_id", "tracking_uri", "artifact_sha256")}}
                continue
            path = Path(source)
            git = git_info(path)
            dvc = dvc_record(path)
            info: dict[str, Any] = {"path": source, "git": git, "dvc": dvc}
            if dvc is not None:
                actual = md5_file(path)
                info["dvc"]["actual_md5"] = actual
                if dvc.get("md5") == actual:
                    findings.append(Finding("pass", f"The {role} file matches its DVC record ({dvc['source']}, md5 {actual[:12]}…).",
                                            f"{role}/dvc"))
                else:
                    findings.append(Finding(options.dvc_mismatch, f"The {role} file {path.name} is not the versioned one: DVC "
                                            f"recorded md5 {str(dvc.get('md5'))[:12]}… in {dvc['source']}, the audited file has "
                                            f"{actual[:12]}…. Check out the versioned file (dvc checkout) or update the record.",
                                            f"{role}/dvc"))
            if git is not None and git["dirty"]:
                dirty.setdefault((git["repository"], str(git["commit"])[:12]), []).append(role)
            if dvc is None and (git is None or not git["file_tracked"]):
                untraced.append(role)
                untracked_files.append(f"the {role} file {path.name}")
            rows.append([role, path.name, (git or {}).get("commit", "—") and str((git or {}).get("commit"))[:12],
                         "yes" if (git or {}).get("file_tracked") else "no",
                         "yes" if (git or {}).get("dirty") else ("no" if git else "—"),
                         "—" if dvc is None else ("matches" if dvc.get("md5") == info["dvc"]["actual_md5"] else "DIFFERS")])
            details[role] = info
        for (repository, commit), roles in dirty.items():
            findings.append(Finding(options.dirty, f"The repository holding the {' and the '.join(roles)} ({repository}) has "
                                                   f"uncommitted changes at {commit}: the audit may not be reproducible from a "
                                                   "commit.", f"{'+'.join(roles)}/dirty"))
        if untracked_files:
            roles = [r for r in untraced if r in ctx.sources and ctx.sources[r]]
            findings.append(Finding(options.untracked, f"Provenance not established: {' and '.join(untracked_files)} "
                                                       f"{'is' if len(untracked_files) == 1 else 'are'} tracked by neither git nor "
                                                       "DVC; only the sha256 in the lineage appendix identifies "
                                                       f"{'it' if len(untracked_files) == 1 else 'them'}.", f"{'+'.join(roles)}/untracked"))
        table = Table("Inputs and version control",
                      ["input", "file", "git commit", "tracked by git", "uncommitted changes", "DVC record"], rows,
                      formats=["text"] * 6)
        records = [r[5] for r in rows if r[5] != "—"]
        dvc_text = f"DVC: {records.count('matches')} match, {records.count('DIFFERS')} differ" if records else "no DVC records"
        n = len(ctx.sources)
        if records.count("DIFFERS"):
            summary = f"{records.count('DIFFERS')} input file(s) differ from their DVC record"
        elif untraced:
            summary = f"provenance not established for {len(untraced)} of {n} inputs ({', '.join(untraced)}): not under version control"
        else:
            summary = f"{n} of {n} inputs traced: {sum(1 for r in rows if r[3] == 'yes')} tracked by git; {dvc_text}"
        evidence = {}
        if untraced or records.count("DIFFERS"):
            what = (f"provenance not established for {', '.join(untraced)} (not under version control)" if untraced else
                    "an input differs from its DVC record")
            status = "fail" if records.count("DIFFERS") and options.dvc_mismatch == "fail" else "partial"
            evidence = {rid: {"what": what, "status": status} for rid in self.evidence}
        return self.result(findings=findings, summary=summary, tables=[table] if rows else [], details=details,
                           evidence=evidence)
