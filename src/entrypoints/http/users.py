"""Routes of a user's credits: balance, statement, spending with an idempotency key."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from structlog.contextvars import bind_contextvars

from starport.application import commands as c
from starport.application.credits import get_balance, get_statement
from starport.application.views import SpendResult
from starport.entrypoints.http import serialize
from starport.entrypoints.http.auth import authenticate, runtime_of
from starport.entrypoints.http.errors import ApiError, parse_body
from starport.entrypoints.http.inputs import whole
from starport.entrypoints.http.schemas import USER_ID, SpendBody

MAX_LEDGER_LIMIT = 500


def _user(request: Request) -> str:
    """The path's userId, if this caller may act for it."""
    requested = request.path_params["user_id"]
    if not re.fullmatch(USER_ID, requested) or len(requested) > 128:
        raise ApiError(422, "invalid_request", "userId has an invalid shape")
    user_id = authenticate(request).user_for(requested)
    bind_contextvars(user_id=user_id)
    return user_id


def _limit(request: Request) -> int:
    return whole(request.query_params.get("limit", "50"), "limit", 1, MAX_LEDGER_LIMIT)


async def balance(request: Request) -> Response:
    user_id = _user(request)
    return JSONResponse(serialize.balance(await get_balance(runtime_of(request).deps, user_id)))


async def ledger(request: Request) -> Response:
    user_id = _user(request)
    limit = _limit(request)
    lines = await get_statement(runtime_of(request).deps, user_id, limit)
    return JSONResponse({"userId": user_id, "entries": [serialize.ledger_line(x) for x in lines]})


async def spend(request: Request) -> Response:
    user_id = _user(request)
    body = await parse_body(request, SpendBody)
    result: SpendResult = await runtime_of(request).bus.handle(c.SpendCredits(
        user_id=user_id, credits=body.credits, idempotency_key=body.idempotency_key,
        reason=body.reason,
    ))
    return JSONResponse({"userId": user_id, "balance": result.balance, "spent": body.credits,
                         "replayed": result.replayed})


ROUTES = [
    Route("/api/users/{user_id}/balance", balance, methods=["GET"]),
    Route("/api/users/{user_id}/ledger", ledger, methods=["GET"]),
    Route("/api/users/{user_id}/spend", spend, methods=["POST"]),
]
