"""The web app: pages, the read-only JSON API, the stored reports behind a strict Content-Security-Policy, the token-guarded POST.

Every page is rendered on the server (Jinja2, autoescaped, :func:`raudit.serve.text.finalize` on every value)
and runs no JavaScript: the pages' policy forbids scripts outright. A stored ``report.html`` came from
whoever wrote the report set, so it is served under a policy that also forbids scripts, forms, plugins and
network access (``sandbox``): only its inline CSS and ``data:`` images and fonts load.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import jinja2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from raudit.errors import InputError, RauditError
from raudit.ledger import entry as E
from raudit.ledger import reading
from raudit.ledger.alerts import alert
from raudit.ledger.signatures import Refused
from raudit.ledger.store import Ledger, ReportSet
from raudit.serve import views
from raudit.serve.text import finalize

__all__ = ["create_app", "PAGE_CSP", "REPORT_CSP", "MAX_POST_BYTES"]

#: The pages' policy: their own stylesheet, inline SVG, frames of this site (the stored report); no script at all.
PAGE_CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; frame-src 'self'; form-action 'self'; "
            "base-uri 'none'; frame-ancestors 'none'")
#: A stored report's policy: its inline CSS, data: images and fonts; sandboxed (no script, form, popup or same origin).
REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; base-uri 'none'; "
              "form-action 'none'; frame-ancestors 'self'; sandbox")
#: The largest report set a POST may carry.
MAX_POST_BYTES = 64 << 20
_HEADERS = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "cross-origin-opener-policy": "same-origin",
            "x-frame-options": "DENY"}


class _SecurityHeaders:
    """ASGI middleware: every response gets nosniff, no-referrer and a policy (the pages' unless it set its own)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k.encode(), v.encode()) for k, v in _HEADERS.items() if k.encode() not in have]
                if b"content-security-policy" not in have:
                    extra.append((b"content-security-policy", PAGE_CSP.encode()))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")), autoescape=True,
                             finalize=finalize, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["short"] = lambda digest: (digest or "")[:16]
    return env


class _App:
    """The state every route shares: the ledger, the templates, the trusted keys, the token."""

    def __init__(self, ledger: Ledger, *, token: str | None, keys: Sequence[Ed25519PublicKey], stale_days: int) -> None:
        self.ledger, self.token, self.keys, self.stale_days = ledger, token, list(keys), stale_days
        self.env = _environment()

    def page(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(self.env.get_template(template).render(**context), status_code=status)

    def not_found(self, what: str) -> HTMLResponse:
        return self.page("missing.html.j2", 404, what=what)


def _seq(request: Request, name: str = "seq") -> int | None:
    try:
        value = int(request.path_params.get(name, request.query_params.get(name, "")))
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2**62 else None


def _home(app: _App, request: Request) -> Response:
    return app.page("models.html.j2", **views.home(app.ledger, stale_days=app.stale_days))


def _model(app: _App, request: Request) -> Response:
    data = views.model_page(app.ledger, request.path_params["model_id"], show_all=request.query_params.get("all") == "1")
    return app.page("model.html.j2", **data) if data else app.not_found("model")


def _audit(app: _App, request: Request) -> Response:
    seq = _seq(request)
    data = views.audit_page(app.ledger, seq) if seq else None
    return app.page("audit.html.j2", **data) if data else app.not_found("audit")


def _compare(app: _App, request: Request) -> Response:
    a, b = _seq(request, "a"), _seq(request, "b")
    if a is None or b is None:
        return app.page("compare_form.html.j2", 200 if "a" not in request.query_params else 400, a=request.query_params.get("a", ""),
                        b=request.query_params.get("b", ""))
    data = views.compare_page(app.ledger, a, b)
    return app.page("compare.html.j2", **data) if data else app.not_found("audit")


_FILE_TYPES = {E.REPORT: "application/json", E.ENVELOPE: "application/json", E.HTML: "text/html; charset=utf-8"}


def _file(app: _App, request: Request) -> Response:
    seq, name = _seq(request), request.path_params["name"]
    data = reading.stored_file(app.ledger, seq, name) if seq and name in _FILE_TYPES else None
    if data is None:
        return Response("not found\n", 404, media_type="text/plain")
    return Response(data, media_type=_FILE_TYPES[name], headers={"content-security-policy": REPORT_CSP, "x-frame-options": "SAMEORIGIN"})


def _json(body: Any) -> Response:
    return JSONResponse({"error": "not found"}, 404) if body is None else JSONResponse(body)


def _api_models(app: _App, request: Request) -> Response:
    return _json(reading.models(app.ledger, stale_days=app.stale_days))


def _api_head(app: _App, request: Request) -> Response:
    return _json(reading.head(app.ledger))


def _api_model(app: _App, request: Request) -> Response:
    return _json(reading.model(app.ledger, request.path_params["model_id"]))


def _api_audit(app: _App, request: Request) -> Response:
    seq = _seq(request)
    return _json(reading.audit(app.ledger, seq) if seq else None)


def _api_compare(app: _App, request: Request) -> Response:
    a, b = _seq(request, "a"), _seq(request, "b")
    data = views.compare_page(app.ledger, a, b) if a and b else None
    return _json({"a": data["a"], "b": data["b"], "diff": data["diff"]} if data else None)


def _authorised(app: _App, request: Request) -> Response | None:
    if app.token is None:
        return JSONResponse({"error": "writing is disabled: the server has no token (set RAUDIT_LEDGER_TOKEN and restart)"}, 403)
    given = request.headers.get("authorization", "")
    scheme, _, token = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), app.token.encode()):
        return JSONResponse({"error": "a valid bearer token is needed to add reports"}, 401, headers={"www-authenticate": "Bearer"})
    return None


def _report_set(payload: Any) -> ReportSet:
    if not isinstance(payload, dict) or not isinstance(payload.get("files"), dict):
        raise InputError('the body must be {"files": {"report.json": TEXT, "report.intoto.json": TEXT, "report.html": TEXT}}')
    files = payload["files"]
    unknown = sorted(set(files) - set(_FILE_TYPES))
    if unknown or not all(isinstance(v, str) for v in files.values()):
        raise InputError(f"files may be {', '.join(_FILE_TYPES)} (as text); got {unknown or 'a value that is not text'}")
    name = payload.get("model_name")
    if name is not None and not isinstance(name, str):
        raise InputError("model_name must be text")
    return ReportSet({k: v.encode("utf-8") for k, v in files.items()}, name, where="the posted report.json")


async def _post(app: _App, request: Request) -> Response:
    refused = _authorised(app, request)
    if refused is not None:
        return refused
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_POST_BYTES:
            return JSONResponse({"error": f"the body is larger than {MAX_POST_BYTES >> 20} MiB"}, 413)
        chunks.append(chunk)
    try:
        report_set = _report_set(json.loads(b"".join(chunks).decode("utf-8")))
        added = await run_in_threadpool(app.ledger.add, [report_set], app.keys)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return JSONResponse({"error": "the body is not JSON"}, 400)
    except Refused as exc:
        return JSONResponse({"error": str(exc)}, 422)
    except RauditError as exc:
        return JSONResponse({"error": str(exc)}, 400)
    sent = await run_in_threadpool(alert, app.ledger, added)
    a = added[0]
    return JSONResponse({"seq": a.seq, "digest": a.digest, "model_id": a.audit.model_id, "signature": a.signature, "key_id": a.key_id,
                         "alerts": [{"url": d.url, "outcome": d.outcome, "attempts": d.attempts} for d in sent]}, 201)


def create_app(ledger: Ledger, *, token: str | None = None, keys: Sequence[Ed25519PublicKey] = (), stale_days: int = 90) -> ASGIApp:
    """The ASGI app serving ``ledger``.

    Parameters
    ----------
    ledger : Ledger
    token : str, optional
        The bearer token that ``POST /api/audits`` needs; without one, writing is disabled.
    keys : sequence of Ed25519PublicKey
        Keys trusted to sign posted reports, besides those the ledger recorded.
    stale_days : int
        A model whose latest audit is this many days old or older is flagged.
    """
    app = _App(ledger, token=token, keys=keys, stale_days=stale_days)
    routes = [
        Route("/", partial(_home, app)),
        Route("/models/{model_id:str}", partial(_model, app)),
        Route("/audits/{seq:int}", partial(_audit, app)),
        Route("/audits/{seq:int}/{name:str}", partial(_file, app)),
        Route("/compare", partial(_compare, app)),
        Route("/api/models", partial(_api_models, app)),
        Route("/api/head", partial(_api_head, app)),
        Route("/api/models/{model_id:str}", partial(_api_model, app)),
        Route("/api/audits/{seq:int}", partial(_api_audit, app)),
        Route("/api/compare", partial(_api_compare, app)),
        Route("/api/audits", partial(_post, app), methods=["POST"]),
    ]
    starlette = Starlette(routes=routes)
    starlette.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    return _SecurityHeaders(starlette)
