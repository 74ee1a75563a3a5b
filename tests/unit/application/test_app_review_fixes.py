"""Money-safety rules found in review: refunds recorded once made, refunds before credit,
refunded subscriptions stop, spend keys cannot collide across users."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from starport.application import commands as c
from starport.application.payments import get_session
from starport.application.unit_of_work import Conflict
from starport.domain.money import Stars
from starport.domain.providers import Provider
from starport.domain.sessions import SessionStatus

STARS = Provider.TELEGRAM_STARS


async def test_an_admin_refund_whose_record_conflicts_is_recorded_without_a_second_refund(
        world, monkeypatch) -> None:
    # Given a paid session, and a record step that hits one write conflict
    view = await world.buy()
    from starport.application import refunds

    original, calls = refunds._refund_session, []

    async def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise Conflict("deadlock")
        return await original(*args, **kwargs)

    monkeypatch.setattr(refunds, "_refund_session", flaky)
    provider_calls: list[str] = []
    real_refund = world.stars.refund

    async def counted(charge_id: str, payer_telegram_id: int | None) -> None:
        provider_calls.append(charge_id)
        await real_refund(charge_id, payer_telegram_id)

    monkeypatch.setattr(world.stars, "refund", counted)
    # When the admin refunds
    result = await world.handle(c.RefundPayment(view.id, requested_by="admin"))
    # Then the money went back once and the refund is recorded
    assert not result.already_refunded
    assert len(calls) == 2  # the record was retried
    assert provider_calls == [world.charges[-1]]  # the provider is not asked twice
    assert await world.balance("u1") == 0
    assert (await get_session(world.deps, view.id)).status == SessionStatus.REFUNDED.value


async def test_a_charge_refunded_before_it_was_credited_is_never_credited(world) -> None:
    # Given the payment update was lost, and Telegram then refunded the charge
    view = await world.open_stars_session()
    await world.handle(c.RecordProviderRefund(STARS, "tg-lost", view.id, "dispute"))
    # When reconciliation finds the incoming transaction later
    outcome = await world.handle(c.CompletePayment(STARS, view.id, "tg-lost", Stars(50), 777))
    # Then nothing is credited
    assert not outcome.credited
    assert outcome.rejected_reason == "refunded before it was credited"
    assert await world.balance("u1") == 0


async def test_refunding_a_subscription_ends_the_patronage_and_cancels_the_charges(world
                                                                                  ) -> None:
    # Given a paid monthly subscription
    view = await world.open_stars_session(package_id="monthly")
    await world.handle(c.CompletePayment(STARS, view.id, "sub-1", Stars(250), 777, 777,
                                         subscription_until=world.clock.now()
                                         + timedelta(days=30)))
    # When Telegram reports its refund
    await world.handle(c.RecordProviderRefund(STARS, "sub-1", view.id))
    # Then the patronage ended and the subscription was cancelled at Telegram
    async with world.deps.uow() as uow:
        patron = await uow.patrons.get(777)
    assert patron is not None and not patron.active
    assert world.stars.cancelled_subscriptions == [(777, "sub-1")]


async def test_spend_keys_of_different_users_never_collide(world) -> None:
    # Given two users whose ids and keys would join to the same text
    await world.buy(user_id="a")
    await world.buy(user_id="a:b")
    # When each spends with its own key
    first = await world.handle(c.SpendCredits("a", 10, "b:c"))
    second = await world.handle(c.SpendCredits("a:b", 10, "c"))
    # Then both are charged, neither is taken for a replay
    assert not first.replayed and not second.replayed
    assert await world.balance("a") == 90
    assert await world.balance("a:b") == 90


async def test_background_delivery_answers_first_and_delivers_by_drain(make_world,
                                                                      monkeypatch) -> None:
    # Given a bus that sends bot messages in the background, and a Telegram that is slow
    world = make_world(dispatch_in_background=True)
    view = await world.open_stars_session()
    await world.sender.drain()
    sent_before = len(world.texts_to(777))
    telegram_answers = asyncio.Event()
    send = world.messenger.send_message

    async def slow(message):
        await telegram_answers.wait()
        await send(message)

    monkeypatch.setattr(world.messenger, "send_message", slow)
    # When a payment is credited
    outcome = await world.handle(c.CompletePayment(STARS, view.id, "tg-bg", Stars(50), 777, 777))
    # Then the command returned with the credit committed, before the confirmation went out
    assert outcome.credited
    assert await world.balance("u1") == 100
    assert len(world.texts_to(777)) == sent_before
    # and the confirmation follows once Telegram answers
    telegram_answers.set()
    await world.sender.drain()
    assert world.texts_to(777)[-1].startswith("Payment received: 100 credits added")


async def test_failures_during_a_cooldown_do_not_count_so_the_history_stays_exact(make_world
                                                                                 ) -> None:
    from starport.application.limits import FAILURE, judge, record_failure
    from starport.domain.limits import PaymentLimits

    # Given a user who failed twice and is cooling down for 15 minutes
    world = make_world(limits=PaymentLimits(max_sessions=0, max_failures=2,
                                            window=timedelta(minutes=60),
                                            cooldown=timedelta(minutes=15)))
    for _ in range(2):
        async with world.deps.uow() as uow:
            await record_failure(world.deps, uow, "u1")
            await uow.commit()
        world.clock.advance(timedelta(minutes=1))
    # When a third failure happens during the cooldown
    async with world.deps.uow() as uow:
        await record_failure(world.deps, uow, "u1")
        await uow.commit()
    # Then it is not recorded, and the cooldown ends when it should
    async with world.deps.uow(read_only=True) as uow:
        times = await uow.limits.times("u1", FAILURE, world.clock.now() - timedelta(hours=2))
        assert len(times) == 2
        world.clock.advance(timedelta(minutes=15))
        assert (await judge(world.deps, uow, "u1", opening=False)).allowed
