"""The outbox: delivered right after commit, chat by chat in order, retried with backoff,
never sent twice; what a crashed sender leaves goes out through the job once its lease ends."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from starport.application import commands as c
from starport.application.effects import OutboxItem, OutboxStatus, SendText
from starport.application.outbox import backoff
from starport.application.replies import reply
from starport.domain.money import Stars
from starport.domain.providers import Provider

SUCCESS = "Payment received: 100 credits added. Your balance: 100 credits."
SENT, PENDING, FAILED = OutboxStatus.SENT, OutboxStatus.PENDING, OutboxStatus.FAILED


def item_with_text(world, text: str) -> OutboxItem:
    [item] = [i for i in world.outbox()
              if isinstance(i.effect, SendText) and i.effect.text == text]
    return item


class CrashedSender:
    """A sender whose process died right after the commit: it takes the items and never
    sends them."""

    def __init__(self, lease: timedelta) -> None:
        self._lease = lease

    @property
    def lease(self) -> float:
        return self._lease.total_seconds()

    def submit(self, items: Sequence[OutboxItem]) -> None:
        pass


class TestInlineDispatch:
    async def test_a_message_is_delivered_right_after_the_commit(self, world) -> None:
        # When
        await world.buy()
        # Then
        assert SUCCESS in world.texts_to(777)
        item = item_with_text(world, SUCCESS)
        assert (item.status, item.attempts, item.sent_at, item.lease_until) == (
            SENT, 1, world.clock.now(), None)

    async def test_without_inline_dispatch_the_job_delivers_it(self, make_world) -> None:
        # Given
        world = make_world(dispatch_inline=False)
        await world.buy()
        assert world.messenger.messages == []
        # When
        counts = await world.handle(c.DispatchOutbox())
        # Then
        assert counts["sent"] == 3  # session ready, the invoice, payment success
        assert SUCCESS in world.texts_to(777)
        assert len(world.messenger.invoices) == 1

    async def test_a_use_case_called_outside_the_bus_is_delivered_by_the_sender_too(
            self, world) -> None:
        # When (the unit of work has the sender, whoever runs the use case)
        await reply(world.deps, c.Reply(777, "support_info"))
        await world.sender.drain()
        # Then
        assert len(world.texts_to(777)) == 1
        assert (await world.handle(c.DispatchOutbox()))["claimed"] == 0
        assert len(world.texts_to(777)) == 1

    async def test_a_chats_items_go_out_in_the_order_they_were_queued(self, world,
                                                                      monkeypatch) -> None:
        # Given a messenger that notes the order of its calls
        calls: list[str] = []
        messenger = world.messenger
        send_message, send_invoice = messenger.send_message, messenger.send_invoice

        async def message(m):
            calls.append(f"text:{m.chat_id}")
            await send_message(m)

        async def invoice(i):
            calls.append(f"invoice:{i.chat_id}")
            await send_invoice(i)

        monkeypatch.setattr(messenger, "send_message", message)
        monkeypatch.setattr(messenger, "send_invoice", invoice)
        # When a session is opened in two chats
        await world.open_stars_session("u1", telegram_user_id=777)
        await world.open_stars_session("u2", telegram_user_id=778)
        # Then in each chat the session's text comes before its invoice
        for chat in (777, 778):
            assert [call for call in calls if call.endswith(f":{chat}")] == [f"text:{chat}",
                                                                    f"invoice:{chat}"]

    async def test_in_background_mode_the_command_returns_and_drain_delivers(self, make_world
                                                                             ) -> None:
        # Given
        world = make_world(dispatch_in_background=True)
        # When
        await world.handle(c.Reply(777, "support_info"))
        await world.sender.drain()
        # Then
        assert len(world.texts_to(777)) == 1
        assert {i.status for i in world.outbox()} == {SENT}


class TestFailures:
    async def test_a_blocked_user_fails_the_item_with_the_reason_and_it_is_not_retried(
            self, world) -> None:
        # Given
        world.messenger.blocked.add(777)
        # When
        await world.buy()
        world.clock.advance(timedelta(days=1))
        counts = await world.handle(c.DispatchOutbox())
        # Then
        assert world.texts_to(777) == []
        assert counts["claimed"] == 0
        item = item_with_text(world, SUCCESS)
        assert item.status is FAILED
        assert "recipient unreachable" in (item.last_error or "")
        assert "blocked" in (item.last_error or "")
        assert await world.balance("u1") == 100  # the payment itself is not undone

    async def test_a_network_failure_is_retried_later_and_delivered_once(self, world) -> None:
        # Given the network fails once, during the inline delivery of the success message
        view = await world.open_stars_session()
        world.messenger.failures = 1
        await world.handle(c.CompletePayment(Provider.TELEGRAM_STARS, view.id, "tg-1", Stars(50),
                                             777, 777))
        item = item_with_text(world, SUCCESS)
        assert (item.status, item.attempts) == (PENDING, 1)
        assert item.available_at == world.clock.now() + timedelta(seconds=5)
        assert "ConnectionError" in (item.last_error or "")
        # When the job runs before the backoff is over
        early = await world.handle(c.DispatchOutbox())
        # Then nothing is sent yet
        assert early["claimed"] == 0
        assert SUCCESS not in world.texts_to(777)
        # When it runs after the backoff
        world.clock.advance(timedelta(seconds=5))
        later = await world.handle(c.DispatchOutbox())
        # Then
        assert later["sent"] == 1
        assert world.texts_to(777).count(SUCCESS) == 1
        assert item_with_text(world, SUCCESS).status is SENT

    async def test_an_item_fails_for_good_after_the_last_attempt(self, make_world) -> None:
        # Given at most two attempts
        world = make_world(outbox_max_attempts=2)
        world.messenger.failures = 10
        await world.handle(c.Reply(777, "support_info"))
        # When
        world.clock.advance(timedelta(hours=1))
        counts = await world.handle(c.DispatchOutbox())
        # Then
        assert counts["failed"] == 1
        [item] = world.outbox()
        assert (item.status, item.attempts) == (FAILED, 2)
        world.clock.advance(timedelta(days=1))
        assert (await world.handle(c.DispatchOutbox()))["claimed"] == 0

    def test_the_backoff_doubles_and_is_capped_at_an_hour(self) -> None:
        # When / Then
        assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
        assert backoff(30) == timedelta(hours=1)


class TestNeverTwice:
    async def test_a_sent_item_is_never_sent_again(self, world) -> None:
        # Given
        await world.buy()
        sent = list(world.messenger.messages)
        # When the job runs later
        world.clock.advance(timedelta(days=1))
        counts = await world.handle(c.DispatchOutbox())
        # Then
        assert counts["claimed"] == 0
        assert world.messenger.messages == sent
        assert len(world.messenger.invoices) == 1

    async def test_an_item_leased_by_one_dispatcher_is_not_claimed_by_another(self, world
                                                                              ) -> None:
        # Given a dispatcher that claimed the item and then crashed
        lease = world.deps.settings.outbox_lease
        async with world.deps.uow() as uow:
            await uow.outbox.add(OutboxItem.now("m1", 777, SendText("hello"), world.clock.now()))
            await uow.commit()
        async with world.deps.uow() as uow:
            claimed = await uow.outbox.claim(world.clock.now(), world.clock.now() + lease)
            await uow.commit()
        assert claimed is not None and claimed.id == "m1"
        # When another dispatcher runs during the lease
        during = await world.handle(c.DispatchOutbox())
        # Then it leaves the item alone, and takes it over once the lease ran out
        assert during["claimed"] == 0
        world.clock.advance(lease)
        after = await world.handle(c.DispatchOutbox())
        assert after["sent"] == 1
        assert world.texts_to(777) == ["hello"]

    async def test_what_a_crashed_sender_held_goes_out_through_the_job_after_its_lease(
            self, world) -> None:
        # Given the process died right after the commit, before sending
        lease = world.deps.settings.outbox_lease
        world.db.sender = CrashedSender(lease)
        await world.handle(c.Reply(777, "support_info"))
        # When the job runs while the item is still leased to that process
        during = await world.handle(c.DispatchOutbox())
        # Then it waits; once the lease has run out, the job sends it, once
        assert (during["claimed"], world.texts_to(777)) == (0, [])
        world.clock.advance(lease)
        after = await world.handle(c.DispatchOutbox())
        assert (after["sent"], after["taken_over"]) == (1, 1)
        assert len(world.texts_to(777)) == 1
        world.clock.advance(lease)
        assert (await world.handle(c.DispatchOutbox()))["claimed"] == 0


class TestLeases:
    async def test_a_lease_is_sized_to_one_send(self, world) -> None:
        assert world.deps.settings.outbox_lease <= timedelta(seconds=30)

    async def test_an_item_waiting_longer_than_its_lease_stays_leased_to_its_holder(
            self, make_world) -> None:
        # Given a short lease, and a send held up longer than it (a flood wait, the throttle)
        lease = timedelta(seconds=0.3)
        world = make_world(dispatch_in_background=True, outbox_lease=lease)
        gate = asyncio.Event()
        send = world.messenger.send_message

        async def held_up(message):
            await gate.wait()
            await send(message)

        world.messenger.send_message = held_up
        await world.handle(c.Reply(777, "support_info"))
        # When two leases pass while it waits (the holder renews every third of a lease)
        for _ in range(4):
            await asyncio.sleep(0.15)
            world.clock.advance(timedelta(seconds=0.15))
        # Then no dispatcher may take it: it is still leased
        during = await asyncio.wait_for(world.handle(c.DispatchOutbox()), 2)
        assert during["claimed"] == 0
        [item] = world.outbox()
        assert item.lease_until is not None and item.lease_until > world.clock.now()
        # and once sent, it is recorded and its lease released; it went out once
        gate.set()
        await world.sender.drain()
        [item] = world.outbox()
        assert (item.status, item.lease_until) == (SENT, None)
        assert len(world.texts_to(777)) == 1

    async def test_a_dispatcher_keeps_its_lease_through_a_long_send(self, make_world) -> None:
        # Given an item the job is sending, held up for longer than its lease
        lease = timedelta(seconds=0.3)
        world = make_world(dispatch_inline=False, outbox_lease=lease)
        await world.handle(c.Reply(777, "support_info"))
        gate = asyncio.Event()
        send = world.messenger.send_message

        async def held_up(message):
            await gate.wait()
            await send(message)

        world.messenger.send_message = held_up
        first = asyncio.get_running_loop().create_task(world.handle(c.DispatchOutbox()))
        for _ in range(4):
            await asyncio.sleep(0.15)
            world.clock.advance(timedelta(seconds=0.15))
        # When a second dispatcher runs meanwhile
        second = await asyncio.wait_for(world.handle(c.DispatchOutbox()), 2)
        # Then it takes nothing; the first sends the item once
        assert second["claimed"] == 0
        gate.set()
        counts = await first
        assert (counts["sent"], counts["taken_over"]) == (1, 0)
        assert len(world.texts_to(777)) == 1


class TestRecordingThroughABlip:
    async def test_results_not_recorded_at_first_are_recorded_later_and_not_sent_again(
            self, make_world, conflicting_db, monkeypatch) -> None:
        # Given the database goes away right after a confirmation went out (a restart)
        monkeypatch.setattr("starport.application.outbox.RECORD_RETRY", 0.01)
        world = make_world(db=conflicting_db)
        send = world.messenger.send_message

        async def then_the_database_blips(message):
            await send(message)
            conflicting_db.conflicts = 3  # the next three commits fail: the recorder's

        world.messenger.send_message = then_the_database_blips
        # When
        await world.handle(c.Reply(777, "support_info"))
        # Then the result was recorded once the database answered again
        [item] = world.outbox()
        assert conflicting_db.commits_refused == 3
        assert (item.status, item.lease_until) == (SENT, None)
        # and nothing is sent again when its lease would have run out
        world.clock.advance(world.deps.settings.outbox_lease * 2)
        assert (await world.handle(c.DispatchOutbox()))["claimed"] == 0
        assert len(world.texts_to(777)) == 1
