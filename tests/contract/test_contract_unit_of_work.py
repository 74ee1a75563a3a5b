"""Contract: nothing is written without commit, and events are released only after it."""

from __future__ import annotations

import pytest
from contract_samples import T0, Database, session

from application.unit_of_work import committed_events
from domain import ledger
from domain.events import Event, PatronageEnded, SessionCreated
from domain.perks import Patron, PatronSource
from domain.sessions import PaymentSession


def opened() -> PaymentSession:
    s = session()
    s.events.append(SessionCreated("s1", "u1", "telegram_stars"))
    return s


async def test_without_commit_nothing_is_written_and_no_event_released(db: Database) -> None:
    queue: list[Event] = []
    token = committed_events.set(queue)
    try:
        async with db() as uow:
            s = opened()
            await uow.sessions.add(s)
            await uow.inbox.record("telegram", "1", T0)
    finally:
        committed_events.reset(token)
    assert queue == []
    async with db() as uow:
        assert await uow.sessions.get("s1") is None
        assert not await uow.inbox.seen("telegram", "1")


async def test_an_exception_rolls_everything_back(db: Database) -> None:
    entry = ledger.bonus(entry_id="e1", key="bonus:1", user_id="u1", credits=5, memo="m", now=T0)
    with pytest.raises(RuntimeError):
        async with db() as uow:
            await uow.sessions.add(opened())
            accounts = await uow.ledger.accounts(entry.accounts)
            ledger.post(entry, accounts)
            await uow.ledger.add(entry, accounts)
            await uow.cursors.set("c", "1")
            raise RuntimeError("boom")
    async with db() as uow:
        assert await uow.sessions.get("s1") is None
        assert await uow.ledger.entry_by_key("bonus:1") is None
        assert await uow.ledger.balance("promo:bonus") == 0
        assert await uow.ledger.total() == 0
        assert await uow.cursors.get("c") is None


async def test_events_are_released_after_commit_only(db: Database) -> None:
    queue: list[Event] = []
    token = committed_events.set(queue)
    try:
        async with db() as uow:
            s = opened()
            await uow.sessions.add(s)
            assert queue == []
            await uow.commit()
            assert queue == [SessionCreated("s1", "u1", "telegram_stars")]
            assert s.events == []
    finally:
        committed_events.reset(token)


async def test_events_of_loaded_aggregates_are_released_too(db: Database) -> None:
    async with db() as uow:
        await uow.patrons.add(Patron(1, "u1", PatronSource.ADMIN, since=T0))
        await uow.commit()
    queue: list[Event] = []
    token = committed_events.set(queue)
    try:
        async with db() as uow:
            patron = await uow.patrons.get(1)
            assert patron is not None and patron.end(T0)
            await uow.patrons.save(patron)
            await uow.commit()
    finally:
        committed_events.reset(token)
    assert queue == [PatronageEnded(1)]


async def test_an_explicit_rollback_drops_writes_and_events(db: Database) -> None:
    queue: list[Event] = []
    token = committed_events.set(queue)
    try:
        async with db() as uow:
            s = opened()
            await uow.sessions.add(s)
            await uow.rollback()
    finally:
        committed_events.reset(token)
    assert queue == [] and s.events == []
    async with db() as uow:
        assert await uow.sessions.get("s1") is None


async def test_a_read_only_unit_of_work_sees_committed_rows_and_cannot_commit(db: Database
                                                                             ) -> None:
    async with db() as uow:
        await uow.sessions.add(session())
        await uow.commit()
    async with db(read_only=True) as reader:
        found = await reader.sessions.get("s1")
        assert found is not None and found.id == "s1"
        with pytest.raises(RuntimeError, match="read-only"):
            await reader.commit()


async def test_a_reader_does_not_wait_for_a_writer_in_progress(db: Database) -> None:
    async with db() as seed:
        await seed.sessions.add(session())
        await seed.commit()
    async with db() as writer:  # holds the write lock (SQLite, memory) until it ends
        await writer.inbox.record("telegram", "w", T0)
        async with db(read_only=True) as reader:  # would deadlock if it queued behind
            assert await reader.inbox.seen("telegram", "w") is False  # not committed yet
            assert await reader.sessions.get("s1") is not None
        await writer.commit()
