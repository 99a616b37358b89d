"""Alembic migrations of the ledger's schema (``env.py`` and ``versions/``)."""
