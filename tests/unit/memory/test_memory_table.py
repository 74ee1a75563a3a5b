"""The in-memory transactional table and unit of work behave as a database transaction does."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from starport.adapters.memory.table import Table, TxView
from starport.adapters.memory.unit_of_work import MemoryDatabase
from starport.application.effects import OutboxItem, SendText
from starport.application.unit_of_work import Conflict
from starport.domain import ledger
from starport.domain.catalog import CreditPackage
from starport.domain.charges import Charge, ChargeStatus
from starport.domain.money import Stars
from starport.domain.providers import Provider
from starport.domain.sessions import PaymentSession, SessionStatus

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@dataclass
class Row:
    value: int


class Sender:
    """Records what each commit handed over, as the per-process outbox sender would get it."""

    lease = 60.0

    def __init__(self) -> None:
        self.got: list[list[str]] = []

    def submit(self, items: Sequence[OutboxItem]) -> None:
        self.got.append([i.id for i in items])


def with_sender() -> tuple[MemoryDatabase, Sender]:
    db, sender = MemoryDatabase(), Sender()
    db.sender = sender
    return db, sender


def text_item(item_id: str) -> OutboxItem:
    return OutboxItem.now(item_id, 777, SendText(f"text {item_id}"), NOW)


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

    def test_a_row_changed_after_its_commit_does_not_change_the_table(self) -> None:
        table: Table[str, Row] = Table()
        view = TxView(table)
        row = Row(1)
        view.put("a", row)
        view.flush()
        row.value = 2  # the caller still holds the object it stored
        assert table.rows["a"] == Row(1)

    def test_scans_see_committed_and_staged_rows(self) -> None:
        table: Table[str, Row] = Table()
        seed = TxView(table)
        seed.put("a", Row(1))
        seed.flush()
        view = TxView(table)
        view.put("b", Row(2))
        view.put("a", Row(10))
        assert sorted(r.value for r in view.values()) == [2, 10]


class TestMemoryUnitOfWork:
    async def test_a_commit_hands_the_queued_items_to_the_sender_once(self) -> None:
        # Given
        db, sender = with_sender()
        # When
        async with db() as uow:
            await uow.sessions.add(new_session())
            await uow.queue(text_item("o1"))
            await uow.queue(text_item("o2"))
            assert sender.got == []  # nothing goes out before the commit
            await uow.commit()
            await uow.commit()  # a second commit hands over nothing more
        # Then
        assert sender.got == [["o1", "o2"]]
        async with db() as uow:
            assert await uow.sessions.get("s1") is not None
            stored = await uow.outbox.get("o1")
        assert stored is not None
        assert stored.lease_until == stored.created_at + timedelta(seconds=Sender.lease)

    async def test_leaving_without_commit_writes_nothing_and_sends_nothing(self) -> None:
        # Given
        db, sender = with_sender()
        # When
        async with db() as uow:
            await uow.sessions.add(new_session())
            await uow.queue(text_item("o1"))
        # Then
        assert sender.got == []
        async with db() as uow:
            assert await uow.sessions.get("s1") is None
            assert await uow.outbox.get("o1") is None

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

    async def test_an_explicit_rollback_drops_the_writes_and_the_queued_items(self) -> None:
        # Given
        db, sender = with_sender()
        async with db() as uow:
            await uow.sessions.add(new_session())
            await uow.queue(text_item("o1"))
            # When
            await uow.rollback()
        # Then
        assert sender.got == []
        async with db() as uow:
            assert await uow.sessions.get("s1") is None
            assert await uow.outbox.get("o1") is None

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

    async def test_a_charge_is_stored_once_per_provider_and_charge_id(self) -> None:
        db = MemoryDatabase()
        charge = Charge(provider=Provider.TELEGRAM_STARS, charge_id="tg-1", session_id="s1",
                        paid=Stars(50), reported_at=NOW, status=ChargeStatus.CREDITED)
        async with db() as uow:
            await uow.charges.add(charge)
            await uow.commit()
        async with db() as uow:
            with pytest.raises(Conflict):
                await uow.charges.add(charge)
            # the same id at another provider is another charge
            other = Charge(provider=Provider.CRYPTOPAY, charge_id="tg-1", session_id="s1",
                           paid=Stars(50), reported_at=NOW, status=ChargeStatus.CREDITED)
            await uow.charges.add(other)
            await uow.commit()
        async with db() as uow:
            stored = await uow.charges.get(Provider.TELEGRAM_STARS, "tg-1")
        assert stored is not None and stored.status is ChargeStatus.CREDITED
