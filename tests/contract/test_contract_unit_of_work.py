"""Contract: nothing is written without commit, and queued outbox items reach the sender only
after it, leased to it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest
from contract_samples import T0, Database, session

from starport.application.deliveries import Delivery
from starport.application.effects import OutboxItem, SendText
from starport.domain import ledger


class Sender:
    lease = 60.0

    def __init__(self) -> None:
        self.got: list[list[str]] = []

    def submit(self, items: Sequence[OutboxItem]) -> None:
        self.got.append([i.id for i in items])


def item(item_id: str, chat_id: int = 5) -> OutboxItem:
    return OutboxItem.now(item_id, chat_id, SendText(f"text {item_id}"), T0)


def delivery(update_id: str = "1") -> Delivery:
    return Delivery(id=f"d{update_id}", source="telegram", update_id=update_id,
                    received_at=T0, body=b"{}")


def with_sender(db: Database) -> Sender:
    sender = Sender()
    db.sender = sender  # type: ignore[attr-defined]  # what the composition root sets
    return sender


async def test_without_commit_nothing_is_written_and_nothing_sent(db: Database) -> None:
    sender = with_sender(db)
    async with db() as uow:
        await uow.sessions.add(session())
        await uow.deliveries.add(delivery())
        await uow.queue(item("o1"))
    assert sender.got == []
    async with db() as uow:
        assert await uow.sessions.get("s1") is None
        assert await uow.outbox.get("o1") is None
        assert await uow.deliveries.add(delivery())  # never stored: not a duplicate


async def test_an_exception_rolls_everything_back(db: Database) -> None:
    entry = ledger.bonus(entry_id="e1", key="bonus:1", user_id="u1", credits=5, memo="m", now=T0)
    with pytest.raises(RuntimeError):
        async with db() as uow:
            await uow.sessions.add(session())
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


async def test_queued_items_go_to_the_sender_after_commit_in_order_and_leased(db: Database
                                                                             ) -> None:
    sender = with_sender(db)
    async with db() as uow:
        await uow.queue(item("o1"))
        await uow.queue(item("o2"))
        assert sender.got == []
        await uow.commit()
    assert sender.got == [["o1", "o2"]]
    async with db() as uow:
        first, second = await uow.outbox.get("o1"), await uow.outbox.get("o2")
    assert first is not None and second is not None
    assert first.created_at < second.created_at  # the chat's order, whatever the clock did
    assert first.lease_until == first.created_at + timedelta(seconds=Sender.lease)
    # Leased to the sender: the dispatch job does not take them meanwhile.
    async with db() as uow:
        assert await uow.outbox.claim(T0 + timedelta(seconds=1), T0 + timedelta(hours=1)) is None


async def test_without_a_sender_queued_items_wait_for_the_job(db: Database) -> None:
    async with db() as uow:
        await uow.queue(item("o1"))
        await uow.commit()
    async with db() as uow:
        claimed = await uow.outbox.claim(T0, T0 + timedelta(minutes=10))
        await uow.commit()
    assert claimed is not None and claimed.id == "o1"


async def test_an_explicit_rollback_drops_writes_and_queued_items(db: Database) -> None:
    sender = with_sender(db)
    async with db() as uow:
        await uow.sessions.add(session())
        await uow.queue(item("o1"))
        await uow.rollback()
    assert sender.got == []
    async with db() as uow:
        assert await uow.sessions.get("s1") is None


async def test_a_read_only_unit_of_work_sees_committed_rows_and_cannot_commit(db: Database
                                                                             ) -> None:
    async with db() as uow:
        await uow.sessions.add(session())
        await uow.commit()
    async with db(read_only=True) as reader:  # type: ignore[call-arg]
        found = await reader.sessions.get("s1")
        assert found is not None and found.id == "s1"
        with pytest.raises(RuntimeError, match="read-only"):
            await reader.commit()


async def test_a_reader_does_not_wait_for_a_writer_in_progress(db: Database) -> None:
    async with db() as seed:
        await seed.sessions.add(session())
        await seed.commit()
    async with db() as writer:  # holds the write lock (SQLite, memory) until it ends
        await writer.cursors.set("w", "1")
        async with db(read_only=True) as reader:  # type: ignore[call-arg]  # would deadlock
            assert await reader.cursors.get("w") is None  # not committed yet
            assert await reader.sessions.get("s1") is not None
        await writer.commit()
