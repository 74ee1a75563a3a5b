"""Update delivery: increasing update_ids, webhook POSTs with bounded retries, getUpdates queue."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from starport.sandbox.tasks import finished
from starport.sandbox.telegram.delivery import Delivery, DeliverySettings, WebhookConfig

JSON = dict[str, Any]
log = logging.getLogger("starport.sandbox.telegram.webhook")

# Telegram leaves these out unless asked for by name in allowed_updates.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class UpdateHub:
    """One bot's updates: delivered in order (one at a time) to the webhook, else queued."""

    def __init__(
        self,
        settings: Callable[[], DeliverySettings],
        client: Callable[[], httpx.AsyncClient],
        on_reply: Callable[[JSON], Awaitable[None]] | None = None,
    ) -> None:
        self._settings = settings  # read at each delivery: changes apply at once
        self.webhook: WebhookConfig | None = None
        self.allowed_updates: list[str] | None = None  # the getUpdates filter (sticky)
        self.pending: list[JSON] = []
        self.deliveries: list[Delivery] = []
        self.in_flight = 0
        self._next_id = 1
        self._client = client
        self._on_reply = on_reply
        self.validate: Callable[[JSON], None] | None = None  # checks each update against the spec
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()
        self._arrived = asyncio.Event()

    def _sync(self) -> None:
        """asyncio primitives belong to one loop: renew them if the sandbox moved to another."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop, self._lock, self._arrived = loop, asyncio.Lock(), asyncio.Event()
            self._tasks = set()

    def continue_after(self, update_id: int) -> None:
        """Number the next updates after `update_id` (a bot that remembers the ids it has
        handled, restarted with a fresh emulator, must not see them again)."""
        self._next_id = max(self._next_id, update_id + 1)

    def allows(self, kind: str) -> bool:
        allowed = self.webhook.allowed_updates if self.webhook else self.allowed_updates
        if not allowed:
            return kind not in OPT_IN_UPDATES
        return kind in allowed

    async def publish(
        self, kind: str, payload: JSON, *, wait: bool = True, duplicate: bool = False
    ) -> Delivery:
        """Create update `{update_id, kind: payload}` and hand it over; see Delivery.status."""
        self._sync()
        update = {"update_id": self._next_id, kind: payload}
        self._next_id += 1
        if self.validate is not None:
            self.validate(update)
        copies = [Delivery(update) for _ in range(2 if duplicate else 1)]
        if not self.allows(kind):
            copies[0].status = "filtered"
            self.deliveries.append(copies[0])
            return copies[0]
        tasks = [self._hand_over(d) for d in copies]
        if wait:
            for task in tasks:
                if task is not None:
                    await task
        return copies[-1]

    def _hand_over(self, delivery: Delivery, *, known: bool = False) -> asyncio.Task[None] | None:
        if not known:
            self.deliveries.append(delivery)
        if self.webhook is None:
            self._queue(delivery)
            return None
        delivery.status = "pending"
        self.in_flight += 1
        task = asyncio.get_running_loop().create_task(self._deliver(delivery))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _queue(self, delivery: Delivery) -> None:
        delivery.status = "queued"
        self.pending.append(delivery.update)
        self._arrived.set()

    async def _deliver(self, delivery: Delivery) -> None:
        try:
            async with self._lock:  # FIFO: updates reach the bot in the order they happened
                await self._post_with_retries(delivery)
        finally:
            self.in_flight -= 1

    async def _post_with_retries(self, delivery: Delivery) -> None:
        s = self._settings()
        for attempt in range(s.max_attempts):
            hook = self.webhook
            if hook is None:  # the webhook was removed meanwhile: getUpdates will get it
                self._queue(delivery)
                return
            delivery.attempts += 1
            secret = hook.secret_token
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
            try:
                response = await self._client().post(
                    hook.url, json=delivery.update, headers=headers, timeout=s.timeout
                )
                delivery.responses.append(response.status_code)
                if 200 <= response.status_code < 300:
                    delivery.status, delivery.error = "delivered", None
                    await self._reply(response)
                    return
                delivery.error = f"Wrong response from the webhook: {response.status_code}"
            except httpx.HTTPError as exc:
                delivery.responses.append(type(exc).__name__)
                delivery.error = f"Connection failed: {type(exc).__name__}"
            hook.last_error_date, hook.last_error_message = int(time.time()), delivery.error
            log.info("webhook delivery of update %s failed: %s", delivery.update_id, delivery.error)
            if attempt + 1 < s.max_attempts:
                await asyncio.sleep(min(s.backoff_max, s.backoff_initial * 2**attempt))
        delivery.status = "failed"

    async def _reply(self, response: httpx.Response) -> None:
        """A webhook may answer with a method call in its body, which Telegram then performs."""
        if self._on_reply is None or not response.content:
            return
        try:
            body = response.json()
        except ValueError:
            return
        if isinstance(body, dict) and isinstance(body.get("method"), str):
            await self._on_reply(body)

    async def get_updates(
        self, offset: int | None, limit: int, timeout: float, allowed: list[str] | None
    ) -> list[JSON]:
        """getUpdates: confirm below `offset`, then long-poll up to `timeout` seconds."""
        self._sync()
        if allowed is not None:
            self.allowed_updates = allowed
        if offset:
            if offset > 0:
                self.pending = [u for u in self.pending if u["update_id"] >= offset]
            else:
                self.pending = self.pending[offset:]
        if not self.pending and timeout > 0:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), timeout)
        return self.pending[:limit]

    def set_webhook(self, config: WebhookConfig, drop_pending: bool) -> None:
        self._sync()
        self.webhook = config
        ids = {u["update_id"] for u in self.pending}
        self.pending = []
        if drop_pending:
            return
        for delivery in self.deliveries:  # what getUpdates did not confirm goes to the webhook
            if delivery.status == "queued" and delivery.update_id in ids:
                self._hand_over(delivery, known=True)

    def delete_webhook(self, drop_pending: bool) -> None:
        self.webhook = None
        if drop_pending:
            self.pending.clear()

    async def drain(self) -> None:
        """Wait for every delivery in progress (tests call this before asserting)."""
        while self._tasks:
            await finished(self._tasks)

    def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()
