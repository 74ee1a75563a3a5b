"""Per-request log context: a fresh context with a request id, one access line, no tokens."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from starport.adapters.telegram.redact import redact
from starport.entrypoints.failures import database_unavailable
from starport.entrypoints.http.errors import error_response
from starport.entrypoints.observability import Metrics

log = structlog.get_logger("starport.http")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_QUIET = ("/healthz", "/readyz", "/metrics")


class RequestContext:
    """Pure ASGI (the handler runs in this task, so what it binds shows in the access line)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        structlog.contextvars.clear_contextvars()
        request_id = _request_id(scope)
        path = redact(scope.get("path", ""))  # sandbox Bot API paths carry the token
        structlog.contextvars.bind_contextvars(request_id=request_id, method=scope["method"],
                                               path=path)
        status = 0
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []),
                                      (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            unavailable = database_unavailable(exc)
            if unavailable:  # expected while the database is down: one line, no traceback
                log.warning("http.database_unavailable", error=type(exc).__name__,
                            reason=str(exc).splitlines()[0][:200] if str(exc) else "")
            else:
                log.exception("http.unexpected_error")
            if status:  # the response had begun: nothing better to do than drop it
                raise
            response = (error_response(503, "unavailable", "the database is unavailable; retry",
                                       {"Retry-After": "1"}) if unavailable else
                        error_response(500, "internal_error", "internal error; it was logged"))
            await response(scope, receive, send_with_id)
        finally:
            self.metrics.record_http(_route(scope, path), status or 500,
                                     time.perf_counter() - started)
            if path not in _QUIET:
                log.info("http.request", status=status,
                         ms=round((time.perf_counter() - started) * 1000, 1))
            structlog.contextvars.clear_contextvars()


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            given: str = value.decode("latin-1")
            if _REQUEST_ID.match(given):
                return given
    return uuid.uuid4().hex


def _route(scope: Scope, path: str) -> str:
    """The route's template (bounded label values), not the concrete path."""
    route: Any = scope.get("route")
    template = getattr(route, "path", None)
    if template:
        return str(template)
    return "/sandbox" if path.startswith("/sandbox") else "unmatched"
