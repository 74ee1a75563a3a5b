"""The raw webhook inbox at the edge: a record per delivery, pending while it is handled (the
first transaction that commits stores it with its effect), then its outcome."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import Response

from application.webhook_inbox import record_outcome
from application.webhook_records import RawWebhook, pending_webhook
from entrypoints.http.auth import runtime_of
from entrypoints.http.errors import error_response
from entrypoints.observability import Metrics
from entrypoints.runtime import Runtime

log = structlog.get_logger("starport.inbox")
# Worth keeping for a dispute; the secret token and the signature are never among them.
KEPT_HEADERS = frozenset({"content-type", "content-length", "user-agent", "x-forwarded-for",
                          "x-real-ip", "x-request-id", "host"})
UNVERIFIED_BODY_LIMIT = 4096  # a forger cannot make us store megabytes


def receipt(runtime: Runtime, source: str, body: bytes, headers: Mapping[str, str],
            verified: bool) -> RawWebhook:
    kept = {k.lower(): v for k, v in headers.items() if k.lower() in KEPT_HEADERS}
    return RawWebhook(id=runtime.deps.ids.new_id(), source=source,
                      received_at=runtime.deps.clock.now(),
                      body=body if verified else body[:UNVERIFIED_BODY_LIMIT],
                      headers=kept, verified=verified)


def note_telegram_ids(record: RawWebhook, update: Any) -> None:
    """The ids a dispute is looked up by, read from the update as received."""
    if not isinstance(update, dict):
        return
    if isinstance(update.get("update_id"), int):
        record.update_id = str(update["update_id"])
    message = update.get("message")
    for part in ("successful_payment", "refunded_payment"):
        payment = message.get(part) if isinstance(message, dict) else None
        if isinstance(payment, dict):
            record.charge_id = _text(payment.get("telegram_payment_charge_id"))
            record.session_id = _text(payment.get("invoice_payload"), 64)
    query = update.get("pre_checkout_query")
    if isinstance(query, dict):
        record.session_id = _text(query.get("invoice_payload"), 64)


def _text(value: Any, limit: int = 200) -> str | None:
    """Cut to its column: a payload of 128 bytes (not one of our sessions) must not make the
    delivery, and so the update, impossible to store."""
    return value[:limit] if isinstance(value, str) else None


@contextlib.asynccontextmanager
async def pending(record: RawWebhook) -> AsyncIterator[RawWebhook]:
    """While the block runs, the first committed transaction stores `record` with its effect."""
    token = pending_webhook.set(record)
    try:
        yield record
    finally:
        pending_webhook.reset(token)


async def finish(runtime: Runtime, record: RawWebhook, outcome: str) -> bool:
    """Store the outcome (and the delivery, if nothing stored it). False when the delivery
    could not be stored at all: the caller should ask the sender to deliver it again."""
    try:
        await record_outcome(runtime.deps, record, outcome)
    except Exception:
        log.exception("inbox.write_failed", record_id=record.id, outcome=outcome)
        return record.stored
    return True


Handle = Callable[[Request, bytes, RawWebhook, Metrics], Awaitable[tuple[Response, str]]]


async def accept(request: Request, source: str, raw: bytes, verified: bool,
                 refusal: tuple[str, int, str, str], handle: Handle) -> Response:
    """The frame of every webhook: refuse an unauthenticated delivery without storing it
    (`refusal` = metric outcome, status, error code, message); otherwise handle it with its
    raw record pending, store the outcome, and ask for a redelivery if the delivery itself
    could not be stored."""
    runtime = runtime_of(request)
    metrics: Metrics = request.app.state.metrics
    if not verified:
        outcome, status, code, message = refusal
        metrics.record_webhook(source, outcome)
        log.warning("webhook.refused", source=source, outcome=outcome)
        # Not stored: an unauthenticated sender must not cost a write (or fill the disk).
        return error_response(status, code, message)
    record = receipt(runtime, source, raw, request.headers, verified)
    async with pending(record):
        response, outcome = await handle(request, raw, record, metrics)
    if not await finish(runtime, record, outcome) and response.status_code < 500:
        return error_response(503, "unavailable", "the update could not be stored; retry")
    return response
