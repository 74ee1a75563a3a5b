"""Events for the host app: queued with the change they report, one user's in order, retried
for more than three days, then failed; nothing queued when no events URL is set."""

from __future__ import annotations

from datetime import timedelta

from starport.adapters.memory.events import RecordingEvents
from starport.application import commands as c
from starport.application import host_events
from starport.application.effects import OutboxStatus, PublishEvent
from starport.domain.money import Stars
from starport.domain.perks import PatronSource
from starport.domain.providers import Provider


def with_events(make_world, **settings):  # type: ignore[no-untyped-def]
    world = make_world(events_enabled=True, **settings)
    world.deps.events = RecordingEvents()
    return world, world.deps.events


def event_items(world):  # type: ignore[no-untyped-def]
    return [i for i in world.outbox() if isinstance(i.effect, PublishEvent)]


def test_retries_last_more_than_three_days_then_stop() -> None:
    waits = [host_events.retry_after(n) for n in range(1, host_events.ATTEMPTS + 1)]

    assert waits[-1] is None and None not in waits[:-1]
    assert sum((w for w in waits if w), timedelta()) > timedelta(days=3)
    assert waits[:-1] == sorted(waits[:-1])  # each wait at least the one before


def test_a_users_lane_is_below_every_telegram_chat_and_stable() -> None:
    assert host_events.lane("ann") == host_events.lane("ann") != host_events.lane("bob")
    assert host_events.lane("ann") < -(2**53) and host_events.lane("ann") > -(2**63)


async def test_without_an_events_url_nothing_is_queued(make_world) -> None:  # type: ignore[no-untyped-def]
    world = make_world()
    await world.buy()
    assert event_items(world) == []


async def test_a_payment_is_told_once_with_the_balance_it_left(make_world) -> None:  # type: ignore[no-untyped-def]
    world, events = with_events(make_world)
    view = await world.buy()
    outcome = await world.handle(c.CompletePayment(  # the same charge reported again
        Provider.TELEGRAM_STARS, view.id, world.charges[0], Stars(50), 777, 777))

    assert outcome.credited is False
    [paid] = events.of_type("payment.succeeded")
    assert paid["data"] | {"sessionId": view.id} == paid["data"]
    assert (paid["data"]["credits"], paid["data"]["balance"]) == (100, 100)
    assert len(events.delivered) == 1


async def test_an_event_that_keeps_failing_is_retried_on_the_schedule_then_failed(
    make_world,  # type: ignore[no-untyped-def]
) -> None:
    world, events = with_events(make_world)
    events.down = True
    await world.buy()
    [item] = event_items(world)
    tries = 1
    while item.status is OutboxStatus.PENDING:
        world.clock.advance(item.available_at - world.clock.now())
        await world.handle(c.DispatchOutbox())
        [item] = event_items(world)
        tries += 1

    assert item.status is OutboxStatus.FAILED
    assert tries == item.attempts == host_events.ATTEMPTS
    assert "connection refused" in (item.last_error or "")
    assert events.delivered == []


async def test_a_later_event_does_not_overtake_one_waiting_for_its_retry(make_world) -> None:  # type: ignore[no-untyped-def]
    world, events = with_events(make_world)
    events.down = True
    await world.buy()
    events.down = False
    await world.handle(c.SpendCredits("u1", 5, "k1", "a report"))
    await world.handle(c.DispatchOutbox())

    assert events.delivered == []  # the payment's event waits for its retry; the spend behind it
    world.clock.advance(timedelta(seconds=5))
    await world.handle(c.DispatchOutbox())
    assert [body["type"] for _, body in events.delivered] == ["payment.succeeded",
                                                              "credits.spent"]


async def test_patronage_and_the_join_bonus_are_told(make_world) -> None:  # type: ignore[no-untyped-def]
    world, events = with_events(make_world)
    until = world.clock.now() + timedelta(days=30)
    await world.handle(c.MakePatron(42, "ann", PatronSource.ADMIN, until))
    await world.handle(c.MakePatron(42, "ann", PatronSource.ADMIN,
                                    until + timedelta(days=1)))  # renewed: not a new start
    await world.handle(c.EndPatronage(42))

    assert [body["type"] for _, body in events.delivered] == ["patron.started", "patron.ended"]
    assert events.delivered[0][1]["data"] == {
        "userId": "ann", "telegramUserId": 42, "source": "admin",
        "until": host_events.iso(until)}


async def test_two_events_of_one_transaction_keep_their_order_through_a_retry(make_world
                                                                              ) -> None:  # type: ignore[no-untyped-def]
    world, events = with_events(make_world)
    events.down = True  # a subscription's first payment: payment.succeeded, patron.started
    await world.buy(package_id="monthly")
    events.down = False
    for _ in range(3):
        world.clock.advance(timedelta(seconds=5))
        await world.handle(c.DispatchOutbox())

    assert [body["type"] for _, body in events.delivered] == ["payment.succeeded",
                                                              "patron.started"]
