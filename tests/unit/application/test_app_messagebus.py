"""The message bus: retries a use case on a write conflict; events only after a commit."""

from __future__ import annotations

import pytest

from adapters.memory.unit_of_work import MemoryDatabase, MemoryUnitOfWork
from application import commands as c
from application.unit_of_work import Conflict
from domain import events
from domain.errors import InsufficientCredits
from domain.money import Stars
from domain.providers import Provider


class ConflictingDatabase(MemoryDatabase):
    """The in-memory back end, where the next `conflicts` commits lose a race."""

    def __init__(self) -> None:
        super().__init__()
        self.conflicts = 0
        self.commits_refused = 0

    def __call__(self, read_only: bool = False) -> MemoryUnitOfWork:
        return _ConflictingUnitOfWork(self, read_only)


class _ConflictingUnitOfWork(MemoryUnitOfWork):
    def __init__(self, db: ConflictingDatabase, read_only: bool = False) -> None:
        super().__init__(db.store, db._lock, read_only)
        self._db = db

    async def _commit(self) -> None:
        if self._db.conflicts > 0:
            self._db.conflicts -= 1
            self._db.commits_refused += 1
            raise Conflict("serialization failure")
        await super()._commit()


@pytest.fixture
def db() -> ConflictingDatabase:
    return ConflictingDatabase()


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


class TestEventsAfterCommit:
    async def test_a_retried_payment_publishes_its_event_and_message_once(self, make_world, db
                                                                          ) -> None:
        # Given
        world = make_world(db=db)
        seen: list[events.Event] = []

        async def record(event: events.Event) -> None:
            seen.append(event)

        world.bus.subscribe(events.PaymentCompleted, record)
        view = await world.open_stars_session()
        db.conflicts = 1
        # When
        outcome = await world.handle(c.CompletePayment(
            Provider.TELEGRAM_STARS, view.id, "tg-1", Stars(50), 777, 777))
        # Then
        assert outcome.credited
        assert seen == [events.PaymentCompleted(view.id, "u1", "telegram_stars", 100, False)]
        assert len([t for t in world.texts_to(777) if t.startswith("Payment received")]) == 1

    async def test_events_of_a_rolled_back_transaction_are_never_handled(self, make_world, db
                                                                         ) -> None:
        # Given a payment whose every commit fails
        world = make_world(db=db, conflict_retries=2)
        seen: list[events.Event] = []

        async def record(event: events.Event) -> None:
            seen.append(event)

        world.bus.subscribe(events.PaymentCompleted, record)
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
        assert not any(i.payload.get("text", "").startswith("Payment received")
                       for i in world.outbox())
        db.conflicts = 0
        assert await world.balance("u1") == 0

    async def test_a_failing_subscriber_does_not_fail_the_command(self, world) -> None:
        # Given
        async def broken(event: events.Event) -> None:
            raise RuntimeError("metrics are down")

        world.bus.subscribe(events.SessionCreated, broken)
        # When
        view = await world.handle(c.CreateSession("u1", "starter", Provider.TELEGRAM_STARS))
        # Then
        assert view.status == "invoiced"

    async def test_subscribers_see_each_committed_event_of_the_command(self, world) -> None:
        # Given
        seen: list[events.Event] = []

        async def record(event: events.Event) -> None:
            seen.append(event)

        world.bus.subscribe(events.SessionCreated, record)
        world.bus.subscribe(events.SessionExpired, record)
        # When
        view = await world.handle(c.CreateSession("u1", "starter", Provider.TELEGRAM_STARS))
        # Then
        assert seen == [events.SessionCreated(view.id, "u1", "telegram_stars")]
        world.clock.advance(world.deps.settings.session_ttl)
        await world.handle(c.ExpireSessions())
        assert seen[-1] == events.SessionExpired(view.id)
