"""Alerts: the webhooks to call when a model's status worsens, and a record of every delivery.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the webhooks and deliveries tables; the chained entries are untouched."""
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("url", sa.Text, nullable=False, unique=True),
        sa.Column("added_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("entry_seq", sa.Integer, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("http_status", sa.Integer),
        sa.Column("error", sa.Text),
        sa.Column("first_at", sa.String(32), nullable=False),
        sa.Column("last_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_deliveries_entry_seq", "deliveries", ["entry_seq"])


def downgrade() -> None:
    """Drop the alert tables."""
    op.drop_index("ix_deliveries_entry_seq", "deliveries")
    op.drop_table("deliveries")
    op.drop_table("webhooks")
