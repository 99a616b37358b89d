"""``raudit serve``: the audit ledger as a small server-rendered web site and a read-only JSON API (``raudit[ledger]``).

Starlette and Jinja2 (autoescaped, no JavaScript), the report's own SVG charts (:mod:`raudit.report.svg`),
uvicorn. Modules: :mod:`~raudit.serve.app` (routes, security headers, the bearer-token POST),
:mod:`~raudit.serve.views` (what each page shows, as plain data), :mod:`~raudit.serve.charts`,
:mod:`~raudit.serve.text` (untrusted text made inert), :mod:`~raudit.serve.run` (binding and starting).
"""

from __future__ import annotations

__all__: list[str] = []
