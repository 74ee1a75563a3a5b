"""Operator routes: health (database reachable), Prometheus metrics, the OpenAPI document."""

from __future__ import annotations

import asyncio

import structlog
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from starport.entrypoints.http import api_reference
from starport.entrypoints.http.auth import runtime_of
from starport.entrypoints.http.openapi import document
from starport.entrypoints.observability import Metrics

log = structlog.get_logger("starport.http")
PING_TIMEOUT = 5.0


async def healthz(request: Request) -> Response:
    try:
        await asyncio.wait_for(runtime_of(request).ping(), PING_TIMEOUT)
    except Exception as exc:
        log.warning("health.unavailable", error=type(exc).__name__)
        return JSONResponse({"status": "unavailable", "error": type(exc).__name__},
                            status_code=503)
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Ready to serve: the database answers and is at the latest migration."""
    unready = runtime_of(request).unready
    try:
        reason = await asyncio.wait_for(unready(), PING_TIMEOUT) if unready else None
    except TimeoutError:
        reason = "database: no answer in time"
    if reason is not None:
        log.warning("ready.not", reason=reason)
        return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
    return JSONResponse({"status": "ready"})


async def metrics(request: Request) -> Response:
    registry: Metrics = request.app.state.metrics
    body, content_type = registry.render()
    return Response(body, media_type=content_type)


async def openapi(request: Request) -> Response:
    return JSONResponse(document())


async def api_docs(request: Request) -> Response:
    return HTMLResponse(api_reference.page())


ROUTES = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
    Route("/openapi.json", openapi, methods=["GET"]),
    Route("/docs", api_docs, methods=["GET"]),
]
