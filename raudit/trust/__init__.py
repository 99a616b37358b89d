"""Integrity of what raudit writes: canonical digests and Ed25519 signatures (in-toto/DSSE)."""
