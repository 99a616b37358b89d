"""The Python API: audit, compare and verify, the preparation they share, the check runner and plugin discovery."""
