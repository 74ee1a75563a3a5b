"""The admin's view of the raw webhook inbox: query parameters in, deliveries out."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from application.webhook_records import RawWebhook, WebhookQuery
from entrypoints.http.errors import ApiError
from entrypoints.http.schemas import iso

SOURCES = ("telegram", "cryptopay")
MAX_LIMIT = 500


def webhook_query(params: Mapping[str, str]) -> WebhookQuery:
    """`?updateId=&chargeId=&invoiceId=&sessionId=&source=&limit=` (1..500, default 50)."""
    raw_limit = params.get("limit", "50")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
        raise ApiError(422, "invalid_request", f"limit must be 1..{MAX_LIMIT}")
    source = params.get("source") or None
    if source is not None and source not in SOURCES:
        raise ApiError(422, "invalid_request", f"source is one of {SOURCES}")
    return WebhookQuery(
        update_id=params.get("updateId") or None, charge_id=params.get("chargeId") or None,
        invoice_id=params.get("invoiceId") or None, session_id=params.get("sessionId") or None,
        source=source, limit=int(raw_limit))


def serialize_webhook(r: RawWebhook) -> dict[str, Any]:
    return {
        "id": r.id, "source": r.source, "receivedAt": iso(r.received_at),
        "verified": r.verified, "updateId": r.update_id, "chargeId": r.charge_id,
        "invoiceId": r.invoice_id, "sessionId": r.session_id, "outcome": r.outcome,
        "outcomeAt": iso(r.outcome_at), "headers": r.headers,
        "body": r.body.decode("utf-8", errors="replace"),
        "bodySha256": hashlib.sha256(r.body).hexdigest(),
    }
