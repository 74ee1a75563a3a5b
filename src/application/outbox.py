"""Delivering the outbox: claim with a lease, call Telegram, record the result right after."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import replace
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
CONCURRENCY = 8  # chats served at once; the adapter's throttle keeps Telegram's limits


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 5 * 2 ** max(0, attempts - 1)))


async def dispatch_outbox(deps: Deps, cmd: c.DispatchOutbox) -> JobCounts:
    """Deliver due items one at a time: each is leased just before its call, so a slow batch
    never lets another dispatcher take (and resend) items still waiting here."""
    counts = JobCounts()
    if cmd.item_ids is not None:
        await _dispatch_named(deps, list(cmd.item_ids), counts)
        return counts
    for _ in range(cmd.batch):
        item = await _claim_next(deps, None)
        if item is None:
            break
        counts.add("claimed")
        await _deliver_and_record(deps, item, counts)
    return counts


async def _dispatch_named(deps: Deps, ids: list[str], counts: JobCounts) -> None:
    """Items just queued (after a commit): chats are served side by side, each chat's items in
    the order they were queued (the text before its invoice)."""
    if len(ids) == 1:  # one chat, nothing to order: the claim reads the item itself
        item = await _claim_next(deps, list(ids))
        if item is not None:  # else leased elsewhere, or done already
            counts.add("claimed")
            await _deliver_and_record(deps, item, counts)
        return
    async with deps.uow(read_only=True) as uow:
        found = [await uow.outbox.get(item_id) for item_id in ids]
    by_chat: dict[int, list[str]] = defaultdict(list)
    for item in found:
        if item is not None:
            by_chat[item.chat_id].append(item.id)
    slots = asyncio.Semaphore(CONCURRENCY)

    async def serve(chat_ids: list[str]) -> None:
        async with slots:
            for item_id in chat_ids:
                item = await _claim_next(deps, [item_id])
                if item is not None:  # else leased elsewhere, or done already
                    counts.add("claimed")
                    await _deliver_and_record(deps, item, counts)

    await asyncio.gather(*(serve(chat_ids) for chat_ids in by_chat.values()))


async def _claim_next(deps: Deps, wanted: list[str] | None) -> OutboxItem | None:
    now = deps.clock.now()
    ids = [wanted.pop(0)] if wanted else None
    if wanted is not None and ids is None:
        return None
    async with deps.uow() as uow:
        items = await uow.outbox.claim(now, now + deps.settings.outbox_lease, 1, ids)
        await uow.commit()
    return items[0] if items else None


async def _deliver_and_record(deps: Deps, item: OutboxItem, counts: JobCounts) -> None:
    try:
        await deliver(deps, item)
    except RecipientUnreachable as exc:
        item.status, item.last_error = "failed", f"recipient unreachable: {exc}"
        counts.add("failed")
    except Exception as exc:  # any failure is retried later, never lost
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
    async with deps.uow() as uow:  # recorded right after the call: the narrow resend window
        await uow.outbox.save(item)
        await uow.commit()


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
    elif item.kind == "refund_charge":  # an extra charge on a paid session goes back
        async with deps.uow(read_only=True) as uow:
            session = await uow.sessions.get(str(p["session_id"]))
        if session is None:
            raise ValueError(f"refund of an unknown session {p['session_id']}")
        charge = replace(session, charge_id=str(p["charge_id"]),
                         telegram_user_id=int(p["telegram_user_id"]), events=[])
        await deps.provider(Provider.TELEGRAM_STARS).refund(charge)
    elif item.kind == "cancel_subscription":
        provider = deps.provider(Provider.TELEGRAM_STARS)
        await provider.cancel_subscription(int(p["telegram_user_id"]), str(p["charge_id"]))
    else:
        raise ValueError(f"unknown outbox item kind {item.kind!r}")
