"""Build, sign and send `invoice_paid` updates; keep every delivery for tests to inspect."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

import httpx

from starport.sandbox.cryptopay.invoices import SandboxInvoice, iso
from starport.sandbox.cryptopay.signing import sign
from starport.sandbox.cryptopay.webhooks import (
    Delivery,
    WebhookMode,
    WebhookPolicy,
    deliver,
    encode,
)
from starport.sandbox.tasks import finished


class Notifier:
    def __init__(
        self,
        token: str,
        clock: Callable[[], datetime],
        *,
        url: str | None = None,
        policy: WebhookPolicy | None = None,
        stale_age: timedelta = timedelta(days=1),
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.token = token
        self.clock = clock
        self.url = url
        self.policy = policy or WebhookPolicy()
        self.stale_age = stale_age
        self.transport = transport
        self.deliveries: list[Delivery] = []
        self._next_update_id = 1
        self._tasks: set[asyncio.Task[None]] = set()

    def continue_after(self, update_id: int) -> None:
        """Number the next updates after `update_id` (see SandboxCryptoPay.continue_after)."""
        self._next_update_id = max(self._next_update_id, update_id + 1)

    def configure(
        self, url: str | None, *, retries: int | None = None, backoff: float | None = None
    ) -> None:
        self.url = url
        self.policy = replace(
            self.policy,
            retries=self.policy.retries if retries is None else retries,
            backoff=self.policy.backoff if backoff is None else backoff,
        )

    async def notify(
        self, invoice: SandboxInvoice, mode: WebhookMode, wait: bool
    ) -> list[Delivery]:
        """One update (two identical copies for REPLAY); sent now, later, or never (DROP)."""
        update_id = self._next_update_id
        self._next_update_id += 1
        age = self.stale_age if mode is WebhookMode.STALE else timedelta(0)
        body = encode(
            {
                "update_id": update_id,
                "update_type": "invoice_paid",
                "request_date": iso(self.clock() - age),
                "payload": invoice.to_json(),
            }
        )
        signature = sign(self.token, body)
        copies = 2 if mode is WebhookMode.REPLAY else 1
        batch = [
            Delivery(update_id, invoice.invoice_id, mode, self.url, body, signature)
            for _ in range(copies)
        ]
        self.deliveries.extend(batch)
        if mode is WebhookMode.DROP:
            for delivery in batch:
                delivery.state = "dropped"
            return batch
        if wait:
            await self._send(batch)
        else:
            task = asyncio.create_task(self._send(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return batch

    async def drain(self) -> None:
        """Wait for deliveries started with `wait=False`."""
        while self._tasks:
            await finished(self._tasks)

    async def _send(self, batch: list[Delivery]) -> None:
        for delivery in batch:
            await deliver(delivery, self.policy, self.transport)
