"""Deliveries: each webhook update stored with its effect, in its transaction; the same update
again is refused and changes nothing; one that failed is not stored; old ones are pruned."""

from __future__ import annotations

from datetime import timedelta

import pytest

from starport.application import commands as c
from starport.application.deliveries import DeliveryQuery, DuplicateDelivery, find_deliveries
from starport.application.limits import FAILURE
from starport.application.unit_of_work import Conflict
from starport.domain.errors import SessionNotFound
from starport.domain.limits import PaymentLimits
from starport.domain.money import Stars
from starport.domain.providers import Provider

STARS = Provider.TELEGRAM_STARS


def press_buy(world, update_id: str) -> c.BuyFromChat:
    return c.BuyFromChat(f"q{update_id}", 777, 777, "starter", "Ann", world.delivery(update_id))


class TestStoredWithTheEffect:
    async def test_a_delivery_is_stored_with_its_effect_and_outcome(self, world) -> None:
        # Given
        view = await world.handle(c.CreateSession("u1", "starter", STARS))
        # When
        await world.handle(c.StartDeepLink(view.id, 777, 777, "Ann", world.delivery("1")))
        # Then
        [found] = await find_deliveries(world.deps, DeliveryQuery(update_id="1"))
        assert (found.source, found.outcome, found.received_at) == (
            "telegram", "deep_link", world.clock.now())
        assert (await world.session(view.id)).telegram_user_id == 777

    async def test_the_same_delivery_again_is_refused_and_changes_nothing(self, world) -> None:
        # Given a package button press that opened a session and sent its invoice
        await world.handle(press_buy(world, "5"))
        sessions, outbox = len(world.sessions()), len(world.outbox())
        # When Telegram delivers the same update again
        with pytest.raises(DuplicateDelivery):
            await world.handle(press_buy(world, "5"))
        # Then no second session, no second invoice, one stored delivery
        assert (len(world.sessions()), len(world.outbox())) == (sessions, outbox)
        assert len(world.messenger.invoices) == 1
        assert [(d.update_id, d.outcome) for d in world.deliveries()] == [("5", "buy")]

    async def test_another_update_of_the_same_source_is_handled(self, world) -> None:
        # When
        await world.handle(press_buy(world, "5"))
        await world.handle(press_buy(world, "6"))
        # Then
        assert len(world.sessions()) == 2
        assert [d.update_id for d in world.deliveries()] == ["5", "6"]

    async def test_the_same_update_id_from_another_source_is_another_delivery(self, world
                                                                             ) -> None:
        # When
        await world.handle(c.Reply(777, "support_info", delivery=world.delivery("9")))
        await world.handle(c.Reply(777, "support_info",
                                   delivery=world.delivery("9", source="cryptopay")))
        # Then
        assert len(world.texts_to(777)) == 2

    async def test_a_refused_update_is_stored_with_its_refusal_and_tells_the_user_once(
            self, world) -> None:
        # Given a deep link to no session: the user is told, the command refused
        with pytest.raises(SessionNotFound):
            await world.handle(c.StartDeepLink("nope", 777, 777, "Ann", world.delivery("3")))
        # When the update comes again
        with pytest.raises(DuplicateDelivery):
            await world.handle(c.StartDeepLink("nope", 777, 777, "Ann", world.delivery("3")))
        # Then
        assert world.texts_to(777) == ["This purchase is not available any more."]
        assert [d.outcome for d in world.deliveries()] == ["refused:session_not_found"]

    async def test_an_update_whose_handling_failed_is_not_stored_so_its_retry_is_handled(
            self, make_world, conflicting_db) -> None:
        # Given a store that keeps losing the race for longer than the bus retries
        world = make_world(db=conflicting_db, conflict_retries=1)
        conflicting_db.conflicts = 1
        with pytest.raises(Conflict):
            await world.handle(press_buy(world, "7"))
        assert (world.deliveries(), world.sessions()) == ([], [])
        # When Telegram retries the update (we answered 5xx)
        answer = await world.handle(press_buy(world, "7"))
        # Then it is handled as new
        assert answer.session is not None
        assert [(d.update_id, d.outcome) for d in world.deliveries()] == [("7", "buy")]
        assert len(world.messenger.invoices) == 1


class TestPreCheckoutDeliveries:
    async def test_a_refusal_counted_toward_the_cooldown_is_stored_and_counted_once(
            self, make_world) -> None:
        # Given payment limits with a cooldown after failures
        world = make_world(limits=PaymentLimits(max_sessions=0, max_failures=3,
                                                window=timedelta(hours=1),
                                                cooldown=timedelta(minutes=10)))
        view = await world.open_stars_session()
        wrong = c.ValidatePreCheckout("q1", 777, view.id, "XTR", 49,
                                      delivery=world.delivery("11", session_id=view.id))
        # When the refused pre-checkout is delivered twice
        first = await world.handle(wrong)
        again = await world.handle(wrong)
        # Then Telegram gets the refusal both times, and the failure counts once
        assert first == again
        assert (first.ok, first.error_key) == (False, "checkout_wrong_amount")
        assert [d.outcome for d in world.deliveries()] == ["pre_checkout_refused"]
        async with world.deps.uow(read_only=True) as uow:
            failures = await uow.limits.times("u1", FAILURE, world.clock.now() - timedelta(hours=1))
        assert len(failures) == 1

    async def test_a_refusal_without_limits_stores_nothing(self, world) -> None:
        # Given
        view = await world.open_stars_session()
        # When
        answer = await world.handle(c.ValidatePreCheckout(
            "q1", 777, view.id, "XTR", 49, delivery=world.delivery("11", session_id=view.id)))
        # Then
        assert not answer.ok
        assert world.deliveries() == []


class TestFindAndPrune:
    async def test_a_payment_delivery_is_found_by_its_charge_and_its_session(self, world
                                                                            ) -> None:
        # Given
        view = await world.open_stars_session()
        await world.handle(c.CompletePayment(STARS, view.id, "tg-1", Stars(50), 777, 777,
                                             delivery=world.delivery("21", charge_id="tg-1",
                                                                     session_id=view.id)))
        await world.handle(c.Reply(777, "support_info", delivery=world.delivery("22")))
        # When
        by_charge = await find_deliveries(world.deps, DeliveryQuery(charge_id="tg-1"))
        by_session = await find_deliveries(world.deps, DeliveryQuery(session_id=view.id))
        other = await find_deliveries(world.deps, DeliveryQuery(source="cryptopay"))
        # Then
        assert [(d.update_id, d.outcome) for d in by_charge] == [("21", "credited")]
        assert [d.update_id for d in by_session] == ["21"]
        assert other == []

    async def test_the_prune_job_forgets_deliveries_past_their_retention(self, make_world
                                                                         ) -> None:
        # Given one delivery 91 days old and one 31 days old
        world = make_world(delivery_retention=timedelta(days=90))
        await world.handle(c.Reply(777, "support_info", delivery=world.delivery("old")))
        world.clock.advance(timedelta(days=60))
        await world.handle(c.Reply(777, "support_info", delivery=world.delivery("new")))
        world.clock.advance(timedelta(days=31))
        # When
        counts = await world.handle(c.PruneDeliveries(batch=1))
        # Then
        assert counts["deleted"] == 1
        found = await find_deliveries(world.deps, DeliveryQuery())
        assert [d.update_id for d in found] == ["new"]

    async def test_the_prune_job_forgets_old_payment_limit_history_too(self, make_world
                                                                       ) -> None:
        # Given a failure counted long ago
        limits = PaymentLimits(max_sessions=0, max_failures=3, window=timedelta(hours=1),
                               cooldown=timedelta(minutes=10))
        world = make_world(limits=limits)
        view = await world.open_stars_session()
        await world.handle(c.ValidatePreCheckout("q1", 777, view.id, "XTR", 49))
        world.clock.advance(timedelta(days=1))
        # When
        counts = await world.handle(c.PruneDeliveries())
        # Then
        assert counts["limit_history_deleted"] == 1
        assert [a for a in world.db.store.attempts.rows.values() if a is not None] == []
