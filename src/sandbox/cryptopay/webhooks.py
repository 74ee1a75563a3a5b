"""Deliver signed `invoice_paid` updates with bounded retries, and record every attempt."""

from __future__ import annotations

import asyncio
import functools
import json
import ssl
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx

from starport.sandbox.cryptopay.signing import SIGNATURE_HEADER


class WebhookMode(StrEnum):
    DELIVER = "deliver"  # as Crypto Pay does
    DROP = "drop"  # never sent: exercises the polling fallback
    REPLAY = "replay"  # the same update sent twice
    STALE = "stale"  # request_date far in the past


@dataclass(frozen=True)
class Attempt:
    status: int | None  # HTTP status, or None when the request itself failed
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "error": self.error}


@dataclass
class Delivery:
    """One update sent (or deliberately not sent) to the webhook URL."""

    update_id: int
    invoice_id: int
    mode: WebhookMode
    url: str | None
    body: bytes
    signature: str
    state: str = "pending"  # pending | delivered | failed | dropped | no_url
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return self.state == "delivered"

    def to_json(self) -> dict[str, Any]:
        return {
            "update_id": self.update_id,
            "invoice_id": self.invoice_id,
            "mode": self.mode.value,
            "url": self.url,
            "state": self.state,
            "signature": self.signature,
            "body": self.body.decode(),
            "attempts": [attempt.to_json() for attempt in self.attempts],
        }


def encode(update: dict[str, Any]) -> bytes:
    """Compact JSON, non-ASCII kept as UTF-8: the bytes a JS `JSON.stringify` would send."""
    return json.dumps(update, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class WebhookPolicy:
    retries: int = 3
    backoff: float = 0.05
    max_backoff: float = 1.0
    timeout: float = 5.0


async def deliver(
    delivery: Delivery, policy: WebhookPolicy, transport: httpx.AsyncBaseTransport | None = None
) -> None:
    """POST until a 2xx answer or the retries run out; the outcome lands in `delivery`."""
    if delivery.url is None:
        delivery.state = "no_url"
        return
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: delivery.signature}
    client = httpx.AsyncClient(transport=transport, timeout=policy.timeout, verify=_tls())
    async with client as http:
        for attempt in range(policy.retries + 1):
            if attempt:
                await asyncio.sleep(min(policy.max_backoff, policy.backoff * 2 ** (attempt - 1)))
            try:
                response = await http.post(delivery.url, content=delivery.body, headers=headers)
            except httpx.HTTPError as exc:
                delivery.attempts.append(Attempt(None, type(exc).__name__))
                continue
            delivery.attempts.append(Attempt(response.status_code))
            if response.is_success:
                delivery.state = "delivered"
                return
    delivery.state = "failed"


@functools.cache
def _tls() -> ssl.SSLContext:
    # Built once: a fresh context per delivery costs more than the delivery itself.
    return ssl.create_default_context()
