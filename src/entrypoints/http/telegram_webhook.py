"""`POST /api/telegram/webhook`: check the secret header, parse the update once, route it, and
answer with the Bot API call Telegram waits for (the pre-checkout's answer) when there is one."""

from __future__ import annotations

import hmac
import time

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from starport.adapters.telegram.updates import MalformedUpdate, parse_update
from starport.entrypoints.http.auth import runtime_of
from starport.entrypoints.http.deliveries import kept_headers
from starport.entrypoints.http.errors import error_response
from starport.entrypoints.observability import Metrics
from starport.entrypoints.telegram.router import delivery_of, handle_update

log = structlog.get_logger("starport.telegram")
SECRET_HEADER = "x-telegram-bot-api-secret-token"
OUTCOME_HEADER = "x-starport-outcome"
SOURCE = "telegram"


def _authentic(request: Request) -> bool:
    """The secret set with setWebhook, compared in constant time. Without one configured we
    refuse every update (anyone could forge payments), except in sandbox mode."""
    config = runtime_of(request).config
    secret = config.telegram_webhook_secret
    if not secret:
        return config.sandbox
    given = request.headers.get(SECRET_HEADER, "")
    return hmac.compare_digest(secret.encode(), given.encode())


async def telegram_webhook(request: Request) -> Response:
    metrics: Metrics = request.app.state.metrics
    if not _authentic(request):  # not stored: a forger must not cost a write
        metrics.record_webhook(SOURCE, "forbidden")
        log.warning("webhook.refused", source=SOURCE, outcome="forbidden")
        return error_response(403, "forbidden", "wrong or missing secret token")
    raw = await request.body()
    try:
        update = parse_update(raw)
    except MalformedUpdate as exc:
        metrics.record_webhook(SOURCE, "malformed")
        log.warning("telegram.update_malformed", error=str(exc))
        return error_response(400, "malformed_update", str(exc))
    runtime = runtime_of(request)
    started = time.perf_counter()
    try:
        handled = await handle_update(runtime, update,
                                      delivery_of(runtime, update, raw,
                                                  kept_headers(request.headers)))
    except Exception:
        # Storage (or anything) failed, and nothing was stored: Telegram delivers it again.
        metrics.record_webhook(SOURCE, "error")
        log.exception("telegram.update_failed")
        return error_response(503, "unavailable", "the update could not be handled; retry")
    if update.pre_checkout_query is not None:
        metrics.record_pre_checkout(time.perf_counter() - started)
    metrics.record_webhook(SOURCE, handled.outcome.partition(":")[0])
    log.info("telegram.update_handled", outcome=handled.outcome)
    body = (handled.reply.webhook_body() if handled.reply is not None
            else {"ok": True, "outcome": handled.outcome})
    return JSONResponse(body, headers={OUTCOME_HEADER: handled.outcome})


ROUTES = [Route("/api/telegram/webhook", telegram_webhook, methods=["POST"])]
