"""The ledger store: open an SQLite file or a PostgreSQL URL at the current schema, and append report sets to the chain.

``--ledger raudit-ledger.db`` is an SQLite file; ``--ledger postgresql://user@host/db`` a PostgreSQL database
(through psycopg). A new store is created at the current schema; an older one is refused until ``raudit ledger
upgrade`` migrates it (Alembic), so no command changes a shared database's schema unasked.

Appends are serialised: every write first updates the one ``head`` row (a write lock in SQLite, a row lock in
PostgreSQL), then reads the head it will chain to, so two writers never chain to the same entry.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from raudit.errors import InputError
from raudit.ledger import entry as E
from raudit.ledger.schema import REVISION, entries, head, keys
from raudit.ledger.signatures import Checked, check_set, load_pem, public_pem
from raudit.trust.signing import key_id

__all__ = ["Ledger", "ReportSet", "Added", "open_ledger", "engine_for", "display_url", "audit_fields", "row_record"]

_MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class ReportSet:
    """A report set to add: file name → bytes (``report.json``, optionally ``report.intoto.json`` and ``report.html``).

    ``model_name`` overrides the name read from the report; ``where`` names the set in messages.
    """

    files: Mapping[str, bytes]
    model_name: str | None = None
    where: str = E.REPORT

    @classmethod
    def from_folder(cls, report: str | Path, *, model_name: str | None = None) -> ReportSet:
        """Read ``report.json`` and, next to it, its signature and HTML (``NAME.intoto.json``, ``NAME.html``)."""
        p = Path(report)
        if not p.is_file():
            raise InputError(f"report not found: {p}", hint="give the report.json raudit wrote (its folder holds the rest of the set)")
        names = {E.REPORT: p, E.ENVELOPE: p.with_name(p.stem + ".intoto.json"), E.HTML: p.with_name(p.stem + ".html")}
        files = {}
        for name, path in names.items():
            if path.is_file():
                try:
                    files[name] = path.read_bytes()
                except OSError as exc:
                    raise InputError(f"cannot read {path}: {exc.strerror}") from None
        return cls(files, model_name, str(p))


@dataclass(frozen=True)
class Added:
    """An entry that was appended: its position, digest, indexed fields and signature state."""

    seq: int
    digest: str
    audit: E.Audit
    signature: str
    key_id: str | None


def display_url(url: sa.URL) -> str:
    """The ledger's URL for messages (no password)."""
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return url.render_as_string(hide_password=True)


def _url(where: str) -> sa.URL:
    if "://" not in where:
        return sa.URL.create("sqlite", database=str(Path(where).expanduser().resolve()))
    try:
        url = sa.make_url(where)
    except sa.exc.ArgumentError:
        raise InputError(f"--ledger {where!r} is not a file path or a database URL",
                         hint="give an SQLite file (raudit-ledger.db) or postgresql://user@host/db") from None
    backend, driver = url.get_backend_name(), url.get_driver_name()
    if backend == "sqlite":
        return url
    if backend in ("postgresql", "postgres") and driver in ("psycopg", "psycopg2", ""):
        return url.set(drivername="postgresql+psycopg")
    raise InputError(f"the ledger supports an SQLite file or a PostgreSQL URL, not {backend}",
                     hint="give raudit-ledger.db or postgresql://user@host/db")


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (raudit serve) never block the writer
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def engine_for(where: str, *, create: bool) -> sa.Engine:
    """A SQLAlchemy engine for ``--ledger`` (a path or a URL); with ``create`` false a missing SQLite file is an error."""
    url = _url(where)
    if url.get_backend_name() == "sqlite":
        path = Path(str(url.database))
        if not create and not path.is_file():
            raise InputError(f"no ledger at {path}", hint="add a report first: raudit ledger add report.json --ledger " + where)
        if not path.parent.is_dir():
            raise InputError(f"cannot create the ledger {path}: the folder {path.parent} does not exist")
        engine = sa.create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})
        sa.event.listen(engine, "connect", _on_sqlite_connect)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _alembic_config(connection: sa.Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def migrate(engine: sa.Engine, revision: str = "head") -> None:
    """Bring the store to ``revision`` with Alembic (``"head"``: the current schema)."""
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), revision)


def _revision(engine: sa.Engine) -> str | None:
    with engine.connect() as c:
        tables = set(sa.inspect(c).get_table_names())
        if "alembic_version" not in tables:
            return None if not tables else "foreign"
        return c.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def open_ledger(where: str, *, create: bool = True) -> Ledger:
    """Open the ledger at ``where`` (an SQLite path or a PostgreSQL URL), creating it at the current schema if empty.

    Raises
    ------
    raudit.InputError
        Not a file path or a supported URL, the database cannot be reached, it holds other tables, or its
        schema is older (run ``raudit ledger upgrade``) or newer (upgrade raudit) than this raudit's.
    """
    engine = engine_for(where, create=create)
    shown = display_url(engine.url)
    try:
        revision = _revision(engine)
        if revision is None:
            if not create:
                raise InputError(f"{shown} holds no raudit ledger", hint="add a report first: raudit ledger add report.json")
            migrate(engine)
            revision = REVISION
    except sa.exc.OperationalError as exc:
        engine.dispose()
        raise InputError(f"cannot open the ledger {shown}: {str(exc.orig).strip().splitlines()[0] if exc.orig else exc}",
                         hint="check the path or URL, that the server is running and the user may connect") from None
    except InputError:
        engine.dispose()
        raise
    if revision != REVISION:
        engine.dispose()
        if revision == "foreign":
            raise InputError(f"{shown} holds tables but is not a raudit ledger", hint="give another file or database")
        if revision is not None and revision < REVISION:
            raise InputError(f"the ledger {shown} has schema revision {revision}; this raudit uses {REVISION}",
                             hint=f"back it up, then migrate it: raudit ledger upgrade --ledger {where}")
        raise InputError(f"the ledger {shown} has schema revision {revision}, newer than this raudit's {REVISION}",
                         hint="upgrade raudit: pip install -U 'raudit[ledger]'")
    return Ledger(engine, where)


def audit_fields(audit: E.Audit, checked: Checked) -> dict[str, Any]:
    """The record fields of an audit entry (what its digest covers besides its position)."""
    return {
        "model": {"id": audit.model_id, "name": audit.model_name, "version": audit.model_version, "name_source": audit.name_source,
                  "sha256": audit.model_sha256},
        "data_sha256": audit.data_sha256, "created_at": audit.created_at, "title": audit.title, "status": audit.status,
        "checks": audit.checks, "headline": audit.headline, "limits": audit.limits,
        "signature": {"state": checked.signature, "key_id": checked.key_id},
        "files": {name: checked.hashes[name] for name in (E.REPORT, E.ENVELOPE, E.HTML)},
    }


def _columns(rec: Mapping[str, Any]) -> dict[str, Any]:
    """Table columns from an audit record."""
    m = rec["model"]
    return {"model_id": m["id"], "model_name": m["name"], "model_version": m["version"], "name_source": m["name_source"],
            "model_sha256": m["sha256"], "data_sha256": rec["data_sha256"], "created_at": rec["created_at"], "title": rec["title"],
            "status": rec["status"], "checks": E.canonical(rec["checks"]), "headline": E.canonical(rec["headline"]),
            "limits": E.canonical(rec["limits"]), "signature": rec["signature"]["state"], "key_id": rec["signature"]["key_id"],
            "report_sha256": rec["files"][E.REPORT], "envelope_sha256": rec["files"][E.ENVELOPE], "html_sha256": rec["files"][E.HTML]}


def row_record(row: Mapping[Any, Any]) -> dict[str, Any]:
    """The record an entry's digest should hash, rebuilt from its stored columns (see :func:`raudit.ledger.entry.record`)."""
    if row["kind"] == "tombstone":
        fields: dict[str, Any] = {"tombstone": json.loads(row["tombstone"])}
    else:
        fields = {
            "model": {"id": row["model_id"], "name": row["model_name"], "version": row["model_version"],
                      "name_source": row["name_source"], "sha256": row["model_sha256"]},
            "data_sha256": row["data_sha256"], "created_at": row["created_at"], "title": row["title"], "status": row["status"],
            "checks": json.loads(row["checks"]), "headline": json.loads(row["headline"]), "limits": json.loads(row["limits"]),
            "signature": {"state": row["signature"], "key_id": row["key_id"]},
            "files": {E.REPORT: row["report_sha256"], E.ENVELOPE: row["envelope_sha256"], E.HTML: row["html_sha256"]},
        }
    return E.record(seq=row["seq"], prev=row["prev_digest"], kind=row["kind"], recorded_at=row["recorded_at"], fields=fields)


class Ledger:
    """An open ledger. Use :func:`open_ledger`; close it (or use it as a context manager) when done."""

    def __init__(self, engine: sa.Engine, where: str) -> None:
        self.engine = engine
        self.where = where

    @property
    def shown(self) -> str:
        """The ledger's location for messages (no password)."""
        return display_url(self.engine.url)

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def recorded_keys(self) -> list[Ed25519PublicKey]:
        """The public keys this ledger has verified signatures with."""
        with self.engine.connect() as c:
            return [load_pem(pem) for pem in c.execute(sa.select(keys.c.pem).order_by(keys.c.key_id)).scalars()]

    @contextmanager
    def appending(self) -> Iterator[tuple[sa.Connection, list[Any]]]:
        """A transaction holding the append lock; yields the connection and ``[seq, digest]`` of the head, kept up to date.

        The head row is written when the block ends without error, in the same transaction.
        """
        with self.engine.begin() as c:
            c.execute(head.update().where(head.c.id == 1).values(writes=head.c.writes + 1))  # takes the write lock first
            row = c.execute(sa.select(head.c.seq, head.c.digest).where(head.c.id == 1)).one()
            state = [row.seq, row.digest]
            yield c, state
            c.execute(head.update().where(head.c.id == 1).values(seq=state[0], digest=state[1]))

    def check(self, report_set: ReportSet, trusted: Sequence[Ed25519PublicKey] = (), *, schema: bool = False) -> tuple[E.Audit, Checked]:
        """Check a set before it is added: signature (with ``trusted``: give the recorded keys too), shape (and the full schema)."""
        if E.REPORT not in report_set.files:
            raise InputError(f"{report_set.where}: a report set needs {E.REPORT}")
        checked = check_set(report_set.files, trusted, where=report_set.where)
        if schema:
            from raudit.api.verify import validate_report

            validate_report(checked.body, where=report_set.where)
        return E.read_audit(checked.body, model_name=report_set.model_name, where=report_set.where), checked

    def add(self, sets: Sequence[ReportSet], trusted: Sequence[Ed25519PublicKey] = (), *, schema: bool = False) -> list[Added]:
        """Check every set, then append them all in one transaction (all or none).

        Parameters
        ----------
        sets : sequence of ReportSet
        trusted : sequence of Ed25519PublicKey
            Keys trusted to sign reports, besides those the ledger recorded; a key that verifies a set is recorded.
        schema : bool
            Also validate each report against the whole JSON Schema, as ``raudit verify`` does (about 15 ms for a
            90 kB report). Without it, every field the ledger reads or shows is checked (well under 1 ms).

        Raises
        ------
        raudit.ledger.signatures.Refused
            A signature does not verify (nothing is added).
        raudit.InputError
            A report is not a raudit report, or is signed by an unknown key.
        """
        known = list({key_id(k): k for k in [*trusted, *self.recorded_keys()]}.values())
        checked = [(s, *self.check(s, known, schema=schema)) for s in sets]
        by_id = {key_id(k): k for k in trusted}
        added: list[Added] = []
        with self.appending() as (c, state):
            rows = [self._chain(state, report_set, audit, chk, added) for report_set, audit, chk in checked]
            c.execute(entries.insert(), rows)  # one executemany for the batch
            self._record_keys(c, {a.key_id: by_id[a.key_id] for a in added if a.key_id in by_id})
        return added

    @staticmethod
    def _chain(state: list[Any], report_set: ReportSet, audit: E.Audit, checked: Checked, added: list[Added]) -> dict[str, Any]:
        """The row of the next entry, chained to ``state`` (which it then becomes)."""
        files = report_set.files
        rec = E.record(seq=state[0] + 1, prev=state[1], kind="audit", recorded_at=E.now(), fields=audit_fields(audit, checked))
        digest = E.digest_of(rec)
        state[0], state[1] = rec["seq"], digest
        added.append(Added(rec["seq"], digest, audit, checked.signature, checked.key_id))
        return {"seq": rec["seq"], "kind": "audit", "prev_digest": rec["prev"], "digest": digest, "recorded_at": rec["recorded_at"],
                "report": files[E.REPORT], "envelope": files.get(E.ENVELOPE), "html": files.get(E.HTML), "tombstone": None,
                **_columns(rec)}

    def _record_keys(self, c: sa.Connection, new: Mapping[str | None, Ed25519PublicKey]) -> None:
        have = set(c.execute(sa.select(keys.c.key_id)).scalars())
        for kid, key in new.items():
            if kid is not None and kid not in have:
                c.execute(keys.insert().values(key_id=kid, pem=public_pem(key), added_at=E.now()))

    def trust(self, key: Ed25519PublicKey) -> str:
        """Record a public key as trusted (to verify signatures of later reports and tombstones); return its id."""
        kid = key_id(key)
        with self.engine.begin() as c:
            self._record_keys(c, {kid: key})
        return kid
