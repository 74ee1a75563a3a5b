"""Deliveries at the HTTP edge: the headers kept with one, and the admin's search of them."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from starport.application.deliveries import Delivery, DeliveryQuery
from starport.entrypoints.http.errors import ApiError
from starport.entrypoints.http.inputs import storable_param, whole
from starport.entrypoints.http.schemas import iso

# Worth keeping for a dispute; the secret token and the signature are never among them.
KEPT_HEADERS = frozenset({"content-type", "content-length", "user-agent", "x-forwarded-for",
                          "x-real-ip", "x-request-id", "host"})
SOURCES = ("telegram", "cryptopay")
MAX_LIMIT = 500


def kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items() if k.lower() in KEPT_HEADERS}


def delivery_query(params: Mapping[str, str]) -> DeliveryQuery:
    """`?updateId=&chargeId=&invoiceId=&sessionId=&source=&limit=` (1..500, default 50)."""
    limit = whole(params.get("limit", "50"), "limit", 1, MAX_LIMIT)
    source = params.get("source") or None
    if source is not None and source not in SOURCES:
        raise ApiError(422, "invalid_request", f"source is one of {SOURCES}")
    ids = {name: storable_param(params[name], name) if params.get(name) else None
           for name in ("updateId", "chargeId", "invoiceId", "sessionId")}
    return DeliveryQuery(update_id=ids["updateId"], charge_id=ids["chargeId"],
                         invoice_id=ids["invoiceId"], session_id=ids["sessionId"],
                         source=source, limit=limit)


def serialize_delivery(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.id, "source": d.source, "receivedAt": iso(d.received_at),
        "verified": d.verified, "updateId": d.update_id, "chargeId": d.charge_id,
        "invoiceId": d.invoice_id, "sessionId": d.session_id, "outcome": d.outcome,
        "headers": d.headers, "body": d.body.decode("utf-8", errors="replace"),
        "bodySha256": hashlib.sha256(d.body).hexdigest(),
    }
