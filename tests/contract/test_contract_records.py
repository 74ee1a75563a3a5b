"""Contract: refunds, bot messages with their audit, the inbox, the outbox leases, cursors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from contract_samples import T0, Database, at, session, state

from application.ports import OutboxItem
from application.unit_of_work import Conflict
from domain.bot_messages import BotMessage
from domain.bot_messages import BotMessageChange
from domain.refunds import Refund, RefundInitiator

LEASE = timedelta(minutes=10)


def item(item_id: str, minutes: float = 0, chat_id: int | None = None, **changes: object
         ) -> OutboxItem:
    # Each item to a chat of its own unless told: one chat's items go out one at a time.
    chat = chat_id if chat_id is not None else 1000 + sum(map(ord, item_id))
    base = OutboxItem(id=item_id, kind="message", chat_id=chat,
                      payload={"text": "hi", "parse_mode": None, "buttons": [[{"text": "b"}]]},
                      created_at=at(minutes), available_at=at(minutes))
    for name, value in changes.items():
        setattr(base, name, value)
    return base


async def test_one_refund_per_session(db: Database) -> None:
    refund = Refund("r1", "s1", "u1", "telegram_stars", "ch-1", 100, RefundInitiator.PROVIDER,
                    at(1), reason="dispute", debt=40)
    async with db() as uow:
        await uow.sessions.add(session())
        await uow.refunds.add(refund)
        await uow.commit()
    with pytest.raises(Conflict):
        async with db() as uow:
            await uow.refunds.add(Refund("r2", "s1", "u1", "telegram_stars", "ch-1", 100,
                                         RefundInitiator.ADMIN, at(2)))
            await uow.commit()
    async with db() as uow:
        assert await uow.refunds.for_session("s1") == refund
        assert await uow.refunds.for_session("s2") is None


async def test_bot_messages_and_their_history_newest_first(db: Database) -> None:
    message = BotMessage("bot_welcome", "<b>Hi</b> {first_name}", "HTML", "admin", at(1))
    async with db() as uow:
        assert await uow.bot_messages.get("bot_welcome") is None
        await uow.bot_messages.save(message)
        for n in range(3):
            await uow.bot_messages.record_change(
                BotMessageChange("bot_welcome", f"v{n}", f"v{n + 1}", "admin", at(n)))
        await uow.bot_messages.record_change(BotMessageChange("terms_info", "a", "b", "x", T0))
        await uow.commit()
    async with db() as uow:
        loaded = await uow.bot_messages.get("bot_welcome")
        assert loaded is not None and state(loaded) == state(message)
        history = await uow.bot_messages.history("bot_welcome", 2)
        assert [c.current for c in history] == ["v3", "v2"]
        assert history[0] == BotMessageChange("bot_welcome", "v2", "v3", "admin", at(2))
        loaded.change("Hello {first_name}", None, "root", at(9))
        await uow.bot_messages.save(loaded)
        await uow.commit()
    async with db() as uow:
        again = await uow.bot_messages.get("bot_welcome")
    assert again is not None
    assert (again.template, again.parse_mode, again.updated_by) == ("Hello {first_name}", None,
                                                                     "root")


async def test_the_inbox_records_an_external_id_once(db: Database) -> None:
    async with db() as uow:
        assert not await uow.inbox.seen("telegram", "100")
        assert await uow.inbox.record("telegram", "100", T0)
        assert not await uow.inbox.record("telegram", "100", T0)
        await uow.commit()
    async with db() as uow:
        assert await uow.inbox.seen("telegram", "100")
        assert not await uow.inbox.seen("cryptopay", "100")
        assert not await uow.inbox.record("telegram", "100", at(1))


async def test_outbox_items_round_trip(db: Database) -> None:
    full = item("o1", status="failed", attempts=3, lease_until=at(1), last_error="403",
                sent_at=at(2), dedupe_key="d-1")
    async with db() as uow:
        await uow.outbox.add(full)
        await uow.commit()
    async with db() as uow:
        loaded = await uow.outbox.get("o1")
        assert await uow.outbox.get("o2") is None
    assert loaded is not None and state(loaded) == state(full)


async def test_claim_takes_due_items_in_order_and_leases_them(db: Database) -> None:
    async with db() as uow:
        for it in (item("b", 2), item("a", 1), item("later", 10), item("sent", 0, status="sent"),
                   item("c", 3)):
            await uow.outbox.add(it)
        await uow.commit()
    async with db() as uow:
        claimed = await uow.outbox.claim(at(5), at(5) + LEASE, limit=2)
        await uow.commit()
    assert [i.id for i in claimed] == ["a", "b"]
    assert all(i.lease_until == at(5) + LEASE for i in claimed)
    async with db() as uow:  # leased: not claimed again while the lease runs
        assert [i.id for i in await uow.outbox.claim(at(6), at(6) + LEASE, 10)] == ["c"]
        await uow.commit()
    async with db() as uow:  # the lease has run out: claimable again; sent never is
        again = await uow.outbox.claim(at(30), at(30) + LEASE, 10)
        await uow.commit()
    assert [i.id for i in again] == ["a", "b", "c", "later"]


async def test_claim_by_ids_takes_only_those_even_before_they_are_due(db: Database) -> None:
    async with db() as uow:
        for it in (item("x", 0), item("y", 50), item("z", 0), item("s", 0, status="sent")):
            await uow.outbox.add(it)
        await uow.commit()
    async with db() as uow:
        claimed = await uow.outbox.claim(at(1), at(1) + LEASE, 10, ids=["y", "z", "s"])
        await uow.commit()
    assert sorted(i.id for i in claimed) == ["y", "z"]
    async with db() as uow:
        assert await uow.outbox.claim(at(1), at(1) + LEASE, 10, ids=["y"]) == []


async def test_a_saved_result_ends_the_lease_and_is_counted(db: Database) -> None:
    async with db() as uow:
        await uow.outbox.add(item("o1"))
        await uow.outbox.add(item("o2"))
        await uow.commit()
    async with db() as uow:
        [first, second] = await uow.outbox.claim(at(1), at(1) + LEASE, 10)
        await uow.commit()
    first.status, first.sent_at, first.attempts, first.lease_until = "sent", at(1), 1, None
    second.attempts, second.available_at, second.lease_until = 1, at(2), None
    async with db() as uow:
        await uow.outbox.save(first)
        await uow.outbox.save(second)
        await uow.commit()
    async with db() as uow:
        assert (await uow.outbox.count("sent"), await uow.outbox.count("pending")) == (1, 1)
        assert await uow.outbox.count("failed") == 0
        assert [i.id for i in await uow.outbox.claim(at(3), at(3) + LEASE, 10)] == ["o2"]
        saved = await uow.outbox.get("o1")
    assert saved is not None and state(saved) == state(first)


async def test_cursors_are_set_and_overwritten(db: Database) -> None:
    async with db() as uow:
        assert await uow.cursors.get("reconcile:telegram_stars") is None
        await uow.cursors.set("reconcile:telegram_stars", "100")
        await uow.commit()
    async with db() as uow:
        await uow.cursors.set("reconcile:telegram_stars", "200")
        await uow.commit()
    async with db() as uow:
        assert await uow.cursors.get("reconcile:telegram_stars") == "200"


async def test_a_chat_with_an_item_in_flight_waits_for_it(db: Database) -> None:
    async with db() as uow:
        for it in (item("text", 1, chat_id=7), item("invoice", 1.5, chat_id=7),
                   item("other", 2, chat_id=8)):
            await uow.outbox.add(it)
        await uow.commit()
    async with db() as uow:  # the text goes out first and is in flight...
        assert [i.id for i in await uow.outbox.claim(at(5), at(5) + LEASE, 1)] == ["text"]
        await uow.commit()
    async with db() as uow:  # ...so its invoice waits, and other chats do not
        assert [i.id for i in await uow.outbox.claim(at(6), at(6) + LEASE, 10)] == ["other"]
        assert await uow.outbox.claim(at(6), at(6) + LEASE, 10, ids=["invoice"]) == []
        await uow.commit()
    async with db() as uow:  # the text is delivered: now the invoice may go
        sent = await uow.outbox.get("text")
        assert sent is not None
        sent.status, sent.lease_until = "sent", None
        await uow.outbox.save(sent)
        await uow.commit()
    async with db() as uow:
        assert [i.id for i in await uow.outbox.claim(at(7), at(7) + LEASE, 10)] == ["invoice"]
        await uow.commit()
