"""The audit ledger: every report of every model version in one tamper-evident store (``raudit[ledger]``).

An audit entry keeps a report set as it was written (``report.json``, its signature ``report.intoto.json`` and
``report.html``) with indexed fields read from the report (model identity, data hash, time, statuses per check,
headline metrics). Entries are append-only and hash-chained: each entry's digest covers the previous one's, so
editing, deleting or reordering an entry is found by ``raudit ledger verify``, which names the entry.

The store is SQLAlchemy over an SQLite file (the default) or PostgreSQL (by URL), with Alembic migrations.
Modules: :mod:`~raudit.ledger.entry` (what an entry records, and its digest), :mod:`~raudit.ledger.headline`
(which metrics of each check are headline), :mod:`~raudit.ledger.signatures` (checking a stored set's
signature, signing tombstones), :mod:`~raudit.ledger.store` (the store), :mod:`~raudit.ledger.verify`
(recomputing the chain), :mod:`~raudit.ledger.retention` (signed tombstones), :mod:`~raudit.ledger.alerts`
(webhooks).

Nothing here is imported by ``raudit`` itself; importing this package needs no optional dependency, its
modules that touch the database do (:func:`require`).
"""

from __future__ import annotations

__all__ = ["require", "INSTALL"]

#: What to install for the ledger and ``raudit serve``.
INSTALL = "raudit[ledger]"


def require(what: str = "the audit ledger") -> None:
    """Stop with exit 2 and the install line unless the ``raudit[ledger]`` extra is installed.

    Examples
    --------
    >>> require()  # doctest: +SKIP
    """
    from raudit.errors import import_optional

    for module in ("sqlalchemy", "alembic", "starlette", "uvicorn"):
        import_optional(module, needed_by=f"{what} needs {module}, which raudit installs with the ledger extra", install=INSTALL)
