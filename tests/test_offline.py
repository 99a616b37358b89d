"""Nothing leaves the machine: the test suite's guard is active, and a whole audit runs under it."""

from __future__ import annotations

import socket

import pytest

import raudit


def test_the_guard_refuses_outside_addresses_and_lookups():
    with pytest.raises(AssertionError, match="network"):
        socket.create_connection(("192.0.2.1", 443), timeout=1)  # TEST-NET-1, never routed
    with pytest.raises(AssertionError, match="look up"):
        socket.getaddrinfo("pypi.org", 443)


def test_a_full_audit_with_every_check_makes_no_connection(files, monkeypatch):
    attempts = []
    real = socket.socket.connect

    def record(self, address, *args):
        attempts.append(address)
        return real(self, address, *args)

    monkeypatch.setattr(socket.socket, "connect", record)
    report = raudit.audit(files["model"], files["data"], target="approved", sensitive=["sex"],
                          config={"check": {"energy": {"latency_calls": 10, "min_measure_s": 0.2}}})
    assert {r.name for r in report.results} >= {"performance", "fairness", "explanations", "energy", "lineage"}
    report.render("pdf")
    assert attempts == []
