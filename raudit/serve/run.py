"""Start ``raudit serve``: check the address and the token, then run uvicorn on the app.

The server binds to loopback (127.0.0.1) by default. Any other address is refused unless a token is set:
a server reachable from elsewhere must not accept reports from anyone (reading stays open to whoever can
reach it; put it behind your own access control and TLS for that).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from raudit.errors import InputError
from raudit.ledger.store import Ledger

__all__ = ["is_loopback", "check_bind", "serve", "TOKEN_ENV", "MIN_TOKEN_LENGTH"]

#: The environment variable holding the bearer token (never a command-line argument: those show in ``ps``).
TOKEN_ENV = "RAUDIT_LEDGER_TOKEN"
#: A token shorter than this is refused.
MIN_TOKEN_LENGTH = 16


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1).

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("0.0.0.0"), is_loopback("localhost")
    (True, False, True)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse a non-loopback address without a token, and a token too short to resist guessing (exit 2)."""
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise InputError(f"${TOKEN_ENV} is {len(token)} characters; a token needs at least {MIN_TOKEN_LENGTH}",
                         hint=f'make one with: export {TOKEN_ENV}="$(python -c \'import secrets; print(secrets.token_urlsafe(32))\')"')
    if not is_loopback(host) and token is None:
        raise InputError(f"refusing to listen on {host} without a token: anyone who reaches it could add reports",
                         hint=f"set {TOKEN_ENV} to a secret (writing then needs it as a bearer token), or listen on 127.0.0.1")


def serve(ledger: Ledger, *, host: str, port: int, token: str | None, keys: Sequence[Ed25519PublicKey], stale_days: int) -> None:
    """Serve ``ledger`` until interrupted (uvicorn, one process)."""
    import uvicorn

    from raudit.serve.app import create_app

    check_bind(host, token)
    uvicorn.run(create_app(ledger, token=token, keys=keys, stale_days=stale_days), host=host, port=port, log_level="warning",
                server_header=False, proxy_headers=False)
