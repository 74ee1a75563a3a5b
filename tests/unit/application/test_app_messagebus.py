"""The message bus: retries a use case on a write conflict; shows results to observers; what a
command queued goes out only once its transaction committed."""

from __future__ import annotations

import pytest

from starport.application import commands as c
from starport.application.effects import SendText
from starport.application.unit_of_work import Conflict
from starport.application.views import JobCounts, PaymentOutcome, SessionView
from starport.domain.charges import Decision
from starport.domain.errors import InsufficientCredits
from starport.domain.money import Stars
from starport.domain.providers import Provider


@pytest.fixture
def db(conflicting_db):
    return conflicting_db


class TestConflictRetries:
    async def test_a_use_case_that_lost_a_race_is_retried_and_applied_once(self, make_world,
                                                                           db) -> None:
        # Given
        world = make_world(db=db)
        await world.buy()
        db.conflicts = 2
        # When
        result = await world.handle(c.SpendCredits("u1", 30, "gen-1"))
        # Then
        assert db.commits_refused == 2
        assert (result.balance, result.replayed) == (70, False)
        assert await world.balance("u1") == 70

    async def test_the_bus_gives_up_after_its_retries_and_nothing_is_recorded(self, make_world,
                                                                              db) -> None:
        # Given a bus that tries three times, and a store that keeps conflicting
        world = make_world(db=db, conflict_retries=3)
        await world.buy()
        db.conflicts = 10
        # When
        with pytest.raises(Conflict):
            await world.handle(c.SpendCredits("u1", 30, "gen-1"))
        # Then
        assert db.commits_refused == 3
        db.conflicts = 0
        assert await world.balance("u1") == 100

    async def test_other_errors_are_not_retried(self, make_world, db) -> None:
        # Given
        world = make_world(db=db)
        calls = 0
        original = world.deps.uow

        def counting():
            nonlocal calls
            calls += 1
            return original()

        world.deps.uow = counting
        # When / Then
        with pytest.raises(InsufficientCredits):
            await world.handle(c.SpendCredits("u1", 30, "gen-1"))
        assert calls == 1


class TestAfterCommit:
    async def test_a_retried_payment_is_credited_and_announced_once(self, make_world, db
                                                                     ) -> None:
        # Given
        world = make_world(db=db)
        seen: list[PaymentOutcome] = []
        world.bus.observe(PaymentOutcome, seen.append)
        view = await world.open_stars_session()
        db.conflicts = 1
        # When
        outcome = await world.handle(c.CompletePayment(
            Provider.TELEGRAM_STARS, view.id, "tg-1", Stars(50), 777, 777))
        # Then
        assert db.commits_refused == 1
        assert outcome.credited
        assert seen == [outcome]
        assert (seen[0].decision, seen[0].credits, seen[0].provider) == (
            Decision.CREDIT, 100, "telegram_stars")
        assert len([t for t in world.texts_to(777) if t.startswith("Payment received")]) == 1
        assert await world.balance("u1") == 100

    async def test_nothing_of_a_rolled_back_transaction_is_sent_or_observed(self, make_world, db
                                                                            ) -> None:
        # Given a payment whose every commit fails
        world = make_world(db=db, conflict_retries=2)
        seen: list[PaymentOutcome] = []
        world.bus.observe(PaymentOutcome, seen.append)
        view = await world.open_stars_session()
        sent = len(world.messenger.messages)
        db.conflicts = 5
        # When
        with pytest.raises(Conflict):
            await world.handle(c.CompletePayment(
                Provider.TELEGRAM_STARS, view.id, "tg-1", Stars(50), 777, 777))
        # Then
        assert seen == []
        assert len(world.messenger.messages) == sent
        assert not any(isinstance(i.effect, SendText)
                       and i.effect.text.startswith("Payment received") for i in world.outbox())
        db.conflicts = 0
        assert await world.balance("u1") == 0

    async def test_a_failing_observer_does_not_fail_the_command(self, world) -> None:
        # Given
        def broken(result: object) -> None:
            raise RuntimeError("metrics are down")

        world.bus.observe(SessionView, broken)
        # When
        view = await world.handle(c.CreateSession("u1", "starter", Provider.TELEGRAM_STARS))
        # Then
        assert view.status == "invoiced"
        assert len(world.sessions()) == 1

    async def test_observers_see_the_results_of_their_type_only(self, world) -> None:
        # Given
        sessions: list[SessionView] = []
        jobs: list[JobCounts] = []
        world.bus.observe(SessionView, sessions.append)
        world.bus.observe(JobCounts, jobs.append)
        # When
        view = await world.handle(c.CreateSession("u1", "starter", Provider.TELEGRAM_STARS))
        world.clock.advance(world.deps.settings.session_ttl)
        counts = await world.handle(c.ExpireSessions())
        # Then
        assert sessions == [view]
        assert jobs == [counts]
        assert counts["expired"] == 1
