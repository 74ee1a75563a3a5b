"""The short path for hot statements on SQLite (adapters/sql/fast_path.py): the same rows, the
same stored values and the same errors as SQLAlchemy's ordinary path, without it."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sql_bus import Race
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection
from test_sql_races import open_session, paid
from tests.contract.contract_samples import session as sample_session

from starport.adapters.sql import SqlDatabase, fast_path, gateway
from starport.adapters.sql.fast_path import hot, prepared
from starport.adapters.sql.repositories.sessions import _GET, _INSERT
from starport.adapters.sql.tables import accounts, sessions
from starport.application import commands as c
from starport.application.effects import OutboxStatus
from starport.application.unit_of_work import Conflict


@pytest.fixture
def no_sqlalchemy_execute(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Statements that went through SQLAlchemy's execute, by SQL text."""
    seen: list[str] = []
    real = AsyncConnection.execute

    async def execute(self: AsyncConnection, statement: Any, *args: Any, **kw: Any) -> Any:
        seen.append(str(statement))
        return await real(self, statement, *args, **kw)

    monkeypatch.setattr(AsyncConnection, "execute", execute)
    return seen


async def test_a_session_written_and_read_on_the_short_path_is_the_session(
        sqlite_url: str, no_sqlalchemy_execute: list[str]) -> None:
    db = SqlDatabase(sqlite_url)
    paid_at = datetime(2026, 12, 3, 4, 5, 6, 789012, tzinfo=UTC)
    try:
        async with db() as uow:
            original = sample_session("fast-1")
            await uow.sessions.add(original)
            await uow.commit()
        async with db() as uow:
            loaded = await uow.sessions.get("fast-1")
            assert loaded is not None
            loaded.paid_at = paid_at
            await uow.sessions.save(loaded)
            await uow.commit()
        async with db(read_only=True) as uow:
            again = await uow.sessions.get("fast-1")
    finally:
        await db.dispose()
    assert no_sqlalchemy_execute == []  # insert, select, update: none through SQLAlchemy
    assert again is not None and again.id == original.id and again.price == original.price
    assert again.created_at == original.created_at and again.created_at.tzinfo is not None
    assert again.paid_at == paid_at
    # stored exactly as SQLAlchemy's own path stores a UtcDateTime
    raw = sqlite3.connect(sqlite_url.split("///", 1)[1])
    stored = raw.execute("SELECT paid_at FROM payment_sessions WHERE id = 'fast-1'").fetchone()
    raw.close()
    db2 = SqlDatabase(sqlite_url)
    try:
        async with db2.connection(db2.engine) as conn:
            through_sa = (await conn.execute(
                select(sessions.c.paid_at).where(sessions.c.id == "fast-1"))).scalar()
    finally:
        await db2.dispose()
    assert through_sa == paid_at and isinstance(stored[0], str)


async def test_a_duplicate_on_the_short_path_is_a_conflict(sqlite_url: str) -> None:
    db = SqlDatabase(sqlite_url)
    try:
        async with db() as uow:
            await uow.sessions.add(sample_session("dup"))
            await uow.commit()
        with pytest.raises(Conflict):
            async with db() as uow:
                await uow.sessions.add(sample_session("dup"))
    finally:
        await db.dispose()


def test_what_the_short_path_leaves_to_sqlalchemy(sqlite_url: str) -> None:
    dialect = SqlDatabase(sqlite_url).engine.dialect
    expanding = hot(select(accounts).where(accounts.c.id.in_(bindparam("ids", expanding=True))))
    unmarked = select(accounts).where(accounts.c.id == bindparam("b_id"))
    assert prepared(expanding, {"ids": ["a"]}, dialect) is None
    assert prepared(unmarked, {"b_id": "a"}, dialect) is None
    found = prepared(_GET, {"b_id": "x"}, dialect)
    assert found is not None and "FOR UPDATE" not in found.sql  # SQLite has no row locks
    # an INSERT is compiled for the columns it is given
    some = prepared(_INSERT, {"id": "a", "user_id": "u"}, dialect)
    assert some is not None and some.names == ("id", "user_id")


@pytest.mark.postgres
async def test_on_postgresql_hot_statements_skip_sqlalchemy_and_keep_the_transaction(
        pg_url: str, no_sqlalchemy_execute: list[str]) -> None:
    db = SqlDatabase(pg_url)
    paid_at = datetime(2026, 12, 3, 4, 5, 6, 789012, tzinfo=UTC)
    try:
        async with db() as uow:
            await uow.sessions.add(sample_session("pg-fast-1"))
            await uow.commit()
        async with db() as uow:  # written, then rolled back: nothing of it stays
            loaded = await uow.sessions.get("pg-fast-1")
            assert loaded is not None
            loaded.paid_at = paid_at
            await uow.sessions.save(loaded)
        async with db(read_only=True) as uow:
            unchanged = await uow.sessions.get("pg-fast-1")
        async with db() as uow:
            again = await uow.sessions.get("pg-fast-1")
            assert again is not None
            again.paid_at = paid_at
            await uow.sessions.save(again)
            await uow.commit()
        async with db(read_only=True) as uow:
            saved = await uow.sessions.get("pg-fast-1")
        with pytest.raises(Conflict):
            async with db() as uow:
                await uow.sessions.add(sample_session("pg-fast-1"))
        sa_statements = [s for s in no_sqlalchemy_execute if "payment_sessions" in s]
    finally:
        async with db.engine.begin() as conn:
            await conn.execute(sessions.delete().where(sessions.c.id == "pg-fast-1"))
        await db.dispose()
    assert sa_statements == []
    assert unchanged is not None and unchanged.paid_at is None
    assert saved is not None and saved.paid_at == paid_at and saved.created_at.tzinfo is not None


async def test_the_short_paths_values_are_sqlalchemys_for_every_statement_of_a_purchase(
        race: Race, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given every hot statement's binding checked, as it runs, against construct_params (the
    # way a statement without sources is bound)
    checked: list[fast_path.Prepared] = []
    real = fast_path.arguments

    def compared(p: fast_path.Prepared, params: dict[str, Any] | None) -> list[Any]:
        got = real(p, params)
        assert got == real(p._replace(sources=None), params), p.sql
        checked.append(p)
        return got

    monkeypatch.setattr(fast_path, "arguments", compared)
    monkeypatch.setattr(gateway, "arguments", compared)
    # When a session is opened, paid (twice: once a replay) and spent from, and the
    # confirmation claimed and recorded as the dispatch job does
    await open_session(race, "s1")
    first = await race.bus.handle(paid("s1", "charge-1"))
    again = await race.bus.handle(paid("s1", "charge-1"))
    spent = await race.bus.handle(c.SpendCredits("u1", 30, "k1"))
    now = race.clock.now()
    async with race.db() as uow:
        item = await uow.outbox.claim(now, now + timedelta(seconds=15))
        assert item is not None
        item.status, item.sent_at = OutboxStatus.SENT, now
        await uow.outbox.record(item)
        await uow.commit()
    # Then every statement's values matched, statements with a value of their own included
    assert first.credited and not again.credited and spent.balance == 70
    assert len(checked) >= 10
    assert any(p.sources is not None and any(source.key is None for source in p.sources)
               for p in checked)
