"""`POST /api/cryptopay/webhook`: verify the signature over the raw body, then credit once."""

from __future__ import annotations

from datetime import timedelta

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from structlog.contextvars import bind_contextvars

from starport.adapters.cryptopay import (
    SIGNATURE_HEADER,
    MalformedUpdate,
    parse_update,
    verify_signature,
)
from starport.adapters.cryptopay.models import CryptoPayUpdate
from starport.adapters.cryptopay.paid import paid_price
from starport.application import commands as c
from starport.application.deliveries import Delivery, DuplicateDelivery
from starport.application.views import PaymentOutcome
from starport.domain.errors import DomainError
from starport.domain.providers import Provider
from starport.entrypoints.http.auth import runtime_of
from starport.entrypoints.http.deliveries import kept_headers
from starport.entrypoints.http.errors import error_response
from starport.entrypoints.observability import Metrics
from starport.entrypoints.runtime import Runtime

log = structlog.get_logger("starport.cryptopay")
SOURCE = "cryptopay"


async def cryptopay_webhook(request: Request) -> Response:
    runtime = runtime_of(request)
    metrics: Metrics = request.app.state.metrics
    raw = await request.body()  # the exact bytes: never verify re-serialised JSON
    token = runtime.config.cryptopay_api_token or ""
    if not verify_signature(token, raw, request.headers.get(SIGNATURE_HEADER)):
        metrics.record_webhook(SOURCE, "bad_signature")  # not stored: a forger costs no write
        log.warning("webhook.refused", source=SOURCE, outcome="bad_signature")
        return error_response(401, "invalid_signature", "missing or wrong signature")
    try:
        update = parse_update(raw)
    except MalformedUpdate as exc:
        metrics.record_webhook(SOURCE, "malformed")
        return error_response(400, "malformed_update", str(exc))
    bind_contextvars(update_id=update.update_id, invoice_id=update.payload.invoice_id)
    tolerance = timedelta(seconds=runtime.config.cryptopay_webhook_tolerance_seconds)
    if abs(runtime.deps.clock.now() - update.request_date) > tolerance:
        metrics.record_webhook(SOURCE, "stale")
        log.warning("cryptopay.stale_update", request_date=update.request_date.isoformat())
        return error_response(400, "stale_update", "request_date is outside the tolerance")
    if update.update_type != "invoice_paid" or not update.payload.is_paid:
        metrics.record_webhook(SOURCE, "ignored")
        return JSONResponse({"ok": True, "outcome": "ignored"})
    try:
        label = await _credit(runtime, update, _delivery(runtime, update, raw, request))
    except Exception:
        metrics.record_webhook(SOURCE, "error")  # nothing stored: Crypto Pay retries it
        log.exception("cryptopay.payment_failed")
        return error_response(503, "unavailable", "the payment could not be recorded; retry")
    metrics.record_webhook(SOURCE, label.partition(":")[0])
    return JSONResponse({"ok": True, "outcome": label})


def _delivery(runtime: Runtime, update: CryptoPayUpdate, raw: bytes, request: Request
              ) -> Delivery:
    return Delivery(
        id=runtime.deps.ids.new_id(), source=SOURCE, update_id=str(update.update_id),
        received_at=runtime.deps.clock.now(), body=raw, headers=kept_headers(request.headers),
        invoice_id=str(update.payload.invoice_id),
        session_id=(update.payload.payload or "")[:64] or None)


async def _credit(runtime: Runtime, update: CryptoPayUpdate, delivery: Delivery) -> str:
    """Exactly once per invoice id (the charge) and per update id (the delivery)."""
    invoice = update.payload
    bind_contextvars(session_id=invoice.payload)
    try:
        outcome: PaymentOutcome = await runtime.bus.handle(c.CompletePayment(
            provider=Provider.CRYPTOPAY, session_id=invoice.payload or "",
            charge_id=str(invoice.invoice_id), paid=paid_price(invoice),
            delivery=delivery))
    except DuplicateDelivery:
        return "duplicate"
    except (DomainError, MalformedUpdate) as exc:
        # Retrying would not change the answer; the money needs a human (logged as an error).
        code = getattr(exc, "code", "malformed")
        log.error("cryptopay.payment_refused", code=code, reason=str(exc))
        return f"refused:{code}"
    (log.info if outcome.credited else log.warning)(
        "cryptopay.update_handled", outcome=outcome.label, reason=outcome.rejected_reason)
    return outcome.label


ROUTES = [Route("/api/cryptopay/webhook", cryptopay_webhook, methods=["POST"])]
