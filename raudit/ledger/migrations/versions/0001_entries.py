"""The hash-chained entries, the keys they were verified with, and the head row.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tables of the first ledger schema."""
    op.create_table(
        "entries",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("prev_digest", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("recorded_at", sa.String(32), nullable=False),
        sa.Column("model_id", sa.String(16)),
        sa.Column("model_name", sa.Text),
        sa.Column("model_version", sa.Text),
        sa.Column("name_source", sa.String(16)),
        sa.Column("model_sha256", sa.String(64)),
        sa.Column("data_sha256", sa.String(64)),
        sa.Column("created_at", sa.String(32)),
        sa.Column("title", sa.Text),
        sa.Column("status", sa.String(16)),
        sa.Column("checks", sa.Text),
        sa.Column("headline", sa.Text),
        sa.Column("limits", sa.Text),
        sa.Column("signature", sa.String(16)),
        sa.Column("key_id", sa.String(64)),
        sa.Column("report_sha256", sa.String(64)),
        sa.Column("envelope_sha256", sa.String(64)),
        sa.Column("html_sha256", sa.String(64)),
        sa.Column("report", sa.LargeBinary),
        sa.Column("envelope", sa.LargeBinary),
        sa.Column("html", sa.LargeBinary),
        sa.Column("tombstone", sa.Text),
    )
    op.create_index("ix_entries_model", "entries", ["model_id", "seq"])
    op.create_index("ix_entries_created", "entries", ["created_at"])
    op.create_table(
        "keys",
        sa.Column("key_id", sa.String(64), primary_key=True),
        sa.Column("pem", sa.Text, nullable=False),
        sa.Column("added_at", sa.String(32), nullable=False),
    )
    head = op.create_table(
        "head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("writes", sa.Integer, nullable=False),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "digest": "0" * 64, "writes": 0}])


def downgrade() -> None:
    """Drop every table of the first schema."""
    for table in ("head", "keys", "entries"):
        op.drop_table(table)
