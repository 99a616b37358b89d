"""A jailed child started as a fresh interpreter: ``python -m raudit.sandbox.spawned FD JOB``.

:func:`raudit.sandbox.jail.run_jailed` starts it instead of forking when other threads run in the
calling process. ``JOB`` is a file in the child's private folder that the parent wrote: the folder,
the limits, the network mode, how the child was started, and the work pickled with cloudpickle.
The child reads it, deletes it and confines itself **before** it unpickles the work (unpickling
imports the libraries, which may start threads, and a process with threads cannot enter a new user
namespace); then it runs the work and reports on ``FD`` exactly as a forked child does.
"""

from __future__ import annotations

import os
import pickle
import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    """Read the job, confine this process, run the work, report to the parent; never returns."""
    args = sys.argv[1:] if argv is None else argv
    fd, job = int(args[0]), args[1]
    with open(job, "rb") as fh:
        writable, limits, network, start, payload = pickle.load(fh)  # written by the parent into its private folder
    os.unlink(job)

    from raudit.sandbox.jail import _child

    def work() -> object:
        return pickle.loads(payload)()

    _child(fd, work, writable, limits, network, start)


if __name__ == "__main__":
    main()
