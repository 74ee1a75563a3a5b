"""Routes of a user's credits: balance, statement, spending with an idempotency key."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from structlog.contextvars import bind_contextvars

from starport.application import commands as c
from starport.application import links
from starport.application.credits import get_balance, get_statement
from starport.application.views import LinkTokenView, SpendResult
from starport.domain.links import TelegramLink
from starport.entrypoints.http import serialize
from starport.entrypoints.http.auth import acting_user, authenticate, require_server, runtime_of
from starport.entrypoints.http.errors import parse_body
from starport.entrypoints.http.inputs import whole
from starport.entrypoints.http.schemas import LinkBody, SpendBody, user_id_param

MAX_LEDGER_LIMIT = 500


def _requested(request: Request) -> str:
    return user_id_param(request)


async def _user(request: Request) -> str:
    """The path's userId, if this caller may act for it (a Mini App: its own account)."""
    user_id = await acting_user(request, authenticate(request), _requested(request))
    bind_contextvars(user_id=user_id)
    return user_id


def _limit(request: Request) -> int:
    return whole(request.query_params.get("limit", "50"), "limit", 1, MAX_LEDGER_LIMIT)


async def balance(request: Request) -> Response:
    user_id = await _user(request)
    return JSONResponse(serialize.balance(await get_balance(runtime_of(request).deps, user_id)))


async def ledger(request: Request) -> Response:
    user_id = await _user(request)
    limit = _limit(request)
    lines = await get_statement(runtime_of(request).deps, user_id, limit)
    return JSONResponse({"userId": user_id, "entries": [serialize.ledger_line(x) for x in lines]})


async def spend(request: Request) -> Response:
    user_id = await _user(request)
    body = await parse_body(request, SpendBody)
    result: SpendResult = await runtime_of(request).bus.handle(c.SpendCredits(
        user_id=user_id, credits=body.credits, idempotency_key=body.idempotency_key,
        reason=body.reason,
    ))
    return JSONResponse({"userId": user_id, "balance": result.balance, "spent": body.credits,
                         "replayed": result.replayed})


async def list_links(request: Request) -> Response:
    require_server(request)
    user_id = _requested(request)
    found = await links.list_links(runtime_of(request).deps, user_id)
    return JSONResponse({"userId": user_id, "telegram": [serialize.link(x) for x in found]})


async def add_link(request: Request) -> Response:
    require_server(request)
    user_id = _requested(request)
    body = await parse_body(request, LinkBody)
    made: TelegramLink = await runtime_of(request).bus.handle(
        c.LinkTelegram(user_id, body.telegram_user_id))
    return JSONResponse(serialize.link(made))


async def remove_link(request: Request) -> Response:
    require_server(request)
    user_id = _requested(request)
    telegram_user_id = whole(request.path_params["telegram_user_id"], "telegramUserId", 1,
                             2**63 - 1)
    await runtime_of(request).bus.handle(c.UnlinkTelegram(user_id, telegram_user_id))
    return JSONResponse({"userId": user_id, "telegramUserId": telegram_user_id,
                         "linked": False})


async def link_token(request: Request) -> Response:
    require_server(request)
    user_id = _requested(request)
    view: LinkTokenView = await runtime_of(request).bus.handle(c.CreateLinkToken(user_id))
    return JSONResponse({"userId": user_id, "token": view.token, "deepLink": view.deep_link,
                         "expiresAt": view.expires_at.isoformat()}, status_code=201)


ROUTES = [
    Route("/api/users/{user_id}/telegram", list_links, methods=["GET"]),
    Route("/api/users/{user_id}/telegram", add_link, methods=["POST"]),
    Route("/api/users/{user_id}/telegram/link-token", link_token, methods=["POST"]),
    Route("/api/users/{user_id}/telegram/{telegram_user_id}", remove_link, methods=["DELETE"]),
    Route("/api/users/{user_id}/balance", balance, methods=["GET"]),
    Route("/api/users/{user_id}/ledger", ledger, methods=["GET"]),
    Route("/api/users/{user_id}/spend", spend, methods=["POST"]),
]
