"""``raudit approve``: a reviewer signs a decision on a report, written beside it as ``report.approval.json``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from raudit.api.verify import read_report
from raudit.errors import InputError
from raudit.trust.approval import DECISIONS, approval_path, decision_statement

__all__ = ["approve"]


def approve(report_path: str | Path, *, reviewer: str, decision: str, key: str | Path, note: str = "",
            accepted_risks: Sequence[str] = (), decided_at: datetime | None = None) -> Path:
    """Sign a reviewer's decision on a report and write it beside the report (never over an earlier one).

    Parameters
    ----------
    report_path : path of a ``report.json``
        Validated against the report schema, and its content digest recomputed, first.
    reviewer : str
        Who decides (a name, or a name and an e-mail address).
    decision : {"approve", "reject"}
    key : path
        The reviewer's Ed25519 private key (``raudit keygen``).
    note, accepted_risks : optional
        Why, and the risks the reviewer accepts in deciding.
    decided_at : datetime, optional
        Now by default.

    Returns
    -------
    Path
        The ``report.approval.json`` written.

    Raises
    ------
    raudit.InputError
        A bad report, reviewer, decision or key, a report changed since raudit wrote it, or a
        decision already beside the report.

    Examples
    --------
    >>> raudit.approve("out/report.json", reviewer="A. Reviewer", decision="approve", key="reviewer.key")  # doctest: +SKIP
    PosixPath('out/report.approval.json')
    """
    from raudit.report.files import write_atomic
    from raudit.trust.digest import content_digest
    from raudit.trust.signing import key_id, load_private_key, sign_body

    if decision not in DECISIONS:
        raise InputError(f"the decision must be approve or reject; got {decision!r}", hint="--decision approve|reject")
    if not reviewer.strip():
        raise InputError("the reviewer is empty", hint='--reviewer "Name <name@example.com>"')
    p = Path(report_path)
    raw, body = read_report(p)
    if content_digest(body) != body["integrity"]["digest"]:
        raise InputError(f"{p} was changed after raudit wrote it (its content digest does not match): a decision would "
                         "vouch for edited content", hint="run raudit verify on it, and decide on the report as written")
    out = approval_path(p)
    if out.exists():
        raise InputError(f"{out} already holds a decision on this report",
                         hint="a decision is never overwritten: move it away first if it is to be replaced")
    private = load_private_key(key)
    statement = decision_statement(p.name, raw, body, reviewer=reviewer.strip(), decision=decision, note=note,
                                   accepted_risks=accepted_risks, key_id=key_id(private.public_key()),
                                   decided_at=decided_at or datetime.now(UTC))
    write_atomic(out, sign_body(statement, private))
    return out
