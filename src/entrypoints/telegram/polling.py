"""`starport poll`: long polling for a laptop with no public URL. Updates go through exactly
the webhook's handling; the offset is stored so a restart neither skips nor repeats one."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import structlog

from application.webhook_records import RawWebhook
from entrypoints.http.raw_inbox import finish, note_telegram_ids, pending
from entrypoints.runtime import Runtime
from entrypoints.telegram.fields import MalformedUpdate
from entrypoints.telegram.updates import handle_update

log = structlog.get_logger("starport.polling")
OFFSET = "telegram:poll-offset"
ALLOWED_UPDATES = ["message", "callback_query", "pre_checkout_query", "chat_member",
                   "chat_join_request", "my_chat_member"]


class WebhookIsSet(RuntimeError):
    pass


async def prepare(runtime: Runtime, delete_webhook: bool) -> None:
    """Telegram refuses getUpdates while a webhook is set; removing it is the user's call."""
    info = await runtime.telegram.get_webhook_info()
    if info.get("url"):
        if not delete_webhook:
            raise WebhookIsSet(f"a webhook is set ({info['url']}): run with --delete-webhook "
                               "to remove it, or use the webhook instead of polling")
        await runtime.telegram.delete_webhook()
        log.info("polling.webhook_deleted")


async def poll(runtime: Runtime, stop: asyncio.Event | None = None, timeout: int = 25,
               max_batches: int | None = None) -> int:
    """Handle updates until `stop` is set (or `max_batches` answers); returns how many."""
    stop = stop or asyncio.Event()
    handled = batches = 0
    offset = saved = await _load_offset(runtime)
    failures = 0
    while not stop.is_set() and (max_batches is None or batches < max_batches):
        try:
            updates: list[dict[str, Any]] = await runtime.telegram.get_updates(
                offset=offset, timeout=timeout, allowed_updates=ALLOWED_UPDATES)
            batches += 1
            for update in updates:
                outcome = await _handle(runtime, update)
                handled += 1
                offset = int(update["update_id"]) + 1
                await _save_offset(runtime, offset)  # after the update's effects committed
                saved = offset
                log.info("polling.update", update_id=update["update_id"], outcome=outcome)
            failures = 0
        except Exception:  # storage or network down: the same updates come again
            failures += 1
            log.exception("polling.failed", attempt=failures)
            await asyncio.sleep(min(30.0, 0.5 * 2 ** failures))
            offset = saved  # what is known to be stored; no database needed to go on
    return handled


async def _handle(runtime: Runtime, update: dict[str, Any]) -> str:
    """As the webhook does, raw inbox included (the update as getUpdates gave it)."""
    record = RawWebhook(id=runtime.deps.ids.new_id(), source="telegram",
                        received_at=runtime.deps.clock.now(),
                        body=json.dumps(update, ensure_ascii=False).encode(),
                        headers={"x-starport-via": "getUpdates"})
    note_telegram_ids(record, update)
    failure: Exception | None = None
    async with pending(record):
        try:
            outcome = await handle_update(runtime, update)  # the inbox skips a repeat
        except MalformedUpdate as exc:  # retrying cannot help: skip it, loudly
            log.error("polling.malformed_update", error=str(exc))
            outcome = "malformed"
        except Exception as exc:  # the loop gets the same updates again
            failure, outcome = exc, "error"
    await finish(runtime, record, outcome)
    if failure is not None:
        raise failure
    return outcome


async def _load_offset(runtime: Runtime) -> int | None:
    async with runtime.deps.uow(read_only=True) as uow:
        value = await uow.cursors.get(OFFSET)
    return int(value) if value else None


async def _save_offset(runtime: Runtime, offset: int) -> None:
    async with runtime.deps.uow() as uow:
        await uow.cursors.set(OFFSET, str(offset))
        await uow.commit()
