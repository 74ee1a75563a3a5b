"""Idempotency under real concurrency: many units of work at once, through the message bus."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sql_bus import PACKAGE, STARS, Race
from sqlalchemy import text
from tests.contract.contract_samples import session as sample_session

from starport.adapters.clock import FakeClock
from starport.adapters.sql import SqlDatabase
from starport.application import commands as c
from starport.application.deliveries import Delivery, DeliveryQuery, DuplicateDelivery
from starport.application.deps import Settings
from starport.application.effects import OutboxStatus
from starport.application.unit_of_work import Conflict
from starport.domain.charges import Charge, ChargeStatus, Decision
from starport.domain.errors import InsufficientCredits
from starport.domain.money import Stars
from starport.domain.sessions import PaymentSession


async def open_session(race: Race, session_id: str, user_id: str = "u1") -> None:
    now = race.clock.now()
    session = PaymentSession.open(session_id=session_id, user_id=user_id, package=PACKAGE,
                                  provider=STARS, now=now, expires_at=now + Settings().session_ttl)
    async with race.db() as uow:
        await uow.sessions.add(session)
        await uow.commit()


def delivery(n: int, update_id: str) -> Delivery:
    return Delivery(id=f"d{n}", source="telegram", update_id=update_id,
                    received_at=FakeClock().now(), body=b"{}")


def paid(session_id: str, charge_id: str) -> c.CompletePayment:
    return c.CompletePayment(provider=STARS, session_id=session_id, charge_id=charge_id,
                             paid=Stars(50), chat_id=42)


async def test_one_payment_delivered_many_times_at_once_is_credited_once(race: Race) -> None:
    # Given an open session
    await open_session(race, "s1")
    # When the same payment arrives from every caller at the same moment
    outcomes = await asyncio.gather(*(race.bus.handle(paid("s1", "charge-1"))
                                      for _ in range(race.width)))
    # Then every call succeeds, and exactly one of them credited
    assert sum(o.credited for o in outcomes) == 1
    async with race.db() as uow:
        assert await uow.ledger.balance("user:u1") == 100
        assert await uow.ledger.balance("sales:telegram_stars") == -100
        assert len(await uow.ledger.entries("user:u1", 100)) == 1
        assert await uow.ledger.total() == 0
        assert await uow.outbox.count(OutboxStatus.PENDING) == 1  # one "payment received"


async def test_concurrent_spends_never_overdraw(race: Race) -> None:
    # Given a balance of 100 credits
    await open_session(race, "s1")
    await race.bus.handle(paid("s1", "charge-1"))
    # When more spends of 10 than it can pay for arrive at once
    spends = max(race.width * 4 // 5, 15)
    results = await asyncio.gather(
        *(race.bus.handle(c.SpendCredits("u1", 10, f"k{i}")) for i in range(spends)),
        return_exceptions=True)
    # Then exactly ten succeed, the others are refused as insufficient, never below zero
    ok = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(ok) == 10 and min(r.balance for r in ok) == 0
    assert all(isinstance(r, InsufficientCredits) for r in refused)
    async with race.db() as uow:
        assert await uow.ledger.balance("user:u1") == 0
        assert await uow.ledger.balance("usage") == 100
        assert len(await uow.ledger.entries("user:u1", 100)) == 11
        assert await uow.ledger.total() == 0


async def test_one_spend_sent_many_times_at_once_is_applied_once(race: Race) -> None:
    await open_session(race, "s1")
    await race.bus.handle(paid("s1", "charge-1"))
    results = await asyncio.gather(*(race.bus.handle(c.SpendCredits("u1", 30, "same-key"))
                                     for _ in range(race.width)))
    assert sum(not r.replayed for r in results) == 1
    assert {r.balance for r in results} == {70}
    async with race.db() as uow:
        assert await uow.ledger.balance("user:u1") == 70


async def test_payments_of_many_users_at_once_all_land(race: Race) -> None:
    users = range(race.width)
    for n in users:
        await open_session(race, f"s{n}", user_id=f"u{n}")
    outcomes = await asyncio.gather(*(race.bus.handle(paid(f"s{n}", f"ch{n}")) for n in users))
    assert all(o.credited for o in outcomes)
    async with race.db() as uow:
        assert await uow.ledger.balance("sales:telegram_stars") == -100 * race.width
        assert await uow.ledger.total() == 0


async def test_a_delivery_is_recorded_by_exactly_one_of_many(race: Race) -> None:
    async def record(n: int) -> bool:
        async with race.db() as uow:
            fresh = await uow.deliveries.add(delivery(n, "update-1"))
            await uow.commit()
        return fresh

    assert sum(await asyncio.gather(*(record(n) for n in range(race.width)))) == 1


async def test_one_delivery_of_a_payment_many_times_at_once_credits_once(race: Race) -> None:
    # Given an open session
    await open_session(race, "s1")
    # When Telegram's same update reaches every caller at once
    results = await asyncio.gather(
        *(race.bus.handle(replace(paid("s1", "charge-1"), delivery=delivery(n, "77")))
          for n in range(race.width)), return_exceptions=True)
    # Then one credited it, and every other one was a duplicate that changed nothing
    credited = [r for r in results if not isinstance(r, BaseException) and r.credited]
    duplicates = [r for r in results if isinstance(r, DuplicateDelivery)]
    assert (len(credited), len(duplicates)) == (1, race.width - 1)
    async with race.db() as uow:
        assert await uow.ledger.balance("user:u1") == 100
        assert await uow.outbox.count(OutboxStatus.PENDING) == 1
        [stored] = await uow.deliveries.find(DeliveryQuery(update_id="77"))
    assert stored.outcome == "credited"


async def test_one_charge_cannot_pay_two_sessions(race: Race) -> None:
    await open_session(race, "a")
    await open_session(race, "b")
    for session_id in ("a", "b"):
        async with race.db() as uow:
            s = await uow.sessions.get(session_id)
            assert s is not None and s.mark_paid(charge_id="dup", paid=Stars(50),
                                                 now=race.clock.now())
            if session_id == "a":
                await uow.sessions.save(s)
                await uow.commit()
            else:
                with pytest.raises(Conflict):  # at the save, or where the write is sent
                    await uow.sessions.save(s)
                    await uow.commit()


async def _until_a_statement_waits_for_a_lock(db: SqlDatabase) -> None:
    async with asyncio.timeout(20):
        while True:
            async with db.connection(db.read_engine) as conn:
                found = (await conn.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"))).scalar()
            if found:
                return
            await asyncio.sleep(0.05)


def _charge(session_id: str, charge_id: str, status: ChargeStatus = ChargeStatus.CREDITED
            ) -> Charge:
    return Charge(provider=STARS, charge_id=charge_id, session_id=session_id, paid=Stars(50),
                  reported_at=datetime(2026, 12, 3, tzinfo=UTC), payer_telegram_id=7,
                  status=status)


@pytest.mark.postgres
async def test_a_charge_stored_by_the_sessions_holder_is_seen_after_waiting_for_it(
        db: SqlDatabase) -> None:
    """`with_charge` reads the charge in the statement that waits for the session's lock, as
    of before the wait: when the holder changed the session, the charge is read again, and
    what the holder stored before it let go is there."""
    async with db() as uow:
        await uow.sessions.add(sample_session("race-wc"))
        await uow.commit()

    async def second() -> object:
        async with db() as uow:
            return await uow.sessions.with_charge("race-wc", STARS, "race-wc-charge")

    async with db() as first:
        held = await first.sessions.get("race-wc")  # the lock is held
        assert held is not None
        held.telegram_user_id = 7
        await first.sessions.save(held)
        await first.charges.add(_charge("race-wc", "race-wc-charge"))
        waiting = asyncio.create_task(second())
        await _until_a_statement_waits_for_a_lock(db)
        await first.commit()
    found_session, found_charge = await waiting  # type: ignore[misc]
    assert found_session is not None and found_session.telegram_user_id == 7  # the newest
    assert found_charge is not None and found_charge.charge_id == "race-wc-charge"


@pytest.mark.postgres
@pytest.mark.parametrize("race", ["postgres"], indirect=True)
async def test_an_extra_charge_stored_while_its_replay_waited_is_returned_once(
        race: Race) -> None:
    """The holder of a paid session's lock stores an extra charge without changing the session
    (as returning it does) while the same charge, delivered again, waits for the lock: that
    statement read no charge, so it judges the charge an extra one too, its insert of the
    charge is a `Conflict`, and the retry finds the charge: a replay, nothing queued twice."""
    await open_session(race, "s1")
    assert (await race.bus.handle(paid("s1", "charge-1"))).credited
    async with race.db() as uow:
        assert await uow.outbox.count(OutboxStatus.PENDING) == 1  # its confirmation
    async with race.db() as first:
        assert await first.sessions.get("s1") is not None  # the lock is held
        await first.charges.add(_charge("s1", "charge-2", ChargeStatus.RETURNED))
        waiting = asyncio.create_task(race.bus.handle(paid("s1", "charge-2")))
        await _until_a_statement_waits_for_a_lock(race.db)
        await first.commit()
    outcome = await waiting
    assert outcome.decision is Decision.REPLAY and not outcome.credited
    async with race.db() as uow:
        stored = await uow.charges.get(STARS, "charge-2")
        assert stored is not None and stored.status is ChargeStatus.RETURNED
        assert await uow.outbox.count(OutboxStatus.PENDING) == 1  # no refund, no message
        assert await uow.ledger.balance("user:u1") == 100
