"""Contract: refunds, bot messages with their audit, charges, the outbox leases, cursors."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from contract_samples import T0, Database, at, session, state

from starport.application.effects import (
    Button,
    CancelSubscription,
    InvitePatron,
    OutboxItem,
    OutboxStatus,
    PublishEvent,
    RefundCharge,
    RemoveMember,
    RevokeInvite,
    SendInvoice,
    SendText,
)
from starport.application.unit_of_work import Conflict
from starport.domain.bot_messages import BotMessage, BotMessageChange
from starport.domain.charges import Charge, ChargeStatus
from starport.domain.money import CryptoAmount, Stars
from starport.domain.providers import Provider
from starport.domain.refunds import Refund, RefundInitiator

LEASE = timedelta(minutes=10)


def item(item_id: str, minutes: float = 0, chat_id: int | None = None, **changes: object
         ) -> OutboxItem:
    # Each item to a chat of its own unless told: one chat's items go out one at a time.
    chat = chat_id if chat_id is not None else 1000 + sum(map(ord, item_id))
    base = OutboxItem(id=item_id, chat_id=chat,
                      effect=SendText("hi", "HTML", ((Button("b", callback_data="x"),),)),
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
    message = BotMessage("bot_welcome", "<b>Hi</b> {first_name}", "HTML", "admin", at(1),
                         language="en")
    async with db() as uow:
        assert await uow.bot_messages.get("bot_welcome", "en") is None
        await uow.bot_messages.save(message)
        for n in range(3):
            await uow.bot_messages.record_change(
                BotMessageChange("bot_welcome", f"v{n}", f"v{n + 1}", "admin", at(n),
                                 language="en"))
        await uow.bot_messages.record_change(BotMessageChange("terms_info", "a", "b", "x", T0,
                                                              language="en"))
        await uow.commit()
    async with db() as uow:
        loaded = await uow.bot_messages.get("bot_welcome", "en")
        assert loaded is not None and state(loaded) == state(message)
        history = await uow.bot_messages.history("bot_welcome", 2)
        assert [c.current for c in history] == ["v3", "v2"]
        assert history[0] == BotMessageChange("bot_welcome", "v2", "v3", "admin", at(2),
                                              language="en")
        loaded.change("Hello {first_name}", None, "root", at(9))
        await uow.bot_messages.save(loaded)
        await uow.commit()
    async with db() as uow:
        again = await uow.bot_messages.get("bot_welcome", "en")
    assert again is not None
    assert (again.template, again.parse_mode, again.updated_by) == ("Hello {first_name}", None,
                                                                     "root")


async def test_a_message_has_a_text_per_language_read_at_once(db: Database) -> None:
    english = BotMessage("buy_menu", "Choose:", None, "ann", at(1), language="en")
    russian = BotMessage("buy_menu", "Выберите пакет:", None, "bob", at(2), language="ru")
    brazilian = BotMessage("buy_menu", "Escolha:", "HTML", "cid", at(3), language="pt-br")
    async with db() as uow:
        for message in (english, russian, brazilian):
            await uow.bot_messages.save(message)
        await uow.bot_messages.save(BotMessage("terms_info", "T", language="ru"))
        await uow.commit()
    async with db() as uow:
        texts = await uow.bot_messages.texts("buy_menu")
        assert {t.language: state(t) for t in texts} == {
            m.language: state(m) for m in (english, russian, brazilian)}
        russian_now = await uow.bot_messages.get("buy_menu", "ru")
        assert russian_now is not None and russian_now.template == "Выберите пакет:"
        assert await uow.bot_messages.get("buy_menu", "de") is None
        assert await uow.bot_messages.texts("payment_failed") == []
        # One language's text changes and another's goes; the rest stay as they were.
        russian_now.change("Пакеты:", None, "dan", at(4))
        await uow.bot_messages.save(russian_now)
        brazilian_now = await uow.bot_messages.get("buy_menu", "pt-br")
        assert brazilian_now is not None
        await uow.bot_messages.remove(brazilian_now)
        await uow.commit()
    async with db() as uow:
        assert {(t.language, t.template, t.updated_by)
                for t in await uow.bot_messages.texts("buy_menu")} == {
            ("en", "Choose:", "ann"), ("ru", "Пакеты:", "dan")}
        assert await uow.bot_messages.get("buy_menu", "pt-br") is None
        assert [t.language for t in await uow.bot_messages.texts("terms_info")] == ["ru"]


async def test_a_removal_rolled_back_leaves_the_text(db: Database) -> None:
    async with db() as uow:
        await uow.bot_messages.save(BotMessage("buy_menu", "Выбор:", language="ru"))
        await uow.commit()
    async with db() as uow:
        found = await uow.bot_messages.get("buy_menu", "ru")
        assert found is not None
        await uow.bot_messages.remove(found)
        await uow.rollback()
    async with db() as uow:
        kept = await uow.bot_messages.get("buy_menu", "ru")
    assert kept is not None and kept.template == "Выбор:"


async def test_the_history_names_each_language_and_filters_by_one(db: Database) -> None:
    async with db() as uow:
        for n, tag in enumerate(("en", "ru", "en", "pt-br")):
            await uow.bot_messages.record_change(BotMessageChange(
                "buy_menu", f"v{n}", f"v{n + 1}", f"admin{n}", at(n), language=tag))
        await uow.commit()
    async with db() as uow:
        every = await uow.bot_messages.history("buy_menu", 10)
        english = await uow.bot_messages.history("buy_menu", 10, "en")
        german = await uow.bot_messages.history("buy_menu", 10, "de")
    assert [(c.language, c.changed_by) for c in every] == [
        ("pt-br", "admin3"), ("en", "admin2"), ("ru", "admin1"), ("en", "admin0")]
    assert [c.current for c in english] == ["v3", "v1"]
    assert german == []


async def test_a_charge_is_stored_once_per_provider_and_id(db: Database) -> None:
    charge = Charge(Provider.CRYPTOPAY, "1000", "s1", CryptoAmount(Decimal("1.50"), "TON"),
                    at(1), payer_telegram_id=7, subscription_until=at(2),
                    status=ChargeStatus.REJECTED, reason="underpaid",
                    provider_charge_id="ch_3Pq")
    async with db() as uow:
        await uow.charges.add(charge)
        await uow.charges.add(Charge(Provider.TELEGRAM_STARS, "1000", None, Stars(5), at(1),
                                     status=ChargeStatus.UNMATCHED))
        await uow.commit()
    with pytest.raises(Conflict):
        async with db() as uow:
            await uow.charges.add(Charge(Provider.CRYPTOPAY, "1000", "s2", Stars(1), at(3),
                                         status=ChargeStatus.CREDITED))
            await uow.commit()
    async with db() as uow:
        loaded = await uow.charges.get(Provider.CRYPTOPAY, "1000")
        assert loaded is not None and state(loaded) == state(charge)
        assert await uow.charges.get(Provider.CRYPTOPAY, "1001") is None
        assert loaded.refund()
        await uow.charges.save(loaded)
        await uow.commit()
    async with db() as uow:
        again = await uow.charges.get(Provider.CRYPTOPAY, "1000")
        other = await uow.charges.get(Provider.TELEGRAM_STARS, "1000")
    assert again is not None and again.status is ChargeStatus.REFUNDED_BEFORE_CREDIT
    assert other is not None and other.session_id is None


EFFECTS = [SendText("hi", None, ((Button("u", url="https://t.me/x"), Button("c")),)),
           SendInvoice(Provider.TELEGRAM_STARS, "Starter", "100 credits", "s1", "XTR", 50),
           SendInvoice(Provider.TELEGRAM_PAYMENTS, "Starter", "100 credits", "s1", "USD", 499),
           RevokeInvite("https://t.me/+x"),
           RemoveMember(7), RefundCharge(Provider.TELEGRAM_STARS, "stx1", 7),
           CancelSubscription(Provider.TELEGRAM_STARS, "stx2", 7), InvitePatron(7, "Ann"),
           PublishEvent("payment.succeeded", "2026-01-01T12:00:00Z",
                        {"userId": "ann", "credits": 100, "price": {"amount": "1.5",
                                                                    "currency": "TON"},
                         "telegramUserId": None, "renewal": False})]


@pytest.mark.parametrize("effect", EFFECTS,
                         ids=lambda e: f"{type(e).__name__}-{getattr(e, 'currency', '')}")
async def test_outbox_items_round_trip_with_every_effect(db: Database, effect: object) -> None:
    full = item("o1", status=OutboxStatus.FAILED, attempts=3, lease_until=at(1),
                last_error="403", sent_at=at(2), dedupe_key="d-1", effect=effect)
    async with db() as uow:
        await uow.outbox.add(full)
        await uow.commit()
    async with db() as uow:
        loaded = await uow.outbox.get("o1")
        assert await uow.outbox.get("o2") is None
    assert loaded is not None and state(loaded) == state(full)


async def test_claim_takes_the_next_due_item_and_leases_it(db: Database) -> None:
    async with db() as uow:
        for it in (item("b", 2), item("a", 1), item("later", 10),
                   item("sent", 0, status=OutboxStatus.SENT), item("c", 3)):
            await uow.outbox.add(it)
        await uow.commit()
    claimed = []
    for _ in range(4):
        async with db() as uow:
            claimed.append(await uow.outbox.claim(at(5), at(5) + LEASE))
            await uow.commit()
    assert [i.id if i else None for i in claimed] == ["a", "b", "c", None]
    assert all(i.lease_until == at(5) + LEASE for i in claimed if i)
    async with db() as uow:  # the leases have run out: claimable again; sent never is
        again = await uow.outbox.claim(at(30), at(30) + LEASE)
        await uow.commit()
    assert again is not None and again.id == "a"


@pytest.mark.parametrize("together", [False, True], ids=["one by one", "together"])
async def test_a_recorded_result_ends_the_lease_and_is_counted(db: Database,
                                                               together: bool) -> None:
    async with db() as uow:
        await uow.outbox.add(item("o1"))
        await uow.outbox.add(item("o2"))
        await uow.commit()
    async with db() as uow:
        first = await uow.outbox.claim(at(1), at(1) + LEASE)
        second = await uow.outbox.claim(at(1), at(1) + LEASE)
        await uow.commit()
    assert first is not None and second is not None
    first.status, first.sent_at, first.attempts, first.lease_until = (
        OutboxStatus.SENT, at(1), 1, None)
    second.attempts, second.available_at, second.lease_until = 1, at(2), None
    second.last_error = "TimeoutError"
    async with db() as uow:
        if together:  # a recorder's batch (on PostgreSQL one UPDATE of both)
            await uow.outbox.record(first, second)
        else:
            await uow.outbox.record(first)
            await uow.outbox.record(second)
        await uow.commit()
    async with db() as uow:
        assert await uow.outbox.count(OutboxStatus.SENT) == 1
        assert await uow.outbox.count(OutboxStatus.PENDING) == 1
        assert await uow.outbox.count(OutboxStatus.FAILED) == 0
        assert await uow.outbox.claim(at(1.5), at(1.5) + LEASE) is None  # not due yet
        again = await uow.outbox.claim(at(3), at(3) + LEASE)
        saved = await uow.outbox.get("o1")
    assert again is not None and again.id == "o2" and again.last_error == "TimeoutError"
    assert (again.attempts, again.available_at) == (1, at(2))
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
        text = await uow.outbox.claim(at(5), at(5) + LEASE)
        await uow.commit()
    assert text is not None and text.id == "text"
    async with db() as uow:  # ...so its invoice waits, and other chats do not
        other = await uow.outbox.claim(at(6), at(6) + LEASE)
        assert other is not None and other.id == "other"
        assert await uow.outbox.claim(at(6), at(6) + LEASE) is None
        await uow.commit()
    text.status, text.lease_until = OutboxStatus.SENT, None
    async with db() as uow:  # the text is delivered: now the invoice may go
        await uow.outbox.record(text)
        await uow.commit()
    async with db() as uow:
        invoice = await uow.outbox.claim(at(7), at(7) + LEASE)
        await uow.commit()
    assert invoice is not None and invoice.id == "invoice"


async def test_a_claim_says_whose_lease_it_took_over(db: Database) -> None:
    async with db() as uow:
        await uow.outbox.add(item("fresh", 1, chat_id=7))
        await uow.outbox.add(item("held", 1, chat_id=8, lease_until=at(3)))
        await uow.commit()
    async with db() as uow:
        fresh = await uow.outbox.claim(at(5), at(5) + LEASE)
        held = await uow.outbox.claim(at(5), at(5) + LEASE)
        await uow.commit()
    assert fresh is not None and (fresh.id, fresh.previous_lease) == ("fresh", None)
    assert held is not None and (held.id, held.previous_lease) == ("held", at(3))
    assert held.lease_until == at(5) + LEASE


async def test_renew_extends_only_leases_still_running(db: Database) -> None:
    async with db() as uow:
        await uow.outbox.add(item("running", 0, chat_id=1, lease_until=at(2)))
        await uow.outbox.add(item("lapsed", 0, chat_id=2, lease_until=at(0.5)))
        await uow.outbox.add(item("released", 0, chat_id=3))
        await uow.outbox.add(item("sent", 0, chat_id=4, lease_until=at(2),
                                  status=OutboxStatus.SENT))
        await uow.commit()
    async with db() as uow:
        renewed = await uow.outbox.renew(["running", "lapsed", "released", "sent", "gone"],
                                         at(1), at(4))
        await uow.commit()
    assert renewed == 1
    async with db() as uow:
        leases = {i: (await uow.outbox.get(i)).lease_until  # type: ignore[union-attr]
                  for i in ("running", "lapsed", "released", "sent")}
    assert leases == {"running": at(4), "lapsed": at(0.5), "released": None, "sent": at(2)}


def event(item_id: str, minutes: float, lane: int = -(2**62) - 5, **changes: object
          ) -> OutboxItem:
    return item(item_id, minutes, chat_id=lane,
                effect=PublishEvent("credits.spent", "2026-01-01T12:00:00Z", {"userId": "u"}),
                **changes)


async def test_a_lanes_events_wait_for_an_earlier_one_even_between_its_retries(db: Database
                                                                               ) -> None:
    first = event("e1", 1, available_at=at(20), attempts=1)  # failed once: retried at 20
    async with db() as uow:
        for it in (first, event("e2", 2), event("e3", 3), event("other", 4, lane=-(2**62) - 9),
                   item("text", 5, chat_id=-(2**62) - 5)):
            await uow.outbox.add(it)
        assert await uow.outbox.pending_in(-(2**62) - 5)
        assert not await uow.outbox.pending_in(-(2**62) - 6)
        await uow.commit()
    async with db() as uow:  # e1 is not due, and e2, e3 are behind it; other lanes are free
        found = [await uow.outbox.claim(at(10), at(10) + LEASE) for _ in range(3)]
        await uow.commit()
    assert [i.id if i else None for i in found] == ["other", "text", None]
    for done in found[:2]:
        assert done is not None
        done.status, done.lease_until = OutboxStatus.SENT, None
    async with db() as uow:
        await uow.outbox.record(*[i for i in found if i])
        await uow.commit()
    async with db() as uow:  # e1's retry is due: it goes, and only it
        retried = await uow.outbox.claim(at(20), at(20) + LEASE)
        assert await uow.outbox.claim(at(20), at(20) + LEASE) is None
        await uow.commit()
    assert retried is not None and retried.id == "e1"
    retried.status, retried.lease_until = OutboxStatus.SENT, None
    async with db() as uow:
        await uow.outbox.record(retried)
        await uow.commit()
    async with db() as uow:
        nxt = await uow.outbox.claim(at(31), at(31) + LEASE)
        await uow.commit()
    assert nxt is not None and nxt.id == "e2"


async def test_events_are_listed_newest_first_by_status_lane_and_page(db: Database) -> None:
    async with db() as uow:
        for it in (event("e1", 1, status=OutboxStatus.SENT), event("e2", 2),
                   event("e3", 3, lane=-(2**62) - 9, status=OutboxStatus.FAILED),
                   item("text", 4)):
            await uow.outbox.add(it)
        await uow.commit()
    async with db() as uow:
        every = await uow.outbox.events()
        failed = await uow.outbox.events(status=OutboxStatus.FAILED)
        lane = await uow.outbox.events(chat_id=-(2**62) - 5)
        page = await uow.outbox.events(before=(at(3), "e3"), limit=1)
        tie = await uow.outbox.events(before=(at(2), "e2"))
    assert [e.id for e in every] == ["e3", "e2", "e1"]  # never a bot message
    assert [e.id for e in failed] == ["e3"]
    assert [e.id for e in lane] == ["e2", "e1"]
    assert [e.id for e in page] == ["e2"]
    assert [e.id for e in tie] == ["e1"]
