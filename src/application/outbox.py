"""Delivering the outbox: claim with a lease, call Telegram, record the result right after."""

from __future__ import annotations

import logging
from datetime import timedelta

from application import commands as c
from application.deps import Deps
from application.ports import (
    Button,
    OutboxItem,
    OutgoingMessage,
    RecipientUnreachable,
    StarsInvoiceRequest,
)
from application.views import JobCounts
from domain.providers import Provider

log = logging.getLogger(__name__)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 5 * 2 ** max(0, attempts - 1)))


async def dispatch_outbox(deps: Deps, cmd: c.DispatchOutbox) -> JobCounts:
    counts = JobCounts()
    now = deps.clock.now()
    async with deps.uow() as uow:
        items = list(await uow.outbox.claim(now, now + deps.settings.outbox_lease, cmd.batch,
                                            cmd.item_ids))
        await uow.commit()
    if cmd.item_ids is not None:  # in the order they were queued: text first, then the invoice
        order = {item_id: n for n, item_id in enumerate(cmd.item_ids)}
        items.sort(key=lambda item: order.get(item.id, len(order)))
    for item in items:
        counts.add("claimed")
        try:
            await deliver(deps, item)
        except RecipientUnreachable as exc:
            item.status, item.last_error = "failed", f"recipient unreachable: {exc}"
            counts.add("failed")
        except Exception as exc:
            item.attempts += 1
            item.last_error = f"{type(exc).__name__}: {exc}"[:500]
            if item.attempts >= deps.settings.outbox_max_attempts:
                item.status = "failed"
                counts.add("failed")
            else:
                item.available_at = deps.clock.now() + backoff(item.attempts)
                counts.add("retried")
            log.warning("outbox item %s not delivered: %s", item.id, item.last_error)
        else:
            item.status, item.sent_at = "sent", deps.clock.now()
            item.attempts += 1
            counts.add("sent")
        item.lease_until = None
        async with deps.uow() as uow:
            await uow.outbox.save(item)
            await uow.commit()
    return counts


async def deliver(deps: Deps, item: OutboxItem) -> None:
    p = item.payload
    if item.kind == "message":
        buttons = tuple(tuple(Button(**b) for b in row) for row in p.get("buttons", []))
        await deps.messenger.send_message(
            OutgoingMessage(item.chat_id, p["text"], p.get("parse_mode"), buttons))
    elif item.kind == "invoice":
        await deps.messenger.send_invoice(StarsInvoiceRequest(**p))
    elif item.kind == "revoke_invite":
        channel, _ = deps.require_channel()
        await channel.revoke_invite(item.chat_id, p["link"])
    elif item.kind == "remove_member":
        channel, _ = deps.require_channel()
        await channel.remove_member(item.chat_id, int(p["telegram_user_id"]))
    elif item.kind == "cancel_subscription":
        provider = deps.provider(Provider.TELEGRAM_STARS)
        await provider.cancel_subscription(int(p["telegram_user_id"]), str(p["charge_id"]))
    else:
        raise ValueError(f"unknown outbox item kind {item.kind!r}")
