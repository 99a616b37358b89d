"""``python -m raudit.cli``: the same as the ``raudit`` command."""

from raudit.cli import main

main()
