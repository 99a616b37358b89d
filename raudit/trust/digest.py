"""Digests: of a file or a folder, of a set of files, and of a report's canonical JSON.

Everything raudit records about its inputs and checks about its outputs is one of these sha256s, so
``raudit verify`` recomputes exactly what the report recorded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["sha256_file", "tree_hash", "content_digest"]


def sha256_file(path: str | Path) -> str:
    """Return the hex sha256 of a file (streamed, not read into memory).

    A folder (a Hugging Face model) hashes the sorted list of its files'
    relative paths and sha256s, so any changed, added or removed file changes it.
    """
    p = Path(path)
    if p.is_dir():
        h = hashlib.sha256()
        for f in sorted(q for q in p.rglob("*") if q.is_file()):
            h.update(f.relative_to(p).as_posix().encode() + b"\0" + sha256_file(f).encode() + b"\n")
        return h.hexdigest()
    with open(p, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def tree_hash(paths: Iterable[Path], *, root: Path) -> str:
    """Hash file names (relative to ``root``) and contents, in sorted order."""
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.relative_to(root).as_posix().encode() + b"\0")
        h.update(p.read_bytes() + b"\0")
    return h.hexdigest()


def content_digest(body: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces) of ``body`` without its ``integrity`` key."""
    data = {k: v for k, v in body.items() if k != "integrity"}
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
