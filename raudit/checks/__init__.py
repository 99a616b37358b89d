"""raudit's built-in checks (shipped as ``raudit.checks``).

Each module holds one :class:`raudit.Check` subclass, registered under the
``raudit.checks`` entry-point group in ``pyproject.toml`` exactly like a
third-party plugin.
"""
