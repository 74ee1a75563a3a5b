"""`starport poll`: long polling for a laptop with no public URL. Updates take the webhook's
path (parsed, routed, stored with their effect); what the webhook would answer in its response
is called instead. The offset is stored after each batch, and a repeat is a duplicate anyway."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import structlog

from starport.adapters.telegram.updates import MalformedUpdate, parse_update
from starport.entrypoints.runtime import Runtime
from starport.entrypoints.telegram.router import delivery_of, handle_update

log = structlog.get_logger("starport.polling")
OFFSET = "telegram:poll-offset"
ALLOWED_UPDATES = ["message", "callback_query", "pre_checkout_query", "chat_member",
                   "chat_join_request", "my_chat_member"]
VIA = {"x-starport-via": "getUpdates"}
REPLY_TIMEOUT = 4.0  # seconds for an answer Telegram waits on (a pre-checkout: ten in all)


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
                log.info("polling.update", update_id=update["update_id"], outcome=outcome)
            if offset is not None and offset != saved:
                await _save_offset(runtime, offset)  # after the batch's effects committed
                saved = offset
            failures = 0
        except Exception:  # storage or network down: the same updates come again
            failures += 1
            log.exception("polling.failed", attempt=failures)
            await asyncio.sleep(min(30.0, 0.5 * 2 ** failures))
            offset = saved  # what is known to be stored; no database needed to go on
    return handled


async def _handle(runtime: Runtime, raw_update: dict[str, Any]) -> str:
    body = json.dumps(raw_update, ensure_ascii=False).encode()
    try:
        update = parse_update(body)
    except MalformedUpdate as exc:  # retrying cannot help: skip it, loudly
        log.error("polling.malformed_update", error=str(exc))
        return "malformed"
    handled = await handle_update(runtime, update, delivery_of(runtime, update, body, VIA))
    if handled.reply is not None:  # what a webhook would have answered in its response
        try:  # bounded: an answer Telegram gets too late is worth nothing
            await asyncio.wait_for(
                runtime.telegram.call(handled.reply.method, **handled.reply.params),
                REPLY_TIMEOUT)
        except Exception as exc:
            log.error("polling.reply_failed", method=handled.reply.method,
                      error=f"{type(exc).__name__}: {exc}")
    return handled.outcome


async def _load_offset(runtime: Runtime) -> int | None:
    async with runtime.deps.uow(read_only=True) as uow:
        value = await uow.cursors.get(OFFSET)
    return int(value) if value else None


async def _save_offset(runtime: Runtime, offset: int) -> None:
    async with runtime.deps.uow() as uow:
        await uow.cursors.set(OFFSET, str(offset))
        await uow.commit()
