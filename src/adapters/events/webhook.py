"""Events POSTed to the host app, signed per the Standard Webhooks specification.

Each attempt carries `webhook-id` (the event's id, the same on every attempt: the receiver's
key to drop a repeat), `webhook-timestamp` (this attempt's time, in seconds: a receiver turns
away old ones, so a retry is signed anew) and `webhook-signature` (`v1,<base64 HMAC-SHA256 of
"id.timestamp.body">`, made by the `standardwebhooks` library with the `whsec_` secret)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook

USER_AGENT = "Starport-Events/1"
TIMEOUT = httpx.Timeout(15.0, connect=5.0)


class EventNotAccepted(Exception):
    """The receiver did not answer 2xx (the outbox tries again later)."""


class WebhookEvents:
    def __init__(self, url: str, secret: str, *, client: httpx.AsyncClient | None = None,
                 now: type[datetime] = datetime) -> None:
        self._url = url
        self._signer = Webhook(secret)
        self._client = client or httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False)
        self._now = now

    async def deliver(self, event_id: str, body: bytes) -> None:
        sent_at = self._now.now(UTC).replace(microsecond=0)
        signature = self._signer.sign(event_id, sent_at, body.decode())
        response = await self._client.post(self._url, content=body, headers={
            "content-type": "application/json", "user-agent": USER_AGENT,
            "webhook-id": event_id, "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": signature})
        if not 200 <= response.status_code < 300:
            raise EventNotAccepted(f"{self._url} answered {response.status_code}: "
                                   f"{response.text[:200]!r}")

    async def aclose(self) -> None:
        await self._client.aclose()
