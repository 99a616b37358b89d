"""Fixtures of the ledger's tests: every store test runs against SQLite and a real PostgreSQL server started here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy", reason="the ledger's tests need raudit[ledger]")

from raudit.trust.signing import generate_key  # noqa: E402
from tests.ledger._postgres import Cluster, binaries  # noqa: E402


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    """One PostgreSQL server for the session (about 3 s to start), stopped and removed after."""
    bin_dir = binaries()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (scripts/setup.sh dev installs Debian's postgresql)")
    cluster = Cluster(bin_dir).start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty ledger location: an SQLite file, or a new database on the test PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "raudit-ledger.db")
    cluster: Cluster = request.getfixturevalue("postgres")
    return cluster.create()


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two signing key pairs: ``raudit`` (the CI's) and ``other`` (someone else's), and a ``ledger`` key for tombstones."""
    d = tmp_path_factory.mktemp("keys")
    out = {}
    for name in ("raudit", "other", "ledger"):
        private, public, _ = generate_key(d / f"{name}.key")
        out[name], out[f"{name}.pub"] = private, public
    return out
