"""The ledger's tables (SQLAlchemy Core). The migrations in ``raudit/ledger/migrations`` make them; this is what the code reads.

Files are stored as bytes (``LargeBinary``: BLOB in SQLite, bytea in PostgreSQL), exactly as written, so their
sha256 is recomputed from what is stored. JSON fields (statuses, headline metrics) are stored as the canonical
JSON text their entry's digest hashes.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, LargeBinary, MetaData, String, Table, Text

__all__ = ["metadata", "entries", "keys", "head", "webhooks", "deliveries", "REVISION"]

#: The Alembic revision this code reads and writes (``raudit ledger upgrade`` brings an older store to it).
REVISION = "0002"

metadata = MetaData()

entries = Table(
    "entries", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("prev_digest", String(64), nullable=False),
    Column("digest", String(64), nullable=False, unique=True),
    Column("recorded_at", String(32), nullable=False),
    Column("model_id", String(16)),
    Column("model_name", Text),
    Column("model_version", Text),
    Column("name_source", String(16)),
    Column("model_sha256", String(64)),
    Column("data_sha256", String(64)),
    Column("created_at", String(32)),
    Column("title", Text),
    Column("status", String(16)),
    Column("checks", Text),
    Column("headline", Text),
    Column("limits", Text),
    Column("signature", String(16)),
    Column("key_id", String(64)),
    Column("report_sha256", String(64)),
    Column("envelope_sha256", String(64)),
    Column("html_sha256", String(64)),
    Column("report", LargeBinary),
    Column("envelope", LargeBinary),
    Column("html", LargeBinary),
    Column("tombstone", Text),
    Index("ix_entries_model", "model_id", "seq"),
    Index("ix_entries_created", "created_at"),
)

#: Public keys the ledger has verified signatures with (PEM), by key id.
keys = Table(
    "keys", metadata,
    Column("key_id", String(64), primary_key=True),
    Column("pem", Text, nullable=False),
    Column("added_at", String(32), nullable=False),
)

#: One row (id 1): the last entry's seq and digest. Every append updates it first, which serialises writers.
head = Table(
    "head", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("writes", Integer, nullable=False),
)

#: Where alerts go (revision 0002).
webhooks = Table(
    "webhooks", metadata,
    Column("id", Integer, primary_key=True),
    Column("url", Text, nullable=False, unique=True),
    Column("added_at", String(32), nullable=False),
)

#: Every alert sent or tried, with its attempts and outcome (revision 0002).
deliveries = Table(
    "deliveries", metadata,
    Column("id", Integer, primary_key=True),
    Column("entry_seq", Integer, nullable=False, index=True),
    Column("url", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("http_status", Integer),
    Column("error", Text),
    Column("first_at", String(32), nullable=False),
    Column("last_at", String(32), nullable=False),
)
