"""Write output files all-or-nothing, and turn operating-system errors into errors that teach.

A report is a *set* of files (HTML, PDF, JSON, and their signature). Either the
whole new set is in place, or the folder is exactly as it was:

1. every file is written to a temporary file in the output folder (same file
   system, so a rename is atomic) and flushed to disk;
2. the files being replaced — and report files of formats this run did not
   write, which would otherwise sit beside the new set as a stale mix — are
   moved aside, then the new files are renamed into place;
3. on any failure the new files are removed and the moved-aside files are put
   back; on success they are deleted.

POSIX has no rename of several files at once, so another process that lists
the folder during step 2 (milliseconds) may see part of the change; a
failure at any step leaves the previous set.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from raudit.errors import InputError

__all__ = ["write_atomic", "write_set", "os_error"]


def os_error(exc: OSError, path: Path | str, *, doing: str) -> InputError:
    """An :class:`InputError` (exit 2) that says what failed, on which path, and what to do about it."""
    reason = exc.strerror or str(exc)
    hints = {
        errno.EACCES: "choose a folder you can write to (--out DIR) or fix its permissions",
        errno.EPERM: "choose a folder you can write to (--out DIR) or fix its permissions",
        errno.EROFS: "the file system is read-only: choose another folder with --out",
        errno.ENOSPC: "free some space on that disk or write elsewhere with --out",
        errno.EDQUOT: "your disk quota is used up: free space or write elsewhere with --out",
        errno.ENOTDIR: "a part of the path is a file, not a folder: choose another --out",
        errno.EISDIR: "a folder stands where a report file should go: remove or rename it, or choose another --out",
        errno.ENAMETOOLONG: "use a shorter path",
    }
    return InputError(f"cannot {doing} {path}: {reason}", hint=hints.get(exc.errno or 0, "check the path and try again"))


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise InputError(f"cannot create the output folder {folder}: a file of that name exists",
                         hint="choose another folder with --out") from None
    except OSError as exc:
        raise os_error(exc, folder, doing="create the output folder") from None


def _write_temp(folder: Path, name: str, data: bytes) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".raudit-new", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; a report is an ordinary file
    except BaseException:
        _remove(Path(tmp))
        raise
    return Path(tmp)


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def write_atomic(path: Path, data: bytes) -> None:
    """Write one file through a temporary file and a rename: a failure leaves the old file (or none).

    Raises
    ------
    InputError
        The folder cannot be created or written, or the disk is full (with the path and a hint).
    """
    write_set(path.parent, {path.name: data})


# size: the all-or-nothing swap: each failure point must put the previous set back
def write_set(folder: Path, files: Mapping[str, bytes], *, replaces: Iterable[str] = ()) -> list[Path]:
    """Write ``files`` (name → bytes) into ``folder`` all-or-nothing.

    Parameters
    ----------
    folder : Path
    files : mapping of file name to content
    replaces : iterable of str
        Other file names in ``folder`` that belong to the same set (a previous
        run's report formats): they are removed when the new set is in place,
        and kept if it is not.

    Returns
    -------
    list of Path
        The files written, in the order given.

    Raises
    ------
    InputError
        Anything the operating system refuses (permissions, no space, a folder
        where a file should go, a file where the folder should be); the
        folder is left as it was.
    """
    for name in files:
        if Path(name).name != name:
            raise ValueError(f"file name {name!r} must not contain a folder")  # a programming error, not the user's
    _make_folder(folder)
    for name in files:
        target = folder / name
        if target.is_dir():
            raise InputError(f"cannot write {target}: a folder of that name is in the way",
                             hint="remove or rename that folder, or choose another --out")
    new: dict[str, Path] = {}
    aside: dict[Path, Path] = {}
    placed: list[Path] = []
    try:
        for name, data in files.items():
            try:
                new[name] = _write_temp(folder, name, data)
            except OSError as exc:
                raise os_error(exc, folder / name, doing="write") from None
        stale = [n for n in dict.fromkeys([*files, *replaces]) if (folder / n).is_file() or (folder / n).is_symlink()]
        for name in stale:
            fd, keep_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".raudit-old", dir=folder)
            os.close(fd)
            keep = Path(keep_name)
            try:
                os.replace(folder / name, keep)
            except OSError as exc:
                _remove(keep)
                raise os_error(exc, folder / name, doing="replace") from None
            aside[folder / name] = keep
        for name, tmp in new.items():
            try:
                os.replace(tmp, folder / name)
            except OSError as exc:
                raise os_error(exc, folder / name, doing="write") from None
            placed.append(folder / name)
    except BaseException:
        for path in placed:
            _remove(path)
        for tmp in new.values():
            _remove(tmp)
        for original, keep in aside.items():
            try:
                os.replace(keep, original)
            except OSError:
                pass
        raise
    for keep in aside.values():
        _remove(keep)
    return [folder / name for name in files]
