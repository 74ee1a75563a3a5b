"""Admin routes (`Bearer <STARPORT_ADMIN_TOKEN>`): refunds, bot messages, jobs, patrons."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from structlog.contextvars import bind_contextvars

from starport.application import bot_messages, deliveries
from starport.application import commands as c
from starport.application.views import JobCounts, RefundResult, SpendResult
from starport.domain.perks import PatronSource
from starport.entrypoints.http import serialize
from starport.entrypoints.http.auth import require_admin, runtime_of
from starport.entrypoints.http.deliveries import delivery_query, serialize_delivery
from starport.entrypoints.http.errors import ApiError, parse_body
from starport.entrypoints.http.inputs import INT64, storable_param, whole
from starport.entrypoints.http.schemas import (
    AdjustBody,
    BotMessageBody,
    PatronBody,
    PreviewBody,
    RefundBody,
    iso,
    user_id_param,
)
from starport.entrypoints.jobs.registry import JOBS, job_table
from starport.entrypoints.jobs.registry import run_job as run_registered_job

Handler = Callable[[Request, str], Awaitable[Any]]


def admin(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Authenticate first (nothing is parsed before), then answer the handler's JSON."""

    async def endpoint(request: Request) -> Response:
        who = require_admin(request)
        result = await handler(request, who)
        return result if isinstance(result, Response) else JSONResponse(result)

    return endpoint


async def refund(request: Request, who: str) -> Any:
    session_id, body = await _refund_request(request)
    result: RefundResult = await runtime_of(request).bus.handle(c.RefundPayment(
        session_id=session_id, requested_by=who, reason=body.reason, allow_debt=body.allow_debt,
        telegram_user_id=body.telegram_user_id))
    return serialize.refund(result)


async def record_refund(request: Request, who: str) -> Any:
    """A refund the operator made outside Starport (the payment provider's dashboard, a
    transfer from the Crypto Pay wallet)."""
    session_id, body = await _refund_request(request)
    if body.telegram_user_id is not None:
        raise ApiError(422, "invalid_request", "telegramUserId names who a refund made by "
                       "Starport goes to; a recorded refund was sent already")
    result: RefundResult = await runtime_of(request).bus.handle(c.RecordRefund(
        session_id=session_id, requested_by=who, reason=body.reason, allow_debt=body.allow_debt))
    return serialize.refund(result)


async def _refund_request(request: Request) -> tuple[str, RefundBody]:
    session_id = storable_param(request.path_params["session_id"], "sessionId")
    bind_contextvars(session_id=session_id)
    return session_id, await parse_body(request, RefundBody, empty_ok=True)


def _key(request: Request) -> str:
    return storable_param(request.path_params["key"], "key")


def _language(request: Request) -> str | None:
    """`?language=ru`: the language a bot message route reads or writes (none: the default
    language; for the history, every language)."""
    raw = request.query_params.get("language")
    return storable_param(raw, "language") if raw else None


async def list_messages(request: Request, who: str) -> Any:
    views = await bot_messages.list_bot_messages(runtime_of(request).deps, _language(request))
    return [serialize.bot_message(v) for v in views]


async def get_message(request: Request, who: str) -> Any:
    view = await bot_messages.get_bot_message(runtime_of(request).deps, _key(request),
                                              _language(request))
    return serialize.bot_message(view)


async def put_message(request: Request, who: str) -> Any:
    body = await parse_body(request, BotMessageBody)
    view = await runtime_of(request).bus.handle(c.UpdateBotMessage(
        key=_key(request), template=body.template, parse_mode=body.parse_mode,
        changed_by=who, language=_language(request)))
    return serialize.bot_message(view)


async def reset_message(request: Request, who: str) -> Any:
    view = await runtime_of(request).bus.handle(
        c.ResetBotMessage(key=_key(request), changed_by=who, language=_language(request)))
    return serialize.bot_message(view)


async def message_history(request: Request, who: str) -> Any:
    changes = await bot_messages.bot_message_history(
        runtime_of(request).deps, _key(request), language_code=_language(request))
    return [serialize.bot_message_change(x) for x in changes]


async def preview_message(request: Request, who: str) -> Any:
    """A text as the bot would send it (sample values), or why the bot could not: a 200
    either way, for an editor to show as the admin types."""
    body = await parse_body(request, PreviewBody, empty_ok=True)
    view = await bot_messages.preview_bot_message(
        runtime_of(request).deps, _key(request), _language(request), body.template,
        body.parse_mode)
    return serialize.preview(view)


async def list_jobs(request: Request, who: str) -> Any:
    return await job_table(runtime_of(request))


async def run_job(request: Request, who: str) -> Any:
    name = request.path_params["name"]
    if name not in JOBS:
        raise ApiError(404, "unknown_job", f"unknown job {name!r}; known: {sorted(JOBS)}")
    bind_contextvars(job=name)
    # Through the registry, so the job lock holds here too (one run across instances).
    counts: JobCounts = await run_registered_job(runtime_of(request), name, requested_by=who)
    return serialize.job(name, counts)


async def make_patron(request: Request, who: str) -> Any:
    body = await parse_body(request, PatronBody)
    source = PatronSource.HOST_APP if who == "host_app" else PatronSource.ADMIN
    invite = await runtime_of(request).bus.handle(c.MakePatron(
        telegram_user_id=body.telegram_user_id, user_id=body.user_id, until=body.until,
        first_name=body.first_name, source=source,
        requested_by=who if source is PatronSource.ADMIN else None))
    data = {"telegramUserId": body.telegram_user_id,
            "userId": body.user_id or str(body.telegram_user_id),
            "until": iso(body.until), "invite": serialize.invite(invite)}
    return JSONResponse(data, status_code=201)


async def end_patron(request: Request, who: str) -> Any:
    telegram_user_id = whole(request.path_params["telegram_user_id"], "telegramUserId", 1,
                             INT64)
    ended = await runtime_of(request).bus.handle(c.EndPatronage(
        telegram_user_id, requested_by=who if who != "host_app" else None))
    return {"telegramUserId": telegram_user_id, "ended": ended}


async def adjust_credits(request: Request, who: str) -> Any:
    """An admin grants or takes credits with a reason (a ledger entry of kind adjustment)."""
    user_id = user_id_param(request)
    body = await parse_body(request, AdjustBody)
    result: SpendResult = await runtime_of(request).bus.handle(c.AdjustCredits(
        user_id=user_id, credits=body.credits, reason=body.reason,
        idempotency_key=body.idempotency_key, requested_by=who, allow_debt=body.allow_debt))
    return {"userId": user_id, "balance": result.balance, "adjusted": body.credits,
            "replayed": result.replayed}


async def find_deliveries(request: Request, who: str) -> Any:
    """Stored deliveries by Telegram update id, charge id, Crypto Pay invoice id or session."""
    query = delivery_query(request.query_params)
    found = await deliveries.find_deliveries(runtime_of(request).deps, query)
    return [serialize_delivery(d) for d in found]


ROUTES = [
    Route("/api/admin/payments/{session_id}/refund", admin(refund), methods=["POST"]),
    Route("/api/admin/payments/{session_id}/refund-recorded", admin(record_refund),
          methods=["POST"]),
    Route("/api/admin/bot-messages", admin(list_messages), methods=["GET"]),
    Route("/api/admin/bot-messages/{key}", admin(get_message), methods=["GET"]),
    Route("/api/admin/bot-messages/{key}", admin(put_message), methods=["PUT"]),
    Route("/api/admin/bot-messages/{key}/reset", admin(reset_message), methods=["POST"]),
    Route("/api/admin/bot-messages/{key}/history", admin(message_history), methods=["GET"]),
    Route("/api/admin/bot-messages/{key}/preview", admin(preview_message), methods=["POST"]),
    Route("/api/admin/jobs", admin(list_jobs), methods=["GET"]),
    Route("/api/admin/jobs/{name}/run", admin(run_job), methods=["POST"]),
    Route("/api/admin/users/{user_id}/adjust", admin(adjust_credits), methods=["POST"]),
    Route("/api/admin/deliveries", admin(find_deliveries), methods=["GET"]),
    Route("/api/admin/webhooks", admin(find_deliveries), methods=["GET"]),  # the older name
    Route("/api/admin/patrons", admin(make_patron), methods=["POST"]),
    Route("/api/admin/patrons/{telegram_user_id}", admin(end_patron), methods=["DELETE"]),
]
