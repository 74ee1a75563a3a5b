"""Contract: Telegram links (one user per Telegram account) and link tokens, on every back end."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

import pytest
from contract_samples import Database, at, record

from starport.application.unit_of_work import Conflict
from starport.domain import ledger
from starport.domain.links import LinkedVia, LinkToken, TelegramLink, telegram_only_user


async def test_a_telegram_account_is_linked_once_until_unlinked(db: Database) -> None:
    first = TelegramLink(7, "alice", at(1), LinkedVia.HOST_API)
    async with db() as uow:
        await uow.links.add(first)
        assert await uow.links.add_if_absent(
            TelegramLink(8, "alice", at(2), LinkedVia.PAYMENT)) is True  # made
        assert await uow.links.add_if_absent(
            TelegramLink(7, "bob", at(3), LinkedVia.PAYMENT)) is False  # linked already
        await uow.links.put_if_absent(TelegramLink(7, "carol", at(3), LinkedVia.PAYMENT))
        await uow.links.put_if_absent(TelegramLink(6, "carol", at(3), LinkedVia.PAYMENT))
        await uow.commit()
    with pytest.raises(Conflict):
        async with db() as uow:
            await uow.links.add(TelegramLink(7, "bob", at(4), LinkedVia.HOST_API))
            await uow.commit()
    async with db() as uow:
        assert await uow.links.get(7) == first
        assert [x.telegram_user_id for x in await uow.links.for_user("alice")] == [7, 8]
        assert [x.telegram_user_id for x in await uow.links.for_user("carol")] == [6]
        await uow.links.remove(7)
        await uow.commit()
    async with db() as uow:
        assert await uow.links.get(7) is None
        assert await uow.links.add_if_absent(
            TelegramLink(7, "bob", at(5), LinkedVia.PAYMENT)) is True
        await uow.commit()
    async with db() as uow:
        assert (await uow.links.get(7)).user_id == "bob"  # type: ignore[union-attr]


async def test_a_purchases_accounts_come_with_what_another_account_holds(db: Database) -> None:
    """`accounts_and_held`: a payment's two accounts, and what the payer's Telegram account
    holds on its own (whether its credits are to move), which is neither opened nor locked."""
    # Given Telegram account 9, which bought 250 credits in the bot before any link
    entry = ledger.purchase(entry_id="e1", key="payment:1", user_id=telegram_only_user(9),
                            sales_account="sales:telegram_stars", credits=250,
                            session_id="s1", now=at(1))
    await record(db, entry)
    own = ledger.user_account(telegram_only_user(9))
    ids = [ledger.user_account("carol"), "sales:telegram_stars"]
    async with db() as uow:
        accounts, held = await uow.ledger.accounts_and_held(ids, own)
        assert (sorted(accounts), held) == (sorted(ids), 250)
        assert accounts["sales:telegram_stars"].balance == -250
        assert accounts[ledger.user_account("carol")].balance == 0  # opened
        # an account that was never opened holds nothing, and is not opened by the read
        _, none = await uow.ledger.accounts_and_held(
            [ledger.user_account("dave"), "sales:telegram_stars"],
            ledger.user_account(telegram_only_user(10)))
        assert none == 0
        assert (await uow.ledger.accounts_and_held(ids, None))[1] == 0
        await uow.commit()
    async with db() as uow:
        assert await uow.ledger.balance(own) == 250
        assert await uow.ledger.balance(ledger.user_account(telegram_only_user(10))) == 0
        assert await uow.ledger.entries(ledger.user_account(telegram_only_user(10)), 10) == []


async def test_a_link_token_round_trips_and_keeps_who_used_it(db: Database) -> None:
    token = LinkToken("t" * 32, "alice", at(1), at(1) + timedelta(hours=1))
    async with db() as uow:
        await uow.link_tokens.add(token)
        await uow.commit()
    token.redeem(7, at(2))
    async with db() as uow:
        await uow.link_tokens.save(token)
        await uow.commit()
    async with db() as uow:
        loaded = await uow.link_tokens.get("t" * 32)
        assert await uow.link_tokens.get("u" * 32) is None
    assert loaded is not None and asdict(loaded) == asdict(token)
