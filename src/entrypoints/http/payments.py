"""Routes of a purchase: the package list, creating a payment session, reading one."""

from __future__ import annotations

import hashlib
import json
import re

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from structlog.contextvars import bind_contextvars

from starport.application import commands as c
from starport.application.payments import get_session
from starport.application.views import SessionView
from starport.domain.errors import SessionNotFound
from starport.entrypoints.http import serialize
from starport.entrypoints.http.auth import acting_user, authenticate, runtime_of
from starport.entrypoints.http.errors import ApiError, parse_body
from starport.entrypoints.http.inputs import storable_param
from starport.entrypoints.http.schemas import CreateSessionBody

KEY_SHAPE = re.compile(r"[\x21-\x7e]{1,255}")


async def list_packages(request: Request) -> Response:
    """Public: what is on sale, with a price per enabled payment method."""
    runtime = runtime_of(request)
    enabled = {p.value for p in runtime.deps.providers}
    packages = []
    for package in runtime.deps.catalog.active():
        data = serialize.package(package)
        data["prices"] = {k: v for k, v in data["prices"].items() if k in enabled}
        if data["prices"]:
            packages.append(data)
    return JSONResponse(packages)


async def create_session(request: Request) -> Response:
    caller = authenticate(request)
    key = idempotency_key(request)
    body = await parse_body(request, CreateSessionBody)
    user_id = await acting_user(request, caller, body.user_id)
    telegram_user_id = caller.telegram_user_id if caller.is_mini_app else body.telegram_user_id
    bind_contextvars(user_id=user_id)
    asked = {"userId": user_id, "packageId": body.package_id, "provider": body.provider.value,
             "telegramUserId": telegram_user_id}
    view: SessionView = await runtime_of(request).bus.handle(c.CreateSession(
        user_id=user_id, package_id=body.package_id, provider=body.provider,
        telegram_user_id=telegram_user_id, idempotency_key=key, language=caller.language,
        scope=f"tma:{caller.telegram_user_id}" if caller.is_mini_app else "host",
        fingerprint=hashlib.sha256(json.dumps(asked, sort_keys=True).encode()).hexdigest(),
    ))
    bind_contextvars(session_id=view.id)
    headers = {"Location": f"/api/payments/sessions/{view.id}"}
    if view.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(serialize.session(view), status_code=201, headers=headers)


def idempotency_key(request: Request) -> str | None:
    """The optional `Idempotency-Key` header: 1-255 visible ASCII characters (a UUID fits)."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    if not KEY_SHAPE.fullmatch(key):
        raise ApiError(400, "invalid_idempotency_key",
                       "Idempotency-Key is 1-255 visible ASCII characters, e.g. a UUID")
    return key


async def read_session(request: Request) -> Response:
    caller = authenticate(request)
    session_id = storable_param(request.path_params["session_id"], "sessionId")
    bind_contextvars(session_id=session_id)
    view = await get_session(runtime_of(request).deps, session_id)
    if caller.is_mini_app and view.user_id not in (str(caller.telegram_user_id),
                                                   await acting_user(request, caller, None)):
        # Someone else's session does not exist, as far as this Mini App can tell.
        raise SessionNotFound(f"no payment session {session_id!r}")
    return JSONResponse(serialize.session(view))


ROUTES = [
    Route("/api/packages", list_packages, methods=["GET"]),
    Route("/api/payments/create-session", create_session, methods=["POST"]),
    Route("/api/payments/sessions/{session_id}", read_session, methods=["GET"]),
]
