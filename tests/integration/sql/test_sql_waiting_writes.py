"""PostgreSQL: blind writes wait and go together (Gateway.write, fast_path.combined), and a
read-only unit of work runs without a transaction. Whatever waits is seen by every later
statement that touches its tables, lands with the commit or not at all, and fails as the
same writes one by one would."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from tests.contract.contract_samples import session as sample_session

from starport.adapters.sql import SqlDatabase, fast_path
from starport.adapters.sql.job_lock import PostgresJobLock
from starport.adapters.sql.repositories.sessions import _INSERT, _UPDATE
from starport.adapters.sql.tables import accounts, charges, outbox, sessions
from starport.application.effects import OutboxItem, SendText
from starport.application.unit_of_work import Conflict
from starport.domain.charges import Charge
from starport.domain.money import Stars
from starport.domain.providers import Provider

pytestmark = pytest.mark.postgres
NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


@pytest.fixture
def round_trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL of every statement the short path sent, one entry per round trip."""
    sent: list[str] = []
    real = fast_path._fetch_asyncpg

    async def fetch(adapt: Any, sql: str, args: list[Any], dialect: Any,
                    begin: bool = True) -> Any:
        sent.append(sql)
        return await real(adapt, sql, args, dialect, begin)

    monkeypatch.setattr(fast_path, "_fetch_asyncpg", fetch)
    return sent


def charge(session_id: str, charge_id: str) -> Charge:
    return Charge(provider=Provider.TELEGRAM_STARS, charge_id=charge_id, session_id=session_id,
                  paid=Stars(50), reported_at=NOW, payer_telegram_id=7)


def message(item_id: str, chat: int = 7) -> OutboxItem:
    return OutboxItem.now(item_id, chat, SendText("thanks"), NOW)


async def stored_session(db: SqlDatabase, session_id: str) -> None:
    async with db() as uow:
        await uow.sessions.add(sample_session(session_id))
        await uow.commit()


async def rows(db: SqlDatabase, statement: Any) -> list[Any]:
    async with db.connection(db.engine) as conn:
        return list(await conn.execute(statement))


async def test_writes_wait_for_the_next_statement_and_go_with_it(db: SqlDatabase,
                                                                 round_trips: list[str]
                                                                 ) -> None:
    await stored_session(db, "ww-1")  # the session must exist first
    round_trips.clear()
    async with db() as uow:
        await uow.charges.add(charge("ww-1", "ww-charge-1"))
        await uow.outbox.add(message("ww-out-1"))
        await uow.outbox.add(message("ww-out-2"))
        assert round_trips == []  # nothing sent yet
        found = await uow.sessions.get("ww-1")  # another table: the writes go with it
        assert found is not None and found.id == "ww-1"
        assert len(round_trips) == 1 and round_trips[0].startswith("WITH w0 AS (INSERT")
        await uow.commit()
    assert len(round_trips) == 1  # nothing left to send at the commit
    assert len(await rows(db, select(charges).where(charges.c.charge_id
                                                      == "ww-charge-1"))) == 1
    assert len(await rows(db, select(outbox).where(outbox.c.id.in_(
        ["ww-out-1", "ww-out-2"])))) == 2


async def test_writes_go_ahead_of_a_statement_with_a_with_list_of_its_own(
        db: SqlDatabase, round_trips: list[str]) -> None:
    """A purchase's two accounts are one statement (`WITH opened AS (INSERT ...) SELECT ...
    UNION ALL ...`): the waiting writes join its WITH list."""
    await stored_session(db, "ww-11")
    round_trips.clear()
    async with db() as uow:
        await uow.charges.add(charge("ww-11", "ww-charge-11"))
        found = await uow.ledger.accounts(["user:ww-11", "sales:ww-11"])
        assert [a.id for a in found.values()] == ["sales:ww-11", "user:ww-11"]
        assert len(round_trips) == 3  # the writes with the accounts; none yet: created, read
        assert round_trips[0].startswith("WITH w0 AS (INSERT INTO charges")
        assert ", opened AS" in round_trips[0]
        await uow.commit()
    assert len(await rows(db, select(charges).where(charges.c.charge_id
                                                      == "ww-charge-11"))) == 1
    assert fast_path.combined([("INSERT INTO t VALUES ($1)", [1])],
                              "WITH RECURSIVE r AS (SELECT $1) SELECT * FROM r", [2]) == (
        "WITH RECURSIVE w0 AS (INSERT INTO t VALUES ($1)), r AS (SELECT $2) SELECT * FROM r",
        [1, 2])


async def test_a_purchase_is_two_statements_and_its_sales_part_waits_too(
        db: SqlDatabase, round_trips: list[str]) -> None:
    """The accounts (one statement), then every write of the entry, the user's balance and the
    sales account's part in one statement at the commit."""
    from starport.domain import ledger

    async with db() as uow:  # the sales account exists, as it does after the first sale
        await uow.ledger.accounts(["sales:ww-12"])
        await uow.commit()
    round_trips.clear()
    async with db() as uow:
        entry = ledger.purchase(entry_id="ww-e12", key="payment:ww:12", user_id="ww-12",
                                sales_account="sales:ww-12", credits=9, session_id="ww-12",
                                now=NOW)
        found = await uow.ledger.accounts(entry.accounts)
        ledger.post(entry, found)
        await uow.ledger.add(entry, found)
        await uow.commit()
    assert len(round_trips) == 2, round_trips
    assert "INSERT INTO ledger_account_slots" in round_trips[1]
    assert round_trips[1].startswith("WITH w0 AS (INSERT INTO journal_entries")
    async with db(read_only=True) as uow:
        assert await uow.ledger.balance("sales:ww-12") == -9


async def test_a_read_of_a_table_written_meanwhile_sees_the_write(db: SqlDatabase,
                                                                  round_trips: list[str]
                                                                  ) -> None:
    await stored_session(db, "ww-2")
    round_trips.clear()
    async with db() as uow:
        await uow.charges.add(charge("ww-2", "ww-charge-2"))
        seen = await uow.charges.get(Provider.TELEGRAM_STARS, "ww-charge-2")
        assert seen is not None and seen.session_id == "ww-2"
        assert len(round_trips) == 2  # the insert alone, then the read
        await uow.rollback()
    assert await rows(db, select(charges).where(charges.c.charge_id
                                                  == "ww-charge-2")) == []


async def test_an_update_after_a_waiting_write_of_its_table_is_sent_after_it(
        db: SqlDatabase, round_trips: list[str]) -> None:
    """An UPDATE beside the INSERT of its row, in one statement, would not find the row."""
    from starport.adapters.sql import mappers as m

    async with db() as uow:
        fresh = sample_session("ww-3")
        gw = uow._gw
        assert gw is not None
        await gw.write(_INSERT, m.session_values(fresh))
        fresh.credits = 777
        values = m.session_values(fresh)
        await gw.write(_UPDATE, {**{k: v for k, v in values.items() if k != "id"},
                                 "b_id": fresh.id})
        assert len(round_trips) == 1  # the insert went first
        await uow.commit()
    stored = await rows(db, select(sessions.c.credits).where(sessions.c.id == "ww-3"))
    assert stored == [(777,)]


async def test_a_duplicate_among_waiting_writes_is_a_conflict_and_nothing_lands(
        db: SqlDatabase) -> None:
    async with db() as uow:
        await uow.sessions.add(sample_session("ww-4"))
        await uow.charges.add(charge("ww-4", "ww-charge-4"))
        await uow.commit()
    with pytest.raises(Conflict):
        async with db() as uow:
            await uow.outbox.add(message("ww-out-4"))
            await uow.charges.add(charge("ww-4", "ww-charge-4"))  # taken: at the commit
            await uow.commit()
    assert await rows(db, select(outbox).where(outbox.c.id == "ww-out-4")) == []


async def test_a_unit_of_waiting_writes_only_commits_as_one_statement(
        db: SqlDatabase, round_trips: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing sent before the commit: the writes go as one statement outside a transaction
    (PostgreSQL commits it as one), with no BEGIN and no COMMIT; a conflict among them still
    lands nothing."""
    from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection as Adapt

    await stored_session(db, "ww-9")
    begun: list[object] = []
    real_begin = Adapt._start_transaction

    async def begin(adapt: Any) -> None:
        begun.append(adapt)
        await real_begin(adapt)

    monkeypatch.setattr(Adapt, "_start_transaction", begin)
    round_trips.clear()
    async with db() as uow:
        await uow.charges.add(charge("ww-9", "ww-charge-9"))
        await uow.outbox.add(message("ww-out-9"))
        await uow.commit()
    assert begun == []  # no BEGIN was sent
    assert len(round_trips) == 1 and round_trips[0].startswith("WITH w0 AS (INSERT")
    assert len(await rows(db, select(charges).where(charges.c.charge_id == "ww-charge-9"))) == 1
    assert len(await rows(db, select(outbox).where(outbox.c.id == "ww-out-9"))) == 1
    with pytest.raises(Conflict):
        async with db() as uow:
            await uow.outbox.add(message("ww-out-10"))
            await uow.charges.add(charge("ww-9", "ww-charge-9"))  # taken
            await uow.commit()
    assert await rows(db, select(outbox).where(outbox.c.id == "ww-out-10")) == []


async def test_a_batch_of_outbox_results_is_one_statement(
        db: SqlDatabase, round_trips: list[str]) -> None:
    from starport.application.effects import OutboxStatus

    async with db() as uow:
        for n in (13, 14):
            await uow.outbox.add(message(f"ww-out-{n}", chat=n))
        await uow.commit()
    first, second = message("ww-out-13", chat=13), message("ww-out-14", chat=14)
    first.status, first.attempts, first.sent_at = OutboxStatus.SENT, 1, NOW
    second.attempts, second.last_error = 1, "TimeoutError"
    round_trips.clear()
    async with db() as uow:
        await uow.outbox.record(first, second)
        await uow.commit()
    assert len(round_trips) == 1 and "FROM unnest(" in round_trips[0]
    found = {r.id: (r.status, r.attempts, r.last_error)
             for r in await rows(db, select(outbox).where(outbox.c.id.in_(["ww-out-13",
                                                                           "ww-out-14"])))}
    assert found == {"ww-out-13": ("sent", 1, None), "ww-out-14": ("pending", 1, "TimeoutError")}


async def test_a_read_only_unit_runs_no_transaction_and_refuses_writes(
        db: SqlDatabase, round_trips: list[str]) -> None:
    async with db(read_only=True) as uow:
        assert await uow.sessions.get("no-such-session") is None
        assert round_trips and round_trips[-1].startswith("SELECT")
        assert uow._asyncpg()._transaction is None  # no BEGIN was sent, no ROLLBACK due
        with pytest.raises(RuntimeError, match="read-only"):
            await uow.outbox.add(message("ww-out-5"))
    assert await rows(db, select(outbox).where(outbox.c.id == "ww-out-5")) == []
    async with db() as uow:  # the same pooled connection, back in a transaction
        await uow.sessions.get("no-such-session")
        assert uow._asyncpg()._transaction is not None


async def test_a_job_lock_never_takes_a_connection_its_job_needs(pg_url: str) -> None:
    """The lock's connection comes from a pool of its own: with a transaction pool of one, a
    job holding its lock still gets the connection for its work (it used to wait for it)."""
    db = SqlDatabase(pg_url, pool_size=1, max_overflow=0, connect_timeout=2)
    try:
        async with PostgresJobLock(db.session_engine).hold("ww-job") as held:
            assert held
            async with asyncio.timeout(10):
                async with db() as uow:
                    await uow.sessions.add(sample_session("ww-6"))
                    await uow.commit()
        assert len(await rows(db, select(sessions).where(sessions.c.id == "ww-6"))) == 1
    finally:
        await db.dispose()


async def test_writes_lost_with_a_failed_statement_make_the_commit_fail(db: SqlDatabase) -> None:
    """A statement carrying waiting writes that fails before PostgreSQL runs it (a value
    asyncpg refuses) takes them with it: a caller that swallowed the error cannot commit
    without them."""
    await stored_session(db, "ww-7")
    async with db() as uow:
        await uow.charges.add(charge("ww-7", "ww-charge-7"))
        with pytest.raises(Exception, match="expected str"):
            await uow.sessions.get(12345)  # type: ignore[arg-type]
        with pytest.raises(RuntimeError, match="cannot commit"):
            await uow.commit()
    assert await rows(db, select(charges).where(charges.c.charge_id
                                                  == "ww-charge-7")) == []


async def test_an_update_of_several_rows_goes_one_row_per_statement(
        db: SqlDatabase, round_trips: list[str]) -> None:
    """Two sets of values of one UPDATE could name the same row, which one statement would
    change once: each set goes on its own."""
    from starport.adapters.sql.repositories.ledger import _APPLY_DELTA

    async with db() as uow:
        gw = uow._gw
        assert gw is not None
        await uow.ledger.accounts(["user:ww-8"])
        round_trips.clear()
        await gw.write(_APPLY_DELTA, [{"b_id": "user:ww-8", "b_delta": 5, "b_n": 1},
                                      {"b_id": "user:ww-8", "b_delta": 7, "b_n": 1}])
        await uow.commit()
    assert len(round_trips) == 2  # the first set sent when the second came
    assert await rows(db, select(accounts.c.balance).where(accounts.c.id
                                                             == "user:ww-8")) == [(12,)]
