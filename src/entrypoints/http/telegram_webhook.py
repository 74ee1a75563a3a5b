"""`POST /api/telegram/webhook`: check the secret header, then hand the update to the router."""

from __future__ import annotations

import hmac
import json
import time

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from application.webhook_records import RawWebhook
from entrypoints.http.auth import runtime_of
from entrypoints.http.errors import error_response
from entrypoints.http.raw_inbox import accept, note_telegram_ids
from entrypoints.observability import Metrics
from entrypoints.telegram import MalformedUpdate, handle_update

log = structlog.get_logger("starport.telegram")
SECRET_HEADER = "x-telegram-bot-api-secret-token"
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
    raw = await request.body()
    return await accept(request, SOURCE, raw, _authentic(request),
                        ("forbidden", 403, "forbidden", "wrong or missing secret token"), _handle)


async def _handle(request: Request, raw: bytes, record: RawWebhook, metrics: Metrics
                  ) -> tuple[Response, str]:
    try:
        update = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        metrics.record_webhook(SOURCE, "malformed")
        return error_response(400, "malformed_json", "the update is not valid JSON"), "malformed"
    note_telegram_ids(record, update)
    started = time.perf_counter()
    try:
        outcome = await handle_update(runtime_of(request), update)
    except MalformedUpdate as exc:
        metrics.record_webhook(SOURCE, "malformed")
        log.warning("telegram.update_malformed", error=str(exc))
        return error_response(400, "malformed_update", str(exc)), "malformed"
    except Exception:
        # Storage (or anything) failed: answer 5xx so Telegram delivers the update again.
        metrics.record_webhook(SOURCE, "error")
        log.exception("telegram.update_failed")
        return (error_response(503, "unavailable", "the update could not be handled; retry"),
                "error")
    if outcome.startswith("pre_checkout"):
        metrics.record_pre_checkout(time.perf_counter() - started)
    metrics.record_webhook(SOURCE, outcome.partition(":")[0])
    log.info("telegram.update_handled", outcome=outcome)
    return JSONResponse({"ok": True, "outcome": outcome}), outcome


ROUTES = [Route("/api/telegram/webhook", telegram_webhook, methods=["POST"])]
