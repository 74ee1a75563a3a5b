"""Saving a session read under lock sets only the columns that changed (SqlSessions.save), and
what is stored is still the whole session, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import pytest
from tests.contract.contract_samples import PRICES
from tests.contract.contract_samples import session as sample_session

from starport.adapters.sql import SqlDatabase
from starport.adapters.sql.gateway import Gateway
from starport.domain.sessions import SessionStatus

PAID_AT = datetime(2026, 12, 4, 5, 6, 7, 891011, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db(request: pytest.FixtureRequest) -> AsyncIterator[SqlDatabase]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    database = SqlDatabase(url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def session_writes(monkeypatch: pytest.MonkeyPatch) -> list[set[str]]:
    """The columns of each UPDATE of a session that a locked save sends (Gateway.write)."""
    seen: list[set[str]] = []
    real = Gateway.write

    async def write(self: Gateway, statement: Any, params: Any) -> None:
        if getattr(getattr(statement, "table", None), "name", None) == "payment_sessions":
            seen.append(set(params) - {"b_id"})
        await real(self, statement, params)

    monkeypatch.setattr(Gateway, "write", write)
    return seen


async def _stored(db: SqlDatabase, session_id: str) -> dict[str, Any]:
    """The session as a fresh read finds it, field by field (sessions compare by identity)."""
    async with db(read_only=True) as uow:
        found = await uow.sessions.get(session_id)
    assert found is not None
    return asdict(found)


@pytest.mark.parametrize("price", PRICES, ids=str)
async def test_a_locked_save_sets_only_what_changed_and_stores_the_whole_session(
        db: SqlDatabase, session_writes: list[set[str]], price: Any) -> None:
    session_id = f"upd-{PRICES.index(price)}"
    async with db() as uow:
        await uow.sessions.add(sample_session(session_id, price=price))
        await uow.commit()
    async with db() as uow:
        loaded = await uow.sessions.get(session_id)
        assert loaded is not None
        loaded.status, loaded.charge_id = SessionStatus.PAID, f"ch-{session_id}"
        loaded.paid_at = PAID_AT
        await uow.sessions.save(loaded)
        await uow.commit()
    assert session_writes == [{"status", "charge_id", "paid_at"}]
    assert await _stored(db, session_id) == asdict(loaded)


async def test_a_second_save_in_one_transaction_sets_what_changed_since_the_first(
        db: SqlDatabase, session_writes: list[set[str]]) -> None:
    async with db() as uow:
        await uow.sessions.add(sample_session("upd-twice"))
        await uow.commit()
    async with db() as uow:
        loaded = await uow.sessions.get("upd-twice")
        assert loaded is not None
        loaded.charge_id = "ch-twice"
        await uow.sessions.save(loaded)
        loaded.paid_at, loaded.language = PAID_AT, "de"
        await uow.sessions.save(loaded)
        await uow.sessions.save(loaded)  # nothing changed since: nothing sent
        await uow.commit()
    assert session_writes == [{"charge_id"}, {"paid_at", "language"}]
    stored = await _stored(db, "upd-twice")
    assert stored == asdict(loaded)
    assert stored["charge_id"] == "ch-twice"
    assert (stored["paid_at"], stored["language"]) == (PAID_AT, "de")


async def test_an_unchanged_session_saved_writes_nothing(
        db: SqlDatabase, session_writes: list[set[str]]) -> None:
    async with db() as uow:
        await uow.sessions.add(sample_session("upd-same", full=True))
        await uow.commit()
    async with db() as uow:
        loaded = await uow.sessions.get("upd-same")
        assert loaded is not None
        await uow.sessions.save(loaded)
        await uow.commit()
    assert session_writes == []
    assert await _stored(db, "upd-same") == asdict(sample_session("upd-same", full=True))
