"""The in-memory transactional table and unit of work behave as a database transaction does."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from adapters.memory.table import Table, TxView
from adapters.memory.unit_of_work import MemoryDatabase
from application.unit_of_work import Conflict, committed_events
from domain import events, ledger
from domain.catalog import CreditPackage
from domain.money import Stars
from domain.providers import Provider
from domain.sessions import PaymentSession, SessionStatus

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@dataclass
class Row:
    value: int
    events: list[str] = field(default_factory=list)


def new_session(session_id: str = "s1") -> PaymentSession:
    return PaymentSession.open(
        session_id=session_id, user_id="u1",
        package=CreditPackage("starter", "Starter", 100, Stars(50)),
        provider=Provider.TELEGRAM_STARS, now=NOW, expires_at=NOW + timedelta(minutes=30))


class TestTxView:
    def test_reads_see_the_transactions_own_writes(self) -> None:
        table: Table[str, Row] = Table()
        view = TxView(table)
        view.put("a", Row(1))
        assert view.get("a") == Row(1)
        assert view.exists("a")
        assert [r.value for r in view.values()] == [1]

    def test_writes_stay_invisible_to_others_until_flushed(self) -> None:
        table: Table[str, Row] = Table()
        writer, reader = TxView(table), TxView(table)
        writer.put("a", Row(1))
        assert reader.get("a") is None
        assert not reader.exists("a")
        writer.flush()
        assert TxView(table).get("a") == Row(1)

    def test_discarding_a_view_rolls_its_writes_back(self) -> None:
        table: Table[str, Row] = Table()
        seed = TxView(table)
        seed.put("a", Row(1))
        seed.flush()
        view = TxView(table)
        view.get("a").value = 99  # type: ignore[union-attr]
        view.put("b", Row(2))
        del view  # never flushed: a rollback
        assert table.rows == {"a": Row(1)}

    def test_changing_a_read_row_changes_only_this_transactions_copy(self) -> None:
        table: Table[str, Row] = Table()
        seed = TxView(table)
        seed.put("a", Row(1))
        seed.flush()
        view = TxView(table)
        row = view.get("a")
        assert row is not None
        row.value = 2
        assert view.get("a") is row  # later reads in the transaction see the same object
        assert table.rows["a"].value == 1
        view.flush()
        assert table.rows["a"].value == 2

    def test_stored_rows_carry_no_pending_events(self) -> None:
        table: Table[str, Row] = Table()
        view = TxView(table)
        row = Row(1, events=["happened"])
        view.put("a", row)
        view.flush()
        assert table.rows["a"].events == []
        assert row.events == ["happened"]  # the unit of work releases them, not the table

    def test_scans_see_committed_and_staged_rows(self) -> None:
        table: Table[str, Row] = Table()
        seed = TxView(table)
        seed.put("a", Row(1))
        seed.flush()
        view = TxView(table)
        view.put("b", Row(2))
        view.put("a", Row(10))
        assert sorted(r.value for r in view.values()) == [2, 10]

    def test_every_row_handed_out_is_tracked(self) -> None:
        table: Table[str, Row] = Table()
        seed = TxView(table)
        seed.put("a", Row(1))
        seed.flush()
        tracked: list[Row] = []
        view = TxView(table, tracked.append)
        read = view.get("a")
        view.put("b", Row(2))
        assert tracked == [read, Row(2)]


class TestMemoryUnitOfWork:
    async def test_a_commit_publishes_and_releases_the_events_once(self) -> None:
        # Given
        db = MemoryDatabase()
        queue: list[events.Event] = []
        token = committed_events.set(queue)
        try:
            async with db() as uow:
                await uow.sessions.add(new_session())
                await uow.commit()
            # When the aggregate is read and changed again
            async with db() as uow:
                session = await uow.sessions.get("s1")
                assert session is not None
                assert session.events == []  # nothing left over from the first commit
                session.cancel()
                session.fail("x")
                await uow.commit()
                await uow.commit()  # a second commit releases nothing more
        finally:
            committed_events.reset(token)
        # Then
        assert queue == [events.SessionCreated("s1", "u1", "telegram_stars"),
                         events.PaymentRejected("s1", "x")]

    async def test_leaving_without_commit_rolls_back_writes_and_events(self) -> None:
        db = MemoryDatabase()
        queue: list[events.Event] = []
        token = committed_events.set(queue)
        try:
            async with db() as uow:
                await uow.sessions.add(new_session())
        finally:
            committed_events.reset(token)
        assert queue == []
        async with db() as uow:
            assert await uow.sessions.get("s1") is None

    async def test_an_error_inside_rolls_back(self) -> None:
        db = MemoryDatabase()
        async with db() as uow:
            await uow.sessions.add(new_session())
            await uow.commit()
        try:
            async with db() as uow:
                session = await uow.sessions.get("s1")
                assert session is not None
                session.cancel()
                await uow.sessions.save(session)
                raise RuntimeError("crash before commit")
        except RuntimeError:
            pass
        async with db() as uow:
            stored = await uow.sessions.get("s1")
            assert stored is not None
            assert stored.status is SessionStatus.PENDING

    async def test_an_explicit_rollback_clears_the_aggregates_events(self) -> None:
        db = MemoryDatabase()
        async with db() as uow:
            session = new_session()
            await uow.sessions.add(session)
            await uow.rollback()
            assert session.events == []

    async def test_transactions_run_one_at_a_time(self) -> None:
        # Given a transaction in progress
        db = MemoryDatabase()
        order: list[str] = []

        async def second() -> None:
            async with db() as uow:
                order.append("second began")
                assert await uow.sessions.get("s1") is not None  # sees the first's commit

        async with db() as uow:
            order.append("first began")
            task = asyncio.create_task(second())
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            await uow.sessions.add(new_session())
            await uow.commit()
            order.append("first committed")
        # When it ends, then the other one starts
        await task
        assert order == ["first began", "first committed", "second began"]

    async def test_a_reused_ledger_key_is_a_conflict(self) -> None:
        db = MemoryDatabase()
        entry = ledger.bonus(entry_id="e1", key="join-bonus:1", user_id="u1", credits=5,
                             memo="", now=NOW)
        async with db() as uow:
            accounts = await uow.ledger.accounts(entry.accounts)
            ledger.post(entry, accounts)
            await uow.ledger.add(entry, accounts)
            await uow.commit()
        async with db() as uow:
            accounts = await uow.ledger.accounts(entry.accounts)
            with pytest.raises(Conflict):
                await uow.ledger.add(entry, accounts)
            assert await uow.ledger.balance("user:u1") == 5
            assert await uow.ledger.total() == 0
