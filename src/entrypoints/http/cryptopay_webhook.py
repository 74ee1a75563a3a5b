"""`POST /api/cryptopay/webhook`: verify the signature over the raw body, then credit once."""

from __future__ import annotations

from datetime import timedelta

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from structlog.contextvars import bind_contextvars

from adapters.cryptopay import (
    SIGNATURE_HEADER,
    Invoice,
    MalformedUpdate,
    parse_update,
    verify_signature,
)
from adapters.cryptopay.paid import paid_price
from application import commands as c
from application.views import PaymentOutcome
from application.webhook_records import RawWebhook
from domain.errors import DomainError
from domain.providers import Provider
from entrypoints.http.auth import runtime_of
from entrypoints.http.errors import error_response
from entrypoints.http.raw_inbox import accept
from entrypoints.observability import Metrics

log = structlog.get_logger("starport.cryptopay")
SOURCE = "cryptopay"


async def cryptopay_webhook(request: Request) -> Response:
    raw = await request.body()  # the exact bytes: never verify re-serialised JSON
    token = runtime_of(request).config.cryptopay_api_token or ""
    verified = verify_signature(token, raw, request.headers.get(SIGNATURE_HEADER))
    refusal = ("bad_signature", 401, "invalid_signature", "missing or wrong signature")
    return await accept(request, SOURCE, raw, verified, refusal, _handle)


async def _handle(request: Request, raw: bytes, record: RawWebhook, metrics: Metrics
                  ) -> tuple[Response, str]:
    runtime = runtime_of(request)
    try:
        update = parse_update(raw)
    except MalformedUpdate as exc:
        metrics.record_webhook(SOURCE, "malformed")
        return error_response(400, "malformed_update", str(exc)), "malformed"
    record.update_id = str(update.update_id)
    record.invoice_id = str(update.payload.invoice_id)
    record.session_id = (update.payload.payload or "")[:64] or None
    bind_contextvars(update_id=update.update_id, invoice_id=update.payload.invoice_id)
    tolerance = timedelta(seconds=runtime.config.cryptopay_webhook_tolerance_seconds)
    if abs(runtime.deps.clock.now() - update.request_date) > tolerance:
        metrics.record_webhook(SOURCE, "stale")
        log.warning("cryptopay.stale_update", request_date=update.request_date.isoformat())
        return (error_response(400, "stale_update", "request_date is outside the tolerance"),
                "stale")
    if update.update_type != "invoice_paid" or not update.payload.is_paid:
        metrics.record_webhook(SOURCE, "ignored")
        return JSONResponse({"ok": True, "outcome": "ignored"}), "ignored"
    return await _credit(request, update.payload, metrics)


async def _credit(request: Request, invoice: Invoice, metrics: Metrics
                  ) -> tuple[Response, str]:
    if not invoice.payload:
        metrics.record_webhook(SOURCE, "unmatched")
        log.error("cryptopay.invoice_without_session")  # not ours to credit: say so, loudly
        return JSONResponse({"ok": True, "outcome": "unmatched"}), "unmatched"
    bind_contextvars(session_id=invoice.payload)
    try:
        outcome: PaymentOutcome = await runtime_of(request).bus.handle(c.CompletePayment(
            provider=Provider.CRYPTOPAY, session_id=invoice.payload,
            charge_id=str(invoice.invoice_id), paid=paid_price(invoice), exact=False))
    except (DomainError, MalformedUpdate) as exc:
        # Retrying would not change the answer; the money needs a human (logged as an error).
        code = getattr(exc, "code", "malformed")
        metrics.record_webhook(SOURCE, "refused")
        log.error("cryptopay.payment_refused", code=code, reason=str(exc))
        return JSONResponse({"ok": True, "outcome": f"refused:{code}"}), f"refused:{code}"
    except Exception:
        metrics.record_webhook(SOURCE, "error")
        log.exception("cryptopay.payment_failed")
        return (error_response(503, "unavailable", "the payment could not be recorded; retry"),
                "error")
    label = ("credited" if outcome.credited
             else "rejected" if outcome.rejected_reason else "already_credited")
    metrics.record_webhook(SOURCE, label)
    log.info("cryptopay.update_handled", outcome=label, reason=outcome.rejected_reason)
    return JSONResponse({"ok": True, "outcome": label}), label


ROUTES = [Route("/api/cryptopay/webhook", cryptopay_webhook, methods=["POST"])]
