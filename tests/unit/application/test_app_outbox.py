"""The outbox: delivered right after commit, retried with backoff, never sent twice."""

from __future__ import annotations

from datetime import timedelta

from application import commands as c
from application.notify import message_item
from application.outbox import backoff
from application.replies import reply
from domain.money import Stars
from domain.providers import Provider

SUCCESS = "Payment received: 100 credits added. Your balance: 100 credits."


def item_with_text(world, text: str):
    [item] = [i for i in world.outbox() if i.payload.get("text") == text]
    return item


class TestInlineDispatch:
    async def test_a_message_is_delivered_right_after_the_commit(self, world) -> None:
        # When
        await world.buy()
        # Then
        assert SUCCESS in world.texts_to(777)
        item = item_with_text(world, SUCCESS)
        assert (item.status, item.attempts, item.sent_at, item.lease_until) == (
            "sent", 1, world.clock.now(), None)

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

    async def test_a_use_case_called_outside_the_bus_leaves_delivery_to_the_job(self, world
                                                                               ) -> None:
        # When
        await reply(world.deps, c.Reply(777, "support_info"))
        # Then
        assert world.messenger.messages == []
        await world.handle(c.DispatchOutbox())
        assert len(world.texts_to(777)) == 1


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
        assert item.status == "failed"
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
        assert (item.status, item.attempts) == ("pending", 1)
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
        assert item_with_text(world, SUCCESS).status == "sent"

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
        assert (item.status, item.attempts) == ("failed", 2)
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
        ids = tuple(i.id for i in world.outbox())
        # When the job runs later, and even when asked for these very items
        world.clock.advance(timedelta(days=1))
        await world.handle(c.DispatchOutbox())
        await world.handle(c.DispatchOutbox(item_ids=ids))
        # Then
        assert world.messenger.messages == sent
        assert len(world.messenger.invoices) == 1

    async def test_an_item_leased_by_one_dispatcher_is_not_claimed_by_another(self, world
                                                                              ) -> None:
        # Given a dispatcher that claimed the item and then crashed
        lease = world.deps.settings.outbox_lease
        async with world.deps.uow() as uow:
            await uow.outbox.add(message_item("m1", 777, "hello", None, world.clock.now()))
            await uow.commit()
        async with world.deps.uow() as uow:
            claimed = await uow.outbox.claim(world.clock.now(),
                                             world.clock.now() + lease, 10)
            await uow.commit()
        assert [i.id for i in claimed] == ["m1"]
        # When another dispatcher runs during the lease
        during = await world.handle(c.DispatchOutbox())
        # Then it leaves the item alone, and takes it over once the lease ran out
        assert during["claimed"] == 0
        world.clock.advance(lease)
        after = await world.handle(c.DispatchOutbox())
        assert after["sent"] == 1
        assert world.texts_to(777) == ["hello"]

