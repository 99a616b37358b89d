"""Where a report came from: input hashes, versions, git state, command, time."""

from __future__ import annotations

import hashlib
import platform
import shlex
import subprocess
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from raudit.trust.digest import sha256_file

__all__ = ["file_info", "git_info", "remember_git", "recall_git", "library_versions", "collect_lineage"]

#: git states looked up before the jail starts (the jailed process may not run git): resolved path → state.
_GIT: dict[str, dict[str, Any] | None] = {}

#: Libraries whose versions every report records (read from metadata, never imported).
LIBRARIES = (
    "raudit", "numpy", "pandas", "scikit-learn", "scipy", "joblib", "skops", "shap", "lime",
    "fairlearn", "codecarbon", "jinja2", "weasyprint", "xgboost", "lightgbm", "torch", "mlflow",
    "transformers", "tokenizers", "safetensors", "keras",
)


def file_info(path: str | Path) -> dict[str, Any]:
    """Return path, size, sha256 and git state of one input file (a URL: read through fsspec, no git state)."""
    if "://" in str(path):
        import fsspec

        h, size = hashlib.sha256(), 0
        with fsspec.open(str(path), "rb") as fh:
            while block := fh.read(1 << 20):
                h.update(block)
                size += len(block)
        return {"path": str(path), "name": str(path).rstrip("/").rsplit("/", 1)[-1], "bytes": size,
                "sha256": h.hexdigest(), "git": None}
    p = Path(path)
    return {
        "path": str(p),
        "name": p.name,
        "bytes": sum(q.stat().st_size for q in p.rglob("*") if q.is_file()) if p.is_dir() else p.stat().st_size,
        "sha256": sha256_file(p),
        "git": git_info(p),
    }


def git_info(path: Path) -> dict[str, Any] | None:
    """Return commit, branch and dirty state of the git repository holding ``path``.

    ``None`` when the file is not in a repository or git is not installed. A state looked up by
    :func:`remember_git` and recalled with :func:`recall_git` is answered from memory (the jailed process cannot start git).
    """
    key = str(path.resolve())
    if key in _GIT:
        return _GIT[key]
    folder = path.resolve().parent

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=10, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    top = git("rev-parse", "--show-toplevel")
    if top is None:
        return None
    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    tracked = git("ls-files", "--error-unmatch", str(path.resolve())) is not None
    return {
        "repository": top,
        "commit": commit,
        "branch": git("rev-parse", "--abbrev-ref", "HEAD"),
        "dirty": bool(status) if status is not None else None,
        "file_tracked": tracked,
    }


def remember_git(paths: Iterable[str | Path | None]) -> dict[str, dict[str, Any] | None]:
    """Look up the git state of these local paths now (never from memory: a file may have changed since).

    Returns the states (resolved path → state) for :func:`recall_git` in the process that cannot run git.
    """
    states: dict[str, dict[str, Any] | None] = {}
    for path in paths:
        if path is None or "://" in str(path):
            continue
        p = Path(path)
        if p.exists():
            key = str(p.resolve())
            _GIT.pop(key, None)
            states[key] = git_info(p)
    return states


def recall_git(states: Mapping[str, dict[str, Any] | None]) -> None:
    """Answer :func:`git_info` from these states (looked up by :func:`remember_git`) and no older ones."""
    _GIT.clear()
    _GIT.update(states)


def library_versions(extra: Iterable[str] = ()) -> dict[str, str]:
    """Return installed versions of the ML libraries (without importing them)."""
    out = {"python": platform.python_version()}
    for name in (*LIBRARIES, *sorted(set(extra) - set(LIBRARIES))):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


def collect_lineage(
    *,
    model_path: str | Path | None,
    data_path: str | Path | None,
    data_shape: tuple[int, int],
    model_description: Mapping[str, Any] | None,
    model_params: Mapping[str, Any] | None,
    plugin_packages: Iterable[str],
    templates_sha256: str,
    seed: int,
    command: list[str] | None,
) -> dict[str, Any]:
    """Gather the lineage appendix of a report."""
    return {
        "created_utc": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "model_file": file_info(model_path) if model_path else None,
        "data_file": file_info(data_path) if data_path else None,
        "data_shape": {"rows": data_shape[0], "columns": data_shape[1]},
        "model": dict(model_description) if model_description else None,
        "model_params": dict(model_params) if model_params else None,
        "versions": library_versions(plugin_packages),
        "platform": {
            "system": platform.system(),
            "release": platform.release(),
            "machine": platform.machine(),
            "python_implementation": platform.python_implementation(),
        },
        "seed": seed,
        "command": shlex.join(command) if command else None,
        "templates_sha256": templates_sha256,
    }


def model_params(model: Any) -> dict[str, str] | None:
    """Every hyper-parameter of the estimator and of the estimators inside it, in full.

    ``get_params(deep=True)``: a Pipeline's steps appear as ``model__learning_rate`` and so on. Values
    that are themselves estimators (or lists of named estimators: ``steps``, ``transformers``) are left
    out, since their own parameters are listed; everything else is its ``repr``, whitespace collapsed,
    never cut short.

    Examples
    --------
    >>> from sklearn.pipeline import Pipeline
    >>> from sklearn.linear_model import LogisticRegression
    >>> model_params(Pipeline([("clf", LogisticRegression(C=0.5))]))["clf__C"]
    '0.5'
    """
    get = getattr(model, "get_params", None)
    if get is None:
        return None
    try:
        params = get(deep=True)
    except Exception:
        return None
    return {k: " ".join(repr(v).split()) for k, v in sorted(params.items()) if not _holds_estimators(v)}


def _holds_estimators(value: Any) -> bool:
    """An estimator, or a list of (name, estimator, ...) tuples (a Pipeline's steps, a ColumnTransformer's transformers)."""
    if hasattr(value, "get_params") and hasattr(value, "fit"):
        return True
    return isinstance(value, (list, tuple)) and bool(value) and all(
        isinstance(item, tuple) and len(item) >= 2 and isinstance(item[0], str) and (hasattr(item[1], "fit") or item[1] in
                                                                                       ("drop", "passthrough"))
        for item in value)
