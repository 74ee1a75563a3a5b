"""Contract: accounts, entries and postings; balances, statements newest first, the total."""

from __future__ import annotations

import pytest
from contract_samples import T0, Database, at, record

from starport.application.unit_of_work import Conflict
from starport.domain import ledger
from starport.domain.errors import InsufficientCredits
from starport.domain.ledger import JournalEntry


def purchase(n: int, user: str = "u1", credits: int = 100, minutes: float = 0) -> JournalEntry:
    return ledger.purchase(entry_id=f"e{n}", key=f"payment:{n}", user_id=user,
                           sales_account="sales:telegram_stars", credits=credits,
                           session_id=f"s{n}", now=at(minutes))


async def test_accounts_are_created_at_zero_in_id_order(db: Database) -> None:
    async with db() as uow:
        found = await uow.ledger.accounts(["user:b", "sales:x", "user:a", "user:b"])
        assert list(found) == ["sales:x", "user:a", "user:b"]
        assert [(a.id, a.balance) for a in found.values()] == [
            ("sales:x", 0), ("user:a", 0), ("user:b", 0)]
        assert await uow.ledger.balance("user:nobody") == 0
        assert await uow.ledger.total() == 0


async def test_an_entry_moves_balances_and_comes_back_whole(db: Database) -> None:
    entry = ledger.refund(entry_id="e9", key="refund:s9", user_id="u1", credits=30,
                          session_id="s9", now=T0, by_provider=True)
    await record(db, purchase(1))
    await record(db, entry)
    async with db() as uow:
        assert await uow.ledger.balance("user:u1") == 70
        assert await uow.ledger.balance("sales:telegram_stars") == -100
        assert await uow.ledger.balance("refunds") == 30
        assert await uow.ledger.total() == 0
        loaded = await uow.ledger.entry_by_key("refund:s9")
        assert await uow.ledger.entry_by_key("refund:other") is None
        accounts = await uow.ledger.accounts(["user:u1", "sales:telegram_stars"])
    assert loaded == entry  # frozen dataclass: every field, postings in their order
    assert accounts["user:u1"].balance == 70 and accounts["user:u1"].version == 2
    assert accounts["sales:telegram_stars"].balance == -100


async def test_a_reused_idempotency_key_is_a_conflict(db: Database) -> None:
    await record(db, purchase(1))
    with pytest.raises(Conflict):
        await record(db, ledger.purchase(entry_id="other", key="payment:1", user_id="u2",
                                         sales_account="sales:cryptopay", credits=5,
                                         session_id="s2", now=T0))
    async with db() as uow:
        assert await uow.ledger.balance("user:u2") == 0
        assert await uow.ledger.balance("user:u1") == 100


async def test_balances_within_the_transaction_include_its_own_postings(db: Database) -> None:
    async with db() as uow:
        for entry in (purchase(1), purchase(2, user="u2")):
            accounts = await uow.ledger.accounts(entry.accounts)
            ledger.post(entry, accounts)
            await uow.ledger.add(entry, accounts)
        assert await uow.ledger.balance("sales:telegram_stars") == -200
        assert (await uow.ledger.accounts(["sales:telegram_stars"]))[
            "sales:telegram_stars"].balance == -200
        await uow.commit()
    async with db() as uow:
        assert await uow.ledger.balance("sales:telegram_stars") == -200


async def test_entries_are_listed_newest_first_with_limit_and_before(db: Database) -> None:
    for n in range(1, 5):
        await record(db, purchase(n, minutes=n))
    await record(db, purchase(9, user="u2", minutes=9))
    async with db() as uow:
        assert [e.id for e in await uow.ledger.entries("user:u1", 10)] == ["e4", "e3", "e2", "e1"]
        assert [e.id for e in await uow.ledger.entries("user:u1", 2)] == ["e4", "e3"]
        assert [e.id for e in await uow.ledger.entries("user:u1", 10, before=at(3))] == [
            "e2", "e1"]
        assert [e.id for e in await uow.ledger.entries("sales:telegram_stars", 2)] == ["e9", "e4"]
        assert await uow.ledger.entries("user:nobody", 10) == []
        statement = await uow.ledger.entries("user:u2", 1)
    assert statement == [purchase(9, user="u2", minutes=9)]


async def test_a_spend_beyond_the_balance_is_refused_and_nothing_changes(db: Database) -> None:
    await record(db, purchase(1, credits=10))
    spend = ledger.spend(entry_id="x", key="spend:u1:k", user_id="u1", credits=11,
                         reason="too much", now=T0)
    async with db() as uow:
        accounts = await uow.ledger.accounts(spend.accounts)
        with pytest.raises(InsufficientCredits):
            ledger.post(spend, accounts)
    async with db() as uow:
        assert await uow.ledger.balance("user:u1") == 10
        assert await uow.ledger.entry_by_key("spend:u1:k") is None
