"""PostgreSQL: a system account's balance in parts (`ledger_account_slots`). Purchases of
different users on different connections add to different parts, so neither waits for the
other's commit; the balance read is always the row's plus the parts', in every mode; going back
to the schema before the parts folds them into the rows."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from starport.adapters.sql import SqlDatabase, migrate, testing
from starport.adapters.sql.repositories.ledger import SLOTS
from starport.adapters.sql.tables import account_slots, accounts
from starport.application.unit_of_work import UnitOfWork
from starport.domain import ledger

pytestmark = pytest.mark.postgres
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
SALES = "sales:slots-test"


async def buy(uow: UnitOfWork, key: str, user: str, credits: int, sales: str = SALES) -> None:
    entry = ledger.purchase(entry_id=key, key=f"payment:test:{key}", user_id=user,
                            sales_account=sales, credits=credits, session_id=key, now=NOW)
    accounts_ = await uow.ledger.accounts(entry.accounts)
    ledger.post(entry, accounts_)
    await uow.ledger.add(entry, accounts_)


async def backend_pid(uow: UnitOfWork) -> int:
    return int((await uow._gw.execute(select(func.pg_backend_pid()))).scalar_one())  # type: ignore[attr-defined]


async def row_and_parts(db: SqlDatabase, account: str) -> tuple[int, list[tuple[int, int]]]:
    async with db.connection(db.engine) as conn:
        row = (await conn.execute(select(accounts.c.balance)
                                  .where(accounts.c.id == account))).scalar_one()
        parts = (await conn.execute(
            select(account_slots.c.balance, account_slots.c.version)
            .where(account_slots.c.account_id == account))).all()
    return int(row), [(int(b), int(v)) for b, v in parts]


async def test_two_purchases_on_two_connections_do_not_wait_for_each_other(
        db: SqlDatabase, pg_url: str) -> None:
    sales = f"{SALES}-a"
    async with db() as uow:  # the account exists (its first purchase ever creates it)
        await uow.ledger.accounts([sales])
        await uow.commit()
    async with db() as first:
        await buy(first, "s-1", "slot-user-1", 100, sales)
        await first.ledger.flush()  # the sum goes to a part now: reading it sends it
        assert await first.ledger.balance(sales) == -100
        mine = await backend_pid(first) % SLOTS
        # the first transaction holds its part's row; the second, on a connection whose
        # part differs, commits while the first is still open (it would wait forever for
        # a lock the first holds until after this)
        for _ in range(10):
            other = SqlDatabase(pg_url)
            try:
                async with other() as second:
                    if await backend_pid(second) % SLOTS == mine:
                        continue  # the same part: another connection
                    await buy(second, "s-2", "slot-user-2", 30, sales)
                    await asyncio.wait_for(second.commit(), 30)
                    break
            finally:
                await other.dispose()
        else:
            pytest.fail("ten connections in a row shared one part")
        await first.commit()
    async with db(read_only=True) as uow:
        assert await uow.ledger.balance(sales) == -130
        assert (await uow.ledger.accounts([sales]))[sales].version == 2
    row, parts = await row_and_parts(db, sales)
    assert row == 0
    assert sorted(parts) == [(-100, 1), (-30, 1)]


async def test_a_system_balance_is_its_row_and_its_parts_in_either_mode(
        db: SqlDatabase, pg_url: str) -> None:
    sales = f"{SALES}-b"
    async with db() as uow:
        await buy(uow, "m-1", "slot-user-3", 40, sales)
        await buy(uow, "m-2", "slot-user-4", 2, sales)  # one part, summed in the transaction
        await uow.commit()
    assert await row_and_parts(db, sales) == (0, [(-42, 2)])
    locking = SqlDatabase(pg_url, lock_system_accounts=True)
    try:
        async with locking() as uow:
            found = await uow.ledger.accounts([sales, "user:slot-user-5"])
            assert (found[sales].balance, found[sales].version) == (-42, 2)
            await buy(uow, "m-3", "slot-user-5", 8, sales)
            await uow.commit()
    finally:
        await locking.dispose()
    assert await row_and_parts(db, sales) == (-8, [(-42, 2)])  # the row written, parts kept
    async with db(read_only=True) as uow:
        balance = await uow.ledger.balance(sales)
        account = (await uow.ledger.accounts([sales]))[sales]
    assert (balance, account.balance, account.version) == (-50, -50, 3)
    assert {type(balance), type(account.balance), type(account.version)} == {int}  # JSON
    async with db(read_only=True) as uow:
        assert await uow.ledger.balance("user:slot-user-5") == 8


async def test_going_back_folds_the_parts_into_the_rows(pg_admin_url: str) -> None:
    url = testing.create_database(pg_admin_url, "starport_test_slots_down")
    try:
        migrate.upgrade(url)
        db = SqlDatabase(url)
        try:
            async with db() as uow:
                await buy(uow, "d-1", "slot-user-6", 70)
                await uow.commit()
            async with db() as uow:
                await buy(uow, "d-2", "slot-user-7", 5)
                await uow.commit()
            assert (await row_and_parts(db, SALES))[0] == 0
        finally:
            await db.dispose()
        migrate.downgrade(url, "0012_back_office")
        db = SqlDatabase(url)
        try:
            async with db.connection(db.engine) as conn:
                found = (await conn.execute(text(
                    "SELECT balance, version FROM ledger_accounts WHERE id = :id"),
                    {"id": SALES})).one()
        finally:
            await db.dispose()
        assert tuple(found) == (-75, 2)
    finally:
        testing.drop_database(pg_admin_url, url)
