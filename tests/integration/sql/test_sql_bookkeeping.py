"""PostgreSQL: a bookkeeping unit of work (the outbox's results and leases) takes a connection
of a pool of its own, so it never waits behind the transactions whose work it records."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy.exc import TimeoutError as PoolTimeout

from starport.adapters.clock import FakeClock
from starport.adapters.sql import SqlDatabase
from starport.application.effects import OutboxItem, OutboxStatus, SendText

pytestmark = pytest.mark.postgres


async def test_results_are_recorded_while_every_writers_connection_is_taken(pg_url: str
                                                                            ) -> None:
    db = SqlDatabase(pg_url, pool_size=1, connect_timeout=1.0)
    now = FakeClock().now()
    item = OutboxItem.now("bk-1", 42, SendText("hello"), now)
    try:
        async with db() as uow:
            await uow.outbox.add(item)
            await uow.commit()
        busy = db()
        await busy.__aenter__()  # the writers' one connection, held (a payment under way)
        try:
            with pytest.raises(PoolTimeout):  # another writer waits for it, in vain
                async with db() as uow:
                    await uow.outbox.count(OutboxStatus.PENDING)
            item.status, item.sent_at = OutboxStatus.SENT, now + timedelta(seconds=1)
            async with asyncio.timeout(5), db(bookkeeping=True) as uow:
                await uow.outbox.record(item)
                await uow.commit()
        finally:
            await busy.__aexit__(None, None, None)
        async with db(read_only=True) as uow:
            stored = await uow.outbox.get("bk-1")
        assert stored is not None and stored.status is OutboxStatus.SENT
    finally:
        await db.dispose()
